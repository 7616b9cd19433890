package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// The score index. Every sorted-set member's record (an element record
// whose versions are scores, op.IndexedScore) has an entry beside it in the
// 'z' space, staged in the same batch as the record, so the two never
// disagree:
//
//	'z' hash(8) uvarint len(key) key 0 score(8) member -> incarnation(8)
//	'z' hash(8) uvarint len(key) key 1 member           -> empty
//
// The first form (regular) is a member whose versions are all of one
// incarnation of the set: it sorts by score, then member, as Redis orders a
// sorted set, so a range by score or by rank is a seek and a walk over
// the entries it answers with, and a reader holding the header tells by
// the incarnation alone whether the member counts. The second (irregular)
// is a member whose versions span incarnations (concurrent writes across a
// DEL): the reader resolves its record with the header. The index is this
// node's own, derived from its records; it is not replicated.
const spaceScore = 'z'

const (
	scoreRegular   = 0
	scoreIrregular = 1
)

// metaScoreIndex marks a store whose score index is complete (built at
// Open for a store written before the index existed).
const metaScoreIndex = "score-index"

// scorePrefix is the start of every index entry of key.
func scorePrefix(h uint64, key []byte) []byte {
	b := make([]byte, 0, 9+binary.MaxVarintLen32+len(key)+1)
	b = append(b, spaceScore)
	b = binary.BigEndian.AppendUint64(b, h)
	b = binary.AppendUvarint(b, uint64(len(key)))
	return append(b, key...)
}

// orderedScore maps a score to 8 bytes that sort as the scores do.
func orderedScore(f float64) uint64 {
	if f == 0 {
		f = 0 // -0 sorts as 0
	}
	u := math.Float64bits(f)
	if u>>63 == 1 {
		return ^u
	}
	return u | 1<<63
}

func scoreOfOrdered(u uint64) float64 {
	if u>>63 == 1 {
		return math.Float64frombits(u &^ (1 << 63))
	}
	return math.Float64frombits(^u)
}

// scoreEntry is the index entry of element record o of element key ek,
// ok=false when it has none.
func scoreEntry(h uint64, ek []byte, o version.Object) (ik, val []byte, ok bool) {
	key, member, isElem := partition.SplitElementKey(ek)
	if !isElem {
		return nil, nil, false
	}
	score, inc, regular, ok := op.IndexedScore(o)
	if !ok {
		return nil, nil, false
	}
	ik = scorePrefix(h, key)
	if !regular {
		ik = append(ik, scoreIrregular)
		return append(ik, member...), nil, true
	}
	ik = append(ik, scoreRegular)
	ik = binary.BigEndian.AppendUint64(ik, orderedScore(score))
	return append(ik, member...), binary.BigEndian.AppendUint64(nil, inc), true
}

// stageScore adds to b the change of an element record's index entry when
// its record changes from cur to next.
func stageScore(b *pebble.Batch, h uint64, ek []byte, cur, next version.Object) error {
	oldKey, oldVal, hadOld := scoreEntry(h, ek, cur)
	newKey, newVal, hasNew := scoreEntry(h, ek, next)
	if hadOld && hasNew && bytes.Equal(oldKey, newKey) && bytes.Equal(oldVal, newVal) {
		return nil
	}
	if hadOld && !(hasNew && bytes.Equal(oldKey, newKey)) {
		if err := b.Delete(oldKey, nil); err != nil {
			return err
		}
	}
	if hasNew {
		return b.Set(newKey, newVal, nil)
	}
	return nil
}

// Scored is one member of a sorted set as the score index holds it: a
// regular entry's score and incarnation, or (Irregular) a member whose
// record the reader resolves.
type Scored struct {
	Member      []byte
	Score       float64
	Incarnation uint64
	Irregular   bool
}

// WalkScores visits key's regular score index entries in score order, or
// from the highest when rev, starting at the first at or past from (at or
// before it when rev; nil: the first), until fn returns false.
func (e *Engine) WalkScores(key []byte, rev bool, from *float64, fn func(Scored) bool) error {
	if !e.acquire() {
		return ErrClosed
	}
	defer e.release()
	prefix := append(scorePrefix(partition.Hash(key), key), scoreRegular)
	upper := prefixEnd(prefix)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return err
	}
	yielded := 0
	defer func() {
		// The compaction starts once the iterator is closed: an open one
		// keeps what it may read from being dropped.
		stats := it.Stats()
		it.Close()
		e.compactIfSparse(stats, prefix, upper, yielded)
	}()
	var ok bool
	switch {
	case from == nil && rev:
		ok = it.Last()
	case from == nil:
		ok = it.First()
	case rev:
		// The last entry at or below *from: before the first of the next
		// score.
		bound := binary.BigEndian.AppendUint64(bytes.Clone(prefix), orderedScore(*from))
		if next := prefixEnd(bound); next != nil {
			ok = it.SeekLT(next)
		} else {
			ok = it.Last()
		}
	default:
		ok = it.SeekGE(binary.BigEndian.AppendUint64(bytes.Clone(prefix), orderedScore(*from)))
	}
	return walkScored(it, prefix, ok, rev, &yielded, fn)
}

// WalkOneScore is WalkScores by member, for a set whose entries all have
// one score (as sets read by lex ranges have): its order is then its
// members' byte order. It walks from the member from (the entries of
// members at or past it, or only past it when after; when rev, at or
// before it, or only before it; nil: from the set's first entry, or its
// last when rev). served is false, and nothing is walked, when the index
// holds no entry or entries of more than one score (incarnations not
// told apart): by lex, such a set is walked whole.
func (e *Engine) WalkOneScore(key []byte, rev bool, from []byte, after bool, fn func(Scored) bool) (served bool, err error) {
	if !e.acquire() {
		return false, ErrClosed
	}
	defer e.release()
	prefix := append(scorePrefix(partition.Hash(key), key), scoreRegular)
	upper := prefixEnd(prefix)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return false, err
	}
	yielded := 0
	defer func() {
		stats := it.Stats()
		it.Close()
		e.compactIfSparse(stats, prefix, upper, yielded)
	}()
	if !it.First() || len(it.Key()) < len(prefix)+8 {
		return false, it.Error()
	}
	score := bytes.Clone(it.Key()[len(prefix) : len(prefix)+8]) // the first entry's
	if !it.Last() || !bytes.HasPrefix(it.Key()[len(prefix):], score) {
		return false, it.Error()
	}
	var place []byte // from's, in the index: past from itself when the walk leaves it out
	if from != nil {
		place = append(score, from...)
		if after != rev { // an exclusive bound forward, an inclusive one when rev
			place = append(place, 0)
		}
	}
	return true, walkScored(it, prefix, seekPlace(it, prefix, place, rev), rev, &yielded, fn)
}

// seekPlace positions it (over a score index whose keys begin with prefix)
// for a walk from the place pos (an entry's key past prefix): at the
// first entry at or past it, or when rev at the last entry before it; nil:
// at the first entry, or the last when rev. It returns whether there is
// one.
func seekPlace(it *pebble.Iterator, prefix, pos []byte, rev bool) bool {
	switch {
	case pos == nil && rev:
		return it.Last()
	case pos == nil:
		return it.First()
	case rev:
		return it.SeekLT(append(bytes.Clone(prefix), pos...))
	default:
		return it.SeekGE(append(bytes.Clone(prefix), pos...))
	}
}

// walkScored visits the entries of it from where ok says it is positioned,
// in score order or from the highest when rev, until fn returns false or
// they end; their keys begin with prefix. yielded counts the visits.
func walkScored(it *pebble.Iterator, prefix []byte, ok, rev bool, yielded *int, fn func(Scored) bool) error {
	for ; ok; ok = step(it, rev) {
		k := it.Key()[len(prefix):]
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		if len(k) < 8 || len(v) != 8 {
			return fmt.Errorf("engine: malformed score index entry %x", it.Key())
		}
		s := Scored{
			Member:      bytes.Clone(k[8:]),
			Score:       scoreOfOrdered(binary.BigEndian.Uint64(k)),
			Incarnation: binary.BigEndian.Uint64(v),
		}
		*yielded++
		if !fn(s) {
			return nil
		}
	}
	return it.Error()
}

// sparseWalk is how many deleted entries a walk of a score index may step
// over before the engine compacts the key's index. Every change of a score
// and every pop deletes an entry, and the deletion stays in the memtable
// and the upper levels, where a walk steps over it one by one, until a
// compaction drops it: a queue popped from its low end (ZPOPMIN) would
// otherwise make each pop step over every earlier one.
const sparseWalk = 4096

// compactIfSparse starts a compaction of [lower, upper) of the score index
// when the walk whose iterator's stats are stats stepped over at least sparseWalk more entries
// than it answered (yielded), unless one is running. Close cancels it.
func (e *Engine) compactIfSparse(stats pebble.IteratorStats, lower, upper []byte, yielded int) {
	skipped := int(stats.InternalStats.PointCount) - yielded
	e.walkSkipped.Store(int64(skipped))
	if skipped < sparseWalk || !e.compacting.CompareAndSwap(false, true) {
		return
	}
	if !e.acquire() {
		e.compacting.Store(false)
		return
	}
	lower, upper = bytes.Clone(lower), bytes.Clone(upper)
	e.compactions.Add(1)
	go func() {
		defer e.release()
		defer e.compacting.Store(false)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-e.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		if err := e.db.Compact(ctx, lower, upper, false); err != nil && ctx.Err() == nil {
			slog.Warn("cannot compact a sorted set's score index", "err", err)
		}
	}()
}

func step(it *pebble.Iterator, rev bool) bool {
	if rev {
		return it.Prev()
	}
	return it.Next()
}

// IrregularScores returns key's members whose records span incarnations
// (see the index's comment): their records decide their scores.
func (e *Engine) IrregularScores(key []byte) ([][]byte, error) {
	if !e.acquire() {
		return nil, ErrClosed
	}
	defer e.release()
	prefix := append(scorePrefix(partition.Hash(key), key), scoreIrregular)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, bytes.Clone(it.Key()[len(prefix):]))
	}
	return out, it.Error()
}

// buildScoreIndex runs at Open: a store written before the score index
// existed gets an entry for every sorted-set member's record, then the
// mark that says the index is complete.
func (e *Engine) buildScoreIndex() error {
	if _, marked, err := e.Meta(metaScoreIndex); err != nil || marked {
		return err
	}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceData}, UpperBound: spaceEnd(spaceData)})
	if err != nil {
		return err
	}
	defer it.Close()
	b := e.db.NewBatch()
	defer func() { b.Close() }()
	n := 0
	for ok := it.First(); ok; ok = it.NextPrefix() {
		h, key := splitDataKey(it.Key())
		if !partition.IsElementKey(key) {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		o, err := decodeRecord(bytes.Clone(v))
		if err != nil {
			return fmt.Errorf("engine: building the score index: key %q: %w", key, err)
		}
		if err := stageScore(b, h, bytes.Clone(key), version.Object{}, o); err != nil {
			return err
		}
		n++
		if b.Len() >= 4<<20 {
			if err := b.Commit(pebble.NoSync); err != nil {
				return err
			}
			b.Close()
			b = e.db.NewBatch()
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if err := b.Set(metaKey(metaScoreIndex), []byte{1}, nil); err != nil {
		return err
	}
	if err := e.diskErr(b.Commit(pebble.Sync)); err != nil {
		return errors.Join(errors.New("engine: building the score index"), err)
	}
	if n > 0 {
		slog.Info("built the sorted sets' score index", "dir", e.cfg.Dir, "element records", n)
	}
	return nil
}

// ScoreKey is where the members of score begin in a sorted set's score
// index, ScoreKeyAfter where they end, and MemberKey the place of one
// member: the ends of CountScores.
func ScoreKey(score float64) []byte {
	return binary.BigEndian.AppendUint64(nil, orderedScore(score))
}

func ScoreKeyAfter(score float64) []byte {
	return binary.BigEndian.AppendUint64(nil, orderedScore(score)+1) // (+inf's is below ^0)
}

func MemberKey(score float64, member []byte) []byte {
	return append(ScoreKey(score), member...)
}

// CountScores counts key's regular score index entries from lo (nil: the
// first) to before hi (nil: past the last), of incarnations live says
// count, without copying any: a sorted-set rank, cardinality or count of a
// score range. A set whose count steps over rankBuildMin entries gets
// counted blocks, which answer from then on without walking far (see
// ranks.go).
func (e *Engine) CountScores(key, lo, hi []byte, live func(inc uint64) bool) (int64, error) {
	if !e.acquire() {
		return 0, ErrClosed
	}
	defer e.release()
	if lo != nil && hi != nil && bytes.Compare(lo, hi) >= 0 {
		return 0, nil
	}
	h := partition.Hash(key)
	prefix := append(scorePrefix(h, key), scoreRegular)
	if n, served, err := e.countByBlocks(h, key, prefix, lo, hi, live); served || err != nil {
		return n, err
	}
	n, done, err := e.countWalk(prefix, lo, hi, live, e.ranks.buildMin)
	if done || err != nil {
		return n, err
	}
	if err := e.buildRanks(h, key, prefix); err != nil {
		return 0, err
	}
	if n, served, err := e.countByBlocks(h, key, prefix, lo, hi, live); served || err != nil {
		return n, err
	}
	n, _, err = e.countWalk(prefix, lo, hi, live, -1)
	return n, err
}

// countWalk is CountScores by walking the entries it counts; done is false
// when it gave up after stepping over limit of them (-1: no limit).
func (e *Engine) countWalk(prefix, lo, hi []byte, live func(inc uint64) bool, limit int) (n int64, done bool, err error) {
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	return walkCount(it, prefix, lo, hi, live, limit)
}
