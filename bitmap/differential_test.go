package bitmap_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/dynago/dynago/bitmap"
	"github.com/dynago/dynago/internal/difftest"
)

// maxBytes is the reference server's proto-max-bulk-len: its smallest
// allowed value, so that offsets past it are cheap to reach.
const maxBytes = 1 << 20

// diffSeeds is how many random streams TestDifferential runs; more find
// rarer differences (go test ./bitmap -run Differential -args -seeds=200).
var diffSeeds = flag.Int("seeds", 4, "random command streams TestDifferential runs")

// TestDifferential sends random bit commands, valid and not, to a real
// redis-server and to an in-memory model wired from this package the way a
// caller would wire it, and compares every reply and, after each command,
// the keys' types and values.
func TestDifferential(t *testing.T) {
	client := startRedis(t)
	ctx := context.Background()
	seeds, commands := *diffSeeds, 1500
	if testing.Short() {
		seeds = 1
	}
	for seed := range uint64(seeds) {
		if err := client.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		m := model{}
		g := gen{rand.New(rand.NewPCG(seed, 42))}
		var history []string
		stats := map[string]int{} // replies by command and kind, shown with -v
		defer func() {
			if !testing.Verbose() {
				return
			}
			for _, k := range slices.Sorted(maps.Keys(stats)) {
				t.Logf("seed %d: %5d %s", seed, stats[k], k)
			}
		}()
		for range commands {
			args := g.command()
			history = append(history, show(args))
			want := m.do(args)
			got := normalize(client.Do(ctx, anys(args)...).Result())
			if got != want {
				t.Fatalf("seed %d: %s\nredis: %s\nmodel: %s\nafter:\n%s", seed, show(args), got, want, tail(history, 15))
			}
			if got, want := snapshot(ctx, t, client), m.snapshot(); !slices.Equal(got, want) {
				t.Fatalf("seed %d: keys after %s\nredis:%s\nmodel:%s\nafter:\n%s", seed, show(args), showKeys(got), showKeys(want), tail(history, 15))
			}
			stats[strings.ToLower(string(args[0]))+" "+errKind(got)]++
		}
	}
}

// startRedis starts a reference redis-server on a free loopback port, without
// persistence, in a temporary directory; it is stopped when the test ends.
// Without one installed the test is skipped, unless CI is set.
func startRedis(t *testing.T) *redis.Client {
	t.Helper()
	srv := difftest.ForTest(t, "--proto-max-bulk-len", strconv.Itoa(maxBytes))
	// RESP2, as LCS IDX answers a flat array there; no retries, which
	// could apply a write twice.
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, Protocol: 2, MaxRetries: -1, DisableIdentity: true})
	t.Cleanup(func() { client.Close() })
	return client
}

// keys are the keys commands use: few, so that commands meet on them. RPUSH
// makes lists, mostly at "l", for WRONGTYPE.
var keys = []string{"a", "b", "c", "l", "z"}

// entry is a key's value in the model: a string, or a list standing for any
// other type.
type entry struct {
	list bool
	n    int    // a list's length
	s    []byte // a string's value
}

// model is the keyspace as the package's caller keeps it.
type model map[string]entry

// arity is each command's arity in Redis's command table: the number of
// arguments with the name, or its negation for a minimum.
var arity = map[string]int{
	"setbit": 4, "getbit": 3, "bitcount": -2, "bitpos": -3, "bitop": -4,
	"bitfield": -2, "bitfield_ro": -2, "lcs": -3, "set": 3, "del": -2, "rpush": -3,
}

// do runs a command on the model and returns its reply, normalized. It is
// the wiring a server does, in the order the package documents.
func (m model) do(args [][]byte) string {
	name := strings.ToLower(string(args[0]))
	if n := arity[name]; (n > 0 && len(args) != n) || (n < 0 && len(args) < -n) {
		return "error: ERR wrong number of arguments for '" + name + "' command"
	}
	key, rest := string(args[1]), args[2:]
	switch name {
	case "set":
		m[key] = entry{s: rest[0]}
		return "status: OK"
	case "del":
		n := len(m)
		delete(m, key)
		return fmt.Sprintf("int: %d", n-len(m))
	case "rpush":
		e, ok := m[key]
		if ok && !e.list {
			return wrongType
		}
		m[key] = entry{list: true, n: e.n + 1}
		return fmt.Sprintf("int: %d", e.n+1)
	case "setbit":
		off, bit, err := bitmap.ParseSetBit(rest, maxBytes)
		if err != nil {
			return errorReply(err)
		}
		e := m[key]
		if e.list {
			return wrongType
		}
		v, old := bitmap.SetBit(e.s, off, bit)
		m[key] = entry{s: v}
		return fmt.Sprintf("int: %d", old)
	case "getbit":
		off, err := bitmap.ParseGetBit(rest, maxBytes)
		if err != nil {
			return errorReply(err)
		}
		if m[key].list {
			return wrongType
		}
		return fmt.Sprintf("int: %d", bitmap.GetBit(m[key].s, off))
	case "bitcount":
		a := bitmap.ParseBitCount(rest)
		e, ok := m[key]
		if e.list {
			return wrongType
		}
		return intReply(bitmap.Count(e.s, ok, a))
	case "bitpos":
		a, err := bitmap.ParseBitPos(rest)
		if err != nil {
			return errorReply(err)
		}
		e, ok := m[key]
		if e.list {
			return wrongType
		}
		return intReply(bitmap.Pos(e.s, ok, a))
	case "bitop":
		return m.bitop(args[1], args[2], args[3:])
	case "bitfield", "bitfield_ro":
		return m.bitfield(key, rest, name == "bitfield_ro")
	case "lcs":
		return m.lcs(key, string(args[2]), args[3:])
	}
	panic("unknown command " + name)
}

func (m model) bitop(opName, dest []byte, srcKeys [][]byte) string {
	op, err := bitmap.ParseBitOp(opName, len(srcKeys))
	if err != nil {
		return errorReply(err)
	}
	sources := make([][]byte, len(srcKeys))
	for i, k := range srcKeys {
		e := m[string(k)]
		if e.list {
			return wrongType
		}
		sources[i] = e.s
	}
	v := bitmap.Op(op, sources)
	if len(v) == 0 {
		delete(m, string(dest))
	} else {
		m[string(dest)] = entry{s: v}
	}
	return fmt.Sprintf("int: %d", len(v))
}

func (m model) bitfield(key string, args [][]byte, readOnly bool) string {
	f, err := bitmap.ParseBitField(args, readOnly, maxBytes)
	if err != nil {
		return errorReply(err)
	}
	e := m[key]
	if e.list {
		return wrongType
	}
	v, results := f.Run(e.s)
	if f.Writes() {
		m[key] = entry{s: v}
	}
	parts := make([]string, len(results))
	for i, r := range results {
		parts[i] = "nil"
		if r != nil {
			parts[i] = fmt.Sprintf("int: %d", *r)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (m model) lcs(k1, k2 string, args [][]byte) string {
	a, b := m[k1], m[k2]
	if a.list || b.list {
		return errorReply(bitmap.ErrLCSNotString)
	}
	r, err := bitmap.LCS(a.s, b.s, bitmap.ParseLCS(args), maxBytes)
	if err != nil {
		return errorReply(err)
	}
	switch r.Form {
	case bitmap.LCSString:
		return fmt.Sprintf("string: %q", r.String)
	case bitmap.LCSLength:
		return fmt.Sprintf("int: %d", r.Len)
	}
	matches := make([]string, len(r.Matches))
	for i, mt := range r.Matches {
		s := fmt.Sprintf("[[int: %d, int: %d], [int: %d, int: %d]", mt.A[0], mt.A[1], mt.B[0], mt.B[1])
		if r.WithMatchLen {
			s += fmt.Sprintf(", int: %d", mt.Len)
		}
		matches[i] = s + "]"
	}
	return fmt.Sprintf(`[string: "matches", [%s], string: "len", int: %d]`, strings.Join(matches, ", "), r.Len)
}

// snapshot is each key's type and, for a string, its value, in the model.
func (m model) snapshot() []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		e, ok := m[k]
		switch {
		case !ok:
			out[i] = "none"
		case e.list:
			out[i] = "list"
		default:
			out[i] = "string " + string(e.s)
		}
	}
	return out
}

// snapshot is each key's type and, for a string, its value, on the server,
// read in one round trip.
func snapshot(ctx context.Context, t *testing.T, c *redis.Client) []string {
	types := make([]*redis.StatusCmd, len(keys))
	values := make([]*redis.StringCmd, len(keys))
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			types[i] = p.Type(ctx, k)
			values[i] = p.Get(ctx, k)
		}
		return nil
	})
	if err != nil && err != redis.Nil && !strings.HasPrefix(err.Error(), "WRONGTYPE") {
		t.Fatal(err)
	}
	out := make([]string, len(keys))
	for i := range keys {
		out[i] = types[i].Val()
		if out[i] == "string" {
			out[i] += " " + values[i].Val()
		}
	}
	return out
}

// showKeys renders a snapshot, long values cut short.
func showKeys(s []string) string {
	var b strings.Builder
	for i, k := range keys {
		v := s[i]
		if len(v) > 200 {
			v = fmt.Sprintf("%s... (%d bytes)", v[:200], len(v))
		}
		fmt.Fprintf(&b, "\n  %s: %q", k, v)
	}
	return b.String()
}

const wrongType = "error: WRONGTYPE Operation against a key holding the wrong kind of value"

func errorReply(err error) string {
	var e bitmap.Error
	if !errors.As(err, &e) {
		panic(fmt.Sprintf("not a bitmap.Error: %v", err))
	}
	return "error: " + e.RedisError()
}

func intReply(n int64, err error) string {
	if err != nil {
		return errorReply(err)
	}
	return fmt.Sprintf("int: %d", n)
}

// normalize renders a go-redis reply the way the model renders its own.
func normalize(v any, err error) string {
	var rerr redis.Error
	switch {
	case err == redis.Nil:
		return "nil"
	case errors.As(err, &rerr):
		return "error: " + rerr.Error()
	case err != nil:
		return "failure: " + err.Error()
	}
	return render(v)
}

func render(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case int64:
		return fmt.Sprintf("int: %d", v)
	case string:
		if v == "OK" {
			return "status: OK" // go-redis reads +OK and $2 OK alike
		}
		return fmt.Sprintf("string: %q", v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = render(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprintf("unexpected %T %v", v, v)
}

func anys(args [][]byte) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

func show(args [][]byte) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = strconv.Quote(string(a))
	}
	return strings.Join(parts, " ")
}

func tail(lines []string, n int) string {
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// gen makes random commands, valid and not, over keys.
type gen struct{ r *rand.Rand }

func (g gen) pick(options ...string) []byte { return []byte(options[g.r.IntN(len(options))]) }

func (g gen) key() []byte { return []byte(keys[g.r.IntN(len(keys))]) }

func (g gen) chance(n int) bool { return g.r.IntN(n) == 0 }

// integer is a number argument: mostly small, sometimes an edge or not a
// number at all.
func (g gen) integer(lo, hi int) []byte {
	if g.chance(12) {
		return g.pick("x", "", "1.5", " 1", "01", "+1", "-0", "9223372036854775807", "-9223372036854775808",
			"9223372036854775808", "99999999999999999999", "-1", "0", "1\x00")
	}
	return []byte(strconv.Itoa(lo + g.r.IntN(hi-lo+1)))
}

// offset is a bit offset: mostly within a few bytes, sometimes past
// maxBytes, rarely its very last bit (which makes a 1MB string).
func (g gen) offset() []byte {
	switch {
	case g.chance(400):
		return []byte(strconv.Itoa(maxBytes*8 - 1))
	case g.chance(30):
		return g.pick(strconv.Itoa(maxBytes*8), "4294967296", "-1", "x", "")
	case g.chance(10):
		return g.integer(0, 5000)
	}
	return g.integer(0, 64)
}

// value is a random string, mostly short, over few bytes, so that LCS
// finds runs and bits vary.
func (g gen) value() []byte {
	n := g.r.IntN(12)
	if g.chance(20) { // long enough for LCS of two to pass its memory bound
		n = 500 + g.r.IntN(200)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = g.pick("a", "b", "c", "\x00", "\xff", "\x5a")[0]
	}
	return b
}

func (g gen) command() [][]byte {
	cmd := g.body()
	if g.chance(40) && len(cmd) > 1 { // truncated: arity and syntax errors
		cmd = cmd[:g.r.IntN(len(cmd))]
	}
	if len(cmd) == 0 {
		return [][]byte{[]byte("getbit")}
	}
	return cmd
}

func (g gen) body() [][]byte {
	switch g.r.IntN(24) {
	case 0:
		return [][]byte{[]byte("SET"), g.key(), g.value()}
	case 1:
		return [][]byte{[]byte("DEL"), g.key()}
	case 2:
		return [][]byte{[]byte("RPUSH"), g.pick("l", "l", "l", "a", "b", "c", "z"), []byte("x")}
	case 3, 4, 5:
		return [][]byte{[]byte("SETBIT"), g.key(), g.offset(), g.pick("0", "1", "0", "1", "0", "1", "2", "-1", "x", "01")}
	case 6, 7:
		return [][]byte{[]byte("GETBIT"), g.key(), g.offset()}
	case 8, 9:
		return g.withRange([][]byte{[]byte("BITCOUNT"), g.key()}, 3)
	case 10, 11, 12:
		return g.withRange([][]byte{[]byte("BITPOS"), g.key(), g.pick("0", "1", "0", "1", "0", "1", "0", "1", "2", "x", "-1")}, 4)
	case 13, 14:
		cmd := [][]byte{[]byte("BITOP"), g.pick("AND", "or", "Xor", "NOT", "not", "foo", "and\x00x"), g.key()}
		for range 1 + g.r.IntN(3) {
			cmd = append(cmd, g.key())
		}
		return cmd
	case 15, 16, 17, 18:
		return g.bitfield("BITFIELD")
	case 19:
		return g.bitfield("BITFIELD_RO")
	default:
		cmd := [][]byte{[]byte("LCS"), g.key(), g.key()}
		for range g.r.IntN(4) {
			switch g.r.IntN(5) {
			case 0:
				cmd = append(cmd, g.pick("MINMATCHLEN", "minmatchlen"), g.integer(-2, 5))
			default:
				cmd = append(cmd, g.pick("IDX", "idx", "LEN", "WITHMATCHLEN", "withmatchlen", "IDX", "foo", "len\x00"))
			}
		}
		return cmd
	}
}

// withRange appends up to n range arguments: start, end, then a unit.
func (g gen) withRange(cmd [][]byte, n int) [][]byte {
	k := g.r.IntN(n + 1)
	for i := range k {
		switch {
		case i < n-1 && (i < 2 || g.chance(2)):
			cmd = append(cmd, g.integer(-30, 30))
		case i == n-1 || g.chance(3):
			cmd = append(cmd, g.pick("BIT", "BYTE", "bit", "Byte", "foo", "bit\x00x"))
		default:
			cmd = append(cmd, g.integer(-30, 30))
		}
	}
	return cmd
}

func (g gen) bitfield(name string) [][]byte {
	cmd := [][]byte{[]byte(name), g.key()}
	if g.chance(3) {
		cmd = append(cmd, []byte("OVERFLOW"), g.pick("FAIL", "SAT"))
	}
	for range g.r.IntN(5) {
		switch g.r.IntN(9) {
		case 0, 1, 2:
			cmd = append(cmd, g.pick("GET", "get"), g.fieldType(), g.fieldOffset())
		case 3, 4:
			cmd = append(cmd, g.pick("SET", "set"), g.fieldType(), g.fieldOffset(), g.fieldValue())
		case 5, 6:
			cmd = append(cmd, g.pick("INCRBY", "incrby"), g.fieldType(), g.fieldOffset(), g.fieldValue())
		default:
			cmd = append(cmd, g.pick("OVERFLOW", "overflow"), g.pick("WRAP", "SAT", "FAIL", "sat", "fail", "wrap", "foo", "fail\x00"))
		}
		if g.chance(30) {
			cmd = append(cmd, g.pick("foo", "get"))
		}
	}
	return cmd
}

func (g gen) fieldType() []byte {
	if g.chance(15) {
		return g.pick("u64", "i65", "i0", "u0", "x8", "I8", "u08", "u", "", "u8\x00x", "i-1")
	}
	width := 1 + g.r.IntN(64)
	if g.chance(2) { // the widths where overflow is delicate
		widths := []int{1, 2, 8, 32, 62, 63, 64}
		width = widths[g.r.IntN(len(widths))]
	}
	return []byte(fmt.Sprintf("%s%d", g.pick("i", "u"), width))
}

func (g gen) fieldOffset() []byte {
	if g.chance(4) {
		return []byte("#" + string(g.integer(0, 6)))
	}
	return g.offset()
}

// fieldValue is a SET value or an INCRBY increment: small, or near a power
// of two, or an int64 edge, so that every width overflows sometimes.
func (g gen) fieldValue() []byte {
	switch g.r.IntN(5) {
	case 0:
		return g.integer(-5, 5)
	case 3:
		return g.pick("9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807",
			"4611686018427387904", "-4611686018427387904", "4611686018427387903", "-4611686018427387905")
	case 1:
		p := int64(1) << g.r.IntN(63)
		return []byte(strconv.FormatInt(p*int64(1-2*g.r.IntN(2))+int64(g.r.IntN(5)-2), 10))
	case 2:
		return []byte(strconv.FormatInt(int64(g.r.Uint64()), 10))
	}
	return g.integer(-300, 300)
}

func errKind(s string) string {
	if strings.HasPrefix(s, "error") {
		return s
	}
	if strings.Contains(s, "nil") {
		return "has-nil"
	}
	return strings.SplitN(s, ":", 2)[0]
}
