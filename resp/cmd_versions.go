package resp

import (
	"github.com/dynago/dynago/counter"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/version"
)

// The version commands expose a key's siblings and causal context, like
// Riak's fetch and store with a context: VGET returns every concurrent value
// and a context covering them; VSET and VDEL with that context supersede
// exactly what the client saw and leave later concurrent writes as siblings.

func init() {
	register(
		&Command{Name: "vget", Arity: 2, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1, Group: "dynago", Since: "0.1.0", Summary: "Returns a key's causal context and every live sibling value.", Handler: cmdVGet},
		&Command{Name: "vset", Arity: -4, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1, Group: "dynago", Since: "0.1.0", Summary: "Stores a value superseding the versions a causal context covers.", Handler: cmdVSet},
		&Command{Name: "vdel", Arity: 3, Flags: []string{"write"}, FirstKey: 1, LastKey: 1, Step: 1, Group: "dynago", Since: "0.1.0", Summary: "Deletes the versions a causal context covers.", Handler: cmdVDel},
	)
}

const errInvalidContext = "ERR invalid context"

func cmdVGet(c *client, args [][]byte) {
	o, _, err := c.readObject(args[1])
	if err != nil {
		c.writeErr(err)
		return
	}
	c.writeVersions(o)
}

// writeVersions answers an object as VGET does: its context, then the value
// of each live sibling.
func (c *client) writeVersions(o version.Object) {
	live := o.Live(c.now().UnixMilli())
	values := make([][]byte, 0, len(live))
	for _, s := range live {
		v, err := siblingValue(s)
		if err != nil {
			c.writeErr(err)
			return
		}
		values = append(values, v)
	}
	c.writeArray(1 + len(values))
	c.writeBulkString(version.EncodeContext(o.Clock))
	for _, v := range values {
		c.writeBulk(v)
	}
}

// siblingValue is the string a sibling stands for (counters rendered).
func siblingValue(s version.Sibling) ([]byte, error) {
	if s.Kind != version.KindCounter {
		return s.Value, nil
	}
	st, err := counter.Decode(s.Value)
	if err != nil {
		return nil, err
	}
	return []byte(st.String()), nil
}

func cmdVSet(c *client, args [][]byte) {
	ctx, err := version.DecodeContext(string(args[2]))
	if err != nil {
		c.writeError(errInvalidContext)
		return
	}
	var exp expiryOpt
	for i := 4; i < len(args); i++ {
		if unit, ok := isExpiryWord(args[i]); ok && (unit == "ex" || unit == "px") && exp.unit == "" && i+1 < len(args) {
			exp = expiryOpt{unit: unit, arg: args[i+1]}
			i++
			continue
		}
		c.writeError(errSyntax)
		return
	}
	if !c.checkSize(len(args[3])) {
		return
	}
	var expiry int64
	if exp.unit != "" {
		var msg string
		if expiry, msg = exp.absolute("vset", c.now().UnixMilli()); msg != "" {
			c.writeError(msg)
			return
		}
	}
	if _, ok := c.write(&op.Op{Code: op.VSet, Key: args[1], Context: ctx, Value: args[3], Expiry: expiry}); ok {
		c.writeOK()
	}
}

func cmdVDel(c *client, args [][]byte) {
	ctx, err := version.DecodeContext(string(args[2]))
	if err != nil {
		c.writeError(errInvalidContext)
		return
	}
	if res, ok := c.write(&op.Op{Code: op.VDel, Key: args[1], Context: ctx}); ok {
		c.writeInt(b2i(res.Wrote))
	}
}
