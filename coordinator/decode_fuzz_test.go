package coordinator

import (
	"testing"
)

// The internode messages come off the network: their decoders must reject
// anything malformed without panicking, and round-trip what they encode.
// (The replica methods' messages are fuzzed in package replica.)

func FuzzDecodeInternode(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 'a', 1, 'b'})
	f.Add(encodeScan(1, 0, 100))
	f.Add(encodeCount([]int{0, 5, 255}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if from, end, count, err := decodeScan(b); err == nil {
			if f2, e2, c2, err := decodeScan(encodeScan(from, end, count)); err != nil || f2 != from || e2 != end || c2 != count {
				t.Fatalf("scan request does not round-trip: %v", err)
			}
		}
		_, _ = decodeFlushReply(b)
		if keys, next, err := decodeScanReply(b); err == nil && len(b) >= 8 && next != uint64(b[7])|uint64(b[6])<<8|uint64(b[5])<<16|uint64(b[4])<<24|uint64(b[3])<<32|uint64(b[2])<<40|uint64(b[1])<<48|uint64(b[0])<<56 {
			t.Fatalf("scan reply cursor %d does not match its header (%d keys)", next, len(keys))
		}
	})
}
