package coordinator

import (
	"encoding/hex"
	"testing"

	"github.com/dynago/dynago/internal/golden"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/replica"
	"github.com/dynago/dynago/wire"
)

// The internode messages travel between nodes of different releases (a
// rolling upgrade): their bytes never change. These golden encodings were
// taken from the code as it stood before the encoders moved onto package
// wire; the handlers must accept them and answer the golden replies, and the
// encoders and decoders must still produce and read them byte for byte. The
// replica methods' messages are package replica's (replica/golden_test.go);
// these are the coordinator's own.

// goldenBatchHex is a MethodMergeBatch request: "a" and "bc", each with a
// small object of a fixed actor and time (replica/golden_test.go).
const goldenBatchHex = "02" + "0161" + "1b" + "010100000000000000070103010003000000000000002a00000176" +
	"026263" + "1b" + "010100000000000000070103010003000000000000002a00000177"

func TestGoldenRequests(t *testing.T) {
	b := golden.Hex(t, "scan", encodeScan(0x10, 0, 10), "0000000000000010"+"0000000000000000"+"0a")
	if from, end, count, err := decodeScan(b); err != nil || from != 0x10 || end != 0 || count != 10 {
		t.Errorf("scan request decodes to %d %d %d, %v", from, end, count, err)
	}
	golden.Hex(t, "count", encodeCount([]int{0, 187, 210}), "03"+"00"+"bb01"+"d201")
	golden.Hex(t, "flush to 300", wire.AppendUvarint([]byte{flushTo}, 300), "02"+"ac02")
	if g, err := decodeFlushReply([]byte{0xac, 0x02}); err != nil || g != 300 {
		t.Errorf("flush reply decodes to %d, %v", g, err)
	}
}

// TestGoldenHandlers sends one node's handlers golden requests, built by
// hand from the formats, and checks their golden replies.
func TestGoldenHandlers(t *testing.T) {
	c := newCoordinator(t, nodeA, stepClock())
	rep := replica.NewServer(c.eng, c.LearnGeneration)
	batch, _ := hex.DecodeString(goldenBatchHex)
	if _, err := rep.HandleMergeBatch(batch); err != nil {
		t.Fatal(err)
	}
	hint, _ := hex.DecodeString("02" + "6e31" + "01" + "6b" + "010100000000000000070103010003000000000000002a00000176") // owner n1, key k
	if _, err := rep.HandleHint(hint); err != nil {
		t.Fatal(err)
	}

	// Scan the whole ring, 10 keys: from 0, end 0 (2^64), count 10.
	req, _ := hex.DecodeString("0000000000000000" + "0000000000000000" + "0a")
	reply, err := c.HandleScan(req)
	if err != nil {
		t.Fatal(err)
	}
	b := golden.Hex(t, "scan reply", reply, "0000000000000000"+"02"+"026263"+"0161") // "bc" hashes before "a"
	if keys, next, err := decodeScanReply(b); err != nil || len(keys) != 2 || next != 0 {
		t.Errorf("scan reply decodes to %q %d, %v", keys, next, err)
	}

	// Count: partitions of "a" and "bc", and partition 0.
	q := 256
	pa, pb := partition.Of(partition.Hash([]byte("a")), q), partition.Of(partition.Hash([]byte("bc")), q)
	if pa != 242 || pb != 198 {
		t.Fatalf("partitions %d and %d", pa, pb)
	}
	req, _ = hex.DecodeString("03" + "00" + "c601" + "f201")
	reply, err = c.HandleCount(req)
	if err != nil {
		t.Fatal(err)
	}
	golden.Hex(t, "count reply", reply, "02")

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
		golden.Hex(t, "flush "+tc.req, reply, tc.reply)
	}
	// After the flush: nothing, and the replica's generation.
	reply, err = rep.HandleReadBatch(replica.EncodeReadBatch([][]byte{[]byte("a")}, 0))
	if err != nil {
		t.Fatal(err)
	}
	b = golden.Hex(t, "read batch reply after a flush", reply, "00"+"06")
	if objs, gen, err := replica.DecodeReadBatchReply(b, 1); err != nil || len(objs) != 1 || gen != 6 {
		t.Errorf("read batch reply decodes to %v %d, %v", objs, gen, err)
	}
}
