package version

import (
	"strings"
	"testing"
)

func TestUpdate(t *testing.T) {
	type objSpec struct {
		clock string
		sibs  []string
	}
	for _, tc := range []struct {
		name string
		in   objSpec
		ctx  string
		dot  string
		val  string // "" with del=false is an empty value
		del  bool
		want objSpec
	}{
		{
			name: "first write",
			ctx:  "", dot: "a/1", val: "x",
			want: objSpec{"a=1", []string{"a/1:x"}},
		},
		{
			name: "write that read supersedes",
			in:   objSpec{"a=1", []string{"a/1:x"}},
			ctx:  "a=1", dot: "a/2", val: "y",
			want: objSpec{"a=2", []string{"a/2:y"}},
		},
		{
			name: "blind write becomes a sibling",
			in:   objSpec{"a=1", []string{"a/1:x"}},
			ctx:  "", dot: "a/2", val: "y",
			want: objSpec{"a=2", []string{"a/1:x", "a/2:y"}},
		},
		{
			name: "context supersedes only what it covers",
			in:   objSpec{"a=2 b=1", []string{"a/2:x", "b/1:y"}},
			ctx:  "a=2", dot: "b/2", val: "z",
			want: objSpec{"a=2 b=2", []string{"b/1:y", "b/2:z"}},
		},
		{
			name: "context covering all siblings resolves them",
			in:   objSpec{"a=2 b=1", []string{"a/2:x", "b/1:y"}},
			ctx:  "a=2 b=1", dot: "b/2", val: "z",
			want: objSpec{"a=2 b=2", []string{"b/2:z"}},
		},
		{
			name: "stale context keeps the newer same-actor sibling",
			in:   objSpec{"a=2", []string{"a/1:x", "a/2:y"}},
			ctx:  "a=1", dot: "a/3", val: "z",
			want: objSpec{"a=3", []string{"a/2:y", "a/3:z"}},
		},
		{
			name: "context from another replica joins the clock",
			in:   objSpec{"a=1", []string{"a/1:x"}},
			ctx:  "b=3", dot: "a/2", val: "z",
			want: objSpec{"a=2 b=3", []string{"a/1:x", "a/2:z"}},
		},
		{
			name: "new sibling sorted among old ones",
			in:   objSpec{"b=1 c=1", []string{"b/1:y", "c/1:w"}},
			ctx:  "", dot: "a/1", val: "x",
			want: objSpec{"a=1 b=1 c=1", []string{"a/1:x", "b/1:y", "c/1:w"}},
		},
		{
			name: "new sibling sorted in the middle",
			in:   objSpec{"a=1 c=1", []string{"a/1:x", "c/1:w"}},
			ctx:  "", dot: "b/1", val: "y",
			want: objSpec{"a=1 b=1 c=1", []string{"a/1:x", "b/1:y", "c/1:w"}},
		},
		{
			name: "empty value is a value",
			ctx:  "", dot: "a/1", val: "",
			want: objSpec{"a=1", []string{"a/1:"}},
		},
		{
			name: "delete leaves a tombstone",
			in:   objSpec{"a=1", []string{"a/1:x"}},
			ctx:  "a=1", dot: "a/2", del: true,
			want: objSpec{"a=2", nil},
		},
		{
			name: "delete with a stale context keeps unseen siblings",
			in:   objSpec{"a=2", []string{"a/1:x", "a/2:y"}},
			ctx:  "a=1", dot: "a/3", del: true,
			want: objSpec{"a=3", []string{"a/2:y"}},
		},
		{
			name: "delete of an absent key",
			ctx:  "", dot: "a/1", del: true,
			want: objSpec{"a=1", nil},
		},
		{
			name: "write over a tombstone",
			in:   objSpec{"a=2", nil},
			ctx:  "a=2", dot: "b/1", val: "x",
			want: objSpec{"a=2 b=1", []string{"b/1:x"}},
		},
		{
			name: "a dot already present is replaced",
			in:   objSpec{"a=1", []string{"a/1:x"}},
			ctx:  "", dot: "a/1", val: "y",
			want: objSpec{"a=1", []string{"a/1:y"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := obj(t, tc.in.clock, tc.in.sibs...)
			before := fmtObject(in)
			var s *Sibling
			if !tc.del {
				// The dot in *s is ignored; Update sets it.
				s = &Sibling{Dot: dot(t, "z/99"), Value: []byte(tc.val)}
			}
			d := dot(t, tc.dot)
			got := in.Update(clock(t, tc.ctx), d, s)
			// Times follow the sibling notation's default (dot counter).
			for i := range got.Siblings {
				if got.Siblings[i].Dot == d {
					got.Siblings[i].Time = int64(d.Counter)
				}
			}
			want := obj(t, tc.want.clock, tc.want.sibs...)
			if !got.Equal(want) {
				t.Errorf("got  %s\nwant %s", fmtObject(got), fmtObject(want))
			}
			if !got.Valid() {
				t.Errorf("result violates invariants: %s", fmtObject(got))
			}
			if fmtObject(in) != before {
				t.Errorf("Update modified its receiver: %s -> %s", before, fmtObject(in))
			}
			if got.IsTombstone() != (len(tc.want.sibs) == 0) {
				t.Errorf("IsTombstone = %v", got.IsTombstone())
			}
		})
	}
}

func TestMerge(t *testing.T) {
	type objSpec struct {
		clock string
		sibs  []string
	}
	for _, tc := range []struct {
		name       string
		a, b, want objSpec
	}{
		{
			name: "both empty",
		},
		{
			name: "one side empty",
			a:    objSpec{"a=1", []string{"a/1:x"}},
			want: objSpec{"a=1", []string{"a/1:x"}},
		},
		{
			name: "same state",
			a:    objSpec{"a=1 b=1", []string{"a/1:x", "b/1:y"}},
			b:    objSpec{"a=1 b=1", []string{"a/1:x", "b/1:y"}},
			want: objSpec{"a=1 b=1", []string{"a/1:x", "b/1:y"}},
		},
		{
			name: "newer supersedes older",
			a:    objSpec{"a=2", []string{"a/2:y"}},
			b:    objSpec{"a=1", []string{"a/1:x"}},
			want: objSpec{"a=2", []string{"a/2:y"}},
		},
		{
			name: "concurrent writes become siblings",
			a:    objSpec{"a=1", []string{"a/1:x"}},
			b:    objSpec{"b=1", []string{"b/1:y"}},
			want: objSpec{"a=1 b=1", []string{"a/1:x", "b/1:y"}},
		},
		{
			name: "tombstone supersedes what it deleted",
			a:    objSpec{"a=2", nil},
			b:    objSpec{"a=1", []string{"a/1:x"}},
			want: objSpec{"a=2", nil},
		},
		{
			name: "write concurrent with a delete survives it",
			a:    objSpec{"a=2", nil},
			b:    objSpec{"a=1 b=1", []string{"a/1:x", "b/1:z"}},
			want: objSpec{"a=2 b=1", []string{"b/1:z"}},
		},
		{
			name: "old tombstone loses to a later write",
			a:    objSpec{"a=2", nil},
			b:    objSpec{"a=2 b=1", []string{"b/1:z"}},
			want: objSpec{"a=2 b=1", []string{"b/1:z"}},
		},
		{
			name: "sibling both sides hold survives, superseded one does not",
			a:    objSpec{"a=1 b=1", []string{"a/1:x", "b/1:y"}},
			b:    objSpec{"a=1 b=1", []string{"b/1:y"}},
			want: objSpec{"a=1 b=1", []string{"b/1:y"}},
		},
		{
			name: "same actor, interleaved knowledge",
			a:    objSpec{"a=3", []string{"a/1:x", "a/3:z"}},
			b:    objSpec{"a=2", []string{"a/1:x", "a/2:y"}},
			want: objSpec{"a=3", []string{"a/1:x", "a/3:z"}},
		},
		{
			name: "three actors",
			a:    objSpec{"a=2 b=1", []string{"a/2:p", "b/1:q"}},
			b:    objSpec{"b=2 c=1", []string{"b/2:r", "c/1:s"}},
			want: objSpec{"a=2 b=2 c=1", []string{"a/2:p", "b/2:r", "c/1:s"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := obj(t, tc.a.clock, tc.a.sibs...)
			b := obj(t, tc.b.clock, tc.b.sibs...)
			want := obj(t, tc.want.clock, tc.want.sibs...)
			if got := Merge(a, b); !got.Equal(want) || !got.Valid() {
				t.Errorf("Merge(a, b)\ngot  %s\nwant %s", fmtObject(got), fmtObject(want))
			}
			if got := Merge(b, a); !got.Equal(want) {
				t.Errorf("Merge(b, a)\ngot  %s\nwant %s", fmtObject(got), fmtObject(want))
			}
			if got := Merge(a, a); !got.Equal(a) {
				t.Errorf("Merge(a, a) = %s, want %s", fmtObject(got), fmtObject(a))
			}
			if got := Merge(want, a); !got.Equal(want) {
				t.Errorf("Merge(result, a) = %s, want %s", fmtObject(got), fmtObject(want))
			}
		})
	}
}

// TestMergeSameDotDifferentContent checks that a dot carrying two different
// values (which only corrupt input produces) still merges deterministically.
func TestMergeSameDotDifferentContent(t *testing.T) {
	a := obj(t, "a=1", "a/1:x")
	b := obj(t, "a=1", "a/1:y")
	ab, ba := Merge(a, b), Merge(b, a)
	if !ab.Equal(ba) || !ab.Equal(b) {
		t.Errorf("Merge(a, b) = %s, Merge(b, a) = %s; want both %s", fmtObject(ab), fmtObject(ba), fmtObject(b))
	}
}

func TestTombstone(t *testing.T) {
	for _, tc := range []struct {
		o    Object
		want bool
	}{
		{Object{}, false},
		{obj(t, "a=1"), true},
		{obj(t, "a=1", "a/1:x"), false},
		{obj(t, "a=1").Update(nil, dot(t, "b/1"), &Sibling{Value: []byte("v")}), false},
		{obj(t, "a=1", "a/1:x").Update(clock(t, "a=1"), dot(t, "a/2"), nil), true},
	} {
		if got := tc.o.IsTombstone(); got != tc.want {
			t.Errorf("%s.IsTombstone() = %v, want %v", fmtObject(tc.o), got, tc.want)
		}
	}
	// A tombstone stays a tombstone through syncs with the state it deleted.
	old := obj(t, "a=1 b=1", "a/1:x", "b/1:y")
	del := old.Update(old.Clock, dot(t, "c/1"), nil)
	if m := Merge(old, del); !m.IsTombstone() {
		t.Errorf("Merge(old, delete) = %s, want a tombstone", fmtObject(m))
	}
	if _, ok := del.Newest(0); ok {
		t.Errorf("tombstone has a newest sibling")
	}
}

func TestNewest(t *testing.T) {
	for _, tc := range []struct {
		name string
		sibs []string
		exp  map[string]int64 // sibling value -> Expiry
		now  int64
		want string // value, or "" for none
	}{
		{name: "none"},
		{name: "single", sibs: []string{"a/1:x"}, want: "x"},
		{name: "greatest time", sibs: []string{"a/1:x@30", "b/1:y@20", "c/1:z@10"}, want: "x"},
		{name: "greatest time regardless of actor", sibs: []string{"a/1:x@10", "b/1:y@30", "c/1:z@20"}, want: "y"},
		{name: "time tie broken by actor", sibs: []string{"a/9:x@5", "c/1:z@5", "b/1:y@5"}, want: "z"},
		{name: "time tie broken by epoch", sibs: []string{"a.1/1:x@5", "a.2/1:y@5"}, want: "y"},
		{name: "time and actor tie broken by counter", sibs: []string{"a/2:x@5", "a/7:y@5", "a/3:z@5"}, want: "y"},
		{name: "negative times", sibs: []string{"a/1:x@-5", "b/1:y@-7"}, want: "x"},
		{
			name: "expired newest is skipped",
			sibs: []string{"a/1:x@30", "b/1:y@20"},
			exp:  map[string]int64{"x": 100},
			now:  100,
			want: "y",
		},
		{
			name: "not yet expired",
			sibs: []string{"a/1:x@30", "b/1:y@20"},
			exp:  map[string]int64{"x": 101},
			now:  100,
			want: "x",
		},
		{
			name: "all expired",
			sibs: []string{"a/1:x@30", "b/1:y@20"},
			exp:  map[string]int64{"x": 50, "y": 60},
			now:  100,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clockStr := ""
			for _, s := range tc.sibs {
				d := sib(t, s).Dot
				clockStr += " " + fmtActor(d.Actor) + "=9"
			}
			o := obj(t, clockStr, tc.sibs...)
			for i := range o.Siblings {
				o.Siblings[i].Expiry = tc.exp[string(o.Siblings[i].Value)]
			}
			got, ok := o.Newest(tc.now)
			if ok != (tc.want != "") || string(got.Value) != tc.want {
				t.Errorf("Newest = %q, %v; want %q", got.Value, ok, tc.want)
			}
		})
	}
}

func TestLive(t *testing.T) {
	o := obj(t, "a=4", "a/1:p", "a/2:q", "a/3:r", "a/4:s")
	o.Siblings[0].Expiry = 10 // expired at 10
	o.Siblings[2].Expiry = 11
	o.Siblings[3].Expiry = -1 // a negative expiry is in the past
	names := func(ss []Sibling) string {
		var b strings.Builder
		for _, s := range ss {
			b.Write(s.Value)
		}
		return b.String()
	}
	for _, tc := range []struct {
		now  int64
		want string
	}{
		{0, "pqr"},
		{9, "pqr"},
		{10, "qr"},
		{11, "q"},
	} {
		if got := names(o.Live(tc.now)); got != tc.want {
			t.Errorf("Live(%d) = %q, want %q", tc.now, got, tc.want)
		}
	}
	fresh := obj(t, "a=2", "a/1:x", "a/2:y")
	if got := fresh.Live(1 << 40); len(got) != 2 {
		t.Errorf("Live of never-expiring siblings = %d siblings", len(got))
	}
	if !(Sibling{Expiry: 5}).Expired(5) || (Sibling{}).Expired(1<<62) || (Sibling{Expiry: 6}).Expired(5) {
		t.Errorf("Expired boundary wrong")
	}
}
