package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

const (
	readBufSize  = 64 << 10
	writeBufSize = 64 << 10
)

// result is what a call receives: a reply or an error.
type result struct {
	payload []byte
	err     error
}

// resultChans recycles the channels calls wait on. Invariant: a channel in
// the pool is empty, because every channel registered in conn.pending
// receives exactly one result, and a call that gives up either removes its
// channel from pending before anyone sends (forget) or receives the result.
var resultChans = sync.Pool{New: func() any { return make(chan result, 1) }}

// conn is one established connection to a peer, after the handshake.
type conn struct {
	t        *TCP
	nc       net.Conn
	br       *bufio.Reader // may hold bytes read past the handshake
	peerAddr string        // the peer's listen address: what Call was given, or what its hello said
	peerName string
	outgoing bool   // this node dialed: it sends requests and reads responses
	idGen    uint64 // the generation of the cluster id it was opened under

	sendq  chan []byte        // encoded frames waiting for the writer
	done   chan struct{}      // closed when the connection fails
	dead   atomic.Bool        // done is closed; cheap to check on every call
	ctx    context.Context    // parent of handler contexts; ends when the connection fails
	cancel context.CancelFunc //
	sem    chan struct{}      // incoming: one token per running handler

	mu      sync.Mutex             // guards pending, nextID and err
	pending map[uint64]chan result // outgoing: calls awaiting a response; nil once failed
	nextID  uint64                 // the last request id used
	err     error                  // why the connection failed; nil while it works
}

func (t *TCP) newConn(nc net.Conn, br *bufio.Reader, peerAddr, peerName string, outgoing bool) *conn {
	c := &conn{
		t:        t,
		nc:       nc,
		br:       br,
		peerAddr: peerAddr,
		peerName: peerName,
		outgoing: outgoing,
		sendq:    make(chan []byte, t.cfg.SendQueueLen),
		done:     make(chan struct{}),
	}
	// Not derived from t.ctx: Close fails every connection, which cancels
	// this context only after the socket is closed (see fail).
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if outgoing {
		c.pending = make(map[uint64]chan result)
	} else {
		c.sem = make(chan struct{}, t.cfg.MaxHandlersPerConn)
	}
	return c
}

// alive reports whether the connection has not failed yet.
func (c *conn) alive() bool { return c != nil && !c.dead.Load() }

// call sends one request and waits for its response or ctx's end. ctx has a
// deadline.
func (c *conn) call(ctx context.Context, m Method, req []byte) ([]byte, error) {
	dl, _ := ctx.Deadline()
	left := time.Until(dl)
	if left <= 0 {
		return nil, callErr(ctx, c.peerAddr)
	}
	// Round up, so the handler never gets less time than the caller waits.
	ms := min((left+time.Millisecond-1)/time.Millisecond, math.MaxUint32)

	ch := resultChans.Get().(chan result)
	c.mu.Lock()
	if c.pending == nil {
		err := c.err
		c.mu.Unlock()
		resultChans.Put(ch)
		return nil, c.callFailure(err)
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()

	b := encodeFrame(frame{kind: kindRequest, method: m, timeout: uint32(ms), id: id, payload: req},
		c.t.cfg.CompressMinBytes)
	select {
	case c.sendq <- b:
	case <-c.done:
		// fail has answered ch.
	case <-ctx.Done():
		if c.forget(id) {
			resultChans.Put(ch)
			return nil, callErr(ctx, c.peerAddr)
		}
	}
	select {
	case r := <-ch:
		resultChans.Put(ch)
		return settle(ctx, c.peerAddr, r)
	case <-ctx.Done():
		if c.forget(id) {
			resultChans.Put(ch)
			return nil, callErr(ctx, c.peerAddr)
		}
		// The result is on its way; take it so the channel is empty again.
		r := <-ch
		resultChans.Put(ch)
		return settle(ctx, c.peerAddr, r)
	}
}

// forget removes a call that stopped waiting. It returns false when the call
// was already answered (the result is in, or about to be in, its channel).
func (c *conn) forget(id uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[id]; !ok {
		return false
	}
	delete(c.pending, id)
	return true
}

// pendingCalls is the number of calls awaiting a response.
func (c *conn) pendingCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// callFailure is the error calls see when the connection failed for cause.
func (c *conn) callFailure(cause error) error {
	if errors.Is(cause, ErrClosed) {
		return ErrClosed
	}
	return unavailable(c.peerAddr, cause)
}

// fail closes the connection for cause and fails its pending calls; the
// first cause wins, later calls do nothing. It never blocks on the network.
func (c *conn) fail(cause error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = cause
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()

	c.dead.Store(true)
	close(c.done)
	// Close the socket before cancelling the handlers, so that no handler
	// answers "context canceled" on a connection that is going away.
	c.nc.Close()
	c.cancel()
	if len(pending) > 0 {
		err := c.callFailure(cause)
		for _, ch := range pending {
			ch <- result{err: err}
		}
	}
	if !c.outgoing {
		c.t.forgetIncoming(c)
	}
	if errors.Is(cause, errMalformed) {
		c.t.log.Warn("transport: closed a connection that broke the protocol",
			"peer", c.peerName, "addr", c.peerAddr, "err", cause)
	}
}

// readLoop reads frames until the connection fails: responses on an
// outgoing connection, requests on an incoming one.
func (c *conn) readLoop() {
	var hdr [headerLen]byte
	for {
		f, err := readFrame(c.br, &hdr, c.t.cfg.MaxFrameBytes)
		if err != nil {
			c.fail(err)
			return
		}
		if c.outgoing {
			if f.kind == kindRequest {
				c.fail(fmt.Errorf("%w: request on a connection this node dialed", errMalformed))
				return
			}
			c.deliver(f)
			continue
		}
		if f.kind != kindRequest {
			c.fail(fmt.Errorf("%w: response on a connection the peer dialed", errMalformed))
			return
		}
		if !c.serve(f) {
			return
		}
	}
}

// deliver hands a response to the call waiting for it, if it still waits.
func (c *conn) deliver(f frame) {
	c.mu.Lock()
	ch := c.pending[f.id]
	delete(c.pending, f.id)
	c.mu.Unlock()
	if ch == nil {
		return // the caller gave up, or the id is bogus
	}
	if f.kind == kindError {
		ch <- result{err: &RemoteError{Msg: string(f.payload)}}
	} else {
		ch <- result{payload: f.payload}
	}
}

// serve runs a request's handler: on the reader itself when the method is
// Config.Inline and no other request is waiting behind it in the read
// buffer, otherwise in a goroutine of its own. When MaxHandlersPerConn
// handlers are running it waits for one to end, which stops this
// connection's reader: the sender feels the back pressure.
func (c *conn) serve(f frame) bool {
	if inline := c.t.cfg.Inline; inline != nil && inline(f.method) && c.br.Buffered() == 0 {
		c.answer(f)
		return true
	}
	select {
	case c.sem <- struct{}{}:
	case <-c.done:
		return false
	}
	c.t.wg.Add(1) // the reader is counted, so Close's Wait is still waiting
	c.t.handlers.Go(func() {
		defer c.t.wg.Done()
		defer func() { <-c.sem }()
		c.answer(f)
	})
	return true
}

// answer runs a request's handler and sends its response.
func (c *conn) answer(f frame) {
	timeout := time.Duration(f.timeout) * time.Millisecond
	if timeout == 0 {
		timeout = c.t.cfg.CallTimeout
	}
	ctx, cancel := context.WithTimeout(c.ctx, timeout)
	resp, err := invoke(ctx, c.t.log, &c.t.stats.handlerPanics, c.t.h, c.peerName, f.method, f.payload)
	cancel()
	limit := c.t.cfg.MaxFrameBytes
	resp, err = reply(resp, err, limit)
	out := frame{kind: kindResponse, id: f.id, payload: resp}
	if err != nil {
		msg := err.Error()
		if len(msg) > limit {
			msg = msg[:limit]
		}
		out = frame{kind: kindError, id: f.id, payload: []byte(msg)}
	}
	c.send(encodeFrame(out, c.t.cfg.CompressMinBytes))
}

// send queues an encoded frame for the writer; it gives up when the
// connection fails.
func (c *conn) send(b []byte) {
	select {
	case c.sendq <- b:
	case <-c.done:
	}
}

// writeLoop writes queued frames. Every frame already queued goes into one
// buffer before a flush, so under load many frames share a system call while
// a lone frame still leaves at once. When the queue runs dry the writer
// yields once before flushing: callers that are runnable but have not queued
// yet get to add their frames to the batch. That doubled the throughput of
// BenchmarkThroughput (64 calls in flight) and cost lone calls nothing
// measurable (BenchmarkRoundTrip).
func (c *conn) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, writeBufSize)
	var b []byte
	next := func() bool {
		select {
		case b = <-c.sendq:
			return true
		default:
			return false
		}
	}
	for {
		select {
		case b = <-c.sendq:
		case <-c.done:
			return
		}
		yielded := false
		for {
			if _, err := bw.Write(b); err != nil {
				c.fail(err)
				return
			}
			c.t.stats.framesSent.Add(1)
			if next() {
				continue
			}
			if !yielded {
				runtime.Gosched()
				yielded = true
				if next() {
					continue
				}
			}
			break
		}
		if err := bw.Flush(); err != nil {
			c.fail(err)
			return
		}
	}
}
