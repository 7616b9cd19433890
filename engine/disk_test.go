package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/dynago/dynago/version"
)

// faults fails, while on, the writes and syncs of the files whose names end
// in suffix, with errno: an error-injecting file system under Pebble.
type faults struct {
	on     atomic.Bool
	suffix string
	errno  syscall.Errno
	hits   atomic.Int64
}

func (f *faults) String() string { return "faults on *" + f.suffix }

func (f *faults) MaybeError(op errorfs.Op) error {
	if !strings.HasSuffix(op.Path, f.suffix) {
		return nil
	}
	switch op.Kind {
	case errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
	default:
		return nil
	}
	if !f.on.Load() {
		return nil
	}
	f.hits.Add(1)
	return &os.PathError{Op: "write", Path: op.Path, Err: f.errno}
}

// logRecorder keeps the records logged through it.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}

// lines returns the messages logged at level or above.
func (r *logRecorder) lines(level slog.Level) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		if rec.Level >= level {
			out = append(out, rec.Message)
		}
	}
	return out
}

func (r *logRecorder) count(msg string) int {
	n := 0
	for _, m := range r.lines(slog.LevelDebug) {
		if m == msg {
			n++
		}
	}
	return n
}

const (
	msgRefuses = "the data directory refuses writes; clients get MISCONF and reads go on"
	msgResumes = "the data directory accepts writes again"
)

// diskTestConfig makes flushes frequent and probes quick, and logs to logs.
func diskTestConfig(fs vfs.FS, logs *logRecorder) func(*Config) {
	return func(c *Config) {
		c.FS = fs
		c.MemTableBytes = 256 << 10
		c.DiskCheckInterval = 10 * time.Millisecond
		c.Logger = slog.New(logs)
	}
}

// tryPut writes value to key with the next counter, as put does, and
// returns the error instead of failing.
func tryPut(e *Engine, key string, counter uint64, value []byte) error {
	_, err := e.Update([]byte(key), func(cur version.Object, found bool) (version.Object, bool, error) {
		dot := version.Dot{Actor: actor, Counter: counter}
		return cur.Update(cur.Clock, dot, &version.Sibling{Time: int64(counter), Value: value}), true, nil
	})
	return err
}

func randomValue(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	return b
}

// checkAll fails unless every acknowledged write reads back.
func checkAll(t *testing.T, e *Engine, acked map[string][]byte) {
	t.Helper()
	for k, v := range acked {
		o, found, err := e.Get([]byte(k))
		if err != nil {
			t.Fatalf("read %s: %v", k, err)
		}
		if !found || len(o.Siblings) != 1 || string(o.Siblings[0].Value) != string(v) {
			t.Fatalf("%s does not read back as acknowledged (found %v, %d siblings)", k, found, len(o.Siblings))
		}
	}
}

// waitFor polls cond until it holds or within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A flush that finds no space makes every write fail at once with
// ErrDiskFull; reads go on; Pebble's retries are logged about once; when
// space returns writes resume by themselves, and every acknowledged write is
// there, also after a reopen.
func TestDiskFullRefusesWritesAtOnceAndWritesResume(t *testing.T) {
	dir := t.TempDir()
	inj := &faults{suffix: ".sst", errno: syscall.ENOSPC}
	logs := &logRecorder{}
	e := open(t, dir, diskTestConfig(errorfs.Wrap(vfs.Default, inj), logs))

	acked := map[string][]byte{}
	n := uint64(0)
	write := func() (string, []byte, error, time.Duration) {
		n++
		k, v := fmt.Sprintf("key:%d", n), randomValue(8<<10)
		start := time.Now()
		err := tryPut(e, k, n, v)
		if err == nil {
			acked[k] = v
		}
		return k, v, err, time.Since(start)
	}
	for range 40 {
		if _, _, err, _ := write(); err != nil {
			t.Fatal(err)
		}
	}

	inj.on.Store(true)
	// Writes go on until the next memtable flush fails for want of space;
	// from then on each is refused at once.
	for {
		_, _, err, took := write()
		if took > time.Second {
			t.Fatalf("a write took %v", took)
		}
		if err == nil {
			if n > 10000 {
				t.Fatal("no write was refused")
			}
			continue
		}
		if !errors.Is(err, ErrDiskFull) || !IsDiskError(err) {
			t.Fatalf("a write on a full disk failed with %v, not ErrDiskFull", err)
		}
		var de *DiskError
		errors.As(err, &de)
		if de.Reason() != "no space left on device" || de.Restart {
			t.Fatalf("the refusal says %q (restart %v)", de.Reason(), de.Restart)
		}
		break
	}
	for range 100 {
		if _, _, err, took := write(); !errors.Is(err, ErrDiskFull) || took > 500*time.Millisecond {
			t.Fatalf("a write on a full disk answered %v after %v", err, took)
		}
	}
	checkAll(t, e, acked) // reads go on
	// Pebble retries its flush meanwhile, slowed down.
	start, hits := time.Now(), inj.hits.Load()
	waitFor(t, 5*time.Second, "Pebble retries its flush", func() bool { return inj.hits.Load() >= hits+3 })
	if rate := float64(inj.hits.Load()-hits) / time.Since(start).Seconds(); rate > 50 {
		t.Errorf("Pebble retried its flush %.0f times a second", rate)
	}
	h := e.DiskHealth()
	if h.Status != DiskFull || h.Errors < 2 || h.Refused < 101 || h.Cause != "no space left on device" || !strings.Contains(h.LastError, ".sst: no space left on device") {
		t.Fatalf("disk health while full: %+v", h)
	}
	if got := logs.lines(slog.LevelWarn); len(got) != 1 || got[0] != msgRefuses {
		t.Fatalf("while the disk is full the log says %q; want the refusal once", got)
	}

	inj.on.Store(false)
	waitFor(t, 10*time.Second, "writes resume", func() bool {
		_, _, err, _ := write()
		return err == nil
	})
	if h := e.DiskHealth(); h.Status != DiskOK || h.Cause != "" {
		t.Fatalf("disk health after space returned: %+v", h)
	}
	if logs.count(msgResumes) != 1 {
		t.Fatalf("the log does not say once that writes resumed: %q", logs.lines(slog.LevelDebug))
	}
	for range 40 {
		if _, _, err, _ := write(); err != nil {
			t.Fatal(err)
		}
	}
	checkAll(t, e, acked)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	checkAll(t, open(t, dir), acked)
}

// A failed write to the write-ahead log is one Pebble cannot go on from:
// writes are refused (none reaches the broken log, which would panic) until
// a restart; reads go on; the process does not exit; nothing acknowledged
// is lost.
func TestWALWriteFailureRefusesWritesUntilRestart(t *testing.T) {
	for _, mode := range []FsyncMode{FsyncBatch, FsyncNever} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			inj := &faults{suffix: ".log", errno: syscall.EIO}
			logs := &logRecorder{}
			cfg := diskTestConfig(errorfs.Wrap(vfs.Default, inj), logs)
			e := open(t, dir, cfg, func(c *Config) { c.Fsync = mode })
			acked := map[string][]byte{}
			for i := range uint64(20) {
				k, v := fmt.Sprintf("key:%d", i), randomValue(1000)
				if err := tryPut(e, k, i+1, v); err != nil {
					t.Fatal(err)
				}
				if err := e.SyncWAL(); err != nil {
					t.Fatal(err)
				}
				acked[k] = v
			}
			inj.on.Store(true)
			// Under FsyncNever the log is written in the background, a
			// block at a time: a write made after its failure is refused.
			var err error
			for i := uint64(100); err == nil && i < 10000; i++ {
				if err = tryPut(e, "lost", i, randomValue(1000)); err == nil {
					err = e.SyncWAL()
				}
			}
			var de *DiskError
			if !errors.As(err, &de) || !errors.Is(err, ErrDiskFailing) || !de.Restart {
				t.Fatalf("a write whose log write failed answered %v", err)
			}
			if !strings.Contains(de.Reason(), "write-ahead log: input/output error") {
				t.Fatalf("the refusal says %q", de.Reason())
			}
			inj.on.Store(false)
			for range 3 {
				e.disk.probe() // a healed disk does not heal a broken log
			}
			for i := range uint64(20) {
				start := time.Now()
				if err := tryPut(e, "after", 200+i, []byte("y")); !errors.Is(err, ErrDiskFailing) || time.Since(start) > 500*time.Millisecond {
					t.Fatalf("a write after the log failed answered %v after %v", err, time.Since(start))
				}
			}
			if err := e.SyncWAL(); !errors.Is(err, ErrDiskFailing) {
				t.Fatalf("SyncWAL after the log failed: %v", err)
			}
			checkAll(t, e, acked)
			if h := e.DiskHealth(); h.Status != DiskFailing || !h.Restart {
				t.Fatalf("disk health: %+v", h)
			}
			if logs.count(msgRefuses) != 1 {
				t.Fatalf("log: %q", logs.lines(slog.LevelDebug))
			}
			_ = e.Close() // Pebble reports the log's error; it must not panic
			e = open(t, dir, cfg)
			if mode != FsyncNever { // (which keeps the last writes in memory, and they went with the log)
				checkAll(t, e, acked)
			}
			if err := tryPut(e, "after", 300, []byte("z")); err != nil {
				t.Fatalf("a write after the restart: %v", err)
			}
		})
	}
}

// With free space under the reserve, writes are refused before the disk
// fills (Pebble never sees ENOSPC); a write too big for the room left is
// refused alone; writes resume once there is room again.
func TestReserveRefusesWritesBeforeTheDiskFills(t *testing.T) {
	mem := vfs.NewMem()
	const reserve = 10 << 20
	setFree := func(free uint64) {
		mem.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: free, TotalBytes: 1 << 30, UsedBytes: 1<<30 - free})
	}
	setFree(reserve + 3<<20)
	logs := &logRecorder{}
	e := open(t, "/data", diskTestConfig(mem, logs), func(c *Config) { c.DiskReserveBytes = reserve })

	if err := tryPut(e, "small", 1, randomValue(1000)); err != nil {
		t.Fatal(err)
	}
	// 2 MiB needs about 4 MiB (log and table): more than the 3 MiB above the reserve.
	err := tryPut(e, "big", 2, randomValue(2<<20))
	if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("a write too big for the room left answered %v", err)
	}
	if err := tryPut(e, "small2", 3, randomValue(1000)); err != nil {
		t.Fatalf("a small write after a big one was refused: %v", err)
	}

	setFree(reserve - 1)
	e.disk.probe() // the probe measures once per interval; drive it
	start := time.Now()
	err = tryPut(e, "refused", 4, []byte("x"))
	var de *DiskError
	if !errors.As(err, &de) || de.Status != DiskFull || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("a write under the reserve answered %v", err)
	}
	if want := "10.0 MiB free, under the 10.0 MiB reserve"; de.Reason() != want {
		t.Fatalf("the refusal says %q, want %q", de.Reason(), want)
	}
	if _, found := get(t, e, "small"); !found {
		t.Fatal("a read under the reserve failed")
	}
	h := e.DiskHealth()
	if h.Status != DiskFull || h.FreeBytes != reserve-1 || h.ReserveBytes != reserve || h.Errors != 0 {
		t.Fatalf("disk health under the reserve: %+v", h)
	}

	setFree(reserve + 1<<20) // not a quarter above the reserve: writes stay refused
	e.disk.probe()
	e.disk.probe()
	if err := tryPut(e, "refused", 5, []byte("x")); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("a write just above the reserve answered %v", err)
	}
	setFree(2 * reserve)
	waitFor(t, 5*time.Second, "writes resume", func() bool { return tryPut(e, "resumed", 6, []byte("x")) == nil })

	// The reserve can change while the node runs (CONFIG SET disk-reserve).
	e.SetDiskReserve(4 * reserve)
	if err := tryPut(e, "refused", 7, []byte("x")); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("a write under a raised reserve answered %v", err)
	}
	e.SetDiskReserve(0)
	waitFor(t, 5*time.Second, "writes resume without a reserve", func() bool { return tryPut(e, "resumed", 8, []byte("x")) == nil })
}

// stuckFlush holds the table writes (a flush stuck on the disk) while a
// gate is set, then fails them with ENOSPC while full is set.
type stuckFlush struct {
	mu   sync.Mutex
	gate chan struct{}
	full atomic.Bool
}

func (s *stuckFlush) String() string { return "stuck flush" }

func (s *stuckFlush) MaybeError(op errorfs.Op) error {
	if !strings.HasSuffix(op.Path, ".sst") || (op.Kind != errorfs.OpFileWrite && op.Kind != errorfs.OpFileWriteAt) {
		return nil
	}
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if s.full.Load() {
		return &os.PathError{Op: "write", Path: op.Path, Err: syscall.ENOSPC}
	}
	return nil
}

// A write stuck in Pebble (a write stall behind a flush that cannot
// complete) gets its answer as soon as the disk is known to be full, not
// when space returns; the stuck commit completes later, and the store
// stays consistent.
func TestStuckWriteAnsweredWhenTheDiskTurnsFull(t *testing.T) {
	// Far from the reserve and with no failed write: nothing tells the
	// writer in advance that its commit will stall.
	mem := vfs.NewMem()
	mem.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: 1 << 30, TotalBytes: 1 << 30})
	inj := &stuckFlush{}
	logs := &logRecorder{}
	e := open(t, "/data", diskTestConfig(errorfs.Wrap(mem, inj), logs))

	// Flushes hang from now on: the writes fill the memtables until Pebble
	// stalls them.
	gate := make(chan struct{})
	inj.mu.Lock()
	inj.gate = gate
	inj.mu.Unlock()
	type result struct {
		key string
		err error
	}
	results := make(chan result, 1)
	go func() {
		for i := uint64(1); ; i++ {
			k := fmt.Sprintf("key:%d", i)
			if err := tryPut(e, k, i, randomValue(8<<10)); err != nil {
				results <- result{k, err}
				return
			}
		}
	}()
	waitFor(t, 10*time.Second, "Pebble stalls writes", e.disk.stalled.Load)
	select {
	case r := <-results:
		t.Fatalf("a write ended while writes were stalled: %v", r.err)
	default:
	}

	// The held flush now fails for want of space: the stuck write answers.
	inj.full.Store(true)
	turned := time.Now()
	inj.mu.Lock()
	inj.gate = nil
	inj.mu.Unlock()
	close(gate)
	var r result
	select {
	case r = <-results:
	case <-time.After(5 * time.Second):
		t.Fatal("the stuck write got no answer when the disk turned full")
	}
	if !errors.Is(r.err, ErrDiskFull) {
		t.Fatalf("the stuck write answered %v", r.err)
	}
	t.Logf("the stuck write answered %v after the disk turned full", time.Since(turned))
	if err := tryPut(e, "another", 1<<40, []byte("x")); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("a write on the full disk answered %v", err)
	}

	// Space returns: Pebble's retry flushes, the stuck commit completes
	// (and releases its lock and the store), writes resume.
	inj.full.Store(false)
	waitFor(t, 10*time.Second, "the stuck commit completes", func() bool { return e.inUse.Load() == 0 })
	waitFor(t, 10*time.Second, "writes resume", func() bool { return tryPut(e, "resumed", 1<<41, []byte("x")) == nil })
	if o, found := get(t, e, r.key); !found || len(o.Siblings) != 1 {
		t.Fatalf("the write answered with an error but committed later reads %v (found %v)", o, found)
	}
}
