package transfer

import (
	"encoding/hex"
	"testing"

	"github.com/dynago/dynago/internal/golden"
)

// Transfers run between nodes of different releases: their bytes never
// change. These golden encodings were taken from the code as it stood before
// the encoders moved onto package wire; they must decode, and the encoders
// must still produce them byte for byte. (S2's own block format is the
// compression library's; the golden batch is the uncompressed records.)

func TestGoldenMessages(t *testing.T) {
	r := fetchRequest{start: 0x100, end: 0, cursor: 0x1234, maxBytes: 4 << 20}
	b := golden.Hex(t, "fetch request", appendFetchRequest(nil, r), "0000000000000100"+"0000000000000000"+"0000000000001234"+"80808002")
	if got, err := decodeFetchRequest(b); err != nil || got != r {
		t.Errorf("fetch request decodes to %+v, %v", got, err)
	}

	raw := golden.Hex(t, "batch", rawBatch("a", "bc"),
		"01"+"61"+"1d"+"010100000000000000070103010003000000000000002a000003762d61"+ // "a", its object
			"02"+"6263"+"1e"+"010100000000000000070103010003000000000000002a000004762d6263")
	start, end, bt, err := decodePush(encodePush(0, 0, raw))
	if err != nil || start != 0 || end != 0 || len(bt.keys) != 2 || string(bt.keys[1]) != "bc" || !bt.objs[1].Equal(testObject("v-bc")) {
		t.Errorf("push decodes to [%d, %d) %q, %v", start, end, bt.keys, err)
	}
	push := encodePush(0x10, 0x2000, rawBatch("a"))
	if hdr := hex.EncodeToString(push[:16]); hdr != "0000000000000010"+"0000000000002000" {
		t.Errorf("push header %s", hdr)
	}
	reply := encodeFetchReply(0x99, rawBatch("a"))
	if hdr := hex.EncodeToString(reply[:8]); hdr != "0000000000000099" {
		t.Errorf("fetch reply header %s", hdr)
	}
	next, bt, err := decodeFetchReply(reply, fetchRequest{start: 0, end: 0, cursor: 0, maxBytes: 1})
	if err != nil || next != 0x99 || len(bt.keys) != 1 || string(bt.keys[0]) != "a" {
		t.Errorf("fetch reply decodes to %d %q, %v", next, bt.keys, err)
	}
}
