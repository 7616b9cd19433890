package resp

import (
	"github.com/dynago/dynago/op"
)

// TOUCH, RENAME, RENAMENX and COPY, for keys of every type. A key's value
// is read whole at quorum (a hash's or set's every element), then written
// to the destination by the destination's coordinator as a new value of the
// same type with the same expiry (op.Set, HStore, SStore), and for RENAME
// the source deleted by its own: in a cluster the two keys may have
// different coordinators, and a reader may see the value under both names,
// or (for a moment after a failure in between) under the old one only.

func init() {
	w, r, f := "write", "readonly", "fast"
	register(
		&Command{Name: "touch", Arity: -2, Flags: []string{r, f}, FirstKey: 1, LastKey: -1, Step: 1, Group: "generic", Since: "3.2.1",
			Summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.", Handler: cmdExists},
		&Command{Name: "rename", Arity: 3, Flags: []string{w}, FirstKey: 1, LastKey: 2, Step: 1, Group: "generic", Since: "1.0.0",
			Summary: "Renames a key and overwrites the destination.", Handler: cmdRename},
		&Command{Name: "renamenx", Arity: 3, Flags: []string{w, f}, FirstKey: 1, LastKey: 2, Step: 1, Group: "generic", Since: "1.0.0",
			Summary: "Renames a key only when the target key name doesn't exist.", Handler: cmdRename},
		&Command{Name: "copy", Arity: -3, Flags: []string{w, "denyoom"}, FirstKey: 1, LastKey: 2, Step: 1, Group: "generic", Since: "6.2.0",
			Summary: "Copies the value of a key to a new key.", Handler: cmdCopy},
	)
}

// keyValue is a key's value read whole: its type, and a string's value or
// a collection's elements, with its expiry.
type keyValue struct {
	typ    op.Type
	str    []byte
	elems  []field
	expiry int64
}

// readValueWhole reads key's value whole; found is false for no key. On an
// error it writes the reply, ok=false.
func (c *client) readValueWhole(key []byte) (v keyValue, found, ok bool) {
	val, found, done := c.read(key)
	if !done || !found {
		return v, false, done
	}
	v = keyValue{typ: val.Type, str: val.Bytes, expiry: val.Expiry}
	if val.Collection != nil {
		if v.elems, ok = c.readCollection(val.Type, key); !ok {
			return v, false, false
		}
		if v.elems == nil {
			return v, false, true // (an empty collection is no key)
		}
	}
	return v, true, true
}

// storeCode is the code that makes a key a collection of a type, whole.
var storeCode = map[op.Type]op.Code{op.TypeHash: op.HStore, op.TypeSet: op.SStore, op.TypeZSet: op.ZStore}

// writeValue makes key hold v, whatever it held; onlyIfAbsent leaves a key
// that exists as it is (written false).
func (c *client) writeValue(key []byte, v keyValue, onlyIfAbsent bool) (written, ok bool) {
	var o *op.Op
	switch v.typ {
	case op.TypeHash, op.TypeSet, op.TypeZSet:
		if onlyIfAbsent {
			if _, found, done := c.read(key); !done || found {
				return false, done
			}
		}
		o = &op.Op{Code: storeCode[v.typ], Key: key, Expiry: v.expiry}
		for _, e := range v.elems {
			o.Fields = append(o.Fields, e.name)
			if v.typ != op.TypeSet {
				o.Values = append(o.Values, e.value) // (a sorted set's: scores)
			}
		}
	default:
		o = &op.Op{Code: op.Set, Key: key, Value: v.str, Expiry: v.expiry}
		if onlyIfAbsent {
			o.Flags = op.NX
		}
	}
	res, ok := c.write(o)
	return res.Wrote, ok
}

// cmdRename is RENAME and RENAMENX.
func cmdRename(c *client, args [][]byte) {
	nx := eq(args[0], "renamenx")
	src, dst := args[1], args[2]
	v, found, ok := c.readValueWhole(src)
	switch {
	case !ok:
		return
	case !found:
		c.writeError("ERR no such key")
		return
	case string(src) == string(dst):
		if nx {
			c.writeInt(0)
		} else {
			c.writeOK()
		}
		return
	}
	written, ok := c.writeValue(dst, v, nx)
	if !ok {
		return
	}
	if !written && nx {
		c.writeInt(0)
		return
	}
	if _, ok := c.write(&op.Op{Code: op.Del, Key: src}); !ok {
		return
	}
	if nx {
		c.writeInt(1)
	} else {
		c.writeOK()
	}
}

// cmdCopy is COPY source destination [DB destination-db] [REPLACE].
func cmdCopy(c *client, args [][]byte) {
	replace := false
	for i := 3; i < len(args); i++ {
		switch {
		case eq(args[i], "replace"):
			replace = true
		case eq(args[i], "db") && i+1 < len(args):
			db, ok := parseInt(args[i+1])
			switch {
			case !ok:
				c.writeError(errNotInteger)
				return
			case db < -(1<<31) || db >= 1<<31:
				c.writeError("ERR value is out of range, value must between -2147483648 and 2147483647")
				return
			case db != 0:
				// One key space (one-database in
				// docs/redis-differences.md).
				c.writeError("ERR DB index is out of range")
				return
			}
			i++
		default:
			c.writeError(errSyntax)
			return
		}
	}
	src, dst := args[1], args[2]
	if string(src) == string(dst) {
		c.writeError("ERR source and destination objects are the same")
		return
	}
	v, found, ok := c.readValueWhole(src)
	switch {
	case !ok:
		return
	case !found:
		c.writeInt(0)
		return
	}
	written, ok := c.writeValue(dst, v, !replace)
	if ok {
		c.writeInt(b2i(written))
	}
}
