package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Disk health. Pebble does not refuse writes when its disk fills: a memtable
// flush that fails for want of space is retried at once, hundreds of times
// a second, each failure logged, while writes wait in a write stall until
// space returns; a failed write to the write-ahead log poisons it (Pebble
// panics at the next log rotation). So the engine watches the disk itself:
//
//   - Every file Pebble writes goes through watchedFS, which reports a
//     failed write, sync or preallocation the moment it happens. Commits
//     may not run far ahead of Pebble's writes of its log (walReady), so
//     that a failed one is known long before the log is rotated.
//   - Free space is measured (statfs) once per DiskCheckInterval and
//     whenever the bytes committed since the last measurement could have
//     taken it below DiskReserveBytes. Below the reserve the disk counts as
//     full before it is: Pebble keeps room to flush what it holds and to
//     start a new log, so a disk that fills never makes it fail or stall.
//
// While the disk is full or failing every write is refused at once with a
// *DiskError (the client gets MISCONF; a replica counts as failed); reads
// go on. A probe every DiskCheckInterval lets writes resume once there is
// room above the reserve (plus a quarter, so that they do not flap), a
// whole interval has passed without a failed write (Pebble's retries of
// its flush have succeeded) and a small test file can be written and
// synced. A failed write to the write-ahead log is the exception: Pebble
// cannot continue that log, so writes stay refused until a restart.
//
// The log says so once when it happens, then once per diskLogEvery with
// counts, and once when writes resume; Pebble's retries of a failed flush
// are slowed down (retryBackoff, doubling up to maxRetryBackoff) instead
// of spinning.

// DiskStatus says whether the data directory takes writes.
type DiskStatus int32

const (
	// DiskOK: writes are accepted.
	DiskOK DiskStatus = iota
	// DiskFull: the file system has no space (ENOSPC), or less free space
	// than the reserve; writes are refused until it has room.
	DiskFull
	// DiskFailing: writes to the disk fail for another reason (an I/O
	// error), or the write-ahead log failed; writes are refused.
	DiskFailing
)

func (s DiskStatus) String() string {
	switch s {
	case DiskFull:
		return "full"
	case DiskFailing:
		return "failing"
	}
	return "ok"
}

var (
	// ErrDiskFull matches (errors.Is) a *DiskError for a full disk.
	ErrDiskFull = errors.New("engine: no space left for the data directory")
	// ErrDiskFailing matches a *DiskError for a disk whose writes fail.
	ErrDiskFailing = errors.New("engine: the data directory's disk fails writes")
)

// DiskError is the error of a write refused because the data directory
// cannot take it. The write was not applied.
type DiskError struct {
	Status DiskStatus
	// Restart is set when the write-ahead log failed: writes resume only
	// after the node restarts.
	Restart bool
	// Err is the cause: the failed disk operation, or the free space
	// measured against the reserve.
	Err error
}

func (e *DiskError) Error() string {
	return "engine: the data directory refuses writes: " + e.Err.Error()
}

func (e *DiskError) Unwrap() error { return e.Err }

// Is matches ErrDiskFull or ErrDiskFailing according to the status.
func (e *DiskError) Is(target error) bool {
	return (target == ErrDiskFull && e.Status == DiskFull) || (target == ErrDiskFailing && e.Status == DiskFailing)
}

// Reason is the cause in a few words, for a client: "no space left on
// device", "6.2 MiB free, under the 10.0 MiB reserve", "write-ahead log:
// input/output error".
func (e *DiskError) Reason() string {
	var r string
	var reserve *reserveError
	var errno syscall.Errno
	switch {
	case errors.As(e.Err, &reserve):
		r = reserve.Error()
	case errors.As(e.Err, &errno):
		r = errno.Error()
	default:
		r = e.Err.Error()
	}
	if e.Restart {
		r = "write-ahead log: " + r
	}
	return r
}

// IsDiskError reports whether err is (or wraps) a *DiskError.
func IsDiskError(err error) bool {
	var de *DiskError
	return errors.As(err, &de)
}

// reserveError is the cause of a refusal made by the reserve.
type reserveError struct {
	free, reserve int64
	need          int64 // the refused write's estimated need; 0: none
}

func (e *reserveError) Error() string {
	if e.need > 0 {
		return fmt.Sprintf("a write of %s does not fit in %s free above the %s reserve",
			humanBytes(e.need), humanBytes(max(e.free-e.reserve, 0)), humanBytes(e.reserve))
	}
	return fmt.Sprintf("%s free, under the %s reserve", humanBytes(e.free), humanBytes(e.reserve))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<40:
		return fmt.Sprintf("%.1f TiB", float64(n)/(1<<40))
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// DiskHealth is the state of the data directory's disk (INFO, metrics).
type DiskHealth struct {
	Status  DiskStatus
	Restart bool   // writes resume only after a restart (the write-ahead log failed)
	Cause   string // what refuses writes (DiskError.Reason); "" when ok
	// LastError is the last failed disk write ("" if none since open).
	LastError string
	// Since is when the status last changed (the engine's open at first).
	Since time.Time
	// Errors counts the failed disk writes (and syncs) since open; Refused
	// the writes refused since open.
	Errors, Refused int64
	// WALSyncs counts the fsyncs of the write-ahead log since open: with
	// the writes acknowledged, how many writes each fsync covers.
	WALSyncs int64
	// FreeBytes and TotalBytes are the file system's at the last
	// measurement; -1 when the file system cannot tell.
	FreeBytes, TotalBytes int64
	ReserveBytes          int64
}

var (
	// diskLogEvery is how often a disk that refuses writes is logged about
	// again, with counts (tests shorten it).
	diskLogEvery = 10 * time.Second
	// retryBackoff is the least time between a write that found no space
	// and Pebble's next attempt to create a table (a flush or compaction
	// retry).
	retryBackoff = 100 * time.Millisecond
	// maxRetryBackoff bounds it as it doubles with each failure in a row.
	maxRetryBackoff = time.Second
	// closeWaitWhenBad bounds how long Close waits for writes that are
	// stuck in Pebble on a disk that refuses them.
	closeWaitWhenBad = 5 * time.Second
)

// maxWALLead is how far (bytes committed) commits may run ahead of Pebble's
// writes of its log before a commit syncs the log first (Engine.walReady):
// two of the log's 32 KiB blocks, so that a log writer that keeps up (it
// writes each block as it fills) makes no commit wait; and a quarter of
// Pebble's smallest memtable (its first, of 256 KiB; a quarter of
// MemTableBytes if that is smaller), so that a failed write of the log is
// known well before a memtable can fill and Pebble rotate its log.
const maxWALLead = 64 << 10

// probeName is the file the probe writes in the data directory.
const probeName = "dynago-disk-probe"

// disk watches the data directory's disk; see the top of this file.
type disk struct {
	inner    vfs.FS // the file system under watchedFS
	fs       vfs.FS // watchedFS
	dir      string
	reserve  atomic.Int64 // Config.DiskReserveBytes, changed by SetDiskReserve
	interval time.Duration
	log      *slog.Logger // nil: slog.Default()

	status  atomic.Int32                  // DiskStatus; read by every write
	refusal atomic.Pointer[DiskError]     // what refused writes get (nil when ok)
	stalled atomic.Bool                   // Pebble is in a write stall
	walBad  atomic.Bool                   // walBroken, read after every commit
	walLead atomic.Int64                  // bytes committed since Pebble last wrote its log (see Engine.walReady)
	flushes atomic.Bool                   // Pebble's last memtable flush failed on the disk
	errs    atomic.Int64                  // failed disk writes since open
	refused atomic.Int64                  // refused writes since open
	walSync atomic.Int64                  // fsyncs of the write-ahead log since open
	noSpace atomic.Int64                  // unix ns of the last ENOSPC
	streak  atomic.Int32                  // ENOSPC failures since writes were last accepted
	lastErr atomic.Int64                  // unix ns of the last failed write
	lastOp  atomic.Pointer[opError]       // the last failed write
	bad     atomic.Pointer[chan struct{}] // closed when the status leaves DiskOK; replaced (under mu) when it returns; read by every commit

	free    atomic.Int64 // bytes available at the last measurement; -1: unknown
	total   atomic.Int64
	spent   atomic.Int64 // estimated bytes taken since the last measurement
	measure sync.Mutex   // one measurement at a time (TryLock)
	noStat  atomic.Bool  // the file system cannot tell its free space

	mu        sync.Mutex // guards the fields below
	since     time.Time
	walBroken bool
	loggedAt  time.Time // last line logged about a bad disk
	errsAtLog int64     // errs and refused at that line
	refsAtLog int64
	errsProbe int64 // errs at the previous probe
	badErrs   int64 // errs and refused when the status left DiskOK
	badRefs   int64

	stop chan struct{}
	wg   sync.WaitGroup

	pebbleLog rateLog // Pebble's own error messages

	walLeadMax int64 // walLead beyond which a commit first syncs the log (see Engine.walReady)
}

func newDisk(cfg Config) *disk {
	inner := cfg.FS
	if inner == nil {
		inner = vfs.Default
	}
	d := &disk{inner: inner, dir: cfg.Dir, interval: cfg.DiskCheckInterval,
		log: cfg.Logger, since: time.Now(), stop: make(chan struct{})}
	if d.interval <= 0 {
		d.interval = time.Second
	}
	bad := make(chan struct{})
	d.bad.Store(&bad)
	d.reserve.Store(cfg.DiskReserveBytes)
	d.fs = &watchedFS{FS: inner, d: d}
	d.free.Store(-1)
	d.total.Store(-1)
	d.pebbleLog.every = diskLogEvery
	d.walLeadMax = maxWALLead
	if m := int64(cfg.MemTableBytes) / 4; m > 0 && m < maxWALLead {
		d.walLeadMax = m
	}
	return d
}

func (d *disk) logger() *slog.Logger {
	if d.log != nil {
		return d.log
	}
	return slog.Default()
}

// start measures the free space and starts the probe.
func (d *disk) start() {
	_ = d.inner.Remove(d.inner.PathJoin(d.dir, probeName)) // left by a crash during a probe
	d.measureNow(true)
	d.wg.Add(1)
	go d.probeLoop()
}

// close stops the probe and waits for it (idempotent).
func (d *disk) close() {
	select {
	case <-d.stop:
		return
	default:
	}
	close(d.stop)
	d.wg.Wait()
}

func (d *disk) state() DiskStatus { return DiskStatus(d.status.Load()) }

// check returns the error a write gets now: nil while the disk is OK.
func (d *disk) check() error {
	if d.status.Load() == int32(DiskOK) {
		return nil
	}
	return d.refuse()
}

// refuse counts a refused write and returns its error.
func (d *disk) refuse() error {
	d.refused.Add(1)
	if de := d.refusal.Load(); de != nil {
		return de
	}
	return &DiskError{Status: DiskFull, Err: ErrDiskFull} // the status just changed back
}

// walOK reports whether Pebble's write-ahead log can still be written.
func (d *disk) walOK() error {
	if d.walBad.Load() {
		return d.refuse()
	}
	return nil
}

// reserveFor checks that a write of about n bytes leaves the reserve free.
// A write costs about twice its size before its memtable is flushed (the
// log and the table); free space is measured again only when the bytes
// committed since the last measurement could have reached the reserve.
func (d *disk) reserveFor(n int) error {
	reserve := d.reserve.Load()
	if reserve <= 0 || d.noStat.Load() {
		return nil
	}
	need := 2 * int64(n)
	spent := d.spent.Add(need)
	free := d.free.Load()
	if free >= 0 && free-spent >= reserve {
		return nil
	}
	d.measureNow(false)
	if free = d.free.Load(); free < 0 || free-need >= reserve {
		return nil
	}
	if err := d.check(); err != nil {
		return err // under the reserve: every write is refused
	}
	// This write is too big for the room left; smaller ones may still fit.
	d.refused.Add(1)
	return &DiskError{Status: DiskFull, Err: &reserveError{free: free, reserve: reserve, need: need}}
}

// measureNow reads the file system's free space; below the reserve the
// disk turns full. One measurement runs at a time: a caller that finds one
// running goes on with the figures as they are, unless wait is set.
func (d *disk) measureNow(wait bool) {
	if d.noStat.Load() {
		return
	}
	if wait {
		d.measure.Lock()
	} else if !d.measure.TryLock() {
		return
	}
	defer d.measure.Unlock()
	u, err := d.inner.GetDiskUsage(d.dir)
	if err != nil {
		if errors.Is(err, vfs.ErrUnsupported) {
			d.noStat.Store(true)
		}
		d.free.Store(-1)
		return
	}
	free := int64(min(u.AvailBytes, 1<<62))
	d.spent.Store(0)
	d.free.Store(free)
	d.total.Store(int64(min(u.TotalBytes, 1<<62)))
	if reserve := d.reserve.Load(); reserve > 0 && free < reserve {
		d.turnBad(DiskFull, false, &reserveError{free: free, reserve: reserve})
	}
}

// failed is told of a disk operation that failed: op on the file at path.
func (d *disk) failed(op, path string, err error) {
	full := isNoSpace(err)
	if op == "preallocate" && !full {
		return // a file system without fallocate: Pebble goes on without
	}
	d.errs.Add(1)
	now := time.Now().UnixNano()
	d.lastErr.Store(now)
	st := DiskFailing
	if full {
		st = DiskFull
		d.noSpace.Store(now)
		d.streak.Add(1)
	}
	cause := &opError{op: op, path: path, err: err}
	d.lastOp.Store(cause)
	if strings.HasSuffix(path, ".log") && op != "preallocate" {
		// Pebble cannot go on with a log it failed to write: it would
		// panic at the next commit or rotation, so no write may reach it.
		d.turnBad(DiskFailing, true, cause)
		return
	}
	d.turnBad(st, false, cause)
}

// opError is a failed file operation as the log and INFO show it.
type opError struct {
	op, path string
	err      error
}

func (e *opError) Error() string { return e.op + " " + e.path + ": " + errText(e.err) }
func (e *opError) Unwrap() error { return e.err }

// errText is err's innermost message (the errno's "no space left on
// device" rather than a path repeated by each wrapper).
func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// isDiskFault reports whether an error of an operation other than a write
// (create, rename, link, close) means the disk is in trouble, not that the
// operation was wrong (a missing file).
func isDiskFault(err error) bool {
	return isNoSpace(err) || errors.Is(err, syscall.EIO) || errors.Is(err, syscall.EROFS)
}

// turnBad makes writes refused with status st (a failing disk outranks a
// full one, a broken log outranks both).
func (d *disk) turnBad(st DiskStatus, restart bool, cause error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.walBroken {
		return
	}
	cur := d.state()
	if cur == DiskFailing && st == DiskFull && !restart {
		return
	}
	// The refusal is in place before any flag that makes a write read it
	// (walBad, status): a write that sees a flag finds this refusal, not
	// a nil one (which refuse reports as a full disk).
	d.refusal.Store(&DiskError{Status: st, Restart: restart, Err: cause})
	if restart {
		d.walBroken = true
		d.walBad.Store(true)
	}
	d.status.Store(int32(st))
	if cur != DiskOK {
		return // already refusing: the periodic line counts it
	}
	d.since = time.Now()
	close(*d.bad.Load())
	d.badErrs, d.badRefs = d.errs.Load(), d.refused.Load()
	d.errsAtLog, d.refsAtLog = d.badErrs, d.badRefs
	d.loggedAt = d.since
	resume := "writes resume by themselves once the disk has room (and accepts a test write)"
	if restart {
		resume = "Pebble cannot continue its write-ahead log: restart the node (once the disk is fixed) to take writes again"
	} else if st == DiskFailing {
		resume = "writes resume by themselves once the disk accepts a test write"
	}
	d.logger().Error("the data directory refuses writes; clients get MISCONF and reads go on",
		"dir", d.dir, "status", st.String(), "cause", cause.Error(), "then", resume)
}

// turnOK lets writes through again.
func (d *disk) turnOK() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.walBroken || d.state() == DiskOK {
		return
	}
	was := d.refusal.Load()
	d.status.Store(int32(DiskOK))
	d.refusal.Store(nil)
	d.streak.Store(0)
	bad := make(chan struct{})
	d.bad.Store(&bad)
	now := time.Now()
	d.logger().Info("the data directory accepts writes again", "dir", d.dir,
		"after", now.Sub(d.since).Round(time.Millisecond).String(), "was", was.Reason(),
		"disk errors", d.errs.Load()-d.badErrs, "writes refused", d.refused.Load()-d.badRefs)
	d.since = now
}

// badSignal is closed when the status leaves DiskOK (already closed if it
// has).
func (d *disk) badSignal() <-chan struct{} { return *d.bad.Load() }

// retryWait is how long after an ENOSPC Pebble's next table waits.
func (d *disk) retryWait() time.Duration {
	n := d.streak.Load()
	if n <= 0 {
		return 0
	}
	return min(retryBackoff<<min(n-1, 10), maxRetryBackoff)
}

// backoff delays the creation of a table while the disk has just run out
// of space: Pebble retries a failed flush at once and forever.
func (d *disk) backoff() {
	last := d.noSpace.Load()
	if last == 0 {
		return
	}
	backoff := d.retryWait()
	wait := time.Until(time.Unix(0, last).Add(backoff))
	if wait <= 0 {
		return
	}
	t := time.NewTimer(min(wait, backoff))
	defer t.Stop()
	select {
	case <-t.C:
	case <-d.stop:
	}
}

func (d *disk) probeLoop() {
	defer d.wg.Done()
	t := time.NewTicker(d.interval)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			d.probe()
		}
	}
}

// probe measures the free space and, while writes are refused, lets them
// through again once the disk has room, has failed no write for a whole
// interval, and takes a test write.
func (d *disk) probe() {
	d.measureNow(true)
	errs := d.errs.Load()
	d.mu.Lock()
	quiet := errs == d.errsProbe
	d.errsProbe = errs
	broken := d.walBroken
	d.mu.Unlock()
	if d.state() == DiskOK {
		return
	}
	defer d.logStill()
	// Pebble retries a failed flush or compaction at least every
	// retryWait: a disk that failed no write for longer (and for a whole
	// interval) has room for them again.
	calm := time.Since(time.Unix(0, d.lastErr.Load())) >= max(d.interval, 3*retryBackoff, d.retryWait()+retryBackoff)
	if broken || !quiet || !calm || d.flushes.Load() {
		return
	}
	if free, reserve := d.free.Load(), d.reserve.Load(); reserve > 0 && free >= 0 && free < reserve+reserve/4 {
		return
	}
	if err := d.testWrite(); err != nil {
		return // counted by watchedFS
	}
	if d.errs.Load() == errs {
		d.turnOK()
	}
}

// testWrite writes and syncs a small file in the data directory and
// removes it.
func (d *disk) testWrite() error {
	name := d.fs.PathJoin(d.dir, probeName)
	f, err := d.fs.Create(name, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	_, err = f.Write(make([]byte, 4096))
	if err == nil {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close())
	return errors.Join(err, d.fs.Remove(name))
}

// logStill logs, once per diskLogEvery, that writes are still refused.
func (d *disk) logStill() {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if d.state() == DiskOK || now.Sub(d.loggedAt) < diskLogEvery {
		return
	}
	errs, refs := d.errs.Load(), d.refused.Load()
	de := d.refusal.Load()
	args := []any{"dir", d.dir, "status", d.state().String(), "cause", de.Err.Error(),
		"for", now.Sub(d.since).Round(time.Second).String(),
		"disk errors", errs - d.errsAtLog, "writes refused", refs - d.refsAtLog,
		"over", now.Sub(d.loggedAt).Round(time.Second).String(), "restart needed", de.Restart}
	if last := d.lastOp.Load(); last != nil && errs > d.errsAtLog {
		args = append(args, "last disk error", last.Error())
	}
	d.logger().Warn("the data directory still refuses writes", args...)
	d.loggedAt, d.errsAtLog, d.refsAtLog = now, errs, refs
}

// backgroundError is Pebble's report of a failed flush or compaction. The
// disk faults among them have reached failed already; the others are
// logged, at most once per diskLogEvery each.
func (d *disk) backgroundError(err error) {
	if isNoSpace(err) {
		d.turnBad(DiskFull, false, err) // already so, unless no write of ours saw it
		return
	}
	if d.state() != DiskOK {
		return // the disk's own line covers it
	}
	d.pebbleLog.errorf(d.logger(), "background error: %s", err)
}

// flushEnd is Pebble's report of a memtable flush: writes do not resume
// while the last one failed on the disk (they would fill memtables that
// cannot be flushed, and stall).
func (d *disk) flushEnd(err error) {
	d.flushes.Store(err != nil && isDiskFault(err))
	d.remeasure()
}

// remeasure makes the next write measure the free space: Pebble just took
// (or freed) space in a lump, a table or a preallocated log, that the
// bytes written do not account for. (Pebble calls it holding its own
// lock: the measurement is left to the write.)
func (d *disk) remeasure() { d.spent.Store(1 << 62) }

// snapshot returns the health as it stands.
func (d *disk) snapshot() DiskHealth {
	d.mu.Lock()
	h := DiskHealth{Status: d.state(), Since: d.since, Restart: d.walBroken}
	d.mu.Unlock()
	if de := d.refusal.Load(); de != nil && h.Status != DiskOK {
		h.Cause, h.Restart = de.Reason(), de.Restart
	}
	h.Errors, h.Refused, h.WALSyncs = d.errs.Load(), d.refused.Load(), d.walSync.Load()
	if last := d.lastOp.Load(); last != nil {
		h.LastError = last.Error()
	}
	h.FreeBytes, h.TotalBytes, h.ReserveBytes = d.free.Load(), d.total.Load(), d.reserve.Load()
	return h
}

// rateLog logs each distinct message format at most once per every, with
// the count of those it left out since.
type rateLog struct {
	every time.Duration
	mu    sync.Mutex
	seen  map[string]*rateEntry
}

type rateEntry struct {
	at      time.Time
	dropped int
}

// maxRateEntries bounds the formats remembered.
const maxRateEntries = 256

func (r *rateLog) errorf(l *slog.Logger, format string, args ...interface{}) {
	r.mu.Lock()
	if r.seen == nil || len(r.seen) > maxRateEntries {
		r.seen = map[string]*rateEntry{}
	}
	now := time.Now()
	e := r.seen[format]
	if e != nil && now.Sub(e.at) < r.every {
		e.dropped++
		r.mu.Unlock()
		return
	}
	dropped := 0
	if e != nil {
		dropped = e.dropped
	}
	r.seen[format] = &rateEntry{at: now}
	r.mu.Unlock()
	if dropped > 0 {
		l.Error(fmt.Sprintf(format, args...), "component", "pebble", "similar messages left out", dropped)
		return
	}
	l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// watchedFS is the file system Pebble writes through: it tells the disk
// of every write that fails.
type watchedFS struct {
	vfs.FS
	d *disk
}

func isTable(name string) bool {
	return strings.HasSuffix(name, ".sst") || strings.HasSuffix(name, ".blob")
}

func (fs *watchedFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		if isDiskFault(err) {
			fs.d.failed("create", name, err)
		}
		return nil, err
	}
	return &watchedFile{File: f, d: fs.d, name: name, wal: strings.HasSuffix(name, ".log")}, nil
}

func (fs *watchedFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	if isTable(name) {
		fs.d.backoff()
	}
	f, err := fs.FS.Create(name, category)
	return fs.wrap(name, f, err)
}

func (fs *watchedFS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, category, opts...)
	return fs.wrap(name, f, err)
}

func (fs *watchedFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, category)
	return fs.wrap(newname, f, err)
}

func (fs *watchedFS) OpenDir(name string) (vfs.File, error) {
	f, err := fs.FS.OpenDir(name)
	if err != nil {
		return nil, err
	}
	return &watchedFile{File: f, d: fs.d, name: name, wal: strings.HasSuffix(name, ".log")}, nil
}

func (fs *watchedFS) Link(oldname, newname string) error {
	return fs.fault("link", newname, fs.FS.Link(oldname, newname))
}

func (fs *watchedFS) Rename(oldname, newname string) error {
	return fs.fault("rename", newname, fs.FS.Rename(oldname, newname))
}

func (fs *watchedFS) MkdirAll(dir string, perm os.FileMode) error {
	return fs.fault("mkdir", dir, fs.FS.MkdirAll(dir, perm))
}

func (fs *watchedFS) fault(op, name string, err error) error {
	if err != nil && isDiskFault(err) {
		fs.d.failed(op, name, err)
	}
	return err
}

func (fs *watchedFS) Unwrap() vfs.FS { return fs.FS }

// watchedFile is a file Pebble writes; its failed writes and syncs are
// reported.
type watchedFile struct {
	vfs.File
	d    *disk
	name string
	wal  bool // a write-ahead log, whose syncs are counted
}

// synced reports a sync's outcome, counting a write-ahead log's.
func (f *watchedFile) synced(err error) error {
	if err == nil && f.wal {
		f.d.walSync.Add(1)
	}
	return f.report("sync", err)
}

func (f *watchedFile) report(op string, err error) error {
	if err != nil {
		f.d.failed(op, f.name, err)
	}
	return err
}

// wrote reports a write's outcome. A write of a write-ahead log that
// succeeds means Pebble's log writer keeps up with the commits (up to the
// part of a block it has not written yet).
func (f *watchedFile) wrote(err error) error {
	if err == nil && f.wal {
		f.d.walLead.Store(0)
	}
	return f.report("write", err)
}

func (f *watchedFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	return n, f.wrote(err)
}

func (f *watchedFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(p, off)
	return n, f.wrote(err)
}

func (f *watchedFile) Sync() error { return f.synced(f.File.Sync()) }

func (f *watchedFile) SyncData() error { return f.synced(f.File.SyncData()) }

func (f *watchedFile) SyncTo(length int64) (bool, error) {
	full, err := f.File.SyncTo(length)
	return full, f.synced(err)
}

func (f *watchedFile) Preallocate(off, n int64) error {
	return f.report("preallocate", f.File.Preallocate(off, n))
}

func (f *watchedFile) Close() error {
	err := f.File.Close()
	if err != nil && isDiskFault(err) {
		f.d.failed("close", f.name, err)
	}
	return err
}

// DiskHealth returns the state of the data directory's disk.
func (e *Engine) DiskHealth() DiskHealth { return e.disk.snapshot() }

// SetDiskReserve changes Config.DiskReserveBytes (CONFIG SET
// disk-reserve). Free space is measured again at once: writes are refused
// at once if it is now under the reserve, and resume by the next probes
// if it no longer is.
func (e *Engine) SetDiskReserve(bytes int64) {
	e.disk.reserve.Store(max(bytes, 0))
	e.disk.measureNow(true)
}
