package engine

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// Summaries of collections' element records: a digest, for the reads a
// cluster answers from one replica, and counts, for HLEN and SCARD.
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
// How many fields a hash has (HLEN), or members a set (SCARD), is how many
// of its element records are live: those with a sibling of one of the
// incarnations the header lists (op.Incarnations). A summary counts its
// records by their incarnations, so CountElements answers in O(the
// incarnations seen), not O(n), given which incarnations are live.
//
// Both change by a term per change of one record (the digest by
// Digest(old) ^ Digest(new), the counts by -1 and +1), so a summary, once
// computed, follows every change in O(1): applied updates it under the
// collection's key lock (its element records share that lock), and the
// reads read it under the same lock. The first read of a collection's
// summary computes it from a snapshot of its records opened under the
// lock; the changes applied while that walk runs are tallied apart and
// added at the end (the terms commute). At most summaryMaxSets collections
// keep summaries (the least recently read go first); FLUSHALL and a
// restart drop them all.
const summaryMaxSets = 1024

// summaries holds the collections' summaries that have been computed.
type summaries struct {
	// The collections with summaries (room.maxSets: summaryMaxSets, which
	// tests make small).
	room[summary, *summary]
	// snapshotTaken, if not nil, runs while a computation walks its
	// snapshot, no lock held.
	snapshotTaken func()
}

func newSummaries() *summaries {
	return &summaries{room: newRoom[summary](summaryMaxSets)}
}

// summary is one collection's. Its fields but roomSlot and done are
// guarded by the collection's key lock.
type summary struct {
	roomSlot  // its key; when it was last read
	all       tally
	computing bool          // the snapshot is being walked: changes go to pending
	pending   tally         // the changes applied while computing
	done      chan struct{} // closed once computed or given up
}

// tally sums records: the XOR of their digests, and how many there are by
// incarnation.
type tally struct {
	sum uint64
	// counts counts the records whose siblings are all of one
	// incarnation, by it; irregular the others, by their incarnations
	// (8 bytes each, in order). A record with no sibling counts in
	// neither.
	counts    map[uint64]int64
	irregular map[string]int64
}

// add adds the record o of element key ek to t (sign 1) or takes it away
// (sign -1).
func (t *tally) add(ek []byte, o version.Object, sign int64) {
	t.sum ^= antientropy.Digest(ek, o)
	incs, ok := op.Incarnations(o)
	switch {
	case !ok:
	case len(incs) == 1:
		if t.counts == nil {
			t.counts = map[uint64]int64{}
		}
		t.counts[incs[0]] += sign
		if t.counts[incs[0]] == 0 {
			delete(t.counts, incs[0])
		}
	default:
		if t.irregular == nil {
			t.irregular = map[string]int64{}
		}
		k := make([]byte, 0, 8*len(incs))
		for _, inc := range incs {
			k = binary.BigEndian.AppendUint64(k, inc)
		}
		t.irregular[string(k)] += sign
		if t.irregular[string(k)] == 0 {
			delete(t.irregular, string(k))
		}
	}
}

// merge adds d to t.
func (t *tally) merge(d *tally) {
	t.sum ^= d.sum
	for inc, n := range d.counts {
		if t.counts == nil {
			t.counts = map[uint64]int64{}
		}
		if t.counts[inc] += n; t.counts[inc] == 0 {
			delete(t.counts, inc)
		}
	}
	for k, n := range d.irregular {
		if t.irregular == nil {
			t.irregular = map[string]int64{}
		}
		if t.irregular[k] += n; t.irregular[k] == 0 {
			delete(t.irregular, k)
		}
	}
}

// live counts the records with a sibling of an incarnation live says
// counts.
func (t *tally) live(live func(uint64) bool) int64 {
	var n int64
	for inc, c := range t.counts {
		if live(inc) {
			n += c
		}
	}
	for k, c := range t.irregular {
		for i := 0; i+8 <= len(k); i += 8 {
			if live(binary.BigEndian.Uint64([]byte(k[i : i+8]))) {
				n += c
				break
			}
		}
	}
	return n
}

// summaryChanged tallies the change of element record key from cur to
// next into its collection's summary, if it has one. It runs under the
// key's lock once the change has committed (applied).
func (e *Engine) summaryChanged(key []byte, cur, next version.Object) {
	set, _, ok := partition.SplitElementKey(key)
	if !ok {
		return
	}
	sm := e.summaries.lookup(set)
	if sm == nil {
		return
	}
	t := &sm.all
	if sm.computing {
		t = &sm.pending
	}
	t.add(key, cur, -1)
	t.add(key, next, 1)
}

// ElementsDigest returns the digest of key's element records (see
// summaries): equal on two nodes whose records of the collection are
// equal. Its first call for a collection walks the collection's records
// once; later ones answer from memory, each change of a record having been
// counted in as it was applied.
func (e *Engine) ElementsDigest(key []byte) (sum uint64, err error) {
	err = e.readSummary(key, func(t *tally) { sum = t.sum })
	return sum, err
}

// CountElements returns how many of key's element records have a sibling
// of an incarnation live says counts: HLEN or SCARD, given the live
// incarnations of the collection's header. Like ElementsDigest, it walks
// the records once, then answers from memory.
func (e *Engine) CountElements(key []byte, live func(inc uint64) bool) (n int64, err error) {
	err = e.readSummary(key, func(t *tally) { n = t.live(live) })
	return n, err
}

// readSummary calls read with key's summary, under its lock, computing the
// summary first if it has none.
func (e *Engine) readSummary(key []byte, read func(t *tally)) error {
	if !e.acquire() {
		return ErrClosed
	}
	defer e.release()
	h := partition.Hash(key)
	mu := e.lockFor(h)
	for {
		sm := e.summaries.lookup(key)
		if sm == nil {
			if err := e.computeSummary(h, key); err != nil {
				return err
			}
			continue
		}
		<-sm.done
		mu.Lock()
		if sm.computing || e.summaries.lookup(key) != sm { // given up, flushed or pushed out
			mu.Unlock()
			if err := e.computeSummary(h, key); err != nil {
				return err
			}
			continue
		}
		read(&sm.all)
		mu.Unlock()
		e.summaries.touch(sm)
		return nil
	}
}

// computeSummary computes key's summary, or waits for the call that is
// computing it.
func (e *Engine) computeSummary(h uint64, key []byte) error {
	mu := e.lockFor(h)
	mu.Lock()
	sm, fresh := e.summaries.register(key, func() *summary {
		return &summary{computing: true, done: make(chan struct{})}
	})
	if !fresh {
		mu.Unlock()
		<-sm.done
		return nil
	}
	defer close(sm.done)
	prefix := dataKeyHash(nil, h, partition.ElementsOf(nil, key))
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	mu.Unlock()
	if err != nil {
		e.summaries.drop(sm)
		return err
	}
	if e.summaries.snapshotTaken != nil {
		e.summaries.snapshotTaken()
	}
	var walked tally
	err = tallyRecords(it, &walked)
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		e.summaries.drop(sm)
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	walked.merge(&sm.pending)
	sm.all, sm.pending, sm.computing = walked, tally{}, false
	return nil
}

// tallyRecords adds the element records it walks to t.
func tallyRecords(it *pebble.Iterator, t *tally) error {
	// (NextPrefix steps over a record's older versions at once; see
	// Elements.)
	for ok := it.First(); ok; ok = it.NextPrefix() {
		_, ek := splitDataKey(it.Key())
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		o, err := decodeRecord(v)
		if err != nil {
			return fmt.Errorf("key %q: %w", ek, err)
		}
		t.add(ek, o, 1)
	}
	return it.Error()
}
