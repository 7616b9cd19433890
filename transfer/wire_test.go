package transfer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
	"github.com/klauspost/compress/s2"
)

type badInput struct {
	name string
	b    []byte
}

var badFetches = []badInput{
	{"empty", nil},
	{"short", make([]byte, 24)},
	{"no size", append(make([]byte, 24), 0x80)},
	{"trailing bytes", append(appendFetchRequest(nil, fetchRequest{end: 100, cursor: 1, maxBytes: 10}), 0)},
	{"size zero", appendFetchRequest(nil, fetchRequest{end: 100, cursor: 1, maxBytes: 0})},
	{"empty range", appendFetchRequest(nil, fetchRequest{start: 100, end: 100, cursor: 100, maxBytes: 10})},
	{"backward range", appendFetchRequest(nil, fetchRequest{start: 100, end: 50, cursor: 100, maxBytes: 10})},
	{"cursor below", appendFetchRequest(nil, fetchRequest{start: 100, end: 200, cursor: 99, maxBytes: 10})},
	{"cursor at end", appendFetchRequest(nil, fetchRequest{start: 100, end: 200, cursor: 200, maxBytes: 10})},
}

func testObject(value string) version.Object {
	d := version.Dot{Actor: version.Actor{Node: 7, Epoch: 1}, Counter: 3}
	return version.Object{}.Update(nil, d, &version.Sibling{Time: 42, Value: []byte(value)})
}

// rawBatch encodes records uncompressed.
func rawBatch(keys ...string) []byte {
	var w batchWriter
	for _, k := range keys {
		w.add([]byte(k), testObject("v-"+k))
	}
	return w.raw
}

func badPushes() []badInput {
	h := partition.Hash([]byte("a"))
	hugeBlock := binary.AppendUvarint(nil, maxBatchBytes+1) // claims more than the limit
	goodRaw := rawBatch("a")
	return []badInput{
		{"empty", nil},
		{"short", make([]byte, 15)},
		{"empty range", encodePush(5, 5, goodRaw)},
		{"not s2", append(make([]byte, 16), 0xff, 0xff, 0xff)},
		{"too large decoded", append(binary.BigEndian.AppendUint64(make([]byte, 8), 0), hugeBlock...)},
		{"truncated block", encodePush(0, 0, goodRaw)[:20]},
		{"key length past the end", encodePush(0, 0, []byte{5, 'a'})},
		{"no object", encodePush(0, 0, []byte{1, 'a'})},
		{"bad object", encodePush(0, 0, []byte{1, 'a', 2, 9, 9})},
		{"key outside the range", encodePush(h+1, 0, goodRaw)},
		{"key past the end", encodePush(0, h, goodRaw)},
		{"trailing garbage", encodePush(0, 0, append(rawBatch("a"), 0x01))},
	}
}

func TestFetchRequestRoundTrip(t *testing.T) {
	for _, r := range []fetchRequest{
		{start: 0, end: 0, cursor: 0, maxBytes: 1},
		{start: 1 << 60, end: 0, cursor: 1<<64 - 1, maxBytes: 1 << 40},
		{start: 10, end: 20, cursor: 19, maxBytes: 300},
	} {
		got, err := decodeFetchRequest(appendFetchRequest(nil, r))
		if err != nil || got != r {
			t.Errorf("%+v: decoded %+v, %v", r, got, err)
		}
	}
	for _, tc := range badFetches {
		if _, err := decodeFetchRequest(tc.b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", tc.name, err)
		}
	}
}

func TestBatchRoundTrip(t *testing.T) {
	keys := []string{"a", "", "some longer key", "\x00\xff"}
	start, end, b, err := decodePush(encodePush(0, 0, rawBatch(keys...)))
	if err != nil || start != 0 || end != 0 {
		t.Fatalf("decodePush: [%d, %d) %v", start, end, err)
	}
	if len(b.keys) != len(keys) {
		t.Fatalf("%d keys, want %d", len(b.keys), len(keys))
	}
	for i, k := range keys {
		if string(b.keys[i]) != k || !b.objs[i].Equal(testObject("v-"+k)) {
			t.Errorf("record %d: %q %v", i, b.keys[i], b.objs[i])
		}
	}
	if _, _, b, err := decodePush(encodePush(0, 0, nil)); err != nil || len(b.keys) != 0 {
		t.Errorf("empty batch: %d keys, %v", len(b.keys), err)
	}
	for _, tc := range badPushes() {
		if _, _, _, err := decodePush(tc.b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", tc.name, err)
		}
	}
}

func TestFetchReplyChecks(t *testing.T) {
	h := partition.Hash([]byte("a"))
	r := fetchRequest{start: 0, end: 0, cursor: h, maxBytes: 100}
	if next, b, err := decodeFetchReply(encodeFetchReply(h+1, rawBatch("a")), r); err != nil || next != h+1 || len(b.keys) != 1 {
		t.Fatalf("good reply: next %d, %d keys, %v", next, len(b.keys), err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		r    fetchRequest
	}{
		{"short", make([]byte, 7), r},
		{"cursor stays", encodeFetchReply(h, rawBatch("a")), r},
		{"cursor goes back", encodeFetchReply(h-1, rawBatch("a")), r},
		{"cursor past the range", encodeFetchReply(h+10, nil), fetchRequest{start: 0, end: h + 5, cursor: h, maxBytes: 1}},
		{"key before the cursor", encodeFetchReply(0, rawBatch("a")), fetchRequest{end: 0, cursor: h + 1, maxBytes: 1}},
	} {
		if _, _, err := decodeFetchReply(tc.b, tc.r); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", tc.name, err)
		}
	}
}

// The messages come off the network: their decoders must reject anything
// malformed without panicking, and what they accept must round-trip.
func FuzzDecode(f *testing.F) {
	f.Add(appendFetchRequest(nil, fetchRequest{start: 1, end: 9, cursor: 2, maxBytes: 100}))
	f.Add(encodePush(0, 0, rawBatch("a", "b")))
	f.Add(encodeFetchReply(0, rawBatch("k")))
	for _, tc := range badFetches {
		f.Add(tc.b)
	}
	for _, tc := range badPushes() {
		f.Add(tc.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := decodeFetchRequest(b); err == nil {
			if again, err := decodeFetchRequest(appendFetchRequest(nil, r)); err != nil || again != r {
				t.Fatalf("fetch request %+v does not round-trip: %+v, %v", r, again, err)
			}
		}
		if start, end, bt, err := decodePush(b); err == nil {
			var w batchWriter
			for i := range bt.keys {
				w.add(bt.keys[i], bt.objs[i])
			}
			s2, e2, again, err := decodePush(encodePush(start, end, w.raw))
			if err != nil || s2 != start || e2 != end || len(again.keys) != len(bt.keys) {
				t.Fatalf("push does not round-trip: %v", err)
			}
			for i := range bt.keys {
				if !bytes.Equal(again.keys[i], bt.keys[i]) || !again.objs[i].Equal(bt.objs[i]) {
					t.Fatalf("record %d does not round-trip", i)
				}
			}
		}
		_, _, _ = decodeFetchReply(b, fetchRequest{maxBytes: 1})
		// A block that claims a decoded size above the limit is refused
		// before anything is allocated for it.
		if n, err := s2.DecodedLen(b); err == nil && n > maxBatchBytes {
			if _, err := decodeBatch(b, 0, 0); err == nil {
				t.Fatalf("a batch of %d decoded bytes was accepted", n)
			}
		}
	})
}
