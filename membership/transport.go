package membership

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// gossipTransport carries gossip over UDP packets and TCP streams (or their
// in-memory twin, a MemNetwork) and adds what Dynago needs on top:
//
//   - Drop: every packet and stream to or from a remote gossip address is
//     offered to Config.Drop first, so tests can partition a node.
//   - heard: every packet or stream that arrives from a peer is reported,
//     which is how this node tells a suspect from a live member.
//   - a stream preamble: the dialing side first writes its own gossip
//     address (one length byte, then host:port). A stream's source port is
//     ephemeral, so without it the accepting side could not apply Drop to
//     streams or attribute them to a peer. Only Dynago nodes speak to a
//     Dynago gossip port, so both ends always agree on it.
type gossipTransport struct {
	inner   link                   // sockets, or a MemNetwork
	self    string                 // our advertised gossip address, sent in the preamble
	drop    func(addr string) bool // nil: drop nothing
	heard   func(addr string)
	timeout time.Duration // bounds reading a preamble

	ctx    context.Context // cancelled by Shutdown: pending dials give up
	cancel context.CancelFunc

	packetCh chan *memberlist.Packet
	streamCh chan net.Conn
	closing  chan struct{} // closed when Shutdown starts: arrivals are discarded
	done     chan struct{} // closed once the inner transport is down
	wg       sync.WaitGroup
	once     sync.Once // Shutdown runs once
	err      error     // Shutdown's result
}

var _ memberlist.NodeAwareTransport = (*gossipTransport)(nil)

// netLink is the real network: memberlist's UDP and TCP listeners, and TCP
// dials of our own.
type netLink struct {
	inner *memberlist.NetTransport
	addr  string
}

func listenNet(bindAddr string, port int, logger *log.Logger) (*netLink, error) {
	inner, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{bindAddr},
		BindPort:  port,
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("gossip listener on %s: %w", net.JoinHostPort(bindAddr, fmt.Sprint(port)), err)
	}
	ip, advPort, err := inner.FinalAdvertiseAddr("", 0)
	if err != nil {
		_ = inner.Shutdown()
		return nil, err
	}
	return &netLink{inner: inner, addr: net.JoinHostPort(ip.String(), fmt.Sprint(advPort))}, nil
}

func (l *netLink) self() string                        { return l.addr }
func (l *netLink) packetCh() <-chan *memberlist.Packet { return l.inner.PacketCh() }
func (l *netLink) streamCh() <-chan net.Conn           { return l.inner.StreamCh() }

func (l *netLink) send(b []byte, addr string) error {
	_, err := l.inner.WriteToAddress(b, memberlist.Address{Addr: addr})
	return err
}

func (l *netLink) dial(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	return d.DialContext(ctx, "tcp", addr)
}

func (l *netLink) close() error { return l.inner.Shutdown() }

// newGossipTransport listens at bindAddr:port: on the real network, or on
// mem when it is not nil.
func newGossipTransport(mem *MemNetwork, bindAddr string, port int, drop func(string) bool, heard func(string), timeout time.Duration, logger *log.Logger) (*gossipTransport, error) {
	var inner link
	var err error
	if mem != nil {
		inner, err = mem.attach(net.JoinHostPort(bindAddr, fmt.Sprint(port)))
	} else {
		inner, err = listenNet(bindAddr, port, logger)
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &gossipTransport{
		inner:    inner,
		self:     inner.self(),
		drop:     drop,
		heard:    heard,
		timeout:  timeout,
		ctx:      ctx,
		cancel:   cancel,
		packetCh: make(chan *memberlist.Packet),
		streamCh: make(chan net.Conn),
		closing:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	t.wg.Add(2)
	go t.forwardPackets()
	go t.forwardStreams()
	return t, nil
}

func (t *gossipTransport) dropped(addr string) bool {
	return t.drop != nil && t.drop(addr)
}

// forwardPackets hands incoming packets on unless they are dropped. It keeps
// reading until the inner transport is down, because the inner listener
// cannot stop while it is blocked handing over a packet.
func (t *gossipTransport) forwardPackets() {
	defer t.wg.Done()
	for {
		select {
		case p := <-t.inner.packetCh():
			from := p.From.String()
			if t.dropped(from) {
				continue
			}
			t.heard(from)
			select {
			case t.packetCh <- p:
			case <-t.closing:
			}
		case <-t.done:
			return
		}
	}
}

// forwardStreams reads each incoming stream's preamble (in its own goroutine,
// so a slow peer holds up nobody) and hands the stream on unless dropped.
func (t *gossipTransport) forwardStreams() {
	defer t.wg.Done()
	for {
		select {
		case conn := <-t.inner.streamCh():
			t.wg.Add(1)
			go t.acceptStream(conn)
		case <-t.done:
			return
		}
	}
}

func (t *gossipTransport) acceptStream(conn net.Conn) {
	defer t.wg.Done()
	from, err := readPreamble(conn, t.timeout)
	if err != nil || t.dropped(from) {
		_ = conn.Close()
		return
	}
	t.heard(from)
	select {
	case t.streamCh <- conn:
	case <-t.closing:
		_ = conn.Close()
	}
}

func readPreamble(conn net.Conn, timeout time.Duration) (string, error) {
	if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	var n [1]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return "", err
	}
	addr := make([]byte, n[0])
	if _, err := io.ReadFull(conn, addr); err != nil {
		return "", err
	}
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		return "", err
	}
	return string(addr), nil
}

// FinalAdvertiseAddr advertises the address we bound.
func (t *gossipTransport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	host, port, err := net.SplitHostPort(t.self)
	if err != nil {
		return nil, 0, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, 0, err
	}
	return net.ParseIP(host), p, nil
}

// WriteTo sends a packet unless Drop says otherwise; a dropped packet is lost
// silently, as on a real network.
func (t *gossipTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

// WriteToAddress is WriteTo for a named node.
func (t *gossipTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if t.dropped(a.Addr) {
		return time.Now(), nil
	}
	return time.Now(), t.inner.send(b, a.Addr)
}

// PacketCh delivers the packets that were not dropped.
func (t *gossipTransport) PacketCh() <-chan *memberlist.Packet { return t.packetCh }

// DialTimeout opens a stream and writes the preamble.
func (t *gossipTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

// DialAddressTimeout is DialTimeout for a named node. A dropped destination
// looks unreachable: the dial fails at once.
func (t *gossipTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	if t.dropped(a.Addr) {
		return nil, fmt.Errorf("dial %s: unreachable (dropped)", a.Addr)
	}
	conn, err := t.inner.dial(t.ctx, a.Addr, timeout)
	if err != nil {
		return nil, err
	}
	preamble := append([]byte{byte(len(t.self))}, t.self...)
	if err := conn.SetWriteDeadline(time.Now().Add(timeout)); err == nil {
		_, err = conn.Write(preamble)
		if err == nil {
			err = conn.SetWriteDeadline(time.Time{})
		}
		if err == nil {
			return conn, nil
		}
	}
	_ = conn.Close()
	return nil, fmt.Errorf("dial %s: %w", a.Addr, err)
}

// StreamCh delivers the streams that were not dropped.
func (t *gossipTransport) StreamCh() <-chan net.Conn { return t.streamCh }

// Shutdown closes the listeners and waits for its goroutines. The gossip
// layer calls it when it shuts down; Start also calls it when it fails, so
// calls after the first do nothing.
func (t *gossipTransport) Shutdown() error {
	t.once.Do(func() {
		t.cancel()
		close(t.closing)
		t.err = t.inner.close()
		close(t.done)
		t.wg.Wait()
	})
	return t.err
}
