package resp

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
)

// Sets. A set is stored as a hash is (op/hash.go): its key's header and one
// record per member, a member being a field without a value; the merge
// rules are the hashes' (a member removed while another node adds it again
// stays: add wins).

func init() {
	w, r, f := "write", "readonly", "fast"
	set := oneKeyOf("set")
	multi := func(c *Command) *Command { c.LastKey = -1; return c }
	register(
		set("sadd", -3, []string{w, "denyoom", f}, "1.0.0", "Adds one or more members to a set. Creates the key if it doesn't exist.", cmdSAdd),
		set("srem", -3, []string{w, f}, "1.0.0", "Removes one or more members from a set. Deletes the set if the last member was removed.", cmdSRem),
		set("smembers", 2, []string{r}, "1.0.0", "Returns all members of a set.", cmdSMembers),
		set("sismember", 3, []string{r, f}, "1.0.0", "Determines whether a member belongs to a set.", cmdSIsMember),
		set("smismember", -3, []string{r, f}, "6.2.0", "Determines whether multiple members belong to a set.", cmdSMIsMember),
		set("scard", 2, []string{r, f}, "1.0.0", "Returns the number of members in a set.", cmdSCard),
		set("srandmember", -2, []string{r}, "1.0.0", "Get one or multiple random members from a set", cmdSRandMember),
		set("spop", -2, []string{w, f}, "1.0.0", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", cmdSPop),
		set("sscan", -3, []string{r}, "2.8.0", "Iterates over members of a set.", cmdSScan),
		multi(set("sinter", -2, []string{r}, "1.0.0", "Returns the intersect of multiple sets.", cmdSInter)),
		multi(set("sunion", -2, []string{r}, "1.0.0", "Returns the union of multiple sets.", cmdSUnion)),
		multi(set("sdiff", -2, []string{r}, "1.0.0", "Returns the difference of multiple sets.", cmdSDiff)),
		multi(set("sinterstore", -3, []string{w, "denyoom"}, "1.0.0", "Stores the intersect of multiple sets in a key.", cmdSInterStore)),
		multi(set("sunionstore", -3, []string{w, "denyoom"}, "1.0.0", "Stores the union of multiple sets in a key.", cmdSUnionStore)),
		multi(set("sdiffstore", -3, []string{w, "denyoom"}, "1.0.0", "Stores the difference of multiple sets in a key.", cmdSDiffStore)),
		&Command{Name: "smove", Arity: 4, Flags: []string{w, f}, FirstKey: 1, LastKey: 2, Step: 1, Group: "set", Since: "1.0.0",
			Summary: "Moves a member from one set to another.", Handler: cmdSMove},
		// (Its keys follow numkeys: as in Redis, the table names none.)
		&Command{Name: "sintercard", Arity: -3, Flags: []string{r}, Group: "set", Since: "7.0.0",
			Summary: "Returns the number of members of the intersect of multiple sets.", Handler: cmdSInterCard},
	)
}

func cmdSAdd(c *client, args [][]byte) {
	for _, m := range args[2:] {
		if !c.checkSize(len(m)) {
			return
		}
	}
	if res, ok := c.write(&op.Op{Code: op.SAdd, Key: args[1], Fields: args[2:]}); ok {
		c.writeInt(res.N)
	}
}

func cmdSRem(c *client, args [][]byte) {
	if res, ok := c.write(&op.Op{Code: op.SRem, Key: args[1], Fields: args[2:]}); ok {
		c.writeInt(res.N)
	}
}

// readSet is readCollection of a set: its members in member order.
func (c *client) readSet(key []byte) ([][]byte, bool) {
	elems, ok := c.readCollection(op.TypeSet, key)
	members := make([][]byte, len(elems))
	for i, e := range elems {
		members[i] = e.name
	}
	return members, ok
}

// writeMembers answers members as a set (RESP3) or an array (RESP2).
func (c *client) writeMembers(members [][]byte) {
	c.writeSet(len(members))
	for _, m := range members {
		c.writeBulk(m)
	}
}

func cmdSMembers(c *client, args [][]byte) {
	if members, ok := c.readSet(args[1]); ok {
		c.writeMembers(members)
	}
}

func cmdSIsMember(c *client, args [][]byte) {
	if _, present, ok := c.readFields(op.TypeSet, args[1], args[2:3]); ok {
		c.writeInt(b2i(present[0]))
	}
}

func cmdSMIsMember(c *client, args [][]byte) {
	_, present, ok := c.readFields(op.TypeSet, args[1], args[2:])
	if !ok {
		return
	}
	c.writeArray(len(present))
	for _, p := range present {
		c.writeInt(b2i(p))
	}
}

func cmdSCard(c *client, args [][]byte) { c.countElements(op.TypeSet, args[1]) }

// cmdSPop is SPOP key [count]: members chosen at random by the key's
// coordinator and removed there, with the versions it saw of them.
func cmdSPop(c *client, args [][]byte) {
	if len(args) > 3 {
		c.writeError(errSyntax)
		return
	}
	o := &op.Op{Code: op.SPop, Key: args[1]}
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok || n < 0 {
			c.writeError("ERR value is out of range, must be positive")
			return
		}
		o.Flags, o.Int = op.WithCount, n
	}
	res, ok := c.write(o)
	if !ok {
		return
	}
	if o.Flags&op.WithCount != 0 {
		c.writeMembers(res.Elems)
		return
	}
	if len(res.Elems) == 0 {
		c.writeNull()
		return
	}
	c.writeBulk(res.Elems[0])
}

// cmdSRandMember is SRANDMEMBER key [count], with Redis's rules: a positive
// count returns distinct members (at most all of them), a negative one may
// repeat them.
func cmdSRandMember(c *client, args [][]byte) {
	if len(args) > 3 {
		c.writeError(errSyntax)
		return
	}
	count, withCount := int64(1), len(args) == 3
	if withCount {
		n, ok := parseInt(args[2])
		switch {
		case !ok:
			c.writeError(errNotInteger)
			return
		case n == math.MinInt64:
			c.writeError("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
			return
		case n < -maxRandomRepeats:
			c.writeError("ERR value is out of range")
			return
		}
		count = n
	}
	members, ok := c.readSet(args[1])
	if !ok {
		return
	}
	if !withCount {
		if len(members) == 0 {
			c.writeNull()
			return
		}
		c.writeBulk(members[rand.IntN(len(members))])
		return
	}
	picked := randomPick(members, count)
	c.writeArray(len(picked))
	for _, m := range picked {
		c.writeBulk(m)
	}
}

func cmdSScan(c *client, args [][]byte) { scanCollection(c, args, op.TypeSet) }

// readSets reads every key's set, as SINTER, SUNION and SDIFF do in Redis:
// a missing key is an empty set, and a key of another type answers
// WRONGTYPE whatever the others hold.
func (c *client) readSets(keys [][]byte) ([]map[string]bool, bool) {
	sets := make([]map[string]bool, len(keys))
	for i, k := range keys {
		members, ok := c.readSet(k)
		if !ok {
			return nil, false
		}
		sets[i] = make(map[string]bool, len(members))
		for _, m := range members {
			sets[i][string(m)] = true
		}
	}
	return sets, true
}

// writeMemberSet answers the members of s in member order.
func (c *client) writeMemberSet(s map[string]bool) {
	members := make([][]byte, 0, len(s))
	for m := range s {
		members = append(members, []byte(m))
	}
	slices.SortFunc(members, func(a, b []byte) int { return slices.Compare(a, b) })
	c.writeMembers(members)
}

// intersect returns the members common to every set.
func intersect(sets []map[string]bool) map[string]bool {
	out := map[string]bool{}
	for m := range sets[0] {
		in := true
		for _, s := range sets[1:] {
			in = in && s[m]
		}
		if in {
			out[m] = true
		}
	}
	return out
}

// union returns the members of any set.
func union(sets []map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, s := range sets {
		for m := range s {
			out[m] = true
		}
	}
	return out
}

// difference returns the members of the first set that no other holds.
func difference(sets []map[string]bool) map[string]bool {
	out := map[string]bool{}
	for m := range sets[0] {
		out[m] = true
	}
	for _, s := range sets[1:] {
		for m := range s {
			delete(out, m)
		}
	}
	return out
}

func cmdSInter(c *client, args [][]byte)      { setAlgebra(c, args[1:], intersect) }
func cmdSUnion(c *client, args [][]byte)      { setAlgebra(c, args[1:], union) }
func cmdSDiff(c *client, args [][]byte)       { setAlgebra(c, args[1:], difference) }
func cmdSInterStore(c *client, args [][]byte) { storeAlgebra(c, args, intersect) }
func cmdSUnionStore(c *client, args [][]byte) { storeAlgebra(c, args, union) }
func cmdSDiffStore(c *client, args [][]byte)  { storeAlgebra(c, args, difference) }

// setAlgebra answers of the sets at keys what combine makes of them.
func setAlgebra(c *client, keys [][]byte, combine func([]map[string]bool) map[string]bool) {
	if sets, ok := c.readSets(keys); ok {
		c.writeMemberSet(combine(sets))
	}
}

// storeAlgebra is SINTERSTORE, SUNIONSTORE and SDIFFSTORE: what combine
// makes of the sets at args[2:] becomes the set at args[1], whatever that
// key held (an empty result deletes it). The sets are read, then the
// destination written by its coordinator: in a cluster another client may
// change a source in between.
func storeAlgebra(c *client, args [][]byte, combine func([]map[string]bool) map[string]bool) {
	sets, ok := c.readSets(args[2:])
	if !ok {
		return
	}
	members := make([][]byte, 0)
	for m := range combine(sets) {
		members = append(members, []byte(m))
	}
	slices.SortFunc(members, func(a, b []byte) int { return slices.Compare(a, b) })
	if res, ok := c.write(&op.Op{Code: op.SStore, Key: args[1], Fields: members}); ok {
		c.writeInt(res.N)
	}
}

// cmdSMove is SMOVE source destination member: with Redis's checks (a
// missing source answers 0 before any type is looked at), then an SREM
// from the source and, if it removed the member, an SADD to the
// destination. The two are separate writes: in a cluster the keys may have
// different coordinators, and a reader may see the member in neither set
// between them.
func cmdSMove(c *client, args [][]byte) {
	src, dst, member := args[1], args[2], args[3]
	if !c.checkSize(len(member)) {
		return
	}
	sv, found, done := c.read(src)
	switch {
	case !done:
		return
	case !found:
		c.writeInt(0)
		return
	case sv.Type != op.TypeSet:
		c.writeError(string(op.ErrWrongType))
		return
	}
	dv, found, done := c.read(dst)
	switch {
	case !done:
		return
	case found && dv.Type != op.TypeSet:
		c.writeError(string(op.ErrWrongType))
		return
	}
	if string(src) == string(dst) {
		if _, present, ok := c.readFields(op.TypeSet, src, [][]byte{member}); ok {
			c.writeInt(b2i(present[0]))
		}
		return
	}
	res, ok := c.write(&op.Op{Code: op.SRem, Key: src, Fields: [][]byte{member}})
	if !ok {
		return
	}
	if res.N == 0 {
		c.writeInt(0)
		return
	}
	if _, ok := c.write(&op.Op{Code: op.SAdd, Key: dst, Fields: [][]byte{member}}); ok {
		c.writeInt(1)
	}
}

// cmdSInterCard is SINTERCARD numkeys key [key ...] [LIMIT limit].
func cmdSInterCard(c *client, args [][]byte) {
	n, ok := parseInt(args[1])
	switch {
	case !ok || n <= 0:
		c.writeError("ERR numkeys should be greater than 0")
		return
	case n > int64(len(args)-2):
		c.writeError("ERR Number of keys can't be greater than number of args")
		return
	}
	keys, rest := args[2:2+n], args[2+n:]
	for _, k := range keys {
		if partition.HasReservedPrefix(k) {
			c.writeError(errReservedKey)
			return
		}
	}
	limit := int64(0)
	for i := 0; i < len(rest); i++ {
		if !eq(rest[i], "limit") || i+1 >= len(rest) {
			c.writeError(errSyntax)
			return
		}
		l, ok := parseInt(rest[i+1])
		if !ok || l < 0 {
			c.writeError("ERR LIMIT can't be negative")
			return
		}
		limit = l
		i++
	}
	sets, ok := c.readSets(keys)
	if !ok {
		return
	}
	card := int64(len(intersect(sets)))
	if limit > 0 {
		card = min(card, limit)
	}
	c.writeInt(card)
}
