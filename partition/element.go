package partition

import (
	"bytes"
	"encoding/binary"
)

// Element records. A hash's fields (and, later, a set's members and a sorted
// set's entries) are stored one record each, so that writing one field
// costs what it costs on a small hash, and replicas, hints, read repair,
// anti-entropy and transfers move single fields. Such a record is named by
// an element key:
//
//	ElementPrefix (8 bytes) | uvarint len(key) | key | element
//
// Its ring position is its key's (Hash), so the elements of a key live on
// the key's replicas, sort next to each other in the engine, share the
// key's lock stripe, and fall in the same anti-entropy leaf.
//
// Every record is named by a byte string, so an element key could also be
// written as a user's key. The prefix is reserved to rule that out: its
// first byte, 0xFF, never appears in UTF-8 text, and a random binary key
// begins with the 8 bytes once in 2^64; the RESP front door refuses keys
// that begin with it (docs/redis-differences.md, "reserved-prefix").
const ElementPrefix = "\xffdynago\x00"

// IsElementKey reports whether k names an element record.
func IsElementKey(k []byte) bool {
	return len(k) > len(ElementPrefix) && string(k[:len(ElementPrefix)]) == ElementPrefix
}

// HasReservedPrefix reports whether a user's key begins with the bytes that
// name element records.
func HasReservedPrefix(k []byte) bool { return bytes.HasPrefix(k, []byte(ElementPrefix)) }

// ElementKey appends to b the element key of elem in key.
func ElementKey(b, key, elem []byte) []byte {
	b = ElementsOf(b, key)
	return append(b, elem...)
}

// ElementsOf appends to b the prefix every element key of key begins with.
func ElementsOf(b, key []byte) []byte {
	b = append(b, ElementPrefix...)
	b = binary.AppendUvarint(b, uint64(len(key)))
	return append(b, key...)
}

// SplitElementKey returns the key and element an element key names; ok is
// false when k is not one.
func SplitElementKey(k []byte) (key, elem []byte, ok bool) {
	if !IsElementKey(k) {
		return nil, nil, false
	}
	rest := k[len(ElementPrefix):]
	n, w := binary.Uvarint(rest)
	if w <= 0 || n > uint64(len(rest)-w) {
		return nil, nil, false
	}
	rest = rest[w:]
	return rest[:n], rest[n:], true
}

// Owner returns the key whose place k takes: k's key if k is an element
// key, else k itself.
func Owner(k []byte) []byte {
	if key, _, ok := SplitElementKey(k); ok {
		return key
	}
	return k
}
