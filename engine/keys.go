package engine

import (
	"encoding/binary"

	"github.com/dynago/dynago/partition"
)

// Key layout. Every Pebble key starts with a one-byte space tag:
//
//	'd' hash(8, big endian) userkey   -> record (a key's version.Object)
//	'x' expiry ms(8) userkey          -> empty; the expiry index the sweep walks
//	'm' name                          -> node metadata (epoch, sequences, ...)
//	't' ms(8) userkey                 -> tombstone's clock; when it appeared
//	'h' hash(8) len userkey owner     -> a hinted write held for owner
//	'z' hash(8) len userkey ...       -> a sorted set's score index (scores.go)
//
// Data keys sort by ring position, so a partition is a contiguous range and
// SCAN's cursor is simply the next hash to visit.
const (
	spaceData      = 'd'
	spaceExpiry    = 'x'
	spaceMeta      = 'm'
	spaceTombstone = 't'
	spaceHint      = 'h'
	// spaceScore = 'z', in scores.go
)

func dataKey(buf []byte, key []byte) []byte {
	return dataKeyHash(buf, partition.Hash(key), key)
}

func dataKeyHash(buf []byte, h uint64, key []byte) []byte {
	buf = append(buf[:0], spaceData)
	buf = binary.BigEndian.AppendUint64(buf, h)
	return append(buf, key...)
}

// dataBound is the first data key at or after ring position h.
func dataBound(h uint64) []byte {
	b := make([]byte, 9)
	b[0] = spaceData
	binary.BigEndian.PutUint64(b[1:], h)
	return b
}

// splitDataKey returns the hash and user key of a data key.
func splitDataKey(k []byte) (uint64, []byte) {
	return binary.BigEndian.Uint64(k[1:9]), k[9:]
}

func expiryKey(expiryMs int64, key []byte) []byte { return timedKey(spaceExpiry, expiryMs, key) }

func expiryBound(ms int64) []byte { return timedBound(spaceExpiry, ms) }

// timedKey is a key of an index ordered by time: space, ms (8 bytes), key.
func timedKey(space byte, ms int64, key []byte) []byte {
	b := make([]byte, 0, 9+len(key))
	b = append(b, space)
	b = binary.BigEndian.AppendUint64(b, uint64(ms))
	return append(b, key...)
}

// timedBound is the first key of a time index at or after ms.
func timedBound(space byte, ms int64) []byte { return timedKey(space, ms, nil) }

func metaKey(name string) []byte { return append([]byte{spaceMeta}, name...) }

// spaceEnd is the exclusive upper bound of a space.
func spaceEnd(space byte) []byte { return []byte{space + 1} }

func tombstoneKey(ms int64, key []byte) []byte { return timedKey(spaceTombstone, ms, key) }

func tombstoneBound(ms int64) []byte { return timedBound(spaceTombstone, ms) }

// hintPrefix is the start of every hint of key: they sort together, so a
// read can gather them with one seek.
func hintPrefix(h uint64, key []byte) []byte {
	b := make([]byte, 0, 9+binary.MaxVarintLen32+len(key))
	b = append(b, spaceHint)
	b = binary.BigEndian.AppendUint64(b, h)
	b = binary.AppendUvarint(b, uint64(len(key)))
	return append(b, key...)
}

func hintKey(h uint64, key []byte, owner string) []byte {
	return append(hintPrefix(h, key), owner...)
}

// splitHintKey returns the key and owner of a hint key.
func splitHintKey(k []byte) (key []byte, owner string, ok bool) {
	if len(k) < 10 || k[0] != spaceHint {
		return nil, "", false
	}
	n, w := binary.Uvarint(k[9:])
	if w <= 0 || n > uint64(len(k)-9-w) {
		return nil, "", false
	}
	rest := k[9+w:]
	return rest[:n], string(rest[n:]), true
}
