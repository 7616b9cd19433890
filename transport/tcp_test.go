package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func listenTCP(t testing.TB, cfg Config, h Handler) *TCP {
	t.Helper()
	tr, err := Listen(cfg, "127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// 1000 calls in flight on one connection, answered in a shuffled order, each
// get their own reply.
func TestTCPManyCallsOneConnection(t *testing.T) {
	const calls = 1000
	var mu sync.Mutex
	var arrived, finished []int
	h := func(ctx context.Context, from string, m Method, req []byte) ([]byte, error) {
		n := int(binary.BigEndian.Uint32(req))
		mu.Lock()
		arrived = append(arrived, n)
		mu.Unlock()
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond) // the handler's "work"
		mu.Lock()
		finished = append(finished, n)
		mu.Unlock()
		return fmt.Appendf(nil, "reply to %d", n), nil
	}
	cfg := testConfig("a")
	cfg.CallTimeout = 20 * time.Second
	a := listenTCP(t, cfg, h)
	b := listenTCP(t, testConfig("b"), h)

	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := range calls {
		wg.Go(func() {
			req := binary.BigEndian.AppendUint32(nil, uint32(i))
			got, err := a.Call(context.Background(), b.Addr(), 7, req)
			if err != nil {
				errs <- err
				return
			}
			if want := fmt.Sprintf("reply to %d", i); string(got) != want {
				errs <- fmt.Errorf("call %d got %q", i, got)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	as, bs := a.Stats(), b.Stats()
	if as.Dials != 1 || bs.Accepts != 1 {
		t.Fatalf("%d dials, %d accepts; want one connection", as.Dials, bs.Accepts)
	}
	if slicesEqual(arrived, finished) {
		t.Fatal("handlers finished in arrival order; the test proves nothing")
	}
	t.Logf("client: %d frames in %d writes; server: %d frames in %d writes",
		as.FramesSent, as.Writes, bs.FramesSent, bs.Writes)
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTCPCompression(t *testing.T) {
	h := func(ctx context.Context, from string, m Method, req []byte) ([]byte, error) { return req, nil }
	a := listenTCP(t, testConfig("a"), h)
	b := listenTCP(t, testConfig("b"), h)
	echo := func(payload []byte) (sent, received uint64) {
		t.Helper()
		before := a.Stats()
		got, err := a.Call(context.Background(), b.Addr(), 1, payload)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("echo of %d bytes came back different (%d bytes)", len(payload), len(got))
		}
		after := a.Stats()
		return after.BytesSent - before.BytesSent, after.BytesReceived - before.BytesReceived
	}
	echo([]byte("warm up: dial and handshake"))

	text := bytes.Repeat([]byte("dynago keeps sibling versions of every key. "), 1<<20/44)
	sent, received := echo(text)
	t.Logf("%d-byte compressible payload: %d bytes sent, %d received", len(text), sent, received)
	if sent > uint64(len(text))/4 || received > uint64(len(text))/4 {
		t.Fatalf("compressible payload of %d bytes: %d bytes sent, %d received", len(text), sent, received)
	}

	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(rand.Uint32())
	}
	if sent, _ := echo(random); sent < uint64(len(random)) {
		t.Fatalf("incompressible payload of %d bytes sent in %d", len(random), sent)
	}

	small := text[:1000] // under CompressMinBytes: sent as is
	if sent, _ := echo(small); sent < uint64(len(small)) {
		t.Fatalf("%d-byte payload sent in %d bytes; should not be compressed", len(small), sent)
	}
}

func TestTCPProtocolVersionMismatch(t *testing.T) {
	h := newTestHandler().serve
	old := listenTCP(t, testConfig("old"), h)
	next, err := listen(testConfig("next"), "127.0.0.1:0", h, ProtocolVersion+1)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()

	for _, tc := range []struct {
		from, to *TCP
		want     string
	}{
		{old, next, fmt.Sprintf("speaks protocol version %d, this node speaks %d", ProtocolVersion+1, ProtocolVersion)},
		{next, old, fmt.Sprintf("speaks protocol version %d, this node speaks %d", ProtocolVersion, ProtocolVersion+1)},
	} {
		_, err := tc.from.Call(context.Background(), tc.to.Addr(), mEcho, nil)
		if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("got %v, want ErrHandshake saying %q", err, tc.want)
		}
	}
	if old.Stats().Accepts != 0 || next.Stats().Accepts != 0 {
		t.Fatal("a connection of another version was accepted")
	}
}

// rawPeer connects to addr and performs the handshake by hand, as the given
// cluster, so a test can then write whatever it likes.
func rawPeer(t *testing.T, addr, cluster string) (net.Conn, verdict) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	h := hello{version: ProtocolVersion, clusterID: cluster, name: "raw", listenAddr: "raw:1"}
	if _, err := nc.Write(appendHello(nil, h)); err != nil {
		t.Fatal(err)
	}
	if _, err := readHello(nc, ProtocolVersion); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(appendVerdict(nil, verdict{})); err != nil {
		t.Fatal(err)
	}
	v, err := readVerdict(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, v
}

// closedByPeer reports whether the peer closes nc (rather than leaving it
// open until the read deadline).
func closedByPeer(nc net.Conn) bool {
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, nc)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func header(k kind, flags byte, method Method, id uint64, n uint32) []byte {
	b := []byte{byte(k), flags, byte(method), 0}
	b = binary.BigEndian.AppendUint32(b, 1000)
	if k != kindRequest {
		b = binary.BigEndian.AppendUint32(b[:4], 0)
	}
	b = binary.BigEndian.AppendUint64(b, id)
	return binary.BigEndian.AppendUint32(b, n)
}

// Garbage and oversized frames close their own connection, and only it.
func TestTCPBadInput(t *testing.T) {
	a := listenTCP(t, testConfig("a"), newTestHandler().serve)
	b := listenTCP(t, testConfig("b"), newTestHandler().serve)
	echo(t, a, b.Addr(), "a", "before")

	t.Run("not a peer", func(t *testing.T) {
		nc, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.Write([]byte("*1\r\n$4\r\nPING\r\n"))
		if !closedByPeer(nc) {
			t.Fatal("a Redis client on the internode port was not disconnected")
		}
	})
	t.Run("other cluster", func(t *testing.T) {
		nc, v := rawPeer(t, b.Addr(), "elsewhere")
		if !v.refused || !strings.Contains(v.reason, `belongs to cluster "elsewhere", not "test"`) {
			t.Fatalf("verdict %+v", v)
		}
		if !closedByPeer(nc) {
			t.Fatal("refused connection left open")
		}
	})
	for name, frame := range map[string][]byte{
		"oversized":      header(kindRequest, 0, 1, 1, 1<<30),
		"unknown kind":   header(9, 0, 1, 1, 0),
		"unknown flag":   header(kindRequest, 0x80, 1, 1, 0),
		"response":       header(kindResponse, 0, 0, 1, 0),
		"bad s2":         append(header(kindRequest, flagCompressed, 1, 1, 4), 0xff, 0xff, 0xff, 0xff),
		"s2 bomb":        append(header(kindRequest, flagCompressed, 1, 1, 5), binary.AppendUvarint(nil, 1<<31)...),
		"random garbage": bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 100),
	} {
		t.Run(name, func(t *testing.T) {
			nc, v := rawPeer(t, b.Addr(), "test")
			if v.refused {
				t.Fatalf("handshake refused: %s", v.reason)
			}
			nc.Write(frame)
			if !closedByPeer(nc) {
				t.Fatal("connection left open")
			}
		})
	}
	echo(t, a, b.Addr(), "a", "after")
	if d := a.Stats().Dials; d != 1 {
		t.Fatalf("the good connection was redialed: %d dials", d)
	}

	// A well-formed raw request still works, which shows the raw peer speaks
	// the protocol and the rejections above are the frames' own doing.
	nc, _ := rawPeer(t, b.Addr(), "test")
	nc.Write(append(header(kindRequest, 0, mEcho, 42, 2), "hi"...))
	var hdr [headerLen]byte
	f, err := readFrame(nc, &hdr, 1<<20)
	if err != nil || f.kind != kindResponse || f.id != 42 || string(f.payload) != "raw|1|hi" {
		t.Fatalf("raw request: %+v, %v", f, err)
	}
}

// Close leaves no goroutine behind, whatever state the connections were in.
func TestTCPNoGoroutineLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	faults := &Faults{}
	var nodes []*TCP
	var handlers []*testHandler
	for _, name := range []string{"a", "b", "c"} {
		cfg := testConfig(name)
		cfg.Faults = faults
		cfg.ConnsPerPeer = 2
		th := newTestHandler()
		tr, err := Listen(cfg, "127.0.0.1:0", th.serve)
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, tr)
		handlers = append(handlers, th)
	}
	a, b, c := nodes[0], nodes[1], nodes[2]
	for _, from := range nodes {
		for _, to := range nodes {
			for range 4 {
				if _, err := from.Call(context.Background(), to.Addr(), mEcho, []byte("x")); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// A timed-out call, a call blocked in a handler at Close, a cut link,
	// a half-open raw connection, and a dial to nowhere.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	a.Call(ctx, b.Addr(), mBlock, nil)
	cancel()
	go a.Call(context.Background(), c.Addr(), mBlock, nil)
	wait(t, handlers[2].started, "handler start")
	faults.Cut(b.Addr(), c.Addr())
	raw, err := net.Dial("tcp", a.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	a.Call(context.Background(), "127.0.0.1:1", mEcho, nil)

	for _, n := range nodes {
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
	}
	checkNoLeaks(t, base)
}

func TestMemNoGoroutineLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	mn := NewMemNetwork()
	th := newTestHandler()
	a, err := mn.Listen(testConfig("a"), "a:1", th.serve)
	if err != nil {
		t.Fatal(err)
	}
	b, err := mn.Listen(testConfig("b"), "b:1", th.serve)
	if err != nil {
		t.Fatal(err)
	}
	echo(t, a, "b:1", "a", "x")
	go a.Call(context.Background(), "b:1", mBlock, nil)
	wait(t, th.started, "handler start")
	a.Close()
	b.Close()
	checkNoLeaks(t, base)
}

func TestMemAddressInUse(t *testing.T) {
	mn := NewMemNetwork()
	a, err := mn.Listen(testConfig("a"), "a:1", newTestHandler().serve)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := mn.Listen(testConfig("a2"), "a:1", newTestHandler().serve); err == nil {
		t.Fatal("two nodes listen at a:1")
	}
}

// The writer puts every frame already queued into one system call.
func TestWriterBatches(t *testing.T) {
	tr := listenTCP(t, testConfig("a"), newTestHandler().serve)
	local, remote := net.Pipe()
	defer remote.Close()
	c := tr.newConn(countedConn{Conn: local, s: &tr.stats}, nil, "pipe:1", "pipe", true)
	var want int
	for i := range 100 {
		b := encodeFrame(frame{kind: kindRequest, method: 1, timeout: 1, id: uint64(i), payload: []byte("x")}, 0)
		want += len(b)
		c.sendq <- b
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.writeLoop()
	}()
	got, err := io.ReadFull(remote, make([]byte, want))
	if err != nil {
		t.Fatalf("read %d of %d bytes: %v", got, want, err)
	}
	c.fail(ErrClosed)
	<-done
	if s := tr.Stats(); s.FramesSent != 100 || s.Writes != 1 {
		t.Fatalf("%d frames in %d writes, want 100 in 1", s.FramesSent, s.Writes)
	}
}

// A request of an Inline method runs on the connection's reader: it is
// answered while every handler slot of the connection is taken by a request
// that waits, which would hold up any other request.
func TestTCPInlineMethodsSkipHandlerSlots(t *testing.T) {
	const slow, quick Method = 1, 2
	release := make(chan struct{})
	started := make(chan struct{})
	h := func(ctx context.Context, from string, m Method, req []byte) ([]byte, error) {
		if m == slow {
			close(started)
			<-release
		}
		return []byte("done"), nil
	}
	cfg := testConfig("b")
	cfg.MaxHandlersPerConn = 1
	cfg.Inline = func(m Method) bool { return m == quick }
	a := listenTCP(t, testConfig("a"), h)
	b := listenTCP(t, cfg, h)
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the transports close, which waits for handlers
	slowDone := make(chan error, 1)
	go func() {
		_, err := a.Call(context.Background(), b.Addr(), slow, nil)
		slowDone <- err
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if got, err := a.Call(ctx, b.Addr(), quick, nil); err != nil || string(got) != "done" {
		t.Fatalf("inline call while the only handler slot is taken: %q, %v", got, err)
	}
	unblock()
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
}
