package engine

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// Digests of collections' element records, for the reads a cluster answers
// from one replica.
//
// A read of a whole collection in a cluster (a sorted set's range, rank or
// count) merges what R owners hold of every element: O(n) records shipped
// and merged per read, whatever the read asks for. When R owners hold the
// same records, the merge is any one of them, and that owner's own score
// index answers the read exactly as it answers a lone node's, in O(log n +
// m). ElementsDigest tells owners that hold the same records apart from
// ones that do not, cheaply: it is the XOR of antientropy.Digest (the
// digest anti-entropy compares records by) over the collection's element
// records, tombstones included, so two owners' digests are equal when
// their records are (and, but for a 64-bit collision, only then).
//
// The XOR changes by Digest(old) ^ Digest(new) with each change of one
// record, so a digest, once computed, follows every change in O(1): applied
// updates it under the collection's key lock (its element records share
// that lock), and ElementsDigest reads it under the same lock. The first
// ElementsDigest of a collection computes it from a snapshot of its records
// opened under the lock; the changes applied while that walk runs are
// XORed into a pending term, which XOR's order-freedom lets it add at the
// end. At most digestMaxSets collections keep digests (the least recently
// read go first); FLUSHALL and a restart drop them all.
const digestMaxSets = 1024

// digests holds the collections' element digests that have been computed.
type digests struct {
	// maxSets is digestMaxSets, which tests make small; snapshotTaken, if
	// not nil, runs while a computation walks its snapshot, no lock held.
	maxSets       int
	snapshotTaken func()

	mu   sync.RWMutex // guards sets; every write of an element record reads it
	sets map[string]*elementsDigest
	n    atomic.Int64 // len(sets), read by every write of an element record without mu
	tick atomic.Int64 // the clock of elementsDigest.used
}

func newDigests() *digests {
	return &digests{maxSets: digestMaxSets, sets: map[string]*elementsDigest{}}
}

// elementsDigest is one collection's digest. sum, pending and computing
// are guarded by the collection's key lock.
type elementsDigest struct {
	key       string
	sum       uint64
	computing bool          // the snapshot is being walked: changes go to pending
	pending   uint64        // the changes applied while computing
	done      chan struct{} // closed once computed or given up
	used      atomic.Int64  // digests.tick when last read
}

func (d *digests) lookup(key []byte) *elementsDigest {
	if d.n.Load() == 0 {
		return nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.sets[string(key)]
}

// register returns key's digest, new (and to be computed) when fresh,
// making room by dropping the least recently read.
func (d *digests) register(key []byte) (ed *elementsDigest, fresh bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ed := d.sets[string(key)]; ed != nil {
		return ed, false
	}
	if len(d.sets) >= d.maxSets {
		var oldest *elementsDigest
		for _, o := range d.sets {
			if oldest == nil || o.used.Load() < oldest.used.Load() {
				oldest = o
			}
		}
		delete(d.sets, oldest.key)
	}
	ed = &elementsDigest{key: string(key), computing: true, done: make(chan struct{})}
	ed.used.Store(d.tick.Add(1))
	d.sets[ed.key] = ed
	d.n.Store(int64(len(d.sets)))
	return ed, true
}

// drop forgets ed if it is still its key's.
func (d *digests) drop(ed *elementsDigest) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sets[ed.key] == ed {
		delete(d.sets, ed.key)
		d.n.Store(int64(len(d.sets)))
	}
}

// clear forgets every digest (FLUSHALL).
func (d *digests) clear() {
	d.mu.Lock()
	defer d.mu.Unlock()
	clear(d.sets)
	d.n.Store(0)
}

// digestChanged XORs the change of element record key from cur to next
// into its collection's digest, if it has one. It runs under the key's
// lock once the change has committed (applied).
func (e *Engine) digestChanged(key []byte, cur, next version.Object) {
	set, _, ok := partition.SplitElementKey(key)
	if !ok {
		return
	}
	ed := e.digests.lookup(set)
	if ed == nil {
		return
	}
	delta := antientropy.Digest(key, cur) ^ antientropy.Digest(key, next)
	if ed.computing {
		ed.pending ^= delta
	} else {
		ed.sum ^= delta
	}
}

// ElementsDigest returns the digest of key's element records (see
// digests): equal on two nodes whose records of the collection are equal.
// Its first call for a collection walks the collection's records once;
// later ones answer from memory, each change of a record having been
// counted in as it was applied.
func (e *Engine) ElementsDigest(key []byte) (uint64, error) {
	if !e.acquire() {
		return 0, ErrClosed
	}
	defer e.release()
	h := partition.Hash(key)
	mu := e.lockFor(h)
	for {
		ed := e.digests.lookup(key)
		if ed == nil {
			if err := e.computeDigest(h, key); err != nil {
				return 0, err
			}
			continue
		}
		<-ed.done
		mu.Lock()
		if ed.computing || e.digests.lookup(key) != ed { // given up, flushed or pushed out
			mu.Unlock()
			if err := e.computeDigest(h, key); err != nil {
				return 0, err
			}
			continue
		}
		sum := ed.sum
		mu.Unlock()
		ed.used.Store(e.digests.tick.Add(1))
		return sum, nil
	}
}

// computeDigest computes key's digest (see digests), or waits for the
// call that is computing it.
func (e *Engine) computeDigest(h uint64, key []byte) error {
	mu := e.lockFor(h)
	mu.Lock()
	ed, fresh := e.digests.register(key)
	if !fresh {
		mu.Unlock()
		<-ed.done
		return nil
	}
	defer close(ed.done)
	prefix := dataKeyHash(nil, h, partition.ElementsOf(nil, key))
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	mu.Unlock()
	if err != nil {
		e.digests.drop(ed)
		return err
	}
	if e.digests.snapshotTaken != nil {
		e.digests.snapshotTaken()
	}
	sum, err := sumRecords(it)
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		e.digests.drop(ed)
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	ed.sum, ed.computing = sum^ed.pending, false
	return nil
}

// sumRecords is the XOR of antientropy.Digest over the element records it
// walks.
func sumRecords(it *pebble.Iterator) (uint64, error) {
	var sum uint64
	// (NextPrefix steps over a record's older versions at once; see
	// Elements.)
	for ok := it.First(); ok; ok = it.NextPrefix() {
		_, ek := splitDataKey(it.Key())
		v, err := it.ValueAndErr()
		if err != nil {
			return 0, err
		}
		o, err := decodeRecord(v)
		if err != nil {
			return 0, fmt.Errorf("key %q: %w", ek, err)
		}
		sum ^= antientropy.Digest(ek, o)
	}
	return sum, it.Error()
}
