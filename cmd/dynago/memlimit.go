package main

import (
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The default soft heap limit must not sit below the live heap, or the
// collector would run without pause (Go caps it at half the CPU). A node's
// live heap grows with its keys (the Merkle trees take about 9 MiB per
// million), so the default limit follows it: never below twice the live
// heap, which keeps collections at least as rare as Go's default GOGC=100
// would. A limit given with --memory-limit-bytes or GOMEMLIMIT is left as
// it is.

// heapLimit is the soft limit for a live heap of live bytes, the default
// limit being base.
func heapLimit(base int64, live uint64) int64 {
	return max(base, int64(min(live, 1<<61)*2))
}

// followLiveHeap sets the soft limit from the live heap every interval
// until stop is closed.
func followLiveHeap(base int64, interval time.Duration, stop <-chan struct{}) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return // not measured by this Go release: the base stays
		}
		debug.SetMemoryLimit(heapLimit(base, sample[0].Value.Uint64()))
	}
}
