package difftest

import (
	"strconv"
	"strings"
)

// Sets: the specs of the set commands, their comparators, and the seeder
// that makes a key a set so the other types' commands meet one.

// Members are the set members of the streams: few, so commands meet the
// members others added, with integers (Redis keeps a set of integers in
// another encoding), the empty member and a binary one.
var Members = []string{"m0", "m1", "m2", "1", "2", "-3", "", "b\x00\xff\r\nm"}

func (g *gen) member() string { return Members[g.r.IntN(len(Members))] }

func (g *gen) members(min, max int) []string {
	out := make([]string, 0, max)
	for range min + g.r.IntN(max-min+1) {
		out = append(out, g.member())
	}
	return out
}

func init() {
	TypeSeeders["set"] = func(g *gen, key string) Cmd { return cmd("SADD", key, g.member()) }
	Specs = append(Specs,
		Spec{"sadd", 40, func(g *gen) Cmd { return cmd("SADD", append([]string{g.key()}, g.members(1, 4)...)...) }},
		Spec{"srem", 20, func(g *gen) Cmd { return cmd("SREM", append([]string{g.key()}, g.members(1, 3)...)...) }},
		Spec{"smembers", 15, func(g *gen) Cmd { return cmd("SMEMBERS", g.key()) }},
		Spec{"sismember", 15, func(g *gen) Cmd { return cmd("SISMEMBER", g.key(), g.member()) }},
		Spec{"smismember", 10, func(g *gen) Cmd { return cmd("SMISMEMBER", append([]string{g.key()}, g.members(1, 4)...)...) }},
		Spec{"scard", 15, func(g *gen) Cmd { return cmd("SCARD", g.key()) }},
		Spec{"srandmember", 10, func(g *gen) Cmd {
			args := []string{g.key()}
			if g.chance(0.7) {
				args = append(args, g.pick("1", "2", "3", "10", "0", "-1", "-3", "-10", "abc", "", "9223372036854775807", "-9223372036854775808"))
			}
			return cmd("SRANDMEMBER", args...)
		}},
		Spec{"spop", 10, func(g *gen) Cmd {
			args := []string{g.key()}
			if g.chance(0.6) {
				args = append(args, g.pick("1", "2", "3", "10", "0", "-1", "abc", "", "9223372036854775807"))
			}
			return cmd("SPOP", args...)
		}},
		Spec{"sscan", 8, func(g *gen) Cmd {
			cursor := "0"
			if g.chance(0.1) {
				cursor = g.pick("abc", "-1", "", "18446744073709551616")
			}
			return cmd("SSCAN", cat([]string{g.key(), cursor}, g.options(3, func() []string {
				switch g.r.IntN(5) {
				case 0, 1:
					return []string{g.word("MATCH"), g.pick("m*", "*", "m[0-1]", "", "x*", "-*")}
				case 2:
					return []string{g.word("COUNT"), g.pick("1", "10", "0", "-1", "abc")}
				case 3:
					return []string{g.word(g.pick("MATCH", "COUNT"))}
				}
				return g.unknownOption()
			}))...)
		}},
		Spec{"sinter", 10, func(g *gen) Cmd { return cmd("SINTER", g.keys(1, 3)...) }},
		Spec{"sunion", 10, func(g *gen) Cmd { return cmd("SUNION", g.keys(1, 3)...) }},
		Spec{"sdiff", 10, func(g *gen) Cmd { return cmd("SDIFF", g.keys(1, 3)...) }},
		Spec{"sinterstore", 6, func(g *gen) Cmd { return cmd("SINTERSTORE", g.keys(2, 4)...) }},
		Spec{"sunionstore", 6, func(g *gen) Cmd { return cmd("SUNIONSTORE", g.keys(2, 4)...) }},
		Spec{"sdiffstore", 6, func(g *gen) Cmd { return cmd("SDIFFSTORE", g.keys(2, 4)...) }},
		Spec{"smove", 10, func(g *gen) Cmd { return cmd("SMOVE", g.key(), g.key(), g.member()) }},
		Spec{"sintercard", 8, func(g *gen) Cmd {
			keys := g.keys(1, 3)
			n := g.pick("1", "2", "3", "0", "-1", "abc", "4")
			if g.chance(0.6) {
				n = strconv.Itoa(len(keys))
			}
			args := append([]string{n}, keys...)
			if g.chance(0.4) {
				args = append(args, g.word("LIMIT"), g.pick("0", "1", "2", "-1", "abc"))
			}
			return cmd("SINTERCARD", args...)
		}},
	)
}

// compareSRandMember checks the shape of a random pick: the same type and
// count as Redis's, every member one the set holds, distinct when the count
// is positive.
func compareSRandMember(s *session, c Cmd, r, d Reply) (bool, string) {
	if decided, ok, why := sameRandomShape(r, d); decided {
		return ok, why
	}
	all, err := s.probeD.must("SMEMBERS", c[1])
	if err != nil {
		return false, err.Error()
	}
	held := map[string]bool{}
	for _, e := range all.Elems {
		held[e.Str] = true
	}
	if d.Type == '$' {
		return held[d.Str], "SRANDMEMBER answered a member the set does not hold"
	}
	seen := map[string]bool{}
	for _, e := range d.Elems {
		if !held[e.Str] {
			return false, "SRANDMEMBER answered a member the set does not hold: " + e.Str
		}
		if seen[e.Str] && len(c) == 3 && !strings.HasPrefix(c[2], "-") {
			return false, "SRANDMEMBER with a positive count repeated a member"
		}
		seen[e.Str] = true
	}
	return true, ""
}

// compareSScan is compareHScan for a set.
func compareSScan(s *session, c Cmd, r, d Reply) (bool, string) {
	return compareCollectionScan(s, c, r, d, "SSCAN")
}

// compareSPop checks the shape of a random pop: the same reply type and
// count as Redis's, no member twice. The two servers popped different
// members, so Redis's set is then made Dynago's (SREM and SADD, keeping its
// TTL), as after an accepted difference.
func compareSPop(s *session, c Cmd, r, d Reply) (bool, string) {
	if decided, ok, why := sameRandomShape(r, d); decided {
		return ok, why
	}
	seen := map[string]bool{}
	for _, e := range d.Elems {
		if seen[e.Str] {
			return false, "SPOP answered a member twice: " + e.Str
		}
		seen[e.Str] = true
	}
	if err := s.copySetToRedis(c[1]); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// copySetToRedis gives Redis's set key Dynago's members, keeping its TTL:
// the missing members are added before the others are removed, so the set
// never empties (and loses its TTL) on the way.
func (s *session) copySetToRedis(key string) error {
	mine, err := s.probeD.must("SMEMBERS", key)
	if err != nil {
		return err
	}
	theirs, err := s.probeR.must("SMEMBERS", key)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, e := range mine.Elems {
		want[e.Str] = true
	}
	have := map[string]bool{}
	for _, e := range theirs.Elems {
		have[e.Str] = true
	}
	for m := range want {
		if !have[m] {
			if _, err := s.probeR.must("SADD", key, m); err != nil {
				return err
			}
		}
	}
	for m := range have {
		if !want[m] {
			if _, err := s.probeR.must("SREM", key, m); err != nil {
				return err
			}
		}
	}
	s.note = append(s.note, "SPOP popped members of its own on each server; copied Dynago's set to Redis")
	return nil
}
