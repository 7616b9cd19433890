package resp

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/dynago/dynago/op"
)

func init() {
	w, r, f := "write", "readonly", "fast"
	register(
		&Command{Name: "del", Arity: -2, Flags: []string{w}, FirstKey: 1, LastKey: -1, Step: 1, Group: "generic", Since: "1.0.0", Summary: "Deletes one or more keys.", Handler: cmdDel},
		&Command{Name: "unlink", Arity: -2, Flags: []string{w, f}, FirstKey: 1, LastKey: -1, Step: 1, Group: "generic", Since: "4.0.0", Summary: "Asynchronously deletes one or more keys.", Handler: cmdDel},
		&Command{Name: "exists", Arity: -2, Flags: []string{r, f}, FirstKey: 1, LastKey: -1, Step: 1, Group: "generic", Since: "1.0.0", Summary: "Determines whether one or more keys exist.", Handler: cmdExists},
		&Command{Name: "type", Arity: 2, Flags: []string{r, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "1.0.0", Summary: "Determines the type of value stored at a key.", Handler: cmdType},
		&Command{Name: "expire", Arity: -3, Flags: []string{w, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "1.0.0", Summary: "Sets the expiration time of a key in seconds.", Handler: cmdExpire},
		&Command{Name: "pexpire", Arity: -3, Flags: []string{w, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "2.6.0", Summary: "Sets the expiration time of a key in milliseconds.", Handler: cmdExpire},
		&Command{Name: "expireat", Arity: -3, Flags: []string{w, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "1.2.0", Summary: "Sets the expiration time of a key to a Unix timestamp.", Handler: cmdExpire},
		&Command{Name: "pexpireat", Arity: -3, Flags: []string{w, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "2.6.0", Summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.", Handler: cmdExpire},
		&Command{Name: "ttl", Arity: 2, Flags: []string{r, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "1.0.0", Summary: "Returns the expiration time in seconds of a key.", Handler: cmdTTL},
		&Command{Name: "pttl", Arity: 2, Flags: []string{r, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "2.6.0", Summary: "Returns the expiration time in milliseconds of a key.", Handler: cmdTTL},
		&Command{Name: "expiretime", Arity: 2, Flags: []string{r, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "7.0.0", Summary: "Returns the expiration time of a key as a Unix timestamp.", Handler: cmdTTL},
		&Command{Name: "pexpiretime", Arity: 2, Flags: []string{r, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "7.0.0", Summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.", Handler: cmdTTL},
		&Command{Name: "persist", Arity: 2, Flags: []string{w, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "2.2.0", Summary: "Removes the expiration time of a key.", Handler: cmdPersist},
		&Command{Name: "keys", Arity: 2, Flags: []string{r}, Group: "generic", Since: "1.0.0", Summary: "Returns all key names that match a pattern.", Handler: cmdKeys},
		&Command{Name: "scan", Arity: -2, Flags: []string{r}, Group: "generic", Since: "2.8.0", Summary: "Iterates over the key names in the database.", Handler: cmdScan},
		&Command{Name: "dbsize", Arity: 1, Flags: []string{r, f}, Group: "server", Since: "1.0.0", Summary: "Returns the number of keys in the database.", Handler: cmdDBSize},
		&Command{Name: "randomkey", Arity: 1, Flags: []string{r}, Group: "generic", Since: "1.0.0", Summary: "Returns a random key name from the database.", Handler: cmdRandomKey},
		&Command{Name: "flushdb", Arity: -1, Flags: []string{w}, Group: "server", Since: "1.0.0", Summary: "Removes all keys from the current database.", Handler: cmdFlush},
		&Command{Name: "flushall", Arity: -1, Flags: []string{w}, Group: "server", Since: "1.0.0", Summary: "Removes all keys from all databases.", Handler: cmdFlush},
	)
}

func cmdDel(c *client, args [][]byte) {
	keys := args[1:]
	deleted := make([]int64, len(keys))
	err := c.fanOut(len(keys), func(i int) error {
		res, err := c.do(&op.Op{Code: op.Del, Key: keys[i]})
		deleted[i] = b2i(res.Wrote)
		return err
	})
	if err != nil {
		c.writeErr(err)
		return
	}
	var n int64
	for _, d := range deleted {
		n += d
	}
	c.writeInt(n)
}

func cmdExists(c *client, args [][]byte) {
	keys := args[1:]
	found := make([]bool, len(keys))
	err := c.fanOut(len(keys), func(i int) error {
		var err error
		_, found[i], err = c.readValue(keys[i])
		return err
	})
	if err != nil {
		c.writeErr(err)
		return
	}
	var n int64
	for _, f := range found {
		n += b2i(f)
	}
	c.writeInt(n)
}

func cmdType(c *client, args [][]byte) {
	v, found, done := c.read(args[1])
	if !done {
		return
	}
	if found {
		c.writeStatus(v.Type.String())
	} else {
		c.writeStatus("none")
	}
}

// cmdExpire is EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT with Redis 7's
// NX/XX/GT/LT conditions.
func cmdExpire(c *client, args [][]byte) {
	name := lower(args[0])
	// Redis checks the options before the time.
	var nx, xx, gt, lt bool
	for _, a := range args[3:] {
		switch {
		case eq(a, "nx"):
			nx = true
		case eq(a, "xx"):
			xx = true
		case eq(a, "gt"):
			gt = true
		case eq(a, "lt"):
			lt = true
		default:
			// Redis trims line ends off a formatted error's end.
			c.writeError("ERR Unsupported option " + strings.TrimRight(cString(a), "\r\n"))
			return
		}
	}
	if nx && (xx || gt || lt) {
		c.writeError("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if gt && lt {
		c.writeError("ERR GT and LT options at the same time are not compatible")
		return
	}
	n, ok := parseInt(args[2])
	if !ok {
		c.writeError(errNotInteger)
		return
	}
	now := c.now().UnixMilli()
	if name == "expire" || name == "expireat" {
		if n > math.MaxInt64/1000 || n < math.MinInt64/1000 {
			c.writeError(errInvalidExpire(name))
			return
		}
		n *= 1000
	}
	if name == "expire" || name == "pexpire" {
		// now >= 0, so only a positive n can overflow; a negative one
		// yields a time in the past, which deletes the key, as in Redis.
		if n > math.MaxInt64-now {
			c.writeError(errInvalidExpire(name))
			return
		}
		n += now
	}
	o := op.Op{Code: op.Expire, Key: args[1], Expiry: n}
	for flag, on := range map[op.Flags]bool{op.NX: nx, op.XX: xx, op.GT: gt, op.LT: lt} {
		if on {
			o.Flags |= flag
		}
	}
	if res, ok := c.write(&o); ok {
		c.writeInt(b2i(res.Wrote))
	}
}

// cmdTTL is TTL, PTTL, EXPIRETIME and PEXPIRETIME.
func cmdTTL(c *client, args [][]byte) {
	name := lower(args[0])
	v, found, done := c.read(args[1])
	switch {
	case !done:
		return
	case !found:
		c.writeInt(-2)
		return
	case v.Expiry == 0:
		c.writeInt(-1)
		return
	}
	ms := v.Expiry
	if name == "ttl" || name == "pttl" {
		// Redis counts a TTL down by the clock even inside EXEC, where a
		// key's expiry is checked at the transaction's instant.
		ms -= c.srv.cfg.Now().UnixMilli()
		if ms < 0 {
			ms = 0
		}
	}
	if name == "ttl" || name == "expiretime" {
		// (ms+500)/1000 without overflowing near 2^63 (ms >= 0 here).
		q, r := ms/1000, ms%1000
		if r >= 500 {
			q++
		}
		ms = q
	}
	c.writeInt(ms)
}

func cmdPersist(c *client, args [][]byte) {
	if res, ok := c.write(&op.Op{Code: op.Persist, Key: args[1]}); ok {
		c.writeInt(b2i(res.Wrote))
	}
}

func cmdKeys(c *client, args [][]byte) {
	pattern := args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	var keys [][]byte
	var cursor uint64
	for {
		got, next, err := c.srv.coord.ScanKeys(c.ctx, cursor, 1024)
		for _, k := range got {
			if all || globMatch(pattern, k) {
				keys = append(keys, k)
			}
		}
		if err != nil {
			c.writeErr(err)
			return
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	c.writeArray(len(keys))
	for _, k := range keys {
		c.writeBulk(k)
	}
}

// cmdScan iterates keys in ring order. The cursor is the ring position to
// resume from, so it stays valid across calls, restarts and nodes; a key
// present for the whole iteration is returned at least once.
func cmdScan(c *client, args [][]byte) {
	cursor, ok := parseCursor(args[1])
	if !ok {
		c.writeError(errInvalidCursor)
		return
	}
	opts, ok := c.scanOptions(args[2:], true)
	if !ok {
		return
	}
	count, pattern, typ := opts.count, opts.pattern, opts.typ
	if count > 1<<20 {
		count = 1 << 20
	}
	got, next, err := c.srv.coord.ScanKeys(c.ctx, cursor, int(count))
	if err != nil {
		c.writeErr(err)
		return
	}
	var keys [][]byte
	for _, k := range got {
		if pattern == nil || globMatch(pattern, k) {
			keys = append(keys, k)
		}
	}
	if typ != nil {
		if keys, err = c.ofType(keys, typ); err != nil {
			c.writeErr(err)
			return
		}
	}
	c.writeArray(2)
	c.writeBulkString(strconv.FormatUint(next, 10))
	c.writeArray(len(keys))
	for _, k := range keys {
		c.writeBulk(k)
	}
}

// parseCursor reads a SCAN cursor as Redis does, with C's strtoul: no
// leading space, an optional sign (a negative cursor wraps around 2^64), decimal
// digits (none is 0), nothing after them, no overflow.
func parseCursor(b []byte) (uint64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
		if len(b) == 0 {
			return 0, false // a sign without digits
		}
	}
	n, ok := parseDigits(b)
	if neg {
		n = -n
	}
	return n, ok
}

func cmdDBSize(c *client, args [][]byte) {
	n, err := c.srv.coord.Len(c.ctx)
	if err != nil {
		c.writeErr(err)
		return
	}
	c.writeInt(n)
}

// cmdRandomKey picks a random ring position and answers the first live key
// at or after it, wrapping around once.
func cmdRandomKey(c *client, args [][]byte) {
	start := rand.Uint64()
	for _, from := range []uint64{start, 0} {
		cursor := from
		for {
			keys, next, err := c.srv.coord.ScanKeys(c.ctx, cursor, 256)
			if err != nil {
				c.writeErr(err)
				return
			}
			if len(keys) > 0 {
				c.writeBulk(keys[0])
				return
			}
			if next == 0 || (from == 0 && next > start) {
				break
			}
			cursor = next
		}
	}
	c.writeNull()
}

func cmdFlush(c *client, args [][]byte) {
	if len(args) > 2 || (len(args) == 2 && !eq(args[1], "async") && !eq(args[1], "sync")) {
		c.writeError(errSyntax)
		return
	}
	if err := c.srv.coord.FlushAll(c.ctx); err != nil {
		c.writeErr(err)
		return
	}
	c.writeOK()
}

// ofType keeps the keys that hold a value of type typ (SCAN's TYPE), each
// read at quorum.
func (c *client) ofType(keys [][]byte, typ []byte) ([][]byte, error) {
	values := make([]op.Value, len(keys))
	found := make([]bool, len(keys))
	err := c.fanOut(len(keys), func(i int) error {
		var err error
		o, ok, err := c.srv.coord.Read(c.ctx, keys[i], c.opts())
		if err != nil || !ok {
			return err
		}
		values[i], found[i], err = op.Resolve(o, c.now().UnixMilli())
		return err
	})
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for i, k := range keys {
		if found[i] && eq(typ, values[i].Type.String()) {
			out = append(out, k)
		}
	}
	return out, nil
}

// scanOptions are SCAN's, HSCAN's and SSCAN's options.
type scanOptions struct {
	count   int64  // COUNT; 10 by default
	pattern []byte // MATCH; nil for everything ("*" too, the empty name included, as in Redis)
	typ     []byte // TYPE (SCAN only); nil for any
}

// scanOptions parses the options after a scan's cursor (and key), as Redis
// does: pairs of a name and a value, a COUNT under 1 a syntax error; TYPE
// only where withType. On an error it writes the reply, ok=false.
func (c *client) scanOptions(args [][]byte, withType bool) (scanOptions, bool) {
	o := scanOptions{count: 10}
	for i := 0; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.writeError(errSyntax)
			return o, false
		}
		switch a, v := args[i], args[i+1]; {
		case eq(a, "count"):
			n, ok := parseInt(v)
			if !ok {
				c.writeError(errNotInteger)
				return o, false
			}
			if n < 1 {
				c.writeError(errSyntax)
				return o, false
			}
			o.count = n
		case eq(a, "match"):
			o.pattern = v
			if len(v) == 1 && v[0] == '*' {
				o.pattern = nil
			}
		case withType && eq(a, "type"):
			o.typ = v
		default:
			c.writeError(errSyntax)
			return o, false
		}
	}
	return o, true
}
