package difftest

import (
	"fmt"
	"slices"
	"strings"
)

// Hashes: the specs of the hash commands, their comparators, and the seeder
// that makes a key a hash so the other types' commands meet one.

// Fields are the hash fields of the streams: few, so commands meet the
// fields others wrote, with the empty field and a binary one.
var Fields = []string{"f0", "f1", "f2", "f3", "", "b\x00\xff\r\nf"}

func (g *gen) field() string { return Fields[g.r.IntN(len(Fields))] }

func (g *gen) fields(min, max int) []string {
	out := make([]string, 0, max)
	for range min + g.r.IntN(max-min+1) {
		out = append(out, g.field())
	}
	return out
}

// fieldValues are field-value pairs, sometimes one short.
func (g *gen) fieldValues() []string {
	var out []string
	for range 1 + g.r.IntN(4) {
		v := g.value()
		if g.chance(0.3) {
			v = g.intArg()
		}
		out = append(out, g.field(), v)
	}
	if g.chance(0.05) {
		out = out[:len(out)-1]
	}
	return out
}

func init() {
	TypeSeeders["hash"] = func(g *gen, key string) Cmd { return cmd("HSET", key, g.field(), g.value()) }
	Specs = append(Specs,
		Spec{"hset", 40, func(g *gen) Cmd { return cmd("HSET", append([]string{g.key()}, g.fieldValues()...)...) }},
		Spec{"hmset", 10, func(g *gen) Cmd { return cmd("HMSET", append([]string{g.key()}, g.fieldValues()...)...) }},
		Spec{"hsetnx", 10, func(g *gen) Cmd { return cmd("HSETNX", g.key(), g.field(), g.value()) }},
		Spec{"hdel", 20, func(g *gen) Cmd { return cmd("HDEL", append([]string{g.key()}, g.fields(1, 3)...)...) }},
		Spec{"hincrby", 20, func(g *gen) Cmd { return cmd("HINCRBY", g.key(), g.field(), g.intArg()) }},
		Spec{"hincrbyfloat", 15, func(g *gen) Cmd { return cmd("HINCRBYFLOAT", g.key(), g.field(), g.floatArg()) }},
		Spec{"hget", 30, func(g *gen) Cmd { return cmd("HGET", g.key(), g.field()) }},
		Spec{"hmget", 15, func(g *gen) Cmd { return cmd("HMGET", append([]string{g.key()}, g.fields(1, 4)...)...) }},
		Spec{"hexists", 10, func(g *gen) Cmd { return cmd("HEXISTS", g.key(), g.field()) }},
		Spec{"hstrlen", 10, func(g *gen) Cmd { return cmd("HSTRLEN", g.key(), g.field()) }},
		Spec{"hlen", 15, func(g *gen) Cmd { return cmd("HLEN", g.key()) }},
		Spec{"hgetall", 20, func(g *gen) Cmd { return cmd("HGETALL", g.key()) }},
		Spec{"hkeys", 10, func(g *gen) Cmd { return cmd("HKEYS", g.key()) }},
		Spec{"hvals", 10, func(g *gen) Cmd { return cmd("HVALS", g.key()) }},
		Spec{"hrandfield", 10, func(g *gen) Cmd {
			args := []string{g.key()}
			if g.chance(0.7) {
				args = append(args, g.pick("1", "2", "3", "10", "0", "-1", "-3", "-10", "abc", "", "9223372036854775807", "-9223372036854775808"))
				if g.chance(0.5) {
					args = append(args, g.word(g.pick("WITHVALUES", "WITHVALUES", "NOVALUES")))
				}
			}
			return cmd("HRANDFIELD", args...)
		}},
		Spec{"hscan", 10, func(g *gen) Cmd {
			cursor := "0"
			if g.chance(0.1) {
				cursor = g.pick("abc", "-1", "", "18446744073709551616")
			}
			return cmd("HSCAN", cat([]string{g.key(), cursor}, g.options(3, func() []string {
				switch g.r.IntN(6) {
				case 0, 1:
					return []string{g.word("MATCH"), g.pick("f*", "*", "f[0-1]", "", "x*", "b*")}
				case 2:
					return []string{g.word("COUNT"), g.pick("1", "10", "1000", "0", "-1", "abc")}
				case 3:
					return []string{g.word("NOVALUES")}
				case 4:
					return []string{g.word(g.pick("MATCH", "COUNT"))}
				}
				return g.unknownOption()
			}))...)
		}},
	)
}

// pairsOf returns a hash reply's field-value pairs, sorted: a RESP3 map, a
// RESP2 flat array, or (HRANDFIELD WITHVALUES in RESP3) an array of pairs.
func pairsOf(x Reply) ([]string, bool) {
	var out []string
	switch {
	case x.Type == '%' || x.Type == '*' && len(x.Elems)%2 == 0 && (len(x.Elems) == 0 || x.Elems[0].Type != '*'):
		for i := 0; i+1 < len(x.Elems); i += 2 {
			k, v := x.Elems[i], x.Elems[i+1]
			if k.Type != '$' || v.Type != '$' {
				return nil, false
			}
			out = append(out, fmt.Sprintf("%q=%q", k.Str, v.Str))
		}
	case x.Type == '*':
		for _, p := range x.Elems {
			if p.Type != '*' || len(p.Elems) != 2 {
				return nil, false
			}
			out = append(out, fmt.Sprintf("%q=%q", p.Elems[0].Str, p.Elems[1].Str))
		}
	default:
		return nil, false
	}
	slices.Sort(out)
	return out, true
}

// compareHGetAll compares HGETALL's pairs as a set: Dynago answers a
// hash's fields in field order, Redis in the order of its encoding (see
// hash-order in Intended).
func compareHGetAll(_ *session, _ Cmd, r, d Reply) (bool, string) {
	if decided, ok := errorsExact(r, d); decided {
		return ok, "replies differ"
	}
	a, ok1 := pairsOf(r)
	b, ok2 := pairsOf(d)
	if !ok1 || !ok2 || r.Type != d.Type {
		return false, "reply types differ"
	}
	if !slices.Equal(a, b) {
		return false, "different fields"
	}
	return true, ""
}

// compareHRandField checks the shape of a random pick: the same type and
// count as Redis's, every field one the hash holds (with its value),
// distinct when the count is positive.
func compareHRandField(s *session, c Cmd, r, d Reply) (bool, string) {
	return compareRandomPairs(s, c, r, d, "HGETALL")
}

// compareRandomPairs is compareHRandField and compareZRandMember: all,
// with the key after its first word, reads the whole collection from Dynago
// as name, value pairs. A command without a key is an arity error, compared
// exactly.
func compareRandomPairs(s *session, c Cmd, r, d Reply, all ...string) (bool, string) {
	if len(c) < 2 {
		return exact(s, c, r, d)
	}
	all = append([]string{all[0], c[1]}, all[1:]...)
	if decided, ok, why := sameRandomShape(r, d); decided {
		return ok, why
	}
	whole, err := s.probeD.must(all...)
	if err != nil {
		return false, err.Error()
	}
	held := map[string]string{}
	for i := 0; i+1 < len(whole.Elems); i += 2 {
		held[whole.Elems[i].Str] = whole.Elems[i+1].Str
	}
	name := strings.ToUpper(c.Name())
	if d.Type == '$' {
		_, ok := held[d.Str]
		return ok, name + " answered an element the key does not hold"
	}
	withValues := len(c) == 4
	var picked []string
	for i := 0; i < len(d.Elems); i++ {
		e := d.Elems[i]
		elem, value := e.Str, ""
		switch {
		case e.Type == '*' && len(e.Elems) == 2: // RESP3: pairs
			elem, value = e.Elems[0].Str, e.Elems[1].Str
		case withValues && i+1 < len(d.Elems):
			value = d.Elems[i+1].Str
			i++
		}
		v, ok := held[elem]
		if !ok || withValues && v != value {
			return false, fmt.Sprintf("%s answered %q=%q, not in the key", name, elem, value)
		}
		picked = append(picked, elem)
	}
	if !strings.HasPrefix(c[2], "-") {
		sorted := slices.Clone(picked)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(picked) {
			return false, name + " with a positive count repeated an element"
		}
	}
	return true, ""
}

// compareHScan compares a whole HSCAN from cursor 0: Dynago answers every
// field in one reply; Redis does so for a small hash and in pages for a
// large one, which fullScanOf follows to the end.
func compareHScan(s *session, c Cmd, r, d Reply) (bool, string) {
	return compareCollectionScan(s, c, r, d, "HSCAN")
}

// compareCollectionScan is compareHScan and compareSScan: name is the
// command.
func compareCollectionScan(s *session, c Cmd, r, d Reply, name string) (bool, string) {
	if decided, ok := errorsExact(r, d); decided {
		return ok, "replies differ"
	}
	shape := func(x Reply) bool {
		return x.Type == '*' && len(x.Elems) == 2 && x.Elems[0].Type == '$' && x.Elems[1].Type == '*'
	}
	if !shape(r) || !shape(d) {
		return false, name + " reply is not [cursor, elements]"
	}
	if c[2] != "0" {
		return true, "" // a cursor of Redis's own means nothing to Dynago
	}
	rs, err := s.fullScanOf(name, c)
	if err != nil {
		return false, err.Error()
	}
	ds := make([]string, 0, len(d.Elems[1].Elems))
	for _, e := range d.Elems[1].Elems {
		ds = append(ds, e.Str)
	}
	slices.Sort(ds)
	if d.Elems[0].Str != "0" || !slices.Equal(rs, ds) {
		return false, fmt.Sprintf("a full %s differs: redis %q, dynago %q", name, rs, ds)
	}
	return true, ""
}

// fullScanOf runs c (an HSCAN or SSCAN, name, from cursor 0) on Redis to its
// end and returns every element it answered, sorted.
func (s *session) fullScanOf(name string, c Cmd) ([]string, error) {
	var out []string
	cursor := "0"
	for range 1 << 16 {
		rep, err := s.probeR.must(append(Cmd{name, c[1], cursor}, c[3:]...)...)
		if err != nil {
			return nil, err
		}
		if len(rep.Elems) != 2 {
			return nil, fmt.Errorf("%s: %s", name, rep)
		}
		for _, e := range rep.Elems[1].Elems {
			out = append(out, e.Str)
		}
		if cursor = rep.Elems[0].Str; cursor == "0" {
			slices.Sort(out)
			return out, nil
		}
	}
	return nil, fmt.Errorf("%s did not end", name)
}

// compareHIncrByFloat applies float64-counters (see Intended) to a hash
// field, as compareIncrByFloat does to a key.
func compareHIncrByFloat(s *session, c Cmd, r, d Reply) (bool, string) {
	if len(c) != 4 {
		return exact(s, c, r, d)
	}
	return compareFloatIncrement(r, d, c[3], func() error {
		return s.copyFieldToRedis(c[1], c[2], intended("float64-counters"))
	})
}

// compareHIncrBy applies counter-contribution-range (see Intended) to a
// hash field.
func compareHIncrBy(s *session, c Cmd, r, d Reply) (bool, string) {
	if r.Equal(d) {
		return true, ""
	}
	if r.Type != ':' || !d.IsError() || d.Str != "ERR increment or decrement would overflow" || len(c) < 3 {
		return false, "replies differ"
	}
	if err := s.copyFieldToRedis(c[1], c[2], intended("counter-contribution-range")); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// copyFieldToRedis gives Redis's hash field Dynago's value, as
// copyKeyToRedis does for a key.
func (s *session) copyFieldToRedis(key, field string, why Difference) error {
	v, err := s.probeD.must("HGET", key, field)
	if err != nil {
		return err
	}
	if v.IsNull() {
		_, err = s.probeR.must("HDEL", key, field)
	} else {
		_, err = s.probeR.must("HSET", key, field, v.Str)
	}
	s.note = append(s.note, "accepted as "+why.ID+"; copied Dynago's field to Redis")
	if err == nil && s.isWatched(key) { // (see copyKeyToRedis)
		if v.IsNull() {
			err = s.touch(Cmd{"HSET", key, field, "x"}, Cmd{"HDEL", key, field})
		} else {
			err = s.touch(Cmd{"HSET", key, field, v.Str})
		}
	}
	return err
}

// sameRandomShape is the first part of the comparison of a random pick
// (HRANDFIELD, SRANDMEMBER, SPOP): errors exactly, nulls alike, and
// otherwise the same reply type and count; decided is false when the
// elements themselves are left to look at.
func sameRandomShape(r, d Reply) (decided, ok bool, why string) {
	if decided, ok := errorsExact(r, d); decided {
		return true, ok, "replies differ"
	}
	if r.IsNull() || d.IsNull() {
		return true, r.Equal(d), "replies differ"
	}
	if r.Type != d.Type || len(r.Elems) != len(d.Elems) {
		return true, false, "reply shapes differ"
	}
	return false, false, ""
}
