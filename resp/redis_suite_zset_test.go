package resp_test

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// suiteWords is a TCL list of words, as the suite writes an expected reply
// ({a b c}); an empty string is the empty list.
func suiteWords(s string) []string { return strings.Fields(s) }

// zsetCreate is the suite's create_zset: the key deleted, then each score
// and member added by a ZADD of its own.
func zsetCreate(r *suiteConn, key string, items ...any) {
	r.t.Helper()
	r.do("DEL", key)
	for i := 0; i+1 < len(items); i += 2 {
		r.integer("ZADD", key, items[i], items[i+1])
	}
}

// zsetDefault is the suite's create_default_zset.
func zsetDefault(r *suiteConn) {
	r.t.Helper()
	zsetCreate(r, "zset", "-inf", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", "+inf", "g")
}

// zsetDefaultLex is the suite's create_default_lex_zset.
func zsetDefaultLex(r *suiteConn) {
	r.t.Helper()
	zsetCreate(r, "zset", 0, "alpha", 0, "bar", 0, "cool", 0, "down", 0, "elephant", 0, "foo", 0, "great", 0, "hill", 0, "omega")
}

// hello switches the connection to RESP protocol proto (HELLO), which
// must succeed. A test that switches to 3 switches back to 2 before it
// ends, as the suite does; one that fails starts the next test on a new
// connection, which speaks RESP2.
func (r *suiteConn) hello(proto int) {
	r.t.Helper()
	r.send("HELLO", proto)
	_ = r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	v, err := suiteRead3(r.br, nil)
	if err != nil {
		r.t.Fatalf("%s: HELLO %d: %v", r.side, proto, err)
	}
	if e, isErr := v.(suiteErr); isErr {
		r.t.Fatalf("%s: HELLO %d: %v", r.side, proto, e)
	}
}

// do3 runs a command and returns its reply read as RESP3 may write it (the
// suite's client in "hello 3"): what read returns, and a double as a
// float64, a map as an array of its keys and values, a set as an array, a
// boolean as a bool, null as nil.
func (r *suiteConn) do3(args ...any) any {
	r.t.Helper()
	r.send(args...)
	_ = r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	v, err := suiteRead3(r.br, nil)
	if err != nil {
		r.t.Fatalf("%s: read: %v", r.side, err)
	}
	return v
}

// eq3 is eq for a connection in RESP3.
func (r *suiteConn) eq3(want any, args ...any) any {
	r.t.Helper()
	got := r.do3(args...)
	r.same(want, got, args...)
	return got
}

// raw runs a command and returns its reply as the server wrote it, every
// line with its CRLF: the suite's "readraw 1", which reads the reply a
// line at a time and so tells a null from an empty array, and a double
// from a string.
func (r *suiteConn) raw(args ...any) string {
	r.t.Helper()
	r.send(args...)
	_ = r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	if _, err := suiteRead3(r.br, &b); err != nil {
		r.t.Fatalf("%s: read: %v", r.side, err)
	}
	return b.String()
}

// rawEq runs a command whose reply, as written, must be want.
func (r *suiteConn) rawEq(want string, args ...any) {
	r.t.Helper()
	if got := r.raw(args...); got != want {
		r.t.Fatalf("%s: %q: got %q, want %q", r.side, suiteArgs(args), got, want)
	}
}

// suiteRead3 reads one reply of RESP2 or RESP3, copying what it reads to
// raw when raw is not nil.
func suiteRead3(br *bufio.Reader, raw *strings.Builder) (any, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if raw != nil {
		raw.WriteString(line)
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return nil, fmt.Errorf("bad reply line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return suiteErr(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case ',':
		return strconv.ParseFloat(body, 64)
	case '_':
		return nil, nil
	case '#':
		return body == "t", nil
	case '$', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		if raw != nil {
			raw.Write(buf)
		}
		return string(buf[:n]), nil
	case '*', '~', '%', '>':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		if line[0] == '%' {
			n *= 2
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = suiteRead3(br, raw); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply line %q", line)
}

// zpopCheck is the suite's verify_zpop_response: pop is ZPOPMIN, ZPOPMAX,
// ZMPOP_MIN or ZMPOP_MAX, the last two run as ZMPOP 1 key MIN|MAX; count 0
// leaves the count out. do is r.do or r.do3.
func zpopCheck(r *suiteConn, do func(...any) any, pop, key string, count int, zpopWant, zmpopWant any) {
	r.t.Helper()
	var args []any
	want := zpopWant
	if cmd, where, ok := strings.Cut(pop, "_"); ok {
		args = []any{cmd, 1, key, where}
		if count != 0 {
			args = append(args, "COUNT", count)
		}
		want = zmpopWant
	} else {
		args = []any{pop, key}
		if count != 0 {
			args = append(args, count)
		}
	}
	r.same(want, do(args...), args...)
}

// zpair is a member and its score as a RESP3 reply holds them.
func zpair(member string, score float64) []any { return []any{member, score} }

// zrandomValue is the suite's randomValue: an integer, a float, or a
// string of letters, each of a few kinds.
func zrandomValue(rng *rand.Rand) string {
	switch rng.IntN(4) {
	case 0:
		return strconv.Itoa(rng.IntN(1000))
	case 1:
		return strconv.FormatInt(rng.Int64N(1<<62)-1<<61, 10)
	case 2:
		return strconv.FormatFloat(rng.Float64()*1000, 'g', -1, 64)
	}
	return suiteRandString(rng, 0, 30, "alpha")
}

// suiteRandString is the suite's randstring: between min and max bytes,
// "alpha" from '0' to 'z', "binary" any byte.
func suiteRandString(rng *rand.Rand, min, max int, kind string) string {
	lo, hi := 0, 255
	if kind == "alpha" {
		lo, hi = '0', 'z'
	}
	b := make([]byte, min+rng.IntN(max-min+1))
	for i := range b {
		b[i] = byte(lo + rng.IntN(hi-lo+1))
	}
	return string(b)
}

// chiSquare is the suite's chi_square_value of a random sample (its
// expected count an integer division, as TCL computes it).
func chiSquare(sample []string) float64 {
	counts := map[string]int{}
	for _, s := range sample {
		counts[s]++
	}
	p := float64(len(sample) / len(counts))
	x2 := 0.0
	for _, n := range counts {
		x2 += (float64(n) - p) * (float64(n) - p) / p
	}
	return x2
}

// suiteZset ports tests/unit/type/zset.tcl. The suite runs its basic tests
// twice, with the listpack encoding and, after setting
// zset-max-ziplist-entries to 0, the skiplist one; Dynago has one
// representation of a sorted set and not those settings, so the basics
// run once, with the sets the tests create (listpack on Redis). The
// stress tests (suiteZsetStress) run for both, with sets large enough to
// be a skiplist under Redis's default settings.
var suiteZset = []suiteCase{
	{"Check encoding - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x")
		r.eq("listpack", "OBJECT", "ENCODING", "ztmp")
	}},
	{"ZSET basic ZADD and score update - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.eq(1, "ZADD", "ztmp", 10, "x")
		r.eq(1, "ZADD", "ztmp", 20, "y")
		r.eq(1, "ZADD", "ztmp", 30, "z")
		r.eq(suiteWords("x y z"), "ZRANGE", "ztmp", 0, -1)

		r.eq(0, "ZADD", "ztmp", 1, "y")
		r.eq(suiteWords("y x z"), "ZRANGE", "ztmp", 0, -1)
	}},
	{"ZSET element can't be set to NaN with ZADD - listpack", func(t *testing.T, r *suiteConn) {
		r.errMatch("*not*float*", "ZADD", "myzset", "nan", "abc")
	}},
	{"ZSET element can't be set to NaN with ZINCRBY - listpack", func(t *testing.T, r *suiteConn) {
		r.errMatch("*not*float*", "ZINCRBY", "myzset", "nan", "abc")
	}},
	{"ZADD with options syntax error with incomplete pair - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.errMatch("ERR*", "ZADD", "ztmp", "xx", 10, "x", 20)
	}},
	{"ZADD XX option without key - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.eq(0, "ZADD", "ztmp", "xx", 10, "x")
		r.eq("none", "TYPE", "ztmp")
	}},
	{"ZADD XX existing key - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x")
		r.eq(0, "ZADD", "ztmp", "xx", 20, "y")
		r.eq(1, "ZCARD", "ztmp")
	}},
	{"ZADD XX returns the number of elements actually added - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x")
		r.eq(2, "ZADD", "ztmp", 10, "x", 20, "y", 30, "z")
	}},
	{"ZADD XX updates existing elements score - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x", 20, "y", 30, "z")
		r.integer("ZADD", "ztmp", "xx", 5, "foo", 11, "x", 21, "y", 40, "zap")
		r.eq(3, "ZCARD", "ztmp")
		r.eq("11", "ZSCORE", "ztmp", "x")
		r.eq("21", "ZSCORE", "ztmp", "y")
	}},
	{"ZADD GT updates existing elements when new scores are greater - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x", 20, "y", 30, "z")
		r.eq(3, "ZADD", "ztmp", "gt", "ch", 5, "foo", 11, "x", 21, "y", 29, "z")
		r.eq(4, "ZCARD", "ztmp")
		r.eq("11", "ZSCORE", "ztmp", "x")
		r.eq("21", "ZSCORE", "ztmp", "y")
		r.eq("30", "ZSCORE", "ztmp", "z")
	}},
	{"ZADD LT updates existing elements when new scores are lower - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x", 20, "y", 30, "z")
		r.eq(2, "ZADD", "ztmp", "lt", "ch", 5, "foo", 11, "x", 21, "y", 29, "z")
		r.eq(4, "ZCARD", "ztmp")
		r.eq("10", "ZSCORE", "ztmp", "x")
		r.eq("20", "ZSCORE", "ztmp", "y")
		r.eq("29", "ZSCORE", "ztmp", "z")
	}},
	{"ZADD GT XX updates existing elements when new scores are greater and skips new elements - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x", 20, "y", 30, "z")
		r.eq(2, "ZADD", "ztmp", "gt", "xx", "ch", 5, "foo", 11, "x", 21, "y", 29, "z")
		r.eq(3, "ZCARD", "ztmp")
		r.eq("11", "ZSCORE", "ztmp", "x")
		r.eq("21", "ZSCORE", "ztmp", "y")
		r.eq("30", "ZSCORE", "ztmp", "z")
	}},
	{"ZADD LT XX updates existing elements when new scores are lower and skips new elements - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x", 20, "y", 30, "z")
		r.eq(1, "ZADD", "ztmp", "lt", "xx", "ch", 5, "foo", 11, "x", 21, "y", 29, "z")
		r.eq(3, "ZCARD", "ztmp")
		r.eq("10", "ZSCORE", "ztmp", "x")
		r.eq("20", "ZSCORE", "ztmp", "y")
		r.eq("29", "ZSCORE", "ztmp", "z")
	}},
	{"ZADD XX and NX are not compatible - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.errMatch("ERR*", "ZADD", "ztmp", "xx", "nx", 10, "x")
	}},
	{"ZADD NX with non existing key - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", "nx", 10, "x", 20, "y", 30, "z")
		r.eq(3, "ZCARD", "ztmp")
	}},
	{"ZADD NX only add new elements without updating old ones - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x", 20, "y", 30, "z")
		r.eq(2, "ZADD", "ztmp", "nx", 11, "x", 21, "y", 100, "a", 200, "b")
		r.eq("10", "ZSCORE", "ztmp", "x")
		r.eq("20", "ZSCORE", "ztmp", "y")
		r.eq("100", "ZSCORE", "ztmp", "a")
		r.eq("200", "ZSCORE", "ztmp", "b")
	}},
	{"ZADD GT and NX are not compatible - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.errMatch("ERR*", "ZADD", "ztmp", "gt", "nx", 10, "x")
	}},
	{"ZADD LT and NX are not compatible - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.errMatch("ERR*", "ZADD", "ztmp", "lt", "nx", 10, "x")
	}},
	{"ZADD LT and GT are not compatible - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.errMatch("ERR*", "ZADD", "ztmp", "lt", "gt", 10, "x")
	}},
	{"ZADD INCR LT/GT replies with nill if score not updated - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 28, "x")
		r.eq(nil, "ZADD", "ztmp", "lt", "incr", 1, "x")
		r.eq("28", "ZSCORE", "ztmp", "x")
		r.eq(nil, "ZADD", "ztmp", "gt", "incr", -1, "x")
		r.eq("28", "ZSCORE", "ztmp", "x")
	}},
	{"ZADD INCR LT/GT with inf - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", "+inf", "x", "-inf", "y")
		for _, c := range []struct {
			member, score string
		}{{"x", "inf"}, {"y", "-inf"}} {
			for _, a := range [][]any{{"lt", 1}, {"gt", -1}, {"lt", -1}, {"gt", 1}} {
				r.eq(nil, "ZADD", "ztmp", a[0], "incr", a[1], c.member)
				r.eq(c.score, "ZSCORE", "ztmp", c.member)
			}
		}
	}},
	{"ZADD INCR works like ZINCRBY - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x", 20, "y", 30, "z")
		r.eq("25", "ZADD", "ztmp", "INCR", 15, "x")
		r.eq("25", "ZSCORE", "ztmp", "x")
	}},
	{"ZADD INCR works with a single score-elemenet pair - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x", 20, "y", 30, "z")
		r.errMatch("ERR*", "ZADD", "ztmp", "INCR", 15, "x", 10, "y")
	}},
	{"ZADD CH option changes return value to all changed elements - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x", 20, "y", 30, "z")
		r.eq(0, "ZADD", "ztmp", 11, "x", 21, "y", 30, "z")
		r.eq(2, "ZADD", "ztmp", "ch", 12, "x", 22, "y", 30, "z")
	}},
	{"ZINCRBY calls leading to NaN result in error - listpack", func(t *testing.T, r *suiteConn) {
		r.eq("inf", "ZINCRBY", "myzset", "+inf", "abc")
		r.errMatch("*NaN*", "ZINCRBY", "myzset", "-inf", "abc")
	}},
	{"ZADD - Variadic version base case - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "myzset")
		r.eq(3, "ZADD", "myzset", 10, "a", 20, "b", 30, "c")
		r.eq(suiteWords("a 10 b 20 c 30"), "ZRANGE", "myzset", 0, -1, "withscores")
	}},
	{"ZADD - Return value is the number of actually added items - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(1, "ZADD", "myzset", 5, "x", 20, "b", 30, "c")
		r.eq(suiteWords("x 5 a 10 b 20 c 30"), "ZRANGE", "myzset", 0, -1, "withscores")
	}},
	{"ZADD - Variadic version does not add nothing on single parsing err - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "myzset")
		r.errMatch("*ERR*not*float*", "ZADD", "myzset", 10, "a", 20, "b", "30.badscore", "c")
		r.eq(0, "EXISTS", "myzset")
	}},
	{"ZADD - Variadic version will raise error on missing arg - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "myzset")
		r.errMatch("*ERR*syntax*", "ZADD", "myzset", 10, "a", 20, "b", 30, "c", 40)
	}},
	{"ZINCRBY does not work variadic even if shares ZADD implementation - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "myzset")
		r.errMatch("*ERR*wrong*number*arg*", "ZINCRBY", "myzset", 10, "a", 20, "b", 30, "c")
	}},
	{"ZCARD basics - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "a", 20, "b", 30, "c")
		r.eq(3, "ZCARD", "ztmp")
		r.eq(0, "ZCARD", "zdoesntexist")
	}},
	{"ZREM removes key after last element is removed - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "x")
		r.integer("ZADD", "ztmp", 20, "y")
		r.eq(1, "EXISTS", "ztmp")
		r.eq(0, "ZREM", "ztmp", "z")
		r.eq(1, "ZREM", "ztmp", "y")
		r.eq(1, "ZREM", "ztmp", "x")
		r.eq(0, "EXISTS", "ztmp")
	}},
	{"ZREM variadic version - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "a", 20, "b", 30, "c")
		r.eq(2, "ZREM", "ztmp", "x", "y", "a", "b", "k")
		r.eq(0, "ZREM", "ztmp", "foo", "bar")
		r.eq(1, "ZREM", "ztmp", "c")
		r.eq(0, "EXISTS", "ztmp")
	}},
	{"ZREM variadic version -- remove elements after key deletion - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.integer("ZADD", "ztmp", 10, "a", 20, "b", 30, "c")
		r.eq(3, "ZREM", "ztmp", "a", "b", "c", "d", "e", "f", "g")
	}},
	{"ZRANGE basics - listpack", func(t *testing.T, r *suiteConn) {
		zsetCreate(r, "ztmp", 1, "a", 2, "b", 3, "c", 4, "d")
		for _, c := range []struct {
			start, end int
			want       string
		}{
			{0, -1, "a b c d"}, {0, -2, "a b c"}, {1, -1, "b c d"}, {1, -2, "b c"}, {-2, -1, "c d"}, {-2, -2, "c"},
			// out of range start index
			{-5, 2, "a b c"}, {-5, 1, "a b"}, {5, -1, ""}, {5, -2, ""},
			// out of range end index
			{0, 5, "a b c d"}, {1, 5, "b c d"}, {0, -5, ""}, {1, -5, ""},
		} {
			r.eq(suiteWords(c.want), "ZRANGE", "ztmp", c.start, c.end)
		}
		r.eq(suiteWords("a 1 b 2 c 3 d 4"), "ZRANGE", "ztmp", 0, -1, "withscores")
	}},
	{"ZREVRANGE basics - listpack", func(t *testing.T, r *suiteConn) {
		zsetCreate(r, "ztmp", 1, "a", 2, "b", 3, "c", 4, "d")
		for _, c := range []struct {
			start, end int
			want       string
		}{
			{0, -1, "d c b a"}, {0, -2, "d c b"}, {1, -1, "c b a"}, {1, -2, "c b"}, {-2, -1, "b a"}, {-2, -2, "b"},
			{-5, 2, "d c b"}, {-5, 1, "d c"}, {5, -1, ""}, {5, -2, ""},
			{0, 5, "d c b a"}, {1, 5, "c b a"}, {0, -5, ""}, {1, -5, ""},
		} {
			r.eq(suiteWords(c.want), "ZREVRANGE", "ztmp", c.start, c.end)
		}
		r.eq(suiteWords("d 4 c 3 b 2 a 1"), "ZREVRANGE", "ztmp", 0, -1, "withscores")
	}},
	// ZRANK's WITHSCORE came with Redis 7.2, which Dynago follows, but
	// Redis 7.0 installed here refuses it: the newest suite's WITHSCORE
	// assertions are left out.
	{"ZRANK/ZREVRANK basics - listpack", func(t *testing.T, r *suiteConn) {
		zsetCreate(r, "zranktmp", 10, "x", 20, "y", 30, "z")
		r.eq(0, "ZRANK", "zranktmp", "x")
		r.eq(1, "ZRANK", "zranktmp", "y")
		r.eq(2, "ZRANK", "zranktmp", "z")
		r.eq(2, "ZREVRANK", "zranktmp", "x")
		r.eq(1, "ZREVRANK", "zranktmp", "y")
		r.eq(0, "ZREVRANK", "zranktmp", "z")
		r.rawEq("$-1\r\n", "ZRANK", "zranktmp", "foo")
		r.rawEq("$-1\r\n", "ZREVRANK", "zranktmp", "foo")
	}},
	{"ZRANK - after deletion - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(1, "ZREM", "zranktmp", "y")
		r.eq(0, "ZRANK", "zranktmp", "x")
		r.eq(1, "ZRANK", "zranktmp", "z")
	}},
	{"ZINCRBY - can create a new sorted set - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zset")
		r.eq("1", "ZINCRBY", "zset", 1, "foo")
		r.eq(suiteWords("foo"), "ZRANGE", "zset", 0, -1)
		r.eq("1", "ZSCORE", "zset", "foo")
	}},
	{"ZINCRBY - increment and decrement - listpack", func(t *testing.T, r *suiteConn) {
		r.eq("3", "ZINCRBY", "zset", 2, "foo")
		r.eq("1", "ZINCRBY", "zset", 1, "bar")
		r.eq(suiteWords("bar foo"), "ZRANGE", "zset", 0, -1)

		r.eq("11", "ZINCRBY", "zset", 10, "bar")
		r.eq("-2", "ZINCRBY", "zset", -5, "foo")
		r.eq("6", "ZINCRBY", "zset", -5, "bar")
		r.eq(suiteWords("foo bar"), "ZRANGE", "zset", 0, -1)

		r.eq("-2", "ZSCORE", "zset", "foo")
		r.eq("6", "ZSCORE", "zset", "bar")
	}},
	{"ZINCRBY return value - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "ztmp")
		r.eq("1", "ZINCRBY", "ztmp", "1.0", "x")
	}},
	{"ZRANGEBYSCORE/ZREVRANGEBYSCORE/ZCOUNT basics - listpack", func(t *testing.T, r *suiteConn) {
		zsetDefault(r)
		ranges := func(cases [][3]string) {
			r.t.Helper()
			for _, c := range cases {
				cmd := "ZRANGEBYSCORE"
				if strings.HasPrefix(c[0], "rev ") {
					cmd, c[0] = "ZREVRANGEBYSCORE", c[0][4:]
				}
				r.eq(suiteWords(c[2]), cmd, "zset", c[0], c[1])
			}
		}
		// inclusive range
		ranges([][3]string{
			{"-inf", "2", "a b c"}, {"0", "3", "b c d"}, {"3", "6", "d e f"}, {"4", "+inf", "e f g"},
			{"rev 2", "-inf", "c b a"}, {"rev 3", "0", "d c b"}, {"rev 6", "3", "f e d"}, {"rev +inf", "4", "g f e"},
		})
		r.eq(3, "ZCOUNT", "zset", 0, 3)

		// exclusive range
		ranges([][3]string{
			{"(-inf", "(2", "b"}, {"(0", "(3", "b c"}, {"(3", "(6", "e f"}, {"(4", "(+inf", "f"},
			{"rev (2", "(-inf", "b"}, {"rev (3", "(0", "c b"}, {"rev (6", "(3", "f e"}, {"rev (+inf", "(4", "f"},
		})
		r.eq(2, "ZCOUNT", "zset", "(0", "(3")

		// test empty ranges
		r.eq(1, "ZREM", "zset", "a")
		r.eq(1, "ZREM", "zset", "g")

		// inclusive
		ranges([][3]string{
			{"4", "2", ""}, {"6", "+inf", ""}, {"-inf", "-6", ""}, {"rev +inf", "6", ""}, {"rev -6", "-inf", ""},
		})
		// exclusive
		ranges([][3]string{
			{"(4", "(2", ""}, {"2", "(2", ""}, {"(2", "2", ""}, {"(6", "(+inf", ""}, {"(-inf", "(-6", ""},
			{"rev (+inf", "(6", ""}, {"rev (-6", "(-inf", ""},
		})
		// empty inner range
		ranges([][3]string{{"2.4", "2.6", ""}, {"(2.4", "2.6", ""}, {"2.4", "(2.6", ""}, {"(2.4", "(2.6", ""}})
	}},
	{"ZRANGEBYSCORE with WITHSCORES - listpack", func(t *testing.T, r *suiteConn) {
		zsetDefault(r)
		r.eq(suiteWords("b 1 c 2 d 3"), "ZRANGEBYSCORE", "zset", 0, 3, "withscores")
		r.eq(suiteWords("d 3 c 2 b 1"), "ZREVRANGEBYSCORE", "zset", 3, 0, "withscores")
	}},
	{"ZRANGEBYSCORE with LIMIT - listpack", func(t *testing.T, r *suiteConn) {
		zsetDefault(r)
		r.eq(suiteWords("b c"), "ZRANGEBYSCORE", "zset", 0, 10, "LIMIT", 0, 2)
		r.eq(suiteWords("d e f"), "ZRANGEBYSCORE", "zset", 0, 10, "LIMIT", 2, 3)
		r.eq(suiteWords("d e f"), "ZRANGEBYSCORE", "zset", 0, 10, "LIMIT", 2, 10)
		r.eq(suiteWords(""), "ZRANGEBYSCORE", "zset", 0, 10, "LIMIT", 20, 10)
		r.eq(suiteWords("f e"), "ZREVRANGEBYSCORE", "zset", 10, 0, "LIMIT", 0, 2)
		r.eq(suiteWords("d c b"), "ZREVRANGEBYSCORE", "zset", 10, 0, "LIMIT", 2, 3)
		r.eq(suiteWords("d c b"), "ZREVRANGEBYSCORE", "zset", 10, 0, "LIMIT", 2, 10)
		r.eq(suiteWords(""), "ZREVRANGEBYSCORE", "zset", 10, 0, "LIMIT", 20, 10)
	}},
	{"ZRANGEBYSCORE with LIMIT and WITHSCORES - listpack", func(t *testing.T, r *suiteConn) {
		zsetDefault(r)
		r.eq(suiteWords("e 4 f 5"), "ZRANGEBYSCORE", "zset", 2, 5, "LIMIT", 2, 3, "WITHSCORES")
		r.eq(suiteWords("d 3 c 2"), "ZREVRANGEBYSCORE", "zset", 5, 2, "LIMIT", 2, 3, "WITHSCORES")
		r.eq(suiteWords(""), "ZRANGEBYSCORE", "zset", 2, 5, "LIMIT", 12, 13, "WITHSCORES")
	}},
	{"ZRANGEBYSCORE with non-value min or max - listpack", func(t *testing.T, r *suiteConn) {
		r.errMatch("*not*float*", "ZRANGEBYSCORE", "fooz", "str", 1)
		r.errMatch("*not*float*", "ZRANGEBYSCORE", "fooz", 1, "str")
		r.errMatch("*not*float*", "ZRANGEBYSCORE", "fooz", 1, "NaN")
	}},
	{"ZRANGEBYLEX/ZREVRANGEBYLEX/ZLEXCOUNT basics - listpack", func(t *testing.T, r *suiteConn) {
		zsetDefaultLex(r)
		// inclusive range
		r.eq(suiteWords("alpha bar cool"), "ZRANGEBYLEX", "zset", "-", "[cool")
		r.eq(suiteWords("bar cool down"), "ZRANGEBYLEX", "zset", "[bar", "[down")
		r.eq(suiteWords("great hill omega"), "ZRANGEBYLEX", "zset", "[g", "+")
		r.eq(suiteWords("cool bar alpha"), "ZREVRANGEBYLEX", "zset", "[cool", "-")
		r.eq(suiteWords("down cool bar"), "ZREVRANGEBYLEX", "zset", "[down", "[bar")
		r.eq(suiteWords("omega hill great foo elephant down"), "ZREVRANGEBYLEX", "zset", "+", "[d")
		r.eq(3, "ZLEXCOUNT", "zset", "[ele", "[h")

		// exclusive range
		r.eq(suiteWords("alpha bar"), "ZRANGEBYLEX", "zset", "-", "(cool")
		r.eq(suiteWords("cool"), "ZRANGEBYLEX", "zset", "(bar", "(down")
		r.eq(suiteWords("hill omega"), "ZRANGEBYLEX", "zset", "(great", "+")
		r.eq(suiteWords("bar alpha"), "ZREVRANGEBYLEX", "zset", "(cool", "-")
		r.eq(suiteWords("cool"), "ZREVRANGEBYLEX", "zset", "(down", "(bar")
		r.eq(suiteWords("omega hill"), "ZREVRANGEBYLEX", "zset", "+", "(great")
		r.eq(2, "ZLEXCOUNT", "zset", "(ele", "(great")

		// inclusive and exclusive
		r.eq(suiteWords(""), "ZRANGEBYLEX", "zset", "(az", "(b")
		r.eq(suiteWords(""), "ZRANGEBYLEX", "zset", "(z", "+")
		r.eq(suiteWords(""), "ZRANGEBYLEX", "zset", "-", "[aaaa")
		r.eq(suiteWords(""), "ZREVRANGEBYLEX", "zset", "[elez", "[elex")
		r.eq(suiteWords(""), "ZREVRANGEBYLEX", "zset", "(hill", "(omega")
	}},
	{"ZLEXCOUNT advanced - listpack", func(t *testing.T, r *suiteConn) {
		zsetDefaultLex(r)
		for _, c := range []struct {
			min, max string
			want     int
		}{
			{"-", "+", 9}, {"+", "-", 0}, {"+", "[c", 0}, {"[c", "-", 0}, {"[bar", "+", 8}, {"[bar", "[foo", 5},
			{"[bar", "(foo", 4}, {"(bar", "[foo", 4}, {"(bar", "(foo", 3}, {"-", "(foo", 5}, {"(maxstring", "+", 1},
		} {
			r.eq(c.want, "ZLEXCOUNT", "zset", c.min, c.max)
		}
	}},
	{"ZRANGEBYSLEX with LIMIT - listpack", func(t *testing.T, r *suiteConn) {
		zsetDefaultLex(r)
		r.eq(suiteWords("alpha bar"), "ZRANGEBYLEX", "zset", "-", "[cool", "LIMIT", 0, 2)
		r.eq(suiteWords("bar cool"), "ZRANGEBYLEX", "zset", "-", "[cool", "LIMIT", 1, 2)
		r.eq(suiteWords(""), "ZRANGEBYLEX", "zset", "[bar", "[down", "LIMIT", 0, 0)
		r.eq(suiteWords(""), "ZRANGEBYLEX", "zset", "[bar", "[down", "LIMIT", 2, 0)
		r.eq(suiteWords("bar"), "ZRANGEBYLEX", "zset", "[bar", "[down", "LIMIT", 0, 1)
		r.eq(suiteWords("cool"), "ZRANGEBYLEX", "zset", "[bar", "[down", "LIMIT", 1, 1)
		r.eq(suiteWords("bar cool down"), "ZRANGEBYLEX", "zset", "[bar", "[down", "LIMIT", 0, 100)
		r.eq(suiteWords("omega hill great foo elephant"), "ZREVRANGEBYLEX", "zset", "+", "[d", "LIMIT", 0, 5)
		r.eq(suiteWords("omega hill great foo"), "ZREVRANGEBYLEX", "zset", "+", "[d", "LIMIT", 0, 4)
	}},
	{"ZRANGEBYLEX with invalid lex range specifiers - listpack", func(t *testing.T, r *suiteConn) {
		r.errMatch("*not*string*", "ZRANGEBYLEX", "fooz", "foo", "bar")
		r.errMatch("*not*string*", "ZRANGEBYLEX", "fooz", "[foo", "bar")
		r.errMatch("*not*string*", "ZRANGEBYLEX", "fooz", "foo", "[bar")
		r.errMatch("*not*string*", "ZRANGEBYLEX", "fooz", "+x", "[bar")
		r.errMatch("*not*string*", "ZRANGEBYLEX", "fooz", "-x", "[bar")
	}},
	{"ZREMRANGEBYSCORE basics - listpack", func(t *testing.T, r *suiteConn) {
		for _, c := range []struct {
			min, max any
			removed  int
			left     string
		}{
			{2, 4, 3, "a e"},        // inner range
			{-10, 1, 1, "b c d e"},  // start underflow
			{5, 10, 1, "a b c d"},   // end overflow
			{4, 2, 0, "a b c d e"},  // switch min and max
			{"-inf", 3, 3, "d e"},   // -inf to mid
			{3, "+inf", 3, "a b"},   // mid to +inf
			{"-inf", "+inf", 5, ""}, // -inf to +inf
			{"(1", 5, 4, "a"},       // exclusive min
			{"(2", 5, 3, "a b"},     //
			{1, "(5", 4, "e"},       // exclusive max
			{1, "(4", 3, "d e"},     //
			{"(1", "(5", 3, "a e"},  // exclusive min and max
			{1, 5, 5, ""},           // destroy when empty
		} {
			zsetCreate(r, "zset", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e")
			r.eq(1, "EXISTS", "zset")
			r.eq(c.removed, "ZREMRANGEBYSCORE", "zset", c.min, c.max)
			r.eq(suiteWords(c.left), "ZRANGE", "zset", 0, -1)
		}
		r.eq(0, "EXISTS", "zset")
	}},
	{"ZREMRANGEBYSCORE with non-value min or max - listpack", func(t *testing.T, r *suiteConn) {
		r.errMatch("*not*float*", "ZREMRANGEBYSCORE", "fooz", "str", 1)
		r.errMatch("*not*float*", "ZREMRANGEBYSCORE", "fooz", 1, "str")
		r.errMatch("*not*float*", "ZREMRANGEBYSCORE", "fooz", 1, "NaN")
	}},
	{"ZREMRANGEBYRANK basics - listpack", func(t *testing.T, r *suiteConn) {
		for _, c := range []struct {
			start, stop int
			removed     int
			left        string
		}{
			{1, 3, 3, "a e"},         // inner range
			{-10, 0, 1, "b c d e"},   // start underflow
			{10, -1, 0, "a b c d e"}, // start overflow
			{0, -10, 0, "a b c d e"}, // end underflow
			{0, 10, 5, ""},           // end overflow
			{0, 4, 5, ""},            // destroy when empty
		} {
			zsetCreate(r, "zset", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e")
			r.eq(1, "EXISTS", "zset")
			r.eq(c.removed, "ZREMRANGEBYRANK", "zset", c.start, c.stop)
			r.eq(suiteWords(c.left), "ZRANGE", "zset", 0, -1)
		}
		r.eq(0, "EXISTS", "zset")
	}},
	{"ZREMRANGEBYLEX basics - listpack", func(t *testing.T, r *suiteConn) {
		all := "alpha bar cool down elephant foo great hill omega"
		for _, c := range []struct {
			min, max string
			removed  int
			left     string
			card     int
		}{
			// inclusive range
			{"-", "[cool", 3, "down elephant foo great hill omega", 0},
			{"[bar", "[down", 3, "alpha elephant foo great hill omega", 0},
			{"[g", "+", 3, "alpha bar cool down elephant foo", 6},
			// exclusive range
			{"-", "(cool", 2, "cool down elephant foo great hill omega", 0},
			{"(bar", "(down", 1, "alpha bar down elephant foo great hill omega", 0},
			{"(great", "+", 2, "alpha bar cool down elephant foo great", 7},
			// inclusive and exclusive
			{"(az", "(b", 0, all, 0},
			{"(z", "+", 0, all, 0},
			{"-", "[aaaa", 0, all, 9},
			// destroy when empty
			{"-", "+", 9, "", 0},
		} {
			zsetDefaultLex(r)
			r.eq(1, "EXISTS", "zset")
			r.eq(c.removed, "ZREMRANGEBYLEX", "zset", c.min, c.max)
			r.eq(suiteWords(c.left), "ZRANGE", "zset", 0, -1)
			if c.card != 0 {
				r.eq(c.card, "ZCARD", "zset")
			}
		}
		r.eq(0, "ZCARD", "zset")
		r.eq(0, "EXISTS", "zset")
	}},
	{"ZUNIONSTORE against non-existing key doesn't set destination - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zseta{t}")
		r.eq(0, "ZUNIONSTORE", "dst_key{t}", 1, "zseta{t}")
		r.eq(0, "EXISTS", "dst_key{t}")
	}},
	{"ZUNION/ZINTER/ZINTERCARD/ZDIFF against non-existing key - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zseta")
		r.eq(suiteWords(""), "ZUNION", 1, "zseta")
		r.eq(suiteWords(""), "ZINTER", 1, "zseta")
		r.eq(0, "ZINTERCARD", 1, "zseta")
		r.eq(0, "ZINTERCARD", 1, "zseta", "limit", 0)
		r.eq(suiteWords(""), "ZDIFF", 1, "zseta")
	}},
	{"ZUNIONSTORE with empty set - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zseta{t}", "zsetb{t}")
		r.integer("ZADD", "zseta{t}", 1, "a")
		r.integer("ZADD", "zseta{t}", 2, "b")
		r.eq(2, "ZUNIONSTORE", "zsetc{t}", 2, "zseta{t}", "zsetb{t}")
		r.eq(suiteWords("a 1 b 2"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZUNION/ZINTER/ZINTERCARD/ZDIFF with empty set - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zseta{t}", "zsetb{t}")
		r.integer("ZADD", "zseta{t}", 1, "a")
		r.integer("ZADD", "zseta{t}", 2, "b")
		r.eq(suiteWords("a 1 b 2"), "ZUNION", 2, "zseta{t}", "zsetb{t}", "withscores")
		r.eq(suiteWords(""), "ZINTER", 2, "zseta{t}", "zsetb{t}", "withscores")
		r.eq(0, "ZINTERCARD", 2, "zseta{t}", "zsetb{t}")
		r.eq(0, "ZINTERCARD", 2, "zseta{t}", "zsetb{t}", "limit", 0)
		r.eq(suiteWords("a 1 b 2"), "ZDIFF", 2, "zseta{t}", "zsetb{t}", "withscores")
	}},
	{"ZUNIONSTORE basics - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zseta{t}", "zsetb{t}", "zsetc{t}")
		for _, a := range [][]any{{"zseta{t}", 1, "a"}, {"zseta{t}", 2, "b"}, {"zseta{t}", 3, "c"}, {"zsetb{t}", 1, "b"}, {"zsetb{t}", 2, "c"}, {"zsetb{t}", 3, "d"}} {
			r.integer(append([]any{"ZADD"}, a...)...)
		}
		r.eq(4, "ZUNIONSTORE", "zsetc{t}", 2, "zseta{t}", "zsetb{t}")
		r.eq(suiteWords("a 1 b 3 d 3 c 5"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZUNION/ZINTER/ZINTERCARD/ZDIFF with integer members - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zsetd{t}", "zsetf{t}")
		for _, a := range [][]any{{"zsetd{t}", 1, 1}, {"zsetd{t}", 2, 2}, {"zsetd{t}", 3, 3}, {"zsetf{t}", 1, 1}, {"zsetf{t}", 3, 3}, {"zsetf{t}", 4, 4}} {
			r.integer(append([]any{"ZADD"}, a...)...)
		}
		r.eq(suiteWords("1 2 2 2 4 4 3 6"), "ZUNION", 2, "zsetd{t}", "zsetf{t}", "withscores")
		r.eq(suiteWords("1 2 3 6"), "ZINTER", 2, "zsetd{t}", "zsetf{t}", "withscores")
		r.eq(2, "ZINTERCARD", 2, "zsetd{t}", "zsetf{t}")
		r.eq(2, "ZINTERCARD", 2, "zsetd{t}", "zsetf{t}", "limit", 0)
		r.eq(suiteWords("2 2"), "ZDIFF", 2, "zsetd{t}", "zsetf{t}", "withscores")
	}},
	{"ZUNIONSTORE with weights - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(4, "ZUNIONSTORE", "zsetc{t}", 2, "zseta{t}", "zsetb{t}", "weights", 2, 3)
		r.eq(suiteWords("a 2 b 7 d 9 c 12"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZUNION with weights - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(suiteWords("a 2 b 7 d 9 c 12"), "ZUNION", 2, "zseta{t}", "zsetb{t}", "weights", 2, 3, "withscores")
		r.eq(suiteWords("b 7 c 12"), "ZINTER", 2, "zseta{t}", "zsetb{t}", "weights", 2, 3, "withscores")
	}},
	{"ZUNIONSTORE with a regular set and weights - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "seta{t}")
		for _, m := range []string{"a", "b", "c"} {
			r.eq(1, "SADD", "seta{t}", m)
		}
		r.eq(4, "ZUNIONSTORE", "zsetc{t}", 2, "seta{t}", "zsetb{t}", "weights", 2, 3)
		r.eq(suiteWords("a 2 b 5 c 8 d 9"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZUNIONSTORE with AGGREGATE MIN - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(4, "ZUNIONSTORE", "zsetc{t}", 2, "zseta{t}", "zsetb{t}", "aggregate", "min")
		r.eq(suiteWords("a 1 b 1 c 2 d 3"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZUNION/ZINTER with AGGREGATE MIN - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(suiteWords("a 1 b 1 c 2 d 3"), "ZUNION", 2, "zseta{t}", "zsetb{t}", "aggregate", "min", "withscores")
		r.eq(suiteWords("b 1 c 2"), "ZINTER", 2, "zseta{t}", "zsetb{t}", "aggregate", "min", "withscores")
	}},
	{"ZUNIONSTORE with AGGREGATE MAX - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(4, "ZUNIONSTORE", "zsetc{t}", 2, "zseta{t}", "zsetb{t}", "aggregate", "max")
		r.eq(suiteWords("a 1 b 2 c 3 d 3"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZUNION/ZINTER with AGGREGATE MAX - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(suiteWords("a 1 b 2 c 3 d 3"), "ZUNION", 2, "zseta{t}", "zsetb{t}", "aggregate", "max", "withscores")
		r.eq(suiteWords("b 2 c 3"), "ZINTER", 2, "zseta{t}", "zsetb{t}", "aggregate", "max", "withscores")
	}},
	{"ZINTERSTORE basics - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(2, "ZINTERSTORE", "zsetc{t}", 2, "zseta{t}", "zsetb{t}")
		r.eq(suiteWords("b 3 c 5"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZINTER basics - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(suiteWords("b 3 c 5"), "ZINTER", 2, "zseta{t}", "zsetb{t}", "withscores")
	}},
	{"ZINTERCARD with illegal arguments", func(t *testing.T, r *suiteConn) {
		r.errMatch("ERR syntax error*", "ZINTERCARD", 1, "zseta{t}", "zseta{t}")
		r.errMatch("ERR syntax error*", "ZINTERCARD", 1, "zseta{t}", "bar_arg")
		r.errMatch("ERR syntax error*", "ZINTERCARD", 1, "zseta{t}", "LIMIT")

		r.errMatch("ERR LIMIT*", "ZINTERCARD", 1, "myset{t}", "LIMIT", -1)
		r.errMatch("ERR LIMIT*", "ZINTERCARD", 1, "myset{t}", "LIMIT", "a")
	}},
	{"ZINTERCARD basics - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(2, "ZINTERCARD", 2, "zseta{t}", "zsetb{t}")
		r.eq(2, "ZINTERCARD", 2, "zseta{t}", "zsetb{t}", "limit", 0)
		r.eq(1, "ZINTERCARD", 2, "zseta{t}", "zsetb{t}", "limit", 1)
		r.eq(2, "ZINTERCARD", 2, "zseta{t}", "zsetb{t}", "limit", 10)
	}},
	{"ZINTER RESP3 - listpack", func(t *testing.T, r *suiteConn) {
		r.hello(3)
		r.eq3([]any{zpair("b", 3), zpair("c", 5)}, "ZINTER", 2, "zseta{t}", "zsetb{t}", "withscores")
		r.hello(2)
	}},
	{"ZINTERSTORE with weights - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(2, "ZINTERSTORE", "zsetc{t}", 2, "zseta{t}", "zsetb{t}", "weights", 2, 3)
		r.eq(suiteWords("b 7 c 12"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZINTER with weights - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(suiteWords("b 7 c 12"), "ZINTER", 2, "zseta{t}", "zsetb{t}", "weights", 2, 3, "withscores")
	}},
	{"ZINTERSTORE with a regular set and weights - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "seta{t}")
		for _, m := range []string{"a", "b", "c"} {
			r.eq(1, "SADD", "seta{t}", m)
		}
		r.eq(2, "ZINTERSTORE", "zsetc{t}", 2, "seta{t}", "zsetb{t}", "weights", 2, 3)
		r.eq(suiteWords("b 5 c 8"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZINTERSTORE with AGGREGATE MIN - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(2, "ZINTERSTORE", "zsetc{t}", 2, "zseta{t}", "zsetb{t}", "aggregate", "min")
		r.eq(suiteWords("b 1 c 2"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZINTERSTORE with AGGREGATE MAX - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(2, "ZINTERSTORE", "zsetc{t}", 2, "zseta{t}", "zsetb{t}", "aggregate", "max")
		r.eq(suiteWords("b 2 c 3"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZUNIONSTORE with +inf/-inf scores - listpack", func(t *testing.T, r *suiteConn) { zsetStoreInf(r, "ZUNIONSTORE") }},
	{"ZUNIONSTORE with NaN weights - listpack", func(t *testing.T, r *suiteConn) { zsetStoreNaNWeights(r, "ZUNIONSTORE") }},
	{"ZINTERSTORE with +inf/-inf scores - listpack", func(t *testing.T, r *suiteConn) { zsetStoreInf(r, "ZINTERSTORE") }},
	{"ZINTERSTORE with NaN weights - listpack", func(t *testing.T, r *suiteConn) { zsetStoreNaNWeights(r, "ZINTERSTORE") }},
	{"ZDIFFSTORE basics - listpack", func(t *testing.T, r *suiteConn) {
		// zseta{t} and zsetb{t} are those of "ZUNIONSTORE basics".
		r.eq(1, "ZDIFFSTORE", "zsetc{t}", 2, "zseta{t}", "zsetb{t}")
		r.eq(suiteWords("a 1"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZDIFF basics - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(suiteWords("a 1"), "ZDIFF", 2, "zseta{t}", "zsetb{t}", "withscores")
	}},
	{"ZDIFFSTORE with a regular set - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "seta{t}")
		for _, m := range []string{"a", "b", "c"} {
			r.eq(1, "SADD", "seta{t}", m)
		}
		r.eq(1, "ZDIFFSTORE", "zsetc{t}", 2, "seta{t}", "zsetb{t}")
		r.eq(suiteWords("a 1"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZDIFF subtracting set from itself - listpack", func(t *testing.T, r *suiteConn) {
		r.eq(0, "ZDIFFSTORE", "zsetc{t}", 2, "zseta{t}", "zseta{t}")
		r.eq(suiteWords(""), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZDIFF algorithm 1 - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zseta{t}", "zsetb{t}", "zsetc{t}")
		for _, a := range [][]any{{"zseta{t}", 1, "a"}, {"zseta{t}", 2, "b"}, {"zseta{t}", 3, "c"}, {"zsetb{t}", 1, "b"}, {"zsetb{t}", 2, "c"}, {"zsetb{t}", 3, "d"}} {
			r.integer(append([]any{"ZADD"}, a...)...)
		}
		r.eq(1, "ZDIFFSTORE", "zsetc{t}", 2, "zseta{t}", "zsetb{t}")
		r.eq(suiteWords("a 1"), "ZRANGE", "zsetc{t}", 0, -1, "withscores")
	}},
	{"ZDIFF algorithm 2 - listpack", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zseta{t}", "zsetb{t}", "zsetc{t}", "zsetd{t}", "zsete{t}")
		for _, a := range [][]any{{"zseta{t}", 1, "a"}, {"zseta{t}", 2, "b"}, {"zseta{t}", 3, "c"}, {"zseta{t}", 5, "e"}, {"zsetb{t}", 1, "b"}, {"zsetc{t}", 1, "c"}, {"zsetd{t}", 1, "d"}} {
			r.integer(append([]any{"ZADD"}, a...)...)
		}
		r.eq(2, "ZDIFFSTORE", "zsete{t}", 4, "zseta{t}", "zsetb{t}", "zsetc{t}", "zsetd{t}")
		r.eq(suiteWords("a 1 e 5"), "ZRANGE", "zsete{t}", 0, -1, "withscores")
	}},
	{"ZDIFF fuzzing - listpack", func(t *testing.T, r *suiteConn) {
		// 25 rounds, not the suite's 100; each set's ZADDs pipelined.
		rng := rand.New(rand.NewPCG(5, 6))
		for range 25 {
			s := map[string]bool{}
			var keys []any
			var cmds [][]any
			numSets := rng.IntN(10) + 1
			for i := range numSets {
				key := fmt.Sprintf("zset_%d{t}", i)
				cmds = append(cmds, []any{"DEL", key})
				keys = append(keys, key)
				for range rng.IntN(100) {
					ele := zrandomValue(rng)
					cmds = append(cmds, []any{"ZADD", key, rng.IntN(100), ele})
					if i == 0 {
						s[ele] = true
					} else {
						delete(s, ele)
					}
				}
			}
			for i, v := range r.pipeline(cmds) {
				_, isErr := v.(suiteErr)
				r.check(!isErr, "%q: %v", suiteArgs(cmds[i]), v)
			}
			want := []string{}
			for ele := range s {
				want = append(want, ele)
			}
			sort.Strings(want)
			got := r.sorted(append([]any{"ZDIFF", len(keys)}, keys...)...)
			r.same(want, suiteNorm(got), "ZDIFF", len(keys))
		}
	}},
	{"ZPOPMIN with the count 0 returns an empty array", func(t *testing.T, r *suiteConn) { zsetPopZero(r, "ZPOPMIN") }},
	{"ZPOPMIN with negative count", func(t *testing.T, r *suiteConn) { zsetPopNegative(r, "ZPOPMIN") }},
	{"ZPOPMAX with the count 0 returns an empty array", func(t *testing.T, r *suiteConn) { zsetPopZero(r, "ZPOPMAX") }},
	{"ZPOPMAX with negative count", func(t *testing.T, r *suiteConn) { zsetPopNegative(r, "ZPOPMAX") }},
	{"Basic ZPOPMIN/ZPOPMAX with a single key - listpack", func(t *testing.T, r *suiteConn) { zsetPopBasic(r, "ZPOPMIN", "ZPOPMAX") }},
	{"ZPOPMIN/ZPOPMAX with count - listpack", func(t *testing.T, r *suiteConn) { zsetPopCount(r, "ZPOPMIN", "ZPOPMAX") }},
	{"Basic ZMPOP_MIN/ZMPOP_MAX with a single key - listpack", func(t *testing.T, r *suiteConn) { zsetPopBasic(r, "ZMPOP_MIN", "ZMPOP_MAX") }},
	{"ZMPOP_MIN/ZMPOP_MAX with count - listpack", func(t *testing.T, r *suiteConn) { zsetPopCount(r, "ZMPOP_MIN", "ZMPOP_MAX") }},
	{"Basic ZPOPMIN/ZPOPMAX - listpack RESP3", func(t *testing.T, r *suiteConn) { zsetPopBasic3(r, "ZPOPMIN", "ZPOPMAX") }},
	{"ZPOPMIN/ZPOPMAX with count - listpack RESP3", func(t *testing.T, r *suiteConn) { zsetPopCount3(r, "ZPOPMIN", "ZPOPMAX") }},
	{"Basic ZMPOP_MIN/ZMPOP_MAX - listpack RESP3", func(t *testing.T, r *suiteConn) { zsetPopBasic3(r, "ZMPOP_MIN", "ZMPOP_MAX") }},
	{"ZMPOP_MIN/ZMPOP_MAX with count - listpack RESP3", func(t *testing.T, r *suiteConn) { zsetPopCount3(r, "ZMPOP_MIN", "ZMPOP_MAX") }},

	{"ZPOP/ZMPOP against wrong type", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "foo{t}", "bar")
		for _, a := range [][]any{
			{"ZPOPMIN", "foo{t}"}, {"ZPOPMIN", "foo{t}", 0}, {"ZPOPMAX", "foo{t}"}, {"ZPOPMAX", "foo{t}", 0}, {"ZPOPMIN", "foo{t}", 2},
			{"ZMPOP", 1, "foo{t}", "min"}, {"ZMPOP", 1, "foo{t}", "max"}, {"ZMPOP", 1, "foo{t}", "max", "count", 200},
		} {
			r.errMatch("*WRONGTYPE*", a...)
		}
		r.do("DEL", "foo{t}")
		r.ok("SET", "foo2{t}", "bar")
		r.errMatch("*WRONGTYPE*", "ZMPOP", 2, "foo{t}", "foo2{t}", "min")
		r.errMatch("*WRONGTYPE*", "ZMPOP", 2, "foo2{t}", "foo1{t}", "max", "count", 1)
	}},
	{"ZMPOP with illegal argument", func(t *testing.T, r *suiteConn) {
		r.errMatch("ERR wrong number of arguments for 'zmpop' command", "ZMPOP")
		r.errMatch("ERR wrong number of arguments for 'zmpop' command", "ZMPOP", 1)
		r.errMatch("ERR wrong number of arguments for 'zmpop' command", "ZMPOP", 1, "myzset{t}")

		r.errMatch("ERR numkeys*", "ZMPOP", 0, "myzset{t}", "MIN")
		r.errMatch("ERR numkeys*", "ZMPOP", "a", "myzset{t}", "MIN")
		r.errMatch("ERR numkeys*", "ZMPOP", -1, "myzset{t}", "MAX")

		r.errMatch("ERR syntax error*", "ZMPOP", 1, "myzset{t}", "bad_where")
		r.errMatch("ERR syntax error*", "ZMPOP", 1, "myzset{t}", "MIN", "bar_arg")
		r.errMatch("ERR syntax error*", "ZMPOP", 1, "myzset{t}", "MAX", "MIN")
		r.errMatch("ERR syntax error*", "ZMPOP", 1, "myzset{t}", "COUNT")
		r.errMatch("ERR syntax error*", "ZMPOP", 1, "myzset{t}", "MAX", "COUNT", 1, "COUNT", 2)
		r.errMatch("ERR syntax error*", "ZMPOP", 2, "myzset{t}", "myzset2{t}", "bad_arg")

		r.errMatch("ERR count*", "ZMPOP", 1, "myzset{t}", "MIN", "COUNT", 0)
		r.errMatch("ERR count*", "ZMPOP", 1, "myzset{t}", "MAX", "COUNT", "a")
		r.errMatch("ERR count*", "ZMPOP", 1, "myzset{t}", "MIN", "COUNT", -1)
		r.errMatch("ERR count*", "ZMPOP", 2, "myzset{t}", "myzset2{t}", "MAX", "COUNT", -1)
	}},
	{"ZPOPMIN/ZPOPMAX readraw in RESP3", func(t *testing.T, r *suiteConn) { zsetPopRaw(r, 3) }},
	{"ZMPOP readraw in RESP3", func(t *testing.T, r *suiteConn) { zsetMPopRaw(r, 3) }},
	{"ZPOPMIN/ZPOPMAX readraw in RESP2", func(t *testing.T, r *suiteConn) { zsetPopRaw(r, 2) }},
	{"ZMPOP readraw in RESP2", func(t *testing.T, r *suiteConn) { zsetMPopRaw(r, 2) }},
	{"ZINTERSTORE regression with two sets, intset+hashtable", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "seta{t}", "setb{t}", "setc{t}")
		r.integer("SADD", "set1{t}", "a")
		r.integer("SADD", "set2{t}", 10)
		r.eq(0, "ZINTERSTORE", "set3{t}", 2, "set1{t}", "set2{t}")
	}},
	{"ZUNIONSTORE regression, should not create NaN in scores", func(t *testing.T, r *suiteConn) {
		r.integer("ZADD", "z{t}", "-inf", "neginf")
		r.eq(1, "ZUNIONSTORE", "out{t}", 1, "z{t}", "weights", 0)
		r.eq(suiteWords("neginf 0"), "ZRANGE", "out{t}", 0, -1, "withscores")
	}},
	{"ZINTERSTORE #516 regression, mixed sets and ziplist zsets", func(t *testing.T, r *suiteConn) {
		r.integer("SADD", "one{t}", 100, 101, 102, 103)
		r.integer("SADD", "two{t}", 100, 200, 201, 202)
		r.integer("ZADD", "three{t}", 1, 500, 1, 501, 1, 502, 1, 503, 1, 100)
		r.eq(1, "ZINTERSTORE", "to_here{t}", 3, "one{t}", "two{t}", "three{t}", "WEIGHTS", 0, 0, 1)
		r.eq(suiteWords("100"), "ZRANGE", "to_here{t}", 0, -1)
	}},
	{"ZUNIONSTORE result is sorted", func(t *testing.T, r *suiteConn) {
		// Two sets with common and not common elements: the union's
		// elements are still sorted.
		rng := rand.New(rand.NewPCG(7, 8))
		r.do("DEL", "one{t}", "two{t}", "dest{t}")
		cmd1 := []any{"ZADD", "one{t}"}
		cmd2 := []any{"ZADD", "two{t}"}
		for range 1000 {
			cmd1 = append(cmd1, strconv.FormatFloat(rng.Float64(), 'g', -1, 64), rng.IntN(1000))
			cmd2 = append(cmd2, strconv.FormatFloat(rng.Float64(), 'g', -1, 64), rng.IntN(1000))
		}
		r.integer(cmd1...)
		r.integer(cmd2...)
		r.check(r.integer("ZCARD", "one{t}") > 100, "ZCARD one{t} <= 100")
		r.check(r.integer("ZCARD", "two{t}") > 100, "ZCARD two{t} <= 100")
		r.integer("ZUNIONSTORE", "dest{t}", 2, "one{t}", "two{t}")
		old := 0.0
		res := r.strs("ZRANGE", "dest{t}", 0, -1, "WITHSCORES")
		for i := 1; i < len(res); i += 2 {
			score, err := strconv.ParseFloat(res[i], 64)
			r.check(err == nil && score >= old, "score %q after %v", res[i], old)
			old = score
		}
	}},
	{"ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE error if using WITHSCORES ", func(t *testing.T, r *suiteConn) {
		r.errMatch("*ERR*syntax*", "ZUNIONSTORE", "foo{t}", 2, "zsetd{t}", "zsetf{t}", "withscores")
		r.errMatch("*ERR*syntax*", "ZINTERSTORE", "foo{t}", 2, "zsetd{t}", "zsetf{t}", "withscores")
		r.errMatch("*ERR*syntax*", "ZDIFFSTORE", "foo{t}", 2, "zsetd{t}", "zsetf{t}", "withscores")
	}},
	{"ZMSCORE retrieve", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zmscoretest")
		r.integer("ZADD", "zmscoretest", 10, "x")
		r.integer("ZADD", "zmscoretest", 20, "y")
		r.eq(suiteWords("10 20"), "ZMSCORE", "zmscoretest", "x", "y")
	}},
	{"ZMSCORE retrieve from empty set", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zmscoretest")
		r.eq([]any{nil, nil}, "ZMSCORE", "zmscoretest", "x", "y")
	}},
	{"ZMSCORE retrieve with missing member", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zmscoretest")
		r.integer("ZADD", "zmscoretest", 10, "x")
		r.eq([]any{"10", nil}, "ZMSCORE", "zmscoretest", "x", "y")
	}},
	{"ZMSCORE retrieve single member", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zmscoretest")
		r.integer("ZADD", "zmscoretest", 10, "x")
		r.integer("ZADD", "zmscoretest", 20, "y")
		r.eq(suiteWords("10"), "ZMSCORE", "zmscoretest", "x")
	}},
	{"ZMSCORE retrieve requires one or more members", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "zmscoretest")
		r.integer("ZADD", "zmscoretest", 10, "x")
		r.integer("ZADD", "zmscoretest", 20, "y")
		r.errMatch("*ERR*wrong*number*arg*", "ZMSCORE", "zmscoretest")
	}},
	{"ZSET commands don't accept the empty strings as valid score", func(t *testing.T, r *suiteConn) {
		r.errMatch("*not*float*", "ZADD", "myzset", "", "abc")
	}},
	{"zunionInterDiffGenericCommand at least 1 input key", func(t *testing.T, r *suiteConn) {
		r.errMatch("*at least 1 input key * 'zunion' command", "ZUNION", 0, "key{t}")
		r.errMatch("*at least 1 input key * 'zunionstore' command", "ZUNIONSTORE", "dst_key{t}", 0, "key{t}")
		r.errMatch("*at least 1 input key * 'zinter' command", "ZINTER", 0, "key{t}")
		r.errMatch("*at least 1 input key * 'zinterstore' command", "ZINTERSTORE", "dst_key{t}", 0, "key{t}")
		r.errMatch("*at least 1 input key * 'zdiff' command", "ZDIFF", 0, "key{t}")
		r.errMatch("*at least 1 input key * 'zdiffstore' command", "ZDIFFSTORE", "dst_key{t}", 0, "key{t}")
		r.errMatch("*at least 1 input key * 'zintercard' command", "ZINTERCARD", 0, "key{t}")
	}},
	{"ZSET skiplist order consistency when elements are moved", func(t *testing.T, r *suiteConn) {
		// The suite sets zset-max-ziplist-entries to 0 for a skiplist;
		// the order it checks is the same for any encoding. 3 rounds of
		// the suite's 10, each round's ZADDs pipelined.
		rng := rand.New(rand.NewPCG(9, 10))
		for range 3 {
			cmds := [][]any{{"DEL", "zset"}}
			for range 1000 {
				cmds = append(cmds, []any{"ZADD", "zset", rng.IntN(50), "ele-" + strconv.Itoa(rng.IntN(10))})
			}
			r.pipeline(cmds)
			prevElement, prevScore := "", -1.0
			res := r.strs("ZRANGE", "zset", 0, -1, "WITHSCORES")
			for i := 0; i+1 < len(res); i += 2 {
				score, _ := strconv.ParseFloat(res[i+1], 64)
				r.check(prevScore < score || (prevScore == score && prevElement < res[i]),
					"%s %s after %s %v", res[i], res[i+1], prevElement, prevScore)
				prevElement, prevScore = res[i], score
			}
		}
	}},
	{"ZRANGESTORE basic", func(t *testing.T, r *suiteConn) {
		r.ok("FLUSHALL")
		r.eq(4, "ZADD", "z1{t}", 1, "a", 2, "b", 3, "c", 4, "d")
		r.eq(4, "ZRANGESTORE", "z2{t}", "z1{t}", 0, -1)
		r.eq(suiteWords("a 1 b 2 c 3 d 4"), "ZRANGE", "z2{t}", 0, -1, "withscores")
	}},
	{"ZRANGESTORE RESP3", func(t *testing.T, r *suiteConn) {
		r.hello(3)
		r.eq3([]any{zpair("a", 1), zpair("b", 2), zpair("c", 3), zpair("d", 4)}, "ZRANGE", "z2{t}", 0, -1, "withscores")
		r.hello(2)
	}},
	{"ZRANGESTORE range", func(t *testing.T, r *suiteConn) {
		r.eq(2, "ZRANGESTORE", "z2{t}", "z1{t}", 1, 2)
		r.eq(suiteWords("b 2 c 3"), "ZRANGE", "z2{t}", 0, -1, "withscores")
	}},
	{"ZRANGESTORE BYLEX", func(t *testing.T, r *suiteConn) {
		r.eq(2, "ZRANGESTORE", "z2{t}", "z1{t}", "[b", "[c", "BYLEX")
		r.eq(suiteWords("b 2 c 3"), "ZRANGE", "z2{t}", 0, -1, "withscores")
	}},
	{"ZRANGESTORE BYSCORE", func(t *testing.T, r *suiteConn) {
		r.eq(2, "ZRANGESTORE", "z2{t}", "z1{t}", 1, 2, "BYSCORE")
		r.eq(suiteWords("a 1 b 2"), "ZRANGE", "z2{t}", 0, -1, "withscores")
	}},
	{"ZRANGESTORE BYSCORE LIMIT", func(t *testing.T, r *suiteConn) {
		r.eq(2, "ZRANGESTORE", "z2{t}", "z1{t}", 0, 5, "BYSCORE", "LIMIT", 0, 2)
		r.eq(suiteWords("a 1 b 2"), "ZRANGE", "z2{t}", 0, -1, "withscores")
	}},
	{"ZRANGESTORE BYSCORE REV LIMIT", func(t *testing.T, r *suiteConn) {
		r.eq(2, "ZRANGESTORE", "z2{t}", "z1{t}", 5, 0, "BYSCORE", "REV", "LIMIT", 0, 2)
		r.eq(suiteWords("c 3 d 4"), "ZRANGE", "z2{t}", 0, -1, "withscores")
	}},
	{"ZRANGE BYSCORE REV LIMIT", func(t *testing.T, r *suiteConn) {
		r.eq(suiteWords("d 4 c 3"), "ZRANGE", "z1{t}", 5, 0, "BYSCORE", "REV", "LIMIT", 0, 2, "WITHSCORES")
	}},
	{"ZRANGESTORE - src key missing", func(t *testing.T, r *suiteConn) {
		r.eq(0, "ZRANGESTORE", "z2{t}", "missing{t}", 0, -1)
		r.eq(0, "EXISTS", "z2{t}")
	}},
	{"ZRANGESTORE - src key wrong type", func(t *testing.T, r *suiteConn) {
		r.eq(1, "ZADD", "z2{t}", 1, "a")
		r.ok("SET", "foo{t}", "bar")
		r.errMatch("*WRONGTYPE*", "ZRANGESTORE", "z2{t}", "foo{t}", 0, -1)
		r.eq(suiteWords("a"), "ZRANGE", "z2{t}", 0, -1)
	}},
	{"ZRANGESTORE - empty range", func(t *testing.T, r *suiteConn) {
		r.eq(0, "ZRANGESTORE", "z2{t}", "z1{t}", 5, 6)
		r.eq(0, "EXISTS", "z2{t}")
	}},
	{"ZRANGESTORE BYLEX - empty range", func(t *testing.T, r *suiteConn) {
		r.eq(0, "ZRANGESTORE", "z2{t}", "z1{t}", "[f", "[g", "BYLEX")
		r.eq(0, "EXISTS", "z2{t}")
	}},
	{"ZRANGESTORE BYSCORE - empty range", func(t *testing.T, r *suiteConn) {
		r.eq(0, "ZRANGESTORE", "z2{t}", "z1{t}", 5, 6, "BYSCORE")
		r.eq(0, "EXISTS", "z2{t}")
	}},
	{"ZRANGE BYLEX", func(t *testing.T, r *suiteConn) {
		r.eq(suiteWords("b c"), "ZRANGE", "z1{t}", "[b", "[c", "BYLEX")
	}},
	{"ZRANGESTORE invalid syntax", func(t *testing.T, r *suiteConn) {
		r.errMatch("*syntax*", "ZRANGESTORE", "z2{t}", "z1{t}", 0, -1, "limit", 1, 2)
		r.errMatch("*syntax*", "ZRANGESTORE", "z2{t}", "z1{t}", 0, -1, "WITHSCORES")
	}},
	{"ZRANGE invalid syntax", func(t *testing.T, r *suiteConn) {
		r.errMatch("*syntax*", "ZRANGE", "z1{t}", 0, -1, "limit", 1, 2)
		r.errMatch("*syntax*", "ZRANGE", "z1{t}", 0, -1, "BYLEX", "WITHSCORES")
		r.errMatch("*syntax*", "ZREVRANGE", "z1{t}", 0, -1, "BYSCORE")
		r.errMatch("*syntax*", "ZRANGEBYSCORE", "z1{t}", 0, -1, "REV")
	}},
	// The suite sets zset-max-ziplist-value to 10 and makes the skiplist
	// set with a member of 70 to 90 letters; such a member makes a
	// skiplist under Redis's default value (64) too.
	{"ZRANDMEMBER - listpack", func(t *testing.T, r *suiteConn) { zsetRandMember(r, "listpack", "c") }},
	{"ZRANDMEMBER - skiplist", func(t *testing.T, r *suiteConn) {
		zsetRandMember(r, "skiplist", suiteRandString(rand.New(rand.NewPCG(11, 12)), 70, 90, "alpha"))
	}},
	{"ZRANDMEMBER with RESP3", func(t *testing.T, r *suiteConn) {
		r.hello(3)
		res, ok := r.do3("ZRANDMEMBER", "myzset", 3, "withscores").([]any)
		r.check(ok && len(res) == 3, "ZRANDMEMBER myzset 3 withscores: %#v", res)
		pair, ok := res[1].([]any)
		r.check(ok && len(pair) == 2, "ZRANDMEMBER myzset 3 withscores: %#v", res)

		res, ok = r.do3("ZRANDMEMBER", "myzset", 3).([]any)
		r.check(ok && len(res) == 3, "ZRANDMEMBER myzset 3: %#v", res)
		_, ok = res[1].(string)
		r.check(ok, "ZRANDMEMBER myzset 3: %#v", res)
		r.hello(2)
	}},
	{"ZRANDMEMBER count of 0 is handled correctly", func(t *testing.T, r *suiteConn) {
		r.eq(suiteWords(""), "ZRANDMEMBER", "myzset", 0)
	}},
	{"ZRANDMEMBER with <count> against non existing key", func(t *testing.T, r *suiteConn) {
		r.eq(suiteWords(""), "ZRANDMEMBER", "nonexisting_key", 100)
	}},
	{"ZRANDMEMBER count overflow", func(t *testing.T, r *suiteConn) {
		r.integer("ZADD", "myzset", 0, "a")
		r.errMatch("*value is out of range*", "ZRANDMEMBER", "myzset", int64(-9223372036854770000), "withscores")
		r.errMatch("*value is out of range*", "ZRANDMEMBER", "myzset", int64(math.MinInt64), "withscores")
		r.errMatch("*value is out of range*", "ZRANDMEMBER", "myzset", int64(math.MinInt64))
	}},
	{"ZRANDMEMBER count of 0 is handled correctly - emptyarray", func(t *testing.T, r *suiteConn) {
		r.rawEq("*0\r\n", "ZRANDMEMBER", "myzset", 0)
	}},
	{"ZRANDMEMBER with <count> against non existing key - emptyarray", func(t *testing.T, r *suiteConn) {
		r.rawEq("*0\r\n", "ZRANDMEMBER", "nonexisting_key", 100)
	}},
	{"ZRANDMEMBER with <count> - skiplist", func(t *testing.T, r *suiteConn) {
		zsetRandMemberCount(r, "skiplist", suiteRandString(rand.New(rand.NewPCG(13, 14)), 70, 90, "alpha"))
	}},
	{"ZRANDMEMBER with <count> - listpack", func(t *testing.T, r *suiteConn) { zsetRandMemberCount(r, "listpack", "j") }},
	{"zset score double range", func(t *testing.T, r *suiteConn) {
		dblmax := "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.00000000000000000"
		r.do("DEL", "zz")
		r.eq(1, "ZADD", "zz", dblmax, "dblmax")
		r.eq("listpack", "OBJECT", "ENCODING", "zz")
		r.eq("1.7976931348623157e+308", "ZSCORE", "zz", "dblmax")
	}},
	{"zunionInterDiffGenericCommand acts on SET and ZSET", func(t *testing.T, r *suiteConn) {
		// The suite runs this for sets of three encodings and sorted
		// sets of two, set by CONFIG SET set-max-intset-entries,
		// set-max-listpack-entries (Redis 7.2) and
		// zset-max-listpack-entries: the values are the same for each,
		// so it runs once with the default settings, for an intset and
		// for a set that once held a string, with listpack sorted sets.
		r.do("DEL", "set_small{t}", "set_big{t}", "zset_small{t}", "zset_big{t}", "zset_dest{t}")
		for _, setType := range []string{"intset", "strings"} {
			r.do("DEL", "set_small{t}", "set_big{t}")
			if setType == "intset" {
				r.integer("SADD", "set_small{t}", 1, 2, 3)
				r.integer("SADD", "set_big{t}", 1, 2, 3, 4, 5)
				r.eq("intset", "OBJECT", "ENCODING", "set_small{t}")
				r.eq("intset", "OBJECT", "ENCODING", "set_big{t}")
			} else {
				r.integer("SADD", "set_small{t}", "a", 1, 2, 3)
				r.integer("SADD", "set_big{t}", "a", 1, 2, 3, 4, 5)
				r.integer("SREM", "set_small{t}", "a")
				r.integer("SREM", "set_big{t}", "a")
			}
			r.do("DEL", "zset_small{t}", "zset_big{t}")
			r.integer("ZADD", "zset_small{t}", 1, 1, 2, 2, 3, 3)
			r.integer("ZADD", "zset_big{t}", 1, 1, 2, 2, 3, 3, 4, 4, 5, 5)
			r.eq("listpack", "OBJECT", "ENCODING", "zset_small{t}")
			r.eq("listpack", "OBJECT", "ENCODING", "zset_big{t}")

			// One key big and one small, each way round: the sets are
			// sorted from smallest to largest, which takes different
			// paths.
			for _, c := range []struct{ smallOrBig, setKey, zsetKey string }{
				{"small", "set_small{t}", "zset_big{t}"},
				{"big", "set_big{t}", "zset_small{t}"},
			} {
				r.same(suiteWords("1 2 3 4 5"), suiteNorm(r.sorted("ZUNION", 2, c.setKey, c.zsetKey)), "ZUNION")
				r.eq(5, "ZUNIONSTORE", "zset_dest{t}", 2, c.setKey, c.zsetKey)
				r.same(suiteWords("1 2 3"), suiteNorm(r.sorted("ZINTER", 2, c.setKey, c.zsetKey)), "ZINTER")
				r.eq(3, "ZINTERSTORE", "zset_dest{t}", 2, c.setKey, c.zsetKey)
				r.eq(3, "ZINTERCARD", 2, c.setKey, c.zsetKey)
				if c.smallOrBig == "small" {
					r.eq(suiteWords(""), "ZDIFF", 2, c.setKey, c.zsetKey)
					r.eq(0, "ZDIFFSTORE", "zset_dest{t}", 2, c.setKey, c.zsetKey)
				} else {
					r.same(suiteWords("4 5"), suiteNorm(r.sorted("ZDIFF", 2, c.setKey, c.zsetKey)), "ZDIFF")
					r.eq(2, "ZDIFFSTORE", "zset_dest{t}", 2, c.setKey, c.zsetKey)
				}
			}
		}
	}},
	// The suite sets zset-max-listpack-entries to 64; these use Redis's
	// default, 128, which Dynago's OBJECT ENCODING follows.
	{"ZADD overflows the maximum allowed elements in a listpack - single", func(t *testing.T, r *suiteConn) { zsetOverflow(r, "single") }},
	{"ZADD overflows the maximum allowed elements in a listpack - multiple", func(t *testing.T, r *suiteConn) { zsetOverflow(r, "multiple") }},
	{"ZADD overflows the maximum allowed elements in a listpack - single_multiple", func(t *testing.T, r *suiteConn) { zsetOverflow(r, "single_multiple") }},
}

func zsetStoreInf(r *suiteConn, cmd string) {
	r.t.Helper()
	r.do("DEL", "zsetinf1{t}", "zsetinf2{t}")
	for _, c := range []struct{ s1, s2, want string }{
		{"+inf", "+inf", "inf"}, {"-inf", "+inf", "0"}, {"+inf", "-inf", "0"}, {"-inf", "-inf", "-inf"},
	} {
		r.integer("ZADD", "zsetinf1{t}", c.s1, "key")
		r.integer("ZADD", "zsetinf2{t}", c.s2, "key")
		r.eq(1, cmd, "zsetinf3{t}", 2, "zsetinf1{t}", "zsetinf2{t}")
		r.eq(c.want, "ZSCORE", "zsetinf3{t}", "key")
	}
}

func zsetStoreNaNWeights(r *suiteConn, cmd string) {
	r.t.Helper()
	r.do("DEL", "zsetinf1{t}", "zsetinf2{t}")
	r.integer("ZADD", "zsetinf1{t}", "1.0", "key")
	r.integer("ZADD", "zsetinf2{t}", "1.0", "key")
	r.errMatch("*weight*not*float*", cmd, "zsetinf3{t}", 2, "zsetinf1{t}", "zsetinf2{t}", "weights", "nan", "nan")
}

func zsetPopZero(r *suiteConn, pop string) {
	r.t.Helper()
	r.do("DEL", "zset")
	r.integer("ZADD", "zset", 1, "a", 2, "b", 3, "c")
	r.eq(suiteWords(""), pop, "zset", 0)
	// An empty array, not a null.
	r.rawEq("*0\r\n", pop, "zset", 0)
	r.eq(3, "ZCARD", "zset")
}

func zsetPopNegative(r *suiteConn, pop string) {
	r.t.Helper()
	r.ok("SET", "zset", "foo")
	r.errMatch("ERR *must be positive", pop, "zset", -1)
	r.do("DEL", "zset")
	r.errMatch("ERR *must be positive", pop, "zset", -2)
	r.integer("ZADD", "zset", 1, "a", 2, "b", 3, "c")
	r.errMatch("ERR *must be positive", pop, "zset", -3)
}

// zmpopOne is ZMPOP's reply for key with the members and scores given.
func zmpopOne(key string, pairs ...string) []any {
	var elems []any
	for i := 0; i+1 < len(pairs); i += 2 {
		elems = append(elems, []any{pairs[i], pairs[i+1]})
	}
	return []any{key, elems}
}

func zsetPopBasic(r *suiteConn, popmin, popmax string) {
	r.t.Helper()
	r.do("DEL", "zset")
	zpopCheck(r, r.do, popmin, "zset", 0, suiteWords(""), nil)

	zsetCreate(r, "zset", -1, "a", 1, "b", 2, "c", 3, "d", 4, "e")
	zpopCheck(r, r.do, popmin, "zset", 0, suiteWords("a -1"), zmpopOne("zset", "a", "-1"))
	zpopCheck(r, r.do, popmin, "zset", 0, suiteWords("b 1"), zmpopOne("zset", "b", "1"))
	zpopCheck(r, r.do, popmax, "zset", 0, suiteWords("e 4"), zmpopOne("zset", "e", "4"))
	zpopCheck(r, r.do, popmax, "zset", 0, suiteWords("d 3"), zmpopOne("zset", "d", "3"))
	zpopCheck(r, r.do, popmin, "zset", 0, suiteWords("c 2"), zmpopOne("zset", "c", "2"))
	r.eq(0, "EXISTS", "zset")
}

func zsetPopCount(r *suiteConn, popmin, popmax string) {
	r.t.Helper()
	r.do("DEL", "z1")
	zpopCheck(r, r.do, popmin, "z1", 2, suiteWords(""), nil)

	zsetCreate(r, "z1", 0, "a", 1, "b", 2, "c", 3, "d")
	zpopCheck(r, r.do, popmin, "z1", 2, suiteWords("a 0 b 1"), zmpopOne("z1", "a", "0", "b", "1"))
	zpopCheck(r, r.do, popmax, "z1", 2, suiteWords("d 3 c 2"), zmpopOne("z1", "d", "3", "c", "2"))
}

func zsetPopBasic3(r *suiteConn, popmin, popmax string) {
	r.t.Helper()
	r.hello(3)
	zsetCreate(r, "z1", 0, "a", 1, "b", 2, "c", 3, "d")
	zpopCheck(r, r.do3, popmin, "z1", 0, zpair("a", 0), []any{"z1", []any{zpair("a", 0)}})
	zpopCheck(r, r.do3, popmax, "z1", 0, zpair("d", 3), []any{"z1", []any{zpair("d", 3)}})
	r.hello(2)
}

func zsetPopCount3(r *suiteConn, popmin, popmax string) {
	r.t.Helper()
	r.hello(3)
	zsetCreate(r, "z1", 0, "a", 1, "b", 2, "c", 3, "d")
	zpopCheck(r, r.do3, popmin, "z1", 2, []any{zpair("a", 0), zpair("b", 1)}, []any{"z1", []any{zpair("a", 0), zpair("b", 1)}})
	zpopCheck(r, r.do3, popmax, "z1", 2, []any{zpair("d", 3), zpair("c", 2)}, []any{"z1", []any{zpair("d", 3), zpair("c", 2)}})
	r.hello(2)
}

// zrawScore is a score as the suite's verify_score_response reads it in
// RESP proto.
func zrawScore(proto int, score string) string {
	if proto == 2 {
		return "$" + strconv.Itoa(len(score)) + "\r\n" + score + "\r\n"
	}
	return "," + score + "\r\n"
}

// zrawNil is a null array as verify_nil_response reads it.
func zrawNil(proto int) string {
	if proto == 2 {
		return "*-1\r\n"
	}
	return "_\r\n"
}

func zsetPopRaw(r *suiteConn, proto int) {
	r.t.Helper()
	r.hello(proto)
	r.do("DEL", "zset{t}")
	zsetCreate(r, "zset2{t}", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e")

	// ZPOP against a key that does not exist.
	r.rawEq("*0\r\n", "ZPOPMIN", "zset{t}")
	r.rawEq("*0\r\n", "ZPOPMIN", "zset{t}", 1)

	// ZPOP without COUNT.
	r.rawEq("*2\r\n$1\r\na\r\n"+zrawScore(proto, "1"), "ZPOPMIN", "zset2{t}")

	// ZPOP with COUNT.
	if proto == 2 {
		r.rawEq("*2\r\n$1\r\ne\r\n"+zrawScore(proto, "5"), "ZPOPMAX", "zset2{t}", 1)
	} else {
		r.rawEq("*1\r\n*2\r\n$1\r\ne\r\n"+zrawScore(proto, "5"), "ZPOPMAX", "zset2{t}", 1)
	}
	r.hello(2)
}

func zsetMPopRaw(r *suiteConn, proto int) {
	r.t.Helper()
	r.hello(proto)
	r.do("DEL", "zset{t}", "zset2{t}")
	zsetCreate(r, "zset3{t}", 1, "a")
	zsetCreate(r, "zset4{t}", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e")

	// ZMPOP against keys that do not exist.
	r.rawEq(zrawNil(proto), "ZMPOP", 1, "zset{t}", "min")
	r.rawEq(zrawNil(proto), "ZMPOP", 1, "zset{t}", "max", "count", 1)
	r.rawEq(zrawNil(proto), "ZMPOP", 2, "zset{t}", "zset2{t}", "min")
	r.rawEq(zrawNil(proto), "ZMPOP", 2, "zset{t}", "zset2{t}", "max", "count", 1)

	// ZMPOP with one input key.
	r.rawEq("*2\r\n$8\r\nzset3{t}\r\n*1\r\n*2\r\n$1\r\na\r\n"+zrawScore(proto, "1"), "ZMPOP", 1, "zset3{t}", "max")

	// ZMPOP with COUNT.
	r.rawEq("*2\r\n$8\r\nzset4{t}\r\n*2\r\n*2\r\n$1\r\na\r\n"+zrawScore(proto, "1")+"*2\r\n$1\r\nb\r\n"+zrawScore(proto, "2"),
		"ZMPOP", 2, "zset3{t}", "zset4{t}", "min", "count", 2)
	r.hello(2)
}

// zsetRandMember is "ZRANDMEMBER - <type>": myzset holds 1 a 2 b 3 third.
func zsetRandMember(r *suiteConn, encoding, third string) {
	r.t.Helper()
	zsetCreate(r, "myzset", 1, "a", 2, "b", 3, third)
	r.eq(encoding, "OBJECT", "ENCODING", "myzset")
	seen := map[string]bool{}
	for range 100 {
		seen[r.str("ZRANDMEMBER", "myzset")] = true
	}
	want := []string{"a", "b", third}
	sort.Strings(want)
	got := []string{}
	for m := range seen {
		got = append(got, m)
	}
	sort.Strings(got)
	r.same(want, suiteNorm(got), "ZRANDMEMBER", "myzset")
}

// zsetRandMemberCount is "ZRANDMEMBER with <count> - <type>", myzset's
// tenth member being last.
func zsetRandMemberCount(r *suiteConn, encoding, last string) {
	r.t.Helper()
	zsetCreate(r, "myzset", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e", 6, "f", 7, "g", 7, "h", 9, "i", 10, last)
	r.eq(encoding, "OBJECT", "ENCODING", "myzset")

	all := r.strs("ZRANGE", "myzset", 0, -1, "withscores")
	mydict := map[string]string{}
	for i := 0; i+1 < len(all); i += 2 {
		mydict[all[i]] = all[i+1]
	}
	keys := make([]string, 0, len(mydict))
	for k := range mydict {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	checkMembers := func(res []string) {
		r.t.Helper()
		for _, m := range res {
			_, ok := mydict[m]
			r.check(ok, "%q is not a member", m)
		}
	}
	checkScores := func(res []string) {
		r.t.Helper()
		for i := 0; i+1 < len(res); i += 2 {
			s, ok := mydict[res[i]]
			r.check(ok && s == res[i+1], "%q %q is not a member and its score", res[i], res[i+1])
		}
	}
	allSeen := func(seen map[string]bool) bool {
		for _, k := range keys {
			if !seen[k] {
				return false
			}
		}
		return true
	}

	// PATH 1: a negative count, which repeats members.
	for _, n := range []int{20, 1001} {
		res := r.strs("ZRANDMEMBER", "myzset", -n)
		r.check(len(res) == n, "ZRANDMEMBER -%d: %d members", n, len(res))
		checkMembers(res)
		res = r.strs("ZRANDMEMBER", "myzset", -n, "withscores")
		r.check(len(res) == 2*n, "ZRANDMEMBER -%d withscores: %d elements", n, len(res))
		checkScores(res)
	}
	// Uniform: df = 9, 40 means a probability of 0.00001.
	res := r.strs("ZRANDMEMBER", "myzset", -1000)
	r.check(chiSquare(res) < 40, "chi-square %v of ZRANDMEMBER -1000", chiSquare(res))
	checkMembers(res)
	// Eventually every member comes.
	everyRepeatedPickComes(r, "ZRANDMEMBER", "myzset", "withscores", allSeen)

	// PATH 2: a positive count at least the set's size: the whole set.
	for _, size := range []int{10, 20} {
		res := r.strs("ZRANDMEMBER", "myzset", size)
		sort.Strings(res)
		r.same(keys, suiteNorm(res), "ZRANDMEMBER", "myzset", size)
		res = r.strs("ZRANDMEMBER", "myzset", size, "withscores")
		r.check(len(res) == 20, "ZRANDMEMBER %d withscores: %d elements", size, len(res))
		checkScores(res)
		sort.Strings(res)
		want := append([]string(nil), all...)
		sort.Strings(want)
		r.same(want, suiteNorm(res), "ZRANDMEMBER", "myzset", size, "withscores")
	}

	// PATH 3 and 4: a count close to the set's size (Redis copies the
	// set and removes members) and one well below it.
	for _, size := range []int{1, 2, 8} {
		res := r.strs("ZRANDMEMBER", "myzset", size)
		r.check(len(res) == size, "ZRANDMEMBER %d: %d members", size, len(res))
		checkMembers(res)
		res = r.strs("ZRANDMEMBER", "myzset", size, "withscores")
		r.check(len(res) == 2*size, "ZRANDMEMBER %d withscores: %d elements", size, len(res))
		checkScores(res)

		// Eventually every member comes.
		everyPickComes(r, "ZRANDMEMBER", "myzset", size, "withscores", allSeen)
	}
}

// everyRepeatedPickComes is the suite's check that picks of count -3 (which
// may repeat), with their values (with) and without, eventually name every
// element of key: within 1,000 calls, allSeen says so.
func everyRepeatedPickComes(r *suiteConn, cmd, key, with string, allSeen func(map[string]bool) bool) {
	r.t.Helper()
	seen := map[string]bool{}
	for iterations := 1000; iterations != 0; {
		iterations--
		if iterations%2 == 0 {
			res := r.strs(cmd, key, -3, with)
			for i := 0; i < len(res); i += 2 {
				seen[res[i]] = true
			}
		} else {
			for _, m := range r.strs(cmd, key, -3) {
				seen[m] = true
			}
		}
		if allSeen(seen) {
			return
		}
	}
	r.check(false, "not every element came from %s %s -3", cmd, key)
}

// everyPickComes is the suite's check that random picks (HRANDFIELD,
// ZRANDMEMBER) of size elements of key eventually return every element,
// evenly: 1000/size calls, every other one with the flag with (their
// values, or scores, between the elements), must between them name every
// element allSeen asks for, with a chi-square under 40 (df = 9: a
// probability of 0.00001).
func everyPickComes(r *suiteConn, cmd, key string, size int, with string, allSeen func(map[string]bool) bool) {
	r.t.Helper()
	seen := map[string]bool{}
	var allkey []string
	allReturned := false
	for iterations := 1000 / size; iterations != 0; {
		iterations--
		if iterations%2 == 0 {
			res := r.strs(cmd, key, size, with)
			for i := 0; i < len(res); i += 2 {
				seen[res[i]] = true
				allkey = append(allkey, res[i])
			}
		} else {
			for _, m := range r.strs(cmd, key, size) {
				seen[m] = true
				allkey = append(allkey, m)
			}
		}
		if allSeen(seen) {
			allReturned = true
		}
	}
	r.check(allReturned, "not every element came from %s %d", cmd, size)
	r.check(chiSquare(allkey) < 40, "chi-square %v of %s %d", chiSquare(allkey), cmd, size)
}

func zsetOverflow(r *suiteConn, kind string) {
	r.t.Helper()
	const maxEntries = 128
	r.do("DEL", "myzset")
	switch kind {
	case "single":
		cmds := make([][]any, maxEntries)
		for i := range cmds {
			cmds[i] = []any{"ZADD", "myzset", i, i}
		}
		r.pipeline(cmds)
	case "multiple", "single_multiple":
		if kind == "single_multiple" {
			r.eq(1, "ZADD", "myzset", 1, 1)
		}
		args := []any{"ZADD", "myzset"}
		for i := range maxEntries * 2 {
			args = append(args, i)
		}
		r.integer(args...)
	}
	r.eq("listpack", "OBJECT", "ENCODING", "myzset")
	r.eq(maxEntries, "ZCARD", "myzset")
	r.eq(1, "ZADD", "myzset", 1, "b")
	r.eq("skiplist", "OBJECT", "ENCODING", "myzset")
}

// suiteZsetStress ports the stress tests of zset.tcl ("stressers"), for
// each encoding: the suite makes a skiplist with zset-max-ziplist-entries
// 0 and 100 elements (1000 with --accurate), and lets the listpack hold
// 256; these use Redis's default settings, which Dynago's OBJECT ENCODING
// follows, with 128 elements for a listpack and 200 for a skiplist. They
// run on server pairs of their own, alongside the rest of the file.
var suiteZsetStress = append(zsetStressers("listpack", 128, 21), zsetStressers("skiplist", 200, 22)...)

// zscoreText is a random score as the suite writes one ([expr rand()]):
// the shortest text that reads back as the same double.
func zscoreText(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// zsetAddRandom adds members 0 to n-1 to key, each with a random score, in
// one pipeline, and returns the scores.
func zsetAddRandom(r *suiteConn, rng *rand.Rand, key string, n int) []float64 {
	r.t.Helper()
	scores := make([]float64, n)
	cmds := make([][]any, n)
	for i := range scores {
		scores[i] = rng.Float64()
		cmds[i] = []any{"ZADD", key, zscoreText(scores[i]), i}
	}
	for i, v := range r.pipeline(cmds) {
		r.check(v == int64(1) || v == int64(0), "%q: %#v", suiteArgs(cmds[i]), v)
	}
	return scores
}

// zsetScoresMatch checks that ZSCORE of each member i of key reads back as
// scores[i] (the suite compares them as doubles, [expr ...]).
func zsetScoresMatch(r *suiteConn, key string, scores []float64) {
	r.t.Helper()
	cmds := make([][]any, len(scores))
	for i := range cmds {
		cmds[i] = []any{"ZSCORE", key, i}
	}
	for i, v := range r.pipeline(cmds) {
		s, _ := v.(string)
		f, err := strconv.ParseFloat(s, 64)
		r.check(err == nil && f == scores[i], "ZSCORE %s %d: %#v, want %v", key, i, v, scores[i])
	}
}

// zsetStressers are the stress tests for sets of elements members,
// encoded as encoding. Each test draws from a generator of its own, seeded
// from seed, so that both servers see the same commands.
func zsetStressers(encoding string, elements int, seed uint64) []suiteCase {
	n := strconv.Itoa(elements)
	return []suiteCase{
		{"ZSCORE - " + encoding, func(t *testing.T, r *suiteConn) {
			rng := rand.New(rand.NewPCG(seed, 1))
			r.do("DEL", "zscoretest")
			scores := zsetAddRandom(r, rng, "zscoretest", elements)
			r.eq(encoding, "OBJECT", "ENCODING", "zscoretest")
			zsetScoresMatch(r, "zscoretest", scores)
		}},
		{"ZMSCORE - " + encoding, func(t *testing.T, r *suiteConn) {
			rng := rand.New(rand.NewPCG(seed, 2))
			// The suite's steps are ZSCORE's; ZMSCORE of every member
			// is checked as well.
			r.do("DEL", "zscoretest")
			scores := zsetAddRandom(r, rng, "zscoretest", elements)
			r.eq(encoding, "OBJECT", "ENCODING", "zscoretest")
			zsetScoresMatch(r, "zscoretest", scores)
			args := []any{"ZMSCORE", "zscoretest"}
			for i := range scores {
				args = append(args, i)
			}
			for i, s := range r.strs(args...) {
				f, err := strconv.ParseFloat(s, 64)
				r.check(err == nil && f == scores[i], "ZMSCORE member %d: %q, want %v", i, s, scores[i])
			}
		}},
		{"ZSET sorting stresser - " + encoding, func(t *testing.T, r *suiteConn) {
			rng := rand.New(rand.NewPCG(seed, 3))
			// The members the random updates add (from 0 to 999) may
			// take a listpack past 128 members: the encoding is not
			// asserted here (the suite lets a listpack hold 256).
			delta := 0
			for test := range 2 {
				aux := map[string]float64{}
				r.do("DEL", "myzset")
				var cmds [][]any
				add := func(member int) {
					score := rng.Float64()
					if test == 1 {
						score = float64(int(rng.Float64() * 10))
					}
					aux[strconv.Itoa(member)] = score
					cmds = append(cmds, []any{"ZADD", "myzset", zscoreText(score), member})
				}
				for i := range elements {
					add(i)
					if rng.Float64() < .2 { // random update
						add(int(rng.Float64() * 1000))
					}
				}
				r.pipeline(cmds)
				want := make([]string, 0, len(aux))
				for m := range aux {
					want = append(want, m)
				}
				sort.Slice(want, func(i, j int) bool { // zlistAlikeSort
					if aux[want[i]] != aux[want[j]] {
						return aux[want[i]] < aux[want[j]]
					}
					return want[i] < want[j]
				})
				fromRedis := r.strs("ZRANGE", "myzset", 0, -1)
				delta = 0
				for i := range fromRedis {
					if i >= len(want) || fromRedis[i] != want[i] {
						delta++
					}
				}
				r.check(len(fromRedis) == len(want), "%d members, want %d", len(fromRedis), len(want))
			}
			r.check(delta == 0, "%d members out of place", delta)
		}},
		{"ZRANGEBYSCORE fuzzy test, 100 ranges in " + n + " element sorted set - " + encoding, func(t *testing.T, r *suiteConn) {
			rng := rand.New(rand.NewPCG(seed, 4))
			// The suite reads the score of every member a range returns
			// with ZSCORE; here the scores are read once, with ZRANGE
			// WITHSCORES, and each range's commands are pipelined.
			r.do("DEL", "zset")
			zsetAddRandom(r, rng, "zset", elements)
			r.eq(encoding, "OBJECT", "ENCODING", "zset")
			all := r.strs("ZRANGE", "zset", 0, -1, "WITHSCORES")
			score := map[string]float64{}
			for i := 0; i+1 < len(all); i += 2 {
				score[all[i]], _ = strconv.ParseFloat(all[i+1], 64)
			}
			for range 100 {
				lo, hi := rng.Float64(), rng.Float64()
				if lo > hi {
					lo, hi = hi, lo
				}
				minS, maxS := zscoreText(lo), zscoreText(hi)
				ranges := [][2]string{{"-inf", minS}, {minS, maxS}, {maxS, "+inf"}, {"-inf", "(" + minS}, {"(" + minS, "(" + maxS}, {"(" + maxS, "+inf"}}
				in := []func(float64) bool{
					func(s float64) bool { return s <= lo },
					func(s float64) bool { return s >= lo && s <= hi },
					func(s float64) bool { return s >= hi },
					func(s float64) bool { return s < lo },
					func(s float64) bool { return s > lo && s < hi },
					func(s float64) bool { return s > hi },
				}
				var cmds [][]any
				for _, rg := range ranges {
					cmds = append(cmds, []any{"ZRANGEBYSCORE", "zset", rg[0], rg[1]}, []any{"ZCOUNT", "zset", rg[0], rg[1]})
				}
				replies := r.pipeline(cmds)
				for k := range ranges {
					got := r.toStrings(replies[2*k], cmds[2*k]...)
					r.check(replies[2*k+1] == int64(len(got)), "%q: %#v, but ZRANGEBYSCORE has %d", suiteArgs(cmds[2*k+1]), replies[2*k+1], len(got))
					for _, x := range got {
						s, ok := score[x]
						r.check(ok && in[k](s), "%q: %s has score %v", suiteArgs(cmds[2*k]), x, s)
					}
				}
			}
		}},
		{"ZRANGEBYLEX fuzzy test, 100 ranges in " + n + " element sorted set - " + encoding, func(t *testing.T, r *suiteConn) {
			rng := rand.New(rand.NewPCG(seed, 5))
			lexset := zsetAddLex(r, rng, "zset", elements)
			r.eq(encoding, "OBJECT", "ENCODING", "zset")
			for range 100 {
				min, max := suiteRandString(rng, 0, 30, "alpha"), suiteRandString(rng, 0, 30, "alpha")
				mininc, maxinc := rng.IntN(2) == 1, rng.IntN(2) == 1
				cmin, cmax := zlexBound(min, mininc), zlexBound(max, maxinc)
				rev := rng.IntN(2) == 1
				cmd := "ZRANGEBYLEX"
				if rev {
					cmd = "ZREVRANGEBYLEX"
				}
				// The data is the same on both sides.
				r.same(lexset, suiteNorm(r.strs("ZRANGE", "zset", 0, -1)), "ZRANGE", "zset", 0, -1)

				output := r.strs(cmd, "zset", cmin, cmax)
				var outlen int64
				if rev {
					outlen = r.integer("ZLEXCOUNT", "zset", cmax, cmin)
				} else {
					outlen = r.integer("ZLEXCOUNT", "zset", cmin, cmax)
				}

				// The same output, computed here.
				o := []string{}
				if (!rev && min > max) || (rev && max > min) {
					// Empty when the range is inverted.
				} else {
					list := lexset
					if rev {
						// Reversed, the first bound is the greater.
						list = r.strs("ZREVRANGE", "zset", 0, -1)
						min, max, mininc, maxinc = max, min, maxinc, mininc
					}
					for _, e := range list {
						lo, hi := strings.Compare(e, min), strings.Compare(e, max)
						if (mininc && lo >= 0 || !mininc && lo > 0) && (maxinc && hi <= 0 || !maxinc && hi < 0) {
							o = append(o, e)
						}
					}
				}
				r.same(o, suiteNorm(output), cmd, "zset", cmin, cmax)
				r.check(outlen == int64(len(output)), "ZLEXCOUNT %d, %s %d", outlen, cmd, len(output))
			}
		}},
		{"ZREMRANGEBYLEX fuzzy test, 100 ranges in " + n + " element sorted set - " + encoding, func(t *testing.T, r *suiteConn) {
			rng := rand.New(rand.NewPCG(seed, 6))
			r.do("DEL", "zsetcopy{t}")
			lexset := zsetAddLex(r, rng, "zset{t}", elements)
			for range 100 {
				// Copy...
				r.integer("ZUNIONSTORE", "zsetcopy{t}", 1, "zset{t}")
				min, max := suiteRandString(rng, 0, 30, "alpha"), suiteRandString(rng, 0, 30, "alpha")
				cmin, cmax := zlexBound(min, rng.IntN(2) == 1), zlexBound(max, rng.IntN(2) == 1)

				// The data is the same on both sides.
				r.same(lexset, suiteNorm(r.strs("ZRANGE", "zset{t}", 0, -1)), "ZRANGE", "zset{t}", 0, -1)

				// The range to remove.
				torem := r.strs("ZRANGEBYLEX", "zset{t}", cmin, cmax)
				toremlen := r.integer("ZLEXCOUNT", "zset{t}", cmin, cmax)
				r.integer("ZREMRANGEBYLEX", "zsetcopy{t}", cmin, cmax)
				output := r.strs("ZRANGE", "zsetcopy{t}", 0, -1)

				// The range removed from the list here.
				want := append([]string(nil), lexset...)
				if toremlen > 0 {
					first := sort.SearchStrings(want, torem[0])
					want = append(want[:first], want[first+int(toremlen):]...)
				}
				r.same(want, suiteNorm(output), "ZREMRANGEBYLEX", "zsetcopy{t}", cmin, cmax)
			}
		}},
		{"ZSETs skiplist implementation backlink consistency test - " + encoding, func(t *testing.T, r *suiteConn) {
			rng := rand.New(rand.NewPCG(seed, 7))
			// myzset is what the sorting stresser left, which may have
			// grown past 128 members and shrunk again: Redis keeps the
			// skiplist it grew into where Dynago names the encoding of
			// the set as it is now (the object-introspection
			// difference), so the encoding is not asserted here.
			var cmds [][]any
			for j := range elements {
				cmds = append(cmds,
					[]any{"ZADD", "myzset", zscoreText(rng.Float64()), "Element-" + strconv.Itoa(j)},
					[]any{"ZREM", "myzset", "Element-" + strconv.Itoa(int(rng.Float64()*float64(elements)))})
			}
			r.pipeline(cmds)
			l1 := r.strs("ZRANGE", "myzset", 0, -1)
			l2 := r.strs("ZREVRANGE", "myzset", 0, -1)
			diff := 0
			for j := range l1 {
				if j >= len(l2) || l1[j] != l2[len(l2)-1-j] {
					diff++
				}
			}
			r.check(diff == 0 && len(l1) == len(l2), "%d members differ", diff)
		}},
		{"ZSETs ZRANK augmented skip list stress testing - " + encoding, func(t *testing.T, r *suiteConn) {
			rng := rand.New(rand.NewPCG(seed, 8))
			// 500 rounds of the suite's 2000. The encoding is asserted
			// after each ZADD for a listpack only: a skiplist's set
			// starts small here, a listpack under Redis's default
			// settings.
			r.do("DEL", "myzset")
			for k := range 500 {
				i := k % elements
				if rng.Float64() < .2 {
					r.integer("ZREM", "myzset", i)
				} else {
					r.integer("ZADD", "myzset", zscoreText(rng.Float64()), i)
					if encoding == "listpack" {
						r.eq(encoding, "OBJECT", "ENCODING", "myzset")
					}
				}
				card := r.integer("ZCARD", "myzset")
				if card > 0 {
					index := rng.Int64N(card)
					ele := r.strs("ZRANGE", "myzset", index, index)
					r.check(len(ele) == 1, "ZRANGE myzset %d %d: %q", index, index, ele)
					r.eq(index, "ZRANK", "myzset", ele[0])
				}
			}
		}},
	}
}

// zlexBound is a ZRANGEBYLEX bound: [s when inclusive, (s otherwise.
func zlexBound(s string, inclusive bool) string {
	if inclusive {
		return "[" + s
	}
	return "(" + s
}

// zsetAddLex deletes key and adds n random strings to it with score 0, and
// returns them sorted and without repetitions (lsort -unique).
func zsetAddLex(r *suiteConn, rng *rand.Rand, key string, n int) []string {
	r.t.Helper()
	cmds := [][]any{{"DEL", key}}
	seen := map[string]bool{}
	for range n {
		e := suiteRandString(rng, 0, 30, "alpha")
		seen[e] = true
		cmds = append(cmds, []any{"ZADD", key, 0, e})
	}
	r.pipeline(cmds)
	out := make([]string, 0, len(seen))
	for e := range seen {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}
