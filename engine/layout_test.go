package engine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/dynago/dynago/engine/enginetest"
	"github.com/dynago/dynago/version"
)

// rewriteAsXXHashLayout turns a closed store into what a release before
// hash slots wrote; entries whose index is in keep stay where they are.
func rewriteAsXXHashLayout(t *testing.T, dir string, keep func(i int) bool) {
	t.Helper()
	if _, err := enginetest.RewriteAsXXHashLayout(dir, keep); err != nil {
		t.Fatal(err)
	}
}

func TestOpenConvertsTheXXHashLayout(t *testing.T) {
	for _, c := range []struct {
		name string
		keep func(i int) bool
	}{
		{"whole", func(int) bool { return false }},
		{"cut short", func(i int) bool { return i%3 == 0 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			e := open(t, dir)
			for i := range 200 {
				put(t, e, fmt.Sprintf("key:%d", i), uint64(i+1), []byte(fmt.Sprint(i)), 0)
			}
			hint := version.Object{}.Update(nil, version.Dot{Actor: actor, Counter: 1}, &version.Sibling{Value: []byte("h")})
			if err := e.AddHint("n9", []byte("{tag}hinted"), hint); err != nil {
				t.Fatal(err)
			}
			e.Close()
			rewriteAsXXHashLayout(t, dir, c.keep)

			var asked int
			e = open(t, dir, func(cfg *Config) {
				cfg.ConvertLayout = func(_ *Engine, found int) error {
					asked = found
					return nil
				}
			})
			if asked != LayoutXXHash {
				t.Fatalf("ConvertLayout heard of layout %d, want %d", asked, LayoutXXHash)
			}
			if e.Len() != 200 {
				t.Fatalf("Len = %d after conversion, want 200", e.Len())
			}
			for i := range 200 {
				o, found := get(t, e, fmt.Sprintf("key:%d", i))
				if !found || string(o.Siblings[0].Value) != fmt.Sprint(i) {
					t.Fatalf("key:%d after conversion: %+v found=%v", i, o, found)
				}
			}
			if o, ok, err := e.Hinted([]byte("{tag}hinted")); err != nil || !ok || string(o.Siblings[0].Value) != "h" {
				t.Fatalf("hint after conversion: %+v %v %v", o, ok, err)
			}
			var scanned int
			if _, err := e.Scan(0, 1000, func([]byte, version.Object) bool { scanned++; return true }); err != nil || scanned != 200 {
				t.Fatalf("SCAN after conversion saw %d keys (%v), want 200", scanned, err)
			}
			e.Close()

			// Marked now: the next open does not ask again.
			asked = 0
			e = open(t, dir, func(cfg *Config) {
				cfg.ConvertLayout = func(_ *Engine, found int) error { asked = found; return nil }
			})
			if asked != 0 || e.Len() != 200 {
				t.Fatalf("second open asked about layout %d and holds %d keys", asked, e.Len())
			}
		})
	}
}

func TestOpenRefusesWhatItMayNotConvert(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir)
	put(t, e, "k", 1, []byte("v"), 0)
	e.Close()
	rewriteAsXXHashLayout(t, dir, func(int) bool { return false })

	refusal := errors.New("this node's data belongs to a cluster")
	cfg := DefaultConfig(dir)
	cfg.ConvertLayout = func(*Engine, int) error { return refusal }
	_, err := Open(cfg)
	var le *LayoutError
	if !errors.As(err, &le) || le.Found != LayoutXXHash || !errors.Is(err, refusal) {
		t.Fatalf("Open = %v, want a LayoutError for layout %d wrapping the refusal", err, LayoutXXHash)
	}
	// Refused, nothing changed: a later open may still convert it.
	e = open(t, dir)
	if o, found := get(t, e, "k"); !found || string(o.Siblings[0].Value) != "v" {
		t.Fatalf("k after a refusal and a conversion: %+v %v", o, found)
	}
	e.Close()

	// A layout from a newer build is never opened.
	db, err := pebble.Open(dir, &pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(db.Set(metaKey(metaLayout), []byte{Layout + 1}, pebble.Sync), db.Close()); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(DefaultConfig(dir)); !errors.As(err, &le) || le.Found != Layout+1 {
		t.Fatalf("Open of a newer layout = %v", err)
	}
}

func TestNewStoreIsMarkedWithTheLayout(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir, func(cfg *Config) {
		cfg.ConvertLayout = func(*Engine, int) error { t.Error("an empty store needs no conversion"); return nil }
	})
	if v, ok, err := e.Meta(metaLayout); err != nil || !ok || len(v) != 1 || v[0] != Layout {
		t.Fatalf("layout mark %v %v %v", v, ok, err)
	}
}
