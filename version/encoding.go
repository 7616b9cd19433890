package version

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Binary format, version 1. All integers are unsigned varints unless noted.
//
//	clock   := formatV1 table
//	object  := formatV1 table count sibling*
//	table   := count entry*                       (the clock, sorted by actor)
//	entry   := node:8 bytes big-endian  epoch  counter
//	sibling := actorIndex counter time:8 bytes big-endian  expiry:zigzag varint
//	           kind:1 byte  length  value
//
// Node ids are hashes, so a fixed 8 bytes is shorter than their varint; the
// same holds for nanosecond timestamps. Every sibling's dot is covered by the
// clock, so its actor is always in the clock's table and is written as a
// small index into it. Decoders check every invariant of Clock and Object.
const formatV1 = 1

// Minimum encoded sizes, used to bound allocations before reading counts.
const (
	minEntrySize   = 8 + 1 + 1
	minSiblingSize = 1 + 1 + 8 + 1 + 1 + 1
)

// ErrMalformed is wrapped by every decoding error other than ErrInvalidContext.
var ErrMalformed = errors.New("version: malformed encoding")

// ErrInvalidContext is returned by DecodeContext for anything that is not a
// context produced by EncodeContext.
var ErrInvalidContext = errors.New("invalid context")

// contextEncoding rejects base64 with non-zero padding bits, so each context
// has exactly one spelling.
var contextEncoding = base64.StdEncoding.Strict()

func malformed(what string) error { return fmt.Errorf("%w: %s", ErrMalformed, what) }

func appendTable(buf []byte, c Clock) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(c)))
	for _, e := range c {
		buf = binary.BigEndian.AppendUint64(buf, e.Actor.Node)
		buf = binary.AppendUvarint(buf, uint64(e.Actor.Epoch))
		buf = binary.AppendUvarint(buf, e.Counter)
	}
	return buf
}

// AppendBinary appends the binary form of c to buf and returns the result.
func (c Clock) AppendBinary(buf []byte) []byte {
	buf = slices.Grow(buf, 2+len(c)*(8+5+binary.MaxVarintLen64))
	return appendTable(append(buf, formatV1), c)
}

// AppendBinary appends the binary form of o to buf and returns the result.
// An object that violates the invariants encodes to bytes that DecodeObject
// rejects.
func (o Object) AppendBinary(buf []byte) []byte {
	buf = slices.Grow(buf, o.MaxBinaryLen())
	buf = appendTable(append(buf, formatV1), o.Clock)
	buf = binary.AppendUvarint(buf, uint64(len(o.Siblings)))
	for _, s := range o.Siblings {
		idx, ok := o.Clock.find(s.Dot.Actor)
		if !ok {
			// Uncovered dot: write an index the decoder rejects.
			idx = len(o.Clock)
		}
		buf = binary.AppendUvarint(buf, uint64(idx))
		buf = binary.AppendUvarint(buf, s.Dot.Counter)
		buf = binary.BigEndian.AppendUint64(buf, uint64(s.Time))
		buf = binary.AppendVarint(buf, s.Expiry)
		buf = append(buf, byte(s.Kind))
		buf = binary.AppendUvarint(buf, uint64(len(s.Value)))
		buf = append(buf, s.Value...)
	}
	return buf
}

// MaxBinaryLen is the most bytes AppendBinary appends for o.
func (o Object) MaxBinaryLen() int {
	n := 1 + 2*binary.MaxVarintLen64 + len(o.Clock)*(8+5+binary.MaxVarintLen64)
	for _, s := range o.Siblings {
		n += 3*binary.MaxVarintLen64 + 8 + 1 + binary.MaxVarintLen64 + len(s.Value)
	}
	return n
}

// reader decodes from b, remembering the first error; after an error every
// read returns zero.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = malformed(what)
	}
	r.b = nil
}

func (r *reader) uvarint(what string) uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint(what string) int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) fixed64(what string) uint64 {
	if len(r.b) < 8 {
		r.fail(what)
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) byte(what string) byte {
	if len(r.b) < 1 {
		r.fail(what)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// bytes returns the next n bytes, aliasing the input.
func (r *reader) bytes(n uint64, what string) []byte {
	if n > uint64(len(r.b)) {
		r.fail(what)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// count reads an element count and checks that that many elements of at least
// minSize bytes each can fit in what is left, so a hostile count cannot make
// the decoder allocate more than the input's size.
func (r *reader) count(minSize int, what string) int {
	n := r.uvarint(what)
	if r.err == nil && n > uint64(len(r.b)/minSize) {
		r.fail(what)
		return 0
	}
	return int(n)
}

func (r *reader) version() {
	if r.byte("format version") != formatV1 && r.err == nil {
		r.fail("unknown format version")
	}
}

func (r *reader) table() Clock {
	n := r.count(minEntrySize, "clock length")
	if n == 0 {
		return nil
	}
	c := make(Clock, n)
	for i := range c {
		node := r.fixed64("actor node")
		epoch := r.uvarint("actor epoch")
		counter := r.uvarint("clock counter")
		if r.err != nil {
			return nil
		}
		if epoch > math.MaxUint32 {
			r.fail("actor epoch out of range")
			return nil
		}
		if counter == 0 {
			r.fail("zero counter in clock")
			return nil
		}
		c[i] = Entry{Actor: Actor{Node: node, Epoch: uint32(epoch)}, Counter: counter}
		if i > 0 && c[i-1].Actor.Compare(c[i].Actor) >= 0 {
			r.fail("clock actors not strictly sorted")
			return nil
		}
	}
	return c
}

func (r *reader) end() {
	if r.err == nil && len(r.b) != 0 {
		r.fail("trailing bytes")
	}
}

// DecodeClock decodes a clock written by Clock.AppendBinary. It rejects
// malformed input and clocks that violate the Clock invariant.
func DecodeClock(b []byte) (Clock, error) {
	r := reader{b: b}
	r.version()
	c := r.table()
	r.end()
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

// DecodeObject decodes an object written by Object.AppendBinary. It rejects
// malformed input and objects that violate the Object invariants. The result
// does not alias b.
func DecodeObject(b []byte) (Object, error) {
	r := reader{b: b}
	r.version()
	c := r.table()
	n := r.count(minSiblingSize, "sibling count")
	if r.err != nil {
		return Object{}, r.err
	}
	var sibs []Sibling
	var vals []byte
	if n > 0 {
		sibs = make([]Sibling, n)
		// The values are copied into one allocation so the result does not
		// alias b. What is left of b bounds their total size; the excess is
		// the siblings' few bytes of metadata.
		vals = make([]byte, len(r.b))
	}
	for i := range sibs {
		idx := r.uvarint("sibling actor")
		counter := r.uvarint("sibling counter")
		t := r.fixed64("sibling time")
		exp := r.varint("sibling expiry")
		kind := r.byte("sibling kind")
		v := r.bytes(r.uvarint("value length"), "value")
		if r.err != nil {
			return Object{}, r.err
		}
		if idx >= uint64(len(c)) {
			return Object{}, malformed("sibling actor index out of range")
		}
		if counter == 0 || counter > c[idx].Counter {
			return Object{}, malformed("sibling dot not covered by clock")
		}
		d := Dot{Actor: c[idx].Actor, Counter: counter}
		if i > 0 && sibs[i-1].Dot.Compare(d) >= 0 {
			return Object{}, malformed("sibling dots not strictly sorted")
		}
		k := copy(vals, v)
		sibs[i] = Sibling{Dot: d, Time: int64(t), Expiry: exp, Kind: Kind(kind), Value: vals[:k:k]}
		vals = vals[k:]
	}
	r.end()
	if r.err != nil {
		return Object{}, r.err
	}
	return Object{Clock: c, Siblings: sibs}, nil
}

// EncodeContext returns the opaque causal context handed to clients (VGET's
// first element): standard padded base64 of the clock's binary form. The
// empty clock encodes as "".
func EncodeContext(c Clock) string {
	if c.IsEmpty() {
		return ""
	}
	var scratch [128]byte
	return base64.StdEncoding.EncodeToString(c.AppendBinary(scratch[:0]))
}

// DecodeContext decodes a context produced by EncodeContext. "" is the empty
// clock; anything else that does not decode to a valid clock yields
// ErrInvalidContext.
func DecodeContext(s string) (Clock, error) {
	if s == "" {
		return nil, nil
	}
	var scratch [128]byte
	buf := scratch[:0]
	if n := base64.StdEncoding.DecodedLen(len(s)); n > len(scratch) {
		buf = make([]byte, 0, n)
	}
	buf, err := contextEncoding.AppendDecode(buf, []byte(s))
	if err != nil {
		return nil, ErrInvalidContext
	}
	c, err := DecodeClock(buf)
	if err != nil {
		return nil, ErrInvalidContext
	}
	return c, nil
}
