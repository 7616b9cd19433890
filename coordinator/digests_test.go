package coordinator

import (
	"context"
	"testing"
)

// A node whose peers do not know MethodReadDigests (an older release) reads
// from them with MethodReadBatch, and the reads still merge and repair.
func TestReadsFallBackForPeersWithoutDigests(t *testing.T) {
	_, cs := startRingCluster(t, allRing{q: 8, members: []string{"a", "b", "c"}}, func(cfg *Config) {
		caller := cfg.Transport.(memCaller)
		caller.legacy = true
		cfg.Transport = caller
	})
	if err := set(cs["a"], "k", "v1"); err != nil {
		t.Fatal(err)
	}
	if v, ok := readValue(t, cs["c"], "k"); !ok || v != "v1" {
		t.Fatalf("read through c: %q %v, want v1", v, ok)
	}
	waitFor(t, "c to read from a without digests", func() bool { return cs["c"].batcher("a").noDigests.Load() })
	// A replica that missed the write is found stale and repaired.
	o, _, err := cs["a"].eng.Get([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs["c"].eng.Merge([]byte("k2"), o); err != nil {
		t.Fatal(err)
	}
	cs["b"].SetQuorums(3, 2) // so the read waits for c, the one replica holding k2
	if v, ok := readValue(t, cs["b"], "k2"); !ok || v != "v1" {
		t.Fatalf("read of k2 through b: %q %v, want v1 (from c)", v, ok)
	}
	waitFor(t, "k2 repaired on a and b", func() bool {
		return len(localValues(t, cs["a"], "k2")) == 1 && len(localValues(t, cs["b"], "k2")) == 1
	})
}

// A read whose every replica failed has nothing to repair (and must not
// crash deciding so).
func TestReadWithNoRepliesNeedsNoRepair(t *testing.T) {
	_, cs := startCluster(t, "a", "b", "c")
	if err := cs["a"].eng.Close(); err != nil {
		t.Fatal(err)
	}
	net := cs["a"].cfg.Transport.(memCaller).net
	net.setDown("b", true)
	net.setDown("c", true)
	if _, _, err := cs["a"].Read(context.Background(), []byte("k"), Options{}); err == nil {
		t.Fatal("read with no replica able to answer succeeded")
	}
}
