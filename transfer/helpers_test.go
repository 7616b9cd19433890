package transfer

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/transport"
	"github.com/dynago/dynago/version"
)

// testQ is the partition count of the test rings: enough partitions that a
// join moves several, few enough that a test stays fast.
const testQ = 32

// cluster is a test cluster: nodes with real engines, talking over an
// in-memory network that can cut links.
type cluster struct {
	t      *testing.T
	net    *transport.MemNetwork
	faults *transport.Faults
	nodes  map[string]*node

	mu   sync.Mutex      // guards down
	down map[string]bool // nodes the Alive function reports dead
}

type node struct {
	name string
	eng  *engine.Engine
	m    *Manager
	tr   transport.Transport
}

func newCluster(t *testing.T) *cluster {
	return &cluster{t: t, net: transport.NewMemNetwork(), faults: &transport.Faults{},
		nodes: map[string]*node{}, down: map[string]bool{}}
}

func (c *cluster) alive(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.down[name]
}

func (c *cluster) setDown(name string, down bool) {
	c.mu.Lock()
	c.down[name] = down
	c.mu.Unlock()
}

// add starts a node; tweak, if not nil, adjusts its Manager's config.
func (c *cluster) add(name string, tweak func(*Config)) *node {
	t := c.t
	t.Helper()
	n := &node{name: name, eng: openEngine(t)}
	tcfg := transport.DefaultConfig(name, "test")
	tcfg.Logger = quietLogger()
	tcfg.CallTimeout = 5 * time.Second
	tcfg.Faults = c.faults
	tr, err := c.net.Listen(tcfg, name, func(ctx context.Context, from string, m transport.Method, req []byte) ([]byte, error) {
		switch m {
		case rpc.MethodFetch:
			return n.m.HandleFetch(req)
		case rpc.MethodPush:
			return n.m.HandlePush(req)
		}
		return nil, fmt.Errorf("unknown method %d", m)
	})
	if err != nil {
		t.Fatal(err)
	}
	n.tr = tr
	cfg := Config{
		Self:          name,
		Store:         n.eng,
		Caller:        memCaller{tr},
		Alive:         c.alive,
		RateBytes:     -1,
		BatchBytes:    2 << 10, // several batches per partition
		RetryInterval: 20 * time.Millisecond,
		Logger:        quietLogger(),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	if n.m, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: the manager stops before the
	// transport closes, the transport before the engine.
	t.Cleanup(func() { tr.Close() })
	t.Cleanup(func() { n.m.Close() })
	c.nodes[name] = n
	return n
}

func openEngine(t *testing.T) *engine.Engine {
	t.Helper()
	cfg := engine.DefaultConfig(t.TempDir())
	cfg.Fsync = engine.FsyncNever // durability is not under test; speed is
	cfg.Partitions = testQ
	cfg.CacheBytes = 1 << 20
	cfg.RowCacheBytes = 0
	eng, err := engine.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// memCaller addresses nodes of the in-memory network by name (their
// address in tests).
type memCaller struct{ tr transport.Transport }

func (c memCaller) Call(ctx context.Context, name string, m rpc.Method, req []byte) ([]byte, error) {
	return c.tr.Call(ctx, name, m, req)
}

func ring(t *testing.T, n int, members ...string) *partition.Ring {
	t.Helper()
	r, err := partition.NewRing(testQ, n, members)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// dataset is what the test wrote: each key's object, by key.
type dataset map[string]version.Object

// makeData builds count keys of assorted shapes: single values, two
// concurrent siblings, tombstones, values of a few hundred bytes.
func makeData(count int) dataset {
	d := dataset{}
	for i := range count {
		key := fmt.Sprintf("key-%d", i)
		a := version.Dot{Actor: version.Actor{Node: 1, Epoch: 1}, Counter: uint64(i + 1)}
		s := version.Sibling{Time: int64(i), Value: []byte(strings.Repeat("v", i%300))}
		o := version.Object{}.Update(nil, a, &s)
		switch i % 4 {
		case 1: // two concurrent writes
			b := version.Dot{Actor: version.Actor{Node: 2, Epoch: 1}, Counter: uint64(i + 1)}
			s2 := version.Sibling{Time: int64(i) + 1, Value: []byte("other")}
			o = version.Merge(o, version.Object{}.Update(nil, b, &s2))
		case 2: // deleted
			del := version.Dot{Actor: version.Actor{Node: 1, Epoch: 1}, Counter: uint64(count + i + 1)}
			o = o.Update(o.Clock, del, nil)
		}
		d[key] = o
	}
	return d
}

// load writes every key of d to the engines of its owners in r.
func (c *cluster) load(r *partition.Ring, d dataset) {
	c.t.Helper()
	for k, o := range d {
		for _, owner := range r.Owners(r.PartitionOf([]byte(k))) {
			if n, ok := c.nodes[owner]; ok {
				if _, err := n.eng.Merge([]byte(k), o); err != nil {
					c.t.Fatal(err)
				}
			}
		}
	}
}

// contents returns every record the engine stores.
func contents(t *testing.T, eng *engine.Engine) dataset {
	t.Helper()
	got := dataset{}
	var cursor uint64
	for {
		next, err := eng.ScanRange(cursor, 0, 1000, func(key []byte, o version.Object) bool {
			got[string(key)] = o
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if next == 0 {
			return got
		}
		cursor = next
	}
}

// keysOf returns the keys of d in the given partitions of r.
func keysOf(r *partition.Ring, d dataset, parts []int) dataset {
	in := map[int]bool{}
	for _, p := range parts {
		in[p] = true
	}
	out := dataset{}
	for k, o := range d {
		if in[r.PartitionOf([]byte(k))] {
			out[k] = o
		}
	}
	return out
}

// checkHolds fails unless got has every key of want with an equal object.
func checkHolds(t *testing.T, who string, got, want dataset) {
	t.Helper()
	for k, o := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: key %q missing", who, k)
		case !g.Equal(o):
			t.Errorf("%s: key %q holds %v, want %v", who, k, g, o)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// idle reports whether every node has nothing left to pull.
func (c *cluster) idle() bool {
	for _, n := range c.nodes {
		if n.m.Status().PartitionsPending > 0 {
			return false
		}
	}
	return true
}

// changeRing tells every node that the ring changed from old to new.
func (c *cluster) changeRing(old, new *partition.Ring) {
	for _, n := range c.nodes {
		n.m.RingChanged(old, new)
	}
}

// gained lists the partitions name owns in new and not in old.
func gained(old, new *partition.Ring, name string) []int {
	var out []int
	for _, mv := range partition.Moves(old, new) {
		for _, g := range mv.Gained {
			if g == name {
				out = append(out, mv.Partition)
			}
		}
	}
	return out
}

// checkNoWorkers fails if a goroutine of this package is still running.
func checkNoWorkers(t *testing.T) {
	t.Helper()
	var stacks string
	waitFor(t, "transfer goroutines to end", func() bool {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		return !strings.Contains(stacks, "transfer.(*Manager).run")
	})
}

// fakeClock is a clock whose time moves only when Sleep is called.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	slept  time.Duration
	sleeps int
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	f.slept += d
	f.sleeps++
	return ctx.Err()
}

// countingHandler counts log records by level.
type countingHandler struct {
	mu    sync.Mutex
	warns map[string]int // by message + partition
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *countingHandler) WithGroup(string) slog.Handler            { return h }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level != slog.LevelWarn {
		return nil
	}
	key := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "partition" {
			key += " " + a.Value.String()
		}
		return true
	})
	h.mu.Lock()
	h.warns[key]++
	h.mu.Unlock()
	return nil
}

func (h *countingHandler) counts() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for k, v := range h.warns {
		out[k] = v
	}
	return out
}
