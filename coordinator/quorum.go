package coordinator

import "fmt"

// quorum tracks the replies of one replicated operation: it is told of each
// replica's success or failure and says when the operation is decided. It
// has no goroutines and no clock (the caller times out), so its logic is
// tested directly.
type quorum struct {
	need      int // successes that decide success
	pending   int // replicas not yet heard from
	succeeded int
	failed    int
}

func newQuorum(targets, need int) *quorum {
	return &quorum{need: need, pending: targets}
}

// record notes one replica's outcome.
func (q *quorum) record(ok bool) {
	if q.pending == 0 {
		return
	}
	q.pending--
	if ok {
		q.succeeded++
	} else {
		q.failed++
	}
}

// reached reports whether enough replicas succeeded.
func (q *quorum) reached() bool { return q.succeeded >= q.need }

// impossible reports whether too many failed for the quorum to be reached.
func (q *quorum) impossible() bool { return q.succeeded+q.pending < q.need }

// done reports whether the outcome is decided.
func (q *quorum) done() bool { return q.reached() || q.impossible() }

// NoQuorumError is the error a client gets when too few replicas answered in
// time. Its text names how many answered against how many were needed.
type NoQuorumError struct {
	Op       string // "read" or "write"
	Answered int
	Needed   int
	Replicas int
}

func (e *NoQuorumError) Error() string {
	return fmt.Sprintf("%s quorum not reached: %d of %d required replicas answered (%d replicas)", e.Op, e.Answered, e.Needed, e.Replicas)
}

// RedisError is the reply a RESP client sees.
func (e *NoQuorumError) RedisError() string { return "NOQUORUM " + e.Error() }

func (q *quorum) err(op string, replicas int) error {
	return &NoQuorumError{Op: op, Answered: q.succeeded, Needed: q.need, Replicas: replicas}
}
