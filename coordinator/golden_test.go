package coordinator

import (
	"encoding/hex"
	"slices"
	"testing"

	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// The internode messages travel between nodes of different releases (a
// rolling upgrade): their bytes never change. These golden encodings were
// taken from the code as it stood before the encoders moved onto package
// wire; the handlers must accept them and answer the golden replies, and the
// encoders and decoders must still produce and read them byte for byte.

// golden checks that got is want (hex) and returns want's bytes.
func golden(t *testing.T, name string, got []byte, want string) []byte {
	t.Helper()
	if h := hex.EncodeToString(got); h != want {
		t.Errorf("%s: %s, want %s", name, h, want)
	}
	b, err := hex.DecodeString(want)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenObject is a small object of a fixed actor and time.
func goldenObject(value string) version.Object {
	d := version.Dot{Actor: version.Actor{Node: 7, Epoch: 1}, Counter: 3}
	return version.Object{}.Update(nil, d, &version.Sibling{Time: 42, Value: []byte(value)})
}

// goldenObjectHex is goldenObject("v")'s version binary form.
const goldenObjectHex = "010100000000000000070103010003000000000000002a00000176"

// goldenBatchHex is a MethodMergeBatch request: "a" with goldenObject("v"),
// "bc" with goldenObject("w").
const goldenBatchHex = "02" + "0161" + "1b" + goldenObjectHex +
	"026263" + "1b" + "010100000000000000070103010003000000000000002a00000177"

func TestGoldenRequests(t *testing.T) {
	o := goldenObject("v")
	golden(t, "object", o.AppendBinary(nil), goldenObjectHex)

	b := golden(t, "merge", encodeMerge([]byte("k"), o), "01"+"6b"+goldenObjectHex)
	if k, got, err := decodeMerge(b); err != nil || string(k) != "k" || !got.Equal(o) {
		t.Errorf("merge decodes to %q %v, %v", k, got, err)
	}
	b = golden(t, "hint", encodeHint("n1", []byte("k"), o), "02"+"6e31"+"01"+"6b"+goldenObjectHex)
	if owner, rest, err := decodeName(b); err != nil || owner != "n1" || hex.EncodeToString(rest) != hex.EncodeToString(encodeMerge([]byte("k"), o)) {
		t.Errorf("hint decodes to %q %x, %v", owner, rest, err)
	}
	b = golden(t, "batch", EncodeBatch([][]byte{[]byte("a"), []byte("bc")}, []version.Object{o, goldenObject("w")}), goldenBatchHex)
	if keys, objs, err := DecodeBatch(b); err != nil || len(keys) != 2 || string(keys[1]) != "bc" || !objs[1].Equal(goldenObject("w")) {
		t.Errorf("batch decodes to %q, %v", keys, err)
	}
	b = golden(t, "keys", appendGeneration(encodeKeys([][]byte{[]byte("a"), []byte("bc")}), 0), "02"+"0161"+"026263")
	if keys, gen, err := decodeKeys(b); err != nil || len(keys) != 2 || gen != 0 {
		t.Errorf("keys decode to %q %d, %v", keys, gen, err)
	}
	b = golden(t, "keys, generation 300", appendGeneration(encodeKeys([][]byte{[]byte("a")}), 300), "01"+"0161"+"ac02")
	if keys, gen, err := decodeKeys(b); err != nil || len(keys) != 1 || gen != 300 {
		t.Errorf("keys decode to %q %d, %v", keys, gen, err)
	}
	b = golden(t, "digest reads", appendGeneration(encodeDigestReads([][]byte{[]byte("a"), nil}, []uint64{0x0102030405060708, 0}), 2), "02"+"0161"+"0807060504030201"+"00"+"0000000000000000"+"02")
	if keys, digests, gen, err := decodeDigestReads(b); err != nil || len(keys) != 2 || !slices.Equal(digests, []uint64{0x0102030405060708, 0}) || gen != 2 {
		t.Errorf("digest reads decode to %q %x %d, %v", keys, digests, gen, err)
	}
	b = golden(t, "scan", encodeScan(0x10, 0, 10), "0000000000000010"+"0000000000000000"+"0a")
	if from, end, count, err := decodeScan(b); err != nil || from != 0x10 || end != 0 || count != 10 {
		t.Errorf("scan request decodes to %d %d %d, %v", from, end, count, err)
	}
	golden(t, "count", encodeCount([]int{0, 187, 210}), "03"+"00"+"bb01"+"d201")
	golden(t, "flush to 300", wire.AppendUvarint([]byte{flushTo}, 300), "02"+"ac02")
	if g, err := decodeFlushReply([]byte{0xac, 0x02}); err != nil || g != 300 {
		t.Errorf("flush reply decodes to %d, %v", g, err)
	}
}

// TestGoldenHandlers sends one node's handlers golden requests, built by
// hand from the formats, and checks their golden replies.
func TestGoldenHandlers(t *testing.T) {
	c := newCoordinator(t, nodeA, stepClock())
	o, w := goldenObject("v"), goldenObject("w")
	batch, _ := hex.DecodeString(goldenBatchHex)
	reply, err := c.HandleMergeBatch(batch)
	golden(t, "merge batch reply", reply, "00")
	if err != nil {
		t.Fatal(err)
	}
	hint, _ := hex.DecodeString("02" + "6e31" + "01" + "6b" + goldenObjectHex) // owner n1, key k
	reply, err = c.HandleHint(hint)
	golden(t, "hint reply", reply, "00")
	if err != nil {
		t.Fatal(err)
	}

	// Read batch: "a", "zz" (absent), "k" (hinted only).
	req, _ := hex.DecodeString("03" + "0161" + "027a7a" + "016b")
	reply, err = c.HandleReadBatch(req)
	if err != nil {
		t.Fatal(err)
	}
	b := golden(t, "read batch reply", reply, "1b"+goldenObjectHex+"00"+"1b"+goldenObjectHex)
	if objs, gen, err := decodeObjects(b, 3); err != nil || !objs[0].Equal(o) || len(objs[1].Clock) != 0 || !objs[2].Equal(o) || gen != 0 {
		t.Errorf("read batch reply decodes to %v %d, %v", objs, gen, err)
	}

	// Digest reads: "a" with its digest, "bc" with another, "zz".
	req = appendGeneration(encodeDigestReads([][]byte{[]byte("a"), []byte("bc"), []byte("zz")},
		[]uint64{antientropy.Digest([]byte("a"), o), 1, 0}), 0)
	reply, err = c.HandleReadDigests(req)
	if err != nil {
		t.Fatal(err)
	}
	b = golden(t, "digest reads reply", reply, "01"+"02"+"1b"+"010100000000000000070103010003000000000000002a00000177"+"00")
	if rs, err := decodeDigestReplies(b, 3); err != nil || !rs[0].same || !rs[1].found || !rs[1].obj.Equal(w) || rs[2].found || rs[2].same {
		t.Errorf("digest reads reply decodes to %+v, %v", rs, err)
	}

	// Scan the whole ring, 10 keys: from 0, end 0 (2^64), count 10.
	req, _ = hex.DecodeString("0000000000000000" + "0000000000000000" + "0a")
	reply, err = c.HandleScan(req)
	if err != nil {
		t.Fatal(err)
	}
	b = golden(t, "scan reply", reply, "0000000000000000"+"02"+"026263"+"0161") // "bc" hashes before "a"
	if keys, next, err := decodeScanReply(b); err != nil || len(keys) != 2 || next != 0 {
		t.Errorf("scan reply decodes to %q %d, %v", keys, next, err)
	}

	// Count: partitions of "a" and "bc", and partition 0.
	q := 256
	pa, pb := partition.Of(partition.Hash([]byte("a")), q), partition.Of(partition.Hash([]byte("bc")), q)
	if pa != 210 || pb != 187 {
		t.Fatalf("partitions %d and %d", pa, pb)
	}
	req, _ = hex.DecodeString("03" + "00" + "bb01" + "d201")
	reply, err = c.HandleCount(req)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "count reply", reply, "02")

	for _, tc := range []struct{ req, reply string }{
		{"01", "00"},        // ask
		{"02" + "05", "05"}, // move to generation 5
		{"", "06"},          // an old node's flush: the next generation
		{"01", "06"},
	} {
		req, _ := hex.DecodeString(tc.req)
		reply, err := c.HandleFlush(req)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "flush "+tc.req, reply, tc.reply)
	}
	// After the flush: nothing, and the replica's generation.
	reply, err = c.HandleReadBatch(golden(t, "keys", encodeKeys([][]byte{[]byte("a")}), "01"+"0161"))
	if err != nil {
		t.Fatal(err)
	}
	b = golden(t, "read batch reply after a flush", reply, "00"+"06")
	if objs, gen, err := decodeObjects(b, 1); err != nil || len(objs) != 1 || gen != 6 {
		t.Errorf("read batch reply decodes to %v %d, %v", objs, gen, err)
	}
}
