package engine

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// scoreVersion is a sorted-set member's version as package op writes it: its
// set's incarnation, then the score.
func scoreVersion(inc uint64, score float64, counter uint64, nanos int64) version.Sibling {
	return version.Sibling{
		Dot:   version.Dot{Actor: actor, Counter: counter},
		Time:  nanos,
		Kind:  version.KindScore,
		Value: append(wire.AppendUint64(nil, inc), op.ScoreBytes(score)...),
	}
}

// modelMember is what the score index should hold of one member.
type modelMember struct {
	score     float64
	inc       uint64
	irregular bool
}

// TestScoreIndexFollowsRecords drives random writes, overwrites, concurrent
// versions across incarnations and deletions of sorted-set members' records
// (and of a hash field's, which has no entry) through the engine, and checks
// after each step that WalkScores, from any bound and in either direction,
// and IrregularScores answer exactly the model's members in Redis's order;
// then that a store whose index is missing (written before it existed) gets
// it rebuilt at Open.
func TestScoreIndexFollowsRecords(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir)
	rng := rand.New(rand.NewPCG(7, 11))
	scores := []float64{math.Inf(-1), -2.5, -1, 0, math.Copysign(0, -1), 1e-300, 1, 1, 3.25, 1e300, math.Inf(1)}
	members := []string{"a", "b", "c", "d", "e", "", "\xff", "a\x00"}
	model := map[string]modelMember{}
	var counter uint64
	check := func(step int) {
		t.Helper()
		var want []Scored
		var irregular []string
		for m, mm := range model {
			if mm.irregular {
				irregular = append(irregular, m)
				continue
			}
			score := mm.score
			if score == 0 {
				score = 0
			}
			want = append(want, Scored{Member: []byte(m), Score: score, Incarnation: mm.inc})
		}
		slices.SortFunc(want, func(a, b Scored) int {
			return cmp.Or(cmp.Compare(a.Score, b.Score), cmp.Compare(string(a.Member), string(b.Member)))
		})
		slices.Sort(irregular)
		for _, rev := range []bool{false, true} {
			for _, from := range append([]*float64{nil}, pointers(scores)...) {
				var got []string
				err := e.WalkScores([]byte("z"), rev, from, func(s Scored) bool {
					got = append(got, fmt.Sprintf("%q=%g@%d", s.Member, s.Score, s.Incarnation))
					return true
				})
				if err != nil {
					t.Fatal(err)
				}
				var exp []string
				for i := range want {
					w := want[i]
					if rev {
						w = want[len(want)-1-i]
					}
					if from != nil && (!rev && w.Score < *from || rev && w.Score > *from) {
						continue
					}
					exp = append(exp, fmt.Sprintf("%q=%g@%d", w.Member, w.Score, w.Incarnation))
				}
				if !slices.Equal(got, exp) {
					t.Fatalf("step %d: WalkScores(rev=%v, from=%v) = %v, want %v", step, rev, deref(from), got, exp)
				}
			}
		}
		got, err := e.IrregularScores([]byte("z"))
		if err != nil {
			t.Fatal(err)
		}
		if gs := strs(got); !slices.Equal(gs, irregular) {
			t.Fatalf("step %d: IrregularScores = %q, want %q", step, gs, irregular)
		}
	}
	ek := func(m string) []byte { return partition.ElementKey(nil, []byte("z"), []byte(m)) }
	for step := range 400 {
		m := members[rng.IntN(len(members))]
		_, err := e.Update(ek(m), func(cur version.Object, found bool) (version.Object, bool, error) {
			counter++
			switch rng.IntN(5) {
			case 0: // a deletion leaves a tombstone
				delete(model, m)
				return version.Object{Clock: cur.Clock.Add(version.Dot{Actor: actor, Counter: counter})}, true, nil
			case 1: // a version concurrent with what is there, perhaps of another incarnation
				inc := uint64(1 + rng.IntN(2))
				s := scoreVersion(inc, scores[rng.IntN(len(scores))], counter, int64(counter))
				s.Dot.Actor = version.Actor{Node: uint64(100 + counter)} // another writer's
				next := version.Merge(cur, version.Object{Clock: version.Clock{}.Add(s.Dot), Siblings: []version.Sibling{s}})
				// The newest version wins (its time is the largest).
				mm := modelMember{score: scores64(s), inc: inc}
				for _, o := range next.Siblings {
					if !slices.Equal(o.Value[:8], s.Value[:8]) {
						mm.irregular = true
					}
				}
				model[m] = mm
				return next, true, nil
			default: // an overwrite of what it saw
				inc := uint64(1 + rng.IntN(2))
				s := scoreVersion(inc, scores[rng.IntN(len(scores))], counter, int64(counter))
				model[m] = modelMember{score: scores64(s), inc: inc}
				return cur.Update(cur.Clock, s.Dot, &s), true, nil
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if step%7 == 0 { // a hash's field in the same key space has no entry
			_, err := e.Update(partition.ElementKey(nil, []byte("z"), []byte("field")), func(cur version.Object, _ bool) (version.Object, bool, error) {
				counter++
				s := version.Sibling{Kind: version.KindField, Value: append(wire.AppendUint64(nil, 1), "v"...)}
				return cur.Update(cur.Clock, version.Dot{Actor: actor, Counter: counter}, &s), true, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		check(step)
	}

	// A store from before the index: no entries and no mark.
	b := e.db.NewBatch()
	if err := b.DeleteRange([]byte{spaceScore}, spaceEnd(spaceScore), nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(metaKey(metaScoreIndex), nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = open(t, dir)
	check(-1)
	// FLUSHALL empties the index with the records.
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	clear(model)
	check(-2)
}

func pointers(fs []float64) []*float64 {
	out := make([]*float64, len(fs))
	for i := range fs {
		out[i] = &fs[i]
	}
	return out
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func strs(bs [][]byte) []string {
	var out []string
	for _, b := range bs {
		out = append(out, string(b))
	}
	return out
}

// scores64 is the score of a version scoreVersion made.
func scores64(s version.Sibling) float64 {
	f, _ := op.ScoreOf(s.Value[8:])
	return f
}

// TestScoreIndexCompactsWhatPopsLeave: a walk that steps over thousands of
// deleted entries (the members a queue popped from its low end) starts a
// compaction of the key's index, after which the same walk steps over
// none, so pops do not each pay for every earlier one.
func TestScoreIndexCompactsWhatPopsLeave(t *testing.T) {
	e := open(t, t.TempDir())
	key := []byte("queue")
	const n, popped = 6000, 5000
	group := func(lo, hi int, next func(i int, cur version.Object) version.Object) {
		t.Helper()
		var keys [][]byte
		for i := lo; i < hi; i++ {
			keys = append(keys, partition.ElementKey(nil, key, fmt.Appendf(nil, "m%05d", i)))
		}
		_, err := e.UpdateGroup(keys, func(cur []version.Object, _ []bool) ([]version.Object, []bool, error) {
			out := make([]version.Object, len(cur))
			write := make([]bool, len(cur))
			for j := range cur {
				out[j], write[j] = next(lo+j, cur[j]), true
			}
			return out, write, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for lo := 0; lo < n; lo += 500 {
		group(lo, lo+500, func(i int, cur version.Object) version.Object {
			s := scoreVersion(1, float64(i), uint64(i+1), int64(i+1))
			return cur.Update(cur.Clock, s.Dot, &s)
		})
	}
	for lo := 0; lo < popped; lo += 500 {
		group(lo, lo+500, func(i int, cur version.Object) version.Object {
			return version.Object{Clock: cur.Clock.Add(version.Dot{Actor: actor, Counter: uint64(n + i + 1)})}
		})
	}
	first := func() string {
		t.Helper()
		var m string
		if err := e.WalkScores(key, false, nil, func(s Scored) bool { m = string(s.Member); return false }); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := first(); m != fmt.Sprintf("m%05d", popped) {
		t.Fatalf("first member %s, want m%05d", m, popped)
	}
	if c := e.compactions.Load(); c != 1 {
		t.Fatalf("%d compactions after a walk over %d deleted entries, want 1", c, popped)
	}
	skipped := e.walkSkipped.Load()
	for e.compacting.Load() {
		runtime.Gosched()
	}
	if m := first(); m != fmt.Sprintf("m%05d", popped) {
		t.Fatalf("first member %s after the compaction, want m%05d", m, popped)
	}
	// The compaction drops the deleted entries, or at least what they
	// deleted: Pebble keeps a deletion where a file of a lower level
	// overlaps its key, which a busy machine's own compactions can leave.
	if after := e.walkSkipped.Load(); after >= skipped {
		t.Fatalf("the walk stepped over %d entries before the compaction and %d after", skipped, after)
	}
}
