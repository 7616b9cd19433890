package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// Counted blocks of the score index, for ranks.
//
// ZRANK counts the members before one. The score index (scores.go) sorts
// them but holds no counts, so a count walks every entry before the
// target: O(rank), seconds at a million members. For a big sorted set the
// engine keeps in memory its index entries cut into blocks of about
// rankBlock consecutive entries, each block with how many entries of each
// incarnation it holds. A rank is then the counts of the blocks before the
// target's, summed, and a walk of the entries of the target's block up to
// the target: O(n/rankBlock + rankBlock) rather than O(rank), about 8,000
// sums and at most 256 steps at a million members.
//
// The blocks follow the index exactly. Every change of a member's record
// is applied to them under its set's key lock (a set's element records
// share its key's lock) once its batch has committed (applied), and a
// count takes the same lock to open its snapshot of the index and read the
// blocks, so both describe one state. Only a count recounts a block from
// the index (when it has grown past twice rankBlock, and cuts it again): a
// batch may change several members of one set, and applied learns of them
// one at a time after all of them are visible in the index.
//
// The first count whose walk steps over rankBuildMin entries builds the
// set's blocks from a snapshot of its index opened under the lock; the
// changes applied while it walks are logged and replayed onto what it
// built. The blocks of at most rankMaxSets sets are kept (the least
// recently counted go first); FLUSHALL and a restart drop them all. Like
// the index, they are this node's own.
const (
	rankBlock    = 128
	rankBuildMin = 4 * rankBlock
	rankMaxSets  = 64
)

// ranks holds the counted blocks of the sorted sets that have them.
type ranks struct {
	// block is how many entries a block holds when it is built or cut,
	// buildMin how many a walk steps over before the set gets blocks, and
	// maxSets how many sets have blocks at most: rankBlock, rankBuildMin
	// and rankMaxSets, which tests make small.
	block, buildMin int
	// snapshotTaken, if not nil, runs while a build walks its snapshot,
	// no lock held (tests write then).
	snapshotTaken func()

	// The sets with blocks (room.maxSets: rankMaxSets).
	room[rankIndex, *rankIndex]
	// dropped counts the block sets given up because they disagreed with
	// the index (a bug, logged); a test checks it stays 0.
	dropped atomic.Int64
}

func newRanks() *ranks {
	return &ranks{block: rankBlock, buildMin: rankBuildMin, room: newRoom[rankIndex](rankMaxSets)}
}

// rankIndex is one sorted set's counted blocks. Its fields but roomSlot,
// built and entries are guarded by the set's key lock.
type rankIndex struct {
	roomSlot               // its key; when it last served a count
	blocks   []rankCount   // by fence; blocks[0].fence is nil
	building bool          // the blocks are being built: changes go to log
	log      []rankChange  // changes applied while building
	built    chan struct{} // closed once the build is done or given up
	entries  atomic.Int64  // the entries the blocks count, once built
}

// rankCount is one block: the index entries from fence (an entry's key
// past the set's prefix, score(8) then member; nil: from the first) to the
// next block's fence, counted per incarnation. A set's entries are almost
// always of one incarnation (several only between a DEL and the removal
// of what it deleted), which first holds: a count sums a contiguous run of
// blocks without following a pointer.
type rankCount struct {
	fence  []byte
	first  incCount   // n is 0 when the block is empty
	others []incCount // other incarnations, each n > 0
}

type incCount struct {
	inc uint64
	n   int64
}

// rankEntry is a regular index entry: its key past the set's prefix and
// its incarnation.
type rankEntry struct {
	at  []byte
	inc uint64
}

// rankChange is a member's index entry changing from old to new (nil: none).
type rankChange struct{ old, new *rankEntry }

func (b *rankCount) total() int64 {
	n := b.first.n
	for _, c := range b.others {
		n += c.n
	}
	return n
}

func (b *rankCount) live(live func(uint64) bool) (n int64) {
	if b.first.n > 0 && live(b.first.inc) {
		n = b.first.n
	}
	for _, c := range b.others {
		if live(c.inc) {
			n += c.n
		}
	}
	return n
}

// counts lists the block's counts.
func (b *rankCount) counts() []incCount {
	if b.first.n == 0 {
		return nil
	}
	return append([]incCount{b.first}, b.others...)
}

// add adds d entries of incarnation inc; false if that would leave a
// negative count (the blocks disagree with the index).
func (b *rankCount) add(inc uint64, d int64) bool {
	c := &b.first
	if c.n == 0 || c.inc != inc {
		c = nil
		for i := range b.others {
			if b.others[i].inc == inc {
				c = &b.others[i]
			}
		}
	}
	switch {
	case c == nil && d < 0:
		return false
	case c == nil && b.first.n == 0:
		b.first = incCount{inc: inc, n: d}
	case c == nil:
		b.others = append(b.others, incCount{inc: inc, n: d})
	default:
		c.n += d
	}
	if c != nil && c.n < 0 {
		return false
	}
	// No zero count stays: others hold none, and first only when empty.
	b.others = slices.DeleteFunc(b.others, func(c incCount) bool { return c.n == 0 })
	if b.first.n == 0 && len(b.others) > 0 {
		b.first, b.others = b.others[0], b.others[1:]
	}
	return true
}

// liveOnce remembers live's answer for the incarnation asked last: a count
// asks of the same one thousands of times.
func liveOnce(live func(uint64) bool) func(uint64) bool {
	var last uint64
	var lastLive, asked bool
	return func(inc uint64) bool {
		if !asked || inc != last {
			last, lastLive, asked = inc, live(inc), true
		}
		return lastLive
	}
}

// find returns the block that holds the entry at at.
func (ri *rankIndex) find(at []byte) int {
	return sort.Search(len(ri.blocks), func(i int) bool { return bytes.Compare(ri.blocks[i].fence, at) > 0 }) - 1
}

// apply counts a change of one member's entry; false if the blocks
// disagree with the index.
func (ri *rankIndex) apply(c rankChange, size int) bool {
	if c.old != nil {
		j := ri.find(c.old.at)
		if !ri.blocks[j].add(c.old.inc, -1) {
			return false
		}
		ri.shrink(j, size)
		ri.entries.Add(-1)
	}
	if c.new != nil {
		ri.blocks[ri.find(c.new.at)].add(c.new.inc, 1)
		ri.entries.Add(1)
	}
	return true
}

// shrink joins block j to a neighbour when it is empty, or when the two
// hold at most half a block, so that removals do not leave many
// near-empty blocks to sum.
func (ri *rankIndex) shrink(j, size int) {
	small := func(a int) bool {
		return ri.blocks[a].total() == 0 || ri.blocks[a+1].total() == 0 ||
			ri.blocks[a].total()+ri.blocks[a+1].total() <= int64(size/2)
	}
	switch {
	case j+1 < len(ri.blocks) && small(j):
	case j > 0 && small(j-1):
		j--
	default:
		return
	}
	for _, c := range ri.blocks[j+1].counts() {
		ri.blocks[j].add(c.inc, c.n)
	}
	ri.blocks = slices.Delete(ri.blocks, j+1, j+2)
}

// cut counts the entries it yields (walking from the block's fence to the
// next fence) into blocks of size entries each, the first of them fenced
// at fence.
func cut(fence []byte, size int, next func() (*rankEntry, bool, error)) ([]rankCount, error) {
	out := []rankCount{{fence: fence}}
	n := 0
	for {
		en, ok, err := next()
		if err != nil || !ok {
			return out, err
		}
		if n == size {
			out, n = append(out, rankCount{fence: en.at}), 0
		}
		out[len(out)-1].add(en.inc, 1)
		n++
	}
}

// giveUp drops blocks found to disagree with the index.
func (r *ranks) giveUp(ri *rankIndex, why string) {
	r.dropped.Add(1)
	r.drop(ri)
	slog.Warn("dropped a sorted set's rank blocks: they disagreed with its score index; the next count of the set builds them again", "key", ri.key, "why", why)
}

// rankedMore reports whether key's blocks count more than n entries, each
// a member's record; false when it has none.
func (e *Engine) rankedMore(key []byte, n int) bool {
	ri := e.ranks.lookup(key)
	return ri != nil && ri.entries.Load() > int64(n)
}

// rankEntryOf is o's regular index entry as member's, nil if it has none.
func rankEntryOf(o version.Object, member []byte) *rankEntry {
	score, inc, regular, ok := op.IndexedScore(o)
	if !ok || !regular {
		return nil
	}
	at := make([]byte, 0, 8+len(member))
	at = binary.BigEndian.AppendUint64(at, orderedScore(score))
	return &rankEntry{at: append(at, member...), inc: inc}
}

// rankChanged counts the change of element record key from cur to next
// into its set's blocks, if it has any. It runs under the key's lock once
// the change has committed (applied).
func (e *Engine) rankChanged(key []byte, cur, next version.Object) {
	set, member, ok := partition.SplitElementKey(key)
	if !ok {
		return
	}
	ri := e.ranks.lookup(set)
	if ri == nil {
		return
	}
	c := rankChange{old: rankEntryOf(cur, member), new: rankEntryOf(next, member)}
	switch {
	case c.old == nil && c.new == nil:
		return
	case c.old != nil && c.new != nil && c.old.inc == c.new.inc && bytes.Equal(c.old.at, c.new.at):
		return
	case ri.building:
		ri.log = append(ri.log, c)
	case !ri.apply(c, e.ranks.block):
		e.ranks.giveUp(ri, "a removed entry was not counted")
	}
}

// buildRanks builds key's blocks (see ranks), or waits for the count that
// is building them.
func (e *Engine) buildRanks(h uint64, key, prefix []byte) error {
	mu := e.lockFor(h)
	mu.Lock()
	ri, fresh := e.ranks.register(key, func() *rankIndex {
		return &rankIndex{building: true, built: make(chan struct{})}
	})
	if !fresh {
		mu.Unlock()
		<-ri.built
		return nil
	}
	defer close(ri.built)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	mu.Unlock()
	if err != nil {
		e.ranks.drop(ri)
		return err
	}
	if e.ranks.snapshotTaken != nil {
		e.ranks.snapshotTaken()
	}
	blocks, err := cut(nil, e.ranks.block, indexEntries(it, prefix, it.First()))
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		e.ranks.drop(ri)
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if e.ranks.lookup(key) != ri { // flushed or pushed out meanwhile
		return nil
	}
	ri.blocks, ri.building = blocks, false
	var entries int64
	for i := range blocks {
		entries += blocks[i].total()
	}
	ri.entries.Store(entries)
	for _, c := range ri.log {
		if !ri.apply(c, e.ranks.block) {
			e.ranks.giveUp(ri, "a change made while building removed an entry not counted")
			break
		}
	}
	ri.log = nil
	return nil
}

// indexEntries yields the regular entries of it (positioned by ok), whose
// keys begin with prefix, up to the end of its bounds.
func indexEntries(it *pebble.Iterator, prefix []byte, ok bool) func() (*rankEntry, bool, error) {
	first := true
	return func() (*rankEntry, bool, error) {
		if !first {
			ok = it.Next()
		}
		first = false
		if !ok {
			return nil, false, it.Error()
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, false, err
		}
		if len(v) != 8 || len(it.Key()) < len(prefix)+8 {
			return nil, false, fmt.Errorf("engine: malformed score index entry %x", it.Key())
		}
		return &rankEntry{at: bytes.Clone(it.Key()[len(prefix):]), inc: binary.BigEndian.Uint64(v)}, true, nil
	}
}

// countByBlocks is CountScores with key's blocks; served is false when key
// has none ready. A count of the entries before x is the blocks before
// x's block summed, and a walk of x's block up to x; a count from lo to hi
// is the one for hi less the one for lo, both read from one state.
func (e *Engine) countByBlocks(h uint64, key, prefix, lo, hi []byte, live func(inc uint64) bool) (n int64, served bool, err error) {
	ri := e.ranks.lookup(key)
	if ri == nil {
		return 0, false, nil
	}
	if lo != nil && hi != nil && bytes.Compare(lo, hi) >= 0 {
		return 0, true, nil
	}
	<-ri.built
	mu := e.lockFor(h)
	mu.Lock()
	locked := true
	defer func() {
		if locked {
			mu.Unlock()
		}
	}()
	if ri.building || e.ranks.lookup(key) != ri {
		return 0, false, nil
	}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return 0, true, err
	}
	defer it.Close()
	// block is the block that holds x (nil: past the last entry), cut
	// again first if it has grown past twice the size.
	block := func(x []byte) (int, bool, error) {
		j := len(ri.blocks) - 1
		if x != nil {
			j = ri.find(x)
		}
		if ri.blocks[j].total() <= 2*int64(e.ranks.block) {
			return j, true, nil
		}
		if ok, err := e.recount(ri, j, it, prefix); err != nil || !ok {
			return 0, ok, err
		}
		if x == nil {
			return len(ri.blocks) - 1, true, nil
		}
		return ri.find(x), true, nil
	}
	jl := 0
	if lo != nil {
		if jl, served, err = block(lo); err != nil || !served {
			return 0, served, err
		}
	}
	jh, served, err := block(hi)
	if err != nil || !served {
		return 0, served, err
	}
	if lo != nil { // (cutting hi's block may have moved lo's)
		jl = ri.find(lo)
	}
	counted := liveOnce(live)
	for i := range ri.blocks[jl:jh] {
		n += ri.blocks[jl+i].live(counted)
	}
	loFence, hiFence := ri.blocks[jl].fence, ri.blocks[jh].fence
	e.ranks.touch(ri)
	mu.Unlock()
	locked = false

	// The rest is in the two blocks' walks, from the snapshot taken with
	// the blocks.
	up, _, err := walkCount(it, prefix, hiFence, hi, counted, -1)
	if err != nil || lo == nil {
		return n + up, true, err
	}
	down, _, err := walkCount(it, prefix, loFence, lo, counted, -1)
	return n + up - down, true, err
}

// WalkScoresSkipping walks key's index from the place from (an entry's
// key past the set's prefix, as MemberKey and ScoreKey make them: the
// entries at or after it, or when rev those before it, from the highest;
// nil: from the set's first entry, or its last when rev), except that
// where the set has rank blocks (built first when skip reaches
// rankBuildMin) whole blocks of at most skip entries past from that live
// says count are stepped over without visiting them: fn gets with each
// entry how many were (the same for all). A ZRANGE from a large rank or
// a large LIMIT offset starts near it so, reading one snapshot of the
// index.
func (e *Engine) WalkScoresSkipping(key []byte, rev bool, from []byte, skip int64, live func(uint64) bool, fn func(s Scored, skipped int64) bool) error {
	if !e.acquire() {
		return ErrClosed
	}
	defer e.release()
	h := partition.Hash(key)
	prefix := append(scorePrefix(h, key), scoreRegular)
	if skip >= int64(e.ranks.buildMin) && e.ranks.lookup(key) == nil {
		if err := e.buildRanks(h, key, prefix); err != nil {
			return err
		}
	}
	it, pos, skipped, served, err := e.skipByBlocks(h, key, prefix, rev, from, skip, live)
	if err != nil {
		return err
	}
	if !served { // a walk from from, stepping over nothing
		if it, err = e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)}); err != nil {
			return err
		}
		pos, skipped = from, 0
	}
	yielded := 0
	defer func() {
		stats := it.Stats()
		it.Close()
		e.compactIfSparse(stats, prefix, prefixEnd(prefix), yielded)
	}()
	return walkScored(it, prefix, seekPlace(it, prefix, pos, rev), rev, &yielded, func(s Scored) bool { return fn(s, skipped) })
}

// skipByBlocks finds where a walk of key's index from the place from (see
// WalkScoresSkipping) that steps over at most skip live entries past it
// by whole blocks starts: at pos (from itself, or the first block to
// visit's fence; when rev, the fence of the block past it; nil: the end),
// having stepped over skipped. It returns the snapshot of the index the
// blocks describe, to walk; served is false when key has no blocks ready.
func (e *Engine) skipByBlocks(h uint64, key, prefix []byte, rev bool, from []byte, skip int64, live func(uint64) bool) (it *pebble.Iterator, pos []byte, skipped int64, served bool, err error) {
	ri := e.ranks.lookup(key)
	if ri == nil {
		return nil, nil, 0, false, nil
	}
	<-ri.built
	mu := e.lockFor(h)
	mu.Lock()
	defer mu.Unlock()
	if ri.building || e.ranks.lookup(key) != ri {
		return nil, nil, 0, false, nil
	}
	if it, err = e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)}); err != nil {
		return nil, nil, 0, false, err
	}
	counted := liveOnce(live)
	e.ranks.touch(ri)
	// at is the block that holds from (nil: the first block, or past the
	// last when rev), within the live entries of at's block before from.
	at, within := 0, int64(0)
	switch {
	case from != nil:
		at = ri.find(from)
		if within, _, err = walkCount(it, prefix, ri.blocks[at].fence, from, counted, -1); err != nil {
			it.Close()
			return nil, nil, 0, false, err
		}
	case rev:
		at = len(ri.blocks)
	}
	pos = from
	if !rev {
		// From the fence of each block past at's: the entries from from
		// to it are stepped over.
		stepped := -within
		for j := at + 1; j < len(ri.blocks); j++ {
			stepped += ri.blocks[j-1].live(counted)
			if stepped > skip {
				break
			}
			pos, skipped = ri.blocks[j].fence, stepped
		}
		return it, pos, skipped, true, nil
	}
	// Down from the fence of at's block and of each block before it: the
	// entries from it to from are stepped over.
	stepped := within
	for j := at; j > 0; j-- {
		if j < at {
			stepped += ri.blocks[j].live(counted)
		}
		if j == len(ri.blocks) { // (from is nil: the end)
			continue
		}
		if stepped > skip {
			break
		}
		pos, skipped = ri.blocks[j].fence, stepped
	}
	return it, pos, skipped, true, nil
}

// walkCount counts the entries of it from from (nil: the first) to before
// to (nil: past the last) of the incarnations live says count; their keys
// begin with prefix. done is false when it gave up after stepping over
// limit entries (-1: no limit).
func walkCount(it *pebble.Iterator, prefix, from, to []byte, live func(uint64) bool, limit int) (n int64, done bool, err error) {
	steps := 0
	for ok := it.SeekGE(append(bytes.Clone(prefix), from...)); ok; ok = it.Next() {
		if to != nil && bytes.Compare(it.Key()[len(prefix):], to) >= 0 {
			break
		}
		if steps == limit {
			return 0, false, nil
		}
		steps++
		v, err := it.ValueAndErr()
		if err != nil {
			return 0, false, err
		}
		if len(v) != 8 {
			return 0, false, fmt.Errorf("engine: malformed score index entry %x", it.Key())
		}
		if live(binary.BigEndian.Uint64(v)) {
			n++
		}
	}
	return n, true, it.Error()
}

// recount counts block j of ri again from it (a snapshot of the index in
// the state ri describes) and cuts it into blocks of the usual size. ok is
// false when the count disagrees with the block's: the blocks are dropped.
func (e *Engine) recount(ri *rankIndex, j int, it *pebble.Iterator, prefix []byte) (ok bool, err error) {
	b := &ri.blocks[j]
	var hi []byte
	if j+1 < len(ri.blocks) {
		hi = ri.blocks[j+1].fence
	}
	entries := indexEntries(it, prefix, it.SeekGE(append(bytes.Clone(prefix), b.fence...)))
	cuts, err := cut(b.fence, e.ranks.block, func() (*rankEntry, bool, error) {
		en, ok, err := entries()
		if ok && hi != nil && bytes.Compare(en.at, hi) >= 0 {
			return nil, false, nil
		}
		return en, ok, err
	})
	if err != nil {
		return false, err
	}
	counted := rankCount{}
	for _, c := range cuts {
		for _, ic := range c.counts() {
			counted.add(ic.inc, ic.n)
		}
	}
	if !sameCounts(counted.counts(), b.counts()) {
		e.ranks.giveUp(ri, fmt.Sprintf("a block counted %v, the index holds %v", b.counts(), counted.counts()))
		return false, nil
	}
	ri.blocks = slices.Insert(slices.Delete(ri.blocks, j, j+1), j, cuts...)
	return true, nil
}

// sameCounts reports whether a and b count the same incarnations alike.
func sameCounts(a, b []incCount) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
