package coordinator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/version"
)

// A write that cannot reach W keeps the copies no stand-in could take as
// hints here before it answers NOQUORUM (quorum.Write counts a kept hint's
// vote only once the driver reports it kept), so the owners that were down
// get the write when they are back, whatever the client was told.
func TestNoQuorumWriteKeepsItsHintsBeforeAnswering(t *testing.T) {
	net, cs := startCluster(t, "a", "b", "c")
	net.setDown("b", true)
	net.setDown("c", true)
	err := set(cs["a"], "k", "v1")
	var nq *NoQuorumError
	if !errors.As(err, &nq) || nq.Answered != 1 || nq.Needed != 2 || nq.Replicas != 3 {
		t.Fatalf("write with two of three down = %v, want NOQUORUM 1 of 2 (3 replicas)", err)
	}
	if n := cs["a"].eng.Hints(); n != 2 {
		t.Fatalf("%d hints kept when the write answered, want 2 (one for each owner down)", n)
	}
}

// BenchmarkQuorumRead reads one key through an owner of a three-node
// cluster on the in-memory network: this node's copy, the two others asked
// through their batchers, the merge.
func BenchmarkQuorumRead(b *testing.B) {
	cs := benchCluster(b, "a", "b", "c")
	if err := set(cs["a"], "k", "v1"); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := cs["a"].readReplicas(ctx, []byte("k"), 2); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCluster is startCluster for a benchmark.
func benchCluster(b *testing.B, names ...string) map[string]*Coordinator {
	net := &memNet{nodes: map[string]*Coordinator{}, down: map[string]bool{}}
	ring := allRing{q: 8, members: names}
	for i, name := range names {
		ecfg := engine.DefaultConfig(b.TempDir())
		ecfg.Partitions = 8
		eng, err := engine.Open(ecfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { eng.Close() })
		c, err := New(Config{
			Actor:     version.Actor{Node: uint64(i + 1), Epoch: 1},
			Cluster:   memCluster{self: name, ring: ring, net: net},
			Transport: memCaller{net: net, self: name},
			Timeout:   time.Second,
		}, eng)
		if err != nil {
			b.Fatal(err)
		}
		net.nodes[name] = c
	}
	return net.nodes
}
