package bench

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Config)
		wantErr string
	}{
		{"fsync", func(c *Config) { c.Fsync = "sometimes" }, "fsync"},
		{"format", func(c *Config) { c.Format = "json" }, "format"},
		{"hash sizes", func(c *Config) { c.HashSizes = []int{10, 0} }, "hash sizes"},
		{"nothing to do", func(c *Config) {
			c.Throughput, c.HotKey, c.MultiKey, c.Hashes, c.Memory, c.Cluster, c.Routing, c.Failover = false, false, false, false, false, false, false, false
		}, "nothing to do"},
		{"hot-key requests", func(c *Config) { c.HotKeyRequests = 0 }, "hot-key requests"},
		{"requests per pipeline", func(c *Config) { c.Requests = []int{1, 2, 3} }, "3 request counts for 2 pipeline"},
		{"pipeline zero", func(c *Config) { c.Pipelines = []int{0} }, "pipeline 0"},
		{"repeat", func(c *Config) { c.Repeat = 0 }, "repeat"},
		{"test list in one name", func(c *Config) { c.Tests = []string{"SET,GET"} }, "one redis-benchmark test"},
		{"memory keys", func(c *Config) { c.MemoryKeys = 2 }, "memory keys"},
		{"cluster of one", func(c *Config) { c.ClusterNodes = 1 }, "cluster nodes 1"},
		{"routing cluster of one", func(c *Config) { c.Cluster, c.RoutingNodes = false, 1 }, "routing nodes 1"},
		{"quorum above N", func(c *Config) { c.ClusterWriteQuorum = 4 }, "want 1 <= R, W <= N"},
		{"cluster requests per pipeline", func(c *Config) { c.ClusterRequests = []int{1, 2, 3} }, "3 cluster request counts"},
		{"cluster requests zero", func(c *Config) { c.ClusterRequests = []int{0} }, "cluster requests 0"},
		{"negative rate", func(c *Config) { c.Rate = -1 }, "rate -1"},
		{"read ratio", func(c *Config) { c.RateReadRatio = 1.5 }, "read ratio"},
		{"rate conns", func(c *Config) { c.RateConns = 0 }, "rate conns"},
		{"too many rate requests", func(c *Config) { c.Rate, c.RateDuration = 1_000_000, time.Hour }, "requests: want 1 to"},
		{"tests needed by the cluster alone", func(c *Config) { c.Throughput, c.Tests = false, nil }, "no tests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
	c := DefaultConfig()
	c.Memory = false
	c.MemoryKeys = 0 // not checked when the scenario is off
	if err := c.Validate(); err != nil {
		t.Errorf("memory off: %v", err)
	}
	c = DefaultConfig()
	c.Rate = 0
	c.RateConns = 0 // not checked when the fixed-rate run is off
	if err := c.Validate(); err != nil {
		t.Errorf("rate off: %v", err)
	}
}

func TestClusterRequestsFor(t *testing.T) {
	c := DefaultConfig()
	if c.ClusterRequestsFor(0) != 20000 || c.ClusterRequestsFor(1) != 100000 {
		t.Errorf("defaults (a fifth of -requests): %d, %d", c.ClusterRequestsFor(0), c.ClusterRequestsFor(1))
	}
	c.Requests = []int{3}
	if c.ClusterRequestsFor(1) != 1 {
		t.Errorf("a fifth of 3: %d, want at least 1", c.ClusterRequestsFor(1))
	}
	c.ClusterRequests = []int{7}
	if c.ClusterRequestsFor(0) != 7 || c.ClusterRequestsFor(1) != 7 {
		t.Errorf("one value for all: %d, %d", c.ClusterRequestsFor(0), c.ClusterRequestsFor(1))
	}
	c.ClusterRequests = []int{7, 8}
	if c.ClusterRequestsFor(1) != 8 {
		t.Errorf("per pipeline: %d", c.ClusterRequestsFor(1))
	}
}

func TestRequestsFor(t *testing.T) {
	c := DefaultConfig()
	if c.RequestsFor(0) != 100000 || c.RequestsFor(1) != 500000 {
		t.Errorf("defaults: %d, %d", c.RequestsFor(0), c.RequestsFor(1))
	}
	c.Requests = []int{7}
	if c.RequestsFor(0) != 7 || c.RequestsFor(1) != 7 {
		t.Errorf("one value for all: %d, %d", c.RequestsFor(0), c.RequestsFor(1))
	}
}

func TestParseLists(t *testing.T) {
	got, err := ParseIntList(" 1, 16,")
	if err != nil || !slices.Equal(got, []int{1, 16}) {
		t.Errorf("ParseIntList = %v, %v", got, err)
	}
	for _, bad := range []string{"", "1,x", ","} {
		if _, err := ParseIntList(bad); err == nil {
			t.Errorf("ParseIntList(%q): want an error", bad)
		}
	}
	if got := ParseNameList("set, get,,"); !slices.Equal(got, []string{"SET", "GET"}) {
		t.Errorf("ParseNameList = %q", got)
	}
}
