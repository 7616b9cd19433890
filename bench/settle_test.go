package bench

import "testing"

func TestAtRest(t *testing.T) {
	for _, tc := range []struct {
		info          string
		rest, reports bool
	}{
		{"# Persistence\r\nloading:0\r\naof_enabled:1\r\n", true, false}, // redis-server
		{"# Persistence\r\ncompactions_in_progress:0\r\ncompaction_debt_bytes:0\r\n", true, true},
		{"# Persistence\r\ncompactions_in_progress:1\r\ncompaction_debt_bytes:0\r\n", false, true},
		{"# Persistence\r\ncompactions_in_progress:0\r\ncompaction_debt_bytes:4194304\r\n", true, true}, // debt stays at rest
		{"# Persistence\r\ncompactions_in_progress:x\r\n", false, true},
	} {
		if rest, reports := atRest(tc.info); rest != tc.rest || reports != tc.reports {
			t.Errorf("atRest(%q) = %v, %v, want %v, %v", tc.info, rest, reports, tc.rest, tc.reports)
		}
	}
}

func TestHashFlatness(t *testing.T) {
	rep := &ThroughputReport{}
	add := func(target, test string, rps, cpu float64) {
		rep.Rows = append(rep.Rows, ThroughputRow{Test: test, Target: target, Runs: []Result{{RPS: rps, CPUUsPerOp: cpu}}})
	}
	add("redis", "HSET@10", 30000, 20)
	add("redis", "HSET@1000", 20000, 40)
	add("dynago", "HSET@10", 10000, 100)
	add("dynago", "HSET@1000", 12000, 90) // the fastest size need not be the smallest
	add("dynago", "HGET@10", 10000, 50)   // a size missing: no figure for HGET
	ts := []*Target{{Name: "redis"}, {Name: "dynago"}}
	got := hashFlatness(rep, ts, []int{10, 1000})
	want := "one collection of each size, the fastest size against 1000 elements (flat within 1.5x is the target): " +
		"dynago: HSET 1.00x (CPU/op 1.00x); redis: HSET 1.50x (CPU/op 2.00x)"
	if got != want {
		t.Errorf("hashFlatness:\n got %s\nwant %s", got, want)
	}
}
