package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
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

// The coordinator's internode methods (rpc.MethodCommand to
// rpc.MethodFlush) are declared in package rpc's table with every other;
// their messages are defined here, next to the code that sends and serves
// them.

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

// Clustered reports whether this coordinator replicates to other nodes.
func (c *Coordinator) Clustered() bool { return c.cfg.Cluster != nil }

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

// Coordinates reports whether this node coordinates writes of key itself.
func (c *Coordinator) Coordinates(key []byte) bool {
	if !c.Distributed() {
		return true
	}
	owners, _ := c.owners(key)
	return c.writeCoordinator(owners) == c.cfg.Cluster.Self()
}

type replicaReply struct {
	name    string
	obj     version.Object
	found   bool
	gen     uint64 // the replica's flush generation; obj carries its own
	err     error
	standIn bool // a stand-in answered for an owner it could not reach
}

// generation is the flush generation the reply speaks for: its object's,
// or, when it has none, the replica's.
func (r *replicaReply) generation() uint64 {
	if r.found {
		return engine.GenerationOf(r.obj)
	}
	return r.gen
}

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
	case <-timer.C:
	}
	return op.outcome()
}

// startRead sends key's read to its replicas and returns the read in
// flight, which waits for r of them.
func (c *Coordinator) startRead(ctx context.Context, key []byte, r int) *readOp {
	owners, _ := c.owners(key)
	op := &readOp{
		c: c, key: key, replicas: len(owners),
		stand:   c.standIns(key, owners),
		q:       newQuorum(len(owners), min(r, len(owners))),
		decided: make(chan struct{}),
		got:     make([]replicaReply, 0, len(owners)),
	}
	self := c.cfg.Cluster.Self()
	if slices.Contains(owners, self) {
		// This node's copy first: the others are sent its digest and
		// answer "same" instead of their object when they agree.
		gen := c.eng.Generation()
		o, found, digest, err := c.eng.GetDigest(key)
		if err == nil && found {
			op.local, op.digest = o, digest
		}
		op.arrive(replicaReply{name: self, obj: o, found: found, gen: gen, err: err})
	}
	for _, name := range owners {
		if name != self {
			op.ask(name, false)
		}
	}
	return op
}

var errDown = errors.New("coordinator: replica is down")

// readOp is one quorum read in flight. The replicas' replies arrive on
// whatever goroutine brings them (a peer batcher's sender, or the reader
// for this node's own copy); the reader waits only until the quorum is
// decided, and whoever brings the last reply starts a repair if a replica
// answered with less than the others. No goroutine waits on a replica.
type readOp struct {
	c        *Coordinator
	key      []byte
	replicas int
	stand    *standIns
	decided  chan struct{}  // closed once q is decided
	local    version.Object // this node's copy, if it is a replica and holds one
	digest   uint64         // local's digest (antientropy.Digest); 0: none

	mu     sync.Mutex // guards the fields below
	q      *quorum
	got    []replicaReply // the successful replies so far
	closed bool           // decided is closed
}

// ask sends the read to the named replica (or stand-in).
func (op *readOp) ask(name string, standIn bool) {
	addr, ok := "", false
	if op.c.cfg.Cluster.Alive(name) {
		addr, ok = op.c.cfg.Cluster.PeerAddr(name)
	}
	if !ok {
		op.arrive(replicaReply{name: name, err: errDown, standIn: standIn})
		return
	}
	op.c.batcher(addr).readAsync(op.key, op.digest, func(r readResult) {
		if r.same {
			r.obj, r.found = op.local, true
		}
		op.c.learnGeneration(r.gen)
		op.arrive(replicaReply{name: name, obj: r.obj, found: r.found, gen: r.gen, err: r.err, standIn: standIn})
	})
}

// arrive records one reply. A replica that could not answer is replaced by
// the next live stand-in, whose answer includes the hints it holds for the
// key; its place in the quorum waits for that answer.
func (op *readOp) arrive(r replicaReply) {
	if r.err != nil {
		if name, ok := op.stand.take(); ok {
			op.ask(name, true)
			return
		}
	}
	op.mu.Lock()
	op.q.record(r.err == nil)
	if r.err == nil {
		op.got = append(op.got, r)
	}
	if !op.closed && op.q.done() {
		op.closed = true
		close(op.decided)
	}
	last := op.q.pending == 0
	op.mu.Unlock()
	if last && needsRepair(op.got) {
		go op.c.repair(op.key, op.got)
	}
}

// outcome is the read's answer as the replies stand now.
func (op *readOp) outcome() (version.Object, bool, error) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if !op.q.reached() {
		return version.Object{}, false, op.q.err("read", op.replicas)
	}
	merged, found := mergeReplies(op.got)
	return merged, found, nil
}

// mergeReplies merges the copies the replicas answered with. A copy of an
// older flush generation than another reply's was made before a FLUSHALL
// that replica has seen and counts as nothing (see generation.go); while
// no FLUSHALL runs, every replica is of the same generation.
func mergeReplies(got []replicaReply) (version.Object, bool) {
	var gen uint64
	for i := range got {
		gen = max(gen, got[i].generation())
	}
	var merged version.Object
	found := false
	for _, r := range got {
		switch {
		case !r.found:
		case gen != 0 && r.generation() != gen:
		case !found:
			merged, found = r.obj, true
		case !r.obj.Equal(merged): // replicas usually agree: merge only when they do not
			merged = version.Merge(merged, r.obj)
		}
	}
	return merged, found
}

// needsRepair reports whether a replica (stand-ins aside: their hints reach
// the owner by handoff) answered with less than the merge of all replies.
func needsRepair(got []replicaReply) bool {
	if len(got) == 0 {
		return false
	}
	same := got[0].found
	for _, r := range got[1:] {
		same = same && r.found && r.obj.Equal(got[0].obj)
	}
	if same {
		return false // the usual case: every replica holds the same
	}
	merged, found := mergeReplies(got)
	if !found {
		return false
	}
	for _, r := range got {
		if !r.standIn && (!r.found || !r.obj.Equal(merged)) {
			return true
		}
	}
	return false
}

// repair sends the merged object to every replica that answered with less
// (stand-ins excluded).
func (c *Coordinator) repair(key []byte, got []replicaReply) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	merged, _ := mergeReplies(got)
	for _, r := range got {
		if r.standIn || (r.found && r.obj.Equal(merged)) {
			continue
		}
		if err := c.mergeTo(ctx, r.name, key, merged); err != nil {
			slog.Debug("read repair failed", "replica", r.name, "err", err)
			continue
		}
		c.stats.readRepairs.Add(1)
	}
}

// awaitReplicas waits until w of the key's replicas hold the write
// durably. There are voters stores: this node's own, whose outcome comes on
// local, and those of the other replicas (or their stand-ins), on acks. A
// write that cannot reach W still waits for the local outcome, which is
// quick, so that NOQUORUM counts every copy that was made.
func (c *Coordinator) awaitReplicas(ctx context.Context, w, voters, replicas int, local, acks <-chan bool) error {
	q := newQuorum(voters, min(w, replicas))
	localIn := false
	for !q.reached() && (!q.impossible() || !localIn) {
		select {
		case ok := <-local:
			q.record(ok)
			localIn = true
		case ok := <-acks:
			q.record(ok)
		case <-ctx.Done():
			return q.err("write", replicas)
		}
	}
	if !q.reached() {
		return q.err("write", replicas)
	}
	return nil
}

// sendToOthers stores obj on every other replica in the background (on a
// stand-in for a replica that cannot be reached), reporting on acks, which
// must have room for every replica, whether each store counts toward the
// write quorum.
func (c *Coordinator) sendToOthers(key []byte, obj version.Object, owners []string, acks chan<- bool) {
	self := c.cfg.Cluster.Self()
	stand := c.standIns(key, owners)
	for _, name := range owners {
		if name == self {
			continue
		}
		addr, ok := c.cfg.Cluster.PeerAddr(name)
		if !ok || !c.cfg.Cluster.Alive(name) {
			go func() { acks <- c.handOff(key, obj, name, stand) }()
			continue
		}
		c.batcher(addr).mergeAsync(key, obj, func(err error) {
			if err == nil {
				acks <- true
				return
			}
			if errors.Is(err, errFlushed) {
				acks <- false // a FLUSHALL runs; no stand-in would take it either
				return
			}
			slog.Debug("replica unreachable; handing the write to a stand-in", "replica", name, "err", err)
			go func() { acks <- c.handOff(key, obj, name, stand) }()
		})
	}
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

// A merge request (the object part of MethodHint): the key, length-prefixed,
// then the object (version's binary form) to the end.
func encodeMerge(key []byte, o version.Object) []byte {
	return appendMerge(make([]byte, 0, len(key)+64), key, o)
}

func appendMerge(b []byte, key []byte, o version.Object) []byte {
	return o.AppendBinary(wire.AppendBytes(b, key))
}

func decodeMerge(b []byte) ([]byte, version.Object, error) {
	r := wire.NewReader(b)
	key := r.Bytes()
	if err := r.Err(); err != nil {
		return nil, version.Object{}, malformed("merge request", err)
	}
	o, err := version.DecodeObject(r.Rest())
	return key, o, err
}
