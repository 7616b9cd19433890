// Package quorum decides Dynago's quorum reads and writes of one key: which
// nodes to ask, which stand-ins take the place of owners that are down or
// fail, when the operation is decided and how, and which owners a read
// repairs.
//
// A Read or a Write is a state machine in the style of etcd's raft: it has
// no goroutines, no sockets and no clock. Its caller (the coordinator's
// driver) starts it, sends the Requests it returns, and feeds it each
// node's answer (Reply, Ack, Fail, ...) and, when the operation's time is
// up, Timeout; each event returns the further Requests it causes (a
// stand-in asked in a failed owner's place, a read repair). The caller
// serializes the events of one operation (a mutex) and does the I/O outside
// it. Everything an operation decides is therefore tested as data, with
// scripts of events (testdata/), in milliseconds and the same way every
// time.
//
// The vocabulary is the Dynamo paper's: a key's owners are its preference
// list's first N members; the nodes after them are its fallbacks, which
// stand in for owners that cannot be reached (sloppy quorum) and keep their
// copies as hints until the owner is back (hinted handoff).
package quorum

import "fmt"

// View is what an operation asks of the cluster while it runs: answers
// from memory (gossip's view of the members, the ring), never I/O. They may
// change as the operation goes on; it asks each when it needs to, as the
// coordinator always has.
type View interface {
	// Down reports whether no request can be sent to the node now:
	// gossip believes it unreachable, or its address is unknown.
	Down(name string) bool
	// Fallbacks returns the key's nodes after its owners, in its
	// preference order: its stand-ins. An operation calls it at most once,
	// when it first needs a stand-in (most never do, and the list costs an
	// allocation). It may include this node, which stands in for reads
	// only (see standIns).
	Fallbacks() []string
}

// Kind says what a Request asks for.
type Kind uint8

const (
	// Get asks To for its copy of the key. A stand-in (For is set) answers
	// with its own copy merged with the hints it holds for the key, so a
	// write that reached only stand-ins is still read.
	Get Kind = iota + 1
	// Repair sends the read's merged copy (Read.Merged) to To, an owner
	// that answered with less (read repair).
	Repair
	// Store sends the write to To, an owner, to merge into its copy.
	Store
	// Hint sends the write to To, a stand-in, to keep as a hint for the
	// owner For.
	Hint
	// KeepHint keeps the write on this node as a hint for the owner For: no
	// stand-in could take it. The caller reports when it is done with
	// Write.Kept; the copy never counts toward W.
	KeepHint
)

var kindNames = [...]string{Get: "get", Repair: "repair", Store: "store", Hint: "hint", KeepHint: "keep-hint"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Request is one thing an operation asks its caller to do.
type Request struct {
	Kind Kind
	// To is the node the request goes to; empty for KeepHint (this node).
	To string
	// For is the owner To stands in for (a Get or a Hint of a stand-in),
	// or the owner a KeepHint is kept for; empty when To is an owner
	// itself.
	For string
}

func (r Request) String() string {
	switch {
	case r.To == "":
		return fmt.Sprintf("%s for %s", r.Kind, r.For)
	case r.For == "":
		return fmt.Sprintf("%s %s", r.Kind, r.To)
	}
	return fmt.Sprintf("%s %s for %s", r.Kind, r.To, r.For)
}

// Counts are what a NOQUORUM error reports of an operation.
type Counts struct {
	// Answered is how many copies succeeded: replies a read merged, or
	// durable copies of a write that count toward W.
	Answered int
	// Required is the quorum: R or W, capped at Replicas.
	Required int
	// Replicas is how many owners the key has.
	Replicas int
}

// slot is one vote of an operation: an owner's (or this node's own, for a
// write) and the node that currently answers for it, the owner or a
// stand-in. A slot is resolved once, as a success or a failure.
type slot struct {
	owner string // the owner whose vote this is
	node  string // the node asked for it now: owner, a stand-in, or self for a kept hint; "" before it is asked
	done  bool   // the vote is in
}

// find returns the index of the slot that awaits node's answer, or -1.
// A node answers for at most one slot at a time: stand-ins are handed out
// once each and are never owners.
func find(slots []slot, node string) int {
	if node == "" {
		return -1
	}
	for i := range slots {
		if !slots[i].done && slots[i].node == node {
			return i
		}
	}
	return -1
}

// standIns hands out a key's stand-ins in preference order, each at most
// once, skipping nodes that are down when their turn comes. This node is
// skipped too for a write (its coordinator keeps its own copy, and a hint
// it kept for itself would not count toward W), but not for a read: the
// coordinator of a read may be the very stand-in that holds the hint of a
// write an owner missed, and skipping it would let the next stand-in,
// which holds nothing, answer for that owner.
type standIns struct {
	view   View
	self   string
	selfOK bool     // this node may stand in (reads)
	rest   []string // fallbacks not yet handed out (once listed)
	listed bool     // view.Fallbacks has been asked
}

// take returns the next stand-in, or false when none is left.
func (s *standIns) take() (string, bool) {
	if !s.listed {
		s.rest, s.listed = s.view.Fallbacks(), true
	}
	for len(s.rest) > 0 {
		name := s.rest[0]
		s.rest = s.rest[1:]
		switch {
		case name == s.self:
			if s.selfOK {
				return name, true
			}
		case !s.view.Down(name):
			return name, true
		}
	}
	return "", false
}
