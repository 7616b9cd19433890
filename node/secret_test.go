package node_test

import (
	"strings"
	"testing"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
)

// TestClusterSecret runs a cluster whose members share a secret: it serves
// as usual, and a node without the secret, or with another one, cannot join.
func TestClusterSecret(t *testing.T) {
	t.Parallel()
	c := testserver.StartCluster(t, 3, with(steady, func(_ int, cfg *node.Config) { cfg.ClusterSecret = "open sesame" }))
	cls := clients(c)
	ctx := ctxFor(t)
	if err := cls[0].Set(ctx, "guarded", "v", 0).Err(); err != nil {
		t.Fatalf("SET in a cluster with a secret: %v", err)
	}
	for i, cl := range cls {
		if got, ok := getOK(t, cl, "guarded"); !ok || got != "v" {
			t.Fatalf("GET through node %d = %q, %v", i+1, got, ok)
		}
	}
	for _, secret := range []string{"", "sesame"} {
		intruder := testserver.Start(t, func(cfg *node.Config) {
			cfg.Name = "intruder"
			cfg.ClusterSecret = secret
			cfg.Gossip = testserver.FastGossip
		}).Node
		ic := testserver.NewClient(t, intruder.Addr())
		err := ic.Do(ctx, "DYNAGO", "JOIN", c.Nodes[0].Config.GossipAddr).Err()
		if err == nil || !strings.Contains(err.Error(), "join failed") {
			t.Fatalf("a node with secret %q joined: %v", secret, err)
		}
		if n := len(intruder.RingMembers()); n != 1 {
			t.Fatalf("the intruder sees %d ring members", n)
		}
		for i, cn := range c.Nodes {
			if n := len(cn.Node.RingMembers()); n != 3 {
				t.Fatalf("node %d sees %d ring members after the attempt", i+1, n)
			}
		}
	}
}
