package op

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dynago/dynago/counter"
	"github.com/dynago/dynago/version"
)

// Value is the single answer a Redis read gives for a key whose versions may
// be siblings. Every node resolves the same siblings to the same Value.
type Value struct {
	Type    Type           // TypeString, or TypeHash with Hash set
	Hash    *Hash          // the hash the key holds, when it holds one
	Bytes   []byte         // the string value; a counter rendered as Redis would
	Expiry  int64          // absolute unix ms; 0 = never
	Counter *counter.State // the merged counter, when the answer is a counter
	Dot     version.Dot    // the dot of the sibling that answered
	Time    int64          // its write timestamp, unix ns
}

// ErrWrongKind is returned when a stored sibling's kind is not one this
// release knows.
var ErrWrongKind = errors.New("op: unknown value kind")

// Resolve picks a key's value among its live siblings: counter siblings are
// merged into one counter (so increments made concurrently all count), and
// hash siblings into one hash (the union of their incarnations, the newest
// one's expiry); then the candidate with the newest write timestamp answers,
// ties broken by actor and counter, as version.Object.Newest does. The
// winner's type is the key's.
func Resolve(o version.Object, nowMs int64) (Value, bool, error) {
	var best Value
	found := false
	var merged *counter.State
	var counterBest version.Sibling
	var hash *Hash
	var hashBest version.Sibling
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
		case version.KindHash:
			incs, err := decodeHash(s.Value)
			if err != nil {
				return Value{}, false, fmt.Errorf("hash of %v: %w", s.Dot, err)
			}
			if hash == nil {
				hash = &Hash{}
			}
			hash.Incarnations = append(hash.Incarnations, incs...)
			if hashBest.Dot.Counter == 0 || newer(s.Time, s.Dot, hashBest.Time, hashBest.Dot) {
				hashBest = s
			}
		case version.KindCounter:
			st, err := counter.Decode(s.Value)
			if err != nil {
				return Value{}, false, fmt.Errorf("counter of %v: %w", s.Dot, err)
			}
			if merged == nil {
				merged, counterBest = &st, s
				continue
			}
			m := counter.Merge(*merged, st)
			merged = &m
			if newer(s.Time, s.Dot, counterBest.Time, counterBest.Dot) {
				counterBest = s
			}
		default:
			return Value{}, false, fmt.Errorf("%w %d", ErrWrongKind, s.Kind)
		}
	}
	if hash != nil {
		slices.Sort(hash.Incarnations)
		hash.Incarnations = slices.Compact(hash.Incarnations)
		hash.Expiry = hashBest.Expiry
		consider(Value{Type: TypeHash, Hash: hash, Expiry: hashBest.Expiry, Dot: hashBest.Dot, Time: hashBest.Time})
	}
	if merged != nil {
		consider(Value{
			Type:  TypeString,
			Bytes: []byte(merged.String()), Expiry: counterBest.Expiry, Counter: merged,
			Dot: counterBest.Dot, Time: counterBest.Time,
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
