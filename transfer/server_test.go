package transfer

import (
	"slices"
	"testing"

	"github.com/dynago/dynago/version"
)

// sliceStore is a Store over records sorted by a hash the test chooses,
// scanned as the engine scans. It only reads.
type sliceStore struct {
	hash func([]byte) uint64
	keys []string // sorted by (hash, key)
}

func (s *sliceStore) ScanRange(cursor, end uint64, count int, fn func([]byte, version.Object) bool) (uint64, error) {
	visited := 0
	var last uint64
	for i, k := range s.keys {
		h := s.hash([]byte(k))
		if !inRange(h, cursor, end) {
			continue
		}
		if visited >= count && h != last {
			return h, nil
		}
		visited++
		last = h
		if !fn([]byte(k), testObject(k)) {
			if i+1 < len(s.keys) && inRange(s.hash([]byte(s.keys[i+1])), cursor, end) {
				return s.hash([]byte(s.keys[i+1])), nil
			}
			return 0, nil
		}
	}
	return 0, nil
}

func (s *sliceStore) MergeBatch([][]byte, []version.Object) error { panic("read only") }

// Keys that share a hash cannot be resumed in the middle: a batch that
// would end inside the group at its cursor takes the whole group, so the
// cursor always advances, and every key is sent.
func TestReadBatchKeepsCollidingKeysTogether(t *testing.T) {
	firstByte := func(k []byte) uint64 { return uint64(k[0]) }
	s := &sliceStore{hash: firstByte, keys: []string{"a1", "a2", "a3", "b1", "b2", "b3", "c1"}}
	var batches [][]string
	seen := map[string]bool{}
	for cursor, rounds := uint64(0), 0; ; rounds++ {
		if rounds > 10 {
			t.Fatalf("no end after %d batches: %v", rounds, batches)
		}
		var w batchWriter
		next, err := readBatch(s, firstByte, cursor, 0, 1, &w)
		if err != nil {
			t.Fatal(err)
		}
		_, _, b, err := decodePush(encodePush(0, 0, w.raw))
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, k := range b.keys {
			keys = append(keys, string(k))
			seen[string(k)] = true
		}
		batches = append(batches, keys)
		if next == 0 {
			break
		}
		if next <= cursor && cursor != 0 {
			t.Fatalf("cursor went from %d to %d", cursor, next)
		}
		cursor = next
	}
	want := [][]string{
		{"a1"},                   // ends inside group a, which is not at the cursor (0)
		{"a1", "a2", "a3", "b1"}, // at cursor 'a': the whole group, then one record
		{"b1", "b2", "b3", "c1"}, // the same at 'b'
	}
	if !slices.EqualFunc(batches, want, slices.Equal) {
		t.Errorf("batches %q, want %q", batches, want)
	}
	if len(seen) != len(s.keys) {
		t.Errorf("sent %d keys of %d", len(seen), len(s.keys))
	}
}
