package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Load is one redis-benchmark workload.
type Load struct {
	Test      string // redis-benchmark -t, e.g. "SET"
	Pipeline  int    // -P
	Clients   int    // -c
	Requests  int    // -n
	ValueSize int    // -d
	Keyspace  int    // -r
	// Cluster runs redis-benchmark --cluster: it learns the slots from the
	// node it is given (CLUSTER NODES) and sends each key to its node.
	Cluster bool
	// Command, when set, is the command redis-benchmark sends instead of
	// its test Test (__rand_int__ stands for a number below Keyspace).
	Command []string
}

// benchmarkArgs returns redis-benchmark's arguments for l against host:port.
// With text set it asks for the full text report (see ParseText) instead of
// --csv. redis-benchmark 7 exits with status 1 at the first error reply
// ("Error from server: ..." on stderr), so a run of errors is never taken for
// a measurement.
func benchmarkArgs(host, port string, l Load, text bool) []string {
	args := []string{"-h", host, "-p", port}
	if len(l.Command) == 0 {
		args = append(args, "-t", strings.ToLower(l.Test))
	}
	args = append(args,
		"-c", strconv.Itoa(l.Clients),
		"-n", strconv.Itoa(l.Requests),
		"-d", strconv.Itoa(l.ValueSize),
		"-P", strconv.Itoa(l.Pipeline),
	)
	if l.Keyspace > 0 { // none: every client on the one key the test names
		args = append(args, "-r", strconv.Itoa(l.Keyspace))
	}
	if l.Cluster {
		args = append(args, "--cluster")
	}
	if !text {
		args = append(args, "--csv")
	}
	return append(args, l.Command...)
}

// runBenchmark runs redis-benchmark once against one address, bounded by
// timeout, and parses its report: the text report if text is set, else CSV.
// A CSV result has no latency distribution.
func runBenchmark(ctx context.Context, bin, addr string, l Load, text bool, timeout time.Duration) (TextResult, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return TextResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, benchmarkArgs(host, port, l, text)...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return TextResult{}, fmt.Errorf("redis-benchmark against %s timed out after %v", addr, timeout)
		}
		return TextResult{}, ctx.Err()
	}
	if runErr != nil {
		return TextResult{}, fmt.Errorf("redis-benchmark against %s: %v: %s", addr, runErr, lastLine(stderr.String(), stdout.String()))
	}
	if text {
		rs, err := ParseText(&stdout)
		if err != nil {
			return TextResult{}, fmt.Errorf("redis-benchmark against %s: %w", addr, err)
		}
		return pickText(l.Test, rs)
	}
	rs, err := ParseCSV(&stdout)
	if err != nil {
		return TextResult{}, fmt.Errorf("redis-benchmark against %s: %w", addr, err)
	}
	r, err := pickResult(l.Test, rs)
	return TextResult{Result: r}, err
}

// lastLine returns the last non-empty line of the first text that has one.
// Progress lines end in carriage returns, so those split lines too.
func lastLine(texts ...string) string {
	for _, t := range texts {
		lines := strings.FieldsFunc(t, func(c rune) bool { return c == '\n' || c == '\r' })
		for i := len(lines) - 1; i >= 0; i-- {
			if s := strings.TrimSpace(lines[i]); s != "" {
				return s
			}
		}
	}
	return "(no output)"
}

// runLoad runs l against a target. With several addresses the clients and
// requests are split evenly, one redis-benchmark per node runs concurrently,
// and the runs are merged (see mergeNodes, and mergeTexts for text reports).
func runLoad(ctx context.Context, bin string, addrs []string, l Load, text bool, timeout time.Duration) (Result, error) {
	clients := splitEven(l.Clients, len(addrs))
	requests := splitEven(l.Requests, len(addrs))
	var (
		wg      sync.WaitGroup
		results = make([]TextResult, len(addrs))
		errs    = make([]error, len(addrs))
		used    []int // nodes that got a share of the load
	)
	for i, addr := range addrs {
		if clients[i] == 0 || requests[i] == 0 {
			continue
		}
		used = append(used, i)
		nl := l
		nl.Clients, nl.Requests = clients[i], requests[i]
		wg.Go(func() { results[i], errs[i] = runBenchmark(ctx, bin, addr, nl, text, timeout) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	var rs []TextResult
	var ns []int
	for _, i := range used {
		rs = append(rs, results[i])
		ns = append(ns, requests[i])
	}
	if text {
		return mergeTexts(rs, ns), nil
	}
	sums := make([]Result, len(rs))
	for i, r := range rs {
		sums[i] = r.Result
	}
	return mergeNodes(sums, ns), nil
}

// ThroughputRow is one test at one pipeline depth against one target.
type ThroughputRow struct {
	Test     string
	Pipeline int
	Requests int
	Target   string
	Runs     []Result // one per repetition that succeeded
	Err      error    // the first failure; a failed row reports no numbers
}

// Ratio asks for a ratio row: Num's ops/s over Den's, both endpoint names.
type Ratio struct{ Num, Den string }

// ThroughputReport is the outcome of a redis-benchmark scenario.
type ThroughputReport struct {
	Title  string // table heading, e.g. "Throughput"
	Note   string // printed under the heading if not empty
	Bench  string // benchstat name, e.g. "Throughput" for BenchmarkThroughput/...
	Load   Load   // the common parameters (Test, Pipeline and Requests vary by row)
	Repeat int    // repetitions per row; rows report the median
	Tail   bool   // rows carry p99.9 (read from text reports)
	Routed bool   // rows carry the share of requests routed off their replicas
	Ratios []Ratio
	Rows   []ThroughputRow
	// Commands are the commands of the tests that are not redis-benchmark's
	// own, by test name (see Load.Command); Keyspaces their -r where it is
	// not Load's.
	Commands  map[string][]string
	Keyspaces map[string]int
}

// endpoint is one way of sending load to a target: the name its rows carry
// and the addresses the clients are spread over (a subset of the target's).
type endpoint struct {
	Name  string
	Addrs []string
	Procs []*Process // the processes whose CPU time serves it
	// Cluster drives the endpoint with redis-benchmark --cluster through
	// its first address.
	Cluster bool
}

// targetEndpoints returns one endpoint per target, each using all its nodes.
func targetEndpoints(ts []*Target) []endpoint {
	out := make([]endpoint, len(ts))
	for i, t := range ts {
		out[i] = endpoint{Name: t.Name, Addrs: t.Addrs(), Procs: t.Nodes}
	}
	return out
}

// cpuTime sums the CPU time of procs.
func cpuTime(procs []*Process) (time.Duration, error) {
	var sum time.Duration
	for _, p := range procs {
		d, err := p.CPUTime()
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// ThroughputScenario runs redis-benchmark for every pipeline depth and test
// in cfg against every target, and reports the given ratios (nil: every
// target against the first).
func ThroughputScenario(cfg Config, targets []TargetSpec, ratios []Ratio) Scenario {
	return Scenario{
		Name:    "throughput",
		Targets: targets,
		Run: func(ctx context.Context, env *Env, ts []*Target) (Report, error) {
			rep := &ThroughputReport{
				Title:  "Throughput",
				Bench:  "Throughput",
				Load:   Load{Clients: cfg.Clients, ValueSize: cfg.ValueSize, Keyspace: cfg.Keyspace},
				Repeat: cfg.Repeat,
			}
			rep.Ratios = ratios
			if rep.Ratios == nil {
				for _, t := range ts[1:] {
					rep.Ratios = append(rep.Ratios, Ratio{Num: t.Name, Den: ts[0].Name})
				}
			}
			return rep, runRounds(ctx, env, cfg, cfg.RequestsFor, targetEndpoints(ts), rep)
		},
	}
}

// HotKeyScenario is redis-benchmark's default load, the first a Redis user
// runs: SET and INCR from Clients unpipelined connections, every one on the
// same key, against each target, compared with the first.
func HotKeyScenario(cfg Config, targets []TargetSpec) Scenario {
	return Scenario{
		Name:    "hotkey",
		Targets: targets,
		Run: func(ctx context.Context, env *Env, ts []*Target) (Report, error) {
			rep := pairReport(cfg, "Hot key (one key, as redis-benchmark by default)", "HotKey",
				Load{Clients: cfg.Clients, ValueSize: 3}, ts)
			hc := cfg
			hc.Tests, hc.Pipelines = []string{"SET", "INCR"}, []int{1}
			return rep, runRounds(ctx, env, hc, func(int) int { return cfg.HotKeyRequests }, targetEndpoints(ts), rep)
		},
	}
}

// MultiKeyScenario compares an MSET of ten random keys with ten SETs in one
// pipeline, on each target: MSET's ops/s times ten against the SETs'.
func MultiKeyScenario(cfg Config, targets []TargetSpec) Scenario {
	return Scenario{
		Name:    "multikey",
		Targets: targets,
		Run: func(ctx context.Context, env *Env, ts []*Target) (Report, error) {
			rep := pairReport(cfg, "Multi-key writes", "MultiKey",
				Load{Clients: cfg.Clients, ValueSize: cfg.ValueSize, Keyspace: cfg.Keyspace}, ts)
			rep.Note = "MSET (10 keys) at pipeline 1 writes as many keys per request as SET at pipeline 10: compare MSET ops/s x 10 with SET's"
			eps := targetEndpoints(ts)
			mc := cfg
			mc.Tests, mc.Pipelines = []string{"MSET"}, []int{1}
			err := runRounds(ctx, env, mc, func(int) int { return cfg.HotKeyRequests }, eps, rep)
			if ctx.Err() != nil {
				return rep, err
			}
			mc.Tests, mc.Pipelines = []string{"SET"}, []int{10}
			return rep, errors.Join(err, runRounds(ctx, env, mc, func(int) int { return 10 * cfg.HotKeyRequests }, eps, rep))
		},
	}
}

// pairReport starts a throughput report that compares the second of ts
// with the first.
func pairReport(cfg Config, title, bench string, load Load, ts []*Target) *ThroughputReport {
	return &ThroughputReport{Title: title, Bench: bench, Load: load, Repeat: cfg.Repeat,
		Ratios: []Ratio{{Num: ts[1].Name, Den: ts[0].Name}}}
}

// runRounds runs every test at every pipeline depth in cfg against every
// endpoint, with requestsFor(i) requests at the i-th depth, and appends the
// rows to rep (also those measured before an interrupt). Endpoints take turns
// on each test (and each repetition), so drifting machine load affects them
// alike. A failed row does not stop the others; all failures are returned.
func runRounds(ctx context.Context, env *Env, cfg Config, requestsFor func(int) int, eps []endpoint, rep *ThroughputReport) error {
	var failed []error
	for pi, p := range cfg.Pipelines {
		for _, test := range cfg.Tests {
			l := rep.Load
			l.Test, l.Pipeline, l.Requests = test, p, requestsFor(pi)
			l.Command = rep.Commands[test]
			if r, ok := rep.Keyspaces[test]; ok {
				l.Keyspace = r
			}
			rows := make([]ThroughputRow, len(eps))
			for i, e := range eps {
				rows[i] = ThroughputRow{Test: test, Pipeline: p, Requests: l.Requests, Target: e.Name}
			}
			for run := range cfg.Repeat {
				for i, e := range eps {
					if rows[i].Err != nil {
						continue
					}
					cpu0, cpuErr := cpuTime(e.Procs)
					routed0, routedErr := routedOps(ctx, e.Procs, rep.Routed)
					el, addrs := l, e.Addrs
					if e.Cluster {
						el.Cluster, addrs = true, e.Addrs[:1]
					}
					res, err := runLoad(ctx, env.RedisBenchmarkBin, addrs, el, rep.Tail, cfg.RunTimeout)
					if err == nil {
						settleAll(ctx, env, e.Name, e.Addrs)
					}
					if cpu1, err1 := cpuTime(e.Procs); err == nil && cpuErr == nil && err1 == nil && l.Requests > 0 {
						res.CPUUsPerOp = float64((cpu1 - cpu0).Microseconds()) / float64(l.Requests)
					}
					if routed1, err1 := routedOps(ctx, e.Procs, rep.Routed); rep.Routed && err == nil && routedErr == nil && err1 == nil && l.Requests > 0 {
						res.RoutedPct = 100 * float64(routed1-routed0) / float64(l.Requests)
					}
					if ctx.Err() != nil {
						rep.Rows = append(rep.Rows, rows...)
						return ctx.Err()
					}
					if err != nil {
						rows[i].Err = err
						failed = append(failed, fmt.Errorf("%s -P %d %s: %w", test, p, e.Name, err))
						env.Logf("%s -P %d %s: FAILED: %v", test, p, e.Name, err)
						continue
					}
					rows[i].Runs = append(rows[i].Runs, res)
					tail := ""
					if rep.Tail {
						tail = fmt.Sprintf(", p99.9 %.3f ms", res.P999Ms)
					}
					env.Logf("%s -P %d %s run %d/%d: %.0f ops/s, p50 %.3f ms, p99 %.3f ms%s",
						test, p, e.Name, run+1, cfg.Repeat, res.RPS, res.P50Ms, res.P99Ms, tail)
				}
			}
			rep.Rows = append(rep.Rows, rows...)
		}
	}
	return errors.Join(failed...)
}
