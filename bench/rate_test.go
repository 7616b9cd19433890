package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestRateRequests(t *testing.T) {
	if got := rateRequests(5000, 10*time.Second); got != 50000 {
		t.Errorf("rateRequests(5000, 10s) = %d", got)
	}
	if got := rateRequests(3, 500*time.Millisecond); got != 2 {
		t.Errorf("rateRequests(3, 0.5s) = %d, want 2 (rounded)", got)
	}
}

func TestSummarizeRate(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	o := pacedOutcome{
		Sent:       [numOps]int{4, 3},
		OK:         [numOps]int{4, 2},
		Errors:     [numOps]int{0, 1},
		Misses:     [numOps]int{1, 0},
		Latencies:  [numOps][]time.Duration{ms(4, 1, 3, 2), ms(10, 20)},
		Service:    ms(1, 1, 2, 1, 5, 1),
		ErrorKinds: map[string]int{"timeout": 1},
	}
	rows, errs := summarizeRate(o, [numOps]int{5, 3})
	want := []RateRow{
		{Op: "GET", Scheduled: 5, Sent: 4, OK: 4, Nil: 1, P50: 2 * time.Millisecond, P99: 4 * time.Millisecond, P999: 4 * time.Millisecond, Max: 4 * time.Millisecond},
		{Op: "SET", Scheduled: 3, Sent: 3, OK: 2, Errors: 1, P50: 10 * time.Millisecond, P99: 20 * time.Millisecond, P999: 20 * time.Millisecond, Max: 20 * time.Millisecond},
		{Op: "all", Scheduled: 8, Sent: 7, OK: 6, Errors: 1, Nil: 1, P50: 3 * time.Millisecond, P99: 20 * time.Millisecond, P999: 20 * time.Millisecond, Max: 20 * time.Millisecond},
		{Op: "service", Scheduled: 8, Sent: 7, OK: 6, Errors: 1, Nil: 1, P50: 1 * time.Millisecond, P99: 5 * time.Millisecond, P999: 5 * time.Millisecond, Max: 5 * time.Millisecond},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows", len(rows))
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v\nwant %+v", i, rows[i], want[i])
		}
	}
	if len(errs) != 1 || errs[0] != (ErrorCount{Kind: "timeout", Count: 1}) {
		t.Errorf("errors = %+v", errs)
	}
	if got := o.Latencies[opGet][0]; got != 4*time.Millisecond {
		t.Errorf("summarizeRate reordered the outcome's latencies: first is %v", got)
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "read tcp 127.0.0.1:1->127.0.0.1:2: i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestErrorKind(t *testing.T) {
	srv := redis.Error(proto("NOQUORUM 1 of 2 replicas answered"))
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("get: %w", timeoutError{}), "timeout"},
		{context.DeadlineExceeded, "cut off at the end of the run"},
		{srv, "NOQUORUM 1 of 2 replicas answered"},
		{errors.New("connection refused"), "connection refused"},
	}
	for _, tt := range tests {
		if got := errorKind(tt.err); got != tt.want {
			t.Errorf("errorKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	long := redis.Error(proto(strings.Repeat("x", 100)))
	if got := errorKind(long); len(got) != 83 {
		t.Errorf("long server error kept %d bytes, want 80 and an ellipsis", len(got))
	}
}

// proto is a server error reply, as go-redis returns it.
type proto string

func (e proto) Error() string { return string(e) }
func (proto) RedisError()     {}

func TestPacedOutcomeErrorKindsBounded(t *testing.T) {
	var o pacedOutcome
	for i := range maxErrorKinds + 5 {
		o.addErrors(fmt.Sprintf("kind %d", i), 2)
	}
	o.addErrors("kind 0", 1)
	if len(o.ErrorKinds) != maxErrorKinds+1 {
		t.Errorf("%d kinds kept, want %d and %q", len(o.ErrorKinds), maxErrorKinds, otherErrors)
	}
	if o.ErrorKinds[otherErrors] != 10 || o.ErrorKinds["kind 0"] != 3 {
		t.Errorf("counts: %v", o.ErrorKinds)
	}
}

func TestRunPaced(t *testing.T) {
	ops := make([]uint8, 200)
	for i := range ops {
		ops[i] = uint8(i % 2)
	}
	plan := pacedPlan{Ops: ops, Interval: 100 * time.Microsecond, Workers: 4, Limit: 10 * time.Second}
	var calls atomic.Int64
	o := runPaced(context.Background(), plan, func(ctx context.Context, i int) (bool, error) {
		calls.Add(1)
		switch {
		case i%10 == 3:
			return false, errors.New("boom")
		case i%10 == 0:
			return true, nil // a GET of a missing key
		}
		return false, nil
	})
	if calls.Load() != 200 {
		t.Fatalf("%d requests sent, want 200", calls.Load())
	}
	want := pacedOutcome{
		Sent:   [numOps]int{100, 100},
		OK:     [numOps]int{100, 80},
		Errors: [numOps]int{0, 20},
		Misses: [numOps]int{20, 0},
	}
	if o.Sent != want.Sent || o.OK != want.OK || o.Errors != want.Errors || o.Misses != want.Misses {
		t.Errorf("outcome sent %v ok %v errors %v misses %v, want %v %v %v %v",
			o.Sent, o.OK, o.Errors, o.Misses, want.Sent, want.OK, want.Errors, want.Misses)
	}
	if len(o.Latencies[opGet]) != 100 || len(o.Latencies[opSet]) != 80 || len(o.Service) != 180 || o.ErrorKinds["boom"] != 20 {
		t.Errorf("latencies %d/%d, service times %d, error kinds %v", len(o.Latencies[opGet]), len(o.Latencies[opSet]), len(o.Service), o.ErrorKinds)
	}
	// The last request is due 19.9ms after the start.
	if o.Elapsed < 19*time.Millisecond {
		t.Errorf("elapsed %v: requests went out ahead of their schedule", o.Elapsed)
	}
}

func TestRunPacedCountsQueueing(t *testing.T) {
	// One worker, a request due every millisecond and each taking five:
	// the server falls behind, and the requests' latencies must show the
	// growing wait, not just the five milliseconds each took once sent.
	plan := pacedPlan{Ops: make([]uint8, 20), Interval: time.Millisecond, Workers: 1, Limit: 10 * time.Second}
	o := runPaced(context.Background(), plan, func(ctx context.Context, i int) (bool, error) {
		time.Sleep(5 * time.Millisecond) // service time of the fake server
		return false, nil
	})
	lat := o.Latencies[opGet]
	if len(lat) != 20 {
		t.Fatalf("%d latencies", len(lat))
	}
	// Request i is sent no earlier than 5i ms and due at i ms, so it
	// completes at least 4i+5 ms after its due time.
	if last := lat[len(lat)-1]; last < 19*4*time.Millisecond {
		t.Errorf("last latency %v, want at least 76ms of queueing and service", last)
	}
	// Timed from the send, each took only its service time.
	for _, d := range o.Service {
		if d < 5*time.Millisecond || d > 19*4*time.Millisecond {
			t.Fatalf("service time %v, want about 5ms", d)
		}
	}
}

func TestRunPacedIsBounded(t *testing.T) {
	// A server that never answers: the run ends at the limit, the requests
	// in flight fail and the rest stay unsent.
	plan := pacedPlan{Ops: make([]uint8, 1000), Interval: 10 * time.Microsecond, Workers: 3, Limit: 50 * time.Millisecond}
	start := time.Now()
	o := runPaced(context.Background(), plan, func(ctx context.Context, i int) (bool, error) {
		<-ctx.Done()
		return false, ctx.Err()
	})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("run took %v with a 50ms limit", took)
	}
	if o.Sent[opGet] != 3 || o.Errors[opGet] != 3 || o.OK[opGet] != 0 {
		t.Errorf("sent %d, errors %d, ok %d; want 3 sent (one per worker), 3 errors", o.Sent[opGet], o.Errors[opGet], o.OK[opGet])
	}
	if o.ErrorKinds["cut off at the end of the run"] != 3 {
		t.Errorf("error kinds %v", o.ErrorKinds)
	}
}

func sampleRate() *RateReport {
	return &RateReport{
		Target: "cluster-via-3", Shape: "3 nodes, N=3 R=2 W=2",
		Rate: 5000, Duration: 10 * time.Second, Conns: 128, ReadRatio: 0.5, ValueSize: 100, Keyspace: 100000,
		Elapsed: 10 * time.Second,
		Rows: []RateRow{
			{Op: "GET", Scheduled: 25000, Sent: 25000, OK: 25000, Nil: 100, P50: 500 * time.Microsecond, P99: 3 * time.Millisecond, P999: 9 * time.Millisecond, Max: 20 * time.Millisecond},
			{Op: "SET", Scheduled: 25000, Sent: 25000, OK: 24990, Errors: 10, P50: time.Millisecond, P99: 5 * time.Millisecond, P999: 12 * time.Millisecond, Max: 30 * time.Millisecond},
			{Op: "all", Scheduled: 50000, Sent: 50000, OK: 49990, Errors: 10, Nil: 100, P50: 700 * time.Microsecond, P99: 4 * time.Millisecond, P999: 11 * time.Millisecond, Max: 30 * time.Millisecond},
			{Op: "service", Scheduled: 50000, Sent: 50000, OK: 49990, Errors: 10, Nil: 100, P50: 600 * time.Microsecond, P99: 3 * time.Millisecond, P999: 10 * time.Millisecond, Max: 30 * time.Millisecond},
		},
		Errors: []ErrorCount{{Kind: "timeout", Count: 10}},
	}
}

func TestRateTable(t *testing.T) {
	var b strings.Builder
	if err := sampleRate().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `
Fixed rate: 5000 requests/s for 10s to cluster-via-3 (3 nodes, N=3 R=2 W=2), unpipelined, 50% GET / 50% SET, -d 100 -r 100000, at most 128 in flight
latency from each request's scheduled send time (open loop), successful requests only; service = all, timed from the actual send; nil = GETs of keys never set
       op  scheduled   sent     ok  errors  nil  ok/s  p50 ms  p99 ms  p99.9 ms  max ms
      GET      25000  25000  25000       0  100  2500   0.500   3.000     9.000  20.000
      SET      25000  25000  24990      10    0  2499   1.000   5.000    12.000  30.000
      all      50000  50000  49990      10  100  4999   0.700   4.000    11.000  30.000
  service      50000  50000  49990      10  100  4999   0.600   3.000    10.000  30.000
  errors: 10 x timeout
`
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	b.Reset()
	if err := sampleRate().WriteBenchstat(&b); err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(b.String(), "\n", 2)[0]
	if first != "BenchmarkRate/op=GET/target=cluster-via-3\t25000\t0.500 p50-ms\t3.000 p99-ms\t9.000 p99.9-ms\t0 errors" {
		t.Errorf("benchstat first line %q", first)
	}
}

func TestRateBehind(t *testing.T) {
	r := sampleRate()
	if got := r.behind(); got != "" {
		t.Errorf("kept up, but behind() = %q", got)
	}
	r.Rows[2].Sent, r.Rows[2].OK = 40000, 38000
	r.Elapsed = 13 * time.Second
	want := "behind schedule: served 2923/s of 5000/s, 10000 requests never sent; latencies include time queued for a free connection (compare service)"
	if got := r.behind(); got != want {
		t.Errorf("behind() = %q\nwant %q", got, want)
	}
}
