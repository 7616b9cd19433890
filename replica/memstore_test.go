package replica

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// memStore is Store's in-memory twin: maps of copies and hints, with
// the engine's semantics (version.Merge on every store, sibling sets as the
// objects hold them, flush generations: a copy of an older generation is
// dropped, one of a newer flushes everything and moves the store to it).
// TestMemStoreAgreesWithEngine keeps the two honest.
type memStore struct {
	mu    sync.Mutex // guards the fields below
	gen   uint64
	data  map[string]version.Object
	hints map[string]map[string]version.Object // key -> owner -> hint
}

func newMemStore() *memStore {
	return &memStore{data: map[string]version.Object{}, hints: map[string]map[string]version.Object{}}
}

var (
	_ Store = (*memStore)(nil)
	_ Store = (*engine.Engine)(nil)
)

func (m *memStore) GetDigest(key []byte) (version.Object, bool, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, found := m.data[string(key)]
	return o, found, antientropy.Digest(key, o), nil
}

func (m *memStore) Hinted(key []byte) (version.Object, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var merged version.Object
	for _, h := range m.hints[string(key)] {
		merged = version.Merge(merged, h)
	}
	return merged, len(m.hints[string(key)]) > 0, nil
}

func (m *memStore) MergeBatch(keys [][]byte, objs []version.Object) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.adoptNewestLocked(objs...)
	for i, k := range keys {
		if engine.GenerationOf(objs[i]) != m.gen {
			continue
		}
		if merged := version.Merge(m.data[string(k)], objs[i]); !isZero(merged) {
			m.data[string(k)] = merged
		}
	}
	return nil
}

func (m *memStore) Elements(key, after []byte, limit int, fn func(ek []byte, o version.Object)) (bool, error) {
	m.mu.Lock()
	var keys []string
	prefix := string(partition.ElementsOf(nil, key))
	for k := range m.data {
		if strings.HasPrefix(k, prefix) && (after == nil || k > string(after)) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	objs := make([]version.Object, len(keys))
	for i, k := range keys {
		objs[i] = m.data[k]
	}
	m.mu.Unlock()
	for i, k := range keys {
		if i == limit {
			return true, nil
		}
		fn([]byte(k), objs[i])
	}
	return false, nil
}

func (m *memStore) ElementsDigest(key []byte) (uint64, error) {
	var sum uint64
	_, err := m.Elements(key, nil, 1<<30, func(ek []byte, o version.Object) {
		sum ^= antientropy.Digest(ek, o)
	})
	return sum, err
}

func (m *memStore) AddHint(owner string, key []byte, o version.Object) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.adoptNewestLocked(o)
	if engine.GenerationOf(o) != m.gen {
		return nil
	}
	if m.hints[string(key)] == nil {
		m.hints[string(key)] = map[string]version.Object{}
	}
	m.hints[string(key)][owner] = version.Merge(m.hints[string(key)][owner], o)
	return nil
}

func (m *memStore) Generation() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gen
}

func isZero(o version.Object) bool { return len(o.Clock) == 0 && len(o.Siblings) == 0 }

// adoptNewestLocked moves the store to the newest generation among objs,
// flushing, if it is behind it.
func (m *memStore) adoptNewestLocked(objs ...version.Object) {
	for _, o := range objs {
		if g := engine.GenerationOf(o); g > m.gen {
			m.gen = g
			clear(m.data)
			clear(m.hints)
		}
	}
}

// TestMemStoreAgreesWithEngine applies the same random merges and hints,
// of random generations, to the engine and to its twin, and compares what
// each then holds.
func TestMemStoreAgreesWithEngine(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 3))
		ecfg := engine.DefaultConfig(t.TempDir())
		ecfg.Partitions = 8
		ecfg.Fsync = engine.FsyncNever // (the copies, not their durability, are compared)
		eng, err := engine.Open(ecfg)
		if err != nil {
			t.Fatal(err)
		}
		mem := newMemStore()
		keys := [][]byte{[]byte("k1"), []byte("k2"), []byte("k3")}
		var objs []version.Object
		counters := map[uint64]uint64{}
		for step := range 60 {
			// A new version of a key: an update of an earlier one (or of
			// nothing), with a context that saw it or not.
			base := version.Object{}
			if len(objs) > 0 && rng.IntN(4) > 0 {
				base = objs[rng.IntN(len(objs))]
			}
			var ctx version.Clock
			if rng.IntN(3) > 0 {
				ctx = base.Clock
			}
			actor := version.Actor{Node: uint64(1 + rng.IntN(3)), Epoch: 1}
			counters[actor.Node]++
			var s *version.Sibling
			if rng.IntN(5) > 0 {
				s = &version.Sibling{Time: int64(step), Value: fmt.Appendf(nil, "v%d", step)}
			}
			o := base.Update(ctx, version.Dot{Actor: actor, Counter: counters[actor.Node]}, s)
			gen := eng.Generation()
			switch rng.IntN(12) {
			case 0:
				gen++ // a FLUSHALL this node has not seen
			case 1:
				gen = max(gen, 1) - 1 // a copy from before one it has seen
			}
			o = engine.WithGeneration(o, gen)
			objs = append(objs, o)
			key := keys[rng.IntN(len(keys))]
			var errE, errM error
			if rng.IntN(3) == 0 {
				owner := string(rune('a' + rng.IntN(2)))
				errE, errM = eng.AddHint(owner, key, o), mem.AddHint(owner, key, o)
			} else {
				errE, errM = eng.MergeBatch([][]byte{key}, []version.Object{o}), mem.MergeBatch([][]byte{key}, []version.Object{o})
			}
			if errE != nil || errM != nil {
				t.Fatalf("seed %d step %d: engine %v, twin %v", seed, step, errE, errM)
			}
			if eng.Generation() != mem.Generation() {
				t.Fatalf("seed %d step %d: generation %d in the engine, %d in the twin", seed, step, eng.Generation(), mem.Generation())
			}
			for _, k := range keys {
				oE, fE, dE, errE := eng.GetDigest(k)
				oM, fM, dM, errM := mem.GetDigest(k)
				if errE != nil || errM != nil || fE != fM || dE != dM || !oE.Equal(oM) {
					t.Fatalf("seed %d step %d: %s is %v %v (digest %x) in the engine, %v %v (digest %x) in the twin",
						seed, step, k, oE, fE, dE, oM, fM, dM)
				}
				hE, fE, errE := eng.Hinted(k)
				hM, fM, errM := mem.Hinted(k)
				if errE != nil || errM != nil || fE != fM || !hE.Equal(hM) {
					t.Fatalf("seed %d step %d: %s's hints are %v %v in the engine, %v %v in the twin", seed, step, k, hE, fE, hM, fM)
				}
			}
		}
		eng.Close()
	}
}

// The replica server's handlers on the in-memory twin: a store, a read that
// finds the reader's copy the same, a hint read back through the stand-in,
// and a copy of an older flush generation dropped.
func TestReplicaHandlersOnMemStore(t *testing.T) {
	mem := newMemStore()
	var heard []uint64
	r := NewServer(mem, func(gen uint64) { heard = append(heard, gen) })
	actor := version.Actor{Node: 7, Epoch: 1}
	v1 := version.Object{}.Update(nil, version.Dot{Actor: actor, Counter: 1}, &version.Sibling{Value: []byte("v1")})
	v2 := v1.Update(v1.Clock, version.Dot{Actor: actor, Counter: 2}, &version.Sibling{Value: []byte("v2")})

	// A store is acknowledged with the replica's generation.
	reply, err := r.HandleMergeBatch(EncodeBatch([][]byte{[]byte("k")}, []version.Object{v1}))
	if err != nil || GenerationReply(reply) != 0 {
		t.Fatalf("merge batch = %x, %v; want generation 0", reply, err)
	}
	// A reader with the same copy is told "same"; one without it gets
	// the object; a key the replica does not hold is "none".
	read := func(keys [][]byte, digests []uint64, readerGen uint64) []DigestReply {
		t.Helper()
		reply, err := r.HandleReadDigests(EncodeReadDigests(keys, digests, readerGen))
		if err != nil {
			t.Fatal(err)
		}
		res, _, err := DecodeReadDigestsReply(reply, len(keys))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := read([][]byte{[]byte("k"), []byte("k"), []byte("other")}, []uint64{antientropy.Digest([]byte("k"), v1), 0, 0}, 0)
	if !res[0].Same || !res[1].Found || !res[1].Object.Equal(v1) || res[2].Found || res[2].Same {
		t.Fatalf("digest reads = %+v; want same, v1, none", res)
	}

	// A stand-in answers with the hints it holds merged into its copy.
	if _, err := r.HandleHint(EncodeHint("owner", []byte("k"), v2)); err != nil {
		t.Fatal(err)
	}
	if res := read([][]byte{[]byte("k")}, []uint64{antientropy.Digest([]byte("k"), v1)}, 0); res[0].Same || !res[0].Object.Equal(v2) {
		t.Fatalf("read of a key with a hint = %+v; want v2 (the hint supersedes v1)", res[0])
	}

	// A reader of a newer generation is heard; a copy older than the
	// replica's generation is dropped, and the reply says which it is.
	read([][]byte{[]byte("k")}, []uint64{0}, 5)
	if !slices.Equal(heard, []uint64{0, 0, 5}) {
		t.Fatalf("generations heard %v; want the readers' 0, 0, 5", heard)
	}
	v3 := engine.WithGeneration(v2.Update(v2.Clock, version.Dot{Actor: actor, Counter: 3}, &version.Sibling{Value: []byte("v3")}), 2)
	if _, err := r.HandleMergeBatch(EncodeBatch([][]byte{[]byte("k")}, []version.Object{v3})); err != nil {
		t.Fatal(err)
	}
	reply, err = r.HandleMergeBatch(EncodeBatch([][]byte{[]byte("k2")}, []version.Object{v1}))
	if err != nil || GenerationReply(reply) != 2 {
		t.Fatalf("merge of an older generation = %x, %v; want the reply to say generation 2", reply, err)
	}
	if _, found, _, _ := mem.GetDigest([]byte("k2")); found {
		t.Fatal("a copy older than the replica's generation was kept")
	}
	if o, _, _, _ := mem.GetDigest([]byte("k")); !o.Equal(v3) || len(mem.hints) != 0 {
		t.Fatalf("after moving to generation 2 the replica holds %v and hints %v; want v3 alone", o, mem.hints)
	}
}
