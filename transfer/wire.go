package transfer

import (
	"errors"
	"fmt"

	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
	"github.com/klauspost/compress/s2"
)

// A Manager sends and serves two internode methods, declared in package
// rpc's table: rpc.MethodFetch asks a previous owner for a batch of a
// partition's records; rpc.MethodPush gives a new owner a batch of a
// partition's records.

// Wire format, written and read with package wire. Integers marked :8 are
// 8 bytes big-endian, the others unsigned varints.
//
//	fetch request := start:8 end:8 cursor:8 maxBytes
//	fetch reply   := next:8 batch
//	push request  := start:8 end:8 batch
//	push reply    := (empty)
//	batch         := S2 block of record*
//	record        := keyLength key objectLength object (version binary format)
//
// [start, end) is the partition's hash range (end 0 standing for 2^64),
// cursor the ring position to resume from, next the cursor of the following
// batch or 0 when the range is done. Every key of a batch hashes into the
// range (from the cursor on, for a fetch reply), which both sides check.

// MaxFetchBytes caps a fetch request's maxBytes, whatever the request says:
// a reply stays well under the transport's frame limit and a source never
// builds more than a few MiB for one caller.
const MaxFetchBytes = 4 << 20

// maxBatchBytes bounds the decoded size of a batch, checked before
// decompressing, so a few bytes claiming gigabytes allocate nothing. It
// matches the transport's frame limit (64 MiB): a larger batch could not have
// been sent in the first place.
const maxBatchBytes = 64 << 20

// ErrMalformed is wrapped by every error about a message that does not
// follow the wire format.
var ErrMalformed = errors.New("transfer: malformed message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// inRange reports whether hash h lies in [start, end), end 0 being 2^64.
func inRange(h, start, end uint64) bool { return h >= start && (end == 0 || h < end) }

// validRange reports whether [start, end) is a non-empty range.
func validRange(start, end uint64) bool { return end == 0 || start < end }

// fetchRequest asks for the records of [cursor, end), a part of the range
// [start, end), in a batch of about maxBytes.
type fetchRequest struct {
	start, end, cursor uint64
	maxBytes           uint64
}

func appendFetchRequest(buf []byte, r fetchRequest) []byte {
	buf = wire.AppendUint64(buf, r.start)
	buf = wire.AppendUint64(buf, r.end)
	buf = wire.AppendUint64(buf, r.cursor)
	return wire.AppendUvarint(buf, r.maxBytes)
}

func decodeFetchRequest(b []byte) (fetchRequest, error) {
	rd := wire.NewReader(b)
	r := fetchRequest{start: rd.Uint64(), end: rd.Uint64(), cursor: rd.Uint64()}
	max := rd.Uvarint()
	if err := rd.Done(); err != nil {
		return fetchRequest{}, malformed("fetch request: %v", err)
	}
	switch {
	case !validRange(r.start, r.end):
		return fetchRequest{}, malformed("empty range [%d, %d)", r.start, r.end)
	case !inRange(r.cursor, r.start, r.end):
		return fetchRequest{}, malformed("cursor %d outside [%d, %d)", r.cursor, r.start, r.end)
	case max == 0:
		return fetchRequest{}, malformed("fetch request for 0 bytes")
	}
	r.maxBytes = max
	return r, nil
}

// batchWriter accumulates the records of a batch, uncompressed.
type batchWriter struct {
	raw  []byte
	keys int
	obj  []byte // scratch space for encoding one object
}

func (w *batchWriter) add(key []byte, o version.Object) {
	w.obj = o.AppendBinary(w.obj[:0])
	w.raw = wire.AppendBytes(w.raw, key)
	w.raw = wire.AppendBytes(w.raw, w.obj)
	w.keys++
}

// appendCompressed appends hdr followed by the S2 block of raw to a new
// buffer sized for both.
func appendCompressed(hdr, raw []byte) []byte {
	out := make([]byte, len(hdr), len(hdr)+s2.MaxEncodedLen(len(raw)))
	copy(out, hdr)
	enc := s2.Encode(out[len(hdr):], raw)
	return out[:len(hdr)+len(enc)]
}

// batch is a decoded batch: keys[i] pairs with objs[i].
type batch struct {
	keys [][]byte
	objs []version.Object
}

// decodeBatch decompresses and decodes a batch, checking that every key
// hashes into [start, end). The keys and values alias one buffer of its own.
func decodeBatch(block []byte, start, end uint64) (batch, error) {
	n, err := s2.DecodedLen(block)
	if err != nil {
		return batch{}, malformed("batch: %v", err)
	}
	if n > maxBatchBytes {
		return batch{}, malformed("batch of %d bytes decoded, above the %d byte limit", n, maxBatchBytes)
	}
	raw, err := s2.Decode(make([]byte, n), block)
	if err != nil {
		return batch{}, malformed("batch: %v", err)
	}
	var b batch
	r := wire.NewReader(raw)
	for r.Remaining() > 0 {
		key := r.Bytes()
		enc := r.Bytes()
		if err := r.Err(); err != nil {
			return batch{}, malformed("record %d: %v", len(b.keys), err)
		}
		o, err := version.DecodeObject(enc)
		if err != nil {
			return batch{}, fmt.Errorf("%w: record %d: %v", ErrMalformed, len(b.keys), err)
		}
		if h := partition.Hash(key); !inRange(h, start, end) {
			return batch{}, malformed("record %d: key hash %#x outside [%#x, %#x)", len(b.keys), h, start, end)
		}
		b.keys = append(b.keys, key)
		b.objs = append(b.objs, o)
	}
	return b, nil
}

// encodeFetchReply builds a fetch reply from the next cursor and a batch.
func encodeFetchReply(next uint64, raw []byte) []byte {
	return appendCompressed(wire.AppendUint64(nil, next), raw)
}

// decodeFetchReply decodes the reply to fetch request r: the next cursor,
// which must lie after r.cursor inside the range (or be 0), and the batch,
// whose keys must hash into [r.cursor, r.end).
func decodeFetchReply(b []byte, r fetchRequest) (uint64, batch, error) {
	rd := wire.NewReader(b)
	next := rd.Uint64()
	if err := rd.Err(); err != nil {
		return 0, batch{}, malformed("fetch reply: %v", err)
	}
	if next != 0 && (next <= r.cursor || !inRange(next, r.start, r.end)) {
		return 0, batch{}, malformed("next cursor %d does not advance from %d inside [%d, %d)", next, r.cursor, r.start, r.end)
	}
	bt, err := decodeBatch(rd.Rest(), r.cursor, r.end)
	return next, bt, err
}

// encodePush builds a push request for range [start, end).
func encodePush(start, end uint64, raw []byte) []byte {
	hdr := wire.AppendUint64(make([]byte, 0, 16), start)
	return appendCompressed(wire.AppendUint64(hdr, end), raw)
}

// decodePush decodes a push request: its range and its batch.
func decodePush(b []byte) (start, end uint64, bt batch, err error) {
	rd := wire.NewReader(b)
	start, end = rd.Uint64(), rd.Uint64()
	if err := rd.Err(); err != nil {
		return 0, 0, batch{}, malformed("push request: %v", err)
	}
	if !validRange(start, end) {
		return 0, 0, batch{}, malformed("empty range [%d, %d)", start, end)
	}
	bt, err = decodeBatch(rd.Rest(), start, end)
	return start, end, bt, err
}
