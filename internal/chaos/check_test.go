package chaos

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Hand-built histories: each case names the violations the checker must
// find (by kind, in order), so a checker that accepts everything fails here.

func set(client, seq int, key, value string, o Outcome) Write {
	return Write{Client: client, Seq: seq, Kind: KindSet, Key: key, Value: value, Outcome: o}
}

func vset(client, seq int, key, value string, o Outcome, saw ...string) Write {
	return Write{Client: client, Seq: seq, Kind: KindVSet, Key: key, Value: value, Outcome: o, Saw: saw}
}

func incr(client, seq int, key string, o Outcome, result int64) Write {
	return Write{Client: client, Seq: seq, Kind: KindIncr, Key: key, Outcome: o, Result: result}
}

// t0 is the hand-built histories' epoch; at(w, ...) places w in real time,
// in milliseconds after it.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// at sets w's start and end; a VSET's VGET is taken to begin 1 ms before.
func at(w Write, start, end int) Write {
	w.Start, w.End = ms(start), ms(end)
	if w.Kind == KindVSet {
		w.ReadStart = ms(start - 1)
	}
	return w
}

// readAt sets a VSET's VGET start apart from its write's.
func readAt(w Write, readStart int) Write {
	w.ReadStart = ms(readStart)
	return w
}

// agreed is a final read where the quorum read and owners a, b, c all hold
// values.
func agreed(values ...string) KeyRead {
	r := Reply{Found: len(values) > 0, Values: values}
	return KeyRead{
		Owners: []string{"a", "b", "c"},
		Quorum: r, Get: r,
		Local: map[string]Reply{"a": r, "b": r, "c": r},
	}
}

func kinds(r Report) []string {
	var out []string
	for _, v := range r.Violations {
		out = append(out, v.Kind)
	}
	return out
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history []Write
		final   Final
		want    []string // violation kinds, in order
		late    int      // LateOverwrites expected
	}{
		{
			name:    "set: last acked present",
			history: []Write{set(1, 1, "k", "c1-n1", Acked), set(1, 2, "k", "c1-n2", Acked)},
			final:   Final{"k": agreed("c1-n2")},
		},
		{
			name:    "set: an earlier acked value instead of the last one is a loss",
			history: []Write{set(1, 1, "k", "c1-n1", Acked), set(1, 2, "k", "c1-n2", Acked)},
			final:   Final{"k": agreed("c1-n1")},
			want:    []string{Lost},
		},
		{
			name:    "set: key gone after an acked write",
			history: []Write{set(1, 1, "k", "c1-n1", Acked)},
			final:   Final{"k": agreed()},
			want:    []string{Lost},
		},
		{
			name: "set: a later indeterminate write may win",
			history: []Write{set(1, 1, "k", "c1-n1", Acked), set(1, 2, "k", "c1-n2", Indeterminate),
				set(1, 3, "k", "c1-n3", Indeterminate)},
			final: Final{"k": agreed("c1-n3")},
		},
		{
			name:    "set: a later refused write cannot stand for the acked one",
			history: []Write{set(1, 1, "k", "c1-n1", Acked), set(1, 2, "k", "c1-n2", Failed)},
			final:   Final{"k": agreed("c1-n2")},
			want:    []string{Refused, Refused, Refused, Refused, Lost},
		},
		{
			name:    "set: an earlier indeterminate write that won is a late overwrite, not a loss",
			history: []Write{set(1, 1, "k", "c1-n1", Indeterminate), set(1, 2, "k", "c1-n2", Acked)},
			final:   Final{"k": agreed("c1-n1")},
			late:    1,
		},
		{
			name:    "set: no acked write, nothing to lose",
			history: []Write{set(1, 1, "k", "c1-n1", Indeterminate)},
			final:   Final{"k": agreed()},
		},
		{
			name:    "set: one writer, two siblings, the first acked before the second began",
			history: []Write{at(set(1, 1, "k", "c1-n1", Acked), 0, 10), at(set(1, 2, "k", "c1-n2", Acked), 20, 30)},
			final:   Final{"k": agreed("c1-n1", "c1-n2")},
			want:    []string{TooMany},
		},
		{
			name: "set: an indeterminate write may be a sibling of every later one",
			history: []Write{at(set(1, 1, "k", "c1-n1", Indeterminate), 0, 3000), at(set(1, 2, "k", "c1-n2", Acked), 3010, 3020),
				at(set(1, 3, "k", "c1-n3", Indeterminate), 3030, 6030)},
			final: Final{"k": agreed("c1-n1", "c1-n3")},
		},
		{
			name: "set: an indeterminate write and an acked one before it are ordered",
			history: []Write{at(set(1, 1, "k", "c1-n1", Acked), 0, 10), at(set(1, 2, "k", "c1-n2", Indeterminate), 20, 3020),
				at(set(1, 3, "k", "c1-n3", Acked), 3030, 3040)},
			final: Final{"k": agreed("c1-n1", "c1-n2", "c1-n3")},
			want:  []string{TooMany},
		},
		{
			name: "set: the client's own VGET during the run listed two of its writes",
			history: []Write{at(set(1, 1, "k", "c1-n1", Acked), 0, 10), at(set(1, 2, "k", "c1-n2", Acked), 20, 30),
				func() Write {
					w := at(set(1, 3, "k", "c1-n3", Acked), 50, 60)
					w.Read = []string{"c1-n1", "c1-n2"}
					return w
				}()},
			final: Final{"k": agreed("c1-n3")},
			want:  []string{TooMany},
		},
		{
			name: "vset: a write acked while the other's VGET ran is concurrent with it",
			history: []Write{at(vset(1, 1, "v", "c1-n1", Acked), 0, 10),
				readAt(at(vset(2, 1, "v", "c2-n1", Acked), 12, 20), 5)},
			final: Final{"v": agreed("c1-n1", "c2-n1")},
		},
		{
			name: "vset: a write acked before the other's VGET began is not",
			history: []Write{at(vset(1, 1, "v", "c1-n1", Acked), 0, 10),
				readAt(at(vset(2, 1, "v", "c2-n1", Acked), 12, 20), 11)},
			final: Final{"v": agreed("c1-n1", "c2-n1")},
			want:  []string{TooMany},
		},
		{
			name: "vset: three writers, one of them twice, all concurrent with the others",
			history: []Write{at(vset(1, 1, "v", "c1-n1", Indeterminate), 0, 3000), at(vset(1, 2, "v", "c1-n2", Acked), 3010, 3020),
				at(vset(2, 1, "v", "c2-n1", Acked), 5, 3015), at(vset(3, 1, "v", "c3-n1", Acked), 2, 3012)},
			final: Final{"v": agreed("c1-n1", "c1-n2", "c2-n1", "c3-n1")},
		},
		{
			name: "vset: a write listed beside an indeterminate one its VGET saw",
			history: []Write{at(vset(1, 1, "v", "c1-n1", Indeterminate), 0, 3000),
				at(vset(2, 1, "v", "c2-n1", Acked, "c1-n1"), 10, 20)},
			final: Final{"v": agreed("c1-n1", "c2-n1")},
			want:  []string{TooMany},
		},
		{
			name: "vset: a client's VGET during the run listed ordered siblings",
			history: []Write{at(vset(1, 1, "v", "c1-n1", Acked), 0, 10), at(vset(1, 2, "v", "c1-n2", Acked), 20, 30),
				at(vset(2, 1, "v", "c2-n1", Acked, "c1-n1", "c1-n2"), 40, 50)},
			final: Final{"v": agreed("c2-n1")},
			want:  []string{TooMany},
		},
		{
			name:    "counter: two siblings of increments made one after the other",
			history: []Write{at(incr(1, 1, "n", Acked, 1), 0, 10), at(incr(2, 1, "n", Acked, 2), 20, 30)},
			final: func() Final {
				r := agreed("2")
				r.Quorum.Values = []string{"1", "2"}
				return Final{"n": r}
			}(),
			want: []string{TooMany, Diverged},
		},
		{
			name:    "counter: two siblings of concurrent increments",
			history: []Write{at(incr(1, 1, "n", Acked, 1), 0, 10), at(incr(2, 1, "n", Acked, 2), 5, 30)},
			final: func() Final {
				r := agreed("2")
				r.Quorum.Values = []string{"1", "2"}
				return Final{"n": r}
			}(),
			want: []string{Diverged},
		},
		{
			name: "vset: superseded by an acked write that saw it",
			history: []Write{vset(1, 1, "v", "c1-n1", Acked), vset(2, 1, "v", "c2-n1", Acked, "c1-n1"),
				vset(1, 2, "v", "c1-n2", Acked, "c2-n1")},
			final: Final{"v": agreed("c1-n2")},
		},
		{
			name:    "vset: concurrent writes both kept",
			history: []Write{vset(1, 1, "v", "c1-n1", Acked), vset(2, 1, "v", "c2-n1", Acked)},
			final:   Final{"v": agreed("c1-n1", "c2-n1")},
		},
		{
			name:    "vset: acked value gone, nobody saw it",
			history: []Write{vset(1, 1, "v", "c1-n1", Acked), vset(2, 1, "v", "c2-n1", Acked)},
			final:   Final{"v": agreed("c2-n1")},
			want:    []string{Lost},
		},
		{
			name: "vset: superseded only by an indeterminate write that left no trace",
			history: []Write{vset(1, 1, "v", "c1-n1", Acked), vset(2, 1, "v", "c2-n1", Indeterminate, "c1-n1"),
				vset(2, 2, "v", "c2-n2", Acked)},
			final: Final{"v": agreed("c2-n2")},
			want:  []string{Lost},
		},
		{
			name: "vset: a chain through an indeterminate write that did apply",
			history: []Write{vset(1, 1, "v", "c1-n1", Acked), vset(2, 1, "v", "c2-n1", Indeterminate, "c1-n1"),
				vset(1, 2, "v", "c1-n2", Acked, "c2-n1")},
			final: Final{"v": agreed("c1-n2")},
		},
		{
			name: "vset: a chain whose head is gone loses every link",
			history: []Write{vset(1, 1, "v", "c1-n1", Acked), vset(2, 1, "v", "c2-n1", Acked, "c1-n1"),
				vset(3, 1, "v", "c3-n1", Acked)},
			final: Final{"v": agreed("c3-n1")},
			want:  []string{Lost, Lost},
		},
		{
			name:    "phantom: a value nobody wrote",
			history: []Write{set(1, 1, "k", "c1-n1", Acked)},
			final:   Final{"k": agreed("c1-n1", "c9-n9")},
			want:    []string{Phantom, Phantom, Phantom, Phantom},
		},
		{
			name:    "phantom: a value written to another key",
			history: []Write{set(1, 1, "k", "c1-n1", Acked), set(1, 2, "j", "c1-n2", Acked)},
			final:   Final{"k": agreed("c1-n1"), "j": agreed("c1-n2", "c1-n1")},
			want:    []string{Phantom, Phantom, Phantom, Phantom},
		},
		{
			name:    "phantom: a client's VGET saw a value nobody wrote",
			history: []Write{vset(1, 1, "v", "c1-n1", Acked, "ghost")},
			final:   Final{"v": agreed("c1-n1")},
			want:    []string{Phantom},
		},
		{
			name: "one write listed twice among the siblings",
			history: []Write{vset(1, 1, "v", "c1-n1", Acked), vset(2, 1, "v", "c2-n1", Acked),
				vset(1, 2, "v", "c1-n2", Acked, "c1-n1", "c1-n1")},
			final: Final{"v": agreed("c2-n1", "c1-n2")},
			want:  []string{Duplicate},
		},
		{
			name:  "phantom: a key nobody wrote holds a value",
			final: Final{"x": agreed("c1-n1")},
			want:  []string{Phantom, Phantom, Phantom, Phantom},
		},
		{
			name: "counter within bounds",
			history: []Write{incr(1, 1, "n", Acked, 1), incr(2, 1, "n", Indeterminate, 0),
				incr(1, 2, "n", Acked, 3)},
			final: Final{"n": agreed("3")},
		},
		{
			name:    "counter lost an increment",
			history: []Write{incr(1, 1, "n", Acked, 1), incr(1, 2, "n", Acked, 2)},
			final:   Final{"n": agreed("1")},
			want:    []string{Lost},
		},
		{
			name: "counter below a value an INCR returned",
			history: []Write{incr(1, 1, "n", Indeterminate, 0), incr(1, 2, "n", Acked, 2),
				incr(1, 3, "n", Indeterminate, 0)},
			final: Final{"n": agreed("1")},
			want:  []string{Lost},
		},
		{
			name:    "counter over its bound",
			history: []Write{incr(1, 1, "n", Acked, 1), incr(1, 2, "n", Failed, 0)},
			final:   Final{"n": agreed("2")},
			want:    []string{Phantom, Phantom, Phantom, Phantom, Phantom},
		},
		{
			name:    "counter gone",
			history: []Write{incr(1, 1, "n", Acked, 1)},
			final:   Final{"n": agreed()},
			want:    []string{Lost},
		},
		{
			name:    "owners disagree",
			history: []Write{set(1, 1, "k", "c1-n1", Acked), set(1, 2, "k", "c1-n2", Acked)},
			final: func() Final {
				r := agreed("c1-n2")
				r.Local["c"] = Reply{Found: true, Values: []string{"c1-n1"}}
				return Final{"k": r}
			}(),
			want: []string{Diverged},
		},
		{
			name:    "the quorum read disagrees with the owners",
			history: []Write{set(1, 1, "k", "c1-n1", Acked), set(1, 2, "k", "c1-n2", Indeterminate)},
			final: func() Final {
				r := agreed("c1-n1")
				r.Quorum = Reply{Found: true, Values: []string{"c1-n2"}}
				return Final{"k": r}
			}(),
			want: []string{Diverged},
		},
		{
			name:    "a non-owner's stale copy is not a divergence",
			history: []Write{set(1, 1, "k", "c1-n1", Acked), set(1, 2, "k", "c1-n2", Acked)},
			final: func() Final {
				r := agreed("c1-n2")
				r.Local["d"] = Reply{Found: true, Values: []string{"c1-n1"}}
				return Final{"k": r}
			}(),
		},
		{
			name:    "an owner that could not be read",
			history: []Write{set(1, 1, "k", "c1-n1", Acked)},
			final: func() Final {
				r := agreed("c1-n1")
				r.Local["b"] = Reply{Err: "i/o timeout"}
				delete(r.Local, "c")
				return Final{"k": r}
			}(),
			want: []string{Unreadable, Unreadable},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Check(tc.history, tc.final, Bound{})
			got := kinds(r)
			if !slices.Equal(got, tc.want) {
				t.Errorf("violations %q, want %q:\n%s", got, tc.want, violationList(r.Violations))
			}
			if len(r.LateOverwrites) != tc.late {
				t.Errorf("late overwrites %q, want %d", r.LateOverwrites, tc.late)
			}
			lost, phantoms := 0, 0
			for _, k := range tc.want {
				switch k {
				case Lost:
					lost++
				case Phantom, Refused:
					phantoms++
				}
			}
			if r.Lost != lost || r.Phantoms != phantoms {
				t.Errorf("lost=%d phantoms=%d, want %d and %d", r.Lost, r.Phantoms, lost, phantoms)
			}
		})
	}
}

func TestCheckMaxSiblings(t *testing.T) {
	h := []Write{
		vset(1, 1, "v", "c1-n1", Acked), vset(2, 1, "v", "c2-n1", Acked),
		vset(3, 1, "v", "c3-n1", Acked, "c1-n1"),
		set(4, 1, "k", "c4-n1", Acked),
	}
	r := Check(h, Final{"v": agreed("c3-n1", "c2-n1"), "k": agreed("c4-n1")}, Bound{})
	if len(r.Violations) != 0 {
		t.Fatalf("violations:\n%s", violationList(r.Violations))
	}
	if r.MaxSiblings != 2 || r.MaxSiblingsKey != "v" || r.Keys != 2 {
		t.Fatalf("max siblings %d on %q over %d keys, want 2 on v over 2", r.MaxSiblings, r.MaxSiblingsKey, r.Keys)
	}
}

func TestSiblingBound(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []Write
		want   int
	}{
		{"none", nil, 0},
		{"one", []Write{at(set(1, 1, "k", "a", Acked), 0, 10)}, 1},
		{"one after the other", []Write{at(set(1, 1, "k", "a", Acked), 0, 10), at(set(1, 2, "k", "b", Acked), 11, 20),
			at(set(1, 3, "k", "c", Acked), 21, 30)}, 1},
		{"an ack and a begin at one instant overlap", []Write{at(set(1, 1, "k", "a", Acked), 0, 10),
			at(set(2, 1, "k", "b", Acked), 10, 20)}, 2},
		{"an indeterminate write overlaps everything after it", []Write{at(set(1, 1, "k", "a", Indeterminate), 0, 1),
			at(set(1, 2, "k", "b", Acked), 100, 110), at(set(1, 3, "k", "c", Acked), 200, 210)}, 2},
		{"but nothing acked before it", []Write{at(set(1, 1, "k", "a", Acked), 0, 10),
			at(set(1, 2, "k", "b", Indeterminate), 20, 30)}, 1},
		{"pairwise overlaps share an instant", []Write{at(set(1, 1, "k", "a", Acked), 0, 10), at(set(2, 1, "k", "b", Acked), 5, 20),
			at(set(3, 1, "k", "c", Acked), 15, 30), at(set(4, 1, "k", "d", Acked), 8, 16)}, 3},
		{"a VSET begins at its VGET", []Write{at(vset(1, 1, "v", "a", Acked), 0, 10),
			readAt(at(vset(2, 1, "v", "b", Acked), 20, 30), 9)}, 2},
	} {
		if got := siblingBound(tc.writes); got != tc.want {
			t.Errorf("%s: siblingBound = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// A violation of the bound names the key, the read, the siblings and the
// writes they came from, with the pair that is ordered.
func TestSiblingViolationNamesTheWrites(t *testing.T) {
	h := []Write{
		at(vset(1, 1, "v", "c1-n1", Acked), 0, 10),
		at(vset(2, 1, "v", "c2-n1", Acked), 5, 15),
		at(vset(3, 1, "v", "c3-n1", Acked), 6, 12),
		at(vset(1, 2, "v", "c1-n2", Acked, "c2-n1"), 40, 50),
	}
	final := agreed("c1-n1", "c2-n1", "c3-n1", "c1-n2")
	final.Local["b"] = Reply{Found: true, Values: []string{"c1-n1", "c3-n1", "c1-n2"}}
	r := Check(h, Final{"v": final}, Bound{})
	if got := kinds(r); !slices.Equal(got, []string{TooMany, Diverged}) {
		t.Fatalf("violations %q:\n%s", got, violationList(r.Violations))
	}
	d := r.Violations[0].String()
	for _, want := range []string{
		"siblings [no-fault] v: final VGET lists 4 siblings", "at most 3 of their writes were concurrent",
		"c1-n1 was acknowledged at 03:04:05.010000, before c1-n2 began at 03:04:05.039000",
		"[VSET v c1#2 c1-n2 saw=[\"c2-n1\"] acked via  began 03:04:05.039000 acked 03:04:05.050000]",
		"[VSET v c3#1 c3-n1 saw=[] acked via  began 03:04:05.005000 acked 03:04:05.012000]",
		"rule no-fault: no fault was active (or undone less than settle 0s before) from c1-n1's begin at 03:04:04.999000 to c1-n2's end + settle at 03:04:05.050000",
		"(4 such reads; the key's real-time bound is 3)",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("the violation does not say %q:\n%s", want, d)
		}
	}
	if r.MaxSiblings != 4 || r.MaxSiblingsBound != 3 || r.MaxBound != 3 || r.MaxBoundKey != "v" {
		t.Errorf("max siblings %d (bound %d), largest bound %d on %q; want 4 (3), 3 on v", r.MaxSiblings, r.MaxSiblingsBound, r.MaxBound, r.MaxBoundKey)
	}
}

func TestCompareTrees(t *testing.T) {
	owners := map[int][]string{0: {"a", "b"}, 1: {"b", "c"}, 2: {"a", "c"}}
	roots := map[string]map[int]string{
		"a": {0: "r0", 2: "r2"},
		"b": {0: "r0", 1: "r1"},
		"c": {1: "r1", 2: "r2"},
	}
	if got := CompareTrees(owners, roots); len(got) != 0 {
		t.Fatalf("equal roots reported as different: %q", got)
	}
	roots["c"][1] = "other"
	delete(roots["a"], 2)
	got := CompareTrees(owners, roots)
	want := []string{"partition 1: b=r1 c=other", "partition 2: a=(none) c=r2"}
	if !slices.Equal(got, want) {
		t.Fatalf("CompareTrees = %q, want %q", got, want)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Outcome
	}{
		{nil, Acked},
		{redisErr("ERR syntax error"), Failed},
		{redisErr("ERR invalid context"), Failed},
		{redisErr("NOQUORUM write quorum not reached: 1 of 2 required replicas answered (3 replicas)"), Indeterminate},
		{redisErr("ERR transport: connection refused"), Indeterminate},
		{errors.New("i/o timeout"), Indeterminate},
		{fmt.Errorf("dial: %w", errors.New("connection refused")), Indeterminate},
		{redis.Nil, Indeterminate},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, Failed},
		{&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, Indeterminate},
		{redis.ErrPoolTimeout, Failed},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// redisErr is an error reply as go-redis returns it.
type redisErr string

func (e redisErr) Error() string { return string(e) }
func (redisErr) RedisError()     {}

func violationList(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("  " + v.String() + "\n")
	}
	return b.String()
}

// never is the end of a window never undone.
const never = math.MinInt

// window is a fault active from start to end, in milliseconds after t0.
func window(name string, start, end int) FaultWindow {
	w := FaultWindow{Fault: name, Start: ms(start)}
	if end != never {
		w.End = ms(end)
	}
	return w
}

// sloppy is the default quorum's rule with windows and a settle time in
// milliseconds.
func sloppy(settle int, windows ...FaultWindow) Bound {
	return Bound{Windows: windows, Settle: time.Duration(settle) * time.Millisecond}
}

// The sibling bound under the two quorum modes: under the sloppy quorum an
// ordered pair is excused when a fault was active (its window, then settle
// more for catching up) at some instant from the earlier write's begin to
// the later one's end plus the settle time; under the strict quorum never. Each case says which rule must report the pair
// ("" for none) and how many reads over the real-time bound were excused.
func TestSiblingBoundExcuses(t *testing.T) {
	// Client 1's two SETs, the first acknowledged at 10 ms, before the
	// second began at 20 ms; the second ended at 30 ms. Both are listed by
	// the final reads (the quorum read and three owners: four reads).
	pair := []Write{at(set(1, 1, "k", "c1-n1", Acked), 0, 10), at(set(1, 2, "k", "c1-n2", Acked), 20, 30)}
	both := Final{"k": agreed("c1-n1", "c1-n2")}
	for _, tc := range []struct {
		name    string
		history []Write
		final   Final
		bound   Bound
		rule    string // the siblings violation's rule; "" for none
		excused int
	}{
		{name: "no fault: the real-time bound holds", history: pair, final: both,
			bound: sloppy(4000), rule: RuleNoFault},
		{name: "a kill between the two writes excuses them", history: pair, final: both,
			bound: sloppy(4000, window("kill", 12, 18)), excused: 4},
		{name: "a fault that began during the first write and lasts", history: pair, final: both,
			bound: sloppy(4000, window("cut", 5, 5000)), excused: 4},
		{name: "a fault never undone", history: pair, final: both,
			bound: sloppy(0, window("stop", 25, never)), excused: 4},
		{name: "a fault undone more than settle before the first write began", history: pair, final: both,
			bound: sloppy(100, window("kill", -3000, -101)), rule: RuleNoFault},
		{name: "a fault undone settle before the first write began", history: pair, final: both,
			bound: sloppy(100, window("kill", -3000, -100)), excused: 4},
		{name: "a fault undone as the first write began, no settle", history: pair, final: both,
			bound: sloppy(0, window("kill", -3000, 0)), excused: 4},
		{name: "a fault undone just before the first write began, no settle", history: pair, final: both,
			bound: sloppy(0, window("kill", -3000, -1)), rule: RuleNoFault},
		{name: "a fault began within settle after the second write ended", history: pair, final: both,
			bound: sloppy(100, window("kill", 130, 2000)), excused: 4},
		{name: "a fault began just past the second write's end plus settle", history: pair, final: both,
			bound: sloppy(100, window("kill", 131, 2000)), rule: RuleNoFault},
		{name: "strict quorum: a fault between them excuses nothing", history: pair, final: both,
			bound: Bound{Strict: true, Windows: []FaultWindow{window("kill", 12, 18)}, Settle: 4 * time.Second}, rule: RuleStrict},
		{name: "strict quorum: a fault never undone excuses nothing", history: pair, final: both,
			bound: Bound{Strict: true, Windows: []FaultWindow{window("cut", -10, never)}}, rule: RuleStrict},
		{
			// A VSET begins at its VGET: the fault was over before the
			// VSET was sent, but not before its context was read.
			name: "a VSET whose VGET ran during the fault",
			history: []Write{at(vset(1, 1, "v", "c1-n1", Acked), 0, 10),
				readAt(at(vset(2, 1, "v", "c2-n1", Acked), 40, 50), 20)},
			final: Final{"v": agreed("c1-n1", "c2-n1")},
			bound: sloppy(0, window("kill", 11, 30)), excused: 4,
		},
		{
			// A VSET supersedes what its VGET saw: no fault excuses the
			// two listed together.
			name: "a value listed beside a VSET that saw it, during a fault",
			history: []Write{at(vset(1, 1, "v", "c1-n1", Acked), 0, 10),
				at(vset(2, 1, "v", "c2-n1", Acked, "c1-n1"), 20, 30)},
			final: Final{"v": agreed("c1-n1", "c2-n1")},
			bound: sloppy(4000, window("cut", 0, 5000)), rule: RuleSeen,
		},
		{
			// Three writes across a fault and two ordered well after it:
			// the pair named is the one no fault excuses.
			name: "an excused pair and an ordered one in one read",
			history: []Write{at(set(1, 1, "k", "c1-n1", Acked), 0, 10), at(set(1, 2, "k", "c1-n2", Acked), 20, 30),
				at(set(1, 3, "k", "c1-n3", Acked), 10000, 10010), at(set(1, 4, "k", "c1-n4", Acked), 10020, 10030)},
			final: Final{"k": agreed("c1-n1", "c1-n2", "c1-n3", "c1-n4")},
			bound: sloppy(1000, window("kill", 15, 5000)), rule: RuleNoFault,
		},
		{
			name:    "counter: increments one after the other, across a fault",
			history: []Write{at(incr(1, 1, "n", Acked, 1), 0, 10), at(incr(2, 1, "n", Acked, 2), 20, 30)},
			final: func() Final {
				r := agreed("2")
				r.Quorum.Values = []string{"1", "2"}
				r.Local = map[string]Reply{"a": r.Quorum, "b": r.Quorum, "c": r.Quorum}
				return Final{"n": r}
			}(),
			bound: sloppy(0, window("stop", 15, 16)), excused: 4,
		},
		{
			name:    "counter: increments one after the other, no fault",
			history: []Write{at(incr(1, 1, "n", Acked, 1), 0, 10), at(incr(2, 1, "n", Acked, 2), 20, 30)},
			final: func() Final {
				r := agreed("2")
				r.Quorum.Values = []string{"1", "2"}
				r.Local = map[string]Reply{"a": r.Quorum, "b": r.Quorum, "c": r.Quorum}
				return Final{"n": r}
			}(),
			bound: sloppy(0, window("stop", 31, 40)), rule: RuleNoFault,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Check(tc.history, tc.final, tc.bound)
			var rules []string
			for _, v := range r.Violations {
				if v.Kind != TooMany {
					t.Errorf("unexpected violation %s", v)
					continue
				}
				rules = append(rules, v.Rule)
				if !strings.Contains(v.String(), "siblings ["+v.Rule+"]") || !strings.Contains(v.Detail, "rule "+v.Rule) && v.Rule != RuleSeen {
					t.Errorf("the violation does not name its rule %q: %s", v.Rule, v)
				}
			}
			var want []string
			if tc.rule != "" {
				want = []string{tc.rule}
			}
			if !slices.Equal(rules, want) {
				t.Errorf("siblings violations by rule %q, want %q:\n%s", rules, want, violationList(r.Violations))
			}
			if r.Excused != tc.excused || (tc.excused > 0) != (r.ExcusedKeys == 1) {
				t.Errorf("excused %d reads of %d keys, want %d reads", r.Excused, r.ExcusedKeys, tc.excused)
			}
		})
	}
}

// The violation of a pair no fault excuses names the windows on either
// side, and the pair is the one outside them.
func TestSiblingViolationNamesTheFaults(t *testing.T) {
	h := []Write{at(set(1, 1, "k", "c1-n1", Acked), 0, 10), at(set(1, 2, "k", "c1-n2", Acked), 20, 30),
		at(set(1, 3, "k", "c1-n3", Acked), 10000, 10010), at(set(1, 4, "k", "c1-n4", Acked), 10020, 10030)}
	b := sloppy(1000, window("round 1 (kill n1)", 15, 5000), window("round 2 (cut [n1] | [n2 n3])", 20000, 25000))
	r := Check(h, Final{"k": agreed("c1-n1", "c1-n2", "c1-n3", "c1-n4")}, b)
	if len(r.Violations) != 1 {
		t.Fatalf("violations:\n%s", violationList(r.Violations))
	}
	d := r.Violations[0].String()
	for _, want := range []string{
		"siblings [no-fault] k: final VGET lists 4 siblings", "at most 3 of their writes were concurrent",
		"c1-n3 was acknowledged at 03:04:15.010000, before c1-n4 began at 03:04:15.020000",
		"no fault was active (or undone less than settle 1s before) from c1-n3's begin at 03:04:15.000000 to c1-n4's end + settle at 03:04:16.030000",
		"(the last fault before, round 1 (kill n1), was undone 5s before c1-n3 began)",
		"(the next, round 2 (cut [n1] | [n2 n3]), began 8.97s after c1-n4's end + settle)",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("the violation does not say %q:\n%s", want, d)
		}
	}
}

// boundOf sums per-gap real-time bounds; it must agree with the rule taken
// literally: the largest set of writes no two of which are ordered in real
// time unless a fault window excuses them.
func TestBoundOfMatchesTheRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		n := 1 + rng.IntN(9)
		var ws []Write
		for j := range n {
			start := rng.IntN(200)
			o := Acked
			if rng.IntN(5) == 0 {
				o = Indeterminate
			}
			w := at(set(1, j, "k", fmt.Sprint(j), o), start, start+rng.IntN(40))
			if rng.IntN(3) == 0 {
				w.Kind, w.ReadStart = KindVSet, w.Start.Add(-time.Duration(rng.IntN(20))*time.Millisecond)
			}
			ws = append(ws, w)
		}
		var windows []FaultWindow
		for range rng.IntN(4) {
			s := rng.IntN(260) - 30
			e := s + rng.IntN(50)
			if rng.IntN(8) == 0 {
				e = never
			}
			windows = append(windows, window("f", s, e))
		}
		b := sloppy(rng.IntN(30), windows...)
		b.Strict = rng.IntN(6) == 0
		got := newChecker(nil, b).boundOf(ws)
		if want := literalBound(ws, b); got != want {
			t.Fatalf("case %d: boundOf = %d, the rule says %d\nbound %+v\nwrites:%s", i, got, want, b, describeAll(ws))
		}
	}
}

// literalBound is the most writes of ws no two of which are ordered in
// real time without an excuse, by trying every subset: a fault counts as
// active from its window's start to settle after its end, and excuses a
// pair when it was active at an instant from the first write's begin to
// the second one's end plus settle.
func literalBound(ws []Write, b Bound) int {
	ordered := func(a, c Write) bool { // a acknowledged before c began, unexcused
		if a.Outcome != Acked || !a.End.Before(begin(c)) {
			return false
		}
		if b.Strict {
			return true
		}
		from, to := begin(a), c.End.Add(b.Settle)
		for _, f := range b.Windows {
			// The fault counts as active until settle after its window.
			if !f.Start.After(to) && (f.End.IsZero() || !f.End.Add(b.Settle).Before(from)) {
				return false // a fault was active at an instant of [from, to]
			}
		}
		return true
	}
	best := 0
	for set := 1; set < 1<<len(ws); set++ {
		ok := true
		for i := range ws {
			for j := range ws {
				if set&(1<<i) != 0 && set&(1<<j) != 0 && ordered(ws[i], ws[j]) {
					ok = false
				}
			}
		}
		if ok {
			best = max(best, bits.OnesCount(uint(set)))
		}
	}
	return best
}

func TestFaultSettle(t *testing.T) {
	if got := settleFor(DefaultConfig()); got != FaultSettle || FaultSettle != 4*time.Second {
		t.Errorf("settle of the default config %v, FaultSettle %v; want both 4s (3 hint intervals of 1s + anti-entropy 1s)", got, FaultSettle)
	}
	for _, tc := range []struct {
		hint, ae, want time.Duration
	}{
		{0, 0, 3 * time.Second},                                            // the server's defaults: 1 s hints, 10 s anti-entropy not added
		{2 * time.Second, 0, 6 * time.Second},                              // three hint intervals
		{2 * time.Second, 500 * time.Millisecond, 6500 * time.Millisecond}, // a short anti-entropy interval is added
		{time.Second, 30 * time.Second, 3 * time.Second},                   // a long one is not
	} {
		cfg := DefaultConfig()
		cfg.HintInterval, cfg.AntiEntropyInterval = tc.hint, tc.ae
		if got := settleFor(cfg); got != tc.want {
			t.Errorf("hint %v, anti-entropy %v: settle %v, want %v", tc.hint, tc.ae, got, tc.want)
		}
	}
}

func TestBoundEnforced(t *testing.T) {
	b := sloppy(100, window("kill", 1000, 2000), window("stop", 2150, 2500), window("cut", 5000, never))
	// [0, 6000] less [900, 2600] (two windows met once widened) and
	// [4900, ...): 900 + 2300.
	if got := b.Enforced(ms(0), ms(6000)); got != 3200*time.Millisecond {
		t.Errorf("sloppy: enforced %v, want 3.2s", got)
	}
	if got := b.Enforced(ms(1000), ms(2000)); got != 0 {
		t.Errorf("sloppy, inside a window: enforced %v, want 0", got)
	}
	b.Strict = true
	if got := b.Enforced(ms(0), ms(6000)); got != 6*time.Second {
		t.Errorf("strict: enforced %v, want 6s", got)
	}
}

func hset(client, seq int, key, field string, o Outcome) Write {
	return Write{Client: client, Seq: seq, Kind: KindHSet, Key: key, Field: field, Value: field, Outcome: o}
}

func withResult(w Write, n int64) Write { w.Result = n; return w }

func hdel(client, seq int, key, field string, o Outcome) Write {
	return Write{Client: client, Seq: seq, Kind: KindHDel, Key: key, Field: field, Outcome: o}
}

// TestCheckHash: a hash is held to its HSETs and HDELs field by field, and
// a counter field to its increments.
func TestCheckHash(t *testing.T) {
	hashRead := func(fields ...string) KeyRead {
		m := map[string]string{}
		for _, f := range fields {
			m[f] = f
		}
		return KeyRead{Hash: m}
	}
	for _, tc := range []struct {
		name    string
		history []Write
		final   KeyRead
		want    []string
	}{
		{"acked fields there, deleted ones gone", []Write{
			hset(1, 1, "h", "a", Acked), hset(1, 2, "h", "b", Acked), hdel(1, 3, "h", "a", Acked),
		}, hashRead("b"), nil},
		{"an acked field lost", []Write{hset(1, 1, "h", "a", Acked), hset(1, 2, "h", "b", Acked)}, hashRead("b"), []string{Lost}},
		{"an acked HDEL undone", []Write{hset(1, 1, "h", "a", Acked), withResult(hdel(1, 2, "h", "a", Acked), 1)}, hashRead("a"), []string{Phantom}},
		{"an acked HDEL whose read missed the field, far from a fault", []Write{hset(1, 1, "h", "a", Acked), hdel(1, 2, "h", "a", Acked)}, hashRead("a"), []string{Lost}},
		{"a refused field visible", []Write{hset(1, 1, "h", "a", Failed)}, hashRead("a"), []string{Refused}},
		{"a field nobody wrote", []Write{hset(1, 1, "h", "a", Acked)}, hashRead("a", "zz"), []string{Phantom}},
		{"a wrong value", []Write{hset(1, 1, "h", "a", Acked)}, KeyRead{Hash: map[string]string{"a": "b"}}, []string{Phantom}},
		{"indeterminate writes either way", []Write{
			hset(1, 1, "h", "a", Indeterminate), hset(1, 2, "h", "b", Indeterminate),
			hset(1, 3, "h", "c", Acked), hdel(1, 4, "h", "c", Indeterminate),
		}, hashRead("a"), nil},
		{"an unreadable hash", []Write{hset(1, 1, "h", "a", Acked)}, KeyRead{HashErr: "NOQUORUM"}, []string{Unreadable}},
		{"a counter field short of its acked increments", []Write{
			{Client: 1, Seq: 1, Kind: KindHIncr, Key: "c", Field: "n", Outcome: Acked, Result: 1},
			{Client: 2, Seq: 1, Kind: KindHIncr, Key: "c", Field: "n", Outcome: Acked, Result: 2},
		}, KeyRead{Get: Reply{Found: true, Values: []string{"1"}}}, []string{Lost}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.history[0].Key
			rep := Check(tc.history, Final{key: tc.final}, Bound{})
			var got []string
			for _, v := range rep.Violations {
				got = append(got, v.Kind)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("violations %v, want %v: %v", got, tc.want, rep.Violations)
			}
		})
	}
}

// An HDEL whose quorum read missed its field (it answered 0) is excused
// inside a fault window under sloppy quorum, and never under strict.
func TestCheckHashStaleDelete(t *testing.T) {
	history := []Write{at(hset(1, 1, "h", "a", Acked), 0, 1), at(hdel(1, 2, "h", "a", Acked), 100, 101)}
	final := Final{"h": {Hash: map[string]string{"a": "a"}}}
	window := []FaultWindow{{Start: ms(90), End: ms(110)}}
	if rep := Check(history, final, Bound{Windows: window}); len(rep.Violations) != 0 || rep.StaleDeletes != 1 {
		t.Fatalf("sloppy, in a fault window: %v, %d stale deletes", rep.Violations, rep.StaleDeletes)
	}
	if rep := Check(history, final, Bound{Strict: true, Windows: window}); len(rep.Violations) != 1 || rep.Violations[0].Kind != Lost {
		t.Fatalf("strict: %v", rep.Violations)
	}
}
