package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// Meta returns the node metadata stored under name.
func (e *Engine) Meta(name string) ([]byte, bool, error) {
	if !e.acquire() {
		return nil, false, ErrClosed
	}
	defer e.release()
	v, closer, err := e.db.Get(metaKey(name))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	return append([]byte(nil), v...), true, nil
}

// SetMeta durably stores node metadata under name.
// Metadata is small and rare (a node's identity at start, a sequence's
// lease): it is written under the reserve, and refused only while the
// write-ahead log cannot take it, so that a node restarted on a full disk
// still starts and serves reads.
func (e *Engine) SetMeta(name string, value []byte) error {
	if err := e.disk.walOK(); err != nil {
		return err
	}
	if !e.acquire() {
		return ErrClosed
	}
	defer e.release()
	if err := e.walReady(len(name) + len(value)); err != nil {
		return err
	}
	return e.diskErr(e.db.Set(metaKey(name), value, pebble.Sync))
}

// Sequence is a durable, strictly increasing counter that survives restarts
// and crashes without an fsync per number: it persists a lease (a high-water
// mark) and hands out numbers below it; after a restart it starts above the
// last lease, skipping at most one lease's worth of numbers.
type Sequence struct {
	e     *Engine
	name  string
	lease uint64

	mu    sync.Mutex // protects last and limit
	last  uint64     // last number handed out
	limit uint64     // numbers up to limit are covered by the persisted lease
}

// Sequence opens the named sequence; lease is how many numbers one persisted
// high-water mark covers.
func (e *Engine) Sequence(name string, lease uint64) (*Sequence, error) {
	if lease == 0 {
		return nil, fmt.Errorf("engine: sequence lease must be > 0")
	}
	s := &Sequence{e: e, name: "seq/" + name, lease: lease}
	v, ok, err := e.Meta(s.name)
	if err != nil {
		return nil, err
	}
	if ok {
		if len(v) != 8 {
			return nil, fmt.Errorf("engine: sequence %s: corrupt lease", name)
		}
		s.last = binary.BigEndian.Uint64(v)
		s.limit = s.last
	}
	return s, nil
}

// Next returns a number greater than every number this sequence returned
// before, in this run or an earlier one.
func (s *Sequence) Next() (uint64, error) {
	return s.NextAfter(0)
}

// NextAfter returns a number greater than floor and than every number
// returned before.
func (s *Sequence) NextAfter(floor uint64) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.last + 1
	if floor >= n {
		n = floor + 1
	}
	if n > s.limit {
		limit := n + s.lease
		if err := s.e.SetMeta(s.name, binary.BigEndian.AppendUint64(nil, limit)); err != nil {
			return 0, err
		}
		s.limit = limit
	}
	s.last = n
	return n, nil
}
