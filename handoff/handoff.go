// Package handoff delivers hinted hand-offs. When an owner of a key cannot
// be reached, a write's copy for it goes to a stand-in (the next live node
// after the owners in the key's preference list), which keeps it as a hint
// naming the owner, apart from its own data (engine/hints.go). A Deliverer
// hands the hints this node holds to their owners once gossip shows them
// alive again, and deletes each one only when it holds nothing beyond what
// was delivered.
//
// Which stand-in takes which owner's copy is package quorum's decision, and
// package coordinator sends it (rpc.MethodHint); this package only delivers.
// It reaches the cluster through Cluster and Transport and storage through
// Store, and the owners store what it sends through their replica server
// (package replica's MethodMergeBatch).
package handoff

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/replica"
	"github.com/dynago/dynago/version"
)

// Store is what delivery needs of this node's storage. *engine.Engine
// satisfies it.
type Store interface {
	// Hints is the number of hints this node holds for other nodes.
	Hints() int64
	// ScanHints visits up to limit hints (all when limit <= 0) until fn
	// returns false.
	ScanHints(limit int, fn func(engine.Hint) bool) error
	// DeleteHint removes owner's hint of key if it holds nothing beyond
	// delivered (a write that reached it during the delivery stays).
	DeleteHint(owner string, key []byte, delivered version.Object) error
	// MergeBatch merges objects into this node's own copies: a hint whose
	// key this node now owns is delivered here.
	MergeBatch(keys [][]byte, objs []version.Object) error
}

var _ Store = (*engine.Engine)(nil)

// Cluster is delivery's view of the cluster.
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

// Ring is what delivery asks of the partition ring (partition.Ring): whether
// a hint's owner is still a member, and if not, the key's current owners.
type Ring interface {
	Members() []string
	PartitionOf(key []byte) int
	Owners(p int) []string
}

// Transport carries delivery's requests to other nodes.
type Transport interface {
	// Call sends a request of kind m to the node at addr and returns its
	// reply.
	Call(ctx context.Context, addr string, m rpc.Method, req []byte) ([]byte, error)
}

// Config wires a Deliverer to its node.
type Config struct {
	Store     Store
	Cluster   Cluster
	Transport Transport
	// Timeout is the cluster's operation timeout (as coordinator's); one
	// batch of hints may take four times it. Default 2s.
	Timeout time.Duration
	// Learn, if set, is told the flush generation each owner's reply
	// carries (coordinator's LearnGeneration): hints older than the
	// owner's generation were dropped there, rightly (they predate a
	// FLUSHALL), and this node catches up if it is behind.
	Learn func(gen uint64)
}

// Stats are the hint counters DYNAGO STATUS and INFO show.
type Stats struct {
	Pending   int64 // hints this node holds for other nodes
	Delivered int64 // hints this node delivered to their owners
}

// Deliverer delivers the hints of one node.
type Deliverer struct {
	cfg       Config
	delivered atomic.Int64 // hints delivered since start
}

// New returns a deliverer; Run starts its rounds.
func New(cfg Config) *Deliverer {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Learn == nil {
		cfg.Learn = func(uint64) {}
	}
	return &Deliverer{cfg: cfg}
}

// Stats returns the hint counters.
func (d *Deliverer) Stats() Stats {
	return Stats{Pending: d.cfg.Store.Hints(), Delivered: d.delivered.Load()}
}

// batchBytes bounds one delivery request.
const batchBytes = 1 << 20

// errNoAddr says that a hint's destination has no internode address.
var errNoAddr = errors.New("handoff: no address for the owner")

// Deliver hands the hints this node holds to their owners that gossip shows
// alive, in batches (rpc.MethodMergeBatch), deleting each hint once its
// owner has stored it. A hint for a node that has left the ring goes to the
// key's current owners. It returns how many hints were delivered.
func (d *Deliverer) Deliver(ctx context.Context) (int, error) {
	if d.cfg.Store.Hints() == 0 || d.cfg.Cluster == nil {
		return 0, nil
	}
	cluster := d.cfg.Cluster
	ring := cluster.Ring()
	members := ring.Members()
	self := cluster.Self()
	type pending struct {
		hint  engine.Hint
		dests []string
	}
	var hints []pending
	perDest := map[string][]int{}
	err := d.cfg.Store.ScanHints(10000, func(h engine.Hint) bool {
		dests := []string{h.Owner}
		if !slices.Contains(members, h.Owner) {
			dests = ring.Owners(ring.PartitionOf(h.Key))
		}
		for _, dest := range dests {
			if dest != self && !cluster.Alive(dest) {
				return true // not deliverable yet
			}
		}
		for _, dest := range dests {
			perDest[dest] = append(perDest[dest], len(hints))
		}
		hints = append(hints, pending{hint: h, dests: dests})
		return true
	})
	if err != nil {
		return 0, err
	}
	failed := make([]bool, len(hints))
	for dest, idx := range perDest {
		for len(idx) > 0 {
			var keys [][]byte
			var objs []version.Object
			size, n := 0, 0
			for n < len(idx) && (n == 0 || size < batchBytes) {
				h := hints[idx[n]].hint
				keys, objs = append(keys, h.Key), append(objs, h.Object)
				size += len(h.Key) + 64
				for _, s := range h.Object.Siblings {
					size += len(s.Value)
				}
				n++
			}
			var err error
			if dest == self {
				err = d.cfg.Store.MergeBatch(keys, objs)
			} else if addr, ok := cluster.PeerAddr(dest); !ok {
				err = errNoAddr
			} else {
				cctx, cancel := context.WithTimeout(ctx, 4*d.cfg.Timeout)
				var reply []byte
				reply, err = d.cfg.Transport.Call(cctx, addr, rpc.MethodMergeBatch, replica.EncodeBatch(keys, objs))
				cancel()
				// Hints older than the owner's generation were dropped
				// there, rightly (they predate a FLUSHALL): they go too.
				d.cfg.Learn(replica.GenerationReply(reply))
			}
			if err != nil {
				slog.Debug("hint delivery failed", "to", dest, "err", err)
				for _, i := range idx[:n] {
					failed[i] = true
				}
			}
			idx = idx[n:]
		}
	}
	delivered := 0
	for i, p := range hints {
		if failed[i] {
			continue
		}
		if err := d.cfg.Store.DeleteHint(p.hint.Owner, p.hint.Key, p.hint.Object); err != nil {
			return delivered, err
		}
		delivered++
	}
	if delivered > 0 {
		d.delivered.Add(int64(delivered))
		slog.Info("hints delivered", "count", delivered, "pending", d.cfg.Store.Hints())
	}
	return delivered, nil
}

// Run delivers hints every interval until ctx ends.
func (d *Deliverer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	// A failure that lasts (a disk that refuses writes) is logged once a
	// minute with the number of rounds it failed, not once a round.
	var lastLog time.Time
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			_, err := d.Deliver(ctx)
			if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, engine.ErrClosed) {
				continue
			}
			failures++
			if now.Sub(lastLog) >= time.Minute {
				slog.Warn("hint delivery", "err", err, "failed_rounds", failures)
				lastLog, failures = now, 0
			}
		}
	}
}
