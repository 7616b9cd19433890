package node_test

import (
	"fmt"
	"maps"
	"testing"

	"github.com/dynago/dynago/internal/simcluster"
)

// zscores reads a sorted set through one node as member -> score.
func zscores(t *testing.T, n *simcluster.Node, key string) map[string]string {
	t.Helper()
	v, err := n.Do(ctxFor(t), "ZRANGE", key, "0", "-1", "WITHSCORES").Slice()
	if err != nil {
		t.Fatalf("ZRANGE %s through %s: %v", key, n.Name(), err)
	}
	out := map[string]string{}
	for i := 0; i+1 < len(v); i += 2 {
		out[v[i].(string)] = v[i+1].(string)
	}
	return out
}

var zsetModel = collectionModel{
	set:   func(m, s string) []any { return []any{"ZADD", "h", s, m} },
	del:   func(m string) []any { return []any{"ZREM", "h", m} },
	incr:  func(m string, d int64) []any { return []any{"ZINCRBY", "h", d, m} },
	read:  func(t *testing.T, n *simcluster.Node) map[string]string { return zscores(t, n, "h") },
	value: func(side, step int) string { return fmt.Sprint(1000*(side+1) + step) },
}

// TestSortedSetsConvergeAcrossACut is TestHashesConvergeAcrossACut for a
// sorted set: ZADD, ZREM and DEL of the same few members through both
// sides of a cut, and ZINCRBY of one; every node must then read exactly
// the members and scores the rules predict (a member's score is its newest
// counting ZADD's; every increment counts).
func TestSortedSetsConvergeAcrossACut(t *testing.T) {
	t.Parallel()
	for seed := range uint64(6) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			simcluster.Run(t, func(t *testing.T) {
				hashesAcrossACut(t, seed, zsetModel)
			})
		})
	}
}

// TestBigSortedSetsConvergeAcrossACut is TestSortedSetsConvergeAcrossACut
// for a set of more than 128 members (and no DEL): its reads are answered
// from one owner's score index once R owners agree, and read whole before.
// Either way each node must read what the rules predict.
func TestBigSortedSetsConvergeAcrossACut(t *testing.T) {
	t.Parallel()
	big := zsetModel
	big.fill = 150
	for seed := range uint64(2) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			simcluster.Run(t, func(t *testing.T) {
				hashesAcrossACut(t, seed, big)
			})
		})
	}
}

// TestSortedSetCutScenarios: the sorted sets' merge rules, one concurrent
// pair of writes at a time.
func TestSortedSetCutScenarios(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		before      []any
		left, right []any // through the cut-off node, then through the others
		want        map[string]string
	}{
		{"ZREM and a concurrent ZADD of the same member", []any{"ZADD", "z", 1, "a", 2, "b"},
			[]any{"ZREM", "z", "a"}, []any{"ZADD", "z", 5, "a"}, map[string]string{"a": "5", "b": "2"}},
		{"two scores of one member: the newest wins", []any{"ZADD", "z", 1, "a"},
			[]any{"ZADD", "z", 10, "a"}, []any{"ZADD", "z", 20, "a"}, map[string]string{"a": "20"}},
		{"ZINCRBY on both sides: every increment counts", []any{"ZADD", "z", 1, "a"},
			[]any{"ZINCRBY", "z", 2, "a"}, []any{"ZINCRBY", "z", 3, "a"}, map[string]string{"a": "6"}},
		{"DEL and a concurrent ZADD", []any{"ZADD", "z", 1, "a", 2, "b"},
			[]any{"DEL", "z"}, []any{"ZADD", "z", 3, "c"}, map[string]string{"c": "3"}},
		{"ZREM of the last member and a concurrent ZADD of another", []any{"ZADD", "z", 1, "a"},
			[]any{"ZREM", "z", "a"}, []any{"ZADD", "z", 7, "q"}, map[string]string{"q": "7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cutScenario(t, tc.before, tc.left, tc.right, (len(tc.before)-2)/2, func(t *testing.T, m *simcluster.Node) string {
				if got := zscores(t, m, "z"); !maps.Equal(got, tc.want) {
					return fmt.Sprintf("%v, want %v", got, tc.want)
				}
				return ""
			}, func(t *testing.T, m *simcluster.Node) int { return len(zscores(t, m, "z")) })
		})
	}
}

// TestStringsThatMergeAcrossACut: a HyperLogLog written on both sides of a
// cut counts the union (registers merge by max), and a bitmap holds every
// bit set on either side (bits merge by OR).
func TestStringsThatMergeAcrossACut(t *testing.T) {
	t.Parallel()
	t.Run("hyperloglog", func(t *testing.T) {
		var elems []any
		for i := range 40 {
			elems = append(elems, fmt.Sprint("e", i))
		}
		left := append([]any{"PFADD", "p"}, elems[:25]...)
		right := append([]any{"PFADD", "p"}, elems[15:]...)
		cutScenario(t, []any{"PFADD", "p", "e0"}, left, right, 1, func(t *testing.T, m *simcluster.Node) string {
			n, err := m.Do(ctxFor(t), "PFCOUNT", "p").Int64()
			if err != nil || n != 40 {
				return fmt.Sprintf("PFCOUNT %d (%v), want 40 (the estimate of these 40 elements)", n, err)
			}
			return ""
		}, func(t *testing.T, m *simcluster.Node) int {
			n, _ := m.Do(ctxFor(t), "PFCOUNT", "p").Int64()
			return int(n)
		})
	})
	t.Run("bitmap", func(t *testing.T) {
		cutScenario(t, []any{"SETBIT", "b", 0, 1}, []any{"SETBIT", "b", 3, 1}, []any{"SETBIT", "b", 12, 1}, 1,
			func(t *testing.T, m *simcluster.Node) string {
				got, err := m.Do(ctxFor(t), "GET", "b").Text()
				if want := "\x90\x08"; err != nil || got != want {
					return fmt.Sprintf("%q (%v), want %q", got, err, want)
				}
				return ""
			}, func(t *testing.T, m *simcluster.Node) int {
				got, _ := m.Do(ctxFor(t), "GET", "b").Text()
				return len(got)
			})
	})
}
