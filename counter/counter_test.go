package counter

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/dynago/dynago/version"
)

var (
	actorA = version.Actor{Node: 0xa000000000000000, Epoch: 1}
	actorB = version.Actor{Node: 0xb000000000000000, Epoch: 1}
	actorC = version.Actor{Node: 0xc000000000000000, Epoch: 2}
)

func TestParseInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"-1", -1, true},
		{"123", 123, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false},
		{"-99999999999999999999", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"-0", 0, false},
		{"00", 0, false},
		{"01", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1.0", 0, false},
		{"1e3", 0, false},
		{"0x10", 0, false},
		{"1_000", 0, false},
		{"abc", 0, false},
	} {
		got, ok := ParseInt([]byte(tc.in))
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseFloat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1.5", 1.5, true},
		{"-1.5", -1.5, true},
		{"+1.5", 1.5, true},
		{"10", 10, true},
		{".5", 0.5, true},
		{"5.", 5, true},
		{"5.0e3", 5000, true},
		{"3.0E3", 3000, true},
		{"inf", math.Inf(1), true},
		{"-Infinity", math.Inf(-1), true},
		{"nan", 0, false},
		{"NaN", 0, false},
		{"", 0, false},
		{" 1", 0, false},
		{"\t1", 0, false},
		{"1 ", 0, false},
		{"1_000", 0, false},
		{"abc", 0, false},
		{"1e400", math.Inf(1), true},    // a long double; infinite as a float64
		{"-1e4000", math.Inf(-1), true}, // so Redis's sum, not its parse, fails
		{"1e5000", 0, false},            // beyond even a long double: strtold's ERANGE
		{"0x1p16383", math.Inf(1), true},
		{"0x1p16384", 0, false},
		{"1e9223372036854775807", 0, false},
		{"1.5.5", 0, false},
		{"0x10", 16, true}, // strtold reads hex; its exponent is optional
		{"-0X1.8", -1.5, true},
		{"0x1p3", 8, true},
		{"0x", 0, false},
		{"0x1_0p0", 0, false},
		{"1e-400", 0, true},   // a long double; 0 as a float64
		{"1e-5000", 0, false}, // 0 even as a long double: strtold's ERANGE
		{"1e-9223372036854775807", 0, false},
		{"0e-99999", 0, true},
		{"-0.000", 0, true},
	} {
		got, ok := ParseFloat([]byte(tc.in))
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	long := make([]byte, maxFloatChars+1)
	for i := range long {
		long[i] = '1'
	}
	if _, ok := ParseFloat(long); ok {
		t.Errorf("ParseFloat accepted %d characters", len(long))
	}
}

func TestFromValue(t *testing.T) {
	d := version.Dot{Actor: actorA, Counter: 3}
	for _, tc := range []struct {
		in      []byte
		want    string
		isFloat bool
	}{
		{nil, "0", false},
		{[]byte(""), "0", false},
		{[]byte("10"), "10", false},
		{[]byte("-7"), "-7", false},
		{[]byte("10.5"), "10.5", true},
		{[]byte("3.0"), "3", true},
		{[]byte("9223372036854775808"), "9223372036854775808", true},
	} {
		s, err := FromValue(d, 42, tc.in)
		if err != nil {
			t.Fatalf("FromValue(%q): %v", tc.in, err)
		}
		if s.String() != tc.want || s.BaseIsFloat != tc.isFloat || s.BaseDot != d || s.BaseTime != 42 {
			t.Errorf("FromValue(%q) = %+v (%q)", tc.in, s, s.String())
		}
	}
	for _, in := range []string{"abc", "1 ", "nan", "0x", "--1"} {
		_, err := FromValue(d, 42, []byte(in))
		if err != ErrNotNumber || !errors.Is(err, ErrNotInteger) || !errors.Is(err, ErrNotFloat) {
			t.Errorf("FromValue(%q) error = %v", in, err)
		}
		if err != nil && err.Error() != "value is not an integer or out of range" {
			t.Errorf("error text %q", err.Error())
		}
	}
}

// op is one INCR-family command in a scripted test.
type op struct {
	actor   version.Actor
	float   bool
	i       int64
	f       float64
	want    string // the value after the op, if it succeeds
	wantErr error
}

func incr(d int64, want string) op     { return op{actor: actorA, i: d, want: want} }
func incrF(d float64, want string) op  { return op{actor: actorA, float: true, f: d, want: want} }
func incrErr(d int64, err error) op    { return op{actor: actorA, i: d, wantErr: err} }
func incrFErr(d float64, err error) op { return op{actor: actorA, float: true, f: d, wantErr: err} }
func (o op) at(a version.Actor) op     { o.actor = a; return o }

func apply(s State, seq uint64, o op) (State, error) {
	if o.float {
		return s.IncrByFloat(o.actor, seq, o.f)
	}
	return s.IncrBy(o.actor, seq, o.i)
}

// TestRedisSemantics replays INCR-family sequences whose results Redis
// defines, including the examples of its documentation.
func TestRedisSemantics(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string // "" is an absent key
		ops   []op
	}{
		{"absent key", "", []op{incr(1, "1"), incr(1, "2"), incr(-5, "-3")}},
		{"INCR", "10", []op{incr(1, "11"), incr(-20, "-9")}},
		{"INCRBY docs", "10", []op{incr(5, "15")}},
		{"DECRBY docs", "10", []op{incr(-3, "7")}},
		{"INCR on a float", "10.5", []op{incrErr(1, ErrNotInteger), incrF(0.1, "10.6"), incrErr(1, ErrNotInteger)}},
		{"INCRBYFLOAT docs", "10.50", []op{incrF(0.1, "10.6"), incrF(-5, "5.6")}},
		{"INCRBYFLOAT exponent docs", "5.0e3", []op{incrF(2.0e2, "5200")}},
		{"INCRBYFLOAT 3.0e3", "3.0e3", []op{incrF(2.0e2, "3200")}},
		{"float back to integer", "10", []op{incrF(0.5, "10.5"), incrF(0.5, "11"), incr(1, "12"), incrF(-0.25, "11.75")}},
		{"integral float string is not an integer", "3.0", []op{incrErr(1, ErrNotInteger), incrF(0, "3"), incr(1, "4")}},
		{"INCRBYFLOAT on an integer stays integral", "10", []op{incrF(0, "10"), incr(1, "11")}},
		{"negative fractions", "0", []op{incrF(-1.5, "-1.5"), incrF(-0.25, "-1.75")}},
		{"negative zero renders as 0", "0", []op{incrF(math.Copysign(0, -1), "0")}},
		{"small fraction, no exponent", "0", []op{incrF(1e-10, "0.0000000001")}},
		{"at most 17 decimals, as %.17Lf", "0", []op{incrF(5e-324, "0"), incrF(1.25e-17, "0.00000000000000001"), incrErr(1, ErrNotInteger)}},
		{"an integral float beyond int64 stays exact", "-9223372036854775809", []op{incrF(0, "-9223372036854775808"), incr(1, "-9223372036854775807"), incr(2147483647, "-9223372034707292160")}},
		{"a fraction beyond 2^53 shows", "9007199254740993", []op{incrF(110.875, "9007199254741103.875"), incrErr(1, ErrNotInteger), incrF(0.125, "9007199254741104"), incr(1, "9007199254741105")}},
		{"a fraction the float64 sum loses shows", "9007199254740993", []op{incrF(-123.5, "9007199254740869.5"), incrErr(-1, ErrNotInteger)}},
		{"a float part too small to show is not there for INCRBY", "0", []op{incrF(5e-324, "0"), incr(9223372036854775806, "9223372036854775806")}},
		{"an integer part beyond 2^53 adds exactly", "0", []op{incr(-9007199254740993, "-9007199254740993"), incrF(3.125, "-9007199254740989.875"), incrErr(3, ErrNotInteger)}},
		{"float64 rounding shows", "0", []op{incrF(0.1, "0.1"), incrF(0.2, "0.30000000000000004")}},
		{"large float, no exponent", "1e20", []op{incrErr(1, ErrNotInteger), incrF(1, "100000000000000000000")}},
		{"large float prints exactly", "9223372036854775808", []op{incrF(0.5, "9223372036854775808"), incrF(4096, "9223372036854779904")}},
		{"beyond int64 is not an integer", "9223372036854775808", []op{incrErr(1, ErrNotInteger), incrErr(-1, ErrNotInteger)}},
		{"INCR overflow", "9223372036854775807", []op{incrErr(1, ErrOverflow), incr(-1, "9223372036854775806")}},
		{"DECR overflow", "-9223372036854775808", []op{incrErr(-1, ErrOverflow), incr(1, "-9223372036854775807")}},
		{"INCRBY overflow", "1", []op{incrErr(math.MaxInt64, ErrOverflow), incr(math.MaxInt64-1, "9223372036854775807")}},
		{"INCRBYFLOAT to infinity", "1.7976931348623157e308", []op{incrFErr(1e308, ErrNaNOrInf)}},
		{"INCRBYFLOAT on inf", "inf", []op{incrFErr(1, ErrNaNOrInf), incrErr(1, ErrNotInteger)}},
		{"INCRBYFLOAT inf", "1", []op{incrFErr(math.Inf(1), ErrNaNOrInf), incrFErr(math.NaN(), ErrNaNOrInf), incr(1, "2")}},
		{"increments through several actors", "10", []op{
			incr(1, "11").at(actorB), incr(2, "13"), incrF(0.5, "13.5").at(actorC), incrErr(-3, ErrNotInteger).at(actorB), incrF(-3, "10.5").at(actorB),
			incrErr(1, ErrNotInteger), incrF(0.5, "11").at(actorB), incr(1, "12").at(actorC),
		}},
		{"an actor's own sum is bounded", "0", []op{
			incr(math.MaxInt64, "9223372036854775807"), incr(math.MinInt64, "-1").at(actorB),
			incrErr(1, ErrOverflow), incr(1, "0").at(actorC),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var base []byte
			var d version.Dot
			if tc.value != "" {
				base, d = []byte(tc.value), version.Dot{Actor: actorC, Counter: 1}
			}
			s, err := FromValue(d, 1, base)
			if err != nil {
				t.Fatalf("FromValue(%q): %v", tc.value, err)
			}
			for i, o := range tc.ops {
				before := s.String()
				n, err := apply(s, uint64(i+1), o)
				if o.wantErr != nil {
					if err != o.wantErr {
						t.Fatalf("op %d: error %v, want %v", i, err, o.wantErr)
					}
					if s.String() != before {
						t.Fatalf("op %d: failed op changed the state", i)
					}
					continue
				}
				if err != nil {
					t.Fatalf("op %d: %v", i, err)
				}
				s = n
				if got := s.String(); got != o.want {
					t.Fatalf("op %d: value %q, want %q", i, got, o.want)
				}
				if v, ok := s.Int64(); ok != isRedisInt(o.want) || (ok && strconv.FormatInt(v, 10) != o.want) {
					t.Fatalf("op %d: Int64() = %d, %v for %q", i, v, ok, o.want)
				}
				dec, err := Decode(s.AppendBinary(nil))
				if err != nil || !dec.Equal(s) {
					t.Fatalf("op %d: round trip: %v", i, err)
				}
			}
		})
	}
}

func isRedisInt(s string) bool { _, ok := ParseInt([]byte(s)); return ok }

func TestSeqAlwaysIncreases(t *testing.T) {
	s, _ := FromValue(version.Dot{}, 0, nil)
	s, _ = s.IncrBy(actorA, 10, 1)
	if s.Entries[0].Seq != 10 {
		t.Fatalf("Seq = %d, want 10", s.Entries[0].Seq)
	}
	// A seq that does not exceed the entry's is raised past it, so the new
	// entry still wins a merge with the old state.
	old := s
	s, _ = s.IncrBy(actorA, 3, 1)
	if s.Entries[0].Seq != 11 {
		t.Fatalf("Seq = %d, want 11", s.Entries[0].Seq)
	}
	if got := Merge(old, s).String(); got != "2" {
		t.Fatalf("merge with the older state = %q, want 2", got)
	}
	if old.Entries[0].Seq != 10 || old.String() != "1" {
		t.Fatalf("IncrBy modified its receiver")
	}
}

func TestMergeBases(t *testing.T) {
	older, _ := FromValue(version.Dot{Actor: actorA, Counter: 1}, 100, []byte("10"))
	newer, _ := FromValue(version.Dot{Actor: actorB, Counter: 1}, 200, []byte("1000"))
	older, _ = older.IncrBy(actorC, 1, 5)
	older, _ = older.IncrBy(actorA, 1, 5)
	newer, _ = newer.IncrBy(actorC, 2, 1)
	for _, m := range []State{Merge(older, newer), Merge(newer, older)} {
		if got := m.String(); got != "1001" {
			t.Errorf("merged value %q, want 1001: the newer base wins whole", got)
		}
	}
	// Equal times: the dot breaks the tie, actor first.
	x, _ := FromValue(version.Dot{Actor: actorB, Counter: 1}, 100, []byte("1"))
	y, _ := FromValue(version.Dot{Actor: actorA, Counter: 9}, 100, []byte("2"))
	if got := Merge(x, y).String(); got != "1" {
		t.Errorf("tie on time: %q, want 1 (greater actor)", got)
	}
	z, _ := FromValue(version.Dot{Actor: actorB, Counter: 2}, 100, []byte("3"))
	if got := Merge(x, z).String(); got != "3" {
		t.Errorf("tie on time and actor: %q, want 3 (greater counter)", got)
	}
	// Counters started on an absent key share the zero base.
	p, _ := FromValue(version.Dot{}, 0, nil)
	q := p
	p, _ = p.IncrBy(actorA, 1, 1)
	q, _ = q.IncrBy(actorB, 1, 1)
	if got := Merge(p, q).String(); got != "2" {
		t.Errorf("two counters from an absent key: %q, want 2", got)
	}
}

// TestMergeSameSeqDifferentContent: an actor that broke the rules (two
// different changes with one Seq) still merges deterministically.
func TestMergeSameSeqDifferentContent(t *testing.T) {
	base, _ := FromValue(version.Dot{}, 0, nil)
	x, _ := base.IncrBy(actorA, 5, 1)
	y, _ := base.IncrBy(actorA, 5, 2)
	if xy, yx := Merge(x, y), Merge(y, x); !xy.Equal(yx) {
		t.Errorf("Merge not commutative: %+v vs %+v", xy, yx)
	}
}

// replica is a node's copy of one counter during the property test.
type replica struct {
	actor version.Actor
	seq   uint64
	state State
}

// TestAllIncrementsCount: actors increment their own copies of a shared
// state, as nodes on both sides of a network cut would, exchanging states at
// random; once every state has met every other, all replicas agree and every
// increment counted. Merge must be commutative, associative and idempotent on
// every state reached.
func TestAllIncrementsCount(t *testing.T) {
	actors := []version.Actor{actorA, actorB, actorC, {Node: 7}, {Node: 7, Epoch: 1}}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 99))
		baseVal := []string{"", "10", "-5", "2.5", "100.25"}[rng.IntN(5)]
		var baseDot version.Dot
		if baseVal != "" {
			baseDot = version.Dot{Actor: actorB, Counter: 4}
		}
		origin, err := FromValue(baseDot, 77, []byte(baseVal))
		if err != nil {
			t.Fatal(err)
		}
		// Track the expected value exactly in units of 1/4: all float
		// deltas are multiples of 0.25, so float64 sums are exact too.
		want, _ := ParseFloat([]byte(baseVal))
		floats := baseVal == "2.5" || baseVal == "100.25"
		reps := make([]replica, 2+rng.IntN(len(actors)-1))
		for i := range reps {
			reps[i] = replica{actor: actors[i], state: origin}
		}
		var seen []State
		for step := 0; step < 60; step++ {
			r := &reps[rng.IntN(len(reps))]
			switch rng.IntN(4) {
			case 0, 1:
				r.seq++
				d := int64(rng.IntN(21) - 10)
				n, err := r.state.IncrBy(r.actor, r.seq, d)
				if floats {
					if _, isInt := r.state.Int64(); !isInt {
						if err != ErrNotInteger {
							t.Fatalf("seed %d: IncrBy on %q: %v", seed, r.state.String(), err)
						}
						continue
					}
				}
				if err != nil {
					t.Fatalf("seed %d: IncrBy: %v", seed, err)
				}
				r.state = n
				want += float64(d)
			case 2:
				r.seq++
				d := float64(rng.IntN(21)-10) / 4
				n, err := r.state.IncrByFloat(r.actor, r.seq, d)
				if err != nil {
					t.Fatalf("seed %d: IncrByFloat: %v", seed, err)
				}
				r.state = n
				want += d
				floats = true
			case 3:
				o := &reps[rng.IntN(len(reps))]
				r.state = Merge(r.state, o.state)
			}
			seen = append(seen, r.state)
			a, b, c := seen[rng.IntN(len(seen))], seen[rng.IntN(len(seen))], seen[rng.IntN(len(seen))]
			checkMergeLaws(t, a, b, c)
		}
		// Heal: gossip until everyone has everything.
		var all State
		for i, r := range reps {
			if i == 0 {
				all = r.state
			} else {
				all = Merge(all, r.state)
			}
		}
		for i := range reps {
			reps[i].state = Merge(reps[rng.IntN(len(reps))].state, Merge(reps[i].state, all))
			if !reps[i].state.Equal(all) {
				t.Fatalf("seed %d: replica %d did not converge", seed, i)
			}
		}
		if got := all.Float64(); got != want {
			t.Fatalf("seed %d: merged value %v (%q), want %v", seed, got, all.String(), want)
		}
	}
}

func checkMergeLaws(t *testing.T, a, b, c State) {
	t.Helper()
	if ab, ba := Merge(a, b), Merge(b, a); !ab.Equal(ba) {
		t.Fatalf("Merge not commutative:\n%+v\n%+v", ab, ba)
	}
	if l, r := Merge(Merge(a, b), c), Merge(a, Merge(b, c)); !l.Equal(r) {
		t.Fatalf("Merge not associative:\n%+v\n%+v", l, r)
	}
	if aa := Merge(a, a); !aa.Equal(a) {
		t.Fatalf("Merge not idempotent:\n%+v\n%+v", aa, a)
	}
}

// TestMergeLawsArbitrary checks the laws on states that no run produces:
// several bases, entries with arbitrary Seq and contents.
func TestMergeLawsArbitrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	actors := []version.Actor{actorA, actorB, actorC}
	gen := func() State {
		s := State{BaseTime: int64(rng.IntN(2)), BaseDot: version.Dot{Actor: actors[rng.IntN(2)], Counter: uint64(rng.IntN(2))}}
		if rng.IntN(2) == 0 {
			s.BaseIsFloat, s.BaseFloat = true, float64(rng.IntN(3))/2
		} else {
			s.BaseInt = int64(rng.IntN(3))
		}
		for _, a := range actors {
			if rng.IntN(3) > 0 {
				e := Entry{Actor: a, Seq: uint64(rng.IntN(3)), Int: int64(rng.IntN(3))}
				if rng.IntN(2) == 0 {
					e.HasFloat, e.Float = true, float64(rng.IntN(3))/4
				}
				s.Entries = append(s.Entries, e)
			}
		}
		return s
	}
	for range 20000 {
		checkMergeLaws(t, gen(), gen(), gen())
	}
}

// TestBeyondInt64AfterMerge: concurrent increments can together pass int64;
// the value then renders exactly and, as in Redis for such a value, INCR
// refuses it while INCRBYFLOAT works.
func TestBeyondInt64AfterMerge(t *testing.T) {
	s, _ := FromValue(version.Dot{Actor: actorC, Counter: 1}, 1, []byte("9223372036854775000"))
	x, err := s.IncrBy(actorA, 1, 800)
	if err != nil {
		t.Fatal(err)
	}
	y, err := s.IncrBy(actorB, 1, 800)
	if err != nil {
		t.Fatal(err)
	}
	m := Merge(x, y)
	if got := m.String(); got != "9223372036854776600" {
		t.Fatalf("merged value %q", got)
	}
	if _, err := m.IncrBy(actorA, 2, 1); err != ErrNotInteger {
		t.Fatalf("INCR on a value beyond int64: %v", err)
	}
	if _, err := m.IncrBy(actorA, 2, -1000); err != ErrNotInteger {
		t.Fatalf("DECRBY on a value beyond int64: %v", err)
	}
	if n, err := m.IncrByFloat(actorA, 2, 1); err != nil || n.String() != "9223372036854776601" {
		t.Fatalf("INCRBYFLOAT on a value beyond int64: %q, %v", n.String(), err)
	}
	// Negative side, merged well past int64.
	s, _ = FromValue(version.Dot{}, 0, nil)
	x, _ = s.IncrBy(actorA, 1, math.MinInt64)
	y, _ = s.IncrBy(actorB, 1, math.MinInt64)
	if got := Merge(x, y).String(); got != "-18446744073709551616" {
		t.Fatalf("merged value %q", got)
	}
}

func BenchmarkIncrBy(b *testing.B) {
	s, _ := FromValue(version.Dot{Actor: actorC, Counter: 1}, 1, []byte("10"))
	s, _ = s.IncrBy(actorA, 1, 1)
	s, _ = s.IncrBy(actorB, 1, 1)
	b.ReportAllocs()
	seq := uint64(1)
	for b.Loop() {
		seq++
		s, _ = s.IncrBy(actorC, seq, 1)
	}
}
