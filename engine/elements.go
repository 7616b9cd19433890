package engine

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// GroupFunc decides the next objects of several keys from their current
// ones, as UpdateFunc does for one: next[i] and write[i] for keys[i].
type GroupFunc func(cur []version.Object, found []bool) (next []version.Object, write []bool, err error)

// UpdateGroup is Update for several distinct keys decided together: a hash
// command's header and the records of the fields it names. Their locks are
// held while fn decides, and every change commits in one batch, so the
// records change together or not at all. It returns the stored objects.
func (e *Engine) UpdateGroup(keys [][]byte, fn GroupFunc) ([]version.Object, error) {
	return e.updateGroup(keys, nil, fn, false)
}

// UpdateGroupDeferred is UpdateGroup without waiting for the fsync, as
// UpdateDeferred is Update's.
func (e *Engine) UpdateGroupDeferred(keys [][]byte, fn GroupFunc) ([]version.Object, error) {
	return e.updateGroup(keys, nil, fn, e.cfg.Fsync != FsyncAlways)
}

// PickFunc names, under the lock of a collection's key, the element
// records (element keys of that key) a group update decides with it.
type PickFunc func() ([][]byte, error)

// UpdatePicked is UpdateGroupDeferred for key and the element records pick
// names while key's lock is held, so that what it picks from (a sorted
// set's score index) cannot change before the decision: every write of the
// key's elements takes the same lock.
func (e *Engine) UpdatePicked(key []byte, pick PickFunc, fn GroupFunc) ([]version.Object, error) {
	return e.updateGroup([][]byte{key}, pick, fn, e.cfg.Fsync != FsyncAlways)
}

func (e *Engine) updateGroup(keys [][]byte, pick PickFunc, fn GroupFunc, deferSync bool) ([]version.Object, error) {
	if err := e.disk.check(); err != nil {
		return nil, err
	}
	if !e.acquire() {
		return nil, ErrClosed
	}
	keys = slices.Clone(keys)
	hashes := make([]uint64, len(keys))
	dks := make([][]byte, len(keys))
	for i, k := range keys {
		keys[i] = bytes.Clone(k) // the commit may finish after updateGroup returns
		hashes[i] = partition.Hash(k)
		dks[i] = dataKeyHash(nil, hashes[i], k)
	}
	// The records of a group share their key's lock, which every write of
	// that key (every field of a hash) waits for. When another holds it,
	// read the records not cached before waiting, so that the read under
	// the lock finds their blocks in Pebble's cache instead of going to
	// disk while the others wait.
	unlock, ok := e.tryLockStripes(hashes)
	if !ok {
		for i, k := range keys {
			if e.rows == nil || !e.rows.has(hashes[i], k) {
				_, _, _ = e.getBeforeWrite(dks[i])
			}
		}
		unlock = e.lockStripes(hashes)
	}
	committing := false // then the commit releases the locks and the store
	defer func() {
		if !committing {
			unlock()
		}
	}()
	if pick != nil {
		picked, err := pick()
		if err != nil {
			return nil, err
		}
		for _, k := range picked {
			h := partition.Hash(k)
			if h != hashes[0] {
				panic(fmt.Sprintf("engine: UpdatePicked picked %q, not an element of %q", k, keys[0]))
			}
			keys = append(keys, bytes.Clone(k))
			hashes = append(hashes, h)
			dks = append(dks, dataKeyHash(nil, h, k))
		}
	}
	cur := make([]version.Object, len(keys))
	found := make([]bool, len(keys))
	for i, k := range keys {
		var err error
		if cur[i], found[i], err = e.readLocked(hashes[i], k, dks[i]); err != nil {
			return nil, err
		}
	}
	// fn gets copies: what it does to them must not change what is
	// staged as the records' old state (the expiry index, the key counts
	// and the anti-entropy trees subtract the stored objects).
	next, write, err := fn(slices.Clone(cur), slices.Clone(found))
	if err != nil {
		return cur, err
	}
	if len(next) != len(keys) || len(write) != len(keys) {
		panic(fmt.Sprintf("engine: UpdateGroup of %d keys answered %d objects", len(keys), len(next)))
	}
	b := e.db.NewBatch()
	stored := slices.Clone(cur)
	any := false
	for i := range keys {
		if !write[i] {
			continue
		}
		if err := e.stage(b, dks[i], keys[i], cur[i], next[i]); err != nil {
			b.Close()
			return cur, err
		}
		stored[i], any = next[i], true
	}
	if !any {
		b.Close()
		return cur, nil
	}
	if err := e.disk.reserveFor(b.Len()); err != nil {
		b.Close()
		return cur, err
	}
	committing = true
	err = e.commit(b, deferSync, func(err error) {
		defer func() {
			b.Close()
			unlock()
		}()
		if err == nil {
			for i := range keys {
				if write[i] {
					e.applied(hashes[i], keys[i], cur[i], next[i])
				}
			}
		}
	})
	if err != nil {
		return cur, err
	}
	return stored, nil
}

// lockStripes takes the lock stripes of the ring positions in stripe
// order, each once, so that concurrent batches and updates cannot
// deadlock, and returns what releases them and the store.
func (e *Engine) lockStripes(hashes []uint64) (unlock func()) {
	stripes := make([]int, 0, len(hashes))
	for _, h := range hashes {
		stripes = append(stripes, int(h%lockStripes))
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	locks := make([]*sync.Mutex, len(stripes))
	for i, s := range stripes {
		locks[i] = &e.locks[s]
		locks[i].Lock()
	}
	return func() {
		for _, l := range locks {
			l.Unlock()
		}
		e.release()
	}
}

// tryLockStripes is lockStripes for positions that share one stripe when
// that stripe is free; ok is false (and nothing is held) otherwise.
func (e *Engine) tryLockStripes(hashes []uint64) (unlock func(), ok bool) {
	s := hashes[0] % lockStripes
	for _, h := range hashes[1:] {
		if h%lockStripes != s {
			return nil, false
		}
	}
	mu := &e.locks[s]
	if !mu.TryLock() {
		return nil, false
	}
	return func() {
		mu.Unlock()
		e.release()
	}, true
}

// Elements visits the element records of key (partition.ElementKey) in
// element order, beginning after the element key after (nil: the first),
// at most limit of them. It returns whether more follow. The objects are
// the stored ones, tombstones included.
func (e *Engine) Elements(key, after []byte, limit int, fn func(ek []byte, o version.Object)) (more bool, err error) {
	if !e.acquire() {
		return false, ErrClosed
	}
	defer e.release()
	h := partition.Hash(key)
	prefix := dataKeyHash(nil, h, partition.ElementsOf(nil, key))
	lower := prefix
	if after != nil {
		lower = append(dataKeyHash(nil, h, after), 0)
	}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return false, err
	}
	defer it.Close()
	n := 0
	// NextPrefix seeks past the current record's older versions (a record
	// rewritten often leaves many in the memtable until a flush), where
	// Next would step through each of them.
	for ok := it.First(); ok; ok = it.NextPrefix() {
		if n == limit {
			return true, nil
		}
		_, ek := splitDataKey(it.Key())
		ek = bytes.Clone(ek)
		v, err := it.ValueAndErr()
		if err != nil {
			return false, err
		}
		o, err := decodeRecord(bytes.Clone(v)) // (its values alias what it decodes)
		if err != nil {
			return false, fmt.Errorf("key %q: %w", ek, err)
		}
		fn(ek, o)
		n++
	}
	return false, it.Error()
}

// HasMoreElements reports whether key has more than n element records
// (tombstones included), stepping over them without reading any.
func (e *Engine) HasMoreElements(key []byte, n int) (bool, error) {
	if !e.acquire() {
		return false, ErrClosed
	}
	defer e.release()
	if e.rankedMore(key, n) { // a big sorted set's, counted (ranks.go)
		return true, nil
	}
	prefix := dataKeyHash(nil, partition.Hash(key), partition.ElementsOf(nil, key))
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return false, err
	}
	defer it.Close()
	seen := 0
	for ok := it.First(); ok; ok = it.NextPrefix() {
		if seen++; seen > n {
			return true, nil
		}
	}
	return false, it.Error()
}
