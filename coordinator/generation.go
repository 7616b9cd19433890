package coordinator

import (
	"errors"
	"log/slog"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/version"
)

// Flush generations between nodes (see FlushAll and engine/flush.go). Every
// object carries the generation it was written in, so a copy of a key
// carries its own wherever it goes; a node stores only copies of its own
// generation. What the objects cannot say, the replica methods' messages
// do (replica/messages.go): a store's reply is the receiver's generation,
// and a read's request and reply end with the sender's. A node that hears
// of a newer generation than its own missed a FLUSHALL (it failed part way
// through one, or this node was down or cut off then, or joined after): it
// flushes and moves to that generation (LearnGeneration).

// errFlushed says that a replica dropped a copy made before a FLUSHALL it
// has seen (see engine/flush.go).
var errFlushed = errors.New("coordinator: the replica has seen a FLUSHALL the copy predates")

// LearnGeneration hears that another node is at flush generation gen. A
// node behind it missed a FLUSHALL (it failed part way, or this node joined
// after): it catches up, flushing, in the background. The coordinator's own
// requests tell it what they hear; so do this node's replica server
// (replica.NewServer) and hint delivery (handoff.Config.Learn).
func (c *Coordinator) LearnGeneration(gen uint64) {
	for {
		heard := c.heardGen.Load()
		if gen <= heard || c.heardGen.CompareAndSwap(heard, gen) {
			break
		}
	}
	if gen <= c.eng.Generation() {
		return
	}
	go func() {
		flushed, err := c.eng.Adopt(gen)
		switch {
		case err != nil:
			slog.Warn("cannot catch up with a FLUSHALL another node has seen", "generation", gen, "err", err)
		case flushed:
			slog.Info("this node missed a FLUSHALL another node has seen; flushed to catch up", "generation", gen)
		}
	}()
}

// catchUp moves this node to the newest flush generation it has heard of,
// now, if it is behind it.
func (c *Coordinator) catchUp() error {
	if gen := c.heardGen.Load(); gen > c.eng.Generation() {
		if _, err := c.eng.Adopt(gen); err != nil {
			return err
		}
	}
	return nil
}

// newestGeneration is the newest flush generation among objs.
func newestGeneration(objs []version.Object) uint64 {
	var gen uint64
	for _, o := range objs {
		gen = max(gen, engine.GenerationOf(o))
	}
	return gen
}
