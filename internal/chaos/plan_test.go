package chaos

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestPlannerIsSeededAndFitsTheCluster(t *testing.T) {
	members := []string{"a", "b", "c", "d", "e"}
	draw := func(seed uint64) []string {
		p := newPlanner(seed, AllFaults, 5, 3)
		ms := slices.Clone(members)
		var out []string
		for i := range 200 {
			f, ok := p.next(ms, "")
			if !ok {
				t.Fatalf("draw %d: no fault fits %d members", i, len(ms))
			}
			switch f.Kind {
			case FaultJoin:
				if len(ms) != 5 {
					t.Fatalf("join with %d members", len(ms))
				}
				ms = append(ms, fmt.Sprintf("new%d", i))
			case FaultLeave, FaultRemove:
				if len(ms) != 6 {
					t.Fatalf("%s with %d members", f.Kind, len(ms))
				}
				ms = slices.DeleteFunc(ms, func(m string) bool { return m == f.Targets[0] })
			case FaultKill2:
				if len(f.Targets) != 2 || f.Targets[0] == f.Targets[1] {
					t.Fatalf("kill2 targets %q", f.Targets)
				}
			case FaultCut:
				all := append(slices.Clone(f.Sides[0]), f.Sides[1]...)
				slices.Sort(all)
				if len(f.Sides[0]) == 0 || len(f.Sides[0]) > len(f.Sides[1]) || !slices.Equal(all, slices.Sorted(slices.Values(ms))) {
					t.Fatalf("cut sides %q of members %q", f.Sides, ms)
				}
			default:
				if len(f.Targets) != 1 || !slices.Contains(ms, f.Targets[0]) {
					t.Fatalf("%s targets %q of members %q", f.Kind, f.Targets, ms)
				}
			}
			out = append(out, f.String())
		}
		return out
	}
	a, b := draw(7), draw(7)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed drew different faults")
	}
	if slices.Equal(a, draw(8)) {
		t.Fatal("different seeds drew the same faults")
	}
	seen := map[FaultKind]bool{}
	for _, f := range a {
		for _, k := range AllFaults {
			if len(f) >= len(k) && f[:len(k)] == string(k) {
				seen[k] = true
			}
		}
	}
	if len(seen) != len(AllFaults) {
		t.Fatalf("200 draws used only %v", seen)
	}
}

func TestPlannerSmallClusters(t *testing.T) {
	p := newPlanner(1, []FaultKind{FaultKill2}, 3, 3)
	if f, ok := p.next([]string{"a", "b", "c"}, ""); ok {
		t.Fatalf("kill2 drawn for three nodes: %v", f)
	}
	p = newPlanner(1, []FaultKind{FaultLeave}, 3, 3)
	if f, ok := p.next([]string{"a", "b", "c"}, ""); ok {
		t.Fatalf("a leave drawn that would leave fewer nodes than replicas: %v", f)
	}
	if f, ok := p.next([]string{"a", "b", "c", "d"}, ""); !ok || f.Kind != FaultLeave {
		t.Fatalf("no leave for four nodes without joins: %v %v", f, ok)
	}
}

func TestPlannerFollowsTheSchedule(t *testing.T) {
	p := newPlanner(1, []FaultKind{FaultKill, FaultJoin, FaultLeave}, 3, 3)
	ms := []string{"a", "b", "c"}
	if f, _ := p.next(ms, FaultJoin); f.Kind != FaultJoin {
		t.Fatalf("scheduled join drew %v", f)
	}
	if f, _ := p.next(ms, FaultLeave); f.Kind == FaultLeave {
		t.Fatalf("a scheduled leave that does not fit was drawn: %v", f)
	}
	if f, _ := p.next(append(ms, "d"), FaultLeave); f.Kind != FaultLeave || len(f.Targets) != 1 {
		t.Fatalf("scheduled leave drew %v", f)
	}
}

func TestPlanKeys(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SetClients, cfg.VSetClients, cfg.CounterClients, cfg.HashClients, cfg.Keys, cfg.Counters = 2, 5, 2, 2, 3, 2
	cs := plan(cfg)
	if len(cs) != 11 {
		t.Fatalf("%d clients, want 11", len(cs))
	}
	writers := map[string]map[Kind]int{}
	for i, c := range cs {
		if c.id != i {
			t.Fatalf("client %d has id %d", i, c.id)
		}
		for _, k := range c.keys {
			if writers[k] == nil {
				writers[k] = map[Kind]int{}
			}
			writers[k][c.kind]++
		}
	}
	for k, w := range writers {
		if len(w) != 1 {
			t.Fatalf("key %s written by kinds %v", k, w)
		}
		for kind, n := range w {
			ok := (kind == KindSet || kind == KindHSet) && n == 1 || (kind == KindVSet && (n == 2 || n == 3)) || (kind == KindIncr && n == 2)
			if !ok {
				t.Fatalf("key %s has %d %s writers", k, n, kind)
			}
		}
	}
	if got := len(keysOf(cs)); got != 2*3+2*3+2+2*3 {
		t.Fatalf("%d keys, want 20", got)
	}
	if kinds := kindsOf(cs); len(kinds) != 22 || kinds[hashCounter] != KindHIncr || kinds[zsetCounter] != KindZIncr ||
		kinds["hash:c9:k0"] != KindHSet || kinds["sset:c9:k1"] != KindSAdd || kinds["zset:c9:k2"] != KindZAdd {
		t.Fatalf("kinds %v: want the 20 keys and the two counters", kinds)
	}
	for n, want := range map[int][]int{2: {2}, 3: {3}, 4: {2, 2}, 5: {3, 2}, 6: {3, 3}, 7: {3, 2, 2}} {
		if got := groupSizes(n); !slices.Equal(got, want) {
			t.Errorf("groupSizes(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestParsers(t *testing.T) {
	ms, err := parseNodes("127.0.0.1:1 127.0.0.1:1 alive partitions=64 myself\n127.0.0.1:2 127.0.0.1:2 dead partitions=0 not-in-ring\n")
	if err != nil || len(ms) != 2 || ms[0] != (member{"127.0.0.1:1", "127.0.0.1:1", "alive", true}) ||
		ms[1] != (member{"127.0.0.1:2", "127.0.0.1:2", "dead", false}) {
		t.Fatalf("parseNodes = %+v, %v", ms, err)
	}
	if _, err := parseNodes("short line\n"); err == nil {
		t.Fatal("parseNodes accepted a short line")
	}
	st := parseStatus("node:127.0.0.1:1\r\nhints_pending:3\r\n")
	if st["hints_pending"] != "3" || st["node"] != "127.0.0.1:1" {
		t.Fatalf("parseStatus = %v", st)
	}
	ring, err := parseRing([]string{"0 a,b,c", "1 b,c,a"})
	if err != nil || !slices.Equal(ring[0], []string{"a", "b", "c"}) || !slices.Equal(ring[1], []string{"b", "c", "a"}) {
		t.Fatalf("parseRing = %v, %v", ring, err)
	}
	trees, err := parseTrees([]any{int64(0), "00ff", "1", "abcd"})
	if err != nil || trees[0] != "00ff" || trees[1] != "abcd" {
		t.Fatalf("parseTrees = %v, %v", trees, err)
	}
	if _, err := parseTrees([]any{int64(0)}); err == nil {
		t.Fatal("parseTrees accepted an odd array")
	}
	r, err := parseVersions([]any{"ctx", "a", "b"})
	if err != nil || !r.Found || !slices.Equal(r.Values, []string{"a", "b"}) {
		t.Fatalf("parseVersions = %+v, %v", r, err)
	}
	if r, err := parseVersions([]any{}); err != nil || r.Found {
		t.Fatalf("parseVersions(empty) = %+v, %v", r, err)
	}
	if r, err := parseVersions([]any{"ctx"}); err != nil || r.Found || len(r.Values) != 0 {
		t.Fatalf("parseVersions(tombstone) = %+v, %v", r, err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	bad := DefaultConfig()
	bad.VSetClients, bad.Partitions, bad.Hold, bad.Faults = 1, 3, 0, []FaultKind{"flood"}
	err := bad.Validate()
	if err == nil {
		t.Fatal("a bad config validated")
	}
	for _, want := range []string{"VSetClients", "Partitions", "Hold", "flood"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
