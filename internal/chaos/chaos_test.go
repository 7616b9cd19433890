package chaos

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestShortChaosRun is a short run of the harness against real dynago
// processes, one round of each fault kind, with the full checker. It is
// part of `make test` and is kept to about a minute and a half on a
// 2-core machine; `make chaos` runs the long version.
//
// The nodes run the default sloppy quorum, so the checker holds reads to
// the real-time sibling bound only outside the fault windows (Bound): a
// pair of writes ordered in real time but listed as siblings fails the run
// when no kill, stop or cut was active from the first one's begin to the
// second one's end plus FaultSettle.
func TestShortChaosRun(t *testing.T) {
	redis.SetLogger(quiet{}) // dial failures to killed nodes are expected
	parent := t.TempDir()
	t.Cleanup(func() {
		// Run kills what it starts; anything still running here leaked.
		for _, pid := range processesUnder(parent) {
			t.Errorf("dynago process %d outlived the run; killing it", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	goroutines := runtime.NumGoroutine()

	cfg := DefaultConfig()
	cfg.Bin = os.Getenv("DYNAGO_CHAOS_BIN") // empty: build ./cmd/dynago
	cfg.Dir = parent
	cfg.Seed = 20261123
	cfg.Nodes = 5
	cfg.Rounds = 8
	cfg.Schedule = []FaultKind{FaultKill, FaultStop, FaultCut, FaultKill2, FaultJoin, FaultRemove, FaultJoin, FaultLeave}
	cfg.Faults = AllFaults
	cfg.Hold = 2 * time.Second
	cfg.Settle = 500 * time.Millisecond
	// The rounds leave little time more than FaultSettle from every fault
	// (the join and leave rounds after the remove): the clients write on
	// for FaultSettle and three seconds more, where nothing is excused.
	cfg.Tail = FaultSettle + 3*time.Second
	cfg.SetClients, cfg.VSetClients, cfg.CounterClients, cfg.HashClients = 2, 3, 2, 2
	cfg.Keys, cfg.Counters = 4, 2
	// About 300 writes a second in all, far beyond what the checker needs
	// (acked below) and light enough to share a 2-core machine with the
	// other packages' tests.
	cfg.OpPause = 20 * time.Millisecond
	// A failed run ends sooner; a healthy one needs far less.
	cfg.HealTimeout, cfg.ConvergeTimeout = 40*time.Second, 30*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	var log bytes.Buffer
	start := time.Now()
	sum, err := Run(ctx, cfg, &log) // Run serializes its log lines
	t.Logf("run log:\n%s", log.String())
	t.Logf("summary (%v):\n%s", time.Since(start).Round(time.Second), sum)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Faults) != cfg.Rounds {
		t.Errorf("%d faults injected, want %d", len(sum.Faults), cfg.Rounds)
	}
	var acked int
	for _, tl := range sum.Writes {
		acked += tl.Acked
	}
	if acked < 500 {
		t.Errorf("only %d acknowledged writes; the run checked little", acked)
	}
	if !sum.Converged {
		t.Error("the cluster did not converge")
	}
	// kill, stop, cut, kill2 and remove open fault windows; joins and the
	// leave do not. Every window closed when the cluster was whole again.
	if b := sum.Bound; b.Strict || b.Settle != FaultSettle || len(b.Windows) != 5 {
		t.Errorf("sibling bound strict=%v settle %v with %d fault windows, want sloppy, %v, 5", b.Strict, b.Settle, len(b.Windows), FaultSettle)
	}
	for _, w := range sum.Bound.Windows {
		if w.End.IsZero() || w.End.Before(w.Start) {
			t.Errorf("fault window %s", w)
		}
	}
	if sum.Enforced < cfg.Tail-FaultSettle {
		t.Errorf("the real-time sibling bound held over %v of the run, want at least %v", sum.Enforced, cfg.Tail-FaultSettle)
	}

	// Every goroutine of the run (clients, process waiters, connection
	// pools) ends before Run returns; allow a moment for the runtime's own.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after the run, %d before:\n%s", n, goroutines, buf[:runtime.Stack(buf, true)])
	}
}

// processesUnder lists the processes whose command line mentions dir.
func processesUnder(dir string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), dir) {
			out = append(out, pid)
		}
	}
	return out
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
