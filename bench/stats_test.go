package bench

import (
	"math"
	"slices"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, 1, 100}, 1},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.in)
		if got := median(in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
		if !slices.Equal(in, tt.in) {
			t.Errorf("median reordered its input: %v", in)
		}
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

func TestMedianResult(t *testing.T) {
	runs := []Result{
		{Test: "SET", RPS: 100, P50Ms: 0.9, P99Ms: 5},
		{Test: "SET", RPS: 300, P50Ms: 0.1, P99Ms: 1},
		{Test: "SET", RPS: 200, P50Ms: 0.5, P99Ms: 9},
	}
	got := Median(runs)
	want := Result{Test: "SET", RPS: 200, P50Ms: 0.5, P99Ms: 5}
	if got != want {
		t.Errorf("Median = %+v, want %+v (each metric on its own)", got, want)
	}
	if got := Median(nil); got != (Result{}) {
		t.Errorf("Median(nil) = %+v, want zero", got)
	}
}

func TestSplitEven(t *testing.T) {
	tests := []struct {
		total, parts int
		want         []int
	}{
		{50, 1, []int{50}},
		{50, 3, []int{17, 17, 16}},
		{2, 3, []int{1, 1, 0}},
		{0, 2, []int{0, 0}},
	}
	for _, tt := range tests {
		if got := splitEven(tt.total, tt.parts); !slices.Equal(got, tt.want) {
			t.Errorf("splitEven(%d, %d) = %v, want %v", tt.total, tt.parts, got, tt.want)
		}
	}
}

func TestMergeNodes(t *testing.T) {
	one := Result{Test: "SET", RPS: 10, P99Ms: 1}
	if got := mergeNodes([]Result{one}, []int{100}); got != one {
		t.Errorf("one node: got %+v, want it unchanged", got)
	}
	// Node a: 1000 requests in 1s; node b: 3000 requests in 2s. The target
	// served 4000 requests in 2s.
	a := Result{Test: "SET", RPS: 1000, AvgMs: 1, MinMs: 0.2, P50Ms: 1, P95Ms: 2, P99Ms: 3, MaxMs: 9}
	b := Result{Test: "SET", RPS: 1500, AvgMs: 3, MinMs: 0.1, P50Ms: 2, P95Ms: 3, P99Ms: 4, MaxMs: 5}
	got := mergeNodes([]Result{a, b}, []int{1000, 3000})
	want := Result{Test: "SET", RPS: 2000, AvgMs: 2.5, MinMs: 0.1, P50Ms: 2, P95Ms: 3, P99Ms: 4, MaxMs: 9}
	if got != want {
		t.Errorf("mergeNodes = %+v, want %+v", got, want)
	}
}

func TestMergeTexts(t *testing.T) {
	// Two nodes, 100 requests each. The summaries give the worst node's
	// percentiles; the merged distribution does better where it can.
	a := TextResult{
		Result: Result{Test: "GET", RPS: 100, AvgMs: 1, MinMs: 0.5, P50Ms: 1, P95Ms: 2, P99Ms: 2, P999Ms: 10, MaxMs: 10},
		Latencies: Latencies{Total: 100, Points: []LatencyPoint{
			{Ms: 1, Count: 50}, {Ms: 2, Count: 99}, {Ms: 10, Count: 100},
		}},
	}
	b := TextResult{
		Result: Result{Test: "GET", RPS: 100, AvgMs: 1, MinMs: 0.5, P50Ms: 0.8, P95Ms: 1, P99Ms: 1.2, P999Ms: 1.5, MaxMs: 1.5},
		Latencies: Latencies{Total: 100, Points: []LatencyPoint{
			{Ms: 0.8, Count: 50}, {Ms: 1, Count: 95}, {Ms: 1.2, Count: 99}, {Ms: 1.5, Count: 100},
		}},
	}
	got := mergeTexts([]TextResult{a, b}, []int{100, 100})
	// p50: 50+95 at 1ms. p95 (190): 99+99 at 2ms, the worst node's. p99
	// (198): 198 at 2ms. p99.9 (200): only at 10ms.
	want := Result{Test: "GET", RPS: 200, AvgMs: 1, MinMs: 0.5, P50Ms: 1, P95Ms: 2, P99Ms: 2, P999Ms: 10, MaxMs: 10}
	if got != want {
		t.Errorf("mergeTexts = %+v, want %+v", got, want)
	}
	// A slow node's tail dominates the worst-node bound but not the merge.
	a.P99Ms, a.P95Ms = 9, 9
	a.Latencies.Points = []LatencyPoint{{Ms: 1, Count: 50}, {Ms: 1.1, Count: 97}, {Ms: 9, Count: 99}, {Ms: 10, Count: 100}}
	got = mergeTexts([]TextResult{a, b}, []int{100, 100})
	if got.P95Ms != 1.1 || got.P99Ms != 9 {
		t.Errorf("mergeTexts p95 %v, p99 %v; want 1.1 (97+99 of 200 by 1.1ms) and 9", got.P95Ms, got.P99Ms)
	}
	if one := mergeTexts([]TextResult{a}, []int{100}); one != a.Result {
		t.Errorf("one node: %+v, want its summary", one)
	}
}

func TestMedianKeepsP999(t *testing.T) {
	got := Median([]Result{{P999Ms: 3}, {P999Ms: 1}, {P999Ms: 2}})
	if got.P999Ms != 2 {
		t.Errorf("Median p99.9 = %v, want 2", got.P999Ms)
	}
}
