package bench

import (
	"os"
	"strings"
	"testing"
)

func TestParseCSVRealOutput(t *testing.T) {
	// Captured from redis-benchmark 7.0.15 (Debian) with -t set,get --csv.
	f, err := os.Open("testdata/redis-benchmark-7.0.15.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{
		{Test: "SET", RPS: 36036.04, AvgMs: 0.741, MinMs: 0.296, P50Ms: 0.695, P95Ms: 0.927, P99Ms: 1.983, MaxMs: 5.079},
		{Test: "GET", RPS: 33726.81, AvgMs: 0.750, MinMs: 0.200, P50Ms: 0.735, P95Ms: 0.935, P99Ms: 1.079, MaxMs: 4.151},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("result %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseCSV(t *testing.T) {
	const header = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n"
	tests := []struct {
		name    string
		in      string
		want    []Result
		wantErr string
	}{
		{
			name: "columns found by name, extra column ignored",
			in: `"rps","extra","test","p99_latency_ms"` + "\n" +
				`"1000.5","zzz","PING_INLINE","2.5"` + "\n",
			want: []Result{{Test: "PING_INLINE", RPS: 1000.5, P99Ms: 2.5}},
		},
		{
			name: "progress and warnings skipped",
			in: "WARNING: Could not fetch server CONFIG\n\n" + header +
				"SET: rps=1234.0 (overall: 1234.0) avg_msec=0.1\r\n" +
				`"SET","100","1","0.5","1","2","3","4"` + "\n",
			want: []Result{{Test: "SET", RPS: 100, AvgMs: 1, MinMs: 0.5, P50Ms: 1, P95Ms: 2, P99Ms: 3, MaxMs: 4}},
		},
		{
			name: "test name with spaces and commas",
			in:   header + `"MSET (10 keys), x","5","1","1","1","1","1","1"` + "\n",
			want: []Result{{Test: "MSET (10 keys), x", RPS: 5, AvgMs: 1, MinMs: 1, P50Ms: 1, P95Ms: 1, P99Ms: 1, MaxMs: 1}},
		},
		{
			// What older redis-benchmark versions print with -e.
			name: "server error among the CSV",
			in: header + "Error from server: NOAUTH Authentication required.\n" +
				`"SET","180505.42","0.218","0.072","0.207","0.303","0.391","1.271"` + "\n",
			wantErr: "NOAUTH",
		},
		{name: "empty", in: "", wantErr: "no CSV header"},
		{name: "header only", in: header, wantErr: "no results"},
		{name: "header without rps", in: `"test","p50_latency_ms"` + "\n", wantErr: "lacks"},
		{name: "not a number", in: header + `"SET","fast","1","1","1","1","1","1"` + "\n", wantErr: `"fast" is not a number`},
		{name: "short record", in: header + `"SET","1"` + "\n", wantErr: "2 fields, header has 8"},
		{name: "bad quoting", in: header + `"SET,"1"` + "\n", wantErr: "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCSV(strings.NewReader(tt.in))
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
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("result %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestPickResult(t *testing.T) {
	rs := []Result{{Test: "SET", RPS: 1}, {Test: "GET", RPS: 2}}
	if r, err := pickResult("get", rs); err != nil || r.RPS != 2 {
		t.Errorf("pickResult(get) = %+v, %v", r, err)
	}
	if r, err := pickResult("lrange", []Result{{Test: "LRANGE_100 (first 100 elements)", RPS: 3}}); err != nil || r.RPS != 3 {
		t.Errorf("pickResult of the only result = %+v, %v", r, err)
	}
	if _, err := pickResult("INCR", rs); err == nil {
		t.Error("pickResult(INCR) among SET, GET: want an error")
	}
}

func FuzzParseCSV(f *testing.F) {
	if b, err := os.ReadFile("testdata/redis-benchmark-7.0.15.csv"); err == nil {
		f.Add(string(b))
	}
	f.Add(`"test","rps"` + "\n" + `"SET","1"` + "\n")
	f.Add("Error from server: x\n")
	f.Fuzz(func(t *testing.T, in string) {
		rs, err := ParseCSV(strings.NewReader(in))
		if err == nil && len(rs) == 0 {
			t.Fatal("no error and no results")
		}
	})
}
