package node_test

import (
	"path/filepath"
	"testing"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
)

// TestCheckpointBackupAndRestore takes a backup with DYNAGO CHECKPOINT and
// starts a node from it: it holds what was written before the checkpoint
// and nothing written after.
func TestCheckpointBackupAndRestore(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t)
	c := s.Client()
	ctx := ctxFor(t)
	if err := c.Set(ctx, "before", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup")
	if err := c.Do(ctx, "DYNAGO", "CHECKPOINT", backup).Err(); err != nil {
		t.Fatalf("DYNAGO CHECKPOINT: %v", err)
	}
	if err := c.Do(ctx, "DYNAGO", "CHECKPOINT", backup).Err(); err == nil {
		t.Fatal("a checkpoint over an existing directory was accepted")
	}
	if err := c.Set(ctx, "after", "2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	restored := testserver.Start(t, func(cfg *node.Config) { cfg.Engine.Dir = backup })
	rc := restored.Client()
	if got, ok := getOK(t, rc, "before"); !ok || got != "1" {
		t.Fatalf("restored node: GET before = %q, %v", got, ok)
	}
	if _, ok := getOK(t, rc, "after"); ok {
		t.Fatal("restored node has a key written after the checkpoint")
	}
}
