package counter

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/dynago/dynago/version"
)

// A counter's binary form is stored on disk (as a sibling's value) and sent
// between nodes: its bytes never change. These golden encodings were taken
// from the code as it stood before the encoder moved onto package wire; they
// must decode, and the encoder must still produce them byte for byte.

func TestGoldenStates(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    State
		want string
	}{
		{"zero", State{}, "01" + "0000000000000000" + "00" + "00" + "0000000000000000" + "00" + "00" + "00"},
		{"int base, two entries", State{
			BaseDot:  version.Dot{Actor: actorB, Counter: 12},
			BaseTime: 1763900000123456789,
			BaseInt:  -7,
			Entries:  []Entry{{Actor: actorA, Seq: 3, Int: 5}, {Actor: actorC, Seq: 300, HasFloat: true, Int: -1, Float: 0.25}},
		}, "01" + "b000000000000000" + "01" + "0c" + "187aa1b45eab8d15" + "00" + "0d" + // base dot, time, int -7
			"02" + "a000000000000000" + "01" + "03" + "00" + "0a" + // entry a: seq 3, +5
			"c000000000000000" + "02" + "ac02" + "01" + "01" + "3fd0000000000000"}, // entry c: seq 300, -1 and 0.25
		{"float base", State{BaseIsFloat: true, BaseFloat: 10.5}, "01" + "0000000000000000" + "00" + "00" + "0000000000000000" + "01" + "4025000000000000" + "00"},
	} {
		enc := tc.s.AppendBinary(nil)
		if got := hex.EncodeToString(enc); got != tc.want {
			t.Errorf("%s: encodes to %s, want %s", tc.name, got, tc.want)
		}
		b, _ := hex.DecodeString(tc.want)
		if got, err := Decode(b); err != nil || !got.Equal(tc.s) {
			t.Errorf("%s: golden bytes decode to %+v, %v", tc.name, got, err)
		}
	}
	h := sha256.New()
	for _, s := range roundTripStates() {
		h.Write(s.AppendBinary(nil))
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), "3ba0b1bdc1c35e050c1cbe9bb549a5585224b2a06b5fd6ec1a9943a7ac43bc70"; got != want {
		t.Errorf("the encoding table's states hash to %s, want %s", got, want)
	}
}
