// Package wire owns the byte-level encoding of Dynago's binary formats: the
// payloads of internode messages, and the forms stored on disk
// (version.Object, counter.State). Every package writes its format with the
// Append functions here and reads it back with a Reader, instead of a
// decoder of its own.
//
// The building blocks, all standard:
//
//   - unsigned varints (encoding/binary's Uvarint) and zigzag varints
//     (Varint);
//   - fixed-width integers, big-endian (Uint64, Uint32) or little-endian
//     where a format chose that (Uint64LE, Uint16LE);
//   - byte strings prefixed with their length as an unsigned varint (Bytes,
//     String);
//   - single bytes and booleans (one byte, 0 or 1).
//
// What the blocks make up — field order, tags, versions — belongs to each
// format's package; wire knows nothing of keys or versions and imports
// nothing of Dynago.
//
// A Reader keeps the first error it meets (a sticky error): every read after
// it returns a zero value, so a decoder reads a whole message and checks
// Err (or Done) once. Input comes off the network or a disk and may be
// anything: no read panics, and a length or count is checked against the
// input left before anything is allocated, so a few corrupt bytes claiming
// gigabytes cost nothing.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MaxVarintLen is the most bytes a varint of 64 bits takes.
const MaxVarintLen = binary.MaxVarintLen64

// ErrMalformed is wrapped by every error a Reader records itself. (Errors a
// decoder records with Fail are its own.)
var ErrMalformed = errors.New("wire: malformed input")

// AppendUvarint appends v as an unsigned varint.
func AppendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// AppendVarint appends v as a zigzag varint.
func AppendVarint(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

// AppendByte appends one byte.
func AppendByte(b []byte, v byte) []byte { return append(b, v) }

// AppendBool appends 1 for true, 0 for false.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendUint64 appends v as 8 bytes, big-endian.
func AppendUint64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// AppendUint32 appends v as 4 bytes, big-endian.
func AppendUint32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// AppendUint64LE appends v as 8 bytes, little-endian.
func AppendUint64LE(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

// AppendUint16LE appends v as 2 bytes, little-endian.
func AppendUint16LE(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }

// AppendBytes appends p prefixed with its length (an unsigned varint).
func AppendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// AppendString appends s prefixed with its length (an unsigned varint).
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Reader reads the blocks of a message in order. The zero Reader reads an
// empty message; NewReader reads b. A Reader is a value: a decoder keeps
// it on its stack.
//
// Invariant: once err is set, b is empty and every read returns a zero
// value.
type Reader struct {
	b   []byte // what is left to read
	n   int    // the message's length, for offsets in errors
	err error  // the first error, or nil
}

// NewReader returns a Reader of b. Byte strings it returns alias b.
func NewReader(b []byte) Reader { return Reader{b: b, n: len(b)} }

// Err is the first error met, or nil.
func (r *Reader) Err() error { return r.err }

// Remaining is the number of bytes left to read (0 after an error).
func (r *Reader) Remaining() int { return len(r.b) }

// Fail records err as the Reader's error unless one is recorded already;
// every read after it returns a zero value. Decoders use it for what wire
// cannot know: a value out of range, an unknown tag.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

// fail records a malformed-input error at the current offset.
func (r *Reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at byte %d", ErrMalformed, fmt.Sprintf(format, args...), r.n-len(r.b))
	}
	r.b = nil
}

// Done is Err, or, when everything read well but bytes are left, an error
// saying so: a message must be read to its end.
func (r *Reader) Done() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.badVarint(n)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Varint reads a zigzag varint.
func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.badVarint(n)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// badVarint records why a varint could not be read (n from
// binary.Uvarint). Out of line, so that the reads stay small enough to
// inline.
//
//go:noinline
func (r *Reader) badVarint(n int) {
	switch {
	case r.err != nil:
	case n == 0:
		r.fail("truncated varint")
	default:
		r.fail("varint overflows 64 bits")
	}
}

// short records that a read of what found too few bytes.
//
//go:noinline
func (r *Reader) short(what string) {
	if r.err == nil {
		r.fail("%s: %d bytes left", what, len(r.b))
	}
}

// take returns the next n bytes, aliasing the input, or nil (recording an
// error) when fewer are left.
func (r *Reader) take(n int, what string) []byte {
	if len(r.b) < n {
		r.short(what)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if len(r.b) < 1 {
		r.short("truncated byte")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// Bool reads a byte that must be 0 (false) or 1 (true).
func (r *Reader) Bool() bool {
	switch r.Byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail("boolean not 0 or 1")
	return false
}

// Uint64 reads 8 bytes, big-endian.
func (r *Reader) Uint64() uint64 {
	if b := r.take(8, "truncated uint64"); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// Uint32 reads 4 bytes, big-endian.
func (r *Reader) Uint32() uint32 {
	if b := r.take(4, "truncated uint32"); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// Uint64LE reads 8 bytes, little-endian.
func (r *Reader) Uint64LE() uint64 {
	if b := r.take(8, "truncated uint64"); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// Uint16LE reads 2 bytes, little-endian.
func (r *Reader) Uint16LE() uint16 {
	if b := r.take(2, "truncated uint16"); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

// length reads an unsigned varint length and checks that that many bytes
// are left.
func (r *Reader) length() int {
	n := r.Uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		r.fail("length %d exceeds the %d bytes left", n, len(r.b))
		return 0
	}
	return int(n)
}

// Bytes reads a length-prefixed byte string. It aliases the input (with
// its capacity cut at its end, so appending to it copies); it is empty, not
// nil, for a length of 0 read without error.
func (r *Reader) Bytes() []byte {
	n := r.length()
	if r.err != nil {
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// String reads a length-prefixed byte string as a string (a copy). (It
// makes *Reader a fmt.Stringer that consumes input: print Remaining or Err,
// never a Reader.)
func (r *Reader) String() string { return string(r.Bytes()) }

// Raw reads the next n bytes, aliasing the input (capacity cut at n).
func (r *Reader) Raw(n int) []byte {
	if n < 0 {
		r.fail("negative length %d", n)
		return nil
	}
	return r.take(n, "truncated")
}

// Rest reads everything left, aliasing the input.
func (r *Reader) Rest() []byte {
	v := r.b
	r.b = r.b[len(r.b):]
	return v
}

// Count reads an unsigned varint count of elements that each take at least
// minSize bytes (minSize >= 1), and checks that that many could fit in what
// is left: the caller may then allocate count elements without a corrupt
// count making it allocate more than the input's size.
func (r *Reader) Count(minSize int) int {
	n := r.Uvarint()
	if r.err == nil && n > uint64(len(r.b)/max(minSize, 1)) {
		r.fail("count %d of %d-byte elements exceeds the %d bytes left", n, minSize, len(r.b))
		return 0
	}
	return int(n)
}
