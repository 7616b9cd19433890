package antientropy

import (
	"fmt"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// Store is what the exchange reads of the storage engine: its range scan.
// ScanRange visits stored records (tombstones included) in ring order from
// position cursor (inclusive) up to end (exclusive, 0 = the end of the
// ring), about count of them, never splitting a group of keys that share a
// hash, and returns the position to resume from, 0 when the range is done.
// Keys passed to fn are valid only during the call. engine.Engine
// implements it.
type Store interface {
	ScanRange(cursor, end uint64, count int, fn func(key []byte, o version.Object) bool) (next uint64, err error)
}

// scanChunk is the count passed to Store.ScanRange: small enough that a
// leaf-keys reply overshoots its budget by little, large enough that a
// dense leaf takes few iterator openings.
const scanChunk = 128

// scan visits the records of [cursor, end) in chunks, calling fn for each,
// until the range is done or stop (checked after each chunk) says to stop.
// It returns where to resume, 0 when the range is done, and refuses a store
// whose cursor does not advance within the range (which would loop for
// ever).
func scan(store Store, cursor, end uint64, fn func(key []byte, o version.Object), stop func() bool) (uint64, error) {
	visit := func(key []byte, o version.Object) bool { fn(key, o); return true }
	for {
		next, err := store.ScanRange(cursor, end, scanChunk, visit)
		if err != nil {
			return 0, err
		}
		if next == 0 {
			return 0, nil
		}
		if next <= cursor || (end != 0 && next >= end) {
			return 0, fmt.Errorf("antientropy: store scan of [%#x, %#x) resumed at %#x", cursor, end, next)
		}
		cursor = next
		if stop != nil && stop() {
			return cursor, nil
		}
	}
}

// Serve answers one exchange request from a peer: rpc.MethodRoots,
// rpc.MethodNodes or rpc.MethodLeafKeys (see the package documentation for
// the formats). A request that is malformed, made for another ring size,
// names anything out of range, or exceeds MaxNodeParents or MaxLeafBatch
// gets an error wrapping ErrMalformed; an error from store is returned as
// is. Serve never panics on its input.
func Serve(trees *Trees, store Store, m rpc.Method, req []byte) ([]byte, error) {
	return serve(trees, store, m, req, leafKeysBudget)
}

// serve is Serve with the leaf-keys reply budget as a parameter, so tests can
// force replies in many parts.
func serve(trees *Trees, store Store, m rpc.Method, req []byte, budget int) ([]byte, error) {
	switch m {
	case rpc.MethodRoots:
		return serveRoots(trees, req)
	case rpc.MethodNodes:
		return serveNodes(trees, req)
	case rpc.MethodLeafKeys:
		return serveLeafKeys(trees, store, req, budget)
	}
	return nil, fmt.Errorf("antientropy: unknown method %d", uint8(m))
}

func serveRoots(trees *Trees, req []byte) ([]byte, error) {
	parts, err := decodeRootsRequest(trees.q, req)
	if err != nil {
		return nil, err
	}
	reply := make([]byte, 0, 8*len(parts))
	for _, p := range parts {
		reply = wire.AppendUint64LE(reply, trees.Root(p))
	}
	return reply, nil
}

func serveNodes(trees *Trees, req []byte) ([]byte, error) {
	level, groups, total, err := decodeNodesRequest(trees.q, req)
	if err != nil {
		return nil, err
	}
	reply := make([]byte, 0, 2*total) // grows by 8 bytes per non-empty child
	var children []uint64
	for _, g := range groups {
		children = trees.appendChildren(children[:0], g.p, level, g.idx)
		reply = appendNodesReply(reply, children)
	}
	return reply, nil
}

func serveLeafKeys(trees *Trees, store Store, req []byte, budget int) ([]byte, error) {
	skip, groups, total, err := decodeLeafKeysRequest(trees.q, trees.leafWidth(), req)
	if err != nil {
		return nil, err
	}
	var body []byte
	count := 0
	add := func(key []byte, o version.Object) {
		body = appendPair(body, key, Digest(key, o))
		count++
	}
	full := func() bool { return len(body) >= budget }
	done, resume := 0, uint64(0)
walk:
	for _, g := range groups {
		for _, leaf := range g.idx {
			start, end := trees.LeafRange(g.p, leaf)
			next, err := scan(store, start+skip, end, add, full)
			if err != nil {
				return nil, err
			}
			skip = 0
			if next != 0 {
				resume = next - start
				break walk
			}
			if done++; full() && done < total {
				break walk
			}
		}
	}
	reply := appendLeafKeysHeader(make([]byte, 0, 3*wire.MaxVarintLen+len(body)), done, resume, count)
	return append(reply, body...), nil
}

// decodeRootsRequest decodes a roots request for a ring of q partitions.
func decodeRootsRequest(q int, req []byte) ([]int, error) {
	r := wire.NewReader(req)
	readRing(&r, q)
	vs := readAscending(&r, uint64(q), "partition")
	if err := r.Done(); err != nil {
		return nil, decodeErr(err)
	}
	parts := make([]int, len(vs))
	for i, v := range vs {
		parts[i] = int(v)
	}
	return parts, nil
}

// decodeNodesRequest decodes a nodes request for a ring of q partitions:
// the level of the children asked for (1..Depth) and their parents, total in
// all.
func decodeNodesRequest(q int, req []byte) (level int, groups []group, total int, err error) {
	r := wire.NewReader(req)
	readRing(&r, q)
	l := r.Uvarint()
	if r.Err() == nil && (l < 1 || l > Depth) {
		fail(&r, "level %d out of range [1, %d]", l, Depth)
	}
	if err := r.Err(); err != nil {
		return 0, nil, 0, decodeErr(err)
	}
	groups, total = readGroups(&r, q, levelWidth(int(l)-1), MaxNodeParents)
	if err := r.Done(); err != nil {
		return 0, nil, 0, decodeErr(err)
	}
	return int(l), groups, total, nil
}

// decodeLeafKeysRequest decodes a leaf-keys request for a ring of q
// partitions whose leaves are width positions wide: where to start in the
// first leaf, and the leaves, total in all.
func decodeLeafKeysRequest(q int, width uint64, req []byte) (skip uint64, groups []group, total int, err error) {
	r := wire.NewReader(req)
	readRing(&r, q)
	skip = r.Uvarint()
	groups, total = readGroups(&r, q, Leaves, MaxLeafBatch)
	if err := r.Done(); err != nil {
		return 0, nil, 0, decodeErr(err)
	}
	if skip >= width || (total == 0 && skip != 0) {
		return 0, nil, 0, malformed("skip %d out of range", skip)
	}
	return skip, groups, total, nil
}
