package membership

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/dynago/dynago/version"
)

// memStore is the in-memory twin of the engine's metadata store.
type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMemStore() *memStore { return &memStore{m: map[string][]byte{}} }

func (s *memStore) Meta(name string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[name]
	return slices.Clone(v), ok, nil
}

func (s *memStore) SetMeta(name string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[name] = slices.Clone(value)
	return nil
}

// network decides which gossip traffic is lost: a node whose gossip address
// is cut neither sends nor receives anything.
type network struct {
	mu  sync.Mutex
	cut map[string]bool
}

func newNetwork() *network { return &network{cut: map[string]bool{}} }

func (n *network) setCut(addr string, cut bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut[addr] = cut
}

// dropFor answers the Drop function of the node whose address will be
// stored in self once it is known.
func (n *network) dropFor(self *atomic.Pointer[string]) func(string) bool {
	return func(remote string) bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.cut[remote] {
			return true
		}
		if s := self.Load(); s != nil && n.cut[*s] {
			return true
		}
		return false
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("DYNAGO_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// fastTimings shortens every interval so that a cluster converges, detects
// failures and heals within a second or so.
func fastTimings(cfg *Config) {
	cfg.ProbeInterval = 100 * time.Millisecond
	cfg.ProbeTimeout = 40 * time.Millisecond
	cfg.GossipInterval = 20 * time.Millisecond
	cfg.PushPullInterval = 300 * time.Millisecond
	cfg.SuspicionMult = 2
	cfg.SuspicionMaxTimeoutMult = 2
	cfg.TCPTimeout = 2 * time.Second // a leave notice must get through a loaded machine
	cfg.GossipToTheDeadTime = 2 * time.Second
	cfg.DeadNodeReclaimTime = 100 * time.Millisecond
	cfg.ReconnectMin = 50 * time.Millisecond
	cfg.ReconnectMax = 300 * time.Millisecond
	cfg.LeaveTimeout = 500 * time.Millisecond
}

// testNode is one node of a test cluster: its store outlives restarts.
type testNode struct {
	name  string
	store *memStore
	self  atomic.Pointer[string]
	port  int // gossip port once first bound; restarts reuse it
	m     *Membership
}

type cluster struct {
	t     *testing.T
	net   *network
	mem   *MemNetwork // nil: gossip on real sockets
	nodes map[string]*testNode
	tune  func(*Config)
}

// eachNetwork runs f on a cluster gossiping over real sockets and on one
// gossiping over the in-memory twin, MemNetwork, on a fake clock
// (testing/synctest), where the same timings cost no waiting.
func eachNetwork(t *testing.T, f func(t *testing.T, c *cluster)) {
	t.Run("sockets", func(t *testing.T) { f(t, newCluster(t)) })
	t.Run("mem", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// Registered first, so it runs last: the gossip layer's
			// Shutdown does not wait for a probe in progress, which ends
			// at its timeout; the fake clock must reach it.
			t.Cleanup(func() { time.Sleep(time.Minute) })
			c := newCluster(t)
			c.mem = NewMemNetwork()
			f(t, c)
		})
	})
}

func newCluster(t *testing.T) *cluster {
	c := &cluster{t: t, net: newNetwork(), nodes: map[string]*testNode{}}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			if n.m != nil {
				_ = n.m.stop(false)
			}
		}
	})
	return c
}

func (c *cluster) config(n *testNode, seeds ...string) Config {
	cfg := DefaultConfig(n.name)
	cfg.GossipPort = n.port
	if c.mem != nil {
		cfg.Network = c.mem
		if n.port == 0 {
			// Any unique address will do on the in-memory network.
			cfg.GossipPort = 7946 + len(c.nodes)
		}
	}
	cfg.Store = n.store
	cfg.Seeds = seeds
	cfg.Meta = NodeMeta{
		RESPAddr: "127.0.0.1:" + strconv.Itoa(6000+len(n.name)),
		PeerAddr: "127.0.0.1:" + strconv.Itoa(7000+len(n.name)),
		Actor:    version.Actor{Node: xxhash.Sum64String(n.name), Epoch: 1},
	}
	cfg.Drop = c.net.dropFor(&n.self)
	cfg.Logger = testLogger().With("test", c.t.Name())
	fastTimings(&cfg)
	if c.tune != nil {
		c.tune(&cfg)
	}
	return cfg
}

// start starts (or restarts, on the same store and port) the named node.
func (c *cluster) start(name string, seeds ...string) *Membership {
	c.t.Helper()
	m, err := c.tryStart(name, seeds...)
	if err != nil {
		c.t.Fatalf("start %s: %v", name, err)
	}
	return m
}

func (c *cluster) tryStart(name string, seeds ...string) (*Membership, error) {
	n := c.nodes[name]
	if n == nil {
		n = &testNode{name: name, store: newMemStore()}
		c.nodes[name] = n
	}
	m, err := Start(c.config(n, seeds...))
	if err != nil {
		return nil, err
	}
	addr := m.LocalMeta().GossipAddr
	n.self.Store(&addr)
	_, port, _ := net.SplitHostPort(addr)
	n.port, _ = strconv.Atoi(port)
	n.m = m
	return m, nil
}

func (c *cluster) m(name string) *Membership { return c.nodes[name].m }

func (c *cluster) addr(name string) string { return *c.nodes[name].self.Load() }

// kill stops a node without a word to the others, as a crash would.
func (c *cluster) kill(name string) {
	c.t.Helper()
	if err := c.nodes[name].m.stop(false); err != nil {
		c.t.Fatalf("kill %s: %v", name, err)
	}
	c.nodes[name].m = nil
}

// startThree forms the cluster a, b, c through a as the seed.
func (c *cluster) startThree() {
	c.t.Helper()
	a := c.start("a")
	c.start("b", a.LocalMeta().GossipAddr)
	c.start("c", a.LocalMeta().GossipAddr)
	c.waitRing([]string{"a", "b", "c"}, "a", "b", "c")
	c.waitState("a", Alive, "a", "b", "c")
	c.waitState("b", Alive, "a", "b", "c")
	c.waitState("c", Alive, "a", "b", "c")
}

const waitTimeout = 10 * time.Second

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last: %s", what, state)
		}
		<-tick.C
	}
}

// waitRing waits until every observer holds exactly want as ring members.
func (c *cluster) waitRing(want []string, observers ...string) {
	c.t.Helper()
	for _, o := range observers {
		waitFor(c.t, fmt.Sprintf("%s to see ring %v", o, want), func() (bool, string) {
			got := c.m(o).RingMembers()
			return slices.Equal(got, want), fmt.Sprint(got)
		})
	}
}

// waitState waits until observer sees every subject in one of the states.
func (c *cluster) waitState(observer string, want State, subjects ...string) {
	c.t.Helper()
	c.waitStates(observer, []State{want}, subjects...)
}

func (c *cluster) waitStates(observer string, want []State, subjects ...string) {
	c.t.Helper()
	for _, s := range subjects {
		waitFor(c.t, fmt.Sprintf("%s to see %s %v", observer, s, want), func() (bool, string) {
			mem, ok := c.m(observer).Member(s)
			return ok && slices.Contains(want, mem.State), fmt.Sprintf("%+v (known %v)", mem, ok)
		})
	}
}

func describe(ms []Member) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s:%s:ring=%v ", m.Name, m.State, m.InRing)
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
