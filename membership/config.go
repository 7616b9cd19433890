package membership

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// DefaultGossipPort is the gossip port of a node whose RESP port is the
// default 6379 (the gossip port is the RESP port + 10000).
const DefaultGossipPort = 16379

// Config configures a node's membership. DefaultConfig documents every
// default; the command line maps its flags onto this struct.
type Config struct {
	// Name is this node's name, unique in the cluster.
	Name string

	// BindAddr and GossipPort are where gossip listens (UDP and TCP) and the
	// address it advertises to the others; the advertised address is also
	// Meta.GossipAddr. GossipPort 0 picks a free port (tests).
	BindAddr   string
	GossipPort int

	// Meta is what this node tells the others about itself. ClusterID may be
	// "" on a node that has never joined; if it is set, it must match the
	// cluster id in Store. GossipAddr is always replaced by the advertised
	// gossip address.
	Meta NodeMeta

	// Store keeps the cluster id, the ring's member set and each member's
	// NodeMeta across restarts. It must be safe for concurrent use.
	Store MetaStore

	// Seeds are host:gossipport addresses to join at start. A node without
	// a cluster id must be given seeds to join a cluster (else it creates a
	// new one); a node with one finds its cluster through the ring members
	// it knows and needs none.
	Seeds []string

	// Failure detection and gossip timing, handed to the gossip layer.
	// The defaults are those of a local network (memberlist's
	// DefaultLocalConfig); tests shorten them to converge in milliseconds.

	// ProbeInterval is how often a random member is probed: every member is
	// probed by someone about once per interval.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a probe waits for an answer before asking
	// others to probe indirectly; about the 99th percentile of the RTT.
	ProbeTimeout time.Duration
	// IndirectChecks is how many members are asked to probe indirectly.
	IndirectChecks int
	// GossipInterval is how often queued gossip is sent to GossipNodes
	// random members.
	GossipInterval time.Duration
	GossipNodes    int
	// RetransmitMult: each gossip message is sent RetransmitMult*log(N+1)
	// times.
	RetransmitMult int
	// SuspicionMult: a suspect is declared dead after
	// SuspicionMult*log10(N)*ProbeInterval (at least SuspicionMult intervals)
	// unless it refutes; SuspicionMaxTimeoutMult bounds the stretch applied
	// while too few members confirm the suspicion.
	SuspicionMult           int
	SuspicionMaxTimeoutMult int
	// PushPullInterval is how often the full state (gossip members and the
	// ring's member set) is exchanged with a random member: the
	// anti-entropy that repairs whatever gossip lost.
	PushPullInterval time.Duration
	// TCPTimeout bounds connecting to, and each read or write of, a state
	// exchange.
	TCPTimeout time.Duration
	// GossipToTheDeadTime: dead members keep receiving gossip this long, so
	// a member wrongly declared dead hears of it and refutes.
	GossipToTheDeadTime time.Duration
	// DeadNodeReclaimTime: a member dead this long may come back under the
	// same name at another address (restarted with other ports).
	DeadNodeReclaimTime time.Duration

	// ReconnectMin and ReconnectMax bound the backoff with which this node
	// retries reaching a ring member that gossip does not show alive (after
	// a restart, a crash or a healed partition), doubling from min to max.
	ReconnectMin time.Duration
	ReconnectMax time.Duration
	// LeaveTimeout bounds how long Shutdown waits for gossip to spread the
	// news that this node leaves (telling each member directly first takes
	// at most TCPTimeout more).
	LeaveTimeout time.Duration

	// Secret, if set, is the cluster secret: gossip is encrypted and
	// authenticated with a key derived from it (memberlist's keyring), so a
	// node without it can neither join nor be heard.
	Secret string

	// Network, if set, carries gossip in memory instead of over UDP and
	// TCP (simulated clusters in tests). BindAddr:GossipPort is then the
	// node's address on it and binds nothing; GossipPort must not be 0.
	Network *MemNetwork

	// Drop, if set, is consulted for every gossip packet and stream to or
	// from a remote gossip address (host:port); true drops it. Tests use it
	// to cut a node off without real packet filtering. It must be fast and
	// safe for concurrent use.
	Drop func(remoteGossipAddr string) bool

	// Logger receives membership events and the gossip layer's own log;
	// default slog.Default().
	Logger *slog.Logger
}

// DefaultConfig answers a configuration for node name with every default set.
// Store (and usually Meta) must still be filled in.
func DefaultConfig(name string) Config {
	return Config{
		Name: name,
		// Gossip listens where RESP does by default, so a lone node is not
		// reachable from the network unless asked.
		BindAddr:   "127.0.0.1",
		GossipPort: DefaultGossipPort,

		ProbeInterval:           time.Second,            // failure check every second
		ProbeTimeout:            200 * time.Millisecond, // RTT of a local network
		IndirectChecks:          1,                      // one indirect prober suffices on a LAN
		GossipInterval:          100 * time.Millisecond, // news spreads in a few hundred ms
		GossipNodes:             3,                      // to 3 random members per round
		RetransmitMult:          4,                      // each message sent 4*log(N+1) times: a lost UDP packet rarely matters
		SuspicionMult:           3,                      // suspect for >= 3 probe intervals before dead
		SuspicionMaxTimeoutMult: 6,                      // at most 6x that without confirmations
		PushPullInterval:        5 * time.Second,        // full state exchange: a ring change gossip missed arrives within seconds
		TCPTimeout:              time.Second,            // state exchanges are small
		GossipToTheDeadTime:     15 * time.Second,       // same as the push/pull interval
		DeadNodeReclaimTime:     30 * time.Second,       // a restart with new ports is let in after 30 s dead

		ReconnectMin: time.Second,      // a restarted member is found within a second
		ReconnectMax: 30 * time.Second, // a long-dead member costs one dial per 30 s
		LeaveTimeout: 2 * time.Second,  // many gossip rounds
	}
}

// Validate reports the first problem in c.
func (c Config) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("membership: node name is empty")
	case len(c.Name) > maxFieldLen:
		return fmt.Errorf("membership: node name longer than %d bytes", maxFieldLen)
	case net.ParseIP(c.BindAddr) == nil:
		return fmt.Errorf("membership: bind address %q is not an IP address", c.BindAddr)
	case c.GossipPort < 0 || c.GossipPort > 65535:
		return fmt.Errorf("membership: gossip port %d out of range", c.GossipPort)
	case c.Network != nil && c.GossipPort == 0:
		return errors.New("membership: an in-memory network needs a gossip port")
	case c.Store == nil:
		return errors.New("membership: no store")
	case len(c.Meta.ClusterID) > maxClusterIDLen:
		return fmt.Errorf("membership: cluster id longer than %d bytes", maxClusterIDLen)
	case c.ProbeInterval <= 0, c.ProbeTimeout <= 0, c.GossipInterval <= 0,
		c.PushPullInterval <= 0, c.TCPTimeout <= 0, c.GossipToTheDeadTime <= 0,
		c.ReconnectMin <= 0, c.LeaveTimeout <= 0:
		return errors.New("membership: every interval and timeout must be positive")
	case c.ProbeTimeout >= c.ProbeInterval:
		return errors.New("membership: probe timeout must be shorter than the probe interval")
	case c.ReconnectMax < c.ReconnectMin:
		return errors.New("membership: reconnect max is below reconnect min")
	case c.DeadNodeReclaimTime < 0:
		return errors.New("membership: dead node reclaim time is negative")
	case c.IndirectChecks < 0, c.GossipNodes < 1, c.RetransmitMult < 1,
		c.SuspicionMult < 1, c.SuspicionMaxTimeoutMult < 1:
		return errors.New("membership: gossip multipliers and counts must be positive")
	}
	// The metadata must fit the gossip layer's limit even once a cluster id
	// of the longest allowed length is adopted and the gossip address filled in.
	probe := c.Meta
	probe.ClusterID = string(make([]byte, maxClusterIDLen))
	probe.GossipAddr = net.JoinHostPort(c.BindAddr, "65535")
	for _, s := range []string{c.Meta.RESPAddr, c.Meta.PeerAddr} {
		if len(s) > maxFieldLen {
			return fmt.Errorf("membership: address %q too long", s)
		}
	}
	if n := len(encodeMeta(probe)); n > metaLimit {
		return fmt.Errorf("membership: node metadata takes %d bytes, more than %d", n, metaLimit)
	}
	return nil
}
