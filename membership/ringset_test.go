package membership

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/dynago/dynago/version"
)

func randomMeta(r *rand.Rand) NodeMeta {
	addrs := []string{"", "127.0.0.1:6379", "10.0.0.2:16379", "[::1]:26379"}
	return NodeMeta{
		ClusterID:  []string{"", "c1", "c2"}[r.IntN(3)],
		RESPAddr:   addrs[r.IntN(len(addrs))],
		PeerAddr:   addrs[r.IntN(len(addrs))],
		GossipAddr: addrs[r.IntN(len(addrs))],
		Actor:      version.Actor{Node: r.Uint64N(3), Epoch: r.Uint32N(3)},
	}
}

// randomRing draws small values so that equal versions, and so ties, are
// frequent.
func randomRing(r *rand.Rand) ringSet {
	s := ringSet{}
	for range r.IntN(5) {
		name := []string{"a", "b", "c", "d"}[r.IntN(4)]
		s[name] = ringEntry{
			Incarnation: r.Uint64N(3),
			Removed:     r.IntN(2) == 0,
			MetaVersion: r.Uint64N(3),
			Meta:        randomMeta(r),
		}
	}
	return s
}

func merged(sets ...ringSet) ringSet {
	out := ringSet{}
	for _, s := range sets {
		out.merge(s)
	}
	return out
}

// naiveMerge states the merge rule the slow, obvious way: for each name,
// sort every candidate entry by the rule and take the last.
func naiveMerge(sets ...ringSet) ringSet {
	candidates := map[string][]ringEntry{}
	for _, s := range sets {
		for name, e := range s {
			candidates[name] = append(candidates[name], e)
		}
	}
	out := ringSet{}
	for name, es := range candidates {
		slices.SortFunc(es, func(x, y ringEntry) int {
			if x.Incarnation != y.Incarnation {
				if x.Incarnation < y.Incarnation {
					return -1
				}
				return 1
			}
			if x.Removed != y.Removed { // a removal wins its incarnation
				if y.Removed {
					return -1
				}
				return 1
			}
			if x.MetaVersion != y.MetaVersion {
				if x.MetaVersion < y.MetaVersion {
					return -1
				}
				return 1
			}
			return slices.Compare(encodeMeta(x.Meta), encodeMeta(y.Meta))
		})
		out[name] = es[len(es)-1]
	}
	return out
}

func TestRingMergeLaws(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		a, b, c := randomRing(r), randomRing(r), randomRing(r)
		ab, ba := merged(a, b), merged(b, a)
		if !reflect.DeepEqual(ab, ba) {
			t.Fatalf("#%d not commutative:\na=%v\nb=%v\nab=%v\nba=%v", i, a, b, ab, ba)
		}
		if got := merged(a, a); !reflect.DeepEqual(got, merged(a)) {
			t.Fatalf("#%d not idempotent: %v -> %v", i, a, got)
		}
		if got := merged(ab, b); !reflect.DeepEqual(got, ab) {
			t.Fatalf("#%d merging again changed the set: %v -> %v", i, ab, got)
		}
		left, right := merged(merged(a, b), c), merged(a, merged(b, c))
		if !reflect.DeepEqual(left, right) {
			t.Fatalf("#%d not associative:\n%v\n%v", i, left, right)
		}
		if want := naiveMerge(a, b, c); !reflect.DeepEqual(left, want) {
			t.Fatalf("#%d differs from the naive merge:\ngot  %v\nwant %v", i, left, want)
		}
		// merge reports exactly the names whose entries changed.
		s := a.clone()
		changed := s.merge(b)
		var want []string
		for name := range s {
			if a[name] != s[name] {
				want = append(want, name)
			}
		}
		slices.Sort(want)
		if !slices.Equal(changed, want) {
			t.Fatalf("#%d merge reported %v changed, want %v", i, changed, want)
		}
	}
}

// A removal is final for its incarnation: no update the removed node makes
// of its own entry without knowing of the removal brings it back; only a
// new incarnation (an explicit join) does.
func TestRingRemovalIsFinal(t *testing.T) {
	s := ringSet{"c": {Incarnation: 1, MetaVersion: 3, Meta: NodeMeta{GossipAddr: "old"}}}
	removed := s["c"]
	removed.Removed = true
	s.mergeEntry("c", removed)
	stale := ringEntry{Incarnation: 1, MetaVersion: 99, Meta: NodeMeta{GossipAddr: "new"}}
	if s.mergeEntry("c", stale) || s.has("c") {
		t.Fatalf("a newer self-update of the same incarnation resurrected a removed member: %v", s)
	}
	if !s.mergeEntry("c", ringEntry{Incarnation: 2}) || !s.has("c") {
		t.Fatalf("an explicit rejoin (new incarnation) did not bring the member back: %v", s)
	}
	if got := s.members(); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("members = %v", got)
	}
}

func TestRingEncodingRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		s := randomRing(r)
		id := []string{"", "0123456789abcdef0123456789abcdef"}[r.IntN(2)]
		b := encodeRing(id, s)
		gotID, got, err := decodeRing(b)
		if err != nil {
			t.Fatalf("decode(encode(%v)): %v", s, err)
		}
		if gotID != id || !reflect.DeepEqual(got, s) {
			t.Fatalf("round trip: got %q %v, want %q %v", gotID, got, id, s)
		}
		// Every strict prefix is refused, never mis-read.
		for i := range len(b) {
			if _, _, err := decodeRing(b[:i]); err == nil {
				t.Fatalf("prefix %d of %x decoded", i, b)
			}
		}
	}
}

func TestMetaRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		m := randomMeta(r)
		b := encodeMeta(m)
		if len(b) > metaLimit {
			t.Fatalf("meta takes %d bytes", len(b))
		}
		got, err := decodeMeta(b)
		if err != nil || got != m {
			t.Fatalf("round trip of %+v: %+v, %v", m, got, err)
		}
		if _, err := decodeMeta(append(b, 0)); err == nil {
			t.Fatalf("trailing byte accepted")
		}
	}
}

func TestStateStrings(t *testing.T) {
	for s, want := range map[State]string{Alive: "alive", Suspect: "suspect", Dead: "dead", Left: "left"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
	if !Alive.Usable() || !Suspect.Usable() || Dead.Usable() || Left.Usable() {
		t.Errorf("usable: only alive and suspect members take requests")
	}
}

func FuzzDecodeRing(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 8 {
		f.Add(encodeRing("c1", randomRing(r)))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, s, err := decodeRing(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes the same.
		id2, s2, err := decodeRing(encodeRing(id, s))
		if err != nil || id2 != id || !reflect.DeepEqual(s2, s) {
			t.Fatalf("re-encoding changed %q %v into %q %v (%v)", id, s, id2, s2, err)
		}
	})
}

func FuzzDecodeMeta(f *testing.F) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 8 {
		f.Add(encodeMeta(randomMeta(r)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			return
		}
		m2, err := decodeMeta(encodeMeta(m))
		if err != nil || m2 != m {
			t.Fatalf("re-encoding changed %+v", m)
		}
	})
}

func TestLeaveNoticeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	ring := randomRing(r)
	name, id, got, err := decodeLeave(encodeLeave("b", "c1", ring))
	if err != nil || name != "b" || id != "c1" || !reflect.DeepEqual(got, ring) {
		t.Fatalf("got %q %q %v %v, want b c1 %v", name, id, got, err, ring)
	}
	if _, _, _, err := decodeLeave(encodeRing("c1", ring)); err == nil {
		t.Fatalf("a ring message decoded as a leave notice")
	}
}
