package resp_test

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
)

// TestMultiKeyWriteSharesOneSync: on a lone node under --fsync batch, each
// SET waits for its own WAL sync, while MSET and DEL of ten keys wait for
// one, as a pipeline of ten SETs does; the reply still comes after it.
func TestMultiKeyWriteSharesOneSync(t *testing.T) {
	var walSyncs atomic.Int64
	count := errorfs.InjectorFunc(func(op errorfs.Op) error {
		switch op.Kind {
		case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
			if strings.HasSuffix(op.Path, ".log") {
				walSyncs.Add(1)
			}
		}
		return nil
	})
	s := testserver.Start(t, func(c *node.Config) { c.Engine.FS = errorfs.Wrap(vfs.Default, count) })
	cl := testserver.NewClient(t, s.Addr())

	syncsOf := func(what string, run func() error) int64 {
		t.Helper()
		before := walSyncs.Load()
		if err := run(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return walSyncs.Load() - before
	}
	keys := make([]string, 10)
	pairs := make([]any, 0, 20)
	for i := range keys {
		keys[i] = "k" + string(rune('a'+i))
		pairs = append(pairs, keys[i], "v")
	}
	sets := syncsOf("10 SETs", func() error {
		for _, k := range keys {
			if err := cl.Set(bg, k, "v", 0).Err(); err != nil {
				return err
			}
		}
		return nil
	})
	mset := syncsOf("MSET", func() error { return cl.MSet(bg, pairs...).Err() })
	del := syncsOf("DEL", func() error { return cl.Del(bg, keys...).Err() })
	// Nothing else writes on an idle lone node; a second sync would be
	// another of Dynago's own, never one per key.
	if sets < 10 || mset > 2 || del > 2 {
		t.Fatalf("WAL syncs: 10 SETs %d, MSET of 10 keys %d, DEL of 10 keys %d; want 10 or more, then one each", sets, mset, del)
	}
	if n, err := cl.Exists(bg, keys...).Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS after DEL: %d, %v", n, err)
	}
}
