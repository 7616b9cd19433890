package antientropy

import (
	"fmt"
	"slices"
	"testing"
)

// fakeRing holds given partitions per member.
type fakeRing map[string][]int

func (r fakeRing) Members() []string {
	var m []string
	for name := range r {
		m = append(m, name)
	}
	slices.Sort(m)
	return m
}

func (r fakeRing) PartitionsOf(name string) []int { return r[name] }

func TestPlanPairsEachTwoLiveReplicasOnceOverWhatTheyShare(t *testing.T) {
	ring := fakeRing{
		"a": {0, 1, 2, 5},
		"b": {1, 2, 3},
		"c": {3, 4, 5},
		"d": {0, 2},
		"e": {6},
	}
	alive := func(name string) bool { return name != "d" }
	show := func(plan []Planned) string { return fmt.Sprint(plan) }
	for _, tc := range []struct {
		self, want string
	}{
		// a meets the live members after it: b over 1 2, c over 5; d is
		// down and e shares nothing.
		{"a", "[{b [1 2]} {c [5]}]"},
		{"b", "[{c [3]}]"},
		{"c", "[]"}, // a and b start their exchanges with c
		{"e", "[]"},
	} {
		if got := show(Plan(tc.self, ring, alive)); got != tc.want {
			t.Errorf("plan of %s: %s, want %s", tc.self, got, tc.want)
		}
	}
	// Over a round of every node, each pair of live replicas that shares a
	// partition meets exactly once.
	met := map[[2]string]int{}
	for _, self := range ring.Members() {
		if !alive(self) {
			continue
		}
		for _, x := range Plan(self, ring, alive) {
			met[[2]string{self, x.Peer}]++
		}
	}
	if fmt.Sprint(met) != "map[[a b]:1 [a c]:1 [b c]:1]" {
		t.Errorf("pairs met: %v", met)
	}
}
