package difftest

import (
	"fmt"
	"strconv"

	"github.com/dynago/dynago/hll"
)

// HyperLogLogs: the specs of PFADD, PFCOUNT and PFMERGE, their comparator,
// and the seeder that makes a key a HyperLogLog.

func (g *gen) hllElements() []string {
	n := g.r.IntN(4)
	if g.chance(0.05) {
		n = 100 + g.r.IntN(2000) // enough to outgrow the sparse form, at times
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, "e"+strconv.Itoa(g.r.IntN(5000)))
	}
	return out
}

func init() {
	TypeSeeders["hyperloglog"] = func(g *gen, key string) Cmd { return cmd("PFADD", key, g.member()) }
	Specs = append(Specs,
		Spec{"pfadd", 25, func(g *gen) Cmd { return cmd("PFADD", append([]string{g.key()}, g.hllElements()...)...) }},
		Spec{"pfcount", 15, func(g *gen) Cmd { return cmd("PFCOUNT", g.keys(1, 3)...) }},
		Spec{"pfmerge", 8, func(g *gen) Cmd { return cmd("PFMERGE", g.keys(1, 4)...) }},
	)
}

// invalidHLL is the error for a string that is not a well-formed HyperLogLog.
const invalidHLL = "INVALIDOBJ Corrupted HLL object detected"

// compareHLL compares a HyperLogLog command's reply exactly; then, for
// each key it names that holds a HyperLogLog on both servers, the two must
// hold the same registers. Where their bytes still differ (Redis wrote its
// count into the key's cache, or chose another encoding: hll-encoding in
// Intended), Redis is given Dynago's bytes.
func compareHLL(s *session, c Cmd, r, d Reply) (bool, string) {
	keys := c[1:]
	if c.FullName() == "pfadd" {
		keys = c[1:2]
	}
	ok, why := exact(s, c, r, d)
	if d.IsError() && d.Str == invalidHLL && c.FullName() != "pfcount" && (ok || !r.IsError()) {
		// A sparse form damaged by a string command: Redis's PFADD and
		// PFMERGE may still read a prefix of it, and rewrite it before
		// they too find the damage (hll-encoding); Dynago's refusal
		// changes nothing. Both write only their first key.
		if err := s.copyKeyToRedis(c[1], intended("hll-encoding")); err != nil {
			return false, err.Error()
		}
		return true, ""
	}
	if !ok {
		return ok, why
	}
	for _, k := range keys {
		rv, err := s.probeR.must("GET", k)
		if err != nil || rv.Type != '$' || rv.Null || !hll.IsHLL([]byte(rv.Str)) {
			continue // (not a string, or not a HyperLogLog: the reply said so)
		}
		dv, err := s.probeD.must("GET", k)
		if err != nil {
			return false, err.Error()
		}
		if dv.Str == rv.Str {
			continue
		}
		a, err1 := hll.Decode([]byte(rv.Str))
		b, err2 := hll.Decode([]byte(dv.Str))
		if err1 != nil || err2 != nil || a.Reg != b.Reg {
			return false, fmt.Sprintf("the HyperLogLog at %q differs in its registers", k)
		}
		if err := s.copyKeyToRedis(k, intended("hll-encoding")); err != nil {
			return false, err.Error()
		}
	}
	return true, ""
}
