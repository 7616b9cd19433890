package difftest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Reply is one reply as a typed tree, exactly as the server sent it.
//
// Type is the RESP type byte: '+' status, '-' error, ':' integer, '$' bulk
// string, '*' array, and RESP3's '_' null, ',' double, '#' boolean, '!' bulk
// error, '=' verbatim string, '(' big number, '%' map, '~' set, '>' push.
// Closed stands for a connection the server closed instead of answering.
type Reply struct {
	Type  byte
	Str   string  // status, error, bulk, verbatim, double, big number, boolean ("t"/"f")
	Int   int64   // integer
	Null  bool    // RESP2's null bulk string ($-1) or null array (*-1)
	Elems []Reply // array, set, push; a map's keys and values alternate
}

// Closed is the Type of a reply that never came: the server closed the
// connection.
const Closed byte = 'x'

// IsError reports whether r is an error reply.
func (r Reply) IsError() bool { return r.Type == '-' || r.Type == '!' }

// IsNull reports whether r is any kind of null.
func (r Reply) IsNull() bool { return r.Null || r.Type == '_' }

// Equal reports whether r and o are the same reply, type for type.
func (r Reply) Equal(o Reply) bool {
	if r.Type != o.Type || r.Str != o.Str || r.Int != o.Int || r.Null != o.Null || len(r.Elems) != len(o.Elems) {
		return false
	}
	for i := range r.Elems {
		if !r.Elems[i].Equal(o.Elems[i]) {
			return false
		}
	}
	return true
}

// String renders r on one line, unambiguously: +OK, -ERR ..., :5, "bulk"
// (Go-quoted), $-1 and *-1 for RESP2's nulls, _ for RESP3's, *[...] arrays,
// %{k: v} maps, ~[...] sets, ,1.5 doubles, #t booleans.
func (r Reply) String() string {
	var b strings.Builder
	r.write(&b)
	return b.String()
}

func (r Reply) write(b *strings.Builder) {
	switch r.Type {
	case '+', '-', ',', '(', '#', '!':
		b.WriteByte(r.Type)
		if r.Type == '!' {
			b.WriteString(strconv.Quote(r.Str))
		} else {
			b.WriteString(r.Str)
		}
	case ':':
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(r.Int, 10))
	case '$':
		if r.Null {
			b.WriteString("$-1")
			return
		}
		b.WriteString(strconv.Quote(r.Str))
	case '=':
		b.WriteString("=" + strconv.Quote(r.Str))
	case '_':
		b.WriteByte('_')
	case Closed:
		b.WriteString("<connection closed>")
	case '*', '~', '>', '%':
		if r.Null {
			b.WriteString("*-1")
			return
		}
		open, end := map[byte]string{'*': "*[", '~': "~[", '>': ">[", '%': "%{"}[r.Type], "]"
		if r.Type == '%' {
			end = "}"
		}
		b.WriteString(open)
		for i, e := range r.Elems {
			switch {
			case i == 0:
			case r.Type == '%' && i%2 == 1:
				b.WriteString(": ")
			default:
				b.WriteString(", ")
			}
			e.write(b)
		}
		b.WriteString(end)
	default:
		fmt.Fprintf(b, "?%q", r.Type)
	}
}

// maxBulk bounds the bulk strings the reader accepts: more than any value
// either server stores in a run.
const maxBulk = 64 << 20

// errProtocol is a reply that does not parse.
var errProtocol = errors.New("difftest: malformed reply")

// readReply reads one reply from rd. A RESP3 attribute ('|') before a reply
// is read and dropped.
func readReply(rd *bufio.Reader) (Reply, error) {
	line, err := readLine(rd)
	if err != nil {
		return Reply{}, err
	}
	if len(line) == 0 {
		return Reply{}, errProtocol
	}
	t, rest := line[0], string(line[1:])
	switch t {
	case '+', '-', ',', '(':
		return Reply{Type: t, Str: rest}, nil
	case '#':
		if rest != "t" && rest != "f" {
			return Reply{}, errProtocol
		}
		return Reply{Type: t, Str: rest}, nil
	case '_':
		return Reply{Type: t}, nil
	case ':':
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return Reply{}, errProtocol
		}
		return Reply{Type: t, Int: n}, nil
	case '$', '!', '=':
		n, err := strconv.Atoi(rest)
		if err != nil || n < -1 || n > maxBulk {
			return Reply{}, errProtocol
		}
		if n == -1 {
			if t != '$' {
				return Reply{}, errProtocol
			}
			return Reply{Type: t, Null: true}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return Reply{}, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return Reply{}, errProtocol
		}
		return Reply{Type: t, Str: string(buf[:n])}, nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(rest)
		if err != nil || n < -1 || n > 1<<20 {
			return Reply{}, errProtocol
		}
		if n == -1 {
			if t != '*' {
				return Reply{}, errProtocol
			}
			return Reply{Type: t, Null: true}, nil
		}
		if t == '%' || t == '|' {
			n *= 2
		}
		r := Reply{Type: t, Elems: make([]Reply, 0, n)}
		for range n {
			e, err := readReply(rd)
			if err != nil {
				return Reply{}, err
			}
			r.Elems = append(r.Elems, e)
		}
		if t == '|' {
			return readReply(rd) // the attribute annotates the next reply
		}
		return r, nil
	}
	return Reply{}, errProtocol
}

func readLine(rd *bufio.Reader) ([]byte, error) {
	line, err := rd.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errProtocol
		}
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, errProtocol
	}
	return line[:len(line)-2], nil
}
