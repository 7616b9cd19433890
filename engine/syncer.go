package engine

import "sync"

// syncer runs the WAL syncs that SyncAsync asks for. While one sync is on
// the disk, the requests that arrive meanwhile wait together for the next,
// like a group commit: an idle disk adds no delay, a busy one costs one
// fsync per round rather than one per request, and no caller's goroutine
// blocks on the disk.
type syncer struct {
	mu      sync.Mutex    // guards waiting and busy
	waiting []func(error) // requests for the next round
	busy    bool          // a goroutine is running rounds
}

// SyncAsync makes every write committed before the call durable (per the
// fsync mode) and then calls done with the outcome, on another goroutine.
// Under FsyncAlways every commit has already synced, and under FsyncNever
// nothing is synced, so done runs at once, on this goroutine. done must not
// block.
func (e *Engine) SyncAsync(done func(error)) {
	if e.cfg.Fsync != FsyncBatch {
		done(nil)
		return
	}
	s := &e.syncs
	s.mu.Lock()
	s.waiting = append(s.waiting, done)
	start := !s.busy
	s.busy = true
	s.mu.Unlock()
	if start {
		go e.syncRounds()
	}
}

// syncRounds syncs the WAL for the waiting requests, round after round,
// until none are left.
func (e *Engine) syncRounds() {
	s := &e.syncs
	for {
		s.mu.Lock()
		round := s.waiting
		s.waiting = nil
		if len(round) == 0 {
			s.busy = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		// Every request of the round was made after its writes committed,
		// and the sync starts after the request: it covers them.
		err := e.SyncWAL()
		for _, done := range round {
			done(err)
		}
	}
}
