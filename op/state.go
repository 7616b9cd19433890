package op

import (
	"time"

	"github.com/dynago/dynago/version"
)

// Action is what a Change does to a key.
type Action int

const (
	// Keep leaves the key unchanged.
	Keep Action = iota
	// Put writes a new sibling superseding the versions in Context.
	Put
	// Delete removes the versions in Context, leaving a tombstone if
	// nothing remains.
	Delete
)

// Change is a write's decision about a key, made from the key's State.
type Change struct {
	Action  Action
	Context version.Clock // the versions this change supersedes
	Kind    version.Kind
	Value   []byte
	Expiry  int64 // absolute unix ms; 0 = never
}

// State is what a write sees of its key when it decides a Change: the
// coordinator's copy (merged with a quorum read unless the write is blind),
// the instant it decides at, and the dot the write will carry.
type State struct {
	Object version.Object
	Found  bool
	Now    time.Time
	// Dot is the dot the write will carry. A counter uses its counter as
	// the sequence number of this node's contribution.
	Dot version.Dot
}

// NowMs is the state's clock in unix milliseconds.
func (s *State) NowMs() int64 { return s.Now.UnixMilli() }

// Value resolves the key to the single value a Redis read answers.
func (s *State) Value() (Value, bool, error) { return Resolve(s.Object, s.NowMs()) }

// Put is a Change that replaces every version the state has seen.
func (s *State) Put(kind version.Kind, value []byte, expiry int64) Change {
	return Change{Action: Put, Context: s.Object.Clock, Kind: kind, Value: value, Expiry: expiry}
}

// Delete is a Change that removes every version the state has seen.
func (s *State) Delete() Change { return Change{Action: Delete, Context: s.Object.Clock} }
