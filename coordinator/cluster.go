package coordinator

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/version"
)

// Cluster is the coordinator's view of the cluster it belongs to.
type Cluster interface {
	// Self is this node's name.
	Self() string
	// Ring is the current partition ring.
	Ring() Ring
	// Alive reports whether gossip currently believes the node reachable.
	Alive(name string) bool
	// PeerAddr is the internode address of a member.
	PeerAddr(name string) (string, bool)
}

// Ring is what the coordinator asks of the partition ring (partition.Ring).
type Ring interface {
	Q() int
	Range(p int) (start, end uint64)
	PartitionOf(key []byte) int
	Owners(p int) []string
	// Preference is every member in p's preference order; the owners first.
	Preference(p int) []string
	Members() []string
	Size() int
}

// Transport carries the coordinator's requests to other nodes.
type Transport interface {
	// Call sends a request of kind m to the node at addr and returns its
	// reply. A handler's error on the other side comes back as a
	// *RemoteError; anything else is a failure to reach the node.
	Call(ctx context.Context, addr string, m rpc.Method, req []byte) ([]byte, error)
}

// ErrNotSent is matched by a Transport error when the request never left
// this node (no connection to the peer could be had): the peer did not run
// it. Any other failure may have run it.
var ErrNotSent = errors.New("coordinator: request not sent")

// RemoteError is an error the other node's handler returned.
type RemoteError struct{ Msg string }

func (e *RemoteError) Error() string { return e.Msg }

// The coordinator's internode methods (rpc.MethodOps, MethodScan,
// MethodCount, MethodFlush) are declared in package rpc's table with every
// other; their messages are defined here, next to the code that sends and
// serves them. The messages of the replica methods it sends
// (rpc.MethodHint, MethodMergeBatch, MethodReadBatch, MethodReadDigests)
// are package replica's, which serves them.

// Quick reports whether m's handler only reads this node's own copies
// (memory, or a local disk read) and never waits on other nodes or on a
// sync: a transport may run it on the connection's reader.
func Quick(m rpc.Method) bool { return m == rpc.MethodReadDigests || m == rpc.MethodReadBatch }

// owners returns key's preference list and whether this node is in it.
func (c *Coordinator) owners(key []byte) ([]string, bool) {
	ring := c.cfg.Cluster.Ring()
	owners := ring.Owners(ring.PartitionOf(key))
	return owners, slices.Contains(owners, c.cfg.Cluster.Self())
}

// Distributed reports whether keys may live on other nodes (the ring has
// more than one member).
func (c *Coordinator) Distributed() bool {
	return c.cfg.Cluster != nil && c.cfg.Cluster.Ring().Size() > 1
}

// writeCoordinator is the node that coordinates writes of key: this node
// when it is one of the key's owners (Dynamo's rule: any replica may
// coordinate, so a write through a replica costs no extra hop), otherwise
// the first live owner, to which the write is forwarded.
func (c *Coordinator) writeCoordinator(owners []string) string {
	self := c.cfg.Cluster.Self()
	for _, o := range owners {
		if o == self {
			return self
		}
	}
	for _, o := range owners {
		if c.cfg.Cluster.Alive(o) {
			return o
		}
	}
	return owners[0]
}

func (c *Coordinator) mergeTo(ctx context.Context, name string, key []byte, obj version.Object) error {
	if name == c.cfg.Cluster.Self() {
		_, err := c.eng.Merge(key, obj)
		return err
	}
	if !c.cfg.Cluster.Alive(name) {
		return errDown
	}
	addr, ok := c.cfg.Cluster.PeerAddr(name)
	if !ok {
		return errDown
	}
	return c.batcher(addr).merge(ctx, key, obj)
}

// malformed is the error for a message that did not decode: what it was,
// and why (a wire.Reader's error).
func malformed(what string, err error) error {
	return fmt.Errorf("coordinator: malformed %s: %w", what, err)
}
