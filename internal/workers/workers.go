// Package workers runs short tasks on goroutines that are kept for reuse.
//
// A request that fans out (a pipeline's wave, an internode request) used to
// start a goroutine per task; each new goroutine began with a small stack
// and grew it, copying, as the task went down through the coordinator and
// the engine, which cost a busy node more than a tenth of its CPU. A Pool
// keeps goroutines whose stacks have already grown parked for the next task.
//
// Each worker waits on a channel of its own, and idle workers stand in a
// stack (the most recently used on top, so the rest stay idle long enough
// to be let go): handing a task over takes a short lock and one channel
// send, with no select over channels that every worker shares.
package workers

import (
	"sync"
	"time"
)

// Pool runs tasks on reusable goroutines. The zero value is not usable; see
// New.
type Pool struct {
	max  int
	idle time.Duration

	mu      sync.Mutex
	ready   []*worker // idle workers, the most recently idle last
	running int       // workers alive
	closed  bool
	stop    chan struct{} // closed by Close: ends the reaper
}

type worker struct {
	tasks chan func() // one slot: a task, or nil to exit
	since time.Time   // when it last became idle
}

// New returns a pool that keeps at most max workers, each of which exits
// once it has been idle for about idle.
func New(max int, idle time.Duration) *Pool {
	p := &Pool{max: max, idle: idle, stop: make(chan struct{})}
	go p.reap()
	return p
}

// Go runs task on an idle worker, a new worker, or (when max workers are
// busy, or the pool is closed) a goroutine of its own. It never blocks.
func (p *Pool) Go(task func()) {
	p.mu.Lock()
	if n := len(p.ready); n > 0 {
		w := p.ready[n-1]
		p.ready[n-1] = nil
		p.ready = p.ready[:n-1]
		p.mu.Unlock()
		w.tasks <- task
		return
	}
	spawn := !p.closed && p.running < p.max
	if spawn {
		p.running++
	}
	p.mu.Unlock()
	if !spawn {
		go task()
		return
	}
	w := &worker{tasks: make(chan func(), 1)}
	go p.work(w, task)
}

// Workers is the number of workers alive.
func (p *Pool) Workers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running
}

// Close lets the idle workers go, and every other once its task ends. Tasks
// given to Go afterwards still run, each on a goroutine of its own.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	close(p.stop)
	for _, w := range p.ready {
		w.tasks <- nil
	}
	p.ready = nil
}

func (p *Pool) work(w *worker, task func()) {
	for task != nil {
		task()
		if !p.park(w) {
			break
		}
		task = <-w.tasks
	}
	p.mu.Lock()
	p.running--
	p.mu.Unlock()
}

// park puts w on the idle stack; false means the pool is closed and w must
// exit.
func (p *Pool) park(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	w.since = time.Now()
	p.ready = append(p.ready, w)
	return true
}

// reap lets go, every idle period, the workers idle for longer than that:
// they are at the bottom of the stack.
func (p *Pool) reap() {
	tick := time.NewTicker(p.idle)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-tick.C:
			p.mu.Lock()
			n := 0
			for n < len(p.ready) && now.Sub(p.ready[n].since) >= p.idle {
				p.ready[n].tasks <- nil
				n++
			}
			if n > 0 {
				p.ready = append(p.ready[:0], p.ready[n:]...)
				clear(p.ready[len(p.ready):cap(p.ready)][:n])
			}
			p.mu.Unlock()
		}
	}
}
