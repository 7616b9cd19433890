package resp

import (
	"github.com/dynago/dynago/hll"
	"github.com/dynago/dynago/op"
)

// HyperLogLogs: strings in Redis's HyperLogLog form (op/hyperloglog.go).
// PFADD and PFMERGE are writes their key's coordinator decides; PFCOUNT
// reads and merges at quorum and, unlike Redis, does not write the count
// it computed back into the key's cache bytes (docs/redis-differences.md).

func init() {
	w, r, f := "write", "readonly", "fast"
	h := oneKeyOf("hyperloglog")
	multi := func(c *Command) *Command { c.LastKey = -1; return c }
	register(
		h("pfadd", -2, []string{w, "denyoom", f}, "2.8.9", "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.", cmdPFAdd),
		multi(h("pfcount", -2, []string{r}, "2.8.9", "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).", cmdPFCount)),
		multi(h("pfmerge", -2, []string{w, "denyoom"}, "2.8.9", "Merges one or more HyperLogLog values into a single key.", cmdPFMerge)),
	)
}

func cmdPFAdd(c *client, args [][]byte) {
	if res, ok := c.write(&op.Op{Code: op.PFAdd, Key: args[1], Fields: args[2:]}); ok {
		c.writeInt(res.N)
	}
}

// readHLLs reads the HyperLogLogs at keys and merges them: a missing key
// counts as empty, a key of another type or a string that is not a
// HyperLogLog answers Redis's error (written, ok=false).
func (c *client) readHLLs(keys [][]byte) (*hll.Sketch, bool) {
	union := new(hll.Sketch)
	for _, k := range keys {
		v, found, done := c.readString(k)
		if !done {
			return nil, false
		}
		if !found {
			continue
		}
		s, err := op.DecodeHLL(v.Bytes)
		if err != nil {
			c.writeErr(err)
			return nil, false
		}
		union.Merge(s)
	}
	return union, true
}

func cmdPFCount(c *client, args [][]byte) {
	if s, ok := c.readHLLs(args[1:]); ok {
		c.writeInt(int64(s.Count())) // (beyond 2^63, Redis's reply wraps the same way)
	}
}

// cmdPFMerge is PFMERGE destkey [sourcekey ...]: the sources (and the
// destination, as Redis checks it too) are read, then the destination's
// coordinator merges their union into it.
func cmdPFMerge(c *client, args [][]byte) {
	s, ok := c.readHLLs(args[1:])
	if !ok {
		return
	}
	if _, ok := c.write(&op.Op{Code: op.PFMerge, Key: args[1], Value: s.Encode()}); ok {
		c.writeOK()
	}
}
