package engine

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/version"
)

// walkedDigest is key's element digest computed afresh from a walk of its
// records.
func walkedDigest(t *testing.T, e *Engine, key []byte) uint64 {
	t.Helper()
	var sum uint64
	if _, err := e.Elements(key, nil, 1<<30, func(ek []byte, o version.Object) {
		sum ^= antientropy.Digest(ek, o)
	}); err != nil {
		t.Fatal(err)
	}
	return sum
}

// liveSets are the collections' live incarnations the count checks use.
var liveSets = []*op.Collection{
	{Type: op.TypeZSet, Incarnations: []uint64{2}},
	{Type: op.TypeZSet, Incarnations: []uint64{1, 3}},
}

// checkCounts checks CountElements of key against a count of its records
// that op.ResolveField finds live, for each of liveSets.
func checkCounts(t *testing.T, e *Engine, key []byte, step int) {
	t.Helper()
	for _, h := range liveSets {
		var want int64
		if _, err := e.Elements(key, nil, 1<<30, func(ek []byte, o version.Object) {
			if _, live, err := op.ResolveField(o, h); err == nil && live {
				want++
			}
		}); err != nil {
			t.Fatal(err)
		}
		got, err := e.CountElements(key, h.Live)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("step %d: %s counts %d live records of incarnations %v, its records hold %d", step, key, got, h.Incarnations, want)
		}
	}
}

// TestSummariesFollowRecords drives random changes of three sets'
// element records (alone, grouped, merged from other replicas; new
// versions, removals, concurrent versions of other incarnations), collects
// the tombstones removals left, and flushes once, and checks after every
// few steps that a set's digest and live counts, kept in memory since they
// were first computed, equal those computed afresh from its records:
// through sets pushed out of the room for two and computed again.
func TestSummariesFollowRecords(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	var clock sync.Mutex
	e := open(t, t.TempDir(), func(c *Config) {
		c.TombstoneGrace = time.Second
		c.Now = func() time.Time {
			clock.Lock()
			defer clock.Unlock()
			return now
		}
	})
	e.summaries.maxSets = 2
	rng := rand.New(rand.NewPCG(4, 9))
	writers := []*rankWriter{newRankWriter(e, "s1", 1, 200), newRankWriter(e, "s2", 2, 40), newRankWriter(e, "s3", 3, 120)}
	kept, collected := 0, 0
	for step := range 1200 {
		w := writers[rng.IntN(len(writers))]
		w.step(t)
		if step%50 == 0 {
			clock.Lock()
			now = now.Add(2 * time.Second)
			clock.Unlock()
			n, err := e.CollectTombstones(1000)
			if err != nil {
				t.Fatal(err)
			}
			collected += n
		}
		if step == 700 {
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
			if e.summaries.n.Load() != 0 {
				t.Fatalf("%d summaries kept after FLUSHALL", e.summaries.n.Load())
			}
		}
		if step%3 != 0 {
			continue
		}
		if e.summaries.lookup(w.key) != nil {
			kept++
		}
		got, err := e.ElementsDigest(w.key)
		if err != nil {
			t.Fatal(err)
		}
		if want := walkedDigest(t, e, w.key); got != want {
			t.Fatalf("step %d: %s's digest is %x, its records' %x", step, w.key, got, want)
		}
		checkCounts(t, e, w.key, step)
	}
	if kept < 100 || collected < 20 {
		t.Fatalf("%d digests answered from memory, %d tombstones collected: the test checked little", kept, collected)
	}
}

// TestSummaryComputedWhileWritten: the changes made while a summary is
// computed from its snapshot are counted in, and writers racing its reads
// leave the digest and counts of what the records hold.
func TestSummaryComputedWhileWritten(t *testing.T) {
	e := open(t, t.TempDir())
	w := newRankWriter(e, "s", 9, 300)
	for range 100 {
		w.step(t)
	}
	during := 0
	e.summaries.snapshotTaken = func() {
		for range 50 {
			w.step(t)
		}
		during++
	}
	got, err := e.ElementsDigest(w.key)
	if err != nil {
		t.Fatal(err)
	}
	if want := walkedDigest(t, e, w.key); during != 1 || got != want {
		t.Fatalf("after %d computations with writes, the digest is %x, its records' %x", during, got, want)
	}
	checkCounts(t, e, w.key, 0)
	e.summaries.snapshotTaken = nil

	var wg sync.WaitGroup
	wg.Go(func() {
		for range 300 {
			w.step(t)
		}
	})
	for range 2 {
		wg.Go(func() {
			for range 300 {
				if _, err := e.ElementsDigest(w.key); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err = e.ElementsDigest(w.key)
	if err != nil {
		t.Fatal(err)
	}
	if want := walkedDigest(t, e, w.key); got != want {
		t.Fatalf("after racing writers the digest is %x, its records' %x", got, want)
	}
	checkCounts(t, e, w.key, 1)
}

// TestElementsDigestsOfReplicas: two engines given the same versions of a
// set's members in different orders and groupings (as replicas get them
// from writes, read repair and anti-entropy) have equal digests, and one
// version more on either makes them differ until the other has it too.
func TestElementsDigestsOfReplicas(t *testing.T) {
	a, b := open(t, t.TempDir()), open(t, t.TempDir())
	key := []byte("s")
	w := newRankWriter(nil, "s", 5, 80)
	rng := rand.New(rand.NewPCG(6, 1))
	type write struct {
		ek []byte
		o  version.Object
	}
	var writes []write
	for i := range 400 {
		s := scoreVersion(uint64(1+rng.IntN(2)), float64(rng.IntN(50)), uint64(i+1), int64(i))
		s.Dot.Actor = version.Actor{Node: uint64(1 + rng.IntN(4))}
		writes = append(writes, write{w.elementKey(rng.IntN(w.members)), version.Object{Clock: version.Clock{}.Add(s.Dot), Siblings: []version.Sibling{s}}})
	}
	digest := func(e *Engine) uint64 {
		d, err := e.ElementsDigest(key)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// a computes its digest first and follows the writes; b computes it
	// only at the end.
	digest(a)
	for _, x := range writes {
		if _, err := a.Merge(x.ek, x.o); err != nil {
			t.Fatal(err)
		}
	}
	rng.Shuffle(len(writes), func(i, j int) { writes[i], writes[j] = writes[j], writes[i] })
	for len(writes) > 0 {
		n := min(len(writes), 1+rng.IntN(20))
		var keys [][]byte
		var objs []version.Object
		seen := map[string]bool{}
		for _, x := range writes[:n] {
			if seen[string(x.ek)] {
				if _, err := b.Merge(x.ek, x.o); err != nil {
					t.Fatal(err)
				}
				continue
			}
			seen[string(x.ek)] = true
			keys, objs = append(keys, x.ek), append(objs, x.o)
		}
		if err := b.MergeBatch(keys, objs); err != nil {
			t.Fatal(err)
		}
		writes = writes[n:]
	}
	if da, db := digest(a), digest(b); da != db || da == 0 {
		t.Fatalf("replicas holding the same versions have digests %x and %x", da, db)
	}
	s := scoreVersion(1, 3, 1, 999)
	s.Dot.Actor = version.Actor{Node: 9}
	extra := version.Object{Clock: version.Clock{}.Add(s.Dot), Siblings: []version.Sibling{s}}
	if _, err := b.Merge(w.elementKey(3), extra); err != nil {
		t.Fatal(err)
	}
	if digest(a) == digest(b) {
		t.Fatal("a version one replica lacks left the digests equal")
	}
	if _, err := a.Merge(w.elementKey(3), extra); err != nil {
		t.Fatal(err)
	}
	if da, db := digest(a), digest(b); da != db {
		t.Fatalf("once both hold the same versions again, the digests are %x and %x", da, db)
	}
}
