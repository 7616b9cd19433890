package engine

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// writeGroup writes value to every key at once with one dot.
func writeGroup(t *testing.T, e *Engine, counter uint64, value string, keys ...[]byte) {
	t.Helper()
	_, err := e.UpdateGroup(keys, func(cur []version.Object, _ []bool) ([]version.Object, []bool, error) {
		next := make([]version.Object, len(cur))
		write := make([]bool, len(cur))
		for i, c := range cur {
			next[i] = c.Update(c.Clock, version.Dot{Actor: actor, Counter: counter}, &version.Sibling{Time: 1, Value: []byte(value)})
			write[i] = true
		}
		return next, write, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func elementsOf(t *testing.T, e *Engine, key string, page int) []string {
	t.Helper()
	var out []string
	var after []byte
	for {
		more, err := e.Elements([]byte(key), after, page, func(ek []byte, o version.Object) {
			_, elem, ok := partition.SplitElementKey(ek)
			if !ok {
				t.Fatalf("%q is not an element key", ek)
			}
			out = append(out, fmt.Sprintf("%s=%s", elem, o.Siblings[0].Value))
			after = ek
		})
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			return out
		}
	}
}

// TestGroupOfRecordsAndTheirElements: a key and its element records change
// together, are listed in element order (in pages, none from a neighbour
// key), survive a restart, and do not count as keys.
func TestGroupOfRecordsAndTheirElements(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir)
	ek := func(key, elem string) []byte { return partition.ElementKey(nil, []byte(key), []byte(elem)) }
	writeGroup(t, e, 1, "1", []byte("h"), ek("h", "b"), ek("h", "a"))
	writeGroup(t, e, 2, "2", ek("h", "c"), []byte("h"))
	writeGroup(t, e, 3, "x", []byte("h\x00"), ek("h\x00", "a"), ek("", "a"))
	if n := e.Len(); n != 2 {
		t.Fatalf("Len %d, want 2 (the keys h and h\\x00, not their elements)", n)
	}
	want := []string{"a=1", "b=1", "c=2"}
	for _, page := range []int{1, 2, 100} {
		if got := elementsOf(t, e, "h", page); !slices.Equal(got, want) {
			t.Fatalf("elements of h in pages of %d: %v, want %v", page, got, want)
		}
	}
	if got := elementsOf(t, e, "", 10); !slices.Equal(got, []string{"a=x"}) {
		t.Fatalf("elements of the empty key: %v", got)
	}
	// A scan of keys skips the element records, whatever the page.
	for _, count := range []int{1, 2, 100} {
		var keys []string
		for cursor := uint64(0); ; {
			next, err := e.ScanKeys(cursor, 0, count, func(key []byte, _ version.Object) bool {
				keys = append(keys, string(key))
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			if next == 0 {
				break
			}
			cursor = next
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"h", "h\x00"}) {
			t.Fatalf("ScanKeys in pages of %d: %q", count, keys)
		}
	}
	// A failing decision changes nothing.
	boom := errors.New("boom")
	if _, err := e.UpdateGroup([][]byte{[]byte("h"), ek("h", "d")}, func(cur []version.Object, _ []bool) ([]version.Object, []bool, error) {
		return nil, nil, boom
	}); err != boom {
		t.Fatalf("UpdateGroup: %v", err)
	}
	e.Close()
	e = open(t, dir)
	if got := elementsOf(t, e, "h", 2); !slices.Equal(got, want) || e.Len() != 2 {
		t.Fatalf("after a restart: %v, %d keys", got, e.Len())
	}
	if o, found := get(t, e, "h"); !found || len(o.Siblings) != 1 || string(o.Siblings[0].Value) != "2" {
		t.Fatalf("h = %v", o)
	}
}

// oldObserver records the old object of every change it is shown.
type oldObserver struct{ olds map[string]version.Object }

func (o *oldObserver) Changed(_ uint64, key []byte, old, _ version.Object) { o.olds[string(key)] = old }
func (o *oldObserver) Flushed()                                            {}

// TestGroupDecisionCannotChangeTheOldState: a GroupFunc that changes the
// objects it is given (the coordinator merges other replicas' copies into
// them) does not change what the observer is told was stored before: the
// anti-entropy trees subtract exactly the stored object's digest.
func TestGroupDecisionCannotChangeTheOldState(t *testing.T) {
	obs := &oldObserver{olds: map[string]version.Object{}}
	e := open(t, t.TempDir(), func(c *Config) { c.Observer = obs })
	key := []byte("h")
	writeGroup(t, e, 1, "stored", key)
	stored, _ := get(t, e, "h")
	other := version.Object{}.Update(nil, version.Dot{Actor: version.Actor{Node: 9, Epoch: 1}, Counter: 5}, &version.Sibling{Time: 2, Value: []byte("seen")})
	_, err := e.UpdateGroup([][]byte{key}, func(cur []version.Object, _ []bool) ([]version.Object, []bool, error) {
		cur[0] = version.Merge(cur[0], other) // as the coordinator merges what its quorum read saw
		return []version.Object{cur[0].Update(cur[0].Clock, version.Dot{Actor: actor, Counter: 2}, &version.Sibling{Time: 3, Value: []byte("new")})}, []bool{true}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := obs.olds["h"]; !got.Equal(stored) {
		t.Fatalf("the observer was told the old object was %v, but %v was stored", got, stored)
	}
}

// TestHasMoreElements counts a key's element records, tombstones included,
// and none of a neighbour's.
func TestHasMoreElements(t *testing.T) {
	e := open(t, t.TempDir())
	ek := func(key, elem string) []byte { return partition.ElementKey(nil, []byte(key), []byte(elem)) }
	writeGroup(t, e, 1, "1", []byte("k"), ek("k", "a"), ek("k", "b"), ek("k", "c"), ek("k\x00", "d"), ek("", "e"))
	// A tombstone of c still counts.
	if _, err := e.Update(ek("k", "c"), func(cur version.Object, _ bool) (version.Object, bool, error) {
		return version.Object{Clock: cur.Clock.Add(version.Dot{Actor: actor, Counter: 2})}, true, nil
	}); err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]bool{0: true, 2: true, 3: false, 10: false} {
		if got, err := e.HasMoreElements([]byte("k"), n); err != nil || got != want {
			t.Fatalf("HasMoreElements(k, %d) = %v, %v; want %v", n, got, err, want)
		}
	}
	if got, _ := e.HasMoreElements([]byte("none"), 0); got {
		t.Fatal("a key without elements has more than 0")
	}
}
