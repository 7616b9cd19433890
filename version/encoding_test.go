package version

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

// roundTripObjects are the encoding tables' objects; they also seed the fuzz
// corpus.
func roundTripObjects(t testing.TB) []Object {
	big := obj(t, "a=1", "a/1:x")
	big.Siblings[0].Value = bytes.Repeat([]byte("v"), 70000)
	odd := obj(t, "a=3 b.4294967295=18446744073709551615",
		"a/1:", "a/3:three", "b.4294967295/18446744073709551615:max@-9223372036854775808")
	odd.Siblings[0].Expiry = -1
	odd.Siblings[1].Expiry = math.MaxInt64
	odd.Siblings[1].Kind = KindCounter
	odd.Siblings[2].Kind = Kind(255)
	odd.Siblings[2].Time = math.MaxInt64
	var wide Object
	for i := uint64(0); i < 20; i++ {
		wide = wide.Update(nil, Dot{Actor: Actor{Node: i * 0x0123456789abcdef, Epoch: uint32(i)}, Counter: i + 1},
			&Sibling{Time: 1700000000000000000 + int64(i), Expiry: 1700000000000 + int64(i), Value: []byte{byte(i)}})
	}
	return []Object{
		{},
		obj(t, "a=1"),
		obj(t, "a=5 b=2 c=9"),
		obj(t, "a=1", "a/1:x"),
		obj(t, "a=2 b=1", "a/1:x", "a/2:y", "b/1:z"),
		big,
		odd,
		wide,
	}
}

func TestObjectRoundTrip(t *testing.T) {
	for i, o := range roundTripObjects(t) {
		enc := o.AppendBinary(nil)
		got, err := DecodeObject(enc)
		if err != nil {
			t.Fatalf("object %d: decode: %v", i, err)
		}
		if !got.Equal(o) {
			t.Fatalf("object %d: got %s, want %s", i, fmtObject(got), fmtObject(o))
		}
		// Appending to a non-empty buffer keeps what was there.
		prefix := []byte("prefix")
		withPrefix := o.AppendBinary(prefix)
		if !bytes.HasPrefix(withPrefix, []byte("prefix")) || !bytes.Equal(withPrefix[6:], enc) {
			t.Fatalf("object %d: AppendBinary does not append", i)
		}
		// The decoded object does not alias the input.
		for j := range enc {
			enc[j] ^= 0xff
		}
		if !got.Equal(o) {
			t.Fatalf("object %d: decoded object aliases its input", i)
		}
		// Nor do two decoded values alias each other past their ends.
		if len(got.Siblings) > 1 {
			v := append(got.Siblings[0].Value, '!')
			_ = v
			if !got.Equal(o) {
				t.Fatalf("object %d: appending to a decoded value overwrote another", i)
			}
		}
	}
}

func TestClockRoundTrip(t *testing.T) {
	for i, o := range roundTripObjects(t) {
		c := o.Clock
		got, err := DecodeClock(c.AppendBinary(nil))
		if err != nil || !got.Equal(c) {
			t.Fatalf("clock %d: got %s, %v; want %s", i, fmtClock(got), err, fmtClock(c))
		}
		s := EncodeContext(c)
		if (s == "") != c.IsEmpty() {
			t.Fatalf("clock %d: context %q", i, s)
		}
		got, err = DecodeContext(s)
		if err != nil || !got.Equal(c) {
			t.Fatalf("context %d: got %s, %v; want %s", i, fmtClock(got), err, fmtClock(c))
		}
	}
}

func TestEncodedSize(t *testing.T) {
	// One sibling, 100-byte value, three replicas' actors: what a typical
	// key costs on disk and on the wire.
	o := benchObject()
	if n := len(o.AppendBinary(nil)); n > 100+60 {
		t.Errorf("encoded size %d bytes, want at most 160", n)
	}
	if n := len(EncodeContext(o.Clock)); n > 64 {
		t.Errorf("context is %d characters, want at most 64", n)
	}
}

// objectBytes builds raw encodings for the rejection table.
type objectBytes []byte

func (b objectBytes) uv(v uint64) objectBytes { return binary.AppendUvarint(b, v) }
func (b objectBytes) v(v int64) objectBytes   { return binary.AppendVarint(b, v) }
func (b objectBytes) fixed(v uint64) objectBytes {
	return binary.BigEndian.AppendUint64(b, v)
}
func (b objectBytes) raw(p ...byte) objectBytes { return append(b, p...) }

// entry appends a clock entry.
func (b objectBytes) entry(node uint64, epoch, counter uint64) objectBytes {
	return b.fixed(node).uv(epoch).uv(counter)
}

// sibling appends a sibling with the given actor index and counter.
func (b objectBytes) sibling(idx, counter uint64, value string) objectBytes {
	return b.uv(idx).uv(counter).fixed(1).v(0).raw(0).uv(uint64(len(value))).raw([]byte(value)...)
}

func TestDecodeObjectRejects(t *testing.T) {
	h := objectBytes{formatV1}
	for _, tc := range []struct {
		name string
		b    objectBytes
	}{
		{"empty", nil},
		{"unknown version", objectBytes{2}.uv(0).uv(0)},
		{"version zero", objectBytes{0}.uv(0).uv(0)},
		{"no sibling count", h.uv(0)},
		{"trailing byte", h.uv(0).uv(0).raw(0)},
		{"zero clock counter", h.uv(1).entry(1, 0, 0).uv(0)},
		{"epoch over 32 bits", h.uv(1).entry(1, 1<<32, 1).uv(0)},
		{"unsorted actors", h.uv(2).entry(2, 0, 1).entry(1, 0, 1).uv(0)},
		{"duplicate actors", h.uv(2).entry(1, 0, 1).entry(1, 0, 2).uv(0)},
		{"unsorted epochs", h.uv(2).entry(1, 2, 1).entry(1, 1, 1).uv(0)},
		{"huge clock count", h.uv(1 << 40)},
		{"clock count beyond input", h.uv(2).entry(1, 0, 1).uv(0)},
		{"huge sibling count", h.uv(1).entry(1, 0, 1).uv(math.MaxUint64)},
		{"sibling actor index out of range", h.uv(1).entry(1, 0, 1).uv(1).sibling(1, 1, "x")},
		{"sibling with empty clock", h.uv(0).uv(1).sibling(0, 1, "x")},
		{"sibling counter zero", h.uv(1).entry(1, 0, 1).uv(1).sibling(0, 0, "x")},
		{"sibling not covered", h.uv(1).entry(1, 0, 1).uv(1).sibling(0, 2, "x")},
		{"duplicate sibling dots", h.uv(1).entry(1, 0, 2).uv(2).sibling(0, 1, "x").sibling(0, 1, "x")},
		{"unsorted sibling dots", h.uv(1).entry(1, 0, 2).uv(2).sibling(0, 2, "x").sibling(0, 1, "x")},
		{"unsorted sibling actors", h.uv(2).entry(1, 0, 1).entry(2, 0, 1).uv(2).sibling(1, 1, "x").sibling(0, 1, "x")},
		{"value length beyond input", h.uv(1).entry(1, 0, 1).uv(1).uv(0).uv(1).fixed(1).v(0).raw(0).uv(5).raw('x')},
		{"huge value length", h.uv(1).entry(1, 0, 1).uv(1).uv(0).uv(1).fixed(1).v(0).raw(0).uv(math.MaxUint64)},
		{"overlong varint", h.raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if o, err := DecodeObject(tc.b); err == nil {
				t.Errorf("decoded %x as %s", []byte(tc.b), fmtObject(o))
			} else if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
		})
	}
	// Every strict prefix of a valid encoding is rejected.
	for i, o := range roundTripObjects(t)[:7] {
		enc := o.AppendBinary(nil)
		for n := range len(enc) {
			if _, err := DecodeObject(enc[:n]); err == nil {
				t.Fatalf("object %d: prefix of %d/%d bytes decoded", i, n, len(enc))
			}
		}
	}
}

// TestAppendBinaryInvalid checks that an object violating the invariants
// encodes to bytes the decoder refuses, rather than to a different object.
func TestAppendBinaryInvalid(t *testing.T) {
	for _, o := range []Object{
		{Siblings: []Sibling{{Dot: Dot{Actor: Actor{Node: 1}, Counter: 1}}}},
		{Clock: Clock{{Actor: Actor{Node: 1}, Counter: 1}}, Siblings: []Sibling{{Dot: Dot{Actor: Actor{Node: 2}, Counter: 1}}}},
		{Clock: Clock{{Actor: Actor{Node: 1}, Counter: 1}}, Siblings: []Sibling{{Dot: Dot{Actor: Actor{Node: 1}, Counter: 2}}}},
		{Clock: Clock{{Actor: Actor{Node: 2}, Counter: 1}, {Actor: Actor{Node: 1}, Counter: 1}}},
	} {
		if o.Valid() {
			t.Fatalf("%s is valid", fmtObject(o))
		}
		if _, err := DecodeObject(o.AppendBinary(nil)); err == nil {
			t.Errorf("invalid object %s encoded to decodable bytes", fmtObject(o))
		}
	}
}

func TestDecodeClockRejects(t *testing.T) {
	for _, b := range []objectBytes{
		nil,
		{2, 0},
		objectBytes{formatV1}.uv(1).entry(1, 0, 0),
		objectBytes{formatV1}.uv(0).raw(0), // trailing byte
		objectBytes{formatV1}.uv(0).uv(0),  // an empty object is not a clock
		objectBytes{formatV1}.uv(1).entry(1, 0, 1).uv(0),
	} {
		if c, err := DecodeClock(b); err == nil {
			t.Errorf("decoded %x as %s", []byte(b), fmtClock(c))
		}
	}
}

func TestContext(t *testing.T) {
	if s := EncodeContext(nil); s != "" {
		t.Errorf("EncodeContext(nil) = %q", s)
	}
	if c, err := DecodeContext(""); err != nil || c != nil {
		t.Errorf(`DecodeContext("") = %v, %v`, c, err)
	}
	c := clock(t, "a=3 b.2=1")
	s := EncodeContext(c)
	if _, err := base64.StdEncoding.DecodeString(s); err != nil {
		t.Errorf("context %q is not standard base64: %v", s, err)
	}
	// An explicitly encoded empty clock is accepted as the empty clock.
	emptyCtx := base64.StdEncoding.EncodeToString(Clock(nil).AppendBinary(nil))
	if c, err := DecodeContext(emptyCtx); err != nil || !c.IsEmpty() {
		t.Errorf("DecodeContext(%q) = %v, %v", emptyCtx, c, err)
	}
	o := obj(t, "a=1", "a/1:x")
	for _, bad := range []string{
		"!",
		"AA==",
		"AQ",         // unpadded
		s[:len(s)-1], // truncated
		s + "AA==",   // trailing bytes after the clock
		"AQA=x",      // junk after padding
		base64.StdEncoding.EncodeToString(o.AppendBinary(nil)), // an object, not a clock
		base64.URLEncoding.EncodeToString([]byte{formatV1, 1, 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1}),
		"AQA=" + strings.Repeat("A", 4096),
	} {
		if c, err := DecodeContext(bad); err != ErrInvalidContext {
			t.Errorf("DecodeContext(%q) = %v, %v; want ErrInvalidContext", bad, c, err)
		}
	}
}

func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	o := benchObject()
	buf := o.AppendBinary(nil)
	if n := testing.AllocsPerRun(100, func() { buf = o.AppendBinary(buf[:0]) }); n != 0 {
		t.Errorf("AppendBinary into a large enough buffer: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = o.AppendBinary(nil) }); n != 1 {
		t.Errorf("AppendBinary(nil): %v allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeObject(buf) }); n > 3 {
		t.Errorf("DecodeObject: %v allocations, want at most 3 (clock, siblings, values)", n)
	}
	ctx := EncodeContext(o.Clock)
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeContext(ctx) }); n > 1 {
		t.Errorf("DecodeContext: %v allocations, want at most 1", n)
	}
}

func FuzzDecodeObject(f *testing.F) {
	for _, o := range roundTripObjects(f) {
		f.Add(o.AppendBinary(nil))
	}
	f.Add([]byte{})
	f.Add([]byte{formatV1, 0, 0})
	f.Add([]byte(objectBytes{formatV1}.uv(1).entry(1, 0, 2).uv(2).sibling(0, 2, "x").sibling(0, 1, "x")))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := DecodeObject(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if !o.Valid() {
			t.Fatalf("decoded an invalid object %s", fmtObject(o))
		}
		enc := o.AppendBinary(nil)
		o2, err := DecodeObject(enc)
		if err != nil || !o2.Equal(o) {
			t.Fatalf("re-encoding of %s decodes to %s, %v", fmtObject(o), fmtObject(o2), err)
		}
		// Merge with itself is the identity; with the empty object too.
		if m := Merge(o, o); !m.Equal(o) {
			t.Fatalf("Merge(o, o) = %s, want %s", fmtObject(m), fmtObject(o))
		}
		if m := Merge(o, Object{}); !m.Equal(o) {
			t.Fatalf("Merge(o, {}) = %s, want %s", fmtObject(m), fmtObject(o))
		}
	})
}

func FuzzDecodeContext(f *testing.F) {
	for _, o := range roundTripObjects(f) {
		f.Add(EncodeContext(o.Clock))
		f.Add(base64.StdEncoding.EncodeToString(o.AppendBinary(nil)))
	}
	f.Add("")
	f.Add("!")
	f.Add("AQA=")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := DecodeContext(s)
		if err != nil {
			if err != ErrInvalidContext {
				t.Fatalf("error %v, want ErrInvalidContext", err)
			}
			return
		}
		if !c.valid() {
			t.Fatalf("decoded an invalid clock %s", fmtClock(c))
		}
		c2, err := DecodeContext(EncodeContext(c))
		if err != nil || !c2.Equal(c) {
			t.Fatalf("re-encoding of %s decodes to %s, %v", fmtClock(c), fmtClock(c2), err)
		}
	})
}

// benchObject is a typical key: written once, replicated to three nodes, one
// sibling with a 100-byte value.
func benchObject() Object {
	var o Object
	actors := []Actor{{Node: 0x9c1e44f0a2b3c4d5, Epoch: 1}, {Node: 0x3f2a9c0011223344, Epoch: 3}, {Node: 0xd00df00dcafe0001, Epoch: 1}}
	for i, a := range actors {
		o.Clock = o.Clock.Add(Dot{Actor: a, Counter: uint64(1000 * (i + 1))})
	}
	d := Dot{Actor: actors[1], Counter: 2000}
	return o.Update(o.Clock, d, &Sibling{
		Time:  1763900000123456789,
		Value: bytes.Repeat([]byte("0123456789"), 10),
	})
}

func BenchmarkObjectAppendBinary(b *testing.B) {
	o := benchObject()
	buf := o.AppendBinary(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = o.AppendBinary(buf[:0])
	}
}

func BenchmarkDecodeObject(b *testing.B) {
	buf := benchObject().AppendBinary(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeObject(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdate(b *testing.B) {
	o := benchObject()
	a := o.Siblings[0].Dot.Actor
	s := &Sibling{Time: 1, Value: o.Siblings[0].Value}
	b.ReportAllocs()
	for b.Loop() {
		_ = o.Update(o.Clock, o.Clock.Next(a), s)
	}
}

func BenchmarkMerge(b *testing.B) {
	o := benchObject()
	p := o.Update(o.Clock, o.Clock.Next(o.Siblings[0].Dot.Actor), &Sibling{Value: []byte("v")})
	b.ReportAllocs()
	for b.Loop() {
		_ = Merge(o, p)
	}
}
