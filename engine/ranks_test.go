package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// rankWriter writes random changes of sorted-set members' records: new
// scores, deletions, and versions concurrent with what is there (perhaps
// of another incarnation, which takes the member out of the regular index).
type rankWriter struct {
	e       *Engine
	key     []byte
	rng     *rand.Rand
	members int
	counter uint64
	scores  []float64
}

func newRankWriter(e *Engine, key string, seed uint64, members int) *rankWriter {
	return &rankWriter{e: e, key: []byte(key), rng: rand.New(rand.NewPCG(seed, 3)), members: members,
		scores: []float64{-7, 0, 1, 1.5, 2, 1e9}}
}

func (w *rankWriter) elementKey(i int) []byte {
	return partition.ElementKey(nil, w.key, fmt.Appendf(nil, "m%04d", i))
}

// change decides one member's next record from cur.
func (w *rankWriter) change(cur version.Object) version.Object {
	w.counter++
	score := w.scores[w.rng.IntN(len(w.scores))]
	if w.rng.IntN(3) == 0 {
		score = w.rng.Float64() * 100
	}
	inc := uint64(1 + w.rng.IntN(3))
	switch r := w.rng.IntN(10); {
	case r == 0: // removed
		return version.Object{Clock: cur.Clock.Add(version.Dot{Actor: actor, Counter: w.counter})}
	case r == 1: // a concurrent version from another writer
		s := scoreVersion(inc, score, w.counter, int64(w.counter))
		s.Dot.Actor = version.Actor{Node: 100 + w.counter}
		return version.Merge(cur, version.Object{Clock: version.Clock{}.Add(s.Dot), Siblings: []version.Sibling{s}})
	default:
		s := scoreVersion(inc, score, w.counter, int64(w.counter))
		return cur.Update(cur.Clock, s.Dot, &s)
	}
}

// step changes 1 to 8 members: alone (Update), together (UpdateGroup), or
// as another replica's objects (MergeBatch).
func (w *rankWriter) step(t *testing.T) {
	n := 1 + w.rng.IntN(8)
	keys := make([][]byte, 0, n)
	seen := map[int]bool{}
	for range n {
		i := w.rng.IntN(w.members)
		if !seen[i] {
			seen[i] = true
			keys = append(keys, w.elementKey(i))
		}
	}
	var err error
	switch w.rng.IntN(3) {
	case 0:
		for _, k := range keys {
			_, err = w.e.Update(k, func(cur version.Object, _ bool) (version.Object, bool, error) {
				return w.change(cur), true, nil
			})
			if err != nil {
				break
			}
		}
	case 1:
		_, err = w.e.UpdateGroup(keys, func(cur []version.Object, _ []bool) ([]version.Object, []bool, error) {
			next := make([]version.Object, len(cur))
			write := make([]bool, len(cur))
			for i := range cur {
				next[i], write[i] = w.change(cur[i]), true
			}
			return next, write, nil
		})
	default: // versions from elsewhere, concurrent with this node's
		objs := make([]version.Object, len(keys))
		for i := range keys {
			w.counter++
			s := scoreVersion(uint64(1+w.rng.IntN(2)), w.scores[w.rng.IntN(len(w.scores))], w.counter, int64(w.counter))
			s.Dot.Actor = version.Actor{Node: 1000 + w.counter%5}
			objs[i] = version.Object{Clock: version.Clock{}.Add(s.Dot), Siblings: []version.Sibling{s}}
		}
		err = w.e.MergeBatch(keys, objs)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// checkRanks compares CountScores between ends spread over key's members
// (a member's place, between members, a score's first and past its last,
// the open ends), for two choices of live incarnations, with a walk of the
// index, and returns how many of the counts the blocks answered.
func checkRanks(t *testing.T, e *Engine, key []byte, rng *rand.Rand, targets int) (byBlocks int) {
	t.Helper()
	h := partition.Hash(key)
	prefix := append(scorePrefix(h, key), scoreRegular)
	lives := []func(uint64) bool{
		func(inc uint64) bool { return inc == 2 },
		func(inc uint64) bool { return inc != 1 },
	}
	end := func() []byte {
		score := []float64{-7, 0, 1, 1.5, 2, 1e9, 50}[rng.IntN(7)]
		member := fmt.Appendf(nil, "m%04d", rng.IntN(1000))
		switch rng.IntN(8) {
		case 0:
			return nil
		case 1:
			return ScoreKey(score)
		case 2:
			return ScoreKeyAfter(score)
		case 3:
			return MemberKey(score, member[:3]) // between members
		default:
			return MemberKey(score, member)
		}
	}
	for range targets {
		lo, hi := end(), end()
		if rng.IntN(3) == 0 {
			lo = nil // a rank
		}
		for li, live := range lives {
			want, done, err := e.countWalk(prefix, lo, hi, live, -1)
			if err != nil || !done {
				t.Fatalf("walk: %v (done %v)", err, done)
			}
			if lo != nil && hi != nil && bytes.Compare(lo, hi) >= 0 {
				want = 0
			}
			n, served, err := e.countByBlocks(h, key, prefix, lo, hi, live)
			if err != nil {
				t.Fatal(err)
			}
			if !served {
				if n, err = e.CountScores(key, lo, hi, live); err != nil {
					t.Fatal(err)
				}
			} else {
				byBlocks++
			}
			if n != want {
				t.Fatalf("count from %x to %x (live #%d) = %d, the index walked holds %d", lo, hi, li, n, want)
			}
		}
	}
	return byBlocks
}

// checkSkips checks that walks of key's index from either end, or from a
// place in it, that skip some entries by blocks visit what a whole walk
// visits past the place and as many live entries as they skipped, and
// skip no more than asked.
func checkSkips(t *testing.T, e *Engine, key []byte, rng *rand.Rand) (skippedAny bool) {
	t.Helper()
	live := func(inc uint64) bool { return inc != 1 }
	for _, rev := range []bool{false, true} {
		var from []byte
		switch rng.IntN(3) {
		case 0:
			from = ScoreKey([]float64{-7, 0, 1, 1.5, 2, 50}[rng.IntN(6)])
		case 1:
			from = MemberKey([]float64{-7, 0, 1, 1.5, 2, 50}[rng.IntN(6)], fmt.Appendf(nil, "m%04d", rng.IntN(300)))
		}
		var all []string
		if err := e.WalkScores(key, rev, nil, func(s Scored) bool {
			at := MemberKey(s.Score, s.Member)
			past := from == nil || !rev && bytes.Compare(at, from) >= 0 || rev && bytes.Compare(at, from) < 0
			if past && live(s.Incarnation) {
				all = append(all, string(s.Member))
			}
			return true
		}); err != nil {
			t.Fatal(err)
		}
		skip := int64(rng.IntN(len(all) + 10))
		var got []string
		skipped := int64(-1)
		err := e.WalkScoresSkipping(key, rev, from, skip, live, func(s Scored, n int64) bool {
			if skipped != -1 && n != skipped {
				t.Fatalf("a walk said it skipped %d, then %d", skipped, n)
			}
			skipped = n
			if live(s.Incarnation) {
				got = append(got, string(s.Member))
			}
			return len(got) < 5
		})
		skipped = max(skipped, 0) // (nothing visited)
		if err != nil {
			t.Fatal(err)
		}
		want := all[min(int(skipped), len(all)):]
		want = want[:min(5, len(want))]
		if skipped > skip || !slices.Equal(got, want) {
			t.Fatalf("a walk (rev %v, from %x) asked to skip %d skipped %d and visited %q; past as many, a whole walk visits %q", rev, from, skip, skipped, got, want)
		}
		skippedAny = skippedAny || skipped > 0
	}
	return skippedAny
}

// blocksOf returns how many blocks key has and how many entries they
// count, all incarnations together.
func blocksOf(e *Engine, key []byte) (blocks int, entries int64) {
	ri := e.ranks.lookup(key)
	if ri == nil {
		return 0, 0
	}
	mu := e.lockFor(partition.Hash(key))
	mu.Lock()
	defer mu.Unlock()
	for _, b := range ri.blocks {
		entries += b.total()
	}
	return len(ri.blocks), entries
}

// TestRanksFollowTheIndex drives random changes of a sorted set's members
// (alone, grouped in one batch, merged from other replicas; new scores,
// removals, concurrent versions across incarnations) through the engine
// and checks after each step that every count, from blocks once the set
// has them, equals a walk of the whole index: through blocks being cut
// again as they grow and joined as they empty, a FLUSHALL, and sets
// pushed out of the blocks' room and built again.
func TestRanksFollowTheIndex(t *testing.T) {
	e := open(t, t.TempDir())
	e.ranks.block, e.ranks.buildMin, e.ranks.maxSets = 4, 16, 2
	rng := rand.New(rand.NewPCG(5, 8))
	writers := []*rankWriter{newRankWriter(e, "z1", 1, 300), newRankWriter(e, "z2", 2, 60), newRankWriter(e, "z3", 3, 200)}
	byBlocks, skips := 0, 0
	for step := range 1500 {
		w := writers[rng.IntN(len(writers))]
		if step < 200 {
			w = writers[0] // z1 fills first
		}
		w.step(t)
		if step%5 == 0 {
			byBlocks += checkRanks(t, e, w.key, rng, 2)
			if checkSkips(t, e, w.key, rng) {
				skips++
			}
		}
		if step == 900 {
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
			if e.ranks.n.Load() != 0 {
				t.Fatalf("%d sets keep blocks after FLUSHALL", e.ranks.n.Load())
			}
		}
	}
	if byBlocks < 500 || skips < 100 {
		t.Fatalf("blocks answered %d counts and skipped entries in %d walks; the test checked little", byBlocks, skips)
	}
	// (z1's blocks may have been pushed out by the others': a count
	// builds them again.)
	if _, err := e.CountScores(writers[0].key, nil, nil, func(uint64) bool { return true }); err != nil {
		t.Fatal(err)
	}
	blocks, entries := blocksOf(e, writers[0].key)
	if blocks < 10 || entries < 100 {
		t.Fatalf("z1 has %d blocks counting %d entries; the test cut and joined few", blocks, entries)
	}
	if n := e.ranks.lookup(writers[0].key).entries.Load(); n != entries {
		t.Fatalf("z1's blocks say they count %d entries, and count %d", n, entries)
	}
	if more, err := e.HasMoreElements(writers[0].key, int(entries)-1); err != nil || !more {
		t.Fatalf("HasMoreElements(z1, %d) = %v, %v with %d entries counted", entries-1, more, err, entries)
	}
	if d := e.ranks.dropped.Load(); d != 0 {
		t.Fatalf("%d sets' blocks disagreed with the index", d)
	}
}

// TestRanksBuiltWhileWritten: the changes made while a build walks its
// snapshot of the index are replayed onto the blocks it built, and
// writers racing counts leave blocks that count what the index holds.
func TestRanksBuiltWhileWritten(t *testing.T) {
	e := open(t, t.TempDir())
	e.ranks.block, e.ranks.buildMin = 8, 32
	w := newRankWriter(e, "z", 9, 400)
	for range 200 {
		w.step(t)
	}
	during := 0
	e.ranks.snapshotTaken = func() {
		for range 50 {
			w.step(t)
		}
		during++
	}
	all := func(uint64) bool { return true }
	if _, err := e.CountScores(w.key, nil, nil, all); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	if n := checkRanks(t, e, w.key, rng, 40); n < 40 {
		t.Fatalf("the blocks answered %d of the %d counts", n, 40*2)
	}
	if during != 1 {
		t.Fatalf("%d builds, want 1", during)
	}
	if ri := e.ranks.lookup(w.key); ri == nil || ri.building || len(ri.log) != 0 {
		t.Fatal("the set's blocks are not built")
	}
	e.ranks.snapshotTaken = nil

	// Writers and counters at once (the race detector watches), then
	// the counts again.
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			if g == 0 {
				for range 300 {
					w.step(t)
				}
				return
			}
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for range 300 {
				at := MemberKey(float64(r.IntN(3)), []byte("m0200"))
				lo, hi := at, []byte(nil)
				if r.IntN(2) == 0 {
					lo, hi = nil, at
				}
				if _, err := e.CountScores(w.key, lo, hi, all); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := checkRanks(t, e, w.key, rng, 20); n == 0 {
		t.Fatal("the blocks answered no count")
	}
	if d := e.ranks.dropped.Load(); d != 0 {
		t.Fatalf("%d sets' blocks disagreed with the index", d)
	}
}

// TestRankBlocksAreCut: blocks hold about rankBlock entries each when
// built, the target's block is cut again once it has grown past twice
// that, and removals join near-empty blocks.
func TestRankBlocksAreCut(t *testing.T) {
	fences := func(ri *rankIndex) (out []string) {
		for _, b := range ri.blocks {
			out = append(out, fmt.Sprintf("%s:%d", b.fence, b.total()))
		}
		return out
	}
	entries := func(names ...string) func() (*rankEntry, bool, error) {
		return func() (*rankEntry, bool, error) {
			if len(names) == 0 {
				return nil, false, nil
			}
			en := &rankEntry{at: []byte(names[0]), inc: 1}
			names = names[1:]
			return en, true, nil
		}
	}
	blocks, err := cut(nil, 2, entries("a", "b", "c", "d", "e"))
	if err != nil {
		t.Fatal(err)
	}
	ri := &rankIndex{blocks: blocks}
	if got, want := fences(ri), []string{":2", "c:2", "e:1"}; !slices.Equal(got, want) {
		t.Fatalf("cut = %v, want %v", got, want)
	}
	// Entries before the first fence belong to the first block.
	for _, c := range []rankChange{
		{new: &rankEntry{at: []byte("0"), inc: 1}},
		{new: &rankEntry{at: []byte("cc"), inc: 2}},
		{old: &rankEntry{at: []byte("e"), inc: 1}},
	} {
		if !ri.apply(c, 2) {
			t.Fatalf("apply(%v) refused", c)
		}
	}
	if got, want := fences(ri), []string{":3", "c:3"}; !slices.Equal(got, want) {
		t.Fatalf("after three changes: %v, want %v (the emptied block joined)", got, want)
	}
	if ri.apply(rankChange{old: &rankEntry{at: []byte("d"), inc: 2}}, 2) && ri.apply(rankChange{old: &rankEntry{at: []byte("d"), inc: 2}}, 2) {
		t.Fatal("removing more entries of an incarnation than a block counts was accepted")
	}
	// Counts of several incarnations in one block.
	var b rankCount
	for _, step := range []struct {
		inc  uint64
		d    int64
		ok   bool
		want string
	}{
		{1, 2, true, "[{1 2}]"}, {2, 1, true, "[{1 2} {2 1}]"}, {3, 4, true, "[{1 2} {2 1} {3 4}]"},
		{1, -2, true, "[{2 1} {3 4}]"}, {3, -4, true, "[{2 1}]"}, {4, -1, false, "[{2 1}]"}, {2, -1, true, "[]"},
	} {
		if ok := b.add(step.inc, step.d); ok != step.ok || fmt.Sprint(b.counts()) != step.want {
			t.Fatalf("add(%d, %d) = %v leaving %v, want %v leaving %s", step.inc, step.d, ok, b.counts(), step.ok, step.want)
		}
	}
	if b.total() != 0 || !b.add(5, 1) || b.live(func(inc uint64) bool { return inc == 5 }) != 1 {
		t.Fatalf("an emptied block counts %v", b.counts())
	}
	if ri.find([]byte("b")) != 0 || ri.find([]byte("c")) != 1 || ri.find([]byte("z")) != 1 || !bytes.Equal(ri.blocks[1].fence, []byte("c")) {
		t.Fatalf("find places entries wrongly: %v", fences(ri))
	}
}

// TestRankBlockRecountedWhenGrown: members added after the build all land
// in one block (scores above every other); the first count that falls in
// it cuts it back into blocks of the usual size, and counts stay exact.
func TestRankBlockRecountedWhenGrown(t *testing.T) {
	e := open(t, t.TempDir())
	e.ranks.block, e.ranks.buildMin = 4, 8
	key := []byte("z")
	add := func(lo, hi int) {
		t.Helper()
		var keys [][]byte
		for i := lo; i < hi; i++ {
			keys = append(keys, partition.ElementKey(nil, key, fmt.Appendf(nil, "m%04d", i)))
		}
		_, err := e.UpdateGroup(keys, func(cur []version.Object, _ []bool) ([]version.Object, []bool, error) {
			next, write := make([]version.Object, len(cur)), make([]bool, len(cur))
			for j := range cur {
				s := scoreVersion(1, float64(lo+j), uint64(lo+j+1), int64(lo+j+1))
				next[j], write[j] = cur[j].Update(cur[j].Clock, s.Dot, &s), true
			}
			return next, write, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	all := func(uint64) bool { return true }
	rank := func(i int) int64 {
		t.Helper()
		n, err := e.CountScores(key, nil, MemberKey(float64(i), fmt.Appendf(nil, "m%04d", i)), all)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	largest := func() (n int64) {
		blocks := e.ranks.lookup(key).blocks
		for _, b := range blocks {
			n = max(n, b.total())
		}
		return n
	}
	add(0, 40)
	if r := rank(30); r != 30 {
		t.Fatalf("rank of m0030 = %d, want 30", r)
	}
	if n, _ := blocksOf(e, key); n != 10 {
		t.Fatalf("40 entries built into %d blocks, want 10", n)
	}
	add(40, 140)
	if n := largest(); n != 104 {
		t.Fatalf("the last block counts %d entries, want 104", n)
	}
	if r := rank(120); r != 120 {
		t.Fatalf("rank of m0120 = %d, want 120", r)
	}
	if n := largest(); n > 4 {
		t.Fatalf("after a count in it the grown block still holds %d entries", n)
	}
	if n, _ := blocksOf(e, key); n != 35 {
		t.Fatalf("140 entries in %d blocks, want 35", n)
	}
}
