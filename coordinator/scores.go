package coordinator

import (
	"bytes"
	"context"
	"errors"
	"slices"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// WalkZSet walks the sorted set at key, whose header resolved to h, through
// this node's score index (engine.WalkScores) in Redis's order, or from its
// highest member when rev, beginning at the first member at or past the
// score from (nil: the first), until fn returns false. It serves where this
// node's records are, or equal, what a read of R owners' records would
// merge (indexServes); served is false otherwise, and the set is to be
// read whole (ReadElements).
func (c *Coordinator) WalkZSet(ctx context.Context, key []byte, h *op.Collection, opt Options, rev bool, from *float64, fn func(op.ScoredMember) bool) (served bool, err error) {
	if served, err := c.indexServes(ctx, key, opt); !served || err != nil {
		return false, err
	}
	return true, c.walkZSet(key, h, rev, from, fn)
}

// walkZSet is WalkZSet's walk of this node's own records.
func (c *Coordinator) walkZSet(key []byte, h *op.Collection, rev bool, from *float64, fn func(op.ScoredMember) bool) error {
	extra, small, err := c.membersApart(key, h)
	if err != nil {
		return err
	}
	before := func(a, b op.ScoredMember) bool {
		if rev {
			return op.CompareScored(a, b) > 0
		}
		return op.CompareScored(a, b) < 0
	}
	if rev {
		slices.Reverse(extra)
	}
	if from != nil {
		extra = slices.DeleteFunc(extra, func(m op.ScoredMember) bool {
			return !rev && m.Score < *from || rev && m.Score > *from
		})
	}
	going := true
	if small {
		for i := 0; going && i < len(extra); i++ {
			going = fn(extra[i])
		}
		return nil
	}
	err = c.eng.WalkScores(key, rev, from, func(s engine.Scored) bool {
		if !h.Live(s.Incarnation) {
			return true
		}
		m := op.ScoredMember{Member: s.Member, Score: s.Score}
		for len(extra) > 0 && before(extra[0], m) {
			if going = fn(extra[0]); !going {
				return false
			}
			extra = extra[1:]
		}
		going = fn(m)
		return going
	})
	for i := 0; err == nil && going && i < len(extra); i++ {
		going = fn(extra[i])
	}
	return err
}

// WalkZSetSkipping is WalkZSet from the score bound from (the members
// within it: at or above it, or when rev at or below it, from the
// highest; nil: from the set's first member, or its highest when rev) that
// may step over up to skip members past it without visiting them; fn gets
// each member it visits with its rank counted from from. It steps over members only where the
// engine counts the set in blocks (engine.WalkScoresSkipping) and no
// member's versions span incarnations: a ZRANGE from a large rank or a
// large LIMIT offset then reads near it, O(n/128 + 128 + m) instead of
// O(rank + m). served is false where WalkZSet's is.
func (c *Coordinator) WalkZSetSkipping(ctx context.Context, key []byte, h *op.Collection, opt Options, rev bool, bound *op.ScoreBound, skip int64, fn func(m op.ScoredMember, rank int64) bool) (served bool, err error) {
	if served, err := c.indexServes(ctx, key, opt); !served || err != nil {
		return false, err
	}
	// from is the bound's place in the index: the first entry within it,
	// or when rev the first past it.
	var from []byte
	if bound != nil {
		from = engine.ScoreKey(bound.Value)
		if bound.Exclusive != rev {
			from = engine.ScoreKeyAfter(bound.Value)
		}
	}
	extra, small, err := c.membersApart(key, h)
	if err != nil {
		return true, err
	}
	var rank int64
	if small || len(extra) > 0 {
		// From the set's end, counting from from (a small set, or a rare
		// one: see membersApart).
		return true, c.walkZSet(key, h, rev, nil, func(m op.ScoredMember) bool {
			if at := engine.MemberKey(m.Score, m.Member); from != nil && (rev == (bytes.Compare(at, from) >= 0)) {
				return true // before from
			}
			rank++
			return fn(m, rank-1)
		})
	}
	err = c.eng.WalkScoresSkipping(key, rev, from, skip, h.Live, func(s engine.Scored, skipped int64) bool {
		if !h.Live(s.Incarnation) {
			return true
		}
		rank++
		return fn(op.ScoredMember{Member: s.Member, Score: s.Score}, skipped+rank-1)
	})
	return true, err
}

// WalkZSetLex walks the sorted set at key, whose header resolved to h, in
// its members' byte order where every member has one score (the sets lex
// ranges are meant for), from the member from (at or past it, or only
// past it when after; when rev, at or before it, from the highest; nil:
// from the set's end), until fn returns false: O(log n + m) through the
// score index (engine.WalkOneScore). served is false where WalkZSet's is,
// for a small set, one whose members' versions span incarnations, and one
// of several scores.
func (c *Coordinator) WalkZSetLex(ctx context.Context, key []byte, h *op.Collection, opt Options, rev bool, from []byte, after bool, fn func(op.ScoredMember) bool) (served bool, err error) {
	if served, err := c.indexServes(ctx, key, opt); !served || err != nil {
		return false, err
	}
	if extra, small, err := c.membersApart(key, h); err != nil || small || len(extra) > 0 {
		return false, err
	}
	return c.eng.WalkOneScore(key, rev, from, after, func(s engine.Scored) bool {
		if !h.Live(s.Incarnation) {
			return true
		}
		return fn(op.ScoredMember{Member: s.Member, Score: s.Score})
	})
}

// membersApart is what a read of key's sorted set (header h) through this
// node's score index takes from the members' records instead, in Redis's
// order: every member of a small set (small is true; smallZSet), or else
// the members whose versions span incarnations (rare: writes concurrent
// with a DEL), which the index does not order.
func (c *Coordinator) membersApart(key []byte, h *op.Collection) (members []op.ScoredMember, small bool, err error) {
	members, small, err = c.smallZSet(key, h)
	if !small && err == nil {
		members, err = c.irregularMembers(key, h)
	}
	return members, small, err
}

// smallRecords is how many member records a sorted set may have for
// WalkZSet to read them rather than its index.
const smallRecords = 128

// smallZSet reads the live members of key's sorted set (header h), in
// Redis's order, from their records when it has at most smallRecords of
// them (small). A small set is read faster so: its records are few, and
// each member's rewrites are versions of one record, which the read steps
// over at once, where every change of a score leaves a deleted index entry
// that a walk steps over one by one until a compaction drops it.
func (c *Coordinator) smallZSet(key []byte, h *op.Collection) (members []op.ScoredMember, small bool, err error) {
	if large, err := c.eng.HasMoreElements(key, smallRecords); large || err != nil {
		return nil, false, err
	}
	var bad error
	more, err := c.eng.Elements(key, nil, smallRecords, func(ek []byte, o version.Object) {
		if bad != nil {
			return
		}
		f, live, err := op.ResolveField(o, h)
		if err != nil {
			bad = err
			return
		}
		if live {
			score, _ := op.ScoreOf(f.Bytes)
			members = append(members, op.ScoredMember{Member: bytes.Clone(elementOf(ek)), Score: score})
		}
	})
	if err = errors.Join(err, bad); err != nil || more {
		return nil, false, err
	}
	slices.SortFunc(members, op.CompareScored)
	return members, true, nil
}

// irregularMembers is the live members of key's sorted set (header h)
// whose records span incarnations, in Redis's order.
func (c *Coordinator) irregularMembers(key []byte, h *op.Collection) ([]op.ScoredMember, error) {
	names, err := c.eng.IrregularScores(key)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	var out []op.ScoredMember
	for _, name := range names {
		o, found, err := c.eng.Get(partition.ElementKey(nil, key, name))
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		f, live, err := op.ResolveField(o, h)
		if err != nil {
			return nil, err
		}
		if live {
			score, _ := op.ScoreOf(f.Bytes)
			out = append(out, op.ScoredMember{Member: name, Score: score})
		}
	}
	slices.SortFunc(out, op.CompareScored)
	return out, nil
}

// applyZRangeIndexed runs ZRemRange (ZPOPMIN, ZPOPMAX, ZMPOP,
// ZREMRANGEBY{SCORE,RANK}) on a lone node over only the members its range
// reads (op.ZRange.Scan) through the score index, so a pop costs O(log n +
// m) rather than a read of the whole set. The members are picked under the
// key's lock (engine.UpdatePicked), which every write of the set's
// elements takes too, so no write can change the range between the pick
// and the decision. served is false when it cannot serve the op (a range
// that needs the whole set, a key that holds no sorted set): the caller
// decides over the whole set, which also answers every error. r is o's
// range, one that reads part of the set (op.ZRange.Scan).
func (c *Coordinator) applyZRangeIndexed(ctx context.Context, o *op.Op, r op.ZRange, opt Options) (res op.Result, served bool, err error) {
	if err := ctx.Err(); err != nil {
		return op.Result{}, true, err
	}
	var names [][]byte
	more, notZSet := false, false
	pick := func() ([][]byte, error) {
		hdr, found, err := c.eng.Get(o.Key)
		if err != nil {
			return nil, err
		}
		v, live, err := op.Resolve(hdr, c.now(opt).UnixMilli())
		if err != nil || !found || !live || v.Type != op.TypeZSet {
			notZSet = true
			return nil, err
		}
		if names, more, err = c.walkRange(o.Key, v.Collection, r, nil); err != nil {
			return nil, err
		}
		keys := make([][]byte, len(names))
		for i, m := range names {
			keys[i] = partition.ElementKey(nil, o.Key, m)
		}
		return keys, nil
	}
	_, wrote, err := c.updateLocalWith(func(fn engine.GroupFunc) ([]version.Object, error) {
		return c.eng.UpdatePicked(o.Key, pick, fn)
	}, func(states []op.State) ([]op.Change, error) {
		st := op.HashState{Header: states[0], Fields: states[1:], More: more, Alone: true}
		if notZSet {
			return make([]op.Change, len(states)), nil // decided over the whole set instead
		}
		ch, result, err := o.ApplyZRange(&st, names)
		res = result
		if err != nil {
			return nil, err
		}
		return append([]op.Change{ch.Header}, ch.Fields...), nil
	}, opt, nil, nil)
	if err == nil && wrote && opt.Sync == nil {
		err = c.syncLocal()
	}
	if notZSet && err == nil {
		return op.Result{}, false, nil
	}
	return res, true, diskRefused(err)
}

// applyZRangeAgreed is applyZRangeIndexed in a cluster. Where R owners
// hold the same members as this node (indexServes), the members r's Scan
// reads are picked from this node's score index, and only their records
// and the header are read at quorum and written, as one group: a pop costs
// O(log n + m) and a digest round rather than a read of the whole set.
// Pops of one key through this node take turns; another node's may land
// between a pick and its write, so the write checks that what it reads is
// what was picked (unchanged), and picks again if not. As over the whole
// set, two coordinators popping at once may pop one member (README).
// served is false where it does not serve.
func (c *Coordinator) applyZRangeAgreed(ctx context.Context, o *op.Op, r op.ZRange, opt Options) (res op.Result, served bool, err error) {
	// Pops of one key through this node wait for each other, or each
	// would pick what the one before it is popping; a pick that another
	// node's pop took is picked again, a few times.
	defer c.pops.lock(o.Key)()
	for range pickTries {
		if res, served, err = c.popPicked(ctx, o, r, opt); !errors.Is(err, errPickedChanged) {
			return res, served, err
		}
	}
	return op.Result{}, false, nil
}

// pickTries is how many times applyZRangeAgreed picks before it decides
// over the whole set.
const pickTries = 3

// popPicked is one try of applyZRangeAgreed: errPickedChanged when the
// members it picked changed before its write read them.
func (c *Coordinator) popPicked(ctx context.Context, o *op.Op, r op.ZRange, opt Options) (res op.Result, served bool, err error) {
	if agreed, err := c.indexServes(ctx, o.Key, opt); !agreed || err != nil {
		return op.Result{}, false, err
	}
	hdr, found, err := c.Read(ctx, o.Key, opt)
	if err != nil {
		return op.Result{}, true, err
	}
	v, live, err := op.Resolve(hdr, c.now(opt).UnixMilli())
	if err != nil || !found || !live || v.Type != op.TypeZSet || v.Collection == nil {
		return op.Result{}, false, nil // decided over the whole set, which answers each case
	}
	var picked []op.ScoredMember
	names, more, err := c.walkRange(o.Key, v.Collection, r, func(m op.ScoredMember) { picked = append(picked, m) })
	if err != nil {
		return op.Result{}, true, err
	}
	keys := make([][]byte, 0, 1+len(names))
	keys = append(keys, o.Key)
	for _, m := range names {
		keys = append(keys, partition.ElementKey(nil, o.Key, m))
	}
	res, err = c.updateCollection(ctx, keys, opt, func(st *op.HashState) (op.HashChange, op.Result, error) {
		if !unchanged(st, hdr, v.Collection, picked) {
			return op.HashChange{}, op.Result{}, errPickedChanged
		}
		st.More = more
		return o.ApplyZRange(st, names)
	})
	return res, true, err
}

// errPickedChanged abandons a pop decided from the score index whose
// picked members changed before its write read them at quorum (another
// node's pop took them, say): it picks again, or is decided over the
// whole set.
var errPickedChanged = errors.New("coordinator: the picked members changed")

// unchanged reports whether the records of st are still the set's header
// hdr and the picked members, live with the scores they were picked by
// (h: the header resolved).
func unchanged(st *op.HashState, hdr version.Object, h *op.Collection, picked []op.ScoredMember) bool {
	if !st.Header.Object.Clock.Equal(hdr.Clock) || len(st.Fields) != len(picked) {
		return false
	}
	for i, f := range st.Fields {
		v, live, err := op.ResolveField(f.Object, h)
		if err != nil || !live {
			return false
		}
		if score, ok := op.ScoreOf(v.Bytes); !ok || score != picked[i].Score {
			return false
		}
	}
	return true
}

// walkRange names the members of key's sorted set (header h) that r's Scan
// reads, in walk order, and whether a live member is left besides them
// (more): past where the walk stopped, or before the score it began at.
// each, if not nil, gets each member named, with its score.
func (c *Coordinator) walkRange(key []byte, h *op.Collection, r op.ZRange, each func(op.ScoredMember)) (names [][]byte, more bool, err error) {
	rev, from, goOn, _ := r.Scan()
	err = c.walkZSet(key, h, rev, from, func(m op.ScoredMember) bool {
		if !goOn(m, len(names)) {
			more = true
			return false
		}
		names = append(names, m.Member)
		if each != nil {
			each(m)
		}
		return true
	})
	if err != nil || more || from == nil {
		return names, more, err
	}
	// Back from the first score: members of that score are among names,
	// any other is before the walk.
	walked := make(map[string]bool, len(names))
	for _, n := range names {
		walked[string(n)] = true
	}
	err = c.walkZSet(key, h, !rev, from, func(m op.ScoredMember) bool {
		more = !walked[string(m.Member)]
		return !more
	})
	return names, more, err
}

// RankZSet answers ZRANK (ZREVRANK: rev) of target, a live member of the
// sorted set at key whose header resolved to h: how many members come
// before it (after it, when rev). served is false where WalkZSet's is.
func (c *Coordinator) RankZSet(ctx context.Context, key []byte, h *op.Collection, opt Options, target op.ScoredMember, rev bool) (rank int64, served bool, err error) {
	lo, hi := []byte(nil), engine.MemberKey(target.Score, target.Member)
	if rev {
		lo, hi = append(hi, 0), nil // (the member's successor)
	}
	return c.countZSet(ctx, key, h, opt, lo, hi)
}

// CardZSet answers ZCARD of the sorted set at key whose header resolved to
// h. served is false where WalkZSet's is.
func (c *Coordinator) CardZSet(ctx context.Context, key []byte, h *op.Collection, opt Options) (n int64, served bool, err error) {
	return c.countZSet(ctx, key, h, opt, nil, nil)
}

// CountZSetScores answers ZCOUNT min max of the sorted set at key whose
// header resolved to h. served is false where WalkZSet's is.
func (c *Coordinator) CountZSetScores(ctx context.Context, key []byte, h *op.Collection, opt Options, min, max op.ScoreBound) (n int64, served bool, err error) {
	lo, hi := engine.ScoreKey(min.Value), engine.ScoreKeyAfter(max.Value)
	if min.Exclusive {
		lo = engine.ScoreKeyAfter(min.Value)
	}
	if max.Exclusive {
		hi = engine.ScoreKey(max.Value)
	}
	return c.countZSet(ctx, key, h, opt, lo, hi)
}

// countZSet counts the live members of the sorted set at key (header h)
// from lo to before hi in the score index's order (engine.MemberKey; nil:
// the set's ends), in this node's score index, without copying any entry:
// O(log n) for a big set once the engine has counted it in blocks.
func (c *Coordinator) countZSet(ctx context.Context, key []byte, h *op.Collection, opt Options, lo, hi []byte) (n int64, served bool, err error) {
	if served, err := c.indexServes(ctx, key, opt); !served || err != nil {
		return 0, false, err
	}
	extra, small, err := c.membersApart(key, h)
	if err != nil {
		return 0, true, err
	}
	for _, m := range extra {
		at := engine.MemberKey(m.Score, m.Member)
		if (lo == nil || bytes.Compare(at, lo) >= 0) && (hi == nil || bytes.Compare(at, hi) < 0) {
			n++
		}
	}
	if small {
		return n, true, nil
	}
	counted, err := c.eng.CountScores(key, lo, hi, h.Live)
	return n + counted, true, err
}
