package node

import (
	"context"
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

// antiEntropy is the node's anti-entropy: its trees, and the scheduler of
// its rounds (package antientropy), made once the node's parts exist.
type antiEntropy struct {
	trees *antientropy.Trees
	sched atomic.Pointer[antientropy.Scheduler] // set when the rounds start
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

// runAntiEntropy runs an exchange round every AntiEntropyInterval, until
// the node stops.
func (n *Node) runAntiEntropy() {
	sched := antientropy.NewScheduler(antientropy.SchedulerConfig{
		Self:     n.cfg.Name,
		Interval: n.cfg.AntiEntropyInterval,
		Trees:    n.ae.trees,
		Store:    liveStore{n.eng},
		Ring:     func() antientropy.Ring { return n.ring.Load() },
		Alive:    n.mem.Alive,
		Peer:     func(name string) antientropy.Peer { return aePeer{n, name} },
		Repair:   n.coord.RepairKeys,
	})
	n.ae.sched.Store(sched)
	sched.Run(n.bg)
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
	return p.n.trans.Call(ctx, addr, m, req)
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
	st := n.aeStats()
	last := "never"
	if !st.LastRound.IsZero() {
		last = st.LastRound.UTC().Format(time.RFC3339)
	}
	return [][2]string{
		{"anti_entropy", "on"},
		{"anti_entropy_interval", n.cfg.AntiEntropyInterval.String()},
		{"anti_entropy_exchanges", strconv.FormatInt(st.Exchanges, 10)},
		{"anti_entropy_failures", strconv.FormatInt(st.Failures, 10)},
		{"anti_entropy_partitions_differing", strconv.FormatInt(st.PartitionsDiffering, 10)},
		{"anti_entropy_keys_repaired", strconv.FormatInt(st.KeysRepaired, 10)},
		{"anti_entropy_bytes", strconv.FormatInt(st.Bytes, 10)},
		{"anti_entropy_last_round", last},
	}
}

// aeStats are the anti-entropy counters (zero before the rounds start).
func (n *Node) aeStats() antientropy.Stats {
	if s := n.ae.sched.Load(); s != nil {
		return s.Stats()
	}
	return antientropy.Stats{}
}
