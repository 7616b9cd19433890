package engine

import (
	"hash/maphash"
	"sync"

	"github.com/dynago/dynago/version"
)

// rowCache keeps recently used keys' decoded objects in memory, so that a
// hot key's read (and the read every write makes first) skips Pebble. It is
// write-through: a write replaces the cached object after it commits. It is
// bounded in bytes and evicts with the CLOCK algorithm (an approximation of
// LRU that needs no list manipulation on a hit).
//
// An entry is found by the key's hash and confirmed by a second, seeded hash
// of the key (check) instead of the key itself: a hit then touches one
// entry, not a key string elsewhere in memory, which made the lookup a
// quarter of a replica read's CPU. The seed is random per process, so keys
// cannot be chosen to collide on both hashes.
//
// A read that misses must not cache what it read if a write to the key
// committed meanwhile; each shard counts its writes (gen), and a reader
// caches only if the count did not move while it read from Pebble.
type rowCache struct {
	seed     maphash.Seed
	shards   []cacheShard
	maxEntry int // objects larger than this (approximate bytes) are not cached
}

const cacheShards = 64

type cacheShard struct {
	mu      sync.Mutex             // protects everything below
	entries map[uint64]*cacheEntry // by key hash; entry.check tells collisions apart
	clock   []*cacheEntry          // CLOCK ring; nil slots are free
	hand    int
	bytes   int
	budget  int
	gen     uint64 // writes applied to this shard
}

type cacheEntry struct {
	hash  uint64
	check uint64 // the key's seeded hash
	obj   version.Object
	size  int
	slot  int
	ref   bool // used since the hand last passed
	// digest is antientropy.Digest(key, obj) once a reader asked for it
	// (digested); a write replaces the entry's object and clears it.
	digest   uint64
	digested bool
}

func newRowCache(budget int) *rowCache {
	if budget <= 0 {
		return nil
	}
	c := &rowCache{seed: maphash.MakeSeed(), shards: make([]cacheShard, cacheShards), maxEntry: budget / cacheShards / 8}
	for i := range c.shards {
		c.shards[i] = cacheShard{entries: map[uint64]*cacheEntry{}, budget: budget / cacheShards}
	}
	return c
}

func (c *rowCache) shard(h uint64) *cacheShard { return &c.shards[(h>>32)%cacheShards] }

func (c *rowCache) check(key []byte) uint64 { return maphash.Bytes(c.seed, key) }

// get returns the cached object and true on a hit; on a miss it returns the
// shard generation to hand to fill.
func (c *rowCache) get(h uint64, key []byte) (version.Object, bool, uint64) {
	o, _, hit, gen := c.getDigest(h, key, nil)
	return o, hit, gen
}

// has reports whether key's object is cached.
func (c *rowCache) has(h uint64, key []byte) bool {
	_, hit, _ := c.get(h, key)
	return hit
}

// getDigest is get that also returns the object's digest when digest is not
// nil: computed by digest on the entry's first digest read and remembered
// until the key is written again. On a miss the digest is 0.
func (c *rowCache) getDigest(h uint64, key []byte, digest func([]byte, version.Object) uint64) (version.Object, uint64, bool, uint64) {
	check := c.check(key)
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[h]
	if !ok || e.check != check {
		return version.Object{}, 0, false, s.gen
	}
	e.ref = true
	if digest != nil && !e.digested {
		e.digest, e.digested = digest(key, e.obj), true
	}
	return e.obj, e.digest, true, 0
}

// fill caches what a reader read from Pebble, unless a write intervened.
func (c *rowCache) fill(h uint64, key []byte, o version.Object, gen uint64) {
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		return
	}
	c.putLocked(s, h, key, o)
}

// put records the object a write committed (a removed key is cached as the
// empty object, which reads treat as absent).
func (c *rowCache) put(h uint64, key []byte, o version.Object) {
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	c.putLocked(s, h, key, o)
}

// clear empties the cache (FLUSHALL).
func (c *rowCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.gen++
		s.entries = map[uint64]*cacheEntry{}
		s.clock = s.clock[:0]
		s.hand, s.bytes = 0, 0
		s.mu.Unlock()
	}
}

func objectSize(key []byte, o version.Object) int {
	n := len(key) + 64 + 24*len(o.Clock)
	for _, sib := range o.Siblings {
		n += 64 + len(sib.Value)
	}
	return n
}

func (c *rowCache) putLocked(s *cacheShard, h uint64, key []byte, o version.Object) {
	size := objectSize(key, o)
	check := c.check(key)
	if e, ok := s.entries[h]; ok && e.check != check {
		s.removeLocked(e) // another key with the same hash: it makes room
	}
	if e, ok := s.entries[h]; ok {
		if size > c.maxEntry {
			s.removeLocked(e)
			return
		}
		s.bytes += size - e.size
		e.obj, e.size, e.ref = o, size, true
		e.digest, e.digested = 0, false
	} else {
		if size > c.maxEntry {
			return
		}
		e := &cacheEntry{hash: h, check: check, obj: o, size: size}
		s.entries[h] = e
		e.slot = len(s.clock)
		s.clock = append(s.clock, e)
		s.bytes += size
	}
	s.evictLocked()
}

// evictLocked moves the clock hand, clearing reference bits and evicting
// unreferenced entries, until the shard is within budget.
func (s *cacheShard) evictLocked() {
	for s.bytes > s.budget && len(s.clock) > 0 {
		if s.hand >= len(s.clock) {
			s.hand = 0
		}
		e := s.clock[s.hand]
		if e.ref {
			e.ref = false
			s.hand++
			continue
		}
		s.removeLocked(e)
	}
}

// removeLocked drops e, moving the ring's last entry into its slot.
func (s *cacheShard) removeLocked(e *cacheEntry) {
	last := len(s.clock) - 1
	moved := s.clock[last]
	s.clock[e.slot] = moved
	moved.slot = e.slot
	s.clock = s.clock[:last]
	delete(s.entries, e.hash)
	s.bytes -= e.size
}
