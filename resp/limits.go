package resp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"
	"sync"
	"time"
)

// Limits bound what one client can cost the node, so that a client that
// misbehaves (too many connections, an endless request, garbage) is cut off
// without harming the others. The zero value of each field means its
// default.
type Limits struct {
	// MaxClients is the most clients connected at once, plain and TLS
	// together; the next one is told so and disconnected. Default 10000,
	// Redis's default.
	MaxClients int
	// Timeout disconnects a client that has sent nothing for that long;
	// 0 never does (Redis's default: idle clients cost little).
	Timeout time.Duration
	// ProtoMaxBulkLen is the longest bulk string (one argument) a client
	// may send. Default 512 MiB, Redis's default; values are further
	// bounded by Config.MaxValueBytes.
	ProtoMaxBulkLen int64
	// QueryBufferLimit bounds one request as a whole, all its arguments
	// together; a client whose request grows past it is disconnected, as
	// Redis does at client-query-buffer-limit. Default 1 GiB, Redis's.
	QueryBufferLimit int64
}

// The Limits defaults.
const (
	DefaultMaxClients       = 10000
	DefaultProtoMaxBulkLen  = 512 << 20
	DefaultQueryBufferLimit = 1 << 30
)

// minSizeLimit is the smallest ProtoMaxBulkLen and QueryBufferLimit, as in
// Redis: below it ordinary values would be refused.
const minSizeLimit = 1 << 20

func (l *Limits) setDefaults() {
	if l.MaxClients == 0 {
		l.MaxClients = DefaultMaxClients
	}
	if l.ProtoMaxBulkLen == 0 {
		l.ProtoMaxBulkLen = DefaultProtoMaxBulkLen
	}
	if l.QueryBufferLimit == 0 {
		l.QueryBufferLimit = DefaultQueryBufferLimit
	}
}

// Validate reports a limit out of range, naming it as the flag does.
func (l Limits) Validate() error {
	switch {
	case l.MaxClients < 0:
		return fmt.Errorf("maxclients must be at least 1, not %d", l.MaxClients)
	case l.Timeout < 0:
		return fmt.Errorf("timeout must not be negative")
	case l.ProtoMaxBulkLen != 0 && (l.ProtoMaxBulkLen < minSizeLimit || l.ProtoMaxBulkLen > maxSizeLimit):
		return fmt.Errorf("proto-max-bulk-len must be between %d and %d bytes, not %d", minSizeLimit, int64(maxSizeLimit), l.ProtoMaxBulkLen)
	case l.QueryBufferLimit != 0 && (l.QueryBufferLimit < minSizeLimit || l.QueryBufferLimit > maxSizeLimit):
		return fmt.Errorf("client-query-buffer-limit must be between %d and %d bytes, not %d", minSizeLimit, int64(maxSizeLimit), l.QueryBufferLimit)
	}
	return nil
}

// maxSizeLimit keeps lengths far from overflowing when added to offsets.
const maxSizeLimit = math.MaxInt64 / 4

// Fixed bounds of the request framing.
const (
	// maxInline is the longest inline command, and the longest length line
	// of a multibulk request (Redis's PROTO_INLINE_MAX_SIZE).
	maxInline = 64 << 10
	// maxArgs bounds the arguments of one command. Redis takes up to 2^31,
	// but each argument costs the RESP parser about 40 bytes of bookkeeping
	// for as little as 6 bytes of input, so a million (half a million keys
	// in one MSET) keeps a single request from multiplying into gigabytes.
	maxArgs = 1 << 20
	// Before a client authenticates, Redis takes at most 10 arguments of at
	// most 16 KiB each, so strangers cannot make the node buffer much.
	maxArgsUnauthed = 10
	maxBulkUnauthed = 16 << 10
)

// Redis's texts for refused connections.
const (
	errMaxClients = "-ERR max number of clients reached\r\n"
	errDenied     = "-DENIED Dynago is running in protected mode because protected mode is enabled and no password is set for the default user. " +
		"In this mode connections are only accepted from the loopback interface. " +
		"If you want to connect from external computers to Dynago you may adopt one of the following solutions: " +
		"1) Set up a password for the default user by restarting the node with the '--requirepass <password>' option, " +
		"and authenticate with AUTH. " +
		"2) If the node is not reachable from the internet, or only for testing, restart it with the '--protected-mode no' option. " +
		"NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"
)

// protocolError is a request that breaks the RESP framing or a limit; the
// client gets Redis's "-ERR Protocol error: ..." and is disconnected.
type protocolError string

func (e protocolError) Error() string { return "Protocol error: " + string(e) }

// errQueryBufferLimit ends a client whose request outgrew QueryBufferLimit.
// As in Redis it gets no reply: the connection is closed.
var errQueryBufferLimit = errors.New("request exceeds client-query-buffer-limit")

// The framer follows the RESP framing of what a client sends, as Redis's
// own parser reads it, without keeping more than a length line: it knows
// where each command ends and refuses a request that breaks a limit before
// its bytes pile up in memory. What it passes on is well-formed for the
// RESP parser behind it: empty multibulk requests (*0, *-1), which Redis
// ignores, are dropped, and the two bytes after each bulk string, which
// Redis skips unread, become CRLF. It is pure logic: bytes in, bytes out.

type frameState uint8

const (
	stStart     frameState = iota // at a command boundary
	stInline                      // in an inline command, until '\n'
	stCountLine                   // in "*<count>", until '\r'
	stCountEnd                    // the byte after the count's '\r'
	stBulkLine                    // in "$<len>", until '\r'
	stBulkEnd                     // the byte after the length's '\r'
	stBulkData                    // in a bulk string's bytes
	stBulkCR                      // the first byte after a bulk string
	stBulkLF                      // the second byte after a bulk string
)

type framer struct {
	protoMaxBulkLen  int64
	queryBufferLimit int64

	state frameState
	line  int      // bytes of the current line so far, without '\r' or '\n'
	hdr   [24]byte // the start of a length line; a longer line is no valid length
	args  int64    // bulk strings still to come in this command
	left  int64    // bytes of the current bulk string still to come
	size  int64    // bytes of the current command read so far

	scratch [24]byte // what step emits
	outBuf  [24]byte // backs out
	out     []byte   // emitted bytes that did not fit the caller's buffer yet
}

func newFramer(l Limits) framer {
	return framer{protoMaxBulkLen: l.ProtoMaxBulkLen, queryBufferLimit: l.QueryBufferLimit}
}

// frame moves framed bytes from src to dst and reports how many it wrote
// and read. It stops when dst is full or src used up, at a broken rule
// (err), and, when unauthed, after each command, so that the command runs
// (perhaps authenticating the client) before the next is judged. Bytes left
// over from a full dst come first on the next call, alone.
func (f *framer) frame(dst, src []byte, unauthed bool) (n, m int, err error) {
	if len(f.out) > 0 {
		n = copy(dst, f.out)
		f.out = f.out[n:]
		return n, 0, nil
	}
	for m < len(src) && n < len(dst) {
		var ended bool
		switch f.state {
		case stBulkData:
			k := int(min(f.left, int64(len(src)-m), int64(len(dst)-n)))
			copy(dst[n:], src[m:m+k])
			n, m = n+k, m+k
			f.left -= int64(k)
			f.size += int64(k)
			if f.left == 0 {
				f.state = stBulkCR
			}
		case stInline:
			rest := src[m:min(len(src), m+len(dst)-n)]
			i := bytes.IndexByte(rest, '\n')
			k := len(rest)
			if i >= 0 {
				k = i + 1
			}
			if f.line+k-1 > maxInline || (i < 0 && f.line+k > maxInline) {
				return n, m, protocolError("too big inline request")
			}
			copy(dst[n:], rest[:k])
			n, m = n+k, m+k
			f.line += k
			f.size += int64(k)
			if i >= 0 {
				f.state, ended = stStart, true
			}
		default:
			var emit []byte
			emit, ended, err = f.step(src[m], unauthed)
			m++
			if err != nil {
				return n, m, err
			}
			k := copy(dst[n:], emit)
			n += k
			if k < len(emit) {
				f.out = append(f.outBuf[:0], emit[k:]...)
				return n, m, nil
			}
		}
		if f.size > f.queryBufferLimit {
			return n, m, errQueryBufferLimit
		}
		if ended && unauthed {
			return n, m, nil
		}
	}
	return n, m, nil
}

// step reads one byte outside bulk data and inline text, and returns the
// bytes to pass on and whether a command ended.
func (f *framer) step(b byte, unauthed bool) (emit []byte, ended bool, err error) {
	f.size++
	switch f.state {
	case stStart:
		f.size, f.line = 1, 0
		if b == '*' {
			f.state = stCountLine
			return nil, false, nil
		}
		f.state, f.line = stInline, 1
		if b == '\n' {
			f.state, ended = stStart, true
		}
		return f.emit(b), ended, nil
	case stCountLine, stBulkLine:
		if b == '\r' {
			f.state++ // to the byte after '\r'
			return nil, false, nil
		}
		if f.line < len(f.hdr) {
			f.hdr[f.line] = b
		}
		f.line++
		if f.line > maxInline {
			if f.state == stCountLine {
				return nil, false, protocolError("too big mbulk count string")
			}
			return nil, false, protocolError("too big bulk count string")
		}
		return nil, false, nil
	case stCountEnd:
		// Redis takes whatever byte follows the '\r' as the line's end.
		count, ok := f.number(0)
		switch {
		case !ok || count > math.MaxInt32 || count > maxArgs:
			return nil, false, protocolError("invalid multibulk length")
		case count <= 0:
			f.state = stStart
			return nil, true, nil // an empty request: nothing to run
		case unauthed && count > maxArgsUnauthed:
			return nil, false, protocolError("unauthenticated multibulk length")
		}
		f.args, f.state, f.line = count, stBulkLine, 0
		return f.header('*', count), false, nil
	case stBulkEnd:
		first := byte('\r')
		if f.line > 0 {
			first = f.hdr[0]
		}
		if first != '$' {
			if first == '\r' || first == '\n' {
				first = ' ' // as Redis prints it: no line breaks in errors
			}
			return nil, false, protocolError("expected '$', got '" + string(first) + "'")
		}
		size, ok := f.number(1)
		switch {
		case !ok || size < 0 || size > f.protoMaxBulkLen:
			return nil, false, protocolError("invalid bulk length")
		case unauthed && size > maxBulkUnauthed:
			return nil, false, protocolError("unauthenticated bulk length")
		}
		f.left, f.state = size, stBulkData
		if size == 0 {
			f.state = stBulkCR
		}
		return f.header('$', size), false, nil
	case stBulkCR:
		f.state = stBulkLF
		return f.emit('\r'), false, nil
	case stBulkLF:
		f.args--
		f.state, f.line = stBulkLine, 0
		if f.args == 0 {
			f.state, ended = stStart, true
		}
		return f.emit('\n'), ended, nil
	}
	panic("resp: framer in state " + strconv.Itoa(int(f.state)))
}

// number parses the current length line from offset from, strictly as
// Redis does.
func (f *framer) number(from int) (int64, bool) {
	if f.line > len(f.hdr) || from > f.line {
		return 0, false
	}
	return parseInt(f.hdr[from:f.line])
}

func (f *framer) emit(b byte) []byte {
	f.scratch[0] = b
	return f.scratch[:1]
}

func (f *framer) header(prefix byte, n int64) []byte {
	b := append(f.scratch[:0], prefix)
	b = strconv.AppendInt(b, n, 10)
	return append(b, '\r', '\n')
}

// guardListener admits clients: it refuses those over maxclients and those
// protected mode keeps out, and wraps the others in a guardConn (after TLS,
// for a TLS listener, so the framer sees plain text).
type guardListener struct {
	net.Listener
	srv *Server
	tls *tls.Config // nil for plain TCP
}

func (l *guardListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if msg := l.srv.admit(c.RemoteAddr()); msg != "" {
			l.srv.refuse(c, msg, l.tls)
			continue
		}
		g := &guardConn{Conn: c, srv: l.srv, f: newFramer(l.srv.cfg.Limits), buf: make([]byte, readSize)}
		if l.tls != nil {
			g.tls = tls.Server(c, l.tls)
			g.Conn = g.tls
		}
		return g, nil
	}
}

// admit counts a new client in, or returns the message that refuses it.
// As in Redis, maxclients is checked first.
func (s *Server) admit(peer net.Addr) string {
	for {
		n := s.conns.Load()
		if n >= s.maxClients.Load() {
			return errMaxClients
		}
		if s.protectedRefuses(peer) {
			return errDenied
		}
		if s.conns.CompareAndSwap(n, n+1) {
			return ""
		}
	}
}

// refusalTime bounds how long a refused client may take to receive why.
const refusalTime = time.Second

// refuse tells a refused client why and disconnects it. It does so in the
// background (a TLS client must first complete its handshake), for at
// most a few refusals at a time; past those, clients are just disconnected.
func (s *Server) refuse(c net.Conn, msg string, cfg *tls.Config) {
	s.stats.rejected.Add(1)
	select {
	case s.refusing <- struct{}{}:
	default:
		c.Close()
		return
	}
	go func() {
		defer func() { <-s.refusing }()
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(refusalTime))
		w := c
		if cfg != nil {
			w = tls.Server(c, cfg)
		}
		if _, err := w.Write([]byte(msg)); err != nil {
			return
		}
		// Close the sending side, then read what the client sent until it
		// closes too: closing with unread input would reset the
		// connection and could lose the message on the way.
		if cw, ok := w.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		var sink [512]byte
		for {
			if _, err := w.Read(sink[:]); err != nil {
				return
			}
		}
	}()
}

// readSize is how much a client connection reads at a time, as Redis does
// (PROTO_IOBUF_LEN); each connection holds a buffer of this size.
const readSize = 16 << 10

// handshakeTime bounds a TLS handshake, so a client cannot hold a
// connection slot without ever completing one.
const handshakeTime = 10 * time.Second

// guardConn is a client connection whose input goes through a framer, and
// whose idle time is bounded by Limits.Timeout. The RESP parser reads it.
type guardConn struct {
	net.Conn
	srv  *Server
	tls  *tls.Conn // the connection's TLS side; nil for plain TCP
	sess *session  // set when the server accepts the connection, before it reads

	handshaken bool // the TLS handshake is done (always true for plain TCP)

	f       framer
	buf     []byte // input read from the connection; buf[r:w] is not framed yet
	r, w    int
	err     error // the rule the input broke, reported by the next Read
	replied bool  // the client was told about err
	closed  sync.Once

	writeDeadline bool // a deadline bounds writes (the client has not authenticated)
	repliedToRead int  // reply bytes written since the last read from the connection
}

func (g *guardConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !g.handshaken {
		if err := g.handshake(); err != nil {
			return 0, err
		}
		g.handshaken = true
	}
	for {
		if g.err != nil {
			return 0, g.fail()
		}
		if g.r == g.w && len(g.f.out) == 0 {
			if t := time.Duration(g.srv.idleTimeout.Load()); t > 0 {
				_ = g.Conn.SetReadDeadline(time.Now().Add(t))
			}
			k, err := g.Conn.Read(g.buf)
			if k == 0 {
				if err == nil {
					continue
				}
				return 0, err
			}
			g.r, g.w = 0, k
			g.repliedToRead = 0
		}
		n, m, err := g.f.frame(p, g.buf[g.r:g.w], g.sess != nil && g.sess.authRequired())
		g.r += m
		g.err = err
		if n > 0 {
			return n, nil
		}
	}
}

// Write passes p to the connection; an empty p is not written (redcon
// flushes its buffer even when a command left nothing in it, and that would
// cost a system call per command). A client that has yet to authenticate
// and does not read its replies is disconnected, as Redis disconnects one
// whose output piles up: a write to it that the connection cannot take
// within unauthedWriteTime fails, and ends the client.
func (g *guardConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if g.sess != nil && g.sess.authRequired() {
		if g.repliedToRead += len(p); g.repliedToRead > unauthedReplyBytes {
			slog.Warn("closing client that has not authenticated: its replies outgrew 16 KiB", "addr", g.RemoteAddr().String())
			_ = g.Conn.Close()
			return 0, errUnauthedReplies
		}
		_ = g.Conn.SetWriteDeadline(time.Now().Add(unauthedWriteTime))
		g.writeDeadline = true
	} else if g.writeDeadline {
		_ = g.Conn.SetWriteDeadline(time.Time{})
		g.writeDeadline = false
	}
	return g.Conn.Write(p)
}

// unauthedReplyBytes is Redis's reply buffer (16 KiB): the most reply bytes
// a client that has not authenticated is sent for what one read of the
// connection brought. Redis closes such a client once its replies outgrow
// that buffer; so does Dynago, before the write that would pass it. The
// replies are short errors (NOAUTH, WRONGPASS): only a client that
// pipelines about 500 commands without authenticating gets there.
const unauthedReplyBytes = 16 << 10

// errUnauthedReplies ends a client that went past unauthedReplyBytes.
var errUnauthedReplies = errors.New("replies to a client that has not authenticated outgrew 16 KiB")

// unauthedWriteTime bounds a write to a client that has not authenticated.
// Its replies are short errors (NOAUTH, WRONGPASS): only a client that
// leaves a connection's buffers full of them takes longer.
const unauthedWriteTime = time.Second

func (g *guardConn) handshake() error {
	if g.tls == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTime)
	defer cancel()
	if err := g.tls.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	return nil
}

// fail answers a broken rule and returns the error that ends the client.
func (g *guardConn) fail() error {
	var pe protocolError
	if g.replied {
		return g.err
	}
	g.replied = true
	if errors.As(g.err, &pe) {
		slog.Debug("protocol error from client; closing it", "addr", g.RemoteAddr().String(), "err", pe.Error())
		g.srv.stats.errors.Add(1)
		_ = g.Conn.SetWriteDeadline(time.Now().Add(refusalTime))
		_, _ = g.Conn.Write([]byte("-ERR " + pe.Error() + "\r\n"))
	} else if errors.Is(g.err, errQueryBufferLimit) {
		slog.Warn("closing client that reached client-query-buffer-limit", "addr", g.RemoteAddr().String(),
			"limit", g.srv.cfg.Limits.QueryBufferLimit)
	}
	return g.err
}

// Close closes the connection and counts the client out.
func (g *guardConn) Close() error {
	g.closed.Do(func() { g.srv.conns.Add(-1) })
	return g.Conn.Close()
}
