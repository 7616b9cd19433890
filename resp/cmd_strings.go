package resp

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/version"
)

func init() {
	w, r, f := "write", "readonly", "fast"
	register(
		&Command{Name: "get", Arity: 2, Flags: []string{r, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Returns the string value of a key.", Handler: cmdGet},
		&Command{Name: "set", Arity: -3, Flags: []string{w, "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", Handler: cmdSet},
		&Command{Name: "setnx", Arity: 3, Flags: []string{w, "denyoom", f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Set the string value of a key only when the key doesn't exist.", Handler: cmdSetNX},
		&Command{Name: "setex", Arity: 4, Flags: []string{w, "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.0.0", Summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", Handler: cmdSetEX},
		&Command{Name: "psetex", Arity: 4, Flags: []string{w, "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.6.0", Summary: "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", Handler: cmdPSetEX},
		&Command{Name: "getset", Arity: 3, Flags: []string{w, "denyoom", f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Returns the previous string value of a key after setting it to a new value.", Handler: cmdGetSet},
		&Command{Name: "getdel", Arity: 2, Flags: []string{w, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "6.2.0", Summary: "Returns the string value of a key after deleting the key.", Handler: cmdGetDel},
		&Command{Name: "getex", Arity: -2, Flags: []string{w, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "6.2.0", Summary: "Returns the string value of a key after setting its expiration time.", Handler: cmdGetEX},
		&Command{Name: "mget", Arity: -2, Flags: []string{r, f}, FirstKey: 1, LastKey: -1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Atomically returns the string values of one or more keys.", Handler: cmdMGet},
		&Command{Name: "mset", Arity: -3, Flags: []string{w, "denyoom"}, FirstKey: 1, LastKey: -1, Step: 2, Group: "string", Since: "1.0.1", Summary: "Atomically creates or modifies the string values of one or more keys.", Handler: cmdMSet},
		&Command{Name: "msetnx", Arity: -3, Flags: []string{w, "denyoom"}, FirstKey: 1, LastKey: -1, Step: 2, Group: "string", Since: "1.0.1", Summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.", Handler: cmdMSetNX},
		&Command{Name: "append", Arity: 3, Flags: []string{w, "denyoom", f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.0.0", Summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.", Handler: cmdAppend},
		&Command{Name: "strlen", Arity: 2, Flags: []string{r, f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.2.0", Summary: "Returns the length of a string value.", Handler: cmdStrlen},
		&Command{Name: "getrange", Arity: 4, Flags: []string{r}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.4.0", Summary: "Returns a substring of the string stored at a key.", Handler: cmdGetRange},
		&Command{Name: "setrange", Arity: 4, Flags: []string{w, "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.2.0", Summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", Handler: cmdSetRange},
		&Command{Name: "incr", Arity: 2, Flags: []string{w, "denyoom", f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", Handler: cmdIncr},
		&Command{Name: "incrby", Arity: 3, Flags: []string{w, "denyoom", f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", Handler: cmdIncrBy},
		&Command{Name: "decr", Arity: 2, Flags: []string{w, "denyoom", f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", Handler: cmdDecr},
		&Command{Name: "decrby", Arity: 3, Flags: []string{w, "denyoom", f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", Handler: cmdDecrBy},
		&Command{Name: "incrbyfloat", Arity: 3, Flags: []string{w, "denyoom", f}, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.6.0", Summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", Handler: cmdIncrByFloat},
	)
}

// write runs o and answers its error, if any; ok is false then.
func (c *client) write(o *op.Op) (res op.Result, ok bool) {
	res, err := c.do(o)
	if err != nil {
		c.writeErr(err)
		return res, false
	}
	return res, true
}

// read resolves key to its single Redis value; on failure it writes the
// error reply and returns ok=false, done=false.
func (c *client) read(key []byte) (v op.Value, found, done bool) {
	v, found, err := c.readValue(key)
	if err != nil {
		c.writeErr(err)
		return v, false, false
	}
	return v, found, true
}

// readString is read for a command on a string: a key of another type
// answers WRONGTYPE (written), done=false.
func (c *client) readString(key []byte) (v op.Value, found, done bool) {
	v, found, done = c.read(key)
	if done && found && v.Type != op.TypeString {
		c.writeError(string(op.ErrWrongType))
		return v, false, false
	}
	return v, found, done
}

// now is the time the command runs at: the clock, or the instant its
// transaction runs at (see client.at).
func (c *client) now() time.Time {
	if !c.at.IsZero() {
		return c.at
	}
	return c.srv.cfg.Now()
}

// readValue resolves key to its single Redis value. It writes nothing, so
// concurrent reads of a multi-key command may use it.
func (c *client) readValue(key []byte) (op.Value, bool, error) {
	o, ok, err := c.readObject(key)
	if err != nil {
		return op.Value{}, false, err
	}
	v, found := op.Value{}, false
	if ok {
		if v, found, err = op.Resolve(o, c.now().UnixMilli()); err != nil {
			return v, false, err
		}
	}
	if found {
		c.srv.stats.hits.Add(1)
	} else {
		c.srv.stats.misses.Add(1)
	}
	return v, found, nil
}

// readObject is key's quorum read: fetched ahead with the rest of its
// pipeline wave (see runReadWave), or read now.
func (c *client) readObject(key []byte) (version.Object, bool, error) {
	if r, ok := c.fetched[string(key)]; ok {
		return r.Object, r.Found, r.Err
	}
	return c.srv.coord.Read(c.ctx, key, c.opts())
}

// checkSize refuses values over --max-value-bytes.
func (c *client) checkSize(n int) bool {
	if n > c.srv.cfg.MaxValueBytes {
		c.writeError(fmt.Sprintf("ERR value of %d bytes exceeds max-value-bytes (%d)", n, c.srv.cfg.MaxValueBytes))
		return false
	}
	return true
}

func cmdGet(c *client, args [][]byte) {
	v, ok, done := c.readString(args[1])
	if done {
		c.writeBulkOrNull(v.Bytes, ok)
	}
}

// expiry options shared by SET and GETEX.
type expiryOpt struct {
	unit string // "ex", "px", "exat", "pxat"; "" when none
	arg  []byte
}

// absolute converts the option to an absolute unix-ms expiry, or returns
// Redis's error text.
func (e expiryOpt) absolute(cmd string, nowMs int64) (int64, string) {
	n, ok := parseInt(e.arg)
	if !ok {
		return 0, errNotInteger
	}
	if n <= 0 {
		return 0, errInvalidExpire(cmd)
	}
	switch e.unit {
	case "ex", "exat":
		if n > math.MaxInt64/1000 {
			return 0, errInvalidExpire(cmd)
		}
		n *= 1000
	}
	switch e.unit {
	case "ex", "px":
		if n > math.MaxInt64-nowMs {
			return 0, errInvalidExpire(cmd)
		}
		n += nowMs
	}
	return n, ""
}

func isExpiryWord(a []byte) (string, bool) {
	for _, w := range [...]string{"ex", "px", "exat", "pxat"} {
		if eq(a, w) {
			return w, true
		}
	}
	return "", false
}

func cmdSet(c *client, args [][]byte) {
	key, val := args[1], args[2]
	var nx, xx, get, keepTTL bool
	var exp expiryOpt
	for i := 3; i < len(args); i++ {
		a := args[i]
		switch unit, isExp := isExpiryWord(a); {
		case eq(a, "nx") && !xx:
			nx = true
		case eq(a, "xx") && !nx:
			xx = true
		case eq(a, "get"):
			get = true
		case eq(a, "keepttl") && exp.unit == "":
			keepTTL = true
		case isExp && !keepTTL && (exp.unit == "" || exp.unit == unit) && i+1 < len(args):
			// Redis accepts the same expiry option twice; the last one counts.
			exp = expiryOpt{unit: unit, arg: args[i+1]}
			i++
		default:
			c.writeError(errSyntax)
			return
		}
	}
	if !c.checkSize(len(val)) {
		return
	}
	var expiry int64
	if exp.unit != "" {
		var msg string
		if expiry, msg = exp.absolute("set", c.now().UnixMilli()); msg != "" {
			c.writeError(msg)
			return
		}
	}
	o := op.Op{Code: op.Set, Key: key, Value: val, Expiry: expiry}
	for flag, on := range map[op.Flags]bool{op.NX: nx, op.XX: xx, op.Get: get, op.KeepTTL: keepTTL} {
		if on {
			o.Flags |= flag
		}
	}
	res, ok := c.write(&o)
	switch {
	case !ok:
	case get:
		c.writeBulkOrNull(res.Old, res.Found)
	case res.Wrote:
		c.writeOK()
	default:
		c.writeNull()
	}
}

// put stores value under key (as SET without options would; only if the
// key holds no value with onlyIfAbsent) and reports whether it wrote.
func (c *client) put(key, value []byte, expiry int64, onlyIfAbsent bool) (written, ok bool) {
	written, err := c.putValue(key, value, expiry, onlyIfAbsent)
	if err != nil {
		c.writeErr(err)
		return false, false
	}
	return written, true
}

// putValue is put without writing a reply, for concurrent use by MSET.
func (c *client) putValue(key, value []byte, expiry int64, onlyIfAbsent bool) (bool, error) {
	o := op.Op{Code: op.Set, Key: key, Value: value, Expiry: expiry}
	if onlyIfAbsent {
		o.Flags = op.NX
	}
	res, err := c.do(&o)
	return res.Wrote, err
}

func cmdSetNX(c *client, args [][]byte) {
	if !c.checkSize(len(args[2])) {
		return
	}
	if written, ok := c.put(args[1], args[2], 0, true); ok {
		c.writeInt(b2i(written))
	}
}

func cmdSetEX(c *client, args [][]byte)  { setWithExpiry(c, "setex", "ex", args) }
func cmdPSetEX(c *client, args [][]byte) { setWithExpiry(c, "psetex", "px", args) }

func setWithExpiry(c *client, name, unit string, args [][]byte) {
	expiry, msg := expiryOpt{unit: unit, arg: args[2]}.absolute(name, c.now().UnixMilli())
	if msg != "" {
		c.writeError(msg)
		return
	}
	if !c.checkSize(len(args[3])) {
		return
	}
	if _, ok := c.put(args[1], args[3], expiry, false); ok {
		c.writeOK()
	}
}

func cmdGetSet(c *client, args [][]byte) {
	if !c.checkSize(len(args[2])) {
		return
	}
	if res, ok := c.write(&op.Op{Code: op.GetSet, Key: args[1], Value: args[2]}); ok {
		c.writeBulkOrNull(res.Old, res.Found)
	}
}

func cmdGetDel(c *client, args [][]byte) {
	if res, ok := c.write(&op.Op{Code: op.GetDel, Key: args[1]}); ok {
		c.writeBulkOrNull(res.Old, res.Found)
	}
}

func cmdGetEX(c *client, args [][]byte) {
	var exp expiryOpt
	persist := false
	for i := 2; i < len(args); i++ {
		unit, isExp := isExpiryWord(args[i])
		switch {
		case isExp && (exp.unit == "" || exp.unit == unit) && !persist && i+1 < len(args):
			exp = expiryOpt{unit: unit, arg: args[i+1]}
			i++
		case eq(args[i], "persist") && exp.unit == "":
			persist = true
		default:
			c.writeError(errSyntax)
			return
		}
	}
	if exp.unit == "" && !persist {
		cmdGet(c, args)
		return
	}
	o := op.Op{Code: op.GetEx, Key: args[1]}
	if persist {
		o.Flags = op.PersistTTL
	} else if expiry, msg := exp.absolute("getex", c.now().UnixMilli()); msg != "" {
		// Redis looks the key up before it checks the expiry's value, so
		// a missing key answers nil even when the expiry is invalid.
		o.Flags = op.BadExpiry
		if msg == errNotInteger {
			o.Flags = op.BadInteger
		}
	} else {
		o.Expiry = expiry
	}
	if res, ok := c.write(&o); ok {
		c.writeBulkOrNull(res.Old, res.Found)
	}
}

func cmdMGet(c *client, args [][]byte) {
	keys := args[1:]
	values := make([]op.Value, len(keys))
	found := make([]bool, len(keys))
	err := c.fanOut(len(keys), func(i int) error {
		var err error
		values[i], found[i], err = c.readValue(keys[i])
		return err
	})
	if err != nil {
		c.writeErr(err)
		return
	}
	c.writeArray(len(keys))
	for i := range keys {
		// (A key of another type answers nil, as in Redis.)
		c.writeBulkOrNull(values[i].Bytes, found[i] && values[i].Type == op.TypeString)
	}
}

func cmdMSet(c *client, args [][]byte) {
	if len(args)%2 != 1 {
		c.writeError(errArity("mset"))
		return
	}
	for i := 2; i < len(args); i += 2 {
		if !c.checkSize(len(args[i])) {
			return
		}
	}
	pairs := lastPairs(args)
	if err := c.fanOut(len(pairs), func(i int) error {
		_, err := c.putValue(args[pairs[i]], args[pairs[i]+1], 0, false)
		return err
	}); err != nil {
		c.writeErr(err)
		return
	}
	c.writeOK()
}

// lastPairs returns the index in args (MSET key value [key value ...]) of
// each key's last pair, in order. A key given twice ends with its last
// value in Redis; writing only that pair leaves the same, and keeps the
// concurrent writes of a fan-out from racing on one key (and a large MSET
// of few distinct keys from writing each many times).
func lastPairs(args [][]byte) []int {
	n := len(args) / 2
	out := make([]int, 0, n)
	if n <= 16 {
	pairs:
		for i := 1; i < len(args); i += 2 {
			for j := i + 2; j < len(args); j += 2 {
				if bytes.Equal(args[i], args[j]) {
					continue pairs
				}
			}
			out = append(out, i)
		}
		return out
	}
	last := make(map[string]int, n)
	for i := 1; i < len(args); i += 2 {
		last[string(args[i])] = i
	}
	for i := 1; i < len(args); i += 2 {
		if last[string(args[i])] == i {
			out = append(out, i)
		}
	}
	return out
}

// cmdMSetNX sets the keys only if none exists. Dynago checks, then writes:
// keys live on different replicas, so the check is not isolated from writers
// racing on the same keys.
func cmdMSetNX(c *client, args [][]byte) {
	if len(args)%2 != 1 {
		c.writeError(errArity("msetnx"))
		return
	}
	for i := 2; i < len(args); i += 2 {
		if !c.checkSize(len(args[i])) {
			return
		}
	}
	for i := 1; i < len(args); i += 2 {
		_, found, done := c.read(args[i])
		if !done {
			return
		}
		if found {
			c.writeInt(0)
			return
		}
	}
	for i := 1; i < len(args); i += 2 {
		if _, ok := c.put(args[i], args[i+1], 0, false); !ok {
			return
		}
	}
	c.writeInt(1)
}

func cmdAppend(c *client, args [][]byte) {
	if res, ok := c.write(&op.Op{Code: op.Append, Key: args[1], Value: args[2], MaxValue: int64(c.srv.cfg.MaxValueBytes)}); ok {
		c.writeInt(res.N)
	}
}

func cmdStrlen(c *client, args [][]byte) {
	v, _, done := c.readString(args[1])
	if done {
		c.writeInt(int64(len(v.Bytes)))
	}
}

func cmdGetRange(c *client, args [][]byte) {
	start, ok1 := parseInt(args[2])
	end, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		c.writeError(errNotInteger)
		return
	}
	v, _, done := c.readString(args[1])
	if !done {
		return
	}
	c.writeBulk(substr(v.Bytes, start, end))
}

// substr is GETRANGE's slice of s, with Redis's handling of negative and
// out-of-range indexes.
func substr(s []byte, start, end int64) []byte {
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		return nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return nil
	}
	return s[start : end+1]
}

func cmdSetRange(c *client, args [][]byte) {
	off, ok := parseInt(args[2])
	if !ok {
		c.writeError(errNotInteger)
		return
	}
	if off < 0 {
		c.writeError(errOffsetRange)
		return
	}
	o := op.Op{Code: op.SetRange, Key: args[1], Int: off, Value: args[3], MaxValue: int64(c.srv.cfg.MaxValueBytes)}
	if res, ok := c.write(&o); ok {
		c.writeInt(res.N)
	}
}

func cmdIncr(c *client, args [][]byte) { incrBy(c, args[1], 1) }
func cmdDecr(c *client, args [][]byte) { incrBy(c, args[1], -1) }

func cmdIncrBy(c *client, args [][]byte) {
	d, ok := parseInt(args[2])
	if !ok {
		c.writeError(errNotInteger)
		return
	}
	incrBy(c, args[1], d)
}

func cmdDecrBy(c *client, args [][]byte) {
	d, ok := parseInt(args[2])
	if !ok {
		c.writeError(errNotInteger)
		return
	}
	if d == math.MinInt64 {
		c.writeError("ERR decrement would overflow")
		return
	}
	incrBy(c, args[1], -d)
}

// incrBy adds delta to key's counter: this node's contribution to a
// convergent counter, so increments made through other nodes concurrently
// all count.
func incrBy(c *client, key []byte, delta int64) {
	res, ok := c.write(&op.Op{Code: op.IncrBy, Key: key, Int: delta})
	if !ok {
		return
	}
	n, err := strconv.ParseInt(res.Text, 10, 64)
	if err != nil {
		c.writeError(errNotInteger)
		return
	}
	c.writeInt(n)
}

func cmdIncrByFloat(c *client, args [][]byte) {
	o := &op.Op{Code: op.IncrByFloat, Key: args[1]}
	delta, ok := parseFloat(args[2])
	if !ok {
		o.Flags = op.BadFloat // (WRONGTYPE comes first, as in Redis)
	}
	o.Float = delta
	if res, ok := c.write(o); ok {
		c.writeBulkString(res.Text)
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
