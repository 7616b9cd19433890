package difftest

import (
	"strconv"
	"strings"
)

// Spec generates one command. Name is the command's name as Redis's command
// table has it (container commands name the subcommand: "client|setname");
// Weight is how often it is drawn relative to the others.
type Spec struct {
	Name   string
	Weight int
	Gen    func(g *gen) Cmd
}

// Specs are the generated commands: every command of Dynago's command table
// that Redis 7 also has, except those Intended lists as not generated.
// TestSpecsCoverCommandTable holds this list to the live table, so each
// command a later issue adds needs its spec here.
var Specs = []Spec{
	// Strings.
	{"get", 60, func(g *gen) Cmd { return cmd("GET", g.key()) }},
	{"set", 80, func(g *gen) Cmd {
		return cmd("SET", cat([]string{g.key(), g.value()}, g.options(3, func() []string {
			switch g.r.IntN(9) {
			case 0, 1:
				return g.expiryOpt()
			case 2:
				return []string{g.word("NX")}
			case 3:
				return []string{g.word("XX")}
			case 4, 5:
				return []string{g.word("GET")}
			case 6:
				return []string{g.word("KEEPTTL")}
			case 7:
				return []string{g.word(g.pick("EX", "PX", "EXAT", "PXAT"))} // without its argument
			}
			return g.unknownOption()
		}))...)
	}},
	{"setnx", 15, func(g *gen) Cmd { return cmd("SETNX", g.key(), g.value()) }},
	{"setex", 15, func(g *gen) Cmd { return cmd("SETEX", g.key(), g.ttl("ex"), g.value()) }},
	{"psetex", 15, func(g *gen) Cmd { return cmd("PSETEX", g.key(), g.ttl("px"), g.value()) }},
	{"getset", 15, func(g *gen) Cmd { return cmd("GETSET", g.key(), g.value()) }},
	{"getdel", 15, func(g *gen) Cmd { return cmd("GETDEL", g.key()) }},
	{"getex", 25, func(g *gen) Cmd {
		return cmd("GETEX", cat([]string{g.key()}, g.options(2, func() []string {
			switch g.r.IntN(6) {
			case 0, 1, 2:
				return g.expiryOpt()
			case 3:
				return []string{g.word("PERSIST")}
			case 4:
				return []string{g.word(g.pick("EX", "PX"))}
			}
			return g.unknownOption()
		}))...)
	}},
	{"mget", 20, func(g *gen) Cmd { return cmd("MGET", g.keys(1, 6)...) }},
	{"mset", 15, func(g *gen) Cmd { return cmd("MSET", g.pairs()...) }},
	{"msetnx", 15, func(g *gen) Cmd { return cmd("MSETNX", g.pairs()...) }},
	{"append", 30, func(g *gen) Cmd { return cmd("APPEND", g.key(), g.value()) }},
	{"strlen", 20, func(g *gen) Cmd { return cmd("STRLEN", g.key()) }},
	{"getrange", 30, func(g *gen) Cmd { return cmd("GETRANGE", g.key(), g.offset(), g.offset()) }},
	{"setrange", 30, func(g *gen) Cmd {
		v := g.value()
		if g.chance(0.2) {
			v = ""
		}
		return cmd("SETRANGE", g.key(), g.offset(), v)
	}},
	{"incr", 30, func(g *gen) Cmd { return cmd("INCR", g.key()) }},
	{"decr", 20, func(g *gen) Cmd { return cmd("DECR", g.key()) }},
	{"incrby", 30, func(g *gen) Cmd { return cmd("INCRBY", g.key(), g.intArg()) }},
	{"decrby", 20, func(g *gen) Cmd { return cmd("DECRBY", g.key(), g.intArg()) }},
	{"incrbyfloat", 30, func(g *gen) Cmd { return cmd("INCRBYFLOAT", g.key(), g.floatArg()) }},

	// Keys.
	{"del", 25, func(g *gen) Cmd { return cmd("DEL", g.keys(1, 4)...) }},
	{"unlink", 10, func(g *gen) Cmd { return cmd("UNLINK", g.keys(1, 4)...) }},
	{"exists", 25, func(g *gen) Cmd { return cmd("EXISTS", g.keys(1, 5)...) }},
	{"type", 15, func(g *gen) Cmd { return cmd("TYPE", g.key()) }},
	{"expire", 20, func(g *gen) Cmd { return g.expire("EXPIRE", "ex") }},
	{"pexpire", 20, func(g *gen) Cmd { return g.expire("PEXPIRE", "px") }},
	{"expireat", 10, func(g *gen) Cmd { return g.expire("EXPIREAT", "exat") }},
	{"pexpireat", 10, func(g *gen) Cmd { return g.expire("PEXPIREAT", "pxat") }},
	{"ttl", 25, func(g *gen) Cmd { return cmd("TTL", g.key()) }},
	{"pttl", 25, func(g *gen) Cmd { return cmd("PTTL", g.key()) }},
	{"expiretime", 10, func(g *gen) Cmd { return cmd("EXPIRETIME", g.key()) }},
	{"pexpiretime", 10, func(g *gen) Cmd { return cmd("PEXPIRETIME", g.key()) }},
	{"persist", 15, func(g *gen) Cmd { return cmd("PERSIST", g.key()) }},
	{"keys", 10, func(g *gen) Cmd { return cmd("KEYS", g.pattern()) }},
	{"scan", 15, func(g *gen) Cmd {
		cursor := "0"
		if g.chance(0.2) {
			cursor = g.pick("1", "-1", "abc", "", "18446744073709551615", "18446744073709551616", " 0", "00", "9223372036854775808")
		}
		return cmd("SCAN", cat([]string{cursor}, g.options(3, func() []string {
			switch g.r.IntN(7) {
			case 0, 1:
				return []string{g.word("MATCH"), g.pattern()}
			case 2, 3:
				return []string{g.word("COUNT"), g.pick("1", "2", "10", "1000", "0", "-1", "abc", "9223372036854775807", "2147483648")}
			case 4:
				return []string{g.word("TYPE"), g.pick("string", "STRING", "none", "list", "hash", "zset", "set", "stream", "foo", "")}
			case 5:
				return []string{g.word(g.pick("MATCH", "COUNT", "TYPE"))}
			}
			return g.unknownOption()
		}))...)
	}},
	{"touch", 8, func(g *gen) Cmd { return cmd("TOUCH", g.keys(1, 4)...) }},
	{"rename", 10, func(g *gen) Cmd { return cmd("RENAME", g.key(), g.key()) }},
	{"renamenx", 8, func(g *gen) Cmd { return cmd("RENAMENX", g.key(), g.key()) }},
	{"copy", 10, func(g *gen) Cmd {
		args := cat([]string{g.key(), g.key()}, g.options(2, func() []string {
			switch g.r.IntN(5) {
			case 0, 1:
				return []string{g.word("REPLACE")}
			case 2:
				return []string{g.word("DB"), g.pick("0", "16", "-1", "abc", "", "2147483648")}
			case 3:
				return []string{g.word("DB")}
			}
			return g.unknownOption()
		}))
		// Databases 1 to 15 exist in Redis only (see one-database): a DB
		// that an unknown option's "1" follows is taken out of range.
		for i := 2; i+1 < len(args); i++ {
			if n, err := strconv.Atoi(args[i+1]); strings.EqualFold(args[i], "db") && err == nil && n >= 1 && n <= 15 {
				args[i+1] = "16"
			}
		}
		return cmd("COPY", args...)
	}},
	{"dbsize", 10, func(g *gen) Cmd { return cmd("DBSIZE") }},
	{"randomkey", 10, func(g *gen) Cmd { return cmd("RANDOMKEY") }},
	{"flushdb", 2, func(g *gen) Cmd { return cmd("FLUSHDB", g.flushArgs()...) }},
	{"flushall", 2, func(g *gen) Cmd { return cmd("FLUSHALL", g.flushArgs()...) }},

	// Transactions (see transaction.go).
	{"multi", 20, func(g *gen) Cmd { return g.beginMulti() }},
	{"watch", 12, func(g *gen) Cmd { return g.watch() }},
	{"unwatch", 3, func(g *gen) Cmd { return cmd("UNWATCH") }},
	{"exec", 2, func(g *gen) Cmd { return cmd("EXEC") }},       // without MULTI
	{"discard", 2, func(g *gen) Cmd { return cmd("DISCARD") }}, // without MULTI

	// Connection.
	{"ping", 5, func(g *gen) Cmd { return cmd("PING", g.someValues(0, 2)...) }},
	{"echo", 5, func(g *gen) Cmd { return cmd("ECHO", g.value()) }},
	{"select", 4, func(g *gen) Cmd {
		// Databases 1 to 15 exist in Redis only (see Intended).
		return cmd("SELECT", g.pick("0", "-1", "16", "100", "2147483648", "-2147483649", "9223372036854775808", "abc", "", "00", " 0", "0.0"))
	}},
	{"auth", 3, func(g *gen) Cmd {
		switch g.r.IntN(4) {
		case 0:
			return cmd("AUTH", g.value())
		case 1:
			return cmd("AUTH", g.word("default"), g.value())
		case 2:
			return cmd("AUTH", g.pick("nosuchuser", "", "DEFAULT"), g.value())
		}
		return cmd("AUTH", "default", "a", "b")
	}},
	{"hello", 8, func(g *gen) Cmd { return g.hello() }},
	{"quit", 1, func(g *gen) Cmd { return cmd("QUIT", g.someValues(0, 1)...) }},
	{"reset", 2, func(g *gen) Cmd { return cmd(g.word("RESET"), g.someValues(0, 1)...) }},
	{"client|setname", 3, func(g *gen) Cmd {
		return cmd("CLIENT", g.word("SETNAME"), g.pick("conn", "a-b_c", "", "a b", "x\ny", "\x01", "ümlaut", g.text(30)))
	}},
	{"client|getname", 3, func(g *gen) Cmd { return cmd("CLIENT", g.word("GETNAME")) }},
	{"client|id", 2, func(g *gen) Cmd { return cmd("CLIENT", g.word("ID")) }},
	{"client|info", 2, func(g *gen) Cmd { return cmd("CLIENT", g.word("INFO")) }},
	{"client|list", 3, func(g *gen) Cmd {
		switch g.r.IntN(4) {
		case 0:
			return cmd("CLIENT", g.word("LIST"))
		case 1:
			return cmd("CLIENT", g.word("LIST"), g.word("TYPE"), g.pick("normal", "NORMAL", "master", "replica", "slave", "pubsub", "foo", ""))
		case 2:
			return cmd("CLIENT", g.word("LIST"), g.word("ID"), g.pick("1", "0", "-1", "abc", "99999", "18446744073709551616", "1 2"), g.pick("1", "2", "x"))
		}
		return cmd("CLIENT", g.word("LIST"), g.pick("FOO", "ID", "TYPE"))
	}},
	{"client|unknown", 1, func(g *gen) Cmd { return cmd("CLIENT", g.pick("NOSUCH", "", "SETNAMEX", "set name")) }},

	// Server.
	{"time", 3, func(g *gen) Cmd { return cmd("TIME") }},
	{"info", 3, func(g *gen) Cmd {
		return cmd("INFO", g.options(3, func() []string {
			return []string{g.pick("server", "clients", "memory", "stats", "keyspace", "all", "everything", "default", "nosuch", "commandstats", "cpu", "replication", "SERVER", "")}
		})...)
	}},
	{"config|get", 4, func(g *gen) Cmd {
		// Settings both servers have with the same value; the rest describe
		// the process or Dynago's own choices (see Intended).
		names := g.options(3, func() []string {
			return []string{g.pick("maxmemory", "MAXMEMORY", "maxmemory-policy", "save", "slowlog-max-len", "slowlog-log-slower-than", "timeout", "requirepass", "nosuch-setting", "")}
		})
		return cmd("CONFIG", append([]string{g.word("GET"), g.pick("maxmemory", "slowlog-max-len", "nosuch")}, names...)...)
	}},
	{"config|set", 3, func(g *gen) Cmd {
		pair := func() []string {
			switch g.r.IntN(5) {
			case 0:
				return []string{"slowlog-max-len", g.pick("128", "0", "1", "-1", "abc", "9223372036854775807", "9223372036854775808", "")}
			case 1:
				return []string{"slowlog-log-slower-than", g.pick("10000", "0", "-1", "-2", "abc", "")}
			case 2:
				return []string{"timeout", g.pick("0", "-1", "abc", "2147483648", "")}
			case 3:
				return []string{"maxclients", g.pick("0", "-1", "abc", "")}
			}
			return []string{g.pick("nosuch-setting", "", "SLOWLOG-MAX-LEN"), "1"}
		}
		args := []string{g.word("SET")}
		for range 1 + g.r.IntN(2) {
			args = append(args, pair()...)
		}
		if g.chance(0.2) {
			args = append(args, args[1]) // a repeated name, or an odd count
		}
		return cmd("CONFIG", args...)
	}},
	{"config|resetstat", 1, func(g *gen) Cmd { return cmd("CONFIG", g.word("RESETSTAT")) }},
	{"config|unknown", 1, func(g *gen) Cmd { return cmd("CONFIG", g.pick("NOSUCH", "GETX", "")) }},
	{"slowlog|get", 2, func(g *gen) Cmd {
		return cmd("SLOWLOG", append([]string{g.word("GET")}, g.someOf(0, 1, "10", "0", "-1", "-2", "abc", "1000000000000")...)...)
	}},
	{"slowlog|len", 2, func(g *gen) Cmd { return cmd("SLOWLOG", g.word("LEN")) }},
	{"slowlog|reset", 1, func(g *gen) Cmd { return cmd("SLOWLOG", g.word("RESET")) }},
	{"command", 1, func(g *gen) Cmd { return cmd("COMMAND") }},
	{"command|count", 1, func(g *gen) Cmd { return cmd("COMMAND", g.word("COUNT")) }},
	{"command|info", 4, func(g *gen) Cmd {
		return cmd("COMMAND", append([]string{g.word("INFO")}, g.someOf(1, 3, sharedCommandNames...)...)...)
	}},
	{"command|docs", 1, func(g *gen) Cmd {
		return cmd("COMMAND", append([]string{g.word("DOCS")}, g.someOf(0, 2, sharedCommandNames...)...)...)
	}},
	{"command|list", 2, func(g *gen) Cmd {
		switch g.r.IntN(4) {
		case 0:
			return cmd("COMMAND", g.word("LIST"))
		case 1:
			return cmd("COMMAND", g.word("LIST"), g.word("FILTERBY"), g.word("PATTERN"), g.pick("get*", "*", "x", "[gs]et"))
		case 2:
			return cmd("COMMAND", g.word("LIST"), g.word("FILTERBY"), g.word("ACLCAT"), g.pick("string", "keyspace", "nosuch"))
		}
		return cmd("COMMAND", g.word("LIST"), g.word("FILTERBY"), g.pick("MODULE", "NOSUCH"), "x")
	}},
	{"command|unknown", 1, func(g *gen) Cmd { return cmd("COMMAND", g.pick("NOSUCH", "INFOX", "")) }},
}

// sharedCommandNames are names COMMAND INFO and COMMAND DOCS are asked
// about: commands both servers have, one neither has, and a subcommand.
var sharedCommandNames = []string{
	"get", "SET", "getrange", "setrange", "incrbyfloat", "mset", "del", "exists", "expire", "ttl",
	"scan", "keys", "ping", "echo", "hello", "select", "client", "config", "command", "info",
	"time", "slowlog", "auth", "quit", "dbsize", "flushall", "nosuchcommand", "",
	"client|setname", "config|get", "CLIENT|ID", "client|nosuch",
	"multi", "EXEC", "discard", "watch", "unwatch", "reset",
}

func (g *gen) pairs() []string {
	var out []string
	for range 1 + g.r.IntN(4) {
		out = append(out, g.key(), g.value())
	}
	if g.chance(0.1) {
		out = out[:len(out)-1] // a key without its value
	}
	return out
}

func (g *gen) expire(name, unit string) Cmd {
	return cmd(name, cat([]string{g.key(), g.ttl(unit)}, g.options(2, func() []string {
		if g.chance(0.9) {
			return []string{g.word(g.pick("NX", "XX", "GT", "LT"))}
		}
		return g.unknownOption()
	}))...)
}

var patterns = []string{
	"*", "k*", "k?", "k[0-3]", "k[^0-3]", "[^k]*", "*k", "", "\\", "[", "k[", "k[a-", "k[]",
	"b*", "*\x00*", "??", "[b-a]*", "k\\1", "*[", "*?*", "k[0-9", "\\*", "[^]", "k[1-]",
}

func (g *gen) pattern() string {
	if g.chance(0.1) {
		return g.key()
	}
	return g.pick(patterns...)
}

func (g *gen) flushArgs() []string {
	switch g.r.IntN(6) {
	case 0:
		return []string{g.word("ASYNC")}
	case 1:
		return []string{g.word("SYNC")}
	case 2:
		return []string{g.pick("FOO", "ASYNC SYNC", "")}
	case 3:
		return []string{"SYNC", "ASYNC"}
	}
	return nil
}

func (g *gen) someValues(min, max int) []string {
	n := min + g.r.IntN(max-min+1)
	out := make([]string, n)
	for i := range out {
		out[i] = g.value()
	}
	return out
}

func (g *gen) someOf(min, max int, choices ...string) []string {
	n := min + g.r.IntN(max-min+1)
	out := make([]string, n)
	for i := range out {
		out[i] = g.pick(choices...)
	}
	return out
}

func (g *gen) hello() Cmd {
	switch g.r.IntN(10) {
	case 0:
		return cmd("HELLO")
	case 1, 2:
		return cmd("HELLO", "3")
	case 3, 4:
		return cmd("HELLO", "2")
	case 5:
		return cmd("HELLO", g.pick("2", "3"), g.word("SETNAME"), g.pick("conn", "a b", ""))
	case 6:
		return cmd("HELLO", g.pick("2", "3"), g.word("AUTH"), g.pick("default", "nosuchuser"), g.value())
	case 7:
		return cmd("HELLO", g.pick("1", "4", "0", "-1", "abc", "", "3.0", "9223372036854775808"))
	case 8:
		return cmd("HELLO", g.pick("2", "3"), g.pick("FOO", "AUTH", "SETNAME", "AUTH default"))
	}
	return cmd("HELLO", "3", "AUTH", "default", "x", "SETNAME", "n", "SETNAME", "m")
}
