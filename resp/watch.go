package resp

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/version"
)

// WATCH is an optimistic lock. Redis marks a watching client dirty when any
// command touches a watched key; in a cluster a key is written through any
// of its owners, so no one node sees every write. Dynago records instead,
// at WATCH, what a quorum read of each key answers: its causal context (the
// clock of every write the key has seen) and whether it held a live value.
// EXEC reads the keys again at quorum and aborts (a null reply, nothing run)
// when, for any of them:
//
//   - the context holds a write the recorded one lacks: with R+W > N, any
//     write acknowledged since WATCH, through any node, is in a quorum read;
//   - the key went from live to not live or back: it expired, FLUSHALL
//     removed it, or it was deleted or created;
//   - a write to it was decided through this node since WATCH (touched):
//     on a lone node a deleted key's record goes, so a key created and
//     deleted again in between would read as it did.
//
// A context that lost events without a write (an expired record swept, a
// tombstone collected) is no change: in Redis the removal of a key that had
// already expired at WATCH is no change either.

// watchedKey is what WATCH recorded of a key.
type watchedKey struct {
	key   string
	clock version.Clock // the context a quorum read answered
	live  bool          // the key held a live (unexpired) value
}

// changed reports whether o, the key's object as read at EXEC, shows a
// change since the key was watched.
func (w *watchedKey) changed(o version.Object, nowMs int64) bool {
	return w.live != (len(o.Live(nowMs)) > 0) || !w.clock.Descends(o.Clock)
}

// watchers finds the sessions watching a key, so that a write decided
// through this node can mark them (touch).
type watchers struct {
	n  atomic.Int64 // watched (session, key) pairs; 0 lets writes skip the lock
	mu sync.Mutex   // protects m, and orders touches before a session's unwatch
	m  map[string]map[*session]struct{}
}

func (w *watchers) add(s *session, keys []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]map[*session]struct{}{}
	}
	for _, k := range keys {
		set := w.m[k]
		if set == nil {
			set = map[*session]struct{}{}
			w.m[k] = set
		}
		set[s] = struct{}{}
	}
	w.n.Add(int64(len(keys)))
}

// remove forgets s's watches of keys; with all (they are all s watches)
// it also clears s's touched mark: a touch either came before (and is
// cleared) or finds s no longer watching.
func (w *watchers) remove(s *session, keys []string, all bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		set := w.m[k]
		delete(set, s)
		if len(set) == 0 {
			delete(w.m, k)
		}
	}
	w.n.Add(-int64(len(keys)))
	if all {
		s.tx.touched.Store(false)
	}
}

// touch marks every session watching key.
func (w *watchers) touch(key []byte) {
	if w.n.Load() == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for s := range w.m[string(key)] {
		s.tx.touched.Store(true)
	}
}

// watch records keys' contexts for the next EXEC. A key already watched
// keeps what was recorded first, as in Redis. On a failed read (NOQUORUM)
// none of keys is watched.
func (c *client) watch(keys [][]byte) error {
	var fresh []string
	var toRead [][]byte
	for _, k := range keys {
		if !slices.ContainsFunc(c.tx.watched, func(w watchedKey) bool { return w.key == string(k) }) &&
			!slices.Contains(fresh, string(k)) {
			fresh = append(fresh, string(k))
			toRead = append(toRead, k)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	// Registered before the read: a write decided after the read touches
	// the key, one decided before it is in the context read (and may
	// touch it too: an EXEC aborted for nothing, never a change missed).
	c.srv.watching.add(c.session, fresh)
	results := c.srv.coord.ReadMany(c.ctx, toRead, c.opts())
	now := c.now().UnixMilli()
	added := make([]watchedKey, len(fresh))
	for i, r := range results {
		if r.Err != nil {
			c.srv.watching.remove(c.session, fresh, false)
			return r.Err
		}
		added[i] = watchedKey{key: fresh[i], clock: slices.Clone(r.Object.Clock), live: len(r.Object.Live(now)) > 0}
	}
	c.tx.watched = append(c.tx.watched, added...)
	return nil
}

// unwatchAll forgets every watched key (UNWATCH, and EXEC and DISCARD when
// they end a transaction).
func (c *client) unwatchAll() {
	if len(c.tx.watched) == 0 {
		c.tx.touched.Store(false)
		return
	}
	keys := make([]string, len(c.tx.watched))
	for i, w := range c.tx.watched {
		keys[i] = w.key
	}
	c.srv.watching.remove(c.session, keys, true)
	c.tx.watched = nil
}

// watchesChanged reads the watched keys at quorum and reports whether any
// changed since WATCH (see above). An error is a failed read (NOQUORUM).
func (c *client) watchesChanged() (bool, error) {
	w := c.tx.watched
	if len(w) == 0 {
		return false, nil
	}
	if c.tx.touched.Load() {
		return true, nil
	}
	keys := make([][]byte, len(w))
	for i := range w {
		keys[i] = []byte(w[i].key)
	}
	results := c.srv.coord.ReadMany(c.ctx, keys, c.opts())
	now := c.now().UnixMilli()
	for i, r := range results {
		if r.Err != nil {
			return false, r.Err
		}
		if w[i].changed(r.Object, now) {
			return true, nil
		}
	}
	return false, nil
}

// do runs o, the command's write of one key, on the key's write
// coordinator (this node or another: coordinator.Do decides). When the
// write changed the key, the sessions watching it here are marked (see
// watchers.touch), whether or not it then reached its quorum (one that
// failed may still be on a replica).
func (c *client) do(o *op.Op) (op.Result, error) {
	res, err := c.srv.coord.Do(c.ctx, o, c.opts())
	if res.Wrote {
		c.srv.watching.touch(o.Key)
	}
	return res, err
}
