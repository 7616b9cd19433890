package node_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
)

// mountTmpfs mounts a tmpfs of size bytes for the test and returns its
// path. It needs root; without it (or where mounting fails) the test is
// skipped, unless CI is set: CI runs as root, and there it must run.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	skip := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	if os.Geteuid() != 0 {
		skip("mounting a size-limited tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		skip("cannot mount a tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
			_ = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// A node whose data directory is on a small file system answers writes
// with MISCONF at once when it fills (no hang), keeps answering reads,
// says so in INFO, and takes writes again by itself once there is room,
// with every acknowledged write there, also after a restart.
func TestDiskFullEndToEnd(t *testing.T) {
	mnt := mountTmpfs(t, 48<<20)
	// A file on the same file system stands for whatever else fills the
	// disk; removing it makes room again.
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, 12<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	s := testserver.Start(t, func(c *node.Config) {
		c.Engine.Dir = filepath.Join(mnt, "data")
		c.Engine.DiskCheckInterval = 50 * time.Millisecond
		// Sized for this small file system: the default memtables
		// (16 MiB) and their reserve (34 MiB) would fill it at once.
		c.Engine.MemTableBytes = 4 << 20
		c.Engine.DiskReserveBytes = 2*(4<<20) + 2<<20
	})
	cl := s.Client()
	ctx := context.Background()

	acked := map[string][]byte{}
	var refusal string
	const maxWrites = 10000 // 80 MB: more than the file system holds
	for i := 0; i < maxWrites && refusal == ""; i++ {
		k, v := fmt.Sprintf("key:%d", i), make([]byte, 8<<10)
		for j := range v {
			v[j] = byte(rand.IntN(256)) // incompressible
		}
		start := time.Now()
		err := cl.Set(ctx, k, v, 0).Err()
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("SET %s took %v", k, took)
		}
		switch {
		case err == nil:
			acked[k] = v
		case strings.HasPrefix(err.Error(), "MISCONF Dynago cannot write to its data directory ("):
			refusal = err.Error()
		default:
			t.Fatalf("SET %s on a filling disk: %v", k, err)
		}
	}
	if refusal == "" {
		t.Fatalf("%d writes on a 48 MiB file system were all acknowledged", maxWrites)
	}
	t.Logf("after %d acknowledged writes: %s", len(acked), refusal)

	// From now on every write is refused at once.
	var took []time.Duration
	for i := range 50 {
		start := time.Now()
		err := cl.Set(ctx, fmt.Sprintf("refused:%d", i), "x", 0).Err()
		took = append(took, time.Since(start))
		if err == nil || !strings.HasPrefix(err.Error(), "MISCONF ") {
			t.Fatalf("a write on the full disk answered %v", err)
		}
	}
	slices.Sort(took)
	t.Logf("refused writes answered in %v (median), %v (max)", took[len(took)/2], took[len(took)-1])
	if took[len(took)-1] > time.Second {
		t.Fatalf("a refused write took %v", took[len(took)-1])
	}
	// Reads go on.
	for k, v := range acked {
		if got, err := cl.Get(ctx, k).Bytes(); err != nil || string(got) != string(v) {
			t.Fatalf("GET %s on the full disk: %v", k, err)
		}
	}
	info := cl.Info(ctx, "persistence").Val()
	if !strings.Contains(info, "disk_status:full\r\n") || strings.Contains(info, "disk_error:\r\n") {
		t.Fatalf("INFO persistence on the full disk:\n%s", info)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for cl.Set(ctx, "resumed", "yes", 0).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("writes did not resume after space was freed; INFO:\n%s", cl.Info(ctx, "persistence").Val())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if info := cl.Info(ctx, "persistence").Val(); !strings.Contains(info, "disk_status:ok\r\n") {
		t.Fatalf("INFO persistence after space returned:\n%s", info)
	}
	check := func() {
		t.Helper()
		for k, v := range acked {
			if got, err := cl.Get(ctx, k).Bytes(); err != nil || string(got) != string(v) {
				t.Fatalf("GET %s: %v", k, err)
			}
		}
	}
	check()
	s.Restart()
	cl = s.Client()
	check()
}
