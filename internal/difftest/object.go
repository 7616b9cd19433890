package difftest

import "slices"

// OBJECT and MEMORY: the specs of the introspection commands and the
// comparator of OBJECT ENCODING (object-introspection in Intended).

func init() {
	Specs = append(Specs,
		Spec{"object|encoding", 6, func(g *gen) Cmd { return cmd("OBJECT", g.word("ENCODING"), g.key()) }},
		Spec{"object|freq", 2, func(g *gen) Cmd { return cmd("OBJECT", g.word("FREQ"), g.key()) }},
		Spec{"object|idletime", 2, func(g *gen) Cmd { return cmd("OBJECT", g.word("IDLETIME"), g.key()) }},
		Spec{"object|refcount", 2, func(g *gen) Cmd { return cmd("OBJECT", g.word("REFCOUNT"), g.key()) }},
		Spec{"object|help", 1, func(g *gen) Cmd { return cmd("OBJECT", g.word("HELP")) }},
		Spec{"memory|usage", 4, func(g *gen) Cmd {
			args := []string{g.word("USAGE"), g.key()}
			if g.chance(0.3) {
				args = append(args, g.word(g.pick("SAMPLES", "SAMPLES", "COUNT")), g.pick("0", "5", "-1", "abc"))
			}
			return cmd("MEMORY", args...)
		}},
		Spec{"memory|help", 1, func(g *gen) Cmd { return cmd("MEMORY", g.word("HELP")) }},
	)
}

// encodingFamilies are the encodings Redis 7.0 gives one type of value.
var encodingFamilies = [][]string{
	{"int", "embstr", "raw"},
	{"listpack", "hashtable"},
	{"intset", "hashtable"},
	{"listpack", "skiplist"},
}

// compareObjectEncoding accepts the same encoding, or two of one type's
// (Redis keeps the encoding a value was written in, say "raw" after an
// APPEND or a hash table after fields were removed; Dynago names the one of
// a value just written).
func compareObjectEncoding(s *session, c Cmd, r, d Reply) (bool, string) {
	if r.Equal(d) {
		return true, ""
	}
	if r.Type != '$' || d.Type != '$' || r.Null || d.Null {
		return false, "replies differ"
	}
	for _, f := range encodingFamilies {
		if slices.Contains(f, r.Str) && slices.Contains(f, d.Str) {
			return true, ""
		}
	}
	return false, "encodings of different types"
}
