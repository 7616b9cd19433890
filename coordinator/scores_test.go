package coordinator

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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
	for step := range steps {
		m := members[rng.IntN(len(members))]
		switch k := rng.IntN(10); {
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
		checkWalk(t, c, key, step, scores)
	}
}

func checkWalk(t *testing.T, c *Coordinator, key []byte, step int, bounds []float64) {
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
		return
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
			served, err := c.WalkZSet(key, v.Collection, rev, from, func(m op.ScoredMember) bool {
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
}
