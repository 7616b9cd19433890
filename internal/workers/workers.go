// Package workers runs short tasks on goroutines that are kept for reuse.
//
// A request that fans out (a pipeline's wave, an internode request) used to
// start a goroutine per task; each new goroutine began with a small stack
// and grew it, copying, as the task went down through the coordinator and
// the engine, which cost a busy node more than a tenth of its CPU. A Pool
// keeps goroutines whose stacks have already grown parked for the next task.
package workers

import (
	"sync/atomic"
	"time"
)

// Pool runs tasks on reusable goroutines. The zero value is not usable; see
// New.
type Pool struct {
	tasks   chan func() // unbuffered: a send succeeds only if a worker is idle
	quit    chan struct{}
	closed  atomic.Bool
	idle    time.Duration
	max     int64
	running atomic.Int64 // workers alive
}

// New returns a pool that keeps at most max workers, each of which exits
// after idle without a task.
func New(max int, idle time.Duration) *Pool {
	return &Pool{tasks: make(chan func()), quit: make(chan struct{}), idle: idle, max: int64(max)}
}

// Close lets the idle workers go, and every other once its task ends. Tasks
// given to Go afterwards still run, each on a goroutine of its own.
func (p *Pool) Close() {
	if p.closed.CompareAndSwap(false, true) {
		close(p.quit)
	}
}

// Go runs task on an idle worker, a new worker, or (when max workers are
// busy) a goroutine of its own. It never blocks.
func (p *Pool) Go(task func()) {
	select {
	case p.tasks <- task:
		return
	default:
	}
	if p.closed.Load() {
		go task()
		return
	}
	if p.running.Add(1) > p.max {
		p.running.Add(-1)
		go task()
		return
	}
	go p.work(task)
}

// Workers is the number of workers alive.
func (p *Pool) Workers() int { return int(p.running.Load()) }

func (p *Pool) work(task func()) {
	defer p.running.Add(-1)
	timer := time.NewTimer(p.idle)
	defer timer.Stop()
	for {
		task()
		timer.Reset(p.idle)
		select {
		case task = <-p.tasks:
		case <-timer.C:
			return
		case <-p.quit:
			return
		}
	}
}
