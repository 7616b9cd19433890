package coordinator

import (
	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/version"
)

// ReplicaStore is what the replica side of the coordinator needs of this
// node's storage: the handlers of the internode methods that read and store
// its copies for other nodes (rpc.MethodReadDigests, MethodReadBatch,
// MethodMergeBatch, MethodHint) go through it and nothing else.
// *engine.Engine is the real one; memStore (memstore_test.go) is its
// in-memory twin, on which the handlers are tested in milliseconds.
//
// Every object carries the flush generation it was written in (see
// engine/flush.go): a store keeps only copies of its own generation, and
// moves to a newer one (flushing everything) before it stores a copy of it.
type ReplicaStore interface {
	// GetDigest returns this node's copy of key, whether it holds one, and
	// the copy's antientropy.Digest (0 when it holds none).
	GetDigest(key []byte) (o version.Object, found bool, digest uint64, err error)
	// Hinted returns the merge of the hints this node holds for key, for
	// whichever owners, and whether it holds any.
	Hinted(key []byte) (version.Object, bool, error)
	// MergeBatch merges each object into this node's copy of its key
	// (version.Merge), durably, as one batch. An object of an older flush
	// generation than the node's is dropped; one of a newer moves the node
	// to it first.
	MergeBatch(keys [][]byte, objs []version.Object) error
	// AddHint merges o into the hint this node keeps of key for owner, a
	// node that could not take it, with MergeBatch's generation rules.
	AddHint(owner string, key []byte, o version.Object) error
	// Generation is this node's flush generation.
	Generation() uint64
}

var _ ReplicaStore = (*engine.Engine)(nil)

// replica serves other nodes' reads and stores of this node's copies. It
// touches storage only through store, and hears of other nodes' flush
// generations through learn, so it runs on the in-memory twin.
type replica struct {
	store ReplicaStore
	learn func(gen uint64) // told each flush generation another node sends (Coordinator.learnGeneration)
}

// replica is c's replica side, over its engine.
func (c *Coordinator) replica() replica {
	return replica{store: c.eng, learn: c.learnGeneration}
}
