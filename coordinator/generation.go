package coordinator

import (
	"errors"
	"log/slog"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// Flush generations between nodes (see FlushAll and engine/flush.go). Every
// object carries the generation it was written in, so a copy of a key
// carries its own wherever it goes; a node stores only copies of its own
// generation. What the objects cannot say, the messages do:
//
//   - A reply to a request that stores copies (MethodMergeBatch,
//     MethodHint) is the receiver's generation: a copy of an older one was
//     dropped, not stored, and does not count toward a write's quorum.
//   - Requests and replies that read copies (MethodReadDigests,
//     MethodReadBatch) end with the sender's generation when it is not 0,
//     so that a replica holding nothing still says which generation its
//     "nothing" is of: a read ignores copies older than the newest
//     generation any replica answered from.
//
// A node that hears of a newer generation than its own missed a FLUSHALL
// (it failed part way through one, or this node was down or cut off then,
// or joined after): it flushes and moves to that generation.

// errFlushed says that a replica dropped a copy made before a FLUSHALL it
// has seen (see engine/flush.go).
var errFlushed = errors.New("coordinator: the replica has seen a FLUSHALL the copy predates")

// learnGeneration hears that another node is at flush generation gen. A
// node behind it missed a FLUSHALL (it failed part way, or this node joined
// after): it catches up, flushing, in the background.
func (c *Coordinator) learnGeneration(gen uint64) {
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

// generationReply is the flush generation a reply to a data-carrying
// request (MethodMergeBatch, MethodHint) carries: 0 for a node that sends
// none.
func generationReply(reply []byte) uint64 {
	r := wire.NewReader(reply)
	return r.Uvarint() // 0 for an empty reply, or one that is not a varint
}

// newestGeneration is the newest flush generation among objs.
func newestGeneration(objs []version.Object) uint64 {
	var gen uint64
	for _, o := range objs {
		gen = max(gen, engine.GenerationOf(o))
	}
	return gen
}

// appendGeneration ends a read request or reply with the sender's
// generation, when it is not 0.
func appendGeneration(b []byte, gen uint64) []byte {
	if gen == 0 {
		return b
	}
	return wire.AppendUvarint(b, gen)
}

// errZeroGeneration refuses a generation 0 that was sent: 0 is sent as
// nothing.
var errZeroGeneration = errors.New("generation 0 sent")

// readGeneration reads what follows a read request's or reply's items:
// nothing (generation 0) or the sender's generation. The message ends
// there: the caller checks r.Done.
func readGeneration(r *wire.Reader) uint64 {
	if r.Remaining() == 0 {
		return 0
	}
	g := r.Uvarint()
	if g == 0 && r.Err() == nil {
		r.Fail(errZeroGeneration)
	}
	return g
}
