package hll

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// elements returns n pseudo-random elements of 0..23 bytes, the same for
// the same seed: every tail length of MurmurHash64A's last block occurs,
// and so do a few duplicates (the short ones).
func elements(seed uint64, n int) [][]byte {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	out := make([][]byte, n)
	for i := range out {
		e := make([]byte, rng.IntN(24))
		for j := range e {
			e[j] = byte(rng.Uint32())
		}
		out[i] = e
	}
	return out
}

// randomSketch fills registers the way adds would, mostly: a fraction fill
// of registers gets a geometric pattern, capped at maxValue.
func randomSketch(rng *rand.Rand, fill float64, maxValue uint8) *Sketch {
	s := new(Sketch)
	for i := range s.Reg {
		if rng.Float64() < fill {
			v := uint8(1)
			for v < maxValue && rng.IntN(2) == 0 {
				v++
			}
			s.Reg[i] = v
		}
	}
	return s
}

func TestPosition(t *testing.T) {
	for _, c := range []struct {
		hash    uint64
		index   int
		pattern uint8
	}{
		{0, 0, 51},                 // all 50 pattern bits zero: the sentinel stops at 51
		{1 << 14, 0, 1},            // a 1 right away
		{0x3fff | 1<<20, 16383, 7}, // six zeros, then a 1
		{1 << 63, 0, 50},           // the highest hash bit is the 50th pattern bit
		{0xffff_ffff_ffff_ffff, 16383, 1},
	} {
		index, pattern := position(c.hash)
		if index != c.index || pattern != c.pattern {
			t.Errorf("position(%#x) = %d, %d; want %d, %d", c.hash, index, pattern, c.index, c.pattern)
		}
	}
}

// TestRegistersRedisSets pins, for a few elements, the register and the
// value redis-server 7.0.15 sets (PFADD of the one element, then PFDEBUG
// GETREG), so that the hash is checked even where redis-server is not
// installed. The elements cover every path of MurmurHash64A: no block, a
// tail alone, one block alone, blocks and tails of 1 and 7 bytes.
func TestRegistersRedisSets(t *testing.T) {
	for _, c := range []struct {
		element string
		index   int
		value   uint8
	}{
		{"", 5938, 2},
		{"a", 12711, 2},
		{"hello", 9216, 1},
		{"dynago", 11896, 1},
		{"01234567", 594, 2},
		{"012345678", 7667, 3},
		{"0123456789abcdefghijklm", 3296, 8},
	} {
		var s Sketch
		s.Add([]byte(c.element))
		var want Sketch
		want.Reg[c.index] = c.value
		if s != want {
			index, value := position(murmurHash64A([]byte(c.element), hashSeed))
			t.Errorf("%q sets register %d to %d; Redis sets %d to %d", c.element, index, value, c.index, c.value)
		}
	}
}

func TestAddCount(t *testing.T) {
	var s Sketch
	if !s.Empty() || s.Count() != 0 {
		t.Fatalf("new sketch: Empty %v, Count %d", s.Empty(), s.Count())
	}
	if !s.Add([]byte("x")) {
		t.Fatal("first Add did not change the sketch")
	}
	if s.Add([]byte("x")) {
		t.Fatal("adding an element again changed the sketch")
	}
	if s.Empty() || s.Count() != 1 {
		t.Fatalf("one element: Empty %v, Count %d", s.Empty(), s.Count())
	}
	for _, n := range []int{10, 100, 1000, 10000, 30000} {
		var s Sketch
		distinct := map[string]bool{}
		for _, e := range elements(7, n) {
			s.Add(e)
			distinct[string(e)] = true
		}
		want := len(distinct)
		// Redis's standard error is 1.04/sqrt(16384) = 0.81%; allow 4
		// of them, and 1 for tiny sets.
		tolerance := max(1, 4*0.0081*float64(want))
		got := s.Count()
		if diff := float64(got) - float64(want); diff > tolerance || -diff > tolerance {
			t.Errorf("%d distinct elements: Count %d, off by more than %.0f", want, got, tolerance)
		}
	}
}

func TestMergeIsMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := randomSketch(rng, 0.3, 51), randomSketch(rng, 0.3, 51)
	merged := *a
	merged.Merge(b)
	for i := range merged.Reg {
		if want := max(a.Reg[i], b.Reg[i]); merged.Reg[i] != want {
			t.Fatalf("register %d: %d, want max(%d, %d)", i, merged.Reg[i], a.Reg[i], b.Reg[i])
		}
	}

	// A merge sketches the union: it equals one sketch of both sets.
	var x, y, union Sketch
	for _, e := range elements(1, 3000) {
		x.Add(e)
		union.Add(e)
	}
	for _, e := range elements(2, 5000) {
		y.Add(e)
		union.Add(e)
	}
	x.Merge(&y)
	if x != union {
		t.Error("merge of two sketches differs from the sketch of the union")
	}
}

// naivePack packs registers one bit at a time, straight from Redis's
// description of the dense form: bit b of register i is bit 6i+b of the
// stream, and bit k of the stream is bit k%8 of byte k/8.
func naivePack(reg *[Registers]uint8) []byte {
	out := make([]byte, Registers*6/8)
	for i, r := range reg {
		for b := range 6 {
			if r>>b&1 == 1 {
				k := 6*i + b
				out[k/8] |= 1 << (k % 8)
			}
		}
	}
	return out
}

func TestEncodeDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		s := randomSketch(rng, rng.Float64(), 63)
		b := s.Encode()
		if len(b) != denseLen {
			t.Fatalf("length %d, want %d", len(b), denseLen)
		}
		wantHeader := []byte{'H', 'Y', 'L', 'L', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}
		if !bytes.Equal(b[:headerLen], wantHeader) {
			t.Fatalf("header % x, want % x", b[:headerLen], wantHeader)
		}
		if !bytes.Equal(b[headerLen:], naivePack(&s.Reg)) {
			t.Fatal("packed registers differ from the bit-by-bit packing")
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if *got != *s {
			t.Fatal("Decode(Encode(s)) != s")
		}
	}
}

// TestEncodeSparseExample is the example of Redis's hyperloglog.c: three
// registers, 1000 = 2 and 1020 = 1021 = 3, are XZERO:1000 VAL:2,1 ZERO:19
// VAL:3,2 XZERO:15362.
func TestEncodeSparseExample(t *testing.T) {
	var s Sketch
	s.Reg[1000], s.Reg[1020], s.Reg[1021] = 2, 3, 3
	got, ok := s.EncodeSparse()
	if !ok {
		t.Fatal("EncodeSparse refused three small registers")
	}
	want := []byte{
		'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80,
		0x43, 0xe7, // XZERO 999+1
		0x84,       // VAL value 1+1, run 0+1
		0x12,       // ZERO 18+1
		0x89,       // VAL value 2+1, run 1+1
		0x7c, 0x01, // XZERO 15361+1
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("EncodeSparse\n got % x\nwant % x", got, want)
	}

	var empty Sketch
	got, _ = empty.EncodeSparse()
	if want := []byte{0x7f, 0xff}; !bytes.Equal(got[headerLen:], want) { // XZERO 16383+1
		t.Errorf("empty sketch: % x, want % x", got[headerLen:], want)
	}

	var long Sketch
	for i := 10; i < 19; i++ {
		long.Reg[i] = 5
	}
	got, _ = long.EncodeSparse()
	// ZERO:10, then nine 5s as VAL:5,4 VAL:5,4 VAL:5,1, then XZERO:16365.
	if want := []byte{0x09, 0x93, 0x93, 0x90, 0x7f, 0xec}; !bytes.Equal(got[headerLen:], want) {
		t.Errorf("run of nine: % x, want % x", got[headerLen:], want)
	}
}

func TestEncodeSparseRefuses(t *testing.T) {
	var s Sketch
	s.Reg[5] = 33
	if _, ok := s.EncodeSparse(); ok {
		t.Error("a register of 33 has no VAL opcode, yet EncodeSparse accepted it")
	}
	// Alternating values cost a VAL byte per register. With k of them, a
	// 16-byte header and a 2-byte XZERO for the rest, k = 2982 makes
	// exactly 3000 bytes, the most a sparse form may have.
	alternating := func(k int) *Sketch {
		var s Sketch
		for i := range k {
			s.Reg[i] = uint8(1 + i%2)
		}
		return &s
	}
	if b, ok := alternating(2982).EncodeSparse(); !ok || len(b) != 3000 {
		t.Errorf("2982 alternating registers: %d bytes, ok %v; want 3000, true", len(b), ok)
	}
	if _, ok := alternating(2983).EncodeSparse(); ok {
		t.Error("2983 alternating registers need 3001 bytes, yet EncodeSparse accepted them")
	}
}

func TestSparseRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 50 {
		s := randomSketch(rng, rng.Float64()*0.2, 32)
		b, ok := s.EncodeSparse()
		if !ok {
			continue
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("Decode(EncodeSparse): %v", err)
		}
		if *got != *s {
			t.Fatal("Decode(EncodeSparse(s)) != s")
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	var s Sketch
	s.Add([]byte("a"))
	dense := s.Encode()
	sparse, _ := s.EncodeSparse()
	header := func(enc byte) []byte {
		return []byte{'H', 'Y', 'L', 'L', enc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}
	}
	withBody := func(enc byte, body ...byte) []byte { return append(header(enc), body...) }

	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"garbage", []byte("hello, world, this is not an HLL")},
		{"short header", []byte("HYLL\x00\x00\x00")},
		{"wrong magic", append([]byte("HYLX"), dense[4:]...)},
		{"dense truncated", dense[:len(dense)-1]},
		{"dense too long", append(bytes.Clone(dense), 0)},
		{"dense header only", header(0)},
		{"encoding 2", append(header(2), dense[headerLen:]...)},
		{"encoding 255", withBody(255, 0x7f, 0xff)},
		{"sparse without body", header(1)},
		{"sparse short", withBody(1, 0x7f, 0xfe)},                 // XZERO:16383
		{"sparse overflow zero", withBody(1, 0x7f, 0xff, 0x00)},   // XZERO:16384 ZERO:1
		{"sparse overflow val", withBody(1, 0x7f, 0xff, 0x80)},    // XZERO:16384 VAL:1,1
		{"sparse val crosses end", withBody(1, 0x7f, 0xfe, 0x81)}, // XZERO:16383 VAL:1,2
		{"sparse truncated xzero", withBody(1, 0x7f)},
		{"sparse truncated", sparse[:len(sparse)-1]},
		{"sparse extra byte", append(bytes.Clone(sparse), 0x80)},
	} {
		if got, err := Decode(c.b); !errors.Is(err, ErrNotHLL) || got != nil {
			t.Errorf("%s: Decode = %v, %v; want nil, ErrNotHLL", c.name, got, err)
		}
	}

	// The cached count and the unused bytes are not validated, as in Redis.
	odd := bytes.Clone(dense)
	copy(odd[5:16], "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b")
	if got, err := Decode(odd); err != nil || *got != s {
		t.Errorf("dense with odd header bytes: %v", err)
	}
}

func TestIsHLL(t *testing.T) {
	var s Sketch
	if !IsHLL(s.Encode()) {
		t.Error("IsHLL(Encode()) = false")
	}
	for _, b := range []string{"", "HYLL", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "hyll\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"} {
		if IsHLL([]byte(b)) {
			t.Errorf("IsHLL(%q) = true", b)
		}
	}
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// survives a round trip through both encodings.
func FuzzDecode(f *testing.F) {
	var s Sketch
	for _, e := range elements(1, 50) {
		s.Add(e)
	}
	sparse, _ := s.EncodeSparse()
	f.Add(s.Encode())
	f.Add(sparse)
	f.Add(sparse[:len(sparse)-1])
	f.Add([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"))
	f.Add([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x80"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Decode(b)
		if err != nil {
			if got != nil {
				t.Fatal("a sketch returned with an error")
			}
			return
		}
		if b[4] == encodingDense && !bytes.Equal(got.Encode()[headerLen:], b[headerLen:]) {
			t.Fatal("dense registers do not re-encode to the same bytes")
		}
		again, err := Decode(got.Encode())
		if err != nil || *again != *got {
			t.Fatalf("dense round trip: %v", err)
		}
		if sp, ok := got.EncodeSparse(); ok {
			again, err := Decode(sp)
			if err != nil || *again != *got {
				t.Fatalf("sparse round trip: %v", err)
			}
		}
		got.Count()
	})
}
