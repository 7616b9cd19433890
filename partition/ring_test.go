package partition

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// memberNames returns m member names in the shape Dynago uses by default
// (host:port) from a format with one %d.
func memberNames(format string, m int) []string {
	out := make([]string, m)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

// nameFormats are the naming schemes the statistical tests run over, so a
// bound does not hold by luck of one set of hashes.
var nameFormats = []string{"10.0.0.%d:6379", "dynago-%d.example.com:6379"}

func mustRing(t testing.TB, q, n int, members []string) *Ring {
	t.Helper()
	r, err := NewRing(q, n, members)
	if err != nil {
		t.Fatalf("NewRing(%d, %d, %v): %v", q, n, members, err)
	}
	return r
}

func TestNewRingErrors(t *testing.T) {
	tests := []struct {
		name    string
		q, n    int
		members []string
		want    string // substring of the error
	}{
		{"q zero", 0, 3, []string{"a"}, "power of two"},
		{"q negative", -4, 3, []string{"a"}, "power of two"},
		{"q not power of two", 12, 3, []string{"a"}, "power of two"},
		{"q too big", MaxPartitions * 2, 3, []string{"a"}, "power of two"},
		{"n zero", 8, 0, []string{"a"}, "replica count"},
		{"no members", 8, 3, nil, "at least one member"},
		{"empty name", 8, 3, []string{"a", ""}, "empty member name"},
		{"duplicate", 8, 3, []string{"b", "a", "b"}, `"b" given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRing(tt.q, tt.n, tt.members)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewRing = %v, %v; want error containing %q", r, err, tt.want)
			}
		})
	}
}

// TestSmallRings checks rings whose assignment follows from the rules alone.
func TestSmallRings(t *testing.T) {
	tests := []struct {
		name    string
		q, n    int
		members []string
	}{
		{"lone node", 4, 3, []string{"a:1"}},
		{"two members, three replicas", 8, 3, []string{"b:1", "a:1"}},
		{"three members, three replicas", 8, 3, []string{"c:1", "a:1", "b:1"}},
		{"one partition", 1, 3, []string{"c:1", "a:1", "b:1"}},
		{"one replica, one member", 2, 1, []string{"a:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRing(t, tt.q, tt.n, tt.members)
			sorted := slices.Sorted(slices.Values(tt.members))
			if got := r.Members(); !slices.Equal(got, sorted) {
				t.Fatalf("Members = %v, want %v", got, sorted)
			}
			if r.Q() != tt.q || r.N() != tt.n {
				t.Fatalf("Q, N = %d, %d; want %d, %d", r.Q(), r.N(), tt.q, tt.n)
			}
			// With no more members than replicas, every member owns every
			// partition and there are no fallbacks.
			all := make([]int, tt.q)
			for p := range all {
				all[p] = p
				owners := r.Owners(p)
				if !slices.Equal(slices.Sorted(slices.Values(owners)), sorted) {
					t.Fatalf("Owners(%d) = %v, want all of %v", p, owners, sorted)
				}
				if pref := r.Preference(p); !slices.Equal(pref, owners) {
					t.Fatalf("Preference(%d) = %v, want the owners %v", p, pref, owners)
				}
			}
			for _, name := range sorted {
				if got := r.PartitionsOf(name); !slices.Equal(got, all) {
					t.Fatalf("PartitionsOf(%q) = %v, want %v", name, got, all)
				}
			}
			if got := r.PartitionsOf("stranger:1"); got != nil {
				t.Fatalf("PartitionsOf(non-member) = %v, want nil", got)
			}
		})
	}
}

// TestBoundedPassByHand gives the ring hand-made scores so the bounded pass
// can be followed on paper. Member a scores highest everywhere, so pure
// rendezvous hashing would give it all four partitions; the ceiling
// (capacity(4, 3) = 2) lets it keep only its two best, and the others go to
// each partition's next choice.
func TestBoundedPassByHand(t *testing.T) {
	table := map[string][4]uint64{
		"a": {90, 80, 70, 60},
		"b": {50, 40, 30, 20},
		"c": {15, 14, 13, 25},
	}
	score := func(p int, name string) uint64 { return table[name][p] }
	r, err := newRing(4, 1, []string{"c", "a", "b"}, score)
	if err != nil {
		t.Fatal(err)
	}
	if r.Capacity() != 2 {
		t.Fatalf("Capacity = %d, want 2", r.Capacity())
	}
	wantPref := [][]string{
		{"a", "b", "c"},
		{"a", "b", "c"},
		{"b", "a", "c"}, // a is full: b, the next by score, owns it
		{"c", "a", "b"}, // a is full: c outscores b here
	}
	for p, want := range wantPref {
		if got := r.Preference(p); !slices.Equal(got, want) {
			t.Errorf("Preference(%d) = %v, want %v", p, got, want)
		}
		if got := r.Owners(p); !slices.Equal(got, want[:1]) {
			t.Errorf("Owners(%d) = %v, want %v", p, got, want[:1])
		}
	}
	for name, want := range map[string][]int{"a": {0, 1}, "b": {2}, "c": {3}} {
		if got := r.PartitionsOf(name); !slices.Equal(got, want) {
			t.Errorf("PartitionsOf(%q) = %v, want %v", name, got, want)
		}
	}

	// Two replicas: the ceiling, capacity(8, 3) = 4, equals Q, so nothing is
	// bounded and each partition takes its two best scores.
	r2, err := newRing(4, 2, []string{"a", "b", "c"}, score)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Capacity() != 4 {
		t.Fatalf("Capacity = %d, want 4", r2.Capacity())
	}
	for p, want := range [][]string{{"a", "b"}, {"a", "b"}, {"a", "b"}, {"a", "c"}} {
		if got := r2.Owners(p); !slices.Equal(got, want) {
			t.Errorf("two replicas: Owners(%d) = %v, want %v", p, got, want)
		}
	}
}

func TestCapacity(t *testing.T) {
	tests := []struct{ slots, m, want int }{
		{768, 32, 27},   // mean 24: 10% gives 26, half a deviation 26.45
		{768, 31, 28},   // mean 24.77: 27.25 by 10%, 27.26 by deviation
		{768, 3, 281},   // mean 256: 10% (281.6) dominates
		{768, 10, 84},   // mean 76.8: floor(84.48)
		{4, 3, 2},       // mean 1.33: 1.91 by deviation
		{3, 3, 2},       // mean 1: exactly 1.5 by deviation
		{256, 1, 281},   // a lone member: above the mean, never reached
		{16, 4, 5},      // mean 4: 4 + 1 = 5 exactly
		{1000, 10, 110}, // mean 100: 10% = 110, deviation 105
	}
	for _, tt := range tests {
		if got := capacity(tt.slots, tt.m); got != tt.want {
			t.Errorf("capacity(%d, %d) = %d, want %d", tt.slots, tt.m, got, tt.want)
		}
		mean := float64(tt.slots) / float64(tt.m)
		if c := float64(tt.want); c < mean || c < math.Floor(1.1*mean) || c < mean+math.Sqrt(mean)/2-1e-9 {
			t.Errorf("capacity(%d, %d) = %d breaks its own rules", tt.slots, tt.m, tt.want)
		}
	}
}

// naiveAssign is the obvious version of the bounded pass: sort every
// (partition, member) pair, take them in order while there is room, then fill
// what is left by score. It returns each partition's full preference.
func naiveAssign(q, n int, members []string) (pref [][]string, overflow bool) {
	sorted := slices.Sorted(slices.Values(members))
	m := len(sorted)
	k := min(n, m)
	limit := capacity(q*k, m)
	type cand struct {
		score uint64
		p, i  int
	}
	var all []cand
	for p := range q {
		for i, name := range sorted {
			all = append(all, cand{pairScore(p, name), p, i})
		}
	}
	better := func(a, b cand) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		if a.p != b.p {
			return a.p - b.p
		}
		return a.i - b.i
	}
	slices.SortFunc(all, better)
	owns := make([]map[int]bool, q)
	for p := range owns {
		owns[p] = map[int]bool{}
	}
	load := make([]int, m)
	for _, c := range all {
		if len(owns[c.p]) < k && load[c.i] < limit {
			owns[c.p][c.i] = true
			load[c.i]++
		}
	}
	// all is in per-partition score order too, so one more walk fills.
	for _, c := range all {
		if len(owns[c.p]) < k && !owns[c.p][c.i] {
			owns[c.p][c.i] = true
			overflow = true
		}
	}
	pref = make([][]string, q)
	for _, c := range all {
		if owns[c.p][c.i] {
			pref[c.p] = append(pref[c.p], sorted[c.i])
		}
	}
	for _, c := range all {
		if !owns[c.p][c.i] {
			pref[c.p] = append(pref[c.p], sorted[c.i])
		}
	}
	return pref, overflow
}

// checkRing verifies every invariant of r that can be checked from outside,
// and compares it with naiveAssign. It reports whether a partition had to
// exceed the ceiling.
func checkRing(t *testing.T, r *Ring) (overflow bool) {
	t.Helper()
	q, members := r.Q(), r.Members()
	if !slices.IsSorted(members) {
		t.Fatalf("Members %v not sorted", members)
	}
	k := min(r.N(), len(members))
	naive, naiveOverflow := naiveAssign(q, r.N(), members)
	held := map[string][]int{}
	load := map[string]int{}
	for p := range q {
		owners, pref := r.Owners(p), r.Preference(p)
		if !slices.Equal(pref, naive[p]) {
			t.Fatalf("%v: Preference(%d) = %v, naive %v", r, p, pref, naive[p])
		}
		if len(owners) != k || !slices.Equal(pref[:k], owners) {
			t.Fatalf("%v: Owners(%d) = %v not the first %d of %v", r, p, owners, k, pref)
		}
		if got := slices.Sorted(slices.Values(pref)); !slices.Equal(got, members) {
			t.Fatalf("%v: Preference(%d) = %v is not a permutation of the members", r, p, pref)
		}
		// Owners, then fallbacks, each in descending score.
		for _, part := range [][]string{pref[:k], pref[k:]} {
			for j := 1; j < len(part); j++ {
				if pairScore(p, part[j-1]) < pairScore(p, part[j]) {
					t.Fatalf("%v: Preference(%d) = %v out of score order", r, p, pref)
				}
			}
		}
		for _, o := range owners {
			held[o] = append(held[o], p)
			load[o]++
		}
	}
	for _, name := range members {
		if got := r.PartitionsOf(name); !slices.Equal(got, held[name]) {
			t.Fatalf("%v: PartitionsOf(%q) = %v, want %v", r, name, got, held[name])
		}
		if load[name] > r.Capacity() {
			overflow = true
		}
	}
	if overflow && !naiveOverflow {
		t.Fatalf("%v: a member exceeds capacity %d without the fallback", r, r.Capacity())
	}
	if naiveOverflow {
		return true
	}
	// Stability of the assignment: no partition and non-owner that would both
	// rather be together.
	for p := range q {
		pref := r.Preference(p)
		worst := pairScore(p, pref[k-1])
		for _, x := range pref[k:] {
			s := pairScore(p, x)
			if s <= worst {
				continue
			}
			if load[x] < r.Capacity() {
				t.Fatalf("%v: %q has room and outscores an owner of %d", r, x, p)
			}
			for _, hp := range held[x] {
				if pairScore(hp, x) < s {
					t.Fatalf("%v: %q holds %d but would rather hold %d", r, x, hp, p)
				}
			}
		}
	}
	return false
}

// TestRingAgainstNaive checks the invariants and the naive comparison on many
// small rings and a few full-size ones.
func TestRingAgainstNaive(t *testing.T) {
	t.Parallel()
	rings, overflows := 0, 0
	for _, q := range []int{1, 2, 4, 16, 64} {
		for _, n := range []int{1, 2, 3, 5} {
			for _, m := range []int{1, 2, 3, 4, 5, 7, 10, 16} {
				for _, f := range nameFormats {
					rings++
					if checkRing(t, mustRing(t, q, n, memberNames(f, m))) {
						overflows++
					}
				}
			}
		}
	}
	for _, m := range []int{4, 17, 32} {
		rings++
		if checkRing(t, mustRing(t, 256, 3, memberNames(nameFormats[0], m))) {
			overflows++
		}
	}
	t.Logf("%d rings checked against the naive assignment; %d needed the over-capacity fallback", rings, overflows)
}

func TestDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	members := memberNames(nameFormats[0], 20)
	want := mustRing(t, 64, 3, members)
	for range 10 {
		shuffled := slices.Clone(members)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := mustRing(t, 64, 3, shuffled)
		if !slices.Equal(got.Members(), want.Members()) || got.Capacity() != want.Capacity() {
			t.Fatalf("order %v: members or capacity differ", shuffled)
		}
		for p := range 64 {
			if !slices.Equal(got.Preference(p), want.Preference(p)) {
				t.Fatalf("order %v: Preference(%d) = %v, want %v", shuffled, p, got.Preference(p), want.Preference(p))
			}
		}
		for _, name := range members {
			if !slices.Equal(got.PartitionsOf(name), want.PartitionsOf(name)) {
				t.Fatalf("order %v: PartitionsOf(%q) differs", shuffled, name)
			}
		}
	}
	// Returned slices are copies: changing one leaves the ring intact.
	o := want.Owners(0)
	o[0] = "mutated"
	if want.Owners(0)[0] == "mutated" {
		t.Fatal("Owners returned the ring's own storage")
	}
}

func TestPartitionOfAndRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, q := range []int{1, 2, 8, 256, 1 << 12} {
		r := mustRing(t, q, 1, []string{"a:1"})
		// The ranges tile [0, 2^64) in order.
		var prevEnd uint64
		for p := range q {
			start, end := r.Range(p)
			if start != prevEnd {
				t.Fatalf("q=%d: Range(%d) starts at %#x, previous ended at %#x", q, p, start, prevEnd)
			}
			if start != Start(p, q) {
				t.Fatalf("q=%d: Range(%d) start %#x, Start %#x", q, p, start, Start(p, q))
			}
			if (end == 0) != (p == q-1) {
				t.Fatalf("q=%d: Range(%d) end %#x; only the last partition ends at 2^64", q, p, end)
			}
			prevEnd = end
		}
		key := make([]byte, 8)
		for range 1000 {
			for i := range key {
				key[i] = byte(rng.Uint32())
			}
			h := Hash(key)
			p := r.PartitionOf(key)
			if p != Of(h, q) {
				t.Fatalf("q=%d: PartitionOf(%x) = %d, Of(Hash) = %d", q, key, p, Of(h, q))
			}
			// Naive: the partition whose range holds the hash.
			for _, x := range []uint64{h, rng.Uint64()} {
				p := Of(x, q)
				start, end := r.Range(p)
				if x < start || (end != 0 && x >= end) {
					t.Fatalf("q=%d: hash %#x in partition %d, outside [%#x, %#x)", q, x, p, start, end)
				}
			}
		}
	}
}

// hrwMax returns the most slots one member holds under pure rendezvous
// hashing (each partition's top n by score), for comparison.
func hrwMax(q, n int, members []string) int {
	load := make([]int, len(members))
	scores := make([]uint64, len(members))
	ranked := make([]int, len(members))
	for p := range q {
		for i, name := range members {
			scores[i] = pairScore(p, name)
			ranked[i] = i
		}
		slices.SortFunc(ranked, func(a, b int) int { return byScore(scores[a], scores[b], int32(a), int32(b)) })
		for _, i := range ranked[:min(n, len(ranked))] {
			load[i]++
		}
	}
	return slices.Max(load)
}

func mapValues(m map[string]int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

// TestBalance reports, for Q=256 and N=3, the replicas and primaries held by
// the busiest member relative to the mean, next to pure rendezvous hashing.
func TestBalance(t *testing.T) {
	t.Parallel()
	const q, n = 256, 3
	t.Logf("Q=%d N=%d, members named %q", q, n, nameFormats[0])
	t.Logf("%7s %6s %8s %9s %9s %12s %9s", "members", "mean", "capacity", "max/mean", "cap/mean", "primary max/mean", "hrw max/mean")
	worst := 0.0
	for _, f := range nameFormats {
		for m := 3; m <= 32; m++ {
			members := memberNames(f, m)
			r := mustRing(t, q, n, members)
			load := map[string]int{}
			primaries := map[string]int{}
			for p := range q {
				owners := r.Owners(p)
				primaries[owners[0]]++
				for _, o := range owners {
					load[o]++
				}
			}
			mean := float64(q*n) / float64(m)
			ratio := float64(slices.Max(slices.Collect(mapValues(load)))) / mean
			worst = max(worst, ratio)
			if limit := float64(r.Capacity()) / mean; ratio > limit+1e-9 {
				t.Errorf("%q x%d: max/mean %.3f above capacity/mean %.3f", f, m, ratio, limit)
			}
			if ratio > 1.25 {
				t.Errorf("%q x%d: max/mean %.3f above 1.25", f, m, ratio)
			}
			if f == nameFormats[0] {
				pmean := float64(q) / float64(m)
				t.Logf("%7d %6.2f %8d %9.3f %9.3f %12.3f %13.3f", m, mean, r.Capacity(), ratio,
					float64(r.Capacity())/mean,
					float64(slices.Max(slices.Collect(mapValues(primaries))))/pmean,
					float64(hrwMax(q, n, members))/mean)
			}
		}
	}
	t.Logf("worst max/mean over %d naming schemes: %.3f", len(nameFormats), worst)
}

// change summarizes the difference between two rings for a member that joined
// or left.
type change struct {
	partitions int // partitions whose owner set changed
	slots      int // owner slots that changed hands (sum of Gained)
	collateral int // partitions that changed without involving the member
}

func diff(t *testing.T, a, b *Ring, member string) change {
	t.Helper()
	var c change
	moves := Moves(a, b)
	c.partitions = len(moves)
	changed := make([]bool, a.Q())
	for _, mv := range moves {
		c.slots += len(mv.Gained)
		changed[mv.Partition] = true
	}
	for p := range a.Q() {
		prefA, prefB := a.Preference(p), b.Preference(p)
		before, after := prefA[:min(a.N(), len(prefA))], prefB[:min(b.N(), len(prefB))]
		if !slices.Contains(before, member) && !slices.Contains(after, member) && !slices.Equal(before, after) {
			c.collateral++
		}
		// Members that are owners in both rings keep their relative order,
		// and so do members that are fallbacks in both.
		for _, part := range [][2][]string{
			{before, after},
			{prefA[len(before):], prefB[len(after):]},
		} {
			x, y := part[0], part[1]
			if !slices.Equal(keep(x, y), keep(y, x)) {
				t.Fatalf("partition %d: survivors reordered: %v -> %v", p, prefA, prefB)
			}
		}
		if changed[p] == sameSet(before, after) {
			t.Fatalf("partition %d: Moves disagrees with owners %v -> %v", p, before, after)
		}
	}
	return c
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && len(keep(a, b)) == len(a)
}

// keep returns the members of s that are also in t, in s's order.
func keep(s, t []string) []string {
	return slices.DeleteFunc(slices.Clone(s), func(x string) bool { return !slices.Contains(t, x) })
}

func without(s []string, x string) []string {
	return slices.DeleteFunc(slices.Clone(s), func(y string) bool { return y == x })
}

// TestMovementOnAdd reports what adding one member to m moves, Q=256, N=3.
// The ideal is the new member's fair share, Q*N/(m+1) slots. The joiner
// alone may take up to the ceiling (about 1.1x its share), and the bounded
// pass shifts a few more slots among the others, so a single join can reach
// about 1.5x; the mean stays near 1.1.
func TestMovementOnAdd(t *testing.T) {
	t.Parallel()
	const q, n = 256, 3
	t.Logf("Q=%d N=%d, members named %q; slots = owner slots that change hands", q, n, nameFormats[0])
	t.Logf("%5s %10s %6s %6s %6s %8s %10s", "m->", "partitions", "slots", "ideal", "ratio", "joiner", "collateral")
	var sum float64
	var count int
	worst := 0.0
	for _, f := range nameFormats {
		all := memberNames(f, 32)
		prev := mustRing(t, q, n, all[:3])
		for m := 3; m <= 31; m++ {
			next := mustRing(t, q, n, all[:m+1])
			joiner := all[m]
			c := diff(t, prev, next, joiner)
			ideal := float64(q*n) / float64(m+1)
			ratio := float64(c.slots) / ideal
			sum += ratio
			count++
			worst = max(worst, ratio)
			if ratio > 1.6 {
				t.Errorf("%q: adding to %d moves %d slots, %.2fx the ideal %.1f", f, m, c.slots, ratio, ideal)
			}
			if f == nameFormats[0] {
				t.Logf("%2d->%-2d %10d %6d %6.1f %6.2f %8d %10d", m, m+1, c.partitions, c.slots, ideal, ratio,
					len(next.PartitionsOf(joiner)), c.collateral)
			}
			prev = next
		}
	}
	t.Logf("ratio over %d joins: mean %.3f, worst %.3f", count, sum/float64(count), worst)
	if mean := sum / float64(count); mean > 1.2 {
		t.Errorf("mean movement ratio %.3f above 1.2", mean)
	}
}

// TestMovementOnRemove reports what removing one member of m+1 moves,
// Q=256, N=3. The ideal is exactly the slots the member held.
func TestMovementOnRemove(t *testing.T) {
	t.Parallel()
	const q, n = 256, 3
	t.Logf("Q=%d N=%d, members named %q, removing the middle member", q, n, nameFormats[0])
	t.Logf("%5s %10s %6s %6s %6s %10s", "m->", "partitions", "slots", "held", "ratio", "collateral")
	var sum float64
	var count int
	worst := 0.0
	for _, f := range nameFormats {
		all := memberNames(f, 32)
		for m := 4; m <= 32; m++ {
			before := mustRing(t, q, n, all[:m])
			leaver := all[m/2]
			after := mustRing(t, q, n, without(all[:m], leaver))
			c := diff(t, before, after, leaver)
			held := len(before.PartitionsOf(leaver))
			ratio := float64(c.slots) / float64(held)
			sum += ratio
			count++
			worst = max(worst, ratio)
			if ratio > 1.6 {
				t.Errorf("%q: removing %q from %d moves %d slots, %.2fx the %d it held", f, leaver, m, c.slots, ratio, held)
			}
			if f == nameFormats[0] {
				t.Logf("%2d->%-2d %10d %6d %6d %6.2f %10d", m, m-1, c.partitions, c.slots, held, ratio, c.collateral)
			}
		}
	}
	t.Logf("ratio over %d removals: mean %.3f, worst %.3f", count, sum/float64(count), worst)
	if mean := sum / float64(count); mean > 1.2 {
		t.Errorf("mean movement ratio %.3f above 1.2", mean)
	}
}

// TestStability removes each member of one ring in turn and counts the
// partitions that change without involving it. Survivors never reorder (diff
// checks it); a few collateral changes are the price of balance.
func TestStability(t *testing.T) {
	t.Parallel()
	const q, n, m = 256, 3, 16
	all := memberNames(nameFormats[0], m)
	full := mustRing(t, q, n, all)
	total := 0
	for _, leaver := range all {
		c := diff(t, full, mustRing(t, q, n, without(all, leaver)), leaver)
		total += c.collateral
		if c.collateral > q/20 {
			t.Errorf("removing %q changes %d partitions it did not own", leaver, c.collateral)
		}
	}
	t.Logf("removing each of %d members: %.1f of %d partitions change without involving it, on average",
		m, float64(total)/m, q)

}

func TestMoves(t *testing.T) {
	all := memberNames(nameFormats[1], 12)
	a := mustRing(t, 64, 3, all[:8])
	if got := Moves(a, a); got != nil {
		t.Fatalf("Moves(a, a) = %v, want none", got)
	}
	for _, b := range []*Ring{
		mustRing(t, 64, 3, all[:9]),                                       // join
		mustRing(t, 64, 3, all[1:8]),                                      // leave
		mustRing(t, 64, 3, append(slices.Clone(all[2:8]), all[10:12]...)), // two replaced
		mustRing(t, 64, 2, all[:8]),                                       // fewer replicas
		mustRing(t, 64, 3, all[:2]),                                       // below N
	} {
		moves := Moves(a, b)
		next := 0
		for p := range 64 {
			before, after := a.Owners(p), b.Owners(p)
			if next < len(moves) && moves[next].Partition == p {
				mv := moves[next]
				next++
				// Naive: old owners minus Lost plus Gained are the new owners.
				got := append(without2(before, mv.Lost), mv.Gained...)
				if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(after))) {
					t.Fatalf("%v -> %v: partition %d: %v - %v + %v != %v", a, b, p, before, mv.Lost, mv.Gained, after)
				}
				for _, g := range mv.Gained {
					if slices.Contains(before, g) {
						t.Fatalf("partition %d: gained %q it already had", p, g)
					}
				}
				if !slices.IsSortedFunc(mv.Gained, orderIn(after)) || !slices.IsSortedFunc(mv.Lost, orderIn(before)) {
					t.Fatalf("partition %d: move %+v not in ring order", p, mv)
				}
				continue
			}
			if !slices.Equal(slices.Sorted(slices.Values(before)), slices.Sorted(slices.Values(after))) {
				t.Fatalf("%v -> %v: partition %d changed %v -> %v but is not in Moves", a, b, p, before, after)
			}
		}
		if next != len(moves) {
			t.Fatalf("Moves not in partition order: %v", moves)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Moves between rings of different Q did not panic")
		}
	}()
	Moves(a, mustRing(t, 32, 3, all[:8]))
}

func without2(s, drop []string) []string {
	return slices.DeleteFunc(slices.Clone(s), func(x string) bool { return slices.Contains(drop, x) })
}

func orderIn(list []string) func(a, b string) int {
	return func(a, b string) int { return slices.Index(list, a) - slices.Index(list, b) }
}

// TestFallbackSpread checks that when one member is down, the members that
// stand in for it (the first fallback of each partition it owns) are many,
// so no single node absorbs all of its load.
func TestFallbackSpread(t *testing.T) {
	const q, n, m = 256, 3, 16
	r := mustRing(t, q, n, memberNames(nameFormats[0], m))
	worstShare, fewest := 0.0, m
	for _, down := range r.Members() {
		standIn := map[string]int{}
		held := r.PartitionsOf(down)
		for _, p := range held {
			standIn[r.Preference(p)[n]]++
		}
		share := float64(slices.Max(slices.Collect(mapValues(standIn)))) / float64(len(held))
		worstShare = max(worstShare, share)
		fewest = min(fewest, len(standIn))
	}
	t.Logf("%d members: a down member's partitions go to at least %d distinct fallbacks; the busiest takes at most %.0f%%",
		m, fewest, 100*worstShare)
	if fewest < m/2 || worstShare > 0.25 {
		t.Errorf("fallbacks poorly spread: %d distinct, busiest %.0f%%", fewest, 100*worstShare)
	}
}

func TestOutOfRangePanics(t *testing.T) {
	r := mustRing(t, 4, 3, []string{"a:1"})
	for _, f := range []func(){
		func() { r.Owners(4) },
		func() { r.Preference(-1) },
		func() { r.Range(4) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("out-of-range partition did not panic")
				}
			}()
			f()
		}()
	}
}

func BenchmarkNewRing(b *testing.B) {
	members := memberNames(nameFormats[0], 32)
	for b.Loop() {
		if _, err := NewRing(256, 3, members); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPreference(b *testing.B) {
	r, err := NewRing(256, 3, memberNames(nameFormats[0], 32))
	if err != nil {
		b.Fatal(err)
	}
	key := []byte("user:1000")
	for b.Loop() {
		_ = r.Preference(r.PartitionOf(key))
	}
}
