package coordinator

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// TestWalkZSetAgreesWithWholeReads: after random ZADDs, ZINCRBYs, ZREMs and
// DELs on one node, and member records given concurrent versions of an
// ended incarnation (as a cluster's writes across a DEL leave them), the
// score index walk answers, from every bound and in both directions,
// exactly the members and scores a read of every record resolves to, in
// Redis's order.
// A set of a few members is read from its records (smallZSet), one of more
// than smallRecords through the index.
func TestWalkZSetAgreesWithWholeReads(t *testing.T) {
	t.Run("small", func(t *testing.T) {
		walkAgainstWholeReads(t, [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d"), []byte(""), []byte("\xff")}, 0, 300)
	})
	t.Run("large", func(t *testing.T) {
		var members [][]byte
		for i := range smallRecords + 20 {
			members = append(members, []byte(fmt.Sprintf("m%d", i)))
		}
		walkAgainstWholeReads(t, members, smallRecords+10, 60)
	})
}

// walkAgainstWholeReads runs the test over members for steps random
// writes, keeping at least floor of them in the set whatever the steps
// remove.
func walkAgainstWholeReads(t *testing.T, members [][]byte, floor, steps int) {
	ctx := context.Background()
	c := newCoordinator(t, version.Actor{Node: 1, Epoch: 1}, stepClock())
	rng := rand.New(rand.NewPCG(3, 5))
	key := []byte("z")
	scores := []float64{math.Inf(-1), -3, 0, 0.5, 2, 2, 1e9, math.Inf(1)}
	do := func(o *op.Op) {
		t.Helper()
		if _, err := c.Do(ctx, o, Options{}); err != nil {
			t.Fatalf("%v: %v", o.Code, err)
		}
	}
	refill := func() {
		for _, m := range members[:floor] {
			do(&op.Op{Code: op.ZAdd, Key: key, Fields: [][]byte{m}, Values: [][]byte{op.ScoreBytes(scores[rng.IntN(len(scores))])}})
		}
	}
	refill()
	// ended holds member records of incarnations the DELs ended.
	var ended []version.Object
	foreign := uint64(100)
	whole := checkWalk(t, c, key, -1, scores)
	for step := range steps {
		m := members[rng.IntN(len(members))]
		switch k := rng.IntN(12); {
		case k >= 10:
			// A pop or a removal of a range takes exactly what Select
			// picks from the whole set, and nothing else.
			r := randomRange(rng, scores)
			want := r.Select(whole)
			res, err := c.Do(ctx, &op.Op{Code: op.ZRemRange, Key: key, Value: r.AppendBinary(nil)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got, exp []string
			for i := 0; i+1 < len(res.Elems); i += 2 {
				got = append(got, string(res.Elems[i]))
			}
			for _, m := range want {
				exp = append(exp, string(m.Member))
			}
			if !slices.Equal(got, exp) {
				t.Fatalf("step %d: ZRemRange %+v removed %q, want %q", step, r, got, exp)
			}
			after := checkWalk(t, c, key, step, scores)
			left := slices.DeleteFunc(slices.Clone(whole), func(m op.ScoredMember) bool {
				return slices.ContainsFunc(want, func(w op.ScoredMember) bool { return string(w.Member) == string(m.Member) })
			})
			if fmt.Sprint(after) != fmt.Sprint(left) {
				t.Fatalf("step %d: after ZRemRange %+v the set is %v, want %v", step, r, after, left)
			}
			whole = after
			continue
		case k < 5:
			do(&op.Op{Code: op.ZAdd, Key: key, Fields: [][]byte{m}, Values: [][]byte{op.ScoreBytes(scores[rng.IntN(len(scores))])}})
		case k < 7:
			do(&op.Op{Code: op.ZIncrBy, Key: key, Fields: [][]byte{m}, Float: float64(rng.IntN(7) - 3)})
		case k < 8:
			do(&op.Op{Code: op.ZRem, Key: key, Fields: [][]byte{m}})
		case k < 9:
			for _, m := range members {
				if o, found, err := c.eng.Get(partition.ElementKey(nil, key, m)); err == nil && found && !o.IsTombstone() {
					ended = append(ended, o)
				}
			}
			do(&op.Op{Code: op.Del, Key: key})
			refill()
		default:
			// A version of an ended incarnation, concurrent with what the
			// record holds now: the record spans incarnations.
			if len(ended) == 0 {
				continue
			}
			old := ended[rng.IntN(len(ended))]
			s := old.Siblings[0]
			foreign++
			s.Dot = version.Dot{Actor: version.Actor{Node: foreign, Epoch: 1}, Counter: 1}
			ek := partition.ElementKey(nil, key, m)
			if _, err := c.eng.Merge(ek, version.Object{Clock: version.Clock{}.Add(s.Dot), Siblings: []version.Sibling{s}}); err != nil {
				t.Fatal(err)
			}
		}
		whole = checkWalk(t, c, key, step, scores)
	}
}

// randomRange is a range of the kinds a lone node reads through the index:
// ranks from one end, or scores with or without a LIMIT, either way round.
func randomRange(rng *rand.Rand, scores []float64) op.ZRange {
	r := op.ZRange{Rev: rng.IntN(2) == 0, Count: -1}
	if rng.IntN(2) == 0 {
		r.By = op.ByRank
		r.Start, r.Stop = int64(rng.IntN(3)), int64(rng.IntN(3))
		if rng.IntN(2) == 0 {
			r.Start, r.Stop = -r.Start-1, -r.Stop-1
		}
		return r
	}
	r.By = op.ByScore
	r.Min = op.ScoreBound{Value: scores[rng.IntN(len(scores))], Exclusive: rng.IntN(3) == 0}
	r.Max = op.ScoreBound{Value: scores[rng.IntN(len(scores))], Exclusive: rng.IntN(3) == 0}
	if rng.IntN(2) == 0 {
		// The walk runs to the set's end, with members before its start.
		if r.Rev {
			r.Min = op.ScoreBound{Value: math.Inf(-1)}
		} else {
			r.Max = op.ScoreBound{Value: math.Inf(1)}
		}
	}
	if rng.IntN(2) == 0 {
		r.Offset, r.Count = int64(rng.IntN(3)), int64(rng.IntN(4))
	}
	return r
}

// checkWalk checks WalkZSet against a whole read of key and returns the
// set's members in order.
func checkWalk(t *testing.T, c *Coordinator, key []byte, step int, bounds []float64) []op.ScoredMember {
	t.Helper()
	hdr, found, err := c.eng.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.ReadElements(context.Background(), key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	values, err := op.ResolveCollection(op.TypeZSet, hdr, found, recs, c.now(Options{}).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	if values == nil {
		return nil
	}
	var whole []op.ScoredMember
	for m, v := range values {
		s, _ := op.ScoreOf(v)
		whole = append(whole, op.ScoredMember{Member: []byte(m), Score: s})
	}
	slices.SortFunc(whole, op.CompareScored)
	v, _, err := op.Resolve(hdr, c.now(Options{}).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	for _, rev := range []bool{false, true} {
		for i := -1; i < len(bounds); i++ {
			var from *float64
			if i >= 0 {
				from = &bounds[i]
			}
			var got []string
			served, err := c.WalkZSet(context.Background(), key, v.Collection, Options{}, rev, from, func(m op.ScoredMember) bool {
				got = append(got, fmt.Sprintf("%q=%g", m.Member, m.Score))
				return true
			})
			if err != nil || !served {
				t.Fatalf("WalkZSet: served %v, %v", served, err)
			}
			var want []string
			for j := range whole {
				m := whole[j]
				if rev {
					m = whole[len(whole)-1-j]
				}
				if from == nil || !rev && m.Score >= *from || rev && m.Score <= *from {
					want = append(want, fmt.Sprintf("%q=%g", m.Member, m.Score))
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("step %d: WalkZSet(rev=%v, from=%v) = %v, want %v", step, rev, from, got, want)
			}
		}
	}
	// Ranks, counted in the index, from both ends.
	for i := range whole {
		for _, rev := range []bool{false, true} {
			rank, served, err := c.RankZSet(context.Background(), key, v.Collection, Options{}, whole[i], rev)
			want := int64(i)
			if rev {
				want = int64(len(whole) - 1 - i)
			}
			if err != nil || !served || rank != want {
				t.Fatalf("step %d: RankZSet(%q, rev=%v) = %d (served %v, %v), want %d", step, whole[i].Member, rev, rank, served, err, want)
			}
		}
	}
	return whole
}

// TestConcurrentPopsLoseNothing: adds and pops (ZADD and ZPOPMIN, SADD and
// SPOP) racing on one lone node's collection, so that a pop's read of the
// set and its lock have writes between them, pop each member once, and
// what is left is exactly what was added and not popped: no member lost
// with a header removed too early, none popped twice.
func TestConcurrentPopsLoseNothing(t *testing.T) {
	first2 := op.ZRange{By: op.ByRank, Start: 0, Stop: 1, Count: -1}
	t.Run("ZPOPMIN", func(t *testing.T) {
		concurrentPops(t,
			func(m []byte, i int) *op.Op {
				return &op.Op{Code: op.ZAdd, Key: []byte("q"), Fields: [][]byte{m}, Values: [][]byte{op.ScoreBytes(float64(i))}}
			},
			&op.Op{Code: op.ZRemRange, Key: []byte("q"), Value: first2.AppendBinary(nil)},
			2, op.TypeZSet)
	})
	t.Run("SPOP", func(t *testing.T) {
		concurrentPops(t,
			func(m []byte, _ int) *op.Op { return &op.Op{Code: op.SAdd, Key: []byte("q"), Fields: [][]byte{m}} },
			&op.Op{Code: op.SPop, Key: []byte("q"), Flags: op.WithCount, Int: 2},
			1, op.TypeSet)
	})
}

// concurrentPops runs TestConcurrentPopsLoseNothing for one type: add
// makes the write of member m (the i-th of its writer), pop removes some;
// its result lists them, each followed by stride-1 more elements.
func concurrentPops(t *testing.T, add func(m []byte, i int) *op.Op, pop *op.Op, stride int, typ op.Type) {
	ctx := context.Background()
	c := newCoordinator(t, version.Actor{Node: 1, Epoch: 1}, stepClock())
	key := []byte("q")
	const writers, perWriter, poppers = 3, 150, 2
	var wg sync.WaitGroup
	popped := make([][]string, poppers)
	var adding atomic.Int32
	adding.Store(writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer adding.Add(-1)
			for i := range perWriter {
				if _, err := c.Do(ctx, add([]byte(fmt.Sprintf("w%d-%d", w, i)), i), Options{}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for p := range poppers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for adding.Load() > 0 {
				res, err := c.Do(ctx, pop, Options{})
				if err != nil {
					t.Error(err)
					return
				}
				for i := 0; i < len(res.Elems); i += stride {
					popped[p] = append(popped[p], string(res.Elems[i]))
				}
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, ms := range popped {
		for _, m := range ms {
			if seen[m] {
				t.Fatalf("%s popped twice", m)
			}
			seen[m] = true
		}
	}
	hdr, found, err := c.eng.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.ReadElements(ctx, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	left, err := op.ResolveCollection(typ, hdr, found, recs, c.now(Options{}).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	for m := range left {
		if seen[m] {
			t.Fatalf("%s popped and still there", m)
		}
		seen[m] = true
	}
	if len(seen) != writers*perWriter {
		t.Fatalf("%d members popped or left, want the %d added", len(seen), writers*perWriter)
	}
}
