package op

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dynago/dynago/hll"
	"github.com/dynago/dynago/version"
)

func zadd(flags Flags, pairs ...any) *Op {
	o := &Op{Code: ZAdd, Flags: flags, Key: []byte(simKey)}
	for i := 0; i < len(pairs); i += 2 {
		o.Values = append(o.Values, ScoreBytes(pairs[i].(float64)))
		o.Fields = append(o.Fields, []byte(pairs[i+1].(string)))
	}
	return o
}

func zincr(flags Flags, d float64, m string) *Op {
	return &Op{Code: ZIncrBy, Flags: flags, Key: []byte(simKey), Float: d, Fields: [][]byte{[]byte(m)}}
}

// scores is ZRANGE WITHSCORES of a node's copy, member -> score.
func (n *simNode) scores(t *testing.T) map[string]float64 {
	out := map[string]float64{}
	for m, b := range n.read(t) {
		s, ok := ScoreOf([]byte(b))
		if !ok {
			t.Fatalf("member %s holds %q, not a score", m, b)
		}
		out[m] = s
	}
	return out
}

// TestZAddOnOneNode: ZADD's options and replies as Redis gives them, pairs
// applied in order; ZINCRBY and its conditions.
func TestZAddOnOneNode(t *testing.T) {
	n := newSim(1)[0]
	if r := mustDo(t, n, zadd(0, 1.0, "a", 2.0, "a", 5.0, "b"), 1); r.N != 2 {
		t.Fatalf("ZADD 1 a 2 a 5 b added %d", r.N)
	}
	if r := mustDo(t, n, zadd(Changed, 3.0, "a", 5.0, "b", 1.0, "c"), 2); r.N != 2 {
		t.Fatalf("ZADD CH 3 a 5 b 1 c answered %d, want 2 (a changed, c added)", r.N)
	}
	for _, tc := range []struct {
		flags Flags
		score float64
		want  float64
	}{
		{NX, 9, 3}, {XX, 4, 4}, {GT, 1, 4}, {GT, 7, 7}, {LT, 8, 7}, {LT, 6, 6},
	} {
		mustDo(t, n, zadd(tc.flags, tc.score, "a"), 3)
		if got := n.scores(t)["a"]; got != tc.want {
			t.Fatalf("ZADD %#x %v a: score %v, want %v", tc.flags, tc.score, got, tc.want)
		}
	}
	if r := mustDo(t, n, zadd(XX, 1.0, "new"), 4); r.N != 0 || len(n.scores(t)) != 3 {
		t.Fatalf("ZADD XX of a new member added it: %+v", r)
	}
	if r := mustDo(t, n, zincr(0, 1.5, "a"), 5); r.Text != "7.5" {
		t.Fatalf("ZINCRBY 1.5 a = %q", r.Text)
	}
	if r := mustDo(t, n, zincr(NX, 1, "a"), 6); r.Text != "" || r.Wrote {
		t.Fatalf("ZADD NX INCR of a member there: %+v", r)
	}
	if r := mustDo(t, n, zincr(GT, -1, "a"), 6); r.Text != "" || r.Wrote {
		t.Fatalf("ZADD GT INCR -1: %+v", r)
	}
	if r := mustDo(t, n, zincr(0, 0, "a"), 6); r.Text != "7.5" || r.Wrote {
		t.Fatalf("ZINCRBY 0 wrote or answered wrong: %+v", r)
	}
	mustDo(t, n, zadd(0, math.Inf(1), "i"), 7)
	if _, err := n.do(t, zincr(0, math.Inf(-1), "i"), 8); err != ErrScoreNaN {
		t.Fatalf("ZINCRBY -inf of +inf: %v", err)
	}
	if r := mustDo(t, n, zincr(0, -2, "fresh"), 9); r.Text != "-2" || r.N != 1 {
		t.Fatalf("ZINCRBY of a new member: %+v", r)
	}
	if _, err := n.do(t, sop(SAdd, "x"), 10); err != ErrWrongType {
		t.Fatalf("SADD on a sorted set: %v", err)
	}
}

// TestSortedSetConvergence: the sorted sets' merge rules on replicas that
// write concurrently, then sync.
func TestSortedSetConvergence(t *testing.T) {
	nodes := newSim(3)
	mustDo(t, nodes[0], zadd(0, 1.0, "a", 2.0, "b", 3.0, "c"), 1)
	syncAll(nodes)
	mustDo(t, nodes[0], zincr(0, 2, "a"), 2)   // every increment counts
	mustDo(t, nodes[1], zincr(0, 3, "a"), 3)   //
	mustDo(t, nodes[0], sop(ZRem, "b"), 4)     // ZREM, and a concurrent
	mustDo(t, nodes[1], zadd(0, 20.0, "b"), 5) // ZADD of it: add wins
	mustDo(t, nodes[1], zadd(0, 30.0, "c"), 6) // two scores of c:
	mustDo(t, nodes[2], zadd(0, 40.0, "c"), 7) // the newest wins
	mustDo(t, nodes[2], zadd(0, 5.0, "d"), 8)
	syncAll(nodes)
	want := map[string]float64{"a": 6, "b": 20, "c": 40, "d": 5}
	for i, n := range nodes {
		if got := n.scores(t); !maps.Equal(got, want) {
			t.Fatalf("node %d: %v, want %v", i, got, want)
		}
	}
	// ZPOPMIN 2 through one node, DEL through another, a ZADD through the
	// third, all concurrent: DEL takes what it saw, the new member stays.
	pop := &Op{Code: ZRemRange, Key: []byte(simKey)}
	r := ZRange{By: ByRank, Start: 0, Stop: 1, Count: -1}
	pop.Value = r.AppendBinary(nil)
	res := mustDo(t, nodes[0], pop, 9)
	if len(res.Elems) != 4 || string(res.Elems[0]) != "d" || string(res.Elems[2]) != "a" {
		t.Fatalf("ZPOPMIN 2 answered %q", res.Elems)
	}
	mustDo(t, nodes[1], &Op{Code: Del, Key: []byte(simKey)}, 10)
	mustDo(t, nodes[2], zadd(0, 7.0, "e"), 11)
	syncAll(nodes)
	for i, n := range nodes {
		if got := n.scores(t); !maps.Equal(got, map[string]float64{"e": 7}) {
			t.Fatalf("node %d after ZPOPMIN, DEL and a concurrent ZADD: %v", i, got)
		}
	}
}

func sm(pairs ...any) []ScoredMember {
	var out []ScoredMember
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, ScoredMember{[]byte(pairs[i].(string)), pairs[i+1].(float64)})
	}
	return out
}

func names(ms []ScoredMember) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, string(m.Member))
	}
	return out
}

// TestZRangeSelect: ranks (negative ones from the end), scores with
// exclusive ends, lex ranges (walked as Redis walks a small set), reverse
// walks and LIMIT.
func TestZRangeSelect(t *testing.T) {
	z := sm("a", 1.0, "b", 2.0, "c", 2.0, "d", 3.0, "e", math.Inf(1))
	lex := sm("a", 0.0, "b", 0.0, "c", 0.0, "d", 0.0)
	all := func(r ZRange) ZRange { r.Count = -1; return r }
	for _, tc := range []struct {
		name string
		r    ZRange
		in   []ScoredMember
		want []string
	}{
		{"rank 0 -1", all(ZRange{Stop: -1}), z, []string{"a", "b", "c", "d", "e"}},
		{"rank -2 -1", all(ZRange{Start: -2, Stop: -1}), z, []string{"d", "e"}},
		{"rank rev 0 1", all(ZRange{Rev: true, Stop: 1}), z, []string{"e", "d"}},
		{"rank past the end", all(ZRange{Start: 5, Stop: 9}), z, []string{}},
		{"rank start after stop", all(ZRange{Start: 3, Stop: 1}), z, []string{}},
		{"score [2 3]", all(ZRange{By: ByScore, Min: ScoreBound{2, false}, Max: ScoreBound{3, false}}), z, []string{"b", "c", "d"}},
		{"score (2 +inf]", all(ZRange{By: ByScore, Min: ScoreBound{2, true}, Max: ScoreBound{math.Inf(1), false}}), z, []string{"d", "e"}},
		{"score rev [1 2] limit 1 1", ZRange{By: ByScore, Rev: true, Min: ScoreBound{1, false}, Max: ScoreBound{2, false}, Offset: 1, Count: 1}, z, []string{"b"}},
		{"lex [b (d", all(ZRange{By: ByLex, LexMin: LexBound{Value: []byte("b")}, LexMax: LexBound{Value: []byte("d"), Exclusive: true}}), lex, []string{"b", "c"}},
		{"lex - +", all(ZRange{By: ByLex, LexMin: LexBound{Inf: -1}, LexMax: LexBound{Inf: 1}}), lex, []string{"a", "b", "c", "d"}},
		{"lex rev (c -", all(ZRange{By: ByLex, Rev: true, LexMin: LexBound{Inf: -1}, LexMax: LexBound{Value: []byte("c"), Exclusive: true}}), lex, []string{"b", "a"}},
		// Members of different scores: the set's last member ("-3") is
		// below the minimum, so nothing, as Redis answers.
		{"lex over mixed scores", all(ZRange{By: ByLex, LexMin: LexBound{Value: []byte("1")}, LexMax: LexBound{Value: []byte("m2"), Exclusive: true}}),
			sm("b", -3.0, "m0", 0.0, "-3", math.Inf(1)), []string{}},
	} {
		if got := names(tc.r.Select(tc.in)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if !(&ZRange{By: ByScore, Min: ScoreBound{2, true}, Max: ScoreBound{2, false}}).Empty() ||
		(&ZRange{By: ByScore, Min: ScoreBound{2, false}, Max: ScoreBound{2, false}}).Empty() ||
		!(&ZRange{By: ByLex, LexMin: LexBound{Inf: 1}, LexMax: LexBound{Inf: 1}}).Empty() {
		t.Error("Empty misjudges a range")
	}
}

// TestZRangeBinary: a range survives its binary form; damaged forms are
// refused.
func TestZRangeBinary(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		z := ZRange{By: RangeBy(r.IntN(3)), Rev: r.IntN(2) == 0, Start: r.Int64N(100) - 50, Stop: r.Int64N(100) - 50,
			Offset: r.Int64N(10), Count: r.Int64N(10) - 1}
		switch z.By {
		case ByScore:
			z.Min, z.Max = ScoreBound{r.Float64(), r.IntN(2) == 0}, ScoreBound{r.Float64(), r.IntN(2) == 0}
		case ByLex:
			z.LexMin = LexBound{Value: []byte{byte(r.IntN(256))}, Exclusive: r.IntN(2) == 0, Inf: int8(r.IntN(3) - 1)}
			z.LexMax = LexBound{Value: []byte("m"), Exclusive: r.IntN(2) == 0, Inf: int8(r.IntN(3) - 1)}
		}
		got, err := DecodeZRange(z.AppendBinary(nil))
		if err != nil {
			t.Fatal(err)
		}
		if got.By != z.By || got.Rev != z.Rev || got.Start != z.Start || got.Stop != z.Stop || got.Min != z.Min ||
			got.Max != z.Max || got.Offset != z.Offset || got.Count != z.Count || got.LexMin.Inf != z.LexMin.Inf ||
			got.LexMax.Exclusive != z.LexMax.Exclusive && z.By == ByLex {
			t.Fatalf("%+v came back as %+v", z, got)
		}
	}
	good := (&ZRange{By: ByScore}).AppendBinary(nil)
	for _, bad := range [][]byte{nil, good[:5], append(slices.Clone(good), 0), {9, 0}} {
		if _, err := DecodeZRange(bad); err == nil {
			t.Errorf("DecodeZRange(%x) accepted a damaged range", bad)
		}
	}
}

// TestStringsThatMerge: concurrent HyperLogLog siblings resolve to the
// register-wise union, concurrent bitmap siblings to their OR; a plain
// string sibling still competes by time.
func TestStringsThatMerge(t *testing.T) {
	var a, b hll.Sketch
	for i := range 300 {
		a.Add([]byte{byte(i), 1})
		if i%2 == 0 {
			b.Add([]byte{byte(i), 2})
		}
	}
	union := a
	union.Merge(&b)
	d1 := version.Dot{Actor: version.Actor{Node: 1, Epoch: 1}, Counter: 1}
	d2 := version.Dot{Actor: version.Actor{Node: 2, Epoch: 1}, Counter: 1}
	o := version.Object{Siblings: []version.Sibling{
		{Dot: d1, Time: 1, Kind: version.KindHLL, Value: EncodeHLL(&a)},
		{Dot: d2, Time: 2, Kind: version.KindHLL, Value: EncodeHLL(&b)},
	}}
	v, _, err := Resolve(o, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeHLL(v.Bytes)
	if err != nil || got.Reg != union.Reg || v.Kind != version.KindHLL {
		t.Fatalf("merged HyperLogLog: %v, registers equal %v", err, err == nil && got.Reg == union.Reg)
	}
	o = version.Object{Siblings: []version.Sibling{
		{Dot: d1, Time: 1, Kind: version.KindBitmap, Value: []byte{0x80}},
		{Dot: d2, Time: 2, Kind: version.KindBitmap, Value: []byte{0x01, 0x10}},
	}}
	if v, _, _ := Resolve(o, 0); string(v.Bytes) != "\x81\x10" {
		t.Fatalf("merged bitmap %x, want 8110", v.Bytes)
	}
	o.Siblings = append(o.Siblings, version.Sibling{Dot: version.Dot{Actor: d1.Actor, Counter: 2}, Time: 3, Kind: version.KindBytes, Value: []byte("s")})
	if v, _, _ := Resolve(o, 0); string(v.Bytes) != "s" {
		t.Fatalf("a newer plain string against bitmaps: %q", v.Bytes)
	}
	if _, err := DecodeHLL([]byte("not one")); err != ErrNotHLL {
		t.Fatalf("DecodeHLL of a plain string: %v", err)
	}
}
