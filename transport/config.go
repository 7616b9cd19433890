package transport

import (
	"fmt"
	"log/slog"
	"math"
	"time"
)

// Config configures a transport (TCP or in-memory).
type Config struct {
	// Name is this node's name, sent in the handshake; handlers on the peer
	// see it as from. Required, at most 255 bytes.
	Name string
	// ClusterID names the cluster. A peer with another cluster id is
	// refused, so two clusters on one network never exchange data. At most
	// 255 bytes. Empty while the node does not know it yet: a new node
	// listens before it joins, so that it can be reached as soon as the
	// others see it, and learns the id by joining. Until SetClusterID gives
	// it, a handshake (incoming or outgoing) waits for it, up to
	// DialTimeout.
	ClusterID string
	// DialTimeout bounds connecting to a peer, handshake included. Default
	// 1s: a LAN peer answers in well under a millisecond, and a second
	// still tolerates a loaded host while a dead one is noticed quickly.
	DialTimeout time.Duration
	// CallTimeout is the deadline of a call whose context has none. Default
	// 2s: longer than any healthy replica read or write, short enough that a
	// client waiting on a quorum gets an answer (-NOQUORUM) instead of a hang.
	CallTimeout time.Duration
	// CompressMinBytes is the payload size from which payloads are sent
	// S2-compressed (when that makes them smaller); 0 turns compression
	// off. Default 4 KiB: below it compression saves little on a LAN and
	// the CPU cost shows in latency.
	CompressMinBytes int
	// MaxFrameBytes bounds a request or reply, before and after
	// compression. Default 64 MiB: far above any value (--max-value-bytes)
	// or anti-entropy batch, low enough that a corrupt length cannot make a
	// node allocate gigabytes.
	MaxFrameBytes int
	// ConnsPerPeer is the number of connections kept to each peer; calls
	// take them in turn. Default 1: one connection already carries many
	// calls at once; raise it only when one reader goroutine is the
	// bottleneck.
	ConnsPerPeer int
	// MaxHandlersPerConn bounds the handlers running for one incoming
	// connection. Default 1024: when reached, the connection is not read
	// until one finishes, so a flood pushes back on the sender through TCP
	// instead of growing this node's memory.
	MaxHandlersPerConn int
	// SendQueueLen is the number of frames that may wait for a connection's
	// writer; senders block beyond it. Default 1024: enough to keep the
	// writer batching, a bound on memory when the peer is slow.
	SendQueueLen int
	// Inline reports the methods whose handlers are quick and never wait on
	// anything but memory or a local disk read (a replica read, say). A
	// request of such a method that arrives alone runs on the connection's
	// reader instead of a handler goroutine, sparing a goroutine wake-up.
	// Nil: every handler runs in a goroutine.
	Inline func(Method) bool
	// RedialBackoff is the wait after a failed dial before the next one to
	// the same peer; it doubles on each failure up to MaxRedialBackoff, and
	// calls meanwhile fail fast with the last dial error. Default 50ms: a
	// restarted peer is back in use almost at once, while a dead one costs a
	// handful of dials a second, not one per call.
	RedialBackoff time.Duration
	// MaxRedialBackoff caps RedialBackoff's doubling. Default 1s.
	MaxRedialBackoff time.Duration
	// Secret, when set, is the cluster secret: connections are encrypted
	// and only nodes holding the same secret can open one (see secret.go).
	Secret string
	// Faults, when set, cuts links between nodes on a test's command. Nil
	// in production.
	Faults *Faults
	// Logger receives what no caller sees: refused incoming connections,
	// handler panics. Default slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig(name, clusterID string) Config {
	return Config{
		Name:               name,
		ClusterID:          clusterID,
		DialTimeout:        time.Second,
		CallTimeout:        2 * time.Second,
		CompressMinBytes:   4 << 10,
		MaxFrameBytes:      64 << 20,
		ConnsPerPeer:       1,
		MaxHandlersPerConn: 1024,
		SendQueueLen:       1024,
		RedialBackoff:      50 * time.Millisecond,
		MaxRedialBackoff:   time.Second,
		Logger:             slog.Default(),
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Name == "":
		return fmt.Errorf("transport: node name not set")
	case len(c.Name) > 255:
		return fmt.Errorf("transport: node name longer than 255 bytes")
	case len(c.ClusterID) > 255:
		return fmt.Errorf("transport: cluster id longer than 255 bytes")
	case c.DialTimeout <= 0:
		return fmt.Errorf("transport: dial timeout must be > 0")
	case c.CallTimeout <= 0:
		return fmt.Errorf("transport: call timeout must be > 0")
	case c.CompressMinBytes < 0:
		return fmt.Errorf("transport: compress-min-bytes must be >= 0")
	case c.MaxFrameBytes <= 0 || c.MaxFrameBytes > math.MaxInt32:
		return fmt.Errorf("transport: max frame bytes must be in 1..%d", math.MaxInt32)
	case c.ConnsPerPeer < 1 || c.ConnsPerPeer > 64:
		return fmt.Errorf("transport: connections per peer must be in 1..64")
	case c.MaxHandlersPerConn < 1:
		return fmt.Errorf("transport: max handlers per connection must be >= 1")
	case c.SendQueueLen < 1:
		return fmt.Errorf("transport: send queue length must be >= 1")
	case c.RedialBackoff <= 0:
		return fmt.Errorf("transport: redial backoff must be > 0")
	case c.MaxRedialBackoff < c.RedialBackoff:
		return fmt.Errorf("transport: max redial backoff must be >= redial backoff")
	case c.Logger == nil:
		return fmt.Errorf("transport: logger not set")
	}
	return nil
}
