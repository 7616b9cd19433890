package antientropy

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
	"github.com/dynago/dynago/version"
)

// Digest returns a 64-bit digest of key and its stored state o: the key, the
// clock's entries, and each sibling's dot, time, expiry and kind. Values are
// not read: a sibling is named by its dot, and one write event carries one
// value, so digesting the metadata is enough and costs the same for a 10 MB
// value as for an empty one. Replicas holding equal objects produce equal
// digests.
//
// The zero Object (no record) digests to 0, and nothing else does, so a
// missing key contributes nothing to a leaf's sum.
func Digest(key []byte, o version.Object) uint64 {
	if isZero(o) {
		return 0
	}
	// Every field has a fixed width and every list is preceded by its
	// length, so two different (key, object) pairs never feed the hash the
	// same bytes.
	var w digestWriter
	w.uint64(uint64(len(key)))
	w.write(key)
	w.uint64(uint64(len(o.Clock)))
	for _, e := range o.Clock {
		w.dot(e.Actor, e.Counter)
	}
	w.uint64(uint64(len(o.Siblings)))
	for _, s := range o.Siblings {
		w.dot(s.Dot.Actor, s.Dot.Counter)
		w.uint64(uint64(s.Time))
		w.uint64(uint64(s.Expiry))
		w.write([]byte{byte(s.Kind)})
	}
	if sum := w.sum(); sum != 0 {
		return sum
	}
	return 1 // keep 0 for "no record"
}

// isZero reports whether o is the zero Object: no record at all (a tombstone
// has a clock, so it is not zero).
func isZero(o version.Object) bool {
	return len(o.Clock) == 0 && len(o.Siblings) == 0
}

// digestWriter feeds xxhash through a buffer on the stack, so that a typical
// record is hashed by one call of the one-shot xxhash.Sum64 rather than by
// many small streaming writes; larger ones stream. Both give the hash of
// the same byte sequence.
type digestWriter struct {
	n        int  // bytes buffered in buf
	streamed bool // d holds earlier bytes
	d        xxhash.Digest
	buf      [256]byte
}

func (w *digestWriter) flush() {
	if !w.streamed {
		w.d.Reset()
		w.streamed = true
	}
	w.d.Write(w.buf[:w.n])
	w.n = 0
}

func (w *digestWriter) write(b []byte) {
	if w.n+len(b) > len(w.buf) {
		w.flush()
		if len(b) > len(w.buf) {
			w.d.Write(b)
			return
		}
	}
	w.n += copy(w.buf[w.n:], b)
}

func (w *digestWriter) uint64(v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	w.write(b[:])
}

func (w *digestWriter) dot(a version.Actor, counter uint64) {
	var b [20]byte
	binary.LittleEndian.PutUint64(b[0:], a.Node)
	binary.LittleEndian.PutUint32(b[8:], a.Epoch)
	binary.LittleEndian.PutUint64(b[12:], counter)
	w.write(b[:])
}

func (w *digestWriter) sum() uint64 {
	if !w.streamed {
		return xxhash.Sum64(w.buf[:w.n])
	}
	w.flush()
	return w.d.Sum64()
}
