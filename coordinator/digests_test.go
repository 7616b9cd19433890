package coordinator

import (
	"context"
	"testing"

	"github.com/dynago/dynago/antientropy"
)

// A replica answers a digest read with one byte when its copy has the
// reader's digest, with its object when it differs, and with "none" when it
// holds nothing.
func TestReplicaAnswersDigestReads(t *testing.T) {
	_, cs := startCluster(t, "a", "b", "c")
	if err := set(cs["a"], "k", "v"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "k on b", func() bool { return len(localValues(t, cs["b"], "k")) == 1 })
	mine, _, err := cs["a"].eng.Get([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	d := antientropy.Digest([]byte("k"), mine)
	keys := [][]byte{[]byte("k"), []byte("k"), []byte("absent")}
	reply, err := cs["b"].HandleReadDigests(encodeDigestReads(keys, []uint64{d, d + 1, 0}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeDigestReplies(reply, len(keys))
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].same || got[0].found {
		t.Fatalf("same digest: %+v, want same", got[0])
	}
	if got[1].same || !got[1].found || !got[1].obj.Equal(mine) {
		t.Fatalf("other digest: %+v, want b's object", got[1])
	}
	if got[2].same || got[2].found {
		t.Fatalf("absent key: %+v, want none", got[2])
	}
	if reply[0] != digestSame || len(reply) != 2+1+len(mine.AppendBinary(nil))+1 {
		t.Fatalf("reply of %d bytes %v: the agreeing replica must answer in one byte", len(reply), reply)
	}
}

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
