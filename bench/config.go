package bench

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Output formats accepted by Config.Format.
const (
	FormatTable     = "table"
	FormatBenchstat = "benchstat"
)

// Config is everything a benchmark run can be told. DefaultConfig gives the
// values `make bench` uses; flags in cmd/dynago-bench map onto these fields and
// nothing else reads flags.
type Config struct {
	// DynagoBin is the Dynago server binary. Empty means: build ./cmd/dynago
	// (relative to the working directory) into the scratch directory.
	DynagoBin string
	// RedisServerBin and RedisBenchmarkBin are looked up in PATH when they
	// contain no slash.
	RedisServerBin    string
	RedisBenchmarkBin string
	// Fsync is passed to Dynago as --fsync. Default "batch" (group commit),
	// the closest match to redis-server's appendfsync everysec.
	Fsync string

	// Throughput enables the redis-benchmark scenario.
	Throughput bool
	// Tests are redis-benchmark test names (-t). Default SET then GET, so
	// that GET finds the keys SET wrote.
	Tests []string
	// Pipelines are the -P values, each a separate round. Default 1 and 16:
	// one request per round trip, and the batched case where server-side
	// cost dominates.
	Pipelines []int
	// Requests is -n per pipeline value, aligned with Pipelines; a single
	// value applies to all. Default 100000 for -P 1 and 500000 for -P 16:
	// two to three seconds each for redis-server on two cores, and under
	// forty for a Dynago ten times slower, so that the throughput and memory
	// scenarios take about two and a half minutes and a whole `make bench`,
	// cluster scenario included, stays under six on two cores.
	Requests []int
	// Clients is -c. Default 50, redis-benchmark's own default.
	Clients int
	// ValueSize is -d in bytes. Default 100, a typical small value.
	ValueSize int
	// Keyspace is -r: keys are drawn from this many. Default 100000, large
	// enough that the load is not a single hot key.
	Keyspace int
	// Repeat runs every measurement this many times and reports the median.
	// Default 1.
	Repeat int
	// RunTimeout bounds one redis-benchmark run. Default 2m, well above a
	// healthy run, so it only cuts off a stuck or pathologically slow server.
	RunTimeout time.Duration

	// HotKey enables the hot-key scenario: SET and INCR on one key from
	// Clients unpipelined connections, HotKeyRequests each, against
	// redis-server (appendfsync always) and Dynago (--fsync batch).
	HotKey bool
	// MultiKey enables the multi-key scenario: MSET of ten random keys
	// (HotKeyRequests) against ten SETs per pipeline (ten times as many).
	MultiKey bool
	// HotKeyRequests is -n of the hot-key and multi-key runs. Default 20000.
	HotKeyRequests int

	// Hashes enables the hash scenario: HSET and HGET of random fields of
	// random hashes at every pipeline depth (Requests as the throughput
	// scenario's), then HSET and HGET of one hash of each of HashSizes
	// fields (HashRequests each, unpipelined), against redis-server
	// (appendfsync always) and Dynago (--fsync batch).
	Hashes bool
	// HashSizes are the field counts of the hashes measured one by one.
	// Default 10, 10000 and 1000000: a write's cost must not grow with
	// the hash.
	HashSizes []int
	// HashRequests is -n of each run on one hash. Default 20000.
	HashRequests int

	// Memory enables the memory-footprint scenario.
	Memory bool
	// MemoryKeys distinct keys key:0 .. key:MemoryKeys-1 are loaded; RSS is
	// read at a quarter, half and all of them. Default 1000000.
	MemoryKeys int
	// MemoryValueSize is the value size in bytes. Default 100.
	MemoryValueSize int
	// MemoryBatch is the number of SETs per pipeline. Default 1000.
	MemoryBatch int
	// MemoryWorkers is the number of pipelines in flight. Default 8, so that
	// a server that group-commits fsyncs sees concurrent writers.
	MemoryWorkers int
	// MemoryTimeout bounds the whole load into one target. Default 2m.
	MemoryTimeout time.Duration

	// Cluster enables the cluster scenario: redis-server, one Dynago node and
	// a Dynago cluster side by side under the redis-benchmark load of the
	// throughput scenario (Tests, Pipelines, Clients, ValueSize, Keyspace),
	// the cluster once through one node and once through all, then the
	// fixed-rate run against the cluster.
	Cluster bool
	// ClusterNodes is the cluster's size. Default 3, the smallest cluster
	// that keeps N=3 replicas on distinct nodes.
	ClusterNodes int
	// Routing enables the routing scenario: a cluster of RoutingNodes
	// (default 5) driven by plain clients spread over its nodes and by
	// redis-benchmark --cluster, under the cluster scenario's load and
	// quorums.
	Routing      bool
	RoutingNodes int
	// ClusterReplicas, ClusterReadQuorum and ClusterWriteQuorum are the
	// cluster's N, R and W. Default 3, 2, 2: Dynago's own defaults, where a
	// read and a write quorum always overlap (R+W > N).
	ClusterReplicas    int
	ClusterReadQuorum  int
	ClusterWriteQuorum int
	// ClusterRequests is -n per pipeline value in the cluster scenario,
	// aligned with Pipelines; a single value applies to all. Empty (the
	// default) means a fifth of Requests, so that -requests scales both
	// scenarios: a three-node cluster on two cores stores every write three
	// times and forwards most requests, and serves SET at a quarter to a
	// fifth of one node's rate, so a fifth keeps its runs about as long as
	// one node's in the throughput scenario.
	ClusterRequests []int

	// Rate is the request rate, per second over all nodes, of the fixed-rate
	// run in the cluster scenario; 0 skips it. Default 5000, a moderate load
	// for a small cluster. Where the machine cannot serve it comfortably (on
	// two cores, the three nodes and the generator share them), latencies
	// include queueing and ok/s falls below the rate: that is the finding.
	Rate int
	// RateDuration is how long requests are sent. Default 10s: 50000
	// requests at the default rate, enough for a p99.9 from 50 samples.
	RateDuration time.Duration
	// RateConns bounds the requests in flight (and connections per node).
	// Default 128: room for 25ms latencies at 5000/s before requests queue.
	RateConns int
	// RateReadRatio is the fraction of GETs; the rest are SETs. Default 0.5.
	RateReadRatio float64
	// RateTimeout bounds one request of the fixed-rate run. Default 2s.
	RateTimeout time.Duration

	// Failover enables the failover scenario: Dynago clusters of three and
	// five nodes under write load while nodes are killed and restarted, and
	// the time a restarted node takes to catch up (see FailoverScenario).
	// Default on.
	Failover bool

	// StartTimeout bounds the wait for a server to answer PING, and for a
	// cluster to see all its members alive. Default 30s.
	StartTimeout time.Duration
	// StopTimeout is how long a server may take to exit after SIGTERM before
	// it is killed. Default 15s, room for a graceful flush.
	StopTimeout time.Duration

	// Format is FormatTable (default) or FormatBenchstat.
	Format string
	// KeepData keeps the scratch directory (data dirs and server logs).
	KeepData bool
	// ScratchParent is where the scratch directory is created; empty means
	// the system temporary directory.
	ScratchParent string
}

// DefaultConfig returns the configuration `make bench` runs with.
func DefaultConfig() Config {
	return Config{
		RedisServerBin:     "redis-server",
		RedisBenchmarkBin:  "redis-benchmark",
		Fsync:              "batch",
		Throughput:         true,
		Tests:              []string{"SET", "GET"},
		Pipelines:          []int{1, 16},
		Requests:           []int{100000, 500000},
		Clients:            50,
		ValueSize:          100,
		Keyspace:           100000,
		Repeat:             1,
		RunTimeout:         2 * time.Minute,
		HotKey:             true,
		MultiKey:           true,
		HotKeyRequests:     20000,
		Hashes:             true,
		HashSizes:          []int{10, 10000, 1000000},
		HashRequests:       20000,
		Memory:             true,
		MemoryKeys:         1000000,
		MemoryValueSize:    100,
		MemoryBatch:        1000,
		MemoryWorkers:      8,
		MemoryTimeout:      2 * time.Minute,
		Cluster:            true,
		ClusterNodes:       3,
		Routing:            true,
		RoutingNodes:       5,
		ClusterReplicas:    3,
		ClusterReadQuorum:  2,
		ClusterWriteQuorum: 2,
		Rate:               5000,
		RateDuration:       10 * time.Second,
		RateConns:          128,
		RateReadRatio:      0.5,
		RateTimeout:        2 * time.Second,
		Failover:           true,
		StartTimeout:       30 * time.Second,
		StopTimeout:        15 * time.Second,
		Format:             FormatTable,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch c.Fsync {
	case "always", "batch", "never":
	default:
		return fmt.Errorf("fsync %q: want always, batch or never", c.Fsync)
	}
	switch c.Format {
	case FormatTable, FormatBenchstat:
	default:
		return fmt.Errorf("format %q: want %s or %s", c.Format, FormatTable, FormatBenchstat)
	}
	if c.Hashes && (len(c.HashSizes) == 0 || slices.Min(c.HashSizes) < 1 || c.HashRequests < 1) {
		return fmt.Errorf("hash sizes %v, requests %d: want sizes of at least 1 and at least 1 request", c.HashSizes, c.HashRequests)
	}
	if !c.Throughput && !c.HotKey && !c.MultiKey && !c.Hashes && !c.Memory && !c.Cluster && !c.Routing && !c.Failover {
		return errors.New("nothing to do: every scenario is off")
	}
	if (c.HotKey || c.MultiKey) && c.HotKeyRequests < 1 {
		return fmt.Errorf("hot-key requests %d: want at least 1", c.HotKeyRequests)
	}
	if c.Repeat < 1 {
		return fmt.Errorf("repeat %d: want at least 1", c.Repeat)
	}
	if c.StartTimeout <= 0 || c.StopTimeout <= 0 {
		return errors.New("start and stop timeouts must be positive")
	}
	if c.Throughput || c.Cluster {
		if len(c.Tests) == 0 {
			return errors.New("no tests given")
		}
		for _, t := range c.Tests {
			if t == "" || strings.ContainsAny(t, ", ") {
				return fmt.Errorf("test %q: want one redis-benchmark test name", t)
			}
		}
		if len(c.Pipelines) == 0 {
			return errors.New("no pipeline values given")
		}
		for _, p := range c.Pipelines {
			if p < 1 {
				return fmt.Errorf("pipeline %d: want at least 1", p)
			}
		}
		if len(c.Requests) != 1 && len(c.Requests) != len(c.Pipelines) {
			return fmt.Errorf("%d request counts for %d pipeline values: give one, or one per pipeline value",
				len(c.Requests), len(c.Pipelines))
		}
		for _, n := range c.Requests {
			if n < 1 {
				return fmt.Errorf("requests %d: want at least 1", n)
			}
		}
		if c.Clients < 1 || c.ValueSize < 1 || c.Keyspace < 1 {
			return errors.New("clients, value size and keyspace must be positive")
		}
		if c.RunTimeout <= 0 {
			return errors.New("run timeout must be positive")
		}
	}
	if c.Cluster || c.Routing {
		if err := c.validateCluster(); err != nil {
			return err
		}
	}
	if c.Memory {
		if c.MemoryKeys < 4 {
			return fmt.Errorf("memory keys %d: want at least 4", c.MemoryKeys)
		}
		if c.MemoryValueSize < 1 || c.MemoryBatch < 1 || c.MemoryWorkers < 1 {
			return errors.New("memory value size, batch and workers must be positive")
		}
		if c.MemoryTimeout <= 0 {
			return errors.New("memory timeout must be positive")
		}
	}
	return nil
}

// maxRateRequests bounds the requests of one fixed-rate run, so a mistyped
// rate cannot exhaust memory (every latency is kept).
const maxRateRequests = 10_000_000

func (c Config) validateCluster() error {
	if c.ClusterNodes < 2 {
		return fmt.Errorf("cluster nodes %d: want at least 2", c.ClusterNodes)
	}
	if c.Routing && c.RoutingNodes < 2 {
		return fmt.Errorf("routing nodes %d: want at least 2", c.RoutingNodes)
	}
	n, r, w := c.ClusterReplicas, c.ClusterReadQuorum, c.ClusterWriteQuorum
	if n < 1 || r < 1 || w < 1 || r > n || w > n {
		return fmt.Errorf("cluster N=%d R=%d W=%d: want 1 <= R, W <= N", n, r, w)
	}
	if len(c.ClusterRequests) > 1 && len(c.ClusterRequests) != len(c.Pipelines) {
		return fmt.Errorf("%d cluster request counts for %d pipeline values: give one, or one per pipeline value",
			len(c.ClusterRequests), len(c.Pipelines))
	}
	for _, n := range c.ClusterRequests {
		if n < 1 {
			return fmt.Errorf("cluster requests %d: want at least 1", n)
		}
	}
	if c.Rate < 0 {
		return fmt.Errorf("rate %d: want 0 (off) or more", c.Rate)
	}
	if c.Rate == 0 {
		return nil
	}
	if c.RateDuration <= 0 || c.RateTimeout <= 0 {
		return errors.New("rate duration and timeout must be positive")
	}
	if c.RateConns < 1 {
		return fmt.Errorf("rate conns %d: want at least 1", c.RateConns)
	}
	if c.RateReadRatio < 0 || c.RateReadRatio > 1 {
		return fmt.Errorf("rate read ratio %v: want 0 to 1", c.RateReadRatio)
	}
	if n := rateRequests(c.Rate, c.RateDuration); n < 1 || n > maxRateRequests {
		return fmt.Errorf("rate %d/s for %v is %d requests: want 1 to %d", c.Rate, c.RateDuration, n, maxRateRequests)
	}
	return nil
}

// clusterRequestDivisor turns Requests into the cluster scenario's default
// request counts (see ClusterRequests).
const clusterRequestDivisor = 5

// ClusterRequestsFor returns -n for the i-th pipeline value in the cluster
// scenario.
func (c Config) ClusterRequestsFor(i int) int {
	switch len(c.ClusterRequests) {
	case 0:
		return max(1, c.RequestsFor(i)/clusterRequestDivisor)
	case 1:
		return c.ClusterRequests[0]
	default:
		return c.ClusterRequests[i]
	}
}

// RequestsFor returns -n for the i-th pipeline value.
func (c Config) RequestsFor(i int) int {
	if len(c.Requests) == 1 {
		return c.Requests[0]
	}
	return c.Requests[i]
}

// ParseIntList parses a comma-separated list of integers such as "1,16".
func ParseIntList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list %q", s)
	}
	return out, nil
}

// ParseNameList parses a comma-separated list of names such as "set,get" and
// upper-cases them, the way redis-benchmark names its tests in CSV output.
func ParseNameList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, strings.ToUpper(f))
		}
	}
	return out
}
