package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// MemNetwork connects in-memory transports, so that a whole cluster runs
// inside one test process without sockets. Its transports keep TCP's
// contract: deadlines (propagated to handlers), handler errors and panics as
// *RemoteError, the cluster id check, the frame limit, Faults, and payloads
// copied as if they had crossed a wire, and a cluster id that may arrive
// after Listen (a call waits for both ends' ids, up to DialTimeout, as a
// handshake does). Addresses are any strings.
type MemNetwork struct {
	mu    sync.RWMutex        // guards nodes
	nodes map[string]*memNode // by listen address
}

// NewMemNetwork returns an empty network.
func NewMemNetwork() *MemNetwork {
	return &MemNetwork{nodes: make(map[string]*memNode)}
}

// Listen attaches a node at addr, served by h.
func (n *MemNetwork) Listen(cfg Config, addr string, h Handler) (Transport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("transport: no handler")
	}
	if addr == "" {
		return nil, errors.New("transport: empty address")
	}
	node := &memNode{
		net:   n,
		cfg:   cfg,
		addr:  addr,
		h:     h,
		log:   cfg.Logger,
		id:    newClusterID(cfg.ClusterID),
		calls: make(map[*memCall]struct{}),
	}
	node.ctx, node.cancel = context.WithCancel(context.Background())
	n.mu.Lock()
	if _, taken := n.nodes[addr]; taken {
		n.mu.Unlock()
		node.cancel()
		return nil, fmt.Errorf("transport: listen %s: address already in use", addr)
	}
	n.nodes[addr] = node
	n.mu.Unlock()
	node.stopWatch = cfg.Faults.watch(node.enforceFaults)
	return node, nil
}

func (n *MemNetwork) lookup(addr string) *memNode {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.nodes[addr]
}

// memNode is one node's in-memory transport.
type memNode struct {
	net       *MemNetwork
	cfg       Config
	addr      string
	h         Handler
	log       *slog.Logger
	id        *clusterID
	panics    atomic.Uint64   // handlers that panicked
	ctx       context.Context // ends at Close; parent of handler contexts
	cancel    context.CancelFunc
	stopWatch func()

	mu     sync.Mutex            // guards calls and closed
	calls  map[*memCall]struct{} // calls this node makes or serves
	closed bool
	wg     sync.WaitGroup // handlers running here; Add under mu while !closed
}

// memCall is one call in flight between two memNodes.
type memCall struct {
	from, to *memNode
	gens     [2]uint64   // the generations of from's and to's cluster ids it was checked under
	res      chan result // capacity 1; receives the first outcome only
	finished atomic.Bool
	cancel   context.CancelFunc // ends the handler's context
}

// finish settles the call with r unless it is already settled.
func (mc *memCall) finish(r result) {
	if mc.finished.CompareAndSwap(false, true) {
		mc.res <- r
	}
}

// abort settles the call with err and cancels its handler, as a broken
// connection would.
func (mc *memCall) abort(err error) {
	mc.finish(result{err: err})
	mc.cancel()
}

func (n *memNode) add(mc *memCall, handler bool) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	n.calls[mc] = struct{}{}
	if handler {
		n.wg.Add(1)
	}
	return true
}

func (n *memNode) remove(mc *memCall) {
	n.mu.Lock()
	delete(n.calls, mc)
	n.mu.Unlock()
}

// Call implements Transport.
func (n *memNode) Call(ctx context.Context, addr string, m Method, req []byte) ([]byte, error) {
	if len(req) > n.cfg.MaxFrameBytes {
		return nil, tooLarge("request", len(req), n.cfg.MaxFrameBytes)
	}
	ctx, cancel := withDeadline(ctx, n.cfg.CallTimeout)
	defer cancel()
	if ctx.Err() != nil {
		return nil, notSent{callErr(ctx, addr)}
	}
	if n.cfg.Faults.blocked(n.addr, addr) {
		return nil, notSent{unavailable(addr, errCut)}
	}
	to := n.net.lookup(addr)
	if to == nil {
		return nil, notSent{unavailable(addr, errRefused)}
	}
	// Both ends need their cluster ids, as a handshake does.
	deadline, _ := ctx.Deadline()
	idBy := time.Now().Add(n.cfg.DialTimeout)
	if deadline.Before(idBy) {
		idBy = deadline
	}
	var gens [2]uint64
	ours, gen, err := n.id.wait(ctx, idBy)
	gens[0] = gen
	if err == nil {
		var theirs string
		theirs, gens[1], err = to.id.wait(ctx, idBy)
		if err == nil && theirs != ours {
			return nil, notSent{clusterMismatch(to.cfg.Name, addr, theirs, ours)}
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, notSent{callErr(ctx, addr)}
		}
		return nil, notSent{unavailable(addr, err)}
	}

	hctx, hcancel := context.WithDeadline(to.ctx, deadline)
	mc := &memCall{from: n, to: to, gens: gens, res: make(chan result, 1), cancel: hcancel}
	if !n.add(mc, false) {
		hcancel()
		return nil, notSent{ErrClosed}
	}
	defer n.remove(mc)
	// Registered first, checked second: a Cut either sees this call in
	// n.calls or happened before this check. Likewise a new cluster id.
	if n.cfg.Faults.blocked(n.addr, addr) {
		hcancel()
		return nil, notSent{unavailable(addr, errCut)}
	}
	if !to.add(mc, true) {
		hcancel()
		return nil, notSent{unavailable(addr, errRefused)}
	}
	if mc.stale() {
		to.remove(mc)
		to.wg.Done()
		hcancel()
		return nil, notSent{unavailable(addr, errNewID)}
	}
	req = bytes.Clone(req)
	go func() {
		defer to.wg.Done()
		defer to.remove(mc)
		defer hcancel()
		resp, err := invoke(hctx, to.log, &to.panics, to.h, n.cfg.Name, m, req)
		resp, err = reply(resp, err, to.cfg.MaxFrameBytes)
		if err == nil && len(resp) > 0 {
			resp = bytes.Clone(resp)
		} else {
			resp = nil
		}
		mc.finish(result{payload: resp, err: err})
	}()

	select {
	case r := <-mc.res:
		return settle(ctx, addr, r)
	case <-ctx.Done():
		// Like a TCP peer, the handler runs on until its own deadline.
		mc.finish(result{})
		return nil, callErr(ctx, addr)
	}
}

// stale reports whether either end's cluster id changed since the call was
// checked.
func (mc *memCall) stale() bool {
	_, from := mc.from.id.current()
	_, to := mc.to.id.current()
	return from != mc.gens[0] || to != mc.gens[1]
}

// SetClusterID implements Transport. The calls in flight from or to this
// node fail, as the connections they travel on would.
func (n *memNode) SetClusterID(id string) error {
	changed, err := n.id.set(id)
	if err != nil || !changed {
		return err
	}
	n.mu.Lock()
	var stale []*memCall
	for mc := range n.calls {
		if mc.stale() {
			stale = append(stale, mc)
		}
	}
	n.mu.Unlock()
	for _, mc := range stale {
		mc.abort(unavailable(mc.to.addr, errNewID))
	}
	return nil
}

// Stats implements Transport. In memory only HandlerPanics is counted.
func (n *memNode) Stats() Stats { return Stats{HandlerPanics: n.panics.Load()} }

// Close implements Transport.
func (n *memNode) Close() error {
	n.net.mu.Lock()
	if n.net.nodes[n.addr] == n {
		delete(n.net.nodes, n.addr)
	}
	n.net.mu.Unlock()

	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	calls := make([]*memCall, 0, len(n.calls))
	for mc := range n.calls {
		calls = append(calls, mc)
	}
	n.mu.Unlock()

	n.stopWatch()
	// Settle the calls before cancelling the handlers, so that no caller
	// receives a handler's "context canceled" instead of the closed peer.
	for _, mc := range calls {
		if mc.from == n {
			mc.abort(ErrClosed)
		} else {
			mc.abort(unavailable(n.addr, errors.New("peer closed")))
		}
	}
	n.cancel()
	n.wg.Wait()
	return nil
}

// enforceFaults fails the calls in flight on links that are now cut.
func (n *memNode) enforceFaults() {
	f := n.cfg.Faults
	n.mu.Lock()
	var cut []*memCall
	for mc := range n.calls {
		if f.blocked(mc.from.addr, mc.to.addr) {
			cut = append(cut, mc)
		}
	}
	n.mu.Unlock()
	for _, mc := range cut {
		mc.abort(unavailable(mc.to.addr, errCut))
	}
}
