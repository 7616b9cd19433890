package difftest

import (
	"strconv"
	"strings"
)

// Cmd is one command: its name and arguments, as sent (any bytes).
type Cmd []string

// Name is the command's name in lowercase ("" for an empty command).
func (c Cmd) Name() string {
	if len(c) == 0 {
		return ""
	}
	return strings.ToLower(c[0])
}

// FullName is the command's name, with the subcommand for the container
// commands ("client|setname"), as Redis's command table names them.
func (c Cmd) FullName() string {
	n := c.Name()
	if containers[n] && len(c) > 1 {
		return n + "|" + strings.ToLower(c[1])
	}
	return n
}

// containers are the commands whose first argument is a subcommand.
var containers = map[string]bool{"client": true, "command": true, "config": true, "slowlog": true, "dynago": true, "object": true, "memory": true}

// EncodeRESP encodes cmds as a client sends them: each an array of bulk
// strings, one after the other (a pipeline).
func EncodeRESP(cmds []Cmd) []byte {
	var b []byte
	for _, c := range cmds {
		b = appendCmd(b, c)
	}
	return b
}

func appendCmd(b []byte, c Cmd) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(c)), 10)
	b = append(b, '\r', '\n')
	for _, a := range c {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// String renders the command as a line redis-cli reads back as the same
// arguments: plain words as they are, anything else double-quoted with
// redis-cli's escapes (\xHH, \n, \r, \t, \", \\).
func (c Cmd) String() string {
	var b strings.Builder
	for i, a := range c {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(cliQuote(a))
	}
	return b.String()
}

func cliQuote(a string) string {
	plain := a != ""
	for i := 0; i < len(a) && plain; i++ {
		ch := a[i]
		plain = ch > ' ' && ch < 0x7f && ch != '"' && ch != '\'' && ch != '\\'
	}
	if plain {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(a); i++ {
		switch ch := a[i]; {
		case ch == '"':
			b.WriteString(`\"`)
		case ch == '\\':
			b.WriteString(`\\`)
		case ch == '\n':
			b.WriteString(`\n`)
		case ch == '\r':
			b.WriteString(`\r`)
		case ch == '\t':
			b.WriteString(`\t`)
		case ch < ' ' || ch >= 0x7f:
			b.WriteString(`\x`)
			b.WriteByte("0123456789abcdef"[ch>>4])
			b.WriteByte("0123456789abcdef"[ch&15])
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return b.String()
}
