package resp_test

import (
	"fmt"
	"math/big"
	"math/bits"
	mrand "math/rand"
	"math/rand/v2"
	"strings"
	"testing"
)

// countBits is the suite's count_bits: the bits set in s.
func countBits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n += bits.OnesCount8(s[i])
	}
	return n
}

// countBitsStartEnd is the suite's count_bits_start_end: the bits set in s
// from bit start to bit end, both included, bit 0 being the most
// significant of the first byte; a range past the end counts what is there.
func countBitsStartEnd(s string, start, end int) int {
	n := 0
	for i := max(start, 0); i <= end && i < 8*len(s); i++ {
		if s[i/8]&(0x80>>(i%8)) != 0 {
			n++
		}
	}
	return n
}

// simulateBitOp is the suite's simulate_bit_op for AND, OR, XOR and NOT:
// the inputs zero-padded to the longest.
func simulateBitOp(op string, inputs ...string) string {
	maxlen := 0
	for _, in := range inputs {
		maxlen = max(maxlen, len(in))
	}
	out := make([]byte, maxlen)
	for x := range out {
		at := func(j int) byte {
			if x < len(inputs[j]) {
				return inputs[j][x]
			}
			return 0
		}
		b := at(0)
		if op == "not" {
			b = ^b
		}
		for j := 1; j < len(inputs); j++ {
			switch op {
			case "and":
				b &= at(j)
			case "or":
				b |= at(j)
			case "xor":
				b ^= at(j)
			}
		}
		out[x] = b
	}
	return string(out)
}

// suiteBitops ports tests/unit/bitops.tcl. Where a test makes a key of
// another type with LPUSH (Dynago has no lists), it makes a set with SADD.
var suiteBitops = []suiteCase{
	{"BITCOUNT against wrong type", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "mylist")
		r.integer("SADD", "mylist", "a", "b", "c")
		r.errMatch("*WRONGTYPE*", "BITCOUNT", "mylist")
		r.errMatch("*WRONGTYPE*", "BITCOUNT", "mylist", 0, 100)
		// with negative indexes where start > end
		r.errMatch("*WRONGTYPE*", "BITCOUNT", "mylist", -6, -7)
		r.errMatch("*WRONGTYPE*", "BITCOUNT", "mylist", -6, -15, "bit")
	}},
	{"BITCOUNT returns 0 against non existing key", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "no-key")
		r.eq(0, "BITCOUNT", "no-key")
		r.eq(0, "BITCOUNT", "no-key", 0, 1000, "bit")
	}},
	{"BITCOUNT returns 0 with out of range indexes", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "str", "xxxx")
		r.eq(0, "BITCOUNT", "str", 4, 10)
		r.eq(0, "BITCOUNT", "str", 32, 87, "bit")
	}},
	{"BITCOUNT returns 0 with negative indexes where start > end", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "str", "xxxx")
		r.eq(0, "BITCOUNT", "str", -6, -7)
		r.eq(0, "BITCOUNT", "str", -6, -15, "bit")
		// against non existing key
		r.do("DEL", "str")
		r.eq(0, "BITCOUNT", "str", -6, -7)
		r.eq(0, "BITCOUNT", "str", -6, -15, "bit")
	}},
	bitcountVector(1, ""),
	bitcountVector(2, "\xaa"),
	bitcountVector(3, "\x00\x00\xff"),
	bitcountVector(4, "foobar"),
	bitcountVector(5, "123"),
	{"BITCOUNT fuzzing without start/end", func(t *testing.T, r *suiteConn) {
		rng := rand.New(rand.NewPCG(31, 1))
		var cmds [][]any
		var want []int
		for range 100 {
			str := suiteRandString(rng, 0, 3000, "binary")
			cmds = append(cmds, []any{"SET", "str", str}, []any{"BITCOUNT", "str"}, []any{"BITCOUNT", "str", 0, -1, "bit"})
			want = append(want, countBits(str))
		}
		replies := r.pipeline(cmds)
		for i, w := range want {
			r.check(replies[3*i+1] == int64(w) && replies[3*i+2] == int64(w), "BITCOUNT of vector %d: %v and %v, want %d", i, replies[3*i+1], replies[3*i+2], w)
		}
	}},
	{"BITCOUNT fuzzing with start/end", func(t *testing.T, r *suiteConn) {
		rng := rand.New(rand.NewPCG(31, 2))
		var cmds [][]any
		var want []int
		for _, unit := range []string{"byte", "bit"} {
			for range 100 {
				str := suiteRandString(rng, 0, 3000, "binary")
				l := len(str)
				if unit == "bit" {
					l *= 8
				}
				// The suite's randomInt of 0 is 0.
				start, end := rng.IntN(max(l, 1)), rng.IntN(max(l, 1))
				if start > end {
					start, end = end, start
				}
				cmd := []any{"BITCOUNT", "str", start, end}
				if unit == "bit" {
					cmd = append(cmd, "bit")
					want = append(want, countBitsStartEnd(str, start, end))
				} else {
					want = append(want, countBits(str[min(start, len(str)):min(end+1, len(str))]))
				}
				cmds = append(cmds, []any{"SET", "str", str}, cmd)
			}
		}
		replies := r.pipeline(cmds)
		for i, w := range want {
			r.check(replies[2*i+1] == int64(w), "%q: %v, want %d", suiteArgs(cmds[2*i+1]), replies[2*i+1], w)
		}
	}},
	{"BITCOUNT with start, end", func(t *testing.T, r *suiteConn) {
		s := "foobar"
		r.ok("SET", "s", s)
		r.eq(countBits("foobar"), "BITCOUNT", "s", 0, -1)
		r.eq(countBits("ooba"), "BITCOUNT", "s", 1, -2)
		r.eq(countBits(""), "BITCOUNT", "s", -2, 1)
		r.eq(countBits("foobar"), "BITCOUNT", "s", 0, 1000)

		r.eq(countBits(s), "BITCOUNT", "s", 0, -1, "bit")
		r.eq(countBitsStartEnd(s, 10, 14), "BITCOUNT", "s", 10, 14, "bit")
		r.eq(countBitsStartEnd(s, 3, 14), "BITCOUNT", "s", 3, 14, "bit")
		r.eq(countBitsStartEnd(s, 3, 29), "BITCOUNT", "s", 3, 29, "bit")
		r.eq(countBitsStartEnd(s, 10, 14), "BITCOUNT", "s", 10, -34, "bit")
		r.eq(countBitsStartEnd(s, 3, 14), "BITCOUNT", "s", 3, -34, "bit")
		r.eq(countBitsStartEnd(s, 3, 29), "BITCOUNT", "s", 3, -19, "bit")
		r.eq(0, "BITCOUNT", "s", -2, 1, "bit")
		r.eq(countBits(s), "BITCOUNT", "s", 0, 1000, "bit")
	}},
	{"BITCOUNT with illegal arguments", func(t *testing.T, r *suiteConn) {
		// Redis 7.2 checks the arguments when the key does not exist
		// too; Redis 7.0 (installed here) answers 0 for such a key, and
		// so does Dynago.
		r.do("DEL", "s")
		r.eq(0, "BITCOUNT", "s", 0)
		r.eq(0, "BITCOUNT", "s", 0, 1, "hello")
		r.eq(0, "BITCOUNT", "s", 0, 1, "hello", "hello2")

		r.ok("SET", "s", 1)
		r.errMatch("ERR *syntax*", "BITCOUNT", "s", 0)
		r.errMatch("ERR *syntax*", "BITCOUNT", "s", 0, 1, "hello")
		r.errMatch("ERR *syntax*", "BITCOUNT", "s", 0, 1, "hello", "hello2")
	}},
	{"BITCOUNT against non-integer value", func(t *testing.T, r *suiteConn) {
		// against existing key
		r.ok("SET", "s", 1)
		r.errMatch("ERR *not an integer*", "BITCOUNT", "s", "a", "b")
		// against non existing key: 0 in Redis 7.0 (see above)
		r.do("DEL", "s")
		r.eq(0, "BITCOUNT", "s", "a", "b")
		// against wrong type: Redis 7.0 checks the type first
		r.integer("SADD", "s", "a", "b", "c")
		r.errMatch("WRONGTYPE*", "BITCOUNT", "s", "a", "b")
	}},
	{"BITCOUNT regression test for github issue #582", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "foo")
		r.eq(0, "SETBIT", "foo", 0, 1)
		got := r.do("BITCOUNT", "foo", 0, int64(4294967296))
		if e, isErr := got.(suiteErr); isErr {
			r.check(tclMatch("*ERR*out of range*", string(e)), "BITCOUNT foo 0 4294967296: %q", e)
		} else {
			r.same(1, got, "BITCOUNT", "foo", 0, int64(4294967296))
		}
	}},
	{"BITCOUNT misaligned prefix", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "str")
		r.ok("SET", "str", "ab")
		r.eq(3, "BITCOUNT", "str", 1, -1)
	}},
	{"BITCOUNT misaligned prefix + full words + remainder", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "str")
		r.ok("SET", "str", "__PPxxxxxxxxxxxxxxxxRR__")
		r.eq(74, "BITCOUNT", "str", 2, -3)
	}},
	{"BITOP NOT (empty string)", func(t *testing.T, r *suiteConn) {
		// The suite's {} is an empty string or no value: an empty
		// result deletes the destination.
		r.ok("SET", "s{t}", "")
		r.eq(0, "BITOP", "not", "dest{t}", "s{t}")
		r.eq(nil, "GET", "dest{t}")
	}},
	{"BITOP NOT (known string)", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "s{t}", "\xaa\x00\xff\x55")
		r.eq(4, "BITOP", "not", "dest{t}", "s{t}")
		r.eq("\x55\xff\x00\xaa", "GET", "dest{t}")
	}},
	{"BITOP NOT with multiple source keys", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "s{t}", "\xaa\x00\xff\x55")
		r.errMatch("ERR BITOP NOT*", "BITOP", "not", "dest{t}", "s{t}", "s{t}")
	}},
	{"BITOP where dest and target are the same key", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "s", "\xaa\x00\xff\x55")
		r.eq(4, "BITOP", "not", "s", "s")
		r.eq("\x55\xff\x00\xaa", "GET", "s")
	}},
	// ONE, DIFF, DIFF1 and ANDOR came with Redis 8.2 (neither Redis 7.0
	// nor Dynago has them): these tests leave them out.
	{"BITOP AND|OR|XOR|ONE don't change the string with single input key", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "a{t}", "\x01\x02\xff")
		r.eq(3, "BITOP", "and", "res1{t}", "a{t}")
		r.eq(3, "BITOP", "or", "res2{t}", "a{t}")
		r.eq(3, "BITOP", "xor", "res3{t}", "a{t}")
		r.eq([]any{"\x01\x02\xff", "\x01\x02\xff", "\x01\x02\xff"}, "MGET", "res1{t}", "res2{t}", "res3{t}")
	}},
	{"BITOP missing key is considered a stream of zero", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "a{t}", "\x01\x02\xff")
		r.eq(3, "BITOP", "and", "res1{t}", "no-such-key{t}", "a{t}")
		r.eq(3, "BITOP", "or", "res2{t}", "no-such-key{t}", "a{t}", "no-such-key{t}")
		r.eq(3, "BITOP", "xor", "res3{t}", "no-such-key{t}", "a{t}")
		r.eq([]any{"\x00\x00\x00", "\x01\x02\xff", "\x01\x02\xff"}, "MGET", "res1{t}", "res2{t}", "res3{t}")
	}},
	{"BITOP shorter keys are zero-padded to the key with max length", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "a{t}", "\x01\x02\xff\xff")
		r.ok("SET", "b{t}", "\x01\x02\xff")
		r.eq(4, "BITOP", "and", "res1{t}", "a{t}", "b{t}")
		r.eq(4, "BITOP", "or", "res2{t}", "a{t}", "b{t}")
		r.eq(4, "BITOP", "xor", "res3{t}", "a{t}", "b{t}")
		r.eq([]any{"\x01\x02\xff\x00", "\x01\x02\xff\xff", "\x00\x00\x00\xff"}, "MGET", "res1{t}", "res2{t}", "res3{t}")
	}},
	bitopFuzzing("and"),
	bitopFuzzing("or"),
	bitopFuzzing("xor"),
	{"BITOP NOT fuzzing", func(t *testing.T, r *suiteConn) {
		rng := rand.New(rand.NewPCG(32, 1))
		for range 10 {
			r.ok("FLUSHALL")
			str := suiteRandString(rng, 0, 1000, "binary")
			r.ok("SET", "str{t}", str)
			r.integer("BITOP", "not", "target{t}", "str{t}")
			want := any(simulateBitOp("not", str))
			if str == "" {
				want = nil // no value, which the suite's {} reads as ""
			}
			r.eq(want, "GET", "target{t}")
		}
	}},
	{"BITOP with integer encoded source objects", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "a{t}", 1)
		r.ok("SET", "b{t}", 2)
		r.eq(1, "BITOP", "xor", "dest{t}", "a{t}", "b{t}", "a{t}")
		r.eq("2", "GET", "dest{t}")
	}},
	{"BITOP with non string source key", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "c{t}")
		r.ok("SET", "a{t}", 1)
		r.ok("SET", "b{t}", 2)
		r.integer("SADD", "c{t}", "foo")
		r.errMatch("WRONGTYPE*", "BITOP", "xor", "dest{t}", "a{t}", "b{t}", "c{t}", "d{t}")
	}},
	{"BITOP with empty string after non empty string (issue #529)", func(t *testing.T, r *suiteConn) {
		r.ok("FLUSHDB")
		r.ok("SET", "a{t}", strings.Repeat("\x00", 32))
		r.eq(32, "BITOP", "or", "x{t}", "a{t}", "b{t}")
	}},
	{"BITPOS against wrong type", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "mylist")
		r.integer("SADD", "mylist", "a", "b", "c")
		r.errMatch("*WRONGTYPE*", "BITPOS", "mylist", 0)
		r.errMatch("*WRONGTYPE*", "BITPOS", "mylist", 1, 10, 100)
	}},
	{"BITPOS will illegal arguments", func(t *testing.T, r *suiteConn) {
		// A key that does not exist: 0 in Redis 7.0, an error in 7.2
		// (as for BITCOUNT).
		r.do("DEL", "s")
		r.eq(0, "BITPOS", "s", 0, 1, "hello", "hello2")
		r.eq(0, "BITPOS", "s", 0, 0, 1, "hello")

		r.ok("SET", "s", 1)
		r.errMatch("ERR *syntax*", "BITPOS", "s", 0, 1, "hello", "hello2")
		r.errMatch("ERR *syntax*", "BITPOS", "s", 0, 0, 1, "hello")
	}},
	{"BITPOS against non-integer value", func(t *testing.T, r *suiteConn) {
		// against existing key
		r.ok("SET", "s", 1)
		r.errMatch("ERR *not an integer*", "BITPOS", "s", "a")
		r.errMatch("ERR *not an integer*", "BITPOS", "s", 0, "a", "b")
		// against non existing key: Redis 7.0 checks the bit, and
		// answers 0 before it reads start and end
		r.do("DEL", "s")
		r.errMatch("ERR *not an integer*", "BITPOS", "s", "b")
		r.eq(0, "BITPOS", "s", 0, "a", "b")
		// against wrong type: the bit checked first, then, in Redis
		// 7.0, the type before start and end
		r.integer("SADD", "s", "a", "b", "c")
		r.errMatch("ERR *not an integer*", "BITPOS", "s", "a")
		r.errMatch("WRONGTYPE*", "BITPOS", "s", 1, "a", "b")
	}},
	{"BITPOS bit=0 with empty key returns 0", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "str")
		r.eq(0, "BITPOS", "str", 0)
		r.eq(0, "BITPOS", "str", 0, 0, -1, "bit")
	}},
	{"BITPOS bit=1 with empty key returns -1", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "str")
		r.eq(-1, "BITPOS", "str", 1)
		r.eq(-1, "BITPOS", "str", 1, 0, -1)
	}},
	{"BITPOS bit=0 with string less than 1 word works", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "str", "\xff\xf0\x00")
		r.eq(12, "BITPOS", "str", 0)
		r.eq(12, "BITPOS", "str", 0, 0, -1, "bit")
	}},
	{"BITPOS bit=1 with string less than 1 word works", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "str", "\x00\x0f\x00")
		r.eq(12, "BITPOS", "str", 1)
		r.eq(12, "BITPOS", "str", 1, 0, -1, "bit")
	}},
	{"BITPOS bit=0 starting at unaligned address", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "str", "\xff\xf0\x00")
		r.eq(12, "BITPOS", "str", 0, 1)
		r.eq(12, "BITPOS", "str", 0, 1, -1, "bit")
	}},
	{"BITPOS bit=1 starting at unaligned address", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "str", "\x00\x0f\xff")
		r.eq(12, "BITPOS", "str", 1, 1)
		r.eq(12, "BITPOS", "str", 1, 1, -1, "bit")
	}},
	{"BITPOS bit=0 unaligned+full word+reminder", func(t *testing.T, r *suiteConn) { bitposWords(r, 0, "\xff", "\x0f") }},
	{"BITPOS bit=1 unaligned+full word+reminder", func(t *testing.T, r *suiteConn) { bitposWords(r, 1, "\x00", "\xf0") }},
	{"BITPOS bit=1 returns -1 if string is all 0 bits", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "str", "")
		for range 20 {
			r.eq(-1, "BITPOS", "str", 1)
			r.eq(-1, "BITPOS", "str", 1, 0, -1, "bit")
			r.integer("APPEND", "str", "\x00")
		}
	}},
	{"BITPOS bit=0 works with intervals", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "str", "\x00\xff\x00")
		r.eq(0, "BITPOS", "str", 0, 0, -1)
		r.eq(16, "BITPOS", "str", 0, 1, -1)
		r.eq(16, "BITPOS", "str", 0, 2, -1)
		r.eq(16, "BITPOS", "str", 0, 2, 200)
		r.eq(-1, "BITPOS", "str", 0, 1, 1)

		r.eq(0, "BITPOS", "str", 0, 0, -1, "bit")
		r.eq(16, "BITPOS", "str", 0, 8, -1, "bit")
		r.eq(16, "BITPOS", "str", 0, 16, -1, "bit")
		r.eq(16, "BITPOS", "str", 0, 16, 200, "bit")
		r.eq(-1, "BITPOS", "str", 0, 8, 8, "bit")
	}},
	{"BITPOS bit=1 works with intervals", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "str", "\x00\xff\x00")
		r.eq(8, "BITPOS", "str", 1, 0, -1)
		r.eq(8, "BITPOS", "str", 1, 1, -1)
		r.eq(-1, "BITPOS", "str", 1, 2, -1)
		r.eq(-1, "BITPOS", "str", 1, 2, 200)
		r.eq(8, "BITPOS", "str", 1, 1, 1)

		r.eq(8, "BITPOS", "str", 1, 0, -1, "bit")
		r.eq(8, "BITPOS", "str", 1, 8, -1, "bit")
		r.eq(-1, "BITPOS", "str", 1, 16, -1, "bit")
		r.eq(-1, "BITPOS", "str", 1, 16, 200, "bit")
		r.eq(8, "BITPOS", "str", 1, 8, 8, "bit")
	}},
	{"BITPOS bit=0 changes behavior if end is given", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "str", "\xff\xff\xff")
		r.eq(24, "BITPOS", "str", 0)
		r.eq(24, "BITPOS", "str", 0, 0)
		r.eq(-1, "BITPOS", "str", 0, 0, -1)
		r.eq(-1, "BITPOS", "str", 0, 0, -1, "bit")
	}},
	{"SETBIT/BITFIELD only increase dirty when the value changed", func(t *testing.T, r *suiteConn) {
		// INFO's rdb_changes_since_last_save is Redis's (the
		// server-identity difference): the counts are checked on Redis
		// only, the commands run on both.
		r.do("DEL", "foo{t}", "foo2{t}", "foo3{t}")
		dirty := func() int64 {
			r.t.Helper()
			var n int64
			r.redisOnly(func() { _, _ = fmt.Sscan(r.info("rdb_changes_since_last_save"), &n) })
			return n
		}
		check := func(got, want int64) {
			r.t.Helper()
			r.redisOnly(func() { r.check(got == want, "rdb_changes_since_last_save %d, want %d", got, want) })
		}
		d := dirty()

		// A new key is always a change.
		r.eq(0, "SETBIT", "foo{t}", 0, 0)
		r.eq([]any{int64(0)}, "BITFIELD", "foo2{t}", "set", "i5", 0, 0)
		d2 := dirty()
		check(d2, d+2)

		// No change.
		r.eq(0, "SETBIT", "foo{t}", 0, 0)
		r.eq([]any{int64(0)}, "BITFIELD", "foo2{t}", "set", "i5", 0, 0)
		d3 := dirty()
		check(d3, d2)

		// A change and a no change.
		r.eq(0, "SETBIT", "foo{t}", 0, 1)
		r.eq(1, "SETBIT", "foo{t}", 0, 1)
		r.eq(1, "SETBIT", "foo{t}", 0, 0)
		r.eq(0, "SETBIT", "foo{t}", 0, 0)
		r.eq([]any{int64(0)}, "BITFIELD", "foo2{t}", "set", "i5", 0, 1)
		r.eq([]any{int64(1)}, "BITFIELD", "foo2{t}", "set", "i5", 0, 1)
		r.eq([]any{int64(1)}, "BITFIELD", "foo2{t}", "set", "i5", 0, 0)
		r.eq([]any{int64(0)}, "BITFIELD", "foo2{t}", "set", "i5", 0, 0)
		d4 := dirty()
		check(d4, d3+4)

		// BITFIELD INCRBY is always a change.
		r.eq([]any{int64(1)}, "BITFIELD", "foo3{t}", "incrby", "i5", 0, 1)
		r.eq([]any{int64(2)}, "BITFIELD", "foo3{t}", "incrby", "i5", 0, 1)
		d5 := dirty()
		check(d5, d4+2)

		// A change of length only.
		r.eq(0, "SETBIT", "foo{t}", 90, 0)
		r.eq([]any{int64(0)}, "BITFIELD", "foo2{t}", "set", "i5", 90, 0)
		d6 := dirty()
		check(d6, d5+2)
		r.eq(12, "STRLEN", "foo{t}")
		r.eq(12, "STRLEN", "foo2{t}")
	}},
	{"BITPOS bit=1 fuzzy testing using SETBIT", func(t *testing.T, r *suiteConn) {
		// Pipelined.
		rng := rand.New(rand.NewPCG(33, 1))
		r.do("DEL", "str")
		const max = 524288 // 64k
		firstOnePos := -1
		var cmds [][]any
		var want []int
		for range 1000 {
			cmds = append(cmds, []any{"BITPOS", "str", 1}, []any{"BITPOS", "str", 1, 0, -1, "bit"})
			want = append(want, firstOnePos, firstOnePos)
			pos := rng.IntN(max)
			cmds = append(cmds, []any{"SETBIT", "str", pos, 1})
			want = append(want, -2)
			if firstOnePos == -1 || firstOnePos > pos {
				// The bit set is left of the first 1 so far.
				firstOnePos = pos
			}
		}
		bitposCheck(r, cmds, want)
	}},
	{"BITPOS bit=0 fuzzy testing using SETBIT", func(t *testing.T, r *suiteConn) {
		rng := rand.New(rand.NewPCG(33, 2))
		const max = 524288 // 64k
		firstZeroPos := max
		r.ok("SET", "str", strings.Repeat("\xff", max/8))
		var cmds [][]any
		var want []int
		for range 1000 {
			cmds = append(cmds, []any{"BITPOS", "str", 0}, []any{"BITPOS", "str", 0, 0, -1, "bit"})
			if firstZeroPos == max {
				want = append(want, firstZeroPos, -1)
			} else {
				want = append(want, firstZeroPos, firstZeroPos)
			}
			pos := rng.IntN(max)
			cmds = append(cmds, []any{"SETBIT", "str", pos, 0})
			want = append(want, -2)
			if firstZeroPos > pos {
				firstZeroPos = pos
			}
		}
		bitposCheck(r, cmds, want)
	}},
	{"BITPOS/BITCOUNT fuzzy testing using SETBIT", func(t *testing.T, r *suiteConn) {
		// A string of 10 bytes: all bits cleared but one, then all set
		// but one, that one moved from bit 0 to 79; BITPOS and BITCOUNT
		// of ranges before, after and around it. Pipelined.
		rng := rand.New(rand.NewPCG(33, 3))
		var cmds [][]any
		var want []int
		testOne := func(start1, end1, start2, end2, pos, bit int, posType string) {
			// The suite's randomRange: from min up to, not including,
			// max (min itself when they are equal).
			randomRange := func(min, max int) int {
				if max <= min {
					return min
				}
				return min + rng.IntN(max-min)
			}
			start, end := randomRange(start1, end1), randomRange(start2, end2)
			if start > end {
				start, end = end, start
			}
			startbit, endbit := start, end
			if posType == "byte" {
				startbit, endbit = start<<3, end<<3+7
			}
			inrange := pos >= startbit && pos <= endbit
			count := (endbit - startbit + 1) * (1 - bit)
			wantPos := -1
			if inrange {
				wantPos = pos
				if bit == 1 {
					count++
				} else {
					count--
				}
			}
			cmds = append(cmds, []any{"BITPOS", "str", bit, start, end, posType}, []any{"BITCOUNT", "str", start, end, posType})
			want = append(want, wantPos, count)
		}
		r.do("DEL", "str")
		const max = 80
		r.eq(0, "SETBIT", "str", max-1, 0)
		const bytes = max >> 3
		for bit := range 2 {
			cmds = append(cmds, []any{"BITOP", "not", "str", "str"})
			want = append(want, -2)
			for j := range max {
				cmds = append(cmds, []any{"SETBIT", "str", j, bit})
				want = append(want, -2)
				for _, c := range []struct {
					curr, end int
					posType   string
				}{{j >> 3, bytes, "byte"}, {j, max, "bit"}} {
					curr, end := c.curr, c.end
					testOne(curr, curr, curr, curr, j, bit, c.posType) // start == end at the bit
					if curr > 0 {
						testOne(0, curr, 0, curr, j, bit, c.posType) // both before
					}
					if curr < end-1 {
						testOne(curr+1, end, curr+1, end, j, bit, c.posType) // both after
					}
					if curr > 0 && curr < end-1 {
						testOne(0, curr, curr+1, end, j, bit, c.posType) // around
					}
				}
				cmds = append(cmds, []any{"SETBIT", "str", j, 1 - bit}) // restore the bit
				want = append(want, -2)
			}
		}
		bitposCheck(r, cmds, want)
	}},
}

// bitposCheck runs cmds in a pipeline; each reply must be the integer
// want holds for it, -2 standing for any integer.
func bitposCheck(r *suiteConn, cmds [][]any, want []int) {
	r.t.Helper()
	for i, v := range r.pipeline(cmds) {
		n, ok := v.(int64)
		r.check(ok && (want[i] == -2 || n == int64(want[i])), "%q: %#v, want %d", suiteArgs(cmds[i]), v, want[i])
	}
}

func bitcountVector(num int, vec string) suiteCase {
	return suiteCase{fmt.Sprintf("BITCOUNT against test vector #%d", num), func(t *testing.T, r *suiteConn) {
		r.ok("SET", "str", vec)
		count := countBits(vec)
		r.eq(count, "BITCOUNT", "str")
		r.eq(count, "BITCOUNT", "str", 0, -1, "bit")
	}}
}

func bitopFuzzing(op string) suiteCase {
	return suiteCase{"BITOP " + op + " fuzzing", func(t *testing.T, r *suiteConn) {
		rng := rand.New(rand.NewPCG(34, uint64(len(op))))
		for range 10 {
			r.ok("FLUSHALL")
			var vec []string
			var veckeys []any
			for j := range rng.IntN(10) + 1 {
				str := suiteRandString(rng, 0, 1000, "binary")
				vec = append(vec, str)
				key := fmt.Sprintf("vector_%d{t}", j)
				veckeys = append(veckeys, key)
				r.ok("SET", key, str)
			}
			r.integer(append([]any{"BITOP", op, "target{t}"}, veckeys...)...)
			want := any(simulateBitOp(op, vec...))
			if want == "" {
				want = nil // no value, which the suite's {} reads as ""
			}
			r.eq(want, "GET", "target{t}")
		}
	}}
}

// bitposWords is "BITPOS bit=<bit> unaligned+full word+reminder": three
// bytes of fill, three words of it, then last, whose first bit <bit> is
// bit 216.
func bitposWords(r *suiteConn, bit int, fill, last string) {
	r.t.Helper()
	r.do("DEL", "str")
	r.ok("SET", "str", strings.Repeat(fill, 3)) // prefix
	for range 3 {
		r.integer("APPEND", "str", strings.Repeat(fill, 8)) // full words
	}
	r.integer("APPEND", "str", last)
	r.eq(216, "BITPOS", "str", bit)
	for start := 1; start <= 8; start++ {
		r.eq(216, "BITPOS", "str", bit, start)
	}
	for start := 1; start <= 65; start += 8 {
		r.eq(216, "BITPOS", "str", bit, start, -1, "bit")
	}
}

// suiteBitfield ports tests/unit/bitfield.tcl.
var suiteBitfield = []suiteCase{
	{"BITFIELD signed SET and GET basics", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "bits")
		r.eq([]any{0}, "BITFIELD", "bits", "set", "i8", 0, -100)
		r.eq([]any{-100}, "BITFIELD", "bits", "set", "i8", 0, 101)
		r.eq([]any{101}, "BITFIELD", "bits", "get", "i8", 0)
	}},
	{"BITFIELD unsigned SET and GET basics", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "bits")
		r.eq([]any{0}, "BITFIELD", "bits", "set", "u8", 0, 255)
		r.eq([]any{255}, "BITFIELD", "bits", "set", "u8", 0, 100)
		r.eq([]any{100}, "BITFIELD", "bits", "get", "u8", 0)
	}},
	{"BITFIELD signed SET and GET together", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "bits")
		r.eq([]any{0, -1, 100}, "BITFIELD", "bits", "set", "i8", 0, 255, "set", "i8", 0, 100, "get", "i8", 0)
	}},
	{"BITFIELD unsigned with SET, GET and INCRBY arguments", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "bits")
		r.eq([]any{0, 99, 99}, "BITFIELD", "bits", "set", "u8", 0, 255, "incrby", "u8", 0, 100, "get", "u8", 0)
	}},
	{"BITFIELD with only key as argument", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "bits")
		r.eq([]any{}, "BITFIELD", "bits")
	}},
	{"BITFIELD #<idx> form", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "bits")
		r.eq([]any{0}, "BITFIELD", "bits", "set", "u8", "#0", 65)
		r.eq([]any{0}, "BITFIELD", "bits", "set", "u8", "#1", 66)
		r.eq([]any{0}, "BITFIELD", "bits", "set", "u8", "#2", 67)
		r.eq("ABC", "GET", "bits")
	}},
	{"BITFIELD basic INCRBY form", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "bits")
		r.eq([]any{0}, "BITFIELD", "bits", "set", "u8", "#0", 10)
		r.eq([]any{110}, "BITFIELD", "bits", "incrby", "u8", "#0", 100)
		r.eq([]any{210}, "BITFIELD", "bits", "incrby", "u8", "#0", 100)
	}},
	{"BITFIELD chaining of multiple commands", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "bits")
		r.eq([]any{0}, "BITFIELD", "bits", "set", "u8", "#0", 10)
		r.eq([]any{110, 210}, "BITFIELD", "bits", "incrby", "u8", "#0", 100, "incrby", "u8", "#0", 100)
	}},
	{"BITFIELD unsigned overflow wrap", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "bits")
		r.eq([]any{0}, "BITFIELD", "bits", "set", "u8", "#0", 100)
		r.eq([]any{101}, "BITFIELD", "bits", "overflow", "wrap", "incrby", "u8", "#0", 257)
		r.eq([]any{101}, "BITFIELD", "bits", "get", "u8", "#0")
		r.eq([]any{100}, "BITFIELD", "bits", "overflow", "wrap", "incrby", "u8", "#0", 255)
		r.eq([]any{100}, "BITFIELD", "bits", "get", "u8", "#0")
	}},
	{"BITFIELD unsigned overflow sat", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "bits")
		r.eq([]any{0}, "BITFIELD", "bits", "set", "u8", "#0", 100)
		r.eq([]any{255}, "BITFIELD", "bits", "overflow", "sat", "incrby", "u8", "#0", 257)
		r.eq([]any{255}, "BITFIELD", "bits", "get", "u8", "#0")
		r.eq([]any{0}, "BITFIELD", "bits", "overflow", "sat", "incrby", "u8", "#0", -255)
		r.eq([]any{0}, "BITFIELD", "bits", "get", "u8", "#0")
	}},
	{"BITFIELD signed overflow wrap", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "bits")
		r.eq([]any{0}, "BITFIELD", "bits", "set", "i8", "#0", 100)
		r.eq([]any{101}, "BITFIELD", "bits", "overflow", "wrap", "incrby", "i8", "#0", 257)
		r.eq([]any{101}, "BITFIELD", "bits", "get", "i8", "#0")
		r.eq([]any{100}, "BITFIELD", "bits", "overflow", "wrap", "incrby", "i8", "#0", 255)
		r.eq([]any{100}, "BITFIELD", "bits", "get", "i8", "#0")
	}},
	{"BITFIELD signed overflow sat", func(t *testing.T, r *suiteConn) {
		r.do("DEL", "bits")
		r.eq([]any{0}, "BITFIELD", "bits", "set", "u8", "#0", 100)
		r.eq([]any{127}, "BITFIELD", "bits", "overflow", "sat", "incrby", "i8", "#0", 257)
		r.eq([]any{127}, "BITFIELD", "bits", "get", "i8", "#0")
		r.eq([]any{-128}, "BITFIELD", "bits", "overflow", "sat", "incrby", "i8", "#0", -255)
		r.eq([]any{-128}, "BITFIELD", "bits", "get", "i8", "#0")
	}},
	{"BITFIELD overflow detection fuzzing", func(t *testing.T, r *suiteConn) {
		rng := rand.New(rand.NewPCG(35, 1))
		var cmds [][]any
		var overflows []bool
		for range 1000 {
			typ, value, increment, min, max, _ := bitfieldRandom(rng)
			sum := new(big.Int).Add(value, increment)
			overflow := value.Cmp(max) > 0 || value.Cmp(min) < 0 || sum.Cmp(max) > 0 || sum.Cmp(min) < 0
			overflows = append(overflows, overflow)
			cmds = append(cmds,
				[]any{"DEL", "bits"},
				[]any{"BITFIELD", "bits", "overflow", "fail", "set", typ, 0, value.Int64()},
				[]any{"BITFIELD", "bits", "overflow", "fail", "incrby", typ, 0, increment.Int64()})
		}
		replies := r.pipeline(cmds)
		for i, overflow := range overflows {
			res1, res2 := replies[3*i+1], replies[3*i+2]
			first := func(v any) any {
				l, ok := v.([]any)
				r.check(ok && len(l) == 1, "%#v", v)
				return l[0]
			}
			nil1, nil2 := first(res1) == nil, first(res2) == nil
			if overflow {
				r.check(nil1 || nil2, "OW not detected where needed: %v %v", suiteArgs(cmds[3*i+1]), suiteArgs(cmds[3*i+2]))
			} else {
				r.check(!nil1 && !nil2, "OW detected where NOT needed: %v %v", suiteArgs(cmds[3*i+1]), suiteArgs(cmds[3*i+2]))
			}
		}
	}},
	{"BITFIELD overflow wrap fuzzing", func(t *testing.T, r *suiteConn) {
		rng := rand.New(rand.NewPCG(35, 2))
		var cmds [][]any
		var want []int64
		for range 1000 {
			typ, value, increment, min, max, rangeSize := bitfieldRandom(rng)
			// The suite's expectation: (value + increment), offset by
			// max+1 when signed, modulo the range, then back by min.
			expected := new(big.Int)
			if typ[0] == 'i' {
				expected.Add(expected, new(big.Int).Add(max, big.NewInt(1)))
			}
			expected.Add(expected, value)
			expected.Add(expected, increment)
			expected.Mod(expected, rangeSize)
			if typ[0] == 'i' {
				expected.Add(expected, min)
			}
			want = append(want, expected.Int64())
			cmds = append(cmds,
				[]any{"DEL", "bits"},
				[]any{"BITFIELD", "bits", "overflow", "wrap", "set", typ, 0, value.Int64()},
				[]any{"BITFIELD", "bits", "overflow", "wrap", "incrby", typ, 0, increment.Int64()},
				[]any{"BITFIELD", "bits", "get", typ, 0})
		}
		replies := r.pipeline(cmds)
		for i, w := range want {
			got := replies[4*i+3]
			r.check(fmt.Sprint(got) == fmt.Sprint([]any{w}), "WRAP error: %v %v = %v, should be %d",
				suiteArgs(cmds[4*i+1]), suiteArgs(cmds[4*i+2]), got, w)
		}
	}},
	{"BITFIELD regression for #3221", func(t *testing.T, r *suiteConn) {
		r.ok("SET", "bits", 1)
		r.eq([]any{0}, "BITFIELD", "bits", "get", "u1", 0)
	}},
	{"BITFIELD regression for #3564", func(t *testing.T, r *suiteConn) {
		for range 10 {
			r.do("DEL", "mystring")
			r.eq([]any{0, 0, 60}, "BITFIELD", "mystring", "SET", "i8", 0, 10, "SET", "i8", 64, 10, "INCRBY", "i8", 10, 99900)
		}
		r.do("DEL", "mystring")
	}},
	{"BITFIELD_RO with only key as argument", func(t *testing.T, r *suiteConn) {
		r.eq([]any{}, "BITFIELD_RO", "bits")
	}},
	{"BITFIELD_RO fails when write option is used", func(t *testing.T, r *suiteConn) {
		r.errMatch("*ERR BITFIELD_RO only supports the GET subcommand*", "BITFIELD_RO", "bits", "set", "u8", 0, 100, "get", "u8", 0)
	}},
}

// bitfieldRandom draws a field and two numbers as the suite's fuzzing
// does: a type of 1 to 64 bits, signed or not (u64 is not a type),
// and a value and an increment anywhere in twice the type's range either
// side of its minimum, clamped to 64 bits signed. It returns the type,
// value, increment, the type's minimum and maximum and its range.
func bitfieldRandom(rng *rand.Rand) (typ string, value, increment, min, max, rangeSize *big.Int) {
	nbits := rng.IntN(64) + 1
	signed := rng.IntN(2) == 1 || nbits == 64
	rangeSize = new(big.Int).Lsh(big.NewInt(1), uint(nbits))
	min = new(big.Int)
	typ = fmt.Sprintf("u%d", nbits)
	if signed {
		min.Neg(new(big.Int).Rsh(rangeSize, 1))
		typ = fmt.Sprintf("i%d", nbits)
	}
	max = new(big.Int).Sub(new(big.Int).Add(min, rangeSize), big.NewInt(1))
	range2 := new(big.Int).Lsh(rangeSize, 1)
	draw := func() *big.Int {
		v := new(big.Int).Rand(mrand.New(bigRand{rng}), range2)
		v.Add(v, new(big.Int).Lsh(min, 1))
		if v.Cmp(big.NewInt(9223372036854775807)) > 0 {
			v.SetInt64(9223372036854775807)
		}
		if v.Cmp(big.NewInt(-9223372036854775808)) < 0 {
			v.SetInt64(-9223372036854775808)
		}
		return v
	}
	value, increment = draw(), draw()
	return typ, value, increment, min, max, rangeSize
}

// bigRand is a math/rand/v2 generator as a math/rand.Source, for
// big.Int.Rand.
type bigRand struct{ rng *rand.Rand }

func (b bigRand) Int63() int64    { return b.rng.Int64() }
func (b bigRand) Seed(seed int64) {}
