package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dynago/dynago/internal/workers"
)

// TCP is the transport between real nodes. It serves incoming requests on
// its listener and calls peers over persistent connections.
type TCP struct {
	cfg     Config
	h       Handler
	log     *slog.Logger
	ln      net.Listener
	addr    string // the bound listen address
	version uint16 // ProtocolVersion; tests speak others
	id      *clusterID

	ctx       context.Context // ends at Close: dials, handshakes, handlers
	cancel    context.CancelFunc
	peers     sync.Map // peer address -> *peer; read on every call, so no lock
	stopWatch func()   // unregisters from cfg.Faults

	lifeMu sync.Mutex     // orders goroutine starts (wg.Add) before Close's wg.Wait
	closed atomic.Bool    // set under lifeMu
	wg     sync.WaitGroup // every goroutine t started

	inMu     sync.Mutex         // guards incoming
	incoming map[*conn]struct{} // established connections peers dialed

	tls *tls.Config // nil without a cluster secret

	// handlers runs incoming requests' handlers on goroutines kept for
	// reuse (their stacks have grown to what a handler needs).
	handlers *workers.Pool

	stats counters
}

var _ Transport = (*TCP)(nil)

// Listen binds addr (host:port; port 0 picks a free one) and serves incoming
// calls with h. The returned TCP also makes outgoing calls.
func Listen(cfg Config, addr string, h Handler) (*TCP, error) {
	return listen(cfg, addr, h, ProtocolVersion)
}

func listen(cfg Config, addr string, h Handler, version uint16) (*TCP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("transport: no handler")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	t := &TCP{
		cfg:      cfg,
		h:        h,
		log:      cfg.Logger,
		ln:       ln,
		addr:     ln.Addr().String(),
		version:  version,
		id:       newClusterID(cfg.ClusterID),
		incoming: make(map[*conn]struct{}),
		handlers: workers.New(handlerWorkers, handlerIdle),
	}
	if len(t.addr) > 255 {
		ln.Close()
		return nil, fmt.Errorf("transport: listen address %q longer than 255 bytes", t.addr)
	}
	if cfg.Secret != "" {
		if t.tls, err = secretTLS(cfg.Secret); err != nil {
			ln.Close()
			return nil, fmt.Errorf("transport: cluster secret: %w", err)
		}
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.stopWatch = cfg.Faults.watch(t.enforceFaults)
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		t.acceptLoop()
	}()
	return t, nil
}

// Addr is the address the transport listens on; peers call it there.
func (t *TCP) Addr() string { return t.addr }

// SetClusterID implements Transport.
func (t *TCP) SetClusterID(id string) error {
	changed, err := t.id.set(id)
	if err != nil || !changed {
		return err
	}
	// After the change: a handshake that finishes now under the old id
	// either is among these or sees the new generation (staleID).
	_, gen := t.id.current()
	t.peers.Range(func(_, v any) bool {
		for _, s := range v.(*peer).slots {
			if c := s.cur.Load(); c != nil && c.idGen != gen {
				c.fail(errNewID)
			}
		}
		return true
	})
	for _, c := range t.incomingWhere(func(c *conn) bool { return c.idGen != gen }) {
		c.fail(errNewID)
	}
	return nil
}

// staleID reports whether c was opened under a cluster id that has changed
// since.
func (t *TCP) staleID(c *conn) bool {
	_, gen := t.id.current()
	return c.idGen != gen
}

// Call implements Transport.
func (t *TCP) Call(ctx context.Context, addr string, m Method, req []byte) ([]byte, error) {
	if t.closed.Load() {
		return nil, ErrClosed
	}
	if len(req) > t.cfg.MaxFrameBytes {
		return nil, tooLarge("request", len(req), t.cfg.MaxFrameBytes)
	}
	ctx, cancel := withDeadline(ctx, t.cfg.CallTimeout)
	defer cancel()
	if ctx.Err() != nil {
		return nil, notSent{callErr(ctx, addr)}
	}
	if t.cfg.Faults.blocked(t.addr, addr) {
		return nil, notSent{unavailable(addr, errCut)}
	}
	c, err := t.peer(addr).pick().get(ctx)
	if err != nil {
		return nil, notSent{err}
	}
	return c.call(ctx, m, req)
}

// Close implements Transport.
func (t *TCP) Close() error {
	t.lifeMu.Lock()
	if t.closed.Load() {
		t.lifeMu.Unlock()
		return nil
	}
	t.closed.Store(true)
	t.lifeMu.Unlock()

	t.stopWatch()
	t.cancel() // aborts dials and handshakes, cancels handlers
	err := t.ln.Close()
	t.peers.Range(func(_, v any) bool {
		for _, s := range v.(*peer).slots {
			// Under s.mu: a dial that finishes now either installs its
			// connection before this read or sees t.ctx cancelled.
			s.mu.Lock()
			c := s.cur.Load()
			s.mu.Unlock()
			if c != nil {
				c.fail(ErrClosed)
			}
		}
		return true
	})
	for _, c := range t.incomingWhere(func(*conn) bool { return true }) {
		c.fail(ErrClosed)
	}
	t.wg.Wait()
	t.handlers.Close()
	return err
}

// The handler pool keeps at most handlerWorkers goroutines, each for
// handlerIdle without a request.
const (
	handlerWorkers = 1024
	handlerIdle    = 10 * time.Second
)

// Stats are counters of a TCP transport's activity since Listen.
type Stats struct {
	Dials         uint64 // outgoing connections established (handshake done)
	Accepts       uint64 // incoming connections established
	BytesSent     uint64 // bytes written to sockets, handshakes included
	BytesReceived uint64 // bytes read from sockets
	Writes        uint64 // socket writes; under load far fewer than FramesSent
	FramesSent    uint64 // requests and responses written
	// HandlerPanics counts requests whose handler panicked: each was
	// answered with an error and the node served on.
	HandlerPanics uint64
}

type counters struct {
	dials, accepts, bytesSent, bytesReceived, writes, framesSent atomic.Uint64
	handlerPanics                                                atomic.Uint64
}

// Stats returns the transport's counters.
func (t *TCP) Stats() Stats {
	s := &t.stats
	return Stats{
		Dials:         s.dials.Load(),
		Accepts:       s.accepts.Load(),
		BytesSent:     s.bytesSent.Load(),
		BytesReceived: s.bytesReceived.Load(),
		Writes:        s.writes.Load(),
		FramesSent:    s.framesSent.Load(),
		HandlerPanics: s.handlerPanics.Load(),
	}
}

// countedConn counts a connection's traffic into a transport's Stats.
type countedConn struct {
	net.Conn
	s *counters
}

func (c countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.s.bytesReceived.Add(uint64(n))
	return n, err
}

// Write counts before writing, so that a test which has its reply also sees
// its request counted.
func (c countedConn) Write(p []byte) (int, error) {
	c.s.bytesSent.Add(uint64(len(p)))
	c.s.writes.Add(1)
	n, err := c.Conn.Write(p)
	if n < len(p) {
		c.s.bytesSent.Add(-uint64(len(p) - n))
	}
	return n, err
}

// spawn runs f in a goroutine that Close waits for, unless t is closed.
func (t *TCP) spawn(f func()) bool {
	t.lifeMu.Lock()
	defer t.lifeMu.Unlock()
	if t.closed.Load() {
		return false
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		f()
	}()
	return true
}

func (t *TCP) acceptLoop() {
	const minDelay = 5 * time.Millisecond
	delay := minDelay
	for {
		nc, err := t.ln.Accept()
		if err != nil {
			if t.ctx.Err() != nil {
				return
			}
			// Out of file descriptors, most likely: wait rather than spin.
			t.log.Warn("transport: accept failed", "addr", t.addr, "err", err)
			select {
			case <-time.After(delay):
			case <-t.ctx.Done():
				return
			}
			delay = min(2*delay, time.Second)
			continue
		}
		delay = minDelay
		t.wg.Add(1) // this goroutine is counted, so Close's Wait is still waiting
		go func() {
			defer t.wg.Done()
			t.serveConn(nc)
		}()
	}
}

// serveConn runs an accepted connection: handshake, then requests until it
// fails.
func (t *TCP) serveConn(nc net.Conn) {
	remoteAddr := nc.RemoteAddr().String()
	nc = countedConn{Conn: nc, s: &t.stats}
	if t.tls != nil {
		nc = tls.Server(nc, t.tls)
	}
	br := bufio.NewReaderSize(nc, readBufSize)
	remote, gen, err := t.handshake(nc, br, "")
	if err != nil {
		nc.Close()
		if !errors.Is(err, ErrClosed) {
			t.log.Warn("transport: refused an incoming connection", "remote", remoteAddr, "err", err)
		}
		return
	}
	c := t.newConn(nc, br, remote.listenAddr, remote.name, false)
	c.idGen = gen
	t.inMu.Lock()
	if t.ctx.Err() != nil {
		t.inMu.Unlock()
		c.fail(ErrClosed)
		return
	}
	t.incoming[c] = struct{}{}
	t.inMu.Unlock()
	t.stats.accepts.Add(1)
	// A cut made while this connection was being opened.
	if t.cfg.Faults.blocked(t.addr, c.peerAddr) {
		c.fail(errCut)
		return
	}
	// Likewise a new cluster id.
	if t.staleID(c) {
		c.fail(errNewID)
		return
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		c.writeLoop()
	}()
	c.readLoop()
}

func (t *TCP) forgetIncoming(c *conn) {
	t.inMu.Lock()
	delete(t.incoming, c)
	t.inMu.Unlock()
}

func (t *TCP) incomingWhere(match func(*conn) bool) []*conn {
	t.inMu.Lock()
	defer t.inMu.Unlock()
	var cs []*conn
	for c := range t.incoming {
		if match(c) {
			cs = append(cs, c)
		}
	}
	return cs
}

// enforceFaults closes every connection on a link that is now cut.
func (t *TCP) enforceFaults() {
	f := t.cfg.Faults
	t.peers.Range(func(_, v any) bool {
		p := v.(*peer)
		if f.blocked(t.addr, p.addr) {
			for _, s := range p.slots {
				if c := s.cur.Load(); c != nil {
					c.fail(errCut)
				}
			}
		}
		return true
	})
	for _, c := range t.incomingWhere(func(c *conn) bool { return f.blocked(t.addr, c.peerAddr) }) {
		c.fail(errCut)
	}
}

// dial opens and handshakes a new connection to addr and starts its reader
// and writer. It runs in a goroutine started by spawn.
func (t *TCP) dial(addr string) (*conn, error) {
	d := net.Dialer{Timeout: t.cfg.DialTimeout}
	nc, err := d.DialContext(t.ctx, "tcp", addr)
	if err != nil {
		if t.ctx.Err() != nil {
			return nil, ErrClosed
		}
		return nil, unavailable(addr, err)
	}
	nc = countedConn{Conn: nc, s: &t.stats}
	if t.tls != nil {
		nc = tls.Client(nc, t.tls)
	}
	br := bufio.NewReaderSize(nc, readBufSize)
	remote, gen, err := t.handshake(nc, br, addr)
	if err != nil {
		nc.Close()
		return nil, err
	}
	t.stats.dials.Add(1)
	c := t.newConn(nc, br, addr, remote.name, true)
	c.idGen = gen
	t.wg.Add(2)
	go func() {
		defer t.wg.Done()
		c.readLoop()
	}()
	go func() {
		defer t.wg.Done()
		c.writeLoop()
	}()
	return c, nil
}

// peer holds the connections to one peer address.
type peer struct {
	addr  string
	next  atomic.Uint32 // round-robin position over slots
	slots []*slot
}

func (t *TCP) peer(addr string) *peer {
	if p, ok := t.peers.Load(addr); ok {
		return p.(*peer)
	}
	p := &peer{addr: addr, slots: make([]*slot, t.cfg.ConnsPerPeer)}
	for i := range p.slots {
		p.slots[i] = &slot{t: t, addr: addr}
	}
	v, _ := t.peers.LoadOrStore(addr, p)
	return v.(*peer)
}

func (p *peer) pick() *slot {
	if len(p.slots) == 1 {
		return p.slots[0]
	}
	return p.slots[int(p.next.Add(1)%uint32(len(p.slots)))]
}

// slot is one of the persistent connections to a peer: the live one, or the
// dial that replaces it.
type slot struct {
	t    *TCP
	addr string
	cur  atomic.Pointer[conn] // the connection calls use; may have failed

	mu      sync.Mutex    // guards the fields below, and installing cur
	dialing chan struct{} // closed when the dial in progress ends; nil if none
	lastErr error         // the last dial's error; nil after a success
	retryAt time.Time     // after a failed dial, no new dial before this
	backoff time.Duration // the wait after the last failed dial
}

// get returns a live connection, dialing one if needed. One dial runs at a
// time per slot, whatever the number of callers; after a failed dial,
// callers fail fast with its error until the backoff has passed, so a dead
// peer does not cause a dial storm.
func (s *slot) get(ctx context.Context) (*conn, error) {
	if c := s.cur.Load(); c.alive() {
		return c, nil
	}
	s.mu.Lock()
	if c := s.cur.Load(); c.alive() {
		s.mu.Unlock()
		return c, nil
	}
	if s.dialing == nil {
		if s.lastErr != nil && time.Now().Before(s.retryAt) {
			err := s.lastErr
			s.mu.Unlock()
			return nil, err
		}
		done := make(chan struct{})
		// The dial is not tied to this caller's context: other callers
		// wait for it too. DialTimeout bounds it, Close aborts it.
		if !s.t.spawn(func() { s.dial(done) }) {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		s.dialing = done
	}
	done := s.dialing
	s.mu.Unlock()

	select {
	case <-done:
	case <-ctx.Done():
		return nil, callErr(ctx, s.addr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cur.Load(); c.alive() {
		return c, nil
	}
	if s.lastErr != nil {
		return nil, s.lastErr
	}
	return nil, unavailable(s.addr, errors.New("connection lost just after it opened"))
}

func (s *slot) dial(done chan struct{}) {
	c, err := s.t.dial(s.addr)
	s.mu.Lock()
	if err == nil && s.t.ctx.Err() != nil {
		c.fail(ErrClosed)
		c, err = nil, ErrClosed
	}
	if err != nil {
		s.lastErr = err
		if s.backoff == 0 {
			s.backoff = s.t.cfg.RedialBackoff
		} else {
			s.backoff = min(2*s.backoff, s.t.cfg.MaxRedialBackoff)
		}
		// Jitter keeps the nodes that lost the same peer from redialing
		// in step.
		s.retryAt = time.Now().Add(s.backoff + rand.N(s.backoff/4+1))
	} else {
		s.lastErr = nil
		s.backoff = 0
		s.cur.Store(c)
	}
	s.dialing = nil
	close(done)
	s.mu.Unlock()
	// A cut made while the connection was being opened: enforceFaults may
	// have run before cur was set. Likewise a new cluster id.
	if c != nil && s.t.cfg.Faults.blocked(s.t.addr, s.addr) {
		c.fail(errCut)
	}
	if c != nil && s.t.staleID(c) {
		c.fail(errNewID)
	}
}

// pendingCalls is the number of outgoing calls awaiting a response, for
// tests.
func (t *TCP) pendingCalls() int {
	n := 0
	t.peers.Range(func(_, v any) bool {
		for _, s := range v.(*peer).slots {
			if c := s.cur.Load(); c != nil {
				n += c.pendingCalls()
			}
		}
		return true
	})
	return n
}
