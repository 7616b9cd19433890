package counter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/dynago/dynago/version"
)

func roundTripStates() []State {
	absent, _ := FromValue(version.Dot{}, 0, nil)
	one, _ := absent.IncrBy(actorA, 1, 1)
	mixed, _ := FromValue(version.Dot{Actor: actorB, Counter: 12}, 1763900000123456789, []byte("10.5"))
	mixed, _ = mixed.IncrByFloat(actorA, 3, -0.25)
	mixed, _ = mixed.IncrByFloat(actorC, 1, 0.25)
	mixed, _ = mixed.IncrBy(actorC, 2, 7)
	return []State{
		absent,
		one,
		mixed,
		{BaseInt: math.MinInt64, BaseTime: -1, Entries: []Entry{{Actor: actorA, Seq: math.MaxUint64, Int: math.MaxInt64}}},
		{BaseIsFloat: true, BaseFloat: math.Copysign(0, -1)},
		{BaseIsFloat: true, BaseFloat: math.Inf(1), BaseDot: version.Dot{Actor: version.Actor{Node: math.MaxUint64, Epoch: math.MaxUint32}, Counter: math.MaxUint64}},
		{Entries: []Entry{{Actor: actorA, HasFloat: true, Float: 1e-300}, {Actor: actorB, Int: -1}, {Actor: actorC, HasFloat: true}}},
	}
}

func TestRoundTrip(t *testing.T) {
	for i, s := range roundTripStates() {
		enc := s.AppendBinary(nil)
		got, err := Decode(enc)
		if err != nil || !got.Equal(s) {
			t.Fatalf("state %d: got %+v, %v; want %+v", i, got, err, s)
		}
		if got.String() != s.String() {
			t.Fatalf("state %d: renders %q, want %q", i, got.String(), s.String())
		}
		withPrefix := s.AppendBinary([]byte("xy"))
		if !bytes.Equal(withPrefix[2:], enc) {
			t.Fatalf("state %d: AppendBinary does not append", i)
		}
		for n := range len(enc) {
			if _, err := Decode(enc[:n]); err == nil {
				t.Fatalf("state %d: prefix of %d/%d bytes decoded", i, n, len(enc))
			}
		}
	}
}

type stateBytes []byte

func (b stateBytes) uv(v uint64) stateBytes    { return binary.AppendUvarint(b, v) }
func (b stateBytes) v(v int64) stateBytes      { return binary.AppendVarint(b, v) }
func (b stateBytes) fixed(v uint64) stateBytes { return binary.BigEndian.AppendUint64(b, v) }
func (b stateBytes) raw(p ...byte) stateBytes  { return append(b, p...) }

// header is a valid state prefix up to the entry count: zero base dot and
// time, integer base 5.
func header() stateBytes {
	return stateBytes{formatV1}.fixed(0).uv(0).uv(0).fixed(0).raw(0).v(5)
}

func (b stateBytes) entry(node, epoch, seq uint64, flags byte) stateBytes {
	b = b.fixed(node).uv(epoch).uv(seq).raw(flags).v(1)
	if flags == flagHasFloat {
		b = b.fixed(math.Float64bits(0.5))
	}
	return b
}

func TestDecodeRejects(t *testing.T) {
	if _, err := Decode(header().uv(1).entry(1, 0, 1, flagHasFloat)); err != nil {
		t.Fatalf("the table's valid base case does not decode: %v", err)
	}
	nan := math.Float64bits(math.NaN())
	for _, tc := range []struct {
		name string
		b    stateBytes
	}{
		{"empty", nil},
		{"unknown version", stateBytes{2}},
		{"trailing byte", header().uv(0).raw(0)},
		{"base epoch over 32 bits", stateBytes{formatV1}.fixed(0).uv(1 << 32).uv(0).fixed(0).raw(0).v(5).uv(0)},
		{"unknown base flags", stateBytes{formatV1}.fixed(0).uv(0).uv(0).fixed(0).raw(2).v(5).uv(0)},
		{"NaN base", stateBytes{formatV1}.fixed(0).uv(0).uv(0).fixed(0).raw(flagBaseIsFloat).fixed(nan).uv(0)},
		{"huge entry count", header().uv(math.MaxUint64)},
		{"entry count beyond input", header().uv(2).entry(1, 0, 1, 0)},
		{"unknown entry flags", header().uv(1).entry(1, 0, 1, 4)},
		{"NaN entry", header().uv(1).fixed(1).uv(0).uv(1).raw(flagHasFloat).v(1).fixed(nan)},
		{"entry epoch over 32 bits", header().uv(1).entry(1, 1<<32, 1, 0)},
		{"unsorted entries", header().uv(2).entry(2, 0, 1, 0).entry(1, 0, 1, 0)},
		{"duplicate entries", header().uv(2).entry(1, 0, 1, 0).entry(1, 0, 2, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := Decode(tc.b); err == nil {
				t.Errorf("decoded %x as %+v", []byte(tc.b), s)
			} else if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range roundTripStates() {
		f.Add(s.AppendBinary(nil))
	}
	f.Add([]byte(header().uv(1).entry(1, 0, 1, flagHasFloat)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		s2, err := Decode(s.AppendBinary(nil))
		if err != nil || !s2.Equal(s) {
			t.Fatalf("re-encoding of %+v decodes to %+v, %v", s, s2, err)
		}
		// Whatever decodes can be rendered, merged and incremented without
		// panicking.
		_ = s.String()
		_, _ = s.Int64()
		if m := Merge(s, s); !m.Equal(s) {
			t.Fatalf("Merge(s, s) = %+v, want %+v", m, s)
		}
		if n, err := s.IncrBy(actorA, 1, 1); err == nil {
			_ = n.String()
		}
		if n, err := s.IncrByFloat(actorA, 1, 0.5); err == nil {
			_ = n.String()
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	buf := roundTripStates()[2].AppendBinary(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}
