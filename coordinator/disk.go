package coordinator

import (
	"context"
	"errors"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/version"
)

// When this node's data directory refuses writes (its disk is full or
// failing, see engine.DiskError), a write it coordinates does not wait:
//
//   - Alone (one replica), the client gets a *DiskRefusedError at once:
//     MISCONF, as Redis answers when it cannot persist.
//   - In a cluster this node's copy counts as a failed replica, like one
//     that is down: the write is still sent to the other replicas (or
//     their stand-ins) and succeeds once W of them hold it; with fewer, the
//     client gets NOQUORUM naming how many answered. A node whose disk
//     refuses writes before the write is decided decides it on a quorum
//     read instead of its own copy, which lacks the writes it refused.
//   - A replica whose store refuses a write sent to it answers with an
//     error, which counts as a failed replica the same way.
//
// Reads go on everywhere: they never touch the disk's free space.

// DiskRefusedError is the error of a write this node's store refused
// because its data directory cannot take writes.
type DiskRefusedError struct{ Err *engine.DiskError }

func (e *DiskRefusedError) Error() string { return e.Err.Error() }
func (e *DiskRefusedError) Unwrap() error { return e.Err }

// RedisError is the reply a RESP client sees: Redis's MISCONF, which it
// answers writes with when it cannot persist them.
func (e *DiskRefusedError) RedisError() string {
	then := "writes are refused until the disk accepts them again, reads still work"
	if e.Err.Restart {
		then = "writes are refused until the node is restarted, reads still work"
	}
	return "MISCONF Dynago cannot write to its data directory (" + e.Err.Reason() + "); " + then
}

// diskRefused maps the engine's disk errors to *DiskRefusedError and
// returns any other error as it is.
func diskRefused(err error) error {
	var de *engine.DiskError
	if errors.As(err, &de) {
		return &DiskRefusedError{Err: de}
	}
	return err
}

// DiskHealth is the state of this node's data directory (INFO, metrics).
func (c *Coordinator) DiskHealth() engine.DiskHealth { return c.eng.DiskHealth() }

// StoreStats are this node's storage figures (engine.Stats).
func (c *Coordinator) StoreStats() engine.Stats { return c.eng.Stats() }

// decideWithoutStore is Update's write when this node's store refused it
// before deciding it: the change is decided on the replicas' merged copy
// (seen, or a quorum read) and sent to the other replicas only; the caller
// counts this replica as failed (the write's local vote). It returns the
// write in flight, nil when there was no write.
func (c *Coordinator) decideWithoutStore(ctx context.Context, key []byte, decide Decide, opt Options, seen *version.Object, owners []string) (version.Object, *writeOp, error) {
	var cur version.Object
	found := false
	if seen != nil {
		cur, found = *seen, true
	} else {
		r, _ := c.quorums(opt)
		merged, ok, err := c.readReplicas(ctx, key, r)
		if err != nil {
			var nq *NoQuorumError
			if errors.As(err, &nq) {
				nq.Op = "write"
			}
			return version.Object{}, nil, err
		}
		cur, found = merged, ok
	}
	// The write is of the newest flush generation this node knows of (the
	// replicas' copies are of it unless a FLUSHALL runs, and this node's
	// store cannot catch up): a copy of an older one predates a FLUSHALL
	// and counts as nothing (see engine/flush.go).
	gen := max(c.eng.Generation(), engine.GenerationOf(cur))
	if engine.GenerationOf(cur) != gen {
		cur, found = version.Object{}, false
	}
	next, write, err := c.change(opt, cur, found, decide)
	if err != nil || !write {
		return cur, nil, diskRefused(err)
	}
	next = engine.WithGeneration(next, gen)
	_, w := c.quorums(opt)
	return next, c.sendToOthers(key, next, owners, w), nil
}
