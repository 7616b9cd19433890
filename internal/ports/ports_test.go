package ports

import (
	"net"
	"strconv"
	"testing"
)

func TestRange(t *testing.T) {
	// Dynago's gossip (+10000) and internode (+20000) ports must stay below
	// the ephemeral range too.
	lo, hi := Range(10000, 32768, []int{0, 10000, 20000})
	if lo != 10000 || hi != 12768 {
		t.Errorf("Range = [%d, %d), want [10000, 12768)", lo, hi)
	}
	if _, hi := Range(10000, 32768, []int{0}); hi != 32768 {
		t.Errorf("Range with no offsets: hi = %d, want 32768", hi)
	}
}

func TestPickGivesDistinctFreePortsBelowTheEphemeralRange(t *testing.T) {
	a := New(1)
	offsets := []int{0, 10000, 20000}
	seen := map[int]bool{}
	for range 20 {
		p, err := a.Pick(offsets...)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range offsets {
			if seen[p+o] {
				t.Fatalf("port %d handed out twice", p+o)
			}
			seen[p+o] = true
			if p+o < lowest || p+o >= EphemeralLow() {
				t.Fatalf("port %d outside [%d, %d)", p+o, lowest, EphemeralLow())
			}
		}
	}
}

func TestFreeSeesABoundPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	p, _ := strconv.Atoi(port)
	if Free(p) {
		t.Fatalf("port %d is bound, Free says it is free", p)
	}
}
