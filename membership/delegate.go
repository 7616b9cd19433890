package membership

import (
	"errors"
	"fmt"

	"github.com/hashicorp/memberlist"
)

// gossipDelegate is how the gossip layer calls us: for our metadata and
// gossip, and with news of nodes. It is a separate type so that these
// callbacks stay out of Membership's API. The gossip layer calls several of
// them with its own locks held, so they take only m.mu and never call back
// into it.
type gossipDelegate struct{ m *Membership }

var (
	_ memberlist.Delegate      = gossipDelegate{}
	_ memberlist.EventDelegate = gossipDelegate{}
	_ memberlist.MergeDelegate = gossipDelegate{}
	_ memberlist.AliveDelegate = gossipDelegate{}
)

// NodeMeta answers this node's metadata, with the leaving flag once Shutdown
// has started.
func (d gossipDelegate) NodeMeta(limit int) []byte {
	m := d.m
	m.mu.Lock()
	defer m.mu.Unlock()
	b := encodeMeta(m.meta, m.leaving)
	if len(b) > limit {
		// Validate and the cluster id length check make this unreachable.
		m.log.Error("node metadata too large", "bytes", len(b), "limit", limit)
		return nil
	}
	return b
}

// NotifyMsg receives gossiped ring entries.
func (d gossipDelegate) NotifyMsg(b []byte) {
	id, ring, err := decodeRing(b)
	if err != nil {
		d.m.log.Warn("dropping bad gossip", "err", err)
		return
	}
	d.m.mergeRing(id, ring, "gossip")
}

// GetBroadcasts hands out queued ring entries.
func (d gossipDelegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.m.queue.GetBroadcasts(overhead, limit)
}

// LocalState answers the whole ring set for a state exchange.
func (d gossipDelegate) LocalState(join bool) []byte {
	m := d.m
	m.mu.Lock()
	defer m.mu.Unlock()
	return encodeRing(m.clusterID, m.ring)
}

// MergeRemoteState merges the other side's ring set after a state exchange.
func (d gossipDelegate) MergeRemoteState(b []byte, join bool) {
	id, ring, err := decodeRing(b)
	if err != nil {
		d.m.log.Warn("dropping bad state exchange", "err", err)
		return
	}
	d.m.mergeRing(id, ring, "state exchange")
}

// NotifyMerge vets a join, on both sides: every node of the other side must
// be in our cluster, or have no cluster id yet (a new node joining through
// us). A node that has no cluster id adopts the other side's here, before
// their states merge, and persists it.
func (d gossipDelegate) NotifyMerge(peers []*memberlist.Node) error {
	m := d.m
	m.mu.Lock()
	defer m.mu.Unlock()
	theirs := ""
	for _, p := range peers {
		meta, _, err := decodeMeta(p.Meta)
		if err != nil {
			return fmt.Errorf("%s (%s) is not a Dynago node: %v", p.Name, p.Address(), err)
		}
		switch {
		case meta.ClusterID == "":
			continue
		case m.clusterID != "" && meta.ClusterID != m.clusterID:
			m.log.Warn("refusing a node of another cluster", "peer", p.Name, "addr", p.Address(), "cluster", meta.ClusterID)
			return mismatchError(m.cfg.Name, m.clusterID, p, meta.ClusterID)
		case theirs != "" && meta.ClusterID != theirs:
			return fmt.Errorf("%s: the other side mixes clusters %s and %s", mismatchPhrase, theirs, meta.ClusterID)
		}
		theirs = meta.ClusterID
	}
	if m.clusterID != "" {
		return nil
	}
	switch {
	case theirs == "":
		return errors.New("no node on the other side belongs to a cluster yet")
	case len(theirs) > maxClusterIDLen:
		return fmt.Errorf("cluster id %.16s... is longer than %d bytes", theirs, maxClusterIDLen)
	}
	m.clusterID, m.meta.ClusterID = theirs, theirs
	if err := m.persistLocked(); err != nil {
		m.clusterID, m.meta.ClusterID = "", ""
		return err
	}
	m.log.Info("joined cluster", "cluster", theirs)
	return nil
}

func mismatchError(self, ours string, p *memberlist.Node, theirs string) error {
	return fmt.Errorf("%s: %s is in cluster %s, but %s (%s) is in cluster %s",
		mismatchPhrase, self, ours, p.Name, p.Address(), theirs)
}

// NotifyAlive keeps nodes of other clusters out of our gossip, whichever
// way their news arrives.
func (d gossipDelegate) NotifyAlive(p *memberlist.Node) error {
	m := d.m
	meta, _, err := decodeMeta(p.Meta)
	if err != nil {
		return fmt.Errorf("%s is not a Dynago node: %v", p.Name, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if meta.ClusterID != "" && m.clusterID != "" && meta.ClusterID != m.clusterID {
		return mismatchError(m.cfg.Name, m.clusterID, p, meta.ClusterID)
	}
	return nil
}

// NotifyJoin: a node is alive in gossip (for the first time, or again).
func (d gossipDelegate) NotifyJoin(n *memberlist.Node) {
	d.m.updatePeer(n, func(p *peer) { p.state = Alive })
}

// NotifyUpdate: a node's metadata changed.
func (d gossipDelegate) NotifyUpdate(n *memberlist.Node) {
	d.m.updatePeer(n, func(p *peer) {})
}

// NotifyLeave: gossip declared a node dead, or it left. A node that
// announced its leave is Left, any other Dead.
func (d gossipDelegate) NotifyLeave(n *memberlist.Node) {
	d.m.updatePeer(n, func(p *peer) {
		if p.leaving {
			p.state = Left
		} else {
			p.state = Dead
		}
	})
}

// updatePeer records gossip's news of n, applies change and tells the
// watchers. It copies what it keeps: n belongs to the gossip layer.
func (m *Membership) updatePeer(n *memberlist.Node, change func(*peer)) {
	meta, leaving, err := decodeMeta(n.Meta)
	addr := n.Address()
	m.mu.Lock()
	p, ok := m.peers[n.Name]
	if !ok {
		p = &peer{state: Dead}
		m.peers[n.Name] = p
	}
	old := p.state
	if err == nil {
		p.meta, p.metaOK, p.leaving = meta, true, leaving
	}
	p.addr = addr
	change(p)
	var live int32
	for _, q := range m.peers {
		if q.state.Usable() {
			live++
		}
	}
	m.live.Store(live)
	state := p.state
	if state != old && state == Alive {
		// Count news of a node as hearing from it: a node just seen alive
		// is not pinged at once.
		m.markHeard(addr)
	}
	m.mu.Unlock()
	if state != old && n.Name != m.cfg.Name {
		m.log.Info("member "+state.String(), "member", n.Name, "addr", addr)
	}
	m.notify()
}
