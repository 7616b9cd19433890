package bench

import (
	"strings"
	"testing"
)

func TestInfoField(t *testing.T) {
	// The shape of Dynago's INFO cluster reply.
	info := "# Cluster\r\ncluster_enabled:1\r\ncluster_members:3\r\ncluster_members_alive:2\r\n" +
		"node:127.0.0.1:7201\r\nring_members:127.0.0.1:7201,127.0.0.1:7202\r\n"
	for _, c := range []struct{ key, want string }{
		{"cluster_members_alive", "2"},
		{"cluster_members", "3"},
		{"node", "127.0.0.1:7201"}, // only the first colon separates
	} {
		if got, ok := infoField(info, c.key); !ok || got != c.want {
			t.Errorf("infoField(%s) = %q, %v; want %q", c.key, got, ok, c.want)
		}
	}
	if _, ok := infoField(info, "cluster"); ok {
		t.Error("infoField matched a key prefix")
	}
}

func sampleCluster() *ClusterReport {
	res := func(rps, p50, p99, p999 float64) []Result {
		return []Result{{Test: "SET", RPS: rps, P50Ms: p50, P99Ms: p99, P999Ms: p999}}
	}
	return &ClusterReport{Throughput: &ThroughputReport{
		Title:  "Cluster (3 nodes, N=3 R=2 W=2)",
		Note:   "cluster-via-1: all clients on node 1",
		Bench:  "Cluster",
		Load:   Load{Clients: 50, ValueSize: 100, Keyspace: 100000},
		Repeat: 1,
		Tail:   true,
		Ratios: []Ratio{{"dynago", "redis"}, {"cluster-via-1", "dynago"}, {"cluster-via-3", "dynago"}},
		Rows: []ThroughputRow{
			{Test: "SET", Pipeline: 1, Requests: 20000, Target: "redis", Runs: res(20000, 1, 2, 3)},
			{Test: "SET", Pipeline: 1, Requests: 20000, Target: "dynago", Runs: res(8000, 4, 20, 30)},
			{Test: "SET", Pipeline: 1, Requests: 20000, Target: "cluster-via-1", Runs: res(2000, 16, 100, 600)},
			{Test: "SET", Pipeline: 1, Requests: 20000, Target: "cluster-via-3", Err: errNoQuorum},
		},
	}}
}

var errNoQuorum = proto("NOQUORUM")

func TestClusterTable(t *testing.T) {
	var b strings.Builder
	if err := sampleCluster().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `
Cluster (3 nodes, N=3 R=2 W=2): redis-benchmark -c 50 -d 100 -r 100000, 1 run
cluster-via-1: all clients on node 1
  test  pipeline  requests                target   ops/s  p50 ms   p99 ms  p99.9 ms  CPU us/op
   SET         1     20000                 redis   20000   1.000    2.000     3.000          -
   SET         1     20000                dynago    8000   4.000   20.000    30.000          -
   SET         1     20000         cluster-via-1    2000  16.000  100.000   600.000          -
   SET         1     20000         cluster-via-3  FAILED       -        -         -          -
   SET         1                    dynago/redis   0.40x
   SET         1            cluster-via-1/dynago   0.25x
   SET         1            cluster-via-3/dynago       -
  failed: SET -P 1 cluster-via-3: NOQUORUM
`
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestClusterBenchstat(t *testing.T) {
	var b strings.Builder
	if err := sampleCluster().WriteBenchstat(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := "BenchmarkCluster/test=SET/pipeline=1/target=cluster-via-1\t20000\t500000.0 ns/op\t2000 ops/s\t16.000 p50-ms\t100.000 p99-ms\t600.000 p99.9-ms"
	if len(lines) != 3 || lines[2] != want {
		t.Errorf("benchstat:\n%s\nwant 3 lines, the last\n%s", b.String(), want)
	}
}
