package coordinator

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/rpc"
)

// heldCall is one internode call a test holds in flight: arrived is closed
// once the call is held, the call goes on when release is closed, and landed
// is closed once its handler has returned.
type heldCall struct {
	arrived, release, landed chan struct{}
	releaseOnce              sync.Once
}

// holdFirst holds the first call of kind m from node from to node to.
func holdFirst(t *testing.T, net *memNet, from, to string, m rpc.Method) *heldCall {
	t.Helper()
	h := &heldCall{arrived: make(chan struct{}), release: make(chan struct{}), landed: make(chan struct{})}
	var once sync.Once
	net.setIntercept(func(f, dest string, meth rpc.Method) func() {
		if f != from || dest != to || meth != m {
			return nil
		}
		first := false
		once.Do(func() { first = true })
		if !first {
			return nil
		}
		close(h.arrived)
		<-h.release
		return func() { close(h.landed) }
	})
	t.Cleanup(h.let) // never leave a sender blocked
	return h
}

func (h *heldCall) let() { h.releaseOnce.Do(func() { close(h.release) }) }

// await fails the test unless ch is closed within a generous bound (a
// guard against a hang, not a timing assumption: every step it waits for
// is already under way).
func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// TestFlushAllFencesCopiesInFlight makes, for each way a copy of a key can
// travel between replicas, one such copy leave before FLUSHALL and land
// after it. A copy made before FLUSHALL must not bring the key back.
//
// This is how the cluster test's "DBSIZE 121; want 120" came about: a read
// (a GET, or the quorum read of the DEL that followed) found one replica
// behind and sent it the merged, live object in the background; that read
// repair reached the replica after FLUSHALL had emptied it, and the deleted
// key ("hits" or "ratio" of the counters subtest) was live there again.
func TestFlushAllFencesCopiesInFlight(t *testing.T) {
	const key = "hits"
	cases := []struct {
		name string
		// send starts the copy from a to c that the test holds, running
		// what waits for it with bg; c is up, and a and b hold the key (c
		// too, unless staleC).
		send   func(t *testing.T, cs map[string]*Coordinator, bg func(func()))
		staleC bool // c missed the write (it was down); a holds a hint for it
	}{
		{
			name:   "read repair",
			staleC: true,
			send: func(t *testing.T, cs map[string]*Coordinator, _ func(func())) {
				// c answers with nothing; the read repairs it in the
				// background.
				if got, ok := readValue(t, cs["a"], key); !ok || got != "1" {
					t.Fatalf("read = %q %v, want 1", got, ok)
				}
			},
		},
		{
			name: "replica write",
			send: func(t *testing.T, cs map[string]*Coordinator, _ func(func())) {
				// Acknowledged by a and b (W=2); c's copy is on its way.
				if err := set(cs["a"], key, "2"); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name:   "hint delivery",
			staleC: true,
			send: func(t *testing.T, cs map[string]*Coordinator, bg func(func())) {
				bg(func() { deliverHints(cs["a"]) })
			},
		},
		{
			name:   "anti-entropy repair",
			staleC: true,
			send: func(t *testing.T, cs map[string]*Coordinator, bg func(func())) {
				bg(func() { cs["a"].RepairKeys(context.Background(), "c", [][]byte{[]byte(key)}) })
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			net, cs := startCluster(t, "a", "b", "c")
			if tc.staleC {
				net.setDown("c", true)
			}
			if err := set(cs["a"], key, "1"); err != nil {
				t.Fatal(err)
			}
			if tc.staleC {
				// a keeps c's copy as a hint (no other node can stand in).
				waitFor(t, "a hint for c", func() bool { return cs["a"].eng.Hints() == 1 })
				net.setDown("c", false)
			} else {
				waitFor(t, "the write on c", func() bool { return len(localValues(t, cs["c"], key)) == 1 })
			}

			held := holdFirst(t, net, "a", "c", rpc.MethodMergeBatch)
			var running sync.WaitGroup
			defer running.Wait()
			tc.send(t, cs, func(f func()) {
				running.Add(1)
				go func() {
					defer running.Done()
					f()
				}()
			})
			defer held.let() // before running.Wait, should the test fail
			await(t, held.arrived, "the copy from a to c to leave")

			if err := cs["a"].FlushAll(context.Background()); err != nil {
				t.Fatalf("FLUSHALL: %v", err)
			}
			held.let()
			await(t, held.landed, "the copy to land on c")

			if vs := localValues(t, cs["c"], key); len(vs) != 0 {
				t.Fatalf("a %s sent before FLUSHALL brought %s back on c after it: %q", tc.name, key, vs)
			}
			for _, name := range []string{"a", "b", "c"} {
				if n, err := cs[name].Len(context.Background()); err != nil || n != 0 {
					t.Fatalf("DBSIZE through %s after FLUSHALL = %d, %v; want 0", name, n, err)
				}
			}
		})
	}
}

// TestWritesAfterFlushAllAreKept: a write made after FLUSHALL is of the new
// generation everywhere, its late third copy included, and is read back.
func TestWritesAfterFlushAllAreKept(t *testing.T) {
	net, cs := startCluster(t, "a", "b", "c")
	if err := set(cs["a"], "k", "before"); err != nil {
		t.Fatal(err)
	}
	if err := cs["b"].FlushAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	for name, c := range cs {
		if g := c.eng.Generation(); g != 1 {
			t.Fatalf("%s is at generation %d after FLUSHALL, want 1", name, g)
		}
	}
	held := holdFirst(t, net, "a", "c", rpc.MethodMergeBatch)
	if err := set(cs["a"], "k", "after"); err != nil {
		t.Fatalf("write after FLUSHALL: %v", err)
	}
	await(t, held.arrived, "the copy from a to c to leave")
	held.let()
	await(t, held.landed, "the copy to land on c")
	for _, name := range []string{"a", "b", "c"} {
		if vs := localValues(t, cs[name], "k"); !slices.Equal(vs, []string{"after"}) {
			t.Fatalf("%s holds %q, want [after]", name, vs)
		}
		if got, ok := readValue(t, cs[name], "k"); !ok || got != "after" {
			t.Fatalf("read through %s = %q %v, want after", name, got, ok)
		}
	}
	// A second FLUSHALL moves on again, through any node.
	if err := cs["c"].FlushAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	for name, c := range cs {
		if g, n := c.eng.Generation(), c.eng.Len(); g != 2 || n != 0 {
			t.Fatalf("%s: generation %d with %d keys after the second FLUSHALL", name, g, n)
		}
	}
}

// TestNodeBehindCatchesUp: a node that missed a FLUSHALL (it failed part
// way, leaving c behind) serves none of its old copies, catches up as soon
// as it hears from a node that took part, and has no write acknowledged by
// those nodes in the meantime.
func TestNodeBehindCatchesUp(t *testing.T) {
	_, cs := startCluster(t, "a", "b", "c")
	missFlush := func(gen uint64, key string) {
		t.Helper()
		if err := set(cs["a"], key, "old"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the write on c", func() bool { return len(localValues(t, cs["c"], key)) == 1 })
		for _, name := range []string{"a", "b"} { // a FLUSHALL that reached a and b only
			if _, err := cs[name].eng.Adopt(gen); err != nil {
				t.Fatal(err)
			}
		}
	}
	caughtUp := func(gen uint64) {
		t.Helper()
		waitFor(t, "c to catch up", func() bool { return cs["c"].eng.Generation() == gen })
		if n := cs["c"].eng.Len(); n != 0 {
			t.Fatalf("c holds %d keys after catching up, want 0", n)
		}
	}

	// A read through a flushed node ignores c's copy, and tells c.
	missFlush(1, "k1")
	if got, ok := readValue(t, cs["a"], "k1"); ok {
		t.Fatalf("read through a found %q on c, which missed the FLUSHALL", got)
	}
	caughtUp(1)

	// A read through c ignores its own copy: the other replicas answer
	// from a newer generation, and c learns of it.
	missFlush(2, "k2")
	if got, ok := readValue(t, cs["c"], "k2"); ok {
		t.Fatalf("read through c found its copy from before the FLUSHALL: %q", got)
	}
	caughtUp(2)

	// A write c coordinates is of its old generation: a and b drop it (W=2
	// needs one of them), c learns, catches up, and writes again in the
	// new generation: the client sees one successful write.
	missFlush(3, "k3")
	if err := set(cs["c"], "k", "kept"); err != nil {
		t.Fatalf("a plain write through a node that missed a FLUSHALL: %v", err)
	}
	if g := cs["c"].eng.Generation(); g != 3 {
		t.Fatalf("c is at generation %d after its write, want 3", g)
	}
	if vs := localValues(t, cs["c"], "k3"); len(vs) != 0 {
		t.Fatalf("c still holds its copy from before the FLUSHALL: %q", vs)
	}
	waitFor(t, "the write on every replica", func() bool {
		for _, c := range cs {
			if !slices.Equal(localValues(t, c, "k"), []string{"kept"}) {
				return false
			}
		}
		return true
	})
}

// TestWriteDecidedWithoutStoreAfterFlushAll: a coordinator whose store
// refuses writes decides a write without storing it (see disk.go); after a
// FLUSHALL that write too is of the new generation, so the other replicas
// take it.
func TestWriteDecidedWithoutStoreAfterFlushAll(t *testing.T) {
	_, cs := startCluster(t, "a", "b", "c")
	if err := cs["a"].FlushAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	refuseWrites(t, cs["a"])
	if err := set(cs["a"], "k", "v"); err != nil {
		t.Fatalf("W=2 of 3 with the coordinator's store refusing, after FLUSHALL: %v", err)
	}
	for _, name := range []string{"b", "c"} {
		if vs := localValues(t, cs[name], "k"); !slices.Equal(vs, []string{"v"}) {
			t.Fatalf("%s holds %q, want [v]", name, vs)
		}
	}
}
