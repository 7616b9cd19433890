package coordinator

import (
	"context"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/replica"
)

// Reads of a big collection that one owner answers.
//
// A cluster's read of a collection merges what R owners hold of every
// element (ReadElements): the whole collection shipped and merged, however
// little the read asks for. Where R owners hold the same element records,
// their merge is the records of any one of them, and this node's own
// indexes answer the read exactly as a lone node's do: a sorted set's
// range, rank or count in O(log n + m). Whether they do is asked of their
// digests (engine.ElementsDigest, rpc.MethodElementsDigest): a digest
// round of a few bytes per owner instead of the collection. Where one
// differs (a write not yet everywhere, a replica behind), the read reads
// the collection whole, which also repairs the owners behind.

// indexServes reports whether this node's own records of the collection
// at key may answer a read made with opt, as a lone node's always do: in a
// cluster, when the collection is not small (a small one is as cheaply
// read whole, which also repairs) and R owners agree with this one
// (servedHere).
func (c *Coordinator) indexServes(ctx context.Context, key []byte, opt Options) (bool, error) {
	if !c.Distributed() {
		return true, nil
	}
	if large, err := c.eng.HasMoreElements(key, smallRecords); !large || err != nil {
		return false, err
	}
	return c.agreedHere(ctx, key, opt)
}

// agreedHere is servedHere, counting the reads it serves (Stats.
// CollectionReads; those it does not are counted by the whole read that
// follows, ReadElements).
func (c *Coordinator) agreedHere(ctx context.Context, key []byte, opt Options) (bool, error) {
	agreed, err := c.servedHere(ctx, key, opt)
	if agreed && err == nil {
		c.stats.ownerReads.Add(1)
	}
	return agreed, err
}

// CountElements answers HLEN or SCARD of the collection at key whose
// header resolved to h: how many of its element records are live, from
// this node's count of them (engine.CountElements), without reading them.
// It serves a collection that is not small, on a lone node, or in a
// cluster where R owners hold the same records (servedHere); served is
// false otherwise, and the collection is to be read whole.
func (c *Coordinator) CountElements(ctx context.Context, key []byte, h *op.Collection, opt Options) (n int64, served bool, err error) {
	if large, err := c.eng.HasMoreElements(key, smallRecords); !large || err != nil {
		return 0, false, err
	}
	if c.Distributed() {
		if agreed, err := c.agreedHere(ctx, key, opt); !agreed || err != nil {
			return 0, false, err
		}
	}
	n, err = c.eng.CountElements(key, h.Live)
	return n, true, err
}

// servedHere reports whether R of key's owners, this node among them, hold
// the same element records of key: this node's digest of them, and each
// other live owner's (asked at once, within the operation timeout), are
// equal, in one flush generation. The read is then answered from this
// node's records: every write acknowledged before it reached W owners,
// and so at least one of any R, and so all R that agree, this node too.
func (c *Coordinator) servedHere(ctx context.Context, key []byte, opt Options) (bool, error) {
	owners, mine := c.owners(key)
	if !mine {
		return false, nil
	}
	r, _ := c.quorums(opt)
	r = min(r, len(owners))
	own, err := c.eng.ElementsDigest(key)
	if err != nil {
		return false, err
	}
	gen := c.eng.Generation()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	same := make(chan bool, len(owners))
	asked := 0
	for _, name := range owners {
		if name == c.cfg.Cluster.Self() || !c.cfg.Cluster.Alive(name) {
			continue
		}
		asked++
		go func() {
			reply, err := c.call(ctx, name, rpc.MethodElementsDigest, replica.EncodeElementsDigest(key, gen))
			if err != nil {
				same <- false
				return
			}
			d, theirs, err := replica.DecodeElementsDigestReply(reply)
			if err == nil {
				c.LearnGeneration(theirs)
			}
			same <- err == nil && d == own && theirs == gen
		}()
	}
	agreed := 1 // this node
	for answered := 0; agreed < r && agreed+asked-answered >= r; answered++ {
		if <-same {
			agreed++
		}
	}
	return agreed >= r, nil
}
