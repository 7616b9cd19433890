package counter

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/dynago/dynago/version"
)

// Binary format, version 1. Integers are unsigned varints unless noted.
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
	buf = binary.BigEndian.AppendUint64(buf, a.Node)
	return binary.AppendUvarint(buf, uint64(a.Epoch))
}

// AppendBinary appends the binary form of s to buf and returns the result.
func (s State) AppendBinary(buf []byte) []byte {
	buf = slices.Grow(buf, 48+len(s.Entries)*40)
	buf = append(buf, formatV1)
	buf = appendActor(buf, s.BaseDot.Actor)
	buf = binary.AppendUvarint(buf, s.BaseDot.Counter)
	buf = binary.BigEndian.AppendUint64(buf, uint64(s.BaseTime))
	if s.BaseIsFloat {
		buf = append(buf, flagBaseIsFloat)
		buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(s.BaseFloat))
	} else {
		buf = append(buf, 0)
		buf = binary.AppendVarint(buf, s.BaseInt)
	}
	buf = binary.AppendUvarint(buf, uint64(len(s.Entries)))
	for _, e := range s.Entries {
		buf = appendActor(buf, e.Actor)
		buf = binary.AppendUvarint(buf, e.Seq)
		if e.HasFloat {
			buf = append(buf, flagHasFloat)
		} else {
			buf = append(buf, 0)
		}
		buf = binary.AppendVarint(buf, e.Int)
		if e.HasFloat {
			buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(e.Float))
		}
	}
	return buf
}

// decoder reads from b, remembering the first error; after an error every
// read returns zero.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = malformed(what)
	}
	d.b = nil
}

func (d *decoder) uvarint(what string) uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint(what string) int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) fixed64(what string) uint64 {
	if len(d.b) < 8 {
		d.fail(what)
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) byte(what string) byte {
	if len(d.b) < 1 {
		d.fail(what)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) float(what string) float64 {
	f := math.Float64frombits(d.fixed64(what))
	if math.IsNaN(f) {
		d.fail(what + " is NaN")
		return 0
	}
	return f
}

func (d *decoder) actor(what string) version.Actor {
	node := d.fixed64(what)
	epoch := d.uvarint(what)
	if epoch > math.MaxUint32 {
		d.fail(what + " epoch out of range")
		return version.Actor{}
	}
	return version.Actor{Node: node, Epoch: uint32(epoch)}
}

// Decode decodes a state written by State.AppendBinary. It never panics and
// rejects malformed input and states that violate the State invariant.
func Decode(b []byte) (State, error) {
	d := decoder{b: b}
	if d.byte("format version") != formatV1 && d.err == nil {
		d.fail("unknown format version")
	}
	var s State
	s.BaseDot.Actor = d.actor("base actor")
	s.BaseDot.Counter = d.uvarint("base counter")
	s.BaseTime = int64(d.fixed64("base time"))
	switch d.byte("base flags") {
	case 0:
		s.BaseInt = d.varint("base int")
	case flagBaseIsFloat:
		s.BaseIsFloat = true
		s.BaseFloat = d.float("base float")
	default:
		d.fail("unknown base flags")
	}
	n := d.uvarint("entry count")
	if d.err == nil && n > uint64(len(d.b)/minEntrySize) {
		d.fail("entry count")
	}
	if d.err != nil {
		return State{}, d.err
	}
	if n > 0 {
		s.Entries = make([]Entry, n)
	}
	for i := range s.Entries {
		e := &s.Entries[i]
		e.Actor = d.actor("entry actor")
		e.Seq = d.uvarint("entry seq")
		switch d.byte("entry flags") {
		case 0:
			e.Int = d.varint("entry int")
		case flagHasFloat:
			e.HasFloat = true
			e.Int = d.varint("entry int")
			e.Float = d.float("entry float")
		default:
			d.fail("unknown entry flags")
		}
		if d.err != nil {
			return State{}, d.err
		}
		if i > 0 && s.Entries[i-1].Actor.Compare(e.Actor) >= 0 {
			return State{}, malformed("entries not strictly sorted by actor")
		}
	}
	if len(d.b) != 0 {
		return State{}, malformed("trailing bytes")
	}
	return s, nil
}
