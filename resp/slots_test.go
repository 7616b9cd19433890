package resp

import (
	"slices"
	"testing"

	"github.com/dynago/dynago/partition"
)

func TestSlotView(t *testing.T) {
	infos := []NodeInfo{
		{Name: "a", RESPAddr: "127.0.0.1:7001", PeerAddr: "127.0.0.1:27001", State: "alive", Self: true},
		{Name: "b", RESPAddr: "0.0.0.0:7002", ClientAddr: "10.0.0.2:7002", State: "alive"},
		{Name: "c", RESPAddr: "127.0.0.1:7003", State: "suspect"},
		{Name: "d", RESPAddr: "127.0.0.1:7004", State: "dead"},
	}
	owners := map[int][]string{
		0: {"b", "a", "c"},
		1: {"b", "a", "c"}, // same nodes as 0: one run
		2: {"c", "d", "b"}, // the suspect and the dead are left out
		3: {"d", "c", "d"}, // none alive: this node serves it
	}
	v := buildSlotView(4, func(p int) []string { return owners[p] }, infos)
	want := []struct {
		first, last int
		nodes       []string
	}{
		{0, 8191, []string{"b", "a"}},
		{8192, 12287, []string{"b"}},
		{12288, 16383, []string{"a"}},
	}
	if len(v.ranges) != len(want) {
		t.Fatalf("%d runs, want %d: %+v", len(v.ranges), len(want), v.ranges)
	}
	for i, w := range want {
		r := v.ranges[i]
		var names []string
		for _, n := range r.nodes {
			names = append(names, v.nodes[n].name)
		}
		if r.first != w.first || r.last != w.last || !slices.Equal(names, w.nodes) {
			t.Errorf("run %d: %d-%d %v, want %d-%d %v", i, r.first, r.last, names, w.first, w.last, w.nodes)
		}
	}
	if b := v.nodes[1]; b.host != "10.0.0.2" || b.port != 7002 || b.id != nodeID("b") || len(b.id) != 40 {
		t.Errorf("node b shown as %+v", b)
	}
	if a := v.nodes[0]; a.cport != 27001 {
		t.Errorf("node a's bus port %d, want its internode port 27001", a.cport)
	}
	// b coordinates 0-12287 as two runs with different replicas: one range
	// in CLUSTER NODES.
	if got := v.slotsOf(1); len(got) != 1 || got[0].first != 0 || got[0].last != 12287 {
		t.Errorf("slots of b: %+v", got)
	}
	if got := v.slotsOf(2); len(got) != 0 {
		t.Errorf("the suspect coordinates %+v", got)
	}
}

func TestSlotViewCoversEverySlotOnce(t *testing.T) {
	names := []string{"n1", "n2", "n3", "n4", "n5"}
	var infos []NodeInfo
	for i, n := range names {
		infos = append(infos, NodeInfo{Name: n, RESPAddr: "127.0.0.1:700" + n[1:], State: "alive", Self: i == 0})
	}
	ring, err := partition.NewRing(256, 3, names)
	if err != nil {
		t.Fatal(err)
	}
	v := buildSlotView(ring.Q(), ring.Owners, infos)
	next := 0
	for _, r := range v.ranges {
		if r.first != next || r.last < r.first || len(r.nodes) != 3 {
			t.Fatalf("run %+v after slot %d", r, next-1)
		}
		// The run's nodes are its partitions' owners, in ring order.
		p := r.first / (partition.Slots / ring.Q())
		for j, n := range r.nodes {
			if v.nodes[n].name != ring.Owners(p)[j] {
				t.Fatalf("slot %d: node %d is %s, ring says %v", r.first, j, v.nodes[n].name, ring.Owners(p))
			}
		}
		next = r.last + 1
	}
	if next != partition.Slots {
		t.Fatalf("runs end at slot %d", next)
	}
	total := 0
	for i := range v.nodes {
		for _, r := range v.slotsOf(i) {
			total += r.last - r.first + 1
		}
	}
	if total != partition.Slots {
		t.Fatalf("CLUSTER NODES would list %d slots, want every one once", total)
	}
}
