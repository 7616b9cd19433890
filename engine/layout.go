package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
	"github.com/dynago/dynago/partition"
)

// Key layouts. The data and hint spaces are ordered by a key's ring position
// (partition.Hash), so a store written under one placement of keys cannot be
// read under another: a lookup would seek to the wrong place.
//
//	1  positions were xxhash64 of the key (releases before hash slots)
//	2  positions start with the key's Redis Cluster hash slot
const (
	LayoutXXHash = 1
	LayoutSlots  = 2
	// Layout is the layout this build writes.
	Layout = LayoutSlots
)

const metaLayout = "layout"

// LayoutError is Open's refusal of a data directory in another layout.
type LayoutError struct {
	Dir   string
	Found int
	// Reason says why the store was not converted, and what to do.
	Reason error
}

func (e *LayoutError) Error() string {
	if e.Found > Layout {
		return fmt.Sprintf("data directory %s uses key layout %d, written by a newer Dynago; this build reads layout %d", e.Dir, e.Found, Layout)
	}
	return fmt.Sprintf("data directory %s uses key layout %d (this build uses %d) and was not converted: %v", e.Dir, e.Found, Layout, e.Reason)
}

func (e *LayoutError) Unwrap() error { return e.Reason }

// checkLayout runs at Open, before anything reads the data: a store in this
// build's layout opens; an empty one is marked with it; one in the earlier
// layout is converted when Config.ConvertLayout agrees; any other is
// refused with a *LayoutError.
func (e *Engine) checkLayout() error {
	found, marked, err := e.storedLayout()
	if err != nil || (marked && found == Layout) {
		return err
	}
	if found > Layout {
		return &LayoutError{Dir: e.cfg.Dir, Found: found}
	}
	if decide := e.cfg.ConvertLayout; decide != nil && found != Layout {
		if err := decide(e, found); err != nil {
			return &LayoutError{Dir: e.cfg.Dir, Found: found, Reason: err}
		}
	}
	moved, err := 0, nil
	if found != Layout {
		moved, err = e.convertLayout()
	}
	if err != nil {
		return fmt.Errorf("engine: converting %s from key layout %d to %d: %w", e.cfg.Dir, found, Layout, err)
	}
	if moved > 0 {
		slog.Info("converted the data directory to the hash-slot key layout", "dir", e.cfg.Dir, "from", found, "to", Layout, "entries", moved)
	}
	return e.diskErr(e.db.Set(metaKey(metaLayout), []byte{Layout}, pebble.Sync))
}

// storedLayout is the layout the store was written in: its mark (marked),
// or, for a store without one, LayoutXXHash when it holds data or hints and
// Layout when it holds none (a new store).
func (e *Engine) storedLayout() (found int, marked bool, err error) {
	v, closer, err := e.db.Get(metaKey(metaLayout))
	if err == nil {
		defer closer.Close()
		if len(v) != 1 {
			return 0, false, fmt.Errorf("engine: corrupt key layout mark (%d bytes)", len(v))
		}
		return int(v[0]), true, nil
	}
	if !errors.Is(err, pebble.ErrNotFound) {
		return 0, false, err
	}
	for _, space := range []byte{spaceData, spaceHint} {
		it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{space}, UpperBound: spaceEnd(space)})
		if err != nil {
			return 0, false, err
		}
		any := it.First()
		if err := errors.Join(it.Error(), it.Close()); err != nil {
			return 0, false, err
		}
		if any {
			return LayoutXXHash, false, nil
		}
	}
	return Layout, false, nil
}

// convertLayout rewrites every data and hint entry under its key's ring
// position in this layout, and returns how many moved. It is idempotent,
// so a conversion cut short by a crash is finished at the next start: an
// entry already at its position stays.
func (e *Engine) convertLayout() (int, error) {
	var moved int
	for _, space := range []byte{spaceData, spaceHint} {
		n, err := e.convertSpace(space)
		moved += n
		if err != nil {
			return moved, err
		}
	}
	return moved, nil
}

func (e *Engine) convertSpace(space byte) (int, error) {
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{space}, UpperBound: spaceEnd(space)})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var moved int
	b := e.db.NewBatch()
	flush := func(force bool) error {
		if b.Empty() || (!force && b.Len() < 4<<20) {
			return nil
		}
		err := e.diskErr(b.Commit(pebble.NoSync))
		b.Close()
		b = e.db.NewBatch()
		return err
	}
	defer func() { b.Close() }()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) < 9 {
			return moved, fmt.Errorf("malformed entry %x", k)
		}
		key := k[9:]
		if space == spaceHint {
			userKey, _, ok := splitHintKey(k)
			if !ok {
				return moved, fmt.Errorf("malformed hint entry %x", k)
			}
			key = userKey
		}
		h := partition.Hash(key)
		if binary.BigEndian.Uint64(k[1:9]) == h {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return moved, err
		}
		to := bytes.Clone(k)
		binary.BigEndian.PutUint64(to[1:9], h)
		if err := errors.Join(b.Delete(k, nil), b.Set(to, v, nil)); err != nil {
			return moved, err
		}
		moved++
		if err := flush(false); err != nil {
			return moved, err
		}
	}
	if err := it.Error(); err != nil {
		return moved, err
	}
	return moved, flush(true)
}
