package op

import (
	"fmt"

	"github.com/dynago/dynago/hll"
	"github.com/dynago/dynago/version"
)

// HyperLogLogs are strings in Redis's own HyperLogLog form (package hll), so
// GET, SET, DUMP-less copies and RENAME treat them as strings, as Redis
// does. PFADD and PFMERGE store them as KindHLL siblings: concurrent ones
// merge register by register (the maximum of each), which is exactly the
// sketch of every element any of them added, so a count through any node
// converges to Redis's count of the union.

// The errors of a HyperLogLog command on a string that is not one, and on
// one whose sparse form is damaged, in Redis's words.
const (
	ErrNotHLL     = Error("WRONGTYPE Key is not a valid HyperLogLog string value.")
	ErrCorruptHLL = Error("INVALIDOBJ Corrupted HLL object detected")
)

// DecodeHLL reads a string as a HyperLogLog, with Redis's error for one
// that is not (ErrNotHLL) or is damaged (ErrCorruptHLL).
func DecodeHLL(b []byte) (*hll.Sketch, error) {
	s, err := hll.Decode(b)
	switch {
	case err == nil:
		return s, nil
	case hll.IsHLL(b) && b[4] == 1: // a sparse form Redis would accept, then fail to read
		return nil, ErrCorruptHLL
	}
	return nil, ErrNotHLL
}

// EncodeHLL is the string form a HyperLogLog is stored in: sparse while
// Redis would keep it sparse, dense otherwise.
func EncodeHLL(s *hll.Sketch) []byte {
	if b, ok := s.EncodeSparse(); ok {
		return b
	}
	return s.Encode()
}

// hllOf returns the HyperLogLog a key holds (an empty one for no key).
func hllOf(v Value, found bool) (*hll.Sketch, error) {
	if !found {
		return new(hll.Sketch), nil
	}
	return DecodeHLL(v.Bytes)
}

// pfadd is PFADD: the elements are added; the key is written when a
// register grew or the key is new (Result.N 1), keeping its TTL.
func (o *Op) pfadd(st *State, v Value, found bool, res *Result) (Change, error) {
	s, err := hllOf(v, found)
	if err != nil {
		return Change{}, err
	}
	changed := !found
	for _, e := range o.Fields {
		changed = s.Add(e) || changed
	}
	if !changed {
		return Change{}, nil
	}
	res.N = 1
	return st.Put(version.KindHLL, EncodeHLL(s), expiryIf(v, found)), nil
}

// pfmerge is PFMERGE's write of its destination: the sources' union (in
// Value) merged into what the key holds, always written, keeping its TTL.
func (o *Op) pfmerge(st *State, v Value, found bool) (Change, error) {
	s, err := hllOf(v, found)
	if err != nil {
		return Change{}, err
	}
	src, err := hll.Decode(o.Value)
	if err != nil {
		return Change{}, fmt.Errorf("%w: merged sketch: %v", ErrMalformed, err)
	}
	s.Merge(src)
	return st.Put(version.KindHLL, EncodeHLL(s), expiryIf(v, found)), nil
}

// hllMerge merges a key's HyperLogLog siblings (Resolve).
type hllMerge struct {
	first  version.Sibling
	sketch *hll.Sketch
	n      int
}

func (m *hllMerge) add(s version.Sibling) error {
	m.n++
	if m.n == 1 {
		m.first = s
		return nil
	}
	if m.sketch == nil {
		first, err := hll.Decode(m.first.Value)
		if err != nil {
			return fmt.Errorf("hyperloglog of %v: %w", m.first.Dot, err)
		}
		m.sketch = first
	}
	next, err := hll.Decode(s.Value)
	if err != nil {
		return fmt.Errorf("hyperloglog of %v: %w", s.Dot, err)
	}
	m.sketch.Merge(next)
	if newer(s.Time, s.Dot, m.first.Time, m.first.Dot) {
		m.first.Time, m.first.Dot, m.first.Expiry = s.Time, s.Dot, s.Expiry
	}
	return nil
}

// value is the merged HyperLogLog as a string value, ok false for none.
func (m *hllMerge) value() (Value, bool) {
	if m.n == 0 {
		return Value{}, false
	}
	b := m.first.Value
	if m.sketch != nil {
		b = EncodeHLL(m.sketch)
	}
	return Value{Type: TypeString, Kind: version.KindHLL, Bytes: b, Expiry: m.first.Expiry, Dot: m.first.Dot, Time: m.first.Time}, true
}
