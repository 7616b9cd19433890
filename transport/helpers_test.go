package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// testConfig is a node's configuration in tests: quiet, with timeouts that
// leave room for the race detector but end a hung test quickly.
func testConfig(name string) Config {
	cfg := DefaultConfig(name, "test")
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.DialTimeout = 2 * time.Second
	cfg.CallTimeout = 5 * time.Second
	cfg.RedialBackoff = 5 * time.Millisecond
	cfg.MaxRedialBackoff = 50 * time.Millisecond
	return cfg
}

// network starts nodes on one implementation, so that each semantic test
// runs against TCP and its in-memory twin alike.
type network interface {
	// listen starts a node at addr ("" picks one) and returns its address.
	listen(t testing.TB, cfg Config, addr string, h Handler) (Transport, string)
}

type tcpNetwork struct{}

func (tcpNetwork) listen(t testing.TB, cfg Config, addr string, h Handler) (Transport, string) {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	tr, err := Listen(cfg, addr, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, tr.Addr()
}

type memNetwork struct {
	n    *MemNetwork
	next int
}

func (m *memNetwork) listen(t testing.TB, cfg Config, addr string, h Handler) (Transport, string) {
	t.Helper()
	if addr == "" {
		m.next++
		addr = fmt.Sprintf("mem-%d:1", m.next)
	}
	tr, err := m.n.Listen(cfg, addr, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, addr
}

// bothNetworks runs f once on TCP and once in memory.
func bothNetworks(t *testing.T, f func(t *testing.T, nw network)) {
	t.Run("tcp", func(t *testing.T) { f(t, tcpNetwork{}) })
	t.Run("mem", func(t *testing.T) { f(t, &memNetwork{n: NewMemNetwork()}) })
}

// inflight is the number of calls a transport has in flight.
func inflight(tr Transport) int {
	switch tr := tr.(type) {
	case *TCP:
		return tr.pendingCalls()
	case *memNode:
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return len(tr.calls)
	}
	panic("unknown transport")
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Methods of the test handler.
const (
	mEcho  Method = 1 // replies "from|method|payload"
	mBlock Method = 2 // signals started, then waits for its context to end
	mFail  Method = 3 // returns an error with the payload as message
	mPanic Method = 4 // panics
	mSize  Method = 5 // replies with as many bytes as the payload's decimal number
)

// testHandler serves the methods above. started, if set, receives a value
// when an mBlock handler starts; ended when it returns.
type testHandler struct {
	started chan struct{}
	ended   chan error
}

func (th *testHandler) serve(ctx context.Context, from string, m Method, req []byte) ([]byte, error) {
	switch m {
	case mEcho:
		return fmt.Appendf(nil, "%s|%d|%s", from, m, req), nil
	case mBlock:
		if _, ok := ctx.Deadline(); !ok {
			return nil, errors.New("handler context has no deadline")
		}
		if th.started != nil {
			th.started <- struct{}{}
		}
		<-ctx.Done()
		if th.ended != nil {
			th.ended <- ctx.Err()
		}
		return nil, ctx.Err()
	case mFail:
		return nil, errors.New(string(req))
	case mPanic:
		panic("kaboom: " + string(req))
	case mSize:
		var n int
		fmt.Sscan(string(req), &n)
		return bytes.Repeat([]byte{'x'}, n), nil
	}
	return nil, fmt.Errorf("unknown method %d", m)
}

func newTestHandler() *testHandler {
	return &testHandler{started: make(chan struct{}, 100), ended: make(chan error, 100)}
}

// wait receives from ch or fails the test after a generous deadline.
func wait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// echo calls mEcho and checks the reply.
func echo(t testing.TB, tr Transport, addr, from, msg string) {
	t.Helper()
	got, err := tr.Call(context.Background(), addr, mEcho, []byte(msg))
	if err != nil {
		t.Fatalf("call %s: %v", addr, err)
	}
	if want := fmt.Sprintf("%s|%d|%s", from, mEcho, msg); string(got) != want {
		t.Fatalf("call %s: got %q, want %q", addr, got, want)
	}
}

// checkNoLeaks waits until at most base goroutines run.
func checkNoLeaks(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			var sb strings.Builder
			pprof.Lookup("goroutine").WriteTo(&sb, 1)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), base, sb.String())
		}
		time.Sleep(time.Millisecond)
	}
}
