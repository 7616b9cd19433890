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
