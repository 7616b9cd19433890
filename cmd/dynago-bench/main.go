// Command dynago-bench measures Dynago side by side with redis-server: the
// same redis-benchmark load against both, the memory each takes to hold a
// million keys, a three-node Dynago cluster under the same load and at a
// fixed request rate, and Dynago clusters under write load while nodes are
// killed and restarted (failover). Run it from the repository root
// (`make bench`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/dynago/dynago/bench"
)

func main() {
	cfg := bench.DefaultConfig()
	fs := flag.NewFlagSet("dynago-bench", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: dynago-bench [flags]\n\n"+
			"Starts Dynago and redis-server on loopback (and a Dynago cluster for the\n"+
			"cluster scenario), runs the same load against them and prints a comparison.\n"+
			"Run from the repository root.\n\nflags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.DynagoBin, "dynago", cfg.DynagoBin, "Dynago server binary (default: build ./cmd/dynago)")
	fs.StringVar(&cfg.RedisServerBin, "redis-server", cfg.RedisServerBin, "redis-server binary")
	fs.StringVar(&cfg.RedisBenchmarkBin, "redis-benchmark", cfg.RedisBenchmarkBin, "redis-benchmark binary")
	fs.StringVar(&cfg.Fsync, "fsync", cfg.Fsync, "Dynago --fsync mode of the memory, cluster and failover scenarios, compared with redis-server at equal durability (batch and always: appendfsync always; never: everysec); throughput measures both pairs")

	fs.BoolVar(&cfg.Throughput, "throughput", cfg.Throughput, "run the redis-benchmark throughput scenario")
	tests := fs.String("tests", strings.Join(cfg.Tests, ","), "redis-benchmark tests, in order")
	pipelines := fs.String("pipelines", joinInts(cfg.Pipelines), "pipeline depths (-P), one round each")
	requests := fs.String("requests", joinInts(cfg.Requests), "requests (-n) per pipeline depth; one value applies to all")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "redis-benchmark connections (-c)")
	fs.IntVar(&cfg.ValueSize, "size", cfg.ValueSize, "value size in bytes (-d)")
	fs.IntVar(&cfg.Keyspace, "keyspace", cfg.Keyspace, "random keys drawn from this many (-r)")
	fs.IntVar(&cfg.Repeat, "repeat", cfg.Repeat, "runs per measurement; the median is reported")
	fs.DurationVar(&cfg.RunTimeout, "run-timeout", cfg.RunTimeout, "limit for one redis-benchmark run")

	fs.BoolVar(&cfg.HotKey, "hotkey", cfg.HotKey, "run the hot-key scenario (SET and INCR on one key, unpipelined)")
	fs.BoolVar(&cfg.MultiKey, "multikey", cfg.MultiKey, "run the multi-key scenario (MSET of 10 keys against 10 pipelined SETs)")
	fs.IntVar(&cfg.HotKeyRequests, "hotkey-requests", cfg.HotKeyRequests, "requests (-n) of the hot-key runs and of the MSET run")
	fs.BoolVar(&cfg.Hashes, "hashes", cfg.Hashes, "run the hash scenario (HSET and HGET of random hashes, then of one hash of each of -hash-sizes fields)")
	hashSizes := fs.String("hash-sizes", joinInts(cfg.HashSizes), "field counts of the hashes measured one by one")
	fs.IntVar(&cfg.HashRequests, "hash-requests", cfg.HashRequests, "requests (-n) of each run on one hash")
	fs.BoolVar(&cfg.Memory, "memory", cfg.Memory, "run the memory scenario")
	fs.IntVar(&cfg.MemoryKeys, "memory-keys", cfg.MemoryKeys, "distinct keys loaded in the memory scenario")
	fs.IntVar(&cfg.MemoryValueSize, "memory-size", cfg.MemoryValueSize, "value size in bytes in the memory scenario")
	fs.IntVar(&cfg.MemoryBatch, "memory-batch", cfg.MemoryBatch, "SETs per pipeline in the memory scenario")
	fs.IntVar(&cfg.MemoryWorkers, "memory-workers", cfg.MemoryWorkers, "pipelines in flight in the memory scenario")
	fs.DurationVar(&cfg.MemoryTimeout, "memory-timeout", cfg.MemoryTimeout, "limit for loading one target in the memory scenario")

	fs.BoolVar(&cfg.Cluster, "cluster", cfg.Cluster, "run the cluster scenario (redis, one Dynago node, a Dynago cluster)")
	fs.IntVar(&cfg.ClusterNodes, "cluster-nodes", cfg.ClusterNodes, "Dynago nodes in the cluster scenario")
	fs.BoolVar(&cfg.Routing, "routing", cfg.Routing, "run the routing scenario (a Dynago cluster through plain clients spread over its nodes and through redis-benchmark --cluster)")
	fs.IntVar(&cfg.RoutingNodes, "routing-nodes", cfg.RoutingNodes, "Dynago nodes in the routing scenario")
	clusterRequests := fs.String("cluster-requests", "", "requests (-n) per pipeline depth in the cluster scenario (default: a fifth of -requests)")
	fs.IntVar(&cfg.Rate, "rate", cfg.Rate, "requests/s of the fixed-rate run against the cluster; 0 skips it")
	fs.DurationVar(&cfg.RateDuration, "rate-duration", cfg.RateDuration, "duration of the fixed-rate run")
	fs.IntVar(&cfg.RateConns, "rate-conns", cfg.RateConns, "most requests in flight in the fixed-rate run")
	fs.BoolVar(&cfg.Failover, "failover", cfg.Failover, "run the failover scenario (Dynago clusters with nodes killed and restarted under load)")

	fs.DurationVar(&cfg.StartTimeout, "start-timeout", cfg.StartTimeout, "limit for a server to answer PING after start, and for a cluster to form")
	fs.DurationVar(&cfg.StopTimeout, "stop-timeout", cfg.StopTimeout, "grace after SIGTERM before a server is killed")
	fs.StringVar(&cfg.Format, "format", cfg.Format, "output: table or benchstat")
	fs.BoolVar(&cfg.KeepData, "keep", cfg.KeepData, "keep data directories and server logs")
	fs.StringVar(&cfg.ScratchParent, "tmpdir", cfg.ScratchParent, "parent of the scratch directory (default: system temp dir)")
	_ = fs.Parse(os.Args[1:])
	if fs.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments %q", fs.Args()))
	}

	var err error
	cfg.Tests = bench.ParseNameList(*tests)
	if cfg.HashSizes, err = bench.ParseIntList(*hashSizes); err != nil {
		fail(fmt.Errorf("-hash-sizes: %w", err))
	}
	if cfg.Pipelines, err = bench.ParseIntList(*pipelines); err != nil {
		fail(fmt.Errorf("-pipelines: %w", err))
	}
	if cfg.Requests, err = bench.ParseIntList(*requests); err != nil {
		fail(fmt.Errorf("-requests: %w", err))
	}
	if *clusterRequests != "" {
		if cfg.ClusterRequests, err = bench.ParseIntList(*clusterRequests); err != nil {
			fail(fmt.Errorf("-cluster-requests: %w", err))
		}
	}

	// The first interrupt cancels the run, which stops the servers in order;
	// a second one kills the runner at once (its servers die with it).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	err = bench.Run(ctx, cfg, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "dynago-bench: interrupted")
		os.Exit(130)
	}
	if err != nil {
		fail(err)
	}
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "dynago-bench: %v\n", err)
	os.Exit(1)
}
