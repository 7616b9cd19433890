package resp

import (
	"bytes"
	"strconv"
)

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

// writeHelp answers a HELP subcommand: its lines as status replies, as
// Redis does.
func (c *client) writeHelp(lines []string) {
	c.writeArray(len(lines))
	for _, l := range lines {
		c.writeStatus(l)
	}
}

// writeError writes an error reply; msg starts with its code (ERR, WRONGTYPE, ...).
func (c *client) writeError(msg string) {
	c.srv.stats.errors.Add(1)
	c.failed = true
	c.out.WriteError(msg)
}

// writeVerbatim writes text that Redis answers as a verbatim string in
// RESP3 ("=N\r\ntxt:...": INFO, CLIENT INFO, CLIENT LIST) and as a bulk
// string in RESP2.
func (c *client) writeVerbatim(s string) {
	if c.proto == 3 {
		b := append(strconv.AppendInt([]byte{'='}, int64(len(s)+4), 10), "\r\ntxt:"...)
		c.out.WriteRaw(append(append(b, s...), '\r', '\n'))
		return
	}
	c.out.WriteBulkString(s)
}

// writeBulkOrNull writes b, or a null when ok is false.
func (c *client) writeBulkOrNull(b []byte, ok bool) {
	if !ok {
		c.writeNull()
		return
	}
	c.out.WriteBulk(b)
}

// completeReplies returns the length of the longest prefix of b made of
// whole RESP2 or RESP3 replies. A panicking command's reply may stop half
// way; cutting b there leaves the replies before it intact.
func completeReplies(b []byte) int {
	end := 0
	for end < len(b) {
		n := replyLen(b[end:], 0)
		if n <= 0 {
			break
		}
		end += n
	}
	return end
}

// replyLen is the length of the whole reply at the start of b, or 0 when b
// holds only part of one (or something that is not a reply).
func replyLen(b []byte, depth int) int {
	if len(b) == 0 || depth > 64 {
		return 0
	}
	line := bytes.Index(b, []byte("\r\n"))
	if line < 1 {
		return 0
	}
	n := line + 2
	switch b[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return n
	case '$', '=', '!':
		size, ok := parseInt(b[1:line])
		switch {
		case !ok || size < -1:
			return 0
		case size == -1:
			return n
		case int64(len(b)-n) < size+2:
			return 0
		}
		return n + int(size) + 2
	case '*', '~', '>', '%', '|':
		count, ok := parseInt(b[1:line])
		if !ok || count < -1 || count > int64(len(b)) {
			return 0 // every element takes at least three bytes
		}
		if b[0] == '%' || b[0] == '|' {
			count *= 2
		}
		for i := int64(0); i < count; i++ {
			m := replyLen(b[n:], depth+1)
			if m == 0 {
				return 0
			}
			n += m
		}
		return n
	}
	return 0
}
