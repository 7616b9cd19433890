package resp

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// Hashes. A hash is its key's header record and one record per field
// (op/hash.go, docs/design.md 3.9): a write names the fields it changes and
// the coordinator decides them with the header as one group; a read of some
// fields reads their records with the header at quorum; a read of the whole
// hash reads the header and every field record.

func init() {
	w, r, f := "write", "readonly", "fast"
	hash := oneKeyOf("hash")
	register(
		hash("hset", -4, []string{w, "denyoom", f}, "2.0.0", "Creates or modifies the value of a field in a hash.", cmdHSet),
		hash("hmset", -4, []string{w, "denyoom", f}, "2.0.0", "Sets the values of multiple fields.", cmdHSet),
		hash("hsetnx", 4, []string{w, "denyoom", f}, "2.0.0", "Sets the value of a field in a hash only when the field doesn't exist.", cmdHSetNX),
		hash("hdel", -3, []string{w, f}, "2.0.0", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", cmdHDel),
		hash("hincrby", 4, []string{w, "denyoom", f}, "2.0.0", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", cmdHIncrBy),
		hash("hincrbyfloat", 4, []string{w, "denyoom", f}, "2.6.0", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", cmdHIncrByFloat),
		hash("hget", 3, []string{r, f}, "2.0.0", "Returns the value of a field in a hash.", cmdHGet),
		hash("hmget", -3, []string{r, f}, "2.0.0", "Returns the values of all fields in a hash.", cmdHMGet),
		hash("hexists", 3, []string{r, f}, "2.0.0", "Determines whether a field exists in a hash.", cmdHExists),
		hash("hstrlen", 3, []string{r, f}, "3.2.0", "Returns the length of the value of a field.", cmdHStrlen),
		hash("hlen", 2, []string{r, f}, "2.0.0", "Returns the number of fields in a hash.", cmdHLen),
		hash("hgetall", 2, []string{r}, "2.0.0", "Returns all fields and values in a hash.", cmdHGetAll),
		hash("hkeys", 2, []string{r}, "2.0.0", "Returns all fields in a hash.", cmdHKeys),
		hash("hvals", 2, []string{r}, "2.0.0", "Returns all values in a hash.", cmdHVals),
		hash("hrandfield", -2, []string{r}, "6.2.0", "Returns one or more random fields from a hash.", cmdHRandField),
		hash("hscan", -3, []string{r}, "2.8.0", "Iterates over fields and values of a hash.", cmdHScan),
	)
}

func cmdHSet(c *client, args [][]byte) {
	if len(args)%2 != 0 {
		c.writeError(errArity(lower(args[0])))
		return
	}
	o := &op.Op{Code: op.HSet, Key: args[1]}
	for i := 2; i < len(args); i += 2 {
		if !c.checkSize(len(args[i+1])) {
			return
		}
		o.Fields = append(o.Fields, args[i])
		o.Values = append(o.Values, args[i+1])
	}
	res, ok := c.write(o)
	if !ok {
		return
	}
	if eq(args[0], "hmset") {
		c.writeOK()
		return
	}
	c.writeInt(res.N)
}

func cmdHSetNX(c *client, args [][]byte) {
	if !c.checkSize(len(args[3])) {
		return
	}
	res, ok := c.write(&op.Op{Code: op.HSet, Flags: op.NX, Key: args[1], Fields: args[2:3], Values: args[3:4]})
	if ok {
		c.writeInt(res.N)
	}
}

func cmdHDel(c *client, args [][]byte) {
	if res, ok := c.write(&op.Op{Code: op.HDel, Key: args[1], Fields: args[2:]}); ok {
		c.writeInt(res.N)
	}
}

func cmdHIncrBy(c *client, args [][]byte) {
	d, ok := parseInt(args[3])
	if !ok {
		c.writeError(errNotInteger)
		return
	}
	res, ok := c.write(&op.Op{Code: op.HIncrBy, Key: args[1], Fields: args[2:3], Int: d})
	if !ok {
		return
	}
	n, err := strconv.ParseInt(res.Text, 10, 64)
	if err != nil {
		c.writeError(string(op.ErrHashNotInteger))
		return
	}
	c.writeInt(n)
}

func cmdHIncrByFloat(c *client, args [][]byte) {
	o := &op.Op{Code: op.HIncrByFloat, Key: args[1], Fields: args[2:3]}
	d, ok := parseFloat(args[3])
	switch {
	case !ok:
		c.writeError(errNotFloat)
		return
	case math.IsInf(d, 0) && !beyondFloat64(args[3]):
		// "inf": refused before the key's type is checked. A number
		// beyond float64 but within long double (1e400) reads as ±Inf
		// and goes on: after the type and the field's value are
		// checked, as Redis checks them, its sum is refused as
		// infinite (float64-counters in docs/redis-differences.md).
		c.writeError("ERR value is NaN or Infinity")
		return
	}
	o.Float = d
	if res, ok := c.write(o); ok {
		c.writeBulkString(res.Text)
	}
}

// readFields reads key's header and the named elements' records (a hash's
// fields, a set's members: want says which) at quorum, all at once, and
// resolves them: values[i] is elems[i]'s value, present[i] whether it is
// there. On an error (WRONGTYPE among them) it writes the reply and returns
// ok=false.
func (c *client) readFields(want op.Type, key []byte, elems [][]byte) (values [][]byte, present []bool, ok bool) {
	values, present, _, ok = c.readFieldsOf(want, key, elems)
	return values, present, ok
}

// readFieldsOf is readFields that also answers the collection the header
// resolved to (nil for none).
func (c *client) readFieldsOf(want op.Type, key []byte, elems [][]byte) (values [][]byte, present []bool, h *op.Collection, ok bool) {
	keys := make([][]byte, 0, 1+len(elems))
	keys = append(keys, key)
	for _, f := range elems {
		keys = append(keys, partition.ElementKey(nil, key, f))
	}
	recs := c.srv.coord.ReadMany(c.ctx, keys, c.opts())
	for _, r := range recs {
		if r.Err != nil {
			c.writeErr(r.Err)
			return nil, nil, nil, false
		}
	}
	h, ok = c.collectionOf(want, recs[0].Object, recs[0].Found)
	if !ok {
		return nil, nil, nil, false
	}
	values, present = make([][]byte, len(elems)), make([]bool, len(elems))
	if h == nil {
		return values, present, nil, true
	}
	for i := range elems {
		v, found, err := op.ResolveField(recs[1+i].Object, h)
		if err != nil {
			c.writeErr(err)
			return nil, nil, nil, false
		}
		values[i], present[i] = v.Bytes, found
	}
	return values, present, h, true
}

// collectionOf resolves a key's header to the hash or set (want) it holds
// (nil for none); a key of another type answers WRONGTYPE and ok=false.
func (c *client) collectionOf(want op.Type, o version.Object, found bool) (*op.Collection, bool) {
	if !found {
		c.srv.stats.misses.Add(1)
		return nil, true
	}
	v, live, err := op.Resolve(o, c.now().UnixMilli())
	switch {
	case err != nil:
		c.writeErr(err)
		return nil, false
	case !live:
		c.srv.stats.misses.Add(1)
		return nil, true
	case v.Type != want:
		c.writeError(string(op.ErrWrongType))
		return nil, false
	}
	c.srv.stats.hits.Add(1)
	return v.Collection, true
}

// field is one live element of a hash or a set (whose value is empty), as
// readCollection returns them.
type field struct{ name, value []byte }

// readCollection reads key's whole hash or set (want) at quorum: its live
// elements in element order (nil for none). On an error it writes the
// reply, ok=false.
func (c *client) readCollection(want op.Type, key []byte) (elems []field, ok bool) {
	hdr, found, err := c.readObject(key)
	if err != nil {
		c.writeErr(err)
		return nil, false
	}
	if h, ok := c.collectionOf(want, hdr, found); !ok || h == nil {
		return nil, ok
	}
	return c.readElements(want, key, hdr, found)
}

// readElements is readCollection's read of the elements, once the header
// (hdr) says key holds a collection of want's type.
func (c *client) readElements(want op.Type, key []byte, hdr version.Object, found bool) (elems []field, ok bool) {
	recs, err := c.srv.coord.ReadElements(c.ctx, key, c.opts())
	if err != nil {
		c.writeErr(err)
		return nil, false
	}
	values, err := op.ResolveCollection(want, hdr, found, recs, c.now().UnixMilli())
	if err != nil {
		c.writeErr(err)
		return nil, false
	}
	for name, v := range values {
		elems = append(elems, field{[]byte(name), v})
	}
	slices.SortFunc(elems, func(a, b field) int { return bytes.Compare(a.name, b.name) })
	return elems, true
}

// readHash is readCollection of a hash.
func (c *client) readHash(key []byte) ([]field, bool) { return c.readCollection(op.TypeHash, key) }

func cmdHGet(c *client, args [][]byte) {
	if values, present, ok := c.readFields(op.TypeHash, args[1], args[2:3]); ok {
		c.writeBulkOrNull(values[0], present[0])
	}
}

func cmdHMGet(c *client, args [][]byte) {
	values, present, ok := c.readFields(op.TypeHash, args[1], args[2:])
	if !ok {
		return
	}
	c.writeArray(len(values))
	for i := range values {
		c.writeBulkOrNull(values[i], present[i])
	}
}

func cmdHExists(c *client, args [][]byte) {
	if _, present, ok := c.readFields(op.TypeHash, args[1], args[2:3]); ok {
		c.writeInt(b2i(present[0]))
	}
}

func cmdHStrlen(c *client, args [][]byte) {
	if values, _, ok := c.readFields(op.TypeHash, args[1], args[2:3]); ok {
		c.writeInt(int64(len(values[0])))
	}
}

func cmdHLen(c *client, args [][]byte) { c.countElements(op.TypeHash, args[1]) }

// countElements answers HLEN or SCARD (want: the collection's type) of
// key: counted by the coordinator without reading the fields where it can
// (Coordinator.CountElements), otherwise read whole at quorum.
func (c *client) countElements(want op.Type, key []byte) {
	c.countCollection(want, key, func(h *op.Collection) (int64, bool, error) {
		return c.srv.coord.CountElements(c.ctx, key, h, c.opts())
	}, func(hdr version.Object, found bool) (int64, bool) {
		elems, ok := c.readElements(want, key, hdr, found)
		return int64(len(elems)), ok
	})
}

func cmdHGetAll(c *client, args [][]byte) {
	fields, ok := c.readHash(args[1])
	if !ok {
		return
	}
	c.writeMap(len(fields))
	for _, f := range fields {
		c.writeBulk(f.name)
		c.writeBulk(f.value)
	}
}

func cmdHKeys(c *client, args [][]byte) {
	fields, ok := c.readHash(args[1])
	if !ok {
		return
	}
	c.writeArray(len(fields))
	for _, f := range fields {
		c.writeBulk(f.name)
	}
}

func cmdHVals(c *client, args [][]byte) {
	fields, ok := c.readHash(args[1])
	if !ok {
		return
	}
	c.writeArray(len(fields))
	for _, f := range fields {
		c.writeBulk(f.value)
	}
}

// cmdHRandField is HRANDFIELD key [count [WITHVALUES]], with Redis's
// rules: a positive count returns distinct fields (at most all of them), a
// negative one may repeat them.
func cmdHRandField(c *client, args [][]byte) {
	count, withCount, ok := c.randomCount(args, "withvalues")
	if !ok {
		return
	}
	withValues := len(args) == 4
	fields, ok := c.readHash(args[1])
	if !ok {
		return
	}
	if !withCount {
		if len(fields) == 0 {
			c.writeNull()
			return
		}
		c.writeBulk(fields[rand.IntN(len(fields))].name)
		return
	}
	picked := randomPick(fields, count)
	if withValues && c.proto == 3 {
		c.writeArray(len(picked))
		for _, f := range picked {
			c.writeArray(2)
			c.writeBulk(f.name)
			c.writeBulk(f.value)
		}
		return
	}
	n := len(picked)
	if withValues {
		n *= 2
	}
	c.writeArray(n)
	for _, f := range picked {
		c.writeBulk(f.name)
		if withValues {
			c.writeBulk(f.value)
		}
	}
}

// cmdHScan is HSCAN key cursor [MATCH pattern] [COUNT count].
// It answers the whole hash in one reply with cursor 0, as Redis does for
// a small hash; a hash is read whole at quorum anyway (readHash).
func cmdHScan(c *client, args [][]byte) { scanCollection(c, args, op.TypeHash) }

// scanCollection is HSCAN, SSCAN and ZSCAN: key cursor [MATCH pattern]
// [COUNT count], answered whole with cursor 0 (a collection is read whole
// at quorum anyway), a hash's fields with their values, a sorted set's
// members with their scores.
func scanCollection(c *client, args [][]byte, want op.Type) {
	if _, ok := parseCursor(args[2]); !ok {
		c.writeError(errInvalidCursor)
		return
	}
	// As Redis does: the cursor, then the key (a missing one answers an
	// empty scan, whatever the options), then its type, then the options.
	elems, ok := c.readCollection(want, args[1])
	if !ok {
		return
	}
	if elems == nil {
		c.writeArray(2)
		c.writeBulkString("0")
		c.writeArray(0)
		return
	}
	opts, ok := c.scanOptions(args[3:], false)
	if !ok {
		return
	}
	pattern := opts.pattern
	var out [][]byte
	for _, e := range elems {
		if pattern != nil && !globMatch(pattern, e.name) {
			continue
		}
		out = append(out, e.name)
		switch want {
		case op.TypeHash:
			out = append(out, e.value)
		case op.TypeZSet:
			out = append(out, []byte(scanScore(mustScore(e.value))))
		}
	}
	c.writeArray(2)
	c.writeBulkString("0")
	c.writeArray(len(out))
	for _, b := range out {
		c.writeBulk(b)
	}
}

// beyondFloat64 reports whether b is a decimal number too large or too
// small for a float64.
func beyondFloat64(b []byte) bool {
	_, err := strconv.ParseFloat(string(b), 64)
	var ne *strconv.NumError
	return errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange)
}

// randomCount parses the count and option of HRANDFIELD key [count
// [WITHVALUES]] and ZRANDMEMBER key [count [WITHSCORES]] (option names the
// one each takes), with Redis's errors written.
func (c *client) randomCount(args [][]byte, option string) (count int64, given, ok bool) {
	if len(args) < 3 {
		return 1, false, true
	}
	n, ok := parseInt(args[2])
	switch {
	case !ok:
		c.writeError(errNotInteger)
		return 0, false, false
	case n == math.MinInt64:
		c.writeError("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return 0, false, false
	case len(args) > 4 || len(args) == 4 && !eq(args[3], option):
		c.writeError(errSyntax)
		return 0, false, false
	case len(args) == 4 && (n < -math.MaxInt64/2 || n > math.MaxInt64/2), n < -maxRandomRepeats:
		c.writeError("ERR value is out of range")
		return 0, false, false
	}
	return n, true, true
}

// maxRandomRepeats bounds the count of HRANDFIELD and SRANDMEMBER with
// repeats (a negative count), whose reply is built whole before it is sent:
// Redis streams any count, to a client that can rarely take more
// (docs/redis-differences.md, random-count-limit).
const maxRandomRepeats = 1 << 24

// randomPick is HRANDFIELD's and SRANDMEMBER's choice: for a count of 0 or
// more, that many distinct items (at most all of them) in random order; for
// a negative count, -count items drawn independently (repeats allowed).
// It may reorder items.
func randomPick[T any](items []T, count int64) []T {
	if count >= 0 {
		rand.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		return items[:min(int64(len(items)), count)]
	}
	var out []T
	if len(items) > 0 {
		for range -count {
			out = append(out, items[rand.IntN(len(items))])
		}
	}
	return out
}
