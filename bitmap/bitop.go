package bitmap

// BitOp is a BITOP operation.
type BitOp int

// The operations of Redis 7.0's BITOP.
const (
	And BitOp = iota
	Or
	Xor
	Not
)

// ParseBitOp parses BITOP's operation name, given the number of source keys
// (at least one: BITOP's arity, -4, is the caller's to check).
//
// Redis checks both before it looks any key up: an unknown name is
// ErrSyntax, NOT with other than one source ErrNotSingleSource. After that it
// reads the sources in order, answering WRONGTYPE for the first that is not a
// string (a missing one is an empty string); the destination's type does not
// matter, as it is overwritten. Then Op.
func ParseBitOp(op []byte, nSources int) (BitOp, error) {
	var o BitOp
	switch {
	case keyword(op, "and"):
		o = And
	case keyword(op, "or"):
		o = Or
	case keyword(op, "xor"):
		o = Xor
	case keyword(op, "not"):
		o = Not
	default:
		return 0, ErrSyntax
	}
	if o == Not && nSources != 1 {
		return 0, ErrNotSingleSource
	}
	return o, nil
}

// Op computes BITOP op over the sources (a missing key is an empty string).
// Shorter sources read as padded with zero bytes, so the result is as long
// as the longest source; its length is BITOP's reply. An empty result means
// Redis deletes the destination key rather than storing an empty string.
// There is at least one source (BITOP's arity); with none the result is
// empty.
func Op(op BitOp, sources [][]byte) []byte {
	if len(sources) == 0 {
		return nil
	}
	n := 0
	for _, s := range sources {
		n = max(n, len(s))
	}
	out := make([]byte, n)
	copy(out, sources[0])
	for _, s := range sources[1:] {
		apply(op, out, s)
	}
	if op == Not {
		for i, b := range out {
			out[i] = ^b
		}
	}
	return out
}

// apply combines s into out under op (And, Or or Xor), s padded with zeros.
func apply(op BitOp, out, s []byte) {
	switch op {
	case And:
		for i, b := range s {
			out[i] &= b
		}
		clear(out[len(s):])
	case Or:
		for i, b := range s {
			out[i] |= b
		}
	case Xor:
		for i, b := range s {
			out[i] ^= b
		}
	}
}
