package coordinator

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// fiveNodes is a ring of five members with three replicas per key.
func fiveNodes(t *testing.T) *partition.Ring {
	t.Helper()
	ring, err := partition.NewRing(8, 3, []string{"a", "b", "c", "d", "e"})
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func TestSloppyQuorumWritesThroughTwoDownOwnersAndHandsOff(t *testing.T) {
	ring := fiveNodes(t)
	net, coords := startRingCluster(t, ring, nil)
	key := []byte("sloppy")
	p := ring.PartitionOf(key)
	owners, pref := ring.Owners(p), ring.Preference(p)
	first := coords[owners[0]]
	net.setDown(owners[1], true)
	net.setDown(owners[2], true)

	if err := set(first, string(key), "v1"); err != nil {
		t.Fatalf("write with two owners down: %v (a stand-in must count toward W)", err)
	}
	// W=2 is met by this node and the first stand-in; the second copy may
	// still be on its way.
	waitFor(t, "a hint for each down owner on the stand-ins", func() bool {
		var hinted int64
		for _, name := range pref[3:] {
			hinted += coords[name].eng.Hints()
		}
		return hinted == 2
	})
	if got, ok := readValue(t, first, string(key)); !ok || got != "v1" {
		t.Fatalf("read with two owners down = %q %v, want v1 (stand-ins answer reads)", got, ok)
	}

	// The owners come back: the stand-ins deliver and forget their hints.
	net.setDown(owners[1], false)
	net.setDown(owners[2], false)
	for _, name := range pref[3:] {
		if _, err := deliverHints(coords[name]); err != nil {
			t.Fatal(err)
		}
		if n := coords[name].eng.Hints(); n != 0 {
			t.Fatalf("%s still holds %d hints after delivery", name, n)
		}
	}
	for _, name := range owners {
		o, found, err := coords[name].eng.Get(key)
		if err != nil || !found || len(o.Siblings) != 1 || !bytes.Equal(o.Siblings[0].Value, []byte("v1")) {
			t.Fatalf("owner %s holds %v %v %v after handoff, want v1", name, o, found, err)
		}
	}
}

func TestStrictQuorumCountsOnlyOwners(t *testing.T) {
	ring := fiveNodes(t)
	net, coords := startRingCluster(t, ring, func(c *Config) { c.Strict = true })
	key := []byte("strict")
	owners := ring.Owners(ring.PartitionOf(key))
	net.setDown(owners[1], true)
	net.setDown(owners[2], true)
	err := set(coords[owners[0]], string(key), "v1")
	var nq *NoQuorumError
	if !errors.As(err, &nq) || nq.Answered != 1 || nq.Needed != 2 {
		t.Fatalf("strict write with two owners down = %v, want NOQUORUM 1 of 2", err)
	}
	// The write was still handed off, so it reaches the owners later.
	waitFor(t, "the refused write's hints", func() bool {
		var n int64
		for _, c := range coords {
			n += c.eng.Hints()
		}
		return n == 2
	})
	net.setDown(owners[1], false)
	net.setDown(owners[2], false)
	for _, c := range coords {
		if _, err := deliverHints(c); err != nil {
			t.Fatal(err)
		}
	}
	if _, found, _ := coords[owners[1]].eng.Get(key); !found {
		t.Fatal("the refused strict write never reached the owner that was down")
	}
}

func TestRepairKeysMakesTwoReplicasAgree(t *testing.T) {
	_, coords := startCluster(t, "a", "b")
	a, b := coords["a"], coords["b"]
	mk := func(node uint64, value string) version.Object {
		return version.Object{}.Update(nil, version.Dot{Actor: version.Actor{Node: node, Epoch: 1}, Counter: 1},
			&version.Sibling{Time: int64(node), Value: []byte(value)})
	}
	// only-a, only-b, and a key each holds a different version of.
	if err := a.eng.MergeBatch([][]byte{[]byte("only-a"), []byte("both")}, []version.Object{mk(1, "x"), mk(1, "ya")}); err != nil {
		t.Fatal(err)
	}
	if err := b.eng.MergeBatch([][]byte{[]byte("only-b"), []byte("both")}, []version.Object{mk(2, "z"), mk(2, "yb")}); err != nil {
		t.Fatal(err)
	}
	keys := [][]byte{[]byte("only-a"), []byte("only-b"), []byte("both"), []byte("neither")}
	n, err := a.RepairKeys(context.Background(), "b", keys)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 { // only-b and both here; only-a and both there
		t.Fatalf("repaired %d copies, want 4", n)
	}
	for _, k := range keys[:3] {
		oa, _, _ := a.eng.Get(k)
		ob, _, _ := b.eng.Get(k)
		if !oa.Equal(ob) {
			t.Fatalf("%s differs after repair: %v vs %v", k, oa, ob)
		}
	}
	if o, _, _ := a.eng.Get([]byte("both")); len(o.Siblings) != 2 {
		t.Fatalf("both = %v, want the two concurrent versions as siblings", o)
	}
	if _, found, _ := b.eng.Get([]byte("neither")); found {
		t.Fatal("a key neither held was created")
	}
}

// sentThenLost fails every call as if the connection broke after the
// request was sent, and counts the calls.
type sentThenLost struct{ calls *int }

func (s sentThenLost) Call(ctx context.Context, addr string, m rpc.Method, req []byte) ([]byte, error) {
	*s.calls++
	return nil, errors.New("connection reset after the request was written")
}

// notSentCaller fails every call before sending.
type notSentCaller struct{ calls *int }

func (s notSentCaller) Call(ctx context.Context, addr string, m rpc.Method, req []byte) ([]byte, error) {
	*s.calls++
	return nil, ErrNotSent
}

func TestRoutedWriteSendsOnOnlyWhatWasNeverSent(t *testing.T) {
	ring := fiveNodes(t)
	key := []byte("fwd")
	owners := ring.Owners(ring.PartitionOf(key))
	var self string
	for _, m := range ring.Members() {
		if !slices.Contains(owners, m) {
			self = m
			break
		}
	}
	for _, tc := range []struct {
		name      string
		transport func(*int) Transport
		wantCalls int
	}{
		{"lost after sending: not resent", func(n *int) Transport { return sentThenLost{n} }, 1},
		{"never sent: the next owner is tried", func(n *int) Transport { return notSentCaller{n} }, 3},
	} {
		calls := 0
		net := &memNet{nodes: map[string]*Coordinator{}, down: map[string]bool{}}
		c := &Coordinator{cfg: Config{Cluster: memCluster{self: self, ring: ring, net: net}, Transport: tc.transport(&calls), W: 2, Timeout: time.Second}}
		_, err := c.Do(context.Background(), &op.Op{Code: op.IncrBy, Key: key, Int: 1}, Options{})
		var nq *NoQuorumError
		if !errors.As(err, &nq) {
			t.Fatalf("%s: Do = %v, want NOQUORUM", tc.name, err)
		}
		if calls != tc.wantCalls {
			t.Fatalf("%s: %d calls, want %d", tc.name, calls, tc.wantCalls)
		}
	}
}
