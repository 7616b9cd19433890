package op

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/dynago/dynago/counter"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// Sorted sets are stored as hashes are (hash.go): a header of KindZSet and
// one record per member, whose value is the member's score. A score set by
// ZADD is a register (KindScore: concurrent scores resolve by the newest
// write, ties by actor); a score moved by ZINCRBY is a convergent counter
// (KindScoreCounter: every increment counts), based on the score it moved
// from. A member's presence follows the hashes' observed-remove, add-wins
// rule.

// ErrScoreNaN is Redis's error for an increment whose result is not a
// number (inf plus -inf).
const ErrScoreNaN = Error("ERR resulting score is not a number (NaN)")

// ScoreBytes is a score's stored form: its IEEE 754 bits, big-endian. -0
// is stored as 0, as Redis stores small sorted sets' scores.
func ScoreBytes(f float64) []byte {
	if f == 0 {
		f = 0
	}
	return wire.AppendUint64(make([]byte, 0, 8), math.Float64bits(f))
}

// ScoreOf reads a stored score.
func ScoreOf(b []byte) (float64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	r := wire.NewReader(b)
	return math.Float64frombits(r.Uint64()), true
}

// FormatScore renders a score as Redis 7.0 replies it: "%.17g", with
// "inf" and "-inf".
func FormatScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// ScoredMember is one member of a sorted set with its score.
type ScoredMember struct {
	Member []byte
	Score  float64
}

// CompareScored orders a sorted set's members as Redis does: by score, then
// by member, bytewise.
func CompareScored(a, b ScoredMember) int {
	if c := cmp.Compare(a.Score, b.Score); c != 0 {
		return c
	}
	return bytes.Compare(a.Member, b.Member)
}

// zadd is ZADD: each member-score pair in turn, as Redis applies them, so a
// member named twice counts as added and then changed. A member whose
// score does not change is written again all the same (add wins, as SADD
// does), unless a condition (NX XX GT LT) skips it.
func (o *Op) zadd(st *HashState, current []Field, present []bool, index map[string]int, inc uint64, ch *HashChange, res *Result) error {
	score := make([]float64, len(st.Fields))
	for i := range st.Fields {
		if present[i] {
			s, ok := ScoreOf(current[i].Bytes)
			if !ok {
				return fmt.Errorf("%w: score of %d bytes", ErrMalformedHash, len(current[i].Bytes))
			}
			score[i] = s
		}
	}
	dirty := make([]bool, len(st.Fields))
	var added, changed int64
	for j, m := range o.Fields {
		i := index[string(m)]
		s, ok := ScoreOf(o.Values[j])
		if !ok || math.IsNaN(s) {
			return fmt.Errorf("%w: score of %d bytes", ErrMalformed, len(o.Values[j]))
		}
		f := o.Flags
		switch {
		case f&NX != 0 && present[i], f&XX != 0 && !present[i]:
			continue
		case !present[i]:
			added++
		case f&GT != 0 && s <= score[i], f&LT != 0 && s >= score[i]:
			continue
		case s != score[i]:
			changed++
		}
		present[i], score[i], dirty[i] = true, s, true
	}
	for i := range st.Fields {
		if dirty[i] {
			ch.Fields[i] = st.Fields[i].Put(version.KindScore, fieldValue(inc, ScoreBytes(score[i])), 0)
		}
	}
	res.N = added
	if o.Flags&Changed != 0 {
		res.N += changed
	}
	return nil
}

// zincrby is ZINCRBY and ZADD INCR: the member's score moves by Float; with
// a condition that skips it, nothing is written and Result.Text is empty
// (a nil reply). The new score is a convergent counter, so increments made
// through other nodes concurrently all count; an infinite score is stored
// as a register (a counter holds finite numbers only).
func (o *Op) zincrby(fs *State, cur Field, present bool, inc uint64, ch *Change, res *Result) error {
	f := o.Flags
	if f&NX != 0 && present || f&XX != 0 && !present {
		return nil
	}
	var old float64
	if present {
		var ok bool
		if old, ok = ScoreOf(cur.Bytes); !ok {
			return fmt.Errorf("%w: score of %d bytes", ErrMalformedHash, len(cur.Bytes))
		}
	}
	next := old + o.Float
	if !present {
		next = o.Float // (-0 stays -0 in the reply, as in Redis)
	}
	switch {
	case math.IsNaN(next):
		return ErrScoreNaN
	case present && (f&GT != 0 && next <= old || f&LT != 0 && next >= old):
		return nil
	case present && next == old:
		// An increment by 0, or of an infinite score: nothing changes,
		// and, as in Redis, nothing is written.
		res.Text = FormatScore(old)
		return nil
	}
	if !present {
		res.N = 1
	}
	if math.IsInf(next, 0) || math.IsInf(old, 0) {
		*ch = fs.Put(version.KindScore, fieldValue(inc, ScoreBytes(next)), 0)
		res.Text = FormatScore(next)
		return nil
	}
	var cs counter.State
	switch {
	case cur.Counter != nil && present:
		cs = *cur.Counter
	case present:
		cs = counter.State{BaseDot: cur.Dot, BaseTime: cur.Time, BaseFloat: old, BaseIsFloat: true}
	}
	cs, err := cs.IncrByFloat(fs.Dot.Actor, fs.Dot.Counter, o.Float)
	if err != nil {
		// A finite sum out of float64's range: stored as the register
		// it rounds to, as Redis stores it.
		*ch = fs.Put(version.KindScore, fieldValue(inc, ScoreBytes(next)), 0)
		res.Text = FormatScore(next)
		return nil
	}
	*ch = Change{Action: Put, Context: fs.Object.Clock, Kind: version.KindScoreCounter, Value: fieldValue(inc, cs.AppendBinary(nil))}
	res.Text = FormatScore(cs.Float64())
	if !present {
		res.Text = FormatScore(next)
	}
	return nil
}

// RangeBy says what a ZRange's bounds are.
type RangeBy uint8

const (
	ByRank RangeBy = iota
	ByScore
	ByLex
)

// ScoreBound is one end of a score range: "(1.5" is {1.5, true}.
type ScoreBound struct {
	Value     float64
	Exclusive bool
}

// LexBound is one end of a lexicographic range: "[a" is {a, false, 0},
// "-" is {Inf: -1}, "+" is {Inf: +1}.
type LexBound struct {
	Value     []byte
	Exclusive bool
	Inf       int8
}

// ZRange is a selection of a sorted set's members, as ZRANGE and the
// commands that remove or pop a range describe it. Rev walks the set from
// its highest member; Min and Max are a range's lower and upper bounds
// whichever the direction; Start and Stop are ranks (negative ones count
// from the end) in the walk's order. Offset and Count are LIMIT's (Count <
// 0: no limit).
type ZRange struct {
	By          RangeBy
	Rev         bool
	Start, Stop int64
	Min, Max    ScoreBound
	LexMin      LexBound
	LexMax      LexBound
	Offset      int64
	Count       int64
}

// Select returns the members of sorted (in CompareScored order) that r
// selects, in the walk's order.
func (r *ZRange) Select(sorted []ScoredMember) []ScoredMember {
	n := int64(len(sorted))
	at := func(i int64) ScoredMember {
		if r.Rev {
			return sorted[n-1-i]
		}
		return sorted[i]
	}
	var out []ScoredMember
	if r.By == ByRank {
		start, stop := r.Start, r.Stop
		if start < 0 {
			start = max(n+start, 0)
		}
		if stop < 0 {
			stop += n
		}
		stop = min(stop, n-1)
		for i := start; i <= stop; i++ {
			out = append(out, at(i))
		}
		return out
	}
	// A walk in order: the first member past the range's near end starts
	// it, and it runs while members are within the far end. (For a lex
	// range over members of different scores this is what Redis's small
	// sorted sets answer, after the same first check: the set's last
	// member at or past the minimum, its first at or before the maximum.)
	if n == 0 || !r.aboveMin(sorted[n-1]) || !r.belowMax(sorted[0]) {
		return nil
	}
	i := int64(0)
	for ; i < n && !r.PastNear(at(i)); i++ {
	}
	skip := r.Offset
	for ; i < n && r.WithinFar(at(i)); i++ {
		if skip > 0 {
			skip--
			continue
		}
		if r.Count >= 0 && int64(len(out)) >= r.Count {
			break
		}
		out = append(out, at(i))
	}
	return out
}

// PastNear reports whether m is on the range's side of the bound the walk
// starts from (Min, or Max when reversed).
func (r *ZRange) PastNear(m ScoredMember) bool {
	if r.Rev {
		return r.belowMax(m)
	}
	return r.aboveMin(m)
}

// WithinFar reports whether m is on the range's side of the bound the walk
// ends at.
func (r *ZRange) WithinFar(m ScoredMember) bool {
	if r.Rev {
		return r.aboveMin(m)
	}
	return r.belowMax(m)
}

func (r *ZRange) aboveMin(m ScoredMember) bool {
	if r.By == ByScore {
		return m.Score > r.Min.Value || !r.Min.Exclusive && m.Score == r.Min.Value
	}
	return lexAbove(m.Member, r.LexMin)
}

func (r *ZRange) belowMax(m ScoredMember) bool {
	if r.By == ByScore {
		return m.Score < r.Max.Value || !r.Max.Exclusive && m.Score == r.Max.Value
	}
	return lexBelow(m.Member, r.LexMax)
}

// lexAbove reports whether member is at or past the lower bound b.
func lexAbove(member []byte, b LexBound) bool {
	switch b.Inf {
	case -1:
		return true
	case 1:
		return false
	}
	c := bytes.Compare(member, b.Value)
	return c > 0 || c == 0 && !b.Exclusive
}

// lexBelow reports whether member is at or before the upper bound b.
func lexBelow(member []byte, b LexBound) bool {
	switch b.Inf {
	case -1:
		return false
	case 1:
		return true
	}
	c := bytes.Compare(member, b.Value)
	return c < 0 || c == 0 && !b.Exclusive
}

// Empty reports whether r can select nothing whatever the set holds: a
// range whose minimum lies above its maximum (Redis answers such a range
// before it looks at the key's members).
func (r *ZRange) Empty() bool {
	switch r.By {
	case ByScore:
		return r.Min.Value > r.Max.Value || r.Min.Value == r.Max.Value && (r.Min.Exclusive || r.Max.Exclusive)
	case ByLex:
		lo, hi := r.LexMin, r.LexMax
		if lo.Inf == 1 || hi.Inf == -1 {
			return true
		}
		if lo.Inf != 0 || hi.Inf != 0 {
			return false
		}
		c := bytes.Compare(lo.Value, hi.Value)
		return c > 0 || c == 0 && (lo.Exclusive || hi.Exclusive)
	}
	return false
}

// The binary form of a ZRange, an op's Value for ZRemRange:
//
//	by         byte
//	flags      byte (1 rev, 2 min exclusive, 4 max exclusive)
//	start      varint
//	stop       varint
//	min, max   8 bytes each, IEEE 754 bits
//	lex min    inf byte (0, 1 = -1, 2 = +1), then bytes
//	lex max    the same
//	offset     varint
//	count      varint

// AppendBinary appends r's binary form to b.
func (r *ZRange) AppendBinary(b []byte) []byte {
	var f byte
	if r.Rev {
		f |= 1
	}
	if r.Min.Exclusive || r.LexMin.Exclusive {
		f |= 2
	}
	if r.Max.Exclusive || r.LexMax.Exclusive {
		f |= 4
	}
	b = append(b, byte(r.By), f)
	b = wire.AppendVarint(b, r.Start)
	b = wire.AppendVarint(b, r.Stop)
	b = wire.AppendUint64(b, math.Float64bits(r.Min.Value))
	b = wire.AppendUint64(b, math.Float64bits(r.Max.Value))
	for _, l := range []LexBound{r.LexMin, r.LexMax} {
		b = wire.AppendByte(b, infCode(l.Inf))
		b = wire.AppendBytes(b, l.Value)
	}
	b = wire.AppendVarint(b, r.Offset)
	return wire.AppendVarint(b, r.Count)
}

// infCode is a lex bound's inf in the binary form: 0 none, 1 "-", 2 "+".
func infCode(inf int8) byte {
	switch inf {
	case -1:
		return 1
	case 1:
		return 2
	}
	return 0
}

// DecodeZRange reads a ZRange's binary form.
func DecodeZRange(v []byte) (ZRange, error) {
	rd := wire.NewReader(v)
	var r ZRange
	r.By = RangeBy(rd.Byte())
	f := rd.Byte()
	r.Rev = f&1 != 0
	r.Start, r.Stop = rd.Varint(), rd.Varint()
	r.Min = ScoreBound{math.Float64frombits(rd.Uint64()), f&2 != 0}
	r.Max = ScoreBound{math.Float64frombits(rd.Uint64()), f&4 != 0}
	lex := [2]*LexBound{&r.LexMin, &r.LexMax}
	for i, l := range lex {
		inf := rd.Byte()
		if inf > 2 {
			rd.Fail(fmt.Errorf("lex bound %d", inf))
		}
		l.Inf = [3]int8{0, -1, 1}[min(inf, 2)]
		l.Value = rd.Bytes()
		l.Exclusive = f&(2<<i) != 0
	}
	r.Offset, r.Count = rd.Varint(), rd.Varint()
	if err := rd.Done(); err != nil || r.By > ByLex || f&^7 != 0 {
		return ZRange{}, fmt.Errorf("%w: range (%v)", ErrMalformed, err)
	}
	if r.By != ByScore {
		r.Min.Exclusive, r.Max.Exclusive = false, false
	}
	if r.By != ByLex {
		r.LexMin.Exclusive, r.LexMax.Exclusive = false, false
	}
	return r, nil
}

// ApplyZRange decides ZRemRange from st, which holds in Fields every member
// record of the sorted set (read whole at quorum), or, with st.More, the
// records of the members the range's Scan reads (a lone node's score index
// named them): names[i] is Fields[i]'s member. The members the op's range
// selects go, with the versions seen of them, and the header with the last
// member (as SPOP's does; never with st.More, which says members are left
// beyond those read). Result.N counts them; Result.Elems lists them, each
// with its score, in the range's order.
func (o *Op) ApplyZRange(st *HashState, names [][]byte) (HashChange, Result, error) {
	ch := HashChange{Fields: make([]Change, len(st.Fields))}
	r, err := DecodeZRange(o.Value)
	if err != nil {
		return ch, Result{}, err
	}
	res := Result{Elems: [][]byte{}}
	v, found, err := st.Header.Value()
	if err != nil || !found {
		return ch, res, err
	}
	if v.Type != TypeZSet {
		return ch, Result{}, ErrWrongType
	}
	res.Found = true
	var live []ScoredMember
	record := make(map[string]int, len(st.Fields))
	for i := range st.Fields {
		f, ok, err := ResolveField(st.Fields[i].Object, v.Collection)
		if err != nil {
			return ch, Result{}, err
		}
		if ok {
			s, _ := ScoreOf(f.Bytes)
			live = append(live, ScoredMember{names[i], s})
			record[string(names[i])] = i
		}
	}
	slices.SortFunc(live, CompareScored)
	chosen := r.Select(live)
	if len(chosen) == 0 {
		return ch, res, nil
	}
	idx := make([]int, len(chosen))
	for k, m := range chosen {
		idx[k] = record[string(m.Member)]
		res.Elems = append(res.Elems, m.Member, ScoreBytes(m.Score))
	}
	deleteElements(st, v.Collection, idx, len(chosen) == len(live) && !st.More, &ch)
	res.Wrote, res.N = true, int64(len(chosen))
	return ch, res, nil
}

// deleteElements deletes the chosen elements' records with the versions
// seen of them. The header goes too when they were the last live ones
// (emptied) and every header version is accounted for by an element record
// read (so no write the reads missed has elements elsewhere), or when this
// node is the key's only replica; otherwise it is kept as it was.
func deleteElements(st *HashState, c *Collection, chosen []int, emptied bool, ch *HashChange) {
	var seen version.Clock
	for _, f := range st.Fields {
		seen = seen.Join(f.Object.Clock)
	}
	for _, i := range chosen {
		ch.Fields[i] = st.Fields[i].Delete()
	}
	covered := true
	for _, s := range st.Header.Object.Siblings {
		covered = covered && seen.Covers(s.Dot)
	}
	if emptied && (covered || st.Alone) {
		ch.Header = st.Header.Delete()
	} else {
		ch.Header = st.Header.Put(headerKind(c.Type), encodeHeader(c.Incarnations), c.Expiry)
	}
}

// IndexedScore is what a sorted set's score index (package engine) records
// of a member's record o, which it reads without the key's header: when
// every version of o belongs to one incarnation of the set (regular), the
// score o resolves to within it and that incarnation, so that a read
// holding the header tells by the incarnation alone whether the member
// counts; when o's versions span incarnations, only that the member is
// there, for the read to resolve its record with the header. ok is false
// for a record that is no sorted-set member's, or a tombstone.
func IndexedScore(o version.Object) (score float64, inc uint64, regular, ok bool) {
	if len(o.Siblings) == 0 {
		return 0, 0, false, false
	}
	regular = true
	for i, s := range o.Siblings {
		if s.Kind != version.KindScore && s.Kind != version.KindScoreCounter {
			return 0, 0, false, false
		}
		si, _, err := splitField(s.Value)
		if err != nil {
			return 0, 0, false, false
		}
		if i == 0 {
			inc = si
		} else if si != inc {
			regular = false
		}
	}
	if !regular {
		return 0, 0, false, true
	}
	f, found, err := ResolveField(o, &Collection{Type: TypeZSet, Incarnations: []uint64{inc}})
	if err != nil || !found {
		return 0, 0, false, false
	}
	score, _ = ScoreOf(f.Bytes)
	return score, inc, true, true
}

// Scan says how to read, in order, what Select needs of a sorted set: the
// direction (from the highest when rev), the score to begin at (nil: the
// set's end), and while to go on (more gets each member and how many came
// before it). A range by score reads from its near end to its far end or
// its LIMIT; ranks counted from one end read from that end to the last
// rank; whole is true when Select needs the whole set (a range by lex,
// ranks counted from both ends). Select answers from the members so read,
// in Redis's order, what it answers from the whole set.
func (r *ZRange) Scan() (rev bool, from *float64, more func(m ScoredMember, n int) bool, whole bool) {
	switch {
	case r.By == ByRank && r.Start >= 0 && r.Stop >= 0:
		return r.Rev, nil, func(_ ScoredMember, n int) bool { return int64(n) <= r.Stop }, false
	case r.By == ByRank && r.Start < 0 && r.Stop < 0:
		return !r.Rev, nil, func(_ ScoredMember, n int) bool { return int64(n) < -r.Start }, false
	case r.By == ByScore:
		bound := r.Min.Value
		if r.Rev {
			bound = r.Max.Value
		}
		var within int64 // members within the range so far
		return r.Rev, &bound, func(m ScoredMember, _ int) bool {
			if r.Empty() || r.Offset < 0 || !r.WithinFar(m) || r.Count >= 0 && within >= r.Offset+r.Count {
				return false
			}
			if r.PastNear(m) {
				within++
			}
			return true
		}, false
	}
	return false, nil, nil, true
}
