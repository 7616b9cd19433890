package resp

import (
	"github.com/dynago/dynago/bitmap"
	"github.com/dynago/dynago/op"
)

// Bitmaps and LCS: Redis's bit commands over strings (package bitmap holds
// their logic). SETBIT and BITFIELD's writes are decided by their key's
// coordinator (op/bitmap.go), where concurrent bitmaps merge bit by bit;
// the reads read the string at quorum. Each command checks its arguments
// before and after the key lookup in Redis's order (package bitmap's docs).

func init() {
	w, r, f := "write", "readonly", "fast"
	b := oneKeyOf("bitmap")
	register(
		b("setbit", 4, []string{w, "denyoom"}, "2.2.0", "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.", cmdSetBit),
		b("getbit", 3, []string{r, f}, "2.2.0", "Returns a bit value by offset.", cmdGetBit),
		b("bitcount", -2, []string{r}, "2.6.0", "Counts the number of set bits (population counting) in a string.", cmdBitCount),
		b("bitpos", -3, []string{r}, "2.8.7", "Finds the first set (1) or clear (0) bit in a string.", cmdBitPos),
		&Command{Name: "bitop", Arity: -4, Flags: []string{w, "denyoom"}, FirstKey: 2, LastKey: -1, Step: 1, Group: "bitmap", Since: "2.6.0",
			Summary: "Performs bitwise operations on multiple strings, and stores the result.", Handler: cmdBitOp},
		b("bitfield", -2, []string{w, "denyoom"}, "3.2.0", "Performs arbitrary bitfield integer operations on strings.", cmdBitField),
		b("bitfield_ro", -2, []string{r, f}, "6.0.0", "Performs arbitrary read-only bitfield integer operations on strings.", cmdBitField),
		&Command{Name: "lcs", Arity: -3, Flags: []string{r}, FirstKey: 1, LastKey: 2, Step: 1, Group: "string", Since: "7.0.0",
			Summary: "Finds the longest common substring.", Handler: cmdLCS},
	)
}

// maxBytes is the longest string the bit commands may address: Dynago's
// --max-value-bytes, in the place of Redis's proto-max-bulk-len.
func (c *client) maxBytes() int64 { return int64(c.srv.cfg.MaxValueBytes) }

func cmdSetBit(c *client, args [][]byte) {
	off, bit, err := bitmap.ParseSetBit(args[2:], c.maxBytes())
	if err != nil {
		c.writeErr(err)
		return
	}
	o := &op.Op{Code: op.SetBit, Key: args[1], Int: off, Value: []byte{byte(bit)}, MaxValue: c.maxBytes()}
	if res, ok := c.write(o); ok {
		c.writeInt(res.N)
	}
}

func cmdGetBit(c *client, args [][]byte) {
	off, err := bitmap.ParseGetBit(args[2:], c.maxBytes())
	if err != nil {
		c.writeErr(err)
		return
	}
	if v, _, ok := c.readString(args[1]); ok {
		c.writeInt(int64(bitmap.GetBit(v.Bytes, off)))
	}
}

func cmdBitCount(c *client, args [][]byte) {
	a := bitmap.ParseBitCount(args[2:])
	v, found, ok := c.readString(args[1])
	if !ok {
		return
	}
	if n, err := bitmap.Count(v.Bytes, found, a); err != nil {
		c.writeErr(err)
	} else {
		c.writeInt(n)
	}
}

func cmdBitPos(c *client, args [][]byte) {
	a, err := bitmap.ParseBitPos(args[2:])
	if err != nil {
		c.writeErr(err)
		return
	}
	v, found, ok := c.readString(args[1])
	if !ok {
		return
	}
	if n, err := bitmap.Pos(v.Bytes, found, a); err != nil {
		c.writeErr(err)
	} else {
		c.writeInt(n)
	}
}

// cmdBitOp is BITOP operation destkey key [key ...]: the sources are read,
// then the destination written whole as a plain string (without a TTL, as
// Redis leaves it), or deleted when the result is empty.
func cmdBitOp(c *client, args [][]byte) {
	bop, err := bitmap.ParseBitOp(args[1], len(args)-3)
	if err != nil {
		c.writeErr(err)
		return
	}
	sources := make([][]byte, 0, len(args)-3)
	for _, k := range args[3:] {
		v, _, ok := c.readString(k)
		if !ok {
			return
		}
		sources = append(sources, v.Bytes)
	}
	result := bitmap.Op(bop, sources)
	o := &op.Op{Code: op.Set, Key: args[2], Value: result}
	if len(result) == 0 {
		o = &op.Op{Code: op.Del, Key: args[2]}
	}
	if _, ok := c.write(o); ok {
		c.writeInt(int64(len(result)))
	}
}

// cmdBitField is BITFIELD and BITFIELD_RO. Subcommands that only read are
// answered from a quorum read; any SET or INCRBY makes the whole command a
// write its key's coordinator runs.
func cmdBitField(c *client, args [][]byte) {
	readOnly := eq(args[0], "bitfield_ro")
	ops, err := bitmap.ParseBitField(args[2:], readOnly, c.maxBytes())
	if err != nil {
		c.writeErr(err)
		return
	}
	if !ops.Writes() {
		v, _, ok := c.readString(args[1])
		if !ok {
			return
		}
		_, results := ops.Run(v.Bytes)
		c.writeArray(len(results))
		for _, r := range results {
			if r == nil {
				c.writeNull()
			} else {
				c.writeInt(*r)
			}
		}
		return
	}
	res, ok := c.write(&op.Op{Code: op.BitField, Key: args[1], Fields: args[2:], MaxValue: c.maxBytes()})
	if !ok {
		return
	}
	c.writeArray(len(res.Elems))
	for _, e := range res.Elems {
		if n, ok := op.BitFieldReply(e); ok {
			c.writeInt(n)
		} else {
			c.writeNull()
		}
	}
}

// cmdLCS is LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN].
func cmdLCS(c *client, args [][]byte) {
	var values [2][]byte
	for i, k := range args[1:3] {
		v, found, done := c.read(k)
		switch {
		case !done:
			return
		case found && v.Type != op.TypeString:
			c.writeErr(bitmap.ErrLCSNotString)
			return
		}
		values[i] = v.Bytes
	}
	r, err := bitmap.LCS(values[0], values[1], bitmap.ParseLCS(args[3:]), c.maxBytes())
	if err != nil {
		c.writeErr(err)
		return
	}
	switch r.Form {
	case bitmap.LCSLength:
		c.writeInt(r.Len)
	case bitmap.LCSIndexes:
		c.writeMap(2)
		c.writeBulkString("matches")
		c.writeArray(len(r.Matches))
		for _, m := range r.Matches {
			n := 2
			if r.WithMatchLen {
				n = 3
			}
			c.writeArray(n)
			for _, span := range [][2]int64{m.A, m.B} {
				c.writeArray(2)
				c.writeInt(span[0])
				c.writeInt(span[1])
			}
			if r.WithMatchLen {
				c.writeInt(m.Len)
			}
		}
		c.writeBulkString("len")
		c.writeInt(r.Len)
	default:
		c.writeBulk(r.String)
	}
}
