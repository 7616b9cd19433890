package bench

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// LatencyPoint is one point of a cumulative latency distribution: Count
// requests took at most Ms milliseconds.
type LatencyPoint struct {
	Ms    float64
	Count int64
}

// Latencies is a latency distribution known at some points only, as
// redis-benchmark's text report gives it. redis-benchmark records latencies
// in a histogram with three significant digits and prints, for chosen
// buckets, the bucket's upper edge and how many requests fell into it or
// below; so every point is exact at the histogram's resolution, and between
// points nothing is known.
//
// Invariant (kept by normalize): Points ascend strictly by Ms, and Count
// never decreases and never exceeds Total.
type Latencies struct {
	Total  int64 // requests measured
	Points []LatencyPoint
}

// normalize sorts the points by latency, keeps one point per latency (the
// largest count) and raises each count to at least the counts before it. Two
// sections of one report, or rounding, may give points that are out of order
// or not monotone; a count at a lower latency is still a true lower bound at
// every higher latency.
func (d *Latencies) normalize() {
	slices.SortStableFunc(d.Points, func(a, b LatencyPoint) int { return cmp.Compare(a.Ms, b.Ms) })
	out := d.Points[:0]
	var run int64
	for _, p := range d.Points {
		run = min(max(run, p.Count), d.Total)
		if n := len(out); n > 0 && out[n-1].Ms == p.Ms {
			out[n-1].Count = run
			continue
		}
		out = append(out, LatencyPoint{Ms: p.Ms, Count: run})
	}
	d.Points = out
}

// percentileRank is the number of requests that must lie at or below the
// q-quantile of total requests: q*total rounded to nearest, at least one.
// This is how redis-benchmark's histogram library picks a percentile.
func percentileRank(q float64, total int64) int64 {
	return max(1, int64(q*float64(total)+0.5))
}

// Percentile returns the smallest latency among the points at which at least
// q (0 < q <= 1) of the requests are counted: an upper bound of the true
// q-quantile, and equal to it when a point lies on the quantile's bucket
// (redis-benchmark prints a point at 50%, 75%, 87.5%, ... halving the
// distance to 100%, so p50 is exact and p99.9 is the value at 99.902% or
// closer). NaN when no point counts enough requests.
func (d Latencies) Percentile(q float64) float64 {
	if d.Total <= 0 {
		return math.NaN()
	}
	rank := percentileRank(q, d.Total)
	for _, p := range d.Points {
		if p.Count >= rank {
			return p.Ms
		}
	}
	return math.NaN()
}

// countAt returns the largest count among the points at or below ms: how many
// requests are known to have taken at most ms. d must be normalized.
func (d Latencies) countAt(ms float64) int64 {
	i, found := slices.BinarySearchFunc(d.Points, ms, func(p LatencyPoint, ms float64) int { return cmp.Compare(p.Ms, ms) })
	if found {
		return d.Points[i].Count
	}
	if i == 0 {
		return 0
	}
	return d.Points[i-1].Count
}

// MergeLatencies combines the distributions of concurrent runs into the
// distribution of all their requests. At every latency that is a point of
// any run, the merged count is the sum of what each run is known to count
// there, which is a lower bound of the true count; so a percentile of the
// merged distribution is still an upper bound of the true one, and never
// above the worst run's.
func MergeLatencies(ds []Latencies) Latencies {
	var out Latencies
	for _, d := range ds {
		out.Total += d.Total
		for _, p := range d.Points {
			out.Points = append(out.Points, LatencyPoint{Ms: p.Ms})
		}
	}
	slices.SortFunc(out.Points, func(a, b LatencyPoint) int { return cmp.Compare(a.Ms, b.Ms) })
	out.Points = slices.CompactFunc(out.Points, func(a, b LatencyPoint) bool { return a.Ms == b.Ms })
	for i := range out.Points {
		for _, d := range ds {
			out.Points[i].Count += d.countAt(out.Points[i].Ms)
		}
	}
	out.normalize()
	return out
}

// nearestRank returns the q-quantile (0 < q <= 1) of sorted latencies by the
// nearest-rank method: the smallest sample that at least q of the samples do
// not exceed. Zero for no samples.
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// The epsilon keeps q*n that is whole in decimal but not in binary
	// (0.999*1000) from rounding up to the next rank.
	i := int(math.Ceil(q*float64(len(sorted))-1e-9)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
