package bitmap

import (
	"encoding/binary"
	"math/bits"
)

// span is a BITCOUNT or BITPOS range as given: start and end in bytes, or in
// bits with BIT, negative counting from the end; whole means no range.
type span struct {
	whole      bool
	start, end int64
	inBits     bool
}

// bitRange resolves s over a value of n bytes the way Redis does (negative
// indexes from the end, then clamped into the value) and returns the
// inclusive range of bit positions it covers, or ok false if it is empty.
func (s span) bitRange(n int64) (lo, hi int64, ok bool) {
	if s.whole {
		return 0, n*8 - 1, n > 0
	}
	total := n
	if s.inBits {
		total = n * 8
	}
	start, end := s.start, s.end
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), min(max(end, 0), total-1)
	if start > end {
		return 0, 0, false
	}
	if s.inBits {
		return start, end, true
	}
	return start * 8, end*8 + 7, true
}

// parseUnit parses BITCOUNT's and BITPOS's optional last argument.
func parseUnit(arg []byte) (inBits bool, err error) {
	switch {
	case keyword(arg, "bit"):
		return true, nil
	case keyword(arg, "byte"):
		return false, nil
	}
	return false, ErrSyntax
}

// CountArgs is a parsed BITCOUNT.
type CountArgs struct {
	span span
	// zero is Redis's shortcut for a start and an end both negative with
	// start > end: the answer is 0, whatever the unit argument says.
	zero bool
	err  error // the arguments' error, which Redis reports only for a string
}

// ParseBitCount parses BITCOUNT key [start end [BYTE|BIT]]; args are those
// after the key.
//
// Redis looks the key up before it reads any argument: a missing key answers
// 0 and a wrong type WRONGTYPE whatever the arguments are. So parsing cannot
// fail here; an error in the arguments is kept and Count returns it for an
// existing string. Redis's order, all after the lookup: start, end (each
// ErrNotInteger), then the unit (ErrSyntax) unless start and end are both
// negative with start > end (answer 0); a start without an end, or more than
// three arguments, is ErrSyntax.
func ParseBitCount(args [][]byte) CountArgs {
	switch len(args) {
	case 0:
		return CountArgs{span: span{whole: true}}
	case 2, 3:
	default:
		return CountArgs{err: ErrSyntax}
	}
	start, ok1 := parseInt(args[0])
	end, ok2 := parseInt(args[1])
	if !ok1 || !ok2 {
		return CountArgs{err: ErrNotInteger}
	}
	if start < 0 && end < 0 && start > end {
		return CountArgs{zero: true}
	}
	a := CountArgs{span: span{start: start, end: end}}
	if len(args) == 3 {
		a.span.inBits, a.err = parseUnit(args[2])
	}
	return a
}

// Count answers BITCOUNT over v: the number of set bits in the range. exists
// says whether the key exists (as a string: the caller answers WRONGTYPE
// first); a missing key counts 0.
func Count(v []byte, exists bool, a CountArgs) (int64, error) {
	switch {
	case !exists || a.zero:
		return 0, nil
	case a.err != nil:
		return 0, a.err
	}
	lo, hi, ok := a.span.bitRange(int64(len(v)))
	if !ok {
		return 0, nil
	}
	return countOnes(v, lo, hi), nil
}

// PosArgs is a parsed BITPOS.
type PosArgs struct {
	bit      int
	span     span
	endGiven bool  // an explicit end: a clear bit is never looked for past it
	err      error // the range's error, which Redis reports only for a string
}

// ParseBitPos parses BITPOS key bit [start [end [BYTE|BIT]]]; args are those
// after the key.
//
// Redis checks the bit before it looks the key up (ErrNotInteger, then
// ErrBitArg for an integer other than 0 or 1), and this is the only error
// ParseBitPos returns. It reads the range only after the lookup, so for a
// missing key the answer is the missing key's whatever the range says; an
// error in the range is kept and Pos returns it for an existing string.
// Redis's order there: start (ErrNotInteger), the unit (ErrSyntax), end
// (ErrNotInteger); more than three arguments after the bit is ErrSyntax.
func ParseBitPos(args [][]byte) (PosArgs, error) {
	if len(args) == 0 {
		return PosArgs{}, ErrSyntax
	}
	bit, ok := parseInt(args[0])
	if !ok {
		return PosArgs{}, ErrNotInteger
	}
	if bit != 0 && bit != 1 {
		return PosArgs{}, ErrBitArg
	}
	a := PosArgs{bit: int(bit)}
	a.span, a.endGiven, a.err = parsePosRange(args[1:])
	return a, nil
}

// parsePosRange parses BITPOS's optional [start [end [BYTE|BIT]]].
func parsePosRange(args [][]byte) (s span, endGiven bool, err error) {
	if len(args) == 0 {
		return span{whole: true}, false, nil
	}
	if len(args) > 3 {
		return span{}, false, ErrSyntax
	}
	start, ok := parseInt(args[0])
	if !ok {
		return span{}, false, ErrNotInteger
	}
	s = span{start: start, end: -1}
	if len(args) == 3 {
		if s.inBits, err = parseUnit(args[2]); err != nil {
			return span{}, false, err
		}
	}
	if len(args) >= 2 {
		if s.end, ok = parseInt(args[1]); !ok {
			return span{}, false, ErrNotInteger
		}
	}
	return s, len(args) >= 2, nil
}

// Pos answers BITPOS over v: the position of the first bit equal to the bit
// asked for within the range, or -1. exists says whether the key exists (as a
// string: the caller answers WRONGTYPE first).
//
// Redis's special cases: a missing key is an endless run of clear bits, so it
// answers -1 for a set bit and 0 for a clear one; an empty range (an empty
// string included) answers -1; and a clear bit not found within a range with
// no explicit end is found just past the string's end, since the string reads
// as padded with clear bits.
func Pos(v []byte, exists bool, a PosArgs) (int64, error) {
	if !exists {
		return int64(-a.bit), nil
	}
	if a.err != nil {
		return 0, a.err
	}
	lo, hi, ok := a.span.bitRange(int64(len(v)))
	if !ok {
		return -1, nil
	}
	if p := findBit(v, lo, hi, a.bit); p >= 0 || a.bit == 1 || a.endGiven {
		return p, nil
	}
	return int64(len(v)) * 8, nil
}

// countOnes counts the set bits at positions lo..hi (inclusive) of v.
func countOnes(v []byte, lo, hi int64) int64 {
	first, last := lo/8, hi/8
	if first == last {
		return int64(bits.OnesCount8(v[first] & edgeMask(lo, hi)))
	}
	n := bits.OnesCount8(v[first]&edgeMask(lo, first*8+7)) + bits.OnesCount8(v[last]&edgeMask(last*8, hi))
	mid := v[first+1 : last]
	for len(mid) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(mid))
		mid = mid[8:]
	}
	for _, b := range mid {
		n += bits.OnesCount8(b)
	}
	return int64(n)
}

// findBit returns the first position in lo..hi (inclusive) where v's bit
// equals bit, or -1.
func findBit(v []byte, lo, hi int64, bit int) int64 {
	var flip byte // turns the bit looked for into a set bit
	if bit == 0 {
		flip = 0xff
	}
	first, last := lo/8, hi/8
	for i := first; i <= last; i++ {
		if i > first && i < last {
			i = skipWords(v, i, last, flip)
		}
		mask := byte(0xff)
		if i == first || i == last {
			mask = edgeMask(max(lo, i*8), min(hi, i*8+7))
		}
		if b := (v[i] ^ flip) & mask; b != 0 {
			return i*8 + int64(bits.LeadingZeros8(b))
		}
	}
	return -1
}

// skipWords returns the first index from i, and before end, of an 8-byte
// word of v that is not all flip bytes (one with no bit looked for), or the
// index where such words stop fitting.
func skipWords(v []byte, i, end int64, flip byte) int64 {
	none := uint64(flip) * 0x0101010101010101
	for i+8 <= end && binary.LittleEndian.Uint64(v[i:]) == none {
		i += 8
	}
	return i
}

// edgeMask selects, within one byte, the bits at positions lo..hi of the
// bitmap (both in the same byte).
func edgeMask(lo, hi int64) byte {
	return (byte(0xff) >> (lo % 8)) & (byte(0xff) << (7 - hi%8))
}
