package resp_test

// Tests of the client limits over real TCP: maxclients, the idle timeout,
// and clients that send garbage or requests that never end, which must be
// cut off while other clients go on unharmed.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
	"github.com/dynago/dynago/resp"
)

func withLimits(l resp.Limits) testserver.Option {
	return func(cfg *node.Config) { cfg.Limits = l }
}

func TestMaxClients(t *testing.T) {
	s := testserver.Start(t, withLimits(resp.Limits{MaxClients: 3}))
	var held []*rawConn
	for i := 0; i < 3; i++ {
		c := dialRaw(t, s.Addr())
		c.exchange("PING\r\n", "+PONG\r\n")
		held = append(held, c)
	}
	extra := dialRaw(t, s.Addr())
	extra.exchange("", "-ERR max number of clients reached\r\n")
	extra.closed()

	// A slot frees once a client leaves.
	held[0].nc.Close()
	eventually(t, 10*time.Second, "a slot to free up", func() bool {
		c := dialRaw(t, s.Addr())
		_ = c.nc.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.nc.Write([]byte("PING\r\n")); err != nil {
			return false
		}
		line, _ := c.r.ReadString('\n')
		if line == "+PONG\r\n" {
			held[0] = c
			return true
		}
		return false
	})
	held[1].exchange("CONFIG GET maxclients\r\n", "*2\r\n$10\r\nmaxclients\r\n$1\r\n3\r\n")
	held[1].exchange("INFO stats\r\n", "$")
	if info := readBulkRest(t, held[1]); !strings.Contains(info, "\r\nrejected_connections:") || strings.Contains(info, "rejected_connections:0\r\n") {
		t.Errorf("INFO stats %q, want rejected_connections counting the refusals", info)
	}
}

// readBulkRest reads a bulk string reply whose "$" was read already.
func readBulkRest(t *testing.T, c *rawConn) string {
	t.Helper()
	header, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSuffix(header, "\r\n"))
	if err != nil {
		t.Fatalf("bulk header %q: %v", header, err)
	}
	body := make([]byte, n+2)
	if _, err := io.ReadFull(c.r, body); err != nil {
		t.Fatal(err)
	}
	return string(body[:n])
}

func TestIdleTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	s := testserver.Start(t, withLimits(resp.Limits{Timeout: timeout}))

	idle := dialRaw(t, s.Addr())
	partial := dialRaw(t, s.Addr())
	partial.exchange("*2\r\n$3\r\nGET", "") // a request that never ends
	busy := dialRaw(t, s.Addr())
	start := time.Now()
	// The busy client keeps talking for several timeouts and keeps its
	// connection.
	for time.Since(start) < 4*timeout {
		busy.exchange("PING\r\n", "+PONG\r\n")
		time.Sleep(timeout / 4)
	}
	idle.closed()
	partial.closed()
	if elapsed := time.Since(start); elapsed > 8*time.Second {
		t.Errorf("idle clients closed after %v, want about %v", elapsed, timeout)
	}
	busy.exchange("PING\r\n", "+PONG\r\n")
}

// abuse writes what next returns on a new connection until the server cuts
// it off (a write fails) or limit bytes have gone; it returns the bytes
// written and whether the server cut the connection.
func abuse(addr string, limit int, next func() []byte) (int, bool) {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return 0, false
	}
	defer nc.Close()
	total := 0
	for total < limit {
		_ = nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		n, err := nc.Write(next())
		total += n
		if err != nil {
			var ne net.Error
			return total, !(errors.As(err, &ne) && ne.Timeout())
		}
	}
	return total, false
}

func TestMisbehavingClientsAreCutOff(t *testing.T) {
	lim := resp.Limits{ProtoMaxBulkLen: 1 << 20, QueryBufferLimit: 4 << 20}
	s := testserver.Start(t, withLimits(lim))
	good := conn(t, s)
	expect(t, good, "OK", "SET", "k", "0")

	runtime.GC()
	baseGoroutines := runtime.NumGoroutine()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	// An honest client works throughout.
	stop := make(chan struct{})
	var served atomic.Int64
	honest := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				honest <- nil
				return
			default:
			}
			v := fmt.Sprint(i)
			if err := good.Set(bg, "k", v, 0).Err(); err != nil {
				honest <- err
				return
			}
			if got, err := good.Get(bg, "k").Result(); err != nil || got != v {
				honest <- fmt.Errorf("GET k: %q, %v; want %q", got, err, v)
				return
			}
			served.Add(1)
		}
	}()
	// The heap stays bounded while the abusers push.
	var peak atomic.Uint64
	sampling := make(chan struct{})
	go func() {
		defer close(sampling)
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	const sendCap = 256 << 20 // an abuser that is never cut off stops here
	chunk := func(prefix []byte, body []byte) func() []byte {
		first := true
		return func() []byte {
			if first {
				first = false
				return append(append([]byte(nil), prefix...), body...)
			}
			return body
		}
	}
	mib := bytes.Repeat([]byte("x"), 1<<20)
	oneArg := append(append([]byte("$1048576\r\n"), mib...), "\r\n"...)
	rng := rand.New(rand.NewPCG(1, 2))
	abusers := []struct {
		name string
		next func() []byte
	}{
		{"endless inline line", chunk(nil, bytes.Repeat([]byte("a"), 64<<10))},
		{"endless count line", chunk([]byte("*"), bytes.Repeat([]byte("9"), 64<<10))},
		{"endless bulk length", chunk([]byte("*1\r\n$"), bytes.Repeat([]byte("1"), 64<<10))},
		{"bulk over proto-max-bulk-len", chunk([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n"), mib)},
		{"endless arguments", chunk([]byte("*1000000\r\n$3\r\nSET\r\n"), oneArg)},
		{"binary garbage", func() []byte {
			b := make([]byte, 64<<10)
			for i := range b {
				b[i] = byte(rng.UintN(256))
			}
			b[0] = '*'
			return b
		}},
	}
	var wg sync.WaitGroup
	results := make([]struct {
		sent int
		cut  bool
	}, len(abusers))
	for i, a := range abusers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i].sent, results[i].cut = abuse(s.Addr(), sendCap, a.next)
		}()
	}
	wg.Wait()
	close(stop)
	<-sampling
	if err := <-honest; err != nil {
		t.Fatalf("the honest client failed while others misbehaved: %v", err)
	}
	if served.Load() == 0 {
		t.Fatal("the honest client got nothing done")
	}
	t.Logf("the honest client did %d SET+GET pairs meanwhile", served.Load())
	for i, a := range abusers {
		t.Logf("%s: sent %d bytes before being cut off", a.name, results[i].sent)
		// The node read at most its limit plus what the sockets buffer.
		if !results[i].cut || results[i].sent > 48<<20 {
			t.Errorf("%s: sent %d bytes, cut off: %v; want it cut off within the limits", a.name, results[i].sent, results[i].cut)
		}
	}
	if grew := int64(peak.Load()) - int64(base.HeapAlloc); grew > 128<<20 {
		t.Errorf("heap grew by %d MiB while clients misbehaved", grew>>20)
	}
	// Every goroutine the abusers cost is gone.
	eventually(t, 10*time.Second, "goroutines back to where they were", func() bool {
		return runtime.NumGoroutine() <= baseGoroutines+2
	})
	expect(t, good, "PONG", "PING")
}
