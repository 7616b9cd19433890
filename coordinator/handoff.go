package coordinator

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// Sloppy quorum and hinted handoff. When an owner of a key cannot be reached,
// its copy of a write goes to a stand-in: the next live node after the owners
// in the key's preference list, which keeps it as a hint naming the owner
// (apart from its own data) and hands it over once gossip shows the owner
// alive again. The stand-in's store counts toward W unless Config.Strict is
// set (then only owners count, like Riak's PW). Reads ask stand-ins too, and
// a stand-in answers with the hints it holds for the key, so a write that
// only reached stand-ins is still seen.
//
// Which stand-in takes which owner's copy, and whether its store counts, is
// package quorum's decision (quorum.Write, quorum.Read); replicas.go sends
// the hints it asks for and keeps those no stand-in can take.

// A write for an owner that is down goes to a stand-in as rpc.MethodHint;
// hints are delivered, and replica writes, read repairs and anti-entropy
// repairs sent, as rpc.MethodMergeBatch.

// HandleHint serves MethodHint: keep a write for an owner that is down. The
// reply is this node's flush generation: a write of an older one was
// dropped (see engine/flush.go).
func (c *Coordinator) HandleHint(req []byte) ([]byte, error) { return c.replica().hint(req) }

func (r replica) hint(req []byte) ([]byte, error) {
	owner, rest, err := decodeName(req)
	if err != nil {
		return nil, err
	}
	key, obj, err := decodeMerge(rest)
	if err != nil {
		return nil, err
	}
	if err := r.store.AddHint(owner, key, obj); err != nil {
		return nil, err
	}
	return wire.AppendUvarint(nil, r.store.Generation()), nil
}

// HandleMergeBatch serves MethodMergeBatch. The reply is this node's flush
// generation: the objects of an older one were dropped (see
// engine/flush.go).
func (c *Coordinator) HandleMergeBatch(req []byte) ([]byte, error) {
	return c.replica().mergeBatch(req)
}

func (r replica) mergeBatch(req []byte) ([]byte, error) {
	keys, objs, err := DecodeBatch(req)
	if err != nil {
		return nil, err
	}
	if err := r.store.MergeBatch(keys, objs); err != nil {
		return nil, err
	}
	return wire.AppendUvarint(nil, r.store.Generation()), nil
}

// hintBatchBytes bounds one delivery request.
const hintBatchBytes = 1 << 20

// HintStats are the hint counters DYNAGO STATUS and INFO show.
type HintStats struct {
	Pending   int64 // hints this node holds for other nodes
	HandedOff int64 // writes this node gave to stand-ins
	Delivered int64 // hints this node delivered to their owners
}

// Hints returns the hint counters.
func (c *Coordinator) Hints() HintStats {
	return HintStats{Pending: c.eng.Hints(), HandedOff: c.stats.hintsHandedOff.Load(), Delivered: c.stats.hintsDelivered.Load()}
}

// DeliverHints hands the hints this node holds to their owners that gossip
// shows alive, in batches, deleting each hint once its owner has stored it.
// A hint for a node that has left the ring goes to the key's current owners.
// It returns how many hints were delivered.
func (c *Coordinator) DeliverHints(ctx context.Context) (int, error) {
	if c.eng.Hints() == 0 || c.cfg.Cluster == nil {
		return 0, nil
	}
	ring := c.cfg.Cluster.Ring()
	members := ring.Members()
	self := c.cfg.Cluster.Self()
	type pending struct {
		hint  engine.Hint
		dests []string
	}
	var hints []pending
	perDest := map[string][]int{}
	err := c.eng.ScanHints(10000, func(h engine.Hint) bool {
		dests := []string{h.Owner}
		if !slices.Contains(members, h.Owner) {
			dests = ring.Owners(ring.PartitionOf(h.Key))
		}
		for _, d := range dests {
			if d != self && !c.cfg.Cluster.Alive(d) {
				return true // not deliverable yet
			}
		}
		for _, d := range dests {
			perDest[d] = append(perDest[d], len(hints))
		}
		hints = append(hints, pending{hint: h, dests: dests})
		return true
	})
	if err != nil {
		return 0, err
	}
	failed := make([]bool, len(hints))
	for dest, idx := range perDest {
		for len(idx) > 0 {
			var keys [][]byte
			var objs []version.Object
			size, n := 0, 0
			for n < len(idx) && (n == 0 || size < hintBatchBytes) {
				h := hints[idx[n]].hint
				keys, objs = append(keys, h.Key), append(objs, h.Object)
				size += len(h.Key) + 64
				for _, s := range h.Object.Siblings {
					size += len(s.Value)
				}
				n++
			}
			var err error
			if dest == self {
				err = c.eng.MergeBatch(keys, objs)
			} else if addr, ok := c.cfg.Cluster.PeerAddr(dest); !ok {
				err = errDown
			} else {
				cctx, cancel := context.WithTimeout(ctx, 4*c.cfg.Timeout)
				var reply []byte
				reply, err = c.cfg.Transport.Call(cctx, addr, rpc.MethodMergeBatch, EncodeBatch(keys, objs))
				cancel()
				// Hints older than the owner's generation were dropped
				// there, rightly (they predate a FLUSHALL): they go too.
				c.learnGeneration(generationReply(reply))
			}
			if err != nil {
				slog.Debug("hint delivery failed", "to", dest, "err", err)
				for _, i := range idx[:n] {
					failed[i] = true
				}
			}
			idx = idx[n:]
		}
	}
	delivered := 0
	for i, p := range hints {
		if failed[i] {
			continue
		}
		if err := c.eng.DeleteHint(p.hint.Owner, p.hint.Key, p.hint.Object); err != nil {
			return delivered, err
		}
		delivered++
	}
	if delivered > 0 {
		c.stats.hintsDelivered.Add(int64(delivered))
		slog.Info("hints delivered", "count", delivered, "pending", c.eng.Hints())
	}
	return delivered, nil
}

// RunHintDelivery delivers hints every interval until ctx ends.
func (c *Coordinator) RunHintDelivery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	// A failure that lasts (a disk that refuses writes) is logged once a
	// minute with the number of rounds it failed, not once a round.
	var lastLog time.Time
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			_, err := c.DeliverHints(ctx)
			if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, engine.ErrClosed) {
				continue
			}
			failures++
			if now.Sub(lastLog) >= time.Minute {
				slog.Warn("hint delivery", "err", err, "failed_rounds", failures)
				lastLog, failures = now, 0
			}
		}
	}
}

// encodeHint is a merge request (see encodeMerge) prefixed with the owner
// the hint is for, length-prefixed.
func encodeHint(owner string, key []byte, o version.Object) []byte {
	b := wire.AppendString(make([]byte, 0, len(owner)+len(key)+64), owner)
	return appendMerge(b, key, o)
}

// decodeName splits a hint's owner off the merge request that follows.
func decodeName(b []byte) (string, []byte, error) {
	r := wire.NewReader(b)
	owner := r.String()
	if err := r.Err(); err != nil {
		return "", nil, malformed("hint", err)
	}
	return owner, r.Rest(), nil
}

// EncodeBatch encodes keys and their objects for MethodMergeBatch: a count,
// then each key and its object (version's binary form), both
// length-prefixed.
func EncodeBatch(keys [][]byte, objs []version.Object) []byte {
	size := wire.MaxVarintLen
	for i, k := range keys {
		size += 2*wire.MaxVarintLen + len(k) + objs[i].MaxBinaryLen()
	}
	b := wire.AppendUvarint(make([]byte, 0, size), uint64(len(keys)))
	var scratch []byte
	for i, k := range keys {
		b = wire.AppendBytes(b, k)
		scratch = objs[i].AppendBinary(scratch[:0])
		b = wire.AppendBytes(b, scratch)
	}
	return b
}

// DecodeBatch decodes EncodeBatch's output. The keys alias b.
func DecodeBatch(b []byte) ([][]byte, []version.Object, error) {
	r := wire.NewReader(b)
	n := r.Count(2)
	if err := r.Err(); err != nil {
		return nil, nil, malformed("batch", err)
	}
	keys := make([][]byte, 0, n)
	objs := make([]version.Object, 0, n)
	for range n {
		key := r.Bytes()
		enc := r.Bytes()
		if err := r.Err(); err != nil {
			return nil, nil, malformed("batch", err)
		}
		o, err := version.DecodeObject(enc)
		if err != nil {
			return nil, nil, err
		}
		keys, objs = append(keys, key), append(objs, o)
	}
	if err := r.Done(); err != nil {
		return nil, nil, malformed("batch", err)
	}
	return keys, objs, nil
}
