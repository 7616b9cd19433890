package partition

import (
	"bytes"
	"testing"
)

func TestElementKeysTakeTheirKeysPlace(t *testing.T) {
	for _, tc := range []struct{ key, elem string }{
		{"user:1", "name"}, {"", ""}, {"{tag}x", "f"}, {"k", "\xffdynago\x00"}, {string(make([]byte, 300)), "e"},
	} {
		k := ElementKey(nil, []byte(tc.key), []byte(tc.elem))
		if !IsElementKey(k) || !HasReservedPrefix(k) {
			t.Fatalf("%q: not an element key", k)
		}
		key, elem, ok := SplitElementKey(k)
		if !ok || string(key) != tc.key || string(elem) != tc.elem {
			t.Fatalf("split %q = %q %q %v", k, key, elem, ok)
		}
		if Hash(k) != Hash([]byte(tc.key)) || Slot(Owner(k)) != Slot([]byte(tc.key)) {
			t.Fatalf("%q/%q: element at %x, key at %x", tc.key, tc.elem, Hash(k), Hash([]byte(tc.key)))
		}
		if !bytes.HasPrefix(k, ElementsOf(nil, []byte(tc.key))) {
			t.Fatalf("%q lacks its key's prefix", k)
		}
	}
	// The elements of "k" and of "k\x00" never share a prefix: the length
	// comes first.
	a, b := ElementsOf(nil, []byte("k")), ElementKey(nil, []byte("k\x00"), nil)
	if bytes.HasPrefix(b, a) {
		t.Fatalf("%q has %q's prefix", b, a)
	}
	for _, k := range []string{"", "user", "\xff", "\xffdynago", "\xffdynago\x00"} {
		if IsElementKey([]byte(k)) {
			t.Fatalf("%q taken for an element key", k)
		}
		if Owner([]byte(k)) == nil || string(Owner([]byte(k))) != k {
			t.Fatalf("Owner(%q) = %q", k, Owner([]byte(k)))
		}
	}
	// A key with the reserved prefix whose length does not parse is its
	// own owner.
	bad := []byte(ElementPrefix + "\xff")
	if _, _, ok := SplitElementKey(bad); ok || string(Owner(bad)) != string(bad) {
		t.Fatalf("%q split", bad)
	}
}
