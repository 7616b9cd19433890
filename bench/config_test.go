package bench

import (
	"slices"
	"strings"
	"testing"
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
		{"nothing to do", func(c *Config) { c.Throughput, c.Memory = false, false }, "nothing to do"},
		{"requests per pipeline", func(c *Config) { c.Requests = []int{1, 2, 3} }, "3 request counts for 2 pipeline"},
		{"pipeline zero", func(c *Config) { c.Pipelines = []int{0} }, "pipeline 0"},
		{"repeat", func(c *Config) { c.Repeat = 0 }, "repeat"},
		{"test list in one name", func(c *Config) { c.Tests = []string{"SET,GET"} }, "one redis-benchmark test"},
		{"memory keys", func(c *Config) { c.MemoryKeys = 2 }, "memory keys"},
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
