package resp

import (
	"bytes"
	"math"
	"strings"

	"github.com/dynago/dynago/counter"
	"github.com/dynago/dynago/op"
)

// Redis's own error texts, which clients and scripts match on. Those an
// operation may also decide on its coordinator are package op's.
const (
	errSyntax         = "ERR syntax error"
	errNotInteger     = string(op.ErrNotInteger)
	errNotFloat       = string(op.ErrNotFloat)
	errOverflow       = string(op.ErrOverflow)
	errNaNInf         = string(op.ErrNaNOrInf)
	errInvalidCursor  = "ERR invalid cursor"
	errOffsetRange    = "ERR offset is out of range"
	errStringTooLarge = string(op.ErrStringTooLarge)
)

func errArity(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

func errInvalidExpire(name string) string { return string(op.ErrInvalidExpire(name)) }

// parseInt parses a Redis integer argument strictly: optional '-', digits,
// no leading zeros, no '+', no spaces, within int64 (Redis's string2ll).
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || digits[0] < '1' || digits[0] > '9' {
		return 0, false
	}
	u, ok := parseDigits(digits)
	if !ok {
		return 0, false
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// parseDigits reads decimal digits (none is 0) as an unsigned number;
// false for any other byte or an overflow of 64 bits.
func parseDigits(b []byte) (uint64, bool) {
	var n uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseFloat parses a Redis float argument as Redis does a value
// (strtold-like: no spaces, no NaN; see counter.ParseFloat).
func parseFloat(b []byte) (float64, bool) { return counter.ParseFloat(b) }

// cString is b as C's "%s" prints it: up to its first NUL byte. Redis
// formats the arguments it quotes in error replies this way.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// eq reports whether arg equals the ASCII word w, ignoring case.
func eq(arg []byte, w string) bool {
	if len(arg) != len(w) {
		return false
	}
	for i := 0; i < len(arg); i++ {
		a, b := arg[i], w[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// lower returns the ASCII-lowercased string of b.
func lower(b []byte) string { return strings.ToLower(string(b)) }
