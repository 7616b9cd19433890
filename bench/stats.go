package bench

import (
	"math"
	"slices"
)

// Median returns the metric-wise median of rs: each field is the median of
// that field over the runs, so the result need not be one of the runs. With an
// even number of runs the two middle values are averaged. The test name is
// taken from the first run. Median of no runs is the zero Result.
func Median(rs []Result) Result {
	if len(rs) == 0 {
		return Result{}
	}
	pick := func(f func(Result) float64) float64 {
		xs := make([]float64, len(rs))
		for i, r := range rs {
			xs[i] = f(r)
		}
		return median(xs)
	}
	return Result{
		Test:   rs[0].Test,
		RPS:    pick(func(r Result) float64 { return r.RPS }),
		AvgMs:  pick(func(r Result) float64 { return r.AvgMs }),
		MinMs:  pick(func(r Result) float64 { return r.MinMs }),
		P50Ms:  pick(func(r Result) float64 { return r.P50Ms }),
		P95Ms:  pick(func(r Result) float64 { return r.P95Ms }),
		P99Ms:  pick(func(r Result) float64 { return r.P99Ms }),
		P999Ms: pick(func(r Result) float64 { return r.P999Ms }),
		MaxMs:  pick(func(r Result) float64 { return r.MaxMs }),

		CPUUsPerOp: pick(func(r Result) float64 { return r.CPUUsPerOp }),
		RoutedPct:  pick(func(r Result) float64 { return r.RoutedPct }),
	}
}

// median returns the median of xs (the mean of the two middle values for an
// even count) without reordering xs. NaN for an empty slice.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// splitEven splits total into parts shares that differ by at most one, the
// larger shares first. Used to spread clients and requests over the nodes of
// a target.
func splitEven(total, parts int) []int {
	out := make([]int, parts)
	for i := range out {
		out[i] = total / parts
		if i < total%parts {
			out[i]++
		}
	}
	return out
}

// mergeNodes combines concurrent runs of one test against the nodes of one
// target, where run i sent requests[i] requests. Throughput is all requests
// over the longest run's duration (the target served the whole load in that
// time). The average latency is weighted by requests and the minimum is the
// minimum. Percentiles cannot be combined exactly from summaries, so p50, p95,
// p99, p99.9 and max report the worst node: an upper bound (see mergeTexts for
// a tighter one).
func mergeNodes(rs []Result, requests []int) Result {
	if len(rs) == 1 {
		return rs[0]
	}
	out := Result{Test: rs[0].Test, MinMs: math.Inf(1)}
	var total, longest float64
	for i, r := range rs {
		n := float64(requests[i])
		total += n
		if r.RPS > 0 {
			longest = max(longest, n/r.RPS)
		}
		out.AvgMs += r.AvgMs * n
		out.MinMs = min(out.MinMs, r.MinMs)
		out.P50Ms = max(out.P50Ms, r.P50Ms)
		out.P95Ms = max(out.P95Ms, r.P95Ms)
		out.P99Ms = max(out.P99Ms, r.P99Ms)
		out.P999Ms = max(out.P999Ms, r.P999Ms)
		out.MaxMs = max(out.MaxMs, r.MaxMs)
	}
	if total > 0 {
		out.AvgMs /= total
	}
	if longest > 0 {
		out.RPS = total / longest
	}
	return out
}

// mergeTexts combines concurrent runs that each read a text report, like
// mergeNodes, and then tightens each percentile with the merged distribution
// (MergeLatencies). Both are upper bounds of the true percentile of all
// requests, so the smaller one is too.
func mergeTexts(rs []TextResult, requests []int) Result {
	sums := make([]Result, len(rs))
	dists := make([]Latencies, len(rs))
	for i, r := range rs {
		sums[i], dists[i] = r.Result, r.Latencies
	}
	out := mergeNodes(sums, requests)
	if len(rs) == 1 {
		return out
	}
	merged := MergeLatencies(dists)
	tighten := func(v *float64, q float64) {
		if m := merged.Percentile(q); !math.IsNaN(m) && m < *v {
			*v = m
		}
	}
	tighten(&out.P50Ms, 0.50)
	tighten(&out.P95Ms, 0.95)
	tighten(&out.P99Ms, 0.99)
	tighten(&out.P999Ms, 0.999)
	return out
}
