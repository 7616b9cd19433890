package difftest

// Bitmaps and LCS: the specs of the bit commands over strings. Offsets are
// small, so commands meet each other's bits, with a few far or invalid
// ones.

func (g *gen) bitOffset() string {
	if g.chance(0.1) {
		return g.pick("-1", "abc", "", "4294967296", "99999999999", "8388608")
	}
	return g.pick("0", "1", "7", "8", "13", "31", "32", "63", "100")
}

func (g *gen) bitRange() []string {
	var args []string
	if g.chance(0.7) {
		args = append(args, g.pick("0", "1", "-1", "2", "-2", "5", "abc"), g.pick("0", "1", "-1", "3", "-3", "10", "abc"))
		if g.chance(0.4) {
			args = append(args, g.word(g.pick("BYTE", "BIT", "bits")))
		}
	} else if g.chance(0.2) {
		args = append(args, g.pick("0", "1", "abc"))
	}
	return args
}

func (g *gen) bitfieldOps(readOnly bool) []string {
	var args []string
	for range 1 + g.r.IntN(3) {
		typ := g.pick("u8", "i8", "u1", "i5", "u16", "i64", "u63", "u64", "x8", "i0")
		off := g.pick("0", "3", "8", "#1", "#2", "100", "-1", "abc")
		switch k := g.r.IntN(5); {
		case readOnly || k <= 1:
			args = append(args, g.word("GET"), typ, off)
		case k == 2:
			args = append(args, g.word("SET"), typ, off, g.pick("0", "1", "-1", "255", "300", "-129", "9223372036854775807", "abc"))
		case k == 3:
			args = append(args, g.word("INCRBY"), typ, off, g.pick("1", "-1", "100", "-200", "abc"))
		default:
			args = append(args, g.word("OVERFLOW"), g.word(g.pick("WRAP", "SAT", "FAIL", "none")))
		}
	}
	return args
}

func init() {
	Specs = append(Specs,
		Spec{"setbit", 25, func(g *gen) Cmd { return cmd("SETBIT", g.key(), g.bitOffset(), g.pick("1", "1", "0", "2", "abc")) }},
		Spec{"getbit", 10, func(g *gen) Cmd { return cmd("GETBIT", g.key(), g.bitOffset()) }},
		Spec{"bitcount", 10, func(g *gen) Cmd { return cmd("BITCOUNT", append([]string{g.key()}, g.bitRange()...)...) }},
		Spec{"bitpos", 10, func(g *gen) Cmd {
			return cmd("BITPOS", append([]string{g.key(), g.pick("0", "1", "1", "2", "abc")}, g.bitRange()...)...)
		}},
		Spec{"bitop", 8, func(g *gen) Cmd {
			return cmd("BITOP", append([]string{g.word(g.pick("AND", "OR", "XOR", "NOT", "NOT", "NAND"))}, g.keys(2, 4)...)...)
		}},
		Spec{"bitfield", 10, func(g *gen) Cmd { return cmd("BITFIELD", append([]string{g.key()}, g.bitfieldOps(false)...)...) }},
		Spec{"bitfield_ro", 5, func(g *gen) Cmd {
			return cmd("BITFIELD_RO", append([]string{g.key()}, g.bitfieldOps(g.chance(0.9))...)...)
		}},
		Spec{"lcs", 6, func(g *gen) Cmd {
			args := []string{g.key(), g.key()}
			for range g.r.IntN(3) {
				switch g.r.IntN(5) {
				case 0:
					args = append(args, g.word("LEN"))
				case 1, 2:
					args = append(args, g.word("IDX"))
				case 3:
					args = append(args, g.word("MINMATCHLEN"), g.pick("0", "1", "2", "abc"))
				default:
					args = append(args, g.word("WITHMATCHLEN"))
				}
			}
			return cmd("LCS", args...)
		}},
	)
}
