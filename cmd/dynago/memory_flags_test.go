package main

import (
	"strings"
	"testing"

	"github.com/dynago/dynago/engine"
)

func TestMemoryFlags(t *testing.T) {
	def := engine.DefaultConfig("")
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.blockCache != def.CacheBytes || o.rowCache != int64(def.RowCacheBytes) || o.memtable != int64(def.MemTableBytes) {
		t.Errorf("caches %d/%d/%d, want the engine's defaults", o.blockCache, o.rowCache, o.memtable)
	}
	if want := int64(4*def.RowCacheBytes + 64<<20); o.memoryLimit != want || !o.memoryDefault {
		t.Errorf("default memory limit %d (default %v), want %d", o.memoryLimit, o.memoryDefault, want)
	}
	o, err = parseFlags([]string{"--row-cache-bytes", "0", "--block-cache-bytes", "1048576", "--memtable-bytes", "8388608"})
	if err != nil {
		t.Fatal(err)
	}
	if o.rowCache != 0 || o.blockCache != 1<<20 || o.memtable != 8<<20 || o.memoryLimit != 64<<20 {
		t.Errorf("caches %d/%d/%d, memory limit %d", o.blockCache, o.rowCache, o.memtable, o.memoryLimit)
	}
	if o, err = parseFlags([]string{"--memory-limit-bytes", "0"}); err != nil || o.memoryLimit != 0 || o.memoryDefault {
		t.Errorf("--memory-limit-bytes 0: %d, %v; want no limit", o.memoryLimit, err)
	}
	if o, err = parseFlags([]string{"--memory-limit-bytes", "1073741824"}); err != nil || o.memoryLimit != 1<<30 || o.memoryDefault {
		t.Errorf("--memory-limit-bytes 1 GiB: %d (default %v), %v; want that limit, fixed", o.memoryLimit, o.memoryDefault, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--row-cache-bytes", "-1"}, "must be 0 or positive"},
		{[]string{"--memtable-bytes", "1000"}, "--memtable-bytes must be at least 1 MiB"},
		{[]string{"--memory-limit-bytes", "-5"}, "--memory-limit-bytes must be 0 (none) or positive"},
	} {
		if _, err := parseFlags(tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestHeapLimitFollowsLiveHeap: the default limit never sits below twice
// the live heap, where the collector would run without pause.
func TestHeapLimitFollowsLiveHeap(t *testing.T) {
	base := int64(192 << 20)
	for _, tc := range []struct {
		live uint64
		want int64
	}{
		{0, base},
		{60 << 20, base}, // a million keys: the base holds
		{96 << 20, base},
		{200 << 20, 400 << 20}, // tens of millions of keys: twice the live heap
		{1 << 63, 1 << 62},     // no overflow
	} {
		if got := heapLimit(base, tc.live); got != tc.want {
			t.Errorf("heapLimit(%d, %d) = %d, want %d", base, tc.live, got, tc.want)
		}
	}
}
