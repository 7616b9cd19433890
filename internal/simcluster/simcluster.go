// Package simcluster runs a simulated Dynago cluster inside one test: real
// nodes (node.Node, with their engine, membership, ring, coordinator,
// anti-entropy, hint delivery, transfers and command handlers) whose
// internode traffic goes over transport.MemNetwork and whose gossip goes over
// membership.MemNetwork, so that no socket is opened. Run puts the test in a
// testing/synctest bubble, where every timer of every node runs on one fake
// clock: failure detection, hint and anti-entropy intervals, transfer
// retries and operation timeouts cost no real time, and since the clock
// moves only when every goroutine is blocked, a loaded machine cannot make a
// healthy node look dead or a quorum time out. A five-node scenario of
// partitions, stops and restarts then runs in the CPU time its work takes.
//
// What it does not cover, and the tests on loopback (internal/testserver)
// and of real processes still do: clients send commands through node.Exec,
// not over a RESP connection, so a write sent to a node that owns none of
// its keys is coordinated there instead of forwarded to an owner; a
// stopped node shuts down gracefully (a crash is a process test's kill -9);
// and the wire formats of TCP and UDP.
package simcluster

import (
	"fmt"
	"runtime/debug"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/membership"
	"github.com/dynago/dynago/node"
	"github.com/dynago/dynago/transport"
)

// RealTimeLimit bounds the real time one Run may take. The fake clock stands
// still while any goroutine is busy, so a goroutine that spins, or waits on
// something outside the bubble, stops the clock and the test with it; past
// this limit the test binary panics with every goroutine's stack instead of
// hanging until go test's own timeout.
var RealTimeLimit = 5 * time.Minute

// drain is how long, on the fake clock, Run lets stopped nodes' stragglers
// finish (a gossip probe in flight ends at its timeout, a worker pool's idle
// goroutines after their idle time) before the bubble must be empty.
const drain = time.Minute

// Run runs f in a synctest bubble: everything f starts, clusters included,
// runs on the bubble's fake clock. The clusters f starts are stopped when f
// returns.
func Run(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		timer := time.NewTimer(RealTimeLimit)
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
			debug.SetTraceback("all")
			panic(fmt.Sprintf("simcluster: %s still running after %v of real time (a goroutine that never blocks stops the fake clock)", t.Name(), RealTimeLimit))
		}
	}()
	defer close(done)
	synctest.Test(t, func(t *testing.T) {
		// Registered first, so it runs after every cluster has stopped.
		t.Cleanup(func() { time.Sleep(drain) })
		f(t)
	})
}

// Gossip is the gossip timing of simulated nodes. On the fake clock shorter
// intervals cost no waiting but more work per simulated second; these detect
// a stopped or cut-off node within about two seconds of simulated time.
func Gossip(m *membership.Config) {
	m.ProbeInterval = 200 * time.Millisecond
	m.ProbeTimeout = 100 * time.Millisecond
	m.GossipInterval = 50 * time.Millisecond
	m.SuspicionMult = 3
	m.PushPullInterval = time.Second
	m.TCPTimeout = 500 * time.Millisecond
	m.GossipToTheDeadTime = 2 * time.Second
	m.DeadNodeReclaimTime = time.Second
	m.ReconnectMin = 100 * time.Millisecond
	m.ReconnectMax = 500 * time.Millisecond
	m.LeaveTimeout = 200 * time.Millisecond
}

// Cluster is a simulated cluster. Its nodes' links can be cut and healed
// (gossip and internode traffic alike), and its nodes stopped and restarted
// on the same data directory.
type Cluster struct {
	t         testing.TB
	Nodes     []*Node
	internode *transport.MemNetwork
	gossip    *membership.MemNetwork
	links     *testserver.Links
}

// Node is one node of a Cluster.
type Node struct{ *testserver.Member }

// Start starts n nodes (the first creates the cluster, the others join it)
// and waits until every node sees all n in its ring. configure, if not nil,
// adjusts each node's configuration before it starts. Call it inside Run.
func Start(t testing.TB, n int, configure func(i int, cfg *node.Config)) *Cluster {
	t.Helper()
	c := &Cluster{
		t:         t,
		internode: transport.NewMemNetwork(),
		gossip:    membership.NewMemNetwork(),
		links:     testserver.NewLinks(),
	}
	t.Cleanup(c.StopAll)
	for range n {
		c.add(configure)
	}
	c.WaitRing(n)
	return c
}

// Add starts one more node, which joins the cluster through the first node,
// and returns it without waiting for the ring to include it.
func (c *Cluster) Add(configure func(i int, cfg *node.Config)) *Node {
	c.t.Helper()
	return c.add(configure)
}

func (c *Cluster) add(configure func(i int, cfg *node.Config)) *Node {
	c.t.Helper()
	i := len(c.Nodes)
	sn := &Node{testserver.NewMember(c.t, i)}
	// Addresses on the in-memory networks; nothing binds them. Gossip
	// addresses must look like IP:port, the others are names.
	gossipAddr := fmt.Sprintf("127.0.0.1:%d", 17000+i)
	sn.Config = node.Config{
		Addr:             fmt.Sprintf("127.0.0.1:%d", 7000+i),
		Name:             fmt.Sprintf("node%d", i+1),
		GossipAddr:       gossipAddr,
		PeerAddr:         fmt.Sprintf("node%d.peer:%d", i+1, 27000+i),
		Engine:           engine.DefaultConfig(sn.Dir),
		Timeout:          time.Second,
		Faults:           c.links.Faults,
		Internode:        c.internode,
		NoClientListener: true,
		Gossip: func(m *membership.Config) {
			Gossip(m)
			m.Network = c.gossip
			m.Drop = func(remote string) bool { return c.links.IsCut(gossipAddr, remote) }
		},
	}
	if i > 0 {
		sn.Config.Join = []string{c.Nodes[0].Config.GossipAddr}
	}
	if configure != nil {
		configure(i, &sn.Config)
	}
	c.Nodes = append(c.Nodes, sn)
	sn.Start()
	return sn
}

// Cut severs gossip and internode traffic between nodes i and j.
func (c *Cluster) Cut(i, j int) { c.links.Cut(c.Nodes[i].Config, c.Nodes[j].Config) }

// Isolate cuts node i from every other node.
func (c *Cluster) Isolate(i int) {
	members := make([]*testserver.Member, len(c.Nodes))
	for j, sn := range c.Nodes {
		members[j] = sn.Member
	}
	c.links.Isolate(members, i)
}

// HealAll undoes every cut.
func (c *Cluster) HealAll() { c.links.HealAll() }

// StopAll stops every running node.
func (c *Cluster) StopAll() {
	for _, sn := range c.Nodes {
		sn.Stop()
	}
}

// WaitRing waits until every running node sees want ring members.
func (c *Cluster) WaitRing(want int) {
	c.t.Helper()
	c.WaitFor(fmt.Sprintf("every node to see %d ring members", want), func() string {
		for _, sn := range c.Nodes {
			if sn.Node != nil {
				if got := sn.Node.RingMembers(); len(got) != want {
					return fmt.Sprintf("%s sees %v", sn.Name(), got)
				}
			}
		}
		return ""
	})
}

// WaitAlive waits until every other running node sees node i as alive (or,
// with alive false, as not alive).
func (c *Cluster) WaitAlive(i int, alive bool) {
	c.t.Helper()
	name := c.Nodes[i].Config.Name
	c.WaitFor(fmt.Sprintf("%s alive=%v everywhere", name, alive), func() string {
		for j, sn := range c.Nodes {
			if j != i && sn.Node != nil && sn.Node.Alive(name) != alive {
				return fmt.Sprintf("%s sees it alive=%v", sn.Name(), !alive)
			}
		}
		return ""
	})
}

// Poll is how often WaitFor checks its condition, and Within how long
// (both on the fake clock) it waits before failing the test.
const (
	Poll   = 100 * time.Millisecond
	Within = time.Minute
)

// WaitFor checks cond every Poll until it returns "" (it holds), and fails
// the test with cond's last complaint once Within has passed.
func (c *Cluster) WaitFor(what string, cond func() string) {
	c.t.Helper()
	WaitFor(c.t, what, cond)
}

// WaitFor is Cluster.WaitFor for any test.
func WaitFor(t testing.TB, what string, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(Within)
	for range int(Within/Poll) + 1 {
		msg := cond()
		if msg == "" {
			return
		}
		if !time.Now().Before(deadline) {
			t.Fatalf("timed out waiting for %s: %s", what, msg)
		}
		time.Sleep(Poll)
	}
	t.Fatalf("timed out waiting for %s", what)
}
