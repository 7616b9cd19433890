package resp_test

// Tests of the version commands (VGET, VSET, VDEL) as docs/design.md describes
// them: a key's causal context and its sibling values, writes that supersede
// exactly what a context covers, and GET's single answer among siblings.

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
)

// vget returns VGET's context and sibling values.
func vget(t *testing.T, c doer, key string) (string, []string) {
	t.Helper()
	reply := doStrings(t, c, "VGET", key)
	if len(reply) == 0 {
		t.Fatalf("VGET %s: empty array; want at least the context", key)
	}
	return reply[0], reply[1:]
}

func expectSiblings(t *testing.T, c doer, key string, want ...string) string {
	t.Helper()
	ctx, got := vget(t, c, key)
	if len(got) != len(want) {
		t.Fatalf("VGET %s siblings = %q, want %q", key, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("VGET %s siblings = %q, want %q", key, got, want)
		}
	}
	return ctx
}

func TestVGetMissingAndWritten(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()
	expect(t, c, []interface{}{""}, "VGET", "never")
	expect(t, c, "OK", "SET", "k", "a")
	ctx1 := expectSiblings(t, c, "k", "a")
	if ctx1 == "" {
		t.Fatal("VGET after SET: empty context")
	}
	expect(t, c, "OK", "SET", "k", "b")
	ctx2 := expectSiblings(t, c, "k", "b") // a plain SET overwrites: one value
	if ctx2 == ctx1 {
		t.Fatal("the context did not change with a write")
	}
	expect(t, c, []interface{}{ctx2, "b"}, "VGET", "k") // reading does not change it
	expectErr(t, c, "ERR wrong number of arguments for 'vget' command", "VGET")
	expectErr(t, c, "ERR wrong number of arguments for 'vget' command", "VGET", "a", "b")
}

func TestVSetSiblingsAndMerge(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()
	expect(t, c, "OK", "SET", "k", "a")
	stale := expectSiblings(t, c, "k", "a")
	expect(t, c, "OK", "SET", "k", "b") // supersedes a
	// A write that saw only a is concurrent with b: both stay.
	expect(t, c, "OK", "VSET", "k", stale, "c")
	both := expectSiblings(t, c, "k", "b", "c") // on one node, siblings come in write order
	for i := 0; i < 3; i++ {
		expect(t, c, []interface{}{both, "b", "c"}, "VGET", "k") // the order is stable
	}
	expect(t, c, "c", "GET", "k") // GET answers the newest write
	expect(t, c, int64(1), "EXISTS", "k")
	expect(t, c, int64(1), "STRLEN", "k")

	// A write with the context of both siblings resolves them.
	expect(t, c, "OK", "VSET", "k", both, "merged")
	merged := expectSiblings(t, c, "k", "merged")
	expect(t, c, "merged", "GET", "k")

	// The empty context (a client that read nothing) supersedes nothing.
	expect(t, c, "OK", "VSET", "k", "", "blind")
	expectSiblings(t, c, "k", "merged", "blind")
	expect(t, c, "blind", "GET", "k")
	expect(t, c, "OK", "VSET", "k", merged, "from-merged") // covers merged, not blind
	expectSiblings(t, c, "k", "blind", "from-merged")

	// VSET on a new key with the empty context just creates it.
	expect(t, c, "OK", "VSET", "new", "", "v")
	expectSiblings(t, c, "new", "v")
	expect(t, c, "v", "GET", "new")

	// Siblings survive a restart, in the same order with the same context.
	ctx, _ := vget(t, c, "k")
	s.Restart()
	c = s.Client()
	expect(t, c, []interface{}{ctx, "blind", "from-merged"}, "VGET", "k")
	expect(t, c, "from-merged", "GET", "k")

	// A plain SET takes the current context, so it overwrites all siblings.
	expect(t, c, "OK", "SET", "k", "plain")
	expectSiblings(t, c, "k", "plain")
}

func TestVDel(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()
	expect(t, c, "OK", "SET", "k", "x")
	ctxX := expectSiblings(t, c, "k", "x")
	expect(t, c, "OK", "VSET", "k", "", "y") // concurrent with x
	expectSiblings(t, c, "k", "x", "y")

	// VDEL removes exactly what its context covers.
	expect(t, c, int64(1), "VDEL", "k", ctxX)
	ctxY := expectSiblings(t, c, "k", "y")
	expect(t, c, "y", "GET", "k")
	expect(t, c, int64(0), "VDEL", "k", ctxX) // x is gone; y is not covered
	expect(t, c, "y", "GET", "k")
	expect(t, c, int64(1), "VDEL", "k", ctxY)
	expect(t, c, nilReply{}, "GET", "k")
	expect(t, c, int64(0), "EXISTS", "k")
	if _, sibs := vget(t, c, "k"); len(sibs) != 0 {
		t.Fatalf("VGET after VDEL: siblings %q", sibs)
	}
	expect(t, c, int64(0), "VDEL", "never", "")
	expect(t, c, int64(0), "VDEL", "k", "")

	// A VSET racing a VDEL survives it.
	expect(t, c, "OK", "SET", "r", "old")
	ctxOld := expectSiblings(t, c, "r", "old")
	expect(t, c, "OK", "VSET", "r", "", "racer")
	expect(t, c, int64(1), "VDEL", "r", ctxOld)
	expectSiblings(t, c, "r", "racer")
	expect(t, c, int64(1), "DBSIZE")
}

func TestInvalidContext(t *testing.T) {
	s := testserver.Start(t)
	cn := conn(t, s)
	expect(t, cn, "OK", "SET", "k", "v")
	ctx, _ := vget(t, cn, "k")
	raw, err := base64.StdEncoding.DecodeString(ctx)
	if err != nil {
		t.Fatalf("context %q is not base64: %v", ctx, err)
	}
	truncated := base64.StdEncoding.EncodeToString(raw[:len(raw)-1])
	for _, bad := range []string{"garbage", "!!!!", "AAAA", "AA==", ctx + "A", ctx[:len(ctx)-1], truncated, " " + ctx} {
		expectErr(t, cn, "ERR invalid context", "VSET", "k", bad, "w")
		expectErr(t, cn, "ERR invalid context", "VDEL", "k", bad)
	}
	expect(t, cn, "PONG", "PING")
	expectSiblings(t, cn, "k", "v") // nothing was written
	expectErr(t, cn, "ERR wrong number of arguments for 'vset' command", "VSET", "k", ctx)
	expectErr(t, cn, "ERR wrong number of arguments for 'vdel' command", "VDEL", "k")
}

func TestVSetExpiry(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()
	expect(t, c, "OK", "VSET", "ex", "", "v", "EX", "100")
	inRange(t, "TTL after VSET EX", doInt(t, c, "TTL", "ex"), 95, 100)
	expect(t, c, "OK", "VSET", "px", "", "v", "PX", "100000")
	inRange(t, "PTTL after VSET PX", doInt(t, c, "PTTL", "px"), 90000, 100000)
	expectErr(t, c, "ERR invalid expire time in 'vset' command", "VSET", "k", "", "v", "EX", "0")
	expectErr(t, c, "ERR value is not an integer or out of range", "VSET", "k", "", "v", "PX", "soon")
	expectErr(t, c, "ERR syntax error", "VSET", "k", "", "v", "EX")
	expectErr(t, c, "ERR syntax error", "VSET", "k", "", "v", "NX")
	expectErr(t, c, "ERR syntax error", "VSET", "k", "", "v", "EX", "10", "PX", "10")
	expect(t, c, int64(0), "EXISTS", "k")

	// A sibling that expires leaves the others.
	expect(t, c, "OK", "SET", "mixed", "lasting")
	expect(t, c, "OK", "VSET", "mixed", "", "brief", "PX", "300")
	expectSiblings(t, c, "mixed", "lasting", "brief")
	expect(t, c, "brief", "GET", "mixed")
	eventually(t, 10*time.Second, "the brief sibling expires", func() bool {
		_, sibs := vget(t, c, "mixed")
		return len(sibs) == 1
	})
	expectSiblings(t, c, "mixed", "lasting")
	expect(t, c, "lasting", "GET", "mixed")
	expect(t, c, int64(-1), "TTL", "mixed")

	expect(t, c, "OK", "VSET", "gone", "", "v", "PX", "200")
	eventually(t, 10*time.Second, "a VSET with PX expires", func() bool {
		return doInt(t, c, "EXISTS", "gone") == 0
	})
	if _, sibs := vget(t, c, "gone"); len(sibs) != 0 {
		t.Fatalf("VGET of an expired key: siblings %q", sibs)
	}
}

func TestCountersThroughVGet(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()
	for i := 1; i <= 3; i++ {
		expect(t, c, int64(i), "INCR", "ctr")
	}
	expect(t, c, int64(8), "INCRBY", "ctr", "5")
	expect(t, c, int64(6), "DECRBY", "ctr", "2")
	ctx := expectSiblings(t, c, "ctr", "6") // a counter renders as Redis's string
	expect(t, c, "6.5", "INCRBYFLOAT", "ctr", "0.5")
	expectSiblings(t, c, "ctr", "6.5")
	expect(t, c, "6.5", "GET", "ctr")

	// A counter started from a string set with VSET.
	expect(t, c, "OK", "VSET", "fromv", "", "100")
	expect(t, c, int64(101), "INCR", "fromv")
	expectSiblings(t, c, "fromv", "101")

	// A VSET with the counter's current context replaces the counter.
	ctx, _ = vget(t, c, "ctr")
	expect(t, c, "OK", "VSET", "ctr", ctx, "40")
	expectSiblings(t, c, "ctr", "40")
	expect(t, c, int64(41), "INCR", "ctr")
	expect(t, c, "41", "GET", "ctr")

	// A stale VSET next to a counter leaves both; each renders as a string.
	ctx, _ = vget(t, c, "ctr")
	expect(t, c, int64(42), "INCR", "ctr")
	expect(t, c, "OK", "VSET", "ctr", ctx, "7")
	expectSiblings(t, c, "ctr", "42", "7")
	expect(t, c, "7", "GET", "ctr")
}
