package engine

import (
	"bytes"

	"github.com/cockroachdb/pebble/v2"
	"github.com/dynago/dynago/version"
)

// CollectTombstones removes up to limit tombstones that have been on this
// node for longer than Config.TombstoneGrace, and returns how many it
// removed. A tombstone that has changed since (the key was written again,
// or a merge added to its clock) is left alone: its own, newer index entry
// decides.
func (e *Engine) CollectTombstones(limit int) (int, error) {
	if e.cfg.TombstoneGrace <= 0 {
		return 0, nil
	}
	if !e.acquire() {
		return 0, ErrClosed
	}
	defer e.release()
	cutoff := e.cfg.Now().Add(-e.cfg.TombstoneGrace).UnixMilli()
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceTombstone}, UpperBound: tombstoneBound(cutoff + 1)})
	if err != nil {
		return 0, err
	}
	type entry struct{ index, clock []byte }
	var due []entry
	for ok := it.First(); ok && len(due) < limit; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return 0, err
		}
		due = append(due, entry{append([]byte(nil), it.Key()...), append([]byte(nil), v...)})
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	removed := 0
	for _, d := range due {
		key := d.index[9:]
		_, err := e.Update(key, func(cur version.Object, found bool) (version.Object, bool, error) {
			if found && cur.IsTombstone() && bytes.Equal(cur.Clock.AppendBinary(nil), d.clock) {
				removed++
				return version.Object{}, true, nil
			}
			return cur, false, nil
		})
		if err != nil {
			return removed, err
		}
		if err := e.disk.check(); err != nil {
			return removed, err
		}
		if err := e.walReady(len(d.index)); err != nil {
			return removed, err
		}
		if err := e.db.Delete(d.index, pebble.NoSync); err != nil {
			return removed, err
		}
	}
	return removed, nil
}
