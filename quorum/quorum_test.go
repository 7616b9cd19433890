package quorum

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/dynago/dynago/version"
)

// The scripts in testdata/ drive one read or write at a time:
//
//	read self=a owners=(a,b,c) fallbacks=(d,e) r=2 [down=(b,...)]
//	write self=a owners=(a,b,c) fallbacks=(d,e) w=2 [down=(...)] [strict]
//	    start an operation; prints Start's requests and its state
//	down b / up b
//	    change the view while it runs
//	reply b [obj=<object>] [gen=N]   (a read; no obj: b holds no copy)
//	fail b
//	ack b / drop b / kept b / local ok|fail   (a write)
//	timeout
//
// Each event prints the requests it returns, one a line, then the state:
// "waiting", "ok" or "NOQUORUM", the counts a NOQUORUM error gives, and,
// for a decided read that reached R, its merged copy.
//
// An object is its siblings joined by "|", each value@<actor><counter>
// (v1@a1: value v1 written as the first event of actor a), with ~<actor><counter>
// for a clock entry that is no sibling's (~a2 alone is a tombstone). Its
// clock is the join of those dots.
func TestScripts(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var s script
		datadriven.RunTest(t, path, s.run)
	})
}

// script is the state of one testdata file: the operation in progress and
// the view it sees.
type script struct {
	view  *testView
	read  *Read
	write *Write
}

// testView is View's in-memory twin: a set of down nodes and a fallback
// list. It fails the test if an operation asks for the fallbacks twice.
type testView struct {
	t         *testing.T
	down      map[string]bool
	fallbacks []string
	listed    int
}

func (v *testView) Down(name string) bool { return v.down[name] }

func (v *testView) Fallbacks() []string {
	v.listed++
	if v.listed > 1 {
		v.t.Errorf("Fallbacks asked %d times", v.listed)
	}
	return slices.Clone(v.fallbacks)
}

func (s *script) run(t *testing.T, d *datadriven.TestData) string {
	var out []Request
	switch d.Cmd {
	case "read", "write":
		s.view = &testView{t: t, down: map[string]bool{}}
		var self string
		var owners, down []string
		d.ScanArgs(t, "self", &self)
		d.ScanArgs(t, "owners", &owners)
		d.MaybeScanArgs(t, "fallbacks", &s.view.fallbacks)
		d.MaybeScanArgs(t, "down", &down)
		for _, n := range down {
			s.view.down[n] = true
		}
		s.read, s.write = nil, nil
		if d.Cmd == "read" {
			var r int
			d.ScanArgs(t, "r", &r)
			s.read = NewRead(ReadConfig{Self: self, Owners: owners, R: r, Strict: d.HasArg("strict"), View: s.view})
			out = s.read.Start()
		} else {
			var w int
			d.ScanArgs(t, "w", &w)
			s.write = NewWrite(WriteConfig{Self: self, Owners: owners, W: w, Strict: d.HasArg("strict"), View: s.view})
			out = s.write.Start()
		}
	case "down", "up":
		for _, a := range d.CmdArgs {
			s.view.down[a.Key] = d.Cmd == "down"
		}
		return "ok"
	case "timeout":
		if s.read != nil {
			s.read.Timeout()
		} else {
			s.write.Timeout()
		}
	case "local":
		s.write.Local(d.HasArg("ok"))
	default:
		if len(d.CmdArgs) == 0 {
			d.Fatalf(t, "%s: name the node", d.Cmd)
		}
		from := d.CmdArgs[0].Key
		switch d.Cmd {
		case "reply":
			var res Result
			if d.HasArg("obj") {
				var spec string
				d.ScanArgs(t, "obj", &spec)
				res.Object, res.Found = parseObject(t, spec), true
			}
			d.MaybeScanArgs(t, "gen", &res.Gen)
			out = s.read.Reply(from, res)
		case "fail":
			if s.read != nil {
				out = s.read.Fail(from)
			} else {
				out = s.write.Fail(from)
			}
		case "ack":
			s.write.Ack(from)
		case "drop":
			s.write.Dropped(from)
		case "kept":
			s.write.Kept(from)
		default:
			d.Fatalf(t, "unknown command %s", d.Cmd)
		}
	}
	var b strings.Builder
	for _, r := range out {
		fmt.Fprintln(&b, r)
	}
	b.WriteString(s.state())
	return b.String()
}

// state renders the operation's state.
func (s *script) state() string {
	var decided, reached, complete bool
	var c Counts
	if s.read != nil {
		decided, reached, complete, c = s.read.Decided(), s.read.Reached(), s.read.Complete(), s.read.Counts()
	} else {
		decided, reached, complete, c = s.write.Decided(), s.write.Reached(), s.write.Complete(), s.write.Counts()
	}
	state := "waiting"
	switch {
	case decided && reached:
		state = "ok"
	case decided:
		state = "NOQUORUM"
	}
	line := fmt.Sprintf("%s: %d of %d required answered (%d replicas)", state, c.Answered, c.Required, c.Replicas)
	if s.read != nil && decided && reached {
		o, found := s.read.Merged()
		line += "; merged " + formatObject(o, found)
	}
	if s.write != nil && !s.write.localIn {
		line += "; local pending"
	}
	if complete {
		line += "; complete"
	}
	return line
}

// parseObject reads an object in the scripts' notation.
func parseObject(t testing.TB, spec string) version.Object {
	t.Helper()
	var o version.Object
	for _, part := range strings.Split(spec, "|") {
		value, dotSpec, sibling := strings.Cut(part, "@")
		if !sibling {
			dotSpec = strings.TrimPrefix(part, "~")
		}
		dot := parseDot(t, dotSpec)
		o.Clock = o.Clock.Add(dot)
		if sibling {
			o.Siblings = append(o.Siblings, version.Sibling{Dot: dot, Value: []byte(value)})
		}
	}
	slices.SortFunc(o.Siblings, func(a, b version.Sibling) int { return a.Dot.Compare(b.Dot) })
	if !o.Valid() {
		t.Fatalf("object %q is not valid", spec)
	}
	return o
}

// parseDot reads a dot: one letter, the actor, then its counter.
func parseDot(t testing.TB, s string) version.Dot {
	t.Helper()
	if len(s) < 2 || s[0] < 'a' || s[0] > 'z' {
		t.Fatalf("dot %q: want an actor letter and a counter", s)
	}
	n, err := strconv.ParseUint(s[1:], 10, 64)
	if err != nil || n == 0 {
		t.Fatalf("dot %q: bad counter", s)
	}
	return version.Dot{Actor: version.Actor{Node: uint64(s[0])}, Counter: n}
}

// formatObject writes an object in the scripts' notation.
func formatObject(o version.Object, found bool) string {
	if !found {
		return "none"
	}
	dot := func(d version.Dot) string { return fmt.Sprintf("%c%d", rune(d.Actor.Node), d.Counter) }
	var parts []string
	for _, s := range o.Siblings {
		parts = append(parts, string(s.Value)+"@"+dot(s.Dot))
	}
	for _, e := range o.Clock {
		d := version.Dot{Actor: e.Actor, Counter: e.Counter}
		if !slices.ContainsFunc(o.Siblings, func(s version.Sibling) bool { return s.Dot == d }) {
			parts = append(parts, "~"+dot(d))
		}
	}
	return strings.Join(parts, "|")
}
