package bench

import (
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tredis-server\nVmPeak:\t  123456 kB\nVmRSS:\t    8192 kB\nRssAnon:\t    4096 kB\n"
	got, err := parseVmRSS([]byte(status))
	if err != nil || got != 8192*1024 {
		t.Errorf("parseVmRSS = %d, %v; want %d", got, err, 8192*1024)
	}
	for _, bad := range []string{"Name:\tx\n", "VmRSS:\t12 MB\n", "VmRSS:\tlots kB\n"} {
		if _, err := parseVmRSS([]byte(bad)); err == nil {
			t.Errorf("parseVmRSS(%q): want an error", bad)
		}
	}
}

func TestPortRange(t *testing.T) {
	// Dynago's gossip (+10000) and internode (+20000) ports must stay below
	// the ephemeral range too.
	lo, hi := portRange(10000, 32768, dynagoPortOffsets)
	if lo != 10000 || hi != 12768 {
		t.Errorf("portRange = [%d, %d), want [10000, 12768)", lo, hi)
	}
	if _, hi := portRange(10000, 32768, []int{0}); hi != 32768 {
		t.Errorf("portRange with no offsets: hi = %d, want 32768", hi)
	}
}

func TestPortAllocatorGivesDistinctPorts(t *testing.T) {
	a := newPortAllocator()
	seen := map[int]bool{}
	for range 5 {
		p, err := a.pick(dynagoPortOffsets...)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range dynagoPortOffsets {
			if seen[p+o] {
				t.Fatalf("port %d handed out twice", p+o)
			}
			seen[p+o] = true
		}
	}
}
