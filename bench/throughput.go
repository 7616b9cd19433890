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
}

// benchmarkArgs returns redis-benchmark's arguments for l against host:port.
// redis-benchmark 7 exits with status 1 at the first error reply ("Error from
// server: ..." on stderr), so a run of errors is never taken for a measurement.
func benchmarkArgs(host, port string, l Load) []string {
	return []string{
		"-h", host, "-p", port,
		"-t", strings.ToLower(l.Test),
		"-c", strconv.Itoa(l.Clients),
		"-n", strconv.Itoa(l.Requests),
		"-d", strconv.Itoa(l.ValueSize),
		"-r", strconv.Itoa(l.Keyspace),
		"-P", strconv.Itoa(l.Pipeline),
		"--csv",
	}
}

// runBenchmark runs redis-benchmark once against one address, bounded by
// timeout.
func runBenchmark(ctx context.Context, bin, addr string, l Load, timeout time.Duration) (Result, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, benchmarkArgs(host, port, l)...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Result{}, fmt.Errorf("redis-benchmark against %s timed out after %v", addr, timeout)
		}
		return Result{}, ctx.Err()
	}
	if runErr != nil {
		return Result{}, fmt.Errorf("redis-benchmark against %s: %v: %s", addr, runErr, lastLine(stderr.String(), stdout.String()))
	}
	rs, err := ParseCSV(&stdout)
	if err != nil {
		return Result{}, fmt.Errorf("redis-benchmark against %s: %w", addr, err)
	}
	return pickResult(l.Test, rs)
}

// lastLine returns the last non-empty line of the first text that has one.
func lastLine(texts ...string) string {
	for _, t := range texts {
		lines := strings.Split(strings.TrimSpace(t), "\n")
		if s := strings.TrimSpace(lines[len(lines)-1]); s != "" {
			return s
		}
	}
	return "(no output)"
}

// runLoad runs l against a target. With several addresses the clients and
// requests are split evenly, one redis-benchmark per node runs concurrently,
// and the runs are merged (see mergeNodes).
func runLoad(ctx context.Context, bin string, addrs []string, l Load, timeout time.Duration) (Result, error) {
	if len(addrs) == 1 {
		return runBenchmark(ctx, bin, addrs[0], l, timeout)
	}
	clients := splitEven(l.Clients, len(addrs))
	requests := splitEven(l.Requests, len(addrs))
	var (
		wg      sync.WaitGroup
		results = make([]Result, len(addrs))
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
		wg.Go(func() { results[i], errs[i] = runBenchmark(ctx, bin, addr, nl, timeout) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	var rs []Result
	var ns []int
	for _, i := range used {
		rs = append(rs, results[i])
		ns = append(ns, requests[i])
	}
	return mergeNodes(rs, ns), nil
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

// ThroughputReport is the outcome of the throughput scenario.
type ThroughputReport struct {
	Load     Load   // the common parameters (Test, Pipeline and Requests vary by row)
	Repeat   int    // repetitions per row; rows report the median
	Baseline string // target the ratio rows divide by
	Rows     []ThroughputRow
}

// ThroughputScenario runs redis-benchmark for every pipeline depth and test
// in cfg against every target. Targets take turns on each test (and each
// repetition), so drifting machine load affects them alike.
func ThroughputScenario(cfg Config, targets []TargetSpec) Scenario {
	return Scenario{
		Name:    "throughput",
		Targets: targets,
		Run: func(ctx context.Context, env *Env, ts []*Target) (Report, error) {
			rep := &ThroughputReport{
				Load:     Load{Clients: cfg.Clients, ValueSize: cfg.ValueSize, Keyspace: cfg.Keyspace},
				Repeat:   cfg.Repeat,
				Baseline: ts[0].Name,
			}
			var failed []error
			for pi, p := range cfg.Pipelines {
				for _, test := range cfg.Tests {
					l := rep.Load
					l.Test, l.Pipeline, l.Requests = test, p, cfg.RequestsFor(pi)
					rows := make([]ThroughputRow, len(ts))
					for i, t := range ts {
						rows[i] = ThroughputRow{Test: test, Pipeline: p, Requests: l.Requests, Target: t.Name}
					}
					for run := range cfg.Repeat {
						for i, t := range ts {
							if rows[i].Err != nil {
								continue
							}
							res, err := runLoad(ctx, env.RedisBenchmarkBin, t.Addrs(), l, cfg.RunTimeout)
							if ctx.Err() != nil {
								rep.Rows = append(rep.Rows, rows...)
								return rep, ctx.Err()
							}
							if err != nil {
								rows[i].Err = err
								failed = append(failed, fmt.Errorf("%s -P %d %s: %w", test, p, t.Name, err))
								env.Logf("%s -P %d %s: FAILED: %v", test, p, t.Name, err)
								continue
							}
							rows[i].Runs = append(rows[i].Runs, res)
							env.Logf("%s -P %d %s run %d/%d: %.0f ops/s, p50 %.3f ms, p99 %.3f ms",
								test, p, t.Name, run+1, cfg.Repeat, res.RPS, res.P50Ms, res.P99Ms)
						}
					}
					rep.Rows = append(rep.Rows, rows...)
				}
			}
			return rep, errors.Join(failed...)
		},
	}
}
