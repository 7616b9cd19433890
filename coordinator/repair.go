package coordinator

import (
	"context"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/replica"
	"github.com/dynago/dynago/version"
)

// RepairKeys makes this node and peer agree on keys (anti-entropy repairs
// the keys an exchange found different): it reads peer's copies
// (rpc.MethodReadBatch), merges them into its own, and sends the merged
// objects back to peer where peer's copy lacked something. It returns how
// many copies it changed (here and on peer).
func (c *Coordinator) RepairKeys(ctx context.Context, peer string, keys [][]byte) (int, error) {
	addr, ok := c.cfg.Cluster.PeerAddr(peer)
	if !ok {
		return 0, errDown
	}
	repaired := 0
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), replica.MaxReadBatch)]
		keys = keys[len(chunk):]
		reply, err := c.cfg.Transport.Call(ctx, addr, rpc.MethodReadBatch, replica.EncodeReadBatch(chunk, c.eng.Generation()))
		if err != nil {
			return repaired, err
		}
		theirs, theirGen, err := replica.DecodeReadBatchReply(reply, len(chunk))
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
			reply, err := c.cfg.Transport.Call(ctx, addr, rpc.MethodMergeBatch, replica.EncodeBatch(pushKeys, pushObjs))
			if err != nil {
				return repaired, err
			}
			c.LearnGeneration(replica.GenerationReply(reply))
			repaired += len(pushKeys)
		}
	}
	return repaired, nil
}
