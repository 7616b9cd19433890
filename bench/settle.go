package bench

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// A bulk load (a hash or sorted set of a million elements filled before
// its runs) leaves a Dynago node compacting for many seconds after its last
// write. Measured then, a run's figures carry the load's cost, and so do the
// runs of the next sizes: a run of ten-element sets right after the
// million-field hash measured half its rate. So after each fill the bench
// waits for the store to be at rest: INFO persistence reports no compaction
// running for a second. (Pebble's compaction debt is no signal: it stays
// above zero at rest, counting level-0 tables below the size that starts a
// compaction.) The runs still pay the compactions their own writes cause.
// redis-server reports no compactions and is at rest at once.

// settleTimeout bounds the wait: a store still compacting after it is
// measured as it is, and the log says so.
const settleTimeout = 2 * time.Minute

// settle waits until the server at addr is at rest, polling INFO
// persistence, and returns how long it waited.
func settle(ctx context.Context, addr string) (time.Duration, error) {
	c := newLoadClient(addr, 1, 5*time.Second)
	defer c.Close()
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	// Five polls in a row, a second, with none running: between two
	// compactions Pebble reports none for a moment before it picks the next.
	calm := 0
	for {
		info, err := c.Info(ctx, "persistence").Result()
		if err != nil {
			return time.Since(start), err
		}
		if atRest(info) {
			calm++
		} else {
			calm = 0
		}
		if calm == 5 {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// atRest reports whether an INFO persistence reply shows no compaction
// running; a reply without the field (redis-server) is at rest.
func atRest(info string) bool {
	for _, line := range strings.Split(info, "\n") {
		name, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || name != "compactions_in_progress" {
			continue
		}
		if n, err := strconv.ParseUint(v, 10, 64); err != nil || n != 0 {
			return false
		}
	}
	return true
}

// settled waits for each server of t to be at rest (settle) and logs a
// wait that was long or did not end.
func settled(ctx context.Context, env *Env, t *Target) {
	for _, addr := range t.Addrs() {
		waited, err := settle(ctx, addr)
		switch {
		case err != nil:
			env.Logf("%s: not at rest after %v (%v); measured as it is", t.Name, waited.Round(time.Millisecond), err)
		case waited > time.Second:
			env.Logf("%s: compactions at rest after %v", t.Name, waited.Round(time.Millisecond))
		}
	}
}
