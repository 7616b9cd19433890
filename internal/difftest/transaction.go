package difftest

// Transactions in the streams. MULTI starts one: the next few commands are
// queued (drawn from the specs, with an unknown command, a wrong argument
// count, a nested MULTI or a WATCH now and then: the errors Redis answers
// while queuing, which make EXEC answer EXECABORT or not), then EXEC or,
// less often, DISCARD ends it. Runtime errors come from the queued commands
// themselves (a syntax error, INCR of a string). A WATCH usually starts a
// transaction a few commands later, so that the commands in between, the
// stream's own writes, FLUSHALL and expiries, decide whether EXEC aborts.
//
// Not queued: RANDOMKEY, SCAN and DBSIZE, whose replies are checked against
// what the servers hold when the reply arrives (after the whole EXEC, not
// when the command ran), and INCRBYFLOAT, whose float64-counters difference
// is resolved by copying the key's value to Redis after the reply (too late
// for a later command of the same EXEC).

// notQueued are the specs never drawn inside MULTI: the transaction
// commands themselves (nextInMulti sends them) and those above.
var notQueued = map[string]bool{
	"multi": true, "exec": true, "discard": true, "watch": true, "unwatch": true,
	"randomkey": true, "scan": true, "dbsize": true, "incrbyfloat": true,
}

func queueable(s Spec) bool { return !notQueued[s.Name] }

var queueableWeight = func() int {
	n := 0
	for _, s := range Specs {
		if queueable(s) {
			n += s.Weight
		}
	}
	return n
}()

// beginMulti starts a transaction of 0 to 5 queued commands.
func (g *gen) beginMulti() Cmd {
	g.inMulti, g.left = true, g.r.IntN(6)
	return cmd("MULTI")
}

// nextInMulti draws the next command of a transaction.
func (g *gen) nextInMulti() Cmd {
	if g.left == 0 {
		g.inMulti = false
		c := cmd("EXEC")
		if g.chance(0.15) {
			c = cmd("DISCARD")
		}
		return g.vary(c) // EXEC with an argument: EXECABORT, naming the reason
	}
	g.left--
	switch n := g.r.IntN(100); {
	case n < 2:
		return g.unknownCommand()
	case n < 4:
		return g.vary(cmd("MULTI"))
	case n < 6:
		return g.vary(cmd("WATCH", g.keys(1, 2)...))
	case n < 8:
		return g.vary(cmd("UNWATCH"))
	}
	return g.vary(g.spec(queueableWeight, queueable).Gen(g))
}

func (g *gen) watch() Cmd {
	if g.chance(0.8) {
		g.multiAfter = 1 + g.r.IntN(4)
	}
	return cmd("WATCH", g.keys(1, 3)...)
}
