package transfer

import (
	"context"
	"fmt"
	"slices"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/partition"
)

// handoff is one partition to push to one new owner.
type handoff struct {
	p          int
	start, end uint64
	target     string
	cursor     uint64 // where the push resumes after a failure
	failing    bool   // a failure was logged
}

// Leave hands this node's data over before it exits the cluster: for each
// partition it owns in current, it pushes every record to each owner of the
// partition in without (the ring after this node is gone) that was not an
// owner in current. A failed batch is resent every RetryInterval, resuming
// where it failed; a partition whose new owner cannot be reached does not
// hold up the others. Leave returns nil once every partition is handed off,
// or, when ctx ends or the Manager closes first, an error saying how many
// were not. The two rings must have the same number of partitions.
func (m *Manager) Leave(ctx context.Context, current, without Ring) error {
	if current.Q() != without.Q() {
		return fmt.Errorf("transfer: leave between rings of %d and %d partitions", current.Q(), without.Q())
	}
	if m.ctx.Err() != nil {
		return ErrClosed
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(m.ctx, cancel)
	defer stop()

	self := m.cfg.Self
	var work []*handoff
	left := map[int]int{} // handoffs still to do, by partition
	for _, p := range current.PartitionsOf(self) {
		before := current.Owners(p)
		start, end := current.Range(p)
		for _, target := range without.Owners(p) {
			if target == self || slices.Contains(before, target) {
				continue
			}
			work = append(work, &handoff{p: p, start: start, end: end, target: target, cursor: start})
			left[p]++
		}
	}
	total := len(left)
	m.setPushPending(total)
	defer m.setPushPending(0)

	var lastErr error // the latest push failure
	for {
		var failed []*handoff
		for _, h := range work {
			if ctx.Err() != nil {
				failed = append(failed, h)
				continue
			}
			if err := m.push(ctx, h); err != nil {
				failed = append(failed, h)
				if ctx.Err() == nil {
					m.pushFailures.Add(1)
					lastErr = err
					if !h.failing {
						h.failing = true
						m.log.Warn("transfer: cannot push partition; retrying until leave gives up",
							"partition", h.p, "to", h.target, "every", m.cfg.RetryInterval, "err", err)
					}
				}
				continue
			}
			if left[h.p]--; left[h.p] == 0 {
				m.pushDone.Add(1)
				m.addPushPending(-1)
			}
		}
		if len(failed) == 0 {
			return nil
		}
		work = failed
		if err := sleep(ctx, m.cfg.RetryInterval); err != nil {
			if m.ctx.Err() != nil {
				err = ErrClosed
			}
			notDone := 0
			for _, n := range left {
				if n > 0 {
					notDone++
				}
			}
			err = fmt.Errorf("transfer: %d of %d partitions not handed off: %w", notDone, total, err)
			if lastErr != nil {
				err = fmt.Errorf("%w (last failure: %v)", err, lastErr)
			}
			return err
		}
	}
}

// push sends h's partition to its target from h.cursor to the end, batch
// by batch.
func (m *Manager) push(ctx context.Context, h *handoff) error {
	for {
		var w batchWriter
		next, err := readBatch(m.cfg.Store, partition.Hash, h.cursor, h.end, m.cfg.BatchBytes, &w)
		if err != nil {
			return fmt.Errorf("reading the partition: %w", err)
		}
		if w.keys == 0 {
			return nil // the rest of the range is empty
		}
		req := encodePush(h.start, h.end, w.raw)
		if _, err := m.call(ctx, h.target, rpc.MethodPush, req); err != nil {
			return err
		}
		m.pushed.add(w.keys, len(req))
		paced := m.pace(ctx, len(req))
		if next == 0 {
			return nil
		}
		h.cursor = next
		if paced != nil {
			return paced
		}
	}
}

func (m *Manager) setPushPending(n int) {
	m.mu.Lock()
	m.pushPending = n
	m.mu.Unlock()
}

func (m *Manager) addPushPending(d int) {
	m.mu.Lock()
	m.pushPending += d
	m.mu.Unlock()
}
