// Package antientropy finds the keys on which two replicas of some partitions
// disagree, with traffic that grows with the number of differences rather
// than with the data. It owns the per-partition Merkle trees a node keeps
// current on every write, the exchange that compares them with a peer's, and
// the peer's side of that exchange. It repairs nothing itself: the keys it
// finds go to a callback that reads both copies and merges them.
//
// # Trees
//
// Each partition's tree has a fixed shape: fanout 16, three levels below the
// root, 4096 leaves. A key's leaf is given by the 12 bits of its hash that
// follow the partition bits, so a leaf is a contiguous range of ring
// positions (LeafRange) and its keys are one engine range scan. A leaf's
// value is the sum, mod 2^64, of the Digests of its keys; Digest covers the
// key, the clock and each sibling's dot, time, expiry and kind, but not the
// value. Because a sum can be adjusted by one term, a write updates its leaf
// in O(1) (add the new digest, subtract the old) without reading the leaf's
// other keys, and replicas holding the same records have the same leaves
// whatever order the writes arrived in. An inner node's value hashes its 16
// children; inner nodes are marked dirty on write and recomputed only when
// read, so the write path stays a mutex, an add and three stores. A node
// whose children are all zero is zero, so an empty tree (and a partition
// that never had a key, which has no tree at all) has root 0.
//
// The additive leaf value is not collision resistant against an adversary
// who chooses keys; replicas trust each other, and a 64-bit sum collides by
// accident with probability about 2^-64 per comparison.
//
// # Exchange
//
// Exchange asks the peer for the roots of all the partitions in one call.
// For the partitions whose roots differ it descends level by level, one call
// per level covering all of them, asking only for the children of the nodes
// that differed. For the leaves that differ it asks for the (key, digest)
// pairs, scans the same leaves locally, and hands every key whose digest
// differs, or that exists on one side only, to the repair callback. With d
// differing keys in q partitions the exchange moves q root hashes, at most
// d·16 hashes per level, and the keys of at most d leaves. Keys that change
// while an exchange runs may show up as differences; repairing them is a
// harmless merge.
//
// # Wire format
//
// Integers are unsigned varints; hashes and digests are 8 bytes little
// endian. Every request starts with q, the ring size, and the server refuses
// a request made for another ring. Lists of partitions and of node indices
// are strictly ascending and delta coded (the first absolute, then the
// differences, each at least 1).
//
//	roots request     = q  n  partition*n
//	roots reply       = root:8 * n                          (request order)
//	nodes request     = q  level  n  (partition  m  parent*m)*n
//	nodes reply       = (mask:2  child:8*k)  per parent     (request order)
//	leaf-keys request = q  skip  n  (partition  m  leaf*m)*n
//	leaf-keys reply   = done  resume  count  (keylen  key  digest:8)*count
//
// A nodes request names parents at level-1 and asks for their children at
// level (1..3, leaves at 3); it may name at most MaxNodeParents parents, so
// a reply is at most about 8 MiB. The reply gives each parent's 16 children
// as a little-endian bit mask of the children that are not zero followed by
// those k children: empty subtrees, common in sparse partitions, cost
// nothing. A leaf-keys request names at most MaxLeafBatch
// leaves and starts skip positions into the first. Its reply may answer the
// request in parts: the server stops scanning once the reply passes about
// 1 MiB (never inside a group of keys sharing one hash), and says that the
// first done leaves are complete and that leaf done resumes resume positions
// into its range; the client asks again from there. done equals the number
// of leaves requested when the reply is complete.
package antientropy
