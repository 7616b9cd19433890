package quorum

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dynago/dynago/version"
)

// The state machines are checked against a naive model on random clusters
// (STYLE.md section 7): random owners, stand-ins, down nodes, answers and
// failures, fed in a random order with stray events mixed in. The model
// counts votes plainly from the events it fed, predicts the final outcome
// from a closed formula (stand-ins are handed out in order, so the ones
// used are a prefix of the live fallbacks whatever the interleaving), and
// merges every copy with version.Merge, without the "merge only when
// different" shortcut.

// world is one random cluster as an operation sees it.
type world struct {
	self      string
	owners    []string
	fallbacks []string
	down      map[string]bool
}

func (w *world) Down(name string) bool { return w.down[name] }
func (w *world) Fallbacks() []string   { return slices.Clone(w.fallbacks) }

// live reports whether name can stand in for a write: up, and not this
// node.
func (w *world) live(name string) bool { return name != w.self && !w.down[name] }

// liveFor reports whether name can stand in for a read (selfOK) or a
// write: a read's own node stands in, whether or not it is down.
func (w *world) liveFor(name string, selfOK bool) bool {
	return w.live(name) || selfOK && name == w.self
}

func randomWorld(rng *rand.Rand) *world {
	w := &world{down: map[string]bool{}}
	for i := range 1 + rng.IntN(4) {
		w.owners = append(w.owners, string(rune('a'+i)))
	}
	for i := range rng.IntN(5) {
		w.fallbacks = append(w.fallbacks, string(rune('m'+i)))
	}
	w.self = "x"
	switch rng.IntN(3) {
	case 0, 1:
		w.self = w.owners[rng.IntN(len(w.owners))]
	default:
		// Not an owner (a read anywhere, a forwarded write): this node
		// may be among the fallbacks, and never stands in.
		if rng.IntN(2) == 0 {
			at := rng.IntN(len(w.fallbacks) + 1)
			w.fallbacks = slices.Insert(w.fallbacks, at, w.self)
		}
	}
	for _, n := range append(slices.Clone(w.owners), w.fallbacks...) {
		if n != w.self && rng.IntN(4) == 0 {
			w.down[n] = true
		}
	}
	return w
}

// stand is the model's record of the stand-ins handed out: a prefix of the
// fallbacks, in order.
type stand struct {
	w      *world
	selfOK bool // this node stands in (reads)
	next   int  // fallbacks[:next] have been handed out or skipped
}

// expect is the stand-in that must be handed out next ("" if none is left).
func (s *stand) expect() string {
	for _, n := range s.w.fallbacks[s.next:] {
		if s.w.liveFor(n, s.selfOK) {
			return n
		}
	}
	return ""
}

// take checks that name is the stand-in due next and records it.
func (s *stand) take(t *testing.T, name string) {
	t.Helper()
	if want := s.expect(); name != want {
		t.Fatalf("stand-in %q handed out, want %q (fallbacks %v, down %v)", name, want, s.w.fallbacks, s.w.down)
	}
	s.next = slices.Index(s.w.fallbacks, name) + 1
}

// randomObjects returns a few versions of one key that share history, as
// replicas' copies do: each is an update (a write or a delete) of an
// earlier one or of nothing, with a context that saw all or none of it.
func randomObjects(rng *rand.Rand) []version.Object {
	counters := map[uint64]uint64{}
	objs := []version.Object{{}}
	for range 2 + rng.IntN(5) {
		base := objs[rng.IntN(len(objs))]
		var ctx version.Clock
		if rng.IntN(3) > 0 {
			ctx = base.Clock
		}
		actor := version.Actor{Node: uint64('p' + rng.IntN(3))}
		counters[actor.Node]++
		dot := version.Dot{Actor: actor, Counter: counters[actor.Node]}
		var s *version.Sibling
		if rng.IntN(6) > 0 {
			s = &version.Sibling{Value: fmt.Appendf(nil, "v%d", len(objs))}
		}
		objs = append(objs, base.Update(ctx, dot, s))
	}
	return objs[1:]
}

// randomResult is one node's answer: a copy from objs (carrying its
// generation, as a stored object does) or none (of the node's generation).
func randomResult(rng *rand.Rand, objs []version.Object, gens []uint64) Result {
	if rng.IntN(4) == 0 {
		return Result{Gen: gens[rng.IntN(len(gens))]}
	}
	i := rng.IntN(len(objs))
	return Result{Object: objs[i], Found: true, Gen: gens[i]}
}

func TestReadAgainstModel(t *testing.T) {
	for seed := range uint64(3000) {
		t.Run("", func(t *testing.T) {
			checkRead(t, rand.New(rand.NewPCG(seed, 1)))
		})
		if t.Failed() {
			t.Fatalf("seed %d", seed)
		}
	}
}

func checkRead(t *testing.T, rng *rand.Rand) {
	w := randomWorld(rng)
	objs := randomObjects(rng)
	gens := make([]uint64, len(objs))
	if rng.IntN(4) == 0 { // a FLUSHALL in the copies' past
		for i := range gens {
			gens[i] = uint64(rng.IntN(3))
		}
	}
	fails := map[string]bool{}
	results := map[string]Result{}
	for _, n := range append(slices.Clone(w.owners), append(w.fallbacks, w.self)...) {
		fails[n] = rng.IntN(4) == 0
		results[n] = randomResult(rng, objs, gens)
	}
	r := 1 + rng.IntN(len(w.owners)+1)
	need := min(r, len(w.owners))
	strict := rng.IntN(3) == 0
	m := NewRead(ReadConfig{Self: w.self, Owners: w.owners, R: r, Strict: strict, View: w})

	// The model: the nodes asked and not yet heard from (and the owner each
	// answers for), each owner's fate, the answers in the order they came.
	st := stand{w: w, selfOK: true}
	outstanding := map[string]string{}
	asked := map[string]bool{}
	fate := map[string]string{} // owner -> "asked", "answered" or "failed"
	var got []reply
	var repairs []string
	timedOut := false

	accept := func(event string, reqs []Request, start bool) {
		t.Helper()
		for _, q := range reqs {
			switch {
			case q.Kind == Repair:
				repairs = append(repairs, q.To)
				continue
			case q.Kind != Get:
				t.Fatalf("%s: a read asked for %v", event, q)
			case asked[q.To]:
				t.Fatalf("%s: %s asked twice", event, q.To)
			case q.To == w.self && !start && q.For == "":
				t.Fatalf("%s: this node asked after the start, not as a stand-in", event)
			case q.For != "":
				st.take(t, q.To)
				outstanding[q.To] = q.For
			case !slices.Contains(w.owners, q.To) || w.down[q.To]:
				t.Fatalf("%s: asked %s, not a live owner", event, q.To)
			default:
				outstanding[q.To] = q.To
			}
			asked[q.To] = true
			fate[outstanding[q.To]] = "asked"
		}
		if len(repairs) > 0 && !m.Complete() {
			t.Fatalf("%s: repairs %v before every answer is in", event, repairs)
		}
	}
	// othersAsked checks that every owner is accounted for once the
	// others have been asked: asked, or down with no stand-in left.
	othersAsked := func(event string) {
		t.Helper()
		for _, o := range w.owners {
			if fate[o] != "" {
				continue
			}
			if st.expect() != "" {
				t.Fatalf("%s: owner %s neither asked nor replaced, with stand-ins left", event, o)
			}
			fate[o] = "failed"
		}
	}
	check := func(event string) {
		t.Helper()
		answered, failed := 0, 0
		for _, f := range fate {
			answered += b2i(f == "answered")
			failed += b2i(f == "failed")
		}
		pending := len(w.owners) - answered - failed
		decided := answered >= need || answered+pending < need || timedOut
		if m.Decided() != decided || m.Reached() != (answered >= need) || m.Complete() != (pending == 0) {
			t.Fatalf("%s: decided %v reached %v complete %v; model %v %v %v", event,
				m.Decided(), m.Reached(), m.Complete(), decided, answered >= need, pending == 0)
		}
		if c := m.Counts(); c != (Counts{Answered: answered, Required: need, Replicas: len(w.owners)}) {
			t.Fatalf("%s: counts %+v, model answered %d of %d", event, c, answered, need)
		}
	}

	selfOwner := slices.Contains(w.owners, w.self)
	accept("start", m.Start(), true)
	if !selfOwner {
		othersAsked("start")
	}
	check("start")
	for len(outstanding) > 0 {
		if rng.IntN(20) == 0 {
			m.Timeout()
			timedOut = true
			check("timeout")
		}
		if rng.IntN(5) == 0 { // a stray event: nothing changes
			stray := string(rune('a' + rng.IntN(26)))
			if _, ok := outstanding[stray]; !ok {
				before := m.Counts()
				var reqs []Request
				if rng.IntN(2) == 0 {
					reqs = m.Reply(stray, results[stray])
				} else {
					reqs = m.Fail(stray)
				}
				if len(reqs) != 0 || m.Counts() != before {
					t.Fatalf("stray event from %s: %v, counts %+v -> %+v", stray, reqs, before, m.Counts())
				}
			}
		}
		nodes := slices.Sorted(maps.Keys(outstanding))
		n := nodes[rng.IntN(len(nodes))]
		owner := outstanding[n]
		delete(outstanding, n)
		event := "reply " + n
		var reqs []Request
		if fails[n] {
			event = "fail " + n
			fate[owner] = "failed" // unless a stand-in takes its place
			reqs = m.Fail(n)
			if !slices.ContainsFunc(reqs, func(q Request) bool { return q.Kind == Get && q.For == owner }) && st.expect() != "" {
				t.Fatalf("%s: no stand-in for %s, with stand-ins left", event, owner)
			}
		} else {
			fate[owner] = "answered"
			if strict && n != owner {
				fate[owner] = "failed" // a stand-in's answer is merged, but no vote
			}
			reqs = m.Reply(n, results[n])
			got = append(got, reply{name: n, res: results[n], standIn: n != owner})
		}
		accept(event, reqs, false)
		if n == w.self {
			othersAsked(event)
		}
		check(event)
	}

	// The final outcome, order aside: the owners that answered, plus as
	// many stand-ins as there were failed owners and good stand-ins.
	okOwners, goodStandIns := 0, 0
	for _, o := range w.owners {
		okOwners += b2i(!fails[o] && (o == w.self || !w.down[o]))
	}
	for _, n := range w.fallbacks {
		goodStandIns += b2i(w.liveFor(n, true) && !fails[n])
	}
	if strict {
		goodStandIns = 0
	}
	if want := okOwners + min(len(w.owners)-okOwners, goodStandIns); m.Counts().Answered != want {
		t.Fatalf("answered %d, model %d", m.Counts().Answered, want)
	}
	if !m.Complete() || !m.Decided() {
		t.Fatal("every answer is in, but the read is not complete and decided")
	}

	// The merge, naively: every copy of the newest generation, merged.
	var gen uint64
	for _, g := range got {
		gen = max(gen, g.res.Gen)
	}
	var want version.Object
	wantFound := false
	for _, g := range got {
		if g.res.Found && (gen == 0 || g.res.Gen == gen) {
			want, wantFound = version.Merge(want, g.res.Object), true
		}
	}
	merged, found := m.Merged()
	if found != wantFound || found && !merged.Equal(want) {
		t.Fatalf("merged %v %v, model %v %v", merged, found, want, wantFound)
	}
	var wantRepairs []string
	for _, g := range got {
		if wantFound && !g.standIn && (!g.res.Found || !g.res.Object.Equal(want)) {
			wantRepairs = append(wantRepairs, g.name)
		}
	}
	if !slices.Equal(repairs, wantRepairs) {
		t.Fatalf("repairs %v, model %v", repairs, wantRepairs)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestWriteAgainstModel(t *testing.T) {
	for seed := range uint64(3000) {
		t.Run("", func(t *testing.T) {
			checkWrite(t, rand.New(rand.NewPCG(seed, 2)))
		})
		if t.Failed() {
			t.Fatalf("seed %d", seed)
		}
	}
}

// A node's answer to a write's Store or Hint.
const (
	stores = iota
	fails
	drops
)

func checkWrite(t *testing.T, rng *rand.Rand) {
	w := randomWorld(rng)
	answer := map[string]int{}
	for _, n := range append(slices.Clone(w.owners), w.fallbacks...) {
		switch rng.IntN(8) {
		case 0, 1:
			answer[n] = fails
		case 2:
			answer[n] = drops
		}
	}
	localOK := rng.IntN(5) > 0
	strict := rng.IntN(3) == 0
	wq := 1 + rng.IntN(len(w.owners)+1)
	need := min(wq, len(w.owners))
	m := NewWrite(WriteConfig{Self: w.self, Owners: w.owners, W: wq, Strict: strict, View: w})
	voters := len(w.owners) + 1
	if slices.Contains(w.owners, w.self) {
		voters--
	}

	// The model: the requests not yet answered (node, or "keep:"+owner for
	// a kept hint, -> the owner it is for), and the votes counted plainly.
	st := stand{w: w}
	outstanding := map[string]string{}
	asked := map[string]bool{}
	stored, in, kept := 0, 0, 0
	localIn, timedOut := false, false

	accept := func(event string, reqs []Request, start bool) {
		t.Helper()
		for _, q := range reqs {
			switch {
			case q.Kind == Store && (!start || !slices.Contains(w.owners, q.To) || q.To == w.self || w.down[q.To]):
				t.Fatalf("%s: %v: a store to a live owner other than this node, at the start only", event, q)
			case q.Kind == Store:
				outstanding[q.To] = q.To
			case q.Kind == Hint:
				st.take(t, q.To)
				outstanding[q.To] = q.For
			case q.Kind == KeepHint:
				if next := st.expect(); next != "" {
					t.Fatalf("%s: %v with stand-in %s left", event, q, next)
				}
				outstanding["keep:"+q.For] = q.For
				kept++
				continue
			default:
				t.Fatalf("%s: a write asked for %v", event, q)
			}
			if asked[q.To] {
				t.Fatalf("%s: %s asked twice", event, q.To)
			}
			asked[q.To] = true
		}
	}
	check := func(event string) {
		t.Helper()
		pending := voters - in
		decided := stored >= need || stored+pending < need && localIn || timedOut
		if m.Decided() != decided || m.Reached() != (stored >= need) || m.Complete() != (pending == 0) {
			t.Fatalf("%s: decided %v reached %v complete %v; model %v %v %v", event,
				m.Decided(), m.Reached(), m.Complete(), decided, stored >= need, pending == 0)
		}
		if c := m.Counts(); c != (Counts{Answered: stored, Required: need, Replicas: len(w.owners)}) {
			t.Fatalf("%s: counts %+v, model stored %d of %d", event, c, stored, need)
		}
	}

	accept("start", m.Start(), true)
	for _, o := range w.owners {
		if o != w.self && !slices.Contains(slices.Collect(maps.Values(outstanding)), o) {
			t.Fatalf("start: owner %s neither sent the write nor handed off", o)
		}
	}
	check("start")
	for len(outstanding) > 0 || !localIn {
		if rng.IntN(20) == 0 {
			m.Timeout()
			timedOut = true
			check("timeout")
		}
		if rng.IntN(5) == 0 { // a stray event: nothing changes
			stray := string(rune('a' + rng.IntN(26)))
			if _, ok := outstanding[stray]; !ok {
				if _, ok := outstanding["keep:"+stray]; !ok {
					before := m.Counts()
					var reqs []Request
					switch rng.IntN(4) {
					case 0:
						m.Ack(stray)
					case 1:
						m.Dropped(stray)
					case 2:
						m.Kept(stray)
					default:
						reqs = m.Fail(stray)
					}
					if len(reqs) != 0 || m.Counts() != before {
						t.Fatalf("stray event from %s: %v, counts %+v -> %+v", stray, reqs, before, m.Counts())
					}
				}
			}
			if localIn {
				before := m.Counts()
				m.Local(rng.IntN(2) == 0)
				if m.Counts() != before {
					t.Fatal("a second local vote counted")
				}
			}
		}
		nodes := slices.Sorted(maps.Keys(outstanding))
		if !localIn {
			nodes = append(nodes, "local")
		}
		n := nodes[rng.IntN(len(nodes))]
		owner := outstanding[n]
		delete(outstanding, n)
		var reqs []Request
		event := n
		switch {
		case n == "local":
			m.Local(localOK)
			localIn = true
			in++
			stored += b2i(localOK)
		case owner != n && n == "keep:"+owner:
			m.Kept(owner)
			in++
		case answer[n] == stores:
			event = "ack " + n
			m.Ack(n)
			in++
			stored += b2i(n == owner || !strict)
		case answer[n] == drops:
			event = "drop " + n
			m.Dropped(n)
			in++
		default:
			event = "fail " + n
			reqs = m.Fail(n)
			if len(reqs) != 1 || reqs[0].For != owner {
				t.Fatalf("%s: %v, want one hand-off of %s's copy", event, reqs, owner)
			}
		}
		accept(event, reqs, false)
		check(event)
	}

	// The final outcome, order aside: this node's store, the owners'
	// stores, and the good stand-ins among the first k that ended a
	// hand-off (stored or dropped), k the hand-offs they could end.
	handOffs, okOwners := 0, 0
	for _, o := range w.owners {
		switch {
		case o == w.self:
		case w.down[o] || answer[o] == fails:
			handOffs++
		case answer[o] == stores:
			okOwners++
		}
	}
	k, okStandIns := 0, 0
	for _, n := range w.fallbacks {
		if w.live(n) && answer[n] != fails && k < handOffs {
			k++
			okStandIns += b2i(answer[n] == stores)
		}
	}
	want := b2i(localOK) + okOwners
	if !strict {
		want += okStandIns
	}
	if m.Counts().Answered != want || kept != handOffs-k {
		t.Fatalf("stored %d and %d hints kept here, model %d and %d", m.Counts().Answered, kept, want, handOffs-k)
	}
	if !m.Complete() || !m.Decided() {
		t.Fatal("every vote is in, but the write is not complete and decided")
	}
}
