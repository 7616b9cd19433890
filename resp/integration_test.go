package resp_test

// Integration tests of Dynago's Redis face: a real node on a loopback port,
// driven by go-redis (RESP3 by default, RESP2 where a test says so) or by
// hand-written protocol bytes, over real TCP.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
	"github.com/dynago/dynago/resp"
	"github.com/redis/go-redis/v9"
)

var bg = context.Background()

// doer is what both a pooled client and a single connection offer.
type doer interface {
	Do(ctx context.Context, args ...interface{}) *redis.Cmd
}

// nilReply stands for a null reply in expectations.
type nilReply struct{}

// expect runs a command and checks its reply; want may be nilReply{} for a
// null, a string, an int64, a []interface{} or a map, as go-redis decodes them.
func expect(t testing.TB, c doer, want interface{}, args ...interface{}) {
	t.Helper()
	got, err := c.Do(bg, args...).Result()
	if _, isNil := want.(nilReply); isNil {
		if !errors.Is(err, redis.Nil) {
			t.Fatalf("%v: got %#v, %v; want nil", args, got, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%v: unexpected error %v (want %#v)", args, err, want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%v: got %#v, want %#v", args, got, want)
	}
}

// expectErr runs a command and checks that it fails with exactly msg.
func expectErr(t *testing.T, c doer, msg string, args ...interface{}) {
	t.Helper()
	got, err := c.Do(bg, args...).Result()
	if err == nil || errors.Is(err, redis.Nil) {
		t.Fatalf("%v: got %#v, %v; want error %q", args, got, err, msg)
	}
	if err.Error() != msg {
		t.Fatalf("%v: error %q, want %q", args, err.Error(), msg)
	}
}

// do runs a command that must succeed and returns its reply.
func do(t *testing.T, c doer, args ...interface{}) interface{} {
	t.Helper()
	v, err := c.Do(bg, args...).Result()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

func doInt(t *testing.T, c doer, args ...interface{}) int64 {
	t.Helper()
	v := do(t, c, args...)
	n, ok := v.(int64)
	if !ok {
		t.Fatalf("%v: got %#v, want an integer", args, v)
	}
	return n
}

func doStrings(t *testing.T, c doer, args ...interface{}) []string {
	t.Helper()
	v := do(t, c, args...)
	list, ok := v.([]interface{})
	if !ok {
		t.Fatalf("%v: got %#v, want an array", args, v)
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			t.Fatalf("%v: element %d is %#v, want a string", args, i, e)
		}
		out[i] = s
	}
	return out
}

// inRange fails unless lo <= n <= hi.
func inRange(t *testing.T, what string, n, lo, hi int64) {
	t.Helper()
	if n < lo || n > hi {
		t.Fatalf("%s = %d, want within [%d, %d]", what, n, lo, hi)
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// conn returns a single connection of a new client, so a test can check
// that errors leave that very connection usable.
func conn(t testing.TB, s *testserver.Server) *redis.Conn {
	t.Helper()
	cn := s.Client().Conn()
	t.Cleanup(func() { cn.Close() })
	return cn
}

func TestStringCommands(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()

	// SET and its conditions.
	expect(t, c, "OK", "SET", "s", "hello")
	expect(t, c, "hello", "GET", "s")
	expect(t, c, nilReply{}, "GET", "missing")
	expect(t, c, nilReply{}, "SET", "s", "other", "NX")
	expect(t, c, "hello", "GET", "s")
	expect(t, c, nilReply{}, "SET", "absent", "v", "XX")
	expect(t, c, int64(0), "EXISTS", "absent")
	expect(t, c, "OK", "SET", "s", "world", "XX")
	expect(t, c, "world", "SET", "s", "again", "GET")
	expect(t, c, nilReply{}, "SET", "fresh", "v", "GET")
	expect(t, c, "v", "GET", "fresh")
	expect(t, c, "again", "SET", "s", "ignored", "NX", "GET") // Redis 7: NX with GET answers the old value
	expect(t, c, "again", "GET", "s")
	expect(t, c, "OK", "set", "s", "lower", "xx") // options and names ignore case
	expect(t, c, "lower", "get", "s")

	// SET's expiry options; TTLs are checked with slack for slow runs.
	expect(t, c, "OK", "SET", "e", "v", "EX", "100")
	inRange(t, "TTL after EX 100", doInt(t, c, "TTL", "e"), 95, 100)
	expect(t, c, "OK", "SET", "e", "v", "PX", "100000")
	inRange(t, "PTTL after PX 100000", doInt(t, c, "PTTL", "e"), 90000, 100000)
	at := time.Now().Add(time.Hour).Unix()
	expect(t, c, "OK", "SET", "e", "v", "EXAT", at)
	expect(t, c, at, "EXPIRETIME", "e")
	atMs := time.Now().Add(time.Hour).UnixMilli()
	expect(t, c, "OK", "SET", "e", "v", "PXAT", atMs)
	expect(t, c, atMs, "PEXPIRETIME", "e")
	expect(t, c, "OK", "SET", "e", "v2", "KEEPTTL")
	expect(t, c, atMs, "PEXPIRETIME", "e")
	expect(t, c, "v2", "GET", "e")
	expect(t, c, "OK", "SET", "e", "v3") // a plain SET drops the TTL
	expect(t, c, int64(-1), "TTL", "e")
	expect(t, c, "OK", "SET", "e", "v", "EX", "10", "EX", "200") // the last of a repeated option counts
	inRange(t, "TTL after EX 10 EX 200", doInt(t, c, "TTL", "e"), 190, 200)
	expect(t, c, "OK", "SET", "past", "v", "PXAT", "1") // an expiry in the past stores nothing visible
	expect(t, c, nilReply{}, "GET", "past")
	expectErr(t, c, "ERR syntax error", "SET", "e", "v", "NX", "XX")
	expectErr(t, c, "ERR syntax error", "SET", "e", "v", "EX", "10", "PX", "100")
	expectErr(t, c, "ERR syntax error", "SET", "e", "v", "KEEPTTL", "EX", "10")
	expectErr(t, c, "ERR syntax error", "SET", "e", "v", "EX")
	expectErr(t, c, "ERR invalid expire time in 'set' command", "SET", "e", "v", "EX", "0")
	expectErr(t, c, "ERR invalid expire time in 'set' command", "SET", "e", "v", "PX", "-5")
	expectErr(t, c, "ERR value is not an integer or out of range", "SET", "e", "v", "EX", "1.5")

	// SETNX, SETEX, PSETEX.
	expect(t, c, int64(1), "SETNX", "nx", "1")
	expect(t, c, int64(0), "SETNX", "nx", "2")
	expect(t, c, "1", "GET", "nx")
	expect(t, c, "OK", "SETEX", "sx", "100", "v")
	inRange(t, "TTL after SETEX", doInt(t, c, "TTL", "sx"), 95, 100)
	expect(t, c, "OK", "PSETEX", "psx", "100000", "v")
	inRange(t, "PTTL after PSETEX", doInt(t, c, "PTTL", "psx"), 90000, 100000)
	expectErr(t, c, "ERR invalid expire time in 'setex' command", "SETEX", "sx", "0", "v")
	expectErr(t, c, "ERR invalid expire time in 'psetex' command", "PSETEX", "sx", "-1", "v")
	expectErr(t, c, "ERR value is not an integer or out of range", "SETEX", "sx", "ten", "v")

	// GETSET, GETDEL.
	expect(t, c, "v", "GETSET", "sx", "new") // GETSET also drops the TTL
	expect(t, c, int64(-1), "TTL", "sx")
	expect(t, c, nilReply{}, "GETSET", "gs", "first")
	expect(t, c, "first", "GET", "gs")
	expect(t, c, "first", "GETDEL", "gs")
	expect(t, c, nilReply{}, "GETDEL", "gs")
	expect(t, c, int64(0), "EXISTS", "gs")

	// GETEX.
	expect(t, c, "OK", "SET", "gx", "val")
	expect(t, c, "val", "GETEX", "gx")
	expect(t, c, int64(-1), "TTL", "gx")
	expect(t, c, "val", "GETEX", "gx", "EX", "100")
	inRange(t, "TTL after GETEX EX", doInt(t, c, "TTL", "gx"), 95, 100)
	expect(t, c, "val", "GETEX", "gx", "PX", "50000")
	inRange(t, "PTTL after GETEX PX", doInt(t, c, "PTTL", "gx"), 40000, 50000)
	expect(t, c, "val", "GETEX", "gx", "EXAT", at)
	expect(t, c, at, "EXPIRETIME", "gx")
	expect(t, c, "val", "GETEX", "gx", "PXAT", atMs)
	expect(t, c, atMs, "PEXPIRETIME", "gx")
	expect(t, c, "val", "GETEX", "gx", "PERSIST")
	expect(t, c, int64(-1), "TTL", "gx")
	expect(t, c, nilReply{}, "GETEX", "nosuch", "EX", "10")
	expect(t, c, nilReply{}, "GETEX", "nosuch", "EX", "0") // Redis looks the key up before checking the expiry
	expectErr(t, c, "ERR invalid expire time in 'getex' command", "GETEX", "gx", "EX", "0")
	expectErr(t, c, "ERR syntax error", "GETEX", "gx", "EX", "10", "PERSIST")
	expectErr(t, c, "ERR syntax error", "GETEX", "gx", "KEEPTTL")
	expect(t, c, "val", "GETEX", "gx", "PXAT", "1") // an expiry in the past deletes the key
	expect(t, c, int64(0), "EXISTS", "gx")

	// MGET, MSET, MSETNX.
	expect(t, c, "OK", "MSET", "m1", "a", "m2", "b")
	expect(t, c, []interface{}{"a", "b", nil}, "MGET", "m1", "m2", "m3")
	expect(t, c, int64(0), "MSETNX", "m2", "x", "m3", "y")
	expect(t, c, []interface{}{"b", nil}, "MGET", "m2", "m3")
	expect(t, c, int64(1), "MSETNX", "m3", "y", "m4", "z")
	expect(t, c, []interface{}{"y", "z"}, "MGET", "m3", "m4")
	expectErr(t, c, "ERR wrong number of arguments for 'mset' command", "MSET", "m1", "a", "m2")
	expectErr(t, c, "ERR wrong number of arguments for 'msetnx' command", "MSETNX", "m1")

	// APPEND, STRLEN, GETRANGE, SETRANGE.
	expect(t, c, int64(5), "APPEND", "ap", "Hello")
	expect(t, c, int64(11), "APPEND", "ap", " World")
	expect(t, c, "Hello World", "GET", "ap")
	expect(t, c, int64(11), "STRLEN", "ap")
	expect(t, c, int64(0), "STRLEN", "nosuch")
	expect(t, c, "Hello", "GETRANGE", "ap", "0", "4")
	expect(t, c, "World", "GETRANGE", "ap", "-5", "-1")
	expect(t, c, "Hello World", "GETRANGE", "ap", "0", "100")
	expect(t, c, "", "GETRANGE", "ap", "5", "1")
	expect(t, c, "", "GETRANGE", "ap", "-1", "-5")
	expect(t, c, "", "GETRANGE", "nosuch", "0", "10")
	expectErr(t, c, "ERR value is not an integer or out of range", "GETRANGE", "ap", "a", "1")
	expect(t, c, int64(11), "SETRANGE", "ap", "6", "Redis")
	expect(t, c, "Hello Redis", "GET", "ap")
	expect(t, c, int64(8), "SETRANGE", "sr", "5", "abc")
	expect(t, c, "\x00\x00\x00\x00\x00abc", "GET", "sr")
	expect(t, c, int64(8), "SETRANGE", "sr", "0", "") // an empty value changes nothing
	expect(t, c, int64(0), "SETRANGE", "sr2", "3", "")
	expect(t, c, int64(0), "EXISTS", "sr2")
	expectErr(t, c, "ERR offset is out of range", "SETRANGE", "sr", "-1", "x")
	expect(t, c, "OK", "SETEX", "apttl", "100", "a")
	expect(t, c, int64(2), "APPEND", "apttl", "b") // APPEND and SETRANGE keep the TTL
	expect(t, c, int64(2), "SETRANGE", "apttl", "0", "c")
	inRange(t, "TTL after APPEND", doInt(t, c, "TTL", "apttl"), 95, 100)

	// The INCR family.
	expect(t, c, int64(1), "INCR", "n")
	expect(t, c, int64(11), "INCRBY", "n", "10")
	expect(t, c, int64(8), "INCRBY", "n", "-3")
	expect(t, c, int64(7), "DECR", "n")
	expect(t, c, int64(2), "DECRBY", "n", "5")
	expect(t, c, int64(-1), "DECR", "fresh-counter")
	expect(t, c, "2", "GET", "n")
	expect(t, c, "string", "TYPE", "n")
	expect(t, c, int64(1), "STRLEN", "n")
	expect(t, c, int64(2), "APPEND", "n", "5") // "25": still a number
	expect(t, c, int64(26), "INCR", "n")
	expect(t, c, "OK", "SET", "n", "41")
	expect(t, c, int64(42), "INCR", "n")
	expect(t, c, "OK", "SETEX", "nttl", "100", "5")
	expect(t, c, int64(6), "INCR", "nttl") // INCR keeps the TTL
	inRange(t, "TTL after INCR", doInt(t, c, "TTL", "nttl"), 95, 100)
	const notInt = "ERR value is not an integer or out of range"
	for _, v := range []string{"abc", "", "1.0", "010", "+5", " 1", "1.5"} {
		expect(t, c, "OK", "SET", "bad", v)
		expectErr(t, c, notInt, "INCR", "bad")
		expectErr(t, c, notInt, "DECRBY", "bad", "1")
		expect(t, c, v, "GET", "bad") // a failed INCR leaves the value alone
	}
	expectErr(t, c, notInt, "INCRBY", "n", "1.5")
	expectErr(t, c, notInt, "INCRBY", "n", "")
	expectErr(t, c, notInt, "DECRBY", "n", "x")
	expect(t, c, "OK", "SET", "max", "9223372036854775807")
	expectErr(t, c, "ERR increment or decrement would overflow", "INCR", "max")
	expect(t, c, "OK", "SET", "min", "-9223372036854775808")
	expectErr(t, c, "ERR increment or decrement would overflow", "DECR", "min")
	expectErr(t, c, "ERR decrement would overflow", "DECRBY", "min", "-9223372036854775808")
	expect(t, c, "-9223372036854775808", "GET", "min")

	// INCRBYFLOAT, with the examples of Redis's documentation.
	expect(t, c, "OK", "SET", "f", "10.50")
	expect(t, c, "10.6", "INCRBYFLOAT", "f", "0.1")
	expect(t, c, "5.6", "INCRBYFLOAT", "f", "-5")
	expect(t, c, "OK", "SET", "f", "5.0e3")
	expect(t, c, "5200", "INCRBYFLOAT", "f", "2.0e2")
	expect(t, c, "5200", "GET", "f")
	expect(t, c, int64(5201), "INCR", "f") // "5200" is an integer again
	expect(t, c, "1.5", "INCRBYFLOAT", "newf", "1.5")
	expectErr(t, c, notInt, "INCR", "newf")
	expect(t, c, "OK", "SET", "f1", "1.0")
	expect(t, c, "2", "INCRBYFLOAT", "f1", "1")
	expectErr(t, c, "ERR value is not a valid float", "INCRBYFLOAT", "f1", "abc")
	expectErr(t, c, "ERR value is not a valid float", "INCRBYFLOAT", "f1", "nan")
	expectErr(t, c, "ERR increment would produce NaN or Infinity", "INCRBYFLOAT", "f1", "inf")
	expect(t, c, "OK", "SET", "f2", "")
	expectErr(t, c, "ERR value is not a valid float", "INCRBYFLOAT", "f2", "1")
	expect(t, c, "OK", "SET", "f2", "abc")
	expectErr(t, c, "ERR value is not a valid float", "INCRBYFLOAT", "f2", "1")
}

func TestKeyCommands(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()

	expect(t, c, int64(0), "DBSIZE")
	expect(t, c, nilReply{}, "RANDOMKEY")
	expect(t, c, []interface{}{}, "KEYS", "*")
	expect(t, c, "OK", "MSET", "k1", "a", "k2", "b", "k3", "c", "other", "d")
	expect(t, c, int64(4), "DBSIZE")
	expect(t, c, int64(3), "EXISTS", "k1", "k1", "k2", "nosuch")
	expect(t, c, "string", "TYPE", "k1")
	expect(t, c, "none", "TYPE", "nosuch")
	expect(t, c, int64(2), "DEL", "k1", "k2", "k1", "nosuch")
	expect(t, c, int64(1), "UNLINK", "k3", "k3")
	expect(t, c, int64(0), "DEL", "k1")
	expect(t, c, int64(1), "DBSIZE")
	expect(t, c, "other", "RANDOMKEY")

	// Relative and absolute expiry, with Redis 7's conditions.
	expect(t, c, "OK", "SET", "x", "v")
	expect(t, c, int64(-1), "TTL", "x")
	expect(t, c, int64(-1), "PTTL", "x")
	expect(t, c, int64(-1), "EXPIRETIME", "x")
	expect(t, c, int64(-1), "PEXPIRETIME", "x")
	expect(t, c, int64(-2), "TTL", "nosuch")
	expect(t, c, int64(-2), "PTTL", "nosuch")
	expect(t, c, int64(-2), "EXPIRETIME", "nosuch")
	expect(t, c, int64(-2), "PEXPIRETIME", "nosuch")
	expect(t, c, int64(0), "EXPIRE", "nosuch", "100")
	expect(t, c, int64(0), "EXPIRE", "x", "100", "XX") // no TTL yet
	expect(t, c, int64(0), "EXPIRE", "x", "100", "GT") // no TTL counts as infinite
	expect(t, c, int64(1), "EXPIRE", "x", "100", "NX")
	inRange(t, "TTL after EXPIRE", doInt(t, c, "TTL", "x"), 95, 100)
	expect(t, c, int64(0), "EXPIRE", "x", "200", "NX")
	expect(t, c, int64(1), "EXPIRE", "x", "200", "GT")
	expect(t, c, int64(0), "EXPIRE", "x", "150", "GT")
	expect(t, c, int64(1), "EXPIRE", "x", "150", "LT")
	inRange(t, "TTL after EXPIRE LT", doInt(t, c, "TTL", "x"), 145, 150)
	expect(t, c, int64(1), "PEXPIRE", "x", "300000", "XX")
	inRange(t, "PTTL after PEXPIRE", doInt(t, c, "PTTL", "x"), 290000, 300000)
	at := time.Now().Add(2 * time.Hour).Unix()
	expect(t, c, int64(1), "EXPIREAT", "x", at)
	expect(t, c, at, "EXPIRETIME", "x")
	expect(t, c, at*1000, "PEXPIRETIME", "x")
	atMs := time.Now().Add(3 * time.Hour).UnixMilli()
	expect(t, c, int64(1), "PEXPIREAT", "x", atMs)
	expect(t, c, atMs, "PEXPIRETIME", "x")
	expect(t, c, int64(1), "PERSIST", "x")
	expect(t, c, int64(0), "PERSIST", "x")
	expect(t, c, int64(0), "PERSIST", "nosuch")
	expect(t, c, int64(-1), "TTL", "x")
	expectErr(t, c, "ERR NX and XX, GT or LT options at the same time are not compatible", "EXPIRE", "x", "10", "NX", "XX")
	expectErr(t, c, "ERR GT and LT options at the same time are not compatible", "EXPIRE", "x", "10", "GT", "LT")
	expectErr(t, c, "ERR Unsupported option foo", "EXPIRE", "x", "10", "foo")
	expectErr(t, c, "ERR value is not an integer or out of range", "EXPIRE", "x", "ten")
	expectErr(t, c, "ERR invalid expire time in 'expire' command", "EXPIRE", "x", "9223372036854775807")
	expectErr(t, c, "ERR invalid expire time in 'pexpire' command", "PEXPIRE", "x", "9223372036854775807")
	// A time in the past, relative or absolute, deletes the key.
	for _, cmd := range [][]interface{}{
		{"EXPIRE", "x", "-1"}, {"PEXPIRE", "x", "-5"}, {"EXPIREAT", "x", "1"}, {"PEXPIREAT", "x", "1"}, {"EXPIRE", "x", "0"},
	} {
		expect(t, c, "OK", "SET", "x", "v")
		expect(t, c, int64(1), cmd...)
		expect(t, c, int64(0), "EXISTS", "x")
	}

	// KEYS with patterns.
	expect(t, c, "OK", "MSET", "user:1", "a", "user:2", "b", "user:10", "c", "users", "d", "h[x", "e")
	keys := func(pattern string) []string {
		t.Helper()
		got := doStrings(t, c, "KEYS", pattern)
		sort.Strings(got)
		return got
	}
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"user:*", []string{"user:1", "user:10", "user:2"}},
		{"user:?", []string{"user:1", "user:2"}},
		{"user:[12]", []string{"user:1", "user:2"}},
		{"user:[^1]", []string{"user:2"}},
		{"user:[0-1]*", []string{"user:1", "user:10"}},
		{"user?", []string{"users"}},
		{"h\\[x", []string{"h[x"}},
		{"h[[]x", []string{"h[x"}},
		{"nomatch*", []string{}},
		{"*", []string{"h[x", "other", "user:1", "user:10", "user:2", "users"}},
	} {
		if got := keys(tc.pattern); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("KEYS %q = %q, want %q", tc.pattern, got, tc.want)
		}
	}
	rk := do(t, c, "RANDOMKEY").(string)
	if doInt(t, c, "EXISTS", rk) != 1 {
		t.Fatalf("RANDOMKEY answered %q, which does not exist", rk)
	}

	// FLUSHDB and FLUSHALL (with their ASYNC/SYNC forms).
	expect(t, c, int64(6), "DBSIZE")
	expect(t, c, "OK", "FLUSHDB")
	expect(t, c, int64(0), "DBSIZE")
	expect(t, c, nilReply{}, "GET", "other")
	expect(t, c, "OK", "SET", "a", "1")
	expect(t, c, "OK", "FLUSHALL", "ASYNC")
	expect(t, c, int64(0), "DBSIZE")
	expect(t, c, "OK", "SET", "a", "1")
	expect(t, c, "OK", "FLUSHALL", "SYNC")
	expect(t, c, int64(0), "EXISTS", "a")
	expect(t, c, "OK", "FLUSHDB")
	expectErr(t, c, "ERR syntax error", "FLUSHALL", "NOW")
	expectErr(t, c, "ERR syntax error", "FLUSHDB", "ASYNC", "SYNC")
	expect(t, c, "OK", "SET", "a", "1") // the node works after a flush
	expect(t, c, "1", "GET", "a")
}

// scanAll iterates SCAN from cursor 0 to the end and returns how often each
// key was returned. It stops with a failure after maxCalls calls.
func scanAll(t *testing.T, c doer, maxCalls int, extra ...interface{}) map[string]int {
	t.Helper()
	seen := map[string]int{}
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls == maxCalls {
			t.Fatalf("SCAN did not finish within %d calls", maxCalls)
		}
		reply, ok := do(t, c, append([]interface{}{"SCAN", cursor}, extra...)...).([]interface{})
		if !ok || len(reply) != 2 {
			t.Fatalf("SCAN reply %#v, want [cursor, keys]", reply)
		}
		cursor = reply[0].(string)
		for _, k := range reply[1].([]interface{}) {
			seen[k.(string)]++
		}
		if cursor == "0" {
			return seen
		}
	}
}

func TestScanVisitsEveryKey(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()
	const n = 3000
	want := map[string]bool{}
	pipe := c.Pipeline()
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("scan:%d", i)
		want[k] = true
		pipe.Set(bg, k, i, 0)
	}
	if _, err := pipe.Exec(bg); err != nil {
		t.Fatal(err)
	}
	expect(t, c, int64(n), "DBSIZE")

	seen := scanAll(t, c, 10*n, "COUNT", "97")
	for k := range want {
		if seen[k] == 0 {
			t.Fatalf("SCAN never returned %q", k)
		}
	}
	for k := range seen {
		if !want[k] {
			t.Fatalf("SCAN returned %q, which was never written", k)
		}
	}

	// MATCH filters; TYPE string keeps all, other types none.
	matched := scanAll(t, c, 10*n, "MATCH", "scan:1*", "COUNT", "500")
	for k := range want {
		if (matched[k] > 0) != strings.HasPrefix(k, "scan:1") {
			t.Fatalf("SCAN MATCH scan:1* and %q: returned %d times", k, matched[k])
		}
	}
	if got := len(scanAll(t, c, 10*n, "TYPE", "string", "COUNT", "1000")); got != n {
		t.Fatalf("SCAN TYPE string returned %d keys, want %d", got, n)
	}
	if got := len(scanAll(t, c, 10*n, "TYPE", "hash", "COUNT", "1000")); got != 0 {
		t.Fatalf("SCAN TYPE hash returned %d keys, want 0", got)
	}

	// Keys present for the whole iteration are returned even while others
	// are added and removed.
	seen = map[string]int{}
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls == 10*n {
			t.Fatal("SCAN under writes did not finish")
		}
		expect(t, c, "OK", "SET", fmt.Sprintf("churn:%d", calls), "x")
		if calls > 0 {
			expect(t, c, int64(1), "DEL", fmt.Sprintf("churn:%d", calls-1))
		}
		reply := do(t, c, "SCAN", cursor, "COUNT", "50").([]interface{})
		cursor = reply[0].(string)
		for _, k := range reply[1].([]interface{}) {
			seen[k.(string)]++
		}
		if cursor == "0" {
			break
		}
	}
	for k := range want {
		if seen[k] == 0 {
			t.Fatalf("SCAN under writes never returned %q", k)
		}
	}

	expectErr(t, c, "ERR invalid cursor", "SCAN", "abc")
	expectErr(t, c, "ERR syntax error", "SCAN", "0", "COUNT", "0")
	expectErr(t, c, "ERR syntax error", "SCAN", "0", "MATCH")
	expectErr(t, c, "ERR value is not an integer or out of range", "SCAN", "0", "COUNT", "many")
}

func TestConnectionCommands(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()
	cn := conn(t, s)

	expect(t, c, "PONG", "PING")
	expect(t, c, "hello", "PING", "hello")
	expect(t, c, "", "ECHO", "")
	expect(t, c, "a b\r\nc", "ECHO", "a b\r\nc")
	expect(t, cn, "OK", "SELECT", "0")
	if _, err := cn.Do(bg, "SELECT", "1").Result(); err == nil || !strings.HasPrefix(err.Error(), "ERR DB index is out of range") {
		t.Fatalf("SELECT 1: %v, want a DB index error", err)
	}
	expectErr(t, cn, "ERR value is not an integer or out of range", "SELECT", "one")

	// HELLO: go-redis speaks RESP3, so HELLO's map arrives as a map.
	hello, ok := do(t, cn, "HELLO").(map[interface{}]interface{})
	if !ok {
		t.Fatalf("HELLO on a RESP3 connection: %#v, want a map", hello)
	}
	id := doInt(t, cn, "CLIENT", "ID")
	for k, want := range map[string]interface{}{"server": "redis", "version": resp.Version, "proto": int64(3), "id": id, "mode": "standalone", "role": "master"} {
		if hello[k] != want {
			t.Errorf("HELLO %s = %#v, want %#v", k, hello[k], want)
		}
	}
	expectErr(t, cn, "NOPROTO unsupported protocol version", "HELLO", "4")
	expectErr(t, cn, "ERR Protocol version is not an integer or out of range", "HELLO", "three")
	expectErr(t, cn, "ERR Syntax error in HELLO option 'bogus'", "HELLO", "3", "bogus")
	hello = do(t, cn, "HELLO", "3", "SETNAME", "via-hello").(map[interface{}]interface{})
	if hello["proto"] != int64(3) {
		t.Fatalf("HELLO 3: proto %#v", hello["proto"])
	}
	expect(t, cn, "via-hello", "CLIENT", "GETNAME")

	// A RESP2 client: maps are flat arrays, nulls still decode as nil.
	c2 := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() { c2.Close() })
	flat, ok := do(t, c2, "HELLO", "2").([]interface{})
	if !ok || len(flat) != 14 || flat[0] != "server" || flat[4] != "proto" || flat[5] != int64(2) {
		t.Fatalf("HELLO 2: %#v, want a flat array of 7 pairs with proto 2", flat)
	}
	expect(t, c2, nilReply{}, "GET", "nosuch")
	expect(t, c2, "OK", "SET", "k", "v")
	expect(t, c2, []interface{}{"v", nil}, "MGET", "k", "nosuch")
	cfg2, err := c2.ConfigGet(bg, "maxmemory").Result()
	if err != nil || !reflect.DeepEqual(cfg2, map[string]string{"maxmemory": "0"}) {
		t.Fatalf("CONFIG GET maxmemory over RESP2: %v, %v", cfg2, err)
	}

	// CLIENT subcommands.
	expect(t, cn, "OK", "CLIENT", "SETNAME", "worker-1")
	expect(t, cn, "worker-1", "CLIENT", "GETNAME")
	expectErr(t, cn, "ERR Client names cannot contain spaces, newlines or special characters.", "CLIENT", "SETNAME", "a b")
	expect(t, cn, "OK", "CLIENT", "SETINFO", "LIB-NAME", "dynago-test")
	expect(t, cn, "OK", "CLIENT", "SETINFO", "lib-ver", "1.2.3")
	expectErr(t, cn, "ERR Unrecognized option 'color'", "CLIENT", "SETINFO", "color", "red")
	expectErr(t, cn, "ERR lib-ver cannot contain spaces, newlines or special characters.", "CLIENT", "SETINFO", "lib-ver", "1 2")
	if other := doInt(t, c2, "CLIENT", "ID"); other == id || other <= 0 {
		t.Fatalf("CLIENT ID of two connections: %d and %d", id, other)
	}
	list := do(t, c, "CLIENT", "LIST").(string)
	var mine string
	for _, line := range strings.Split(strings.TrimSuffix(list, "\n"), "\n") {
		if strings.HasPrefix(line, fmt.Sprintf("id=%d ", id)) {
			mine = line
		}
	}
	for _, field := range []string{"name=worker-1", "lib-name=dynago-test", "lib-ver=1.2.3", "resp=3", "db=0", "addr=127.0.0.1:"} {
		if !strings.Contains(" "+mine+" ", " "+field) {
			t.Errorf("CLIENT LIST line %q lacks %q (list: %q)", mine, field, list)
		}
	}
	one := do(t, c, "CLIENT", "LIST", "ID", id).(string)
	if stripClock(one) != stripClock(mine+"\n") {
		t.Errorf("CLIENT LIST ID %d = %q, want %q", id, one, mine+"\n")
	}
	info := do(t, cn, "CLIENT", "INFO").(string)
	if !strings.HasPrefix(info, fmt.Sprintf("id=%d ", id)) || !strings.Contains(info, " name=worker-1 ") {
		t.Errorf("CLIENT INFO = %q", info)
	}
	expect(t, cn, "OK", "CLIENT", "SETNAME", "")
	expect(t, cn, nilReply{}, "CLIENT", "GETNAME")
	expectErr(t, cn, "ERR unknown subcommand 'BOGUS'. Try CLIENT HELP.", "CLIENT", "BOGUS")
	expectErr(t, cn, "ERR wrong number of arguments for 'client|id' command", "CLIENT", "ID", "x")

	// INFO and its sections.
	expect(t, c, "OK", "SET", "info-key", "v")
	all := do(t, c, "INFO").(string)
	for _, want := range []string{"# Server\r\n", "redis_version:" + resp.Version + "\r\n", "# Clients\r\n", "connected_clients:", "# Memory\r\n", "used_memory:", "# Persistence\r\n", "# Stats\r\n", "total_commands_processed:", "# Keyspace\r\n", "db0:keys=2,"} {
		if !strings.Contains(all, want) {
			t.Errorf("INFO lacks %q:\n%s", want, all)
		}
	}
	server := do(t, c, "INFO", "server").(string)
	if !strings.HasPrefix(server, "# Server\r\n") || strings.Contains(server, "# Clients") {
		t.Errorf("INFO server:\n%s", server)
	}
	two := do(t, c, "INFO", "stats", "CLIENTS").(string)
	if !strings.Contains(two, "# Stats\r\n") || !strings.Contains(two, "# Clients\r\n") || strings.Contains(two, "# Server") {
		t.Errorf("INFO stats clients:\n%s", two)
	}
	expect(t, c, "", "INFO", "nosuchsection")

	// CONFIG GET.
	_, port, _ := net.SplitHostPort(s.Addr())
	cfg, err := c.ConfigGet(bg, "port").Result()
	if err != nil || cfg["port"] != port {
		t.Fatalf("CONFIG GET port = %v, %v; want %s", cfg, err, port)
	}
	cfg, err = c.ConfigGet(bg, "max*").Result()
	if err != nil || cfg["maxmemory"] != "0" || cfg["max-value-bytes"] != strconv.Itoa(resp.DefaultMaxValueBytes) {
		t.Fatalf("CONFIG GET max* = %v, %v", cfg, err)
	}
	cfg, err = c.ConfigGet(bg, "MAXMEMORY").Result()
	if err != nil || !reflect.DeepEqual(cfg, map[string]string{"MAXMEMORY": "0"}) {
		t.Fatalf("CONFIG GET MAXMEMORY = %v, %v; want the name as asked", cfg, err)
	}
	expect(t, c, map[interface{}]interface{}{}, "CONFIG", "GET", "nosuchparam")
	expectErr(t, c, "ERR wrong number of arguments for 'config|get' command", "CONFIG", "GET")

	// TIME.
	tm := doStrings(t, c, "TIME")
	if len(tm) != 2 {
		t.Fatalf("TIME = %q", tm)
	}
	sec, err1 := strconv.ParseInt(tm[0], 10, 64)
	usec, err2 := strconv.ParseInt(tm[1], 10, 64)
	if err1 != nil || err2 != nil || usec < 0 || usec >= 1e6 {
		t.Fatalf("TIME = %q", tm)
	}
	if d := time.Now().Unix() - sec; d < -5 || d > 5 {
		t.Fatalf("TIME seconds %d are %ds away from the local clock", sec, d)
	}

	// COMMAND and its subcommands answer from one table. COMMAND LIST names
	// subcommands too ("config|get"), as Redis 7 does; COMMAND COUNT counts
	// only commands.
	count := doInt(t, c, "COMMAND", "COUNT")
	names := doStrings(t, c, "COMMAND", "LIST")
	everything := do(t, c, "COMMAND").([]interface{})
	commandsOnly := 0
	for _, n := range names {
		if !strings.Contains(n, "|") {
			commandsOnly++
		}
	}
	if int64(commandsOnly) != count || int64(len(everything)) != count {
		t.Fatalf("COMMAND COUNT %d, COMMAND LIST %d commands, COMMAND %d entries", count, commandsOnly, len(everything))
	}
	for _, want := range []string{"get", "set", "scan", "vget", "vset", "vdel", "client", "command", "hello", "config|get", "client|setname"} {
		if !contains(names, want) {
			t.Errorf("COMMAND LIST lacks %q", want)
		}
	}
	getInfo := do(t, c, "COMMAND", "INFO", "get", "nosuchcmd").([]interface{})
	if len(getInfo) != 2 || getInfo[1] != nil {
		t.Fatalf("COMMAND INFO get nosuchcmd = %#v", getInfo)
	}
	g := getInfo[0].([]interface{})
	if len(g) != 10 || g[0] != "get" || g[1] != int64(2) || g[3] != int64(1) || g[4] != int64(1) || g[5] != int64(1) {
		t.Fatalf("COMMAND INFO get = %#v", g)
	}
	docs := do(t, c, "COMMAND", "DOCS", "get").(map[interface{}]interface{})
	getDocs, ok := docs["get"].(map[interface{}]interface{})
	if !ok || getDocs["group"] != "string" || getDocs["since"] != "1.0.0" || getDocs["summary"] == "" {
		t.Fatalf("COMMAND DOCS get = %#v", docs)
	}
	expect(t, c, []interface{}{"get", "getbit", "getdel", "getex", "getrange", "getset"}, "COMMAND", "LIST", "FILTERBY", "PATTERN", "get*")
}

// stripClock drops CLIENT LIST's age and idle fields, which tick.
func stripClock(line string) string {
	var keep []string
	for _, f := range strings.Split(line, " ") {
		if !strings.HasPrefix(f, "age=") && !strings.HasPrefix(f, "idle=") {
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// TestPipelineRepliesInOrder sends a thousand mixed commands in one batch
// and checks each reply against its own command.
func TestPipelineRepliesInOrder(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()
	expect(t, c, "OK", "SET", "notanumber", "x")
	const n = 1000
	pipe := c.Pipeline()
	cmds := make([]*redis.Cmd, n)
	for i := 0; i < n; i++ {
		var args []interface{}
		switch i % 6 {
		case 0:
			args = []interface{}{"SET", fmt.Sprintf("p:%d", i), i}
		case 1:
			args = []interface{}{"GET", fmt.Sprintf("p:%d", i-1)}
		case 2:
			args = []interface{}{"INCR", "seq"}
		case 3:
			args = []interface{}{"ECHO", fmt.Sprintf("echo-%d", i)}
		case 4:
			args = []interface{}{"INCR", "notanumber"}
		case 5:
			args = []interface{}{"APPEND", "log", fmt.Sprintf("%d,", i)}
		}
		cmds[i] = pipe.Do(bg, args...)
	}
	_, _ = pipe.Exec(bg) // per-command results are checked below
	seq, logLen := int64(0), int64(0)
	for i, cmd := range cmds {
		v, err := cmd.Result()
		var want interface{}
		switch i % 6 {
		case 0:
			want = "OK"
		case 1:
			want = strconv.Itoa(i - 1)
		case 2:
			seq++
			want = seq
		case 3:
			want = fmt.Sprintf("echo-%d", i)
		case 4:
			if err == nil || err.Error() != "ERR value is not an integer or out of range" {
				t.Fatalf("pipeline command %d (%v): %#v, %v; want the not-an-integer error", i, cmd.Args(), v, err)
			}
			continue
		case 5:
			logLen += int64(len(fmt.Sprintf("%d,", i)))
			want = logLen
		}
		if err != nil || !reflect.DeepEqual(v, want) {
			t.Fatalf("pipeline command %d (%v): %#v, %v; want %#v", i, cmd.Args(), v, err, want)
		}
	}
	var log strings.Builder
	for i := 5; i < n; i += 6 {
		fmt.Fprintf(&log, "%d,", i)
	}
	expect(t, c, log.String(), "GET", "log")
	expect(t, c, strconv.Itoa(n/6+1), "GET", "seq")
}

// TestErrorsKeepConnection checks Redis's error texts and that the
// connection that received them keeps working.
func TestErrorsKeepConnection(t *testing.T) {
	s := testserver.Start(t)
	cn := conn(t, s)
	id := doInt(t, cn, "CLIENT", "ID")
	expect(t, cn, "OK", "SET", "str", "abc")
	for _, tc := range []struct {
		args []interface{}
		msg  string
	}{
		{[]interface{}{"NOSUCHCMD"}, "ERR unknown command 'NOSUCHCMD', with args beginning with: "},
		{[]interface{}{"nosuchcmd", "a", "b c"}, "ERR unknown command 'nosuchcmd', with args beginning with: 'a' 'b c' "},
		{[]interface{}{"GET"}, "ERR wrong number of arguments for 'get' command"},
		{[]interface{}{"get", "a", "b"}, "ERR wrong number of arguments for 'get' command"},
		{[]interface{}{"SET", "k"}, "ERR wrong number of arguments for 'set' command"},
		{[]interface{}{"MGET"}, "ERR wrong number of arguments for 'mget' command"},
		{[]interface{}{"SET", "k", "v", "bogus"}, "ERR syntax error"},
		{[]interface{}{"SET", "k", "v", "NX", "XX"}, "ERR syntax error"},
		{[]interface{}{"INCR", "str"}, "ERR value is not an integer or out of range"},
		{[]interface{}{"INCRBY", "k", "1x"}, "ERR value is not an integer or out of range"},
		{[]interface{}{"EXPIRE", "str", "soon"}, "ERR value is not an integer or out of range"},
		{[]interface{}{"INCRBYFLOAT", "str", "1"}, "ERR value is not a valid float"},
		{[]interface{}{"SET", "k", "v", "EX", "0"}, "ERR invalid expire time in 'set' command"},
		{[]interface{}{"CLIENT", "NOPE"}, "ERR unknown subcommand 'NOPE'. Try CLIENT HELP."},
		{[]interface{}{"CONFIG", "SET", "maxmemory", "1"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - can't set immutable config"},
		{[]interface{}{"CONFIG", "SET", "nosuch", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
		{[]interface{}{"COMMAND", "NOPE"}, "ERR unknown subcommand 'NOPE'. Try COMMAND HELP."},
		{[]interface{}{"VSET", "k", "not a context", "v"}, "ERR invalid context"},
	} {
		expectErr(t, cn, tc.msg, tc.args...)
		expect(t, cn, "PONG", "PING")
	}
	expect(t, cn, id, "CLIENT", "ID") // still the same connection
	expect(t, cn, "abc", "GET", "str")
	expect(t, cn, nilReply{}, "GET", "k") // no failed command wrote anything
}

// TestRawProtocol checks replies byte for byte: RESP2 and RESP3 nulls,
// error lines, inline commands, and a pipelined burst sent in one write.
func TestRawProtocol(t *testing.T) {
	s := testserver.Start(t)
	nc, err := net.DialTimeout("tcp", s.Addr(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := bufio.NewReader(nc)
	exchange := func(send, want string) {
		t.Helper()
		if err := nc.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(nc, send); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(want))
		if _, err := io.ReadFull(r, got); err != nil {
			t.Fatalf("sent %q: read: %v (got %q so far)", send, err, got)
		}
		if string(got) != want {
			t.Fatalf("sent %q: got %q, want %q", send, got, want)
		}
	}
	exchange("PING\r\n", "+PONG\r\n")
	exchange("*2\r\n$3\r\nGET\r\n$4\r\nnone\r\n", "$-1\r\n")
	exchange("*1\r\n$6\r\nfoobar\r\n", "-ERR unknown command 'foobar', with args beginning with: \r\n")
	exchange("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n", "+OK\r\n") // binary-safe values
	exchange("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "$4\r\na\r\nb\r\n")
	exchange("*3\r\n$4\r\nMGET\r\n$1\r\nk\r\n$4\r\nnone\r\n", "*2\r\n$4\r\na\r\nb\r\n$-1\r\n")
	exchange("*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n", "-ERR value is not an integer or out of range\r\n")
	exchange("*2\r\n$6\r\nEXISTS\r\n$1\r\nk\r\n", ":1\r\n")
	exchange("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n", "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n")
	// Skip the rest of HELLO's map: read up to its last field.
	if _, err := r.ReadString('*'); err != nil { // "modules" is the last field, an empty array
		t.Fatal(err)
	}
	exchange("", "0\r\n")
	exchange("*2\r\n$3\r\nGET\r\n$4\r\nnone\r\n", "_\r\n")
	exchange("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*1\r\n$3\r\nBAD\r\n*1\r\n$4\r\nPING\r\n",
		"+PONG\r\n$2\r\nhi\r\n-ERR unknown command 'BAD', with args beginning with: \r\n+PONG\r\n")
}

func TestMaxValueBytes(t *testing.T) {
	const max = 64
	s := testserver.Start(t, func(cfg *node.Config) { cfg.MaxValueBytes = max })
	cn := conn(t, s)
	fits, over := strings.Repeat("a", max), strings.Repeat("b", max+1)
	tooBig := fmt.Sprintf("ERR value of %d bytes exceeds max-value-bytes (%d)", max+1, max)
	const grows = "ERR string exceeds maximum allowed size (max-value-bytes)"

	expect(t, cn, "OK", "SET", "k", fits)
	expectErr(t, cn, tooBig, "SET", "k", over)
	expectErr(t, cn, tooBig, "SET", "new", over, "NX")
	expectErr(t, cn, tooBig, "SETNX", "new", over)
	expectErr(t, cn, tooBig, "SETEX", "new", "100", over)
	expectErr(t, cn, tooBig, "PSETEX", "new", "100000", over)
	expectErr(t, cn, tooBig, "GETSET", "k", over)
	expectErr(t, cn, tooBig, "MSET", "new", "small", "new2", over)
	expectErr(t, cn, tooBig, "MSETNX", "new", "small", "new2", over)
	expectErr(t, cn, tooBig, "VSET", "new", "", over)
	expectErr(t, cn, grows, "APPEND", "k", "c")
	expectErr(t, cn, grows, "SETRANGE", "k", strconv.Itoa(max), "c")
	expectErr(t, cn, grows, "SETRANGE", "new", "1000000", "c")
	expect(t, cn, int64(max), "SETRANGE", "k", strconv.Itoa(max-1), "z") // a write within the limit still works
	expect(t, cn, fits[:max-1]+"z", "GET", "k")
	expect(t, cn, int64(0), "EXISTS", "new", "new2") // nothing of the refused writes was stored
	expect(t, cn, "OK", "SET", "new", "small")
	expect(t, cn, int64(max), "APPEND", "new", strings.Repeat("c", max-len("small")))
	expect(t, cn, map[interface{}]interface{}{"max-value-bytes": strconv.Itoa(max)}, "CONFIG", "GET", "max-value-bytes")
	expect(t, cn, "PONG", "PING")
}

func TestExpiryObservedByPolling(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()
	expect(t, c, "OK", "SET", "keep", "v")
	expect(t, c, "OK", "SET", "short", "v", "PX", "300")
	expect(t, c, "OK", "SET", "viaexpire", "v")
	expect(t, c, int64(1), "PEXPIRE", "viaexpire", "300")
	expect(t, c, nilReply{}, "GETEX", "viagetex", "PX", "300")
	expect(t, c, "OK", "SET", "viagetex", "v")
	expect(t, c, "v", "GETEX", "viagetex", "PX", "300")
	expect(t, c, "OK", "SET", "counter", "1", "PX", "300")
	expect(t, c, int64(2), "INCR", "counter")
	for _, k := range []string{"short", "viaexpire", "viagetex", "counter"} {
		inRange(t, "PTTL "+k, doInt(t, c, "PTTL", k), 1, 300)
	}
	for _, k := range []string{"short", "viaexpire", "viagetex", "counter"} {
		eventually(t, 10*time.Second, k+" expires", func() bool {
			_, err := c.Get(bg, k).Result()
			return errors.Is(err, redis.Nil)
		})
		expect(t, c, int64(-2), "TTL", k)
		expect(t, c, int64(0), "EXISTS", k)
		expect(t, c, "none", "TYPE", k)
	}
	expect(t, c, []interface{}{"keep"}, "KEYS", "*")
	if seen := scanAll(t, c, 100); len(seen) != 1 || seen["keep"] != 1 {
		t.Fatalf("SCAN after expiry: %v", seen)
	}
	// DBSIZE counts expired keys until they are swept, as Redis does.
	eventually(t, 10*time.Second, "expired keys swept from DBSIZE", func() bool {
		return doInt(t, c, "DBSIZE") == 1
	})
	// An expired key behaves as absent for writes too.
	expect(t, c, int64(1), "SETNX", "short", "back")
	expect(t, c, int64(-1), "TTL", "short")
}

func TestRestartKeepsDataAndTTLs(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()
	expect(t, c, "OK", "SET", "plain", "value")
	expect(t, c, "OK", "SET", "ttl", "v", "EX", "1000")
	atMs := time.Now().Add(time.Hour).UnixMilli()
	expect(t, c, "OK", "SET", "abs", "v", "PXAT", atMs)
	for i := 0; i < 3; i++ {
		doInt(t, c, "INCR", "counter")
	}
	expect(t, c, "2.5", "INCRBYFLOAT", "float", "2.5")
	expect(t, c, int64(6), "APPEND", "appended", "abcdef")
	expect(t, c, "OK", "SET", "deleted", "v")
	expect(t, c, int64(1), "DEL", "deleted")
	expect(t, c, "OK", "SET", "sib", "a")
	ctx := do(t, c, "VGET", "sib").([]interface{})[0]
	expect(t, c, "OK", "SET", "sib", "b")
	expect(t, c, "OK", "VSET", "sib", ctx, "c") // stale context: b and c are siblings
	siblings := do(t, c, "VGET", "sib")
	ttlExpiry := doInt(t, c, "PEXPIRETIME", "ttl")
	size := doInt(t, c, "DBSIZE")

	s.Restart()
	c = s.Client()
	expect(t, c, "value", "GET", "plain")
	expect(t, c, "v", "GET", "ttl")
	expect(t, c, ttlExpiry, "PEXPIRETIME", "ttl")
	inRange(t, "TTL after restart", doInt(t, c, "TTL", "ttl"), 900, 1000)
	expect(t, c, atMs, "PEXPIRETIME", "abs")
	expect(t, c, "3", "GET", "counter")
	expect(t, c, int64(4), "INCR", "counter") // counting goes on after a restart
	expect(t, c, "2.5", "GET", "float")
	expect(t, c, "abcdef", "GET", "appended")
	expect(t, c, int64(0), "EXISTS", "deleted")
	expect(t, c, siblings, "VGET", "sib")
	expect(t, c, "c", "GET", "sib")
	expect(t, c, size, "DBSIZE")
	expect(t, c, "OK", "SET", "after", "restart")
	expect(t, c, "restart", "GET", "after")
}

// TestKillDurability kills a dynago process with SIGKILL while many clients
// write, restarts it, and checks that every acknowledged write is there.
func TestKillDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dynago processes")
	}
	for _, mode := range []string{"always", "batch"} {
		t.Run("fsync="+mode, func(t *testing.T) { killDuringLoad(t, mode) })
	}
}

func killDuringLoad(t *testing.T, fsync string) {
	p := testserver.StartProcess(t, "", "--fsync", fsync)
	const (
		writers   = 16
		perWriter = 5000             // bound on each writer's writes
		minAcked  = 1500             // kill once this many writes are acknowledged...
		loadLimit = 5 * time.Second  // ...or after this long
		hardStop  = 30 * time.Second // no writer runs longer than this
	)
	type ack struct {
		sets    []string // acknowledged SET keys; the value is the key reversed
		counter int64    // the last acknowledged INCR reply
	}
	acks := make([]ack, writers)
	var total atomic.Int64
	var wg sync.WaitGroup
	stopAt := time.Now().Add(hardStop)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, PoolSize: 1, DialTimeout: time.Second, ReadTimeout: 5 * time.Second})
			defer c.Close()
			for i := 0; i < perWriter && time.Now().Before(stopAt); i++ {
				if i%4 == 3 {
					n, err := c.Incr(bg, fmt.Sprintf("ctr:%d", w)).Result()
					if err != nil {
						return
					}
					acks[w].counter = n
				} else {
					k := fmt.Sprintf("d:%d:%d", w, i)
					if err := c.Set(bg, k, reverse(k), 0).Err(); err != nil {
						return
					}
					acks[w].sets = append(acks[w].sets, k)
				}
				total.Add(1)
			}
		}(w)
	}
	deadline := time.Now().Add(loadLimit)
	for total.Load() < minAcked && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.Kill()
	wg.Wait()
	acked := total.Load()
	if acked == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}
	t.Logf("fsync=%s: %d writes acknowledged before kill -9", fsync, acked)

	p.Start()
	c := testserver.NewClient(t, p.Addr())
	checked := 0
	for w, a := range acks {
		for start := 0; start < len(a.sets); start += 500 {
			batch := a.sets[start:min(start+500, len(a.sets))]
			keys := make([]string, len(batch))
			copy(keys, batch)
			vals, err := c.MGet(bg, keys...).Result()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if v != reverse(keys[i]) {
					t.Fatalf("acknowledged SET %s lost after kill -9: got %#v", keys[i], v)
				}
				checked++
			}
		}
		// A writer has at most one INCR in flight, which may or may not
		// have been applied before the kill.
		if a.counter > 0 {
			got, err := c.Get(bg, fmt.Sprintf("ctr:%d", w)).Int64()
			if err != nil || got < a.counter || got > a.counter+1 {
				t.Fatalf("counter of writer %d: %d, %v after kill -9; acknowledged %d", w, got, err, a.counter)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no acknowledged SET to check")
	}
	expect(t, c, "OK", "SET", "after-kill", "v") // the restarted node takes writes
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
