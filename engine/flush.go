package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
	"github.com/dynago/dynago/version"
)

// The FLUSHALL fence. FLUSHALL empties the members of a cluster one after
// the other, and copies of keys travel between them all the time: the third
// replica's copy of a write acknowledged by two, a read repair, a hint being
// delivered, an anti-entropy repair, a partition transfer. A copy that left
// before the flush and lands after it would bring a deleted key back. So
// FLUSHALL is versioned: it moves every member to a new flush generation,
// and every object carries the generation it was written in, as the counter
// of a clock entry of its own (FlushActor). A node stores only objects of
// its own generation:
//
//   - Its records are all of its generation: Adopt removes every record and
//     hint and moves to the new generation in one atomic batch, under every
//     key lock; the coordinator stamps each write with the generation it
//     reads under the key's lock (WithGeneration).
//   - MergeBatch, Merge and AddHint drop an object of an older generation (a
//     copy made before a FLUSHALL this node has seen), and an object of a
//     newer generation makes the node adopt that generation first: it
//     missed a FLUSHALL (it failed during one, or joined since) and catches
//     up before taking data written after it.
//
// A generation is the number of a FLUSHALL, not a time: every member's is
// the same except while a FLUSHALL runs, so clocks and their skew play no
// part. Generation 0 (no FLUSHALL yet) has no clock entry, so objects cost
// nothing extra until the first FLUSHALL; after it, about ten bytes each.

// FlushActor is the clock actor whose counter is an object's flush
// generation. No node is this actor: a real actor's epoch is the time its
// data directory was first used, never 0. It sorts before every real actor,
// so its entry, when present, is a clock's first.
var FlushActor = version.Actor{}

// metaGeneration names the node's flush generation in its metadata.
const metaGeneration = "flush-generation"

// GenerationOf is the flush generation o was written in (0 before the first
// FLUSHALL, and for an empty object).
func GenerationOf(o version.Object) uint64 {
	if len(o.Clock) > 0 && o.Clock[0].Actor == FlushActor {
		return o.Clock[0].Counter
	}
	return 0
}

// WithGeneration returns o written in generation gen: its clock's
// FlushActor entry set to gen (removed for 0), whatever o carried before (a
// client's context may have brought another). An empty object, which is no
// record at all, stays empty. o itself is not modified.
func WithGeneration(o version.Object, gen uint64) version.Object {
	if len(o.Clock) == 0 && len(o.Siblings) == 0 {
		return o
	}
	has := len(o.Clock) > 0 && o.Clock[0].Actor == FlushActor
	if has && o.Clock[0].Counter == gen || !has && gen == 0 {
		return o
	}
	rest := o.Clock
	if has {
		rest = rest[1:]
	}
	clock := make(version.Clock, 0, len(rest)+1)
	if gen > 0 {
		clock = append(clock, version.Entry{Actor: FlushActor, Counter: gen})
	}
	o.Clock = append(clock, rest...)
	return o
}

// Generation is this node's flush generation: the last FLUSHALL it took
// part in. It changes only under every key lock, so it stays put while the
// caller holds any.
func (e *Engine) Generation() uint64 { return e.gen.Load() }

// Flush removes every key and hint, keeping the node's generation: FLUSHALL
// on a node that is not in a cluster, whose data no other node copies.
func (e *Engine) Flush() error {
	_, err := e.flush(0)
	return err
}

// Adopt moves the node to generation gen if it is behind it: it removes
// every key and hint and records gen, atomically and durably, so that what
// was stored before cannot survive a restart either. It reports whether it
// flushed; a node at gen or beyond is left alone.
func (e *Engine) Adopt(gen uint64) (bool, error) {
	if gen <= e.gen.Load() {
		return false, nil
	}
	return e.flush(gen)
}

// flush removes every key and hint and, when gen is not 0, moves to it
// (unless the node got to gen or beyond meanwhile). Like metadata, it is
// written under the disk's reserve (it frees space), refused only while the
// write-ahead log cannot take it.
func (e *Engine) flush(gen uint64) (bool, error) {
	if err := e.disk.walOK(); err != nil {
		return false, err
	}
	if !e.acquire() {
		return false, ErrClosed
	}
	defer e.release()
	for i := range e.locks {
		e.locks[i].Lock()
	}
	defer func() {
		for i := range e.locks {
			e.locks[i].Unlock()
		}
	}()
	if gen != 0 && gen <= e.gen.Load() {
		return false, nil
	}
	b := e.db.NewBatch()
	defer b.Close()
	for _, space := range []byte{spaceData, spaceExpiry, spaceTombstone, spaceHint, spaceScore} {
		if err := b.DeleteRange([]byte{space}, spaceEnd(space), nil); err != nil {
			return false, err
		}
	}
	if gen != 0 {
		if err := b.Set(metaKey(metaGeneration), binary.BigEndian.AppendUint64(nil, gen), nil); err != nil {
			return false, err
		}
	}
	if err := e.walReady(b.Len()); err != nil {
		return false, err
	}
	// (diskErr also when Pebble returns nothing: a sync of a write-ahead
	// log it failed to write returns no error; see quietLogger.Fatalf.)
	if err := e.diskErr(b.Commit(pebble.Sync)); err != nil {
		return false, err
	}
	if e.rows != nil {
		e.rows.clear()
	}
	e.ranks.clear()
	e.summaries.clear()
	for i := range e.live {
		e.live[i].Store(0)
	}
	e.hints.Store(0)
	if e.cfg.Observer != nil {
		e.cfg.Observer.Flushed()
	}
	// The new generation shows last: whoever reads it (without a key
	// lock: Generation) finds the flush whole, counts included.
	if gen != 0 {
		e.gen.Store(gen)
		slog.Info("flushed every key for FLUSHALL", "generation", gen)
	}
	return true, nil
}

// adoptNewest adopts the newest generation among objs if it is newer than
// this node's. It must be called with no key lock held.
func (e *Engine) adoptNewest(objs ...version.Object) error {
	newest := uint64(0)
	for _, o := range objs {
		newest = max(newest, GenerationOf(o))
	}
	_, err := e.Adopt(newest)
	return err
}

// foreign reports whether o is not of this node's generation and must not
// be stored: a copy made before a FLUSHALL this node has seen (or, had the
// caller not adopted o's generation first, after one it has not). Call it
// with a key lock held.
func (e *Engine) foreign(o version.Object) bool { return GenerationOf(o) != e.gen.Load() }

// loadGeneration reads the node's generation at open.
func (e *Engine) loadGeneration() error {
	v, closer, err := e.db.Get(metaKey(metaGeneration))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer closer.Close()
	if len(v) != 8 {
		return fmt.Errorf("engine: corrupt flush generation (%d bytes)", len(v))
	}
	e.gen.Store(binary.BigEndian.Uint64(v))
	return nil
}
