// Package golden checks encodings against golden bytes in tests. The
// internode messages and stored forms travel between nodes of different
// releases (a rolling upgrade), so their bytes never change: each package's
// golden tests pin them with Hex.
package golden

import (
	"encoding/hex"
	"testing"
)

// Hex reports an error unless got is the bytes whose hex form is want, and
// returns want's bytes, for the decoder to read back.
func Hex(t testing.TB, name string, got []byte, want string) []byte {
	t.Helper()
	if h := hex.EncodeToString(got); h != want {
		t.Errorf("%s: %s, want %s", name, h, want)
	}
	b, err := hex.DecodeString(want)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
