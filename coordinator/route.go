package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/wire"
)

// Routing. A write is decided by one node, its key's write coordinator:
// this node when it owns the key (any owner may coordinate, so a write
// through a replica costs no extra hop), otherwise the first live owner.
// Do is the one place that chooses: it runs the operation here, or sends it,
// typed, to the coordinator (MethodOps), which runs it as if its own client
// had asked and answers the typed result. Reads are never routed: any node
// coordinates a read.
//
// An operation that provably never left (ErrNotSent: no connection could be
// had) moves on to the next live owner, and runs here when that is this
// node. One that may have arrived (a timeout, a connection broken after
// sending) is not resent: it may have been applied, and an INCR must not
// count twice, so the client gets NOQUORUM and may retry.

// Do runs o, a client's write of one key, on the key's write coordinator,
// and returns what it answers. On an error the result still says whether
// the operation was decided here as a write (Wrote), since a write whose
// quorum failed may still be on some replicas.
func (c *Coordinator) Do(ctx context.Context, o *op.Op, opt Options) (op.Result, error) {
	opt.Blind = o.Blind()
	if !c.Distributed() {
		return c.apply(ctx, o, opt)
	}
	owners, _ := c.owners(o.Key)
	self := c.cfg.Cluster.Self()
	if c.writeCoordinator(owners) == self {
		return c.apply(ctx, o, opt)
	}
	c.stats.routedWrites.Add(1)
	_, w := c.quorums(opt)
	fail := &NoQuorumError{Op: "write", Needed: min(w, len(owners)), Replicas: len(owners)}
	for _, to := range owners {
		if to == self {
			return c.apply(ctx, o, opt) // the owners before this node are unreachable
		}
		addr, ok := c.cfg.Cluster.PeerAddr(to)
		if !ok || !c.cfg.Cluster.Alive(to) {
			continue
		}
		res, err := c.opSender(addr).send(ctx, o, opt)
		switch {
		case err == nil:
			return res, nil
		case errors.As(err, new(op.Error)):
			return res, err // the coordinator's answer (NOQUORUM among them)
		case errors.As(err, new(*RemoteError)):
			return res, err // the coordinator refused the request itself
		case errors.Is(err, ErrNotSent):
			slog.Debug("write coordinator unreachable; trying the next owner", "to", to, "err", err)
			continue
		}
		slog.Debug("routed write failed after it was sent; not resending", "to", to, "err", err)
		return op.Result{}, c.stats.counted(fail)
	}
	return op.Result{}, c.stats.counted(fail)
}

// NotReplicaError says that another node coordinates the key's writes:
// Update was called on a node that must route the write (Do does).
type NotReplicaError struct{ Owners []string }

func (e *NotReplicaError) Error() string {
	return fmt.Sprintf("coordinator: another node coordinates writes of the key (owners %v)", e.Owners)
}

// apply decides o here, as its key's write coordinator. A hash command
// decides over the hash's records (applyHash), and so do set and sorted-set
// commands; a write that would replace or delete a whole collection is run
// again over its elements (overwriteCollection).
func (c *Coordinator) apply(ctx context.Context, o *op.Op, opt Options) (op.Result, error) {
	switch {
	case o.Code == op.SPop:
		return c.applyPop(ctx, o, opt)
	case o.Code == op.ZRemRange:
		return c.applyZRange(ctx, o, opt)
	case o.Code == op.SStore || o.Code == op.HStore || o.Code == op.ZStore:
		return c.applyStore(ctx, o, opt)
	case o.Code.IsCollection():
		return c.applyHash(ctx, o, opt)
	}
	var res op.Result
	_, err := c.Update(ctx, o.Key, func(st *op.State) (op.Change, error) {
		ch, r, err := o.Apply(st)
		if err == nil && replacesCollection(st, ch) {
			return op.Change{}, errReplacesCollection
		}
		res = r
		return ch, err
	}, opt)
	if errors.Is(err, errReplacesCollection) {
		return c.overwriteCollection(ctx, o, opt)
	}
	return res, err
}

// replacesCollection reports whether ch deletes the hash or set st holds,
// or replaces it by a value of another type.
func replacesCollection(st *op.State, ch op.Change) bool {
	if ch.Action == op.Keep || ch.Action == op.Put && op.IsHeaderKind(ch.Kind) {
		return false
	}
	// Every write of a string comes here: look for a collection's header
	// sibling before resolving the key again.
	header := false
	for _, s := range st.Object.Siblings {
		header = header || op.IsHeaderKind(s.Kind)
	}
	if !header {
		return false
	}
	v, found, err := st.Value()
	return err == nil && found && v.Collection != nil
}

// A MethodOps request carries operations on distinct keys for the node
// that coordinates them; the receiver runs them concurrently and answers
// each one's outcome, in order:
//
//	request:  format byte (1)
//	          budget uvarint: milliseconds the sender waits for the reply
//	          count uvarint, then per operation:
//	            r, w  uvarint each (0: the receiver's default)
//	            at    varint: unix ns the operation decides at (0: now)
//	            op    op.Op's binary form
//	reply:    count uvarint, then per operation:
//	            status byte: 0 done, 1 failed
//	            result op.Result's binary form
//	            error  bytes: the Redis error text (failed only)
const opsFormat = 1

// routedOp is one operation of a MethodOps request.
type routedOp struct {
	op  op.Op
	opt Options
}

type opOutcome struct {
	res op.Result
	err error
}

func appendOpsRequest(b []byte, budget time.Duration, ops []*pendingOp) []byte {
	b = wire.AppendByte(b, opsFormat)
	b = wire.AppendUvarint(b, uint64(budget.Milliseconds()))
	b = wire.AppendUvarint(b, uint64(len(ops)))
	for _, p := range ops {
		b = wire.AppendUvarint(b, uint64(max(p.opt.R, 0)))
		b = wire.AppendUvarint(b, uint64(max(p.opt.W, 0)))
		var at int64
		if !p.opt.At.IsZero() {
			at = p.opt.At.UnixNano()
		}
		b = wire.AppendVarint(b, at)
		b = p.op.AppendBinary(b)
	}
	return b
}

// maxQuorum bounds a routed R or W (quorums are capped at a key's
// replicas anyway).
const maxQuorum = 255

func decodeOpsRequest(req []byte) (time.Duration, []routedOp, error) {
	r := wire.NewReader(req)
	if f := r.Byte(); r.Err() == nil && f != opsFormat {
		return 0, nil, fmt.Errorf("coordinator: operations of format %d; this release reads %d", f, opsFormat)
	}
	budget := time.Duration(min(r.Uvarint(), uint64(time.Hour/time.Millisecond))) * time.Millisecond
	n := r.Count(4)
	ops := make([]routedOp, 0, n)
	for range n {
		var ro routedOp
		rq, wq := r.Uvarint(), r.Uvarint()
		if rq > maxQuorum || wq > maxQuorum {
			r.Fail(fmt.Errorf("quorums %d/%d out of range", rq, wq))
		}
		ro.opt.R, ro.opt.W = int(rq), int(wq)
		if at := r.Varint(); at != 0 {
			ro.opt.At = time.Unix(0, at)
		}
		ro.op = op.Read(&r)
		ops = append(ops, ro)
	}
	if err := r.Done(); err != nil {
		return 0, nil, malformed("operations", err)
	}
	return budget, ops, nil
}

func appendOpsReply(b []byte, out []opOutcome) []byte {
	b = wire.AppendUvarint(b, uint64(len(out)))
	for _, o := range out {
		if o.err == nil {
			b = wire.AppendByte(b, 0)
			b = o.res.AppendBinary(b)
			continue
		}
		b = wire.AppendByte(b, 1)
		b = o.res.AppendBinary(b)
		b = wire.AppendString(b, redisText(o.err))
	}
	return b
}

func decodeOpsReply(b []byte, n int) ([]opOutcome, error) {
	r := wire.NewReader(b)
	if got := r.Count(2); r.Err() == nil && got != n {
		return nil, fmt.Errorf("coordinator: %d outcomes for %d operations", got, n)
	}
	out := make([]opOutcome, n)
	for i := range out {
		status := r.Byte()
		out[i].res = op.ReadResult(&r)
		switch status {
		case 0:
		case 1:
			out[i].err = op.Error(r.String())
		default:
			r.Fail(fmt.Errorf("outcome status %d", status))
		}
	}
	if err := r.Done(); err != nil {
		return nil, malformed("operation outcomes", err)
	}
	return out, nil
}

// redisText is err as the Redis error a client is answered with.
func redisText(err error) string {
	var re interface{ RedisError() string }
	if errors.As(err, &re) {
		return re.RedisError()
	}
	return "ERR " + err.Error()
}

// HandleOps serves MethodOps: it runs each operation as this node's own
// (coordinated here even if this node's ring view disagrees with the
// sender's, so a write cannot bounce between two views), concurrently,
// since the keys are distinct, and answers their outcomes in order.
func (c *Coordinator) HandleOps(ctx context.Context, req []byte) ([]byte, error) {
	budget, ops, err := decodeOpsRequest(req)
	if err != nil {
		return nil, err
	}
	if budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, budget)
		defer cancel()
	}
	out := make([]opOutcome, len(ops))
	run := func(i int) {
		ro := &ops[i]
		ro.opt.here = true
		ro.opt.Blind = ro.op.Blind()
		out[i].res, out[i].err = c.apply(ctx, &ro.op, ro.opt)
	}
	var wg sync.WaitGroup
	for i := 1; i < len(ops); i++ {
		wg.Go(func() { run(i) })
	}
	if len(ops) > 0 {
		run(0)
	}
	wg.Wait()
	return appendOpsReply(nil, out), nil
}

// Operations bound for one coordinator are batched as replica requests are
// (batcher.go): while a MethodOps request is on the wire to a peer, the
// operations for it that arrive meanwhile wait and leave together. A
// pipeline wave of writes another node coordinates thus costs about one
// request, and a lone write leaves at once.

type pendingOp struct {
	op      *op.Op
	opt     Options
	deliver func(opOutcome)
}

// opSender batches the operations routed to one peer.
type opSender struct {
	c    *Coordinator
	addr string
	mu   sync.Mutex // guards q
	q    queue[*pendingOp]
}

func (c *Coordinator) opSender(addr string) *opSender {
	if s, ok := c.opSenders.Load(addr); ok {
		return s.(*opSender)
	}
	s, _ := c.opSenders.LoadOrStore(addr, &opSender{c: c, addr: addr})
	return s.(*opSender)
}

// send routes o to the peer and waits for its outcome, at most until ctx
// ends (or the routing deadline passes).
func (s *opSender) send(ctx context.Context, o *op.Op, opt Options) (op.Result, error) {
	done := make(chan opOutcome, 1)
	s.mu.Lock()
	start := s.q.push(&pendingOp{op: o, opt: opt, deliver: func(out opOutcome) { done <- out }})
	s.mu.Unlock()
	if start {
		go s.run()
	}
	select {
	case out := <-done:
		return out.res, out.err
	case <-ctx.Done():
		return op.Result{}, ctx.Err()
	}
}

// run sends the queued operations in batches until none are left.
func (s *opSender) run() {
	for batch := s.next(); batch != nil; batch = s.next() {
		out, err := s.call(batch)
		for i, p := range batch {
			if err != nil {
				p.deliver(opOutcome{err: err})
				continue
			}
			p.deliver(out[i])
		}
	}
}

func (s *opSender) next() []*pendingOp {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.q.next()
}

// call sends one batch. The coordinator gets its own full timeout for its
// replicas and answers NOQUORUM itself if they fail; the deadline here only
// covers losing the coordinator.
func (s *opSender) call(batch []*pendingOp) ([]opOutcome, error) {
	budget := 2 * s.c.cfg.Timeout
	ctx, cancel := context.WithTimeout(context.Background(), budget+500*time.Millisecond)
	defer cancel()
	reply, err := s.c.cfg.Transport.Call(ctx, s.addr, rpc.MethodOps, appendOpsRequest(nil, budget, batch))
	if err != nil {
		return nil, err
	}
	return decodeOpsReply(reply, len(batch))
}
