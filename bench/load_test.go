package bench

import (
	"bytes"
	"slices"
	"testing"
)

func TestBenchmarkArgs(t *testing.T) {
	l := Load{Test: "SET", Pipeline: 16, Clients: 50, Requests: 1000000, ValueSize: 100, Keyspace: 100000}
	got := benchmarkArgs("127.0.0.1", "6379", l, false)
	want := []string{"-h", "127.0.0.1", "-p", "6379", "-t", "set", "-c", "50", "-n", "1000000",
		"-d", "100", "-P", "16", "-r", "100000", "--csv"}
	if !slices.Equal(got, want) {
		t.Errorf("benchmarkArgs =\n %q\nwant\n %q", got, want)
	}
	// The text report is what redis-benchmark prints without --csv and -q.
	if got := benchmarkArgs("127.0.0.1", "6379", l, true); !slices.Equal(got, want[:len(want)-1]) {
		t.Errorf("benchmarkArgs for the text report =\n %q\nwant\n %q", got, want[:len(want)-1])
	}
	// No keyspace: every request on the test's one key, as redis-benchmark
	// does by default.
	l.Keyspace = 0
	if got := benchmarkArgs("127.0.0.1", "6379", l, false); slices.Contains(got, "-r") {
		t.Errorf("benchmarkArgs without a keyspace = %q, want no -r", got)
	}
	// A command of its own replaces the test, after every flag.
	l.Command = []string{"HGET", "h", "f:__rand_int__"}
	got = benchmarkArgs("127.0.0.1", "6379", l, false)
	if slices.Contains(got, "-t") || !slices.Equal(got[len(got)-3:], l.Command) {
		t.Errorf("benchmarkArgs with a command = %q", got)
	}
}

func TestMemoryCheckpoints(t *testing.T) {
	if got := memoryCheckpoints(1000000); !slices.Equal(got, []int{0, 250000, 500000, 1000000}) {
		t.Errorf("memoryCheckpoints = %v", got)
	}
}

func TestFillValue(t *testing.T) {
	a, b, a2 := make([]byte, 100), make([]byte, 100), make([]byte, 100)
	fillValue(a, 1)
	fillValue(b, 2)
	fillValue(a2, 1)
	if !bytes.Equal(a, a2) {
		t.Error("fillValue is not deterministic")
	}
	if bytes.Equal(a, b) {
		t.Error("keys 1 and 2 got the same value")
	}
	for _, c := range a {
		if c < '-' || c > 'z' {
			t.Fatalf("unprintable byte %q in %q", c, a)
		}
	}
	odd := make([]byte, 13) // not a multiple of 8
	fillValue(odd, 5)
	if bytes.IndexByte(odd, 0) >= 0 {
		t.Errorf("tail left unfilled: %q", odd)
	}
}

func TestBenchKey(t *testing.T) {
	if got := benchKey(999999); got != "key:999999" {
		t.Errorf("benchKey = %q", got)
	}
}
