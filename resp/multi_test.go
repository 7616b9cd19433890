package resp_test

// Tests of transactions (MULTI, EXEC, DISCARD, WATCH, UNWATCH) on a single
// node: every reply of scripted sessions compared byte for byte with a real
// redis-server's, and go-redis's transaction helpers (TxPipelined, Watch)
// under concurrent clients.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
	"github.com/redis/go-redis/v9"
)

// readReply reads one whole RESP2 or RESP3 reply and returns its bytes.
func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return line, err
	}
	if len(line) < 3 {
		return line, fmt.Errorf("short reply line %q", line)
	}
	switch line[0] {
	case '$', '=', '!':
		n, err := strconv.Atoi(line[1 : len(line)-2])
		if err != nil || n < 0 {
			return line, err
		}
		body := make([]byte, n+2)
		if _, err := io.ReadFull(r, body); err != nil {
			return line, err
		}
		return line + string(body), nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(line[1 : len(line)-2])
		if err != nil || n < 0 {
			return line, err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		out := line
		for range n {
			e, err := readReply(r)
			out += e
			if err != nil {
				return out, err
			}
		}
		return out, nil
	}
	return line, nil
}

// scriptConn is one connection of a transaction script.
type scriptConn struct {
	nc net.Conn
	r  *bufio.Reader
}

func (c *scriptConn) do(args ...string) (string, error) {
	_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c.nc, b.String()); err != nil {
		return "", err
	}
	reply, err := readReply(c.r)
	if errors.Is(err, io.EOF) && reply == "" {
		return "<closed>", nil
	}
	return reply, err
}

// runScript runs a transaction script against addr and returns each
// line's reply. A line is "N COMMAND ARGS...", N naming the connection it
// is sent on (opened at its first use), or "gone KEY": wait until KEY has
// expired (a deadline-bounded poll of PTTL on a connection of its own,
// which authenticates with pass if it is not empty).
func runScript(t *testing.T, addr, pass string, lines []string) []string {
	t.Helper()
	conns := map[string]*scriptConn{}
	defer func() {
		for _, c := range conns {
			c.nc.Close()
		}
	}()
	get := func(id string) *scriptConn {
		if c, ok := conns[id]; ok {
			return c
		}
		nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conns[id] = &scriptConn{nc: nc, r: bufio.NewReader(nc)}
		return conns[id]
	}
	if pass != "" {
		if _, err := get("probe").do("AUTH", pass); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := get("probe").do("FLUSHALL"); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(lines))
	for i, line := range lines {
		f := strings.Fields(line)
		if f[0] == "gone" {
			deadline := time.Now().Add(10 * time.Second)
			for {
				r, err := get("probe").do("PTTL", f[1])
				if err != nil {
					t.Fatal(err)
				}
				if r == ":-2\r\n" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: key %s did not expire (PTTL %q)", addr, f[1], r)
				}
				time.Sleep(5 * time.Millisecond)
			}
			out[i] = "(gone)"
			continue
		}
		args := f[1:]
		for j, a := range args {
			if a == `""` {
				args[j] = ""
			}
		}
		r, err := get(f[0]).do(args...)
		if err != nil {
			t.Fatalf("%s: %s: %v (read %q)", addr, line, err, r)
		}
		out[i] = r
	}
	return out
}

// serverIdentity masks what HELLO says of the server itself: Redis's
// version and the connection's id differ between the two servers.
var serverIdentity = regexp.MustCompile(`(\$7\r\nversion\r\n\$\d+\r\n[0-9.]+\r\n|\$2\r\nid\r\n:\d+\r\n)`)

// transactionScripts are sessions whose every reply must be Redis's.
var transactionScripts = []struct {
	name  string
	lines []string
}{
	{"errors outside MULTI", []string{"1 EXEC", "1 DISCARD", "1 UNWATCH", "1 WATCH", "1 EXEC x", "1 MULTI x"}},
	{"EXEC with arguments forgets the watched keys", []string{"1 WATCH k", "1 EXEC x", "2 SET k 1", "1 MULTI", "1 EXEC"}},
	{"queued and run", []string{"1 MULTI", "1 SET k 1", "1 INCR k", "1 GET k", "1 MGET k nokey", "1 EXEC", "1 GET k", "1 EXEC"}},
	{"empty transaction", []string{"1 MULTI", "1 EXEC", "1 MULTI", "1 DISCARD", "1 DISCARD"}},
	{"nested MULTI and WATCH inside do not abort", []string{"1 MULTI", "1 SET k 1", "1 MULTI", "1 WATCH k", "1 EXEC", "1 GET k"}},
	{"unknown command aborts", []string{"1 MULTI", "1 SET k 1", "1 NOSUCH a b", "1 INCR k", "1 EXEC", "1 GET k"}},
	{"wrong arity aborts", []string{"1 MULTI", "1 SET k 1", "1 GET", "1 EXEC", "1 EXISTS k"}},
	{"subcommand errors abort", []string{"1 MULTI", "1 CLIENT NOSUCH", "1 CONFIG GET", "1 CLIENT", "1 COMMAND NOSUCH", "1 EXEC"}},
	{"transaction commands with wrong arity", []string{
		"1 MULTI", "1 SET k 1", "1 DISCARD x", "1 MULTI x", "1 WATCH", "1 UNWATCH x", "1 EXEC",
		"1 MULTI", "1 SET k 1", "1 EXEC x", "1 EXEC", "1 EXISTS k"}},
	{"runtime errors take their place", []string{
		"1 SET s abc", "1 MULTI", "1 SET k 1", "1 INCR s", "1 SET k v BADOPT", "1 INCR k", "1 SET k 1 EX 0",
		"1 EXPIRE k soon", "1 GET k", "1 INCRBYFLOAT s 1", "1 SLOWLOG GET 1 2", "1 CONFIG SET nosuch 1", "1 EXEC"}},
	{"every kind of command queued", []string{
		"1 MULTI", "1 MSET a 1 b 2", "1 DEL a c", "1 EXISTS a b", "1 SETNX b 3", "1 GETSET b 4", "1 APPEND b 5",
		"1 STRLEN b", "1 GETRANGE b 0 0", "1 SETRANGE b 1 x", "1 TYPE b", "1 KEYS *", "1 PERSIST b", "1 TTL b",
		"1 PING", "1 ECHO hi", "1 SELECT 0", "1 CLIENT SETNAME tx", "1 CLIENT GETNAME", "1 AUTH x", "1 UNWATCH",
		"1 CONFIG GET maxmemory", "1 GETDEL b", "1 FLUSHALL", "1 EXEC"}},
	{"HELLO inside MULTI switches the rest of the array", []string{
		"1 MULTI", "1 SET k 1", "1 HELLO 3", "1 GET nokey", "1 CLIENT GETNAME", "1 HELLO 2 SETNAME n", "1 GET nokey", "1 EXEC"}},
	{"QUIT inside MULTI", []string{"1 MULTI", "1 SET k 1", "1 QUIT", "2 EXISTS k"}},
	{"WATCH sees the client's own write", []string{
		"1 SET k 1", "1 WATCH k", "1 SET k 2", "1 MULTI", "1 GET k", "1 EXEC", "1 MULTI", "1 GET k", "1 EXEC"}},
	{"WATCH sees another client's write", []string{
		"1 WATCH k other", "2 SET k x", "1 MULTI", "1 SET k mine", "1 EXEC", "1 GET k"}},
	{"WATCH in RESP3", []string{"1 HELLO 3", "1 WATCH k", "2 INCR k", "1 MULTI", "1 EXEC", "1 EXEC"}},
	{"writes that change nothing do not abort", []string{
		"1 SET k v", "1 WATCH k nokey", "2 SET k w NX", "2 DEL nokey", "2 PERSIST k", "2 EXPIRE nokey 10",
		"2 GETDEL nokey", "2 GET k", "2 SET nokey v XX", "1 MULTI", "1 GET k", "1 EXEC"}},
	{"a key created and deleted since WATCH", []string{
		"1 WATCH k", "2 SET k 1", "2 DEL k", "1 MULTI", "1 EXISTS k", "1 EXEC"}},
	{"a key deleted since WATCH", []string{"1 SET k 1", "1 WATCH k", "2 DEL k", "1 MULTI", "1 EXEC"}},
	{"a TTL change since WATCH", []string{"1 SET k 1", "1 WATCH k", "2 EXPIRE k 100", "1 MULTI", "1 EXEC",
		"1 WATCH k", "2 PERSIST k", "1 MULTI", "1 EXEC"}},
	{"UNWATCH, DISCARD and EXEC forget the watched keys", []string{
		"1 WATCH k", "1 UNWATCH", "2 SET k 1", "1 MULTI", "1 EXEC",
		"1 WATCH k", "1 MULTI", "1 DISCARD", "2 SET k 2", "1 MULTI", "1 EXEC",
		"1 WATCH k", "2 SET k 3", "1 MULTI", "1 EXEC", "2 SET k 4", "1 MULTI", "1 EXEC"}},
	{"UNWATCH inside MULTI is queued", []string{"1 WATCH k", "1 MULTI", "1 UNWATCH", "2 SET k 1", "1 EXEC"}},
	{"a second WATCH keeps the first", []string{"1 SET k 1", "1 WATCH k k", "2 SET k 2", "1 WATCH k", "1 MULTI", "1 EXEC"}},
	{"FLUSHALL aborts watchers of keys that existed", []string{
		"1 SET k 1", "1 WATCH k", "2 FLUSHALL", "1 MULTI", "1 EXEC",
		"1 WATCH k", "2 FLUSHALL", "1 MULTI", "1 EXEC"}},
	{"a watched key that expires", []string{"1 SET k v PX 30", "1 WATCH k", "gone k", "1 MULTI", "1 EXEC"}},
	{"a watched key that had expired", []string{"1 SET k v PX 30", "gone k", "1 WATCH k", "1 MULTI", "1 EXEC"}},
	{"EXEC after an abort runs again", []string{"1 WATCH k", "2 SET k 1", "1 MULTI", "1 INCR k", "1 EXEC", "1 MULTI", "1 INCR k", "1 EXEC"}},
}

// TestTransactionsCompatWithRedis runs each script on a real redis-server
// and on Dynago and compares every reply byte for byte (HELLO's version
// and id aside).
func TestTransactionsCompatWithRedis(t *testing.T) {
	r := startRealRedis(t)
	d := testserver.Start(t)
	for _, sc := range transactionScripts {
		t.Run(sc.name, func(t *testing.T) {
			want, got := runScript(t, r.addr, "", sc.lines), runScript(t, d.Addr(), "", sc.lines)
			for i := range sc.lines {
				w := serverIdentity.ReplaceAllString(want[i], "<identity>")
				g := serverIdentity.ReplaceAllString(got[i], "<identity>")
				if w != g {
					t.Errorf("line %d %q:\nredis:  %q\ndynago: %q", i+1, sc.lines[i], w, g)
				}
			}
		})
	}
	t.Run("pipelined", func(t *testing.T) {
		for _, in := range []string{
			"MULTI\r\nSET k 1\r\nINCR k\r\nGET k\r\nEXEC\r\nGET k\r\n",
			"MULTI\r\nSET k 1\r\nNOSUCH\r\nEXEC\r\nGET k\r\nEXEC\r\n",
			"SET w 1\r\nWATCH w\r\nSET w 2\r\nMULTI\r\nGET w\r\nEXEC\r\nMULTI\r\nGET w\r\nEXEC\r\n",
			"MULTI\r\nMULTI\r\nWATCH a\r\nMSET a 1 b 2\r\nDEL a b\r\nEXEC\r\nDISCARD\r\n",
			"WATCH a b\r\nMSET a 1 b 2\r\nMGET a b\r\nMULTI\r\nEXEC\r\nUNWATCH\r\nQUIT\r\n",
			// An add that changes nothing (a member already there, at its
			// score) does not touch a watched key; a new member, a new
			// score, and HSET of a field even to its own value do.
			"SADD s a\r\nWATCH s\r\nSADD s a\r\nMULTI\r\nSCARD s\r\nEXEC\r\n" +
				"WATCH s\r\nSADD s a b\r\nMULTI\r\nSCARD s\r\nEXEC\r\n" +
				"ZADD z 1 m\r\nWATCH z\r\nZADD z 1 m\r\nZADD z XX 1 m\r\nMULTI\r\nZCARD z\r\nEXEC\r\n" +
				"WATCH z\r\nZADD z 2 m\r\nMULTI\r\nZCARD z\r\nEXEC\r\n" +
				"HSET h f v\r\nWATCH h\r\nHSET h f v\r\nMULTI\r\nHLEN h\r\nEXEC\r\n",
			// RESET inside MULTI runs at once and ends the transaction;
			// it forgets the name, and unwatches.
			"CLIENT SETNAME n\r\nSET w 1\r\nWATCH w\r\nMULTI\r\nSET a 1\r\nRESET\r\nEXEC\r\nCLIENT GETNAME\r\n" +
				"SET w 2\r\nMULTI\r\nGET w\r\nEXEC\r\nGET a\r\nRESET x\r\n",
		} {
			want, got := rawReplies(r.addr, []byte("FLUSHALL\r\n"+in)), rawReplies(d.Addr(), []byte("FLUSHALL\r\n"+in))
			if want != got {
				t.Errorf("%q:\nredis:  %q\ndynago: %q", in, want, got)
			}
		}
	})
	// Time stands still for expiry while EXEC runs, as in Redis: a key
	// that expires a millisecond after it was set is still there at the
	// transaction's end, however long its thousands of queued commands take.
	t.Run("time stands still", func(t *testing.T) {
		in := "MULTI\r\nPSETEX k 1 v\r\n" + strings.Repeat("SET filler x\r\n", 3000) +
			"GET k\r\nPTTL k\r\nGETEX k PERSIST\r\nEXEC\r\n"
		want, got := rawReplies(r.addr, []byte("FLUSHALL\r\n"+in)), rawReplies(d.Addr(), []byte("FLUSHALL\r\n"+in))
		want, got = strings.TrimSuffix(want, "<EOF>"), strings.TrimSuffix(got, "<EOF>")
		// PTTL counts down by the clock (0 once the millisecond is gone),
		// while GET and GETEX find the key alive. Redis may run the 3,000
		// commands within the millisecond (PTTL 1); Dynago, which takes
		// longer, must show the key alive after it passed (PTTL 0).
		alive := func(pttl string) string { return "$1\r\nv\r\n:" + pttl + "\r\n$1\r\nv\r\n" }
		if !strings.HasSuffix(want, alive("0")) && !strings.HasSuffix(want, alive("1")) {
			t.Fatalf("Redis's EXEC ends %q, want the key alive", want[max(0, len(want)-40):])
		}
		if !strings.HasSuffix(got, alive("0")) {
			t.Errorf("Dynago's EXEC ends %q, want the key alive and PTTL 0", got[max(0, len(got)-40):])
		}
		if strings.TrimSuffix(want, alive("1")) != strings.TrimSuffix(got, alive("0")) && want != got {
			t.Errorf("EXEC's replies differ before their end:\nredis:  %q\ndynago: %q", want[max(0, len(want)-60):], got[max(0, len(got)-60):])
		}
	})
}

// TestTransactionsCompatWithPassword: transaction commands before and
// after AUTH, and AUTH inside MULTI, answer as Redis's with requirepass.
func TestTransactionsCompatWithPassword(t *testing.T) {
	r := startRealRedisWith(t, "--requirepass", "s3cret")
	d := testserver.Start(t, withPassword("s3cret"))
	lines := []string{"1 EXEC", "1 EXEC x", "1 MULTI", "1 DISCARD", "1 WATCH k", "1 UNWATCH", "1 AUTH s3cret",
		"1 MULTI", "1 AUTH bad", "1 AUTH s3cret", "1 GET k", "1 EXEC", "2 MULTI", "2 AUTH s3cret", "2 PING", "2 EXEC",
		// RESET signs the connection out: it must authenticate again.
		"2 RESET", "2 GET k", "2 AUTH s3cret", "2 GET k"}
	want, got := runScript(t, r.addr, "s3cret", lines), runScript(t, d.Addr(), "s3cret", lines)
	for i := range lines {
		if want[i] != got[i] {
			t.Errorf("line %d %q:\nredis:  %q\ndynago: %q", i+1, lines[i], want[i], got[i])
		}
	}
}

// TestTransactionsWithGoRedis drives MULTI/EXEC through go-redis's
// helpers, as applications do.
func TestTransactionsWithGoRedis(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client()

	t.Run("TxPipelined", func(t *testing.T) {
		var incr *redis.IntCmd
		var get *redis.StringCmd
		cmds, err := c.TxPipelined(bg, func(p redis.Pipeliner) error {
			p.Set(bg, "tx:a", "10", 0)
			incr = p.IncrBy(bg, "tx:a", 5)
			get = p.Get(bg, "tx:a")
			return nil
		})
		if err != nil || len(cmds) != 3 {
			t.Fatalf("TxPipelined: %d commands, %v", len(cmds), err)
		}
		if incr.Val() != 15 || get.Val() != "15" {
			t.Fatalf("INCRBY %d, GET %q; want 15, 15", incr.Val(), get.Val())
		}
	})
	t.Run("runtime error inside EXEC", func(t *testing.T) {
		expect(t, c, "OK", "SET", "tx:s", "abc")
		var set *redis.StatusCmd
		var incr *redis.IntCmd
		var get *redis.StringCmd
		_, err := c.TxPipelined(bg, func(p redis.Pipeliner) error {
			set = p.Set(bg, "tx:b", "1", 0)
			incr = p.Incr(bg, "tx:s")
			get = p.Get(bg, "tx:b")
			return nil
		})
		if err == nil || err.Error() != "ERR value is not an integer or out of range" {
			t.Fatalf("TxPipelined: %v; want the INCR's error", err)
		}
		if set.Val() != "OK" || incr.Err() == nil || get.Val() != "1" {
			t.Fatalf("SET %q, INCR %v, GET %q: the commands around the error must run", set.Val(), incr.Err(), get.Val())
		}
	})
	t.Run("EXECABORT", func(t *testing.T) {
		_, err := c.TxPipelined(bg, func(p redis.Pipeliner) error {
			p.Set(bg, "tx:c", "1", 0)
			p.Do(bg, "NOSUCH")
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "EXECABORT") && !strings.Contains(err.Error(), "unknown command") {
			t.Fatalf("TxPipelined with an unknown command: %v", err)
		}
		expect(t, c, int64(0), "EXISTS", "tx:c")
	})
	t.Run("Watch aborts on another client's write", func(t *testing.T) {
		other := s.Client()
		err := c.Watch(bg, func(tx *redis.Tx) error {
			if err := other.Set(bg, "tx:w", "theirs", 0).Err(); err != nil {
				return err
			}
			_, err := tx.TxPipelined(bg, func(p redis.Pipeliner) error {
				p.Set(bg, "tx:w", "mine", 0)
				return nil
			})
			return err
		}, "tx:w")
		if !errors.Is(err, redis.TxFailedErr) {
			t.Fatalf("Watch: %v; want redis.TxFailedErr", err)
		}
		expect(t, c, "theirs", "GET", "tx:w")
	})
}

// TestWatchIncrementLoop is the optimistic-locking increment: concurrent
// clients each read a counter under WATCH and write it back plus one in a
// transaction, retrying when EXEC aborts. The counter must end at the
// number of transactions that succeeded: no increment is lost.
func TestWatchIncrementLoop(t *testing.T) {
	s := testserver.Start(t)
	const clients, each = 8, 25
	var succeeded, aborted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		c := s.Client()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done := 0; done < each; {
				err := c.Watch(bg, func(tx *redis.Tx) error {
					n, err := tx.Get(bg, "counter").Int()
					if err != nil && !errors.Is(err, redis.Nil) {
						return err
					}
					_, err = tx.TxPipelined(bg, func(p redis.Pipeliner) error {
						p.Set(bg, "counter", n+1, 0)
						return nil
					})
					return err
				}, "counter")
				switch {
				case err == nil:
					succeeded.Add(1)
					done++
				case errors.Is(err, redis.TxFailedErr):
					aborted.Add(1)
				default:
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := s.Client().Get(bg, "counter").Int64()
	if err != nil {
		t.Fatal(err)
	}
	if got != succeeded.Load() || got != clients*each {
		t.Fatalf("counter %d, %d transactions succeeded (want %d)", got, succeeded.Load(), clients*each)
	}
	t.Logf("%d transactions, %d aborted and retried", succeeded.Load(), aborted.Load())
}

// TestExecIsIsolated checks that no other client's command runs inside an
// EXEC on a single node: transactions keep a and b equal, and concurrent
// readers, by MGET and by transactions of their own, never see them apart.
func TestExecIsIsolated(t *testing.T) {
	s := testserver.Start(t)
	const writers, readers, rounds = 3, 3, 200
	var writing, reading sync.WaitGroup
	var stop atomic.Bool
	fail := make(chan string, writers+readers)
	for w := range writers {
		c := s.Client()
		writing.Add(1)
		go func() {
			defer writing.Done()
			for i := range rounds {
				v := fmt.Sprintf("%d-%d", w, i)
				_, err := c.TxPipelined(bg, func(p redis.Pipeliner) error {
					p.Set(bg, "iso:a", v, 0)
					p.Append(bg, "iso:log", "x")
					p.Set(bg, "iso:b", v, 0)
					return nil
				})
				if err != nil {
					fail <- err.Error()
					return
				}
			}
		}()
	}
	reads := make([]int, readers)
	for r := range readers {
		c := s.Client()
		reading.Add(1)
		go func() {
			defer reading.Done()
			for !stop.Load() {
				var a, b string
				if r%2 == 0 {
					vals, err := c.MGet(bg, "iso:a", "iso:b").Result()
					if err != nil {
						fail <- err.Error()
						return
					}
					a, b = fmt.Sprint(vals[0]), fmt.Sprint(vals[1])
				} else {
					var ga, gb *redis.StringCmd
					if _, err := c.TxPipelined(bg, func(p redis.Pipeliner) error {
						ga, gb = p.Get(bg, "iso:a"), p.Get(bg, "iso:b")
						return nil
					}); err != nil && !errors.Is(err, redis.Nil) {
						fail <- err.Error()
						return
					}
					a, b = ga.Val(), gb.Val()
				}
				if a != b {
					fail <- fmt.Sprintf("reader %d saw a=%q b=%q: a transaction was seen half done", r, a, b)
					return
				}
				reads[r]++
			}
		}()
	}
	writing.Wait()
	stop.Store(true)
	reading.Wait()
	close(fail)
	for msg := range fail {
		t.Error(msg)
	}
	expect(t, s.Client(), int64(writers*rounds), "STRLEN", "iso:log")
	t.Logf("reads during the transactions: %v", reads)
}

// A queued command that panics when EXEC runs it is contained like any
// other: the client gets the error instead of EXEC's array, its connection
// closes, the commands before it stay done (nothing is rolled back, as in
// Redis), and the node serves everyone else: EXEC let go of the gate.
func TestPanicInsideExecIsContained(t *testing.T) {
	s := testserver.Start(t)
	other := conn(t, s)
	in := "MULTI\r\nSET before 1\r\nDYNAGO-TEST-PANIC locked\r\nSET after 1\r\nEXEC\r\nPING\r\n"
	want := "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n" +
		"-ERR internal error while running 'dynago-test-panic'; the node logged it and is closing this connection\r\n<EOF>"
	if got := rawReplies(s.Addr(), []byte(in)); got != want {
		t.Fatalf("replies %q, want %q", got, want)
	}
	expect(t, other, "PONG", "PING")
	expect(t, other, "1", "GET", "before")
	expect(t, other, int64(0), "EXISTS", "after")
	expect(t, other, "OK", "SET", "locked", "x")
	_, err := other.TxPipelined(bg, func(p redis.Pipeliner) error {
		p.Set(bg, "after", "2", 0)
		return nil
	})
	if err != nil {
		t.Fatalf("a transaction after the panic: %v", err)
	}
}

// Queued commands are counted once, when EXEC runs them (INFO
// commandstats), and CLIENT LIST shows a transaction being queued (flags=x,
// multi=<queued>) and a touched watch (flags=d), as Redis does.
func TestTransactionObservability(t *testing.T) {
	s := testserver.Start(t)
	c, other := conn(t, s), conn(t, s)
	id := doInt(t, c, "CLIENT", "ID")
	expect(t, c, "OK", "CONFIG", "RESETSTAT")
	expect(t, c, "OK", "MULTI")
	expect(t, c, "QUEUED", "SET", "k", "1")
	expect(t, c, "QUEUED", "INCR", "k")
	if info := do(t, other, "CLIENT", "LIST", "ID", id).(string); !strings.Contains(info, " flags=x ") || !strings.Contains(info, " multi=2 ") {
		t.Errorf("CLIENT LIST inside MULTI: %q", info)
	}
	expect(t, c, []interface{}{"OK", int64(2)}, "EXEC")
	stats := do(t, c, "INFO", "commandstats").(string)
	for _, want := range []string{"cmdstat_set:calls=1,", "cmdstat_incr:calls=1,", "cmdstat_multi:calls=1,", "cmdstat_exec:calls=1,"} {
		if !strings.Contains(stats, want) {
			t.Errorf("INFO commandstats lacks %q:\n%s", want, stats)
		}
	}
	expect(t, c, "OK", "WATCH", "k")
	expect(t, other, "OK", "SET", "k", "2")
	if info := do(t, c, "CLIENT", "INFO").(string); !strings.Contains(info, " flags=d ") || !strings.Contains(info, " multi=-1 ") {
		t.Errorf("CLIENT INFO after a watched key was written: %q", info)
	}
	expect(t, c, "OK", "UNWATCH")
	if info := do(t, c, "CLIENT", "INFO").(string); !strings.Contains(info, " flags=N ") {
		t.Errorf("CLIENT INFO after UNWATCH: %q", info)
	}
}

// A transaction cannot make a node hold more than one request's worth of
// queued arguments (client-query-buffer-limit): the command that would pass
// it is refused, and EXEC answers EXECABORT (see transaction-limits in
// docs/redis-differences.md).
func TestTransactionQueueLimit(t *testing.T) {
	s := testserver.Start(t, func(cfg *node.Config) { cfg.Limits.QueryBufferLimit = 1 << 20 })
	c := conn(t, s)
	big := strings.Repeat("x", 400<<10)
	expect(t, c, "OK", "MULTI")
	expect(t, c, "QUEUED", "SET", "a", big)
	expect(t, c, "QUEUED", "SET", "b", big)
	expectErr(t, c, "ERR the commands queued after MULTI exceed client-query-buffer-limit; the transaction will be discarded", "SET", "c", big)
	expectErr(t, c, "EXECABORT Transaction discarded because of previous errors.", "EXEC")
	expect(t, c, int64(0), "EXISTS", "a", "b", "c")
}
