// Package bitmap owns the logic of Redis 7.0's bit commands (SETBIT, GETBIT,
// BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO) and of LCS, over a string
// value held as a []byte: parsing each command's arguments into Redis's exact
// error texts, and computing the reply and the new value.
//
// It does no I/O and knows no keys. The caller looks the key up, checks its
// type and stores the result. Redis checks some arguments before it looks the
// key up and others only after, so a command with both a bad argument and a
// missing or wrong-type key answers one way or the other; each Parse function
// returns exactly the errors Redis reports before the lookup, and the
// function that runs the command returns the ones Redis reports after it.
// The caller's order is therefore always: Parse (reply its error), look the
// key up (reply WRONGTYPE if it holds another type), run. LCS is the one
// exception, documented on ParseLCS.
//
// Arity, as a command table checks it, is also the caller's: a Parse
// function given too few arguments returns ErrSyntax rather than panicking.
//
// Parsing is deterministic and cheap, so a caller that runs a command where
// the value lives (on a replica, say) can ship the raw arguments and parse
// them again there.
//
// Every function treats its input slices as read-only: a new value never
// shares memory with the old one.
package bitmap

import (
	"bytes"
	"math"
)

// Error is a Redis error reply: its text, without the leading '-', reaches
// the client unchanged.
type Error string

func (e Error) Error() string { return string(e) }

// RedisError is the error's Redis text.
func (e Error) RedisError() string { return string(e) }

// The errors of the commands in this package, in Redis 7.0's words.
const (
	ErrSyntax     = Error("ERR syntax error")
	ErrNotInteger = Error("ERR value is not an integer or out of range")
	// ErrBitOffset: a SETBIT, GETBIT or BITFIELD offset that is not an
	// integer, is negative, or addresses a byte at or past the maximum
	// string size.
	ErrBitOffset = Error("ERR bit offset is not an integer or out of range")
	// ErrBitValue: SETBIT's value is not 0 or 1.
	ErrBitValue = Error("ERR bit is not an integer or out of range")
	// ErrBitArg: BITPOS's bit is an integer other than 0 or 1.
	ErrBitArg = Error("ERR The bit argument must be 1 or 0.")
	// ErrNotSingleSource: BITOP NOT with more than one source key.
	ErrNotSingleSource = Error("ERR BITOP NOT must be called with a single source key.")
	// ErrFieldType: a BITFIELD type other than i1..i64 or u1..u63.
	ErrFieldType = Error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
	// ErrOverflowType: BITFIELD OVERFLOW with other than WRAP, SAT or FAIL.
	ErrOverflowType = Error("ERR Invalid OVERFLOW type specified")
	// ErrReadOnlyField: BITFIELD_RO with a SET or INCRBY.
	ErrReadOnlyField = Error("ERR BITFIELD_RO only supports the GET subcommand")
	// ErrLCSNotString: LCS on a key holding something other than a string
	// (LCS's replacement for WRONGTYPE).
	ErrLCSNotString = Error("ERR The specified keys must contain string values")
	// ErrLCSLenAndIdx: LCS given both LEN and IDX.
	ErrLCSLenAndIdx = Error("ERR If you want both the length and indexes, please just use IDX.")
	// ErrLCSTooLong: an LCS input of 2^32-2 bytes or more.
	ErrLCSTooLong = Error("ERR String too long for LCS")
	// ErrLCSMemory: LCS's table would be larger than the maximum string size.
	ErrLCSMemory = Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
	// ErrLCSAlloc: LCS's table size overflows 64 bits.
	ErrLCSAlloc = Error("ERR Insufficient memory, failed allocating transient memory for LCS")
)

// DefaultMaxBytes is Redis's default proto-max-bulk-len (512MB), the maxBytes
// of Redis itself: a bit offset must address a byte below it.
const DefaultMaxBytes = 512 << 20

// ParseSetBit parses SETBIT key offset value; args are offset and value.
//
// Redis checks both before it looks the key up, the offset first: an offset
// that is not an integer, is negative, or lies at or past maxBytes*8 is
// ErrBitOffset; a value other than 0 or 1 is ErrBitValue. After the lookup
// only WRONGTYPE remains, then SetBit.
func ParseSetBit(args [][]byte, maxBytes int64) (offset int64, bit int, err error) {
	if len(args) != 2 {
		return 0, 0, ErrSyntax
	}
	if offset, err = parseOffset(args[0], maxBytes, 0); err != nil {
		return 0, 0, err
	}
	v, ok := parseInt(args[1])
	if !ok || (v != 0 && v != 1) {
		return 0, 0, ErrBitValue
	}
	return offset, int(v), nil
}

// SetBit sets the bit at offset of v (a missing key is a nil v) and returns
// the new value and the bit's old value. The value grows with zero bytes to
// reach offset, even when the bit set is 0: Redis creates or pads the string
// before it looks at the bit. The caller stores newValue; it equals v (and
// need not be written) when len(newValue) == len(v) and old == bit.
func SetBit(v []byte, offset int64, bit int) (newValue []byte, old int) {
	out := grown(v, offset/8+1)
	old = GetBit(out, offset)
	mask := byte(0x80) >> (offset % 8)
	if bit == 1 {
		out[offset/8] |= mask
	} else {
		out[offset/8] &^= mask
	}
	return out, old
}

// ParseGetBit parses GETBIT key offset; args is the offset.
//
// Redis checks the offset (as SETBIT's) before it looks the key up; after the
// lookup a missing key answers 0, a wrong type WRONGTYPE, and a string GetBit.
func ParseGetBit(args [][]byte, maxBytes int64) (int64, error) {
	if len(args) != 1 {
		return 0, ErrSyntax
	}
	return parseOffset(args[0], maxBytes, 0)
}

// GetBit returns the bit at offset of v, most significant bit of each byte
// first; bits past the end are 0.
func GetBit(v []byte, offset int64) int {
	if offset < 0 || offset/8 >= int64(len(v)) {
		return 0
	}
	return int(v[offset/8]>>(7-offset%8)) & 1
}

// grown returns a copy of v at least n bytes long, padded with zeros.
func grown(v []byte, n int64) []byte {
	out := make([]byte, max(int64(len(v)), n))
	copy(out, v)
	return out
}

// parseOffset parses a bit offset the way Redis's getBitOffsetFromArgument
// does. With width > 0 (BITFIELD) an offset written "#n" means n*width; the
// product wraps around as Redis's C arithmetic does, so a huge n may land on
// a small offset. The offset's byte must lie below maxBytes.
func parseOffset(arg []byte, maxBytes int64, width int) (int64, error) {
	scaled := width > 0 && len(arg) > 0 && arg[0] == '#'
	if scaled {
		arg = arg[1:]
	}
	off, ok := parseInt(arg)
	if !ok {
		return 0, ErrBitOffset
	}
	if scaled {
		off *= int64(width)
	}
	if off < 0 || off>>3 >= maxBytes {
		return 0, ErrBitOffset
	}
	return off, nil
}

// parseInt parses an integer the way Redis's string2ll does: an optional '-',
// digits without a leading zero (but "0" itself), nothing else, within int64.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' || u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case neg && u <= 1<<63:
		return int64(-u), true
	case !neg && u <= math.MaxInt64:
		return int64(u), true
	}
	return 0, false
}

// keyword reports whether arg is word (given in lower case), ignoring ASCII
// case only, the way Redis compares options with strcasecmp: as a C string,
// so that arg ends at its first NUL byte ("bit\x00x" is BIT).
func keyword(arg []byte, word string) bool {
	if i := bytes.IndexByte(arg, 0); i >= 0 {
		arg = arg[:i]
	}
	if len(arg) != len(word) {
		return false
	}
	for i, c := range arg {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != word[i] {
			return false
		}
	}
	return true
}
