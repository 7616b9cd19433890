package coordinator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// Whole-keyspace operations (SCAN, KEYS, DBSIZE, FLUSHALL) cover every
// partition exactly once across the cluster: each partition is asked of one
// live owner, this node when it is one. A SCAN cursor is a ring position, so
// a cursor from one node is valid on any other. Their internode methods
// are rpc.MethodScan, rpc.MethodCount and rpc.MethodFlush.

func liveAt(o version.Object, nowMs int64) bool {
	for _, s := range o.Siblings {
		if !s.Expired(nowMs) {
			return true
		}
	}
	return false
}

// scanLocal collects the live keys of [cursor, end) on this node (not the
// records of a hash's fields).
func (c *Coordinator) scanLocal(cursor, end uint64, count int) ([][]byte, uint64, error) {
	now := c.cfg.Now().UnixMilli()
	var keys [][]byte
	next, err := c.eng.ScanKeys(cursor, end, count, func(key []byte, o version.Object) bool {
		if liveAt(o, now) {
			keys = append(keys, append([]byte(nil), key...))
		}
		return true
	})
	return keys, next, err
}

// ScanKeys returns live keys in ring order from ring position cursor, having
// visited about count stored keys, and the cursor to resume from (0 once the
// whole ring has been visited).
func (c *Coordinator) ScanKeys(ctx context.Context, cursor uint64, count int) ([][]byte, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if !c.Distributed() {
		return c.scanLocal(cursor, 0, count)
	}
	ring := c.cfg.Cluster.Ring()
	q := ring.Q()
	var keys [][]byte
	for {
		p := partition.Of(cursor, q)
		_, end := ring.Range(p)
		got, next, err := c.scanPartition(ctx, p, cursor, end, max(1, count-len(keys)))
		if err != nil {
			return nil, 0, err
		}
		keys = append(keys, got...)
		switch {
		case next != 0:
			return keys, next, nil // the partition has more
		case end == 0:
			return keys, 0, nil // the last partition is done
		}
		cursor = end
		if len(keys) >= count {
			return keys, cursor, nil
		}
	}
}

// ownerFor picks the node that answers for partition p: this node if it is
// an owner, else the first live owner.
func (c *Coordinator) ownerFor(p int) (string, error) {
	owners := c.cfg.Cluster.Ring().Owners(p)
	self := c.cfg.Cluster.Self()
	if slices.Contains(owners, self) {
		return self, nil
	}
	for _, o := range owners {
		if c.cfg.Cluster.Alive(o) {
			return o, nil
		}
	}
	return "", &NoQuorumError{Op: "read", Answered: 0, Needed: 1, Replicas: len(owners)}
}

func (c *Coordinator) scanPartition(ctx context.Context, p int, from, end uint64, count int) ([][]byte, uint64, error) {
	node, err := c.ownerFor(p)
	if err != nil {
		return nil, 0, err
	}
	if node == c.cfg.Cluster.Self() {
		return c.scanLocal(from, end, count)
	}
	resp, err := c.call(ctx, node, rpc.MethodScan, encodeScan(from, end, count))
	if err != nil {
		return nil, 0, err
	}
	return decodeScanReply(resp)
}

// maxScanCount bounds the keys one MethodScan request visits.
const maxScanCount = 1 << 20

// encodeScan encodes a MethodScan request: the range [from, end) as two
// 8-byte big-endian ring positions (end 0: the end of the ring), then how
// many stored keys to visit.
func encodeScan(from, end uint64, count int) []byte {
	req := wire.AppendUint64(make([]byte, 0, 16+wire.MaxVarintLen), from)
	req = wire.AppendUint64(req, end)
	return wire.AppendUvarint(req, uint64(count))
}

// decodeScan decodes encodeScan's output.
func decodeScan(req []byte) (from, end uint64, count int, err error) {
	r := wire.NewReader(req)
	from, end = r.Uint64(), r.Uint64()
	n := r.Uvarint()
	if r.Err() == nil && (n == 0 || n > maxScanCount) {
		r.Fail(fmt.Errorf("count %d out of range [1, %d]", n, maxScanCount))
	}
	if err := r.Done(); err != nil {
		return 0, 0, 0, malformed("scan request", err)
	}
	return from, end, int(n), nil
}

// HandleScan serves MethodScan. The reply is the cursor to resume from (8
// bytes big-endian, 0 when the range is done), then the live keys found: a
// count, then each key length-prefixed.
func (c *Coordinator) HandleScan(req []byte) ([]byte, error) {
	from, end, count, err := decodeScan(req)
	if err != nil {
		return nil, err
	}
	keys, next, err := c.scanLocal(from, end, count)
	if err != nil {
		return nil, err
	}
	out := wire.AppendUint64(nil, next)
	out = wire.AppendUvarint(out, uint64(len(keys)))
	for _, k := range keys {
		out = wire.AppendBytes(out, k)
	}
	return out, nil
}

// decodeScanReply decodes a MethodScan reply: the keys (copies) and the
// cursor to resume from.
func decodeScanReply(b []byte) ([][]byte, uint64, error) {
	r := wire.NewReader(b)
	next := r.Uint64()
	n := r.Count(1)
	if err := r.Err(); err != nil {
		return nil, 0, malformed("scan reply", err)
	}
	keys := make([][]byte, 0, n)
	for range n {
		keys = append(keys, bytes.Clone(r.Bytes()))
	}
	if err := r.Done(); err != nil {
		return nil, 0, malformed("scan reply", err)
	}
	return keys, next, nil
}

// Len is the number of live keys in the cluster (DBSIZE): each partition's
// count from one of its owners.
func (c *Coordinator) Len(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !c.Distributed() {
		return c.eng.Len(), nil
	}
	byNode := map[string][]int{}
	for p := 0; p < c.cfg.Cluster.Ring().Q(); p++ {
		node, err := c.ownerFor(p)
		if err != nil {
			return 0, err
		}
		byNode[node] = append(byNode[node], p)
	}
	var total int64
	for node, parts := range byNode {
		if node == c.cfg.Cluster.Self() {
			total += c.countLocal(parts)
			continue
		}
		resp, err := c.call(ctx, node, rpc.MethodCount, encodeCount(parts))
		if err != nil {
			return 0, err
		}
		r := wire.NewReader(resp)
		n := r.Uvarint()
		if err := r.Done(); err != nil {
			return 0, malformed("count reply", err)
		}
		total += int64(n)
	}
	return total, nil
}

func (c *Coordinator) countLocal(parts []int) int64 {
	var n int64
	for _, p := range parts {
		n += c.eng.LenOf(p)
	}
	return n
}

// encodeCount encodes a MethodCount request: a count, then the partitions.
func encodeCount(parts []int) []byte {
	req := wire.AppendUvarint(make([]byte, 0, wire.MaxVarintLen+3*len(parts)), uint64(len(parts)))
	for _, p := range parts {
		req = wire.AppendUvarint(req, uint64(p))
	}
	return req
}

// HandleCount serves MethodCount. The reply is the live-key count of the
// partitions (an unsigned varint).
func (c *Coordinator) HandleCount(req []byte) ([]byte, error) {
	r := wire.NewReader(req)
	n := r.Count(1)
	parts := make([]int, 0, n)
	for range n {
		parts = append(parts, int(r.Uvarint())) // one out of range counts 0
	}
	if err := r.Done(); err != nil {
		return nil, malformed("count request", err)
	}
	return wire.AppendUvarint(nil, uint64(c.countLocal(parts))), nil
}

// FlushAll removes every key on every ring member. Every member must be up:
// a member that missed the flush would bring its keys back through repair.
//
// The members are flushed one after the other while copies of keys travel
// between them (a replica's copy of a write, a read repair, a hint, an
// anti-entropy repair, a partition transfer), so FLUSHALL is fenced: it
// first asks every member for its flush generation, then moves every member
// to one past the highest. A member drops every object of an older
// generation than its own, so a copy made before it was flushed cannot
// bring a key back after; each write is stamped with its coordinator's
// generation (see engine/flush.go). A write acknowledged after FLUSHALL
// returns is of the new generation on every replica that acknowledged it.
func (c *Coordinator) FlushAll(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.cfg.Cluster == nil {
		return c.eng.Flush() // no other node holds copies
	}
	if !c.Distributed() {
		_, err := c.eng.Adopt(c.eng.Generation() + 1)
		return err
	}
	members := c.cfg.Cluster.Ring().Members()
	for _, m := range members {
		if !c.cfg.Cluster.Alive(m) {
			return fmt.Errorf("FLUSHALL needs every ring member up; %s is not", m)
		}
	}
	self := c.cfg.Cluster.Self()
	// One past every member's generation, so that every member flushes
	// (two FLUSHALLs at once may choose the same: each member then
	// flushes once, after both began, which serves both).
	gen := c.eng.Generation()
	for _, m := range members {
		if m == self {
			continue
		}
		reply, err := c.call(ctx, m, rpc.MethodFlush, []byte{flushAsk})
		if err != nil {
			return fmt.Errorf("flush on %s: %w", m, err)
		}
		g, err := decodeFlushReply(reply)
		if err != nil {
			return fmt.Errorf("flush on %s: %w", m, err)
		}
		gen = max(gen, g)
	}
	gen++
	req := wire.AppendUvarint([]byte{flushTo}, gen)
	for _, m := range members {
		if m == self {
			if _, err := c.eng.Adopt(gen); err != nil {
				return err
			}
			continue
		}
		if _, err := c.call(ctx, m, rpc.MethodFlush, req); err != nil {
			return fmt.Errorf("flush on %s: %w", m, err)
		}
	}
	return nil
}

// MethodFlush requests: a generation to move to (flushTo, then the
// generation), or a question (flushAsk). The reply is the node's generation
// afterwards. An empty request, from a node that knows no generations,
// flushes into the next generation.
const (
	flushAsk byte = 1
	flushTo  byte = 2
)

// errZeroGeneration refuses a generation 0 that was sent: 0 is sent as
// nothing.
var errZeroGeneration = errors.New("generation 0 sent")

// HandleFlush serves MethodFlush.
func (c *Coordinator) HandleFlush(req []byte) ([]byte, error) {
	if len(req) == 0 {
		if _, err := c.eng.Adopt(c.eng.Generation() + 1); err != nil {
			return nil, err
		}
		return wire.AppendUvarint(nil, c.eng.Generation()), nil
	}
	r := wire.NewReader(req)
	switch tag := r.Byte(); tag {
	case flushAsk:
		if err := r.Done(); err != nil {
			return nil, malformed("flush request", err)
		}
	case flushTo:
		gen := r.Uvarint()
		if gen == 0 && r.Err() == nil {
			r.Fail(errZeroGeneration)
		}
		if err := r.Done(); err != nil {
			return nil, malformed("flush request", err)
		}
		if _, err := c.eng.Adopt(gen); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("coordinator: unknown flush request %d", tag)
	}
	return wire.AppendUvarint(nil, c.eng.Generation()), nil
}

// decodeFlushReply decodes a MethodFlush reply: the node's generation.
func decodeFlushReply(reply []byte) (uint64, error) {
	r := wire.NewReader(reply)
	g := r.Uvarint()
	if err := r.Done(); err != nil {
		return 0, malformed("flush reply", err)
	}
	return g, nil
}

// call sends one request to a member by name, within the operation timeout.
func (c *Coordinator) call(ctx context.Context, name string, m rpc.Method, req []byte) ([]byte, error) {
	addr, ok := c.cfg.Cluster.PeerAddr(name)
	if !ok {
		return nil, fmt.Errorf("coordinator: no address for %s", name)
	}
	cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	return c.cfg.Transport.Call(cctx, addr, m, req)
}

// SlotKeys returns up to count live keys of a hash slot, read from one live
// owner of the slot's partition (this node when it is one).
func (c *Coordinator) SlotKeys(ctx context.Context, slot, count int) ([][]byte, error) {
	var keys [][]byte
	err := c.walkSlot(ctx, slot, func(got [][]byte) bool {
		keys = append(keys, got...)
		return len(keys) < count
	}, count)
	if len(keys) > count {
		keys = keys[:count]
	}
	return keys, err
}

// CountSlot counts the live keys of a hash slot, as SlotKeys finds them.
func (c *Coordinator) CountSlot(ctx context.Context, slot int) (int64, error) {
	var n int64
	err := c.walkSlot(ctx, slot, func(got [][]byte) bool {
		n += int64(len(got))
		return true
	}, 1024)
	return n, err
}

// walkSlot scans a slot's ring positions in chunks of about batch stored
// keys, handing each chunk's live keys to fn until fn returns false.
func (c *Coordinator) walkSlot(ctx context.Context, slot int, fn func([][]byte) bool, batch int) error {
	from, end := partition.SlotStart(slot), partition.SlotStart(slot+1) // 0 past the last slot: 2^64
	batch = max(1, min(batch, maxScanCount))
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var got [][]byte
		var next uint64
		var err error
		if c.Distributed() {
			got, next, err = c.scanPartition(ctx, partition.Of(from, c.cfg.Cluster.Ring().Q()), from, end, batch)
		} else {
			got, next, err = c.scanLocal(from, end, batch)
		}
		if err != nil {
			return err
		}
		if !fn(got) || next == 0 {
			return nil
		}
		from = next
	}
}
