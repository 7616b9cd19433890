package node_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/dynago/dynago/dashboard"
	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// withMetrics serves each node's metrics and dashboard on a free port.
func withMetrics(_ int, cfg *node.Config) {
	cfg.MetricsAddr = "127.0.0.1:0"
}

func getCluster(t *testing.T, addr string) dashboard.Cluster {
	t.Helper()
	res, err := http.Get("http://" + addr + "/api/cluster")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var c dashboard.Cluster
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
		t.Fatalf("/api/cluster: %v", err)
	}
	return c
}

// TestMetricsAndClusterAPI reads /metrics with Prometheus's own parser after
// some traffic, and follows a stopped node in /api/cluster.
func TestMetricsAndClusterAPI(t *testing.T) {
	t.Parallel()
	c := testserver.StartCluster(t, 3, with(steady, withMetrics))
	cls := clients(c)
	ctx := ctxFor(t)
	for i := 0; i < 20; i++ {
		if err := cls[0].Set(ctx, fmt.Sprintf("m%d", i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		getOK(t, cls[1], fmt.Sprintf("m%d", i))
	}
	addr := c.Nodes[0].Node.MetricsAddr()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	calls := 0.0
	for _, m := range families["dynago_commands_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "command" && l.GetValue() == "set" {
				calls = m.GetCounter().GetValue()
			}
		}
	}
	if calls < 20 {
		t.Fatalf("dynago_commands_total{command=set} = %v after 20 SETs", calls)
	}
	if v := families["dynago_cluster_members_alive"].GetMetric()[0].GetGauge().GetValue(); v != 3 {
		t.Fatalf("dynago_cluster_members_alive = %v", v)
	}
	for _, name := range []string{"dynago_keys", "dynago_pebble_disk_bytes", "dynago_read_versions", "go_goroutines", "dynago_hints_pending"} {
		if _, ok := families[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	view := getCluster(t, addr)
	if view.Q != 256 || len(view.Owners) != 256 || len(view.Nodes) != 3 {
		t.Fatalf("/api/cluster: q=%d owners=%d nodes=%d", view.Q, len(view.Owners), len(view.Nodes))
	}
	for _, n := range view.Nodes {
		if n.State != "alive" || !n.Reachable {
			t.Fatalf("/api/cluster before the stop: %+v", n)
		}
	}
	c.Nodes[2].Stop()
	poll(t, 20*time.Second, "the dashboard API to show node3 down", func() string {
		for _, n := range getCluster(t, addr).Nodes {
			if n.Name == "node3" && (n.State == "alive" || n.Reachable) {
				return fmt.Sprintf("node3: %+v", n)
			}
		}
		return ""
	})
}
