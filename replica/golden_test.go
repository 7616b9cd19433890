package replica

import (
	"encoding/hex"
	"slices"
	"testing"

	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/golden"
	"github.com/dynago/dynago/version"
)

// The internode messages travel between nodes of different releases (a
// rolling upgrade): their bytes never change. These golden encodings were
// taken from the code as it stood before the encoders moved onto package
// wire (and then, unchanged, from package coordinator to this one); the
// handlers must accept them and answer the golden replies, and the
// encoders and decoders must still produce and read them byte for byte.

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
	golden.Hex(t, "object", o.AppendBinary(nil), goldenObjectHex)

	b := golden.Hex(t, "merge", encodeMerge([]byte("k"), o), "01"+"6b"+goldenObjectHex)
	if k, got, err := decodeMerge(b); err != nil || string(k) != "k" || !got.Equal(o) {
		t.Errorf("merge decodes to %q %v, %v", k, got, err)
	}
	b = golden.Hex(t, "hint", EncodeHint("n1", []byte("k"), o), "02"+"6e31"+"01"+"6b"+goldenObjectHex)
	if owner, rest, err := decodeName(b); err != nil || owner != "n1" || hex.EncodeToString(rest) != hex.EncodeToString(encodeMerge([]byte("k"), o)) {
		t.Errorf("hint decodes to %q %x, %v", owner, rest, err)
	}
	b = golden.Hex(t, "batch", EncodeBatch([][]byte{[]byte("a"), []byte("bc")}, []version.Object{o, goldenObject("w")}), goldenBatchHex)
	if keys, objs, err := DecodeBatch(b); err != nil || len(keys) != 2 || string(keys[1]) != "bc" || !objs[1].Equal(goldenObject("w")) {
		t.Errorf("batch decodes to %q, %v", keys, err)
	}
	b = golden.Hex(t, "keys", EncodeReadBatch([][]byte{[]byte("a"), []byte("bc")}, 0), "02"+"0161"+"026263")
	if keys, gen, err := decodeKeys(b); err != nil || len(keys) != 2 || gen != 0 {
		t.Errorf("keys decode to %q %d, %v", keys, gen, err)
	}
	b = golden.Hex(t, "keys, generation 300", EncodeReadBatch([][]byte{[]byte("a")}, 300), "01"+"0161"+"ac02")
	if keys, gen, err := decodeKeys(b); err != nil || len(keys) != 1 || gen != 300 {
		t.Errorf("keys decode to %q %d, %v", keys, gen, err)
	}
	b = golden.Hex(t, "digest reads", EncodeReadDigests([][]byte{[]byte("a"), nil}, []uint64{0x0102030405060708, 0}, 2), "02"+"0161"+"0807060504030201"+"00"+"0000000000000000"+"02")
	if keys, digests, gen, err := decodeDigestReads(b); err != nil || len(keys) != 2 || !slices.Equal(digests, []uint64{0x0102030405060708, 0}) || gen != 2 {
		t.Errorf("digest reads decode to %q %x %d, %v", keys, digests, gen, err)
	}
	b = golden.Hex(t, "elements digest", EncodeElementsDigest([]byte("h"), 300), "01"+"68"+"ac02")
	if key, gen, err := decodeElementsDigest(b); err != nil || string(key) != "h" || gen != 300 {
		t.Errorf("elements digest decodes to %q %d, %v", key, gen, err)
	}
	b, _ = hex.DecodeString("0102030405060708" + "06")
	if d, gen, err := DecodeElementsDigestReply(b); err != nil || d != 0x0102030405060708 || gen != 6 {
		t.Errorf("elements digest reply decodes to %x %d, %v", d, gen, err)
	}
}

// TestGoldenHandlers sends a replica server over a real engine golden
// requests, built by hand from the formats, and checks their golden
// replies.
func TestGoldenHandlers(t *testing.T) {
	ecfg := engine.DefaultConfig(t.TempDir())
	eng, err := engine.Open(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	s := NewServer(eng, nil)
	o, w := goldenObject("v"), goldenObject("w")
	batch, _ := hex.DecodeString(goldenBatchHex)
	reply, err := s.HandleMergeBatch(batch)
	golden.Hex(t, "merge batch reply", reply, "00")
	if err != nil {
		t.Fatal(err)
	}
	hint, _ := hex.DecodeString("02" + "6e31" + "01" + "6b" + goldenObjectHex) // owner n1, key k
	reply, err = s.HandleHint(hint)
	golden.Hex(t, "hint reply", reply, "00")
	if err != nil {
		t.Fatal(err)
	}

	// Read batch: "a", "zz" (absent), "k" (hinted only).
	req, _ := hex.DecodeString("03" + "0161" + "027a7a" + "016b")
	reply, err = s.HandleReadBatch(req)
	if err != nil {
		t.Fatal(err)
	}
	b := golden.Hex(t, "read batch reply", reply, "1b"+goldenObjectHex+"00"+"1b"+goldenObjectHex)
	if objs, gen, err := DecodeReadBatchReply(b, 3); err != nil || !objs[0].Equal(o) || len(objs[1].Clock) != 0 || !objs[2].Equal(o) || gen != 0 {
		t.Errorf("read batch reply decodes to %v %d, %v", objs, gen, err)
	}

	// Digest reads: "a" with its digest, "bc" with another, "zz".
	req = EncodeReadDigests([][]byte{[]byte("a"), []byte("bc"), []byte("zz")},
		[]uint64{antientropy.Digest([]byte("a"), o), 1, 0}, 0)
	reply, err = s.HandleReadDigests(req)
	if err != nil {
		t.Fatal(err)
	}
	b = golden.Hex(t, "digest reads reply", reply, "01"+"02"+"1b"+"010100000000000000070103010003000000000000002a00000177"+"00")
	if rs, gen, err := DecodeReadDigestsReply(b, 3); err != nil || !rs[0].Same || !rs[1].Found || !rs[1].Object.Equal(w) || rs[2].Found || rs[2].Same || gen != 0 {
		t.Errorf("digest reads reply decodes to %+v %d, %v", rs, gen, err)
	}

	// After a flush into generation 6: nothing, and the replica's
	// generation.
	if _, err := eng.Adopt(6); err != nil {
		t.Fatal(err)
	}
	reply, err = s.HandleReadBatch(golden.Hex(t, "keys", EncodeReadBatch([][]byte{[]byte("a")}, 0), "01"+"0161"))
	if err != nil {
		t.Fatal(err)
	}
	b = golden.Hex(t, "read batch reply after a flush", reply, "00"+"06")
	if objs, gen, err := DecodeReadBatchReply(b, 1); err != nil || len(objs) != 1 || gen != 6 {
		t.Errorf("read batch reply decodes to %v %d, %v", objs, gen, err)
	}
	reply, err = s.HandleMergeBatch(batch)
	golden.Hex(t, "merge batch reply after a flush", reply, "06")
	if err != nil {
		t.Fatal(err)
	}
}
