package resp_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/dynago/dynago/internal/testserver"
)

// TestMultiKeyWriteSharesOneSync: on a lone node under --fsync batch, each
// SET waits for its own fsync of the write-ahead log (INFO persistence
// wal_syncs), while MSET and DEL of ten keys wait for one, as a pipeline of
// ten SETs does; the reply still comes after it.
func TestMultiKeyWriteSharesOneSync(t *testing.T) {
	s := testserver.Start(t)
	cl := testserver.NewClient(t, s.Addr())
	walSyncs := func() int64 {
		t.Helper()
		info, err := cl.Info(bg, "persistence").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "wal_syncs:"); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
		t.Fatalf("no wal_syncs in INFO persistence:\n%s", info)
		return 0
	}
	syncsOf := func(what string, run func() error) int64 {
		t.Helper()
		before := walSyncs()
		if err := run(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return walSyncs() - before
	}
	keys := make([]string, 10)
	pairs := make([]any, 0, 20)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
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
	if sets < 10 || mset < 1 || mset > 2 || del < 1 || del > 2 {
		t.Fatalf("WAL syncs: 10 SETs %d, MSET of 10 keys %d, DEL of 10 keys %d; want 10 or more, then one each", sets, mset, del)
	}
	if n, err := cl.Exists(bg, keys...).Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS after DEL: %d, %v", n, err)
	}
}

// TestInfoPersistenceShowsTheLSM: INFO persistence gives the store's
// tables and compactions as numbers (dynago-bench waits on
// compactions_in_progress before it measures).
func TestInfoPersistenceShowsTheLSM(t *testing.T) {
	s := testserver.Start(t)
	cl := testserver.NewClient(t, s.Addr())
	info, err := cl.Info(bg, "persistence").Result()
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(info, "\r\n") {
		if name, v, ok := strings.Cut(line, ":"); ok {
			fields[name] = v
		}
	}
	for _, name := range []string{"sstables", "read_amplification", "compactions_in_progress", "compaction_debt_bytes"} {
		v, ok := fields[name]
		if !ok {
			t.Errorf("no %s in INFO persistence:\n%s", name, info)
			continue
		}
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			t.Errorf("%s:%s is not a count", name, v)
		}
	}
}
