package replica

import (
	"bytes"
	"slices"
	"testing"

	"github.com/dynago/dynago/version"
)

// The replica methods' messages come off the network: their decoders must
// reject anything malformed without panicking, and round-trip what they
// encode.

func FuzzDecodeInternode(f *testing.F) {
	s := version.Sibling{Value: []byte("v")}
	d := version.Dot{Actor: version.Actor{Node: 1, Epoch: 1}, Counter: 1}
	o := version.Object{}.Update(nil, d, &s)
	f.Add(encodeMerge([]byte("key"), o))
	f.Add(o.AppendBinary([]byte{1}))
	f.Add([]byte{0})
	f.Add(EncodeBatch([][]byte{[]byte("k")}, []version.Object{o}))
	f.Add(encodeKeys([][]byte{[]byte("a"), []byte("bc")}))
	f.Add(EncodeHint("owner", []byte("key"), o))
	f.Add(encodeDigestReads([][]byte{[]byte("k")}, []uint64{7}))
	f.Add(EncodeReadDigests([][]byte{[]byte("k")}, []uint64{7}, 3))
	f.Add(EncodeReadBatch([][]byte{[]byte("a")}, 2))
	f.Add([]byte{digestSame, digestObject, 3, 1, 2, 3})
	f.Add(EncodeElementsDigest([]byte("h"), 4))
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
			if k2, g2, err := decodeKeys(EncodeReadBatch(keys, gen)); err != nil || len(k2) != len(keys) || g2 != gen {
				t.Fatalf("key list does not round-trip: %v", err)
			}
		}
		if keys, digests, gen, err := decodeDigestReads(b); err == nil {
			k2, d2, g2, err := decodeDigestReads(EncodeReadDigests(keys, digests, gen))
			if err != nil || len(k2) != len(keys) || !slices.Equal(d2, digests) || g2 != gen {
				t.Fatalf("digest read does not round-trip: %v", err)
			}
		}
		if key, gen, err := decodeElementsDigest(b); err == nil {
			if k2, g2, err := decodeElementsDigest(EncodeElementsDigest(key, gen)); err != nil || !bytes.Equal(k2, key) || g2 != gen {
				t.Fatalf("elements digest request does not round-trip: %v", err)
			}
		}
		_, _, _ = DecodeElementsDigestReply(b)
		_, _, _ = DecodeReadDigestsReply(b, 2)
		_, _, _ = DecodeReadBatchReply(b, 3)
		_, _, _ = decodeName(b)
		_ = GenerationReply(b)
	})
}
