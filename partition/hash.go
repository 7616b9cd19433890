// Package partition maps keys to partitions and partitions to the nodes that
// hold them.
//
// A key's place is Redis Cluster's: its hash slot, CRC16 (XMODEM) of the key
// or of its hash tag, modulo 16384 (Slot). Its ring position (Hash) is a
// 64-bit number whose top 14 bits are the slot and whose other 50 bits come
// from xxhash of the whole key, so that keys spread evenly inside a slot.
// The key space is cut into Q equal, fixed ranges of ring positions (Dynamo's
// strategy 3): partition p holds the positions whose top log2(Q) bits equal
// p. Q divides 16384, so a partition is a contiguous range of slots, every key
// with the same hash tag lives in one partition, and a partition is also a
// contiguous range of the order the engine stores keys in and SCAN walks.
package partition

import "github.com/cespare/xxhash/v2"

// Slots is the number of hash slots, as in Redis Cluster.
const Slots = 16384

// slotBits is log2(Slots): the top bits of a ring position.
const slotBits = 14

// Hash is the position of key on the ring: its slot in the top 14 bits, then
// 50 bits of xxhash of the key. An element key (element.go) has its key's
// position.
func Hash(key []byte) uint64 {
	if len(key) > len(ElementPrefix) && key[0] == ElementPrefix[0] {
		key = Owner(key)
	}
	return uint64(Slot(key))<<(64-slotBits) | xxhash.Sum64(key)>>slotBits
}

// SlotOf returns the slot of a ring position.
func SlotOf(hash uint64) int { return int(hash >> (64 - slotBits)) }

// SlotStart returns the first ring position of a slot; SlotStart(Slots)
// wraps to 0, standing for 2^64.
func SlotStart(slot int) uint64 { return uint64(slot) << (64 - slotBits) }

// Slot returns key's hash slot with Redis Cluster's rules: if the key holds
// a '{' followed later by a '}' with at least one byte between the first
// such pair, only those bytes (the hash tag) are hashed; otherwise the whole
// key is.
func Slot(key []byte) int {
	return int(crc16(HashTag(key)) & (Slots - 1))
}

// HashTag returns the part of key that decides its slot: the bytes between
// the first '{' and the first '}' after it when there are any, else the
// whole key.
func HashTag(key []byte) []byte {
	for i, c := range key {
		if c != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j == i+1 {
					return key // "{}": an empty tag hashes the whole key
				}
				return key[i+1 : j]
			}
		}
		return key // no '}' after the first '{'
	}
	return key
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0, no
// reflection), the checksum Redis Cluster takes of a key.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^c]
	}
	return crc
}

var crc16Table = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

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

// SlotRange returns the slots [first, last] of partition p in a ring of q
// partitions (q a power of two dividing Slots).
func SlotRange(p, q int) (first, last int) {
	per := Slots / max(q, 1)
	return p * per, (p+1)*per - 1
}

func bitsOf(q int) uint {
	var b uint
	for 1<<b < q {
		b++
	}
	return b
}
