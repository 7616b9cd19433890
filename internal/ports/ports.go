// Package ports hands out loopback ports for the servers that tests,
// benchmarks and the chaos harness start. Ports are drawn below the
// kernel's ephemeral range: a port picked from that range and released
// before the server binds it can be taken meanwhile by any outgoing
// connection on the machine (a client of another test, say), and the server
// then fails with "address already in use".
package ports

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// lowest is the lowest port handed out: well above the well-known ports and
// the usual fixed ports of local services.
const lowest = 10000

// Allocator hands out distinct free loopback ports. A server may listen on
// more than one port at fixed offsets from its main port (Dynago: gossip at
// +10000 and internode traffic at +20000), so a main port is handed out only
// if the port at every offset is free for TCP and UDP and below the
// ephemeral range. It is safe for concurrent use.
type Allocator struct {
	mu    sync.Mutex
	given map[int]bool // ports handed out, offsets included; guarded by mu
	rng   *rand.Rand   // guarded by mu
	low   int          // lowest port handed out
	high  int          // first port never handed out (the ephemeral range's first)
}

// New returns an allocator whose random draws start from seed (and the
// process id, so that concurrent processes with the same seed draw apart).
func New(seed uint64) *Allocator {
	return &Allocator{
		given: map[int]bool{},
		rng:   rand.New(rand.NewPCG(seed, uint64(os.Getpid()))),
		low:   lowest,
		high:  EphemeralLow(),
	}
}

// shared is the allocator every test server of a process draws from.
var shared = sync.OnceValue(func() *Allocator { return New(uint64(time.Now().UnixNano())) })

// Shared returns the process's one allocator for the servers its tests
// start: allocators of their own in one process could hand out the same
// free port twice.
func Shared() *Allocator { return shared() }

// EphemeralLow is the first port of the kernel's ephemeral range (32768 when
// it cannot be read).
func EphemeralLow() int {
	const fallback = 32768
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return fallback
	}
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return fallback
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= lowest+1000 {
		return fallback
	}
	return n
}

// Range returns the main ports [lo, hi) that keep every offset inside
// [low, high).
func Range(low, high int, offsets []int) (lo, hi int) {
	maxOff := 0
	for _, o := range offsets {
		maxOff = max(maxOff, o)
	}
	return low, high - maxOff
}

// Pick returns a main port p such that p+o is free, and was not handed out
// before, for every o in offsets (just p when there are none).
func (a *Allocator) Pick(offsets ...int) (int, error) {
	if len(offsets) == 0 {
		offsets = []int{0}
	}
	lo, hi := Range(a.low, a.high, offsets)
	if hi <= lo {
		return 0, fmt.Errorf("ports: no port range fits offsets %v below %d", offsets, a.high)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for range 500 {
		p := lo + a.rng.IntN(hi-lo)
		if a.givenLocked(p, offsets) || !Free(p, offsets...) {
			continue
		}
		for _, o := range offsets {
			a.given[p+o] = true
		}
		return p, nil
	}
	return 0, fmt.Errorf("ports: no free loopback port in [%d, %d) with offsets %v", lo, hi, offsets)
}

func (a *Allocator) givenLocked(p int, offsets []int) bool {
	for _, o := range offsets {
		if a.given[p+o] {
			return true
		}
	}
	return false
}

// Free reports whether p+o can be bound on 127.0.0.1 for TCP and UDP for
// every offset o (just p when there are none). The probes are closed before
// it returns.
func Free(p int, offsets ...int) bool {
	if len(offsets) == 0 {
		offsets = []int{0}
	}
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
	}()
	for _, o := range offsets {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p+o))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		closers = append(closers, l.Close)
		u, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		closers = append(closers, u.Close)
	}
	return true
}
