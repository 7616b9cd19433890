package version

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/dynago/dynago/wire"
)

// Binary format, version 1, written and read with package wire. All
// integers are unsigned varints unless noted.
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
	buf = wire.AppendUvarint(buf, uint64(len(c)))
	for _, e := range c {
		buf = wire.AppendUint64(buf, e.Actor.Node)
		buf = wire.AppendUvarint(buf, uint64(e.Actor.Epoch))
		buf = wire.AppendUvarint(buf, e.Counter)
	}
	return buf
}

// AppendBinary appends the binary form of c to buf and returns the result.
func (c Clock) AppendBinary(buf []byte) []byte {
	buf = slices.Grow(buf, 2+len(c)*(8+5+wire.MaxVarintLen))
	return appendTable(append(buf, formatV1), c)
}

// AppendBinary appends the binary form of o to buf and returns the result.
// An object that violates the invariants encodes to bytes that DecodeObject
// rejects.
func (o Object) AppendBinary(buf []byte) []byte {
	buf = slices.Grow(buf, o.MaxBinaryLen())
	buf = appendTable(append(buf, formatV1), o.Clock)
	buf = wire.AppendUvarint(buf, uint64(len(o.Siblings)))
	for _, s := range o.Siblings {
		idx, ok := o.Clock.find(s.Dot.Actor)
		if !ok {
			// Uncovered dot: write an index the decoder rejects.
			idx = len(o.Clock)
		}
		buf = wire.AppendUvarint(buf, uint64(idx))
		buf = wire.AppendUvarint(buf, s.Dot.Counter)
		buf = wire.AppendUint64(buf, uint64(s.Time))
		buf = wire.AppendVarint(buf, s.Expiry)
		buf = wire.AppendByte(buf, byte(s.Kind))
		buf = wire.AppendBytes(buf, s.Value)
	}
	return buf
}

// MaxBinaryLen is the most bytes AppendBinary appends for o.
func (o Object) MaxBinaryLen() int {
	n := 1 + 2*wire.MaxVarintLen + len(o.Clock)*(8+5+wire.MaxVarintLen)
	for _, s := range o.Siblings {
		n += 3*wire.MaxVarintLen + 8 + 1 + wire.MaxVarintLen + len(s.Value)
	}
	return n
}

// decodeErr is err as a decoding error: it wraps ErrMalformed.
func decodeErr(err error) error {
	if errors.Is(err, ErrMalformed) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrMalformed, err)
}

// readFormat reads the format byte.
func readFormat(r *wire.Reader) {
	if r.Byte() != formatV1 && r.Err() == nil {
		r.Fail(malformed("unknown format version"))
	}
}

// readTable reads a clock's table and checks the Clock invariant.
func readTable(r *wire.Reader) Clock {
	n := r.Count(minEntrySize)
	if n == 0 {
		return nil
	}
	c := make(Clock, n)
	for i := range c {
		node := r.Uint64()
		epoch := r.Uvarint()
		counter := r.Uvarint()
		if r.Err() != nil {
			return nil
		}
		if epoch > math.MaxUint32 {
			r.Fail(malformed("actor epoch out of range"))
			return nil
		}
		if counter == 0 {
			r.Fail(malformed("zero counter in clock"))
			return nil
		}
		c[i] = Entry{Actor: Actor{Node: node, Epoch: uint32(epoch)}, Counter: counter}
		if i > 0 && c[i-1].Actor.Compare(c[i].Actor) >= 0 {
			r.Fail(malformed("clock actors not strictly sorted"))
			return nil
		}
	}
	return c
}

// DecodeClock decodes a clock written by Clock.AppendBinary. It rejects
// malformed input and clocks that violate the Clock invariant.
func DecodeClock(b []byte) (Clock, error) {
	r := wire.NewReader(b)
	readFormat(&r)
	c := readTable(&r)
	if err := r.Done(); err != nil {
		return nil, decodeErr(err)
	}
	return c, nil
}

// DecodeObject decodes an object written by Object.AppendBinary. It rejects
// malformed input and objects that violate the Object invariants. The result
// does not alias b.
func DecodeObject(b []byte) (Object, error) {
	r := wire.NewReader(b)
	readFormat(&r)
	c := readTable(&r)
	n := r.Count(minSiblingSize)
	if err := r.Err(); err != nil {
		return Object{}, decodeErr(err)
	}
	var sibs []Sibling
	var vals []byte
	if n > 0 {
		sibs = make([]Sibling, n)
		// The values are copied into one allocation so the result does not
		// alias b. What is left of b bounds their total size; the excess is
		// the siblings' few bytes of metadata.
		vals = make([]byte, r.Remaining())
	}
	for i := range sibs {
		idx := r.Uvarint()
		counter := r.Uvarint()
		t := r.Uint64()
		exp := r.Varint()
		kind := r.Byte()
		v := r.Bytes()
		if err := r.Err(); err != nil {
			return Object{}, decodeErr(err)
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
	if err := r.Done(); err != nil {
		return Object{}, decodeErr(err)
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
	// Decoded here rather than by DecodeClock, whose error keeps its
	// argument (and so scratch) from staying on the stack.
	r := wire.NewReader(buf)
	readFormat(&r)
	c := readTable(&r)
	if r.Done() != nil {
		return nil, ErrInvalidContext
	}
	return c, nil
}
