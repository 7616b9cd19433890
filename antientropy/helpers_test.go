package antientropy

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// record is one stored key of an in-memory replica.
type record struct {
	h   uint64
	key []byte
	o   version.Object
}

func compareRecords(a, b record) int {
	if c := cmp.Compare(a.h, b.h); c != 0 {
		return c
	}
	return bytes.Compare(a.key, b.key)
}

// memStore is the in-memory twin of the engine's range scan: records sorted
// by (hash, key), scanned with the engine's cursor rules.
type memStore struct {
	recs []record
	// perCall, if positive, caps how many records one ScanRange visits
	// before it returns a cursor, whatever count asks: it makes the
	// paths that resume mid-leaf run with few keys.
	perCall int
}

// newMemStore returns a store holding recs, which it sorts and keeps.
func newMemStore(recs []record) *memStore {
	slices.SortFunc(recs, compareRecords)
	return &memStore{recs: recs}
}

func (s *memStore) ScanRange(cursor, end uint64, count int, fn func(key []byte, o version.Object) bool) (uint64, error) {
	if s.perCall > 0 {
		count = min(count, s.perCall)
	}
	i, _ := slices.BinarySearchFunc(s.recs, cursor, func(r record, h uint64) int { return cmp.Compare(r.h, h) })
	visited := 0
	for ; i < len(s.recs); i++ {
		r := s.recs[i]
		if end != 0 && r.h >= end {
			break
		}
		if visited >= count && r.h != s.recs[i-1].h {
			return r.h, nil
		}
		visited++
		if !fn(r.key, r.o) {
			if i+1 < len(s.recs) && (end == 0 || s.recs[i+1].h < end) {
				return s.recs[i+1].h, nil
			}
			break
		}
	}
	return 0, nil
}

// find returns the index of key's record, or -1.
func (s *memStore) find(key []byte) int {
	i, ok := slices.BinarySearchFunc(s.recs, record{h: partition.Hash(key), key: key}, compareRecords)
	if !ok {
		return -1
	}
	return i
}

// replica is one node's data for the exchange: a store and its trees.
type replica struct {
	store *memStore
	trees *Trees
}

// newReplica builds a replica of q partitions holding a copy of recs, its
// trees loaded with Add as a node does at open.
func newReplica(q int, recs []record) *replica {
	r := &replica{store: newMemStore(slices.Clone(recs)), trees: NewTrees(q)}
	for _, rec := range r.store.recs {
		r.trees.Add(rec.h, rec.key, rec.o)
	}
	return r
}

// set replaces key's record in place (the key must exist), keeping the
// trees current, and returns the old object.
func (r *replica) set(key []byte, o version.Object) version.Object {
	i := r.store.find(key)
	if i < 0 {
		panic(fmt.Sprintf("set: no key %q", key))
	}
	old := r.store.recs[i].o
	r.store.recs[i].o = o
	r.trees.Update(r.store.recs[i].h, key, old, o)
	return old
}

// serve answers a request the way the peer's transport handler would.
func (r *replica) serve(m rpc.Method, req []byte, budget int) ([]byte, error) {
	return serve(r.trees, r.store, m, req, budget)
}

// localPeer is a Peer that calls a replica's Serve directly, recording the
// methods called. budget, if positive, replaces the leaf-keys reply budget.
type localPeer struct {
	r      *replica
	budget int

	mu    sync.Mutex // protects calls
	calls []rpc.Method
}

func (p *localPeer) Call(ctx context.Context, m rpc.Method, req []byte) ([]byte, error) {
	p.mu.Lock()
	p.calls = append(p.calls, m)
	p.mu.Unlock()
	budget := leafKeysBudget
	if p.budget > 0 {
		budget = p.budget
	}
	return p.r.serve(m, bytes.Clone(req), budget)
}

// peerFunc adapts a function to Peer.
type peerFunc func(ctx context.Context, m rpc.Method, req []byte) ([]byte, error)

func (f peerFunc) Call(ctx context.Context, m rpc.Method, req []byte) ([]byte, error) {
	return f(ctx, m, req)
}

// allParts returns 0..q-1.
func allParts(q int) []int {
	parts := make([]int, q)
	for i := range parts {
		parts[i] = i
	}
	return parts
}

// Objects for tests: written by one of a few actors, with small values.
var (
	actors = []version.Actor{{Node: 0x1111, Epoch: 1}, {Node: 0x2222, Epoch: 1}, {Node: 0x3333, Epoch: 2}}
)

// write returns o after a write of value by actor, with o's clock as the
// causal context (so it supersedes what o holds).
func write(o version.Object, a version.Actor, value string, t int64) version.Object {
	return o.Update(o.Clock, o.Clock.Next(a), &version.Sibling{Time: t, Value: []byte(value)})
}

// del returns o after a delete by actor: a tombstone.
func del(o version.Object, a version.Actor) version.Object {
	return o.Update(o.Clock, o.Clock.Next(a), nil)
}

// objectPool returns n distinct objects to share among many keys (digests
// include the key, so sharing an object does not make digests collide).
func objectPool(n int) []version.Object {
	pool := make([]version.Object, n)
	for i := range pool {
		pool[i] = write(version.Object{}, actors[i%len(actors)], fmt.Sprint("value-", i), int64(i+1))
		for range i % 3 {
			pool[i] = write(pool[i], actors[(i+1)%len(actors)], "again", int64(i+2))
		}
	}
	return pool
}

// makeRecords returns n records "key:<i>" with objects from a pool.
func makeRecords(n int) []record {
	pool := objectPool(64)
	recs := make([]record, n)
	for i := range recs {
		key := fmt.Appendf(nil, "key:%d", i)
		recs[i] = record{h: partition.Hash(key), key: key, o: pool[i%len(pool)]}
	}
	return recs
}

// naiveDiff returns the keys on which two record sets differ by digest, or
// that only one holds, in ring order: what an exchange must find.
func naiveDiff(a, b []record) [][]byte {
	digests := func(recs []record) map[string]uint64 {
		m := make(map[string]uint64, len(recs))
		for _, r := range recs {
			if d := Digest(r.key, r.o); d != 0 {
				m[string(r.key)] = d
			}
		}
		return m
	}
	da, db := digests(a), digests(b)
	var diff []record
	for k, d := range da {
		if db[k] != d {
			diff = append(diff, record{h: partition.Hash([]byte(k)), key: []byte(k)})
		}
	}
	for k := range db {
		if _, ok := da[k]; !ok {
			diff = append(diff, record{h: partition.Hash([]byte(k)), key: []byte(k)})
		}
	}
	slices.SortFunc(diff, compareRecords)
	keys := make([][]byte, len(diff))
	for i, r := range diff {
		keys[i] = r.key
	}
	return keys
}

// pick returns n distinct random indices below k (n much smaller than k).
func pick(rng *rand.Rand, n, k int) []int {
	seen := make(map[int]bool, n)
	idx := make([]int, 0, n)
	for len(idx) < n {
		if i := rng.IntN(k); !seen[i] {
			seen[i] = true
			idx = append(idx, i)
		}
	}
	return idx
}
