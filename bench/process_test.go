package bench

import (
	"testing"
	"time"
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

func TestParseStatCPU(t *testing.T) {
	// A command name with a space and a parenthesis; utime 250, stime 130.
	stat := []byte("4242 (dyn (go) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 130 0 0 20 0 12 0 100 0 0\n")
	d, err := parseStatCPU(stat)
	if err != nil || d != 3800*time.Millisecond {
		t.Fatalf("parseStatCPU = %v, %v; want 3.8s", d, err)
	}
	for _, bad := range []string{"4242 no name", "4242 (x) S 1 2", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s"} {
		if _, err := parseStatCPU([]byte(bad)); err == nil {
			t.Errorf("parseStatCPU(%q) accepted", bad)
		}
	}
}
