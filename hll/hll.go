// Package hll owns Redis 7's HyperLogLog: the sketch behind PFADD, PFCOUNT
// and PFMERGE, bit for bit. Elements are hashed with Redis's MurmurHash64A,
// counted by Redis's estimator, and stored in Redis's string forms, so a
// value copied from Redis decodes here and a count answered here is the
// count Redis would answer for the same elements.
//
// The package is pure: no I/O, no clock, nothing of the rest of Dynago.
package hll

import "math/bits"

// Registers is the number of registers of a sketch, Redis's 2^14: the low
// 14 bits of an element's hash pick its register.
const Registers = 1 << indexBits

const (
	// indexBits is Redis's HLL_P: the hash bits that choose a register.
	indexBits = 14
	// patternBits is Redis's HLL_Q: the hash bits left to look for the
	// first 1 in once the register is chosen.
	patternBits = 64 - indexBits
	// hashSeed is the MurmurHash64A seed Redis hashes elements with.
	hashSeed = 0xadc83b19
)

// Sketch holds the 16384 registers, one byte each (values 0..63).
//
// A register holds the longest "zeros then a one" pattern seen among the
// hashes of the elements added to it, 0 when none was. Adding can only
// raise a register and merging takes the maximum, so a sketch of a union
// is the register-wise maximum of the sketches.
// Invariant: every register is at most 63, what Redis's 6 bits hold;
// Add never writes more than patternBits+1 = 51.
type Sketch struct {
	Reg [Registers]uint8
}

// Add adds an element and reports whether a register changed, which is
// what PFADD answers: an element already seen, or one whose pattern is no
// longer than its register's, leaves the sketch (and its count) as it was.
func (s *Sketch) Add(element []byte) bool {
	index, pattern := position(murmurHash64A(element, hashSeed))
	if pattern <= s.Reg[index] {
		return false
	}
	s.Reg[index] = pattern
	return true
}

// position splits a hash as Redis's hllPatLen does: the low indexBits pick
// the register, and the pattern is 1 + the number of zeros before the
// first 1 in the remaining patternBits, counted from the least significant
// end. A bit set just above them bounds the pattern at patternBits+1 when
// they are all zero.
func position(hash uint64) (index int, pattern uint8) {
	index = int(hash & (Registers - 1))
	rest := hash>>indexBits | 1<<patternBits
	return index, uint8(bits.TrailingZeros64(rest) + 1)
}

// Merge folds o into s, so that s sketches the union of both sets: each
// register becomes the larger of the two, as PFMERGE does.
func (s *Sketch) Merge(o *Sketch) {
	for i, r := range o.Reg {
		if r > s.Reg[i] {
			s.Reg[i] = r
		}
	}
}

// Empty reports whether no element was ever added: every register is 0.
func (s *Sketch) Empty() bool {
	for _, r := range s.Reg {
		if r != 0 {
			return false
		}
	}
	return true
}
