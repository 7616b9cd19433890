package version

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// The binary forms are stored on disk (the engine keeps every key's Object
// encoding) and sent between nodes: their bytes never change. These golden
// encodings were taken from the code as it stood before the encoders moved
// onto package wire; they must decode, and the encoders must still produce
// them byte for byte.

func TestGoldenObjects(t *testing.T) {
	o := obj(t, "a=2 b.3=1", "a/1:x@-5", "b.3/1:yz@1700000000000000000")
	o.Siblings[0].Expiry = -1
	o.Siblings[1].Expiry = 1700000000000
	o.Siblings[1].Kind = KindCounter
	for _, tc := range []struct {
		name string
		o    Object
		want string
	}{
		{"empty", Object{}, "010000"},
		{"clock only", obj(t, "a=1"), "01" + "01" + "0100000000000000" + "00" + "01" + "00"},
		{"two siblings", o, "01" + // format
			"02" + "0100000000000000" + "00" + "02" + "0200000000000000" + "03" + "01" + // clock
			"02" + // siblings
			"00" + "01" + "fffffffffffffffb" + "01" + "00" + "01" + "78" + // a/1, time -5, expiry -1, bytes "x"
			"01" + "01" + "17979cfe362a0000" + "80a0abfef962" + "01" + "02" + "797a"}, // b.3/1, a counter "yz"
	} {
		enc := tc.o.AppendBinary(nil)
		if got := hex.EncodeToString(enc); got != tc.want {
			t.Errorf("%s: encodes to %s, want %s", tc.name, got, tc.want)
		}
		b, _ := hex.DecodeString(tc.want)
		if got, err := DecodeObject(b); err != nil || !got.Equal(tc.o) {
			t.Errorf("%s: golden bytes decode to %s, %v", tc.name, fmtObject(got), err)
		}
	}
	// Every encoding table object, extremes included, hashed.
	h := sha256.New()
	for _, o := range roundTripObjects(t) {
		h.Write(o.AppendBinary(nil))
		h.Write(o.Clock.AppendBinary(nil))
		h.Write([]byte(EncodeContext(o.Clock)))
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), "bad03e838b85c857ca7c96632239d5e469e0757ac7a4af4dde3fff6c9a678340"; got != want {
		t.Errorf("the encoding table's objects hash to %s, want %s", got, want)
	}
}

func TestGoldenClock(t *testing.T) {
	c := clock(t, "a=3 b.2=300")
	if got, want := hex.EncodeToString(c.AppendBinary(nil)), "01"+"02"+"0100000000000000"+"00"+"03"+"0200000000000000"+"02"+"ac02"; got != want {
		t.Errorf("clock encodes to %s, want %s", got, want)
	}
	if got, want := EncodeContext(c), "AQIBAAAAAAAAAAADAgAAAAAAAAACrAI="; got != want {
		t.Errorf("context %q, want %q", got, want)
	}
	if got, err := DecodeContext("AQIBAAAAAAAAAAADAgAAAAAAAAACrAI="); err != nil || !got.Equal(c) {
		t.Errorf("golden context decodes to %s, %v", fmtClock(got), err)
	}
}
