package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterSpec is the shape of a Dynago cluster target.
type ClusterSpec struct {
	Nodes   int    // processes, joined into one cluster
	N, R, W int    // --replicas, --read-quorum, --write-quorum
	Fsync   string // --fsync
}

// clusterSpec is a cluster of nodes with cfg's quorums and fsync mode.
func (cfg Config) clusterSpec(nodes int) ClusterSpec {
	return ClusterSpec{Nodes: nodes, N: cfg.ClusterReplicas, R: cfg.ClusterReadQuorum, W: cfg.ClusterWriteQuorum, Fsync: cfg.Fsync}
}

// DynagoClusterTarget is a cluster of s.Nodes Dynago nodes on loopback: the
// first starts alone, the others --join its gossip port. The target is ready
// when every node answers PING and its INFO cluster counts all the nodes
// alive (cluster_members_alive), so no measurement starts while the ring is
// still forming.
//
// Node i keeps its data in DIR/data/node-i and logs to DIR/node-i.log, so
// that removing DIR/data keeps the logs, as for single-node targets.
func DynagoClusterTarget(s ClusterSpec) TargetSpec {
	return TargetSpec{Name: "cluster", Start: func(ctx context.Context, env *Env, dir string) (t *Target, err error) {
		t = &Target{Name: "cluster"}
		defer func() {
			if err != nil {
				_ = t.Stop(env.StopTimeout)
				t = nil
			}
		}()
		var seedGossip int
		for i := 1; i <= s.Nodes; i++ {
			port, err := env.ports.Pick(dynagoPortOffsets...)
			if err != nil {
				return t, err
			}
			name := fmt.Sprintf("cluster-%d", i)
			data := filepath.Join(dir, dataDirName, fmt.Sprintf("node-%d", i))
			if err := os.MkdirAll(data, 0o755); err != nil {
				return t, err
			}
			// The gossip and internode ports are the defaults (+10000,
			// +20000), which the port allocator checked; they are passed
			// anyway so that --join below stays right if the defaults move.
			gossip := port + dynagoPortOffsets[1]
			args := []string{
				"--bind", loopback, "--port", strconv.Itoa(port), "--dir", data,
				"--gossip-port", strconv.Itoa(gossip), "--peer-port", strconv.Itoa(port + dynagoPortOffsets[2]),
				"--replicas", strconv.Itoa(s.N), "--read-quorum", strconv.Itoa(s.R), "--write-quorum", strconv.Itoa(s.W),
				"--fsync", s.Fsync,
			}
			if i == 1 {
				seedGossip = gossip
			} else {
				args = append(args, "--join", net.JoinHostPort(loopback, strconv.Itoa(seedGossip)))
			}
			p, err := startNode(ctx, env, name, port, filepath.Join(dir, fmt.Sprintf("node-%d.log", i)), env.DynagoBin, args...)
			if err != nil {
				return t, err
			}
			t.Nodes = append(t.Nodes, p)
		}
		start := time.Now()
		if err := waitClusterAlive(ctx, t.Nodes, s.Nodes, env.StartTimeout); err != nil {
			return t, err
		}
		env.Logf("cluster: all %d nodes see %d members alive after %v", s.Nodes, s.Nodes, time.Since(start).Round(time.Millisecond))
		return t, nil
	}}
}

// clusterAliveField is the INFO cluster field counting the members a node
// believes alive.
const clusterAliveField = "cluster_members_alive"

// waitClusterAlive polls INFO cluster on every node until each reports want
// members alive, a node exits, ctx ends or timeout passes.
func waitClusterAlive(ctx context.Context, nodes []*Process, want int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	clients := make([]*redis.Client, len(nodes))
	for i, n := range nodes {
		clients[i] = newLoadClient(n.Addr, 1, time.Second)
		defer clients[i].Close()
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	seen := make([]string, len(nodes)) // last answer per node, for the error
	for {
		ready := 0
		for i, c := range clients {
			info, err := c.Info(ctx, "cluster").Result()
			switch {
			case err != nil:
				seen[i] = err.Error()
			default:
				v, ok := infoField(info, clusterAliveField)
				if !ok {
					seen[i] = "no " + clusterAliveField + " in INFO cluster"
					break
				}
				seen[i] = clusterAliveField + ":" + v
				if n, err := strconv.Atoi(v); err == nil && n == want {
					ready++
				}
			}
		}
		if ready == len(nodes) {
			return nil
		}
		select {
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return ctx.Err()
			}
			var b strings.Builder
			for i, n := range nodes {
				fmt.Fprintf(&b, "\n  %s (%s): %s; log %s", n.Name, n.Addr, seen[i], n.LogPath)
			}
			return fmt.Errorf("cluster did not see %d members alive on every node within %v:%s", want, timeout, b.String())
		case <-tick.C:
		}
		for _, n := range nodes {
			select {
			case <-n.done:
				return fmt.Errorf("%s exited while the cluster formed (%v); log %s:\n%s", n.Name, n.waitErr, n.LogPath, n.logTail(20))
			default:
			}
		}
	}
}

// infoField returns the value of key in an INFO reply ("key:value" lines,
// "# Section" headers).
func infoField(info, key string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if ok && k == key {
			return v, true
		}
	}
	return "", false
}

// ClusterReport is the outcome of the cluster scenario: the redis-benchmark
// comparison and, if it ran, the fixed-rate run.
type ClusterReport struct {
	Throughput *ThroughputReport
	Rate       *RateReport // nil if the run was off or never started
}

// WriteTable prints both parts.
func (r *ClusterReport) WriteTable(w io.Writer) error {
	if err := r.Throughput.WriteTable(w); err != nil {
		return err
	}
	if r.Rate == nil {
		return nil
	}
	return r.Rate.WriteTable(w)
}

// WriteBenchstat prints both parts.
func (r *ClusterReport) WriteBenchstat(w io.Writer) error {
	if err := r.Throughput.WriteBenchstat(w); err != nil {
		return err
	}
	if r.Rate == nil {
		return nil
	}
	return r.Rate.WriteBenchstat(w)
}

// ClusterScenario starts redis-server, one Dynago node and a Dynago cluster,
// and runs the same redis-benchmark load against four endpoints, taking
// turns: redis-server, the single node, the cluster through its first node
// only, and the cluster through all its nodes at once (clients and requests
// split evenly). It reports p99.9 besides p50 and p99, and the ratios
// single/redis and cluster/single. Then, if cfg.Rate is set, it sends
// unpipelined GETs and SETs at a fixed rate to all the cluster's nodes.
func ClusterScenario(cfg Config) Scenario {
	spec := cfg.clusterSpec(cfg.ClusterNodes)
	return Scenario{
		Name:    "cluster",
		Targets: []TargetSpec{RedisTarget(redisPeer(cfg.Fsync)), DynagoTarget(cfg.Fsync), DynagoClusterTarget(spec)},
		Run: func(ctx context.Context, env *Env, ts []*Target) (Report, error) {
			redisT, single, cluster := ts[0], ts[1], ts[2]
			via1 := cluster.Name + "-via-1"
			viaAll := fmt.Sprintf("%s-via-%d", cluster.Name, len(cluster.Nodes))
			eps := []endpoint{
				{Name: redisT.Name, Addrs: redisT.Addrs(), Procs: redisT.Nodes},
				{Name: single.Name, Addrs: single.Addrs(), Procs: single.Nodes},
				// A cluster's CPU is every node's, whichever the clients use.
				{Name: via1, Addrs: cluster.Addrs()[:1], Procs: cluster.Nodes},
				{Name: viaAll, Addrs: cluster.Addrs(), Procs: cluster.Nodes},
			}
			rep := &ClusterReport{Throughput: &ThroughputReport{
				Title: fmt.Sprintf("Cluster (%d nodes, N=%d R=%d W=%d)", spec.Nodes, spec.N, spec.R, spec.W),
				Note: fmt.Sprintf("%s: all clients on node 1; %s: clients and requests split over all nodes; p99.9 from redis-benchmark's latency histogram",
					via1, viaAll),
				Bench:  "Cluster",
				Load:   Load{Clients: cfg.Clients, ValueSize: cfg.ValueSize, Keyspace: cfg.Keyspace},
				Repeat: cfg.Repeat,
				Tail:   true,
				Ratios: []Ratio{
					{Num: single.Name, Den: redisT.Name},
					{Num: via1, Den: single.Name},
					{Num: viaAll, Den: single.Name},
				},
			}}
			err := runRounds(ctx, env, cfg, cfg.ClusterRequestsFor, eps, rep.Throughput)
			if ctx.Err() != nil || cfg.Rate == 0 {
				return rep, err
			}
			rate, rateErr := runRate(ctx, env, cfg, viaAll, cluster.Addrs(), spec)
			rep.Rate = rate
			return rep, errors.Join(err, rateErr)
		},
	}
}

// routedOps sums, over the nodes that answer, the operations that reached
// a node holding no replica of their key (INFO cluster_routed_writes and
// cluster_off_replica_reads); 0 and no error when want is false.
func routedOps(ctx context.Context, nodes []*Process, want bool) (int64, error) {
	if !want {
		return 0, nil
	}
	var sum int64
	for _, p := range nodes {
		c := redis.NewClient(&redis.Options{Addr: p.Addr, MaxRetries: -1})
		info, err := c.Info(ctx, "cluster").Result()
		c.Close()
		if err != nil {
			return 0, fmt.Errorf("%s: INFO cluster: %w", p.Name, err)
		}
		for _, f := range []string{"cluster_routed_writes", "cluster_off_replica_reads"} {
			v, ok := infoField(info, f)
			if !ok {
				return 0, fmt.Errorf("%s: INFO cluster has no %s", p.Name, f)
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %s: %w", p.Name, f, err)
			}
			sum += n
		}
	}
	return sum, nil
}

// RoutingScenario starts a Dynago cluster of cfg.RoutingNodes nodes and
// drives it two ways with the same load: plain redis-benchmark clients
// spread evenly over the nodes (each command goes to whichever node its
// client holds, so most land on a node holding no replica of their key),
// and redis-benchmark --cluster, which learns the slots from CLUSTER NODES
// and sends each key to the node that coordinates it. It reports
// throughput, CPU per operation summed over the nodes, and the share of
// commands routed off their replicas.
func RoutingScenario(cfg Config) Scenario {
	spec := cfg.clusterSpec(cfg.RoutingNodes)
	return Scenario{
		Name:    "routing",
		Targets: []TargetSpec{DynagoClusterTarget(spec)},
		Run: func(ctx context.Context, env *Env, ts []*Target) (Report, error) {
			cluster := ts[0]
			plain := fmt.Sprintf("plain-via-%d", len(cluster.Nodes))
			aware := "cluster-client"
			eps := []endpoint{
				{Name: plain, Addrs: cluster.Addrs(), Procs: cluster.Nodes},
				{Name: aware, Addrs: cluster.Addrs(), Procs: cluster.Nodes, Cluster: true},
			}
			rep := &ThroughputReport{
				Title: fmt.Sprintf("Routing (%d nodes, N=%d R=%d W=%d, --fsync %s)", spec.Nodes, spec.N, spec.R, spec.W, spec.Fsync),
				Note: fmt.Sprintf("%s: plain clients split over all nodes; %s: redis-benchmark --cluster through node 1; routed %%: commands that reached a node holding no replica of their key",
					plain, aware),
				Bench:  "Routing",
				Load:   Load{Clients: cfg.Clients, ValueSize: cfg.ValueSize, Keyspace: cfg.Keyspace},
				Repeat: cfg.Repeat,
				Routed: true,
				Ratios: []Ratio{{Num: aware, Den: plain}},
			}
			return rep, runRounds(ctx, env, cfg, cfg.ClusterRequestsFor, eps, rep)
		},
	}
}
