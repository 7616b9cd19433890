// Package version owns Dynago's causal versioning: dotted version vectors with
// server-side actors, the sibling set of a key, and its compact binary form.
//
// Every write is an event named by a Dot (the coordinating actor and that
// actor's counter). A Clock summarises a set of events. An Object is what a
// replica stores for a key: the clock of everything it has seen for that key and
// the siblings (concurrent values) that no later known write has superseded.
// Because each sibling carries its own dot, a write that read before writing
// supersedes exactly what it read, so the sibling count stays bounded by the
// number of truly concurrent writers.
//
// The package is a leaf: it imports only the standard library, does no I/O and
// reads no clock; time arrives as arguments.
package version

import (
	"fmt"
	"slices"
)

// Actor identifies one incarnation of a node: Node is a 64-bit id derived from
// the node's name, Epoch the incarnation of its data directory. A node that lost
// its disk gets a new epoch, so it never reuses old counters.
type Actor struct {
	Node  uint64
	Epoch uint32
}

// Compare orders actors by Node, then Epoch; it returns -1, 0 or +1.
func (a Actor) Compare(b Actor) int {
	switch {
	case a.Node < b.Node:
		return -1
	case a.Node > b.Node:
		return 1
	case a.Epoch < b.Epoch:
		return -1
	case a.Epoch > b.Epoch:
		return 1
	}
	return 0
}

// String renders the actor as the node id in hex (16 digits) and the epoch in
// decimal, e.g. "3f2a9c0011223344:7".
func (a Actor) String() string {
	return fmt.Sprintf("%016x:%d", a.Node, a.Epoch)
}

// Dot names one write event: the Counter-th event coordinated by Actor.
// Real events have Counter >= 1; the zero Dot names no event.
type Dot struct {
	Actor   Actor
	Counter uint64
}

// Compare orders dots by Actor, then Counter; it returns -1, 0 or +1.
func (d Dot) Compare(e Dot) int {
	if c := d.Actor.Compare(e.Actor); c != 0 {
		return c
	}
	switch {
	case d.Counter < e.Counter:
		return -1
	case d.Counter > e.Counter:
		return 1
	}
	return 0
}

// IsZero reports whether d is the zero Dot (no event).
func (d Dot) IsZero() bool { return d == Dot{} }

// String renders the dot as "actor/counter".
func (d Dot) String() string { return fmt.Sprintf("%s/%d", d.Actor, d.Counter) }

// Entry is one actor's component of a Clock.
type Entry struct {
	Actor   Actor
	Counter uint64
}

// Clock is a version vector: for each actor, the highest counter of its events
// that the clock has seen (and, implicitly, all lower ones).
//
// Invariant: entries are sorted by Actor, no actor appears twice, no counter is
// zero. The zero value (nil) is the empty clock. Methods never modify the
// receiver; those that return a Clock return a freshly allocated one.
type Clock []Entry

// Ordering is the causal relation between two clocks.
type Ordering int

// The results of Compare.
const (
	Equal      Ordering = iota // same events
	Before                     // a is strictly older than b
	After                      // a is strictly newer than b
	Concurrent                 // each has events the other lacks
)

// String names the ordering.
func (o Ordering) String() string {
	switch o {
	case Equal:
		return "equal"
	case Before:
		return "before"
	case After:
		return "after"
	case Concurrent:
		return "concurrent"
	}
	return fmt.Sprintf("Ordering(%d)", int(o))
}

// find returns the index of a in c and whether it is present; when absent the
// index is where a would be inserted.
func (c Clock) find(a Actor) (int, bool) {
	// Clocks hold one entry per replica that ever coordinated a write of the
	// key, so they are short; a linear scan beats binary search at that size.
	if len(c) <= 8 {
		for i := range c {
			switch c[i].Actor.Compare(a) {
			case 0:
				return i, true
			case 1:
				return i, false
			}
		}
		return len(c), false
	}
	return slices.BinarySearchFunc(c, a, func(e Entry, a Actor) int { return e.Actor.Compare(a) })
}

// Get returns the counter of actor a in c, or 0 if c has none.
func (c Clock) Get(a Actor) uint64 {
	if i, ok := c.find(a); ok {
		return c[i].Counter
	}
	return 0
}

// Covers reports whether c has seen event d, i.e. d.Counter <= c.Get(d.Actor).
func (c Clock) Covers(d Dot) bool {
	return d.Counter <= c.Get(d.Actor)
}

// Next returns the dot a coordinator acting as a allocates for a new write to
// a key whose local clock is c: one past the highest counter c has for a.
func (c Clock) Next(a Actor) Dot {
	return Dot{Actor: a, Counter: c.Get(a) + 1}
}

// Descends reports whether c has seen every event o has (c >= o pointwise).
func (c Clock) Descends(o Clock) bool {
	r := Compare(c, o)
	return r == Equal || r == After
}

// IsEmpty reports whether c has seen no events.
func (c Clock) IsEmpty() bool { return len(c) == 0 }

// Compare returns the causal relation of a to b.
func Compare(a, b Clock) Ordering {
	aMore, bMore := false, false
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch a[i].Actor.Compare(b[j].Actor) {
		case -1:
			aMore = true
			i++
		case 1:
			bMore = true
			j++
		default:
			if a[i].Counter > b[j].Counter {
				aMore = true
			} else if a[i].Counter < b[j].Counter {
				bMore = true
			}
			i++
			j++
		}
		if aMore && bMore {
			return Concurrent
		}
	}
	if i < len(a) {
		aMore = true
	}
	if j < len(b) {
		bMore = true
	}
	switch {
	case aMore && bMore:
		return Concurrent
	case aMore:
		return After
	case bMore:
		return Before
	}
	return Equal
}

// Join returns the pointwise maximum of c and o as a new clock.
func (c Clock) Join(o Clock) Clock {
	if len(c) == 0 && len(o) == 0 {
		return nil
	}
	return appendJoin(make(Clock, 0, len(c)+len(o)), c, o)
}

// appendJoin appends the pointwise maximum of a and b to dst.
func appendJoin(dst, a, b Clock) Clock {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch a[i].Actor.Compare(b[j].Actor) {
		case -1:
			dst = append(dst, a[i])
			i++
		case 1:
			dst = append(dst, b[j])
			j++
		default:
			e := a[i]
			e.Counter = max(e.Counter, b[j].Counter)
			dst = append(dst, e)
			i++
			j++
		}
	}
	dst = append(dst, a[i:]...)
	return append(dst, b[j:]...)
}

// Add returns c joined with the single event d, as a new clock. A zero
// counter names no event and leaves the clock unchanged (but still copied).
func (c Clock) Add(d Dot) Clock {
	if d.Counter == 0 {
		return slices.Clone(c)
	}
	return addInPlace(slices.Grow(slices.Clone(c), 1), d)
}

// addInPlace raises c's entry for d.Actor to at least d.Counter, inserting an
// entry if needed. c must be owned by the caller; it may grow.
func addInPlace(c Clock, d Dot) Clock {
	if d.Counter == 0 {
		return c
	}
	i, ok := c.find(d.Actor)
	if ok {
		c[i].Counter = max(c[i].Counter, d.Counter)
		return c
	}
	return slices.Insert(c, i, Entry{Actor: d.Actor, Counter: d.Counter})
}

// Equal reports whether c and o hold the same entries.
func (c Clock) Equal(o Clock) bool { return slices.Equal(c, o) }

// String renders the clock as "{actor=counter ...}".
func (c Clock) String() string {
	b := []byte{'{'}
	for i, e := range c {
		if i > 0 {
			b = append(b, ' ')
		}
		b = fmt.Appendf(b, "%s=%d", e.Actor, e.Counter)
	}
	return string(append(b, '}'))
}

// valid reports whether c satisfies the Clock invariant.
func (c Clock) valid() bool {
	for i, e := range c {
		if e.Counter == 0 || (i > 0 && c[i-1].Actor.Compare(e.Actor) >= 0) {
			return false
		}
	}
	return true
}
