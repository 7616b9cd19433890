package resp

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Per-command statistics (INFO commandstats), the slow log (SLOWLOG), and the
// hook through which the node's metrics see every command.

// CommandsProcessed is the number of commands this server has run.
func (s *Server) CommandsProcessed() int64 { return s.stats.commands.Load() }

// ClientsConnected is the number of connected clients.
func (s *Server) ClientsConnected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// cmdStat counts one command's calls, as INFO commandstats shows them.
type cmdStat struct {
	calls, usec, rejected, failed atomic.Int64
}

// commandStats are the per-command counters, by command name.
type commandStats struct{ m sync.Map } // string -> *cmdStat

func (cs *commandStats) of(name string) *cmdStat {
	if v, ok := cs.m.Load(name); ok {
		return v.(*cmdStat)
	}
	v, _ := cs.m.LoadOrStore(name, &cmdStat{})
	return v.(*cmdStat)
}

func (cs *commandStats) reset() { cs.m.Clear() }

// lines answers INFO commandstats: one line per command called, by name.
func (cs *commandStats) lines() [][2]string {
	var out [][2]string
	cs.m.Range(func(k, v any) bool {
		st := v.(*cmdStat)
		calls, usec := st.calls.Load(), st.usec.Load()
		per := 0.0
		if calls > 0 {
			per = float64(usec) / float64(calls)
		}
		out = append(out, [2]string{"cmdstat_" + k.(string), fmt.Sprintf("calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
			calls, usec, per, st.rejected.Load(), st.failed.Load())})
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Slow log limits, as Redis's: arguments kept per entry and bytes per argument.
const (
	slowlogMaxArgs  = 32
	slowlogMaxBytes = 128
)

// slowEntry is one slow command.
type slowEntry struct {
	id       int64
	at       int64 // unix seconds
	micros   int64
	args     []string
	addr     string
	clientID string
}

// slowlog keeps the newest slow commands, oldest first, so that adding
// one (which under load happens on every command) appends instead of
// copying the log.
type slowlog struct {
	mu      sync.Mutex
	nextID  int64
	entries []slowEntry
}

func (l *slowlog) add(e slowEntry, max int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	l.entries = append(l.entries, e)
	l.trimLocked(max)
}

// get returns the newest n entries (all if n < 0), newest first.
func (l *slowlog) get(n int) []slowEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	out := make([]slowEntry, n)
	for i := range out {
		out[i] = l.entries[len(l.entries)-1-i]
	}
	return out
}

// trim drops the oldest entries beyond max.
func (l *slowlog) trim(max int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.trimLocked(max)
}

func (l *slowlog) trimLocked(keep int) {
	if drop := len(l.entries) - max(keep, 0); drop > 0 {
		clear(l.entries[:drop]) // let the dropped arguments go
		l.entries = l.entries[drop:]
	}
}

func (l *slowlog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

func (l *slowlog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}

// slowArgs copies args as the slow log keeps them: at most 32, each at
// most 128 bytes, saying how much was left out.
func slowArgs(args [][]byte) []string {
	n := min(len(args), slowlogMaxArgs)
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		if i == slowlogMaxArgs-1 && len(args) > slowlogMaxArgs {
			out = append(out, fmt.Sprintf("... (%d more arguments)", len(args)-slowlogMaxArgs+1))
			break
		}
		a := args[i]
		if len(a) > slowlogMaxBytes {
			out = append(out, fmt.Sprintf("%s... (%d more bytes)", a[:slowlogMaxBytes], len(a)-slowlogMaxBytes))
			continue
		}
		out = append(out, string(a))
	}
	return out
}

// observe records a finished command: its statistics, the slow log, and
// the node's hook. rejected is a command refused before it ran (unknown,
// wrong arity, not authenticated); failed one that answered an error. As
// in Redis, a rejected command counts in rejected_calls only (not in calls
// or usec, and not in the slow log): it never ran.
func (s *Server) observe(c *client, cmd *Command, args [][]byte, took time.Duration, rejected, failed bool) {
	name := strings.ToLower(string(args[0]))
	if cmd != nil {
		name = cmd.Name
	}
	if cmd != nil {
		st := s.cmdStats.of(name)
		if rejected {
			st.rejected.Add(1)
		} else {
			st.calls.Add(1)
			st.usec.Add(took.Microseconds())
			if failed {
				st.failed.Add(1)
			}
		}
	}
	if limit := s.slowlogSlowerThan.Load(); limit >= 0 && took.Microseconds() >= limit && cmd != nil && !rejected && !cmd.hasFlag("skip_slowlog") {
		s.slow.add(slowEntry{at: time.Now().Unix(), micros: took.Microseconds(), args: slowArgs(args),
			addr: c.addr, clientID: c.name}, int(s.slowlogMaxLen.Load()))
	}
	if s.cfg.OnCommand != nil && cmd != nil {
		s.cfg.OnCommand(name, took, rejected || failed)
	}
}

func init() {
	sl := &Command{Name: "slowlog", Arity: -2, Group: "server", Since: "2.2.12", Summary: "A container for slow log commands."}
	flags := []string{"admin", "loading", "stale"}
	sl.Subcommands = []*Command{
		{Name: "slowlog|get", Arity: -2, Flags: flags, Group: "server", Since: "2.2.12", Summary: "Returns the slow log's entries.", Handler: cmdSlowlogGet},
		{Name: "slowlog|len", Arity: 2, Flags: flags, Group: "server", Since: "2.2.12", Summary: "Returns the number of entries in the slow log.", Handler: cmdSlowlogLen},
		{Name: "slowlog|reset", Arity: 2, Flags: flags, Group: "server", Since: "2.2.12", Summary: "Clears all entries from the slow log.", Handler: cmdSlowlogReset},
	}
	sl.Handler = func(c *client, args [][]byte) { dispatchSub(sl, c, args) }
	register(sl)
}

func cmdSlowlogGet(c *client, args [][]byte) {
	n := 10
	if len(args) > 3 {
		c.writeError("ERR unknown subcommand or wrong number of arguments for '" + truncate(string(args[1]), 128) + "'. Try SLOWLOG HELP.")
		return
	}
	if len(args) == 3 {
		v, ok := parseInt(args[2])
		if !ok || v < -1 {
			c.writeError("ERR count should be greater than or equal to -1")
			return
		}
		n = int(min(v, 1<<30))
	}
	entries := c.srv.slow.get(n)
	c.writeArray(len(entries))
	for _, e := range entries {
		c.writeArray(6)
		c.writeInt(e.id)
		c.writeInt(e.at)
		c.writeInt(e.micros)
		c.writeArray(len(e.args))
		for _, a := range e.args {
			c.writeBulkString(a)
		}
		c.writeBulkString(e.addr)
		c.writeBulkString(e.clientID)
	}
}

func cmdSlowlogLen(c *client, args [][]byte) { c.writeInt(int64(c.srv.slow.len())) }

func cmdSlowlogReset(c *client, args [][]byte) {
	c.srv.slow.reset()
	c.writeOK()
}
