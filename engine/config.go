package engine

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/dynago/dynago/version"
)

// FsyncMode says when a write's WAL record reaches the disk before the write
// is acknowledged.
type FsyncMode int

const (
	// FsyncBatch acknowledges a write after the fsync that covers it; writes
	// committed together share one fsync (group commit). The default.
	FsyncBatch FsyncMode = iota
	// FsyncAlways gives every write an fsync of its own before it is
	// acknowledged: the slowest and most conservative mode.
	FsyncAlways
	// FsyncNever leaves syncing to the operating system. A killed process
	// loses nothing the kernel has, but a power loss or kernel crash loses
	// the writes of the last seconds.
	FsyncNever
)

// ParseFsyncMode maps the --fsync flag's words to a mode.
func ParseFsyncMode(s string) (FsyncMode, error) {
	switch s {
	case "batch":
		return FsyncBatch, nil
	case "always":
		return FsyncAlways, nil
	case "never":
		return FsyncNever, nil
	}
	return 0, fmt.Errorf("fsync must be always, batch or never, not %q", s)
}

func (m FsyncMode) String() string {
	switch m {
	case FsyncAlways:
		return "always"
	case FsyncNever:
		return "never"
	}
	return "batch"
}

// Config configures an Engine.
type Config struct {
	// Dir is the data directory; created if missing.
	Dir string
	// Fsync is the durability of acknowledged writes. Default FsyncBatch:
	// durable acknowledgements at a fraction of FsyncAlways's cost.
	Fsync FsyncMode
	// CompressMinBytes is the encoded size above which a record is stored
	// compressed with S2. Default 512: below it S2 rarely saves enough to
	// pay for the decode on every read (see BenchmarkCompression).
	CompressMinBytes int
	// CacheBytes is Pebble's block cache. Default 48 MiB: with the row cache
	// in front of it, enough for the blocks of a hot set, while a node with
	// 1M keys of 100 bytes stays under 300 MiB resident (make bench, memory).
	CacheBytes int64
	// RowCacheBytes bounds the cache of decoded objects of recently used
	// keys (approximate bytes). Default 32 MiB: a hot set of a few hundred
	// thousand small keys served without touching Pebble. 0 disables it.
	RowCacheBytes int
	// MemTableBytes is Pebble's memtable size. Default 16 MiB: random
	// updates spread over a big collection (ZADD of random members of a
	// sorted set of 1M) cost about a fifth less CPU than with 4 MiB, as
	// fewer, larger flushes rewrite the level below less often; plain SETs
	// cost the same (measured side by side; docs/design.md, "Storage").
	MemTableBytes uint64
	// SweepInterval is how often expired keys are removed from disk.
	// Default 100ms, like Redis's active expiry cycle (hz 10). Expired keys
	// are invisible to reads at once; the sweep only reclaims space.
	SweepInterval time.Duration
	// Partitions is the ring's partition count Q (a power of two); the engine
	// counts keys per partition so a cluster can total DBSIZE without
	// scanning. Default 256.
	Partitions int
	// Now is the clock used for expiry; default time.Now. Tests may fake it.
	Now func() time.Time
	// TombstoneGrace is how long a tombstone is kept after it appears on
	// this node before it is collected. 0 keeps tombstones forever (a
	// standalone node removes deleted keys at once and needs none). It must
	// outlast hint delivery and an anti-entropy round, so that no late copy
	// of a deleted value can bring it back.
	TombstoneGrace time.Duration
	// ConvertLayout, if set, decides whether Open converts a store written
	// in an earlier key layout (see Layout) to this build's: nil converts,
	// an error refuses, and Open returns it in a *LayoutError. It may read
	// the store's metadata through e and nothing else. Unset converts.
	ConvertLayout func(e *Engine, found int) error
	// Observer, if set, hears of every record at open and of every change
	// (the anti-entropy hash trees are kept current through it).
	Observer Observer
	// DiskReserveBytes is free space on the data directory's file system
	// that writes leave alone: with less free, writes are refused (a client
	// gets MISCONF) before the disk is full, so that Pebble always has room
	// to flush its memtables and start a new write-ahead log, and never
	// fails or stalls on a full disk. Writes resume once a quarter more than
	// the reserve is free. Default 2*MemTableBytes + 2 MiB (34 MiB): one
	// memtable's table plus one log's preallocation, with a margin.
	// 0 turns the reserve off (a write that finds no space is still refused
	// at once, and so are the writes after it until the disk has room).
	DiskReserveBytes int64
	// DiskCheckInterval is how often free space is measured and a disk that
	// refuses writes is tried again. Default 1s.
	DiskCheckInterval time.Duration
	// FS is the file system the data directory is on; nil is the operating
	// system's. Tests wrap it to inject faults (pebble/v2/vfs/errorfs).
	FS vfs.FS
	// Logger is where the engine logs; nil is slog.Default().
	Logger *slog.Logger
}

// Observer hears of changes to stored records. Changed is called with the
// key's lock held, after the change is committed; it must be quick and must
// not call back into the engine. At open it is called once per stored record
// with a zero old object.
type Observer interface {
	Changed(h uint64, key []byte, old, next version.Object)
	// Flushed says every record was removed (FLUSHALL).
	Flushed()
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig(dir string) Config {
	return Config{
		Dir:              dir,
		Fsync:            FsyncBatch,
		CompressMinBytes: 512,
		CacheBytes:       48 << 20,
		RowCacheBytes:    32 << 20,
		MemTableBytes:    16 << 20,
		SweepInterval:    100 * time.Millisecond,
		Partitions:       256,
		Now:              time.Now,

		DiskReserveBytes:  2*(16<<20) + 2<<20,
		DiskCheckInterval: time.Second,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return fmt.Errorf("engine: data directory not set")
	case c.CompressMinBytes < 0:
		return fmt.Errorf("engine: compress-min-bytes must be >= 0")
	case c.CacheBytes < 0:
		return fmt.Errorf("engine: cache size must be >= 0")
	case c.DiskReserveBytes < 0:
		return fmt.Errorf("engine: disk reserve must be >= 0")
	case c.DiskCheckInterval < 0:
		return fmt.Errorf("engine: disk check interval must be >= 0")
	case c.TombstoneGrace < 0:
		return fmt.Errorf("engine: tombstone grace must be >= 0")
	case c.SweepInterval <= 0:
		return fmt.Errorf("engine: sweep interval must be > 0")
	case c.Partitions < 1 || c.Partitions&(c.Partitions-1) != 0:
		return fmt.Errorf("engine: partitions must be a power of two, not %d", c.Partitions)
	case c.Now == nil:
		return fmt.Errorf("engine: clock not set")
	}
	return nil
}
