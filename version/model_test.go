package version

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The model: the slow, obvious account of causality that Object must agree
// with. Every write event records its whole causal history explicitly, as the
// set of dots of the events its writer had seen. A replica knows a set of
// events; a known event is obsolete iff the history of some known event
// contains its dot; the siblings are the known, non-obsolete writes (deletes
// are events without a value). The clock is, per actor, the highest counter of
// the known events.
type modelEvent struct {
	dot  Dot
	hist eventSet // the events the writer had seen
	del  bool
	val  string
	time int64
}

// eventSet is a set of events, by their index in the run's event log.
type eventSet []uint64

func (s eventSet) has(i int) bool { return i/64 < len(s) && s[i/64]&(1<<(i%64)) != 0 }

func (s *eventSet) add(i int) {
	for len(*s) <= i/64 {
		*s = append(*s, 0)
	}
	(*s)[i/64] |= 1 << (i % 64)
}

func (s *eventSet) addAll(o eventSet) {
	for len(*s) < len(o) {
		*s = append(*s, 0)
	}
	for i, w := range o {
		(*s)[i] |= w
	}
}

func (s eventSet) clone() eventSet { return slices.Clone(s) }

type modelReplica struct {
	events   *[]*modelEvent // the run's event log, shared by all replicas
	known    eventSet
	obsolete eventSet // union of the histories of the known events
}

func (m *modelReplica) learnAll(o *modelReplica) {
	m.known.addAll(o.known)
	m.obsolete.addAll(o.obsolete)
}

func (m *modelReplica) learn(i int) {
	m.known.add(i)
	m.obsolete.addAll((*m.events)[i].hist)
}

func (m *modelReplica) snapshot() *modelReplica {
	return &modelReplica{events: m.events, known: m.known.clone(), obsolete: m.obsolete.clone()}
}

func (m *modelReplica) knows(d Dot) bool {
	for i, e := range *m.events {
		if e.dot == d && m.known.has(i) {
			return true
		}
	}
	return false
}

func (m *modelReplica) siblings() []*modelEvent {
	var live []*modelEvent
	for i, e := range *m.events {
		if m.known.has(i) && !e.del && !m.obsolete.has(i) {
			live = append(live, e)
		}
	}
	slices.SortFunc(live, func(a, b *modelEvent) int { return a.dot.Compare(b.dot) })
	return live
}

func (m *modelReplica) clock() Clock {
	top := map[Actor]uint64{}
	for i, e := range *m.events {
		if m.known.has(i) {
			top[e.dot.Actor] = max(top[e.dot.Actor], e.dot.Counter)
		}
	}
	var c Clock
	for a, n := range top {
		c = append(c, Entry{Actor: a, Counter: n})
	}
	slices.SortFunc(c, func(x, y Entry) int { return x.Actor.Compare(y.Actor) })
	return c
}

func (m *modelReplica) newest() (string, bool) {
	var best *modelEvent
	for _, e := range m.siblings() {
		if best == nil || e.time > best.time || (e.time == best.time && e.dot.Compare(best.dot) > 0) {
			best = e
		}
	}
	if best == nil {
		return "", false
	}
	return best.val, true
}

// simClient is a client: the context it will write with (and the model's
// view of what that context has seen), and its last write.
type simClient struct {
	ctx  Clock
	mctx *modelReplica
	last Dot
}

type simConfig struct {
	replicas, clients, steps int
	// session makes clients behave like a Riak client reusing the context
	// of its own last response: a client only adopts a read's context if
	// it covers the client's last write. Then no client ever has two
	// siblings, and the sibling count is bounded by the clients.
	session bool
}

func runSim(t *testing.T, seed uint64, cfg simConfig) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	actors := make([]Actor, cfg.replicas)
	for i := range actors {
		// Random node ids and epochs, so actor order is unrelated to index;
		// two replicas may be incarnations of one node.
		actors[i] = Actor{Node: rng.Uint64() % 4 << 60, Epoch: uint32(i)}
	}
	var events []*modelEvent
	objs := make([]Object, cfg.replicas)
	models := make([]*modelReplica, cfg.replicas)
	for i := range models {
		models[i] = &modelReplica{events: &events}
	}
	clients := make([]simClient, cfg.clients)
	for i := range clients {
		clients[i].mctx = &modelReplica{events: &events}
	}
	// Steps are logged lazily: formatting every step would dominate the run.
	var log []func() string

	fail := func(format string, args ...any) {
		t.Helper()
		start := max(0, len(log)-15)
		var lines []string
		for _, l := range log[start:] {
			lines = append(lines, l())
		}
		t.Fatalf("seed %d step %d: %s\nlast steps:\n  %s", seed, len(log), fmt.Sprintf(format, args...),
			strings.Join(lines, "\n  "))
	}

	for step := 0; step < cfg.steps; step++ {
		ci := rng.IntN(cfg.clients)
		c := &clients[ci]
		switch op := rng.IntN(10); {
		case op < 5: // write or delete, coordinated by replica r
			r := rng.IntN(cfg.replicas)
			ctx, mctx := c.ctx, c.mctx
			if !cfg.session && rng.IntN(8) == 0 {
				ctx, mctx = nil, &modelReplica{events: &events} // a blind write
			}
			d := objs[r].Clock.Next(actors[r])
			ev := &modelEvent{dot: d, hist: mctx.known.clone(), time: int64(rng.IntN(20))}
			var s *Sibling
			if rng.IntN(6) == 0 {
				ev.del = true
			} else {
				ev.val = fmt.Sprintf("c%d.%d", ci, step)
				s = &Sibling{Time: ev.time, Value: []byte(ev.val)}
			}
			objs[r] = objs[r].Update(ctx, d, s)
			models[r].learnAll(mctx)
			if models[r].knows(d) {
				fail("dot %s allocated twice", fmtDot(d))
			}
			events = append(events, ev)
			models[r].learn(len(events) - 1)
			c.ctx, c.mctx, c.last = objs[r].Clock, models[r].snapshot(), d
			o := objs[r]
			log = append(log, func() string {
				return fmt.Sprintf("client %d writes %s at r%d with ctx %s (del=%v) -> %s",
					ci, fmtDot(d), r, fmtClock(ctx), ev.del, fmtObject(o))
			})
		case op < 7: // read
			r := rng.IntN(cfg.replicas)
			if cfg.session && !objs[r].Clock.Covers(c.last) {
				log = append(log, func() string { return fmt.Sprintf("client %d ignores stale read at r%d", ci, r) })
				continue
			}
			c.ctx, c.mctx = objs[r].Clock, models[r].snapshot()
			o := objs[r]
			log = append(log, func() string { return fmt.Sprintf("client %d reads r%d: %s", ci, r, fmtObject(o)) })
		default: // sync src into dst, sometimes both ways
			src, dst := rng.IntN(cfg.replicas), rng.IntN(cfg.replicas)
			m := Merge(objs[dst], objs[src])
			objs[dst] = m
			models[dst].learnAll(models[src])
			if rng.IntN(2) == 0 {
				objs[src] = m
				models[src].learnAll(models[dst])
			}
			log = append(log, func() string { return fmt.Sprintf("sync r%d -> r%d: %s", src, dst, fmtObject(m)) })
		}

		for r := range objs {
			checkAgainstModel(t, objs[r], models[r], fail)
			if cfg.session {
				perClient := map[string]int{}
				for _, s := range objs[r].Siblings {
					name, _, _ := strings.Cut(string(s.Value), ".")
					perClient[name]++
					if perClient[name] > 1 {
						fail("r%d holds two siblings of client %s: %s", r, name, fmtObject(objs[r]))
					}
				}
				if len(objs[r].Siblings) > cfg.clients {
					fail("r%d has %d siblings for %d writers", r, len(objs[r].Siblings), cfg.clients)
				}
			}
		}
		a, b, c3 := objs[rng.IntN(cfg.replicas)], objs[rng.IntN(cfg.replicas)], objs[rng.IntN(cfg.replicas)]
		checkMergeLaws(t, a, b, c3, fail)
	}
}

func checkAgainstModel(t *testing.T, o Object, m *modelReplica, fail func(string, ...any)) {
	t.Helper()
	if !o.Valid() {
		fail("object violates invariants: %s", fmtObject(o))
	}
	if want := m.clock(); !o.Clock.Equal(want) {
		fail("clock %s, model %s", fmtClock(o.Clock), fmtClock(want))
	}
	want := m.siblings()
	got := o.Siblings
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i].Dot == want[i].dot && string(got[i].Value) == want[i].val && got[i].Time == want[i].time
	}
	if !same {
		var ws []string
		for _, e := range want {
			ws = append(ws, fmtDot(e.dot)+":"+e.val)
		}
		fail("siblings %s, model [%s]", fmtObject(o), strings.Join(ws, " "))
	}
	gotNewest, gotOK := o.Newest(0)
	wantNewest, wantOK := m.newest()
	if gotOK != wantOK || string(gotNewest.Value) != wantNewest {
		fail("Newest = %q,%v; model %q,%v", gotNewest.Value, gotOK, wantNewest, wantOK)
	}
	if o.IsTombstone() != (len(want) == 0 && len(m.clock()) > 0) {
		fail("IsTombstone = %v", o.IsTombstone())
	}
	dec, err := DecodeObject(o.AppendBinary(nil))
	if err != nil || !dec.Equal(o) {
		fail("round trip of %s: %v, %s", fmtObject(o), err, fmtObject(dec))
	}
}

func checkMergeLaws(t *testing.T, a, b, c Object, fail func(string, ...any)) {
	t.Helper()
	if ab, ba := Merge(a, b), Merge(b, a); !ab.Equal(ba) {
		fail("Merge not commutative:\n a=%s\n b=%s\n ab=%s\n ba=%s", fmtObject(a), fmtObject(b), fmtObject(ab), fmtObject(ba))
	}
	if l, r := Merge(Merge(a, b), c), Merge(a, Merge(b, c)); !l.Equal(r) {
		fail("Merge not associative:\n a=%s\n b=%s\n c=%s\n (ab)c=%s\n a(bc)=%s",
			fmtObject(a), fmtObject(b), fmtObject(c), fmtObject(l), fmtObject(r))
	}
	if aa := Merge(a, a); !aa.Equal(a) {
		fail("Merge not idempotent: %s -> %s", fmtObject(a), fmtObject(aa))
	}
	if m := Merge(a, b); !m.Valid() {
		fail("Merge result violates invariants: %s", fmtObject(m))
	}
}

// modelSeeds is how many random runs each model configuration gets.
func modelSeeds() int {
	if testing.Short() || raceEnabled {
		return 25
	}
	return 100
}

// TestAgainstModel drives random writes, deletes, reads and syncs at several
// replicas and checks after every step that each replica's Object holds
// exactly the siblings and clock the explicit-history model says it should,
// that Newest agrees, and that Merge is commutative, associative and
// idempotent on the states reached.
func TestAgainstModel(t *testing.T) {
	seeds, steps := modelSeeds(), 200
	for _, cfg := range []simConfig{
		{replicas: 3, clients: 2, steps: steps},
		{replicas: 3, clients: 4, steps: steps},
		{replicas: 5, clients: 3, steps: steps},
		{replicas: 2, clients: 6, steps: steps},
	} {
		t.Run(fmt.Sprintf("replicas=%d,clients=%d", cfg.replicas, cfg.clients), func(t *testing.T) {
			for seed := range uint64(seeds) {
				runSim(t, seed, cfg)
			}
		})
	}
}

// TestNoSiblingExplosion is the scenario that makes server-side version
// vectors without dots pile up siblings: clients that keep writing with the
// context of their own last response, through different coordinators, with
// replicas syncing at random. Each write supersedes the client's previous one,
// so no replica ever holds more than one sibling per client.
func TestNoSiblingExplosion(t *testing.T) {
	seeds := modelSeeds()
	for _, cfg := range []simConfig{
		{replicas: 3, clients: 2, steps: 300, session: true},
		{replicas: 3, clients: 5, steps: 300, session: true},
		{replicas: 1, clients: 3, steps: 300, session: true},
	} {
		t.Run(fmt.Sprintf("replicas=%d,clients=%d", cfg.replicas, cfg.clients), func(t *testing.T) {
			for seed := range uint64(seeds) {
				runSim(t, seed, cfg)
			}
		})
	}
}

// TestNoSiblingExplosionDeterministic spells out the classic case: two
// clients alternately writing through the same coordinator, each with the
// context returned by its own previous write.
func TestNoSiblingExplosionDeterministic(t *testing.T) {
	a := actor(t, "a")
	var o Object
	var ctx [2]Clock
	for i := 0; i < 50; i++ {
		c := i % 2
		o = o.Update(ctx[c], o.Clock.Next(a), &Sibling{Value: []byte(strconv.Itoa(i))})
		ctx[c] = o.Clock
		if want := min(i+1, 2); len(o.Siblings) != want {
			t.Fatalf("after write %d: %d siblings, want %d: %s", i, len(o.Siblings), want, fmtObject(o))
		}
	}
}

// randomObject returns a random valid object over few actors and counters, so
// that random pairs overlap. Values depend on the dot and, rarely, not, so
// that the same dot with different contents is exercised too.
func randomObject(rng *rand.Rand) Object {
	actors := []Actor{{Node: 1}, {Node: 1, Epoch: 1}, {Node: 2}, {Node: 3}}
	var o Object
	for _, a := range actors {
		if n := rng.IntN(5); n > 0 {
			o.Clock = append(o.Clock, Entry{Actor: a, Counter: uint64(n)})
		}
	}
	for _, e := range o.Clock {
		for k := uint64(1); k <= e.Counter; k++ {
			if rng.IntN(3) == 0 {
				d := Dot{Actor: e.Actor, Counter: k}
				v := fmt.Sprintf("%d/%d", e.Actor.Node, k)
				if rng.IntN(20) == 0 {
					v += "'"
				}
				o.Siblings = append(o.Siblings, Sibling{Dot: d, Time: int64(k), Value: []byte(v)})
			}
		}
	}
	return o
}

// TestMergeLawsArbitrary checks the merge laws on arbitrary valid objects,
// not only on states a run of the system can reach.
func TestMergeLawsArbitrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fail := func(format string, args ...any) { t.Helper(); t.Fatalf(format, args...) }
	for range 20000 {
		a, b, c := randomObject(rng), randomObject(rng), randomObject(rng)
		if !a.Valid() {
			t.Fatalf("generator produced invalid object %s", fmtObject(a))
		}
		checkMergeLaws(t, a, b, c, fail)
	}
}
