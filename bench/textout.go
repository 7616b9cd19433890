package bench

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// TextResult is one test from redis-benchmark's text report: the summary,
// with P999Ms filled from the distribution, and the distribution itself.
type TextResult struct {
	Result
	Latencies Latencies
}

// Lines of redis-benchmark's (version 7) text report, the output without
// --csv and -q. A test's report looks like
//
//	====== SET ======
//	  100000 requests completed in 4.40 seconds
//	  ...
//	Latency by percentile distribution:
//	0.000% <= 0.215 milliseconds (cumulative count 1)
//	50.000% <= 0.455 milliseconds (cumulative count 50636)
//	...
//	Cumulative distribution of latencies:
//	0.011% <= 0.103 milliseconds (cumulative count 11)
//	...
//	Summary:
//	  throughput summary: 22706.63 requests per second
//	  latency summary (msec):
//	          avg       min       p50       p95       p99       max
//	        2.139     0.208     1.879     3.807     6.527    54.271
//
// with progress lines ("SET: rps=... avg_msec=...") before it, separated by
// carriage returns. --csv prints only the summary, so the text report is the
// only place p99.9 can be read from.
var (
	titleLine      = regexp.MustCompile(`^====== (.+) ======$`)
	pointLine      = regexp.MustCompile(`^[0-9.]+% <= ([0-9.]+) milliseconds \(cumulative count ([0-9]+)\)$`)
	throughputLine = regexp.MustCompile(`^throughput summary: (\S+) requests per second$`)
)

const latencySummaryLine = "latency summary (msec):"

// summaryColumns maps the column names of the latency summary to the Result
// field each fills.
var summaryColumns = map[string]func(*Result) *float64{
	"avg": func(r *Result) *float64 { return &r.AvgMs },
	"min": func(r *Result) *float64 { return &r.MinMs },
	"p50": func(r *Result) *float64 { return &r.P50Ms },
	"p95": func(r *Result) *float64 { return &r.P95Ms },
	"p99": func(r *Result) *float64 { return &r.P99Ms },
	"max": func(r *Result) *float64 { return &r.MaxMs },
}

// ParseText reads redis-benchmark's text report (see above). Every test in it
// must be complete: title, at least one distribution point, throughput and
// latency summary. Any "Error from server" line makes the whole output an
// error, as in ParseCSV.
func ParseText(r io.Reader) ([]TextResult, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var (
		out     []TextResult
		cur     *textSection
		srvErrs []string
	)
	finish := func() error {
		if cur == nil {
			return nil
		}
		res, err := cur.result()
		if err != nil {
			return fmt.Errorf("test %s: %w", cur.res.Test, err)
		}
		out = append(out, res)
		cur = nil
		return nil
	}
	lines := strings.FieldsFunc(string(b), func(c rune) bool { return c == '\n' || c == '\r' })
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, serverErrorPrefix) {
			if len(srvErrs) < 3 {
				srvErrs = append(srvErrs, line)
			}
			continue
		}
		if m := titleLine.FindStringSubmatch(line); m != nil {
			if err := finish(); err != nil {
				return nil, err
			}
			cur = &textSection{res: TextResult{Result: Result{Test: m[1]}}}
			continue
		}
		if cur == nil {
			continue // progress before the first report
		}
		if err := cur.line(line); err != nil {
			return nil, fmt.Errorf("test %s: %w", cur.res.Test, err)
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	if len(srvErrs) > 0 {
		return nil, fmt.Errorf("server answered with errors: %s", strings.Join(srvErrs, "; "))
	}
	if len(out) == 0 {
		return nil, errors.New("no test report in redis-benchmark output")
	}
	return out, nil
}

// textSection is the report of one test while it is being read.
type textSection struct {
	res           TextResult
	sawThroughput bool
	sawLatency    bool
	// summaryHeader holds the latency summary's column names once read;
	// inSummary says the next lines are that header and its values.
	inSummary     bool
	summaryHeader []string
}

func (s *textSection) line(line string) error {
	if s.inSummary {
		f := strings.Fields(line)
		if s.summaryHeader == nil {
			s.summaryHeader = f
			return nil
		}
		s.inSummary = false
		if len(f) != len(s.summaryHeader) {
			return fmt.Errorf("latency summary has %d values for %d columns", len(f), len(s.summaryHeader))
		}
		for i, name := range s.summaryHeader {
			field, ok := summaryColumns[name]
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("latency summary %s: %q is not a number", name, f[i])
			}
			*field(&s.res.Result) = v
		}
		s.sawLatency = true
		return nil
	}
	if line == latencySummaryLine {
		s.inSummary = true
		return nil
	}
	if m := pointLine.FindStringSubmatch(line); m != nil {
		ms, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return fmt.Errorf("%q: bad latency", line)
		}
		n, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			return fmt.Errorf("%q: bad count", line)
		}
		s.res.Latencies.Points = append(s.res.Latencies.Points, LatencyPoint{Ms: ms, Count: n})
		s.res.Latencies.Total = max(s.res.Latencies.Total, n)
		return nil
	}
	if m := throughputLine.FindStringSubmatch(line); m != nil {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return fmt.Errorf("throughput %q is not a number", m[1])
		}
		s.res.RPS = v
		s.sawThroughput = true
	}
	return nil
}

// result checks that the section was complete and derives p99.9.
func (s *textSection) result() (TextResult, error) {
	switch {
	case len(s.res.Latencies.Points) == 0 || s.res.Latencies.Total == 0:
		return TextResult{}, errors.New("no latency distribution")
	case !s.sawThroughput:
		return TextResult{}, errors.New("no throughput summary")
	case !s.sawLatency:
		return TextResult{}, errors.New("no latency summary")
	}
	res := s.res
	res.Latencies.normalize()
	res.P999Ms = res.Latencies.Percentile(0.999)
	return res, nil
}

// pickText returns the result for test among those one redis-benchmark run
// printed, by the rules of pickResult.
func pickText(test string, rs []TextResult) (TextResult, error) {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Test
	}
	i, err := pickIndex(test, names)
	if err != nil {
		return TextResult{}, err
	}
	return rs[i], nil
}
