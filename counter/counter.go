// Package counter owns Dynago's convergent counters, the state behind Redis's
// INCR family (INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT).
//
// A counter is a PN-counter over server-side actors: it starts from a base (the
// string value the counter replaced, or nothing) and each actor records only
// its own net contribution, stamped with a sequence number. Merging two states
// keeps, per actor, the later contribution, so increments made through
// different nodes, even on both sides of a network cut, all count once the
// states meet. Only the value that a client sees is Redis's: it is rendered
// from the base and the contributions, and integer-ness is decided from that
// rendered form, as Redis decides it from the stored string.
package counter

import (
	"bytes"
	"cmp"
	"errors"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/dynago/dynago/version"
)

// Errors with Redis's wording (without the "ERR " prefix).
var (
	// ErrNotInteger: INCR family on a value that is not an integer in int64 range.
	ErrNotInteger = errors.New("value is not an integer or out of range")
	// ErrNotFloat: INCRBYFLOAT on a value that is not a number.
	ErrNotFloat = errors.New("value is not a valid float")
	// ErrOverflow: the integer result would leave int64.
	ErrOverflow = errors.New("increment or decrement would overflow")
	// ErrNaNOrInf: the float result would be NaN or infinite.
	ErrNaNOrInf = errors.New("increment would produce NaN or Infinity")
	// ErrMalformed wraps every Decode error.
	ErrMalformed = errors.New("counter: malformed encoding")
)

// ErrNotNumber is what FromValue returns for a value that is neither an
// integer nor a float. It matches both ErrNotInteger and ErrNotFloat under
// errors.Is, so an INCR caller and an INCRBYFLOAT caller can each test for the
// error it reports; its text is ErrNotInteger's.
var ErrNotNumber error = notNumber{}

type notNumber struct{}

func (notNumber) Error() string { return ErrNotInteger.Error() }

func (notNumber) Is(target error) bool { return target == ErrNotInteger || target == ErrNotFloat }

// State is a counter's replicated state.
//
// The counter started from a base: the value of the string it replaced, which
// is identified by BaseDot and BaseTime so replicas agree whether they share a
// base. Each actor changes only its own entry, and Seq orders its changes.
//
// Invariant: Entries are sorted by Actor with no duplicates; no float is NaN;
// Float is 0 unless HasFloat; BaseInt is 0 if BaseIsFloat, BaseFloat is 0 if not.
type State struct {
	BaseDot     version.Dot // dot of the value the counter started from; zero if the key did not exist
	BaseTime    int64       // that value's write time (unix nanoseconds); orders different bases
	BaseInt     int64       // the base, when it was a Redis integer
	BaseFloat   float64     // the base, when it was a number but not a Redis integer
	BaseIsFloat bool        // which of BaseInt and BaseFloat holds the base
	Entries     []Entry     // one per actor that incremented, sorted by Actor
}

// Entry is one actor's net contribution to a counter.
type Entry struct {
	Actor    version.Actor
	Seq      uint64  // increases with each change the actor makes; the higher Seq wins a merge
	Int      int64   // sum of the actor's integer increments
	Float    float64 // sum of the actor's float increments
	HasFloat bool    // the actor made a float increment; Float is meaningful
}

// FromValue starts a counter from the Redis string value it replaces. An
// absent key (zero baseDot, nil value) and the empty string count as 0. A value
// that is neither a Redis integer nor a float yields ErrNotNumber.
func FromValue(baseDot version.Dot, baseTime int64, value []byte) (State, error) {
	s := State{BaseDot: baseDot, BaseTime: baseTime}
	if len(value) == 0 {
		return s, nil
	}
	if n, ok := ParseInt(value); ok {
		s.BaseInt = n
		return s, nil
	}
	if f, ok := ParseFloat(value); ok {
		s.BaseFloat, s.BaseIsFloat = f, true
		return s, nil
	}
	return State{}, ErrNotNumber
}

// ParseInt parses b the way Redis parses an integer argument or value: an
// optional '-', no '+', no spaces, no leading zeros except "0" itself, within
// int64.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	d := b
	if d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	for _, c := range d[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// maxFloatChars is the longest string Redis accepts as a float value.
const maxFloatChars = 5*1024 - 1

// ParseFloat parses b the way Redis parses a float value (strtold): no leading
// space, nothing left over, not NaN, not out of long double's range.
// Infinity is accepted, as in Redis; any increment of it then fails with
// ErrNaNOrInf. Go's parser reads float64 rather than long double, so a
// magnitude beyond float64's range but within long double's (1e400) reads as
// ±Inf: Redis computes with it, Dynago refuses the sum as infinite.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > maxFloatChars {
		return 0, false
	}
	switch b[0] {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return 0, false
	}
	if bytes.IndexByte(b, '_') >= 0 { // Go allows digit separators; Redis does not
		return 0, false
	}
	s := string(b)
	if hex := bytes.TrimLeft(b, "+-"); len(hex) > 1 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X') &&
		bytes.IndexAny(hex, "pP") < 0 {
		s += "p0" // strtold reads a hex mantissa without an exponent ("0x10"); Go wants one
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !(math.IsInf(f, 0) && errors.Is(err, strconv.ErrRange) && !overflowsLongDouble(s)) {
		return 0, false
	}
	if math.IsNaN(f) || (f == 0 && underflowsLongDouble(s)) {
		return 0, false
	}
	return f, true
}

// overflowsLongDouble reports whether s, a number too large for a float64,
// is also too large for a long double (beyond 2^16384), which strtold
// refuses with ERANGE.
func overflowsLongDouble(s string) bool {
	x, _, err := big.ParseFloat(s, 0, 64, big.ToNearestEven)
	return err != nil || x.IsInf() || x.MantExp(nil) > 16384
}

// underflowsLongDouble reports whether s, a number Go reads as 0, is one
// that strtold rounds to 0 with ERANGE (below half of long double's least
// subnormal, 2^-16445), which Redis refuses. Between that and float64's
// least subnormal Redis reads a tiny number, Dynago 0.
func underflowsLongDouble(s string) bool {
	x, _, err := big.ParseFloat(s, 0, 64, big.ToNearestEven)
	if err != nil {
		return true // an exponent beyond any range: Go read it as 0, so tiny
	}
	return x.Sign() != 0 && x.MantExp(nil) < -16445
}

// int128 is a two's-complement 128-bit integer: the exact sum of up to 2^63
// int64 contributions, so merged counters never wrap.
type int128 struct {
	hi int64
	lo uint64
}

func (a int128) add(x int64) int128 {
	lo, carry := bits.Add64(a.lo, uint64(x), 0)
	hi := a.hi + int64(carry)
	if x < 0 {
		hi--
	}
	return int128{hi: hi, lo: lo}
}

func (a int128) int64() (int64, bool) {
	v := int64(a.lo)
	return v, (a.hi == 0 && v >= 0) || (a.hi == -1 && v < 0)
}

func (a int128) big() *big.Int {
	n := new(big.Int).SetInt64(a.hi)
	n.Lsh(n, 64)
	return n.Add(n, new(big.Int).SetUint64(a.lo))
}

func (a int128) float64() float64 {
	if v, ok := a.int64(); ok {
		return float64(v)
	}
	f, _ := new(big.Float).SetInt(a.big()).Float64()
	return f
}

func (a int128) String() string {
	if v, ok := a.int64(); ok {
		return strconv.FormatInt(v, 10)
	}
	return a.big().String()
}

// value is a counter's value before rendering.
type value struct {
	isInt bool
	i     int128  // the value when isInt
	f     float64 // the value when !isInt
	// exact, when set, is the value's exact sum (the integer parts plus the
	// float parts) where f lost its fraction: it is what the value renders
	// as.
	exact *big.Float
	// base marks the untouched base of a counter that started from a
	// non-integer string, such as "3.0": not an integer, whatever it renders as.
	base bool
}

// eval computes the counter's value. The integer parts are summed exactly; the
// float parts in a fixed order (base, then entries by actor), so every replica
// holding the same state computes the same bits. When the float parts sum to
// an integer, the value is that exact integer, as Redis would render it.
func (s State) eval() value {
	var i int128
	f := 0.0
	if s.BaseIsFloat {
		f = s.BaseFloat
		if len(s.Entries) == 0 {
			// The untouched base was not a Redis integer (say "3.0"), so
			// it is not one now, whatever number it denotes.
			return value{f: f, base: true}
		}
	} else {
		i = i.add(s.BaseInt)
	}
	for _, e := range s.Entries {
		i = i.add(e.Int)
		if e.HasFloat {
			f += e.Float
		}
	}
	if f == 0 {
		return value{isInt: true, i: i}
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return value{isInt: true, i: i.add(int64(f))}
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<100 {
		// An integral float part beyond int64 (-2^63 after INCRBYFLOAT on
		// "-9223372036854775809") is still added exactly, so INCR moves it.
		fi, _ := new(big.Float).SetFloat64(f).Int(nil)
		if sum, ok := int128FromBig(fi.Add(fi, i.big())); ok {
			return value{isInt: true, i: sum}
		}
	}
	r := i.plus(f)
	if r != math.Trunc(r) || math.IsInf(r, 0) {
		return value{f: r}
	}
	// The sum has a fraction (f is not integral) that its float64 lost
	// (9007199254740993 - 123.5): rendered from the float64 it would read as
	// an integer that INCR moves by other than 1. It renders exactly, as
	// Redis's long double shows it.
	return value{f: r, exact: i.exactPlus(f)}
}

// exactPlus returns a + f exactly.
func (a int128) exactPlus(f float64) *big.Float {
	// int128 + float64 needs at most 128+1074+53 bits to be exact.
	sum := new(big.Float).SetPrec(1280).SetInt(a.big())
	return sum.Add(sum, new(big.Float).SetPrec(1280).SetFloat64(f))
}

// int128FromBig returns n as an int128, if it fits.
func int128FromBig(n *big.Int) (int128, bool) {
	if n.BitLen() > 127 {
		return int128{}, false
	}
	// Two's complement: n mod 2^128, split into words.
	m := new(big.Int).Add(n, new(big.Int).Lsh(big.NewInt(1), 128))
	m.Mod(m, new(big.Int).Lsh(big.NewInt(1), 128))
	lo := new(big.Int).And(m, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
	hi := new(big.Int).Rsh(m, 64).Uint64()
	return int128{hi: int64(hi), lo: lo}, true
}

// plus returns a + f rounded once to the nearest float64. Rounding a to a
// float64 first (beyond 2^53) and then the sum would make the printed value
// disagree with what an INCRBY then adds to (-9007199254740993 + 3.125 printed
// as ...989, while the value an INCRBY sees is ...990).
func (a int128) plus(f float64) float64 {
	if v, ok := a.int64(); (ok && v > -1<<53 && v < 1<<53) || math.IsInf(f, 0) || math.IsNaN(f) {
		return a.float64() + f // a is exact as a float64 (one rounding already), or f is not a number
	}
	r, _ := a.exactPlus(f).Float64()
	return r
}

// formatFloat renders f like Redis's INCRBYFLOAT reply: fixed-point, no
// exponent, no trailing zeros or trailing dot, and "0" rather than "-0".
//
// Redis computes in long double and prints "%.17Lf"; Dynago computes in
// float64 and prints the shortest decimal that reads back as the same
// float64. The two agree on most values; where float64 rounding shows, Dynago
// prints it (0.1 + 0.2 renders "0.30000000000000004" where Redis prints
// "0.3"), and the printed form always reads back to exactly the stored value.
//
// Beyond 2^53 every float64 is an integer, and Dynago prints it exactly
// (9223372036854775808, not the shortest 9223372036854776000), as Redis does.
// Like Redis's "%.17Lf", it prints at most 17 decimals: a value whose
// shortest form needs more is rounded to 17 (1e-20 prints "0").
func formatFloat(f float64) string {
	switch {
	case f == 0:
		return "0"
	case math.Abs(f) >= 1<<53:
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if dot := strings.IndexByte(s, '.'); dot >= 0 && len(s)-dot-1 > 17 {
		s = strings.TrimRight(strconv.FormatFloat(f, 'f', 17, 64), "0")
		s = strings.TrimSuffix(s, ".")
		if s == "-0" {
			s = "0"
		}
	}
	return s
}

func (v value) String() string {
	switch {
	case v.isInt:
		return v.i.String()
	case v.exact != nil:
		// As "%.17Lf" prints it, without trailing zeros.
		s := strings.TrimSuffix(strings.TrimRight(v.exact.Text('f', 17), "0"), ".")
		if s == "-0" {
			s = "0"
		}
		return s
	}
	return formatFloat(v.f)
}

// int64 returns the value as an int64 if its rendered form is a Redis integer.
func (v value) int64() (int64, bool) {
	if v.isInt {
		return v.i.int64()
	}
	if v.base || math.IsInf(v.f, 0) || math.IsNaN(v.f) {
		return 0, false
	}
	return ParseInt([]byte(v.String()))
}

// String returns the counter's Redis string value: the integer form ("42")
// when the value is an integer, otherwise the INCRBYFLOAT form (see
// formatFloat). A state whose base was a non-integer string and that has no
// increments yet renders that base in the same float form ("3.0" -> "3").
func (s State) String() string { return s.eval().String() }

// Int64 returns the counter's value if its rendered form is an integer within
// int64, as the reply to INCR/INCRBY needs.
func (s State) Int64() (int64, bool) { return s.eval().int64() }

// Float64 returns the counter's value as a float64.
func (s State) Float64() float64 {
	v := s.eval()
	if v.isInt {
		return v.i.float64()
	}
	return v.f
}

// entry returns a copy of s with its own Entries slice, and a pointer to
// actor's entry in it (inserted, zero, if absent).
func (s State) entry(actor version.Actor) (State, *Entry) {
	i, found := slices.BinarySearchFunc(s.Entries, actor, func(e Entry, a version.Actor) int {
		return e.Actor.Compare(a)
	})
	es := make([]Entry, 0, len(s.Entries)+1)
	es = append(es, s.Entries[:i]...)
	if found {
		es = append(es, s.Entries[i:]...)
	} else {
		es = append(es, Entry{Actor: actor})
		es = append(es, s.Entries[i:]...)
	}
	s.Entries = es
	return s, &es[i]
}

// nextSeq returns the Seq for an entry's next change: seq, raised if needed
// so that it exceeds the entry's current Seq (a lower Seq would lose to the
// old entry in a merge).
func nextSeq(cur, seq uint64) uint64 {
	if seq > cur {
		return seq
	}
	return cur + 1
}

// IncrBy adds delta to the counter on behalf of actor, whose change number is
// seq (typically the dot counter of the write; see nextSeq for how it is
// raised). The current value must be an integer (ErrNotInteger) and the
// result must stay within int64 (ErrOverflow); the actor's own accumulated
// contribution must also stay within int64, which only an actor that has
// moved the counter by more than 2^63 in total can exceed (also ErrOverflow).
//
// The actor must apply its changes to a state that includes its previous
// change to this counter (per key, an actor's increments are serialised);
// otherwise one of its two changes loses the merge.
func (s State) IncrBy(actor version.Actor, seq uint64, delta int64) (State, error) {
	cur, ok := s.Int64()
	if !ok {
		return State{}, ErrNotInteger
	}
	if (delta > 0 && cur > math.MaxInt64-delta) || (delta < 0 && cur < math.MinInt64-delta) {
		return State{}, ErrOverflow
	}
	n, e := s.entry(actor)
	if (delta > 0 && e.Int > math.MaxInt64-delta) || (delta < 0 && e.Int < math.MinInt64-delta) {
		return State{}, ErrOverflow
	}
	e.Int += delta
	e.Seq = nextSeq(e.Seq, seq)
	return n, nil
}

// IncrByFloat adds delta to the counter on behalf of actor, as IncrBy does.
// The result must be finite (ErrNaNOrInf). Any number can be incremented by a
// float; ErrNotFloat only arises from FromValue (see ErrNotNumber).
func (s State) IncrByFloat(actor version.Actor, seq uint64, delta float64) (State, error) {
	if math.IsNaN(delta) || math.IsInf(delta, 0) {
		return State{}, ErrNaNOrInf
	}
	n, e := s.entry(actor)
	e.Float += delta
	e.HasFloat = true
	e.Seq = nextSeq(e.Seq, seq)
	if math.IsInf(e.Float, 0) || math.IsNaN(e.Float) {
		return State{}, ErrNaNOrInf
	}
	if v := n.eval(); !v.isInt && (math.IsInf(v.f, 0) || math.IsNaN(v.f)) {
		return State{}, ErrNaNOrInf
	}
	return n, nil
}

// compareBase totally orders counter bases: by BaseTime, then BaseDot (actor,
// then counter), then the base value itself (which only differs for equal
// dots in corrupt input, but keeps Merge commutative even then).
func compareBase(a, b State) int {
	if c := cmp.Compare(a.BaseTime, b.BaseTime); c != 0 {
		return c
	}
	if c := a.BaseDot.Compare(b.BaseDot); c != 0 {
		return c
	}
	if a.BaseIsFloat != b.BaseIsFloat {
		if a.BaseIsFloat {
			return 1
		}
		return -1
	}
	if c := cmp.Compare(a.BaseInt, b.BaseInt); c != 0 {
		return c
	}
	return cmp.Compare(math.Float64bits(a.BaseFloat), math.Float64bits(b.BaseFloat))
}

// compareEntry orders two versions of one actor's entry: by Seq, then (for
// equal Seq, which a correct actor never produces twice) by content.
func compareEntry(a, b Entry) int {
	if c := cmp.Compare(a.Seq, b.Seq); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Int, b.Int); c != 0 {
		return c
	}
	if a.HasFloat != b.HasFloat {
		if a.HasFloat {
			return 1
		}
		return -1
	}
	return cmp.Compare(math.Float64bits(a.Float), math.Float64bits(b.Float))
}

// Merge combines two replicas' states of one counter. With the same base,
// each actor's entry with the higher Seq is kept. With different bases, the
// state whose base is newer (BaseTime, then BaseDot) wins whole: a counter
// started from a newer SET replaces one started from an older value. Merge is
// commutative, associative and idempotent; the result has its own Entries.
func Merge(a, b State) State {
	switch c := compareBase(a, b); {
	case c > 0:
		a.Entries = slices.Clone(a.Entries)
		return a
	case c < 0:
		b.Entries = slices.Clone(b.Entries)
		return b
	}
	es := make([]Entry, 0, len(a.Entries)+len(b.Entries))
	i, j := 0, 0
	for i < len(a.Entries) && j < len(b.Entries) {
		x, y := a.Entries[i], b.Entries[j]
		switch x.Actor.Compare(y.Actor) {
		case -1:
			es = append(es, x)
			i++
		case 1:
			es = append(es, y)
			j++
		default:
			if compareEntry(x, y) >= 0 {
				es = append(es, x)
			} else {
				es = append(es, y)
			}
			i++
			j++
		}
	}
	es = append(es, a.Entries[i:]...)
	es = append(es, b.Entries[j:]...)
	if len(es) == 0 {
		es = nil
	}
	a.Entries = es
	return a
}

// Equal reports whether s and t are the same state, field for field (floats
// compared by bits).
func (s State) Equal(t State) bool {
	return compareBase(s, t) == 0 && slices.EqualFunc(s.Entries, t.Entries, func(x, y Entry) bool {
		return x.Actor == y.Actor && compareEntry(x, y) == 0
	})
}
