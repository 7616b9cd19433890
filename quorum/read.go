package quorum

import (
	"slices"

	"github.com/dynago/dynago/version"
)

// ReadConfig describes one quorum read of a key.
type ReadConfig struct {
	// Self is this node's name.
	Self string
	// Owners are the key's owners, in preference order.
	Owners []string
	// R is how many owners (or stand-ins in their place) must answer. It
	// is capped at len(Owners), so a ring with fewer members than N still
	// reads.
	R int
	// Strict counts only owners' answers toward R (Riak's PR): a
	// stand-in's answer is merged in, but a read that only stand-ins could
	// answer for fails. By default (sloppy quorum) a stand-in's answer
	// counts in its owner's place.
	Strict bool
	// View says which nodes are down and which stand in for owners.
	View View
}

// Result is a node's answer to a Get.
type Result struct {
	// Object is the node's copy; Found is false when it holds none.
	Object version.Object
	Found  bool
	// Gen is the flush generation the answer speaks for: the copy's own,
	// or, when the node holds none, the node's. A copy older than the
	// newest generation any answer speaks for was made before a FLUSHALL
	// that node has seen, and counts as nothing.
	Gen uint64
}

// Read is one quorum read of a key. Every owner is asked for its copy; an
// owner that is down or fails is replaced by the next stand-in, whose
// answer takes its place. The read is decided once R answers are in, or
// when too many failed for R to be reached, or at Timeout. Once every
// owner's answer (or its last stand-in's failure) is in, the read returns
// a Repair for each owner that answered with less than the merge of all
// answers; stand-ins are never repaired (their hints reach the owner by
// handoff).
//
// When this node is an owner its own copy is read first: the others are
// sent its digest and answer "same" instead of their copy when they agree.
// So Start returns only that Get, and the event that answers it (Reply or
// Fail from Self) returns the others.
//
// Events from a node the read is not waiting for are ignored.
type Read struct {
	self   string
	owners []string
	stand  standIns
	need   int  // answers that decide success: min(R, len(owners))
	strict bool // only owners' answers count (ReadConfig.Strict)

	// Invariant: answered + failed + pending == len(slots), and
	// pending == the slots not done.
	slots    []slot // one per owner, in owners' order
	pending  int
	answered int
	failed   int
	asked    bool // the owners other than Self have been asked
	timedOut bool
	got      []reply // the answers, in the order they came

	// Room for a key of up to three owners (the usual N), so that a read
	// allocates little beyond itself.
	slotBuf  [3]slot
	gotBuf   [3]reply
	startBuf [1]Request
}

// reply is one answer a read merges.
type reply struct {
	name    string
	res     Result
	standIn bool
}

// NewRead returns a read of one key; Start begins it.
func NewRead(cfg ReadConfig) *Read {
	r := &Read{
		self:   cfg.Self,
		owners: cfg.Owners,
		stand:  standIns{view: cfg.View, self: cfg.Self, selfOK: true},
		need:   min(cfg.R, len(cfg.Owners)),
		strict: cfg.Strict,
	}
	r.slots, r.got = r.slotBuf[:0], r.gotBuf[:0]
	r.slots = slices.Grow(r.slots, len(cfg.Owners))[:len(cfg.Owners)]
	r.got = slices.Grow(r.got, len(cfg.Owners))
	for i, o := range cfg.Owners {
		r.slots[i].owner = o
		if o == cfg.Self {
			r.slots[i].node = o // asked by Start
		}
	}
	r.pending = len(r.slots)
	return r
}

// Start returns the read's first requests: this node's own Get if it is an
// owner, else a Get to every owner (a stand-in's to an owner that is down).
func (r *Read) Start() []Request {
	if slices.Contains(r.owners, r.self) {
		r.startBuf[0] = Request{Kind: Get, To: r.self}
		return r.startBuf[:1:1]
	}
	return r.askOthers(nil)
}

// askOthers asks every owner but this node, or a stand-in for one that is
// down.
func (r *Read) askOthers(out []Request) []Request {
	r.asked = true
	out = slices.Grow(out, len(r.slots))
	for i := range r.slots {
		s := &r.slots[i]
		if s.owner == r.self {
			continue
		}
		if r.stand.view.Down(s.owner) {
			out = r.replace(i, out)
			continue
		}
		s.node = s.owner
		out = append(out, Request{Kind: Get, To: s.owner})
	}
	return out
}

// Reply takes from's answer and returns the requests it causes.
func (r *Read) Reply(from string, res Result) []Request {
	i := find(r.slots, from)
	if i < 0 {
		return nil
	}
	s := &r.slots[i]
	s.done = true
	r.pending--
	standIn := from != s.owner
	if standIn && r.strict {
		r.failed++ // merged in below, but no vote
	} else {
		r.answered++
	}
	r.got = append(r.got, reply{name: from, res: res, standIn: standIn})
	var out []Request
	if !r.asked && from == r.self {
		out = r.askOthers(out)
	}
	return r.appendRepairs(out)
}

// Fail takes word that from could not answer (it is unreachable, its
// request timed out, its store failed) and returns the requests it causes:
// a Get to the next stand-in in its place, if any is left.
func (r *Read) Fail(from string) []Request {
	i := find(r.slots, from)
	if i < 0 {
		return nil
	}
	out := r.replace(i, nil)
	if !r.asked && from == r.self {
		out = r.askOthers(out)
	}
	return out
}

// replace asks the next stand-in for slot i, or, when none is left,
// resolves the slot as failed.
func (r *Read) replace(i int, out []Request) []Request {
	s := &r.slots[i]
	if name, ok := r.stand.take(); ok {
		s.node = name
		return append(out, Request{Kind: Get, To: name, For: s.owner})
	}
	s.done = true
	r.pending--
	r.failed++
	return r.appendRepairs(out)
}

// Timeout says the read's time is up: it is decided as the answers stand.
// Answers that come later still count toward read repair.
func (r *Read) Timeout() { r.timedOut = true }

// Decided reports whether the read's outcome is known: R answered, or too
// many failed for R to be reached, or its time is up.
func (r *Read) Decided() bool {
	return r.Reached() || r.answered+r.pending < r.need || r.timedOut
}

// Reached reports whether R nodes answered: Merged is the read's answer.
// Otherwise the read failed for want of a quorum (NOQUORUM).
func (r *Read) Reached() bool { return r.answered >= r.need }

// Complete reports whether every owner's answer, or its last stand-in's
// failure, is in.
func (r *Read) Complete() bool { return r.pending == 0 }

// Counts are the read's answers so far against its quorum.
func (r *Read) Counts() Counts {
	return Counts{Answered: r.answered, Required: r.need, Replicas: len(r.owners)}
}

// Merged is the merge of the answers so far; found is false when none
// holds a copy. A copy older than the newest flush generation an answer
// speaks for counts as nothing (see Result.Gen); while no FLUSHALL runs,
// every answer is of the same generation.
func (r *Read) Merged() (merged version.Object, found bool) { return mergeReplies(r.got) }

func mergeReplies(got []reply) (version.Object, bool) {
	var gen uint64
	for i := range got {
		gen = max(gen, got[i].res.Gen)
	}
	var merged version.Object
	found := false
	for i := range got {
		switch r := &got[i].res; {
		case !r.Found:
		case gen != 0 && r.Gen != gen:
		case !found:
			merged, found = r.Object, true
		case !r.Object.Equal(merged): // nodes usually agree: merge only when they do not
			merged = version.Merge(merged, r.Object)
		}
	}
	return merged, found
}

// appendRepairs appends, once the read is complete, a Repair for each
// owner that answered with less than the merge.
func (r *Read) appendRepairs(out []Request) []Request {
	if r.pending != 0 || len(r.got) == 0 {
		return out
	}
	first := &r.got[0].res
	same := first.Found
	for i := 1; same && i < len(r.got); i++ {
		same = r.got[i].res.Found && r.got[i].res.Object.Equal(first.Object)
	}
	if same {
		return out // the usual case: every node holds the same
	}
	merged, found := mergeReplies(r.got)
	if !found {
		return out
	}
	for _, g := range r.got {
		if !g.standIn && (!g.res.Found || !g.res.Object.Equal(merged)) {
			out = append(out, Request{Kind: Repair, To: g.name})
		}
	}
	return out
}
