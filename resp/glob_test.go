package resp

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// Redis's matcher fails a match that passes more than 1000 runs of '*'
// (not counting a trailing one); the boundaries below were measured on
// redis-server 7.0 with KEYS against a key of 2000 a's.
func TestGlobStarNesting(t *testing.T) {
	key := bytes.Repeat([]byte("a"), 2000)
	for _, c := range []struct {
		pattern string
		runs    int
		match   bool
	}{
		{strings.Repeat("a*", 1000), 999, true},
		{strings.Repeat("a*", 1001), 1000, true},
		{strings.Repeat("a*", 1002), 1001, false},
		{strings.Repeat("*a", 1000), 1000, true},
		{strings.Repeat("*a", 1001), 1001, false},
		{strings.Repeat("*?", 50000), 50000, false},
		{strings.Repeat(`\*`, 1200) + "*", 0, false},
		{strings.Repeat("[*]", 1200) + "a*", 0, false},
		{"**a***", 1, true},
	} {
		if got := starRuns([]byte(c.pattern)); got != c.runs {
			t.Errorf("starRuns(%.20q...) = %d, want %d", c.pattern, got, c.runs)
		}
		if got := globMatch([]byte(c.pattern), key); got != c.match {
			t.Errorf("globMatch(%.20q..., 2000 a's) = %v, want %v", c.pattern, got, c.match)
		}
	}
}

func TestLastPairs(t *testing.T) {
	args := func(s string) [][]byte {
		var out [][]byte
		for _, f := range strings.Fields(s) {
			out = append(out, []byte(f))
		}
		return out
	}
	for _, c := range []struct {
		args string
		want []int
	}{
		{"MSET k v", []int{1}},
		{"MSET a 1 b 2", []int{1, 3}},
		{"MSET k 1 k 2", []int{3}},
		{"MSET a 1 b 2 a 3", []int{3, 5}},
	} {
		if got := lastPairs(args(c.args)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("lastPairs(%s) = %v, want %v", c.args, got, c.want)
		}
	}
	// Past 16 pairs a map finds the duplicates.
	long := [][]byte{[]byte("MSET")}
	for range 20 {
		long = append(long, []byte("k"), []byte("v"))
	}
	long = append(long, []byte("other"), []byte("v"))
	if got := lastPairs(long); !reflect.DeepEqual(got, []int{39, 41}) {
		t.Errorf("lastPairs(20 times k, then other) = %v, want [39 41]", got)
	}
}
