// Package coordinator carries out one client operation on a key: it reads
// the key's versions, lets the command decide what to write, versions the
// write with this node's actor, and stores it. It is the only place that
// allocates dots, so every write this node coordinates is causally ordered
// after what the node has seen of the key.
package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/version"
)

// Config configures a Coordinator.
type Config struct {
	// Actor is this node's writer identity (node id and data-directory epoch).
	Actor version.Actor
	// Now is the wall clock used for write timestamps and expiry. Default time.Now.
	Now func() time.Time

	// Cluster is the cluster this node belongs to; nil runs standalone
	// (every key on this node alone).
	Cluster Cluster
	// Transport carries requests to other nodes (required with Cluster).
	Transport Transport
	// R and W are the read and write quorums: how many replicas must answer
	// before a read or write succeeds. Capped at the replicas a key has.
	// Default 2 and 2 (with N=3, R+W>N: a read sees the latest write).
	R, W int
	// Strict counts only the key's owners toward W (like Riak's PW); by
	// default a stand-in holding the write as a hint counts too (sloppy
	// quorum), so writes succeed while any W nodes can take them.
	Strict bool
	// OnRead, if set, is told how many versions (siblings) each read of a
	// cluster found: the divergence statistic the Dynamo paper reports.
	OnRead func(versions int)
	// Timeout bounds one replicated operation. Default 2s: long enough for
	// a replica under load on a LAN, short enough that a client stuck on a
	// partition learns of it quickly.
	Timeout time.Duration
}

// Stats are counters of the coordinator's work.
type Stats struct {
	noQuorumReads  atomic.Int64 // reads that failed for want of R replicas
	noQuorumWrite  atomic.Int64 // writes that failed for want of W replicas
	readRepairs    atomic.Int64 // replicas repaired by reads
	hintsHandedOff atomic.Int64 // writes given to stand-ins

	// Commands that cost a hop a client aware of the key's replicas
	// (a Redis Cluster client) would have saved.
	routedWrites    atomic.Int64 // writes sent to their coordinator on another node
	offReplicaReads atomic.Int64 // reads coordinated here of keys this node holds no replica of

	// Reads of big collections in a cluster (see agreement.go): answered
	// from this node's records once R owners' digests agreed, or read
	// whole from R owners when they did not (ReadElements).
	ownerReads, wholeReads atomic.Int64
}

// CollectionReads counts the reads of big collections in a cluster since
// start: those this node answered from its own records because R owners
// held the same ones (agreed), and those read whole from R owners because
// they did not (merged).
func (s *Stats) CollectionReads() (agreed, merged int64) {
	return s.ownerReads.Load(), s.wholeReads.Load()
}

// Routed counts the operations that came to a node holding no replica of
// their key since start: writes sent on to their coordinator, and reads
// whose every replica was another node. A Redis Cluster client that follows
// CLUSTER SLOTS keeps both near zero.
func (s *Stats) Routed() (writes, reads int64) {
	return s.routedWrites.Load(), s.offReplicaReads.Load()
}

// ReadRepairs is the number of replicas repaired by reads since start.
func (s *Stats) ReadRepairs() int64 { return s.readRepairs.Load() }

// HintsHandedOff is the number of writes this node gave to stand-ins since
// start (their delivery is package handoff's).
func (s *Stats) HintsHandedOff() int64 { return s.hintsHandedOff.Load() }

// QuorumFailures are the reads and writes refused with NOQUORUM since start.
func (s *Stats) QuorumFailures() (reads, writes int64) {
	return s.noQuorumReads.Load(), s.noQuorumWrite.Load()
}

// counted counts err if it is a lost quorum, and returns it.
func (s *Stats) counted(err error) error {
	var nq *NoQuorumError
	if errors.As(err, &nq) {
		if nq.Op == "read" {
			s.noQuorumReads.Add(1)
		} else {
			s.noQuorumWrite.Add(1)
		}
	}
	return err
}

// Coordinator runs client operations against the node's engine.
type Coordinator struct {
	cfg      Config
	r, w     atomic.Int32 // the default quorums (Config.R and W, changed by SetQuorums)
	batchers sync.Map     // peer address -> *peerBatcher
	// opSenders batch the operations routed to each peer (route.go).
	opSenders sync.Map // peer address -> *opSender
	eng       *engine.Engine
	dots      *engine.Sequence // counters of the dots this node's actor issues
	stats     Stats
	// pops serializes the pops of a key this node decides from its index
	// in a cluster (applyZRangeAgreed), so that they do not pick the same
	// members.
	pops keyLocks
	// heardGen is the newest flush generation another node has told this
	// one of (see generation.go); above the engine's, this node missed a
	// FLUSHALL and catches up.
	heardGen atomic.Uint64
}

// dotLease is how many dot counters one persisted lease covers: one fsync
// per million writes, and a restart skips at most that many counters.
const dotLease = 1 << 20

// New returns a coordinator over eng.
func New(cfg Config, eng *engine.Engine) (*Coordinator, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.R <= 0 {
		cfg.R = 2
	}
	if cfg.W <= 0 {
		cfg.W = 2
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Cluster != nil && cfg.Transport == nil {
		return nil, errors.New("coordinator: a cluster needs a transport")
	}
	seq, err := eng.Sequence(fmt.Sprintf("dots/%x.%d", cfg.Actor.Node, cfg.Actor.Epoch), dotLease)
	if err != nil {
		return nil, err
	}
	c := &Coordinator{cfg: cfg, eng: eng, dots: seq}
	c.r.Store(int32(cfg.R))
	c.w.Store(int32(cfg.W))
	return c, nil
}

// Actor returns the actor this coordinator writes as.
func (c *Coordinator) Actor() version.Actor { return c.cfg.Actor }

// Now returns the coordinator's clock reading.
func (c *Coordinator) Now() time.Time { return c.cfg.Now() }

// Stats returns the coordinator's counters.
func (c *Coordinator) Stats() *Stats { return &c.stats }

// Read returns key's merged object; found is false when no replica has it.
// In a cluster it waits for R replicas (opt.R, or the node's default) and
// repairs stale ones afterwards. Any node reads any key: reads are never
// forwarded.
func (c *Coordinator) Read(ctx context.Context, key []byte, opt Options) (version.Object, bool, error) {
	if err := ctx.Err(); err != nil {
		return version.Object{}, false, err
	}
	if c.Distributed() {
		r, _ := c.quorums(opt)
		o, found, err := c.readReplicas(ctx, key, r)
		if err == nil && c.cfg.OnRead != nil {
			c.cfg.OnRead(len(o.Siblings))
		}
		return o, found, c.stats.counted(err)
	}
	return c.eng.Get(key)
}

// ReadResult is one key's outcome in ReadMany.
type ReadResult struct {
	Object version.Object
	Found  bool
	Err    error
}

// ReadMany reads keys as Read does, all at once: every key's replicas are
// asked before any answer is awaited, and the reads share one timeout. A
// pipeline of GETs costs about one quorum round trip, and no goroutine per
// key.
func (c *Coordinator) ReadMany(ctx context.Context, keys [][]byte, opt Options) []ReadResult {
	out := make([]ReadResult, len(keys))
	if err := ctx.Err(); err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	if !c.Distributed() {
		for i, k := range keys {
			out[i].Object, out[i].Found, out[i].Err = c.eng.Get(k)
		}
		return out
	}
	r, _ := c.quorums(opt)
	ops := make([]*readOp, len(keys))
	for i, k := range keys {
		ops[i] = c.startRead(ctx, k, r)
	}
	timer := time.NewTimer(c.cfg.Timeout)
	defer timer.Stop()
	waiting := true
	for i, op := range ops {
		if waiting {
			select {
			case <-op.decided:
			case <-ctx.Done():
				waiting = false
			case <-timer.C:
				waiting = false
			}
		}
		o, found, err := op.outcome()
		if err == nil && c.cfg.OnRead != nil {
			c.cfg.OnRead(len(o.Siblings))
		}
		out[i] = ReadResult{Object: o, Found: found, Err: c.stats.counted(err)}
	}
	return out
}

// Local returns this node's own stored copy of key, with no quorum (found
// is false when it holds no record; a tombstone is found).
func (c *Coordinator) Local(key []byte) (version.Object, bool, error) {
	return c.eng.Get(key)
}

// Options are how one operation runs: its quorums, the instant it decides
// at, and whether its local commit may defer its fsync. They are explicit,
// never hidden in a context, so a reader of a call sees what it does.
type Options struct {
	// R and W are the read and write quorums for this operation (a
	// connection's DYNAGO CONSISTENCY, as Cassandra's levels do); 0 keeps
	// the node's default. Both are capped at the key's replicas.
	R, W int
	// At, when set, is the instant the operation decides at: EXEC runs its
	// commands so, as Redis does, so a key cannot expire between two
	// commands of one transaction. Zero is the clock.
	At time.Time
	// Sync, when set, lets a write made on this node commit without waiting
	// for the disk; the caller calls Sync.Sync once before it acknowledges
	// any of them (a lone node's pipeline or EXEC).
	Sync *DeferredSync
	// Blind says the write's decision does not depend on the key's current
	// value (a plain SET, VSET with the client's context): if its replicas
	// drop it for a FLUSHALL this node missed, it is written again once
	// this node has caught up. Set from the operation (op.Op.Blind).
	Blind bool

	// here says another node routed this write to this one (MethodOp): it
	// is coordinated here even if this node's ring view disagrees, so two
	// nodes with different views cannot bounce it back and forth.
	here bool
}

// now is the instant opt decides at.
func (c *Coordinator) now(opt Options) time.Time {
	if !opt.At.IsZero() {
		return opt.At
	}
	return c.cfg.Now()
}

// quorums are the R and W an operation with opt waits for.
func (c *Coordinator) quorums(opt Options) (r, w int) {
	r, w = opt.R, opt.W
	if r <= 0 {
		r = int(c.r.Load())
	}
	if w <= 0 {
		w = int(c.w.Load())
	}
	return r, w
}

// SetQuorums changes the default read and write quorums (CONFIG SET).
func (c *Coordinator) SetQuorums(r, w int) {
	c.r.Store(int32(r))
	c.w.Store(int32(w))
}

// Quorums are the default read and write quorums.
func (c *Coordinator) Quorums() (r, w int) { return int(c.r.Load()), int(c.w.Load()) }

// Decide is a command's logic for one key.
type Decide func(st *op.State) (op.Change, error)

// Update reads key, asks decide what to do, and durably applies the change
// on this node as the key's write coordinator. It returns the key's object
// afterwards. In a cluster any owner of the key coordinates the writes made
// through it; on a node that is not one Update answers *NotReplicaError
// (Do routes an operation to the right node first). The write is stored
// here while it is sent to the other replicas, and Update returns once W
// replicas hold it.
func (c *Coordinator) Update(ctx context.Context, key []byte, decide Decide, opt Options) (version.Object, error) {
	gen := c.eng.Generation()
	o, err := c.update(ctx, key, decide, opt)
	var nq *NoQuorumError
	if opt.Blind && errors.As(err, &nq) && c.heardGen.Load() > gen {
		// The replicas dropped the write: they have seen a FLUSHALL this
		// node missed (it joined, or was cut off, since), so the write was
		// of a generation they no longer store. Catch up, then write again
		// in the new generation. Only a blind write is retried: its
		// decision does not depend on what the first attempt saw.
		if err := c.catchUp(); err != nil {
			return version.Object{}, err
		}
		return c.update(ctx, key, decide, opt)
	}
	return o, err
}

func (c *Coordinator) update(ctx context.Context, key []byte, decide Decide, opt Options) (version.Object, error) {
	if err := ctx.Err(); err != nil {
		return version.Object{}, err
	}
	if !c.Distributed() {
		// Alone in the ring (or standalone): this node is every key's only
		// replica. The write commits under the key's lock without waiting
		// for the disk and is acknowledged after a group commit that covers
		// it, made once the lock is released: writers of one hot key share
		// fsyncs instead of queuing for one each. (With opt.Sync the caller
		// syncs once for many writes itself.)
		o, wrote, err := c.updateLocal(key, decide, opt, nil, opt.Sync == nil, nil)
		if err == nil && wrote && opt.Sync == nil {
			err = c.syncLocal()
		}
		return o, diskRefused(err)
	}
	owners, _ := c.owners(key)
	if c.writeCoordinator(owners) != c.cfg.Cluster.Self() && !opt.here {
		return version.Object{}, &NotReplicaError{Owners: owners}
	}
	seen, err := c.readBeforeWrite(ctx, key, opt)
	if err != nil {
		return version.Object{}, err
	}
	// The other replicas are sent the write while this one commits it, and
	// this replica's own fsync is one acknowledgement among theirs: the
	// write is acknowledged once any W copies are durable, so it costs one
	// disk sync of latency, and one slow fsync (here or on a replica) does
	// not hold it up while W others are done.
	_, w := c.quorums(opt)
	var wr *writeOp
	o, wrote, err := c.updateLocal(key, decide, opt, seen, true, func(next version.Object) {
		wr = c.sendToOthers(key, next, owners, w)
	})
	switch {
	case err == nil && !wrote:
		return o, nil
	case err == nil:
		c.eng.SyncAsync(func(err error) {
			if err != nil && !engine.IsDiskError(err) { // the engine logs its disk's state itself
				slog.Error("cannot sync a write to the WAL; it counts as a failed replica", "err", err)
			}
			wr.local(err == nil)
		})
	case !engine.IsDiskError(err):
		return o, err
	case wr != nil:
		// This node's store refused the write the others were sent (see
		// disk.go): it counts as a failed replica.
		o = wr.obj
		wr.local(false)
	default:
		// The store refused before the write was decided.
		if o, wr, err = c.decideWithoutStore(ctx, key, decide, opt, seen, owners); err != nil || wr == nil {
			return o, c.stats.counted(err)
		}
		wr.local(false)
	}
	return o, c.stats.counted(wr.await(ctx))
}

// syncLocal waits for a group commit of this node's WAL (engine.SyncAsync)
// that covers every write committed before the call.
func (c *Coordinator) syncLocal() error {
	done := make(chan error, 1)
	c.eng.SyncAsync(func(err error) { done <- err })
	return <-done
}

// readBeforeWrite is the quorum read a write decides on, merged into this
// replica's copy: this replica may have missed writes (it was down, cut
// off, or just joined, and the hints for it are not delivered yet). Every
// write reads first, a plain SET too: a write must supersede every write
// acknowledged before it began, or the two end up siblings although one
// followed the other (with R+W > N the read sees them all). It costs a
// round trip of digests, whose replicas answer "same" in one byte when
// their copies agree. It returns nil when no replica holds the key.
//
// A write whose decision depends on the value fails with the read when R
// cannot be reached. A blind write does not: its decision needs no value,
// so it goes on with the context of the answers that came, and is as
// available as W alone makes it (a W=1 write through a node cut off from
// the others still succeeds, and leaves a sibling, as Dynamo's do).
func (c *Coordinator) readBeforeWrite(ctx context.Context, key []byte, opt Options) (*version.Object, error) {
	r, _ := c.quorums(opt)
	merged, found, err := c.readReplicas(ctx, key, r)
	var nq *NoQuorumError
	switch {
	case err == nil:
	case opt.Blind && errors.As(err, &nq) && ctx.Err() == nil:
		slog.Debug("a blind write decides on a partial read", "answered", nq.Answered, "required", nq.Needed)
	case errors.As(err, &nq):
		nq.Op = "write"
		return nil, c.stats.counted(err)
	default:
		return nil, err
	}
	var seen *version.Object
	if found {
		seen = &merged
		// A replica has seen a FLUSHALL this one missed: catch up
		// before deciding (see engine/flush.go).
		if _, err := c.eng.Adopt(engine.GenerationOf(merged)); err != nil {
			return nil, err
		}
	}
	// A replica that holds nothing of the key may still have said it is
	// of a newer generation.
	return seen, c.catchUp()
}

// updateLocal applies decide's change to this node's copy, merged first with
// seen (versions read from other replicas) if it is not nil. If the change
// writes, sending (if not nil) is called with the new object before it is
// committed. With syncLater the commit does not wait for the disk: the
// caller syncs before it acknowledges (so it does with opt.Sync too).
func (c *Coordinator) updateLocal(key []byte, decide Decide, opt Options, seen *version.Object, syncLater bool, sending func(version.Object)) (version.Object, bool, error) {
	wrote := false
	update := c.eng.Update
	deferred := opt.Sync
	if deferred != nil || syncLater {
		update = c.eng.UpdateDeferred
	}
	o, err := update(key, func(cur version.Object, found bool) (version.Object, bool, error) {
		// The flush generation holds still while the key's lock is held:
		// every stored object is of it, and so is the write.
		gen := c.eng.Generation()
		if seen != nil && engine.GenerationOf(*seen) == gen {
			cur, found = version.Merge(cur, *seen), true
		}
		next, write, err := c.change(opt, cur, found, decide)
		if err != nil || !write {
			return cur, false, err
		}
		next = engine.WithGeneration(next, gen)
		wrote = true
		if sending != nil {
			sending(next)
		}
		return next, true, nil
	})
	if wrote && deferred != nil {
		deferred.pending.Store(true) // (a write the store refused outright needs no sync)
	}
	return o, wrote, err
}

// change applies decide's change to the key's object cur and returns the
// object to store; write is false when the command changes nothing.
func (c *Coordinator) change(opt Options, cur version.Object, found bool, decide Decide) (next version.Object, write bool, err error) {
	now := c.now(opt)
	dot, err := c.nextDot(cur.Clock)
	if err != nil {
		return cur, false, err
	}
	st := op.State{Object: cur, Found: found, Now: now, Dot: dot}
	ch, err := decide(&st)
	if err != nil || ch.Action == op.Keep {
		return cur, false, err
	}
	if ch.Context.Get(c.cfg.Actor) >= dot.Counter {
		// A context from elsewhere claims counters this key has not
		// seen from us: go past them so the new dot is not covered.
		if dot, err = c.nextDot(ch.Context); err != nil {
			return cur, false, err
		}
	}
	switch ch.Action {
	case op.Put:
		next = cur.Update(ch.Context, dot, &version.Sibling{
			Time: now.UnixNano(), Expiry: ch.Expiry, Kind: ch.Kind, Value: ch.Value,
		})
	case op.Delete:
		next = cur.Update(ch.Context, dot, nil)
		if next.IsTombstone() && !c.Distributed() {
			// With a single replica nothing can resurrect the key and
			// dots never repeat, so the record itself can go.
			next = version.Object{}
		}
	default:
		return cur, false, fmt.Errorf("coordinator: unknown action %d", ch.Action)
	}
	return next, true, nil
}

func (c *Coordinator) nextDot(seen version.Clock) (version.Dot, error) {
	n, err := c.dots.NextAfter(seen.Get(c.cfg.Actor))
	if err != nil {
		return version.Dot{}, err
	}
	return version.Dot{Actor: c.cfg.Actor, Counter: n}, nil
}

// DeferredSync lets a client's pipeline of writes share one fsync: writes
// made with it in their Options commit without waiting for the disk, and
// Sync, which the caller must call before acknowledging any of them, waits
// once.
type DeferredSync struct {
	eng     *engine.Engine
	pending atomic.Bool // a write was made since the last Sync
}

// DeferSync returns a DeferredSync for a run of writes on this node.
func (c *Coordinator) DeferSync() *DeferredSync { return &DeferredSync{eng: c.eng} }

// HoldExpiry keeps this node's expiry sweep from removing keys until
// release is called (see engine.HoldExpiry): EXEC reads its keys at one
// instant, as if time stood still.
func (c *Coordinator) HoldExpiry() (release func()) { return c.eng.HoldExpiry() }

// Sync makes the deferred writes durable.
func (d *DeferredSync) Sync() error {
	if !d.pending.Swap(false) {
		return nil
	}
	return diskRefused(d.eng.SyncWAL())
}
