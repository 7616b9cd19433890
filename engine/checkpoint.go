package engine

import (
	"fmt"
	"os"

	"github.com/cockroachdb/pebble/v2"
)

// Checkpoint writes a consistent copy of the whole store (data, hints, node
// metadata) to dir, which must not exist yet: a backup that a node can be
// started from (with the same node name). Files are hard-linked where the
// file system allows, so a checkpoint is cheap until the store moves on.
func (e *Engine) Checkpoint(dir string) error {
	if err := e.disk.check(); err != nil {
		return err
	}
	if !e.acquire() {
		return ErrClosed
	}
	defer e.release()
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("checkpoint directory %s already exists", dir)
	}
	if err := e.db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("checkpoint to %s: %w", dir, err)
	}
	return nil
}
