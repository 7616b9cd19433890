package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Fault is one fault to inject: its kind and the nodes it acts on.
type Fault struct {
	Kind FaultKind
	// Targets are the nodes killed, stopped, leaving or removed.
	Targets []string
	// Sides are a cut's two groups: traffic between them is dropped.
	Sides [2][]string
}

func (f Fault) String() string {
	switch f.Kind {
	case FaultCut:
		return fmt.Sprintf("cut [%s] | [%s]", strings.Join(f.Sides[0], " "), strings.Join(f.Sides[1], " "))
	case FaultJoin:
		return "join a new node"
	}
	return fmt.Sprintf("%s %s", f.Kind, strings.Join(f.Targets, " "))
}

// planner draws the faults of a run from a seeded generator. It holds no
// cluster: each draw is given the current members, so a run's faults
// depend only on the seed and the membership changes the faults made.
type planner struct {
	rng   *rand.Rand
	kinds []FaultKind
	base  int // members at the start: joins grow the ring to base+1, leaves and removes shrink it back
	min   int // fewest members a leave or remove may leave behind when joins are off
}

func newPlanner(seed uint64, kinds []FaultKind, base, min int) *planner {
	return &planner{rng: rand.New(rand.NewPCG(seed, 0x6368616f73)), kinds: slices.Clone(kinds), base: base, min: min}
}

// feasible reports whether kind can act on a ring of n members.
func (p *planner) feasible(kind FaultKind, n int) bool {
	joins := slices.Contains(p.kinds, FaultJoin)
	switch kind {
	case FaultKill, FaultStop:
		return n >= 1
	case FaultCut:
		return n >= 2
	case FaultKill2:
		return n >= 5
	case FaultJoin:
		return n <= p.base
	case FaultLeave, FaultRemove:
		if joins {
			return n > p.base
		}
		return n > max(p.min, 1)
	}
	return false
}

// next draws a fault for a ring whose members are members: of kind want
// if it is set and fits, else of an enabled kind that fits. ok is false
// when none fits.
func (p *planner) next(members []string, want FaultKind) (f Fault, ok bool) {
	members = slices.Sorted(slices.Values(members))
	if want != "" && p.feasible(want, len(members)) {
		f.Kind = want
	} else {
		var fits []FaultKind
		for _, k := range p.kinds {
			if p.feasible(k, len(members)) {
				fits = append(fits, k)
			}
		}
		if len(fits) == 0 {
			return Fault{}, false
		}
		f.Kind = fits[p.rng.IntN(len(fits))]
	}
	shuffled := slices.Clone(members)
	p.rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	switch f.Kind {
	case FaultKill, FaultStop, FaultLeave, FaultRemove:
		f.Targets = shuffled[:1]
	case FaultKill2:
		f.Targets = slices.Sorted(slices.Values(shuffled[:2]))
	case FaultCut:
		k := 1 + p.rng.IntN(len(shuffled)/2) // the smaller side: 1 .. n/2 nodes
		f.Sides[0] = slices.Sorted(slices.Values(shuffled[:k]))
		f.Sides[1] = slices.Sorted(slices.Values(shuffled[k:]))
	}
	return f, true
}
