package resp_test

// Compatibility tests: the same commands go to a real redis-server and to a
// Dynago node through the real redis-cli, and the printed replies must be
// the same text. Where Dynago differs by design (one database, its own
// COMMAND table, INFO fields, cursors), the tests compare the shape of the
// replies instead.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/redis/go-redis/v9"
)

// realRedis is a redis-server started for a test, and the redis-cli to talk
// to it and to Dynago.
type realRedis struct {
	cli  string
	addr string
}

// startRealRedis starts redis-server on a free loopback port without
// persistence. It skips the test when Redis is not installed, unless the
// CI environment variable is set: there a missing Redis is a failure.
func startRealRedis(t *testing.T) *realRedis {
	t.Helper()
	return startRealRedisWith(t)
}

// run runs redis-cli against addr with args and returns what it prints.
func (r *realRedis) run(t *testing.T, addr string, resp3 bool, args ...string) string {
	t.Helper()
	return r.output(addr, resp3, args...)
}

// output runs redis-cli; --no-raw prints replies with their types, as a
// terminal would see them. redis-cli exits non-zero after an error reply,
// which is what some lines test, so only its output counts; a hung
// redis-cli is killed and shows as such in the output.
func (r *realRedis) output(addr string, resp3 bool, args ...string) string {
	host, port, _ := strings.Cut(addr, ":")
	base := []string{"--no-raw", "-h", host, "-p", port}
	if resp3 {
		base = append(base, "-3")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, r.cli, append(base, args...)...).CombinedOutput()
	if ctx.Err() != nil {
		return fmt.Sprintf("redis-cli timed out: %v\n%s", ctx.Err(), out)
	}
	return string(out)
}

// script feeds lines to one redis-cli reading its standard input, as a
// user pasting commands would, and returns what it printed for each line.
// An ECHO of a numbered mark follows every line, so each reply can be told
// from the next; a line whose reply never arrived gets the text "<missing>".
func (r *realRedis) script(addr string, resp3 bool, lines []string) []string {
	host, port, _ := strings.Cut(addr, ":")
	args := []string{"--no-raw", "-h", host, "-p", port}
	if resp3 {
		args = append(args, "-3")
	}
	var in strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&in, "%s\necho %s\n", l, compatMark(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.cli, args...)
	cmd.Stdin = strings.NewReader(in.String())
	out, _ := cmd.CombinedOutput()
	outputs := make([]string, len(lines))
	for i := range outputs {
		outputs[i] = "<missing>"
	}
	i := 0
	var cur strings.Builder
	for _, l := range strings.SplitAfter(string(out), "\n") {
		if i < len(lines) && strings.TrimSuffix(l, "\n") == `"`+compatMark(i)+`"` {
			outputs[i] = cur.String()
			cur.Reset()
			i++
			continue
		}
		cur.WriteString(l)
	}
	if ctx.Err() != nil && i < len(lines) {
		outputs[i] = fmt.Sprintf("redis-cli timed out: %v\n%s", ctx.Err(), cur.String())
	}
	return outputs
}

func compatMark(i int) string { return fmt.Sprintf("__compat_mark_%d__", i) }

// compatCases are command sequences whose redis-cli output must be the same
// text on Redis and on Dynago, written in redis-cli's own syntax (double
// quotes group words; "" is an empty argument). "{k}" becomes a key prefix
// of the case's own. redis-cli handles some words itself (QUIT, CONNECT,
// HELP, a leading repeat count), so lines avoid them.
// A line starting with "sorted:" compares its output lines sorted (replies
// whose order Redis does not define).
var compatCases = []struct {
	name  string
	lines []string
}{
	{"set", []string{
		"set {k}s hello", "get {k}s", "get {k}missing",
		"set {k}s other nx", "set {k}absent v xx", "exists {k}absent",
		"set {k}s world xx", "set {k}s again get", "set {k}fresh v get", "get {k}fresh",
		"set {k}s ignored nx get", "SET {k}s upper XX", "Get {k}s",
		"set {k}s v nx xx", "set {k}s v ex 10 px 100", "set {k}s v keepttl ex 10", "set {k}s v foo",
		"set {k}s v ex", "set {k}s", "set",
		"set {k}s v ex 0", "set {k}s v ex -1", "set {k}s v px abc", "set {k}s v ex 1.5",
		"set {k}s v ex 9223372036854775807", "set {k}s v px 9223372036854775807", "set {k}s v exat 9223372036854775807",
		"set {k}s v ex 10 ex 100", "set {k}s v px 10 px 100000", "set {k}s v keepttl keepttl", "set {k}s v nx nx get get",
		"set {k}s v pxat 1", "get {k}s", "exists {k}s",
		"set {k}t v exat 99999999999", "expiretime {k}t", "set {k}t v2 keepttl", "expiretime {k}t", "get {k}t",
		"set {k}t v3", "ttl {k}t", "expiretime {k}t",
		`set {k}sp "a b c"`, "get {k}sp", `set {k}e ""`, "get {k}e", "strlen {k}e",
	}},
	{"set-family", []string{
		"setnx {k}n 1", "setnx {k}n 2", "get {k}n", "setnx {k}n",
		"setex {k}x 0 v", "setex {k}x -5 v", "setex {k}x abc v", "setex {k}x 9223372036854775807 v", "setex {k}x 100 v", "get {k}x",
		"psetex {k}p 0 v", "psetex {k}p -5 v", "psetex {k}p 9223372036854775807 v", "psetex {k}p 100000 v", "get {k}p",
		"getset {k}g first", "getset {k}g second", "get {k}g", "getset {k}g",
		"getdel {k}g", "getdel {k}g", "exists {k}g", "getdel",
		"mset {k}m1 a {k}m2 b", "mget {k}m1 {k}m2 {k}m3", "mset {k}m1", "mset {k}m1 a {k}m2", "mget",
		"msetnx {k}m2 x {k}m3 y", "mget {k}m2 {k}m3", "msetnx {k}m3 x {k}m4 y", "mget {k}m3 {k}m4", "msetnx {k}m5",
		"msetnx {k}m6 a {k}m6 b", "get {k}m6", "del {k}m1 {k}m2 {k}m1 {k}nope",
	}},
	{"getex", []string{
		"set {k}g val", "getex {k}g", "ttl {k}g",
		"getex {k}g exat 99999999999", "expiretime {k}g", "getex {k}g pxat 99999999999000", "pexpiretime {k}g",
		"getex {k}g persist", "ttl {k}g", "getex {k}g persist persist", "ttl {k}g",
		"getex {k}g ex 10 px 10", "getex {k}g persist ex 10", "getex {k}g ex 10 persist", "getex {k}g keepttl", "getex {k}g foo", "getex {k}g ex",
		"getex {k}g ex 0", "getex {k}g ex -5", "getex {k}g ex abc", "getex {k}g px 9223372036854775807",
		"getex {k}missing", "getex {k}missing ex 10", "getex {k}missing ex 0", "getex {k}missing ex abc", "getex {k}missing foo",
		"getex {k}g exat 99999999999 exat 99999999998", "expiretime {k}g",
		"getex {k}g pxat 1", "exists {k}g", "getex",
	}},
	{"append-range", []string{
		"append {k}a Hello", `append {k}a " World"`, "get {k}a", "strlen {k}a", "strlen {k}missing", "append {k}a",
		"getrange {k}a 0 4", "getrange {k}a -5 -1", "getrange {k}a 0 100", "getrange {k}a 5 1", "getrange {k}a -1 -5",
		"getrange {k}a -100 -90", "getrange {k}a 100 200", "getrange {k}a -3 100", "getrange {k}missing 0 10",
		"getrange {k}a a 1", "getrange {k}a 0", "getrange {k}a 0 9223372036854775807",
		"setrange {k}a 6 Redis", "get {k}a", "setrange {k}r 5 abc", "get {k}r", "strlen {k}r",
		`setrange {k}r 0 ""`, `setrange {k}none 3 ""`, "exists {k}none", "setrange {k}r -1 x", "setrange {k}r x y",
		"setrange {k}r 1 XY", "get {k}r", "setrange {k}r 0",
		"set {k}t v exat 99999999999", "append {k}t w", "setrange {k}t 0 x", "get {k}t", "expiretime {k}t",
	}},
	{"counters", []string{
		"incr {k}n", "incr {k}n", "incrby {k}n 10", "incrby {k}n -3", "decr {k}n", "decrby {k}n 5", "get {k}n", "type {k}n",
		"decr {k}d", "decrby {k}d2 -4", "incrby {k}n 1.5", `incrby {k}n ""`, "incrby {k}n +5", "incrby {k}n 05", "incrby {k}n -0",
		"decrby {k}n abc", "incr", "incrby {k}n", "decrby {k}n", "incr {k}n extra",
		"set {k}s abc", "incr {k}s", "incrbyfloat {k}s 1", "get {k}s",
		`set {k}e ""`, "incr {k}e", "incrbyfloat {k}e 1",
		"set {k}f 1.0", "incr {k}f", "incrbyfloat {k}f 1", "incr {k}f",
		"set {k}o 010", "incr {k}o", "incrbyfloat {k}o 1",
		"set {k}p +5", "incr {k}p", "incrbyfloat {k}p 1",
		`set {k}w " 1"`, "incr {k}w", "incrbyfloat {k}w 1",
		"set {k}max 9223372036854775807", "incr {k}max", "incrby {k}max 1", "decrby {k}max -1", "get {k}max",
		"set {k}min -9223372036854775808", "decr {k}min", "decrby {k}min 1", "decrby {k}min -9223372036854775808",
		"incrby {k}min2 -9223372036854775808", "decrby {k}min2 -9223372036854775808",
		"set {k}fl 10.50", "incrbyfloat {k}fl 0.1", "incrbyfloat {k}fl -5", "get {k}fl",
		"set {k}fl 5.0e3", "incrbyfloat {k}fl 2.0e2", "incr {k}fl", "get {k}fl",
		"incrbyfloat {k}nf 3.0e3", "incrbyfloat {k}nf 1.5", "incr {k}nf", "incrbyfloat {k}nf -0.5", "incr {k}nf",
		"incrbyfloat {k}nf abc", "incrbyfloat {k}nf nan", "incrbyfloat {k}nf inf", "incrbyfloat {k}nf -inf", `incrbyfloat {k}nf ""`,
		`incrbyfloat {k}nf " 1"`, "incrbyfloat {k}tiny 1e-10", "incrbyfloat {k}z -0", "incrbyfloat {k}nf",
		"set {k}sci 1e2", "incrbyfloat {k}sci 1",
		"incr {k}c", "append {k}c 5", "get {k}c", "incr {k}c", "setrange {k}c 0 9", "incr {k}c", "strlen {k}c",
		"set {k}ttl 5 exat 99999999999", "incr {k}ttl", "incrbyfloat {k}ttl 0.5", "expiretime {k}ttl",
	}},
	{"keys-expire", []string{
		"mset {k}a 1 {k}b 2 {k}c 3", "exists {k}a {k}a {k}b {k}nope", "type {k}a", "type {k}nope",
		"del {k}a {k}b {k}a", "unlink {k}c {k}c", "del {k}a", "exists {k}a {k}b {k}c",
		"set {k}x v", "ttl {k}x", "pttl {k}x", "expiretime {k}x", "pexpiretime {k}x",
		"ttl {k}nope", "pttl {k}nope", "expiretime {k}nope", "pexpiretime {k}nope",
		"expire {k}nope 100", "persist {k}nope", "persist {k}x",
		"expire {k}x 100 xx", "expire {k}x 100 gt", "expire {k}x 100 lt", "persist {k}x",
		"expire {k}x 100 nx", "expire {k}x 200 nx", "expire {k}x 200 xx", "expire {k}x 50 gt", "expire {k}x 500 gt",
		"expire {k}x 50 lt", "expire {k}x 5000 lt", "pexpire {k}x 60000 XX GT",
		"expire {k}x 100 nx xx", "expire {k}x 100 nx gt", "expire {k}x 100 gt lt", "expire {k}x 100 foo", "expire {k}x abc",
		"expire {k}x 9223372036854775807", "pexpire {k}x 9223372036854775807", "expireat {k}x 9223372036854775807",
		"expire {k}x", "ttl", "ttl {k}x {k}y", "persist", "expiretime",
		"expireat {k}x 99999999999", "expiretime {k}x", "pexpiretime {k}x",
		"pexpireat {k}x 99999999999500", "expiretime {k}x", "pexpiretime {k}x",
		"pexpireat {k}x 99999999999499", "expiretime {k}x",
		"persist {k}x", "persist {k}x", "ttl {k}x",
		"expire {k}x -1", "exists {k}x",
		"set {k}x v", "pexpire {k}x -5", "exists {k}x",
		"set {k}x v", "expireat {k}x 1", "exists {k}x",
		"set {k}x v", "pexpireat {k}x 0", "exists {k}x",
		"set {k}x v", "expire {k}x 0", "exists {k}x",
	}},
	{"patterns", []string{
		`mset {k}a 1 {k}b 2 {k}ab 3 {k}[x 4 {k}\ 5 {k}* 6 {k}? 7 {k}- 8 {k}] 9 {k}^ 10 {k}x 11 {k}abc 12`,
		"sorted:keys {k}*", "sorted:keys {k}?", "sorted:keys {k}??", "sorted:keys {k}[ab]", "sorted:keys {k}[^a]",
		"sorted:keys {k}[a-b]*", "sorted:keys {k}[b-a]", `sorted:keys {k}\*`, `sorted:keys {k}\?`, `sorted:keys {k}[\]]`,
		"sorted:keys {k}[", "sorted:keys {k}[x", `sorted:keys {k}\[x`, "sorted:keys {k}[a-", "sorted:keys {k}[]]",
		"sorted:keys {k}[^]", `sorted:keys {k}\`, `sorted:keys {k}\\`, `sorted:keys {k}a\`, "sorted:keys {k}*b",
		"sorted:keys {k}[-]", "sorted:keys {k}[a-]", `sorted:keys {k}[\-]`, "sorted:keys {k}[[]x", "sorted:keys {k}[!a]",
		"sorted:keys {k}a*c", "sorted:keys {k}*c*", "sorted:keys {k}**", "sorted:keys {k}[^ab]*", "sorted:keys {k}[a-c][b-c]*",
		"sorted:keys {k}", "keys", "keys a b",
	}},
	{"scan-errors", []string{
		"scan", "scan abc", "scan 18446744073709551616", "scan 0 count", "scan 0 count 0", "scan 0 count -1",
		"scan 0 count abc", "scan 0 match", "scan 0 foo bar", "scan 0 count 10 match",
	}},
	{"connection", []string{
		"ping", "ping hello", `ping ""`, "ping a b", "PING", "echo hi", `echo ""`, `echo "a b"`, "echo", "echo a b",
		"select 0", "select abc", "select 00", "select 0 1", "select",
		"nosuchcommand", "nosuchcommand a b", `nosuchcommand "a b" c`, "GET", "Get", "get a b",
		"client", "client foo", "client getname", "client setname my-name", `client setname "a b"`, "client setname",
		"client id x", "client getname x", "client list foo", "client list id abc", "client list type",
		"hello 4", "hello 1", "hello abc", "hello 2 foo", "hello 3 auth a", `hello 3 setname "a b"`, "hello 3 setname x y",
		"config", "config foo", "config get", "config set foo bar", "config get maxmemory", "config get MAXMEMORY",
		"config get save", "config get nosuchparam", "config get maxmemory-policy", "config get bind",
		"command count x", "command info nosuchcmd", "command docs nosuchcmd", "command foo",
		"time x", "dbsize a", "randomkey x", "flushall x", "flushdb x y", "info nosuchsection",
	}},
	{"database", []string{
		"flushall", "dbsize", "randomkey", "keys *", "scan 0",
		"set {k}one 1", "dbsize", "randomkey", "keys *", "scan 0", "scan 0 match *", "scan 0 match {k}o*", "scan 0 match nomatch*",
		"scan 0 type string", "scan 0 type hash",
		`set "" empty`, "get \"\"", "sorted:keys *", "keys **", "keys ?", "sorted:scan 0 match *", "scan 0 match **",
		"del \"\"", "flushdb", "dbsize", "keys *",
		"set {k}two 2", "flushall async", "dbsize", "set {k}two 2", "flushall sync", "dbsize", "flushdb async", "flushdb sync",
	}},
}

// resp3Lines are compared with redis-cli -3: RESP3 nulls, maps and sets.
var resp3Lines = []string{
	"get {k}missing", "set {k}a 1", "get {k}a", "mget {k}a {k}missing", "incr {k}a", "incrbyfloat {k}a 0.5",
	"exists {k}a", "config get maxmemory", "config get nosuchparam", "client getname", "getex {k}missing",
	"set {k}b v get", "getdel {k}missing", "keys {k}a", "hello 4", "nosuchcommand",
}

func TestCompatRedisCLI(t *testing.T) {
	r := startRealRedis(t)
	d := testserver.Start(t)
	for i, tc := range compatCases {
		t.Run(tc.name, func(t *testing.T) {
			compareScript(t, r, d.Addr(), false, tc.lines, fmt.Sprintf("compat%d:", i))
		})
	}
	t.Run("resp3", func(t *testing.T) {
		compareScript(t, r, d.Addr(), true, resp3Lines, "compat-resp3:")
	})
}

// compareScript runs lines through redis-cli against Redis and Dynago at
// the same time and compares what it printed for each line.
func compareScript(t *testing.T, r *realRedis, dynago string, resp3 bool, lines []string, prefix string) {
	t.Helper()
	cmds := make([]string, len(lines))
	sorted := make([]bool, len(lines))
	for i, l := range lines {
		l, sorted[i] = strings.CutPrefix(l, "sorted:")
		cmds[i] = strings.ReplaceAll(l, "{k}", prefix)
	}
	var want []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		want = r.script(r.addr, resp3, cmds)
	}()
	got := r.script(dynago, resp3, cmds)
	<-done
	for i := range cmds {
		w, g := want[i], got[i]
		if w == "<missing>" || g == "<missing>" {
			t.Fatalf("%s: no reply printed (redis %q, dynago %q)", cmds[i], w, g)
		}
		if sorted[i] {
			w, g = sortLines(w), sortLines(g)
		}
		if w != g {
			t.Errorf("%s\n  redis:  %q\n  dynago: %q", cmds[i], w, g)
		}
	}
}

// sortLines sorts the elements of a redis-cli array printout ("1) ...",
// nested as "2) 1) ..."), ignoring their numbering and indentation.
func sortLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		for {
			l = strings.TrimLeft(l, " ")
			j := strings.Index(l, ") ")
			if j <= 0 || strings.Trim(l[:j], "0123456789") != "" {
				break
			}
			l = l[j+2:]
		}
		lines[i] = l
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestCompatShapes compares replies whose content differs by nature (clocks,
// ids, versions, Dynago's own settings) by their structure.
func TestCompatShapes(t *testing.T) {
	r := startRealRedis(t)
	d := testserver.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: r.addr, Protocol: 2, MaxRetries: -1})
	dc := redis.NewClient(&redis.Options{Addr: d.Addr(), Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() { rc.Close(); dc.Close() })

	t.Run("HELLO", func(t *testing.T) {
		for _, proto := range []string{"2", "3"} {
			// The version and the connection id differ by nature.
			want := blankValues(r.run(t, r.addr, proto == "3", "hello", proto), "version", "id")
			got := blankValues(r.run(t, d.Addr(), proto == "3", "hello", proto), "version", "id")
			if got != want {
				t.Errorf("HELLO %s:\n  redis:  %q\n  dynago: %q", proto, want, got)
			}
		}
	})

	t.Run("INFO", func(t *testing.T) {
		want, err1 := rc.Info(bg).Result()
		got, err2 := dc.Info(bg).Result()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		// Dynago's sections are among Redis's, in Redis's order.
		rs, ds := infoSections(want), infoSections(got)
		if !isSubsequence(ds, rs) || len(ds) < 5 {
			t.Errorf("INFO sections: dynago %q, redis %q", ds, rs)
		}
		rf, df := infoFields(want), infoFields(got)
		for _, f := range []string{"redis_version", "redis_mode", "os", "arch_bits", "process_id", "tcp_port", "uptime_in_seconds",
			"uptime_in_days", "executable", "connected_clients", "maxclients", "blocked_clients", "used_memory", "used_memory_human",
			"used_memory_rss", "maxmemory", "maxmemory_policy", "loading", "aof_enabled", "rdb_bgsave_in_progress",
			"total_connections_received", "total_commands_processed", "total_error_replies", "keyspace_hits", "keyspace_misses"} {
			if _, ok := rf[f]; !ok {
				t.Errorf("Redis's INFO has no %q; the list is out of date", f)
			}
			if _, ok := df[f]; !ok {
				t.Errorf("Dynago's INFO lacks %q", f)
			}
		}
		for f, v := range df {
			if strings.ContainsAny(v, "\r\n") || f == "" {
				t.Errorf("INFO field %q = %q", f, v)
			}
		}
		for _, c := range []*redis.Client{rc, dc} {
			if err := c.Set(bg, "shape:info", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		rk, _ := rc.Info(bg, "keyspace").Result()
		dk, _ := dc.Info(bg, "keyspace").Result()
		if !strings.HasPrefix(rk, "# Keyspace\r\ndb0:keys=1,") || !strings.HasPrefix(dk, "# Keyspace\r\ndb0:keys=1,") {
			t.Errorf("INFO keyspace:\n  redis:  %q\n  dynago: %q", rk, dk)
		}
	})

	t.Run("CLIENT LIST", func(t *testing.T) {
		names := func(c *redis.Client) []string {
			raw, err := c.Do(bg, "CLIENT", "LIST").Text()
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(raw, "\n")
			var out []string
			for _, f := range strings.Fields(first) {
				name, _, ok := strings.Cut(f, "=")
				if !ok {
					t.Fatalf("CLIENT LIST field %q has no '='", f)
				}
				out = append(out, name)
			}
			return out
		}
		want, got := names(rc), names(dc)
		// Redis 7.2 added lib-name and lib-ver at the end; the rest is 7.0's order.
		if len(got) < len(want) || !reflect.DeepEqual(got[:len(want)], want) {
			t.Errorf("CLIENT LIST fields:\n  redis:  %q\n  dynago: %q", want, got)
		}
	})

	t.Run("TIME", func(t *testing.T) {
		want, err1 := rc.Do(bg, "TIME").StringSlice()
		got, err2 := dc.Do(bg, "TIME").StringSlice()
		if err1 != nil || err2 != nil || len(want) != 2 || len(got) != 2 {
			t.Fatalf("TIME: redis %q %v, dynago %q %v", want, err1, got, err2)
		}
		rs, _ := strconv.ParseInt(want[0], 10, 64)
		ds, err := strconv.ParseInt(got[0], 10, 64)
		if err != nil || ds-rs < -5 || ds-rs > 5 {
			t.Errorf("TIME seconds: redis %s, dynago %s", want[0], got[0])
		}
		if us, err := strconv.Atoi(got[1]); err != nil || us < 0 || us > 999999 {
			t.Errorf("TIME microseconds: %q", got[1])
		}
	})

	t.Run("COMMAND INFO", func(t *testing.T) {
		all, err := dc.Do(bg, "COMMAND", "LIST").StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		var names []string // commands; their subcommands come with them
		for _, n := range all {
			if !strings.Contains(n, "|") {
				names = append(names, n)
			}
		}
		docs, err := dc.Do(bg, "COMMAND", "DOCS").Slice()
		if err != nil {
			t.Fatal(err)
		}
		group, since := map[string]string{}, map[string]string{}
		var collect func(docs []interface{})
		collect = func(docs []interface{}) {
			for i := 0; i+1 < len(docs); i += 2 {
				name, fields := docs[i].(string), docs[i+1].([]interface{})
				for j := 0; j+1 < len(fields); j += 2 {
					switch fields[j] {
					case "group":
						group[name] = fields[j+1].(string)
					case "since":
						since[name] = fields[j+1].(string)
					case "subcommands":
						collect(fields[j+1].([]interface{}))
					}
				}
			}
		}
		collect(docs)
		redisVersion := infoFields(rc.Info(bg, "server").Val())["redis_version"]
		if redisVersion == "" {
			t.Fatal("no redis_version in Redis's INFO")
		}
		args := []interface{}{"COMMAND", "INFO"}
		for _, n := range names {
			args = append(args, n)
		}
		rinfo, err1 := rc.Do(bg, args...).Slice()
		dinfo, err2 := dc.Do(bg, args...).Slice()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		compared := 0
		for i, n := range names {
			if rinfo[i] == nil {
				if group[n] != "dynago" {
					t.Errorf("%s: Redis has no such command, yet its group is %q", n, group[n])
				}
				continue
			}
			rw, dw := rinfo[i].([]interface{}), dinfo[i].([]interface{})
			if len(dw) != 10 {
				t.Errorf("COMMAND INFO %s: %d fields, want 10", n, len(dw))
				continue
			}
			compared++
			for _, f := range []int{0, 1, 3, 4, 5} { // name, arity, first key, last key, step
				if !reflect.DeepEqual(rw[f], dw[f]) {
					t.Errorf("COMMAND INFO %s field %d: redis %v, dynago %v", n, f+1, rw[f], dw[f])
				}
			}
			rflags, dflags := toStrings(rw[2]), toStrings(dw[2])
			rcats, dcats := toStrings(rw[6]), toStrings(dw[6])
			if group[n] == "string" || group[n] == "generic" {
				if !reflect.DeepEqual(rflags, dflags) {
					t.Errorf("COMMAND INFO %s flags: redis %q, dynago %q", n, rflags, dflags)
				}
			} else if !isSubsequence(dflags, rflags) {
				t.Errorf("COMMAND INFO %s flags: dynago %q not within redis %q", n, dflags, rflags)
			}
			containers := len(rw[9].([]interface{})) > 0 || len(dw[9].([]interface{})) > 0
			// Redis's containers (CLIENT, CONFIG, COMMAND) take their
			// categories from hand-written tables; only plain commands follow
			// a rule that Dynago can be held to.
			if !containers && (!isSubsequence(dcats, rcats) || len(dcats) == 0) {
				t.Errorf("COMMAND INFO %s ACL categories: dynago %q not within redis %q", n, dcats, rcats)
			}
			if containers {
				rsubs := subcommandNames(rw[9])
				for _, sub := range subcommandNames(dw[9]) {
					if !contains(rsubs, sub) && !newerThan(since[sub], redisVersion) {
						t.Errorf("COMMAND INFO %s: subcommand %s (since %s) unknown to Redis %s", n, sub, since[sub], redisVersion)
					}
				}
			}
		}
		if compared < 40 {
			t.Errorf("only %d commands compared", compared)
		}
		// COMMAND DOCS agrees with Redis on when and where a command came from.
		for _, n := range []string{"get", "set", "getex", "expiretime", "scan", "ping", "hello"} {
			rd, _ := rc.Do(bg, "COMMAND", "DOCS", n).Slice()
			dd, _ := dc.Do(bg, "COMMAND", "DOCS", n).Slice()
			rf, df := docFields(rd), docFields(dd)
			if rf["since"] != df["since"] || rf["group"] != df["group"] || df["summary"] == "" {
				t.Errorf("COMMAND DOCS %s: redis %v, dynago %v", n, rf, df)
			}
		}
	})
}

// TestCompatGlobRandom matches random patterns against the same keys on
// Redis and Dynago with KEYS: Redis's matcher is the reference.
func TestCompatGlobRandom(t *testing.T) {
	r := startRealRedis(t)
	d := testserver.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: r.addr, Protocol: 2, MaxRetries: -1})
	dc := redis.NewClient(&redis.Options{Addr: d.Addr(), Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() { rc.Close(); dc.Close() })

	const alphabet = `ab-][^\*?`
	var kv []interface{}
	var walk func(prefix string, depth int)
	walk = func(prefix string, depth int) {
		if depth > 0 {
			kv = append(kv, "g/"+prefix, "v")
		}
		if depth == 3 {
			return
		}
		for _, ch := range alphabet {
			walk(prefix+string(ch), depth+1)
		}
	}
	walk("", 0)
	for _, c := range []*redis.Client{rc, dc} {
		if err := c.MSet(bg, kv...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	patternAlphabet := alphabet + "**??"
	for i := 0; i < 300; i++ {
		var p strings.Builder
		p.WriteString("g/")
		for n := 1 + rng.IntN(5); n > 0; n-- {
			p.WriteByte(patternAlphabet[rng.IntN(len(patternAlphabet))])
		}
		want, err1 := rc.Keys(bg, p.String()).Result()
		got, err2 := dc.Keys(bg, p.String()).Result()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		sort.Strings(want)
		sort.Strings(got)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("KEYS %q:\n  redis:  %q\n  dynago: %q", p.String(), want, got)
		}
	}
}

// TestCompatScanMatch checks that a full SCAN with MATCH returns the same
// set of keys on both servers (their cursors differ by design).
func TestCompatScanMatch(t *testing.T) {
	r := startRealRedis(t)
	d := testserver.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: r.addr, Protocol: 2, MaxRetries: -1})
	dc := redis.NewClient(&redis.Options{Addr: d.Addr(), Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() { rc.Close(); dc.Close() })
	var kv []interface{}
	for i := 0; i < 500; i++ {
		kv = append(kv, fmt.Sprintf("sm:%d", i), i)
	}
	for _, c := range []*redis.Client{rc, dc} {
		if err := c.MSet(bg, kv...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, pattern := range []string{"sm:1*", "sm:?", "sm:[2-3]?", "*", "nomatch*"} {
		scan := func(c *redis.Client) []string {
			seen := map[string]bool{}
			var cursor uint64
			for calls := 0; calls < 10000; calls++ {
				keys, next, err := c.Scan(bg, cursor, pattern, 37).Result()
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range keys {
					seen[k] = true
				}
				if next == 0 {
					out := make([]string, 0, len(seen))
					for k := range seen {
						out = append(out, k)
					}
					sort.Strings(out)
					return out
				}
				cursor = next
			}
			t.Fatalf("SCAN MATCH %s did not finish", pattern)
			return nil
		}
		if want, got := scan(rc), scan(dc); !reflect.DeepEqual(want, got) {
			t.Errorf("SCAN MATCH %q: redis %d keys, dynago %d keys", pattern, len(want), len(got))
		}
	}
}

func blankValues(s string, keys ...string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		for _, k := range keys {
			if strings.Contains(lines[i], `"`+k+`"`) {
				// RESP3: key => value on one line; RESP2: the value is on the next line.
				if j := strings.Index(lines[i], "=>"); j >= 0 {
					lines[i] = lines[i][:j] + "=> <blank>"
				} else if i+1 < len(lines) {
					if j := strings.Index(lines[i+1], ") "); j >= 0 {
						lines[i+1] = lines[i+1][:j] + ") <blank>"
					}
				}
			}
		}
	}
	return strings.Join(lines, "\n")
}

func infoSections(info string) []string {
	var out []string
	for _, l := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(l, "# ") {
			out = append(out, l[2:])
		}
	}
	return out
}

func infoFields(info string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(info, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") {
			out[k] = v
		}
	}
	return out
}

// isSubsequence reports whether sub appears in list in the same order.
func isSubsequence(sub, list []string) bool {
	i := 0
	for _, s := range list {
		if i < len(sub) && sub[i] == s {
			i++
		}
	}
	return i == len(sub)
}

// newerThan reports whether dotted version a is later than b.
func newerThan(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			return x > y
		}
	}
	return len(as) > len(bs)
}

func toStrings(v interface{}) []string {
	list, _ := v.([]interface{})
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

func subcommandNames(v interface{}) []string {
	var out []string
	for _, sub := range v.([]interface{}) {
		out = append(out, fmt.Sprint(sub.([]interface{})[0]))
	}
	return out
}

func docFields(reply []interface{}) map[string]string {
	out := map[string]string{}
	if len(reply) != 2 {
		return out
	}
	fields, _ := reply[1].([]interface{})
	for i := 0; i+1 < len(fields); i += 2 {
		if s, ok := fields[i+1].(string); ok {
			out[fmt.Sprint(fields[i])] = s
		}
	}
	return out
}
