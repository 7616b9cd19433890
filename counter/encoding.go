package counter

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// Binary format, version 1, written and read with package wire. Integers are
// unsigned varints unless noted.
//
//	state := formatV1 baseDot baseTime:8 bytes big-endian flags:1 byte base count entry*
//	baseDot := node:8 bytes big-endian epoch counter
//	base  := float64 bits:8 bytes big-endian  if flags&baseIsFloat, else zigzag varint
//	entry := node:8 bytes big-endian epoch seq flags:1 byte int:zigzag varint
//	         [float64 bits:8 bytes big-endian  if flags&hasFloat]
const formatV1 = 1

const (
	flagBaseIsFloat = 1 << 0
	flagHasFloat    = 1 << 0
	minEntrySize    = 8 + 1 + 1 + 1 + 1
)

func malformed(what string) error { return fmt.Errorf("%w: %s", ErrMalformed, what) }

func appendActor(buf []byte, a version.Actor) []byte {
	buf = wire.AppendUint64(buf, a.Node)
	return wire.AppendUvarint(buf, uint64(a.Epoch))
}

// AppendBinary appends the binary form of s to buf and returns the result.
func (s State) AppendBinary(buf []byte) []byte {
	buf = slices.Grow(buf, 48+len(s.Entries)*40)
	buf = append(buf, formatV1)
	buf = appendActor(buf, s.BaseDot.Actor)
	buf = wire.AppendUvarint(buf, s.BaseDot.Counter)
	buf = wire.AppendUint64(buf, uint64(s.BaseTime))
	if s.BaseIsFloat {
		buf = wire.AppendByte(buf, flagBaseIsFloat)
		buf = wire.AppendUint64(buf, math.Float64bits(s.BaseFloat))
	} else {
		buf = wire.AppendByte(buf, 0)
		buf = wire.AppendVarint(buf, s.BaseInt)
	}
	buf = wire.AppendUvarint(buf, uint64(len(s.Entries)))
	for _, e := range s.Entries {
		buf = appendActor(buf, e.Actor)
		buf = wire.AppendUvarint(buf, e.Seq)
		if e.HasFloat {
			buf = wire.AppendByte(buf, flagHasFloat)
		} else {
			buf = wire.AppendByte(buf, 0)
		}
		buf = wire.AppendVarint(buf, e.Int)
		if e.HasFloat {
			buf = wire.AppendUint64(buf, math.Float64bits(e.Float))
		}
	}
	return buf
}

// readFloat reads a float64's bits, refusing NaN.
func readFloat(r *wire.Reader, what string) float64 {
	f := math.Float64frombits(r.Uint64())
	if math.IsNaN(f) {
		r.Fail(malformed(what + " is NaN"))
		return 0
	}
	return f
}

func readActor(r *wire.Reader, what string) version.Actor {
	node := r.Uint64()
	epoch := r.Uvarint()
	if epoch > math.MaxUint32 {
		r.Fail(malformed(what + " epoch out of range"))
		return version.Actor{}
	}
	return version.Actor{Node: node, Epoch: uint32(epoch)}
}

// decodeErr is err as a decoding error: it wraps ErrMalformed.
func decodeErr(err error) error {
	if errors.Is(err, ErrMalformed) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrMalformed, err)
}

// Decode decodes a state written by State.AppendBinary. It never panics and
// rejects malformed input and states that violate the State invariant.
func Decode(b []byte) (State, error) {
	r := wire.NewReader(b)
	if r.Byte() != formatV1 && r.Err() == nil {
		r.Fail(malformed("unknown format version"))
	}
	var s State
	s.BaseDot.Actor = readActor(&r, "base actor")
	s.BaseDot.Counter = r.Uvarint()
	s.BaseTime = int64(r.Uint64())
	switch r.Byte() {
	case 0:
		s.BaseInt = r.Varint()
	case flagBaseIsFloat:
		s.BaseIsFloat = true
		s.BaseFloat = readFloat(&r, "base float")
	default:
		r.Fail(malformed("unknown base flags"))
	}
	n := r.Count(minEntrySize)
	if err := r.Err(); err != nil {
		return State{}, decodeErr(err)
	}
	if n > 0 {
		s.Entries = make([]Entry, n)
	}
	for i := range s.Entries {
		e := &s.Entries[i]
		e.Actor = readActor(&r, "entry actor")
		e.Seq = r.Uvarint()
		switch r.Byte() {
		case 0:
			e.Int = r.Varint()
		case flagHasFloat:
			e.HasFloat = true
			e.Int = r.Varint()
			e.Float = readFloat(&r, "entry float")
		default:
			r.Fail(malformed("unknown entry flags"))
		}
		if err := r.Err(); err != nil {
			return State{}, decodeErr(err)
		}
		if i > 0 && s.Entries[i-1].Actor.Compare(e.Actor) >= 0 {
			return State{}, malformed("entries not strictly sorted by actor")
		}
	}
	if err := r.Done(); err != nil {
		return State{}, decodeErr(err)
	}
	return s, nil
}
