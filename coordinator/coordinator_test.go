package coordinator

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/version"
)

var (
	nodeA = version.Actor{Node: 1, Epoch: 1}
	nodeB = version.Actor{Node: 2, Epoch: 1}
)

func newCoordinator(t *testing.T, actor version.Actor, now func() time.Time) *Coordinator {
	t.Helper()
	cfg := engine.DefaultConfig(t.TempDir())
	cfg.Now = now
	eng, err := engine.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	c, err := New(Config{Actor: actor, Now: now}, eng)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stepClock returns a clock that advances 1ms per reading, so every write
// has its own timestamp. The engine's expiry sweep reads it too, from a
// goroutine of its own.
func stepClock() func() time.Time {
	var ms atomic.Int64
	ms.Store(1_700_000_000_000)
	return func() time.Time { return time.UnixMilli(ms.Add(1)) }
}

func write(t *testing.T, c *Coordinator, key string, ctx *version.Clock, value string) version.Object {
	t.Helper()
	o, err := c.Update(context.Background(), []byte(key), func(st *op.State) (op.Change, error) {
		if ctx == nil {
			return st.Put(version.KindBytes, []byte(value), 0), nil
		}
		return op.Change{Action: op.Put, Context: *ctx, Kind: version.KindBytes, Value: []byte(value)}, nil
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestPlainWritesOverwrite(t *testing.T) {
	c := newCoordinator(t, nodeA, stepClock())
	for _, v := range []string{"a", "b", "c"} {
		write(t, c, "k", nil, v)
	}
	o, _, err := c.Read(context.Background(), []byte("k"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Siblings) != 1 || string(o.Siblings[0].Value) != "c" {
		t.Fatalf("siblings %+v, want only c", o.Siblings)
	}
}

func TestStaleContextMakesSiblingsAndMergedContextResolves(t *testing.T) {
	c := newCoordinator(t, nodeA, stepClock())
	first := write(t, c, "k", nil, "v1")
	stale := first.Clock
	write(t, c, "k", nil, "v2")         // a writer that saw v1
	o := write(t, c, "k", &stale, "v3") // a writer that saw only v1
	if len(o.Siblings) != 2 {
		t.Fatalf("got %d siblings, want v2 and v3 concurrent", len(o.Siblings))
	}
	v, ok, err := op.Resolve(o, 0)
	if err != nil || !ok || string(v.Bytes) != "v3" {
		t.Fatalf("Resolve = %q, %v, %v; want the newest write v3", v.Bytes, ok, err)
	}
	merged := o.Clock
	o = write(t, c, "k", &merged, "v4")
	if len(o.Siblings) != 1 || string(o.Siblings[0].Value) != "v4" {
		t.Fatalf("after a write with the merged context: %+v, want only v4", o.Siblings)
	}
}

// A context claiming more of this node's counters than the key has seen
// (from another incarnation, or forged) must not make the new write covered.
func TestDotGoesPastForeignContext(t *testing.T) {
	c := newCoordinator(t, nodeA, stepClock())
	ahead := version.Clock{}.Add(version.Dot{Actor: nodeA, Counter: 1 << 40})
	o := write(t, c, "k", &ahead, "v")
	if len(o.Siblings) != 1 || o.Siblings[0].Dot.Counter <= 1<<40 {
		t.Fatalf("new sibling %+v is covered by the context it was written with", o.Siblings)
	}
}

func TestDeleteRemovesRecordOnSingleReplica(t *testing.T) {
	c := newCoordinator(t, nodeA, stepClock())
	write(t, c, "k", nil, "v")
	_, err := c.Update(context.Background(), []byte("k"), func(st *op.State) (op.Change, error) { return st.Delete(), nil }, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, found, _ := c.Read(context.Background(), []byte("k"), Options{}); found {
		t.Fatal("deleted key still stored")
	}
	// A client holding the old context must not delete a later write.
	o := write(t, c, "k", nil, "again")
	if o.Siblings[0].Dot.Counter <= 1 {
		t.Fatalf("dot %v reused after delete", o.Siblings[0].Dot)
	}
}

func TestDeferredSyncCoversWrites(t *testing.T) {
	c := newCoordinator(t, nodeA, stepClock())
	d := c.DeferSync()
	if _, err := c.Update(context.Background(), []byte("k"), func(st *op.State) (op.Change, error) {
		return st.Put(version.KindBytes, []byte("v"), 0), nil
	}, Options{Sync: d}); err != nil {
		t.Fatal(err)
	}
	if !d.pending.Load() {
		t.Fatal("a deferred write did not mark the group pending")
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	if d.pending.Load() {
		t.Fatal("pending after Sync")
	}
}
