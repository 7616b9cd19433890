package resp

import "strconv"

// Replies depend on the protocol a client chose with HELLO: RESP2 (the
// default) or RESP3. These helpers write the right form for the client.

// writeNull writes a null bulk string (RESP2 "$-1", RESP3 "_").
func (c *client) writeNull() {
	if c.proto == 3 {
		c.out.WriteRaw([]byte("_\r\n"))
		return
	}
	c.out.WriteNull()
}

// writeNullArray writes a null array (RESP2 "*-1", RESP3 "_").
func (c *client) writeNullArray() {
	if c.proto == 3 {
		c.out.WriteRaw([]byte("_\r\n"))
		return
	}
	c.out.WriteRaw([]byte("*-1\r\n"))
}

// writeMap writes the header of a map of n pairs (RESP2: a flat array of 2n).
func (c *client) writeMap(n int) {
	if c.proto == 3 {
		c.out.WriteRaw(append(strconv.AppendInt([]byte{'%'}, int64(n), 10), '\r', '\n'))
		return
	}
	c.out.WriteArray(2 * n)
}

// writeSet writes the header of a set of n elements (RESP2: an array).
func (c *client) writeSet(n int) {
	if c.proto == 3 {
		c.out.WriteRaw(append(strconv.AppendInt([]byte{'~'}, int64(n), 10), '\r', '\n'))
		return
	}
	c.out.WriteArray(n)
}

func (c *client) writeOK()                 { c.out.WriteString("OK") }
func (c *client) writeInt(n int64)         { c.out.WriteInt64(n) }
func (c *client) writeBulk(b []byte)       { c.out.WriteBulk(b) }
func (c *client) writeBulkString(s string) { c.out.WriteBulkString(s) }
func (c *client) writeArray(n int)         { c.out.WriteArray(n) }
func (c *client) writeStatus(s string)     { c.out.WriteString(s) }

// writeError writes an error reply; msg starts with its code (ERR, WRONGTYPE, ...).
func (c *client) writeError(msg string) {
	c.srv.stats.errors.Add(1)
	c.failed = true
	c.out.WriteError(msg)
}

// writeBulkOrNull writes b, or a null when ok is false.
func (c *client) writeBulkOrNull(b []byte, ok bool) {
	if !ok {
		c.writeNull()
		return
	}
	c.out.WriteBulk(b)
}
