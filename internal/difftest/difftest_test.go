package difftest

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
)

var update = flag.Bool("update", false, "rewrite docs/redis-differences.md from Intended")

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := Generate(7, 300), Generate(7, 300)
	if !slices.EqualFunc(a, b, func(x, y Cmd) bool { return slices.Equal(x, y) }) {
		t.Fatal("the same seed gave two streams")
	}
	if c := Generate(8, 300); slices.EqualFunc(a, c, func(x, y Cmd) bool { return slices.Equal(x, y) }) {
		t.Fatal("seeds 7 and 8 gave the same stream")
	}
	for _, c := range a {
		if len(c) == 0 {
			t.Fatal("an empty command")
		}
	}
}

func TestEncodeRESP(t *testing.T) {
	got := EncodeRESP([]Cmd{{"SET", "k", "a\r\nb"}, {""}})
	want := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n*1\r\n$0\r\n\r\n"
	if string(got) != want {
		t.Fatalf("EncodeRESP = %q, want %q", got, want)
	}
}

func TestCmdStringQuotesForRedisCLI(t *testing.T) {
	for _, tc := range []struct {
		c    Cmd
		want string
	}{
		{Cmd{"SET", "k", "v"}, `SET k v`},
		{Cmd{"SET", "", "a b"}, `SET "" "a b"`},
		{Cmd{"SET", "k", "\x00\xff\r\n\t\"\\'"}, `SET k "\x00\xff\r\n\t\"\\'"`},
	} {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("%q.String() = %s, want %s", []string(tc.c), got, tc.want)
		}
	}
}

func TestReadReply(t *testing.T) {
	in := "+OK\r\n-ERR x\r\n:-5\r\n$3\r\nabc\r\n$-1\r\n*-1\r\n*2\r\n$0\r\n\r\n:1\r\n" +
		"_\r\n,1.5\r\n#t\r\n%1\r\n$1\r\nk\r\n$1\r\nv\r\n~1\r\n+a\r\n=7\r\ntxt:abc\r\n(123\r\n|1\r\n+x\r\n+y\r\n:9\r\n"
	want := []string{`+OK`, `-ERR x`, `:-5`, `"abc"`, `$-1`, `*-1`, `*["", :1]`,
		`_`, `,1.5`, `#t`, `%{"k": "v"}`, `~[+a]`, `="txt:abc"`, `(123`, `:9`}
	rd := bufio.NewReader(strings.NewReader(in))
	for _, w := range want {
		r, err := readReply(rd)
		if err != nil {
			t.Fatalf("reading %s: %v", w, err)
		}
		if r.String() != w {
			t.Errorf("got %s, want %s", r, w)
		}
	}
	for _, bad := range []string{"?\r\n", "$5\r\nab\r\n", ":x\r\n", "*1\r\n", "$-2\r\n", "%-1\r\n"} {
		if _, err := readReply(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestRepliesDifferByType(t *testing.T) {
	nullBulk, nullArray, null3, empty := Reply{Type: '$', Null: true}, Reply{Type: '*', Null: true}, Reply{Type: '_'}, Reply{Type: '$'}
	for _, pair := range [][2]Reply{{nullBulk, nullArray}, {nullBulk, null3}, {nullBulk, empty}, {Reply{Type: '+', Str: "OK"}, Reply{Type: '$', Str: "OK"}}} {
		if pair[0].Equal(pair[1]) {
			t.Errorf("%s equals %s", pair[0], pair[1])
		}
	}
}

func TestShrinkFindsTheCulprits(t *testing.T) {
	var cmds []Cmd
	for i := range 100 {
		cmds = append(cmds, Cmd{"C", string(rune('a' + i%26)), strings.Repeat("x", i)})
	}
	// The "mismatch" needs commands 17 and 60, in that order.
	still := func(c []Cmd) bool {
		i := slices.IndexFunc(c, func(x Cmd) bool { return len(x[2]) == 17 })
		j := slices.IndexFunc(c, func(x Cmd) bool { return len(x[2]) == 60 })
		return i >= 0 && j > i
	}
	got := shrink(cmds, still, nil)
	if len(got) != 2 || len(got[0][2]) != 17 || len(got[1][2]) != 60 {
		t.Fatalf("shrink kept %d commands: %v", len(got), got)
	}
}

func TestExpiryWindows(t *testing.T) {
	var e expiries
	e.record(Cmd{"SET", "k1", "v", "PX", "20"}, 1000, 1005)
	e.record(Cmd{"EXPIRE", "k2", "100000"}, 1000, 1005)
	e.record(Cmd{"SET", "k3", "v", "EX", "0"}, 1000, 1005)             // refused: no window
	e.record(Cmd{"PEXPIREAT", "k4", "4102444800000"}, 1000, 1005)      // far future
	e.record(Cmd{"SET", "k5", "v", "ex", "1", "PX", "50"}, 1000, 1001) // both options count
	if got := e.touched(Cmd{"GET", "k1"}); !slices.Equal(got, []string{"k1"}) {
		t.Fatalf("GET k1 touches %q", got)
	}
	if got := e.touched(Cmd{"DBSIZE"}); len(got) != 4 {
		t.Fatalf("DBSIZE touches %q, want every tracked key", got)
	}
	// k1's window is [1017, 1028]: a command at 1010 with a 500 ms guard waits it out.
	if until := e.waitUntil([]string{"k1"}, 1010, 500); until != 1005+20+clockSlack {
		t.Fatalf("wait until %d", until)
	}
	if until := e.waitUntil([]string{"k2"}, 1010, 500); until != 0 {
		t.Fatalf("a far expiry made the runner wait until %d", until)
	}
	if gone := e.passed([]string{"k1", "k2"}, 2000); !slices.Equal(gone, []string{"k1"}) {
		t.Fatalf("passed = %q", gone)
	}
	// k5 has two windows: PX 50's is near, EX 1's beyond the guard.
	if until := e.waitUntil([]string{"k5"}, 1010, 500); until != 1001+50+clockSlack {
		t.Fatalf("k5: wait until %d, want the end of the near window", until)
	}
	if until := e.waitUntil([]string{"k5"}, 1600, 500); until != 1001+1000+clockSlack {
		t.Fatalf("k5: wait until %d, want the end of the second window", until)
	}
}

// TestExpireOrderTie: EXPIRE ... GT compares a relative deadline with the
// key's own; one server may find them equal and the other a millisecond
// apart. Only such a possible tie excuses a different reply.
func TestExpireOrderTie(t *testing.T) {
	s := &session{}
	s.exp.record(Cmd{"SETEX", "k", "3600", "v"}, 1000, 1004)
	s.sent, s.answered = 1006, 1009
	zero, one := Reply{Type: ':', Int: 0}, Reply{Type: ':', Int: 1}
	for _, tc := range []struct {
		c  Cmd
		ok bool
	}{
		{Cmd{"EXPIRE", "k", "3600", "GT"}, true},  // the same duration, a few ms later
		{Cmd{"expire", "k", "3600", "lt"}, true},  // in any case
		{Cmd{"EXPIRE", "k", "3601", "GT"}, false}, // a second apart: no tie
		{Cmd{"EXPIRE", "k", "3600"}, false},       // no comparison
		{Cmd{"EXPIRE", "other", "3600", "GT"}, false},
		{Cmd{"PEXPIREAT", "k", "3601002", "GT"}, true}, // absolute, inside the window
		{Cmd{"PEXPIREAT", "k", "3602000", "GT"}, false},
	} {
		if ok, _ := compareExpireOrder(s, tc.c, zero, one); ok != tc.ok {
			t.Errorf("%s: 0 against 1 accepted %v, want %v", tc.c, ok, tc.ok)
		}
		if ok, _ := compareExpireOrder(s, tc.c, one, one); !ok {
			t.Errorf("%s: equal replies refused", tc.c)
		}
	}
}

func TestSpecsHaveUniqueNames(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Specs {
		if seen[s.Name] {
			t.Errorf("spec %s twice", s.Name)
		}
		seen[s.Name] = true
		if _, excluded := NotGenerated(s.Name); excluded {
			t.Errorf("spec %s is listed as not generated in Intended", s.Name)
		}
	}
}

func TestDocsMatchIntended(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "docs", "redis-differences.md")
	want := Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is not Intended's rendering; run go test ./internal/difftest -run TestDocsMatchIntended -update", path)
	}
}

// generatedNames are the command names (with subcommands) that streams of
// many seeds contain.
func generatedNames() map[string]bool {
	names := map[string]bool{}
	for seed := range uint64(20) {
		for _, c := range Generate(seed, 2000) {
			names[c.FullName()] = true
			names[c.Name()] = true
		}
	}
	return names
}

// TestSpecsCoverCommandTable holds the generator to Dynago's command table:
// every command and subcommand a node reports in COMMAND is generated,
// unless Intended says why not. A command added to the table without a spec
// fails here.
func TestSpecsCoverCommandTable(t *testing.T) {
	node := testserver.Start(t)
	c, err := dial(node.Addr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	all, err := c.must("COMMAND")
	if err != nil {
		t.Fatal(err)
	}
	var table []string
	for _, e := range all.Elems {
		if len(e.Elems) < 10 {
			t.Fatalf("COMMAND entry %s", e)
		}
		table = append(table, e.Elems[0].Str)
		for _, sub := range e.Elems[9].Elems {
			table = append(table, sub.Elems[0].Str)
		}
	}
	if len(table) < 40 {
		t.Fatalf("COMMAND lists only %d commands", len(table))
	}
	generated := generatedNames()
	for _, name := range table {
		d, excluded := NotGenerated(name)
		switch {
		case excluded && generated[name]:
			t.Errorf("%s is generated, yet Intended (%s) says it is not", name, d.ID)
		case !excluded && !generated[name]:
			t.Errorf("%s is in Dynago's command table but the generator never sends it: add a spec (specs.go), or a reason to Intended", name)
		}
	}
	for _, d := range Intended {
		for _, name := range d.NotGenerated {
			if !strings.HasSuffix(name, "|*") && !slices.Contains(table, name) {
				t.Errorf("Intended %s excludes %s, which Dynago does not have", d.ID, name)
			}
		}
	}
}

// TestDifferential is the bounded run of make test: seeds × commands on a
// real redis-server and an in-process Dynago node; any mismatch that
// Intended does not explain fails it, printed shrunk with its seed.
func TestDifferential(t *testing.T) {
	seeds, commands := 20, 500
	if testing.Short() {
		seeds = 5
	}
	// The streams mostly wait: for round trips, and for the short expiries
	// they set to pass (see Config.Guard). Lanes of seeds run side by side,
	// each on a redis-server and a Dynago node of its own, since a stream
	// flushes and reconfigures the servers it runs on. They run in
	// goroutines rather than as parallel tests, which -parallel
	// (GOMAXPROCS by default) would let run only a few at a time.
	const lanes = 4
	var running sync.WaitGroup
	for lane := range lanes {
		running.Go(func() {
			t.Run(fmt.Sprintf("lane%d", lane), func(t *testing.T) {
				r := ForTest(t)
				node := testserver.Start(t)
				var log bytes.Buffer
				runner := New(Config{Redis: r.Addr, Dynago: node.Addr(), Log: &log})
				if err := runner.Prepare(); err != nil {
					t.Fatal(err)
				}
				start, ran := time.Now(), 0
				for seed := uint64(1 + lane); seed <= uint64(seeds); seed += lanes {
					m, err := runner.Check(seed, commands)
					if err != nil {
						t.Fatalf("seed %d: %v", seed, err)
					}
					if m != nil {
						t.Errorf("%s\nrerun: go run ./cmd/dynago-difftest -seed %d -seeds 1 -commands %d", m, seed, commands)
					}
					ran++
				}
				t.Logf("%d seeds x %d commands in %v", ran, commands, time.Since(start).Round(time.Millisecond))
			})
		})
	}
	running.Wait()
}

// TestRunnerFindsAndShrinksAMismatch plants a bug: "Dynago" is a proxy to a
// second redis-server that drops the last byte of every non-empty GETRANGE
// reply. The runner must find it and shrink it to a few commands ending in
// that GETRANGE.
func TestRunnerFindsAndShrinksAMismatch(t *testing.T) {
	ref, other := ForTest(t), ForTest(t)
	for _, r := range []*RedisServer{ref, other} { // as Prepare would: no 512 MB strings
		c, err := dial(r.Addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.must("CONFIG", "SET", "proto-max-bulk-len", "16777216"); err != nil {
			t.Fatal(err)
		}
		c.close()
	}
	proxy := startProxy(t, other.Addr, func(c Cmd, r Reply) Reply {
		if c.Name() == "getrange" && r.Type == '$' && len(r.Str) > 0 {
			r.Str = r.Str[:len(r.Str)-1]
		}
		return r
	})
	runner := New(Config{Redis: ref.Addr, Dynago: proxy})
	var m *Mismatch
	for seed := uint64(1); seed <= 10 && m == nil; seed++ {
		var err error
		if m, err = runner.Check(seed, 300); err != nil {
			t.Fatal(err)
		}
	}
	if m == nil {
		t.Fatal("no mismatch found in 10 seeds")
	}
	last := m.Last()
	if last.Cmd.Name() != "getrange" || !m.Reproduced || !m.Shrunk {
		t.Fatalf("found %s (reproduced %v, shrunk %v), want a shrunk GETRANGE:\n%s", last.Cmd, m.Reproduced, m.Shrunk, m)
	}
	if len(m.Steps) > 3 {
		t.Errorf("shrunk to %d commands; a write and the GETRANGE suffice:\n%s", len(m.Steps), m)
	}
	out := m.String()
	for _, want := range []string{"seed ", "GETRANGE differs", last.Cmd.String(), "redis:  " + last.Redis.String()} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// startProxy serves RESP on a loopback port, passing each command to addr
// and its reply back through alter.
func startProxy(t *testing.T, addr string, alter func(Cmd, Reply) Reply) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				up, err := dial(addr, 10*time.Second)
				if err != nil {
					return
				}
				defer up.close()
				rd := bufio.NewReader(nc)
				for {
					c, err := readCommand(rd)
					if err != nil {
						return
					}
					r, err := up.do(c)
					if err != nil || r.Type == Closed {
						return
					}
					if _, err := nc.Write(appendReply(nil, alter(c, r))); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// readCommand reads one command as EncodeRESP writes it.
func readCommand(rd *bufio.Reader) (Cmd, error) {
	r, err := readReply(rd)
	if err != nil {
		return nil, err
	}
	if r.Type != '*' {
		return nil, errProtocol
	}
	c := make(Cmd, len(r.Elems))
	for i, e := range r.Elems {
		c[i] = e.Str
	}
	return c, nil
}

// appendReply encodes r as the server sent it.
func appendReply(b []byte, r Reply) []byte {
	line := func(t byte, s string) []byte { return append(append(append(b, t), s...), '\r', '\n') }
	switch r.Type {
	case '+', '-', ',', '(', '#':
		return line(r.Type, r.Str)
	case '_':
		return line('_', "")
	case ':':
		return line(':', strconv.FormatInt(r.Int, 10))
	case '$', '!', '=':
		if r.Null {
			return line('$', "-1")
		}
		b = line(r.Type, strconv.Itoa(len(r.Str)))
		return append(append(b, r.Str...), '\r', '\n')
	}
	if r.Null {
		return line('*', "-1")
	}
	n := len(r.Elems)
	if r.Type == '%' {
		n /= 2
	}
	b = line(r.Type, strconv.Itoa(n))
	for _, e := range r.Elems {
		b = appendReply(b, e)
	}
	return b
}
