package coordinator

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/replica"
	"github.com/dynago/dynago/version"
)

// Replica requests to one peer are batched: while one batch of reads (or of
// merges) is on the wire to a peer, the requests for that peer that arrive
// meanwhile wait and leave together as the next batch, like a group commit.
// An idle peer adds no latency (a lone request leaves at once); a busy one
// costs a round trip, and on the peer one Pebble batch and one WAL sync, per
// batch instead of per key. A pipeline of 16 commands through one node thus
// sends each other replica a few requests, not 16.

// maxBatchItems bounds the requests of one batch.
const maxBatchItems = 256

type readResult struct {
	obj   version.Object
	found bool
	same  bool   // the peer's copy has the digest the reader sent (obj is unset)
	gen   uint64 // the peer's flush generation (see replica/messages.go)
	err   error
}

// A pending request's outcome is handed to its deliver function, on the
// sender's goroutine: deliver must not block. Nothing waits on a replica in
// a goroutine of its own.
type pendingRead struct {
	key     []byte
	digest  uint64 // of the reader's own copy; 0: it has none
	deliver func(readResult)
}

type pendingMerge struct {
	key     []byte
	obj     version.Object
	deliver func(error)
}

// peerBatcher batches the replica requests to one peer.
type peerBatcher struct {
	c    *Coordinator
	addr string

	mu     sync.Mutex // guards both queues
	reads  queue[*pendingRead]
	merges queue[*pendingMerge]

	// noDigests is set once the peer has answered that it does not know
	// MethodReadDigests; its reads then go as MethodReadBatch.
	noDigests atomic.Bool
}

// queue holds requests waiting for a batch; busy says a goroutine is
// sending its batches.
type queue[T any] struct {
	items []T
	busy  bool
}

// push queues p and reports whether the caller must start the sender.
func (q *queue[T]) push(p T) (start bool) {
	q.items = append(q.items, p)
	start = !q.busy
	q.busy = true
	return start
}

// next takes the next batch; when none is left it marks the queue idle and
// returns nil, and the sender stops.
func (q *queue[T]) next() []T {
	n := min(len(q.items), maxBatchItems)
	if n == 0 {
		q.busy = false
		return nil
	}
	batch := q.items[:n:n]
	q.items = q.items[n:]
	return batch
}

// nextBatch is q.next under b's lock.
func nextBatch[T any](b *peerBatcher, q *queue[T]) []T {
	b.mu.Lock()
	defer b.mu.Unlock()
	return q.next()
}

func (c *Coordinator) batcher(addr string) *peerBatcher {
	if b, ok := c.batchers.Load(addr); ok {
		return b.(*peerBatcher)
	}
	b, _ := c.batchers.LoadOrStore(addr, &peerBatcher{c: c, addr: addr})
	return b.(*peerBatcher)
}

// readAsync asks the peer for its object of key (with the hints it holds
// for it) and hands the outcome to deliver: the object, or (same) word that
// it has the given digest of the reader's own copy.
func (b *peerBatcher) readAsync(key []byte, digest uint64, deliver func(readResult)) {
	b.mu.Lock()
	start := b.reads.push(&pendingRead{key: key, digest: digest, deliver: deliver})
	b.mu.Unlock()
	if start {
		go b.sendReads()
	}
}

// mergeAsync stores obj in the peer's copy of key and hands the outcome to
// deliver.
func (b *peerBatcher) mergeAsync(key []byte, obj version.Object, deliver func(error)) {
	b.mu.Lock()
	start := b.merges.push(&pendingMerge{key: key, obj: obj, deliver: deliver})
	b.mu.Unlock()
	if start {
		go b.sendMerges()
	}
}

// merge is mergeAsync for a caller that waits, at most until ctx ends.
func (b *peerBatcher) merge(ctx context.Context, key []byte, obj version.Object) error {
	done := make(chan error, 1)
	b.mergeAsync(key, obj, func(err error) { done <- err })
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendReads sends the queued reads in batches until none are left.
func (b *peerBatcher) sendReads() {
	for batch := nextBatch(b, &b.reads); batch != nil; batch = nextBatch(b, &b.reads) {
		results, err := b.readBatch(batch)
		for i, p := range batch {
			if err != nil {
				p.deliver(readResult{err: err})
				continue
			}
			p.deliver(results[i])
		}
	}
}

// readBatch sends one batch of reads: with the reader's digests
// (rpc.MethodReadDigests), or, to a peer that does not know them, as a
// plain batch read (rpc.MethodReadBatch).
func (b *peerBatcher) readBatch(batch []*pendingRead) ([]readResult, error) {
	keys := make([][]byte, len(batch))
	for i, p := range batch {
		keys[i] = p.key
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.c.cfg.Timeout)
	defer cancel()
	gen := b.c.eng.Generation()
	if !b.noDigests.Load() {
		digests := make([]uint64, len(batch))
		for i, p := range batch {
			digests[i] = p.digest
		}
		reply, err := b.c.cfg.Transport.Call(ctx, b.addr, rpc.MethodReadDigests, replica.EncodeReadDigests(keys, digests, gen))
		var remote *RemoteError
		if !errors.As(err, &remote) || !rpc.IsUnknownMethod(remote.Msg) {
			if err != nil {
				return nil, err
			}
			replies, theirGen, err := replica.DecodeReadDigestsReply(reply, len(batch))
			if err != nil {
				return nil, err
			}
			results := make([]readResult, len(replies))
			for i, r := range replies {
				results[i] = readResult{obj: r.Object, found: r.Found, same: r.Same, gen: theirGen}
			}
			return results, nil
		}
		b.noDigests.Store(true)
	}
	reply, err := b.c.cfg.Transport.Call(ctx, b.addr, rpc.MethodReadBatch, replica.EncodeReadBatch(keys, gen))
	if err != nil {
		return nil, err
	}
	objs, theirGen, err := replica.DecodeReadBatchReply(reply, len(batch))
	if err != nil {
		return nil, err
	}
	results := make([]readResult, len(batch))
	for i, o := range objs {
		results[i] = readResult{obj: o, found: !isZero(o), gen: theirGen}
	}
	return results, nil
}

// sendMerges sends the queued merges in batches until none are left.
func (b *peerBatcher) sendMerges() {
	for batch := nextBatch(b, &b.merges); batch != nil; batch = nextBatch(b, &b.merges) {
		keys := make([][]byte, len(batch))
		objs := make([]version.Object, len(batch))
		for i, p := range batch {
			keys[i], objs[i] = p.key, p.obj
		}
		ctx, cancel := context.WithTimeout(context.Background(), b.c.cfg.Timeout)
		reply, err := b.c.cfg.Transport.Call(ctx, b.addr, rpc.MethodMergeBatch, replica.EncodeBatch(keys, objs))
		cancel()
		gen := replica.GenerationReply(reply)
		if err == nil {
			b.c.LearnGeneration(gen)
		}
		for _, p := range batch {
			if err == nil && engine.GenerationOf(p.obj) < gen {
				// The peer has seen a FLUSHALL this copy predates,
				// and dropped it.
				p.deliver(errFlushed)
				continue
			}
			p.deliver(err)
		}
	}
}

func isZero(o version.Object) bool { return len(o.Clock) == 0 && len(o.Siblings) == 0 }
