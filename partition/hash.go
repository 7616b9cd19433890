// Package partition maps keys to partitions and partitions to the nodes that
// hold them. The key space is cut into Q equal, fixed ranges of a 64-bit key
// hash (Dynamo's strategy 3): partition p holds the hashes whose top log2(Q)
// bits equal p, so a partition is also a contiguous range of hash order, which
// is the order the engine stores keys in and the order SCAN walks.
package partition

import "github.com/cespare/xxhash/v2"

// Hash is the position of key on the ring.
func Hash(key []byte) uint64 { return xxhash.Sum64(key) }

// Of returns the partition of a hash in a ring of q partitions (q a power of two).
func Of(hash uint64, q int) int {
	if q <= 1 {
		return 0
	}
	return int(hash >> (64 - bitsOf(q)))
}

// Start returns the first hash of partition p in a ring of q partitions.
func Start(p, q int) uint64 {
	if q <= 1 {
		return 0
	}
	return uint64(p) << (64 - bitsOf(q))
}

func bitsOf(q int) uint {
	var b uint
	for 1<<b < q {
		b++
	}
	return b
}
