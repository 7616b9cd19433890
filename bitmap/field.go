package bitmap

import "bytes"

// Overflow is BITFIELD's policy for a SET or INCRBY whose result does not
// fit its field's type.
type Overflow int

// The OVERFLOW policies; Wrap is in force until an OVERFLOW subcommand.
const (
	// Wrap keeps the result's low bits (two's complement for signed types).
	Wrap Overflow = iota
	// Sat clamps the result to the type's minimum or maximum.
	Sat
	// Fail writes nothing and answers a null for that subcommand.
	Fail
)

// fieldKind is a BITFIELD subcommand that addresses a field.
type fieldKind int

const (
	fieldGet fieldKind = iota
	fieldSet
	fieldIncr
)

// fieldType is a BITFIELD type: iN (signed, 1 <= N <= 64) or uN (unsigned,
// 1 <= N <= 63; u64 is refused because its values may not fit a reply's
// signed 64-bit integer).
type fieldType struct {
	signed bool
	width  uint
}

// fieldOp is one GET, SET or INCRBY.
type fieldOp struct {
	kind     fieldKind
	typ      fieldType
	offset   int64    // in bits; "#n" is already n*width
	arg      int64    // SET's value or INCRBY's increment
	overflow Overflow // the policy in force where the subcommand was given
}

// FieldOps is a parsed BITFIELD or BITFIELD_RO: its GET, SET and INCRBY
// subcommands in order, each with the OVERFLOW policy in force for it.
type FieldOps struct {
	ops []fieldOp
	// size is the length in bytes the value must have for the writes to
	// land inside it; 0 when there are no writes.
	size int64
}

// ParseBitField parses BITFIELD key [GET type offset] [SET type offset value]
// [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ..., or BITFIELD_RO
// if readOnly; args are those after the key.
//
// Redis parses every subcommand before it looks the key up, left to right:
// an unknown subcommand or one missing arguments is ErrSyntax, an unknown
// policy ErrOverflowType, then for each field its type (ErrFieldType), its
// offset (ErrBitOffset; "#n" means n times the width) and SET's value or
// INCRBY's increment (ErrNotInteger). Then, still before the lookup,
// BITFIELD_RO with a SET or INCRBY is ErrReadOnlyField. After the lookup a
// key holding another type is WRONGTYPE, even with no subcommands; then Run.
func ParseBitField(args [][]byte, readOnly bool, maxBytes int64) (FieldOps, error) {
	var f FieldOps
	policy := Wrap
	for i := 0; i < len(args); {
		rest := len(args) - i - 1
		var kind fieldKind
		switch sub := args[i]; {
		case keyword(sub, "get") && rest >= 2:
			kind = fieldGet
		case keyword(sub, "set") && rest >= 3:
			kind = fieldSet
		case keyword(sub, "incrby") && rest >= 3:
			kind = fieldIncr
		case keyword(sub, "overflow") && rest >= 1:
			var err error
			if policy, err = parseOverflow(args[i+1]); err != nil {
				return FieldOps{}, err
			}
			i += 2
			continue
		default:
			return FieldOps{}, ErrSyntax
		}
		op, err := parseFieldOp(kind, args[i+1:], policy, maxBytes)
		if err != nil {
			return FieldOps{}, err
		}
		f.ops = append(f.ops, op)
		if kind == fieldGet {
			i += 3
			continue
		}
		f.size = max(f.size, op.offset/8+(op.offset%8+int64(op.typ.width)-1)/8+1)
		i += 4
	}
	if readOnly && f.Writes() {
		return FieldOps{}, ErrReadOnlyField
	}
	return f, nil
}

// parseOverflow parses OVERFLOW's policy.
func parseOverflow(arg []byte) (Overflow, error) {
	switch {
	case keyword(arg, "wrap"):
		return Wrap, nil
	case keyword(arg, "sat"):
		return Sat, nil
	case keyword(arg, "fail"):
		return Fail, nil
	}
	return 0, ErrOverflowType
}

// parseFieldOp parses a subcommand's type, offset and, but for GET, value;
// args start at the type.
func parseFieldOp(kind fieldKind, args [][]byte, policy Overflow, maxBytes int64) (fieldOp, error) {
	op := fieldOp{kind: kind, overflow: policy}
	var err error
	if op.typ, err = parseFieldType(args[0]); err != nil {
		return fieldOp{}, err
	}
	if op.offset, err = parseOffset(args[1], maxBytes, int(op.typ.width)); err != nil {
		return fieldOp{}, err
	}
	if kind != fieldGet {
		var ok bool
		if op.arg, ok = parseInt(args[2]); !ok {
			return fieldOp{}, ErrNotInteger
		}
	}
	return op, nil
}

// parseFieldType parses a type such as i16 or u8. Redis reads the width as a
// C string, so it ends at a NUL byte ("u8\x00x" is u8).
func parseFieldType(arg []byte) (fieldType, error) {
	if len(arg) == 0 || (arg[0] != 'i' && arg[0] != 'u') {
		return fieldType{}, ErrFieldType
	}
	t := fieldType{signed: arg[0] == 'i'}
	digits := arg[1:]
	if i := bytes.IndexByte(digits, 0); i >= 0 {
		digits = digits[:i]
	}
	limit := int64(63)
	if t.signed {
		limit = 64
	}
	n, ok := parseInt(digits)
	if !ok || n < 1 || n > limit {
		return fieldType{}, ErrFieldType
	}
	t.width = uint(n)
	return t, nil
}

// Writes reports whether f has a SET or INCRBY. If it does, the caller looks
// the key up for writing and stores Run's value, even when OVERFLOW FAIL
// refused every write: Redis creates or pads the string before it runs the
// subcommands. If it does not, the command only reads, and a missing key
// stays missing.
func (f FieldOps) Writes() bool { return f.size > 0 }

// Run applies the subcommands in order to v (a missing key is a nil v).
// results[i] is the i-th reply: GET's value, SET's old value, INCRBY's new
// value, or nil (a null reply) for a SET or INCRBY that OVERFLOW FAIL refused.
// With writes, newValue is v padded with zero bytes to cover the furthest
// field written (which may end up to 8 bytes past the maximum size, as in
// Redis) and then written; without, it is v itself.
func (f FieldOps) Run(v []byte) (newValue []byte, results []*int64) {
	if f.Writes() {
		v = grown(v, f.size)
	}
	results = make([]*int64, len(f.ops))
	for i, op := range f.ops {
		results[i] = op.run(v)
	}
	return v, results
}

// run applies op to v, which is long enough for any write, and returns its
// reply (nil for a refused write).
func (op fieldOp) run(v []byte) *int64 {
	old := op.typ.get(v, op.offset)
	if op.kind == fieldGet {
		return &old
	}
	value, incr := op.arg, int64(0) // SET: the value must fit as is
	if op.kind == fieldIncr {
		value, incr = old, op.arg
	}
	result, overflowed := op.typ.add(value, incr, op.overflow)
	if overflowed && op.overflow == Fail {
		return nil
	}
	op.typ.set(v, op.offset, result)
	if op.kind == fieldSet {
		return &old
	}
	return &result
}

// get reads the field at offset of v, zero past v's end.
func (t fieldType) get(v []byte, offset int64) int64 {
	var u uint64
	for i := range int64(t.width) {
		u = u<<1 | uint64(GetBit(v, offset+i))
	}
	if t.signed {
		return signExtend(u, t.width)
	}
	return int64(u)
}

// set writes x's low width bits at offset of v, which is long enough.
func (t fieldType) set(v []byte, offset int64, x int64) {
	for i := range int64(t.width) {
		mask := byte(0x80) >> ((offset + i) % 8)
		if uint64(x)>>(int64(t.width)-1-i)&1 == 1 {
			v[(offset+i)/8] |= mask
		} else {
			v[(offset+i)/8] &^= mask
		}
	}
}

// add returns value+incr as a field of type t holds it under policy p, and
// whether the exact sum falls outside the type's range. A SET passes its
// value with incr 0, so that an out-of-range value overflows too. An
// unsigned type reads value as unsigned: a negative SET value is a huge
// one, which saturates to the maximum.
func (t fieldType) add(value, incr int64, p Overflow) (int64, bool) {
	if t.signed {
		return t.addSigned(value, incr, p)
	}
	return t.addUnsigned(uint64(value), incr, p)
}

// addSigned is add for a signed type, following Redis's
// checkSignedBitfieldOverflow.
func (t fieldType) addSigned(value, incr int64, p Overflow) (int64, bool) {
	hi := int64(uint64(1)<<(t.width-1) - 1)
	lo := -hi - 1
	// Redis's room left above and below value, with its wrapping
	// arithmetic. Exact for a value in range (INCRBY's old value); a SET
	// value far below the range (by more than 2^63-2^(width-1)) makes
	// maxIncr wrap negative, and Redis then sees an overflow above, which
	// SAT clamps to the maximum.
	maxIncr := int64(uint64(hi) - uint64(value))
	minIncr := int64(uint64(lo) - uint64(value))
	// At width 64 those wrap for a value of the other sign than incr, so
	// Redis compares only when they share one (the sum of opposite signs
	// cannot overflow).
	wide := t.width == 64
	above := value > hi || !wide && incr > maxIncr || value >= 0 && incr > 0 && incr > maxIncr
	below := !above && (value < lo || !wide && incr < minIncr || value < 0 && incr < 0 && incr < minIncr)
	switch {
	case !above && !below:
		return value + incr, false
	case p == Sat && above:
		return hi, true
	case p == Sat:
		return lo, true
	}
	return signExtend(uint64(value)+uint64(incr), t.width), true
}

// addUnsigned is add for an unsigned type, following Redis's
// checkUnsignedBitfieldOverflow. Its comparisons are exact: value is in
// range but for a SET, whose incr is 0.
func (t fieldType) addUnsigned(value uint64, incr int64, p Overflow) (int64, bool) {
	hi := uint64(1)<<t.width - 1
	above := value > hi || incr > 0 && uint64(incr) > hi-value
	below := !above && incr < 0 && -uint64(incr) > value
	switch {
	case !above && !below:
		return int64(value + uint64(incr)), false
	case p == Sat && above:
		return int64(hi), true
	case p == Sat:
		return 0, true
	}
	return int64((value + uint64(incr)) & hi), true
}

// signExtend reads u's low width bits as a two's complement integer.
func signExtend(u uint64, width uint) int64 {
	shift := 64 - width
	return int64(u<<shift) >> shift
}
