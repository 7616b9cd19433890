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
func (c *Coordinator) FlushAll(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !c.Distributed() {
		return c.eng.Flush()
	}
	members := c.cfg.Cluster.Ring().Members()
	for _, m := range members {
		if !c.cfg.Cluster.Alive(m) {
			return fmt.Errorf("FLUSHALL needs every ring member up; %s is not", m)
		}
	}
	for _, m := range members {
		if m == c.cfg.Cluster.Self() {
			if err := c.eng.Flush(); err != nil {
				return err
			}
			continue
		}
		if _, err := c.call(ctx, m, MethodFlush, nil); err != nil {
			return fmt.Errorf("flush on %s: %w", m, err)
		}
	}
	return nil
}

// HandleFlush serves MethodFlush.
func (c *Coordinator) HandleFlush() ([]byte, error) { return nil, c.eng.Flush() }

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
