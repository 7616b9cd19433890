package resp

// Unit tests of the pieces that keep strangers and misbehaving clients out:
// the request framer (pure logic, fed in every chunking), the password
// check, and protected mode decided on the peer's address.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/redcon"
)

// testLimits are small limits so that tests reach them cheaply.
var testLimits = Limits{ProtoMaxBulkLen: 1 << 20, QueryBufferLimit: 4 << 20}

// runFramer frames in, handing the framer at most chunk input bytes and a
// dst buffer of dstSize bytes at a time, as a connection read in pieces
// would, and returns everything it passed on.
func runFramer(t testing.TB, l Limits, in []byte, chunk, dstSize int, unauthed bool) ([]byte, error) {
	t.Helper()
	f := newFramer(l)
	var out []byte
	dst := make([]byte, dstSize)
	for len(in) > 0 || len(f.out) > 0 {
		n, m, err := f.frame(dst, in[:min(chunk, len(in))], unauthed)
		out = append(out, dst[:n]...)
		in = in[m:]
		if err != nil {
			return out, err
		}
		if n == 0 && m == 0 {
			t.Fatalf("framer made no progress with %d bytes left", len(in))
		}
	}
	return out, nil
}

// chunkings are the ways a test hands input to the framer: whole, byte by
// byte, and in odd pieces into small and large buffers.
var chunkings = []struct{ chunk, dst int }{{1 << 30, 1 << 20}, {1, 1 << 20}, {1 << 30, 1}, {7, 5}, {4096, 4096}}

func TestFramer(t *testing.T) {
	big := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name     string
		in, want string
		unauthed bool
		err      string // the protocol error, or "query" for the query buffer limit
	}{
		{name: "inline", in: "PING\r\nGET k\n", want: "PING\r\nGET k\n"},
		{name: "multibulk", in: "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", want: "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"},
		{name: "binary bulk", in: "*1\r\n$4\r\na\r\nb\r\n", want: "*1\r\n$4\r\na\r\nb\r\n"},
		{name: "empty bulk", in: "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", want: "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"},
		{name: "empty requests dropped", in: "*0\r\n*-1\r\n*-100\r\n*1\r\n$4\r\nPING\r\n", want: "*1\r\n$4\r\nPING\r\n"},
		{name: "bytes after bulk skipped", in: "*1\r\n$3\r\nabcd\r\n", want: "*1\r\n$3\r\nabc\r\n\n"},
		{name: "incomplete", in: "*3\r\n$3\r\nSET\r\n$1\r\nk", want: "*3\r\n$3\r\nSET\r\n$1\r\nk"},
		{name: "count without CR waits", in: "*1\n", want: ""},
		{name: "bad count", in: "*x\r\n", err: "invalid multibulk length"},
		{name: "count leading zero", in: "*01\r\n", err: "invalid multibulk length"},
		{name: "count plus", in: "*+1\r\n", err: "invalid multibulk length"},
		{name: "count over int32", in: "*2147483648\r\n", err: "invalid multibulk length"},
		{name: "count over maxArgs", in: "*1048577\r\n", err: "invalid multibulk length"},
		{name: "count at maxArgs", in: "*1048576\r\n", want: "*1048576\r\n"},
		{name: "count line too long", in: "*" + strings.Repeat("1", maxInline+1), err: "too big mbulk count string"},
		{name: "no dollar", in: "*1\r\nx\r\n", err: "expected '$', got 'x'"},
		{name: "no dollar, empty line", in: "*1\r\n\r\n", err: "expected '$', got ' '"},
		{name: "negative bulk", in: "*1\r\n$-1\r\n", want: "*1\r\n", err: "invalid bulk length"},
		{name: "bulk over limit", in: "*1\r\n$1048577\r\n", want: "*1\r\n", err: "invalid bulk length"},
		{name: "bulk at limit", in: "*1\r\n$1048576\r\n", want: "*1\r\n$1048576\r\n"},
		{name: "bulk overflowing int64", in: "*1\r\n$9223372036854775807\r\n", want: "*1\r\n", err: "invalid bulk length"},
		{name: "bulk length with LF inside", in: "*1\r\n$3\nabc\r\n", want: "*1\r\n", err: "invalid bulk length"},
		{name: "bulk line too long", in: "*1\r\n$" + strings.Repeat("1", maxInline+1), want: "*1\r\n", err: "too big bulk count string"},
		{name: "inline at limit", in: big(maxInline) + "\n", want: big(maxInline) + "\n"},
		{name: "inline too long", in: big(maxInline + 1), err: "too big inline request"},
		{name: "inline too long with newline", in: big(maxInline+1) + "\n", err: "too big inline request"},
		{name: "unauthed: 10 arguments", in: "*10\r\n", want: "*10\r\n", unauthed: true},
		{name: "unauthed: 11 arguments", in: "*11\r\n", unauthed: true, err: "unauthenticated multibulk length"},
		{name: "unauthed: 16 KiB bulk", in: "*1\r\n$16384\r\n", want: "*1\r\n$16384\r\n", unauthed: true},
		{name: "unauthed: bulk over 16 KiB", in: "*1\r\n$16385\r\n", want: "*1\r\n", unauthed: true, err: "unauthenticated bulk length"},
		{name: "query buffer limit", in: "*5\r\n" + strings.Repeat("$1000\r\n"+big(1000)+"\r\n", 4) + "$1\r\n", err: "query"},
	}
	small := Limits{ProtoMaxBulkLen: 1000, QueryBufferLimit: 4000}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, ch := range chunkings {
				lim := testLimits
				if tc.err == "query" {
					lim = small
				}
				out, err := runFramer(t, lim, []byte(tc.in), ch.chunk, ch.dst, tc.unauthed)
				switch {
				case tc.err == "query":
					if !errors.Is(err, errQueryBufferLimit) {
						t.Fatalf("chunk %d, dst %d: err %v, want the query buffer limit", ch.chunk, ch.dst, err)
					}
					continue
				case tc.err == "" && err != nil:
					t.Fatalf("chunk %d, dst %d: unexpected error %v", ch.chunk, ch.dst, err)
				case tc.err != "" && (err == nil || err.Error() != "Protocol error: "+tc.err):
					t.Fatalf("chunk %d, dst %d: err %v, want Protocol error: %s", ch.chunk, ch.dst, err, tc.err)
				}
				// Before an error, what was passed on may end in part of the
				// broken line; it never holds a command the input did not.
				if (err == nil && string(out) != tc.want) || (err != nil && !strings.HasPrefix(string(out), tc.want)) {
					t.Fatalf("chunk %d, dst %d: passed on %.80q, want %.80q", ch.chunk, ch.dst, out, tc.want)
				}
			}
		})
	}
}

// Before authentication the framer hands over one command at a time, so
// that AUTH runs before the limits for strangers judge the next command.
func TestFramerOneCommandBeforeAuth(t *testing.T) {
	in := []byte("AUTH pw\r\n*1\r\n$4\r\nPING\r\n*20\r\n")
	f := newFramer(testLimits)
	dst := make([]byte, 256)
	n, m, err := f.frame(dst, in, true)
	if err != nil || string(dst[:n]) != "AUTH pw\r\n" {
		t.Fatalf("unauthenticated: passed on %q, %v; want only the AUTH line", dst[:n], err)
	}
	in = in[m:]
	n, m, err = f.frame(dst, in, true)
	if err != nil || string(dst[:n]) != "*1\r\n$4\r\nPING\r\n" {
		t.Fatalf("unauthenticated: passed on %q, %v; want only PING", dst[:n], err)
	}
	in = in[m:]
	// Authenticated by now: twenty arguments are fine.
	n, _, err = f.frame(dst, in, false)
	if err != nil || string(dst[:n]) != "*20\r\n" {
		t.Fatalf("authenticated: passed on %q, %v", dst[:n], err)
	}
}

func FuzzFramer(f *testing.F) {
	for _, s := range []string{
		"PING\r\n", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "*0\r\n*1\r\n$4\r\nPING\r\n", "*1\r\n$3\r\nabcd\r\n",
		"*1\r\n$-1\r\n", "*1\r\nx\r\n", "*x\r\n", "set a \"b\r\n", "*1\r\n$9223372036854775807\r\n", "\r\n\n",
	} {
		f.Add([]byte(s), uint8(3), false)
	}
	lim := Limits{ProtoMaxBulkLen: 1 << 20, QueryBufferLimit: 1 << 20}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8, unauthed bool) {
		whole, werr := runFramer(t, lim, in, len(in)+1, len(in)+64, unauthed)
		pieces, perr := runFramer(t, lim, in, int(chunk)%16+1, int(chunk)%13+1, unauthed)
		// The chunking changes nothing but how much of a broken line was
		// passed on before the error.
		if (werr == nil) != (perr == nil) || (werr != nil && werr.Error() != perr.Error()) {
			t.Fatalf("whole: %v; in pieces: %v", werr, perr)
		}
		if werr == nil && !bytes.Equal(whole, pieces) {
			t.Fatalf("whole passed on %q, in pieces %q", whole, pieces)
		}
		if werr != nil && !bytes.HasPrefix(whole, pieces) && !bytes.HasPrefix(pieces, whole) {
			t.Fatalf("whole passed on %q, in pieces %q", whole, pieces)
		}
		// What the framer passes on never trips the RESP parser behind it,
		// except on inline quoting, which it leaves to that parser.
		rd := redcon.NewReader(bytes.NewReader(whole))
		for {
			_, err := rd.ReadCommands()
			if err == io.EOF {
				break
			}
			if err != nil {
				if strings.Contains(err.Error(), "unbalanced quotes") {
					break
				}
				t.Fatalf("RESP parser: %v on %q", err, whole)
			}
		}
	})
}

func TestPassword(t *testing.T) {
	if newPassword("") != nil {
		t.Fatal("an empty requirepass must mean no password")
	}
	p := newPassword("s3cret")
	for guess, want := range map[string]bool{"s3cret": true, "s3cre": false, "s3cret!": false, "S3CRET": false, "": false} {
		if p.matches([]byte(guess)) != want {
			t.Errorf("matches(%q) = %v, want %v", guess, !want, want)
		}
	}
}

func TestProtectedModeDecision(t *testing.T) {
	tcp := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000} }
	cases := []struct {
		name         string
		sec          Security
		bindLoopback bool
		peer         net.Addr
		refused      bool
	}{
		{"remote client, open bind, no password", Security{}, false, tcp("192.0.2.7"), true},
		{"IPv6 remote client", Security{}, false, tcp("2001:db8::7"), true},
		{"loopback client", Security{}, false, tcp("127.0.0.1"), false},
		{"other loopback address", Security{}, false, tcp("127.3.2.1"), false},
		{"IPv6 loopback client", Security{}, false, tcp("::1"), false},
		{"IPv4-mapped loopback client", Security{}, false, tcp("::ffff:127.0.0.1"), false},
		{"bound to loopback", Security{}, true, tcp("192.0.2.7"), false},
		{"password set", Security{RequirePass: "pw"}, false, tcp("192.0.2.7"), false},
		{"protected mode off", Security{NoProtectedMode: true}, false, tcp("192.0.2.7"), false},
		{"unix socket", Security{}, false, &net.UnixAddr{Name: "/tmp/x", Net: "unix"}, false},
	}
	for _, tc := range cases {
		s := New(Config{Security: tc.sec}, nil)
		s.bindLoopback = tc.bindLoopback
		if got := s.protectedRefuses(tc.peer); got != tc.refused {
			t.Errorf("%s: refused = %v, want %v", tc.name, got, tc.refused)
		}
	}
}

// fakePeerListener hands out real connections that claim to come from peer.
type fakePeerListener struct {
	net.Listener
	peer net.Addr
}

func (l fakePeerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return fakePeerConn{c, l.peer}, nil
}

type fakePeerConn struct {
	net.Conn
	peer net.Addr
}

func (c fakePeerConn) RemoteAddr() net.Addr { return c.peer }

func (c fakePeerConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

// startFakePeerServer serves RESP on loopback as if bound to a public
// address, every client appearing to come from peer. It needs no
// coordinator: the tests send only connection commands.
func startFakePeerServer(t *testing.T, sec Security, peer string) string {
	t.Helper()
	s := New(Config{Addr: "127.0.0.1:0", Security: sec}, nil)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	s.bindLoopback = false
	s.ln = fakePeerListener{s.ln, &net.TCPAddr{IP: net.ParseIP(peer), Port: 50000}}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		_ = s.Shutdown(t.Context())
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return s.ln.Addr().String()
}

// talk sends a request and reads one reply line.
func talk(t *testing.T, addr, req string) (string, *bufio.Reader, net.Conn) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(nc)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("%q: %v (read %q)", req, err, line)
	}
	return line, r, nc
}

func TestProtectedModeRefusesRemoteClients(t *testing.T) {
	t.Run("remote client refused", func(t *testing.T) {
		addr := startFakePeerServer(t, Security{}, "198.51.100.7")
		line, r, _ := talk(t, addr, "PING\r\n")
		if line != errDenied {
			t.Fatalf("got %q, want the protected-mode refusal", line)
		}
		if _, err := r.ReadByte(); err != io.EOF {
			t.Fatalf("after the refusal: %v, want the connection closed", err)
		}
	})
	t.Run("loopback client served", func(t *testing.T) {
		addr := startFakePeerServer(t, Security{}, "127.0.0.1")
		if line, _, _ := talk(t, addr, "PING\r\n"); line != "+PONG\r\n" {
			t.Fatalf("got %q", line)
		}
	})
	t.Run("password set: remote client must authenticate", func(t *testing.T) {
		addr := startFakePeerServer(t, Security{RequirePass: "pw"}, "198.51.100.7")
		line, r, nc := talk(t, addr, "PING\r\n")
		if line != "-"+errNoAuth+"\r\n" {
			t.Fatalf("got %q", line)
		}
		if _, err := io.WriteString(nc, "AUTH pw\r\nPING\r\n"); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"+OK\r\n", "+PONG\r\n"} {
			if got, err := r.ReadString('\n'); got != want {
				t.Fatalf("got %q, %v; want %q", got, err, want)
			}
		}
	})
	t.Run("protected mode off", func(t *testing.T) {
		addr := startFakePeerServer(t, Security{NoProtectedMode: true}, "198.51.100.7")
		if line, _, _ := talk(t, addr, "PING\r\n"); line != "+PONG\r\n" {
			t.Fatalf("got %q", line)
		}
	})
}
