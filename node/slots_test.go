package node_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/redis/go-redis/v9"
)

// slotNodes reads CLUSTER SLOTS through r, checks that its runs cover
// every slot once, in order, and returns the addresses it names and the
// first node of each run.
func slotNodes(t *testing.T, r *redis.Client) (all, first map[string]bool) {
	t.Helper()
	slots, err := r.ClusterSlots(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	all, first = map[string]bool{}, map[string]bool{}
	next := 0
	for _, s := range slots {
		if int(s.Start) != next || s.End < s.Start || len(s.Nodes) == 0 {
			t.Fatalf("CLUSTER SLOTS run %d-%d with %d nodes after slot %d", s.Start, s.End, len(s.Nodes), next-1)
		}
		next = int(s.End) + 1
		first[s.Nodes[0].Addr] = true
		for _, n := range s.Nodes {
			all[n.Addr] = true
		}
	}
	if next != 16384 {
		t.Fatalf("CLUSTER SLOTS ends at slot %d", next-1)
	}
	return all, first
}

// TestClusterSlotsFollowMembership checks that the Redis Cluster view every
// node answers changes as soon as membership does: a stopped node leaves
// CLUSTER SLOTS once it is found down, and a node that joins appears once
// it is in the ring.
func TestClusterSlotsFollowMembership(t *testing.T) {
	t.Parallel()
	c := testserver.StartCluster(t, 3, steady)
	cls := clients(c)
	ctx := ctxFor(t)
	for j, r := range cls {
		all, first := slotNodes(t, r)
		for _, cn := range c.Nodes {
			if !all[cn.Addr()] || !first[cn.Addr()] {
				t.Fatalf("CLUSTER SLOTS through node %d: %s listed %v, first of a run %v", j+1, cn.Addr(), all[cn.Addr()], first[cn.Addr()])
			}
		}
		// A node's id in CLUSTER SLOTS is the one it gives itself.
		id, err := r.ClusterMyID(ctx).Result()
		if err != nil || len(id) != 40 {
			t.Fatalf("CLUSTER MYID: %q, %v", id, err)
		}
		nodes, err := r.ClusterNodes(ctx).Result()
		if err != nil || !strings.Contains(nodes, id+" "+c.Nodes[j].Addr()) || !strings.Contains(nodes, "myself,master") {
			t.Fatalf("CLUSTER NODES through node %d:\n%s (%v)", j+1, nodes, err)
		}
	}

	c.Nodes[2].Stop()
	c.WaitAlive(2, false)
	for j, r := range cls[:2] {
		all, _ := slotNodes(t, r)
		if all[c.Nodes[2].Addr()] {
			t.Fatalf("CLUSTER SLOTS through node %d still lists the stopped node", j+1)
		}
		nodes, err := r.ClusterNodes(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		line := ""
		for l := range strings.Lines(nodes) {
			if strings.Contains(l, " "+c.Nodes[2].Addr()+"@") {
				line = l
			}
		}
		if f := strings.Fields(line); len(f) != 8 || f[2] != "master,fail" {
			t.Fatalf("CLUSTER NODES through node %d shows the stopped node as %q; want master,fail with no slots", j+1, line)
		}
	}

	joined := c.Add(steady)
	c.WaitFor("the new node in every running node's CLUSTER SLOTS", func() bool {
		for _, r := range append(cls[:2], joined.Client()) {
			all, _ := slotNodes(t, r)
			if !all[joined.Addr()] {
				return false
			}
		}
		return true
	})
	all, _ := slotNodes(t, cls[0])
	got := make([]string, 0, len(all))
	for a := range all {
		got = append(got, a)
	}
	want := []string{c.Nodes[0].Addr(), c.Nodes[1].Addr(), joined.Addr()}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("CLUSTER SLOTS names %v, want the three live nodes %v", got, want)
	}
}
