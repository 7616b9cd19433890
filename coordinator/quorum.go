package coordinator

import (
	"fmt"

	"github.com/dynago/dynago/quorum"
)

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

// noQuorum is the error of an operation that did not reach its quorum.
func noQuorum(op string, n quorum.Counts) error {
	return &NoQuorumError{Op: op, Answered: n.Answered, Needed: n.Required, Replicas: n.Replicas}
}
