package engine

// Stats are the storage figures an operator watches (Prometheus, INFO).
type Stats struct {
	DiskBytes     uint64 // live files on disk: tables, WAL, manifests
	MemtableBytes uint64
	Tables        int64 // sstables across all levels
	L0Tables      int64 // tables in level 0; many of them slow reads down
	ReadAmp       int   // sstables (or sublevels) a read may have to look at
	Compactions   int64 // since open
	// CompactionsRunning are the compactions in progress (none for good
	// once a bulk load has been absorbed); CompactionDebt is Pebble's
	// estimate of the bytes to compact for every level to be within its
	// target size. It stays above 0 at rest: level 0 below a compaction's
	// worth counts.
	CompactionsRunning int64
	CompactionDebt     uint64
	Flushes            int64 // memtable flushes since open
	BlockCacheBytes    int64
	BlockCacheHits     int64
	BlockCacheMisses   int64
	WALBytesWritten    uint64
	Records            int64 // keys with a live value (Len)
	Hints              int64 // hints held for other nodes
}

// Stats returns the current storage figures.
func (e *Engine) Stats() Stats {
	if !e.acquire() {
		return Stats{}
	}
	defer e.release()
	m := e.db.Metrics()
	s := Stats{
		DiskBytes:          m.DiskSpaceUsage(),
		MemtableBytes:      m.MemTable.Size,
		ReadAmp:            m.ReadAmp(),
		Compactions:        m.Compact.Count,
		CompactionsRunning: m.Compact.NumInProgress,
		CompactionDebt:     m.Compact.EstimatedDebt,
		Flushes:            m.Flush.Count,
		BlockCacheBytes:    m.BlockCache.Size,
		BlockCacheHits:     m.BlockCache.Hits,
		BlockCacheMisses:   m.BlockCache.Misses,
		WALBytesWritten:    m.WAL.BytesWritten,
		L0Tables:           m.Levels[0].TablesCount,
		Records:            e.Len(),
		Hints:              e.Hints(),
	}
	for _, l := range m.Levels {
		s.Tables += l.TablesCount
	}
	return s
}
