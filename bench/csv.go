package bench

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Result is one redis-benchmark measurement: one test against one target.
type Result struct {
	Test  string  // redis-benchmark's test name, e.g. "SET"
	RPS   float64 // requests per second
	AvgMs float64 // latencies in milliseconds
	MinMs float64
	P50Ms float64
	P95Ms float64
	P99Ms float64
	// P999Ms is p99.9, known only from redis-benchmark's text report
	// (ParseText); zero when read from CSV.
	P999Ms float64
	MaxMs  float64
	// CPUUsPerOp is the CPU time (user and system, from /proc) the
	// serving processes spent per request, in microseconds, summed over
	// all of a cluster's nodes; zero when not measured.
	CPUUsPerOp float64
	// RoutedPct is the share of requests, in percent, that reached a node
	// holding no replica of their key (INFO cluster's routed writes and
	// off-replica reads, summed over the nodes); measured only where the
	// report asks for it.
	RoutedPct float64
}

// csvColumns maps redis-benchmark's CSV header names (redis-benchmark 7) to
// the Result field each fills. Columns are found by name, not position, so an
// added column does not shift the others.
var csvColumns = map[string]func(*Result) *float64{
	"rps":            func(r *Result) *float64 { return &r.RPS },
	"avg_latency_ms": func(r *Result) *float64 { return &r.AvgMs },
	"min_latency_ms": func(r *Result) *float64 { return &r.MinMs },
	"p50_latency_ms": func(r *Result) *float64 { return &r.P50Ms },
	"p95_latency_ms": func(r *Result) *float64 { return &r.P95Ms },
	"p99_latency_ms": func(r *Result) *float64 { return &r.P99Ms },
	"max_latency_ms": func(r *Result) *float64 { return &r.MaxMs },
}

// serverErrorPrefix starts the line redis-benchmark prints when the server
// answers a request with an error. Version 7 prints it on stderr and exits;
// older versions run with -e print it among the CSV on stdout and carry on. A
// run that saw one measured error replies, not the command, and must not be
// reported.
const serverErrorPrefix = "Error from server"

// ParseCSV reads the output of `redis-benchmark --csv`. It expects a header
// line naming at least "test" and "rps"; the latency columns are optional. Lines
// that are neither quoted CSV nor server errors (progress, warnings) are
// skipped. Any "Error from server" line makes the whole output an error.
func ParseCSV(r io.Reader) ([]Result, error) {
	var (
		header   []string
		results  []Result
		srvErrs  []string
		lineNo   int
		scanner  = bufio.NewScanner(r)
		errLimit = 3 // server errors quoted in the returned error
	)
	scanner.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for scanner.Scan() {
		lineNo++
		line := strings.TrimSpace(scanner.Text())
		switch {
		case strings.HasPrefix(line, serverErrorPrefix):
			if len(srvErrs) < errLimit {
				srvErrs = append(srvErrs, line)
			}
			continue
		case !strings.HasPrefix(line, `"`):
			continue
		}
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if header == nil {
			header = rec
			if err := checkHeader(header); err != nil {
				return nil, fmt.Errorf("line %d: %w", lineNo, err)
			}
			continue
		}
		res, err := parseRecord(header, rec)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		results = append(results, res)
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	if len(srvErrs) > 0 {
		return nil, fmt.Errorf("server answered with errors: %s", strings.Join(srvErrs, "; "))
	}
	if header == nil {
		return nil, errors.New("no CSV header in redis-benchmark output")
	}
	if len(results) == 0 {
		return nil, errors.New("no results in redis-benchmark output")
	}
	return results, nil
}

func checkHeader(h []string) error {
	var test, rps bool
	for _, c := range h {
		test = test || c == "test"
		rps = rps || c == "rps"
	}
	if !test || !rps {
		return fmt.Errorf("CSV header %q lacks the \"test\" or \"rps\" column", strings.Join(h, ","))
	}
	return nil
}

func parseRecord(header, rec []string) (Result, error) {
	if len(rec) != len(header) {
		return Result{}, fmt.Errorf("%d fields, header has %d", len(rec), len(header))
	}
	var res Result
	for i, name := range header {
		if name == "test" {
			res.Test = rec[i]
			continue
		}
		field, ok := csvColumns[name]
		if !ok {
			continue // a column this runner does not report
		}
		v, err := strconv.ParseFloat(rec[i], 64)
		if err != nil {
			return Result{}, fmt.Errorf("column %s: %q is not a number", name, rec[i])
		}
		*field(&res) = v
	}
	if res.Test == "" {
		return Result{}, errors.New("empty test name")
	}
	return res, nil
}

// pickResult returns the result for test among those one redis-benchmark run
// printed: the one with that name (case-insensitively), or the only one.
func pickResult(test string, rs []Result) (Result, error) {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Test
	}
	i, err := pickIndex(test, names)
	if err != nil {
		return Result{}, err
	}
	return rs[i], nil
}

// pickIndex returns the index of test among names (case-insensitively), or 0
// if there is only one name.
func pickIndex(test string, names []string) (int, error) {
	for i, n := range names {
		if strings.EqualFold(n, test) {
			return i, nil
		}
	}
	if len(names) == 1 {
		return 0, nil
	}
	return 0, fmt.Errorf("no result for test %s among %q", test, names)
}
