package coordinator

import (
	"errors"
	"fmt"

	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// A quorum read sends each replica (rpc.MethodReadDigests), with every key,
// the digest of the coordinator's own copy (antientropy.Digest: the key, the clock and the
// siblings' dots). A replica whose copy has the same digest answers "same"
// in one byte instead of the object, so a read of replicas that agree (the
// usual case) moves and decodes no values: a GET of a 100 KB value costs
// the network a few bytes per replica, not 100 KB. A replica that differs
// sends its object, which the read merges and repairs as before. A node
// of an older release, without the method, answers "unknown internode
// method" (rpc.IsUnknownMethod); the reader then uses rpc.MethodReadBatch
// with that peer (a cluster in a rolling upgrade).

// Tags of a MethodReadDigests reply, one per key.
const (
	digestNone   byte = 0 // the replica holds nothing for the key
	digestSame   byte = 1 // its copy has the reader's digest
	digestObject byte = 2 // its copy differs: the object follows
)

// encodeDigestReads encodes a MethodReadDigests request: a count, then each
// key (length-prefixed) with the reader's digest (8 bytes little-endian).
func encodeDigestReads(keys [][]byte, digests []uint64) []byte {
	size := wire.MaxVarintLen
	for _, k := range keys {
		size += 5 + len(k) + 8
	}
	b := wire.AppendUvarint(make([]byte, 0, size), uint64(len(keys)))
	for i, k := range keys {
		b = wire.AppendBytes(b, k)
		b = wire.AppendUint64LE(b, digests[i])
	}
	return b
}

// decodeDigestReads decodes a MethodReadDigests request: its keys, the
// reader's digests and the reader's flush generation.
func decodeDigestReads(b []byte) ([][]byte, []uint64, uint64, error) {
	r := wire.NewReader(b)
	n := r.Count(1 + 8)
	if n > maxReadBatch {
		r.Fail(errTooManyKeys)
	}
	if err := r.Err(); err != nil {
		return nil, nil, 0, malformed("digest read", err)
	}
	keys := make([][]byte, 0, n)
	digests := make([]uint64, 0, n)
	for range n {
		keys = append(keys, r.Bytes())
		digests = append(digests, r.Uint64LE())
	}
	gen := readGeneration(&r)
	if err := r.Done(); err != nil {
		return nil, nil, 0, malformed("digest read", err)
	}
	return keys, digests, gen, nil
}

// HandleReadDigests serves MethodReadDigests: for each key, this node's copy
// (with the hints it holds for the key merged in, as HandleReadBatch), or
// word that it is the reader's, or that there is none; then this node's
// flush generation, read first (a FLUSHALL may begin meanwhile: the copies
// carry their own).
func (c *Coordinator) HandleReadDigests(req []byte) ([]byte, error) {
	return c.replica().readDigests(req)
}

func (r replica) readDigests(req []byte) ([]byte, error) {
	keys, digests, readerGen, err := decodeDigestReads(req)
	if err != nil {
		return nil, err
	}
	r.learn(readerGen)
	gen := r.store.Generation()
	out := make([]byte, 0, len(keys)*2+wire.MaxVarintLen)
	var scratch []byte
	for i, k := range keys {
		o, found, digest, err := r.copyOf(k)
		if err != nil {
			return nil, err
		}
		switch {
		case !found:
			out = append(out, digestNone)
		case digests[i] != 0 && digest == digests[i]:
			out = append(out, digestSame)
		default:
			scratch = o.AppendBinary(scratch[:0])
			out = wire.AppendByte(out, digestObject)
			out = wire.AppendBytes(out, scratch)
		}
	}
	return appendGeneration(out, gen), nil
}

// decodeDigestReplies decodes a MethodReadDigests reply for n keys; each
// result carries the replica's flush generation.
func decodeDigestReplies(b []byte, n int) ([]readResult, error) {
	r := wire.NewReader(b)
	out := make([]readResult, 0, n)
	for len(out) < n && r.Err() == nil {
		switch tag := r.Byte(); {
		case r.Err() != nil:
		case tag == digestNone:
			out = append(out, readResult{})
		case tag == digestSame:
			out = append(out, readResult{same: true})
		case tag == digestObject:
			enc := r.Bytes()
			if len(enc) == 0 {
				r.Fail(errors.New("an empty object"))
				break
			}
			o, err := version.DecodeObject(enc)
			if err != nil {
				return nil, err
			}
			out = append(out, readResult{obj: o, found: true})
		default:
			r.Fail(fmt.Errorf("unknown tag %d", tag))
		}
	}
	gen := readGeneration(&r)
	if err := r.Done(); err != nil {
		return nil, malformed("digest read reply", err)
	}
	for i := range out {
		out[i].gen = gen
	}
	return out, nil
}

// copyOf is this node's copy of key as a replica answers for it: its own
// object merged with the hints it holds for the key, and its digest
// (antientropy.Digest).
func (r replica) copyOf(key []byte) (version.Object, bool, uint64, error) {
	o, found, digest, err := r.store.GetDigest(key)
	if err != nil {
		return o, false, 0, err
	}
	if hinted, ok, err := r.store.Hinted(key); err != nil {
		return o, false, 0, err
	} else if ok {
		o, found = version.Merge(o, hinted), true
		digest = antientropy.Digest(key, o)
	}
	return o, found, digest, nil
}
