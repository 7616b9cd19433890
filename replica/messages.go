package replica

import (
	"errors"
	"fmt"

	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// The messages of the methods a replica serves, defined here for both ends:
// Server decodes the requests and encodes the replies, and the nodes that
// send them (package coordinator's reads and writes, package handoff's
// delivery) encode the requests and decode the replies with the exported
// functions below. Their bytes never change: nodes of different releases
// talk to each other during a rolling upgrade (golden_test.go pins them).
//
// Flush generations between nodes (see engine/flush.go). Every object
// carries the generation it was written in, so a copy of a key carries its
// own wherever it goes; a node stores only copies of its own generation.
// What the objects cannot say, the messages do:
//
//   - A reply to a request that stores copies (MethodMergeBatch,
//     MethodHint) is the receiver's generation (GenerationReply): a copy of
//     an older one was dropped, not stored, and does not count toward a
//     write's quorum.
//   - Requests and replies that read copies (MethodReadDigests,
//     MethodReadBatch) end with the sender's generation when it is not 0,
//     so that a replica holding nothing still says which generation its
//     "nothing" is of: a read ignores copies older than the newest
//     generation any replica answered from.
//
// A node that hears of a newer generation than its own missed a FLUSHALL
// (it failed part way through one, or this node was down or cut off then,
// or joined after): it flushes and moves to that generation (Server's learn
// callback).

// MaxReadBatch bounds the keys of one MethodReadBatch or MethodReadDigests
// request.
const MaxReadBatch = 4096

// errTooManyKeys refuses a read of more than MaxReadBatch keys.
var errTooManyKeys = fmt.Errorf("more than %d keys", MaxReadBatch)

// malformed is the error for a message that did not decode: what it was,
// and why (a wire.Reader's error).
func malformed(what string, err error) error {
	return fmt.Errorf("replica: malformed %s: %w", what, err)
}

// GenerationReply is the flush generation a reply to a request that stores
// copies (MethodMergeBatch, MethodHint) carries: 0 for a node that sends
// none.
func GenerationReply(reply []byte) uint64 {
	r := wire.NewReader(reply)
	return r.Uvarint() // 0 for an empty reply, or one that is not a varint
}

// appendGeneration ends a read request or reply with the sender's
// generation, when it is not 0.
func appendGeneration(b []byte, gen uint64) []byte {
	if gen == 0 {
		return b
	}
	return wire.AppendUvarint(b, gen)
}

// errZeroGeneration refuses a generation 0 that was sent: 0 is sent as
// nothing.
var errZeroGeneration = errors.New("generation 0 sent")

// readGeneration reads what follows a read request's or reply's items:
// nothing (generation 0) or the sender's generation. The message ends
// there: the caller checks r.Done.
func readGeneration(r *wire.Reader) uint64 {
	if r.Remaining() == 0 {
		return 0
	}
	g := r.Uvarint()
	if g == 0 && r.Err() == nil {
		r.Fail(errZeroGeneration)
	}
	return g
}

// MethodMergeBatch: a count, then each key and its object (version's binary
// form), both length-prefixed. The reply is the receiver's generation.

// EncodeBatch encodes keys and their objects as a MethodMergeBatch request.
func EncodeBatch(keys [][]byte, objs []version.Object) []byte {
	size := wire.MaxVarintLen
	for i, k := range keys {
		size += 2*wire.MaxVarintLen + len(k) + objs[i].MaxBinaryLen()
	}
	b := wire.AppendUvarint(make([]byte, 0, size), uint64(len(keys)))
	var scratch []byte
	for i, k := range keys {
		b = wire.AppendBytes(b, k)
		scratch = objs[i].AppendBinary(scratch[:0])
		b = wire.AppendBytes(b, scratch)
	}
	return b
}

// DecodeBatch decodes EncodeBatch's output. The keys alias b.
func DecodeBatch(b []byte) ([][]byte, []version.Object, error) {
	r := wire.NewReader(b)
	n := r.Count(2)
	if err := r.Err(); err != nil {
		return nil, nil, malformed("batch", err)
	}
	keys := make([][]byte, 0, n)
	objs := make([]version.Object, 0, n)
	for range n {
		key := r.Bytes()
		enc := r.Bytes()
		if err := r.Err(); err != nil {
			return nil, nil, malformed("batch", err)
		}
		o, err := version.DecodeObject(enc)
		if err != nil {
			return nil, nil, err
		}
		keys, objs = append(keys, key), append(objs, o)
	}
	if err := r.Done(); err != nil {
		return nil, nil, malformed("batch", err)
	}
	return keys, objs, nil
}

// MethodHint: the owner the hint is for, length-prefixed, then a merge
// request: the key, length-prefixed, then the object (version's binary
// form) to the end. The reply is the receiver's generation.

// EncodeHint encodes a MethodHint request: keep o, key's copy for owner.
func EncodeHint(owner string, key []byte, o version.Object) []byte {
	b := wire.AppendString(make([]byte, 0, len(owner)+len(key)+64), owner)
	return appendMerge(b, key, o)
}

// decodeName splits a hint's owner off the merge request that follows.
func decodeName(b []byte) (string, []byte, error) {
	r := wire.NewReader(b)
	owner := r.String()
	if err := r.Err(); err != nil {
		return "", nil, malformed("hint", err)
	}
	return owner, r.Rest(), nil
}

// encodeMerge encodes a merge request (a hint's key and object).
func encodeMerge(key []byte, o version.Object) []byte {
	return appendMerge(make([]byte, 0, len(key)+64), key, o)
}

func appendMerge(b []byte, key []byte, o version.Object) []byte {
	return o.AppendBinary(wire.AppendBytes(b, key))
}

func decodeMerge(b []byte) ([]byte, version.Object, error) {
	r := wire.NewReader(b)
	key := r.Bytes()
	if err := r.Err(); err != nil {
		return nil, version.Object{}, malformed("merge request", err)
	}
	o, err := version.DecodeObject(r.Rest())
	return key, o, err
}

// MethodReadBatch: a count, then each key length-prefixed, then the
// reader's generation. The reply: each key's object (length-prefixed;
// empty for a key the replica holds nothing of), then the replica's
// generation.

// EncodeReadBatch encodes a MethodReadBatch request for keys from a reader
// of flush generation gen.
func EncodeReadBatch(keys [][]byte, gen uint64) []byte {
	return appendGeneration(encodeKeys(keys), gen)
}

// encodeKeys encodes a MethodReadBatch request's keys.
func encodeKeys(keys [][]byte) []byte {
	size := wire.MaxVarintLen
	for _, k := range keys {
		size += 5 + len(k)
	}
	b := wire.AppendUvarint(make([]byte, 0, size), uint64(len(keys)))
	for _, k := range keys {
		b = wire.AppendBytes(b, k)
	}
	return b
}

// decodeKeys decodes a MethodReadBatch request: its keys and the reader's
// flush generation.
func decodeKeys(b []byte) ([][]byte, uint64, error) {
	r := wire.NewReader(b)
	n := r.Count(1)
	if n > MaxReadBatch {
		r.Fail(errTooManyKeys)
	}
	if err := r.Err(); err != nil {
		return nil, 0, malformed("key list", err)
	}
	keys := make([][]byte, 0, n)
	for range n {
		keys = append(keys, r.Bytes())
	}
	gen := readGeneration(&r)
	if err := r.Done(); err != nil {
		return nil, 0, malformed("key list", err)
	}
	return keys, gen, nil
}

// DecodeReadBatchReply decodes a MethodReadBatch reply for n keys: the
// objects (the zero Object for a key the replica holds nothing of) and the
// replica's flush generation.
func DecodeReadBatchReply(b []byte, n int) ([]version.Object, uint64, error) {
	r := wire.NewReader(b)
	objs := make([]version.Object, 0, n)
	for len(objs) < n && r.Err() == nil {
		var o version.Object
		if enc := r.Bytes(); len(enc) > 0 {
			var err error
			if o, err = version.DecodeObject(enc); err != nil {
				return nil, 0, err
			}
		}
		objs = append(objs, o)
	}
	gen := readGeneration(&r)
	if err := r.Done(); err != nil {
		return nil, 0, malformed("batch read reply", err)
	}
	return objs, gen, nil
}

// MethodReadDigests: a reader sends, with every key, the digest of its own
// copy (antientropy.Digest: the key, the clock and the siblings' dots). A
// replica whose copy has the same digest answers "same" in one byte instead
// of the object, so a read of replicas that agree (the usual case) moves
// and decodes no values: a GET of a 100 KB value costs the network a few
// bytes per replica, not 100 KB. A replica that differs sends its object.
// A node of an older release, without the method, answers "unknown
// internode method" (rpc.IsUnknownMethod); the reader then uses
// MethodReadBatch with that peer (a cluster in a rolling upgrade).
//
// The request: a count, then each key (length-prefixed) with the reader's
// digest (8 bytes little-endian), then the reader's generation. The reply:
// a tag per key (digestNone, digestSame, or digestObject followed by the
// object, length-prefixed), then the replica's generation.

// Tags of a MethodReadDigests reply, one per key.
const (
	digestNone   byte = 0 // the replica holds nothing for the key
	digestSame   byte = 1 // its copy has the reader's digest
	digestObject byte = 2 // its copy differs: the object follows
)

// EncodeReadDigests encodes a MethodReadDigests request: keys, each with
// the digest of the reader's copy (0: it has none), from a reader of flush
// generation gen.
func EncodeReadDigests(keys [][]byte, digests []uint64, gen uint64) []byte {
	return appendGeneration(encodeDigestReads(keys, digests), gen)
}

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
	if n > MaxReadBatch {
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

// DigestReply is a replica's answer for one key of a MethodReadDigests
// request.
type DigestReply struct {
	Object version.Object // the replica's copy, when it differs from the reader's
	Found  bool           // Object is set
	Same   bool           // the replica's copy has the digest the reader sent (Object is unset)
}

// DecodeReadDigestsReply decodes a MethodReadDigests reply for n keys: the
// answers and the replica's flush generation.
func DecodeReadDigestsReply(b []byte, n int) ([]DigestReply, uint64, error) {
	r := wire.NewReader(b)
	out := make([]DigestReply, 0, n)
	for len(out) < n && r.Err() == nil {
		switch tag := r.Byte(); {
		case r.Err() != nil:
		case tag == digestNone:
			out = append(out, DigestReply{})
		case tag == digestSame:
			out = append(out, DigestReply{Same: true})
		case tag == digestObject:
			enc := r.Bytes()
			if len(enc) == 0 {
				r.Fail(errors.New("an empty object"))
				break
			}
			o, err := version.DecodeObject(enc)
			if err != nil {
				return nil, 0, err
			}
			out = append(out, DigestReply{Object: o, Found: true})
		default:
			r.Fail(fmt.Errorf("unknown tag %d", tag))
		}
	}
	gen := readGeneration(&r)
	if err := r.Done(); err != nil {
		return nil, 0, malformed("digest read reply", err)
	}
	return out, gen, nil
}

// MethodReadElements: the key and the element key to resume after
// (length-prefixed; empty for the first page), the most records wanted
// (uvarint), then the reader's generation. The reply: a count, then each
// record's element key and object (length-prefixed), whether more follow
// (a byte), then the replica's generation. A page also ends near
// elementsPageBytes, so a hash of large fields is read in several.

// elementsPageBytes is about the most bytes of records one reply carries.
const elementsPageBytes = 1 << 20

// MaxElementsPage is the most records a reader may ask for at once.
const MaxElementsPage = 4096

// EncodeReadElements encodes a MethodReadElements request.
func EncodeReadElements(key, after []byte, limit int, gen uint64) []byte {
	b := wire.AppendBytes(nil, key)
	b = wire.AppendBytes(b, after)
	b = wire.AppendUvarint(b, uint64(limit))
	return appendGeneration(b, gen)
}

func decodeReadElements(b []byte) (key, after []byte, limit int, gen uint64, err error) {
	r := wire.NewReader(b)
	key = r.Bytes()
	after = r.Bytes()
	l := r.Uvarint()
	gen = readGeneration(&r)
	if err := r.Done(); err != nil {
		return nil, nil, 0, 0, malformed("element read", err)
	}
	if l == 0 || l > MaxElementsPage {
		return nil, nil, 0, 0, malformed("element read", fmt.Errorf("page of %d records", l))
	}
	if len(after) == 0 {
		after = nil
	}
	return key, after, int(l), gen, nil
}

func appendElementsReply(b []byte, n int, recs []byte, more bool) []byte {
	b = wire.AppendUvarint(b, uint64(n))
	b = append(b, recs...)
	return wire.AppendBool(b, more)
}

// DecodeReadElementsReply decodes a MethodReadElements reply: the records'
// element keys and objects, whether more follow, and the replica's flush
// generation.
func DecodeReadElementsReply(b []byte) (keys [][]byte, objs []version.Object, more bool, gen uint64, err error) {
	r := wire.NewReader(b)
	n := r.Count(2)
	for range n {
		k := r.Bytes()
		o, derr := version.DecodeObject(r.Bytes())
		if r.Err() != nil {
			break
		}
		if derr != nil {
			return nil, nil, false, 0, malformed("element read reply", derr)
		}
		keys, objs = append(keys, k), append(objs, o)
	}
	more = r.Bool()
	gen = readGeneration(&r)
	if err := r.Done(); err != nil {
		return nil, nil, false, 0, malformed("element read reply", err)
	}
	return keys, objs, more, gen, nil
}

// MethodElementsDigest: the key, then the reader's generation. The reply:
// the digest of the replica's element records of the key (8 bytes, the
// engine's ElementsDigest), then the replica's generation.

// EncodeElementsDigest encodes a MethodElementsDigest request.
func EncodeElementsDigest(key []byte, gen uint64) []byte {
	return appendGeneration(wire.AppendBytes(nil, key), gen)
}

func decodeElementsDigest(b []byte) (key []byte, gen uint64, err error) {
	r := wire.NewReader(b)
	key = r.Bytes()
	gen = readGeneration(&r)
	if err := r.Done(); err != nil {
		return nil, 0, malformed("elements digest request", err)
	}
	return key, gen, nil
}

// DecodeElementsDigestReply decodes a MethodElementsDigest reply: the
// replica's digest and its flush generation.
func DecodeElementsDigestReply(b []byte) (digest, gen uint64, err error) {
	r := wire.NewReader(b)
	digest = r.Uint64()
	gen = readGeneration(&r)
	if err := r.Done(); err != nil {
		return 0, 0, malformed("elements digest reply", err)
	}
	return digest, gen, nil
}
