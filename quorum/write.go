package quorum

import "slices"

// WriteConfig describes one quorum write of a new object of a key.
type WriteConfig struct {
	// Self is this node's name. It coordinates the write and stores it
	// itself (Write.Local), whether or not it is an owner: a forwarded
	// write may run on a node whose ring view leaves it out.
	Self string
	// Owners are the key's owners, in preference order.
	Owners []string
	// W is how many durable copies the write needs; capped at len(Owners).
	W int
	// Strict counts only owners' copies toward W (like Riak's PW); by
	// default a stand-in's hint counts too (sloppy quorum).
	Strict bool
	// View says which nodes are down and which stand in for owners.
	View View
}

// Write is one quorum write. Its votes are this node's own store
// (Local) and one per other owner: the owner's store, or, when the owner
// is down or its store fails, a stand-in's hint for it (hinted handoff).
// A stand-in that fails is replaced by the next; when none is left this
// node keeps the hint itself (KeepHint), and that vote fails: the owner
// still gets the write when it is back, but it is not a copy elsewhere.
//
// The write is decided once W votes succeeded, or, when W has become
// impossible, once this node's own vote is in too (it is quick, and so a
// NOQUORUM error counts every copy that was made), or at Timeout. A vote's
// store or hint goes on after the write is decided: every owner gets its
// copy, or a stand-in its hint, whatever the client was answered.
//
// Events from a node the write is not waiting for are ignored.
type Write struct {
	self   string
	strict bool
	stand  standIns
	need   int // votes that decide success: min(W, len(owners))
	owners int

	// Invariant: stored + failed + pending == len(slots) + 1 (this
	// node's vote), and pending counts the votes not in.
	slots    []slot // one per owner other than Self, in owners' order
	pending  int
	stored   int
	failed   int
	localIn  bool // this node's vote is in
	timedOut bool

	slotBuf [2]slot // room for a key of three owners (the usual N)
}

// NewWrite returns a write of one object; Start begins it.
func NewWrite(cfg WriteConfig) *Write {
	w := &Write{
		self:   cfg.Self,
		strict: cfg.Strict,
		stand:  standIns{view: cfg.View, self: cfg.Self},
		need:   min(cfg.W, len(cfg.Owners)),
		owners: len(cfg.Owners),
	}
	w.slots = slices.Grow(w.slotBuf[:0], len(cfg.Owners))
	for _, o := range cfg.Owners {
		if o != cfg.Self {
			w.slots = append(w.slots, slot{owner: o}) // asked by Start
		}
	}
	w.pending = len(w.slots) + 1
	return w
}

// Start returns the write's first requests: a Store to every other owner,
// or, for one that is down, a Hint to a stand-in (or a KeepHint).
func (w *Write) Start() []Request {
	out := make([]Request, 0, len(w.slots))
	for i := range w.slots {
		s := &w.slots[i]
		if w.stand.view.Down(s.owner) {
			out = w.handOff(i, out)
			continue
		}
		s.node = s.owner
		out = append(out, Request{Kind: Store, To: s.owner})
	}
	return out
}

// handOff sends slot i's copy to the next stand-in, or keeps it here as a
// hint when none is left.
func (w *Write) handOff(i int, out []Request) []Request {
	s := &w.slots[i]
	if name, ok := w.stand.take(); ok {
		s.node = name
		return append(out, Request{Kind: Hint, To: name, For: s.owner})
	}
	s.node = w.self
	return append(out, Request{Kind: KeepHint, For: s.owner})
}

// Ack takes word that from stored its copy durably: an owner's store, or a
// stand-in's hint, which counts toward W unless the write is strict.
func (w *Write) Ack(from string) {
	i := find(w.slots, from)
	if i < 0 || from == w.self {
		return
	}
	s := &w.slots[i]
	w.resolve(i, from == s.owner || !w.strict)
}

// Dropped takes word that from answered but did not keep the copy: it has
// seen a FLUSHALL the write predates. The vote fails, and no stand-in is
// tried: it would drop it too.
func (w *Write) Dropped(from string) {
	if i := find(w.slots, from); i >= 0 && from != w.self {
		w.resolve(i, false)
	}
}

// Fail takes word that from could not store its copy (it is unreachable,
// the request timed out, its store failed) and returns the request it
// causes: a Hint to the next stand-in, or a KeepHint.
func (w *Write) Fail(from string) []Request {
	i := find(w.slots, from)
	if i < 0 || from == w.self {
		return nil
	}
	return w.handOff(i, nil)
}

// Kept takes word that this node has kept (or failed to keep) the hint
// for owner that a KeepHint asked for. The vote fails either way.
func (w *Write) Kept(owner string) {
	for i := range w.slots {
		if s := &w.slots[i]; !s.done && s.owner == owner && s.node == w.self {
			w.resolve(i, false)
			return
		}
	}
}

// Local takes this node's own vote: whether its store of the write is
// durable. Only the first counts.
func (w *Write) Local(ok bool) {
	if w.localIn {
		return
	}
	w.localIn = true
	w.vote(ok)
}

// Timeout says the write's time is up: it is decided as the votes stand.
func (w *Write) Timeout() { w.timedOut = true }

func (w *Write) resolve(i int, ok bool) {
	w.slots[i].done = true
	w.vote(ok)
}

func (w *Write) vote(ok bool) {
	w.pending--
	if ok {
		w.stored++
	} else {
		w.failed++
	}
}

// Decided reports whether the write's outcome is known: W votes
// succeeded; or W is impossible and this node's own vote is in; or its
// time is up.
func (w *Write) Decided() bool {
	return w.Reached() || w.stored+w.pending < w.need && w.localIn || w.timedOut
}

// Reached reports whether W votes succeeded: the write is acknowledged.
// Otherwise it failed for want of a quorum (NOQUORUM); its copies are not
// undone.
func (w *Write) Reached() bool { return w.stored >= w.need }

// Complete reports whether every vote is in.
func (w *Write) Complete() bool { return w.pending == 0 }

// Counts are the write's durable copies so far against its quorum.
func (w *Write) Counts() Counts {
	return Counts{Answered: w.stored, Required: w.need, Replicas: w.owners}
}
