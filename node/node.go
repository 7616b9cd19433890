// Package node assembles one Dynago node from its parts (engine, identity,
// membership, ring, transport, coordinator, RESP server) and runs it. The
// dynago command and the tests start nodes through it, so both run exactly
// the same wiring.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dynago/dynago/coordinator"
	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/membership"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/resp"
	"github.com/dynago/dynago/transfer"
	"github.com/dynago/dynago/transport"
)

// Config is a node's whole configuration.
type Config struct {
	// Addr is the RESP listen address (host:port; port 0 picks a free one).
	// Empty when clients use TLS only (Security.TLSAddr): the node's name
	// and default ports then derive from the TLS address.
	Addr string
	// Name is the node's name in the cluster; default: Addr.
	Name string
	// GossipAddr and PeerAddr are where gossip and internode traffic listen
	// (host:port). Defaults: the RESP host with port+10000 and port+20000.
	GossipAddr string
	PeerAddr   string
	// Join lists host:gossipport seeds of a cluster to join at start.
	Join []string
	// Replicas (N), ReadQuorum (R), WriteQuorum (W) and Partitions (Q).
	// Defaults 3, 2, 2 and 256.
	Replicas, ReadQuorum, WriteQuorum, Partitions int
	// Timeout bounds one replicated operation (default 2s).
	Timeout time.Duration
	// Engine configures local storage.
	Engine engine.Config
	// MaxValueBytes is the largest value a client may store.
	MaxValueBytes int
	// Gossip, if set, adjusts the membership configuration (tests shorten
	// its timings and install a Drop hook to cut the node off).
	Gossip func(*membership.Config)
	// Faults, if set, lets tests cut internode links.
	Faults *transport.Faults
	// Internode, if set, carries internode traffic over this in-memory
	// network instead of TCP (a simulated cluster in tests: see
	// internal/simcluster); PeerAddr is then the node's address on it and
	// binds nothing.
	Internode *transport.MemNetwork
	// NoClientListener starts the node without a RESP listener: tests then
	// drive it through Coordinator and Admin. A simulated cluster runs its
	// nodes on a fake clock (testing/synctest), where no goroutine may wait
	// on a socket. Addr is then only the name the node gives for its RESP
	// address.
	NoClientListener bool
	// FaultInjection enables DYNAGO FAULT, which cuts this node's gossip
	// and internode traffic to chosen nodes (for fault-injection runs of
	// real processes; never on in production).
	FaultInjection bool

	// ClusterSecret, if set, authenticates and encrypts gossip and
	// internode traffic; nodes without it cannot join, read or write.
	ClusterSecret string

	// LogLevel, if set, is the level of the node's logger, which CONFIG SET
	// log-level changes while the node runs.
	LogLevel *slog.LevelVar

	// MetricsAddr is where Prometheus metrics (/metrics) and the cluster
	// dashboard (/) are served; empty: not served.
	MetricsAddr string
	// MetricsOptional lets the node start without metrics when MetricsAddr
	// cannot be bound (a default port someone else holds), with a warning.
	MetricsOptional bool
	// SlowlogSlowerThan is the SLOWLOG threshold in microseconds (0: every
	// command; negative: none). Default 10000, as Redis's.
	SlowlogSlowerThan int64

	// StrictQuorum counts only a key's owners toward W (see
	// coordinator.Config.Strict).
	StrictQuorum bool
	// HintInterval is how often held hints are offered to their owners.
	// Default 1s.
	HintInterval time.Duration
	// AntiEntropyInterval is how often this node compares its partitions'
	// hash trees with each other replica's. Default 10s.
	AntiEntropyInterval time.Duration
	// TransferRate bounds partition transfers (compressed bytes per second).
	// Default 32 MiB/s; negative = unthrottled.
	TransferRate int

	// Security (password, protected mode, TLS) and Limits (maxclients,
	// idle timeout, request size) apply to Redis clients; see resp.
	Security resp.Security
	Limits   resp.Limits
}

func (c *Config) setDefaults() error {
	clientAddr := c.Addr
	if clientAddr == "" {
		clientAddr = c.Security.TLSAddr
	}
	if c.Name == "" {
		c.Name = clientAddr
	}
	if c.Replicas <= 0 {
		c.Replicas = 3
	}
	if c.ReadQuorum <= 0 {
		c.ReadQuorum = 2
	}
	if c.WriteQuorum <= 0 {
		c.WriteQuorum = 2
	}
	if c.Partitions <= 0 {
		c.Partitions = 256
	}
	if c.SlowlogSlowerThan == 0 {
		c.SlowlogSlowerThan = 10000
	}
	if c.HintInterval <= 0 {
		c.HintInterval = time.Second
	}
	if c.AntiEntropyInterval <= 0 {
		c.AntiEntropyInterval = 10 * time.Second
	}
	if c.Engine.TombstoneGrace == 0 {
		c.Engine.TombstoneGrace = DefaultTombstoneGrace
	}
	if c.ReadQuorum > c.Replicas || c.WriteQuorum > c.Replicas {
		return fmt.Errorf("read and write quorums (%d, %d) cannot exceed the replicas (%d)", c.ReadQuorum, c.WriteQuorum, c.Replicas)
	}
	host, portStr, err := net.SplitHostPort(clientAddr)
	if err != nil {
		return fmt.Errorf("address %q: %w", clientAddr, err)
	}
	port, _ := strconv.Atoi(portStr)
	if c.GossipAddr == "" || c.PeerAddr == "" {
		if port == 0 {
			return errors.New("gossip and peer addresses must be given when the RESP port is chosen by the system")
		}
		if port+20000 > 65535 {
			return fmt.Errorf("RESP port %d leaves no room for the gossip (+10000) and peer (+20000) ports; set them explicitly", port)
		}
	}
	if c.GossipAddr == "" {
		c.GossipAddr = net.JoinHostPort(host, strconv.Itoa(port+10000))
	}
	if c.PeerAddr == "" {
		c.PeerAddr = net.JoinHostPort(host, strconv.Itoa(port+20000))
	}
	c.Engine.Partitions = c.Partitions
	return nil
}

// DefaultTombstoneGrace is how long a node keeps a tombstone: far longer
// than hint delivery to a restarted node and many anti-entropy rounds, so
// every replica has the delete before any forgets it.
const DefaultTombstoneGrace = time.Hour

// Node is a running Dynago node.
type Node struct {
	cfg   Config
	eng   *engine.Engine
	id    membership.Identity
	mem   *membership.Membership
	trans transport.Transport // set before membership starts, never replaced
	coord *coordinator.Coordinator
	srv   *resp.Server

	ring atomic.Pointer[partition.Ring] // the ring of the current member set

	cuts *cuts // DYNAGO FAULT's state; nil unless FaultInjection
	xfer *transfer.Manager
	ae   *antiEntropy
	obs  *observer

	hints hintDelivery // hinted hand-off delivery (handoff.go)

	stop     chan struct{}
	bg       context.Context // ends with stop
	cancel   context.CancelFunc
	watcher  sync.WaitGroup
	served   chan error
	left     chan struct{} // closed once DYNAGO LEAVE has handed everything off
	leftOnce sync.Once
	// shutdownAsked is closed by a client's SHUTDOWN.
	shutdownAsked chan struct{}
	shutdownOnce  sync.Once
	// ready is closed once the parts that serve internode requests exist.
	// The internode listener starts before them (the node's own start-up
	// calls out through it), so a peer's request may arrive first: it waits.
	ready chan struct{}
	// methods serves the internode methods; complete before ready closes,
	// read (without a lock) only after.
	methods *rpc.Table
}

// Start opens the data directory, joins or creates the cluster, binds the
// ports and starts serving.
func Start(cfg Config) (*Node, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, served: make(chan error, 1), stop: make(chan struct{}), left: make(chan struct{}), shutdownAsked: make(chan struct{}), ready: make(chan struct{})}
	n.bg, n.cancel = context.WithCancel(context.Background())
	n.prepareAntiEntropy()
	if n.cfg.Engine.ConvertLayout == nil {
		n.cfg.Engine.ConvertLayout = convertAlone
	}
	eng, err := engine.Open(n.cfg.Engine)
	if err != nil {
		return nil, err
	}
	n.eng = eng
	if err := n.start(); err != nil {
		n.closeParts()
		return nil, err
	}
	return n, nil
}

// convertAlone lets the engine convert a data directory from the key
// layout before hash slots only when the node held it alone. Every key's
// partition changes with the layout, and a lone node owns every partition;
// in a cluster a key's new owners are mostly other nodes, so the data would
// be on the wrong replicas.
func convertAlone(e *engine.Engine, found int) error {
	members, err := membership.StoredMembers(e)
	if err != nil {
		return err
	}
	if len(members) > 1 {
		return fmt.Errorf("the node was one of %d cluster members (%s), and hash slots move keys to other members, so a cluster is not converted node by node; keep this data directory with the release that wrote it and copy the keys into a new cluster (docs/operations.md, \"Upgrading to hash slots\")", len(members), strings.Join(members, ", "))
	}
	return nil
}

func (n *Node) start() error {
	_, used, err := n.eng.Meta("epoch")
	if err != nil {
		return err
	}
	id, err := membership.LoadIdentity(n.eng, n.cfg.Name)
	if err != nil {
		return err
	}
	n.id = id

	// Bind RESP first so a port conflict is reported before the node joins.
	n.srv = resp.New(resp.Config{
		Addr:          n.cfg.Addr,
		NodeName:      n.cfg.Name,
		MaxValueBytes: n.cfg.MaxValueBytes,
		DataDir:       n.cfg.Engine.Dir,
		Fsync:         n.cfg.Engine.Fsync.String(),
		Admin:         admin{n},
		Security:      n.cfg.Security,
		Limits:        n.cfg.Limits,

		SlowlogSlowerThan: n.cfg.SlowlogSlowerThan,
		Settings:          settings{n},
		OnCommand: func(name string, took time.Duration, failed bool) {
			n.obs.m.ObserveCommand(name, took, failed)
		},
	}, nil)
	if !n.cfg.NoClientListener {
		if err := n.srv.Listen(); err != nil {
			return err
		}
	}

	gossipHost, gossipPortStr, err := net.SplitHostPort(n.cfg.GossipAddr)
	if err != nil {
		return fmt.Errorf("gossip address %q: %w", n.cfg.GossipAddr, err)
	}
	gossipPort, _ := strconv.Atoi(gossipPortStr)
	mcfg := membership.DefaultConfig(n.cfg.Name)
	mcfg.BindAddr = gossipHost
	mcfg.GossipPort = gossipPort
	mcfg.Store = n.eng
	mcfg.Seeds = n.cfg.Join
	mcfg.Secret = n.cfg.ClusterSecret
	mcfg.Meta = membership.NodeMeta{RESPAddr: n.Addr(), PeerAddr: n.cfg.PeerAddr, Actor: id.Actor}
	if n.cfg.Gossip != nil {
		n.cfg.Gossip(&mcfg)
	}
	if n.cfg.FaultInjection {
		n.enableFaults(&mcfg)
	}
	// The internode port listens before the node joins: the others call it
	// as soon as they see it in the ring. A new node learns its cluster id
	// by joining; until then its transport holds handshakes back (up to the
	// dial timeout) instead of refusing them, and node.handle holds requests
	// until the parts that serve them exist.
	storedID, err := membership.StoredClusterID(n.eng)
	if err != nil {
		return err
	}
	if err := n.listenPeers(storedID); err != nil {
		return err
	}

	if n.mem, err = membership.Start(mcfg); err != nil {
		return err
	}
	if err := n.trans.SetClusterID(n.mem.ClusterID()); err != nil {
		return err
	}
	if err := n.updateRing(); err != nil {
		return err
	}

	// Metrics exist before any command can run (internode requests
	// included); their server answers once membership is up.
	if err := n.startObserving(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if err := n.startTransfers(); err != nil {
		return err
	}
	if r := n.ring.Load(); r.Size() > 1 && !used {
		// A new member (or one that lost its data directory) fetches
		// what it owns.
		n.xfer.RingChanged(n.previousOwners(nil, r), r)
	}

	n.coord, err = coordinator.New(coordinator.Config{
		Actor:     id.Actor,
		Cluster:   clusterView{n},
		Transport: caller{n},
		R:         n.cfg.ReadQuorum,
		W:         n.cfg.WriteQuorum,
		Strict:    n.cfg.StrictQuorum,
		Timeout:   n.cfg.Timeout,
		OnRead:    func(versions int) { n.obs.m.ObserveRead(versions) },
	}, n.eng)
	if err != nil {
		return err
	}
	n.srv.SetCoordinator(n.coord)
	n.methods = n.methodTable()
	close(n.ready)

	n.watcher.Add(3)
	go n.watchMembership()
	go func() {
		defer n.watcher.Done()
		n.runAntiEntropy()
	}()
	go func() {
		defer n.watcher.Done()
		n.runHintDelivery()
	}()
	if !n.cfg.NoClientListener {
		go func() { n.served <- n.srv.Serve() }()
	}
	slog.Info("dynago ready", "node", n.cfg.Name, "addr", n.Addr(), "gossip", n.mem.LocalMeta().GossipAddr,
		"peer", n.cfg.PeerAddr, "cluster", n.mem.ClusterID(), "ring", n.mem.RingMembers(),
		"dir", n.cfg.Engine.Dir, "fsync", n.cfg.Engine.Fsync.String(), "actor", id.Actor.String())
	return nil
}

// listenPeers starts the internode transport, under the cluster id given
// ("" while the node has none: see start).
func (n *Node) listenPeers(clusterID string) error {
	tcfg := transport.DefaultConfig(n.cfg.Name, clusterID)
	tcfg.Faults = n.cfg.Faults
	tcfg.Secret = n.cfg.ClusterSecret
	tcfg.Inline = coordinator.Quick
	var err error
	if n.cfg.Internode != nil {
		n.trans, err = n.cfg.Internode.Listen(tcfg, n.cfg.PeerAddr, n.handle)
	} else {
		n.trans, err = transport.Listen(tcfg, n.cfg.PeerAddr, n.handle)
	}
	if err != nil {
		n.trans = nil
		return fmt.Errorf("internode transport: %w", err)
	}
	return nil
}

// join joins the cluster of a member at a gossip address (DYNAGO JOIN).
func (n *Node) join(seeds []string) error {
	if r := n.ring.Load(); r.Size() == 1 && n.eng.Len() > 0 {
		// Its keys' partitions would belong to the other cluster's members,
		// and nothing moves data on a join yet: they would be lost from view.
		return fmt.Errorf("this node holds %d keys; only a node without data can join another cluster", n.eng.Len())
	}
	before := n.mem.ClusterID()
	if len(n.mem.RingMembers()) == 1 {
		// A lone node gives its cluster up to adopt the other's id. While
		// it joins, its transport holds handshakes back instead of
		// refusing the other cluster's members, who may call it as soon as
		// they see it in their ring.
		if err := n.trans.SetClusterID(""); err != nil {
			return err
		}
	}
	err := n.mem.Join(seeds)
	// Whatever happened, the transport takes membership's id: the new
	// cluster's, or the old one back after a failed join. Connections
	// opened under another id close.
	if serr := n.trans.SetClusterID(n.mem.ClusterID()); serr != nil {
		return errors.Join(err, serr)
	}
	if err != nil {
		return err
	}
	if id := n.mem.ClusterID(); id != before {
		slog.Info("joined another cluster", "cluster", id, "was", before)
	}
	return nil
}

// updateRing rebuilds the ring from the current member set.
func (n *Node) updateRing() error {
	members := n.mem.RingMembers()
	if cur := n.ring.Load(); cur != nil && slices.Equal(cur.Members(), members) {
		return nil
	}
	r, err := partition.NewRing(n.cfg.Partitions, n.cfg.Replicas, members)
	if err != nil {
		return err
	}
	old := n.ring.Swap(r)
	if old != nil {
		slog.Info("ring changed", "members", members, "partitions moved", len(partition.Moves(old, r)))
		if n.xfer != nil {
			n.xfer.RingChanged(n.previousOwners(old, r), r)
		}
	}
	return nil
}

// watchMembership keeps the ring in step with the member set.
func (n *Node) watchMembership() {
	defer n.watcher.Done()
	for {
		select {
		case <-n.stop:
			return
		case <-n.mem.Changes():
			if err := n.updateRing(); err != nil {
				slog.Error("cannot rebuild the ring", "err", err)
			}
		}
	}
}

// handle serves internode requests from the method table (methods.go),
// once it is complete.
func (n *Node) handle(ctx context.Context, from string, m rpc.Method, req []byte) ([]byte, error) {
	select {
	case <-n.ready:
	default:
		select {
		case <-n.ready:
		case <-ctx.Done():
			return nil, errors.New("node: still starting")
		}
	}
	return n.methods.Serve(ctx, from, m, req)
}

// Addr is the address Redis clients connect to (with NoClientListener,
// Config.Addr as given).
func (n *Node) Addr() string {
	if n.cfg.NoClientListener {
		return n.cfg.Addr
	}
	return n.srv.Addr().String()
}

// Coordinator is the node's coordinator: what the RESP server runs a
// command through once it has parsed it. Tests drive the nodes of a
// simulated cluster (internal/simcluster), which listen for no clients
// (NoClientListener), through it.
func (n *Node) Coordinator() *coordinator.Coordinator { return n.coord }

// Admin answers what the DYNAGO commands and INFO's cluster section ask of
// the node, as the RESP server asks it.
func (n *Node) Admin() resp.Admin { return admin{n} }

// PeerAddr is the address of the node's internode listener.
func (n *Node) PeerAddr() string { return n.cfg.PeerAddr }

// TransportStats are the counters of the node's internode transport.
func (n *Node) TransportStats() transport.Stats { return n.trans.Stats() }

// GossipAddr is the address other nodes join through.
func (n *Node) GossipAddr() string { return n.mem.LocalMeta().GossipAddr }

// Name is the node's name.
func (n *Node) Name() string { return n.cfg.Name }

// Identity is who this node is.
func (n *Node) Identity() membership.Identity { return n.id }

// RingMembers is the ring's member set as this node sees it.
func (n *Node) RingMembers() []string { return n.ring.Load().Members() }

// Alive reports whether this node believes a member is up.
func (n *Node) Alive(name string) bool { return n.mem.Alive(name) }

// Done delivers the RESP server's exit error if it stops on its own (never,
// with NoClientListener).
func (n *Node) Done() <-chan error { return n.served }

// Left is closed once the node has left the cluster (DYNAGO LEAVE): its
// partitions are with their new owners and it should shut down.
func (n *Node) Left() <-chan struct{} { return n.left }

// ShutdownAsked is closed once a client has sent SHUTDOWN: whoever runs
// the node should shut it down (Shutdown), as on SIGTERM.
func (n *Node) ShutdownAsked() <-chan struct{} { return n.shutdownAsked }

// Shutdown stops accepting clients, lets commands in progress finish (until
// ctx ends), leaves gossip, and syncs and closes storage.
func (n *Node) Shutdown(ctx context.Context) error {
	err := n.srv.Shutdown(ctx)
	if !n.cfg.NoClientListener {
		if serr := <-n.served; serr != nil && !errors.Is(serr, net.ErrClosed) {
			err = errors.Join(err, fmt.Errorf("resp server: %w", serr))
		}
	}
	return errors.Join(err, n.closeParts())
}

func (n *Node) closeParts() error {
	var err error
	select {
	case <-n.stop:
	default:
		close(n.stop)
	}
	if n.cancel != nil {
		n.cancel()
	}
	n.watcher.Wait()
	n.stopObserving()
	if n.xfer != nil {
		err = errors.Join(err, n.xfer.Close())
	}
	if n.mem != nil {
		err = errors.Join(err, n.mem.Shutdown())
	}
	if n.trans != nil {
		err = errors.Join(err, n.trans.Close())
	}
	return errors.Join(err, n.eng.Close())
}

// clusterView is the coordinator's view of the cluster.
type clusterView struct{ n *Node }

func (v clusterView) Self() string           { return v.n.cfg.Name }
func (v clusterView) Ring() coordinator.Ring { return v.n.ring.Load() }
func (v clusterView) Alive(name string) bool { return v.n.mem.Alive(name) }
func (v clusterView) PeerAddr(name string) (string, bool) {
	m, ok := v.n.mem.Member(name)
	if !ok || m.Meta.PeerAddr == "" {
		return "", false
	}
	return m.Meta.PeerAddr, true
}

// caller adapts the transport to the coordinator.
type caller struct{ n *Node }

func (c caller) Call(ctx context.Context, addr string, m rpc.Method, req []byte) ([]byte, error) {
	resp, err := c.n.trans.Call(ctx, addr, m, req)
	var remote *transport.RemoteError
	switch {
	case errors.As(err, &remote):
		return nil, &coordinator.RemoteError{Msg: remote.Msg}
	case errors.Is(err, transport.ErrNotSent):
		return nil, fmt.Errorf("%w: %w", coordinator.ErrNotSent, err)
	}
	return resp, err
}
