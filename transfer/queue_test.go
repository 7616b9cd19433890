package transfer

import (
	"testing"
	"time"
)

func TestQueueOrderAndRetry(t *testing.T) {
	q := newQueue()
	t0 := time.Unix(100, 0)
	for _, p := range []int{3, 1, 2} {
		q.add(&task{p: p})
	}
	q.add(&task{p: 1, sources: []string{"later"}}) // already queued: kept as first gained
	if q.len() != 3 {
		t.Fatalf("len %d, want 3", q.len())
	}

	a, _ := q.next(t0)
	b, _ := q.next(t0)
	if a.p != 3 || b.p != 1 || b.sources != nil {
		t.Fatalf("got partitions %d, %d (sources %v); want 3 then 1, first sources kept", a.p, b.p, b.sources)
	}
	q.deferUntil(a, t0.Add(time.Second)) // 3 failed
	q.finish(b)                          // 1 done
	c, _ := q.next(t0)
	if c.p != 2 {
		t.Fatalf("got %d, want 2", c.p)
	}
	q.deferUntil(c, t0.Add(2*time.Second))
	if got, wait := q.next(t0); got != nil || wait != time.Second {
		t.Fatalf("next before any retry time: %v, wait %v; want nothing for 1s", got, wait)
	}
	if got, _ := q.next(t0.Add(time.Second)); got != a {
		t.Fatalf("at the first retry time got %v, want partition 3", got)
	}
	q.finish(a)
	if q.drop(2) != c || q.len() != 0 {
		t.Fatalf("drop: len %d", q.len())
	}
	if got, wait := q.next(t0.Add(time.Hour)); got != nil || wait != -1 {
		t.Fatalf("empty queue: %v, wait %v", got, wait)
	}
}

// A partition dropped and gained again is a new task; the stale entry of
// the old one is skipped.
func TestQueueRegainAfterDrop(t *testing.T) {
	q := newQueue()
	old := &task{p: 5}
	q.add(old)
	q.drop(5)
	fresh := &task{p: 5, cursor: 1}
	q.add(fresh)
	got, _ := q.next(time.Unix(0, 0))
	if got != fresh {
		t.Fatalf("got %+v, want the new task", got)
	}
	if got, wait := q.next(time.Unix(0, 0)); got != nil || wait != -1 {
		t.Fatalf("stale entry returned: %+v", got)
	}
	q.deferUntil(old, time.Unix(1, 0)) // a stale task is not deferred
	if len(q.deferred) != 0 {
		t.Fatal("a dropped task was deferred")
	}
}

func TestPacer(t *testing.T) {
	t0 := time.Unix(50, 0)
	p := pacer{rate: 1000}
	if d := p.reserve(t0, 500); d != 500*time.Millisecond {
		t.Fatalf("first 500 bytes: pause %v", d)
	}
	now := t0.Add(500 * time.Millisecond)
	if d := p.reserve(now, 2500); d != 2500*time.Millisecond {
		t.Fatalf("next 2500 bytes: pause %v", d)
	}
	// Long idle: no credit, the window restarts.
	now = now.Add(time.Hour)
	if d := p.reserve(now, 1); d != time.Millisecond {
		t.Fatalf("after idling: pause %v, want 1ms", d)
	}
	// Sent early (a pause not taken in full): pauses add up.
	if d := p.reserve(now, 1); d != 2*time.Millisecond {
		t.Fatalf("without pausing: pause %v, want 2ms", d)
	}
	if d := (&pacer{}).reserve(now, 1<<30); d != 0 {
		t.Fatalf("unlimited pacer paused %v", d)
	}
	// Exact over many odd-sized sends (the window keeps whole seconds out
	// of the arithmetic).
	p = pacer{rate: 333}
	now, total := t0, int64(0)
	for i := range 10_000 {
		n := 1 + i%977
		now = now.Add(p.reserve(now, n))
		total += int64(n)
	}
	if want := t0.Add(time.Duration(total * int64(time.Second) / 333)); !now.Equal(want) {
		t.Fatalf("after %d bytes at 333 B/s: %v, want %v", total, now.Sub(t0), want.Sub(t0))
	}
}
