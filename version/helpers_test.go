package version

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// Test notation, so tables read like the versions they describe:
//
//	actor:   a letter, optionally with an epoch: "a", "b", "a.2"
//	clock:   "a=3 b=1"
//	dot:     "a/3"
//	sibling: "a/3:value" (Time defaults to the dot counter; "a/3:value@17"
//	         sets Time to 17)
//
// Letters map to node ids that sort like the letters.
func actor(t testing.TB, s string) Actor {
	t.Helper()
	name, epoch, _ := strings.Cut(s, ".")
	if len(name) != 1 || name[0] < 'a' || name[0] > 'z' {
		t.Fatalf("bad actor %q", s)
	}
	a := Actor{Node: uint64(name[0]-'a'+1) << 56}
	if epoch != "" {
		e, err := strconv.ParseUint(epoch, 10, 32)
		if err != nil {
			t.Fatalf("bad actor %q", s)
		}
		a.Epoch = uint32(e)
	}
	return a
}

func dot(t testing.TB, s string) Dot {
	t.Helper()
	a, c, ok := strings.Cut(s, "/")
	n, err := strconv.ParseUint(c, 10, 64)
	if !ok || err != nil {
		t.Fatalf("bad dot %q", s)
	}
	return Dot{Actor: actor(t, a), Counter: n}
}

// clock builds a Clock from "a=3 b=1"; entries may be given in any order but
// must name distinct actors with non-zero counters.
func clock(t testing.TB, s string) Clock {
	t.Helper()
	var c Clock
	for _, f := range strings.Fields(s) {
		a, n, ok := strings.Cut(f, "=")
		v, err := strconv.ParseUint(n, 10, 64)
		if !ok || err != nil || v == 0 {
			t.Fatalf("bad clock entry %q", f)
		}
		c = c.Add(Dot{Actor: actor(t, a), Counter: v})
	}
	return c
}

func sib(t testing.TB, s string) Sibling {
	t.Helper()
	d, rest, ok := strings.Cut(s, ":")
	if !ok {
		t.Fatalf("bad sibling %q", s)
	}
	sb := Sibling{Dot: dot(t, d)}
	sb.Time = int64(sb.Dot.Counter)
	val, tm, hasTime := strings.Cut(rest, "@")
	if hasTime {
		v, err := strconv.ParseInt(tm, 10, 64)
		if err != nil {
			t.Fatalf("bad sibling time %q", s)
		}
		sb.Time = v
	}
	sb.Value = []byte(val)
	return sb
}

// obj builds an Object from a clock and siblings (in any order; they are
// sorted here, and the result is checked against the invariants).
func obj(t testing.TB, c string, sibs ...string) Object {
	t.Helper()
	o := Object{Clock: clock(t, c)}
	for _, s := range sibs {
		x := sib(t, s)
		i := 0
		for i < len(o.Siblings) && o.Siblings[i].Dot.Compare(x.Dot) < 0 {
			i++
		}
		o.Siblings = append(o.Siblings[:i], append([]Sibling{x}, o.Siblings[i:]...)...)
	}
	if !o.Valid() {
		t.Fatalf("test object violates invariants: %v", fmtObject(o))
	}
	return o
}

// fmtObject renders an object in test notation, with letter actors.
func fmtObject(o Object) string {
	var b strings.Builder
	b.WriteString(fmtClock(o.Clock))
	b.WriteString(" [")
	for i, s := range o.Siblings {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%s@%d", fmtDot(s.Dot), s.Value, s.Time)
	}
	b.WriteString("]")
	return b.String()
}

func fmtActor(a Actor) string {
	if a.Node&(1<<56-1) != 0 || a.Node == 0 || a.Node>>56 > 26 {
		return a.String()
	}
	s := string(rune('a' + a.Node>>56 - 1))
	if a.Epoch != 0 {
		s += fmt.Sprintf(".%d", a.Epoch)
	}
	return s
}

func fmtDot(d Dot) string { return fmt.Sprintf("%s/%d", fmtActor(d.Actor), d.Counter) }

func fmtClock(c Clock) string {
	var parts []string
	for _, e := range c {
		parts = append(parts, fmt.Sprintf("%s=%d", fmtActor(e.Actor), e.Counter))
	}
	return "{" + strings.Join(parts, " ") + "}"
}
