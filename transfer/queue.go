package transfer

import "time"

// task is a partition this node gained and has yet to pull.
type task struct {
	p          int
	start, end uint64
	// sources are the partition's owners in the ring it was gained from,
	// this node left out, in that ring's preference order.
	sources []string
	// cursor is where the pull resumes; it survives failures and moves to
	// another source unchanged, since every replica orders keys alike.
	cursor uint64
	// retryAt is when a deferred task becomes ready again.
	retryAt time.Time
	// failing is set once a failure has been logged, so a partition that
	// keeps failing is logged once, not on every retry.
	failing bool
}

// queue holds the partitions waiting to be pulled, in the order they were
// gained, and those set aside after a failure until their retry time. It is
// a plain data structure: the caller passes the time and serializes calls.
//
// Invariant: every task in tasks is in ready or in deferred (or being
// pulled, between next and finish or deferUntil). ready and deferred may
// also hold stale entries, tasks since dropped or finished, which are
// skipped when met (tasks[t.p] != t).
type queue struct {
	tasks    map[int]*task // by partition
	ready    []*task       // first in, first out
	deferred []*task       // ascending retryAt: every deferral waits the same interval
}

func newQueue() queue { return queue{tasks: make(map[int]*task)} }

// len is the number of partitions waiting or being pulled.
func (q *queue) len() int { return len(q.tasks) }

// has reports whether t is still wanted (not dropped or finished).
func (q *queue) has(t *task) bool { return q.tasks[t.p] == t }

// add queues t unless its partition is already queued (keeping the sources
// of the ring it was first gained from).
func (q *queue) add(t *task) {
	if _, ok := q.tasks[t.p]; ok {
		return
	}
	q.tasks[t.p] = t
	q.ready = append(q.ready, t)
}

// drop forgets partition p and returns its task, nil if there was none.
func (q *queue) drop(p int) *task {
	t := q.tasks[p]
	delete(q.tasks, p)
	return t
}

// finish forgets t, pulled completely.
func (q *queue) finish(t *task) {
	if q.has(t) {
		delete(q.tasks, t.p)
	}
}

// deferUntil sets t aside until at.
func (q *queue) deferUntil(t *task, at time.Time) {
	if !q.has(t) {
		return
	}
	t.retryAt = at
	q.deferred = append(q.deferred, t)
}

// next returns the task to pull at now and takes it off the lists (it stays
// in tasks until finish, drop or deferUntil). With no task ready it returns
// nil and how long until the first deferred one is, or -1 if none is.
func (q *queue) next(now time.Time) (*task, time.Duration) {
	for len(q.deferred) > 0 {
		t := q.deferred[0]
		if q.has(t) && t.retryAt.After(now) {
			break
		}
		q.deferred[0] = nil
		q.deferred = q.deferred[1:]
		if q.has(t) {
			q.ready = append(q.ready, t)
		}
	}
	for len(q.ready) > 0 {
		t := q.ready[0]
		q.ready[0] = nil
		q.ready = q.ready[1:]
		if q.has(t) {
			return t, 0
		}
	}
	if len(q.deferred) > 0 {
		return nil, q.deferred[0].retryAt.Sub(now)
	}
	return nil, -1
}
