package coordinator

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// Whole-keyspace operations (SCAN, KEYS, DBSIZE, FLUSHALL) cover every
// partition exactly once across the cluster: each partition is asked of one
// live owner, this node when it is one. A SCAN cursor is a ring position, so
// a cursor from one node is valid on any other.

const (
	// MethodScan asks an owner for the live keys of a hash range.
	MethodScan Method = 16 + iota
	// MethodCount asks a node for its live-key count of some partitions.
	MethodCount
	// MethodFlush asks a node to remove every key it holds.
	MethodFlush
)

func liveAt(o version.Object, nowMs int64) bool {
	for _, s := range o.Siblings {
		if !s.Expired(nowMs) {
			return true
		}
	}
	return false
}

// scanLocal collects the live keys of [cursor, end) on this node.
func (c *Coordinator) scanLocal(cursor, end uint64, count int) ([][]byte, uint64, error) {
	now := c.cfg.Now().UnixMilli()
	var keys [][]byte
	next, err := c.eng.ScanRange(cursor, end, count, func(key []byte, o version.Object) bool {
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
	req := binary.BigEndian.AppendUint64(nil, from)
	req = binary.BigEndian.AppendUint64(req, end)
	req = binary.AppendUvarint(req, uint64(count))
	resp, err := c.call(ctx, node, MethodScan, req)
	if err != nil {
		return nil, 0, err
	}
	return decodeScanReply(resp)
}

// HandleScan serves MethodScan.
func (c *Coordinator) HandleScan(req []byte) ([]byte, error) {
	if len(req) < 17 {
		return nil, fmt.Errorf("coordinator: malformed scan request")
	}
	from, end := binary.BigEndian.Uint64(req), binary.BigEndian.Uint64(req[8:])
	count, w := binary.Uvarint(req[16:])
	if w <= 0 || count == 0 || count > 1<<20 {
		return nil, fmt.Errorf("coordinator: malformed scan request")
	}
	keys, next, err := c.scanLocal(from, end, int(count))
	if err != nil {
		return nil, err
	}
	out := binary.BigEndian.AppendUint64(nil, next)
	out = binary.AppendUvarint(out, uint64(len(keys)))
	for _, k := range keys {
		out = binary.AppendUvarint(out, uint64(len(k)))
		out = append(out, k...)
	}
	return out, nil
}

func decodeScanReply(b []byte) ([][]byte, uint64, error) {
	bad := fmt.Errorf("coordinator: malformed scan reply")
	if len(b) < 9 {
		return nil, 0, bad
	}
	next := binary.BigEndian.Uint64(b)
	b = b[8:]
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)) {
		return nil, 0, bad
	}
	b = b[w:]
	keys := make([][]byte, 0, n)
	for i := uint64(0); i < n; i++ {
		l, w := binary.Uvarint(b)
		if w <= 0 || l > uint64(len(b)-w) {
			return nil, 0, bad
		}
		keys = append(keys, append([]byte(nil), b[w:w+int(l)]...))
		b = b[w+int(l):]
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
		req := binary.AppendUvarint(nil, uint64(len(parts)))
		for _, p := range parts {
			req = binary.AppendUvarint(req, uint64(p))
		}
		resp, err := c.call(ctx, node, MethodCount, req)
		if err != nil {
			return 0, err
		}
		n, w := binary.Uvarint(resp)
		if w <= 0 {
			return 0, fmt.Errorf("coordinator: malformed count reply")
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

// HandleCount serves MethodCount.
func (c *Coordinator) HandleCount(req []byte) ([]byte, error) {
	n, w := binary.Uvarint(req)
	if w <= 0 || n > uint64(len(req)) {
		return nil, fmt.Errorf("coordinator: malformed count request")
	}
	req = req[w:]
	parts := make([]int, 0, n)
	for i := uint64(0); i < n; i++ {
		p, w := binary.Uvarint(req)
		if w <= 0 {
			return nil, fmt.Errorf("coordinator: malformed count request")
		}
		parts = append(parts, int(p))
		req = req[w:]
	}
	return binary.AppendUvarint(nil, uint64(c.countLocal(parts))), nil
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
		reply, err := c.call(ctx, m, MethodFlush, []byte{flushAsk})
		if err != nil {
			return fmt.Errorf("flush on %s: %w", m, err)
		}
		g, w := binary.Uvarint(reply)
		if w <= 0 {
			return fmt.Errorf("flush on %s: malformed generation", m)
		}
		gen = max(gen, g)
	}
	gen++
	req := binary.AppendUvarint([]byte{flushTo}, gen)
	for _, m := range members {
		if m == self {
			if _, err := c.eng.Adopt(gen); err != nil {
				return err
			}
			continue
		}
		if _, err := c.call(ctx, m, MethodFlush, req); err != nil {
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

// HandleFlush serves MethodFlush.
func (c *Coordinator) HandleFlush(req []byte) ([]byte, error) {
	switch {
	case len(req) == 0:
		if _, err := c.eng.Adopt(c.eng.Generation() + 1); err != nil {
			return nil, err
		}
	case req[0] == flushAsk:
	case req[0] == flushTo:
		gen, w := binary.Uvarint(req[1:])
		if w <= 0 || gen == 0 {
			return nil, fmt.Errorf("coordinator: malformed flush request")
		}
		if _, err := c.eng.Adopt(gen); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("coordinator: unknown flush request %d", req[0])
	}
	return binary.AppendUvarint(nil, c.eng.Generation()), nil
}

// call sends one request to a member by name, within the operation timeout.
func (c *Coordinator) call(ctx context.Context, name string, m Method, req []byte) ([]byte, error) {
	addr, ok := c.cfg.Cluster.PeerAddr(name)
	if !ok {
		return nil, fmt.Errorf("coordinator: no address for %s", name)
	}
	cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	return c.cfg.Transport.Call(cctx, addr, m, req)
}
