package node

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/resp"
	"github.com/dynago/dynago/version"
)

// Anti-entropy: the engine keeps a Merkle tree per partition current on
// every write (through its observer); every AntiEntropyInterval this node
// compares the trees of the partitions it shares with each other live
// replica and repairs the keys that differ. Tombstones are left out of the
// trees: a key deleted on one replica and absent on another is no
// difference (so a collected tombstone is not sent back), while a key
// deleted here and alive there is, and the repair's merge deletes it there.

// antiEntropy is the node's anti-entropy state.
type antiEntropy struct {
	trees *antientropy.Trees

	exchanges    atomic.Int64 // exchanges completed
	failures     atomic.Int64 // exchanges that failed
	differing    atomic.Int64 // partitions found differing
	keysRepaired atomic.Int64 // copies changed by repairs
	bytes        atomic.Int64 // exchange traffic, both ways
	lastRound    atomic.Int64 // unix ms of the last completed round
}

// treeObserver feeds the engine's changes to the trees, tombstones as absent.
type treeObserver struct{ t *antientropy.Trees }

func (o treeObserver) Changed(h uint64, key []byte, old, next version.Object) {
	o.t.Update(h, key, live(old), live(next))
}

func (o treeObserver) Flushed() { o.t.Reset() }

func live(o version.Object) version.Object {
	if o.IsTombstone() {
		return version.Object{}
	}
	return o
}

// liveStore is the engine as the exchange scans it: tombstones left out, as
// in the trees.
type liveStore struct{ eng *engine.Engine }

func (s liveStore) ScanRange(cursor, end uint64, count int, fn func(key []byte, o version.Object) bool) (uint64, error) {
	return s.eng.ScanRange(cursor, end, count, func(key []byte, o version.Object) bool {
		if o.IsTombstone() {
			return true
		}
		return fn(key, o)
	})
}

// prepareAntiEntropy makes the trees and hooks them to the engine; it runs
// before the engine opens, which shows the trees every stored record.
func (n *Node) prepareAntiEntropy() {
	n.ae = &antiEntropy{trees: antientropy.NewTrees(n.cfg.Partitions)}
	n.cfg.Engine.Observer = treeObserver{n.ae.trees}
}

// runAntiEntropy runs an exchange round every AntiEntropyInterval.
func (n *Node) runAntiEntropy() {
	t := time.NewTicker(n.cfg.AntiEntropyInterval)
	defer t.Stop()
	for {
		select {
		case <-n.bg.Done():
			return
		case <-t.C:
			n.antiEntropyRound(n.bg)
		}
	}
}

// antiEntropyRound compares this node's trees with those of every live
// replica it shares partitions with. Of each pair of nodes, the one with the
// smaller name starts the exchange, so a pair exchanges once a round.
func (n *Node) antiEntropyRound(ctx context.Context) {
	ring := n.ring.Load()
	self := n.cfg.Name
	mine := ring.PartitionsOf(self)
	if ring.Size() < 2 || len(mine) == 0 {
		return
	}
	for _, peer := range ring.Members() {
		if peer <= self || !n.mem.Alive(peer) {
			continue
		}
		theirs := ring.PartitionsOf(peer)
		shared := slices.DeleteFunc(slices.Clone(mine), func(p int) bool {
			_, ok := slices.BinarySearch(theirs, p)
			return !ok
		})
		if len(shared) == 0 {
			continue
		}
		n.exchangeWith(ctx, peer, shared)
	}
	n.ae.lastRound.Store(time.Now().UnixMilli())
}

func (n *Node) exchangeWith(ctx context.Context, peer string, parts []int) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	repaired := 0
	res, err := antientropy.Exchange(cctx, n.ae.trees, liveStore{n.eng}, aePeer{n, peer}, parts,
		func(ctx context.Context, keys [][]byte) error {
			r, err := n.coord.RepairKeys(ctx, peer, keys)
			repaired += r
			return err
		})
	n.ae.bytes.Add(res.BytesSent + res.BytesReceived)
	n.ae.differing.Add(int64(res.PartitionsDiffering))
	n.ae.keysRepaired.Add(int64(repaired))
	if err != nil {
		n.ae.failures.Add(1)
		slog.Debug("anti-entropy exchange failed", "peer", peer, "err", err)
		return
	}
	n.ae.exchanges.Add(1)
	if res.KeysDiffering > 0 {
		slog.Info("anti-entropy repaired keys", "peer", peer, "partitions differing", res.PartitionsDiffering,
			"keys differing", res.KeysDiffering, "copies repaired", repaired)
	}
}

// aePeer is the exchange's view of another replica.
type aePeer struct {
	n    *Node
	name string
}

func (p aePeer) Call(ctx context.Context, m rpc.Method, req []byte) ([]byte, error) {
	addr, ok := clusterView{p.n}.PeerAddr(p.name)
	if !ok {
		return nil, errUnknownPeer
	}
	return p.n.trans.Load().Call(ctx, addr, m, req)
}

// trees are the roots of the partitions this node owns.
func (n *Node) trees() []resp.TreeRoot {
	ring := n.ring.Load()
	var out []resp.TreeRoot
	for _, p := range ring.PartitionsOf(n.cfg.Name) {
		out = append(out, resp.TreeRoot{Partition: p, Root: n.ae.trees.Root(p)})
	}
	return out
}

func (n *Node) antiEntropyStatus() [][2]string {
	last := "never"
	if ms := n.ae.lastRound.Load(); ms != 0 {
		last = time.UnixMilli(ms).UTC().Format(time.RFC3339)
	}
	return [][2]string{
		{"anti_entropy", "on"},
		{"anti_entropy_interval", n.cfg.AntiEntropyInterval.String()},
		{"anti_entropy_exchanges", strconv.FormatInt(n.ae.exchanges.Load(), 10)},
		{"anti_entropy_failures", strconv.FormatInt(n.ae.failures.Load(), 10)},
		{"anti_entropy_partitions_differing", strconv.FormatInt(n.ae.differing.Load(), 10)},
		{"anti_entropy_keys_repaired", strconv.FormatInt(n.ae.keysRepaired.Load(), 10)},
		{"anti_entropy_bytes", strconv.FormatInt(n.ae.bytes.Load(), 10)},
		{"anti_entropy_last_round", last},
	}
}
