package engine

import (
	"slices"

	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// MergeBatch merges objects from other replicas into the stored ones, as
// Merge does for one key, committing every change in one batch with one WAL
// sync. A partition transfer, a hint delivery or an anti-entropy repair
// moves many keys at once this way instead of paying an fsync per key.
// keys[i] pairs with objs[i]; a key may appear more than once.
//
// Objects of an older flush generation than this node's are dropped (they
// were copied before a FLUSHALL), and one of a newer generation makes this
// node adopt it first, flushing (see flush.go).
func (e *Engine) MergeBatch(keys [][]byte, objs []version.Object) error {
	if err := e.adoptNewest(objs...); err != nil {
		return err
	}
	if len(keys) != len(objs) {
		panic("engine: MergeBatch with mismatched keys and objects")
	}
	if len(keys) == 0 {
		return nil
	}
	if err := e.disk.check(); err != nil {
		return err
	}
	if !e.acquire() {
		return ErrClosed
	}
	// The commit may finish after MergeBatch returns (see commit).
	cloned := make([][]byte, len(keys))
	for i, k := range keys {
		cloned[i] = slices.Clone(k)
	}
	keys = cloned
	hashes := make([]uint64, len(keys))
	for i, k := range keys {
		hashes[i] = partition.Hash(k)
	}
	unlock := e.lockStripes(hashes)
	committing := false // then the commit releases the locks and the store
	defer func() {
		if !committing {
			unlock()
		}
	}()

	type change struct {
		h         uint64
		key       []byte
		cur, next version.Object
	}
	// Repeated keys merge into one change.
	changes := make([]change, 0, len(keys))
	index := make(map[string]int, len(keys))
	for i, k := range keys {
		if e.foreign(objs[i]) {
			continue
		}
		if j, ok := index[string(k)]; ok {
			changes[j].next = version.Merge(changes[j].next, objs[i])
			continue
		}
		dk := dataKeyHash(nil, hashes[i], k)
		cur, _, err := e.readLocked(hashes[i], k, dk)
		if err != nil {
			return err
		}
		index[string(k)] = len(changes)
		changes = append(changes, change{h: hashes[i], key: k, cur: cur, next: version.Merge(cur, objs[i])})
	}
	b := e.db.NewBatch()
	staged := changes[:0]
	for _, c := range changes {
		if c.next.Equal(c.cur) && !isEmpty(c.cur) {
			continue // nothing new for this key
		}
		if isEmpty(c.next) {
			continue
		}
		if err := e.stage(b, dataKeyHash(nil, c.h, c.key), c.key, c.cur, c.next); err != nil {
			b.Close()
			return err
		}
		staged = append(staged, c)
	}
	if len(staged) == 0 {
		b.Close()
		return nil
	}
	if err := e.disk.reserveFor(b.Len()); err != nil {
		b.Close()
		return err
	}
	committing = true
	return e.commit(b, false, func(err error) {
		defer func() {
			b.Close()
			unlock()
		}()
		if err == nil {
			for _, c := range staged {
				e.applied(c.h, c.key, c.cur, c.next)
			}
		}
	})
}
