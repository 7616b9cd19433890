package engine

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/version"
)

// recorder is an Observer that keeps the latest object of each key.
type recorder struct {
	mu      sync.Mutex
	objects map[string]version.Object
	flushes int
}

func (r *recorder) Changed(h uint64, key []byte, old, next version.Object) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.objects[string(key)]; !cur.Equal(old) {
		panic(fmt.Sprintf("observer of %q: old %v, expected %v", key, old, cur))
	}
	if isEmpty(next) {
		delete(r.objects, string(key))
	} else {
		r.objects[string(key)] = next
	}
}

func (r *recorder) Flushed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.objects = map[string]version.Object{}
	r.flushes++
}

func tombstone(counter uint64) version.Object {
	return version.Object{}.Update(nil, version.Dot{Actor: actor, Counter: counter}, nil)
}

func TestObserverSeesEveryChangeAndReopen(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{objects: map[string]version.Object{}}
	e := open(t, dir, func(c *Config) { c.Observer = rec })
	for i := 0; i < 50; i++ {
		put(t, e, fmt.Sprintf("k%d", i), uint64(i+1), []byte("v"), 0)
	}
	if err := e.MergeBatch([][]byte{[]byte("k1"), []byte("b1")}, []version.Object{tombstone(100), tombstone(101)}); err != nil {
		t.Fatal(err)
	}
	want := map[string]version.Object{}
	if _, err := e.Scan(0, 1000, func(key []byte, o version.Object) bool {
		want[string(key)] = o
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(rec.objects) != len(want) || len(want) != 51 {
		t.Fatalf("observer holds %d keys, engine %d (want 51)", len(rec.objects), len(want))
	}
	for k, o := range want {
		if !rec.objects[k].Equal(o) {
			t.Fatalf("observer's %q = %v, engine's %v", k, rec.objects[k], o)
		}
	}
	e.Close()

	// At open every stored record is shown once.
	rec2 := &recorder{objects: map[string]version.Object{}}
	open(t, dir, func(c *Config) { c.Observer = rec2 })
	if len(rec2.objects) != len(want) {
		t.Fatalf("after reopen the observer saw %d keys, want %d", len(rec2.objects), len(want))
	}
}

func TestMergeBatch(t *testing.T) {
	e := open(t, t.TempDir())
	mine := put(t, e, "shared", 1, []byte("mine"), 0)
	other := version.Object{}.Update(nil, version.Dot{Actor: version.Actor{Node: 9, Epoch: 1}, Counter: 1},
		&version.Sibling{Time: 5, Value: []byte("theirs")})
	keys := [][]byte{[]byte("shared"), []byte("new"), []byte("new")}
	newer := other.Update(other.Clock, version.Dot{Actor: version.Actor{Node: 9, Epoch: 1}, Counter: 2},
		&version.Sibling{Time: 6, Value: []byte("theirs2")})
	if err := e.MergeBatch(keys, []version.Object{other, other, newer}); err != nil {
		t.Fatal(err)
	}
	got, _ := get(t, e, "shared")
	if want := version.Merge(mine, other); !got.Equal(want) || len(got.Siblings) != 2 {
		t.Fatalf("shared = %v, want both siblings %v", got, want)
	}
	got, _ = get(t, e, "new")
	if !got.Equal(newer) {
		t.Fatalf("a key repeated in the batch = %v, want the merge of both %v", got, newer)
	}
	if e.Len() != 2 {
		t.Fatalf("Len = %d, want 2", e.Len())
	}
	// Merging what is already there changes nothing.
	if err := e.MergeBatch([][]byte{[]byte("new")}, []version.Object{other}); err != nil {
		t.Fatal(err)
	}
	if got, _ = get(t, e, "new"); !got.Equal(newer) {
		t.Fatalf("re-merge changed the key: %v", got)
	}
}

func TestHintsAreDurableMergedAndDeletedOnlyWhenDelivered(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir)
	a := actor
	v1 := version.Object{}.Update(nil, version.Dot{Actor: a, Counter: 1}, &version.Sibling{Time: 1, Value: []byte("one")})
	v2 := v1.Update(v1.Clock, version.Dot{Actor: a, Counter: 2}, &version.Sibling{Time: 2, Value: []byte("two")})
	if err := e.AddHint("nodeB", []byte("k"), v1); err != nil {
		t.Fatal(err)
	}
	if err := e.AddHint("nodeC", []byte("k"), v1); err != nil {
		t.Fatal(err)
	}
	if err := e.AddHint("nodeB", []byte("k"), v2); err != nil {
		t.Fatal(err)
	}
	if e.Hints() != 2 {
		t.Fatalf("Hints = %d, want 2 (one per owner and key)", e.Hints())
	}
	if _, found, _ := e.Get([]byte("k")); found {
		t.Fatal("a hint must not show as the node's own copy")
	}
	merged, found, err := e.Hinted([]byte("k"))
	if err != nil || !found || !merged.Equal(v2) {
		t.Fatalf("Hinted = %v %v %v, want %v", merged, found, err, v2)
	}
	e.Close()
	e = open(t, dir)
	if e.Hints() != 2 {
		t.Fatalf("after reopen Hints = %d, want 2", e.Hints())
	}
	var seen []Hint
	if err := e.ScanHints(0, func(h Hint) bool { seen = append(seen, h); return true }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Fatalf("ScanHints saw %d, want 2", len(seen))
	}
	// Delivering less than the hint holds keeps it.
	if err := e.DeleteHint("nodeB", []byte("k"), v1); err != nil {
		t.Fatal(err)
	}
	if e.Hints() != 2 {
		t.Fatal("a hint was deleted though the delivered copy lacked a version")
	}
	if err := e.DeleteHint("nodeB", []byte("k"), v2); err != nil {
		t.Fatal(err)
	}
	if err := e.DeleteHint("nodeC", []byte("k"), v1); err != nil {
		t.Fatal(err)
	}
	if e.Hints() != 0 {
		t.Fatalf("Hints = %d after delivery, want 0", e.Hints())
	}
	if _, found, _ := e.Hinted([]byte("k")); found {
		t.Fatal("delivered hints still visible")
	}
}

func TestTombstonesCollectedAfterGrace(t *testing.T) {
	clock := &fakeClock{}
	clock.ms.Store(1_000_000)
	e := open(t, t.TempDir(), func(c *Config) {
		c.Now = clock.now
		c.TombstoneGrace = time.Minute
	})
	v := put(t, e, "gone", 1, []byte("x"), 0)
	dead := v.Update(v.Clock, version.Dot{Actor: actor, Counter: 2}, nil)
	if err := e.MergeBatch([][]byte{[]byte("gone")}, []version.Object{dead}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.CollectTombstones(100); err != nil || n != 0 {
		t.Fatalf("collected %d (%v) inside the grace period", n, err)
	}
	clock.ms.Add(61_000)
	// A tombstone that changed since is timed from its change.
	put(t, e, "again", 1, []byte("y"), 0)
	if _, err := e.Update([]byte("again"), func(cur version.Object, _ bool) (version.Object, bool, error) {
		return cur.Update(cur.Clock, version.Dot{Actor: actor, Counter: 9}, nil), true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.CollectTombstones(100); err != nil || n != 1 {
		t.Fatalf("collected %d (%v), want the one old tombstone", n, err)
	}
	if _, found := get(t, e, "gone"); found {
		t.Fatal("old tombstone still stored")
	}
	if o, found := get(t, e, "again"); !found || !o.IsTombstone() {
		t.Fatal("a fresh tombstone was collected early")
	}
	clock.ms.Add(61_000)
	if n, _ := e.CollectTombstones(100); n != 1 {
		t.Fatalf("collected %d, want the second tombstone after its grace", n)
	}
}

func TestCheckpointIsAConsistentCopy(t *testing.T) {
	e := open(t, t.TempDir())
	put(t, e, "before", 1, []byte("x"), 0)
	if err := e.AddHint("owner", []byte("hinted"), tombstone(5)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() + "/backup"
	if err := e.Checkpoint(dir); err != nil {
		t.Fatal(err)
	}
	if err := e.Checkpoint(dir); err == nil {
		t.Fatal("a checkpoint over an existing directory was accepted")
	}
	put(t, e, "after", 2, []byte("y"), 0)
	b := open(t, dir)
	if _, found := get(t, b, "before"); !found {
		t.Fatal("the checkpoint lacks a key written before it")
	}
	if _, found := get(t, b, "after"); found {
		t.Fatal("the checkpoint has a key written after it")
	}
	if b.Hints() != 1 {
		t.Fatalf("the checkpoint holds %d hints, want 1", b.Hints())
	}
}

func TestStats(t *testing.T) {
	e := open(t, t.TempDir())
	for i := 0; i < 10; i++ {
		put(t, e, fmt.Sprintf("s%d", i), uint64(i+1), []byte("v"), 0)
	}
	s := e.Stats()
	if s.Records != 10 || s.DiskBytes == 0 || s.WALBytesWritten == 0 {
		t.Fatalf("stats after 10 writes: %+v", s)
	}
	e.Close()
	if s := e.Stats(); s != (Stats{}) {
		t.Fatalf("stats of a closed engine: %+v", s)
	}
}
