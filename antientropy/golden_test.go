package antientropy

import (
	"slices"
	"testing"

	"github.com/dynago/dynago/internal/golden"
)

// The exchange's messages travel between nodes of different releases: their
// bytes never change. These golden encodings were taken from the code as it
// stood before the encoders moved onto package wire; they must decode, and
// the encoders must still produce them byte for byte.

func TestGoldenRequests(t *testing.T) {
	const q = 256
	b := golden.Hex(t, "roots", encodeRoots(q, []int{0, 3, 200}), "8002"+"03"+"00"+"03"+"c501")
	if parts, err := decodeRootsRequest(q, b); err != nil || !slices.Equal(parts, []int{0, 3, 200}) {
		t.Errorf("roots request decodes to %v, %v", parts, err)
	}

	groups := []group{{p: 1, idx: []uint32{0, 15}}, {p: 130, idx: []uint32{7}}}
	b = golden.Hex(t, "nodes", encodeNodes(q, 2, groups), "8002"+"02"+"02"+"01"+"02"+"00"+"0f"+"8101"+"01"+"07")
	level, got, total, err := decodeNodesRequest(q, b)
	if err != nil || level != 2 || total != 3 || len(got) != 2 || got[0].p != 1 || !slices.Equal(got[0].idx, []uint32{0, 15}) ||
		got[1].p != 130 || !slices.Equal(got[1].idx, []uint32{7}) {
		t.Errorf("nodes request decodes to %d %v %d, %v", level, got, total, err)
	}

	leaves := []leafRef{{p: 5, leaf: 100}, {p: 5, leaf: 4095}, {p: 6, leaf: 0}}
	b = golden.Hex(t, "leaf keys", encodeLeafKeys(q, 9, leaves), "8002"+"09"+"02"+"05"+"02"+"64"+"9b1f"+"01"+"01"+"00")
	skip, got, total, err := decodeLeafKeysRequest(q, 1<<40, b)
	if err != nil || skip != 9 || total != 3 || len(got) != 2 || !slices.Equal(got[0].idx, []uint32{100, 4095}) || got[1].p != 6 {
		t.Errorf("leaf-keys request decodes to %d %v %d, %v", skip, got, total, err)
	}
}

func TestGoldenReplies(t *testing.T) {
	// A roots reply: 8 bytes little-endian per root.
	b := golden.Hex(t, "roots", []byte{1, 0, 0, 0, 0, 0, 0, 0, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01}, "0100000000000000efcdab8967452301")
	if hs, err := decodeHashes(b, 2); err != nil || !slices.Equal(hs, []uint64{1, 0x0123456789abcdef}) {
		t.Errorf("roots reply decodes to %x, %v", hs, err)
	}

	children := make([]uint64, 2*Fanout)
	children[0], children[3], children[Fanout+15] = 0x1122334455667788, 2, 1
	b = golden.Hex(t, "nodes", appendNodesReply(nil, children), "0900"+"8877665544332211"+"0200000000000000"+"0080"+"0100000000000000")
	if got, err := decodeNodesReply(b, 2); err != nil || !slices.Equal(got, children) {
		t.Errorf("nodes reply decodes to %x, %v", got, err)
	}

	reply := appendLeafKeysHeader(nil, 1, 77, 2)
	reply = appendPair(reply, []byte("ab"), 0xfedcba9876543210)
	reply = appendPair(reply, nil, 3)
	b = golden.Hex(t, "leaf keys", reply, "01"+"4d"+"02"+"02"+"6162"+"1032547698badcfe"+"00"+"0300000000000000")
	r, err := decodeLeafKeys(b, 2, 1000)
	if err != nil || r.done != 1 || r.resume != 77 || len(r.pairs) != 2 || string(r.pairs[0].key) != "ab" ||
		r.pairs[0].digest != 0xfedcba9876543210 || len(r.pairs[1].key) != 0 || r.pairs[1].digest != 3 {
		t.Errorf("leaf-keys reply decodes to %+v, %v", r, err)
	}
}
