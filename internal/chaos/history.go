package chaos

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Kind is the kind of write a client makes.
type Kind int

const (
	// KindSet is a plain SET on a key only one client writes.
	KindSet Kind = iota
	// KindVSet is a VSET with the context of the VGET just before it, on a
	// key two or three clients share.
	KindVSet
	// KindIncr is an INCR of a counter every counter client shares.
	KindIncr
	// KindHSet is an HSET of a field no other write names, in a hash only
	// its client writes; KindHDel an HDEL of one of that client's fields
	// whose HSET was acknowledged.
	KindHSet
	KindHDel
	// KindHIncr is an HINCRBY of 1 of field "n" of a hash every hash
	// client shares: a counter field.
	KindHIncr
	// KindSAdd and KindSRem are KindHSet and KindHDel for a set: an SADD
	// of a member no other write names, an SREM of one whose SADD was
	// acknowledged. A member's value is empty.
	KindSAdd
	KindSRem
	// KindZAdd and KindZRem are KindHSet and KindHDel for a sorted set: a
	// ZADD of a member no other write names, its score the write's Value
	// (an integer), and a ZREM of one whose ZADD was acknowledged.
	KindZAdd
	KindZRem
	// KindZIncr is a ZINCRBY of 1 of member "n" of a sorted set every
	// hash client shares: a convergent score.
	KindZIncr
)

func (k Kind) String() string {
	switch k {
	case KindSet:
		return "SET"
	case KindVSet:
		return "VSET"
	case KindIncr:
		return "INCR"
	case KindHSet:
		return "HSET"
	case KindHDel:
		return "HDEL"
	case KindHIncr:
		return "HINCRBY"
	case KindSAdd:
		return "SADD"
	case KindSRem:
		return "SREM"
	case KindZAdd:
		return "ZADD"
	case KindZRem:
		return "ZREM"
	case KindZIncr:
		return "ZINCRBY"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Outcome is what a client learned about one write attempt.
type Outcome int

const (
	// Acked: the node acknowledged the write; it must never be lost.
	Acked Outcome = iota
	// Failed: the node refused the write before applying it (a syntax
	// error and the like); its value must never appear.
	Failed
	// Indeterminate: NOQUORUM, a timeout or a connection error; the write
	// may or may not have been applied, now or later.
	Indeterminate
)

func (o Outcome) String() string {
	switch o {
	case Acked:
		return "acked"
	case Failed:
		return "failed"
	case Indeterminate:
		return "indeterminate"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Write is one write attempt as its client recorded it.
type Write struct {
	Client int    // the client that made it
	Seq    int    // the client's sequence number of the attempt
	Kind   Kind   // SET, VSET or INCR
	Key    string // the key written
	// Field is the hash field an HSET, HDEL or HINCRBY names.
	Field string `json:",omitempty"`
	// Value is the unique value written (SET and VSET); empty for INCR.
	Value string
	// Saw is, for a VSET, the sibling values of the VGET whose context the
	// VSET carried: exactly the versions it supersedes if applied.
	Saw []string
	// Read is, for a SET the client checked the key before, the sibling
	// values of that VGET (non-nil, maybe empty). It is only a read for the
	// checker: a SET is blind, and supersedes what its coordinator holds.
	Read    []string
	Outcome Outcome
	// Result is an acknowledged INCR's (or HINCRBY's) reply: the counter's
	// value right after the increment; for an HDEL, the fields it removed.
	Result int64
	Err    string // the error text of a failed or indeterminate attempt
	Node   string // the RESP address the client sent it to
	// ReadStart is when the client sent the VGET before the write, if it
	// made one. For a VSET, whose context that read fixed, it is where the
	// write begins in real time (see siblingBound); a SET begins at Start.
	ReadStart time.Time
	Start     time.Time // when the client sent the write itself
	End       time.Time // when the client had its answer (or gave up)
}

func (w Write) String() string {
	s := fmt.Sprintf("%s %s c%d#%d", w.Kind, w.Key, w.Client, w.Seq)
	if w.Value != "" {
		s += " " + w.Value
	}
	if w.Kind == KindVSet {
		s += fmt.Sprintf(" saw=%q", w.Saw)
	}
	if w.Read != nil {
		s += fmt.Sprintf(" read=%q", w.Read)
	}
	s += " " + w.Outcome.String()
	if w.Kind == KindIncr && w.Outcome == Acked {
		s += fmt.Sprintf(" ->%d", w.Result)
	}
	if w.Err != "" {
		s += " (" + w.Err + ")"
	}
	return s + " via " + w.Node
}

// refusals are the error replies of a command rejected while its arguments
// were checked, before anything was stored. Any other error reply (NOQUORUM,
// an ERR from a replica or the engine, ...) may follow a partial write.
var refusals = []string{
	"ERR syntax error",
	"ERR wrong number of arguments",
	"ERR unknown command",
	"ERR invalid context",
	"ERR value is not an integer",
	"ERR string exceeds maximum allowed size",
	"WRONGTYPE",
}

// Classify turns the error of a write attempt into its outcome: nil is an
// acknowledgement; a refusal from argument checking, a failed dial and a
// pool timeout cannot have applied (nothing reached a node); everything
// else (NOQUORUM, timeouts and errors on an open connection, other error
// replies) is indeterminate.
func Classify(err error) Outcome {
	if err == nil {
		return Acked
	}
	var oe *net.OpError
	if (errors.As(err, &oe) && oe.Op == "dial") || errors.Is(err, redis.ErrPoolTimeout) {
		return Failed
	}
	var re redis.Error
	if errors.As(err, &re) && !errors.Is(err, redis.Nil) {
		msg := re.Error()
		for _, r := range refusals {
			if strings.HasPrefix(msg, r) {
				return Failed
			}
		}
	}
	return Indeterminate
}
