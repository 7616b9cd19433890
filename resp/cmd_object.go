package resp

import (
	"github.com/dynago/dynago/counter"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
)

// OBJECT and MEMORY: what Redis says of a key's representation, answered
// so that clients and tools that ask can live with it. Dynago stores every
// key the same way (records in Pebble, docs/design.md), so OBJECT ENCODING
// names the encoding Redis 7.0 would give the same value had it just been
// written, and MEMORY USAGE counts the bytes of the key's records
// (docs/redis-differences.md, object-introspection).

func init() {
	ro := []string{"readonly"}
	object := &Command{Name: "object", Arity: -2, Group: "generic", Since: "2.2.3", Summary: "A container for object introspection commands."}
	object.Subcommands = []*Command{
		{Name: "object|encoding", Arity: 3, Flags: ro, FirstKey: 2, LastKey: 2, Step: 1, Group: "generic", Since: "2.2.3", Summary: "Returns the internal encoding of a Redis object.", Handler: cmdObjectEncoding},
		{Name: "object|freq", Arity: 3, Flags: ro, FirstKey: 2, LastKey: 2, Step: 1, Group: "generic", Since: "4.0.0", Summary: "Returns the logarithmic access frequency counter of a Redis object.", Handler: cmdObjectFreq},
		{Name: "object|idletime", Arity: 3, Flags: ro, FirstKey: 2, LastKey: 2, Step: 1, Group: "generic", Since: "2.2.3", Summary: "Returns the time since the last access to a Redis object.", Handler: cmdObjectIdle},
		{Name: "object|refcount", Arity: 3, Flags: ro, FirstKey: 2, LastKey: 2, Step: 1, Group: "generic", Since: "2.2.3", Summary: "Returns the reference count of a value of a key.", Handler: cmdObjectRefCount},
		{Name: "object|help", Arity: 2, Flags: []string{"loading", "stale"}, Group: "generic", Since: "6.2.0", Summary: "Returns helpful text about the different subcommands.", Handler: cmdObjectHelp},
	}
	object.Handler = func(c *client, args [][]byte) { dispatchSub(object, c, args) }
	memory := &Command{Name: "memory", Arity: -2, Group: "server", Since: "4.0.0", Summary: "A container for memory diagnostics commands."}
	memory.Subcommands = []*Command{
		{Name: "memory|usage", Arity: -3, Flags: ro, FirstKey: 2, LastKey: 2, Step: 1, Group: "server", Since: "4.0.0", Summary: "Estimates the memory usage of a key.", Handler: cmdMemoryUsage},
		{Name: "memory|help", Arity: 2, Flags: []string{"loading", "stale"}, Group: "server", Since: "4.0.0", Summary: "Returns helpful text about the different subcommands.", Handler: cmdMemoryHelp},
	}
	memory.Handler = func(c *client, args [][]byte) { dispatchSub(memory, c, args) }
	register(object, memory)
}

// Redis 7.0's default thresholds below which a collection keeps its compact
// encoding.
const (
	listpackEntries = 128 // hash-max-listpack-entries, zset-max-listpack-entries
	listpackValue   = 64  // hash-max-listpack-value, zset-max-listpack-value
	intsetEntries   = 512 // set-max-intset-entries
	embstrLimit     = 44  // OBJ_ENCODING_EMBSTR_SIZE_LIMIT
)

// encodingOf is the encoding Redis 7.0 gives a value of type t just
// written: a string's bytes, or a collection's elements (name, value).
func encodingOf(t op.Type, str []byte, elems []field) string {
	switch t {
	case op.TypeString:
		if _, ok := counter.ParseInt(str); ok && len(str) <= 20 {
			return "int"
		}
		if len(str) <= embstrLimit {
			return "embstr"
		}
		return "raw"
	case op.TypeSet:
		ints := len(elems) <= intsetEntries
		for _, e := range elems {
			_, ok := counter.ParseInt(e.name)
			ints = ints && ok
		}
		if ints {
			return "intset"
		}
		return "hashtable"
	}
	small := len(elems) <= listpackEntries
	for _, e := range elems {
		small = small && len(e.name) <= listpackValue && (t == op.TypeZSet || len(e.value) <= listpackValue)
	}
	switch {
	case small:
		return "listpack"
	case t == op.TypeZSet:
		return "skiplist"
	}
	return "hashtable"
}

func cmdObjectEncoding(c *client, args [][]byte) {
	v, found, ok := c.readValueWhole(args[2])
	switch {
	case !ok:
	case !found:
		c.writeNull()
	default:
		c.writeBulkString(encodingOf(v.typ, v.str, v.elems))
	}
}

// cmdObjectFreq answers as Redis does without an LFU maxmemory policy:
// Dynago keeps no access frequencies.
func cmdObjectFreq(c *client, args [][]byte) {
	if _, found, ok := c.read(args[2]); ok && !found {
		c.writeNull()
	} else if ok {
		c.writeError("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
	}
}

// cmdObjectIdle answers 0: Dynago keeps no access times.
func cmdObjectIdle(c *client, args [][]byte) {
	if _, found, ok := c.read(args[2]); ok && !found {
		c.writeNull()
	} else if ok {
		c.writeInt(0)
	}
}

// cmdObjectRefCount answers 1, as for any value Redis does not share (it
// shares small integers, which answer 2147483647 there).
func cmdObjectRefCount(c *client, args [][]byte) {
	v, found, ok := c.read(args[2])
	switch {
	case !ok:
	case !found:
		c.writeNull()
	case v.Type == op.TypeString && isSharedInteger(v.Bytes):
		c.writeInt(2147483647)
	default:
		c.writeInt(1)
	}
}

// isSharedInteger reports whether Redis keeps a string as one of its shared
// integers (0 to 9999).
func isSharedInteger(b []byte) bool {
	n, ok := counter.ParseInt(b)
	return ok && n >= 0 && n < 10000
}

func cmdObjectHelp(c *client, args [][]byte) {
	c.writeHelp([]string{
		"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
		"HELP",
		"    Prints this help.",
	})
}

// recordOverhead is what one record costs beside its key and value bytes:
// its version (a dot, a time, an expiry, a kind) and the store's entry.
const recordOverhead = 48

// cmdMemoryUsage is MEMORY USAGE key [SAMPLES count]: the bytes of the
// key's records (a collection's header and every element record, read
// whole; SAMPLES is checked as Redis checks it, a negative count being a
// syntax error, and otherwise ignored).
func cmdMemoryUsage(c *client, args [][]byte) {
	for i := 3; i < len(args); i += 2 {
		if !eq(args[i], "samples") || i+1 >= len(args) {
			c.writeError(errSyntax)
			return
		}
		n, ok := parseInt(args[i+1])
		if !ok {
			c.writeError(errNotInteger)
			return
		}
		if n < 0 {
			c.writeError(errSyntax)
			return
		}
	}
	v, found, ok := c.readValueWhole(args[2])
	switch {
	case !ok:
		return
	case !found:
		c.writeNull()
		return
	}
	n := len(args[2]) + recordOverhead + len(v.str)
	for _, e := range v.elems {
		n += len(partition.ElementKey(nil, args[2], e.name)) + recordOverhead + 8 + len(e.value)
	}
	c.writeInt(int64(n))
}

func cmdMemoryHelp(c *client, args [][]byte) {
	c.writeHelp([]string{
		"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
		"HELP",
		"    Prints this help.",
	})
}
