package resp

import (
	"sync/atomic"
)

// Transactions, as Redis has them: MULTI starts queuing a connection's
// commands, EXEC runs them one after the other (exec.go) and answers an
// array of their replies, DISCARD drops them. WATCH makes the next EXEC
// answer a null reply, running nothing, if a watched key changed since
// (watch.go).
//
// This file is the queuing side: a session's transaction state (txn), the
// checks a command passes before it is queued, and MULTI, DISCARD, WATCH and
// UNWATCH. A command that fails those checks (unknown, wrong arity, unknown
// subcommand, not authenticated) is answered with its error at once and makes
// EXEC answer EXECABORT, running nothing. Errors a command finds when it runs
// (a syntax error, a value that is not an integer, NOQUORUM) take that
// command's place in EXEC's array, and the other commands still run.

// Redis's replies for transactions.
const (
	errNestedMulti    = "ERR MULTI calls can not be nested"
	errExecNoMulti    = "ERR EXEC without MULTI"
	errDiscardNoMulti = "ERR DISCARD without MULTI"
	errWatchInMulti   = "ERR WATCH inside MULTI is not allowed"
	// errNoMulti refuses a command flagged noMulti (SHUTDOWN) inside MULTI.
	errNoMulti       = "ERR Command not allowed inside a transaction"
	errExecAbort     = "EXECABORT Transaction discarded because of previous errors."
	execAbortBecause = "EXECABORT Transaction discarded because of: "
)

// errQueueLimit refuses a command that would make the queued commands of a
// transaction larger than one request may be (Limits.QueryBufferLimit):
// Redis bounds a transaction only by memory, Dynago bounds what one client
// can make it hold.
const errQueueLimit = "ERR the commands queued after MULTI exceed client-query-buffer-limit; " +
	"the transaction will be discarded"

func init() {
	ls, nm, f, ns, busy := "loading", "stale", "fast", "noscript", "allow_busy"
	g := "transactions"
	register(
		&Command{Name: "multi", Arity: 1, Flags: []string{ns, ls, nm, f, busy}, Group: g, Since: "1.2.0", Summary: "Starts a transaction.", Handler: cmdMulti},
		&Command{Name: "exec", Arity: 1, Flags: []string{ns, ls, nm, "skip_slowlog"}, Group: g, Since: "1.2.0", Summary: "Executes all commands in a transaction.", Handler: cmdExec},
		&Command{Name: "discard", Arity: 1, Flags: []string{ns, ls, nm, f, busy}, Group: g, Since: "2.0.0", Summary: "Discards a transaction.", Handler: cmdDiscard},
		&Command{Name: "watch", Arity: -2, Flags: []string{ns, ls, nm, f, busy}, FirstKey: 1, LastKey: -1, Step: 1, Group: g, Since: "2.2.0", Summary: "Monitors changes to keys to determine the execution of a transaction.", Handler: cmdWatch},
		&Command{Name: "unwatch", Arity: 1, Flags: []string{ns, ls, nm, f, busy}, Group: g, Since: "2.2.0", Summary: "Forgets about watched keys of a transaction.", Handler: cmdUnwatch},
	)
	execCommand = commandIndex["exec"]
}

// execCommand is EXEC's entry in the command table: it takes the server's
// gate itself (see Server.run).
var execCommand *Command

// txn is one connection's transaction state: whether it is inside MULTI,
// the commands queued since, and the keys WATCH watches. Only the goroutine
// running the connection's commands in order changes it (a pipeline that
// touches it runs in order: see runWaves); multi and touched are also read
// or set from other connections.
type txn struct {
	active bool        // between MULTI and EXEC or DISCARD
	failed bool        // a command was refused while queuing: EXEC answers EXECABORT
	queue  []queuedCmd // in the order they came
	size   int64       // bytes of the queued arguments

	watched []watchedKey // in WATCH order, each key once (see watch.go)

	// touched is set when a write to a watched key is decided through
	// this node (watchers.touch): EXEC then aborts, even if the key looks
	// as it did at WATCH (a key created and deleted again on a lone node
	// leaves no trace in its context).
	touched atomic.Bool
	// multi is the number of queued commands plus one inside MULTI and
	// while EXEC runs them, 0 otherwise (CLIENT LIST's multi= field, read
	// by other connections).
	multi atomic.Int32
}

// queuedCmd is a command queued for EXEC, with a copy of its arguments
// (the connection's read buffer they came in is reused).
type queuedCmd struct {
	args [][]byte
	cmd  *Command
}

// begin enters MULTI.
func (t *txn) begin() {
	t.active, t.failed, t.queue, t.size = true, false, nil, 0
	t.multi.Store(1)
}

// refuse notes that a command was refused while queuing: EXEC will answer
// EXECABORT. Outside MULTI it does nothing.
func (t *txn) refuse() {
	if t.active {
		t.failed = true
	}
}

// add queues a command; false if the transaction would grow past limit
// bytes (the transaction is then marked failed).
func (t *txn) add(args [][]byte, cmd *Command, limit int64) bool {
	n := int64(0)
	for _, a := range args {
		n += int64(len(a))
	}
	if t.size+n > limit {
		t.failed = true
		return false
	}
	t.size += n
	t.queue = append(t.queue, queuedCmd{args: copyArgs(args), cmd: cmd})
	t.multi.Add(1)
	return true
}

// end leaves MULTI and returns what was queued and whether the transaction
// failed while queuing.
func (t *txn) end() (queue []queuedCmd, failed bool) {
	queue, failed = t.queue, t.failed
	t.active, t.failed, t.queue, t.size = false, false, nil, 0
	t.multi.Store(0)
	return queue, failed
}

// copyArgs copies args into one allocation.
func copyArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	return out
}

// runsInMulti reports whether cmd runs at once inside MULTI instead of
// being queued, as in Redis: the commands that end or shape the
// transaction, QUIT and RESET.
func runsInMulti(cmd *Command) bool {
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// subcommandError is the error Redis answers, before running or queuing
// anything, for a container command (CLIENT, CONFIG, ...) naming an unknown
// subcommand or giving a subcommand the wrong number of arguments; "" if
// none. Outside MULTI the container's handler answers the same (dispatchSub).
func subcommandError(cmd *Command, args [][]byte) string {
	if len(cmd.Subcommands) == 0 || len(args) < 2 {
		return ""
	}
	sub := cmd.subcommand(args[1])
	if sub == nil {
		return "ERR unknown subcommand '" + truncate(cString(args[1]), 128) + "'. Try " + upper(cmd.Name) + " HELP."
	}
	if !sub.arityOK(len(args)) {
		return errArity(sub.Name)
	}
	return ""
}

// queue queues a command that passed the checks Redis makes before queuing
// (see Server.run) and answers QUEUED; false if the transaction has grown
// too large (it then fails at EXEC).
func (c *client) queue(args [][]byte, cmd *Command) bool {
	if !c.tx.add(args, cmd, c.srv.cfg.Limits.QueryBufferLimit) {
		c.writeError(errQueueLimit)
		return false
	}
	c.writeStatus("QUEUED")
	return true
}

// execAbort answers EXEC refused before it ran (wrong arity, not
// authenticated): Redis ends
// the transaction (and forgets the watched keys, inside MULTI or not) and
// names the reason after EXECABORT.
func (c *client) execAbort(msg string) {
	c.tx.end()
	c.unwatchAll()
	if len(msg) > 4 && msg[:4] == "ERR " {
		msg = msg[4:]
	}
	c.writeError(execAbortBecause + msg)
}

func cmdMulti(c *client, args [][]byte) {
	if c.tx.active {
		c.writeError(errNestedMulti)
		return
	}
	c.tx.begin()
	c.writeOK()
}

func cmdDiscard(c *client, args [][]byte) {
	if !c.tx.active {
		c.writeError(errDiscardNoMulti)
		return
	}
	c.tx.end()
	c.unwatchAll()
	c.writeOK()
}

func cmdExec(c *client, args [][]byte) {
	if !c.tx.active {
		c.writeError(errExecNoMulti)
		return
	}
	queue, failed := c.tx.end()
	if failed {
		c.unwatchAll()
		c.writeError(errExecAbort)
		return
	}
	c.srv.runTransaction(c, queue)
}

func cmdWatch(c *client, args [][]byte) {
	if c.tx.active {
		c.writeError(errWatchInMulti)
		return
	}
	if err := c.watch(args[1:]); err != nil {
		c.writeErr(err)
		return
	}
	c.writeOK()
}

// cmdUnwatch forgets the watched keys. Inside MULTI it is queued, and so
// runs after EXEC has checked them: it changes nothing then.
func cmdUnwatch(c *client, args [][]byte) {
	c.unwatchAll()
	c.writeOK()
}
