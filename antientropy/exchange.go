package antientropy

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// Peer is the replica an exchange compares with. Call sends one request to
// the peer's Serve and returns its reply; the node implements it over its
// internode transport.
type Peer interface {
	Call(ctx context.Context, m rpc.Method, req []byte) ([]byte, error)
}

// Result says what an exchange compared, found and cost.
type Result struct {
	Partitions          int   // partitions compared
	PartitionsDiffering int   // partitions whose roots differed
	LeavesDiffering     int   // leaves whose values differed
	KeysDiffering       int   // keys handed to repair
	BytesSent           int64 // request payload bytes
	BytesReceived       int64 // reply payload bytes
}

// RepairBatch is the most keys Exchange passes to one repair call.
const RepairBatch = 1024

// Exchange compares the trees of the partitions parts, which this node and
// peer both hold, and passes every key on which they differ to repair, in
// batches of at most RepairBatch keys in ring order. A key differs when its
// digests differ or only one side has a record (a tombstone is a record).
// Repair is expected to read both copies and merge them; Exchange changes
// nothing itself. The keys passed to repair are its to keep.
//
// Exchange makes one call for the roots, then at most one call per tree
// level (split only past MaxNodeParents nodes), then one or more leaf-keys
// calls per MaxLeafBatch differing leaves. It stops at the first error from
// peer, store, repair or ctx, returning what it had counted so far; parts
// out of range is an error before any call. Duplicates in parts are
// compared once.
func Exchange(ctx context.Context, local *Trees, store Store, peer Peer, parts []int, repair func(ctx context.Context, keys [][]byte) error) (Result, error) {
	x := &exchange{ctx: ctx, local: local, store: store, peer: peer, repair: repair}
	err := x.run(parts)
	return x.res, err
}

// exchange is the initiator's state during one Exchange.
type exchange struct {
	ctx    context.Context
	local  *Trees
	store  Store
	peer   Peer
	repair func(ctx context.Context, keys [][]byte) error
	res    Result
	keys   [][]byte // differing keys not yet passed to repair
}

func (x *exchange) run(parts []int) error {
	parts = slices.Clone(parts)
	slices.Sort(parts)
	parts = slices.Compact(parts)
	if len(parts) > 0 && (parts[0] < 0 || parts[len(parts)-1] >= x.local.q) {
		return fmt.Errorf("antientropy: partitions %v out of range [0, %d)", parts, x.local.q)
	}
	x.res.Partitions = len(parts)
	if len(parts) == 0 {
		return nil
	}

	frontier, err := x.roots(parts)
	if err != nil {
		return err
	}
	x.res.PartitionsDiffering = len(frontier)
	for level := 1; level <= Depth && len(frontier) > 0; level++ {
		if frontier, err = x.descend(level, frontier); err != nil {
			return err
		}
	}

	var leaves []leafRef
	for _, g := range frontier {
		for _, l := range g.idx {
			leaves = append(leaves, leafRef{p: g.p, leaf: l})
		}
	}
	x.res.LeavesDiffering = len(leaves)
	for batch := range slices.Chunk(leaves, MaxLeafBatch) {
		if err := x.leafKeys(batch); err != nil {
			return err
		}
	}
	return x.flush(true)
}

// call sends one request to the peer, counting its bytes.
func (x *exchange) call(m rpc.Method, req []byte) ([]byte, error) {
	if err := x.ctx.Err(); err != nil {
		return nil, err
	}
	x.res.BytesSent += int64(len(req))
	reply, err := x.peer.Call(x.ctx, m, req)
	x.res.BytesReceived += int64(len(reply))
	if err != nil {
		return nil, fmt.Errorf("antientropy: %v: %w", m, err)
	}
	return reply, nil
}

// roots compares the roots of parts and returns the frontier for level 1:
// each differing partition with its root (node 0) as the parent.
func (x *exchange) roots(parts []int) ([]group, error) {
	reply, err := x.call(rpc.MethodRoots, encodeRoots(x.local.q, parts))
	if err != nil {
		return nil, err
	}
	remote, err := decodeHashes(reply, len(parts))
	if err != nil {
		return nil, fmt.Errorf("antientropy: roots reply: %w", err)
	}
	var frontier []group
	for i, p := range parts {
		if x.local.Root(p) != remote[i] {
			frontier = append(frontier, group{p: p, idx: []uint32{0}})
		}
	}
	return frontier, nil
}

// descend asks for the children (at level) of the frontier's nodes and
// returns the children that differ: the frontier one level down.
func (x *exchange) descend(level int, frontier []group) ([]group, error) {
	var next []group
	for _, batch := range splitGroups(frontier, MaxNodeParents) {
		total := 0
		for _, g := range batch {
			total += len(g.idx)
		}
		reply, err := x.call(rpc.MethodNodes, encodeNodes(x.local.q, level, batch))
		if err != nil {
			return nil, err
		}
		remote, err := decodeNodesReply(reply, total)
		if err != nil {
			return nil, fmt.Errorf("antientropy: nodes reply: %w", err)
		}
		var local []uint64
		for _, g := range batch {
			local = x.local.appendChildren(local, g.p, level, g.idx)
		}
		next = appendDiffering(next, batch, local, remote)
	}
	return next, nil
}

// appendDiffering compares the children of the parents in groups, local
// against remote (Fanout values per parent, in order), and appends the
// children that differ to next, merging with next's last group when it is of
// the same partition so partitions stay strictly ascending.
func appendDiffering(next []group, groups []group, local, remote []uint64) []group {
	i := 0
	for _, g := range groups {
		for _, parent := range g.idx {
			for c := range uint32(Fanout) {
				if local[i] != remote[i] {
					child := parent*Fanout + c
					if n := len(next); n > 0 && next[n-1].p == g.p {
						next[n-1].idx = append(next[n-1].idx, child)
					} else {
						next = append(next, group{p: g.p, idx: []uint32{child}})
					}
				}
				i++
			}
		}
	}
	return next
}

// splitGroups cuts groups into batches of at most max nodes, splitting a
// group across batches when needed.
func splitGroups(groups []group, max int) [][]group {
	var batches [][]group
	var batch []group
	n := 0
	for _, g := range groups {
		for len(g.idx) > 0 {
			take := min(len(g.idx), max-n)
			batch = append(batch, group{p: g.p, idx: g.idx[:take]})
			g.idx = g.idx[take:]
			if n += take; n == max {
				batches, batch, n = append(batches, batch), nil, 0
			}
		}
	}
	if len(batch) > 0 {
		batches = append(batches, batch)
	}
	return batches
}

// leafKeys fetches the peer's pairs of leaves, possibly over several calls
// when the peer answers in parts, and compares each leaf as soon as it is
// complete, so that at most one leaf's pairs are held across calls.
func (x *exchange) leafKeys(leaves []leafRef) error {
	width := x.local.leafWidth()
	var skip uint64
	var partial []pair // the peer's pairs of leaves[0], when it was answered in part
	for len(leaves) > 0 {
		reply, err := x.call(rpc.MethodLeafKeys, encodeLeafKeys(x.local.q, skip, leaves))
		if err != nil {
			return err
		}
		r, err := decodeLeafKeys(reply, len(leaves), width)
		if err == nil && r.done == 0 && r.resume <= skip {
			err = malformed("reply makes no progress")
		}
		if err != nil {
			return fmt.Errorf("antientropy: leaf-keys reply: %w", err)
		}
		// Sort the pairs into the leaves they belong to; a peer that sends a
		// key of a leaf it was not asked for (or has already completed) is
		// broken, and following it could repair arbitrary keys.
		answered := leaves[:min(r.done+1, len(leaves))]
		byLeaf := make([][]pair, len(answered))
		byLeaf[0] = partial
		for _, pr := range r.pairs {
			i, ok := x.leafIndex(answered, partition.Hash(pr.key))
			if !ok {
				return fmt.Errorf("antientropy: leaf-keys reply: %w", malformed("key %q outside the leaves asked for", pr.key))
			}
			byLeaf[i] = append(byLeaf[i], pr)
		}
		for i := range r.done {
			if err := x.compareLeaf(leaves[i], byLeaf[i]); err != nil {
				return err
			}
		}
		partial = nil
		if r.done < len(leaves) {
			partial = byLeaf[r.done]
		}
		leaves, skip = leaves[r.done:], r.resume
	}
	return nil
}

// leafIndex returns the index in leaves (ascending) of the leaf holding ring
// position h.
func (x *exchange) leafIndex(leaves []leafRef, h uint64) (int, bool) {
	p, leaf := x.local.locate(h)
	return slices.BinarySearchFunc(leaves, leafRef{p: p, leaf: uint32(leaf)}, func(a, b leafRef) int {
		if c := cmp.Compare(a.p, b.p); c != 0 {
			return c
		}
		return cmp.Compare(a.leaf, b.leaf)
	})
}

// compareLeaf scans leaf locally, compares its keys with the peer's pairs,
// and queues the keys that differ for repair.
func (x *exchange) compareLeaf(leaf leafRef, remote []pair) error {
	theirs := make(map[string]uint64, len(remote))
	for _, pr := range remote {
		theirs[string(pr.key)] = pr.digest
	}
	var differ [][]byte
	start, end := x.local.LeafRange(leaf.p, leaf.leaf)
	_, err := scan(x.store, start, end, func(key []byte, o version.Object) {
		d, ok := theirs[string(key)]
		if !ok || d != Digest(key, o) {
			differ = append(differ, bytes.Clone(key))
		}
		delete(theirs, string(key))
	}, nil)
	if err != nil {
		return err
	}
	for k := range theirs {
		differ = append(differ, []byte(k))
	}
	slices.SortFunc(differ, func(a, b []byte) int {
		if c := cmp.Compare(partition.Hash(a), partition.Hash(b)); c != 0 {
			return c
		}
		return bytes.Compare(a, b)
	})
	x.res.KeysDiffering += len(differ)
	x.keys = append(x.keys, differ...)
	return x.flush(false)
}

// flush passes the queued keys to repair, RepairBatch at a time; a last
// smaller batch only if all.
func (x *exchange) flush(all bool) error {
	for len(x.keys) >= RepairBatch || (all && len(x.keys) > 0) {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		n := min(len(x.keys), RepairBatch)
		if err := x.repair(x.ctx, x.keys[:n:n]); err != nil {
			return fmt.Errorf("antientropy: repair: %w", err)
		}
		x.keys = x.keys[n:]
	}
	if len(x.keys) == 0 {
		x.keys = nil // let the drained array go
	}
	return nil
}
