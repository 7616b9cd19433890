package membership

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// MemNetwork carries gossip between the nodes of one process without
// sockets: the in-memory twin of UDP and TCP, for simulated clusters in tests
// (with testing/synctest, every node's gossip then runs on one fake clock).
// Nodes attach through Config.Network at BindAddr:GossipPort, an address on
// this network only. It keeps the contract of the real network: a packet to
// an address nobody listens on, or to a node that does not keep up, is lost,
// as a UDP datagram is; a stream to such an address is refused; a stream is
// a synchronous in-memory connection with deadlines (net.Pipe). Config.Drop
// applies as on real sockets.
type MemNetwork struct {
	mu    sync.Mutex          // guards nodes
	nodes map[string]*memLink // by gossip address
}

// NewMemNetwork returns an empty network.
func NewMemNetwork() *MemNetwork {
	return &MemNetwork{nodes: map[string]*memLink{}}
}

// memPacketQueue is how many packets may wait for a node before more are
// lost. Gossip sends a few packets per member per interval; a node that
// falls this far behind is as good as unreachable.
const memPacketQueue = 1024

// attach listens at addr.
func (n *MemNetwork) attach(addr string) (*memLink, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ip := net.ParseIP(host)
	p, err := strconv.Atoi(port)
	if ip == nil || err != nil || p <= 0 || p > 65535 {
		return nil, fmt.Errorf("in-memory gossip address %q is not an IP address with a port", addr)
	}
	l := &memLink{
		net:     n,
		addr:    &net.UDPAddr{IP: ip, Port: p},
		packets: make(chan *memberlist.Packet, memPacketQueue),
		streams: make(chan net.Conn),
		done:    make(chan struct{}),
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, taken := n.nodes[addr]; taken {
		return nil, fmt.Errorf("in-memory gossip address %s already in use", addr)
	}
	n.nodes[addr] = l
	return l, nil
}

func (n *MemNetwork) lookup(addr string) *memLink {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nodes[addr]
}

// link is what gossipTransport sends and receives through: sockets, or a
// MemNetwork.
type link interface {
	// self is the address packets and streams reach this node at.
	self() string
	// packetCh delivers incoming packets; streamCh incoming streams.
	packetCh() <-chan *memberlist.Packet
	streamCh() <-chan net.Conn
	// send sends a packet; a lost packet is no error.
	send(b []byte, addr string) error
	// dial opens a stream; ctx ends with the transport.
	dial(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error)
	// close stops listening.
	close() error
}

// memLink is one node's attachment to a MemNetwork.
type memLink struct {
	net     *MemNetwork
	addr    *net.UDPAddr
	packets chan *memberlist.Packet
	streams chan net.Conn
	done    chan struct{} // closed by close
	once    sync.Once
}

func (l *memLink) self() string                        { return l.addr.String() }
func (l *memLink) packetCh() <-chan *memberlist.Packet { return l.packets }
func (l *memLink) streamCh() <-chan net.Conn           { return l.streams }

func (l *memLink) send(b []byte, addr string) error {
	to := l.net.lookup(addr)
	if to == nil {
		return nil
	}
	p := &memberlist.Packet{Buf: append([]byte(nil), b...), From: l.addr, Timestamp: time.Now()}
	select {
	case to.packets <- p:
	default: // the receiver's queue is full: lost
	}
	return nil
}

var errMemRefused = errors.New("connection refused")

func (l *memLink) dial(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	to := l.net.lookup(addr)
	if to == nil {
		return nil, fmt.Errorf("dial %s: %w", addr, errMemRefused)
	}
	ours, theirs := net.Pipe()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var err error
	select {
	case to.streams <- theirs:
		return ours, nil
	case <-to.done:
		err = fmt.Errorf("dial %s: %w", addr, errMemRefused)
	case <-timer.C:
		err = fmt.Errorf("dial %s: timed out", addr)
	case <-ctx.Done():
		err = fmt.Errorf("dial %s: %w", addr, ctx.Err())
	}
	ours.Close()
	theirs.Close()
	return nil, err
}

func (l *memLink) close() error {
	l.once.Do(func() {
		l.net.mu.Lock()
		if l.net.nodes[l.self()] == l {
			delete(l.net.nodes, l.self())
		}
		l.net.mu.Unlock()
		close(l.done)
	})
	return nil
}
