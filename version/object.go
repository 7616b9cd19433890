package version

import (
	"bytes"
	"cmp"
	"slices"
	"unsafe"
)

// Kind says how higher layers interpret a sibling's payload; version stores it
// and never interprets it.
type Kind uint8

// Payload kinds.
const (
	KindBytes   Kind = 0 // a plain Redis string
	KindCounter Kind = 1 // an encoded counter state (package counter)
	// The records of a hash (package op, hash.go): its header, and the
	// value or counter of one of its fields.
	KindHash         Kind = 2
	KindField        Kind = 3
	KindFieldCounter Kind = 4
	// The records of a set: its header, and one of its members.
	KindSet    Kind = 5
	KindMember Kind = 6
	// The records of a sorted set: its header, and a member's score, set
	// (a register) or incremented (a convergent counter).
	KindZSet         Kind = 7
	KindScore        Kind = 8
	KindScoreCounter Kind = 9
	// A string written as a HyperLogLog (PFADD, PFMERGE): concurrent ones
	// merge register by register.
	KindHLL Kind = 10
	// A string written bit by bit (SETBIT, BITFIELD): concurrent ones merge
	// bit by bit.
	KindBitmap Kind = 11
)

// Sibling is one concurrent value of a key.
type Sibling struct {
	Dot    Dot    // the write event that produced this value
	Time   int64  // coordinator's wall clock at write, unix nanoseconds; picks GET's single answer
	Expiry int64  // absolute expiry, unix milliseconds; 0 = never
	Kind   Kind   // how Value is interpreted above this package
	Value  []byte // the payload; treated as immutable once stored in an Object
}

// Expired reports whether s has an expiry that is at or before nowMs.
func (s Sibling) Expired(nowMs int64) bool {
	return s.Expiry != 0 && s.Expiry <= nowMs
}

// equal reports whether s and t are the same sibling, field for field.
func (s Sibling) equal(t Sibling) bool {
	return s.Dot == t.Dot && s.Time == t.Time && s.Expiry == t.Expiry &&
		s.Kind == t.Kind && bytes.Equal(s.Value, t.Value)
}

// compareContent totally orders siblings by content; Merge uses it to choose
// deterministically between two versions that claim the same dot (which only
// corrupt or buggy input produces), so that Merge stays commutative.
func compareContent(s, t Sibling) int {
	if c := cmp.Compare(s.Time, t.Time); c != 0 {
		return c
	}
	if c := cmp.Compare(s.Expiry, t.Expiry); c != 0 {
		return c
	}
	if c := cmp.Compare(s.Kind, t.Kind); c != 0 {
		return c
	}
	return bytes.Compare(s.Value, t.Value)
}

// Object is a key's replicated state: a causal clock and the live siblings.
//
// Invariants: every sibling's dot is covered by Clock and has a non-zero
// counter; no two siblings share a dot; Siblings are sorted by Dot (Actor, then
// Counter). An object with a non-empty clock and no siblings is a tombstone;
// the zero Object is a key that was never written.
//
// Methods never modify the receiver. Returned objects have their own Clock and
// Siblings slices but share Value byte slices with their inputs.
type Object struct {
	Clock    Clock
	Siblings []Sibling
}

// Update applies a write made with causal context ctx by a coordinator that
// allocated dot (use Clock.Next on the coordinator's local clock; dot.Counter
// must be non-zero). Siblings covered by ctx are dropped, as is any sibling
// that already carries dot; if s != nil, a copy of *s with Dot = dot is added.
// The clock becomes o.Clock ∪ ctx ∪ {dot}. s == nil is a delete, leaving a
// tombstone when no siblings remain.
func (o Object) Update(ctx Clock, dot Dot, s *Sibling) Object {
	n := len(o.Siblings)
	if s != nil {
		n++
	}
	var sibs []Sibling
	if n > 0 {
		sibs = make([]Sibling, 0, n)
	}
	inserted := s == nil
	for _, x := range o.Siblings {
		if !inserted && x.Dot.Compare(dot) > 0 {
			sibs = appendSibling(sibs, s, dot)
			inserted = true
		}
		if x.Dot == dot || ctx.Covers(x.Dot) {
			continue
		}
		sibs = append(sibs, x)
	}
	if !inserted {
		sibs = appendSibling(sibs, s, dot)
	}
	if len(sibs) == 0 {
		sibs = nil
	}
	clock := appendJoin(make(Clock, 0, len(o.Clock)+len(ctx)+1), o.Clock, ctx)
	return Object{Clock: addInPlace(clock, dot), Siblings: sibs}
}

func appendSibling(sibs []Sibling, s *Sibling, dot Dot) []Sibling {
	n := *s
	n.Dot = dot
	return append(sibs, n)
}

// Merge combines two replicas' states of one key, as anti-entropy and read
// repair do. A sibling survives if the other side also has its dot or the
// other side's clock has not seen it (so it was not superseded there); the
// clocks join. Merge is commutative, associative and idempotent.
func Merge(a, b Object) Object {
	var sibs []Sibling
	if n := len(a.Siblings) + len(b.Siblings); n > 0 {
		sibs = make([]Sibling, 0, n)
	}
	i, j := 0, 0
	for i < len(a.Siblings) && j < len(b.Siblings) {
		x, y := a.Siblings[i], b.Siblings[j]
		switch x.Dot.Compare(y.Dot) {
		case -1:
			if !b.Clock.Covers(x.Dot) {
				sibs = append(sibs, x)
			}
			i++
		case 1:
			if !a.Clock.Covers(y.Dot) {
				sibs = append(sibs, y)
			}
			j++
		default:
			if compareContent(x, y) >= 0 {
				sibs = append(sibs, x)
			} else {
				sibs = append(sibs, y)
			}
			i++
			j++
		}
	}
	for ; i < len(a.Siblings); i++ {
		if x := a.Siblings[i]; !b.Clock.Covers(x.Dot) {
			sibs = append(sibs, x)
		}
	}
	for ; j < len(b.Siblings); j++ {
		if y := b.Siblings[j]; !a.Clock.Covers(y.Dot) {
			sibs = append(sibs, y)
		}
	}
	if len(sibs) == 0 {
		sibs = nil
	}
	return Object{Clock: a.Clock.Join(b.Clock), Siblings: sibs}
}

// IsTombstone reports whether o records a deletion: a clock but no siblings.
func (o Object) IsTombstone() bool {
	return len(o.Siblings) == 0 && !o.Clock.IsEmpty()
}

// Live returns the siblings that have not expired at nowMs, in order. When
// none has expired it returns o.Siblings itself; callers must not modify it.
func (o Object) Live(nowMs int64) []Sibling {
	for i, s := range o.Siblings {
		if s.Expired(nowMs) {
			live := make([]Sibling, i, len(o.Siblings)-1)
			copy(live, o.Siblings[:i])
			for _, t := range o.Siblings[i+1:] {
				if !t.Expired(nowMs) {
					live = append(live, t)
				}
			}
			return live
		}
	}
	return o.Siblings
}

// newer reports whether s should be GET's answer rather than t: greater Time,
// ties broken by Dot.Actor, then Dot.Counter, greatest winning. Every replica
// holding the same siblings therefore answers the same value.
func newer(s, t Sibling) bool {
	if s.Time != t.Time {
		return s.Time > t.Time
	}
	return s.Dot.Compare(t.Dot) > 0
}

// Newest returns the sibling GET answers: among the siblings not expired at
// nowMs, the one with the greatest Time, ties broken by Dot.Actor then
// Dot.Counter (greatest wins). ok is false if there is none.
func (o Object) Newest(nowMs int64) (s Sibling, ok bool) {
	for _, x := range o.Siblings {
		if x.Expired(nowMs) {
			continue
		}
		if !ok || newer(x, s) {
			s, ok = x, true
		}
	}
	return s, ok
}

// Equal reports whether o and b have the same clock and the same siblings
// (values compared by content; nil and empty values are equal).
func (o Object) Equal(b Object) bool {
	if sameSlice(o.Clock, b.Clock) && sameSlice(o.Siblings, b.Siblings) {
		return true // one object seen twice (a quorum read's replicas that agree share it)
	}
	return o.Clock.Equal(b.Clock) && slices.EqualFunc(o.Siblings, b.Siblings, Sibling.equal)
}

// sameSlice reports whether a and b are the same elements of one array.
func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}

// Valid reports whether o satisfies the Object invariants. Objects built by
// Update and Merge from valid inputs, and every decoded object, are valid.
func (o Object) Valid() bool {
	if !o.Clock.valid() {
		return false
	}
	for i, s := range o.Siblings {
		if s.Dot.Counter == 0 || !o.Clock.Covers(s.Dot) {
			return false
		}
		if i > 0 && o.Siblings[i-1].Dot.Compare(s.Dot) >= 0 {
			return false
		}
	}
	return true
}
