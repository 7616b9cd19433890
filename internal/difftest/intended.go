package difftest

import (
	"fmt"
	"strings"
)

// Difference is one intended difference between Dynago and Redis: a
// documented Dynago choice, with its reason and how the tester treats it.
type Difference struct {
	ID       string   // short name, referred to by the code that applies it
	Commands []string // the commands it concerns (as Redis names them)
	What     string   // how Dynago's replies differ
	Why      string   // the reason: the Dynago choice behind it
	Tester   string   // what the tester does about it
	// NotGenerated lists the commands of Dynago's table the generator
	// leaves out because of this difference ("dynago|*": every subcommand).
	NotGenerated []string
}

// Intended is the one list of intended differences. Every other difference
// the tester finds is a bug in Dynago. docs/redis-differences.md is rendered
// from it (TestDocsMatchIntended keeps them the same).
var Intended = []Difference{
	{
		ID:       "dynago-commands",
		Commands: []string{"VGET", "VSET", "VDEL", "DYNAGO"},
		What:     "Dynago has commands Redis does not: the version commands and cluster administration.",
		Why:      "Siblings and causal contexts (VGET/VSET/VDEL) and the ring (DYNAGO) have no Redis counterpart.",
		Tester:   "Not generated.",
		NotGenerated: []string{"vget", "vset", "vdel", "dynago",
			"dynago|*"},
	},
	{
		ID:           "cluster-mode",
		Commands:     []string{"CLUSTER", "READONLY", "READWRITE", "ASKING"},
		What:         "Every Dynago node answers the Redis Cluster commands (CLUSTER SLOTS, SHARDS, NODES, INFO, MYID, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT, HELP; READONLY, READWRITE and ASKING answer OK) while it also takes what only a Redis without cluster support takes: multi-key commands across slots, with no CROSSSLOT, and any key on any node, with no MOVED. INFO says `cluster_enabled:1`; HELLO and INFO's `redis_mode` say standalone. Redis's commands that reshape a cluster (MEET, ADDSLOTS, FAILOVER, ...) are absent.",
		Why:          "Any node serves any key (a command for a key this node holds no replica of is forwarded), so cluster-mode clients and plain clients both work against the same nodes; the ring is Dynago's own (DYNAGO JOIN, LEAVE, REMOVE).",
		Tester:       "Not generated in the streams, whose reference server runs without cluster support. TestClusterCommandsMatchRedis compares CLUSTER KEYSLOT over thousands of keys (hash tags, braces, binary) and the argument errors of the CLUSTER commands with a redis-server started with cluster-enabled, checks COUNTKEYSINSLOT and GETKEYSINSLOT against the slots that server computes, and, with that server holding every slot as a lone Dynago node does, compares CLUSTER SLOTS, SHARDS, NODES and INFO in RESP2 and RESP3 on all but what names the server (address, port, id, timestamps, counters).",
		NotGenerated: []string{"cluster", "cluster|*", "readonly", "readwrite", "asking"},
	},
	{
		ID:           "shutdown",
		Commands:     []string{"SHUTDOWN"},
		What:         "SHUTDOWN stops the node as SIGTERM does (clients stop being taken, commands in progress finish, the store is synced and closed, the process exits). SAVE, NOSAVE, NOW and FORCE are accepted and change nothing; ABORT always answers `ERR No shutdown in progress.`",
		Why:          "Every acknowledged write is already on disk as `--fsync` promises, so there is nothing to save or to skip saving; a Dynago shutdown never waits for replicas to catch up (Redis's shutdown-timeout), so none is ever in progress to abort.",
		Tester:       "Not generated: it would stop both servers. TestShutdownRefusalsAsRedis compares the refused forms (unknown option, SAVE with NOSAVE, ABORT with another option, SHUTDOWN inside MULTI) with redis-server; TestShutdownStopsTheProcess checks that the process exits 0 without a reply and keeps its writes.",
		NotGenerated: []string{"shutdown"},
	},
	{
		ID:       "one-database",
		Commands: []string{"SELECT", "COPY", "CONFIG GET databases"},
		What:     "`SELECT 1` to `SELECT 15` and `COPY ... DB 1` to `DB 15` are refused (`ERR DB index is out of range`); `CONFIG GET databases` answers 1.",
		Why:      "Dynago has one key space (database 0), partitioned over the ring.",
		Tester:   "SELECT and COPY's DB are generated with 0 and with indexes out of Redis's range too (-1, 16, ...), which must answer alike; never with 1 to 15. `databases` is not asked for.",
	},
	{
		ID:       "max-value-bytes",
		Commands: []string{"SETRANGE", "APPEND"},
		What:     "A string that would grow past the limit is refused with `ERR string exceeds maximum allowed size (max-value-bytes)`; Redis names its `proto-max-bulk-len`.",
		Why:      "Dynago bounds stored values by `--max-value-bytes` (16 MiB by default) so one value cannot stall replication; Redis bounds strings by `proto-max-bulk-len` (512 MB).",
		Tester:   "The runner sets Redis's `proto-max-bulk-len` to Dynago's `max-value-bytes`, so both refuse the same sizes, and reads the two error texts as one.",
	},
	{
		ID:       "float64-counters",
		Commands: []string{"INCRBYFLOAT", "HINCRBYFLOAT", "ZINCRBY", "ZADD INCR"},
		What:     "INCRBYFLOAT (and HINCRBYFLOAT on a hash field) computes in 64-bit floats, Redis in 80-bit long doubles: results that a float64 cannot hold exactly differ in their last digits (0.1 + 0.2 is 0.30000000000000004, Redis prints 0.3), and a number beyond float64's range but within long double's (1e400), as a value or an increment, reads as infinite, so the sum is refused with `ERR increment would produce NaN or Infinity` where Redis still computes (a value that is infinite to both, `inf`, is refused by both). ZINCRBY (and ZADD INCR) sums a node's increments apart from the score they started from, so a score raised twice by amounts a double cannot hold exactly (1.1 + 0.1 + 0.1) may differ from Redis's left-to-right sum in its last digit.",
		Why:      "Counters are convergent (a PN-counter with each node's contribution kept apart, so concurrent increments through different nodes all count); the contributions are float64s, summed in a fixed order on every replica (see package counter and the README).",
		Tester:   "An INCRBYFLOAT reply that is textually different is accepted when both numbers agree to float64 precision, or when Redis's result or argument lies beyond float64's range and Dynago refuses it; the runner then copies Dynago's value of the key to Redis (SET ... KEEPTTL), so the streams go on from the same value; for a score, ZADD of Dynago's score.",
	},
	{
		ID:       "counter-contribution-range",
		Commands: []string{"INCRBY", "DECRBY", "INCR", "DECR", "HINCRBY"},
		What:     "`ERR increment or decrement would overflow` when one node's own net contribution to a counter would leave the 64-bit range, though the counter's value stays within it: a counter that started from a string (SET k 4294967296) and then moved by more than 2^63 in one direction through one node.",
		Why:      "Counters are convergent: each node's contribution is kept apart as a 64-bit integer in the replicated state (see counter.State.IncrBy), so that increments made through different nodes all count.",
		Tester:   "That error is accepted where Redis answers an integer; the runner then copies Dynago's value of the key (unchanged by the refused command) to Redis.",
	},
	{
		ID:           "command-metadata",
		Commands:     []string{"COMMAND", "COMMAND COUNT", "COMMAND LIST", "COMMAND DOCS", "COMMAND INFO", "CLIENT HELP"},
		What:         "COMMAND describes Dynago's own command table: fewer commands, Dynago's summaries, no key specs or tips, and container commands (CLIENT, CONFIG, ...) with only the subcommands Dynago has. CLIENT HELP lists those subcommands.",
		Why:          "COMMAND answers from the command table, the single place a command exists in Dynago; Redis's other commands are not implemented yet (each later issue adds some).",
		Tester:       "COMMAND INFO is compared on name, arity, flags, key positions and ACL categories, for the command and for each subcommand Dynago has; COMMAND, COMMAND COUNT, COMMAND LIST and COMMAND DOCS by reply type. CLIENT HELP is not generated.",
		NotGenerated: []string{"client|help"},
	},
	{
		ID:       "server-identity",
		Commands: []string{"INFO", "HELLO", "CLIENT LIST", "CLIENT INFO", "CONFIG GET"},
		What:     "Dynago describes itself: INFO has Dynago's sections and fields, HELLO reports version 7.2.0 (the Redis version whose commands Dynago follows), CLIENT LIST lines have Redis 7.2's fields, and CONFIG GET answers Dynago's settings (appendonly yes, its port, dir, bind, fsync, max-value-bytes, ...).",
		Why:      "These replies describe the server process, not the data.",
		Tester:   "INFO, CLIENT LIST and CLIENT INFO are compared by reply type; HELLO on every field but version and id; CONFIG GET only for settings both servers share with the same value (maxmemory, maxmemory-policy, save, slowlog-*, timeout, requirepass) and unknown names.",
	},
	{
		ID:       "transaction-limits",
		Commands: []string{"MULTI", "EXEC"},
		What:     "A transaction whose queued commands together would exceed `client-query-buffer-limit` (1 GiB by default) is refused: the command that would pass it answers `ERR the commands queued after MULTI exceed client-query-buffer-limit; the transaction will be discarded`, and EXEC answers EXECABORT. A write the node refuses because its disk is full or failing (`MISCONF`) is refused when EXEC runs it, in EXEC's array, where Redis refuses it while queuing.",
		Why:      "Redis bounds a transaction only by memory; Dynago bounds what one client can make a node hold. Whether a write can be stored is decided when it runs, by the key's replicas (in a cluster others may take it when this node's disk cannot), not by this node's disk when it is queued.",
		Tester:   "Not reached by the streams: a transaction queues at most five commands of at most a few kilobytes, and the disk is not full.",
	},
	{
		ID:       "reserved-prefix",
		Commands: []string{"every command that names a key"},
		What:     "A key that begins with the 8 bytes `\\xffdynago\\x00` is refused: `ERR keys that begin with the bytes \\xffdynago\\x00 are reserved by Dynago`.",
		Why:      "Each field of a hash is a record of its own, named by those bytes, its key and the field (docs/design.md 3.9), so that a write of one field costs the same in a hash of any size. A key cannot be allowed to name such a record. No UTF-8 key begins with 0xFF, and a random binary key begins with these bytes once in 2^64.",
		Tester:   "Not reached by the streams: their keys are fixed and none begins with those bytes.",
	},
	{
		ID:       "random-count-limit",
		Commands: []string{"HRANDFIELD", "SRANDMEMBER"},
		What:     "A negative count below -16777216 (members or fields with repeats) answers `ERR value is out of range`; Redis accepts any count above -9223372036854775808.",
		Why:      "Dynago builds such a reply whole before it sends it; Redis streams it, to a client that could rarely take 2^24 elements and more.",
		Tester:   "Not reached by the streams: their negative counts are small, or -9223372036854775808, which both refuse.",
	},
	{
		ID:       "hash-order",
		Commands: []string{"HGETALL", "HKEYS", "HVALS", "HSCAN", "SSCAN"},
		What:     "A hash's fields (and a set's members) come in bytewise order; Redis answers a small hash in insertion order and a large one in its hash table's order. HSCAN and SSCAN answer every element in one reply with cursor 0, whatever COUNT, as Redis does for a small hash or set; HSCAN's NOVALUES (Redis 7.4) is refused as Redis 7.0 refuses it.",
		Why:      "Each field or member is a record of its own, stored in order under its key (docs/design.md 3.9); a read of the whole hash or set reads every element record at quorum, so a scan has nothing to gain from pages yet.",
		Tester:   "HGETALL is compared as a set of field-value pairs, HKEYS and HVALS as sets, an HSCAN or SSCAN from cursor 0 by the elements of a full iteration of Redis with the same options.",
	},
	{
		ID:       "object-introspection",
		Commands: []string{"OBJECT ENCODING", "OBJECT IDLETIME", "OBJECT REFCOUNT", "MEMORY USAGE"},
		What:     "OBJECT ENCODING names the encoding Redis 7.0 gives the value as it is now, had it just been written (an APPENDed string that reads as an integer is `int`, a hash shrunk below 128 fields `listpack`); Redis keeps the encoding a value grew into. OBJECT IDLETIME answers 0, OBJECT REFCOUNT 1 (2147483647 for an integer from 0 to 9999, as Redis's shared integers), and MEMORY USAGE the bytes of the key's records with their versions, not Redis's allocations. OBJECT FREQ answers Redis's error for a server without an LFU policy; MEMORY's other subcommands (DOCTOR, STATS, MALLOC-STATS, PURGE) are absent.",
		Why:      "Dynago stores every value as records in Pebble (docs/design.md 3.9): Redis's encodings, access clocks and shared objects do not exist in it; clients that ask (to tune, or to display) get answers of the same shape.",
		Tester:   "OBJECT ENCODING is compared within a type's encodings (int, embstr, raw; listpack, hashtable; intset, hashtable; listpack, skiplist); IDLETIME, REFCOUNT, MEMORY USAGE and MEMORY HELP (which lists only USAGE) by reply type; FREQ and OBJECT HELP exactly.",
	},
	{
		ID:       "re-add-is-a-write",
		Commands: []string{"SADD", "SMOVE", "ZADD", "ZINCRBY", "WATCH"},
		What:     "In a cluster, SADD of a member a set already holds (SMOVE's add to its destination too), and ZADD of a member with the score it already has, write the key, so a WATCH of it aborts the transaction; Redis, which changes nothing, does not count it as a write. A lone node writes nothing for them, as Redis.",
		Why:      "Sets and sorted sets are add-wins: adding a member again gives it a new version that a concurrent SREM, ZREM or DEL through another node, which did not see it, does not take away (docs/design.md 3.9). That version is a write of the key's records. A lone node has no other replica to race with, so there the add changes nothing anyone can see, and is not written.",
		Tester:   "Nothing to accept: the streams run against a lone node, where such an add must not touch a watched key, as in Redis (TestTransactionsCompatWithRedis also checks it); the cluster's add-wins is checked by the convergence tests.",
	},
	{
		ID:       "hll-encoding",
		Commands: []string{"PFCOUNT", "PFMERGE", "PFADD", "WATCH"},
		What:     "A HyperLogLog's string bytes may differ from Redis's, never its registers or counts: PFCOUNT does not write the count it computed into the key's 8 cache bytes (which stay marked stale), so it does not count as a write of the key for WATCH either; PFMERGE stores its destination sparse while Redis would keep it sparse, where Redis makes it dense once any input was dense; PFADD stores the sketch sparse whenever its registers fit the sparse form, so a dense HyperLogLog (one SET from Redis's bytes) may come back sparse, where Redis never turns dense into sparse; PFCOUNT computes the count from the registers even where the cache bytes are marked valid, so a string whose cache is marked valid but whose registers are corrupt answers INVALIDOBJ where Redis answers the cached count. A sparse HyperLogLog damaged by a string command (APPEND, SETRANGE) answers `INVALIDOBJ Corrupted HLL object detected` to PFADD and PFMERGE as to PFCOUNT, where Redis's PFADD and PFMERGE may still read and rewrite a prefix of it, and may leave some of PFADD's elements added even when they too answer INVALIDOBJ; Dynago's refusal changes nothing.",
		Why:      "A read in Dynago does not write: PFCOUNT's cache would cost a quorum write per read, and concurrent HyperLogLog versions merge register by register, which recomputes the count anyway.",
		Tester:   "After PFADD, PFCOUNT or PFMERGE, each HyperLogLog the command named must hold the same registers on both servers (decoded from GET); where the bytes differ, the runner copies Dynago's bytes to Redis (SET ... KEEPTTL), and writes the key on Dynago too when the stream WATCHes it. A PFADD or PFMERGE that Dynago refuses as INVALIDOBJ is accepted the same way, whether Redis runs it or refuses it too.",
	},
	{
		ID:           "redis-7.2",
		Commands:     []string{"CLIENT SETINFO", "HELLO"},
		What:         "Dynago follows Redis 7.2 where it differs from the reference server (7.0.15): CLIENT SETINFO exists; HELLO checks all its options before it authenticates (7.0 authenticates as it meets AUTH, so a bad option after a failed AUTH answers WRONGPASS there), and a HELLO that fails (a bad option, a bad name, a failed AUTH) changes nothing, where 7.0 has already applied each SETNAME before the failing option.",
		Why:          "Dynago implements Redis 7.2's commands; client libraries of Redis 7.2 (go-redis v9) send CLIENT SETINFO on every connection.",
		Tester:       "CLIENT SETINFO is not generated. HELLO's syntax and name errors are accepted where Redis answers WRONGPASS to an AUTH before them. After a HELLO with SETNAME that fails on both servers, the runner gives Redis's connection Dynago's name (CLIENT SETNAME), so the streams go on alike.",
		NotGenerated: []string{"client|setinfo"},
	},
}

// Loose are the replies that Redis itself does not fix, so the tester
// compares them by a rule rather than byte for byte. They are not
// differences: two Redis servers would differ the same way.
var Loose = []struct{ Commands, Rule string }{
	{"TTL, EXPIRETIME", "within 1 second of each other (the servers set and read a key's expiry moments apart)"},
	{"PTTL, PEXPIRETIME", "within 1000 milliseconds of each other"},
	{"TIME", "two numbers each, the seconds within 2 of each other"},
	{"RANDOMKEY", "null on both, or on each a key both servers hold (the key sets compared with KEYS *)"},
	{"KEYS", "the same keys in any order"},
	{"SCAN", "cursors not compared (each server walks its own order); a SCAN from cursor 0 is compared by the keys of a full iteration with the same MATCH, COUNT and TYPE on both"},
	{"CONFIG GET", "the same name-value pairs in any order (Redis answers in its hash table's order)"},
	{"CLIENT ID, SLOWLOG GET, SLOWLOG LEN", "by reply type (ids, timings and slow entries belong to each server)"},
	{"SMEMBERS, SINTER, SUNION, SDIFF", "the same members in any order (Redis answers a set in its encoding's order)"},
	{"SPOP", "the same reply type and count, no member twice; the servers pop members of their own choosing, so the runner then gives Redis's set Dynago's members"},
	{"SRANDMEMBER", "the same reply type and count; every member one the set holds, and no member twice for a positive count"},
	{"HRANDFIELD", "the same reply type and count; every field one the hash holds, with its value, and no field twice for a positive count"},
	{"DBSIZE", "the same live keys on both (KEYS *), and each count between that number and that number plus the keys whose expiry passed during the run: Redis counts an expired key until a lookup or its active expiry reclaims it, Dynago until its expiry sweep (both documented behaviours)"},
}

// intended returns the difference with id, so code applying a difference
// names one that is listed (it panics otherwise: a bug in the tester).
func intended(id string) Difference {
	for _, d := range Intended {
		if d.ID == id {
			return d
		}
	}
	panic("difftest: no intended difference " + id)
}

// NotGenerated reports whether Intended excludes command (a full name:
// "client|setinfo") from the streams, and the difference that does.
func NotGenerated(command string) (Difference, bool) {
	for _, d := range Intended {
		for _, n := range d.NotGenerated {
			if n == command || (strings.HasSuffix(n, "|*") && strings.HasPrefix(command, strings.TrimSuffix(n, "*"))) {
				return d, true
			}
		}
	}
	return Difference{}, false
}

// Markdown renders Intended and Loose as docs/redis-differences.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString(`# How Dynago's replies differ from Redis's

<!-- Generated from internal/difftest/intended.go; edit that file, then run
     go test ./internal/difftest -run TestDocsMatchIntended -update -->

The differential tester (` + "`internal/difftest`, `make difftest`" + `) sends the same
seeded random command streams to a reference redis-server 7 and to a single Dynago node
and compares every reply exactly. The differences below are intended: each is a
documented Dynago choice. Any other difference is a bug.

`)
	for _, d := range Intended {
		fmt.Fprintf(&b, "## %s\n\n", d.ID)
		fmt.Fprintf(&b, "- **Commands:** %s\n", strings.Join(d.Commands, ", "))
		fmt.Fprintf(&b, "- **What:** %s\n", d.What)
		fmt.Fprintf(&b, "- **Why:** %s\n", d.Why)
		fmt.Fprintf(&b, "- **Tester:** %s\n", d.Tester)
		if len(d.NotGenerated) > 0 {
			fmt.Fprintf(&b, "- **Not generated:** `%s`\n", strings.Join(d.NotGenerated, "`, `"))
		}
		b.WriteString("\n")
	}
	b.WriteString(`## Replies compared by a rule

Some replies are not fixed by Redis itself; the tester compares them by a rule. These
are not differences: two Redis servers would differ the same way.

| commands | compared |
|---|---|
`)
	for _, l := range Loose {
		fmt.Fprintf(&b, "| %s | %s |\n", l.Commands, l.Rule)
	}
	b.WriteString(`
Commands Redis has and Dynago does not yet have are not generated; each issue that adds
commands extends the generator (` + "`internal/difftest/specs.go`" + `), and a test holds the generator
to Dynago's command table.
`)
	return b.String()
}
