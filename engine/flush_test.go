package engine

import (
	"slices"
	"testing"

	"github.com/dynago/dynago/version"
)

// written is an object as a coordinator writes it in generation gen.
func written(gen, counter uint64, value string) version.Object {
	o := version.Object{}.Update(nil, version.Dot{Actor: actor, Counter: counter},
		&version.Sibling{Time: int64(counter), Value: []byte(value)})
	return WithGeneration(o, gen)
}

func values(t *testing.T, e *Engine, key string) []string {
	t.Helper()
	o, _ := get(t, e, key)
	var vs []string
	for _, s := range o.Siblings {
		vs = append(vs, string(s.Value))
	}
	return vs
}

func TestWithGeneration(t *testing.T) {
	o := written(0, 3, "v")
	if GenerationOf(o) != 0 || len(o.Clock) != 1 {
		t.Fatalf("generation 0 adds no clock entry: %v", o.Clock)
	}
	o5 := WithGeneration(o, 5)
	if GenerationOf(o5) != 5 || !o5.Valid() || GenerationOf(o) != 0 {
		t.Fatalf("stamped %v from %v", o5.Clock, o.Clock)
	}
	// A context from elsewhere may carry another generation: the stamp
	// replaces it.
	merged := version.Merge(o5, WithGeneration(written(0, 4, "w"), 9))
	if got := GenerationOf(WithGeneration(merged, 6)); got != 6 {
		t.Fatalf("restamped generation = %d, want 6", got)
	}
	back, err := version.DecodeObject(o5.AppendBinary(nil))
	if err != nil || !back.Equal(o5) || GenerationOf(back) != 5 {
		t.Fatalf("round trip of %v: %v, %v", o5, back, err)
	}
	if GenerationOf(WithGeneration(o5, 0)) != 0 || !WithGeneration(o5, 0).Clock.Equal(o.Clock) {
		t.Fatalf("stamping 0 must remove the entry")
	}
	if e := WithGeneration(version.Object{}, 4); len(e.Clock) != 0 {
		t.Fatalf("an empty object (no record) must stay empty: %v", e)
	}
}

// TestAdoptFencesOlderCopies: after a FLUSHALL moves a node to a new
// generation, copies of the old one (a replica write, read repair, hint,
// anti-entropy repair or transfer that left before the flush) are dropped by
// every way data comes in, while copies of the new generation are stored.
func TestAdoptFencesOlderCopies(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir)
	put(t, e, "k", 1, []byte("old"), 0)
	if err := e.AddHint("owner", []byte("h"), written(0, 2, "old")); err != nil {
		t.Fatal(err)
	}
	if flushed, err := e.Adopt(1); err != nil || !flushed {
		t.Fatalf("Adopt(1) = %v, %v", flushed, err)
	}
	if e.Len() != 0 || e.Hints() != 0 || e.Generation() != 1 {
		t.Fatalf("after Adopt(1): %d keys, %d hints, generation %d", e.Len(), e.Hints(), e.Generation())
	}
	if flushed, err := e.Adopt(1); err != nil || flushed {
		t.Fatalf("Adopt of the current generation flushed again: %v, %v", flushed, err)
	}

	stale := written(0, 3, "late")
	if err := e.MergeBatch([][]byte{[]byte("k")}, []version.Object{stale}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Merge([]byte("m"), stale); err != nil {
		t.Fatal(err)
	}
	if err := e.AddHint("owner", []byte("h"), stale); err != nil {
		t.Fatal(err)
	}
	if e.Len() != 0 || e.Hints() != 0 {
		t.Fatalf("copies from before the flush were stored: %d keys (k=%q m=%q), %d hints",
			e.Len(), values(t, e, "k"), values(t, e, "m"), e.Hints())
	}

	fresh := written(1, 4, "new")
	if err := e.MergeBatch([][]byte{[]byte("k")}, []version.Object{fresh}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Merge([]byte("m"), fresh); err != nil {
		t.Fatal(err)
	}
	if err := e.AddHint("owner", []byte("h"), fresh); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(values(t, e, "k"), []string{"new"}) || !slices.Equal(values(t, e, "m"), []string{"new"}) || e.Hints() != 1 {
		t.Fatalf("copies of the current generation: k=%q m=%q, %d hints", values(t, e, "k"), values(t, e, "m"), e.Hints())
	}

	// The generation survives a restart, and so does the fence.
	e.Close()
	e = open(t, dir)
	if e.Generation() != 1 {
		t.Fatalf("generation after reopen = %d, want 1", e.Generation())
	}
	if err := e.MergeBatch([][]byte{[]byte("x")}, []version.Object{stale}); err != nil {
		t.Fatal(err)
	}
	if _, found := get(t, e, "x"); found {
		t.Fatal("a copy from before the flush was stored after a restart")
	}
	// Flush (a node alone) keeps the generation.
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if e.Generation() != 1 || e.Len() != 0 {
		t.Fatalf("after Flush: generation %d, %d keys", e.Generation(), e.Len())
	}
}

// TestNewerGenerationIsAdopted: a node that missed a FLUSHALL (it failed
// during one, or joined after) flushes what it holds when a copy of a newer
// generation reaches it, then stores that copy.
func TestNewerGenerationIsAdopted(t *testing.T) {
	for _, via := range []string{"MergeBatch", "Merge", "AddHint"} {
		t.Run(via, func(t *testing.T) {
			e := open(t, t.TempDir())
			put(t, e, "old", 1, []byte("before the flush"), 0)
			newer := written(2, 5, "after")
			var err error
			switch via {
			case "MergeBatch":
				err = e.MergeBatch([][]byte{[]byte("k")}, []version.Object{newer})
			case "Merge":
				_, err = e.Merge([]byte("k"), newer)
			case "AddHint":
				err = e.AddHint("owner", []byte("k"), newer)
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Generation() != 2 {
				t.Fatalf("generation = %d, want 2", e.Generation())
			}
			if _, found := get(t, e, "old"); found {
				t.Fatal("a key from before the missed FLUSHALL survived")
			}
			if via == "AddHint" {
				if e.Hints() != 1 {
					t.Fatalf("%d hints, want 1", e.Hints())
				}
			} else if !slices.Equal(values(t, e, "k"), []string{"after"}) {
				t.Fatalf("k = %q, want [after]", values(t, e, "k"))
			}
		})
	}
}
