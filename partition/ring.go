package partition

import (
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
)

// MaxPartitions bounds Q: a partition is at least one hash slot, so Q divides
// Slots.
const MaxPartitions = Slots

// Ring is an immutable assignment of partitions to members. Every node that
// builds a ring from the same Q, N and member set gets the same ring, whatever
// the order it learned the members in. A Ring is safe for concurrent use; the
// slices its methods return are the caller's own.
//
// Assignment. Each (partition, member) pair has a score, a 64-bit hash of the
// two (rendezvous hashing). Pure rendezvous hashing would give partition p to
// the N members with the highest scores for p; it moves the minimum on every
// change but leaves members' loads binomially spread (max/mean about 1.5 for
// 32 members at Q=256, N=3). So the ring bounds the load: pairs are taken in
// descending score order across the whole ring, and a pair is accepted while
// its partition still needs owners and its member holds fewer than Capacity
// slots. The result is the unique stable assignment for these scores: there is
// no partition p and non-owner m such that p would rather have m (m scores
// higher than one of p's owners) and m would rather have p (m has room, or m
// holds a slot that scores lower). In the rare case where a partition runs out
// of members with room, it takes its best-scoring remaining members anyway.
//
// Invariants:
//   - Owners(p) holds min(N, len(members)) distinct members.
//   - Owners(p) lists the owners, and Preference(p) after them the other
//     members, in descending score for p. Scores depend only on (p, name),
//     so two members that are owners of p in two rings (or fallbacks of p in
//     both) come in the same order in both: a change never reorders them.
//   - Without the fallback above, no member holds more than Capacity slots.
//
// Trade-off. A ring that is a function of the member set alone cannot be both
// balanced and perfectly stable: for N=1, "removing a member moves only the
// partitions it held" forces every partition to rank all possible members in
// a fixed order, which is rendezvous hashing with its binomial spread. The
// bounded pass buys balance with a little extra movement: a change also
// shifts a few slots between other members (a chain of displacements that
// ends at a member below the ceiling). The ceiling keeps at least 10% and
// half a standard deviation of slack above the mean so those chains stay
// short. It works well while each member holds a few dozen slots
// (Q*N/members >= ~20, so Q=256 suits clusters up to about 32 nodes at N=3);
// with far fewer slots per member the ceiling is tight and changes move
// several times the ideal.
type Ring struct {
	q, n int
	k    int // min(n, len(members)): owners per partition

	// members holds the member names in ascending order; members are
	// referred to by their index in it.
	members []string

	// order holds, for partition p, order[p*m : (p+1)*m] (m = len(members)):
	// the first k entries are the owners, then every other member, each part
	// in descending score for p.
	order []int32

	// held lists, per member index, the partitions it owns, ascending.
	held [][]int

	// capacity is the load ceiling of the bounded pass (see Ring).
	capacity int
}

// scoreFunc ranks a member for a partition; higher is preferred.
type scoreFunc func(p int, name string) uint64

// pairScore is the score of member name for partition p: xxhash of the
// partition number (8 bytes, big-endian) followed by the name.
func pairScore(p int, name string) uint64 {
	var buf [64]byte
	b := buf[:0]
	if 8+len(name) > len(buf) {
		b = make([]byte, 0, 8+len(name))
	}
	b = binary.BigEndian.AppendUint64(b, uint64(p))
	b = append(b, name...)
	return xxhash.Sum64(b)
}

// NewRing assigns q partitions to members with n replicas each. q must be a
// power of two in [1, MaxPartitions] and n at least 1. members may come in any
// order; an empty name or a name given twice is an error. With fewer members
// than n every partition is owned by every member.
func NewRing(q, n int, members []string) (*Ring, error) {
	return newRing(q, n, members, pairScore)
}

func newRing(q, n int, members []string, score scoreFunc) (*Ring, error) {
	switch {
	case q < 1 || q > MaxPartitions || q&(q-1) != 0:
		return nil, fmt.Errorf("partition: partition count %d is not a power of two in [1, %d]", q, MaxPartitions)
	case n < 1:
		return nil, fmt.Errorf("partition: replica count %d is below 1", n)
	case len(members) == 0:
		return nil, errors.New("partition: a ring needs at least one member")
	}
	sorted := slices.Clone(members)
	slices.Sort(sorted)
	for i, name := range sorted {
		if name == "" {
			return nil, errors.New("partition: empty member name")
		}
		if i > 0 && sorted[i-1] == name {
			return nil, fmt.Errorf("partition: member %q given twice", name)
		}
	}
	m := len(sorted)
	r := &Ring{q: q, n: n, k: min(n, m), members: sorted}
	r.capacity = capacity(q*r.k, m)

	// rank[p*m:(p+1)*m] lists member indexes by descending score for p;
	// equal scores fall back to name order, so the ranking is total.
	scores := make([]uint64, q*m)
	rank := make([]int32, q*m)
	for p := range q {
		s := scores[p*m : (p+1)*m]
		for i, name := range sorted {
			s[i] = score(p, name)
		}
		rk := rank[p*m : (p+1)*m]
		for i := range rk {
			rk[i] = int32(i)
		}
		slices.SortFunc(rk, func(a, b int32) int { return byScore(s[a], s[b], a, b) })
	}

	owned := r.assign(scores, rank)

	// Lay out each partition's owners, then the rest, both in rank order.
	r.order = make([]int32, q*m)
	r.held = make([][]int, m)
	for p := range q {
		out := r.order[p*m : p*m]
		for _, i := range rank[p*m : (p+1)*m] {
			if owned[p*m+int(i)] {
				out = append(out, i)
				r.held[i] = append(r.held[i], p)
			}
		}
		for _, i := range rank[p*m : (p+1)*m] {
			if !owned[p*m+int(i)] {
				out = append(out, i)
			}
		}
	}
	return r, nil
}

// byScore orders members of one partition: higher score first, then lower
// index (name order).
func byScore(sa, sb uint64, a, b int32) int {
	if sa != sb {
		if sa > sb {
			return -1
		}
		return 1
	}
	return int(a - b)
}

// capacity returns the load ceiling for slots slots over m members: the
// least integer at or above the mean that also clears the mean by 10% and by
// half a standard deviation of the unbounded (binomial, about sqrt(mean))
// load. Integer arithmetic keeps it identical on every node.
func capacity(slots, m int) int {
	c := (slots + m - 1) / m                        // ceil(mean)
	c = max(c, slots*11/(10*m))                     // floor(1.1 mean)
	for d := c*m - slots; 4*d*d < slots*m; d += m { // (c - mean)^2 < mean/4
		c++
	}
	return c
}

// assign runs the bounded pass and returns owned[p*m+i], whether member i
// owns partition p. It walks the pairs in global order (descending score,
// then partition, then member) lazily: a heap holds each partition's best
// pair not yet considered, so only pairs that can matter are visited.
func (r *Ring) assign(scores []uint64, rank []int32) []bool {
	q, m, k := r.q, len(r.members), r.k
	owned := make([]bool, q*m)
	count := make([]int, q)
	load := make([]int, m)
	h := make(pairHeap, 0, q)
	for p := range q {
		i := rank[p*m]
		h = append(h, pair{score: scores[p*m+int(i)], p: int32(p), next: 0})
	}
	heap.Init(&h)
	for len(h) > 0 {
		top := &h[0]
		p := int(top.p)
		i := int(rank[p*m+int(top.next)])
		if load[i] < r.capacity {
			owned[p*m+i] = true
			load[i]++
			count[p]++
		}
		top.next++
		if count[p] == k || int(top.next) == m {
			heap.Pop(&h)
			continue
		}
		top.score = scores[p*m+int(rank[p*m+int(top.next)])]
		heap.Fix(&h, 0)
	}
	// A partition that found too few members with room takes its best
	// remaining members regardless of load.
	for p := range q {
		for _, i := range rank[p*m : (p+1)*m] {
			if count[p] == k {
				break
			}
			if !owned[p*m+int(i)] {
				owned[p*m+int(i)] = true
				count[p]++
			}
		}
	}
	return owned
}

// pair is a partition's best pair not yet considered: its member is
// rank[p*m+next], with the given score.
type pair struct {
	score uint64
	p     int32
	next  int32
}

// pairHeap is a max-heap of pairs by score, lower partition first on ties.
type pairHeap []pair

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(a, b int) bool {
	if h[a].score != h[b].score {
		return h[a].score > h[b].score
	}
	return h[a].p < h[b].p
}
func (h pairHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pair)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Q returns the number of partitions.
func (r *Ring) Q() int { return r.q }

// N returns the configured replica count. A partition has fewer owners when
// the ring has fewer members than N.
func (r *Ring) N() int { return r.n }

// Members returns the member names in ascending order.
func (r *Ring) Members() []string { return slices.Clone(r.members) }

// Size returns the number of members (without copying them).
func (r *Ring) Size() int { return len(r.members) }

// Capacity returns the most slots (partition replicas) the balancing pass
// lets one member hold.
func (r *Ring) Capacity() int { return r.capacity }

// PartitionOf returns the partition that holds key.
func (r *Ring) PartitionOf(key []byte) int { return Of(Hash(key), r.q) }

// Owners returns the preference list of partition p: min(N, len(Members()))
// distinct members, primary first. It panics if p is not in [0, Q).
func (r *Ring) Owners(p int) []string { return r.names(p, r.k) }

// Preference returns every member in the order a request tries them for
// partition p: the owners (as Owners), then the other members in descending
// score for p. The fallbacks differ from partition to partition, so the load
// of a member that is down spreads over many others. It panics if p is not in
// [0, Q).
func (r *Ring) Preference(p int) []string { return r.names(p, len(r.members)) }

func (r *Ring) names(p, count int) []string {
	if p < 0 || p >= r.q {
		panic(fmt.Sprintf("partition: partition %d out of range [0, %d)", p, r.q))
	}
	m := len(r.members)
	out := make([]string, count)
	for j, i := range r.order[p*m : p*m+count] {
		out[j] = r.members[i]
	}
	return out
}

// PartitionsOf returns the partitions member owns, ascending; nil for a name
// that is not a member.
func (r *Ring) PartitionsOf(member string) []int {
	i, ok := slices.BinarySearch(r.members, member)
	if !ok {
		return nil
	}
	return slices.Clone(r.held[i])
}

// Range returns the hash range [start, end) of partition p. end is 0 for the
// last partition, standing for 2^64. It panics if p is not in [0, Q).
func (r *Ring) Range(p int) (start, end uint64) {
	if p < 0 || p >= r.q {
		panic(fmt.Sprintf("partition: partition %d out of range [0, %d)", p, r.q))
	}
	if p == r.q-1 {
		return Start(p, r.q), 0
	}
	return Start(p, r.q), Start(p+1, r.q)
}

// String describes the ring in one line, for logs.
func (r *Ring) String() string {
	return fmt.Sprintf("ring(q=%d n=%d members=[%s])", r.q, r.n, strings.Join(r.members, " "))
}

// Move is a partition whose owner set changes between two rings: the members
// that become owners (Gained, in the new ring's order) and those that stop
// being owners (Lost, in the old ring's order).
type Move struct {
	Partition    int
	Gained, Lost []string
}

// Moves lists, in partition order, every partition whose owner set differs
// between ring a and ring b. A partition whose owners only change order (which
// the assignment never does) is not a move. Both rings must have the same
// number of partitions; Moves panics otherwise.
func Moves(a, b *Ring) []Move {
	if a.q != b.q {
		panic(fmt.Sprintf("partition: moves between rings of %d and %d partitions", a.q, b.q))
	}
	var moves []Move
	for p := range a.q {
		before, after := a.Owners(p), b.Owners(p)
		var mv Move
		for _, name := range after {
			if !slices.Contains(before, name) {
				mv.Gained = append(mv.Gained, name)
			}
		}
		for _, name := range before {
			if !slices.Contains(after, name) {
				mv.Lost = append(mv.Lost, name)
			}
		}
		if mv.Gained != nil || mv.Lost != nil {
			mv.Partition = p
			moves = append(moves, mv)
		}
	}
	return moves
}
