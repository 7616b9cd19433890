package hll

import "errors"

// ErrNotHLL is returned by Decode for a string that is not a HyperLogLog
// Redis would accept: wrong magic or encoding, a dense form of the wrong
// length, or a sparse form that does not cover exactly Registers.
var ErrNotHLL = errors.New("hll: not a valid HyperLogLog string")

// Redis's string forms. Both start with a 16-byte header:
//
//	"HYLL" | encoding (1 byte) | 3 unused bytes | cached count (8 bytes, LE)
//
// The top bit of the cached count's last byte set means "stale": PFADD
// sets it on a change and PFCOUNT recomputes and stores the count.
const (
	magic          = "HYLL"
	headerLen      = 16
	encodingDense  = 0
	encodingSparse = 1
	// staleCache, in the header's last byte, marks the cached count stale.
	staleCache = 0x80
	// denseLen is the exact length Redis requires of the dense form: the
	// header, then the registers packed 6 bits each.
	denseLen = headerLen + Registers*6/8
)

// The sparse form is a run-length encoding of the registers with three
// opcodes:
//
//	ZERO  00xxxxxx           xxxxxx+1 registers (1..64) are 0
//	XZERO 01xxxxxx yyyyyyyy  xxxxxxyyyyyyyy+1 registers (1..16384) are 0
//	VAL   1vvvvvxx           xx+1 registers (1..4) are vvvvv+1 (1..32)
const (
	opXZero      = 0x40
	opVal        = 0x80
	zeroMaxRun   = 64
	valMaxRun    = 4
	valMaxValue  = 32
	sparseMaxLen = 3000 // Redis's default hll-sparse-max-bytes, header included
)

// IsHLL reports whether b starts with a HyperLogLog header (16 bytes, the
// first four "HYLL"). It is the cheap check a command makes before paying
// for Decode; it does not validate the encoding or the registers.
func IsHLL(b []byte) bool {
	return len(b) >= headerLen && string(b[:len(magic)]) == magic
}

// Decode parses a HyperLogLog string in either of Redis's forms, dense or
// sparse, such as GET returns for a key PFADD wrote. It accepts what
// Redis's PFCOUNT of a single key accepts, except a sparse form whose last
// byte is the first half of an XZERO, which Redis reads past its end.
// (Redis's PFMERGE and multi-key PFCOUNT are laxer still: they ignore
// whatever follows a VAL that would pass the last register.) The cached
// count is ignored: Count recomputes it.
func Decode(b []byte) (*Sketch, error) {
	if !IsHLL(b) {
		return nil, ErrNotHLL
	}
	s := new(Sketch)
	switch b[len(magic)] {
	case encodingDense:
		if len(b) != denseLen {
			return nil, ErrNotHLL
		}
		unpackDense(&s.Reg, b[headerLen:])
	case encodingSparse:
		if !decodeSparse(&s.Reg, b[headerLen:]) {
			return nil, ErrNotHLL
		}
	default:
		return nil, ErrNotHLL
	}
	return s, nil
}

// Encode returns the dense form byte for byte as Redis stores it after a
// PFADD that changed the key (or PFDEBUG TODENSE of such a key): unused
// bytes zero, cached count zero and marked stale. Redis keeps a stale
// count's old low bytes, so a key PFCOUNT read before its last change
// differs from this in header bytes 8..14 only.
func (s *Sketch) Encode() []byte {
	b := make([]byte, headerLen, denseLen)
	putHeader(b, encodingDense)
	return appendDense(b, &s.Reg)
}

// EncodeSparse returns the sparse form Redis holds for these registers,
// with the header Encode writes, and false if Redis would hold them dense:
// when a register is above 32, which VAL cannot say, or when the form
// would be longer than 3000 bytes (hll-sparse-max-bytes).
//
// Every run of zeros is one opcode, ZERO up to 64 registers and XZERO
// above, which is the only way Redis writes zeros. Runs of an equal
// non-zero value are split in VALs of 4 from the left; Redis merges
// neighbouring VALs as it goes, which gives this when registers are set
// from left to right, as PFMERGE does, and whenever runs are at most 4
// long, as they all but always are while a sketch is small enough to be
// sparse. A longer run set in another order may be split otherwise by
// Redis, and near 3000 bytes whether Redis already went dense depends on
// the order of the adds too.
func (s *Sketch) EncodeSparse() ([]byte, bool) {
	b := make([]byte, headerLen, sparseMaxLen)
	putHeader(b, encodingSparse)
	for i := 0; i < Registers; {
		v := s.Reg[i]
		if v > valMaxValue {
			return nil, false
		}
		run := 1
		for i+run < Registers && s.Reg[i+run] == v {
			run++
		}
		if v == 0 {
			b = appendZeros(b, run)
		} else {
			b = appendValues(b, v, run)
		}
		if len(b) > sparseMaxLen {
			return nil, false
		}
		i += run
	}
	return b, true
}

// putHeader writes the header of an HLL that PFADD just changed into b[:16].
func putHeader(b []byte, encoding byte) {
	copy(b, magic)
	b[4] = encoding
	clear(b[5:headerLen])
	b[headerLen-1] = staleCache
}

// appendDense packs the registers 6 bits each, starting at the least
// significant bit of each byte: register i occupies bits 6i..6i+5 of the
// little-endian bit stream, so every 4 registers fill 3 bytes.
func appendDense(b []byte, reg *[Registers]uint8) []byte {
	for i := 0; i < Registers; i += 4 {
		r0, r1, r2, r3 := reg[i]&63, reg[i+1]&63, reg[i+2]&63, reg[i+3]&63
		b = append(b, r0|r1<<6, r1>>2|r2<<4, r2>>4|r3<<2)
	}
	return b
}

// unpackDense is the inverse of appendDense; packed holds exactly
// Registers*6/8 bytes.
func unpackDense(reg *[Registers]uint8, packed []byte) {
	for i, j := 0, 0; i < Registers; i, j = i+4, j+3 {
		b0, b1, b2 := packed[j], packed[j+1], packed[j+2]
		reg[i] = b0 & 63
		reg[i+1] = (b0>>6 | b1<<2) & 63
		reg[i+2] = (b1>>4 | b2<<4) & 63
		reg[i+3] = b2 >> 2
	}
}

// decodeSparse sets reg from a sparse body and reports whether the body is
// valid: whole opcodes covering exactly Registers registers. reg must be
// all zero on entry, since zero runs are skipped.
func decodeSparse(reg *[Registers]uint8, body []byte) bool {
	i := 0
	for len(body) > 0 {
		run, value, width := readOp(body)
		if width == 0 || run > Registers-i {
			return false
		}
		for end := i + run; i < end; i++ {
			reg[i] = value
		}
		body = body[width:]
	}
	return i == Registers
}

// readOp decodes the opcode at the start of body: how many registers it
// covers, their value, and its width in bytes, 0 if body is too short to
// hold it.
func readOp(body []byte) (run int, value uint8, width int) {
	op := body[0]
	switch {
	case op&opVal != 0:
		return int(op&3) + 1, op>>2&31 + 1, 1
	case op&opXZero != 0:
		if len(body) < 2 {
			return 0, 0, 0
		}
		return int(op&63)<<8 | int(body[1]) + 1, 0, 2
	default:
		return int(op&63) + 1, 0, 1
	}
}

// appendZeros appends one opcode for a run of 1..Registers zero
// registers: ZERO if it fits, XZERO otherwise.
func appendZeros(b []byte, run int) []byte {
	if run <= zeroMaxRun {
		return append(b, byte(run-1))
	}
	return append(b, opXZero|byte((run-1)>>8), byte(run-1))
}

// appendValues appends VAL opcodes for a run of registers all equal to v
// (1..32), as many registers per opcode as VAL holds, from the left.
func appendValues(b []byte, v uint8, run int) []byte {
	for run > 0 {
		n := min(run, valMaxRun)
		b = append(b, opVal|(v-1)<<2|byte(n-1))
		run -= n
	}
	return b
}
