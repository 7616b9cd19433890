package membership

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Membership has two layers:
//
//   - the ring's member set, which changes only by explicit action: a node
//     joining (Join, or Start with seeds), and Remove (DYNAGO REMOVE, and
//     DYNAGO LEAVE, where a node removes itself). A member that is down stays
//     in the ring. The set is a CRDT (see ringset.go), gossiped on every
//     change, exchanged in full for anti-entropy, and persisted in the Store.
//   - liveness (alive, suspect, dead, left) of every node in gossip, from the
//     gossip layer's SWIM failure detection, sharpened by this node's own
//     observations (see State).
//
// A node that restarts on the same Store rejoins by itself: it reaches for
// the ring members it knows until one answers.
type Membership struct {
	cfg     Config
	log     *slog.Logger
	ml      *memberlist.Memberlist // set once in Start, before any goroutine of ours runs
	tr      *gossipTransport
	queue   *memberlist.TransmitLimitedQueue // our gossip: changed ring entries
	changes chan struct{}                    // capacity 1: notifications coalesce

	ctx    context.Context // cancelled when Shutdown starts
	cancel context.CancelFunc
	wg     sync.WaitGroup // the liveness loop and the pings and reconnects it starts

	joinMu sync.Mutex   // serialises explicit joins
	live   atomic.Int32 // gossip members alive or suspect, self included

	// mu protects the fields below. Invariant: mu is never held while calling
	// into the gossip layer, which calls our delegates with its own locks held.
	mu        sync.Mutex
	clusterID string
	meta      NodeMeta // ours, with ClusterID and GossipAddr filled in
	ring      ringSet
	peers     map[string]*peer  // gossip's view by name, self included
	seeds     []string          // Start's seeds, retried while no other member is live
	retries   map[string]*retry // reconnect attempts by gossip address
	pinging   map[string]bool   // names with a direct ping in flight
	closed    bool              // Shutdown has started

	heardMu sync.Mutex           // protects heard; taken after mu when both are held
	heard   map[string]time.Time // when a packet or stream last came from a gossip address
}

// peer is one node as gossip shows it.
type peer struct {
	meta      NodeMeta
	metaOK    bool // meta decoded
	addr      string
	state     State
	leaving   bool      // it announced a graceful leave (see noteLeaving)
	noticeAt  time.Time // when that announcement arrived
	checkedAt time.Time // Suspect: when the unanswered direct ping was sent
}

// retry paces reconnect attempts to one address.
type retry struct {
	next    time.Time
	backoff time.Duration
	busy    bool
}

// Member is one node as this node sees it.
type Member struct {
	Name   string
	Meta   NodeMeta
	State  State
	InRing bool // in the ring's member set (not removed)
}

// ErrClosed is returned by operations on a Membership that was shut down.
var ErrClosed = errors.New("membership: shut down")

// storeKey is the MetaStore entry holding the cluster id and the ring set, in
// one value so that both change atomically.
const storeKey = "membership"

// mismatchPhrase starts every cluster id refusal; a join fails for good, not
// for a while, when its error contains it.
const mismatchPhrase = "cluster id mismatch"

// Start joins or creates the cluster and starts gossiping:
//
//   - no cluster id in Store and no seeds: creates a new cluster whose ring is
//     this node alone, with a random id (or Meta.ClusterID, if set);
//   - no cluster id and seeds: joins through the seeds (synchronously; an
//     error if none answers or they belong to another cluster), adopts their
//     cluster id and adds itself to the ring;
//   - a cluster id in Store: rejoins in the background, reaching for the
//     known ring members (and the seeds, if any) with backoff until one
//     answers. Seeds are tried once synchronously and refused if they belong
//     to another cluster. A node removed from the ring does not add itself
//     back: that takes an explicit Join.
func Start(cfg Config) (*Membership, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("node", cfg.Name)

	clusterID, ring, err := loadState(cfg.Store)
	if err != nil {
		return nil, err
	}
	if cfg.Meta.ClusterID != "" && clusterID != "" && cfg.Meta.ClusterID != clusterID {
		return nil, fmt.Errorf("membership: data directory belongs to cluster %s, not %s", clusterID, cfg.Meta.ClusterID)
	}
	if clusterID == "" {
		clusterID = cfg.Meta.ClusterID
	}

	ctx, cancel := context.WithCancel(context.Background())
	m := &Membership{
		cfg:       cfg,
		log:       logger,
		changes:   make(chan struct{}, 1),
		ctx:       ctx,
		cancel:    cancel,
		clusterID: clusterID,
		ring:      ring,
		peers:     map[string]*peer{},
		retries:   map[string]*retry{},
		pinging:   map[string]bool{},
		heard:     map[string]time.Time{},
	}
	m.queue = &memberlist.TransmitLimitedQueue{
		NumNodes:       func() int { return int(m.live.Load()) },
		RetransmitMult: cfg.RetransmitMult,
	}
	gossipLog := log.New(logWriter{logger}, "", 0)
	m.tr, err = newGossipTransport(cfg.Network, cfg.BindAddr, cfg.GossipPort, cfg.Drop, m.markHeard, cfg.TCPTimeout, gossipLog)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("membership: %w", err)
	}
	m.meta = cfg.Meta
	m.meta.GossipAddr = m.tr.self
	m.meta.ClusterID = clusterID

	if err := m.prepareRing(); err != nil {
		_ = m.tr.Shutdown()
		cancel()
		return nil, err
	}

	d := gossipDelegate{m}
	mlc := memberlist.DefaultLocalConfig()
	mlc.Name = cfg.Name
	mlc.Transport = m.tr
	mlc.BindAddr = cfg.BindAddr
	mlc.BindPort = cfg.GossipPort
	mlc.AdvertiseAddr, mlc.AdvertisePort = "", 0 // advertise what the transport bound
	mlc.ProbeInterval = cfg.ProbeInterval
	mlc.ProbeTimeout = cfg.ProbeTimeout
	mlc.IndirectChecks = cfg.IndirectChecks
	mlc.GossipInterval = cfg.GossipInterval
	mlc.GossipNodes = cfg.GossipNodes
	mlc.RetransmitMult = cfg.RetransmitMult
	mlc.SuspicionMult = cfg.SuspicionMult
	mlc.SuspicionMaxTimeoutMult = cfg.SuspicionMaxTimeoutMult
	mlc.PushPullInterval = cfg.PushPullInterval
	mlc.TCPTimeout = cfg.TCPTimeout
	mlc.GossipToTheDeadTime = cfg.GossipToTheDeadTime
	mlc.DeadNodeReclaimTime = cfg.DeadNodeReclaimTime
	if cfg.Secret != "" {
		key := sha256.Sum256([]byte("dynago gossip key\x00" + cfg.Secret))
		mlc.SecretKey = key[:]
	}
	mlc.Delegate = d
	mlc.Events = d
	mlc.Merge = d
	mlc.Alive = d
	mlc.Logger = gossipLog
	ml, err := memberlist.Create(mlc)
	if err != nil {
		_ = m.tr.Shutdown() // a no-op if the gossip layer already shut it down
		cancel()
		return nil, fmt.Errorf("membership: %w", err)
	}
	m.ml = ml

	if len(cfg.Seeds) > 0 {
		if err := m.startJoin(cfg.Seeds); err != nil {
			_ = m.stop(false)
			return nil, err
		}
	}
	m.wg.Add(1)
	go m.run()
	logger.Info("membership started", "cluster", m.ClusterID(), "gossip", m.meta.GossipAddr, "ring", m.RingMembers())
	return m, nil
}

// prepareRing creates the cluster of a node that knows no ring and has no
// seeds (under Meta.ClusterID if set, else a random id), and brings this
// node's own ring entry up to date otherwise.
func (m *Membership) prepareRing() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.ring) == 0 && len(m.cfg.Seeds) == 0 {
		id := m.clusterID
		if id == "" {
			id = newClusterID()
		}
		m.clusterID, m.meta.ClusterID = id, id
		m.ring[m.cfg.Name] = ringEntry{Incarnation: 1, Meta: m.meta}
		m.log.Info("created a new cluster", "cluster", id)
		return m.persistLocked()
	}
	if m.refreshSelfLocked() {
		return m.persistLocked()
	}
	return nil
}

// startJoin joins through Start's seeds. A node without a cluster id has
// nothing to fall back on, so any failure is Start's; a node with one keeps
// trying in the background, unless the seeds belong to another cluster.
func (m *Membership) startJoin(seeds []string) error {
	m.mu.Lock()
	haveCluster := m.clusterID != ""
	m.mu.Unlock()
	// A node without a cluster id is new: this is its explicit first join.
	err := m.join(seeds, !haveCluster)
	switch {
	case err == nil:
		return nil
	case !haveCluster || strings.Contains(err.Error(), mismatchPhrase):
		return err
	}
	m.log.Warn("seeds did not answer; retrying in the background", "err", err)
	m.mu.Lock()
	for _, s := range seeds {
		if s != m.meta.GossipAddr {
			m.seeds = append(m.seeds, s)
		}
	}
	m.mu.Unlock()
	return nil
}

// Join joins this node to the cluster that the seeds (host:gossipport) belong
// to, as DYNAGO JOIN does, and adds it to the ring; a node that was removed
// from the ring is added back under a new incarnation. A node that has no
// cluster id yet, or is alone in its own cluster, adopts the seeds'; a node
// of another cluster with other members is refused, with an error naming
// both ids.
func (m *Membership) Join(seeds []string) error {
	if len(seeds) == 0 {
		return errors.New("membership: join needs at least one host:port")
	}
	m.mu.Lock()
	closed := m.closed
	lone := m.loneLocked()
	prevID, prevRing := m.clusterID, m.ring
	if lone {
		// A node alone in its own cluster gives that cluster up to join
		// another: it forgets its cluster id and ring, so it is admitted
		// as a new node and adopts the other cluster's id.
		m.clusterID, m.meta.ClusterID = "", ""
		m.ring = ringSet{}
	}
	m.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if lone {
		if err := m.ml.UpdateNode(m.cfg.LeaveTimeout); err != nil {
			m.log.Debug("re-advertising metadata", "err", err)
		}
	}
	err := m.join(seeds, true)
	if err != nil && lone {
		m.mu.Lock()
		if m.clusterID == "" {
			m.clusterID, m.meta.ClusterID, m.ring = prevID, prevID, prevRing
		}
		m.mu.Unlock()
		if uerr := m.ml.UpdateNode(m.cfg.LeaveTimeout); uerr != nil {
			m.log.Debug("re-advertising metadata", "err", uerr)
		}
	}
	return err
}

// loneLocked reports whether this node is the only member of its ring.
func (m *Membership) loneLocked() bool {
	if m.clusterID == "" {
		return false
	}
	for name, e := range m.ring {
		if !e.Removed && name != m.cfg.Name {
			return false
		}
	}
	return true
}

// join joins gossip through seeds and then makes sure this node is in the
// ring; rejoin (an explicit Join) also adds back a node that was removed.
func (m *Membership) join(seeds []string, rejoin bool) error {
	m.joinMu.Lock()
	defer m.joinMu.Unlock()
	m.mu.Lock()
	before := m.clusterID
	m.mu.Unlock()

	n, err := m.ml.Join(seeds)
	if n == 0 {
		return joinError(seeds, err)
	}
	m.mu.Lock()
	adopted := before == "" && m.clusterID != ""
	m.mu.Unlock()
	if adopted {
		// Our gossip metadata still carries no cluster id: re-advertise it.
		if err := m.ml.UpdateNode(m.cfg.LeaveTimeout); err != nil {
			m.log.Debug("re-advertising metadata", "err", err)
		}
	}
	return m.addSelf(rejoin)
}

// joinError turns the gossip layer's list of failures into one line.
func joinError(seeds []string, err error) error {
	var msgs []string
	var list interface{ WrappedErrors() []error }
	if errors.As(err, &list) {
		for _, e := range list.WrappedErrors() {
			msgs = append(msgs, e.Error())
		}
	} else if err != nil {
		msgs = append(msgs, err.Error())
	}
	if len(msgs) == 0 {
		msgs = append(msgs, "no seed answered")
	}
	return fmt.Errorf("membership: joining through %s: %s", strings.Join(seeds, ","), strings.Join(msgs, "; "))
}

// addSelf puts this node into the ring set once it is in a cluster. A
// removed node is added back (under a new incarnation) only if rejoin.
func (m *Membership) addSelf(rejoin bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.clusterID == "" {
		return errors.New("membership: joined, but no member has a cluster id")
	}
	e, ok := m.ring[m.cfg.Name]
	switch {
	case ok && !e.Removed:
		if !m.refreshSelfLocked() {
			return nil
		}
	case ok && !rejoin:
		m.log.Debug("this node was removed from the ring; it stays out until joined explicitly")
		return nil
	default:
		m.ring[m.cfg.Name] = ringEntry{Incarnation: e.Incarnation + 1, Meta: m.meta}
		m.log.Info("ring member added", "member", m.cfg.Name)
	}
	m.broadcastLocked(m.cfg.Name)
	m.notify()
	return m.persistLocked()
}

// refreshSelfLocked brings this node's ring entry up to date with its
// metadata (new addresses or epoch after a restart) and reports whether it
// changed. Only a member that was not removed is refreshed.
func (m *Membership) refreshSelfLocked() bool {
	e, ok := m.ring[m.cfg.Name]
	if !ok || e.Removed || e.Meta == m.meta {
		return false
	}
	e.MetaVersion++
	e.Meta = m.meta
	m.ring[m.cfg.Name] = e
	return true
}

// Remove drops a member from the ring set (DYNAGO REMOVE; a node leaving
// removes itself). The removal is final for the member's incarnation: only
// an explicit Join by that node brings it back. The last member cannot be
// removed.
func (m *Membership) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	e, ok := m.ring[name]
	if !ok || e.Removed {
		return fmt.Errorf("membership: %s is not a ring member", name)
	}
	if len(m.ring.members()) == 1 {
		return fmt.Errorf("membership: %s is the last ring member", name)
	}
	e.Removed = true
	m.ring[name] = e
	m.log.Info("ring member removed", "member", name)
	m.broadcastLocked(name)
	m.notify()
	return m.persistLocked()
}

// RingMembers answers the sorted names of the ring's member set.
func (m *Membership) RingMembers() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ring.members()
}

// Members answers every ring member (a member not seen in gossip since this
// node started is Dead) and every other node gossip shows alive or suspect,
// sorted by name.
func (m *Membership) Members() []Member {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := m.ring.members()
	for name, p := range m.peers {
		if p.state.Usable() && !m.ring.has(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := make([]Member, 0, len(names))
	for _, name := range names {
		if mem, ok := m.memberLocked(name); ok {
			out = append(out, mem)
		}
	}
	return out
}

// Member answers one member, as Members would list it.
func (m *Membership) Member(name string) (Member, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.memberLocked(name)
}

func (m *Membership) memberLocked(name string) (Member, bool) {
	inRing := m.ring.has(name)
	p, seen := m.peers[name]
	if !inRing && (!seen || !p.state.Usable()) {
		return Member{}, false
	}
	mem := Member{Name: name, State: Dead, InRing: inRing}
	if inRing {
		mem.Meta = m.ring[name].Meta
	}
	if seen {
		mem.State = p.state
		// Gossip has the freshest metadata, except from a node that has just
		// joined and not yet re-advertised the cluster id it adopted.
		if p.metaOK && (p.meta.ClusterID != "" || !inRing) {
			mem.Meta = p.meta
		}
	}
	if name == m.cfg.Name && !m.closed {
		mem.Meta, mem.State = m.meta, Alive
	}
	return mem, true
}

// Alive reports whether requests may be sent to the named member: it is
// Alive or Suspect (see State.Usable for why a suspect counts).
func (m *Membership) Alive(name string) bool {
	mem, ok := m.Member(name)
	return ok && mem.State.Usable()
}

// ClusterID answers the cluster's id; "" only while a new node is joining.
func (m *Membership) ClusterID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.clusterID
}

// LocalMeta answers this node's metadata, with its cluster id and gossip
// address filled in.
func (m *Membership) LocalMeta() NodeMeta {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.meta
}

// Changes receives a value whenever the ring's member set or the liveness or
// metadata of a member changes. Sends never block: changes that happen while
// a value is pending coalesce into it, so a reader re-reads the whole state.
func (m *Membership) Changes() <-chan struct{} { return m.changes }

func (m *Membership) notify() {
	select {
	case m.changes <- struct{}{}:
	default:
	}
}

// Shutdown leaves gossip gracefully (the others see this node Left) and
// stops. It does not remove the node from the ring: the node is expected
// back. It is safe to call more than once.
func (m *Membership) Shutdown() error { return m.stop(true) }

// stop stops the node; graceful announces the leave first, otherwise the
// node just falls silent, as if it crashed.
func (m *Membership) stop(graceful bool) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()

	// A reconnect in flight may hold this up to TCPTimeout.
	m.cancel()
	m.wg.Wait()
	if graceful {
		m.announceLeave()
		if err := m.ml.Leave(m.cfg.LeaveTimeout); err != nil {
			m.log.Warn("leaving gossip", "err", err)
		}
	}
	err := m.ml.Shutdown()
	m.notify()
	m.log.Info("membership stopped", "graceful", graceful)
	return err
}

// persistLocked writes the cluster id and the ring set to the Store.
func (m *Membership) persistLocked() error {
	if err := m.cfg.Store.SetMeta(storeKey, encodeRing(m.clusterID, m.ring)); err != nil {
		m.log.Error("persisting the ring members", "err", err)
		return fmt.Errorf("membership: persisting the ring members: %w", err)
	}
	return nil
}

// StoredClusterID answers the cluster id persisted in store: "" for a node
// that has never been in a cluster. A node that restarts knows its cluster
// from it before it starts gossiping.
func StoredClusterID(store MetaStore) (string, error) {
	id, _, err := loadState(store)
	return id, err
}

// StoredMembers answers the ring members persisted in store, sorted: none
// for a node that has never been in a cluster.
func StoredMembers(store MetaStore) ([]string, error) {
	_, ring, err := loadState(store)
	if err != nil {
		return nil, err
	}
	return ring.members(), nil
}

func loadState(store MetaStore) (string, ringSet, error) {
	b, ok, err := store.Meta(storeKey)
	if err != nil {
		return "", nil, fmt.Errorf("membership: reading the ring members: %w", err)
	}
	if !ok {
		return "", ringSet{}, nil
	}
	id, ring, err := decodeRing(b)
	if err != nil {
		return "", nil, fmt.Errorf("membership: data directory: %w", err)
	}
	return id, ring, nil
}

// broadcastLocked queues the named ring entry for gossip. A newer entry for
// the same member replaces one still queued.
func (m *Membership) broadcastLocked(name string) {
	msg := encodeRing(m.clusterID, ringSet{name: m.ring[name]})
	m.queue.QueueBroadcast(&ringBroadcast{name: name, msg: msg})
}

// mergeRing merges a ring set received from another node.
func (m *Membership) mergeRing(clusterID string, remote ringSet, from string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if clusterID != m.clusterID || m.clusterID == "" {
		m.log.Debug("ignoring ring members of another cluster", "cluster", clusterID, "via", from)
		return
	}
	changed := m.ring.merge(remote)
	if m.refreshSelfLocked() && !slices.Contains(changed, m.cfg.Name) {
		changed = append(changed, m.cfg.Name)
	}
	if len(changed) == 0 {
		return
	}
	for _, name := range changed {
		e := m.ring[name]
		switch {
		case e.Removed && name == m.cfg.Name:
			m.log.Warn("this node was removed from the ring", "via", from)
		case e.Removed:
			m.log.Info("ring member removed", "member", name, "via", from)
		default:
			m.log.Info("ring member updated", "member", name, "incarnation", e.Incarnation, "via", from)
		}
		// Passing news on spreads it epidemically; it stops where it is
		// no longer news.
		m.broadcastLocked(name)
	}
	_ = m.persistLocked()
	m.notify()
}

func newClusterID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

// ringBroadcast is one queued ring entry.
type ringBroadcast struct {
	name string
	msg  []byte
}

func (b *ringBroadcast) Invalidates(other memberlist.Broadcast) bool {
	o, ok := other.(*ringBroadcast)
	return ok && o.name == b.name
}
func (b *ringBroadcast) Name() string    { return "ring/" + b.name }
func (b *ringBroadcast) Message() []byte { return b.msg }
func (b *ringBroadcast) Finished()       {}

var logPrefixes = []struct {
	prefix string
	level  slog.Level
}{
	{"[DEBUG]", slog.LevelDebug}, {"[INFO]", slog.LevelInfo}, {"[WARN]", slog.LevelWarn},
	{"[ERR]", slog.LevelError}, {"[ERROR]", slog.LevelError},
}

// logWriter passes the gossip layer's log lines ("[LEVEL] text") to slog.
type logWriter struct{ l *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	level := slog.LevelInfo
	for _, p := range logPrefixes {
		if rest, ok := strings.CutPrefix(line, p.prefix); ok {
			level, line = p.level, strings.TrimSpace(rest)
			break
		}
	}
	w.l.Log(context.Background(), level, line)
	return len(p), nil
}
