package engine

import (
	"bytes"
	"errors"

	"github.com/cockroachdb/pebble/v2"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// Hinted handoff storage. A node standing in for a replica that is down
// keeps the writes meant for it as hints, apart from its own data: a hint is
// never served as this node's copy, only handed to its owner when the owner
// is back (and shown to a read that asks this node as a stand-in). Hints of
// one key for one owner merge into one record, so a hot key written many
// times while its owner is away costs one record.

// AddHint durably stores o as a hint for owner, merged with any hint the
// node already holds for owner and key. A hint of another flush generation
// is fenced as MergeBatch fences an object: dropped if older, adopted if
// newer.
func (e *Engine) AddHint(owner string, key []byte, o version.Object) error {
	if err := e.adoptNewest(o); err != nil {
		return err
	}
	if err := e.disk.check(); err != nil {
		return err
	}
	if !e.acquire() {
		return ErrClosed
	}
	h := partition.Hash(key)
	mu := e.lockFor(h)
	mu.Lock()
	committing := false // then the commit releases the lock and the store
	defer func() {
		if !committing {
			mu.Unlock()
			e.release()
		}
	}()
	if e.foreign(o) {
		return nil
	}
	hk := hintKey(h, key, owner)
	cur, found, err := e.getHint(hk)
	if err != nil {
		return err
	}
	next := version.Merge(cur, o)
	if found && next.Equal(cur) {
		return nil
	}
	b := e.db.NewBatch()
	if err := b.Set(hk, e.encodeRecord(next), nil); err != nil {
		b.Close()
		return err
	}
	if err := e.disk.reserveFor(b.Len()); err != nil {
		b.Close()
		return err
	}
	committing = true
	return e.commit(b, false, func(err error) {
		defer func() {
			b.Close()
			mu.Unlock()
			e.release()
		}()
		if err == nil && !found {
			e.hints.Add(1)
		}
	})
}

func (e *Engine) getHint(hk []byte) (version.Object, bool, error) {
	v, closer, err := e.db.Get(hk)
	if errors.Is(err, pebble.ErrNotFound) {
		return version.Object{}, false, nil
	}
	if err != nil {
		return version.Object{}, false, err
	}
	defer closer.Close()
	o, err := decodeRecord(v)
	return o, err == nil, err
}

// Hinted returns every hint this node holds for key, whoever they are for,
// merged into one object. found is false when there are none.
func (e *Engine) Hinted(key []byte) (version.Object, bool, error) {
	if e.hints.Load() == 0 {
		return version.Object{}, false, nil
	}
	if !e.acquire() {
		return version.Object{}, false, ErrClosed
	}
	defer e.release()
	prefix := hintPrefix(partition.Hash(key), key)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return version.Object{}, false, err
	}
	defer it.Close()
	var merged version.Object
	found := false
	for ok := it.First(); ok; ok = it.Next() {
		k, _, valid := splitHintKey(it.Key())
		if !valid || !bytes.Equal(k, key) {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return version.Object{}, false, err
		}
		o, err := decodeRecord(v)
		if err != nil {
			return version.Object{}, false, err
		}
		merged, found = version.Merge(merged, o), true
	}
	return merged, found, it.Error()
}

// Hint is one hinted write.
type Hint struct {
	Owner  string
	Key    []byte
	Object version.Object
}

// ScanHints visits up to limit hints (all when limit <= 0) in storage order;
// fn returning false stops the scan.
func (e *Engine) ScanHints(limit int, fn func(Hint) bool) error {
	if !e.acquire() {
		return ErrClosed
	}
	defer e.release()
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceHint}, UpperBound: spaceEnd(spaceHint)})
	if err != nil {
		return err
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok && (limit <= 0 || n < limit); ok = it.Next() {
		key, owner, valid := splitHintKey(it.Key())
		if !valid {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		o, err := decodeRecord(v)
		if err != nil {
			return err
		}
		n++
		if !fn(Hint{Owner: owner, Key: append([]byte(nil), key...), Object: o}) {
			break
		}
	}
	return it.Error()
}

// DeleteHint removes owner's hint of key once it has been delivered, but
// only if it holds nothing beyond delivered (a write that arrived during the
// delivery stays for the next one).
func (e *Engine) DeleteHint(owner string, key []byte, delivered version.Object) error {
	if err := e.disk.check(); err != nil {
		return err
	}
	if !e.acquire() {
		return ErrClosed
	}
	defer e.release()
	h := partition.Hash(key)
	mu := e.lockFor(h)
	mu.Lock()
	defer mu.Unlock()
	hk := hintKey(h, key, owner)
	cur, found, err := e.getHint(hk)
	if err != nil || !found {
		return err
	}
	if !version.Merge(delivered, cur).Equal(delivered) {
		return nil
	}
	if err := e.walReady(len(hk)); err != nil {
		return err
	}
	if err := e.db.Delete(hk, pebble.NoSync); err != nil {
		return err
	}
	e.hints.Add(-1)
	return nil
}

// Hints is the number of hints this node holds for other nodes.
func (e *Engine) Hints() int64 { return e.hints.Load() }

func (e *Engine) countHints() error {
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceHint}, UpperBound: spaceEnd(spaceHint)})
	if err != nil {
		return err
	}
	defer it.Close()
	var n int64
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	e.hints.Store(n)
	return it.Error()
}

// prefixEnd is the first key after every key that starts with prefix.
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
