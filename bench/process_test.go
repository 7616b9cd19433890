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
