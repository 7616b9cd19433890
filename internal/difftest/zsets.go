package difftest

import (
	"fmt"
	"strconv"
	"strings"
)

// Sorted sets: the specs of the sorted-set commands, their comparators, and
// the seeder that makes a key a sorted set so the other types' commands
// meet one. Members are the sets' (Members).

func (g *gen) score() string {
	if g.chance(0.08) {
		return g.pick("abc", "", "nan", "1e400", " 1", "1x")
	}
	return g.pick("1", "2", "-3", "0", "1.5", "-0.25", "10", "inf", "-inf", "+inf", "100", "0.5", "3", "0.1", "1e3", "-0")
}

func (g *gen) scoreBound() string {
	return g.pick("-inf", "+inf", "inf", "0", "1", "(1", "2", "(2", "1.5", "10", "(0", "-3", "(-inf", "abc", "(", "", "(abc", "nan")
}

func (g *gen) lexBound() string {
	return g.pick("-", "+", "[m0", "(m0", "[m1", "(m2", "[", "(", "[1", "(2", "m0", "abc", "[b")
}

func (g *gen) rank() string {
	return g.pick("0", "1", "-1", "2", "-2", "10", "-10", "3", "abc", "")
}

// zrangeOpts are the options of the ZRANGE family: mode, REV, LIMIT and
// WITHSCORES, in any order, some repeated or misplaced.
func (g *gen) zrangeOpts(modes bool, withScores bool) []string {
	return g.options(3, func() []string {
		switch g.r.IntN(6) {
		case 0:
			if modes {
				return []string{g.word(g.pick("BYSCORE", "BYLEX", "REV"))}
			}
		case 1:
			return []string{g.word("LIMIT"), g.pick("0", "1", "2", "-1"), g.pick("1", "2", "-1", "0", "10")}
		case 2:
			if withScores {
				return []string{g.word("WITHSCORES")}
			}
		case 3:
			return []string{g.word("LIMIT"), g.pick("abc", "1")}
		}
		if g.chance(0.3) {
			return g.unknownOption()
		}
		return nil
	})
}

// numkeys is a numkeys argument and its keys: mostly the right count.
func (g *gen) numkeys(min, max int) []string {
	keys := g.keys(min, max)
	n := strconv.Itoa(len(keys))
	if g.chance(0.1) {
		n = g.pick("0", "-1", "abc", "5")
	}
	return append([]string{n}, keys...)
}

func init() {
	TypeSeeders["zset"] = func(g *gen, key string) Cmd { return cmd("ZADD", key, g.pick("1", "2", "0.5"), g.member()) }
	pairs := func(g *gen, min, max int) []string {
		var out []string
		for range min + g.r.IntN(max-min+1) {
			out = append(out, g.score(), g.member())
		}
		return out
	}
	Specs = append(Specs,
		Spec{"zadd", 40, func(g *gen) Cmd {
			args := []string{g.key()}
			for _, o := range []string{"NX", "XX", "GT", "LT", "CH", "INCR"} {
				if g.chance(0.12) {
					args = append(args, g.word(o))
				}
			}
			n := 1 + g.r.IntN(3)
			if hasOption(Cmd(args), "incr") && g.chance(0.8) {
				n = 1
			}
			args = append(args, pairs(g, n, n)...)
			if g.chance(0.04) {
				args = append(args, g.score()) // a score without a member
			}
			return cmd("ZADD", args...)
		}},
		// A set of more members than a lone node reads from their records
		// (130 over Dynago's 128), so ranges, ranks and pops of it go
		// through the score index; or of so many (1,100) that a rank walks
		// past 512 entries, after which the set's ranks are counted in
		// blocks (engine/ranks.go) that every later write keeps up to date.
		// The scores are all valid (one bad score of so many would refuse
		// the whole command); the big set's are low, so that a rank of
		// another member walks past them.
		Spec{"zadd-many", 2, func(g *gen) Cmd {
			args := []string{g.key()}
			n, scores := 130, []string{"1", "2", "-3", "0", "1.5", "-0.25", "10", "inf", "-inf", "100", "0.5", "-0"}
			if g.chance(0.5) {
				n, scores = 1100, []string{"-3", "-0.25", "-inf", "-10", "-1.5"}
			}
			for i := range n {
				args = append(args, g.pick(scores...), fmt.Sprintf("bulk:%04d", i))
			}
			return cmd("ZADD", args...)
		}},
		Spec{"zincrby", 15, func(g *gen) Cmd { return cmd("ZINCRBY", g.key(), g.score(), g.member()) }},
		Spec{"zrem", 15, func(g *gen) Cmd { return cmd("ZREM", append([]string{g.key()}, g.members(1, 3)...)...) }},
		Spec{"zscore", 10, func(g *gen) Cmd { return cmd("ZSCORE", g.key(), g.member()) }},
		Spec{"zmscore", 6, func(g *gen) Cmd { return cmd("ZMSCORE", append([]string{g.key()}, g.members(1, 3)...)...) }},
		Spec{"zcard", 10, func(g *gen) Cmd { return cmd("ZCARD", g.key()) }},
		Spec{"zcount", 8, func(g *gen) Cmd { return cmd("ZCOUNT", g.key(), g.scoreBound(), g.scoreBound()) }},
		Spec{"zlexcount", 5, func(g *gen) Cmd { return cmd("ZLEXCOUNT", g.key(), g.lexBound(), g.lexBound()) }},
		Spec{"zrange", 20, func(g *gen) Cmd {
			var lo, hi string
			switch g.r.IntN(3) {
			case 0:
				lo, hi = g.rank(), g.rank()
			case 1:
				lo, hi = g.scoreBound(), g.scoreBound()
			default:
				lo, hi = g.lexBound(), g.lexBound()
			}
			return cmd("ZRANGE", cat([]string{g.key(), lo, hi}, g.zrangeOpts(true, true))...)
		}},
		Spec{"zrevrange", 5, func(g *gen) Cmd {
			return cmd("ZREVRANGE", cat([]string{g.key(), g.rank(), g.rank()}, g.zrangeOpts(false, true))...)
		}},
		Spec{"zrangebyscore", 8, func(g *gen) Cmd {
			return cmd("ZRANGEBYSCORE", cat([]string{g.key(), g.scoreBound(), g.scoreBound()}, g.zrangeOpts(false, true))...)
		}},
		Spec{"zrevrangebyscore", 5, func(g *gen) Cmd {
			return cmd("ZREVRANGEBYSCORE", cat([]string{g.key(), g.scoreBound(), g.scoreBound()}, g.zrangeOpts(false, true))...)
		}},
		Spec{"zrangebylex", 5, func(g *gen) Cmd {
			return cmd("ZRANGEBYLEX", cat([]string{g.key(), g.lexBound(), g.lexBound()}, g.zrangeOpts(false, false))...)
		}},
		Spec{"zrevrangebylex", 4, func(g *gen) Cmd {
			return cmd("ZREVRANGEBYLEX", cat([]string{g.key(), g.lexBound(), g.lexBound()}, g.zrangeOpts(false, false))...)
		}},
		Spec{"zrangestore", 5, func(g *gen) Cmd {
			lo, hi := g.rank(), g.rank()
			if g.chance(0.5) {
				lo, hi = g.scoreBound(), g.scoreBound()
			}
			return cmd("ZRANGESTORE", cat([]string{g.key(), g.key(), lo, hi}, g.zrangeOpts(true, g.chance(0.1)))...)
		}},
		Spec{"zrank", 8, func(g *gen) Cmd { return cmd("ZRANK", g.key(), g.member()) }},
		Spec{"zrevrank", 5, func(g *gen) Cmd { return cmd("ZREVRANK", g.key(), g.member()) }},
		Spec{"zpopmin", 6, func(g *gen) Cmd { return zpop(g, "ZPOPMIN") }},
		Spec{"zpopmax", 6, func(g *gen) Cmd { return zpop(g, "ZPOPMAX") }},
		Spec{"zmpop", 5, func(g *gen) Cmd {
			args := append(g.numkeys(1, 3), g.word(g.pick("MIN", "MAX", "MIN", "MAX", "up")))
			if g.chance(0.5) {
				args = append(args, g.word("COUNT"), g.pick("1", "2", "3", "10", "0", "-1", "abc"))
			}
			return cmd("ZMPOP", args...)
		}},
		Spec{"zrandmember", 6, func(g *gen) Cmd {
			args := []string{g.key()}
			if g.chance(0.7) {
				args = append(args, g.pick("1", "2", "3", "10", "0", "-1", "-3", "-10", "abc", ""))
				if g.chance(0.5) {
					args = append(args, g.word(g.pick("WITHSCORES", "WITHSCORES", "WITHVALUES")))
				}
			}
			return cmd("ZRANDMEMBER", args...)
		}},
		Spec{"zremrangebyrank", 4, func(g *gen) Cmd { return cmd("ZREMRANGEBYRANK", g.key(), g.rank(), g.rank()) }},
		Spec{"zremrangebyscore", 4, func(g *gen) Cmd {
			return cmd("ZREMRANGEBYSCORE", g.key(), g.scoreBound(), g.scoreBound())
		}},
		Spec{"zremrangebylex", 4, func(g *gen) Cmd { return cmd("ZREMRANGEBYLEX", g.key(), g.lexBound(), g.lexBound()) }},
		Spec{"zunion", 4, func(g *gen) Cmd { return zcombine(g, "ZUNION", false, true) }},
		Spec{"zinter", 4, func(g *gen) Cmd { return zcombine(g, "ZINTER", false, true) }},
		Spec{"zdiff", 4, func(g *gen) Cmd { return zcombine(g, "ZDIFF", false, true) }},
		Spec{"zintercard", 4, func(g *gen) Cmd {
			args := g.numkeys(1, 3)
			if g.chance(0.4) {
				args = append(args, g.word("LIMIT"), g.pick("0", "1", "2", "-1", "abc"))
			}
			return cmd("ZINTERCARD", args...)
		}},
		Spec{"zunionstore", 4, func(g *gen) Cmd { return zcombine(g, "ZUNIONSTORE", true, false) }},
		Spec{"zinterstore", 4, func(g *gen) Cmd { return zcombine(g, "ZINTERSTORE", true, false) }},
		Spec{"zdiffstore", 4, func(g *gen) Cmd { return zcombine(g, "ZDIFFSTORE", true, false) }},
		Spec{"zscan", 5, func(g *gen) Cmd {
			cursor := "0"
			if g.chance(0.1) {
				cursor = g.pick("abc", "-1", "")
			}
			return cmd("ZSCAN", cat([]string{g.key(), cursor}, g.options(2, func() []string {
				if g.chance(0.5) {
					return []string{g.word("MATCH"), g.pick("m*", "*", "", "x*")}
				}
				return []string{g.word("COUNT"), g.pick("1", "10", "0", "abc")}
			}))...)
		}},
	)
}

func zpop(g *gen, name string) Cmd {
	args := []string{g.key()}
	if g.chance(0.6) {
		args = append(args, g.pick("1", "2", "3", "10", "0", "-1", "abc"))
	}
	return cmd(name, args...)
}

// zcombine is a command of the ZUNION family with a numkeys and options.
func zcombine(g *gen, name string, store, withScores bool) Cmd {
	var args []string
	if store {
		args = append(args, g.key())
	}
	nk := g.numkeys(1, 3)
	n, _ := strconv.Atoi(nk[0])
	args = append(args, nk...)
	args = append(args, g.options(2, func() []string {
		switch g.r.IntN(4) {
		case 0:
			w := []string{g.word("WEIGHTS")}
			for range max(n, 1) {
				w = append(w, g.pick("1", "2", "0", "-1", "0.5", "inf", "abc"))
			}
			return w
		case 1:
			return []string{g.word("AGGREGATE"), g.word(g.pick("SUM", "MIN", "MAX", "AVG"))}
		case 2:
			if withScores {
				return []string{g.word("WITHSCORES")}
			}
		}
		return g.unknownOption()
	})...)
	return cmd(name, args...)
}

// compareZIncrBy applies float64-counters (see Intended) to ZINCRBY and
// ZADD INCR: scores moved by a convergent counter, summed in its own order.
func compareZIncrBy(s *session, c Cmd, r, d Reply) (bool, string) {
	key, delta, member := "", "", ""
	switch {
	case strings.EqualFold(c[0], "zincrby") && len(c) == 4:
		key, delta, member = c[1], c[2], c[3]
	case strings.EqualFold(c[0], "zadd") && hasOption(c, "incr") && len(c) >= 4:
		key, delta, member = c[1], c[len(c)-2], c[len(c)-1]
	default:
		return exact(s, c, r, d)
	}
	return compareFloatIncrement(r, d, delta, func() error {
		v, err := s.probeD.must("ZSCORE", key, member)
		if err != nil || v.IsNull() {
			return err
		}
		s.note = append(s.note, "accepted as float64-counters; copied Dynago's score to Redis")
		_, err = s.probeR.must("ZADD", key, v.Str, member)
		return err
	})
}

// compareZRandMember is compareHRandField for a sorted set, its members'
// values their scores.
func compareZRandMember(s *session, c Cmd, r, d Reply) (bool, string) {
	return compareRandomPairs(s, c, r, d, "ZRANGE", "0", "-1", "WITHSCORES")
}

// compareZScan is compareHScan for a sorted set.
func compareZScan(s *session, c Cmd, r, d Reply) (bool, string) {
	return compareCollectionScan(s, c, r, d, "ZSCAN")
}
