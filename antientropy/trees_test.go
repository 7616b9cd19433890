package antientropy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

func TestDigest(t *testing.T) {
	key := []byte("k")
	o := write(version.Object{}, actors[0], "v", 100)
	if got := Digest(key, version.Object{}); got != 0 {
		t.Fatalf("zero object digests to %#x, want 0", got)
	}
	if Digest(key, o) == 0 {
		t.Fatal("a record digests to 0")
	}
	if Digest(key, del(o, actors[1])) == 0 {
		t.Fatal("a tombstone digests to 0")
	}
	if Digest(key, o) != Digest([]byte("k"), write(version.Object{}, actors[0], "v", 100)) {
		t.Fatal("equal objects digest differently")
	}

	// Values are not digested: the dot names the write.
	same := o
	same.Siblings = []version.Sibling{o.Siblings[0]}
	same.Siblings[0].Value = []byte("another value")
	if Digest(key, same) != Digest(key, o) {
		t.Fatal("the value changed the digest")
	}

	// Everything else is.
	variants := map[string]func(o *version.Object){
		"clock counter": func(o *version.Object) { o.Clock[0].Counter++ },
		"clock actor":   func(o *version.Object) { o.Clock[0].Actor.Epoch++ },
		"extra entry": func(o *version.Object) {
			o.Clock = append(o.Clock, version.Entry{Actor: actors[2], Counter: 1})
		},
		"sibling dot":    func(o *version.Object) { o.Siblings[0].Dot.Counter++ },
		"sibling time":   func(o *version.Object) { o.Siblings[0].Time++ },
		"sibling expiry": func(o *version.Object) { o.Siblings[0].Expiry = 5 },
		"sibling kind":   func(o *version.Object) { o.Siblings[0].Kind = version.KindCounter },
		"tombstone":      func(o *version.Object) { o.Siblings = nil },
	}
	for name, change := range variants {
		c := version.Object{
			Clock:    append(version.Clock(nil), o.Clock...),
			Siblings: append([]version.Sibling(nil), o.Siblings...),
		}
		change(&c)
		if Digest(key, c) == Digest(key, o) {
			t.Errorf("%s: digest unchanged", name)
		}
	}
	if Digest([]byte("k2"), o) == Digest(key, o) {
		t.Error("the key did not change the digest")
	}
}

// TestDigestMatchesDefinition checks Digest, which buffers or streams
// depending on size, against the byte sequence it is defined to hash.
func TestDigestMatchesDefinition(t *testing.T) {
	definition := func(key []byte, o version.Object) uint64 {
		le := binary.LittleEndian
		b := le.AppendUint64(nil, uint64(len(key)))
		b = append(b, key...)
		b = le.AppendUint64(b, uint64(len(o.Clock)))
		for _, e := range o.Clock {
			b = le.AppendUint32(le.AppendUint64(b, e.Actor.Node), e.Actor.Epoch)
			b = le.AppendUint64(b, e.Counter)
		}
		b = le.AppendUint64(b, uint64(len(o.Siblings)))
		for _, s := range o.Siblings {
			b = le.AppendUint32(le.AppendUint64(b, s.Dot.Actor.Node), s.Dot.Actor.Epoch)
			b = le.AppendUint64(b, s.Dot.Counter)
			b = le.AppendUint64(le.AppendUint64(b, uint64(s.Time)), uint64(s.Expiry))
			b = append(b, byte(s.Kind))
		}
		return xxhash.Sum64(b)
	}
	small := write(version.Object{}, actors[0], "v", 1)
	// Concurrent writes by many actors: many siblings, past the buffer.
	var many version.Object
	for i := range 20 {
		many = many.Update(nil, many.Clock.Next(version.Actor{Node: uint64(i)}), &version.Sibling{Time: int64(i)})
	}
	for _, c := range []struct {
		key []byte
		o   version.Object
	}{
		{[]byte("k"), small},
		{bytes.Repeat([]byte("long key "), 100), small},
		{[]byte("k"), many},
		{bytes.Repeat([]byte("x"), 200), many},
	} {
		if got, want := Digest(c.key, c.o), definition(c.key, c.o); got != want {
			t.Errorf("key of %d bytes, %d siblings: Digest %#x, definition %#x", len(c.key), len(c.o.Siblings), got, want)
		}
	}
}

func TestLeafRange(t *testing.T) {
	for _, q := range []int{1, 2, 256, partition.MaxPartitions} {
		tr := NewTrees(q)
		rng := rand.New(rand.NewPCG(uint64(q), 1))
		for range 1000 {
			h := rng.Uint64()
			p, leaf := tr.locate(h)
			if p != partition.Of(h, q) {
				t.Fatalf("q=%d: hash %#x in partition %d, partition.Of says %d", q, h, p, partition.Of(h, q))
			}
			start, end := tr.LeafRange(p, uint32(leaf))
			if h < start || (end != 0 && h >= end) {
				t.Fatalf("q=%d: hash %#x outside its leaf [%#x, %#x)", q, h, start, end)
			}
		}
		// The leaves tile each partition, the last ending where the next
		// partition starts.
		for _, p := range []int{0, q - 1} {
			want := partition.Start(p, q)
			for leaf := range uint32(Leaves) {
				start, end := tr.LeafRange(p, leaf)
				if start != want {
					t.Fatalf("q=%d p=%d leaf %d starts at %#x, want %#x", q, p, leaf, start, want)
				}
				want = end
			}
			var next uint64
			if p+1 < q {
				next = partition.Start(p+1, q)
			}
			if want != next {
				t.Fatalf("q=%d p=%d: last leaf ends at %#x, want %#x", q, p, want, next)
			}
		}
	}
}

func TestNewTreesRejectsBadQ(t *testing.T) {
	for _, q := range []int{0, -1, 3, 100, partition.MaxPartitions * 2} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewTrees(%d) did not panic", q)
				}
			}()
			NewTrees(q)
		}()
	}
}

// naiveTree computes every partition's tree from scratch, straight from the
// definition: leaves sum their keys' digests, an inner node hashes its
// children's little-endian words unless they are all zero. levels[l][i] is
// node i of level l.
func naiveTree(q int, recs map[string]version.Object) map[int][][]uint64 {
	trees := map[int][][]uint64{}
	for k, o := range recs {
		h := partition.Hash([]byte(k))
		p := partition.Of(h, q)
		if trees[p] == nil {
			trees[p] = make([][]uint64, Depth+1)
			for l := range trees[p] {
				trees[p][l] = make([]uint64, levelWidth(l))
			}
		}
		leaf := (h - partition.Start(p, q)) / ((^uint64(0)/uint64(q))/Leaves + 1)
		trees[p][Depth][leaf] += Digest([]byte(k), o)
	}
	for _, levels := range trees {
		for l := Depth - 1; l >= 0; l-- {
			for i := range levels[l] {
				var buf []byte
				zero := true
				for _, c := range levels[l+1][i*Fanout : (i+1)*Fanout] {
					buf = binary.LittleEndian.AppendUint64(buf, c)
					zero = zero && c == 0
				}
				if !zero {
					levels[l][i] = xxhash.Sum64(buf)
				}
			}
		}
	}
	return trees
}

// checkTrees compares every node of every partition with a rebuild.
func checkTrees(t *testing.T, tr *Trees, recs map[string]version.Object) {
	t.Helper()
	want := naiveTree(tr.q, recs)
	counts := map[int]int{}
	for k := range recs {
		counts[partition.Of(partition.Hash([]byte(k)), tr.q)]++
	}
	for p := range tr.q {
		if got := tr.Keys(p); got != counts[p] {
			t.Fatalf("partition %d: Keys = %d, want %d", p, got, counts[p])
		}
		levels := want[p]
		if levels == nil {
			if r := tr.Root(p); r != 0 {
				t.Fatalf("partition %d holds nothing but its root is %#x", p, r)
			}
			continue
		}
		if r := tr.Root(p); r != levels[0][0] {
			t.Fatalf("partition %d: root %#x, rebuild %#x", p, r, levels[0][0])
		}
		for l := 1; l <= Depth; l++ {
			idx := make([]uint32, levelWidth(l))
			for i := range idx {
				idx[i] = uint32(i)
			}
			got := tr.Nodes(p, l, idx)
			for i := range got {
				if got[i] != levels[l][i] {
					t.Fatalf("partition %d level %d node %d: %#x, rebuild %#x", p, l, i, got[i], levels[l][i])
				}
			}
		}
	}
}

// TestTreesIncrementalMatchesRebuild applies random inserts, overwrites,
// deletes (tombstones) and removals, reading random nodes in between so the
// lazy refresh runs at every stage, and compares with a rebuild from
// scratch.
func TestTreesIncrementalMatchesRebuild(t *testing.T) {
	for _, q := range []int{1, 4, 16} {
		t.Run(fmt.Sprint("q=", q), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(q), 7))
			tr := NewTrees(q)
			recs := map[string]version.Object{}
			const keys, ops = 300, 3000
			for i := range ops {
				key := fmt.Appendf(nil, "k%d", rng.IntN(keys))
				old := recs[string(key)]
				var next version.Object
				switch rng.IntN(10) {
				case 0, 1: // removed outright (tombstone collected)
				case 2, 3:
					next = del(old, actors[rng.IntN(len(actors))])
				default:
					next = write(old, actors[rng.IntN(len(actors))], "v", int64(i))
				}
				if next.Clock == nil {
					delete(recs, string(key))
				} else {
					recs[string(key)] = next
				}
				tr.Update(partition.Hash(key), key, old, next)

				if rng.IntN(4) == 0 { // a read somewhere, at any level
					l := rng.IntN(Depth + 1)
					tr.Nodes(rng.IntN(q), l, []uint32{uint32(rng.IntN(levelWidth(l)))})
				}
				if i%500 == 499 {
					checkTrees(t, tr, recs)
				}
			}
			checkTrees(t, tr, recs)

			// Removing everything brings every root back to 0, like a
			// partition that never had a key.
			for k, o := range recs {
				tr.Update(partition.Hash([]byte(k)), []byte(k), o, version.Object{})
			}
			checkTrees(t, tr, nil)

			tr.Add(partition.Hash([]byte("x")), []byte("x"), write(version.Object{}, actors[0], "v", 1))
			tr.Reset()
			checkTrees(t, tr, nil)
		})
	}
}

// TestTreesConcurrent updates from several goroutines while others read,
// for the race detector, then checks the result against a rebuild.
func TestTreesConcurrent(t *testing.T) {
	const writers, perWriter = 4, 500
	tr := NewTrees(4)
	final := make([]map[string]version.Object, writers)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 0))
			recs := map[string]version.Object{}
			for i := range perWriter {
				key := fmt.Appendf(nil, "w%d-%d", w, rng.IntN(50))
				old := recs[string(key)]
				next := write(old, actors[w%len(actors)], "v", int64(i))
				recs[string(key)] = next
				tr.Update(partition.Hash(key), key, old, next)
			}
			final[w] = recs
		})
	}
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for p := range 4 {
				tr.Root(p)
				tr.Nodes(p, 2, []uint32{0, 255})
				tr.Keys(p)
			}
		}
	})
	wg.Wait()
	close(stop)
	readers.Wait()

	all := map[string]version.Object{}
	for _, recs := range final {
		for k, o := range recs {
			all[k] = o
		}
	}
	checkTrees(t, tr, all)
}

func TestUpdateDoesNotAllocate(t *testing.T) {
	tr := NewTrees(256)
	key := []byte("some-key")
	h := partition.Hash(key)
	a := write(version.Object{}, actors[0], "v", 1)
	b := write(a, actors[1], "w", 2)
	tr.Add(h, key, a) // allocates the partition's tree
	allocs := testing.AllocsPerRun(100, func() {
		tr.Update(h, key, a, b)
		tr.Update(h, key, b, a)
	})
	if allocs != 0 {
		t.Fatalf("Update allocates %.1f times", allocs)
	}
}

func TestTreesShape(t *testing.T) {
	if Leaves != Fanout*Fanout*Fanout || 1<<leafBits != Leaves || levelWidth(Depth) != Leaves {
		t.Fatal("tree constants disagree")
	}
	if innerNodes != levelStart[Depth] {
		t.Fatalf("innerNodes = %d, levelStart[Depth] = %d", innerNodes, levelStart[Depth])
	}
}

func BenchmarkUpdate(b *testing.B) {
	tr := NewTrees(256)
	keys := make([][]byte, 1024)
	hs := make([]uint64, len(keys))
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "user:%d", i)
		hs[i] = partition.Hash(keys[i])
	}
	a := write(version.Object{}, actors[0], "v", 1)
	c := write(a, actors[1], "w", 2)
	for i := range keys {
		tr.Add(hs[i], keys[i], a)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		j := i % len(keys)
		if i/len(keys)%2 == 0 {
			tr.Update(hs[j], keys[j], a, c)
		} else {
			tr.Update(hs[j], keys[j], c, a)
		}
	}
}

func BenchmarkDigest(b *testing.B) {
	key := []byte("user:12345")
	o := write(write(version.Object{}, actors[0], "v", 1), actors[1], "w", 2)
	b.ReportAllocs()
	for b.Loop() {
		Digest(key, o)
	}
}
