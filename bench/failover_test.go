package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const sec = time.Second

func msd(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// testMarks: kill at 5s, restart at 15s, back at 16s, end at 21s.
var testMarks = failoverMarks{Kill: 5 * sec, Restart: 15 * sec, Rejoin: 16 * sec, End: 21 * sec}

func TestInFlightToKilled(t *testing.T) {
	killed := map[int]bool{2: true}
	tests := []struct {
		name string
		s    writeSample
		want bool
	}{
		{"to killed node, across the kill", writeSample{Start: 4900 * time.Millisecond, Latency: msd(200), Node: 2}, true},
		{"to killed node, finished before the kill", writeSample{Start: 4 * sec, Latency: msd(10), Node: 2}, false},
		{"to killed node, finished exactly at the kill", writeSample{Start: 4 * sec, Latency: sec, Node: 2}, true},
		{"to killed node, sent after the kill (stale route)", writeSample{Start: 5001 * time.Millisecond, Latency: msd(1), Node: 2}, true},
		{"to killed node, sent after it was back", writeSample{Start: 16 * sec, Latency: msd(1), Node: 2}, false},
		{"to a survivor, across the kill", writeSample{Start: 4900 * time.Millisecond, Latency: msd(200), Node: 1}, false},
	}
	for _, tt := range tests {
		if got := inFlightToKilled(tt.s, testMarks, killed); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAvailabilityWindows(t *testing.T) {
	killed := map[int]bool{2: true}
	var samples []writeSample
	// Before the kill: 100 successes of 1..100 ms on nodes 0-2.
	for i := range 100 {
		samples = append(samples, writeSample{Start: time.Duration(i) * 40 * time.Millisecond, Latency: msd(i + 1), Node: i % 3})
	}
	// Two requests in flight to node 2 at the kill, failing.
	samples = append(samples,
		writeSample{Start: 4990 * time.Millisecond, Latency: msd(20), Node: 2, Kind: "EOF"},
		writeSample{Start: 4995 * time.Millisecond, Latency: msd(20), Node: 2, Kind: "EOF"})
	// After the kill: 200 requests, 3 of them NOQUORUM on survivors.
	for i := range 200 {
		s := writeSample{Start: 5*sec + time.Duration(i)*50*time.Millisecond, Latency: msd(2), Node: i % 2}
		if i < 3 {
			s.Kind, s.Latency = "NOQUORUM", msd(500)
		}
		samples = append(samples, s)
	}
	// Restarting: 10 successes. After: 50, one timeout on the restarted node.
	for i := range 10 {
		samples = append(samples, writeSample{Start: 15*sec + time.Duration(i)*90*time.Millisecond, Latency: msd(3), Node: i % 2})
	}
	for i := range 50 {
		s := writeSample{Start: 16*sec + time.Duration(i)*90*time.Millisecond, Latency: msd(4), Node: i % 3}
		if i == 2 {
			s.Kind, s.Latency = "timeout", 2*sec
		}
		samples = append(samples, s)
	}
	slices.Reverse(samples) // order must not matter

	ws := availabilityWindows(samples, testMarks, killed)
	type row struct {
		name                          string
		requests, ok, errors, inFlght int
		p50, p99, max                 time.Duration
	}
	want := []row{
		{"before kill", 100, 100, 0, 0, msd(50), msd(99), msd(100)},
		{"after kill", 202, 197, 5, 2, msd(2), msd(2), msd(2)},
		{"restarting", 10, 10, 0, 0, msd(3), msd(3), msd(3)},
		{"after restart", 50, 49, 1, 0, msd(4), msd(4), msd(4)},
		{"all", 362, 356, 6, 2, msd(2), msd(97), msd(100)},
	}
	if len(ws) != len(want) {
		t.Fatalf("%d windows, want %d", len(ws), len(want))
	}
	for i, w := range want {
		g := ws[i]
		got := row{g.Name, g.Requests, g.OK, g.Errors, g.InFlight, g.P50, g.P99, g.Max}
		if got != w {
			t.Errorf("window %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	if got, want := ws[1].ErrPct, 100*5.0/202; math.Abs(got-want) > 1e-9 {
		t.Errorf("after kill: err %% %v, want %v", got, want)
	}
	if got := ws[1].ErrPctExcl; math.Abs(got-1.5) > 1e-9 {
		t.Errorf("after kill: err %% without in-flight %v, want 1.5", got)
	}
	if got := ws[0].ErrPct; got != 0 {
		t.Errorf("before kill: err %% %v, want 0", got)
	}
	if got, want := ws[4].ErrPctExcl, 100*4.0/360; math.Abs(got-want) > 1e-9 {
		t.Errorf("all: err %% without in-flight %v, want %v", got, want)
	}

	errs := availabilityErrors(samples, testMarks, killed)
	wantErrs := []ErrorCount{{"NOQUORUM", 3}, {"EOF [to a killed node]", 2}, {"timeout", 1}}
	if !slices.Equal(errs, wantErrs) {
		t.Errorf("errors %v, want %v", errs, wantErrs)
	}
}

func TestWindowBounds(t *testing.T) {
	m := failoverMarks{Kill: sec, Restart: 2 * sec, Rejoin: 2 * sec, End: 3 * sec}
	samples := []writeSample{{Start: sec}, {Start: 2 * sec}, {Start: 3 * sec}}
	ws := availabilityWindows(samples, m, nil)
	got := []int{ws[0].Requests, ws[1].Requests, ws[2].Requests, ws[3].Requests, ws[4].Requests}
	// A sample completed at a boundary belongs to the window it opens; the
	// last one, completed exactly at the end, only to "all".
	if want := []int{0, 1, 0, 1, 3}; !slices.Equal(got, want) {
		t.Errorf("requests per window %v, want %v", got, want)
	}
	if !math.IsNaN(ws[2].ErrPct) {
		t.Errorf("empty window: err %% %v, want NaN", ws[2].ErrPct)
	}
}

func TestFailoverErrorKind(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp",
		Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 57434},
		Addr:   &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 10000},
		Err:    &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	tests := []struct {
		err  error
		want string
	}{
		{reset, "connection reset by peer"},
		{refused, "connection refused"},
		{io.EOF, "EOF"},
		{fmt.Errorf("wrapped: %w", io.ErrUnexpectedEOF), "EOF"},
		{errors.New("NOQUORUM write quorum not reached"), "NOQUORUM write quorum not reached"},
	}
	for _, tt := range tests {
		if got := failoverErrorKind(tt.err); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestLatencySummary(t *testing.T) {
	var lat []time.Duration
	for i := 1000; i >= 1; i-- {
		lat = append(lat, msd(i))
	}
	p50, p99, mx := latencySummary(lat)
	if p50 != msd(500) || p99 != msd(990) || mx != msd(1000) {
		t.Errorf("p50 %v p99 %v max %v, want 500ms 990ms 1s", p50, p99, mx)
	}
	if p50, p99, mx := latencySummary(nil); p50 != 0 || p99 != 0 || mx != 0 {
		t.Errorf("no samples: %v %v %v, want zeros", p50, p99, mx)
	}
	if p50, p99, _ := latencySummary([]time.Duration{msd(7)}); p50 != msd(7) || p99 != msd(7) {
		t.Errorf("one sample: p50 %v p99 %v, want 7ms", p50, p99)
	}
}

func TestAvailabilityVerdict(t *testing.T) {
	good := WindowStats{Requests: 5000, ErrPct: 0.1}
	tests := []struct {
		down, all WindowStats
		want      bool
	}{
		{WindowStats{Requests: 1000, ErrPct: 0.99}, good, true},
		{WindowStats{Requests: 1000, ErrPct: 1}, good, false},
		{WindowStats{Requests: 1000, ErrPct: 0}, good, true},
		{WindowStats{Requests: 0, ErrPct: math.NaN()}, good, false}, // nothing served is no pass
		{WindowStats{Requests: 1000, ErrPct: 0}, WindowStats{Requests: 5000, ErrPct: 1.2}, false},
	}
	for _, tt := range tests {
		if got := availabilityVerdict(tt.down, tt.all, 0.01); got != tt.want {
			t.Errorf("%+v, %+v: got %v, want %v", tt.down, tt.all, got, tt.want)
		}
	}
}

func TestParseTreeRoots(t *testing.T) {
	got, err := parseTreeRoots([]any{int64(0), "00000000000000aa", int64(7), "00000000000000bb"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "00000000000000aa" || got[7] != "00000000000000bb" {
		t.Errorf("got %v", got)
	}
	for _, bad := range [][]any{
		{int64(0)},
		{"0", "aa"},
		{int64(0), int64(1)},
	} {
		if _, err := parseTreeRoots(bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestParseRingOwners(t *testing.T) {
	got, err := parseRingOwners([]string{"0 a,b,c", "1 b", "2 "})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[0], []string{"a", "b", "c"}) || !slices.Equal(got[1], []string{"b"}) || got[2] != nil || len(got) != 3 {
		t.Errorf("got %v", got)
	}
	if _, err := parseRingOwners([]string{"x a"}); err == nil {
		t.Error("bad partition: no error")
	}
}

func TestDifferingPartitions(t *testing.T) {
	owners := map[int][]string{0: {"a", "b", "c"}, 1: {"b", "c", "d"}, 2: {"c", "d", "a"}}
	agree := map[string]map[int]string{
		"a": {0: "r0", 2: "r2"},
		"b": {0: "r0", 1: "r1"},
		"c": {0: "r0", 1: "r1", 2: "r2"},
		"d": {1: "r1", 2: "r2"},
	}
	tests := []struct {
		name   string
		owners map[int][]string
		change func(map[string]map[int]string)
		want   []int
	}{
		{"all agree", owners, func(map[string]map[int]string) {}, nil},
		{"one root differs", owners, func(r map[string]map[int]string) { r["d"][1] = "x" }, []int{1}},
		{"first owner differs", owners, func(r map[string]map[int]string) { r["c"][2] = "x" }, []int{2}},
		{"node did not answer", owners, func(r map[string]map[int]string) { delete(r, "a") }, []int{0, 2}},
		{"owner lacks a partition", owners, func(r map[string]map[int]string) { delete(r["b"], 0) }, []int{0}},
		{"non-owner's root ignored", owners, func(r map[string]map[int]string) { r["d"][0] = "x" }, nil},
		{"no ring known", nil, func(map[string]map[int]string) {}, []int{0, 1, 2}},
		{"nothing known", nil, func(r map[string]map[int]string) { clear(r) }, []int{-1}},
	}
	for _, tt := range tests {
		roots := map[string]map[int]string{}
		for n, rs := range agree {
			roots[n] = map[int]string{}
			for p, r := range rs {
				roots[n][p] = r
			}
		}
		tt.change(roots)
		if got := differingPartitions(tt.owners, roots); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestTimelineAt(t *testing.T) {
	var points []convergencePoint
	for i := range 30 { // a look every 200ms for 6s
		points = append(points, convergencePoint{At: time.Duration(i) * 200 * time.Millisecond})
	}
	marks := []time.Duration{0, sec, 5 * sec, 10 * sec}
	got := timelineAt(points, marks, 2300*time.Millisecond-100*time.Millisecond, -1)
	var ats []time.Duration
	for _, p := range got {
		ats = append(ats, p.At)
	}
	want := []time.Duration{0, sec, 2200 * time.Millisecond, 5 * sec}
	if !slices.Equal(ats, want) {
		t.Errorf("got %v, want %v", ats, want)
	}
	// A mark between looks picks the next look; the same look is kept once.
	got = timelineAt(points, []time.Duration{msd(100), msd(150)}, msd(200), msd(200))
	if len(got) != 1 || got[0].At != msd(200) {
		t.Errorf("got %v, want the look at 200ms once", got)
	}
}

func TestClassifyLocal(t *testing.T) {
	want := []byte("v2")
	tests := []struct {
		name  string
		reply []any
		err   error
		out   localOutcome
	}{
		{"latest", []any{"ctx", "v2"}, nil, localLatest},
		{"stale", []any{"ctx", "v1"}, nil, localStale},
		{"siblings", []any{"ctx", "v1", "v2"}, nil, localSiblings},
		{"missing", []any{}, nil, localMissing},
		{"context only (deleted)", []any{"ctx"}, nil, localMissing},
		{"failed", nil, errors.New("EOF"), localFailed},
		{"not a string", []any{"ctx", int64(2)}, nil, localStale},
	}
	for _, tt := range tests {
		if got := classifyLocal(tt.reply, tt.err, want); got != tt.out {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.out)
		}
	}
	var tally localTally
	for _, o := range []localOutcome{localLatest, localLatest, localStale, localSiblings, localMissing, localFailed} {
		tally.add(o)
	}
	if tally != (localTally{Latest: 2, Stale: 1, Siblings: 1, Missing: 1, Failed: 1}) || tally.total() != 6 {
		t.Errorf("tally %+v", tally)
	}
}

func TestConvergeValue(t *testing.T) {
	a, b, c := make([]byte, 100), make([]byte, 100), make([]byte, 100)
	convergeValue(a, 5, 10) // overwritten
	fillValue(b, 5)         // as loaded
	if string(a) == string(b) {
		t.Error("an overwritten key keeps its loaded value")
	}
	convergeValue(c, 50, 10) // not overwritten
	fillValue(b, 50)
	if string(c) != string(b) {
		t.Error("a key written once does not have its loaded value")
	}
}

func TestLastSlots(t *testing.T) {
	if got := lastSlots(5, 2); !slices.Equal(got, []int{3, 4}) {
		t.Errorf("lastSlots(5, 2) = %v", got)
	}
	if got := lastSlots(3, 1); !slices.Equal(got, []int{2}) {
		t.Errorf("lastSlots(3, 1) = %v", got)
	}
}

func TestStatusName(t *testing.T) {
	name, err := statusName("node:127.0.0.1:7001\r\ncluster_id:x\r\nhints_pending:3\r\n")
	if err != nil || name != "127.0.0.1:7001" {
		t.Errorf("got %q, %v", name, err)
	}
	if _, err := statusName("cluster_id:x\r\n"); err == nil {
		t.Error("no node field: no error")
	}
}

func sampleFailover() *FailoverReport {
	m := failoverMarks{Kill: 5 * sec, Restart: 15 * sec, Rejoin: 16 * sec, End: 21 * sec}
	return &FailoverReport{
		ErrorTarget:    0.01,
		ConvergeTarget: 30 * sec,
		Availability: []*AvailabilityResult{{
			Shape: "3 nodes, N=3 R=2 W=2, --fsync batch", Nodes: 3, Killed: []string{"cluster-3"},
			Writers: 16, Value: 100, Timeout: 2 * sec, Down: 10 * sec, Marks: m,
			Windows: []WindowStats{
				{Name: "before kill", From: 0, To: 5 * sec, Requests: 10000, OK: 10000, P50: msd(5), P99: msd(20), Max: msd(40)},
				{Name: "after kill", From: 5 * sec, To: 15 * sec, Requests: 20000, OK: 19900, Errors: 100, InFlight: 16,
					ErrPct: 0.5, ErrPctExcl: 84.0 / 199.84, P50: msd(6), P99: msd(900), Max: 2 * sec},
				{Name: "restarting", From: 15 * sec, To: 16 * sec, Requests: 0, ErrPct: math.NaN(), ErrPctExcl: math.NaN()},
				{Name: "after restart", From: 16 * sec, To: 21 * sec, Requests: 10000, OK: 10000, P50: msd(5), P99: msd(21), Max: msd(50)},
				{Name: "all", From: 0, To: 21 * sec, Requests: 40000, OK: 39900, Errors: 100, InFlight: 16,
					ErrPct: 0.25, ErrPctExcl: 84.0 / 399.84, P50: msd(5), P99: msd(30), Max: 2 * sec},
			},
			Errors: []ErrorCount{{"NOQUORUM write quorum not reached", 84}, {"EOF [to a killed node]", 16}},
		}, {
			Shape: "5 nodes, N=3 R=2 W=2, --fsync batch", Nodes: 5, Killed: []string{"cluster-4", "cluster-5"},
			Writers: 16, Value: 100, Timeout: 2 * sec, Down: 10 * sec,
			Err: errors.New("restart: cluster-5 exited"),
		}},
		Convergence: &ConvergenceResult{
			Shape: "3 nodes, N=3 R=2 W=2, --fsync batch, default hint and anti-entropy intervals", Nodes: 3,
			Keys: 100000, Overwrite: 10000, Add: 10000, Killed: "cluster-3",
			Load: 8 * sec, Write: 2 * sec, WriteRounds: 2, WriteFailures: 12,
			WriteErrors: []ErrorCount{{"timeout", 12}}, Ready: 700 * time.Millisecond,
			Converged: 12400 * time.Millisecond, HintsZero: 0, Limit: 120 * sec, PollEvery: msd(200), Looks: 63,
			Timeline: []convergencePoint{
				{At: 0, Differing: 256, Hints: 0},
				{At: sec, Differing: 256, Hints: 0, Why: "cluster-3: TREES: LOADING"},
				{At: 12400 * time.Millisecond, Differing: 0, Hints: 0},
			},
			Sample: localTally{Latest: 999, Stale: 1},
		},
	}
}

func TestFailoverTable(t *testing.T) {
	var b strings.Builder
	if err := sampleFailover().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `
Failover: 3 nodes, N=3 R=2 W=2, --fsync batch; kill -9 cluster-3, restart on the same data and ports
16 writers, unpipelined SET of unique keys (-d 100), each to a random node the harness knows is up; 2s timeouts, no retries
windows by completion time; latencies of successful requests; in-flight = errors of requests sent to a killed node before it was back
         window  from s  to s  requests  ok/s  errors  err %  in-flight  err % excl.  p50 ms   p99 ms    max ms
    before kill     0.0   5.0     10000  2000       0  0.000          0        0.000   5.000   20.000    40.000
     after kill     5.0  15.0     20000  1990     100  0.500         16        0.420   6.000  900.000  2000.000
     restarting    15.0  16.0         0     0       0      -          0            -       -        -         -
  after restart    16.0  21.0     10000  2000       0  0.000          0        0.000   5.000   21.000    50.000
            all     0.0  21.0     40000  1900     100  0.250         16        0.210   5.000   30.000  2000.000
  errors: 84 x NOQUORUM write quorum not reached
  errors: 16 x EOF [to a killed node]
target: under 1% errors in the 10s after killing 1 of 3 nodes and over the whole run: 0.500% of 20000 requests after the kill (0.420% without the 16 in flight to killed nodes), p99 900.000 ms; 0.250% of 40000 over the whole run  PASS

Failover: 5 nodes, N=3 R=2 W=2, --fsync batch; kill -9 cluster-4 and cluster-5, restart on the same data and ports
16 writers, unpipelined SET of unique keys (-d 100), each to a random node the harness knows is up; 2s timeouts, no retries
windows by completion time; latencies of successful requests; in-flight = errors of requests sent to a killed node before it was back
  failed: restart: cluster-5 exited
target: under 1% errors in the 10s after killing 2 of 5 nodes and over the whole run: not measured  MISS

Convergence: 3 nodes, N=3 R=2 W=2, --fsync batch, default hint and anti-entropy intervals
100000 keys loaded (-d 100) in 8.0 s; kill -9 cluster-3; 10000 overwritten and 10000 new written through the survivors in 2.0 s (write rounds: 2, first attempts failed: 12, never acknowledged: 0); cluster-3 restarted, answered PING after 0.7 s
  write errors: 12 x timeout
after the restart (t from starting the process again; 63 looks at every node every 200ms: partitions whose owners' DYNAGO TREES roots differ, hints_pending of DYNAGO STATUS summed):
    t s  partitions differing  hints pending                                   note
   0.00                   256              0                       no hints pending
   1.00                   256              0  incomplete: cluster-3: TREES: LOADING
  12.40                     0              0                              converged
  hints pending 0 on every node 0.0 s after the restart
target: every partition's owners show equal roots within 30s of the restart: 12.4 s  PASS
check: DYNAGO LOCAL on cluster-3 shows the latest value of 999 of 1000 sampled keys (1 stale, 0 with siblings, 0 missing, 0 failed)  MISS
`
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestFailoverBenchstat(t *testing.T) {
	var b strings.Builder
	if err := sampleFailover().WriteBenchstat(&b); err != nil {
		t.Fatal(err)
	}
	want := "BenchmarkFailover/nodes=3/killed=1/window=before_kill\t10000\t0.000 err-pct\t0.000 err-excl-pct\t5.000 p50-ms\t20.000 p99-ms\n" +
		"BenchmarkFailover/nodes=3/killed=1/window=after_kill\t20000\t0.500 err-pct\t0.420 err-excl-pct\t6.000 p50-ms\t900.000 p99-ms\n" +
		"BenchmarkFailover/nodes=3/killed=1/window=after_restart\t10000\t0.000 err-pct\t0.000 err-excl-pct\t5.000 p50-ms\t21.000 p99-ms\n" +
		"BenchmarkFailover/nodes=3/killed=1/window=all\t40000\t0.250 err-pct\t0.210 err-excl-pct\t5.000 p50-ms\t30.000 p99-ms\n" +
		"BenchmarkConvergence/nodes=3/keys=100000\t1\t12.400 converge-s\t0.000 hints-zero-s\n"
	if got := b.String(); got != want {
		t.Errorf("benchstat:\n%s\nwant:\n%s", got, want)
	}
}
