package bench

import (
	"errors"
	"strings"
	"testing"
)

func sampleThroughput() *ThroughputReport {
	return &ThroughputReport{
		Title:  "Throughput",
		Bench:  "Throughput",
		Load:   Load{Clients: 50, ValueSize: 100, Keyspace: 100000},
		Repeat: 3,
		Ratios: []Ratio{{Num: "dynago", Den: "redis"}},
		Rows: []ThroughputRow{
			{Test: "SET", Pipeline: 1, Requests: 200000, Target: "redis", Runs: []Result{
				{Test: "SET", RPS: 40000, P50Ms: 0.7, P99Ms: 2, CPUUsPerOp: 5},
				{Test: "SET", RPS: 36000, P50Ms: 0.6, P99Ms: 1.5, CPUUsPerOp: 6},
				{Test: "SET", RPS: 38000, P50Ms: 0.65, P99Ms: 1.9, CPUUsPerOp: 5.5},
			}},
			{Test: "SET", Pipeline: 1, Requests: 200000, Target: "dynago", Runs: []Result{
				{Test: "SET", RPS: 19000, P50Ms: 1.2, P99Ms: 4, CPUUsPerOp: 20},
				{Test: "SET", RPS: 19500, P50Ms: 1.1, P99Ms: 3, CPUUsPerOp: 22},
				{Test: "SET", RPS: 18000, P50Ms: 1.3, P99Ms: 5, CPUUsPerOp: 21},
			}},
			{Test: "GET", Pipeline: 16, Requests: 1000000, Target: "redis", Runs: []Result{
				{Test: "GET", RPS: 500000, P50Ms: 0.807, P99Ms: 1.047},
			}},
			{Test: "GET", Pipeline: 16, Requests: 1000000, Target: "dynago", Err: errors.New("timed out after 2m0s")},
		},
	}
}

func TestThroughputTable(t *testing.T) {
	var b strings.Builder
	if err := sampleThroughput().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `
Throughput: redis-benchmark -c 50 -d 100 -r 100000, median of 3 runs
  test  pipeline  requests        target   ops/s  p50 ms  p99 ms  CPU us/op
   SET         1    200000         redis   38000   0.650   1.900        5.5
   SET         1    200000        dynago   19000   1.200   4.000       21.0
   SET         1            dynago/redis   0.50x                      3.82x
   GET        16   1000000         redis  500000   0.807   1.047          -
   GET        16   1000000        dynago  FAILED       -       -          -
   GET        16            dynago/redis       -
  failed: GET -P 16 dynago: timed out after 2m0s
`
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestThroughputBenchstat(t *testing.T) {
	var b strings.Builder
	if err := sampleThroughput().WriteBenchstat(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 7 { // 3 + 3 + 1 runs; the failed row prints nothing
		t.Fatalf("got %d lines:\n%s", len(lines), b.String())
	}
	want := "BenchmarkThroughput/test=GET/pipeline=16/target=redis\t1000000\t2000.0 ns/op\t500000 ops/s\t0.807 p50-ms\t1.047 p99-ms"
	if lines[6] != want {
		t.Errorf("last line:\n%q\nwant\n%q", lines[6], want)
	}
}

func sampleMemory() *MemoryReport {
	const mb = 1 << 20
	return &MemoryReport{
		ValueSize: 100,
		Baseline:  "redis",
		Rows: []MemoryRow{
			{Target: "redis", Keys: 0, RSS: 8 * mb},
			{Target: "redis", Keys: 1000, RSS: 8*mb + 150000},
			{Target: "redis", Keys: 2000, RSS: 8*mb + 300000},
			{Target: "dynago", Keys: 0, RSS: 24 * mb},
			{Target: "dynago", Keys: 1000, RSS: 24*mb + 100000},
			{Target: "dynago", Keys: 1500, RSS: 24*mb + 150000, Partial: true,
				Err: errors.New("time limit 2m0s reached after 1500 keys, before the checkpoint at 2000")},
			{Target: "other", Keys: 0, Err: errors.New("connection refused")},
		},
	}
}

func TestMemoryTable(t *testing.T) {
	var b strings.Builder
	if err := sampleMemory().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `
Memory: distinct keys with 100-byte values, RSS (VmRSS) after loading
  keys        target  RSS MiB  growth MiB  bytes/key
     0         redis      8.0           -          -
     0        dynago     24.0           -          -
     0         other   FAILED           -          -
     0  dynago/redis    3.00x
     0   other/redis        -
  1000         redis      8.1         0.1        150
  1000        dynago     24.1         0.1        100
  1000  dynago/redis    2.96x
  2000         redis      8.3         0.3        150
  1500        dynago     24.1         0.1        100
  failed: other: connection refused
  failed: dynago: time limit 2m0s reached after 1500 keys, before the checkpoint at 2000
`
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestMemoryBenchstat(t *testing.T) {
	var b strings.Builder
	if err := sampleMemory().WriteBenchstat(&b); err != nil {
		t.Fatal(err)
	}
	want := "BenchmarkMemory/keys=0/target=redis\t1\t8388608 rss-B\n" +
		"BenchmarkMemory/keys=1000/target=redis\t1\t8538608 rss-B\t150 B/key\n" +
		"BenchmarkMemory/keys=2000/target=redis\t1\t8688608 rss-B\t150 B/key\n" +
		"BenchmarkMemory/keys=0/target=dynago\t1\t25165824 rss-B\n" +
		"BenchmarkMemory/keys=1000/target=dynago\t1\t25265824 rss-B\t100 B/key\n"
	if got := b.String(); got != want {
		t.Errorf("benchstat:\n%s\nwant:\n%s", got, want)
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		a, b float64
		want string
	}{
		{1, 2, "0.50x"},
		{3, 1, "3.00x"},
		{1, 0, "-"},
	}
	for _, tt := range tests {
		if got := ratio(tt.a, tt.b); got != tt.want {
			t.Errorf("ratio(%v, %v) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestBenchName(t *testing.T) {
	if got := benchName("Throughput", "test", "MSET (10 keys)", "target", "redis"); got != "BenchmarkThroughput/test=MSET_(10_keys)/target=redis" {
		t.Errorf("benchName = %q", got)
	}
}
