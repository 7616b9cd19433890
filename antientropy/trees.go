package antientropy

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// The fixed shape of every partition's tree. Both replicas must agree on it;
// it is part of the wire protocol.
const (
	Fanout = 16   // children of an inner node
	Depth  = 3    // levels below the root; the leaves are level Depth
	Leaves = 4096 // leaves per partition: Fanout^Depth

	leafBits = 12 // hash bits that pick a leaf within a partition: log2(Leaves)

	// innerNodes is the number of inner nodes: 1 + 16 + 256.
	innerNodes = (Leaves - 1) / (Fanout - 1)
)

// levelStart[l] is the index in tree.nodes of level l's first node; nodes are
// stored level by level, so level l's node i is nodes[levelStart[l]+i].
var levelStart = [Depth + 1]int{0, 1, 1 + Fanout, 1 + Fanout + Fanout*Fanout}

// levelWidth returns the number of nodes at level l: Fanout^l.
func levelWidth(l int) int { return 1 << (4 * l) }

// tree is one partition's Merkle tree.
//
// Invariants: a leaf holds the sum of the digests of its keys; a clean inner
// node holds combine of its children; every ancestor of a dirty node is dirty.
type tree struct {
	nodes [innerNodes + Leaves]uint64
	dirty [innerNodes]bool // the inner node's value is stale
}

// refresh recomputes node i of level l (an inner level) and its dirty
// descendants, cost proportional to the number of dirty nodes below it.
func (t *tree) refresh(l, i int) {
	n := levelStart[l] + i
	if !t.dirty[n] {
		return
	}
	first := i * Fanout
	if l+1 < Depth {
		for c := range Fanout {
			t.refresh(l+1, first+c)
		}
	}
	t.nodes[n] = combine(t.nodes[levelStart[l+1]+first:][:Fanout])
	t.dirty[n] = false
}

// value returns node i of level l, refreshed.
func (t *tree) value(l, i int) uint64 {
	if l < Depth {
		t.refresh(l, i)
	}
	return t.nodes[levelStart[l]+i]
}

// combine is an inner node's value: 0 when all its children are 0 (so empty
// subtrees, allocated or not, look alike), else the xxhash of the children
// as 8-byte little-endian words.
func combine(children []uint64) uint64 {
	var buf [Fanout * 8]byte
	var or uint64
	for i, c := range children[:Fanout] {
		or |= c
		binary.LittleEndian.PutUint64(buf[i*8:], c)
	}
	if or == 0 {
		return 0
	}
	return xxhash.Sum64(buf[:])
}

// Trees holds the Merkle trees of all q partitions of one node. It is safe
// for concurrent use; each partition has its own mutex, so writes to
// different partitions never contend.
//
// *Trees also satisfies the engine's Observer interface (Changed, Flushed),
// so the engine can keep it current directly.
type Trees struct {
	q     int
	bits  uint // log2(q): the partition bits at the top of a hash
	parts []part
}

type part struct {
	mu   sync.Mutex // protects t and keys
	t    *tree      // nil until the partition's first record
	keys int        // records in the partition, tombstones included
}

// NewTrees returns empty trees for a ring of q partitions. q must be a power
// of two in [1, partition.MaxPartitions]; NewTrees panics otherwise, as the
// ring size is fixed configuration, validated long before this.
func NewTrees(q int) *Trees {
	if q < 1 || q > partition.MaxPartitions || q&(q-1) != 0 {
		panic(fmt.Sprintf("antientropy: partition count %d is not a power of two in [1, %d]", q, partition.MaxPartitions))
	}
	var bits uint
	for 1<<bits < q {
		bits++
	}
	return &Trees{q: q, bits: bits, parts: make([]part, q)}
}

// Partitions returns q, the number of partitions.
func (t *Trees) Partitions() int { return t.q }

// locate returns the partition and leaf of ring position h.
func (t *Trees) locate(h uint64) (p int, leaf int) {
	if t.bits > 0 {
		p = int(h >> (64 - t.bits))
	}
	return p, int(h << t.bits >> (64 - leafBits))
}

// leafWidth returns the number of ring positions in one leaf.
func (t *Trees) leafWidth() uint64 { return 1 << (64 - t.bits - leafBits) }

// LeafRange returns the ring positions of leaf in partition p: [start, end),
// where end 0 means the end of the ring. It panics if p or leaf is out of
// range.
func (t *Trees) LeafRange(p int, leaf uint32) (start, end uint64) {
	if p < 0 || p >= t.q || leaf >= Leaves {
		panic(fmt.Sprintf("antientropy: leaf %d of partition %d out of range", leaf, p))
	}
	start = partition.Start(p, t.q) | uint64(leaf)*t.leafWidth()
	return start, start + t.leafWidth() // wraps to 0 for the ring's last leaf
}

// Update records that the key at ring position h (partition.Hash(key))
// changed from old to next: its leaf gains Digest(next) - Digest(old).
// Either may be the zero Object, for an insert or a removal. It does not
// allocate once the partition's tree exists, and takes only the partition's
// mutex.
func (t *Trees) Update(h uint64, key []byte, old, next version.Object) {
	delta := Digest(key, next) - Digest(key, old)
	var born int
	switch {
	case isZero(old) && !isZero(next):
		born = 1
	case !isZero(old) && isZero(next):
		born = -1
	}
	if delta == 0 && born == 0 {
		return
	}
	p, leaf := t.locate(h)
	pt := &t.parts[p]
	pt.mu.Lock()
	defer pt.mu.Unlock()
	pt.keys += born
	if pt.t == nil {
		pt.t = new(tree)
	}
	pt.t.nodes[levelStart[Depth]+leaf] += delta
	for l := Depth - 1; l >= 0; l-- {
		leaf /= Fanout
		pt.t.dirty[levelStart[l]+leaf] = true
	}
}

// Add records a key found at load time: Update with a zero old object.
func (t *Trees) Add(h uint64, key []byte, o version.Object) {
	t.Update(h, key, version.Object{}, o)
}

// Reset empties every tree (FLUSHALL), releasing their memory.
func (t *Trees) Reset() {
	for i := range t.parts {
		pt := &t.parts[i]
		pt.mu.Lock()
		pt.t, pt.keys = nil, 0
		pt.mu.Unlock()
	}
}

// Changed is Update under the name the engine's Observer interface uses.
func (t *Trees) Changed(h uint64, key []byte, old, next version.Object) {
	t.Update(h, key, old, next)
}

// Flushed is Reset under the name the engine's Observer interface uses.
func (t *Trees) Flushed() { t.Reset() }

// Root returns partition p's root: 0 for a partition without records. It
// panics if p is out of range.
func (t *Trees) Root(p int) uint64 {
	pt := t.part(p)
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.t == nil {
		return 0
	}
	return pt.t.value(0, 0)
}

// Keys returns the number of records (tombstones included) in partition p,
// as counted by Update: exact if every change was reported.
func (t *Trees) Keys(p int) int {
	pt := t.part(p)
	pt.mu.Lock()
	defer pt.mu.Unlock()
	return pt.keys
}

// Nodes returns the values of the given nodes of partition p's tree at level
// (0 the root, Depth the leaves). It panics if p, level or an index is out of
// range.
func (t *Trees) Nodes(p, level int, index []uint32) []uint64 {
	if level < 0 || level > Depth {
		panic(fmt.Sprintf("antientropy: level %d out of range", level))
	}
	pt := t.part(p)
	out := make([]uint64, len(index))
	pt.mu.Lock()
	defer pt.mu.Unlock()
	for j, i := range index {
		if int64(i) >= int64(levelWidth(level)) {
			panic(fmt.Sprintf("antientropy: node %d of level %d out of range", i, level))
		}
		if pt.t != nil {
			out[j] = pt.t.value(level, int(i))
		}
	}
	return out
}

// appendChildren appends to dst the values of the Fanout children (at level)
// of each parent (at level-1) of partition p, in order. The caller has
// checked p, level (1..Depth) and the parents.
func (t *Trees) appendChildren(dst []uint64, p, level int, parents []uint32) []uint64 {
	pt := &t.parts[p]
	pt.mu.Lock()
	defer pt.mu.Unlock()
	for _, parent := range parents {
		first := int(parent) * Fanout
		for c := range Fanout {
			var v uint64
			if pt.t != nil {
				v = pt.t.value(level, first+c)
			}
			dst = append(dst, v)
		}
	}
	return dst
}

func (t *Trees) part(p int) *part {
	if p < 0 || p >= t.q {
		panic(fmt.Sprintf("antientropy: partition %d out of range [0, %d)", p, t.q))
	}
	return &t.parts[p]
}
