package engine

import (
	"sync"
	"sync/atomic"
)

// room holds in memory what the engine keeps of some collections beside
// their records (a sorted set's counted blocks, ranks.go; a collection's
// summary, summaries.go), for at most maxSets of them: one that needs room
// pushes out the least recently used. Every write of an element record
// looks its collection up, so n lets a write skip the lock while the room
// is empty.
type room[T any, P interface {
	*T
	slot() *roomSlot
}] struct {
	maxSets int

	mu   sync.RWMutex // guards sets
	sets map[string]P
	n    atomic.Int64 // len(sets)
	tick atomic.Int64 // the clock of roomSlot.used
}

// roomSlot is what the room keeps of each entry: its key and when it was
// last used.
type roomSlot struct {
	key  string
	used atomic.Int64
}

func (s *roomSlot) slot() *roomSlot { return s }

func newRoom[T any, P interface {
	*T
	slot() *roomSlot
}](maxSets int) room[T, P] {
	return room[T, P]{maxSets: maxSets, sets: map[string]P{}}
}

// lookup returns key's entry, nil if it has none.
func (r *room[T, P]) lookup(key []byte) P {
	if r.n.Load() == 0 {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.sets[string(key)]
}

// register returns key's entry, the one make makes (fresh) if it had
// none, making room by pushing out the least recently used.
func (r *room[T, P]) register(key []byte, make func() P) (p P, fresh bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.sets[string(key)]; p != nil {
		return p, false
	}
	if len(r.sets) >= r.maxSets {
		var oldest P
		for _, o := range r.sets {
			if oldest == nil || o.slot().used.Load() < oldest.slot().used.Load() {
				oldest = o
			}
		}
		delete(r.sets, oldest.slot().key)
	}
	p = make()
	p.slot().key = string(key)
	r.touch(p)
	r.sets[string(key)] = p
	r.n.Store(int64(len(r.sets)))
	return p, true
}

// touch marks p used now.
func (r *room[T, P]) touch(p P) { p.slot().used.Store(r.tick.Add(1)) }

// drop forgets p if it is still its key's.
func (r *room[T, P]) drop(p P) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := p.slot().key; r.sets[k] == p {
		delete(r.sets, k)
		r.n.Store(int64(len(r.sets)))
	}
}

// clear forgets every entry (FLUSHALL).
func (r *room[T, P]) clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.sets)
	r.n.Store(0)
}
