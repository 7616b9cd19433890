package bitmap

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// words splits a command line into arguments at spaces; "\x00" in a table is
// a NUL byte inside an argument.
func words(s string) [][]byte {
	if s == "" {
		return nil
	}
	var out [][]byte
	for _, w := range strings.Split(s, " ") {
		out = append(out, []byte(w))
	}
	return out
}

func TestParseInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"-1", -1, true},
		{"123", 123, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"-0", 0, false},
		{"01", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1\x00", 0, false},
		{"1.0", 0, false},
	} {
		got, ok := parseInt([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestKeyword(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want bool
	}{
		{"bit", true},
		{"BiT", true},
		{"bit\x00anything", true}, // strcasecmp stops at NUL
		{"bits", false},
		{"bi", false},
		{"\x00bit", false},
		{"bıt", false}, // no Unicode folding
	} {
		if got := keyword([]byte(tc.arg), "bit"); got != tc.want {
			t.Errorf("keyword(%q, bit) = %v, want %v", tc.arg, got, tc.want)
		}
	}
}

func TestParseSetBit(t *testing.T) {
	const maxBytes = 4
	for _, tc := range []struct {
		args   string
		offset int64
		bit    int
		err    error
	}{
		{"0 1", 0, 1, nil},
		{"31 0", 31, 0, nil},
		{"32 1", 0, 0, ErrBitOffset}, // byte 4 is past maxBytes
		{"-1 1", 0, 0, ErrBitOffset},
		{"x 2", 0, 0, ErrBitOffset}, // the offset is checked first
		{"#1 1", 0, 0, ErrBitOffset},
		{"1 2", 0, 0, ErrBitValue},
		{"1 -1", 0, 0, ErrBitValue},
		{"1 01", 0, 0, ErrBitValue},
		{"1 x", 0, 0, ErrBitValue},
		{"1", 0, 0, ErrSyntax},
	} {
		off, bit, err := ParseSetBit(words(tc.args), maxBytes)
		if off != tc.offset || bit != tc.bit || err != tc.err {
			t.Errorf("ParseSetBit(%s) = %d, %d, %v; want %d, %d, %v", tc.args, off, bit, err, tc.offset, tc.bit, tc.err)
		}
	}
	if _, err := ParseGetBit(words("32"), maxBytes); err != ErrBitOffset {
		t.Errorf("ParseGetBit(32) with 4 bytes: %v, want %v", err, ErrBitOffset)
	}
}

func TestSetBit(t *testing.T) {
	v, old := SetBit(nil, 10, 0)
	if !bytes.Equal(v, []byte{0, 0}) || old != 0 {
		t.Fatalf("SetBit(nil, 10, 0) = %x, %d; want 0000, 0 (the key is created)", v, old)
	}
	in := []byte{0x0f}
	v, old = SetBit(in, 4, 1)
	if !bytes.Equal(v, []byte{0x0f}) || old != 1 {
		t.Errorf("SetBit(0f, 4, 1) = %x, %d; want 0f, 1", v, old)
	}
	v, old = SetBit(in, 0, 1)
	if !bytes.Equal(v, []byte{0x8f}) || old != 0 || in[0] != 0x0f {
		t.Errorf("SetBit(0f, 0, 1) = %x, %d (input now %x); want 8f, 0, input untouched", v, old, in)
	}
	v, _ = SetBit(in, 17, 1)
	if !bytes.Equal(v, []byte{0x0f, 0, 0x40}) {
		t.Errorf("SetBit(0f, 17, 1) = %x, want 0f0040", v)
	}
	for off, want := range []int{0, 0, 0, 0, 1, 1, 1, 1, 0, 0} {
		if got := GetBit([]byte{0x0f}, int64(off)); got != want {
			t.Errorf("GetBit(0f, %d) = %d, want %d", off, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	foobar := []byte("foobar")
	for _, tc := range []struct {
		args string
		v    []byte
		want int64
		err  error
	}{
		{"", foobar, 26, nil},
		{"0 0", foobar, 4, nil},
		{"1 1", foobar, 6, nil},
		{"1 1 BYTE", foobar, 6, nil},
		{"5 30 BIT", foobar, 17, nil},
		{"5 30 bit\x00x", foobar, 17, nil},
		{"0 -1 bit", foobar, 26, nil},
		{"-1 -1", foobar, 4, nil},     // "r"
		{"-100 2", foobar, 16, nil},   // start clamps to 0
		{"0 -100", foobar, 4, nil},    // end clamps to 0
		{"3 1", foobar, 0, nil},       // empty range
		{"6 10", foobar, 0, nil},      // past the end
		{"-1 -2", foobar, 0, nil},     // Redis's shortcut...
		{"-1 -2 foo", foobar, 0, nil}, // ...taken before the unit is read
		{"-2 -1 foo", foobar, 0, ErrSyntax},
		{"9 15 bit", []byte{0xff, 0x00, 0xf0}, 0, nil},
		{"9 17 bit", []byte{0xff, 0x00, 0xf0}, 2, nil},
		{"0 0", nil, 0, nil},
		{"", []byte{}, 0, nil},
		{"1", foobar, 0, ErrSyntax},
		{"1 2 3 4", foobar, 0, ErrSyntax},
		{"a b", foobar, 0, ErrNotInteger},
		{"1 b foo", foobar, 0, ErrNotInteger},
		{"1 2 foo", foobar, 0, ErrSyntax},
	} {
		got, err := Count(tc.v, true, ParseBitCount(words(tc.args)))
		if got != tc.want || err != tc.err {
			t.Errorf("BITCOUNT %q %s = %d, %v; want %d, %v", tc.v, tc.args, got, err, tc.want, tc.err)
		}
	}
	// A missing key answers 0 before any argument is read.
	for _, args := range []string{"1", "a b", "1 2 foo", ""} {
		if got, err := Count(nil, false, ParseBitCount(words(args))); got != 0 || err != nil {
			t.Errorf("BITCOUNT missing %s = %d, %v; want 0", args, got, err)
		}
	}
}

func TestPos(t *testing.T) {
	for _, tc := range []struct {
		v    string
		args string
		want int64
		err  error
	}{
		{"\xff\xf0\x00", "0", 12, nil},
		{"\x00\xff\xf0", "1 0", 8, nil},
		{"\x00\xff\xf0", "1 2", 16, nil},
		{"\x00\xff\xf0", "1 2 -1 BYTE", 16, nil},
		{"\x00\xff\xf0", "1 7 15 BIT", 8, nil},
		{"\x00\xff\xf0", "1 7 -3 bit", 8, nil},
		{"\x00\x00\x00", "1", -1, nil},
		{"\x00\x00\x00", "1 1 1 bit", -1, nil},
		// A clear bit past the end is found only without an explicit end.
		{"\xff\xff\xff", "0", 24, nil},
		{"\xff\xff\xff", "0 1", 24, nil},
		{"\xff\xff\xff", "0 -100", 24, nil},
		{"\xff\xff\xff", "0 1 2", -1, nil},
		{"\xff\xff\xff", "0 0 -1", -1, nil},
		{"\xff\xff\xff", "0 1 100", -1, nil},
		{"\xff\xff\xff", "0 3 -1 bit", -1, nil},
		{"\xff\xff\xff", "0 100", -1, nil}, // an empty range finds nothing
		{"\xff\x00\xf0", "0 0 7", 8, nil},
		{"\xff\x00\xf0", "0 3", -1, nil},
		{"\xff\x00\xf0", "1 8 15 bit", -1, nil},
		{"\xff\x00\xf0", "0 20 23 bit", 20, nil},
		{"\xff\x00\xf0", "1 -4 -1 bit", -1, nil},
		{"", "0", -1, nil}, // an empty string is no endless run of clear bits
		{"", "1", -1, nil},
		{"", "0 0", -1, nil},
		{"\xff", "0 x", 0, ErrNotInteger},
		{"\xff", "0 0 x", 0, ErrNotInteger},
		{"\xff", "0 0 bit", 0, ErrNotInteger}, // a unit needs an end
		{"\xff", "0 0 x foo", 0, ErrSyntax},   // the unit is read before the end
		{"\xff", "0 x 1 foo", 0, ErrNotInteger},
		{"\xff", "0 0 1 bit 3", 0, ErrSyntax},
	} {
		a, err := ParseBitPos(words(tc.args))
		if err != nil {
			t.Fatalf("ParseBitPos(%s): %v", tc.args, err)
		}
		got, err := Pos([]byte(tc.v), true, a)
		if got != tc.want || err != tc.err {
			t.Errorf("BITPOS %q %s = %d, %v; want %d, %v", tc.v, tc.args, got, err, tc.want, tc.err)
		}
	}
	// A missing key: the bit is checked first, the range never.
	for _, tc := range []struct {
		args string
		want int64
		err  error
	}{
		{"0", 0, nil},
		{"1", -1, nil},
		{"0 x y z w", 0, nil},
		{"1 0 1 foo", -1, nil},
		{"2", 0, ErrBitArg},
		{"-1", 0, ErrBitArg},
		{"x", 0, ErrNotInteger},
	} {
		a, err := ParseBitPos(words(tc.args))
		var got int64
		if err == nil {
			got, err = Pos(nil, false, a)
		}
		if got != tc.want || err != tc.err {
			t.Errorf("BITPOS missing %s = %d, %v; want %d, %v", tc.args, got, err, tc.want, tc.err)
		}
	}
}

// TestScansAgainstNaive checks countOnes and findBit, which work a byte or a
// word at a time, against a bit-by-bit loop.
func TestScansAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		v := make([]byte, 1+r.IntN(40))
		fill := byte(r.IntN(2)) * 0xff // long runs reach the word skipping
		for i := range v {
			v[i] = fill
			if r.IntN(20) == 0 {
				v[i] = byte(r.Uint32())
			}
		}
		n := int64(len(v)) * 8
		lo := r.Int64N(n)
		hi := lo + r.Int64N(n-lo)
		ones, first := [2]int64{-1, -1}, int64(0)
		for p := lo; p <= hi; p++ {
			b := GetBit(v, p)
			first += int64(b)
			if ones[b] < 0 {
				ones[b] = p
			}
		}
		if got := countOnes(v, lo, hi); got != first {
			t.Fatalf("countOnes(%x, %d, %d) = %d, want %d", v, lo, hi, got, first)
		}
		for bit := range 2 {
			if got := findBit(v, lo, hi, bit); got != ones[bit] {
				t.Fatalf("findBit(%x, %d, %d, %d) = %d, want %d", v, lo, hi, bit, got, ones[bit])
			}
		}
	}
}

func TestParseBitOp(t *testing.T) {
	for _, tc := range []struct {
		op   string
		n    int
		want BitOp
		err  error
	}{
		{"and", 3, And, nil},
		{"OR", 1, Or, nil},
		{"xOr", 2, Xor, nil},
		{"not", 1, Not, nil},
		{"and\x00x", 2, And, nil},
		{"not", 2, 0, ErrNotSingleSource},
		{"nand", 2, 0, ErrSyntax},
		{"", 1, 0, ErrSyntax},
	} {
		got, err := ParseBitOp([]byte(tc.op), tc.n)
		if got != tc.want || err != tc.err {
			t.Errorf("ParseBitOp(%q, %d) = %v, %v; want %v, %v", tc.op, tc.n, got, err, tc.want, tc.err)
		}
	}
}

func TestOp(t *testing.T) {
	a, b, c := []byte{0xff, 0x0f, 0xaa}, []byte{0xf0}, []byte(nil)
	for _, tc := range []struct {
		op      BitOp
		sources [][]byte
		want    []byte
	}{
		{And, [][]byte{a, b}, []byte{0xf0, 0, 0}}, // b reads as f0 00 00
		{Or, [][]byte{b, a}, []byte{0xff, 0x0f, 0xaa}},
		{Xor, [][]byte{a, b, a}, []byte{0xf0, 0, 0}},
		{Not, [][]byte{b}, []byte{0x0f}},
		{And, [][]byte{a, c}, []byte{0, 0, 0}}, // a missing key is empty
		{Or, [][]byte{c, c}, []byte{}},         // empty: the destination is deleted
		{Not, [][]byte{c}, []byte{}},
	} {
		got := Op(tc.op, tc.sources)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("Op(%v, %x) = %x, want %x", tc.op, tc.sources, got, tc.want)
		}
	}
	if !bytes.Equal(a, []byte{0xff, 0x0f, 0xaa}) {
		t.Errorf("Op modified a source: %x", a)
	}
}

// bitFieldCases are BITFIELD argument lists parsed with at most 8 bytes:
// the table of TestParseBitField and the seeds of FuzzParseBitField.
var bitFieldCases = []struct {
	args     string
	readOnly bool
	ops      int
	writes   bool
	err      error
}{
	{"", false, 0, false, nil},
	{"OVERFLOW SAT", false, 0, false, nil},
	{"GET u8 0 get i8 #7", true, 2, false, nil},
	{"GET u8\x00x 0", true, 1, false, nil}, // the width is read as a C string
	{"get\x00x u8 0", true, 1, false, nil},
	{"SET u8 0 1 INCRBY i5 #2 -3 GET u1 63", false, 3, true, nil},
	{"GET u8 #8", false, 0, false, ErrBitOffset}, // bit 64: byte 8
	{"GET u8 64", false, 0, false, ErrBitOffset},
	{"GET u8 #-1", false, 0, false, ErrBitOffset},
	{"GET u8 #", false, 0, false, ErrBitOffset},
	{"GET u8 ##1", false, 0, false, ErrBitOffset},
	{"GET u8 #+1", false, 0, false, ErrBitOffset},
	{"GET i8 #9223372036854775807", false, 0, false, ErrBitOffset}, // wraps negative
	{"GET u64 0", false, 0, false, ErrFieldType},
	{"GET i65 0", false, 0, false, ErrFieldType},
	{"GET i0 0", false, 0, false, ErrFieldType},
	{"GET I8 0", false, 0, false, ErrFieldType},
	{"GET u08 0", false, 0, false, ErrFieldType},
	{"GET u 0", false, 0, false, ErrFieldType},
	{"GET u64 x", false, 0, false, ErrFieldType}, // the type is read before the offset
	{"SET u8 x y", false, 0, false, ErrBitOffset},
	{"SET u8 0 y", false, 0, false, ErrNotInteger},
	{"INCRBY u8 0 1.5", false, 0, false, ErrNotInteger},
	{"OVERFLOW foo GET u8 0", false, 0, false, ErrOverflowType},
	{"OVERFLOW", false, 0, false, ErrSyntax},
	{"GET u8", false, 0, false, ErrSyntax},
	{"SET u8 0", false, 0, false, ErrSyntax},
	{"GET u8 0 foo", false, 0, false, ErrSyntax},
	{"GET u64 0 foo", false, 0, false, ErrFieldType}, // left to right
	{"SET u8 0 1", true, 0, false, ErrReadOnlyField},
	{"GET u8 0 INCRBY u8 0 x", true, 0, false, ErrNotInteger}, // parsed before the read-only check
}

func TestParseBitField(t *testing.T) {
	for _, tc := range bitFieldCases {
		f, err := ParseBitField(words(tc.args), tc.readOnly, 8)
		if len(f.ops) != tc.ops || f.Writes() != tc.writes || err != tc.err {
			t.Errorf("ParseBitField(%q, ro %v) = %d ops, writes %v, %v; want %d, %v, %v",
				tc.args, tc.readOnly, len(f.ops), f.Writes(), err, tc.ops, tc.writes, tc.err)
		}
	}
}

func TestHashOffsetWraps(t *testing.T) {
	// 4611686018427387905*64 = 2^68+64 wraps to 64, as in Redis.
	f, err := ParseBitField(words("SET i64 #4611686018427387905 1"), false, DefaultMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := f.Run(nil)
	if len(v) != 16 || v[15] != 1 {
		t.Errorf("SET i64 #4611686018427387905 1 = %x, want 16 bytes ending in 01", v)
	}
}

// runField parses and runs one BITFIELD command line on v and renders the
// replies.
func runField(t *testing.T, v []byte, args string) ([]byte, string) {
	t.Helper()
	f, err := ParseBitField(words(args), false, DefaultMaxBytes)
	if err != nil {
		t.Fatalf("ParseBitField(%s): %v", args, err)
	}
	v, results := f.Run(v)
	var out []string
	for _, r := range results {
		if r == nil {
			out = append(out, "nil")
		} else {
			out = append(out, strconv.FormatInt(*r, 10))
		}
	}
	return v, strings.Join(out, " ")
}

func TestRunField(t *testing.T) {
	for _, tc := range []struct {
		v, args   string
		want, out string
	}{
		{"", "GET u8 0 GET i8 100", "0 0", ""}, // reads only: a missing key stays missing
		{"\xff", "GET u4 4 GET i4 4 GET i1 0 GET u1 0 GET u63 0", "15 -1 -1 1 9187343239835811840", "\xff"},
		{"", "SET u8 #1 200", "0", "\x00\xc8"},
		{"\x00\xc8", "INCRBY u8 8 100", "44", "\x00\x2c"}, // wraps
		{"\x00\xc8", "OVERFLOW SAT INCRBY u8 8 100 INCRBY i8 0 -200", "255 -128", "\x80\xff"},
		{"\x00\xc8", "OVERFLOW FAIL INCRBY u8 8 100 GET u8 8", "nil 200", "\x00\xc8"},
		{"", "OVERFLOW FAIL SET u2 16 5", "nil", "\x00\x00\x00"}, // FAIL still creates and pads
		{"", "SET u8 0 -1 OVERFLOW SAT SET u8 8 -1 OVERFLOW FAIL SET u8 16 -1", "0 0 nil", "\xff\xff\x00"},
		{"", "OVERFLOW SAT SET i8 0 -9223372036854775808 SET i8 8 -9223372036854775681", "0 0", "\x7f\x7f"},
		{"", "OVERFLOW SAT SET i8 0 -9223372036854775680 SET i8 8 -4611686018427387904", "0 0", "\x80\x80"},
		{"", "OVERFLOW SAT SET i64 0 -9223372036854775808", "0", "\x80\x00\x00\x00\x00\x00\x00\x00"},
		{"", "SET i5 3 -1 GET u3 3 GET u2 6", "0 7 3", "\x1f"},
		{"", "INCRBY i64 0 9223372036854775807 INCRBY i64 0 1", "9223372036854775807 -9223372036854775808", "\x80\x00\x00\x00\x00\x00\x00\x00"},
	} {
		v, out := runField(t, []byte(tc.v), tc.args)
		if out != tc.want || string(v) != tc.out {
			t.Errorf("BITFIELD %q %s = %s, value %q; want %s, %q", tc.v, tc.args, out, v, tc.want, tc.out)
		}
	}
}

// TestFieldOverflow checks INCRBY and SET at every width and policy against
// exact arithmetic: in range the sum, else WRAP the sum modulo 2^width,
// SAT the nearest bound, FAIL a null and no write.
func TestFieldOverflow(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, signed := range []bool{true, false} {
		for width := uint(1); width <= 64; width++ {
			if !signed && width == 64 {
				continue
			}
			typ := fieldType{signed: signed, width: width}
			lo, hi := bounds(typ)
			for _, old := range edgeValues(typ, r) {
				for _, incr := range []int64{0, 1, -1, 2, -2, hi, lo, math.MaxInt64, math.MinInt64, r.Int64() >> r.IntN(64), -(r.Int64() >> r.IntN(64))} {
					checkIncr(t, typ, old, incr)
				}
			}
		}
	}
}

func bounds(t fieldType) (lo, hi int64) {
	if t.signed {
		hi = int64(uint64(1)<<(t.width-1) - 1)
		return -hi - 1, hi
	}
	return 0, int64(uint64(1)<<t.width - 1)
}

// edgeValues are values a field of type t holds: its bounds, around them
// and zero, and one at random.
func edgeValues(t fieldType, r *rand.Rand) []int64 {
	lo, hi := bounds(t)
	random := int64(r.Uint64() & uint64(hi))
	if t.signed {
		random = signExtend(r.Uint64(), t.width)
	}
	vals := []int64{lo, hi, 0, random}
	if hi > lo+1 {
		vals = append(vals, lo+1, hi-1)
	}
	return vals
}

// checkIncr runs INCRBY by incr on a field holding old under each policy.
func checkIncr(t *testing.T, typ fieldType, old, incr int64) {
	t.Helper()
	lo, hi := bounds(typ)
	sum := new(big.Int).Add(big.NewInt(old), big.NewInt(incr))
	modulus := new(big.Int).Lsh(big.NewInt(1), typ.width)
	wrapped := new(big.Int).Mod(sum, modulus)
	if typ.signed && wrapped.Cmp(big.NewInt(hi)) > 0 {
		wrapped.Sub(wrapped, modulus)
	}
	inRange := sum.Cmp(big.NewInt(lo)) >= 0 && sum.Cmp(big.NewInt(hi)) <= 0
	sat := sum
	if sum.Cmp(big.NewInt(hi)) > 0 {
		sat = big.NewInt(hi)
	} else if sum.Cmp(big.NewInt(lo)) < 0 {
		sat = big.NewInt(lo)
	}
	for _, p := range []Overflow{Wrap, Sat, Fail} {
		v := make([]byte, 9)
		typ.set(v, 3, old)
		op := fieldOp{kind: fieldIncr, typ: typ, offset: 3, arg: incr, overflow: p}
		got := op.run(v)
		stored := typ.get(v, 3)
		var want *big.Int
		switch {
		case inRange:
			want = sum
		case p == Wrap:
			want = wrapped
		case p == Sat:
			want = sat
		}
		if want == nil {
			if got != nil || stored != old {
				t.Fatalf("%v INCRBY %d on %d, FAIL: got %v, stored %d; want nil, %d unchanged", typ, incr, old, fmtPtr(got), stored, old)
			}
			continue
		}
		if got == nil || *got != want.Int64() || stored != want.Int64() {
			t.Fatalf("%v INCRBY %d on %d, policy %d: got %s, stored %d; want %d", typ, incr, old, p, fmtPtr(got), stored, want)
		}
	}
}

func fmtPtr(p *int64) string {
	if p == nil {
		return "nil"
	}
	return strconv.FormatInt(*p, 10)
}

func TestLCS(t *testing.T) {
	a, b := []byte("ohmytext"), []byte("mynewtext")
	for _, tc := range []struct {
		args string
		want string
	}{
		{"", `string "mytext"`},
		{"LEN", "len 6"},
		{"len withmatchlen minmatchlen 3", "len 6"},
		{"IDX", "idx 6 [4 7][5 8]/0 [2 3][0 1]/0"},
		{"IDX MINMATCHLEN 4", "idx 6 [4 7][5 8]/0"},
		{"IDX MINMATCHLEN -5 WITHMATCHLEN", "idx 6 [4 7][5 8]/4 [2 3][0 1]/2"},
		{"idx\x00 withmatchlen", "idx 6 [4 7][5 8]/4 [2 3][0 1]/2"},
		{"LEN IDX", "error " + string(ErrLCSLenAndIdx)},
		{"MINMATCHLEN", "error " + string(ErrSyntax)},
		{"MINMATCHLEN x", "error " + string(ErrNotInteger)},
		{"foo LEN IDX", "error " + string(ErrSyntax)},
	} {
		r, err := LCS(a, b, ParseLCS(words(tc.args)), DefaultMaxBytes)
		if got := showLCS(r, err); got != tc.want {
			t.Errorf("LCS %s = %s, want %s", tc.args, got, tc.want)
		}
	}
	if r, err := LCS(nil, b, ParseLCS(words("IDX")), DefaultMaxBytes); showLCS(r, err) != "idx 0" {
		t.Errorf("LCS of a missing key IDX = %s, want idx 0", showLCS(r, err))
	}
	// The table: 10*10 cells of 4 bytes.
	ten := []byte("0123456789")
	if _, err := LCS(ten[:9], ten[:9], LCSArgs{}, 400); err != nil {
		t.Errorf("LCS with a 400-byte table in 400: %v", err)
	}
	if _, err := LCS(ten, ten[:9], LCSArgs{}, 439); err != ErrLCSMemory {
		t.Errorf("LCS with a 440-byte table in 439: %v, want %v", err, ErrLCSMemory)
	}
}

func showLCS(r LCSResult, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	switch r.Form {
	case LCSString:
		return fmt.Sprintf("string %q", r.String)
	case LCSLength:
		return fmt.Sprintf("len %d", r.Len)
	}
	s := fmt.Sprintf("idx %d", r.Len)
	for _, m := range r.Matches {
		l := int64(0)
		if r.WithMatchLen {
			l = m.Len
		}
		s += fmt.Sprintf(" %v%v/%d", m.A, m.B, l)
	}
	return s
}

// TestLCSAgainstNaive checks the subsequence's length and that it is one,
// and that the IDX ranges are runs of it, on random strings.
func TestLCSAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		a, b := randomText(r), randomText(r)
		res, err := LCS(a, b, LCSArgs{}, DefaultMaxBytes)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveLCSLen(a, b); len(res.String) != want || !isSubsequence(res.String, a) || !isSubsequence(res.String, b) {
			t.Fatalf("LCS(%q, %q) = %q, want a common subsequence of length %d", a, b, res.String, want)
		}
		idx, _ := LCS(a, b, ParseLCS(words("IDX")), DefaultMaxBytes)
		var joined []byte
		for _, m := range idx.Matches {
			run := a[m.A[0] : m.A[1]+1]
			if !bytes.Equal(run, b[m.B[0]:m.B[1]+1]) || m.Len != int64(len(run)) {
				t.Fatalf("LCS(%q, %q) IDX match %+v is no common run", a, b, m)
			}
			joined = append(append([]byte{}, run...), joined...)
		}
		if !bytes.Equal(joined, res.String) {
			t.Fatalf("LCS(%q, %q): IDX runs spell %q, not %q", a, b, joined, res.String)
		}
	}
}

func randomText(r *rand.Rand) []byte {
	b := make([]byte, r.IntN(16))
	for i := range b {
		b[i] = "abc"[r.IntN(3)]
	}
	return b
}

// naiveLCSLen is the subsequence's length by plain recursion with memo.
func naiveLCSLen(a, b []byte) int {
	memo := map[[2]int]int{}
	var f func(i, j int) int
	f = func(i, j int) int {
		if i == len(a) || j == len(b) {
			return 0
		}
		if v, ok := memo[[2]int{i, j}]; ok {
			return v
		}
		v := max(f(i+1, j), f(i, j+1))
		if a[i] == b[j] {
			v = max(v, 1+f(i+1, j+1))
		}
		memo[[2]int{i, j}] = v
		return v
	}
	return f(0, 0)
}

func isSubsequence(s, of []byte) bool {
	for _, c := range of {
		if len(s) > 0 && s[0] == c {
			s = s[1:]
		}
	}
	return len(s) == 0
}

// FuzzParseBitField parses any argument list and, when the writes stay
// small, runs it: neither may panic, and every subcommand has a reply.
func FuzzParseBitField(f *testing.F) {
	for _, tc := range bitFieldCases {
		f.Add([]byte(tc.args), tc.readOnly, int64(8))
	}
	f.Add([]byte("SET i64 #4611686018427387905 1 OVERFLOW FAIL INCRBY u63 0 -1"), false, int64(DefaultMaxBytes))
	f.Fuzz(func(t *testing.T, line []byte, readOnly bool, maxBytes int64) {
		args := bytes.Split(line, []byte(" "))
		ops, err := ParseBitField(args, readOnly, maxBytes)
		if err != nil {
			if _, ok := err.(Error); !ok {
				t.Fatalf("error %v is not an Error", err)
			}
			return
		}
		if readOnly && ops.Writes() {
			t.Fatal("BITFIELD_RO parsed a write")
		}
		if ops.size > 1<<16 {
			return
		}
		v, results := ops.Run([]byte("some value"))
		if len(results) != len(ops.ops) || (ops.Writes() && int64(len(v)) < ops.size) {
			t.Fatalf("%d results for %d ops; value %d bytes for %d", len(results), len(ops.ops), len(v), ops.size)
		}
	})
}

// FuzzRange runs BITCOUNT and BITPOS with any range over any value and
// checks them against a bit-by-bit reading of Redis's rules.
func FuzzRange(f *testing.F) {
	f.Add([]byte("foobar"), uint8(1), int64(5), int64(30), uint8(3))
	f.Add([]byte("\xff\xff"), uint8(0), int64(-1), int64(-2), uint8(1))
	f.Add([]byte{}, uint8(0), int64(math.MinInt64), int64(math.MaxInt64), uint8(2))
	f.Fuzz(func(t *testing.T, v []byte, bit uint8, start, end int64, form uint8) {
		bit &= 1
		// form: 0 no range, 1 start only, 2 start end, 3 start end BIT, 4 start end BYTE
		rangeArgs := [][][]byte{
			nil,
			{itoa(start)},
			{itoa(start), itoa(end)},
			{itoa(start), itoa(end), []byte("bit")},
			{itoa(start), itoa(end), []byte("byte")},
		}[form%5]
		n, err := Count(v, true, ParseBitCount(rangeArgs))
		wantN, wantErr := naiveCount(v, form%5, start, end)
		if n != wantN || err != wantErr {
			t.Fatalf("BITCOUNT %x %q = %d, %v; want %d, %v", v, rangeArgs, n, err, wantN, wantErr)
		}
		a, err := ParseBitPos(append([][]byte{itoa(int64(bit))}, rangeArgs...))
		if err != nil {
			t.Fatal(err)
		}
		p, err := Pos(v, true, a)
		wantP := naivePos(v, int(bit), form%5, start, end)
		if p != wantP || err != nil {
			t.Fatalf("BITPOS %x %d %q = %d, %v; want %d", v, bit, rangeArgs, p, err, wantP)
		}
	})
}

func itoa(n int64) []byte { return strconv.AppendInt(nil, n, 10) }

// naiveRange is Redis's range resolution written out: the bits [lo, hi] to
// look at, or ok false. units is 8 for BIT and 1 for BYTE.
func naiveRange(v []byte, start, end, units int64) (lo, hi int64, ok bool) {
	total := int64(len(v)) * units
	if start < 0 {
		start = total + start
	}
	if end < 0 {
		end = total + end
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= total {
		end = total - 1
	}
	if start > end {
		return 0, 0, false
	}
	if units == 8 {
		return start, end, true
	}
	return start * 8, end*8 + 7, true
}

func naiveCount(v []byte, form uint8, start, end int64) (int64, error) {
	lo, hi, ok := int64(0), int64(len(v))*8-1, len(v) > 0
	switch form {
	case 1:
		return 0, ErrSyntax
	case 2, 3, 4:
		if start < 0 && end < 0 && start > end {
			return 0, nil
		}
		lo, hi, ok = naiveRange(v, start, end, map[bool]int64{true: 8, false: 1}[form == 3])
	}
	var n int64
	for p := lo; ok && p <= hi; p++ {
		n += int64(GetBit(v, p))
	}
	return n, nil
}

func naivePos(v []byte, bit int, form uint8, start, end int64) int64 {
	lo, hi, ok := int64(0), int64(len(v))*8-1, len(v) > 0
	switch form {
	case 1:
		lo, hi, ok = naiveRange(v, start, -1, 1)
	case 2, 3, 4:
		lo, hi, ok = naiveRange(v, start, end, map[bool]int64{true: 8, false: 1}[form == 3])
	}
	if !ok {
		return -1
	}
	for p := lo; p <= hi; p++ {
		if GetBit(v, p) == bit {
			return p
		}
	}
	if bit == 0 && form < 2 {
		return int64(len(v)) * 8
	}
	return -1
}
