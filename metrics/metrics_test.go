package metrics

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type fixed Snapshot

func (f fixed) Snapshot() Snapshot { return Snapshot(f) }

func TestExpositionParsesWithTheFiguresGiven(t *testing.T) {
	m := New(fixed{MembersTotal: 3, MembersAlive: 2, HintsPending: 7, NoQuorumWrites: 4, Keys: 1234, DiskBytes: 1 << 20,
		DiskStatus: 1, DiskErrors: 5, DiskWritesRefused: 9, DiskFreeBytes: 1 << 20, DiskReserve: 10 << 20})
	m.ObserveCommand("set", 2*time.Millisecond, false)
	m.ObserveCommand("set", 3*time.Millisecond, true)
	m.ObserveCommand("get", time.Millisecond, false)
	m.ObserveRead(1)
	m.ObserveRead(2)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		f, ok := families[name]
		if !ok {
			t.Fatalf("no metric %s", name)
		}
	next:
		for _, mt := range f.Metric {
			for _, lp := range mt.Label {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue next
				}
			}
			switch {
			case mt.Counter != nil:
				return mt.Counter.GetValue()
			case mt.Gauge != nil:
				return mt.Gauge.GetValue()
			case mt.Histogram != nil:
				return float64(mt.Histogram.GetSampleCount())
			}
		}
		t.Fatalf("no %s with labels %v", name, labels)
		return 0
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"dynago_cluster_members", nil, 3},
		{"dynago_cluster_members_alive", nil, 2},
		{"dynago_hints_pending", nil, 7},
		{"dynago_quorum_failures_total", map[string]string{"op": "write"}, 4},
		{"dynago_quorum_failures_total", map[string]string{"op": "read"}, 0},
		{"dynago_keys", nil, 1234},
		{"dynago_pebble_disk_bytes", nil, 1 << 20},
		{"dynago_commands_total", map[string]string{"command": "set"}, 2},
		{"dynago_command_errors_total", map[string]string{"command": "set"}, 1},
		{"dynago_command_duration_seconds", map[string]string{"command": "get"}, 1},
		{"dynago_read_versions", nil, 2},
		{"dynago_disk_healthy", nil, 0},
		{"dynago_disk_status", map[string]string{"status": "full"}, 1},
		{"dynago_disk_status", map[string]string{"status": "ok"}, 0},
		{"dynago_disk_errors_total", nil, 5},
		{"dynago_disk_writes_refused_total", nil, 9},
		{"dynago_disk_free_bytes", nil, 1 << 20},
		{"dynago_disk_reserve_bytes", nil, 10 << 20},
	}
	for _, c := range checks {
		if got := value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, ok := families["go_goroutines"]; !ok {
		t.Error("Go runtime metrics missing")
	}
}
