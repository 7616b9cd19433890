package coordinator

import (
	"bytes"
	"slices"
	"testing"

	"github.com/dynago/dynago/version"
)

// The internode messages come off the network: their decoders must reject
// anything malformed without panicking, and round-trip what they encode.

func FuzzDecodeInternode(f *testing.F) {
	s := version.Sibling{Value: []byte("v")}
	d := version.Dot{Actor: version.Actor{Node: 1, Epoch: 1}, Counter: 1}
	o := version.Object{}.Update(nil, d, &s)
	f.Add(encodeMerge([]byte("key"), o))
	f.Add(o.AppendBinary([]byte{1}))
	f.Add([]byte{0})
	f.Add(EncodeBatch([][]byte{[]byte("k")}, []version.Object{o}))
	f.Add(encodeKeys([][]byte{[]byte("a"), []byte("bc")}))
	f.Add(encodeHint("owner", []byte("key"), o))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 'a', 1, 'b'})
	f.Add(encodeDigestReads([][]byte{[]byte("k")}, []uint64{7}))
	f.Add(appendGeneration(encodeDigestReads([][]byte{[]byte("k")}, []uint64{7}), 3))
	f.Add(appendGeneration(encodeKeys([][]byte{[]byte("a")}), 2))
	f.Add([]byte{digestSame, digestObject, 3, 1, 2, 3})
	f.Add(encodeScan(1, 0, 100))
	f.Add(encodeCount([]int{0, 5, 255}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if key, obj, err := decodeMerge(b); err == nil {
			k2, o2, err := decodeMerge(encodeMerge(key, obj))
			if err != nil || !bytes.Equal(key, k2) || !obj.Equal(o2) {
				t.Fatalf("merge request does not round-trip: %v", err)
			}
		}
		if keys, objs, err := DecodeBatch(b); err == nil {
			k2, o2, err := DecodeBatch(EncodeBatch(keys, objs))
			if err != nil || len(k2) != len(keys) || len(o2) != len(objs) {
				t.Fatalf("batch does not round-trip: %v", err)
			}
		}
		if keys, gen, err := decodeKeys(b); err == nil {
			if k2, g2, err := decodeKeys(appendGeneration(encodeKeys(keys), gen)); err != nil || len(k2) != len(keys) || g2 != gen {
				t.Fatalf("key list does not round-trip: %v", err)
			}
		}
		if keys, digests, gen, err := decodeDigestReads(b); err == nil {
			k2, d2, g2, err := decodeDigestReads(appendGeneration(encodeDigestReads(keys, digests), gen))
			if err != nil || len(k2) != len(keys) || !slices.Equal(d2, digests) || g2 != gen {
				t.Fatalf("digest read does not round-trip: %v", err)
			}
		}
		if from, end, count, err := decodeScan(b); err == nil {
			if f2, e2, c2, err := decodeScan(encodeScan(from, end, count)); err != nil || f2 != from || e2 != end || c2 != count {
				t.Fatalf("scan request does not round-trip: %v", err)
			}
		}
		_, _ = decodeFlushReply(b)
		_, _ = decodeDigestReplies(b, 2)
		_, _, _ = decodeObjects(b, 3)
		_, _, _ = decodeName(b)
		if keys, next, err := decodeScanReply(b); err == nil && len(b) >= 8 && next != uint64(b[7])|uint64(b[6])<<8|uint64(b[5])<<16|uint64(b[4])<<24|uint64(b[3])<<32|uint64(b[2])<<40|uint64(b[1])<<48|uint64(b[0])<<56 {
			t.Fatalf("scan reply cursor %d does not match its header (%d keys)", next, len(keys))
		}
	})
}
