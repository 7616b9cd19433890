package transport

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func benchPair(b *testing.B, nw network, conns int) (Transport, string) {
	h := func(ctx context.Context, from string, m Method, req []byte) ([]byte, error) { return req, nil }
	cfg := testConfig("a")
	cfg.ConnsPerPeer = conns
	a, _ := nw.listen(b, cfg, "", h)
	_, addr := nw.listen(b, testConfig("b"), "", h)
	if _, err := a.Call(context.Background(), addr, 1, nil); err != nil {
		b.Fatal(err)
	}
	return a, addr
}

// BenchmarkRoundTrip is the latency of one call at a time.
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []int{64, 16 << 10} {
		for _, nw := range []struct {
			name string
			nw   network
		}{{"tcp", tcpNetwork{}}, {"mem", &memNetwork{n: NewMemNetwork()}}} {
			b.Run(fmt.Sprintf("%s/%dB", nw.name, size), func(b *testing.B) {
				a, addr := benchPair(b, nw.nw, 1)
				req := make([]byte, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := a.Call(context.Background(), addr, 1, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkThroughput keeps 64 calls in flight from one node to another.
func BenchmarkThroughput(b *testing.B) {
	const inFlight = 64
	for _, tc := range []struct {
		size, conns int
	}{{64, 1}, {64, 4}, {1 << 10, 1}} {
		b.Run(fmt.Sprintf("tcp/%dB/conns=%d", tc.size, tc.conns), func(b *testing.B) {
			a, addr := benchPair(b, tcpNetwork{}, tc.conns)
			req := make([]byte, tc.size)
			b.SetBytes(int64(tc.size))
			b.ReportAllocs()
			b.ResetTimer()
			var next atomic.Int64
			var wg sync.WaitGroup
			for range inFlight {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						if _, err := a.Call(context.Background(), addr, 1, req); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}
