package op

import (
	"errors"
	"fmt"

	"github.com/dynago/dynago/counter"
	"github.com/dynago/dynago/version"
)

// Value is the single answer a Redis read gives for a key whose versions may
// be siblings. Every node resolves the same siblings to the same Value.
type Value struct {
	Type       Type           // TypeString, or TypeHash, TypeSet or TypeZSet with Collection set
	Collection *Collection    // the hash or set the key holds, when it holds one
	Bytes      []byte         // the string value; a counter rendered as Redis would
	Kind       version.Kind   // a string's sibling kind: KindBytes, KindHLL, KindBitmap
	Expiry     int64          // absolute unix ms; 0 = never
	Counter    *counter.State // the merged counter, when the answer is a counter
	Dot        version.Dot    // the dot of the sibling that answered
	Time       int64          // its write timestamp, unix ns
}

// ErrWrongKind is returned when a stored sibling's kind is not one this
// release knows.
var ErrWrongKind = errors.New("op: unknown value kind")

// Resolve picks a key's value among its live siblings: counter siblings are
// merged into one counter (so increments made concurrently all count), and
// hash siblings into one hash, set siblings into one set (the union of
// their incarnations, the newest one's expiry), and HyperLogLog siblings
// register by register, and bitmap siblings bit by bit; then the candidate with the newest write timestamp answers,
// ties broken by actor and counter, as version.Object.Newest does. The
// winner's type is the key's.
func Resolve(o version.Object, nowMs int64) (Value, bool, error) {
	var best Value
	found := false
	var counters counterMerge
	var hlls hllMerge
	var bitmaps bitmapMerge
	headers := [...]headerMerge{{typ: TypeHash}, {typ: TypeSet}, {typ: TypeZSet}}
	consider := func(v Value) {
		if !found || newer(v.Time, v.Dot, best.Time, best.Dot) {
			best, found = v, true
		}
	}
	for _, s := range o.Siblings {
		if s.Expired(nowMs) {
			continue
		}
		switch s.Kind {
		case version.KindBytes:
			consider(Value{Type: TypeString, Bytes: s.Value, Expiry: s.Expiry, Dot: s.Dot, Time: s.Time})
		case version.KindHash, version.KindSet, version.KindZSet:
			h := &headers[0]
			switch s.Kind {
			case version.KindSet:
				h = &headers[1]
			case version.KindZSet:
				h = &headers[2]
			}
			if err := h.add(s); err != nil {
				return Value{}, false, err
			}
		case version.KindCounter:
			if err := counters.add(s, s.Value); err != nil {
				return Value{}, false, err
			}
		case version.KindHLL:
			if err := hlls.add(s); err != nil {
				return Value{}, false, err
			}
		case version.KindBitmap:
			bitmaps.add(s)
		default:
			return Value{}, false, fmt.Errorf("%w %d", ErrWrongKind, s.Kind)
		}
	}
	for _, h := range headers {
		if c := h.collection(); c != nil {
			consider(Value{Type: c.Type, Collection: c, Expiry: c.Expiry, Dot: h.newest.Dot, Time: h.newest.Time})
		}
	}
	if v, ok := hlls.value(); ok {
		consider(v)
	}
	if v, ok := bitmaps.value(); ok {
		consider(v)
	}
	if merged, newest := counters.merged, counters.newest; merged != nil {
		consider(Value{
			Type:  TypeString,
			Bytes: []byte(merged.String()), Expiry: newest.Expiry, Counter: merged,
			Dot: newest.Dot, Time: newest.Time,
		})
	}
	return best, found, nil
}

func newer(t1 int64, d1 version.Dot, t2 int64, d2 version.Dot) bool {
	if t1 != t2 {
		return t1 > t2
	}
	if c := d1.Actor.Compare(d2.Actor); c != 0 {
		return c > 0
	}
	return d1.Counter > d2.Counter
}

// counterMerge merges a record's counter siblings into one counter, so that
// increments made concurrently all count; newest is the newest of them,
// whose dot, time and expiry the merged counter answers with.
type counterMerge struct {
	merged *counter.State
	newest version.Sibling
}

// add merges sibling s, whose counter's binary form is payload.
func (m *counterMerge) add(s version.Sibling, payload []byte) error {
	st, err := counter.Decode(payload)
	if err != nil {
		return fmt.Errorf("counter of %v: %w", s.Dot, err)
	}
	if m.merged == nil {
		m.merged, m.newest = &st, s
		return nil
	}
	merged := counter.Merge(*m.merged, st)
	m.merged = &merged
	if newer(s.Time, s.Dot, m.newest.Time, m.newest.Dot) {
		m.newest = s
	}
	return nil
}
