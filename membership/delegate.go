package membership

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

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

// NodeMeta answers this node's metadata.
func (d gossipDelegate) NodeMeta(limit int) []byte {
	m := d.m
	m.mu.Lock()
	defer m.mu.Unlock()
	b := encodeMeta(m.meta)
	if len(b) > limit {
		// Validate and the cluster id length check make this unreachable.
		m.log.Error("node metadata too large", "bytes", len(b), "limit", limit)
		return nil
	}
	return b
}

// NotifyMsg receives our messages: gossiped ring entries, and the notice of
// a node about to leave.
func (d gossipDelegate) NotifyMsg(b []byte) {
	if len(b) > 0 && b[0] == leaveNotice {
		name, id, ring, err := decodeLeave(b)
		if err != nil {
			d.m.log.Warn("dropping bad leave notice", "err", err)
			return
		}
		d.m.mergeRing(id, ring, "leave notice of "+name)
		d.m.noteLeaving(id, name)
		return
	}
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
		meta, err := decodeMeta(p.Meta)
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
	meta, err := decodeMeta(p.Meta)
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
//
// A node that announced its leave may still be seen alive once more: gossip
// about it from before its leave (a refutation of a stale suspicion, a
// state sync from a third node) can arrive after the announcement. So the
// announcement holds for leaveNoticeHold, and only a join after that (a
// restart) clears it; seen on a loaded machine, where the stale "alive"
// turned a graceful stop into a failure (Dead) once the leave gossip was
// lost.
func (d gossipDelegate) NotifyJoin(n *memberlist.Node) {
	d.m.updatePeer(n, func(p *peer) {
		p.state = Alive
		if p.leaving && time.Since(p.noticeAt) > leaveNoticeHold {
			p.leaving = false
		}
	})
}

// leaveNoticeHold is how long a leave announcement outlives news of the
// node being alive: far longer than gossip takes to deliver what the node
// said before it left, far shorter than a restart that fails again.
const leaveNoticeHold = 30 * time.Second

// NotifyUpdate: a node's metadata changed.
func (d gossipDelegate) NotifyUpdate(n *memberlist.Node) {
	d.m.updatePeer(n, func(p *peer) {})
}

// NotifyLeave: gossip declared a node dead, or it left. A node that
// announced its leave (see announceLeave) is Left, any other Dead.
func (d gossipDelegate) NotifyLeave(n *memberlist.Node) {
	d.m.updatePeer(n, func(p *peer) {
		if p.leaving && time.Since(p.noticeAt) <= leaveNoticeHold {
			p.state = Left
		} else {
			p.state = Dead
		}
	})
}

// updatePeer records gossip's news of n, applies change and tells the
// watchers. It copies what it keeps: n belongs to the gossip layer.
func (m *Membership) updatePeer(n *memberlist.Node, change func(*peer)) {
	meta, err := decodeMeta(n.Meta)
	addr := n.Address()
	m.mu.Lock()
	p, ok := m.peers[n.Name]
	if !ok {
		p = &peer{state: Dead}
		m.peers[n.Name] = p
	}
	old := p.state
	if err == nil {
		p.meta, p.metaOK = meta, true
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

// leaveNotice is the first byte of the notice a node sends every member
// just before it leaves gossip gracefully:
//
//	leaveNotice byte (2), node name (uvarint length + bytes), then the
//	node's whole ring message (see encodeRing; it carries the cluster id).
//
// The gossip layer's own leave cannot be told from a failure by its
// observers, hence the notice. It carries the ring set so that a change made
// just before leaving (DYNAGO LEAVE removes the node, then shuts it down)
// reaches every member even if gossip had no time to spread it. It goes over
// streams, one per member. Ring messages start with ringFormat (1).
const leaveNotice = 2

func encodeLeave(name, clusterID string, ring ringSet) []byte {
	return append(appendString([]byte{leaveNotice}, name), encodeRing(clusterID, ring)...)
}

func decodeLeave(b []byte) (name, clusterID string, ring ringSet, err error) {
	if len(b) < 1 || b[0] != leaveNotice {
		return "", "", nil, errors.New("leave notice: bad type")
	}
	if name, b, err = readString(b[1:]); err != nil {
		return "", "", nil, fmt.Errorf("leave notice: %w", err)
	}
	if clusterID, ring, err = decodeRing(b); err != nil {
		return "", "", nil, fmt.Errorf("leave notice: %w", err)
	}
	return name, clusterID, ring, nil
}

// noteLeaving records that a node announced its leave. The notice and the
// leave itself travel different ways and are handled concurrently, so the
// leave may have been seen first: a node that announced its leave and is
// gone left, it did not fail.
func (m *Membership) noteLeaving(clusterID, name string) {
	m.mu.Lock()
	p := m.peers[name]
	changed := false
	if p != nil && clusterID == m.clusterID {
		p.leaving, p.noticeAt = true, time.Now()
		if p.state == Dead {
			p.state, changed = Left, true
		}
	}
	m.mu.Unlock()
	if changed {
		m.log.Info("member left", "member", name)
		m.notify()
	}
}

// AnnounceLeave tells every member, over TCP, that this node is about to
// leave, with its ring set: a node that removed itself (DYNAGO LEAVE) calls
// it before it stops, so the removal reaches every member even if the
// node's last gossip packets are lost. Shutdown announces the same.
func (m *Membership) AnnounceLeave() { m.announceLeave() }

// announceLeave tells every member that this node is about to leave. It
// takes at most TCPTimeout (the sends run in parallel).
func (m *Membership) announceLeave() {
	m.mu.Lock()
	msg := encodeLeave(m.cfg.Name, m.clusterID, m.ring)
	var to []*memberlist.Node
	for name, p := range m.peers {
		// A member this node believes dead may be alive all the same (the
		// belief may be false, or stale): it is told too.
		if name == m.cfg.Name || p.state == Left {
			continue
		}
		host, port, err := net.SplitHostPort(p.addr)
		n, perr := strconv.ParseUint(port, 10, 16)
		if err != nil || perr != nil || net.ParseIP(host) == nil {
			continue
		}
		to = append(to, &memberlist.Node{Name: name, Addr: net.ParseIP(host), Port: uint16(n)})
	}
	m.mu.Unlock()
	m.log.Debug("announcing the leave", "to", len(to))
	var wg sync.WaitGroup
	for _, n := range to {
		wg.Go(func() {
			if err := m.ml.SendReliable(n, msg); err != nil {
				m.log.Debug("announcing the leave", "member", n.Name, "err", err)
			}
		})
	}
	wg.Wait()
}
