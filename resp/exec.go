package resp

import (
	"log/slog"
	"slices"
	"sync"

	"github.com/dynago/dynago/coordinator"
)

// EXEC's runner: it checks the watched keys, then runs the queued commands
// one after the other, each through exec as if the client had sent it then
// (its writes routed to their keys' coordinators, counted, timed,
// slow-logged, a panic contained), their replies together
// as one array. An error a command answers takes its place in the array;
// the commands after it still run. Nothing is rolled back, as in Redis.
//
// Isolation depends on where the keys live:
//
//   - On a node alone in its ring (every key's only replica) no other
//     client's command runs during an EXEC. Every command holds the read
//     side of the server's gate while it runs; EXEC holds the write side
//     from its check of the watched keys to its last command, so the check
//     and the commands see, and leave, the keys as no one else does in
//     between. The gate costs every command one uncontended RLock.
//   - In a cluster nothing can stop the other nodes' clients: a key is
//     written through any of its owners. EXEC takes no gate; its commands
//     run in order, each like a plain command on its key's coordinator,
//     and other clients' commands may run between them. What EXEC does
//     serialize is itself: EXECs through one node that share a key
//     (watched, or named by a queued command) run one after the other
//     (keyLocks), so optimistic-locking loops whose clients use the same
//     node cannot both pass the watch check and both write.

// txStripes is the number of key locks EXECs take in a cluster.
const txStripes = 256

// keyLocks serializes, in a cluster, the EXECs through this node that
// share a key: each locks the stripes of its keys, in order.
type keyLocks struct {
	mu [txStripes]sync.Mutex
}

func stripeOf(key []byte) int {
	h := uint32(2166136261) // FNV-1a
	for _, b := range key {
		h ^= uint32(b)
		h *= 16777619
	}
	return int(h % txStripes)
}

// lock locks the stripes of keys and returns the function that unlocks them.
func (l *keyLocks) lock(keys [][]byte) (unlock func()) {
	stripes := make([]int, 0, len(keys))
	for _, k := range keys {
		stripes = append(stripes, stripeOf(k))
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	for _, i := range stripes {
		l.mu[i].Lock()
	}
	return func() {
		for _, i := range stripes {
			l.mu[i].Unlock()
		}
	}
}

// transactionKeys are the keys a transaction watches or its commands name.
func transactionKeys(watched []watchedKey, queue []queuedCmd) [][]byte {
	var keys [][]byte
	for _, w := range watched {
		keys = append(keys, []byte(w.key))
	}
	for _, q := range queue {
		q.cmd.eachKey(q.args, func(k []byte) { keys = append(keys, k) })
	}
	return keys
}

// runTransaction runs EXEC for c, whose transaction queued queue.
func (s *Server) runTransaction(c *client, queue []queuedCmd) {
	lone := !s.coord.Distributed()
	var unlock func()
	if lone {
		s.gate.Lock()
		unlock = s.gate.Unlock
	} else {
		unlock = s.txKeys.lock(transactionKeys(c.tx.watched, queue))
	}
	held := true
	release := func() {
		if held {
			held = false
			unlock()
		}
	}
	defer release()

	// Time stands still for the whole transaction, as in Redis: the
	// watch check and every queued command see the same instant.
	c.at = s.cfg.Now()
	if lone {
		defer s.coord.HoldExpiry()()
	}
	changed, err := c.watchesChanged()
	c.unwatchAll()
	switch {
	case err != nil:
		c.writeErr(err)
		return
	case changed:
		c.writeNullArray()
		return
	}
	// On a lone node the transaction's writes commit without waiting for
	// the disk, and one fsync covers them all before the reply leaves.
	var deferred *coordinator.DeferredSync
	if lone {
		deferred = s.coord.DeferSync()
	}
	mark := len(c.out.Buffer())
	c.writeArray(len(queue))
	c.tx.multi.Store(int32(len(queue) + 1)) // CLIENT LIST shows the transaction while it runs, as Redis does
	for _, q := range queue {
		s.exec(&client{session: c.session, out: c.out, ctx: c.ctx, at: c.at, sync: deferred, inExec: true, gateHeld: lone}, q.args, q.cmd)
	}
	c.tx.multi.Store(0)
	release()
	if deferred == nil {
		return
	}
	if err := deferred.Sync(); err != nil {
		// Not acknowledged: the array goes, the client gets the error,
		// and the connection closes, as for a pipeline whose sync failed.
		slog.Error("cannot sync a transaction's writes; answering an error and closing the connection", "err", err)
		if buf := c.out.Buffer(); len(buf) >= mark {
			c.out.SetBuffer(buf[:mark])
		}
		c.writeErr(err)
		c.poisoned.Store(true)
	}
}
