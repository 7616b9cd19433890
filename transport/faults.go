package transport

import (
	"maps"
	"sync"
	"sync/atomic"
)

// Faults cuts links between nodes on a test's command, for the TCP and the
// in-memory transport alike. Nodes are named by their listen addresses: the
// address Call is given for the peer, and the address the local node
// listens on. Give every node of a test cluster the same *Faults in its
// Config. The zero value cuts nothing and is ready to use.
//
// A cut link behaves like a dead peer, in both directions: new calls fail at
// once with ErrUnavailable, and the connections already open between the two
// nodes are closed, so calls in flight fail with ErrUnavailable too.
type Faults struct {
	mu       sync.Mutex                 // serializes changes and guards watchers
	state    atomic.Pointer[faultState] // current cuts; replaced, never changed in place
	watchers map[*func()]struct{}       // transports to tell about new cuts
}

// faultState is an immutable set of cuts, so that checking a link on every
// call takes no lock.
type faultState struct {
	cuts     map[[2]string]bool // unordered pairs, smaller address first
	isolated map[string]bool
}

func pairOf(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

// Cut drops traffic both ways between the nodes at addresses a and b.
func (f *Faults) Cut(a, b string) {
	f.update(true, func(s *faultState) { s.cuts[pairOf(a, b)] = true })
}

// Heal undoes Cut(a, b). It does not undo Isolate.
func (f *Faults) Heal(a, b string) {
	f.update(false, func(s *faultState) { delete(s.cuts, pairOf(a, b)) })
}

// Isolate cuts the node at address a from every other node, including nodes
// started later, until HealAll.
func (f *Faults) Isolate(a string) {
	f.update(true, func(s *faultState) { s.isolated[a] = true })
}

// HealAll undoes every Cut and Isolate.
func (f *Faults) HealAll() {
	f.update(false, func(s *faultState) {
		clear(s.cuts)
		clear(s.isolated)
	})
}

// blocked reports whether traffic between a and b is cut. A nil *Faults cuts
// nothing.
func (f *Faults) blocked(a, b string) bool {
	if f == nil {
		return false
	}
	s := f.state.Load()
	if s == nil {
		return false
	}
	return s.isolated[a] || s.isolated[b] || s.cuts[pairOf(a, b)]
}

// update applies change to a copy of the state and, for a new cut, tells the
// transports, which close the connections it affects before update returns.
// A test that cuts a link therefore knows that nothing crosses it afterwards.
func (f *Faults) update(cut bool, change func(*faultState)) {
	f.mu.Lock()
	next := &faultState{cuts: map[[2]string]bool{}, isolated: map[string]bool{}}
	if old := f.state.Load(); old != nil {
		next.cuts = maps.Clone(old.cuts)
		next.isolated = maps.Clone(old.isolated)
	}
	change(next)
	f.state.Store(next)
	var notify []func()
	if cut {
		for w := range f.watchers {
			notify = append(notify, *w)
		}
	}
	f.mu.Unlock()
	for _, fn := range notify {
		fn()
	}
}

// watch registers fn to be called after every new cut; the returned func
// unregisters it. A nil *Faults never calls fn.
func (f *Faults) watch(fn func()) (stop func()) {
	if f == nil {
		return func() {}
	}
	key := &fn
	f.mu.Lock()
	if f.watchers == nil {
		f.watchers = map[*func()]struct{}{}
	}
	f.watchers[key] = struct{}{}
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		delete(f.watchers, key)
		f.mu.Unlock()
	}
}
