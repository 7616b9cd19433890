package bench

import (
	"os"
	"strings"
	"testing"
)

func TestParseTextRealOutput(t *testing.T) {
	// Captured from redis-benchmark 7.0.15 (Debian): -t set,get -c 50
	// -n 20000 -d 100 -r 100000 -P 16 against redis-server.
	f, err := os.Open("testdata/redis-benchmark-7.0.15-set-get.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseText(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{
		{Test: "SET", RPS: 204081.64, AvgMs: 3.421, MinMs: 0.488, P50Ms: 2.743, P95Ms: 10.295, P99Ms: 11.863, P999Ms: 12.575, MaxMs: 12.599},
		{Test: "GET", RPS: 377358.50, AvgMs: 1.664, MinMs: 0.064, P50Ms: 1.583, P95Ms: 3.367, P99Ms: 4.103, P999Ms: 4.271, MaxMs: 4.287},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Result != want[i] {
			t.Errorf("result %d = %+v, want %+v", i, got[i].Result, want[i])
		}
		d := got[i].Latencies
		if d.Total != 20000 {
			t.Errorf("%s: total %d, want 20000", want[i].Test, d.Total)
		}
		// Both sections are read: 13 percentile lines and 28 (SET) or 22
		// (GET) cumulative lines, a few on the same latency.
		if len(d.Points) < 30 {
			t.Errorf("%s: only %d points", want[i].Test, len(d.Points))
		}
		checkAgainstSummary(t, got[i])
	}
}

func TestParseTextWithProgress(t *testing.T) {
	// Captured from redis-benchmark 7.0.15: -t set -c 50 -n 20000 -d 100
	// -r 100000 -P 1 against a Dynago node of a three-node cluster, with
	// the progress lines (separated by carriage returns) that precede the
	// report.
	f, err := os.Open("testdata/redis-benchmark-7.0.15-set-progress.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseText(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d results, want 1", len(got))
	}
	want := Result{Test: "SET", RPS: 1754.54, AvgMs: 27.123, MinMs: 2.616, P50Ms: 16.055, P95Ms: 74.367, P99Ms: 195.327, P999Ms: 618.495, MaxMs: 625.151}
	if got[0].Result != want {
		t.Errorf("result = %+v, want %+v", got[0].Result, want)
	}
	checkAgainstSummary(t, got[0])
}

// checkAgainstSummary compares the percentiles read off the distribution with
// the ones redis-benchmark computed from its full histogram: p50 has a point
// of its own and must match; p95 and p99 may only be overestimated, by at
// most the next point.
func checkAgainstSummary(t *testing.T, r TextResult) {
	t.Helper()
	d := r.Latencies
	if got := d.Percentile(0.5); got != r.P50Ms {
		t.Errorf("%s: p50 from the distribution %v, summary says %v", r.Test, got, r.P50Ms)
	}
	for _, c := range []struct {
		q   float64
		sum float64
	}{{0.95, r.P95Ms}, {0.99, r.P99Ms}} {
		if got := d.Percentile(c.q); got < c.sum {
			t.Errorf("%s: p%v from the distribution %v is below the summary's %v", r.Test, 100*c.q, got, c.sum)
		}
	}
	if r.P999Ms < r.P99Ms || r.P999Ms > r.MaxMs {
		t.Errorf("%s: p99.9 %v outside [p99 %v, max %v]", r.Test, r.P999Ms, r.P99Ms, r.MaxMs)
	}
}

func TestParseText(t *testing.T) {
	const report = "====== GET ======\n" +
		"  100 requests completed in 0.01 seconds\n" +
		"Latency by percentile distribution:\n" +
		"0.000% <= 0.100 milliseconds (cumulative count 1)\n" +
		"50.000% <= 0.200 milliseconds (cumulative count 50)\n" +
		"99.000% <= 0.900 milliseconds (cumulative count 99)\n" +
		"100.000% <= 1.000 milliseconds (cumulative count 100)\n" +
		"Summary:\n" +
		"  throughput summary: 10000.00 requests per second\n" +
		"  latency summary (msec):\n" +
		"          avg       min       p50       p95       p99       max\n" +
		"        0.250     0.100     0.200     0.800     0.900     1.000\n"
	tests := []struct {
		name    string
		in      string
		want    []Result
		wantErr string
	}{
		{
			name: "minimal",
			in:   report,
			want: []Result{{Test: "GET", RPS: 10000, AvgMs: 0.25, MinMs: 0.1, P50Ms: 0.2, P95Ms: 0.8, P99Ms: 0.9, P999Ms: 1, MaxMs: 1}},
		},
		{
			name: "progress with carriage returns, columns by name",
			in: "GET: rps=0.0 (overall: 0.0) avg_msec=-nan (overall: -nan)\r   \r" +
				strings.Replace(strings.Replace(report, "avg       min", "min       avg", 1), "0.250     0.100", "0.100     0.250", 1),
			want: []Result{{Test: "GET", RPS: 10000, AvgMs: 0.25, MinMs: 0.1, P50Ms: 0.2, P95Ms: 0.8, P99Ms: 0.9, P999Ms: 1, MaxMs: 1}},
		},
		{
			name: "two tests",
			in:   strings.Replace(report, "GET", "SET", 1) + report,
			want: []Result{
				{Test: "SET", RPS: 10000, AvgMs: 0.25, MinMs: 0.1, P50Ms: 0.2, P95Ms: 0.8, P99Ms: 0.9, P999Ms: 1, MaxMs: 1},
				{Test: "GET", RPS: 10000, AvgMs: 0.25, MinMs: 0.1, P50Ms: 0.2, P95Ms: 0.8, P99Ms: 0.9, P999Ms: 1, MaxMs: 1},
			},
		},
		{name: "empty", in: "", wantErr: "no test report"},
		{name: "csv is not a text report", in: `"test","rps"` + "\n" + `"SET","1"` + "\n", wantErr: "no test report"},
		{name: "server error", in: report + "Error from server: NOQUORUM\n", wantErr: "NOQUORUM"},
		{name: "cut off before the summary", in: report[:strings.Index(report, "Summary")], wantErr: "test GET: no throughput summary"},
		{name: "no latency summary", in: report[:strings.Index(report, "  latency summary")], wantErr: "no latency summary"},
		{name: "no distribution", in: "====== GET ======\n  throughput summary: 1.00 requests per second\n", wantErr: "no latency distribution"},
		{name: "summary value not a number", in: strings.Replace(report, "0.250", "-nan", 1), wantErr: `"-nan" is not a number`},
		{name: "summary short", in: strings.Replace(report, "     1.000\n", "\n", 1), wantErr: "5 values for 6 columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseText(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d results, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].Result != tt.want[i] {
					t.Errorf("result %d = %+v, want %+v", i, got[i].Result, tt.want[i])
				}
			}
		})
	}
}

func TestPickText(t *testing.T) {
	rs := []TextResult{{Result: Result{Test: "SET", RPS: 1}}, {Result: Result{Test: "GET", RPS: 2}}}
	if r, err := pickText("get", rs); err != nil || r.RPS != 2 {
		t.Errorf("pickText(get) = %+v, %v", r, err)
	}
	if _, err := pickText("INCR", rs); err == nil {
		t.Error("pickText(INCR) among SET, GET: want an error")
	}
}

func FuzzParseText(f *testing.F) {
	// The fuzzer slows to a crawl on seeds of many kilobytes, so the real
	// report is cut to its first test.
	if b, err := os.ReadFile("testdata/redis-benchmark-7.0.15-set-get.txt"); err == nil {
		s := string(b)
		if i := strings.Index(s, "====== GET"); i > 0 {
			s = s[:i]
		}
		f.Add(s)
	}
	f.Add("====== X ======\n1% <= 1.0 milliseconds (cumulative count 1)\nthroughput summary: 1 requests per second\nlatency summary (msec):\np50\n1\n")
	f.Fuzz(func(t *testing.T, in string) {
		rs, err := ParseText(strings.NewReader(in))
		if err != nil {
			return
		}
		if len(rs) == 0 {
			t.Fatal("no error and no results")
		}
		for _, r := range rs {
			d := r.Latencies
			if d.Total <= 0 || len(d.Points) == 0 {
				t.Fatalf("%s: empty distribution %+v", r.Test, d)
			}
			for i := 1; i < len(d.Points); i++ {
				if d.Points[i].Ms <= d.Points[i-1].Ms || d.Points[i].Count < d.Points[i-1].Count {
					t.Fatalf("%s: points not normalized: %+v", r.Test, d.Points)
				}
			}
		}
	})
}
