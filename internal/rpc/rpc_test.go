package rpc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestMethods lists the table. A change here changes the protocol between
// releases: numbers are only ever added.
func TestMethods(t *testing.T) {
	var b strings.Builder
	for _, in := range Methods() {
		fmt.Fprintf(&b, "%d %s %s\n", in.Method, in.Name, in.Owner)
	}
	const want = `4 hint replica
5 merge-batch replica
6 read-batch replica
7 read-digests replica
9 ops coordinator
10 read-elements replica
11 elements-digest replica
16 scan coordinator
17 count coordinator
18 flush coordinator
32 roots antientropy
33 nodes antientropy
34 leaf-keys antientropy
48 fetch transfer
49 push transfer
64 node-status node
`
	if got := b.String(); got != want {
		t.Errorf("the method table is\n%s\nwant\n%s", got, want)
	}
	ms := Methods()
	if !slices.IsSortedFunc(ms, func(a, b Info) int { return int(a.Method) - int(b.Method) }) {
		t.Errorf("methods are not listed by number")
	}
	names := map[string]bool{}
	for _, in := range ms {
		if names[in.Name] {
			t.Errorf("name %q twice", in.Name)
		}
		names[in.Name] = true
		if got, ok := Lookup(in.Method); !ok || got != in {
			t.Errorf("Lookup(%d) = %v, %v", in.Method, got, ok)
		}
		if in.Method.String() != in.Name {
			t.Errorf("method %d prints as %q", in.Method, in.Method.String())
		}
	}
	for _, m := range []Method{0, 1, 2, 3, 8, 12, 255} {
		if _, ok := Lookup(m); ok {
			t.Errorf("method %d is declared", m)
		}
	}
	if s := Method(200).String(); s != "method(200)" {
		t.Errorf("an undeclared method prints as %q", s)
	}
}

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), want) {
			t.Errorf("panic %v, want one with %q", r, want)
		}
	}()
	f()
}

func TestNumbersCannotCollide(t *testing.T) {
	mustPanic(t, "method 5 declared twice (a and b)", func() {
		index([]Info{{5, "a", "x"}, {6, "c", "x"}, {5, "b", "y"}}, nil)
	})
	mustPanic(t, "method 1 declared twice (retired and a)", func() {
		index([]Info{{1, "a", "x"}}, []Method{1})
	})
	by := index([]Info{{5, "a", "x"}}, []Method{1})
	if by[1] != nil || by[5] == nil || by[5].Name != "a" {
		t.Errorf("index: %v %v", by[1], by[5])
	}
}

func echo(name string) Handler {
	return func(_ context.Context, from string, req []byte) ([]byte, error) {
		return []byte(name + " from " + from + ": " + string(req)), nil
	}
}

func TestTable(t *testing.T) {
	var tb Table
	tb.Register(MethodHint, echo("hint"))
	tb.Register(MethodPush, echo("push"))
	mustPanic(t, "method 4 (hint) registered twice", func() { tb.Register(MethodHint, echo("again")) })
	mustPanic(t, "method 12 is not declared", func() { tb.Register(12, echo("twelve")) })
	mustPanic(t, "method 1 is not declared", func() { tb.Register(1, echo("retired")) })
	mustPanic(t, "method 3 is not declared", func() { tb.Register(3, echo("retired")) })
	mustPanic(t, "nil handler for method 48 (fetch)", func() { tb.Register(MethodFetch, nil) })

	ctx := context.Background()
	if got, err := tb.Serve(ctx, "n1", MethodPush, []byte("x")); err != nil || string(got) != "push from n1: x" {
		t.Errorf("push: %q, %v", got, err)
	}
	if got, err := tb.Serve(ctx, "n2", MethodHint, nil); err != nil || string(got) != "hint from n2: " {
		t.Errorf("hint: %q, %v", got, err)
	}
	for m, want := range map[Method]string{
		MethodFetch: "unknown internode method 48 (fetch)",
		200:         "unknown internode method 200",
		0:           "unknown internode method 0",
	} {
		_, err := tb.Serve(ctx, "n1", m, nil)
		if err == nil || err.Error() != want || !IsUnknownMethod(err.Error()) {
			t.Errorf("method %d: %v, want %q", m, err, want)
		}
	}
	if IsUnknownMethod(errors.New("coordinator: malformed batch").Error()) {
		t.Error("a handler's error taken for an unknown method")
	}
	// An older release's answer, which newer nodes recognise.
	if !IsUnknownMethod("unknown internode method 7") {
		t.Error("an older node's answer not recognised")
	}
	var names []string
	for _, in := range tb.Registered() {
		names = append(names, in.Name)
	}
	if !slices.Equal(names, []string{"hint", "push"}) {
		t.Errorf("registered %v", names)
	}
}
