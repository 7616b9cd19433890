package transport

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// The tests in this file hold for both implementations.

func TestEcho(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		a, _ := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		_, bAddr := nw.listen(t, testConfig("b"), "", newTestHandler().serve)
		echo(t, a, bAddr, "a", "hello")
		echo(t, a, bAddr, "a", "")
		got, err := a.Call(context.Background(), bAddr, mSize, []byte("0"))
		if err != nil || len(got) != 0 {
			t.Fatalf("empty reply: %q, %v", got, err)
		}
	})
}

func TestRemoteError(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		a, _ := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		_, bAddr := nw.listen(t, testConfig("b"), "", newTestHandler().serve)
		_, err := a.Call(context.Background(), bAddr, mFail, []byte("ERR no such key"))
		var re *RemoteError
		if !errors.As(err, &re) || re.Msg != "ERR no such key" {
			t.Fatalf("got %v (%T), want RemoteError ERR no such key", err, err)
		}
		if errors.Is(err, ErrUnavailable) {
			t.Fatal("a handler error is not unavailability")
		}
		echo(t, a, bAddr, "a", "still fine")
	})
}

func TestHandlerPanic(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		a, _ := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		_, bAddr := nw.listen(t, testConfig("b"), "", newTestHandler().serve)
		_, err := a.Call(context.Background(), bAddr, mPanic, []byte("at the disco"))
		var re *RemoteError
		if !errors.As(err, &re) || !strings.Contains(re.Msg, "kaboom: at the disco") {
			t.Fatalf("got %v, want a RemoteError naming the panic", err)
		}
		echo(t, a, bAddr, "a", "survived")
	})
}

func TestDeadline(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		a, _ := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		th := newTestHandler()
		_, bAddr := nw.listen(t, testConfig("b"), "", th.serve)

		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := a.Call(ctx, bAddr, mBlock, nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("call returned after %v", d)
		}
		wait(t, th.started, "handler start")
		// The caller's deadline reached the handler.
		if err := wait(t, th.ended, "handler end"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("handler context ended with %v", err)
		}
		eventually(t, 5*time.Second, "pending call slot cleaned up", func() bool { return inflight(a) == 0 })
		echo(t, a, bAddr, "a", "after timeout")
	})
}

func TestDefaultCallTimeout(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		cfg := testConfig("a")
		cfg.CallTimeout = 50 * time.Millisecond
		a, _ := nw.listen(t, cfg, "", newTestHandler().serve)
		_, bAddr := nw.listen(t, testConfig("b"), "", newTestHandler().serve)
		echo(t, a, bAddr, "a", "warm up") // the dial does not count here
		start := time.Now()
		_, err := a.Call(context.Background(), bAddr, mBlock, nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("call returned after %v", d)
		}
	})
}

func TestCanceled(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		a, _ := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		th := newTestHandler()
		_, bAddr := nw.listen(t, testConfig("b"), "", th.serve)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-th.started
			cancel()
		}()
		if _, err := a.Call(ctx, bAddr, mBlock, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want Canceled", err)
		}
		eventually(t, 5*time.Second, "pending call slot cleaned up", func() bool { return inflight(a) == 0 })
	})
}

func TestClusterMismatch(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		a, _ := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		other := testConfig("b")
		other.ClusterID = "prod"
		_, bAddr := nw.listen(t, other, "", newTestHandler().serve)
		_, err := a.Call(context.Background(), bAddr, mEcho, nil)
		if !errors.Is(err, ErrHandshake) {
			t.Fatalf("got %v, want ErrHandshake", err)
		}
		if want := `belongs to cluster "prod", not "test"`; !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %s", err, want)
		}
	})
}

func TestTooLarge(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		cfg := testConfig("a")
		cfg.MaxFrameBytes = 1000
		a, _ := nw.listen(t, cfg, "", newTestHandler().serve)
		cfg.Name = "b"
		_, bAddr := nw.listen(t, cfg, "", newTestHandler().serve)

		if _, err := a.Call(context.Background(), bAddr, mEcho, make([]byte, 1001)); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("large request: got %v, want ErrTooLarge", err)
		}
		_, err := a.Call(context.Background(), bAddr, mSize, []byte("1001"))
		var re *RemoteError
		if !errors.As(err, &re) || !strings.Contains(re.Msg, "frame limit") {
			t.Fatalf("large reply: got %v, want a RemoteError about the frame limit", err)
		}
		if got, err := a.Call(context.Background(), bAddr, mSize, []byte("1000")); err != nil || len(got) != 1000 {
			t.Fatalf("reply at the limit: %d bytes, %v", len(got), err)
		}
	})
}

func TestUnreachable(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		a, _ := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		addr := "nobody:1"
		if _, ok := nw.(tcpNetwork); ok {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr = ln.Addr().String()
			ln.Close()
		}
		for range 3 { // the second and third fail fast on the backoff
			if _, err := a.Call(context.Background(), addr, mEcho, nil); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("got %v, want ErrUnavailable", err)
			}
		}
	})
}

func TestCloseFailsPendingCalls(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		a, _ := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		th := newTestHandler()
		_, bAddr := nw.listen(t, testConfig("b"), "", th.serve)
		errc := make(chan error, 1)
		go func() {
			_, err := a.Call(context.Background(), bAddr, mBlock, nil)
			errc <- err
		}()
		wait(t, th.started, "handler start")
		a.Close()
		if err := wait(t, errc, "call end"); !errors.Is(err, ErrClosed) {
			t.Fatalf("pending call: got %v, want ErrClosed", err)
		}
		if _, err := a.Call(context.Background(), bAddr, mEcho, nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("call after Close: got %v, want ErrClosed", err)
		}
	})
}

// A peer that goes away mid-call fails the call at once, and comes back into
// use when it restarts at the same address.
func TestPeerRestart(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		a, _ := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		th := newTestHandler()
		b, bAddr := nw.listen(t, testConfig("b"), "", th.serve)
		echo(t, a, bAddr, "a", "before")

		errc := make(chan error, 1)
		go func() {
			_, err := a.Call(context.Background(), bAddr, mBlock, nil) // CallTimeout is 5s
			errc <- err
		}()
		wait(t, th.started, "handler start")
		start := time.Now()
		b.Close()
		if err := wait(t, errc, "call end"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("call to a closed peer: got %v, want ErrUnavailable", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("call failed %v after the peer closed", d)
		}
		if _, err := a.Call(context.Background(), bAddr, mEcho, nil); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("call to a stopped peer: got %v, want ErrUnavailable", err)
		}

		nw.listen(t, testConfig("b"), bAddr, newTestHandler().serve)
		eventually(t, 5*time.Second, "calls reach the restarted peer", func() bool {
			_, err := a.Call(context.Background(), bAddr, mEcho, nil)
			return err == nil
		})
		echo(t, a, bAddr, "a", "after")
	})
}

func TestFaults(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		faults := &Faults{}
		nodes := map[string]Transport{}
		addrs := map[string]string{}
		handlers := map[string]*testHandler{}
		for _, name := range []string{"a", "b", "c"} {
			cfg := testConfig(name)
			cfg.Faults = faults
			handlers[name] = newTestHandler()
			nodes[name], addrs[name] = nw.listen(t, cfg, "", handlers[name].serve)
		}
		reach := func(from, to string) error {
			_, err := nodes[from].Call(context.Background(), addrs[to], mEcho, []byte("x"))
			return err
		}
		expect := func(from, to string, ok bool) {
			t.Helper()
			err := reach(from, to)
			if ok && err != nil {
				t.Fatalf("%s -> %s: %v", from, to, err)
			}
			if !ok && !errors.Is(err, ErrUnavailable) {
				t.Fatalf("%s -> %s: got %v, want ErrUnavailable", from, to, err)
			}
		}
		for _, from := range []string{"a", "b", "c"} {
			for _, to := range []string{"a", "b", "c"} {
				expect(from, to, true)
			}
		}

		// A call in flight when its link is cut fails at once.
		errc := make(chan error, 1)
		go func() {
			_, err := nodes["a"].Call(context.Background(), addrs["b"], mBlock, nil)
			errc <- err
		}()
		wait(t, handlers["b"].started, "handler start")
		faults.Cut(addrs["a"], addrs["b"])
		if err := wait(t, errc, "cut call"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("in-flight call across a cut: got %v, want ErrUnavailable", err)
		}
		// The handler on the far side sees its context end, as when a
		// connection breaks.
		wait(t, handlers["b"].ended, "handler end")
		expect("a", "b", false)
		expect("b", "a", false)
		expect("a", "c", true)
		expect("c", "b", true)

		faults.Heal(addrs["b"], addrs["a"]) // either order names the link
		expect("a", "b", true)
		expect("b", "a", true)

		faults.Isolate(addrs["c"])
		expect("a", "c", false)
		expect("c", "b", false)
		expect("a", "b", true)

		faults.HealAll()
		for _, from := range []string{"a", "b", "c"} {
			for _, to := range []string{"a", "b", "c"} {
				expect(from, to, true)
			}
		}
	})
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig("n1", "c1").Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, change := range map[string]func(*Config){
		"no name":      func(c *Config) { c.Name = "" },
		"long name":    func(c *Config) { c.Name = strings.Repeat("n", 256) },
		"long cluster": func(c *Config) { c.ClusterID = strings.Repeat("c", 256) },
		"dial timeout": func(c *Config) { c.DialTimeout = 0 },
		"call timeout": func(c *Config) { c.CallTimeout = -1 },
		"compress":     func(c *Config) { c.CompressMinBytes = -1 },
		"frame":        func(c *Config) { c.MaxFrameBytes = 0 },
		"conns":        func(c *Config) { c.ConnsPerPeer = 0 },
		"handlers":     func(c *Config) { c.MaxHandlersPerConn = 0 },
		"queue":        func(c *Config) { c.SendQueueLen = 0 },
		"backoff":      func(c *Config) { c.RedialBackoff = 0 },
		"backoff cap":  func(c *Config) { c.MaxRedialBackoff = c.RedialBackoff / 2 },
		"logger":       func(c *Config) { c.Logger = nil },
	} {
		cfg := DefaultConfig("n1", "c1")
		change(&cfg)
		if cfg.Validate() == nil {
			t.Errorf("%s: Validate accepted %+v", name, cfg)
		}
	}
}
