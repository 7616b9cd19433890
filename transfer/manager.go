package transfer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dynago/dynago/internal/rpc"
)

// Manager moves partitions to and from this node: it pulls the partitions
// the node gains (RingChanged), pushes the node's partitions away before it
// leaves (Leave), and serves other nodes' fetches and pushes (HandleFetch,
// HandlePush). It is safe for concurrent use.
type Manager struct {
	cfg Config
	log *slog.Logger

	// ctx ends on Close; every pull and push runs under it.
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{} // capacity 1: tells the worker the queue changed
	done   chan struct{} // closed when the worker has returned

	mu            sync.Mutex         // guards the fields below
	q             queue              // partitions to pull
	current       *task              // the task being pulled, nil when none
	cancelCurrent context.CancelFunc // ends the current pull when its partition is dropped
	pushPending   int                // partitions a Leave in progress has yet to hand off
	failing       int                // queued partitions whose last pull failed

	pacerMu sync.Mutex // guards pacer
	pacer   pacer

	pulled, pushed, served, received counters
	partitionsDone                   atomic.Int64
	pullFailures                     atomic.Int64
	pushDone                         atomic.Int64
	pushFailures                     atomic.Int64
}

// ErrClosed is returned by Leave on a closed Manager.
var ErrClosed = errors.New("transfer: manager closed")

// counters count one direction of traffic.
type counters struct {
	batches, keys, bytes atomic.Int64
}

func (c *counters) add(keys, bytes int) {
	c.batches.Add(1)
	c.keys.Add(int64(keys))
	c.bytes.Add(int64(bytes))
}

func (c *counters) load() Traffic {
	return Traffic{Batches: c.batches.Load(), Keys: c.keys.Load(), Bytes: c.bytes.Load()}
}

// Traffic counts batches of one kind: how many, the records they held and
// their size on the wire (compressed, headers included).
type Traffic struct {
	Batches, Keys, Bytes int64
}

// Status is a snapshot of a Manager's progress.
type Status struct {
	// PartitionsPending counts the gained partitions not yet pulled
	// completely: queued, waiting to retry, or in progress.
	PartitionsPending int
	// PartitionsDone counts the partitions pulled completely.
	PartitionsDone int64
	// PullFailures counts the attempts at a partition that no previous owner
	// could serve (each is retried after RetryInterval).
	PullFailures int64
	// InProgress says whether a pull is running; Current is its partition,
	// -1 when none is.
	InProgress bool
	Current    int
	// BytesMoved and KeysMoved total the traffic of every kind below.
	BytesMoved, KeysMoved int64
	// PushPending counts the partitions a Leave in progress has yet to hand
	// off; PushDone the partitions Leave handed to all of their new owners.
	PushPending int
	PushDone    int64
	// PushFailures counts the pushes that failed (each is resumed after
	// RetryInterval).
	PushFailures int64
	// Pulled are the batches this node fetched, Pushed those it pushed,
	// Served those it sent in reply to fetches, Received those pushed to it.
	Pulled, Pushed, Served, Received Traffic
}

// New returns a Manager and starts its worker. Stop it with Close.
func New(cfg Config) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m := &Manager{
		cfg:  cfg,
		log:  cfg.Logger,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
		q:    newQueue(),
	}
	if cfg.RateBytes > 0 {
		m.pacer.rate = uint64(cfg.RateBytes)
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	go m.run()
	return m, nil
}

// Close stops the worker, ends any pull or Leave in progress, and returns
// once the worker has returned. The handlers keep working.
func (m *Manager) Close() error {
	m.cancel()
	<-m.done
	return nil
}

// RingChanged tells the Manager that the ring changed from old to new. It
// queues the partitions this node owns in new but did not own in old, to be
// pulled from their owners in old, and forgets the queued partitions it no
// longer owns in new (ending the pull of one in progress). old is nil (or a
// nil pointer) when there was no ring before: then there is nothing to pull.
// The two rings must have the same number of partitions.
func (m *Manager) RingChanged(old, new Ring) {
	self := m.cfg.Self
	if isNil(old) {
		old = nil
	}
	if isNil(new) {
		new = nil
	}
	var owned []int
	if new != nil {
		owned = new.PartitionsOf(self)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for p := range m.q.tasks {
		if _, ok := slices.BinarySearch(owned, p); !ok {
			t := m.q.drop(p)
			if t != nil && t.failing {
				m.failing--
			}
			if t == m.current && m.cancelCurrent != nil {
				m.cancelCurrent()
			}
		}
	}
	if old != nil && new != nil {
		if old.Q() != new.Q() {
			m.log.Error("transfer: ring changed partition count; nothing pulled",
				"old", old.Q(), "new", new.Q())
			return
		}
		before := old.PartitionsOf(self)
		for _, p := range owned {
			if _, ok := slices.BinarySearch(before, p); ok {
				continue
			}
			start, end := new.Range(p)
			sources := slices.DeleteFunc(old.Owners(p), func(s string) bool { return s == self })
			m.q.add(&task{p: p, start: start, end: end, sources: sources, cursor: start})
		}
	}
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// isNil reports whether r is nil or a nil pointer in an interface (a
// *partition.Ring variable not yet set).
func isNil(r Ring) bool {
	if r == nil {
		return true
	}
	v := reflect.ValueOf(r)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// Status returns a snapshot of the Manager's progress.
func (m *Manager) Status() Status {
	m.mu.Lock()
	s := Status{
		PartitionsPending: m.q.len(),
		Current:           -1,
		PushPending:       m.pushPending,
	}
	if m.current != nil {
		s.InProgress, s.Current = true, m.current.p
	}
	m.mu.Unlock()
	s.PartitionsDone = m.partitionsDone.Load()
	s.PullFailures = m.pullFailures.Load()
	s.PushDone = m.pushDone.Load()
	s.PushFailures = m.pushFailures.Load()
	s.Pulled, s.Pushed = m.pulled.load(), m.pushed.load()
	s.Served, s.Received = m.served.load(), m.received.load()
	for _, t := range []Traffic{s.Pulled, s.Pushed, s.Served, s.Received} {
		s.BytesMoved += t.Bytes
		s.KeysMoved += t.Keys
	}
	return s
}

// run is the worker: it pulls queued partitions one at a time until Close.
func (m *Manager) run() {
	defer close(m.done)
	for {
		m.mu.Lock()
		t, wait := m.q.next(time.Now())
		var ctx context.Context
		if t != nil {
			ctx, m.cancelCurrent = context.WithCancel(m.ctx)
			m.current = t
		}
		m.mu.Unlock()
		if t == nil {
			if !m.idle(wait) {
				return
			}
			continue
		}

		err := m.pull(ctx, t)

		m.mu.Lock()
		m.cancelCurrent()
		m.current, m.cancelCurrent = nil, nil
		switch {
		case !m.q.has(t):
			// Dropped by RingChanged while it was pulled.
		case err == nil:
			m.q.finish(t)
			m.partitionsDone.Add(1)
			if t.failing {
				m.failing--
				if m.failing == 0 {
					m.log.Info("transfer: pulled every partition that had failed", "last", t.p)
				}
			}
		case m.ctx.Err() != nil:
			// Closing: the task stays queued, unpulled.
		default:
			m.pullFailures.Add(1)
			m.q.deferUntil(t, time.Now().Add(m.cfg.RetryInterval))
			if !t.failing {
				// One warning while any partition is failing, not one each:
				// a dead source fails every partition it was to serve.
				t.failing = true
				m.failing++
				level := slog.LevelDebug
				if m.failing == 1 {
					level = slog.LevelWarn
				}
				m.log.Log(m.ctx, level, "transfer: cannot pull partition; retrying while this node owns it",
					"partition", t.p, "every", m.cfg.RetryInterval, "err", err)
			}
		}
		m.mu.Unlock()
		if m.ctx.Err() != nil {
			return
		}
	}
}

// idle waits for the queue to change, for wait to pass (wait < 0: no
// limit), or for Close. It reports false on Close.
func (m *Manager) idle(wait time.Duration) bool {
	var timeout <-chan time.Time
	if wait >= 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-m.ctx.Done():
		return false
	case <-m.wake:
	case <-timeout:
	}
	return true
}

// pull fetches t's partition from the first of its sources that is alive
// and serves it to the end, moving to the next source on a failure.
func (m *Manager) pull(ctx context.Context, t *task) error {
	var errs []error
	for _, src := range t.sources {
		if !m.cfg.Alive(src) {
			errs = append(errs, fmt.Errorf("%s: not alive", src))
			continue
		}
		err := m.pullFrom(ctx, t, src)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		errs = append(errs, fmt.Errorf("%s: %w", src, err))
	}
	if len(errs) == 0 {
		return errors.New("no previous owner to pull from")
	}
	return errors.Join(errs...)
}

// pullFrom fetches batches of t's partition from src, from t.cursor to the
// end of the range, merging each into the store.
func (m *Manager) pullFrom(ctx context.Context, t *task, src string) error {
	for {
		r := fetchRequest{start: t.start, end: t.end, cursor: t.cursor, maxBytes: uint64(m.cfg.BatchBytes)}
		resp, err := m.call(ctx, src, rpc.MethodFetch, appendFetchRequest(nil, r))
		if err != nil {
			return err
		}
		next, b, err := decodeFetchReply(resp, r)
		if err != nil {
			return err
		}
		if err := m.cfg.Store.MergeBatch(b.keys, b.objs); err != nil {
			return fmt.Errorf("merging a batch locally: %w", err)
		}
		m.pulled.add(len(b.keys), len(resp))
		// The last batch is paced too: the next partition pays for it.
		paced := m.pace(ctx, len(resp))
		if next == 0 {
			return nil // done, even if the pause was cut short
		}
		t.cursor = next
		if paced != nil {
			return paced
		}
	}
}

// call sends one request with the batch deadline.
func (m *Manager) call(ctx context.Context, name string, meth rpc.Method, req []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.CallTimeout)
	defer cancel()
	return m.cfg.Caller.Call(ctx, name, meth, req)
}

// pace accounts n bytes moved and pauses as long as the rate limit asks.
func (m *Manager) pace(ctx context.Context, n int) error {
	m.pacerMu.Lock()
	d := m.pacer.reserve(m.cfg.Now(), n)
	m.pacerMu.Unlock()
	if d <= 0 {
		return nil
	}
	return m.cfg.Sleep(ctx, d)
}
