package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestLatenciesNormalize(t *testing.T) {
	d := Latencies{Total: 10, Points: []LatencyPoint{
		{Ms: 3, Count: 9}, {Ms: 1, Count: 2}, {Ms: 2, Count: 1}, {Ms: 1, Count: 3}, {Ms: 4, Count: 12},
	}}
	d.normalize()
	want := []LatencyPoint{{Ms: 1, Count: 3}, {Ms: 2, Count: 3}, {Ms: 3, Count: 9}, {Ms: 4, Count: 10}}
	if !slices.Equal(d.Points, want) {
		t.Errorf("normalize = %+v, want %+v", d.Points, want)
	}
}

func TestLatenciesPercentile(t *testing.T) {
	d := Latencies{Total: 1000, Points: []LatencyPoint{
		{Ms: 0.5, Count: 500}, {Ms: 0.9, Count: 990}, {Ms: 1.2, Count: 998}, {Ms: 1.5, Count: 999}, {Ms: 7, Count: 1000},
	}}
	for _, c := range []struct{ q, want float64 }{
		{0.001, 0.5}, {0.5, 0.5}, {0.501, 0.9}, {0.99, 0.9}, {0.995, 1.2}, {0.999, 1.5}, {1, 7},
	} {
		if got := d.Percentile(c.q); got != c.want {
			t.Errorf("Percentile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	short := Latencies{Total: 10, Points: []LatencyPoint{{Ms: 1, Count: 5}}}
	if got := short.Percentile(0.9); !math.IsNaN(got) {
		t.Errorf("Percentile beyond the last point = %v, want NaN", got)
	}
	if got := (Latencies{}).Percentile(0.5); !math.IsNaN(got) {
		t.Errorf("Percentile of nothing = %v, want NaN", got)
	}
}

func TestMergeLatencies(t *testing.T) {
	a := Latencies{Total: 100, Points: []LatencyPoint{{Ms: 1, Count: 50}, {Ms: 2, Count: 99}, {Ms: 10, Count: 100}}}
	b := Latencies{Total: 100, Points: []LatencyPoint{{Ms: 1.5, Count: 50}, {Ms: 3, Count: 99}, {Ms: 4, Count: 100}}}
	m := MergeLatencies([]Latencies{a, b})
	want := []LatencyPoint{
		{Ms: 1, Count: 50}, {Ms: 1.5, Count: 100}, {Ms: 2, Count: 149}, {Ms: 3, Count: 198},
		{Ms: 4, Count: 199}, {Ms: 10, Count: 200},
	}
	if m.Total != 200 || !slices.Equal(m.Points, want) {
		t.Errorf("merged = %d %+v, want 200 %+v", m.Total, m.Points, want)
	}
	// p50 of all: 100 requests at or below 1.5, where the worst run's p50
	// would say 1.5 too; p99: 198 at or below 3, not the worst run's 3.
	if got := m.Percentile(0.5); got != 1.5 {
		t.Errorf("merged p50 = %v, want 1.5", got)
	}
	if got := m.Percentile(0.99); got != 3 {
		t.Errorf("merged p99 = %v, want 3", got)
	}
}

// TestMergeLatenciesBounds checks the merge against the naive computation on
// random samples: each run's points are read off its sorted samples at
// random ranks (as redis-benchmark prints some buckets only), and the merged
// percentile must lie between the true percentile of all samples and the
// worst run's percentile.
func TestMergeLatenciesBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 200 {
		runs := 1 + rng.IntN(4)
		var all []float64
		var ds []Latencies
		for range runs {
			n := 1 + rng.IntN(300)
			scale := 1 + 10*rng.Float64()
			s := make([]float64, n)
			for i := range s {
				s[i] = math.Round(rng.ExpFloat64()*scale*1000) / 1000
			}
			slices.Sort(s)
			all = append(all, s...)
			d := Latencies{Total: int64(n)}
			for i := range s {
				// Keep about a third of the points, and always the last, so
				// every quantile has a point at or above it.
				if i == n-1 || rng.IntN(3) == 0 {
					d.Points = append(d.Points, LatencyPoint{Ms: s[i], Count: int64(countAtMost(s, s[i]))})
				}
			}
			d.normalize()
			ds = append(ds, d)
		}
		slices.Sort(all)
		m := MergeLatencies(ds)
		for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
			got := m.Percentile(q)
			truth := all[percentileRank(q, int64(len(all)))-1]
			worst := 0.0
			for _, d := range ds {
				worst = max(worst, d.Percentile(q))
			}
			if got < truth || got > worst {
				t.Fatalf("trial %d q=%v: merged %v outside [true %v, worst run %v]", trial, q, got, truth, worst)
			}
		}
	}
}

func countAtMost(sorted []float64, v float64) int {
	n := 0
	for _, x := range sorted {
		if x <= v {
			n++
		}
	}
	return n
}

func TestNearestRank(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 1000; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {0.999, 999 * time.Millisecond}, {1, time.Second}, {0.0001, time.Millisecond}} {
		if got := nearestRank(s, c.q); got != c.want {
			t.Errorf("nearestRank(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := nearestRank(nil, 0.5); got != 0 {
		t.Errorf("nearestRank of nothing = %v", got)
	}
	if got := nearestRank(s[:1], 0.999); got != time.Millisecond {
		t.Errorf("nearestRank of one sample = %v", got)
	}
}
