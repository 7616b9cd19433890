package version

import (
	"testing"
)

func TestActorCompareAndString(t *testing.T) {
	a := Actor{Node: 0x3f2a9c0011223344, Epoch: 7}
	if got, want := a.String(), "3f2a9c0011223344:7"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got, want := (Actor{Node: 1}).String(), "0000000000000001:0"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	for _, tc := range []struct {
		a, b Actor
		want int
	}{
		{Actor{1, 0}, Actor{1, 0}, 0},
		{Actor{1, 5}, Actor{2, 0}, -1},
		{Actor{2, 0}, Actor{1, 5}, 1},
		{Actor{1, 1}, Actor{1, 2}, -1},
		{Actor{1, 3}, Actor{1, 2}, 1},
		{Actor{^uint64(0), 0}, Actor{0, ^uint32(0)}, 1},
	} {
		if got := tc.a.Compare(tc.b); got != tc.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestClockGetCoversNext(t *testing.T) {
	c := clock(t, "a=3 b=1 c.2=5")
	for _, tc := range []struct {
		dot    string
		covers bool
	}{
		{"a/1", true},
		{"a/3", true},
		{"a/4", false},
		{"b/1", true},
		{"b/2", false},
		{"c/1", false}, // epoch 0 of c is a different actor from c.2
		{"c.2/5", true},
		{"d/1", false},
		{"d/0", true}, // the zero counter names no event; everything covers it
	} {
		if got := c.Covers(dot(t, tc.dot)); got != tc.covers {
			t.Errorf("%s covers %s = %v, want %v", fmtClock(c), tc.dot, got, tc.covers)
		}
	}
	if got := c.Get(actor(t, "c")); got != 0 {
		t.Errorf("Get(c) = %d, want 0", got)
	}
	if got, want := c.Next(actor(t, "a")), dot(t, "a/4"); got != want {
		t.Errorf("Next(a) = %v, want %v", got, want)
	}
	if got, want := c.Next(actor(t, "z")), dot(t, "z/1"); got != want {
		t.Errorf("Next(z) = %v, want %v", got, want)
	}
	var empty Clock
	if !empty.IsEmpty() || c.IsEmpty() {
		t.Errorf("IsEmpty wrong")
	}
}

// TestClockFindLarge exercises the binary-search path of long clocks.
func TestClockFindLarge(t *testing.T) {
	var c Clock
	for i := 25; i >= 0; i -= 2 {
		c = c.Add(Dot{Actor: Actor{Node: uint64(i)}, Counter: uint64(i + 1)})
	}
	if !c.valid() {
		t.Fatalf("invalid clock %v", c)
	}
	for i := 0; i < 27; i++ {
		want := uint64(0)
		if i%2 == 1 {
			want = uint64(i + 1)
		}
		if got := c.Get(Actor{Node: uint64(i)}); got != want {
			t.Errorf("Get(%d) = %d, want %d", i, got, want)
		}
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want Ordering
	}{
		{"", "", Equal},
		{"a=1", "a=1", Equal},
		{"a=1 b=2", "b=2 a=1", Equal},
		{"", "a=1", Before},
		{"a=1", "", After},
		{"a=1", "a=2", Before},
		{"a=2", "a=1", After},
		{"a=1", "a=1 b=1", Before},
		{"a=1 b=1", "b=1", After},
		{"a=1", "b=1", Concurrent},
		{"a=2 b=1", "a=1 b=2", Concurrent},
		{"a=1 c=1", "b=1", Concurrent},
		{"a=3 b=3", "a=3 b=3 c=1", Before},
		{"a=1 b=2 c=3", "a=1 b=2 c=2", After},
		{"a=1 b=5", "a=2 c=1", Concurrent},
		{"a.1=1", "a=1", Concurrent}, // epochs are distinct actors
	} {
		a, b := clock(t, tc.a), clock(t, tc.b)
		if got := Compare(a, b); got != tc.want {
			t.Errorf("Compare({%s}, {%s}) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		// The relation read the other way round.
		inverse := map[Ordering]Ordering{Equal: Equal, Before: After, After: Before, Concurrent: Concurrent}
		if got := Compare(b, a); got != inverse[tc.want] {
			t.Errorf("Compare({%s}, {%s}) = %v, want %v", tc.b, tc.a, got, inverse[tc.want])
		}
		wantDescends := tc.want == Equal || tc.want == After
		if got := a.Descends(b); got != wantDescends {
			t.Errorf("{%s}.Descends({%s}) = %v, want %v", tc.a, tc.b, got, wantDescends)
		}
	}
}

func TestJoinAndAdd(t *testing.T) {
	for _, tc := range []struct {
		a, b, want string
	}{
		{"", "", ""},
		{"a=1", "", "a=1"},
		{"", "b=2", "b=2"},
		{"a=1", "a=3", "a=3"},
		{"a=4", "a=3", "a=4"},
		{"a=1 c=2", "b=5", "a=1 b=5 c=2"},
		{"a=1 b=7 d=1", "b=2 c=3 d=4", "a=1 b=7 c=3 d=4"},
		{"a=1 a.1=2", "a.1=1 a.2=1", "a=1 a.1=2 a.2=1"},
	} {
		a, b := clock(t, tc.a), clock(t, tc.b)
		aCopy, bCopy := append(Clock(nil), a...), append(Clock(nil), b...)
		got := a.Join(b)
		if want := clock(t, tc.want); !got.Equal(want) || !got.valid() {
			t.Errorf("{%s}.Join({%s}) = %s, want {%s}", tc.a, tc.b, fmtClock(got), tc.want)
		}
		if !b.Join(a).Equal(got) {
			t.Errorf("Join not commutative for {%s}, {%s}", tc.a, tc.b)
		}
		// The result never shares an array with the inputs.
		for i := range got {
			got[i].Counter += 100
		}
		if !a.Equal(aCopy) || !b.Equal(bCopy) {
			t.Errorf("Join result aliases its inputs")
		}
	}

	c := clock(t, "a=2 c=1")
	for _, tc := range []struct {
		dot, want string
	}{
		{"a/1", "a=2 c=1"},
		{"a/5", "a=5 c=1"},
		{"b/1", "a=2 b=1 c=1"},
		{"d/3", "a=2 c=1 d=3"},
		{"0/0", "a=2 c=1"},
	} {
		var d Dot
		if tc.dot != "0/0" {
			d = dot(t, tc.dot)
		}
		got := c.Add(d)
		if want := clock(t, tc.want); !got.Equal(want) {
			t.Errorf("Add(%s) = %s, want {%s}", tc.dot, fmtClock(got), tc.want)
		}
		if len(got) > 0 {
			got[0].Counter = 99
		}
		if c.Get(actor(t, "a")) != 2 {
			t.Fatalf("Add modified its receiver")
		}
	}
}
