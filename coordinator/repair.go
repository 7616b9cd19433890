package coordinator

import (
	"context"
	"fmt"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// A request of rpc.MethodReadBatch asks a replica for its objects of many
// keys (anti-entropy repairs read the keys an exchange found different).

// maxReadBatch bounds the keys of one MethodReadBatch request.
const maxReadBatch = 4096

// RepairKeys makes this node and peer agree on keys: it reads peer's copies,
// merges them into its own, and sends the merged objects back to peer where
// peer's copy lacked something. It returns how many copies it changed (here
// and on peer).
func (c *Coordinator) RepairKeys(ctx context.Context, peer string, keys [][]byte) (int, error) {
	addr, ok := c.cfg.Cluster.PeerAddr(peer)
	if !ok {
		return 0, errDown
	}
	repaired := 0
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), maxReadBatch)]
		keys = keys[len(chunk):]
		reply, err := c.cfg.Transport.Call(ctx, addr, rpc.MethodReadBatch, appendGeneration(encodeKeys(chunk), c.eng.Generation()))
		if err != nil {
			return repaired, err
		}
		theirs, theirGen, err := decodeObjects(reply, len(chunk))
		if err != nil {
			return repaired, err
		}
		// Copies of different flush generations: the older predates a
		// FLUSHALL the other side has seen and counts as nothing. This
		// node catches up first if it is the one behind; a peer that is
		// behind does when it is sent this node's copies.
		if _, err := c.eng.Adopt(max(theirGen, newestGeneration(theirs))); err != nil {
			return repaired, err
		}
		gen := c.eng.Generation()
		var mineKeys, pushKeys [][]byte
		var mineObjs, pushObjs []version.Object
		for i, key := range chunk {
			local, _, err := c.eng.Get(key)
			if err != nil {
				return repaired, err
			}
			their := theirs[i]
			if engine.GenerationOf(their) != gen {
				their = version.Object{}
			}
			merged := version.Merge(local, their)
			if !merged.Equal(local) {
				mineKeys, mineObjs = append(mineKeys, key), append(mineObjs, their)
			}
			if !isZero(merged) && !merged.Equal(theirs[i]) {
				pushKeys, pushObjs = append(pushKeys, key), append(pushObjs, merged)
			}
		}
		if err := c.eng.MergeBatch(mineKeys, mineObjs); err != nil {
			return repaired, err
		}
		repaired += len(mineKeys)
		if len(pushKeys) > 0 {
			reply, err := c.cfg.Transport.Call(ctx, addr, rpc.MethodMergeBatch, EncodeBatch(pushKeys, pushObjs))
			if err != nil {
				return repaired, err
			}
			c.learnGeneration(generationReply(reply))
			repaired += len(pushKeys)
		}
	}
	return repaired, nil
}

// HandleReadBatch serves MethodReadBatch: this node's objects of the keys,
// merged with the hints it holds for them (a stand-in answers for an owner
// it holds hints for), each length-prefixed (length 0 for a key it holds
// nothing of), then this node's flush generation (read first).
func (c *Coordinator) HandleReadBatch(req []byte) ([]byte, error) {
	return c.replica().readBatch(req)
}

func (r replica) readBatch(req []byte) ([]byte, error) {
	keys, readerGen, err := decodeKeys(req)
	if err != nil {
		return nil, err
	}
	r.learn(readerGen)
	gen := r.store.Generation()
	var out, scratch []byte
	for _, k := range keys {
		o, found, _, err := r.copyOf(k)
		if err != nil {
			return nil, err
		}
		scratch = scratch[:0]
		if found {
			scratch = o.AppendBinary(scratch)
		}
		out = wire.AppendBytes(out, scratch)
	}
	return appendGeneration(out, gen), nil
}

// encodeKeys encodes a MethodReadBatch request's keys: a count, then each
// key length-prefixed.
func encodeKeys(keys [][]byte) []byte {
	size := wire.MaxVarintLen
	for _, k := range keys {
		size += 5 + len(k)
	}
	b := wire.AppendUvarint(make([]byte, 0, size), uint64(len(keys)))
	for _, k := range keys {
		b = wire.AppendBytes(b, k)
	}
	return b
}

// errTooManyKeys refuses a read of more than maxReadBatch keys.
var errTooManyKeys = fmt.Errorf("more than %d keys", maxReadBatch)

// decodeKeys decodes a MethodReadBatch request: its keys and the reader's
// flush generation.
func decodeKeys(b []byte) ([][]byte, uint64, error) {
	r := wire.NewReader(b)
	n := r.Count(1)
	if n > maxReadBatch {
		r.Fail(errTooManyKeys)
	}
	if err := r.Err(); err != nil {
		return nil, 0, malformed("key list", err)
	}
	keys := make([][]byte, 0, n)
	for range n {
		keys = append(keys, r.Bytes())
	}
	gen := readGeneration(&r)
	if err := r.Done(); err != nil {
		return nil, 0, malformed("key list", err)
	}
	return keys, gen, nil
}

// decodeObjects decodes a MethodReadBatch reply for n keys: the objects
// (each length-prefixed; empty for a key the replica holds nothing of) and
// the replica's flush generation.
func decodeObjects(b []byte, n int) ([]version.Object, uint64, error) {
	r := wire.NewReader(b)
	objs := make([]version.Object, 0, n)
	for len(objs) < n && r.Err() == nil {
		var o version.Object
		if enc := r.Bytes(); len(enc) > 0 {
			var err error
			if o, err = version.DecodeObject(enc); err != nil {
				return nil, 0, err
			}
		}
		objs = append(objs, o)
	}
	gen := readGeneration(&r)
	if err := r.Done(); err != nil {
		return nil, 0, malformed("batch read reply", err)
	}
	return objs, gen, nil
}
