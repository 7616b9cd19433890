package difftest

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// window is when an expiry may fire on one server or the other, in unix
// milliseconds: a relative expiry starts counting when each server runs the
// command, somewhere between the runner's send to the first server and the
// second server's reply.
type window struct{ lo, hi int64 }

// clockSlack covers the servers' millisecond clocks and their rounding.
const clockSlack = 3

// expiries tracks the windows of the expiries the stream has set, per key.
// A key's state is certain outside its windows: alive before, expired after
// (or changed since, which the stream's own commands show on both servers
// alike). The runner never lets a command look at a key inside a window.
type expiries struct {
	w map[string][]window
}

// expirySet is an expiry a command may set on key: at ms, absolute, or ms
// from when the server runs it.
type expirySet struct {
	key      string
	ms       int64
	relative bool
}

// expiriesOf returns the expiries c may set, whether or not it will (the
// runner cannot tell an NX that applies from one that does not, and does
// not need to: a window that never opens only costs a short wait).
func expiriesOf(c Cmd) []expirySet {
	if len(c) < 3 {
		return nil
	}
	one := func(unit, arg string) []expirySet {
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n <= 0 {
			return nil // rejected, or deletes at once
		}
		if unit == "ex" || unit == "exat" {
			if n > math.MaxInt64/1000 {
				return nil
			}
			n *= 1000
		}
		return []expirySet{{key: c[1], ms: n, relative: unit == "ex" || unit == "px"}}
	}
	options := func(from int) []expirySet {
		var out []expirySet
		for i := from; i+1 < len(c); i++ {
			if u := strings.ToLower(c[i]); u == "ex" || u == "px" || u == "exat" || u == "pxat" {
				out = append(out, one(u, c[i+1])...)
			}
		}
		return out
	}
	switch c.Name() {
	case "set":
		return options(3)
	case "getex":
		return options(2)
	case "setex", "expire":
		return one("ex", c[2])
	case "psetex", "pexpire":
		return one("px", c[2])
	case "expireat":
		return one("exat", c[2])
	case "pexpireat":
		return one("pxat", c[2])
	}
	return nil
}

// record notes the expiries c may have set, given when it was first sent
// and when its last reply arrived.
func (e *expiries) record(c Cmd, sent, answered int64) {
	for _, x := range expiriesOf(c) {
		w := window{lo: x.ms - clockSlack, hi: x.ms + clockSlack}
		if x.relative {
			if x.ms > math.MaxInt64-answered-clockSlack {
				continue // never fires
			}
			w = window{lo: sent + x.ms - clockSlack, hi: answered + x.ms + clockSlack}
		}
		if e.w == nil {
			e.w = map[string][]window{}
		}
		e.w[x.key] = append(e.w[x.key], w)
	}
}

func (e *expiries) clear() { e.w = nil }

// keyspaceCommands look at every key.
var keyspaceCommands = map[string]bool{
	"keys": true, "scan": true, "dbsize": true, "randomkey": true, "info": true, "flushall": true, "flushdb": true,
}

// touched returns the tracked keys c may look at: every argument that names
// one (a value that happens to equal a key name only costs a wait), or all
// of them for the commands that walk the key space.
func (e *expiries) touched(c Cmd) []string {
	var keys []string
	all := keyspaceCommands[c.Name()]
	for k := range e.w {
		if all || mentions(c, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// mentions reports whether an argument of c (not its name) is k.
func mentions(c Cmd, k string) bool {
	for _, a := range c[min(1, len(c)):] {
		if a == k {
			return true
		}
	}
	return false
}

// waitUntil returns the time to wait for before a command on keys runs at
// now: the end of every window that is open or opens within guard (the
// longest a command takes on both servers); 0 if none.
func (e *expiries) waitUntil(keys []string, now, guard int64) int64 {
	var until int64
	for _, k := range keys {
		for _, w := range e.w[k] {
			if w.lo <= now+guard && w.hi >= now && w.hi > until {
				until = w.hi
			}
		}
	}
	return until
}

// passed removes and returns, among keys, those whose every window ended
// before now: their expiries (if set) have fired on both servers.
func (e *expiries) passed(keys []string, now int64) []string {
	var out []string
	for _, k := range keys {
		ws := e.w[k]
		kept := ws[:0]
		for _, w := range ws {
			if w.hi >= now {
				kept = append(kept, w)
			}
		}
		if len(kept) < len(ws) {
			out = append(out, k)
		}
		if len(kept) == 0 {
			delete(e.w, k)
		} else {
			e.w[k] = kept
		}
	}
	return out
}
