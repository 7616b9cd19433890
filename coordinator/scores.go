package coordinator

import (
	"slices"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
)

// WalkZSet walks the sorted set at key, whose header resolved to h, through
// this node's score index (engine.WalkScores) in Redis's order, or from its
// highest member when rev, beginning at the first member at or past the
// score from (nil: the first), until fn returns false. It serves only a
// node that is the key's one replica (served is false otherwise): there
// this node's records are the whole truth, so the index answers what a
// read of every record would. A cluster's replicas may each hold part of a
// member's versions, and no single index orders the merge; such reads read
// the set whole (ReadElements).
func (c *Coordinator) WalkZSet(key []byte, h *op.Collection, rev bool, from *float64, fn func(op.ScoredMember) bool) (served bool, err error) {
	if c.Distributed() {
		return false, nil
	}
	// Members whose versions span incarnations (rare: writes concurrent
	// with a DEL) are resolved from their records and merged into the walk.
	extra, err := c.irregularMembers(key, h)
	if err != nil {
		return true, err
	}
	before := func(a, b op.ScoredMember) bool {
		if rev {
			return op.CompareScored(a, b) > 0
		}
		return op.CompareScored(a, b) < 0
	}
	if rev {
		slices.Reverse(extra)
	}
	if from != nil {
		extra = slices.DeleteFunc(extra, func(m op.ScoredMember) bool {
			return !rev && m.Score < *from || rev && m.Score > *from
		})
	}
	going := true
	err = c.eng.WalkScores(key, rev, from, func(s engine.Scored) bool {
		if !h.Live(s.Incarnation) {
			return true
		}
		m := op.ScoredMember{Member: s.Member, Score: s.Score}
		for len(extra) > 0 && before(extra[0], m) {
			if going = fn(extra[0]); !going {
				return false
			}
			extra = extra[1:]
		}
		going = fn(m)
		return going
	})
	for i := 0; err == nil && going && i < len(extra); i++ {
		going = fn(extra[i])
	}
	return true, err
}

// irregularMembers is the live members of key's sorted set (header h)
// whose records span incarnations, in Redis's order.
func (c *Coordinator) irregularMembers(key []byte, h *op.Collection) ([]op.ScoredMember, error) {
	names, err := c.eng.IrregularScores(key)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	var out []op.ScoredMember
	for _, name := range names {
		o, found, err := c.eng.Get(partition.ElementKey(nil, key, name))
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		f, live, err := op.ResolveField(o, h)
		if err != nil {
			return nil, err
		}
		if live {
			score, _ := op.ScoreOf(f.Bytes)
			out = append(out, op.ScoredMember{Member: name, Score: score})
		}
	}
	slices.SortFunc(out, op.CompareScored)
	return out, nil
}
