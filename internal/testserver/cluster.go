package testserver

import (
	"fmt"
	"testing"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/membership"
	"github.com/dynago/dynago/node"
	"github.com/redis/go-redis/v9"
)

// Cluster is a cluster of in-process nodes on loopback whose links a test
// can cut (gossip and internode traffic alike) and heal.
type Cluster struct {
	t     testing.TB
	Nodes []*ClusterNode
	links *Links
}

// ClusterNode is one node of a Cluster.
type ClusterNode struct{ *Member }

// FastGossip shortens failure detection and gossip so tests converge in
// about a second, while leaving enough slack that a loaded machine running
// the race detector does not declare healthy members dead. A state exchange
// (a join's included) gets 2 s: with 500 ms, joins failed on a loaded
// machine with "i/o timeout" or "connection reset by peer" (the seed's end
// timed out first), and a cluster that takes 2 s for an exchange loses
// nothing by waiting.
func FastGossip(m *membership.Config) {
	m.ProbeInterval = 200 * time.Millisecond
	m.ProbeTimeout = 150 * time.Millisecond
	m.GossipInterval = 20 * time.Millisecond
	m.SuspicionMult = 4
	m.PushPullInterval = 500 * time.Millisecond
	m.TCPTimeout = 2 * time.Second
	m.GossipToTheDeadTime = time.Second
	m.DeadNodeReclaimTime = time.Second
	m.ReconnectMin = 100 * time.Millisecond
	m.ReconnectMax = 500 * time.Millisecond
	m.LeaveTimeout = 200 * time.Millisecond
}

// StartCluster starts n nodes (the first creates the cluster, the others
// join it) and waits until every node sees all n in its ring. configure, if
// not nil, adjusts each node's configuration before it starts.
func StartCluster(t testing.TB, n int, configure func(i int, cfg *node.Config)) *Cluster {
	t.Helper()
	c := &Cluster{t: t, links: NewLinks()}
	for i := 0; i < n; i++ {
		c.add(configure)
	}
	t.Cleanup(c.StopAll)
	c.WaitRing(n)
	return c
}

// Add starts one more node, which joins the cluster through its first node,
// and returns it without waiting for the ring to include it.
func (c *Cluster) Add(configure func(i int, cfg *node.Config)) *ClusterNode {
	c.t.Helper()
	return c.add(configure)
}

func (c *Cluster) add(configure func(i int, cfg *node.Config)) *ClusterNode {
	c.t.Helper()
	i := len(c.Nodes)
	cn := &ClusterNode{NewMember(c.t, i)}
	ecfg := engine.DefaultConfig(cn.Dir)
	cn.Config = node.Config{
		Addr:       fmt.Sprintf("127.0.0.1:%d", FreePort(c.t)),
		Name:       fmt.Sprintf("node%d", i+1),
		GossipAddr: fmt.Sprintf("127.0.0.1:%d", FreePort(c.t)),
		PeerAddr:   fmt.Sprintf("127.0.0.1:%d", FreePort(c.t)),
		Engine:     ecfg,
		Timeout:    time.Second,
		Faults:     c.links.Faults,
	}
	gossipAddr := cn.Config.GossipAddr
	cn.Config.Gossip = func(m *membership.Config) {
		FastGossip(m)
		m.Drop = func(remote string) bool { return c.links.IsCut(gossipAddr, remote) }
	}
	if i > 0 {
		cn.Config.Join = []string{c.Nodes[0].Config.GossipAddr}
	}
	if configure != nil {
		configure(i, &cn.Config)
	}
	c.Nodes = append(c.Nodes, cn)
	cn.Start()
	return cn
}

// Cut severs gossip and internode traffic between nodes i and j.
func (c *Cluster) Cut(i, j int) { c.links.Cut(c.Nodes[i].Config, c.Nodes[j].Config) }

// Isolate cuts node i from every other node.
func (c *Cluster) Isolate(i int) { c.links.Isolate(c.members(), i) }

func (c *Cluster) members() []*Member {
	out := make([]*Member, len(c.Nodes))
	for i, cn := range c.Nodes {
		out[i] = cn.Member
	}
	return out
}

// HealAll undoes every cut.
func (c *Cluster) HealAll() { c.links.HealAll() }

// Addr is the node's RESP address.
func (cn *ClusterNode) Addr() string { return cn.Config.Addr }

// Client returns a go-redis client for the node, closed when the test ends.
// A cluster's command waits on other nodes (a quorum, a routed write, a
// fan-out over many keys), which on a loaded machine running the race
// detector took more than NewClient's 5 s, so its replies get 30 s; the
// node's own operation timeout still bounds each replica request.
func (cn *ClusterNode) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: cn.Addr(), MaxRetries: -1, DialTimeout: 2 * time.Second, ReadTimeout: 30 * time.Second})
	cn.t.Cleanup(func() { c.Close() })
	return c
}

// StopAll stops every running node.
func (c *Cluster) StopAll() {
	for _, cn := range c.Nodes {
		cn.Stop()
	}
}

// WaitRing waits until every running node sees want ring members.
func (c *Cluster) WaitRing(want int) {
	c.t.Helper()
	c.WaitFor(fmt.Sprintf("every node to see %d ring members", want), func() bool {
		for _, cn := range c.Nodes {
			if cn.Node != nil && len(cn.Node.RingMembers()) != want {
				return false
			}
		}
		return true
	})
}

// WaitAlive waits until every running node sees node i as alive (or, with
// alive false, as not alive).
func (c *Cluster) WaitAlive(i int, alive bool) {
	c.t.Helper()
	name := c.Nodes[i].Config.Name
	c.WaitFor(fmt.Sprintf("%s alive=%v everywhere", name, alive), func() bool {
		for j, cn := range c.Nodes {
			if j != i && cn.Node != nil && cn.Node.Alive(name) != alive {
				return false
			}
		}
		return true
	})
}

// WaitFor polls cond until it holds, failing the test after 15 seconds.
func (c *Cluster) WaitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
