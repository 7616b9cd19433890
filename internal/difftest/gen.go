package difftest

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Keys is the key space of every stream: few keys, so commands interact
// (a SET meets the INCR, the EXPIRE and the GETRANGE of the same key),
// including the empty key and a binary one.
var Keys = []string{"k0", "k1", "k2", "k3", "k4", "k5", "", "b\x00\xff\r\nk"}

// Generate returns n commands drawn from seed: the same seed gives the same
// stream. The commands cover every Dynago command that Redis also has (see
// Specs and Intended), weighted toward edge values, wrong arity, unknown and
// repeated options, and keys that expire mid-stream.
func Generate(seed uint64, n int) []Cmd {
	g := newGen(seed)
	cmds := make([]Cmd, 0, n)
	for range n {
		cmds = append(cmds, g.next())
	}
	return cmds
}

// gen draws commands and their arguments.
type gen struct {
	r     *rand.Rand
	total int // sum of the specs' weights

	// A transaction in the making (see transaction.go): inMulti while
	// the stream is inside MULTI, with left commands still to queue
	// before EXEC or DISCARD; multiAfter > 0 starts one after that many
	// more commands (a WATCH schedules it, so that the watch is used).
	inMulti    bool
	left       int
	multiAfter int
}

func newGen(seed uint64) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for _, s := range Specs {
		g.total += s.Weight
	}
	return g
}

// next draws one command: a spec by weight, its arguments, then perhaps a
// wrong argument count or a name in another case. Inside a transaction it
// draws what is queued, then EXEC or DISCARD (see transaction.go).
func (g *gen) next() Cmd {
	if g.inMulti {
		return g.nextInMulti()
	}
	if g.multiAfter > 0 {
		if g.multiAfter--; g.multiAfter == 0 {
			return g.vary(g.beginMulti())
		}
	}
	if g.chance(0.01) {
		return g.unknownCommand()
	}
	if g.chance(0.02) {
		return g.seedType()
	}
	return g.vary(g.spec(g.total, nil).Gen(g))
}

// spec draws a spec by weight among those allowed (nil: all), whose
// weights sum to total.
func (g *gen) spec(total int, allowed func(Spec) bool) Spec {
	n := g.r.IntN(total)
	var s Spec
	for _, s = range Specs {
		if allowed != nil && !allowed(s) {
			continue
		}
		if n < s.Weight {
			break
		}
		n -= s.Weight
	}
	return s
}

// vary perhaps gives c a wrong argument count or its name in another case.
func (g *gen) vary(c Cmd) Cmd {
	if g.chance(0.03) {
		c = g.wrongArity(c)
	}
	if g.chance(0.2) {
		c[0] = g.cased(c[0])
	}
	return c
}

// wrongArity drops trailing arguments or adds some: the arity check, and
// what an option parser makes of a missing or extra word.
func (g *gen) wrongArity(c Cmd) Cmd {
	first := 1
	if containers[c.Name()] && len(c) > 1 {
		first = 2 // keep the subcommand, or the error is about it
	}
	// Extra names for CONFIG GET would be patterns matching settings that
	// describe each server (see server-identity in Intended): only fewer.
	if len(c) > first && (g.chance(0.6) || c.FullName() == "config|get") {
		return c[:first+g.r.IntN(len(c)-first)]
	}
	for range 1 + g.r.IntN(3) {
		c = append(c, g.value())
	}
	return c
}

// unknownCommand makes a command no server has. A NUL byte leads the
// name, never follows a real one: Redis looks a name up by a hash over all
// its bytes but compares with strcasecmp, which stops at NUL, so "get\x00"
// is GET when its hash happens to fall in GET's bucket. That depends on the
// process's random hash seed, about one process in a few hundred, and
// would make two runs of the same seed disagree.
func (g *gen) unknownCommand() Cmd {
	name := g.pick("nosuchcommand", "", "GETT", "\x00get", "x"+strings.Repeat("y", 200), strings.Repeat("ü", 100), "client|setname", "set ", "a\r\nb")
	c := Cmd{name}
	for range g.r.IntN(4) {
		c = append(c, g.value())
	}
	return c
}

// TypeSeeders make a key hold a value of a type, so that commands of other
// types meet it (WRONGTYPE). Dynago has only strings today; each issue that
// adds a type adds its seeder here, and the streams then mix the types.
var TypeSeeders = map[string]func(g *gen, key string) Cmd{
	"string": func(g *gen, key string) Cmd { return Cmd{"SET", key, g.value()} },
}

func (g *gen) seedType() Cmd {
	types := make([]string, 0, len(TypeSeeders))
	for t := range TypeSeeders {
		types = append(types, t)
	}
	slices.Sort(types) // for determinism: map order is random
	return TypeSeeders[types[g.r.IntN(len(types))]](g, g.key())
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) pick(choices ...string) string { return choices[g.r.IntN(len(choices))] }

// cased returns w in a random mix of cases: Redis ignores the case of
// command names and option words.
func (g *gen) cased(w string) string {
	switch g.r.IntN(4) {
	case 0:
		return strings.ToLower(w)
	case 1:
		return strings.ToUpper(w)
	case 2:
		return w
	}
	b := []byte(w)
	for i := range b {
		if g.chance(0.5) {
			b[i] = strings.ToUpper(string(b[i]))[0]
		} else {
			b[i] = strings.ToLower(string(b[i]))[0]
		}
	}
	return string(b)
}

// word is an option word in a random case.
func (g *gen) word(w string) string {
	if g.chance(0.7) {
		return w
	}
	return g.cased(w)
}

func (g *gen) key() string { return Keys[g.r.IntN(len(Keys))] }

func (g *gen) keys(min, max int) []string {
	n := min + g.r.IntN(max-min+1)
	ks := make([]string, n)
	for i := range ks {
		ks[i] = g.key()
	}
	return ks
}

// Edge values of integers: around 0, 2^31, 2^32, 2^53, 2^63 and 2^64.
var intEdges = []string{
	"0", "1", "-1", "2", "-2", "10", "100",
	"2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
	"9007199254740992", "9007199254740993",
	"9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807",
	"9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616",
	"99999999999999999999999",
}

// Strings that are nearly integers: Redis's parser refuses each.
var notInts = []string{"", "+1", " 1", "1 ", "01", "-0", "00", "1a", "0x10", "1e3", "1.0", "-", "--1", "\x001", "١"}

var floatEdges = []string{
	"0.5", "-0.5", "1.5", "-2.25", "0.125", "3", "-1", "1e3", "2.5e2", "0", "-0", "1000000",
	"3.0", ".5", "5.", "1e10", "1.0e-3", "0.1", "-0.1", "1e17",
	"inf", "-inf", "+inf", "Infinity", "nan", "-nan",
	"1e308", "-1e308", "1.7976931348623157e308", "5e-324", "1e-320", "1e400", "-1e400", "1e-400",
	"0x10", "0x1p3", "1_0", "1e", "e1", " 1", "1 ", "1.5x", "",
}

// intArg is an integer argument: mostly small, often an edge, sometimes not
// an integer at all.
func (g *gen) intArg() string {
	switch n := g.r.IntN(10); {
	case n < 4:
		return strconv.Itoa(g.r.IntN(20) - 5)
	case n < 8:
		return g.pick(intEdges...)
	case n < 9:
		return g.pick(notInts...)
	}
	return g.pick(floatEdges...)
}

func (g *gen) floatArg() string {
	if g.chance(0.6) {
		// Dyadic fractions: exact in any binary floating point, so Redis's
		// long doubles and Dynago's float64 agree on them.
		return strconv.FormatFloat(float64(g.r.IntN(4001)-2000)/8, 'f', -1, 64)
	}
	if g.chance(0.2) {
		return g.intArg()
	}
	return g.pick(floatEdges...)
}

// value is a value to store: numbers (so INCR has something to work on),
// near-numbers, text, binary, empty and long strings, and key names.
func (g *gen) value() string {
	switch n := g.r.IntN(20); {
	case n < 4:
		return strconv.Itoa(g.r.IntN(200) - 50)
	case n < 6:
		return g.pick(intEdges...)
	case n < 7:
		return g.pick(notInts...)
	case n < 9:
		return g.pick(floatEdges...)
	case n < 13:
		return g.pick("a", "hello", "foo bar", "Hello, World!", "\"quoted\"", "\\", "*", "?", "[a-z]", "k1")
	case n < 15:
		return g.text(1 + g.r.IntN(16))
	case n < 17:
		return g.binary(1 + g.r.IntN(32))
	case n < 18:
		return ""
	case n < 19:
		return g.key()
	}
	return strings.Repeat(g.pick("x", "ab", "\x00"), 100+g.r.IntN(5000))
}

func (g *gen) text(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + g.r.IntN(26))
	}
	return string(b)
}

func (g *gen) binary(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.IntN(256))
		if g.chance(0.2) {
			b[i] = "\x00\r\n\xff "[g.r.IntN(5)]
		}
	}
	return string(b)
}

// ttl is an expiry argument in unit ("ex", "px", "exat" or "pxat"). Relative
// ones are either short (they fire during the stream: the runner waits for
// them, see expiry.go) or far beyond any run, never in between, so no
// expiry races a command. Absolute ones are past or far future.
func (g *gen) ttl(unit string) string {
	switch n := g.r.IntN(10); {
	case n < 3:
		switch unit {
		case "px":
			return g.pick("1", "2", "5", "10", "20", "50")
		case "ex":
			// No short ones in seconds: the runner would wait a second
			// for each (short expiries come in milliseconds).
			return g.pick("100000", "86400", "3600000")
		case "exat":
			return g.pick("1", "100", "1000000000") // the past: deletes
		}
		return g.pick("1", "100", "1000000000000") // pxat, the past
	case n < 6:
		switch unit {
		case "ex":
			return g.pick("100000", "86400", "2147483647")
		case "px":
			return g.pick("100000000", "86400000", "2147483647000")
		case "exat":
			return g.pick("4102444800", "2147483648", "9999999999")
		}
		return g.pick("4102444800000", "2147483648000", "9999999999999")
	case n < 8:
		return g.pick("0", "-1", "-100", "9223372036854775807", "-9223372036854775808",
			"9223372036854775", "9223372036854776", "9223372036854775808", "2147483648")
	}
	return g.pick(append(notInts, "1.5", "abc")...)
}

// offset is a string offset or index: small, edges, huge. Offsets that
// would make a string of up to 16 MiB (the servers' common limit; see the
// runner) are rare: each costs that much memory on both servers.
func (g *gen) offset() string {
	switch n := g.r.IntN(20); {
	case n < 10:
		return strconv.Itoa(g.r.IntN(40) - 10)
	case n < 16:
		return g.pick("0", "-1", "2147483647", "2147483648", "-2147483648", "4294967296",
			"9223372036854775807", "-9223372036854775808", "9223372036854775806", "536870911", "536870912",
			"16777216", "16777217", "9223372036854775808", "-9223372036854775809")
	case n < 17 && g.chance(0.05):
		return g.pick("16777215", "16777000", "1048576")
	case n < 18:
		return g.pick(notInts...)
	}
	return strconv.Itoa(g.r.IntN(1000))
}

func (g *gen) expiryOpt() []string {
	unit := g.pick("ex", "px", "exat", "pxat")
	return []string{g.word(strings.ToUpper(unit)), g.ttl(unit)}
}

// options draws 0..max words from build, each call one option (with its
// argument, if any): repeated, conflicting and unknown options come from
// the mix.
func (g *gen) options(max int, build func() []string) []string {
	var out []string
	for range g.r.IntN(max + 1) {
		out = append(out, build()...)
	}
	return out
}

func (g *gen) unknownOption() []string {
	return []string{g.pick("FOO", "", "NXX", "-", "EXPIRE", "1", "GETX")}
}

func cmd(name string, args ...string) Cmd { return append(Cmd{name}, args...) }

func cat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
