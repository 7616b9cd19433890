package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// MemNetwork connects in-memory transports, so that a whole cluster runs
// inside one test process without sockets. Its transports keep TCP's
// contract: deadlines (propagated to handlers), handler errors and panics as
// *RemoteError, the cluster id check, the frame limit, Faults, and payloads
// copied as if they had crossed a wire. Addresses are any strings.
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
	if to.cfg.ClusterID != n.cfg.ClusterID {
		return nil, notSent{clusterMismatch(to.cfg.Name, addr, to.cfg.ClusterID, n.cfg.ClusterID)}
	}

	deadline, _ := ctx.Deadline()
	hctx, hcancel := context.WithDeadline(to.ctx, deadline)
	mc := &memCall{from: n, to: to, res: make(chan result, 1), cancel: hcancel}
	if !n.add(mc, false) {
		hcancel()
		return nil, notSent{ErrClosed}
	}
	defer n.remove(mc)
	// Registered first, checked second: a Cut either sees this call in
	// n.calls or happened before this check.
	if n.cfg.Faults.blocked(n.addr, addr) {
		hcancel()
		return nil, notSent{unavailable(addr, errCut)}
	}
	if !to.add(mc, true) {
		hcancel()
		return nil, notSent{unavailable(addr, errRefused)}
	}
	req = bytes.Clone(req)
	go func() {
		defer to.wg.Done()
		defer to.remove(mc)
		defer hcancel()
		resp, err := invoke(hctx, to.log, nil, to.h, n.cfg.Name, m, req)
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
