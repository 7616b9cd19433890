package coordinator

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/quorum"
	"github.com/dynago/dynago/replica"
	"github.com/dynago/dynago/version"
)

// The drivers of quorum reads and writes. Package quorum decides an
// operation: whom to ask, which stand-in takes the place of an owner that is
// down or fails, when it is decided and how, which owners a read repairs.
// The drivers here do what it asks (reads and stores through the peer
// batchers, hints as rpc.MethodHint, this node's own copy in its engine) and
// feed each answer back under the operation's lock, sending what that
// answer causes once the lock is released. No goroutine waits on a replica:
// answers arrive on the batchers' senders, and the client's goroutine waits
// only until the operation is decided. The replicas answer with package
// replica's server, whose messages (replica/messages.go) the drivers encode
// and decode.
//
// Sloppy quorum: when an owner of a key cannot be reached, its copy of a
// write goes to a stand-in, the next live node after the owners in the
// key's preference list, as rpc.MethodHint; the stand-in keeps it as a hint
// naming the owner (apart from its own data), and package handoff delivers
// it once gossip shows the owner alive again. The stand-in's store counts
// toward W unless Config.Strict is set (then only owners count, like Riak's
// PW). Reads ask stand-ins too, and a stand-in answers with the hints it
// holds for the key, so a write that only reached stand-ins is still seen.

// view is an operation's quorum.View of the cluster: gossip's liveness and
// the key's preference list.
type view struct {
	c      *Coordinator
	key    []byte
	owners int // how many owners the key has: the fallbacks come after them
}

// Down reports whether no request can go to name now.
func (v *view) Down(name string) bool {
	if !v.c.cfg.Cluster.Alive(name) {
		return true
	}
	_, ok := v.c.cfg.Cluster.PeerAddr(name)
	return !ok
}

// Fallbacks are the nodes after the key's owners in its preference list.
func (v *view) Fallbacks() []string {
	ring := v.c.cfg.Cluster.Ring()
	pref := ring.Preference(ring.PartitionOf(v.key))
	return pref[min(v.owners, len(pref)):]
}

// replyGeneration is the flush generation a reply speaks for: its object's,
// or, when it holds none, the replica's (gen).
func replyGeneration(o version.Object, found bool, gen uint64) uint64 {
	if found {
		return engine.GenerationOf(o)
	}
	return gen
}

var errDown = errors.New("coordinator: replica is down")

// readReplicas asks every replica of key for its object, answers once r
// have, and repairs stale replicas in the background once all have
// answered (or failed).
func (c *Coordinator) readReplicas(ctx context.Context, key []byte, r int) (version.Object, bool, error) {
	op := c.startRead(ctx, key, r)
	timer := time.NewTimer(c.cfg.Timeout)
	defer timer.Stop()
	select {
	case <-op.decided:
	case <-ctx.Done():
		op.expire()
	case <-timer.C:
		op.expire()
	}
	return op.outcome()
}

// readOp is one quorum read in flight (a quorum.Read and its I/O).
type readOp struct {
	view
	decided chan struct{}  // closed once m is decided
	local   version.Object // this node's copy, if it is an owner and holds one
	digest  uint64         // local's digest (antientropy.Digest); 0: none

	mu     sync.Mutex // guards m and closed
	m      *quorum.Read
	closed bool // decided is closed
}

// startRead sends key's read to its replicas and returns the read in
// flight, which waits for r of them.
func (c *Coordinator) startRead(ctx context.Context, key []byte, r int) *readOp {
	owners, replica := c.owners(key)
	if !replica {
		c.stats.offReplicaReads.Add(1)
	}
	op := &readOp{view: view{c: c, key: key, owners: len(owners)}, decided: make(chan struct{})}
	op.m = quorum.NewRead(quorum.ReadConfig{Self: c.cfg.Cluster.Self(), Owners: owners, R: r, Strict: c.cfg.Strict, View: &op.view})
	op.mu.Lock()
	reqs := op.m.Start()
	merged := op.noteLocked(reqs)
	op.mu.Unlock()
	op.send(reqs, merged)
	return op
}

// reply feeds name's answer to the read.
func (op *readOp) reply(name string, res quorum.Result) {
	op.mu.Lock()
	reqs := op.m.Reply(name, res)
	merged := op.noteLocked(reqs)
	op.mu.Unlock()
	op.send(reqs, merged)
}

// fail feeds word that name could not answer.
func (op *readOp) fail(name string) {
	op.mu.Lock()
	reqs := op.m.Fail(name)
	merged := op.noteLocked(reqs)
	op.mu.Unlock()
	op.send(reqs, merged)
}

// expire tells the read its time is up.
func (op *readOp) expire() {
	op.mu.Lock()
	op.m.Timeout()
	op.noteLocked(nil)
	op.mu.Unlock()
}

// noteLocked closes decided once the read is decided, and returns the
// read's merged copy when reqs repair owners with it.
func (op *readOp) noteLocked(reqs []quorum.Request) version.Object {
	if !op.closed && op.m.Decided() {
		op.closed = true
		close(op.decided)
	}
	for _, q := range reqs {
		if q.Kind == quorum.Repair {
			merged, _ := op.m.Merged()
			return merged
		}
	}
	return version.Object{}
}

// send does what the read asked for: reads of the replicas, and a repair
// (in the background) of the owners that answered with less than merged.
func (op *readOp) send(reqs []quorum.Request, merged version.Object) {
	var stale []string
	for _, q := range reqs {
		switch {
		case q.Kind == quorum.Repair:
			stale = append(stale, q.To)
		case q.To == op.c.cfg.Cluster.Self() && q.For != "":
			op.readStandIn()
		case q.To == op.c.cfg.Cluster.Self():
			op.readLocal()
		default:
			op.ask(q.To)
		}
	}
	if len(stale) > 0 {
		go op.c.repair(op.key, merged, stale)
	}
}

// readLocal reads this node's own copy. The read asks it first: the others
// are sent its digest, and answer "same" instead of their object when
// they agree.
func (op *readOp) readLocal() {
	self := op.c.cfg.Cluster.Self()
	gen := op.c.eng.Generation()
	o, found, digest, err := op.c.eng.GetDigest(op.key)
	if err != nil {
		op.fail(self)
		return
	}
	if found {
		op.local, op.digest = o, digest
	}
	op.reply(self, quorum.Result{Object: o, Found: found, Gen: replyGeneration(o, found, gen)})
}

// readStandIn answers for an owner from this node, a stand-in: its own
// copy merged with the hints it holds for the key, as any stand-in
// answers (it may hold the hint of a write that owner missed).
func (op *readOp) readStandIn() {
	self := op.c.cfg.Cluster.Self()
	gen := op.c.eng.Generation()
	o, found, _, err := replica.CopyOf(op.c.eng, op.key)
	if err != nil {
		op.fail(self)
		return
	}
	op.reply(self, quorum.Result{Object: o, Found: found, Gen: replyGeneration(o, found, gen)})
}

// ask sends the read to the named replica (or stand-in) through its peer
// batcher; the answer comes back on the batcher's sender.
func (op *readOp) ask(name string) {
	addr, ok := op.c.cfg.Cluster.PeerAddr(name)
	if !ok {
		op.fail(name)
		return
	}
	op.c.batcher(addr).readAsync(op.key, op.digest, func(r readResult) {
		op.c.LearnGeneration(r.gen)
		if r.err != nil {
			op.fail(name)
			return
		}
		if r.same {
			r.obj, r.found = op.local, true
		}
		op.reply(name, quorum.Result{Object: r.obj, Found: r.found, Gen: replyGeneration(r.obj, r.found, r.gen)})
	})
}

// outcome is the read's answer as the replies stand now.
func (op *readOp) outcome() (version.Object, bool, error) {
	op.mu.Lock()
	defer op.mu.Unlock()
	merged, found := op.m.Merged()
	if !op.m.Reached() {
		// The answers that did come are returned with the error: a blind
		// write takes them as the best context it can have.
		return merged, found, noQuorum("read", op.m.Counts())
	}
	return merged, found, nil
}

// repair sends merged to the owners that answered a read with less (read
// repair).
func (c *Coordinator) repair(key []byte, merged version.Object, stale []string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	for _, name := range stale {
		if err := c.mergeTo(ctx, name, key, merged); err != nil {
			slog.Debug("read repair failed", "replica", name, "err", err)
			continue
		}
		c.stats.readRepairs.Add(1)
	}
}

// writeOp is one quorum write in flight (a quorum.Write and its I/O).
type writeOp struct {
	view
	obj     version.Object // the write
	decided chan struct{}  // closed once m is decided

	mu     sync.Mutex // guards m and closed
	m      *quorum.Write
	closed bool // decided is closed
}

// sendToOthers starts the quorum write of obj, the key's new object, which
// needs w durable copies: it stores obj on every other owner (on a stand-in
// for one that cannot take it) in the background and returns the write in
// flight. The caller reports this node's own store with local and waits
// with await. Nothing it does blocks: it may run under the key's lock.
func (c *Coordinator) sendToOthers(key []byte, obj version.Object, owners []string, w int) *writeOp {
	op := &writeOp{view: view{c: c, key: key, owners: len(owners)}, obj: obj, decided: make(chan struct{})}
	op.m = quorum.NewWrite(quorum.WriteConfig{
		Self: c.cfg.Cluster.Self(), Owners: owners, W: w, Strict: c.cfg.Strict, View: &op.view,
	})
	op.mu.Lock()
	reqs := op.m.Start()
	op.noteLocked()
	op.mu.Unlock()
	op.send(reqs)
	return op
}

// event feeds one answer to the write (under its lock) and sends what it
// causes.
func (op *writeOp) event(feed func(m *quorum.Write) []quorum.Request) {
	op.mu.Lock()
	reqs := feed(op.m)
	op.noteLocked()
	op.mu.Unlock()
	op.send(reqs)
}

func (op *writeOp) ack(name string) {
	op.event(func(m *quorum.Write) []quorum.Request { m.Ack(name); return nil })
}

func (op *writeOp) dropped(name string) {
	op.event(func(m *quorum.Write) []quorum.Request { m.Dropped(name); return nil })
}

func (op *writeOp) fail(name string) {
	op.event(func(m *quorum.Write) []quorum.Request { return m.Fail(name) })
}

func (op *writeOp) kept(owner string) {
	op.event(func(m *quorum.Write) []quorum.Request { m.Kept(owner); return nil })
}

// local reports this node's own store of the write: whether it is durable.
func (op *writeOp) local(ok bool) {
	op.event(func(m *quorum.Write) []quorum.Request { m.Local(ok); return nil })
}

// noteLocked closes decided once the write is decided.
func (op *writeOp) noteLocked() {
	if !op.closed && op.m.Decided() {
		op.closed = true
		close(op.decided)
	}
}

// await waits until the write is decided, at most until ctx ends, and
// returns its outcome: nil once W copies are durable, else NOQUORUM
// naming how many are.
func (op *writeOp) await(ctx context.Context) error {
	select {
	case <-op.decided:
	case <-ctx.Done():
		op.event(func(m *quorum.Write) []quorum.Request { m.Timeout(); return nil })
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	if !op.m.Reached() {
		return noQuorum("write", op.m.Counts())
	}
	return nil
}

// send does what the write asked for: stores through the peer batchers,
// hints to stand-ins and hints kept here, each of those in a goroutine of
// its own: they are rare and may wait, and keeping a hint takes the key's
// lock in the engine, which the caller of sendToOthers holds.
func (op *writeOp) send(reqs []quorum.Request) {
	for _, q := range reqs {
		switch q.Kind {
		case quorum.Store:
			op.store(q.To)
		case quorum.Hint:
			go op.hint(q.To, q.For)
		case quorum.KeepHint:
			go op.keepHint(q.For)
		}
	}
}

// store sends the write to an owner through its peer batcher.
func (op *writeOp) store(name string) {
	addr, ok := op.c.cfg.Cluster.PeerAddr(name)
	if !ok {
		op.fail(name)
		return
	}
	op.c.batcher(addr).mergeAsync(op.key, op.obj, func(err error) {
		switch {
		case err == nil:
			op.ack(name)
		case errors.Is(err, errFlushed):
			op.dropped(name) // a FLUSHALL runs; no stand-in would take it either
		default:
			slog.Debug("replica unreachable; handing the write to a stand-in", "replica", name, "err", err)
			op.fail(name)
		}
	})
}

// hint sends the write to a stand-in, to keep as a hint for owner.
func (op *writeOp) hint(name, owner string) {
	addr, ok := op.c.cfg.Cluster.PeerAddr(name)
	if !ok {
		op.fail(name)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), op.c.cfg.Timeout)
	reply, err := op.c.cfg.Transport.Call(ctx, addr, rpc.MethodHint, replica.EncodeHint(owner, op.key, op.obj))
	cancel()
	if err != nil {
		slog.Debug("stand-in unreachable", "stand-in", name, "err", err)
		op.fail(name)
		return
	}
	if gen := replica.GenerationReply(reply); engine.GenerationOf(op.obj) < gen {
		// The stand-in has seen a FLUSHALL this write predates, and
		// dropped it.
		op.c.LearnGeneration(gen)
		op.dropped(name)
		return
	}
	op.c.stats.hintsHandedOff.Add(1)
	op.ack(name)
}

// keepHint keeps the write here as a hint for owner, when no stand-in can
// take it, so the owner still gets it when it is back.
func (op *writeOp) keepHint(owner string) {
	if err := op.c.eng.AddHint(owner, op.key, op.obj); err != nil && !engine.IsDiskError(err) { // (the engine logs its disk's state itself)
		slog.Warn("cannot keep a hint", "owner", owner, "err", err)
	}
	op.kept(owner)
}
