package resp

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// Sorted sets. A sorted set is stored as a hash is (op/zset.go): its key's
// header and one record per member, whose value is the member's score. A
// write that names its members (ZADD, ZINCRBY, ZREM) is decided over their
// records; one that removes a range (ZREMRANGEBY*, ZPOPMIN, ZPOPMAX, ZMPOP)
// is decided by the key's coordinator over the whole set, read at quorum.
// Reads of ranks, counts and ranges read the whole set at quorum and order
// it, except where this node is the key's one replica: there they read its
// score index (Coordinator.WalkZSet, RankZSet, CardZSet, CountZSetScores).

func init() {
	w, r, f := "write", "readonly", "fast"
	z := oneKeyOf("sorted_set")
	numkeys := func(c *Command) *Command { c.FirstKey, c.LastKey, c.Step = 0, 0, 0; return c }
	store := func(c *Command) *Command { c.LastKey = 1; return c }
	register(
		z("zadd", -4, []string{w, "denyoom", f}, "1.2.0", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", cmdZAdd),
		z("zincrby", 4, []string{w, "denyoom", f}, "1.2.0", "Increments the score of a member in a sorted set.", cmdZIncrBy),
		z("zrem", -3, []string{w, f}, "1.2.0", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", cmdZRem),
		z("zscore", 3, []string{r, f}, "1.2.0", "Returns the score of a member in a sorted set.", cmdZScore),
		z("zmscore", -3, []string{r, f}, "6.2.0", "Returns the score of one or more members in a sorted set.", cmdZMScore),
		z("zcard", 2, []string{r, f}, "1.2.0", "Returns the number of members in a sorted set.", cmdZCard),
		z("zcount", 4, []string{r, f}, "2.0.0", "Returns the count of members in a sorted set that have scores within a range.", cmdZCount),
		z("zlexcount", 4, []string{r, f}, "2.8.9", "Returns the number of members in a sorted set within a lexicographical range.", cmdZLexCount),
		z("zrange", -4, []string{r}, "1.2.0", "Returns members in a sorted set within a range of indexes.", cmdZRange),
		z("zrevrange", -4, []string{r}, "1.2.0", "Returns members in a sorted set within a range of indexes in reverse order.", cmdZRange),
		z("zrangebyscore", -4, []string{r}, "1.0.5", "Returns members in a sorted set within a range of scores.", cmdZRange),
		z("zrevrangebyscore", -4, []string{r}, "2.2.0", "Returns members in a sorted set within a range of scores in reverse order.", cmdZRange),
		z("zrangebylex", -4, []string{r}, "2.8.9", "Returns members in a sorted set within a lexicographical range.", cmdZRange),
		z("zrevrangebylex", -4, []string{r}, "2.8.9", "Returns members in a sorted set within a lexicographical range in reverse order.", cmdZRange),
		&Command{Name: "zrangestore", Arity: -5, Flags: []string{w, "denyoom"}, FirstKey: 1, LastKey: 2, Step: 1, Group: "sorted_set", Since: "6.2.0",
			Summary: "Stores a range of members from sorted set in a key.", Handler: cmdZRangeStore},
		z("zrank", 3, []string{r, f}, "2.0.0", "Returns the index of a member in a sorted set ordered by ascending scores.", cmdZRank),
		z("zrevrank", 3, []string{r, f}, "2.0.0", "Returns the index of a member in a sorted set ordered by descending scores.", cmdZRank),
		z("zpopmin", -2, []string{w, f}, "5.0.0", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", cmdZPop),
		z("zpopmax", -2, []string{w, f}, "5.0.0", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", cmdZPop),
		numkeys(z("zmpop", -4, []string{w}, "7.0.0", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.", cmdZMPop)),
		z("zrandmember", -2, []string{r}, "6.2.0", "Returns one or more random members from a sorted set.", cmdZRandMember),
		z("zremrangebyrank", 4, []string{w}, "2.0.0", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", cmdZRemRange),
		z("zremrangebyscore", 4, []string{w}, "1.2.0", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", cmdZRemRange),
		z("zremrangebylex", 4, []string{w}, "2.8.9", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", cmdZRemRange),
		numkeys(z("zunion", -3, []string{r}, "6.2.0", "Returns the union of multiple sorted sets.", cmdZCombine)),
		numkeys(z("zinter", -3, []string{r}, "6.2.0", "Returns the intersect of multiple sorted sets.", cmdZCombine)),
		numkeys(z("zdiff", -3, []string{r}, "6.2.0", "Returns the difference between multiple sorted sets.", cmdZCombine)),
		numkeys(z("zintercard", -3, []string{r}, "7.0.0", "Returns the number of members of the intersect of multiple sorted sets.", cmdZCombine)),
		store(z("zunionstore", -4, []string{w, "denyoom"}, "2.0.0", "Stores the union of multiple sorted sets in a key.", cmdZCombine)),
		store(z("zinterstore", -4, []string{w, "denyoom"}, "2.0.0", "Stores the intersect of multiple sorted sets in a key.", cmdZCombine)),
		store(z("zdiffstore", -4, []string{w, "denyoom"}, "6.2.0", "Stores the difference of multiple input sorted sets in a key.", cmdZCombine)),
		z("zscan", -3, []string{r}, "2.8.0", "Iterates over members and scores of a sorted set.", cmdZScan),
	)
}

// parseScore parses a score or an increment as Redis does: a decimal or
// "inf" ("+inf", "-inf"), no leading space, not NaN, within a double's range.
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil && !math.IsNaN(f)
}

func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// writeScore answers a score: a bulk string (RESP2) or a double (RESP3).
func (c *client) writeScore(f float64) {
	if c.proto == 3 {
		c.out.WriteRaw([]byte("," + op.FormatScore(f) + "\r\n"))
		return
	}
	c.writeBulkString(op.FormatScore(f))
}

// writeScoreOrNull answers a stored score (op.ScoreBytes), or a null.
func (c *client) writeScoreOrNull(b []byte, ok bool) {
	if !ok {
		c.writeNull()
		return
	}
	s, _ := op.ScoreOf(b)
	c.writeScore(s)
}

// cmdZAdd is ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score
// member ...], its options checked in Redis's order before the key is.
func cmdZAdd(c *client, args [][]byte) {
	var flags op.Flags
	incr := false
	i := 2
options:
	for ; i < len(args); i++ {
		switch a := args[i]; {
		case eq(a, "nx"):
			flags |= op.NX
		case eq(a, "xx"):
			flags |= op.XX
		case eq(a, "gt"):
			flags |= op.GT
		case eq(a, "lt"):
			flags |= op.LT
		case eq(a, "ch"):
			flags |= op.Changed
		case eq(a, "incr"):
			incr = true
		default:
			break options
		}
	}
	pairs := args[i:]
	has := func(f op.Flags) bool { return flags&f != 0 }
	switch {
	case len(pairs) == 0 || len(pairs)%2 != 0:
		c.writeError(errSyntax)
		return
	case has(op.NX) && has(op.XX):
		c.writeError("ERR XX and NX options at the same time are not compatible")
		return
	case has(op.GT) && has(op.NX), has(op.LT) && has(op.NX), has(op.GT) && has(op.LT):
		c.writeError("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	case incr && len(pairs) > 2:
		c.writeError("ERR INCR option supports a single increment-element pair")
		return
	}
	o := &op.Op{Code: op.ZAdd, Flags: flags, Key: args[1]}
	for j := 0; j < len(pairs); j += 2 {
		s, ok := parseScore(pairs[j])
		if !ok {
			c.writeError(errNotFloat)
			return
		}
		if !c.checkSize(len(pairs[j+1])) {
			return
		}
		o.Fields = append(o.Fields, pairs[j+1])
		o.Values = append(o.Values, op.ScoreBytes(s))
		o.Float = s // (ZADD INCR's increment, -0 kept)
	}
	if incr {
		o.Code, o.Values = op.ZIncrBy, nil
		o.Flags &^= op.Changed
		res, ok := c.write(o)
		if ok {
			c.writeScoreText(res.Text)
		}
		return
	}
	if res, ok := c.write(o); ok {
		c.writeInt(res.N)
	}
}

// mustScore reads a stored score (op.ScoreBytes) that Dynago wrote.
func mustScore(b []byte) float64 {
	s, _ := op.ScoreOf(b)
	return s
}

// writeScoreText answers a score an op rendered (op.FormatScore), or a null
// for none.
func (c *client) writeScoreText(s string) {
	if s == "" {
		c.writeNull()
		return
	}
	f, _ := strconv.ParseFloat(s, 64)
	c.writeScore(f)
}

func cmdZIncrBy(c *client, args [][]byte) {
	d, ok := parseScore(args[2])
	if !ok {
		c.writeError(errNotFloat)
		return
	}
	if !c.checkSize(len(args[3])) {
		return
	}
	if res, ok := c.write(&op.Op{Code: op.ZIncrBy, Key: args[1], Fields: args[3:4], Float: d}); ok {
		c.writeScoreText(res.Text)
	}
}

func cmdZRem(c *client, args [][]byte) {
	if res, ok := c.write(&op.Op{Code: op.ZRem, Key: args[1], Fields: args[2:]}); ok {
		c.writeInt(res.N)
	}
}

func cmdZScore(c *client, args [][]byte) {
	if values, present, ok := c.readFields(op.TypeZSet, args[1], args[2:3]); ok {
		c.writeScoreOrNull(values[0], present[0])
	}
}

func cmdZMScore(c *client, args [][]byte) {
	values, present, ok := c.readFields(op.TypeZSet, args[1], args[2:])
	if !ok {
		return
	}
	c.writeArray(len(values))
	for i := range values {
		c.writeScoreOrNull(values[i], present[i])
	}
}

// readZSet reads key's whole sorted set at quorum, ordered as Redis orders
// it (nil for no key). On an error it writes the reply, ok=false.
func (c *client) readZSet(key []byte) ([]op.ScoredMember, bool) {
	return c.scanZSet(key, false, nil, nil)
}

// scanZSet reads members of key's sorted set in Redis's order, or from the
// highest when rev, beginning at the score from (nil: the first), while
// more says to go on (nil: to the end); more gets each member and how many
// came before it. The members come back in Redis's order whatever rev.
// Where this node is the key's one replica it reads them through its score
// index, O(log n) to the first and then one step per member; elsewhere it
// reads the set whole at quorum, and so may answer more members than asked
// for, which every caller narrows itself. On an error it writes the reply,
// ok=false.
func (c *client) scanZSet(key []byte, rev bool, from *float64, more func(m op.ScoredMember, n int) bool) ([]op.ScoredMember, bool) {
	hdr, found, err := c.readObject(key)
	if err != nil {
		c.writeErr(err)
		return nil, false
	}
	h, ok := c.collectionOf(op.TypeZSet, hdr, found)
	if !ok || h == nil {
		return nil, ok
	}
	var out []op.ScoredMember
	served, err := c.srv.coord.WalkZSet(c.ctx, key, h, c.opts(), rev, from, func(m op.ScoredMember) bool {
		if more != nil && !more(m, len(out)) {
			return false
		}
		out = append(out, m)
		return true
	})
	if err != nil {
		c.writeErr(err)
		return nil, false
	}
	if served {
		if rev {
			slices.Reverse(out)
		}
		return out, true
	}
	return c.readZSetElements(key, hdr, found)
}

// readZSetElements reads the sorted set at key, whose header is hdr, whole
// at quorum, in Redis's order. On an error it writes the reply, ok=false.
func (c *client) readZSetElements(key []byte, hdr version.Object, found bool) ([]op.ScoredMember, bool) {
	elems, ok := c.readElements(op.TypeZSet, key, hdr, found)
	if !ok {
		return nil, false
	}
	out := make([]op.ScoredMember, len(elems))
	for i, e := range elems {
		out[i] = op.ScoredMember{Member: e.name, Score: mustScore(e.value)}
	}
	slices.SortFunc(out, op.CompareScored)
	return out, true
}

func cmdZCard(c *client, args [][]byte) {
	c.countZSet(args[1], func(h *op.Collection) (int64, bool, error) {
		return c.srv.coord.CardZSet(c.ctx, args[1], h, c.opts())
	}, func(z []op.ScoredMember) int64 { return int64(len(z)) })
}

// countZSet answers a count of members of key's sorted set: by count,
// where this node serves it from its score index, otherwise by whole,
// given the whole set read at quorum.
func (c *client) countZSet(key []byte, count func(h *op.Collection) (int64, bool, error), whole func([]op.ScoredMember) int64) {
	c.countCollection(op.TypeZSet, key, count, func(hdr version.Object, found bool) (int64, bool) {
		z, ok := c.readZSetElements(key, hdr, found)
		return whole(z), ok
	})
}

// countCollection answers a count of the elements of key's collection of
// type want (0 when there is none): by count, where the coordinator
// serves it without reading the collection (served is true), otherwise by
// whole, given the header hdr (ok=false: it wrote an error).
func (c *client) countCollection(want op.Type, key []byte, count func(h *op.Collection) (n int64, served bool, err error), whole func(hdr version.Object, found bool) (int64, bool)) {
	hdr, found, err := c.readObject(key)
	if err != nil {
		c.writeErr(err)
		return
	}
	h, ok := c.collectionOf(want, hdr, found)
	if !ok {
		return
	}
	if h == nil {
		c.writeInt(0)
		return
	}
	n, served, err := count(h)
	switch {
	case err != nil:
		c.writeErr(err)
	case served:
		c.writeInt(n)
	default:
		if n, ok := whole(hdr, found); ok {
			c.writeInt(n)
		}
	}
}

// parseScoreBound parses one end of a score range: a number, "(" before it
// for an exclusive end. As Redis reads it with strtod: an empty number is
// 0, and one beyond a double's range the infinity (or zero) it rounds to.
func parseScoreBound(b []byte) (op.ScoreBound, bool) {
	var sb op.ScoreBound
	if len(b) > 0 && b[0] == '(' {
		sb.Exclusive, b = true, b[1:]
	}
	if len(b) == 0 {
		return sb, true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	sb.Value = f
	return sb, (err == nil || isRangeErr(err)) && !math.IsNaN(f) && !isSpace(b[0])
}

// isRangeErr reports whether err is ParseFloat's for a number beyond a
// double.
func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// parseLexBound parses one end of a lexicographic range: "-", "+", or "["
// or "(" before a member.
func parseLexBound(b []byte) (op.LexBound, bool) {
	switch {
	case len(b) == 1 && b[0] == '-':
		return op.LexBound{Inf: -1}, true
	case len(b) == 1 && b[0] == '+':
		return op.LexBound{Inf: 1}, true
	case len(b) > 0 && (b[0] == '[' || b[0] == '('):
		return op.LexBound{Value: b[1:], Exclusive: b[0] == '('}, true
	}
	return op.LexBound{}, false
}

const (
	errScoreRange = "ERR min or max is not a float"
	errLexRange   = "ERR min or max not valid string range item"
)

// parseBounds parses min and max of a range by score or lex into r; on an
// error it writes the reply.
func (c *client) parseBounds(r *op.ZRange, min, max []byte) bool {
	var ok1, ok2 bool
	if r.By == op.ByScore {
		r.Min, ok1 = parseScoreBound(min)
		r.Max, ok2 = parseScoreBound(max)
		if !ok1 || !ok2 {
			c.writeError(errScoreRange)
			return false
		}
		return true
	}
	r.LexMin, ok1 = parseLexBound(min)
	r.LexMax, ok2 = parseLexBound(max)
	if !ok1 || !ok2 {
		c.writeError(errLexRange)
		return false
	}
	return true
}

// cmdZCount is ZCOUNT and ZLEXCOUNT: the members within a range.
func cmdZCount(c *client, args [][]byte)    { zcount(c, args, op.ByScore) }
func cmdZLexCount(c *client, args [][]byte) { zcount(c, args, op.ByLex) }

func zcount(c *client, args [][]byte, by op.RangeBy) {
	r := op.ZRange{By: by, Count: -1}
	if !c.parseBounds(&r, args[2], args[3]) {
		return
	}
	if by == op.ByScore {
		c.countZSet(args[1], func(h *op.Collection) (int64, bool, error) {
			return c.srv.coord.CountZSetScores(c.ctx, args[1], h, c.opts(), r.Min, r.Max)
		}, func(z []op.ScoredMember) int64 { return int64(len(r.Select(z))) })
		return
	}
	if z, ok := c.scanRange(args[1], r); ok {
		c.writeInt(int64(len(r.Select(z))))
	}
}

// zrangeForm is how one of the ZRANGE family takes its arguments: ZRANGE
// itself takes BYSCORE, BYLEX and REV as options; the older commands have
// them fixed.
type zrangeForm struct {
	by    op.RangeBy
	rev   bool
	fixed bool
}

var zrangeForms = map[string]zrangeForm{
	"zrange":           {},
	"zrangestore":      {},
	"zrevrange":        {by: op.ByRank, rev: true, fixed: true},
	"zrangebyscore":    {by: op.ByScore, fixed: true},
	"zrevrangebyscore": {by: op.ByScore, rev: true, fixed: true},
	"zrangebylex":      {by: op.ByLex, fixed: true},
	"zrevrangebylex":   {by: op.ByLex, rev: true, fixed: true},
}

// parseZRange parses a ZRANGE-family command's range and options, args
// being what follows the key (min, max, options), as Redis does, with its
// errors written. store refuses WITHSCORES (ZRANGESTORE).
func (c *client) parseZRange(name string, args [][]byte, store bool) (r op.ZRange, withScores, ok bool) {
	form := zrangeForms[name]
	r = op.ZRange{By: form.by, Rev: form.rev, Count: -1}
	byGiven, revGiven, limitGiven := form.fixed, form.fixed, false
	for i := 2; i < len(args); i++ {
		left := len(args) - i - 1
		switch a := args[i]; {
		case !store && eq(a, "withscores"):
			withScores = true
		case eq(a, "limit") && left >= 2:
			off, ok1 := parseInt(args[i+1])
			cnt, ok2 := parseInt(args[i+2])
			if !ok1 || !ok2 {
				c.writeError(errNotInteger)
				return r, false, false
			}
			r.Offset, r.Count, limitGiven = off, cnt, true
			i += 2
		case !revGiven && eq(a, "rev"):
			r.Rev, revGiven = true, true
		case !byGiven && eq(a, "bylex"):
			r.By, byGiven = op.ByLex, true
		case !byGiven && eq(a, "byscore"):
			r.By, byGiven = op.ByScore, true
		default:
			c.writeError(errSyntax)
			return r, false, false
		}
	}
	switch {
	case limitGiven && r.Count != -1 && r.By == op.ByRank:
		c.writeError("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return r, false, false
	case withScores && r.By == op.ByLex:
		c.writeError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return r, false, false
	}
	if !limitGiven {
		r.Count = -1
	}
	min, max := args[0], args[1]
	if r.Rev && r.By != op.ByRank {
		min, max = max, min // given as max, then min
	}
	if r.By == op.ByRank {
		start, ok1 := parseInt(min)
		stop, ok2 := parseInt(max)
		if !ok1 || !ok2 {
			c.writeError(errNotInteger)
			return r, false, false
		}
		r.Start, r.Stop = start, stop
		return r, withScores, true
	}
	return r, withScores, c.parseBounds(&r, min, max)
}

// selectRange is r's members of the sorted set at key; nil for a range
// that can select nothing or a negative offset.
func (c *client) selectRange(key []byte, r op.ZRange) ([]op.ScoredMember, bool) {
	if r.By == op.ByRank && r.Start > 0 && r.Stop >= r.Start || r.By == op.ByScore && r.Offset > 0 && r.Count != 0 && !r.Empty() {
		if picked, served, ok := c.pickRanks(key, r); served || !ok {
			return picked, ok
		}
	}
	if r.By == op.ByLex && r.Offset >= 0 && r.Count != 0 && !r.Empty() {
		if picked, served, ok := c.pickLex(key, r); served || !ok {
			return picked, ok
		}
	}
	z, ok := c.scanRange(key, r)
	if !ok || z == nil || r.By != op.ByRank && (r.Offset < 0 || r.Empty()) {
		return nil, ok
	}
	return r.Select(z), true
}

// zsetCollection reads key's header at quorum as a sorted set's: nil for
// no key. On an error (WRONGTYPE, a failed read) it writes the reply,
// ok=false.
func (c *client) zsetCollection(key []byte) (h *op.Collection, ok bool) {
	hdr, found, err := c.readObject(key)
	if err != nil {
		c.writeErr(err)
		return nil, false
	}
	return c.collectionOf(op.TypeZSet, hdr, found)
}

// pickRanks is selectRange of ranks Start to Stop (both from the same end,
// Start > 0), or of a score range from its LIMIT offset (Offset > 0),
// where this node walks the set from near the first member it answers
// (Coordinator.WalkZSetSkipping); served is false elsewhere.
func (c *client) pickRanks(key []byte, r op.ZRange) (picked []op.ScoredMember, served, ok bool) {
	h, ok := c.zsetCollection(key)
	if !ok || h == nil {
		return nil, true, ok
	}
	// from is where the walk starts; first and last are the ranks,
	// counted from it, of the first and last member answered (last: -1
	// for no end but the range's far bound).
	var from *op.ScoreBound
	first, last := r.Start, r.Stop
	if r.By == op.ByScore {
		first, last, from = r.Offset, -1, &r.Min
		if r.Count > 0 {
			last = r.Offset + r.Count - 1
		}
		if r.Rev {
			from = &r.Max
		}
	}
	served, err := c.srv.coord.WalkZSetSkipping(c.ctx, key, h, c.opts(), r.Rev, from, first, func(m op.ScoredMember, rank int64) bool {
		if r.By == op.ByScore && !r.WithinFar(m) {
			return false
		}
		if rank >= first && (last < 0 || rank <= last) {
			picked = append(picked, m)
		}
		return last < 0 || rank < last
	})
	if err != nil {
		c.writeErr(err)
		return nil, true, false
	}
	return picked, served, true
}

// pickLex is selectRange of a lex range (not empty, its offset not
// negative, its count not 0) where the set's members all have one score
// and this node walks them in byte order from the range's near bound
// (Coordinator.WalkZSetLex); served is false elsewhere.
func (c *client) pickLex(key []byte, r op.ZRange) (picked []op.ScoredMember, served, ok bool) {
	h, ok := c.zsetCollection(key)
	if !ok || h == nil {
		return nil, true, ok
	}
	near := r.LexMin
	if r.Rev {
		near = r.LexMax
	}
	var from []byte
	if near.Inf == 0 {
		from = near.Value
	}
	var n int64 // members within the range so far
	served, err := c.srv.coord.WalkZSetLex(c.ctx, key, h, c.opts(), r.Rev, from, near.Exclusive, func(m op.ScoredMember) bool {
		if !r.WithinFar(m) {
			return false
		}
		if n++; n > r.Offset {
			picked = append(picked, m)
		}
		return r.Count < 0 || int64(len(picked)) < r.Count
	})
	if err != nil {
		c.writeErr(err)
		return nil, true, false
	}
	return picked, served, true
}

// scanRange reads what r.Select needs of the sorted set at key
// (op.ZRange.Scan).
func (c *client) scanRange(key []byte, r op.ZRange) ([]op.ScoredMember, bool) {
	rev, from, more, whole := r.Scan()
	if whole {
		return c.readZSet(key)
	}
	return c.scanZSet(key, rev, from, more)
}

// cmdZRange is ZRANGE and the older commands of its family.
func cmdZRange(c *client, args [][]byte) {
	r, withScores, ok := c.parseZRange(lower(args[0]), args[2:], false)
	if !ok {
		return
	}
	if picked, ok := c.selectRange(args[1], r); ok {
		c.writeScored(picked, scoresIf(withScores))
	}
}

// scoredForm is how a reply lists sorted-set members.
type scoredForm uint8

const (
	membersOnly  scoredForm = iota
	withScores              // member, score, ... in RESP2; [member, score] pairs in RESP3
	flatScores              // member, score, ... in either protocol
	pairedScores            // [member, score] pairs in either protocol
)

// writeScored answers members in form.
func (c *client) writeScored(ms []op.ScoredMember, form scoredForm) {
	if form == withScores {
		form = flatScores
		if c.proto == 3 {
			form = pairedScores
		}
	}
	switch form {
	case membersOnly:
		c.writeArray(len(ms))
	case flatScores:
		c.writeArray(2 * len(ms))
	default:
		c.writeArray(len(ms))
	}
	for _, m := range ms {
		if form == pairedScores {
			c.writeArray(2)
		}
		c.writeBulk(m.Member)
		if form != membersOnly {
			c.writeScore(m.Score)
		}
	}
}

// scoresIf is withScores when asked for, membersOnly otherwise.
func scoresIf(asked bool) scoredForm {
	if asked {
		return withScores
	}
	return membersOnly
}

// cmdZRangeStore is ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV]
// [LIMIT offset count]: the range is read, then dst written whole by its
// coordinator.
func cmdZRangeStore(c *client, args [][]byte) {
	r, _, ok := c.parseZRange("zrangestore", args[3:], true)
	if !ok {
		return
	}
	picked, ok := c.selectRange(args[2], r)
	if ok {
		c.storeZSet(args[1], picked)
	}
}

// storeZSet makes key the sorted set of ms (none deletes it) and answers
// its size.
func (c *client) storeZSet(key []byte, ms []op.ScoredMember) {
	o := &op.Op{Code: op.ZStore, Key: key, Fields: [][]byte{}, Values: [][]byte{}}
	for _, m := range ms {
		o.Fields = append(o.Fields, m.Member)
		o.Values = append(o.Values, op.ScoreBytes(m.Score))
	}
	if res, ok := c.write(o); ok {
		c.writeInt(res.N)
	}
}

// cmdZRank is ZRANK and ZREVRANK: the member's index in the set, ordered:
// how many members come before it, counted in the score index where this
// node serves it (Coordinator.RankZSet), otherwise in the set read whole.
func cmdZRank(c *client, args [][]byte) {
	values, present, h, ok := c.readFieldsOf(op.TypeZSet, args[1], args[2:3])
	if !ok {
		return
	}
	if !present[0] {
		c.writeNull()
		return
	}
	target := op.ScoredMember{Member: args[2], Score: mustScore(values[0])}
	rev := eq(args[0], "zrevrank")
	rank, served, err := c.srv.coord.RankZSet(c.ctx, args[1], h, c.opts(), target, rev)
	if err != nil {
		c.writeErr(err)
		return
	}
	if served {
		c.writeInt(rank)
		return
	}
	before := func(m op.ScoredMember) bool {
		order := op.CompareScored(m, target)
		return order < 0 && !rev || order > 0 && rev
	}
	if z, ok := c.readZSet(args[1]); ok {
		c.writeInt(int64(len(slices.DeleteFunc(z, func(m op.ScoredMember) bool { return !before(m) }))))
	}
}

// popRange is the range ZPOPMIN (ZPOPMAX: max) removes: count members from
// the lowest (highest).
func popRange(max bool, count int64) op.ZRange {
	return op.ZRange{By: op.ByRank, Rev: max, Start: 0, Stop: count - 1, Count: -1}
}

// removeRange has key's coordinator remove r's members; it answers them
// with their scores.
func (c *client) removeRange(key []byte, r op.ZRange) ([]op.ScoredMember, bool) {
	res, ok := c.write(&op.Op{Code: op.ZRemRange, Key: key, Value: r.AppendBinary(nil)})
	if !ok {
		return nil, false
	}
	out := make([]op.ScoredMember, 0, len(res.Elems)/2)
	for i := 0; i+1 < len(res.Elems); i += 2 {
		out = append(out, op.ScoredMember{Member: res.Elems[i], Score: mustScore(res.Elems[i+1])})
	}
	return out, true
}

// cmdZPop is ZPOPMIN and ZPOPMAX key [count].
func cmdZPop(c *client, args [][]byte) {
	if len(args) > 3 {
		c.writeError(errSyntax)
		return
	}
	count := int64(1)
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok || n < 0 {
			c.writeError("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	if count == 0 {
		// As Redis: the key's type is checked, nothing removed.
		if _, ok := c.readCollection(op.TypeZSet, args[1]); ok {
			c.writeArray(0)
		}
		return
	}
	popped, ok := c.removeRange(args[1], popRange(eq(args[0], "zpopmax"), count))
	if !ok {
		return
	}
	if len(args) == 3 {
		c.writeScored(popped, withScores)
		return
	}
	c.writeScored(popped, flatScores) // (one member: a flat pair, in either protocol)
}

// cmdZMPop is ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: it pops
// from the first key that holds a sorted set.
func cmdZMPop(c *client, args [][]byte) {
	keys, rest, ok := c.numKeys(args[1], args[2:], errNumKeys)
	if !ok {
		return
	}
	if len(rest) == 0 || !eq(rest[0], "min") && !eq(rest[0], "max") {
		c.writeError(errSyntax)
		return
	}
	max, count := eq(rest[0], "max"), int64(1)
	for i := 1; i < len(rest); i += 2 {
		if !eq(rest[i], "count") || i+1 >= len(rest) || i > 1 {
			c.writeError(errSyntax)
			return
		}
		n, ok := parseInt(rest[i+1])
		if !ok || n <= 0 {
			c.writeError("ERR count should be greater than 0")
			return
		}
		count = n
	}
	for _, k := range keys {
		popped, ok := c.removeRange(k, popRange(max, count))
		if !ok {
			return
		}
		if len(popped) == 0 {
			continue
		}
		c.writeArray(2)
		c.writeBulk(k)
		c.writeScored(popped, pairedScores)
		return
	}
	c.writeNullArray()
}

// errNumKeys is ZMPOP's error for a numkeys that is not a positive number.
const errNumKeys = "ERR numkeys should be greater than 0"

// numKeys splits a numkeys argument's keys from what follows them, with
// Redis's errors (a count under 1 answers under, and so does one that is not
// a number for ZMPOP's errNumKeys; more keys than arguments a syntax error)
// written.
func (c *client) numKeys(n []byte, args [][]byte, under string) (keys, rest [][]byte, ok bool) {
	k, ok := parseInt(n)
	switch {
	case !ok && under == errNumKeys:
		c.writeError(under)
		return nil, nil, false
	case !ok:
		c.writeError(errNotInteger)
		return nil, nil, false
	case k < 1:
		c.writeError(under)
		return nil, nil, false
	case k > int64(len(args)):
		c.writeError(errSyntax)
		return nil, nil, false
	}
	for _, key := range args[:k] {
		if partition.HasReservedPrefix(key) {
			c.writeError(errReservedKey)
			return nil, nil, false
		}
	}
	return args[:k], args[k:], true
}

// cmdZRemRange is ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX.
func cmdZRemRange(c *client, args [][]byte) {
	r := op.ZRange{Count: -1}
	switch lower(args[0]) {
	case "zremrangebyrank":
		start, ok1 := parseInt(args[2])
		stop, ok2 := parseInt(args[3])
		if !ok1 || !ok2 {
			c.writeError(errNotInteger)
			return
		}
		r.Start, r.Stop = start, stop
	case "zremrangebyscore":
		r.By = op.ByScore
	default:
		r.By = op.ByLex
	}
	if r.By != op.ByRank && !c.parseBounds(&r, args[2], args[3]) {
		return
	}
	if removed, ok := c.removeRange(args[1], r); ok {
		c.writeInt(int64(len(removed)))
	}
}

// cmdZRandMember is ZRANDMEMBER key [count [WITHSCORES]], with HRANDFIELD's
// rules.
func cmdZRandMember(c *client, args [][]byte) {
	count, withCount, ok := c.randomCount(args, "withscores")
	if !ok {
		return
	}
	z, ok := c.readZSet(args[1])
	if !ok {
		return
	}
	if !withCount {
		if len(z) == 0 {
			c.writeNull()
			return
		}
		c.writeBulk(z[rand.IntN(len(z))].Member)
		return
	}
	c.writeScored(randomPick(z, count), scoresIf(len(args) == 4))
}

func cmdZScan(c *client, args [][]byte) { scanCollection(c, args, op.TypeZSet) }

// scanScore renders a score as ZSCAN answers it: an integral score within
// 64 bits as an integer, any other as "%.17g".
func scanScore(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return strconv.FormatInt(int64(f), 10)
	}
	return op.FormatScore(f)
}

// aggregate is how ZUNION and ZINTER combine a member's weighted scores.
type aggregate uint8

const (
	aggSum aggregate = iota
	aggMin
	aggMax
)

func (a aggregate) combine(x, y float64) float64 {
	switch a {
	case aggMin:
		return min(x, y)
	case aggMax:
		return max(x, y)
	}
	if s := x + y; !math.IsNaN(s) {
		return s
	}
	return 0 // inf + -inf
}

// zcombine is what one of ZUNION, ZINTER, ZDIFF, ZINTERCARD (and their
// STOREs) asks.
type zcombine struct {
	union, inter, diff, card, store bool
	weights                         []float64
	agg                             aggregate
	withScores                      bool
	limit                           int64
}

// cmdZCombine is ZUNION, ZINTER, ZDIFF and ZINTERCARD, and ZUNIONSTORE,
// ZINTERSTORE and ZDIFFSTORE, checked in Redis's order: numkeys, each
// key's type, then the options.
func cmdZCombine(c *client, args [][]byte) {
	name := lower(args[0])
	q := zcombine{
		union: name == "zunion" || name == "zunionstore",
		inter: name == "zinter" || name == "zinterstore" || name == "zintercard",
		diff:  name == "zdiff" || name == "zdiffstore",
		card:  name == "zintercard",
		store: len(name) > 5 && name[len(name)-5:] == "store",
	}
	at := 1
	if q.store {
		at = 2
	}
	keys, rest, ok := c.numKeys(args[at], args[at+1:], "ERR at least 1 input key is needed for '"+name+"' command")
	if !ok {
		return
	}
	sets := make([][]op.ScoredMember, len(keys))
	for i, k := range keys {
		if sets[i], ok = c.readScoredInput(k); !ok {
			return
		}
	}
	if !c.parseCombine(&q, rest, len(keys)) {
		return
	}
	out := q.run(sets)
	switch {
	case q.card:
		n := int64(len(out))
		if q.limit > 0 {
			n = min(n, q.limit)
		}
		c.writeInt(n)
	case q.store:
		c.storeZSet(args[1], out)
	default:
		c.writeScored(out, scoresIf(q.withScores))
	}
}

// readScoredInput reads a ZUNION-family input: a sorted set, or a set whose
// members score 1; a missing key is empty, any other type WRONGTYPE.
func (c *client) readScoredInput(key []byte) ([]op.ScoredMember, bool) {
	v, found, done := c.read(key)
	switch {
	case !done:
		return nil, false
	case !found:
		return nil, true
	case v.Type == op.TypeSet:
		members, ok := c.readSet(key)
		out := make([]op.ScoredMember, len(members))
		for i, m := range members {
			out[i] = op.ScoredMember{Member: m, Score: 1}
		}
		return out, ok
	case v.Type != op.TypeZSet:
		c.writeError(string(op.ErrWrongType))
		return nil, false
	}
	return c.readZSet(key)
}

// parseCombine parses a ZUNION-family command's options into q, as Redis
// does, with its errors written.
func (c *client) parseCombine(q *zcombine, rest [][]byte, n int) bool {
	q.weights = make([]float64, n)
	for i := range q.weights {
		q.weights[i] = 1
	}
	for i := 0; i < len(rest); {
		left := len(rest) - i
		switch a := rest[i]; {
		case !q.diff && !q.card && left >= n+1 && eq(a, "weights"):
			for j := range n {
				w, ok := parseScore(rest[i+1+j])
				if !ok {
					c.writeError("ERR weight value is not a float")
					return false
				}
				q.weights[j] = w
			}
			i += n + 1
		case !q.diff && !q.card && left >= 2 && eq(a, "aggregate"):
			switch v := rest[i+1]; {
			case eq(v, "sum"):
				q.agg = aggSum
			case eq(v, "min"):
				q.agg = aggMin
			case eq(v, "max"):
				q.agg = aggMax
			default:
				c.writeError(errSyntax)
				return false
			}
			i += 2
		case !q.store && !q.card && eq(a, "withscores"):
			q.withScores = true
			i++
		case q.card && left >= 2 && eq(a, "limit"):
			l, ok := parseInt(rest[i+1])
			if !ok || l < 0 {
				c.writeError("ERR LIMIT can't be negative")
				return false
			}
			q.limit = l
			i += 2
		default:
			c.writeError(errSyntax)
			return false
		}
	}
	return true
}

// run combines the inputs as Redis does: for a union or an intersection
// the inputs are taken smallest first, each member's score weighted and
// aggregated in that order; a difference keeps the first input's members
// that no other has, with their scores. The result is in sorted-set order.
func (q *zcombine) run(sets [][]op.ScoredMember) []op.ScoredMember {
	type input struct {
		ms     []op.ScoredMember
		weight float64
	}
	in := make([]input, len(sets))
	for i := range sets {
		in[i] = input{sets[i], q.weights[i]}
	}
	weighted := func(s, w float64) float64 {
		if v := s * w; !math.IsNaN(v) {
			return v
		}
		return 0
	}
	score := map[string]float64{}
	var order []string
	switch {
	case q.diff:
		drop := map[string]bool{}
		for _, s := range in[1:] {
			for _, m := range s.ms {
				drop[string(m.Member)] = true
			}
		}
		for _, m := range in[0].ms {
			if !drop[string(m.Member)] {
				score[string(m.Member)] = m.Score
				order = append(order, string(m.Member))
			}
		}
	default:
		slices.SortStableFunc(in, func(a, b input) int { return len(a.ms) - len(b.ms) })
		count := map[string]int{}
		for _, s := range in {
			for _, m := range s.ms {
				k, v := string(m.Member), weighted(m.Score, s.weight)
				if old, ok := score[k]; ok {
					score[k] = q.agg.combine(old, v)
				} else {
					score[k] = v
					order = append(order, k)
				}
				count[k]++
			}
		}
		if q.inter {
			order = slices.DeleteFunc(order, func(k string) bool { return count[k] < len(in) })
		}
	}
	out := make([]op.ScoredMember, len(order))
	for i, k := range order {
		out[i] = op.ScoredMember{Member: []byte(k), Score: score[k]}
	}
	slices.SortFunc(out, op.CompareScored)
	return out
}
