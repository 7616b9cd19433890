package bench

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// A bulk load (a hash or sorted set of a million elements filled before
// its runs), or a run of writes, leaves a Dynago node compacting for seconds
// after its last write. Measured then, the next run's figures carry that
// cost: a run of ten-element sets right after the million-field hash
// measured half its rate, and HGET at pipeline 16 right after HSET's run
// cost 64 us of CPU per operation. So after each fill, and after each run
// (runRounds, whose CPU per operation includes the wait, so that a run of
// writes pays for the compactions it caused), the bench waits for the
// store to be at rest: INFO persistence reports no compaction
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
		rest, reports := atRest(info)
		if !reports {
			return time.Since(start), nil // redis-server: no compactions
		}
		if rest {
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
// running, and whether it reports compactions at all (redis-server's does
// not, and is at rest).
func atRest(info string) (rest, reports bool) {
	for _, line := range strings.Split(info, "\n") {
		name, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || name != "compactions_in_progress" {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		return err == nil && n == 0, true
	}
	return true, false
}

// settleAll waits for each server at addrs, the target called name, to be
// at rest (settle), and logs a wait that was long or did not end.
func settleAll(ctx context.Context, env *Env, name string, addrs []string) {
	for _, addr := range addrs {
		waited, err := settle(ctx, addr)
		switch {
		case err != nil:
			env.Logf("%s: not at rest after %v (%v); measured as it is", name, waited.Round(time.Millisecond), err)
		case waited > 2*time.Second:
			env.Logf("%s: compactions at rest after %v", name, waited.Round(time.Millisecond))
		}
	}
}
