package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// MemoryRow is a target's resident memory after Keys keys were loaded.
type MemoryRow struct {
	Target string
	Keys   int   // keys loaded; 0 is the empty server
	RSS    int64 // bytes, summed over the target's nodes
	// Err is set if the load toward this row failed. If Partial is false the
	// row has no numbers; if it is true the time limit stopped the load, and
	// Keys and RSS are what was reached by then.
	Err     error
	Partial bool
}

// MemoryReport is the outcome of the memory scenario.
type MemoryReport struct {
	ValueSize int
	Baseline  string      // target the ratio rows divide by
	Rows      []MemoryRow // per target, Keys ascending, starting at 0
}

// memoryCheckpoints returns the key counts at which RSS is read: none loaded,
// a quarter, half and all of keys.
func memoryCheckpoints(keys int) []int {
	return []int{0, keys / 4, keys / 2, keys}
}

// MemoryScenario loads cfg.MemoryKeys distinct keys into each target in turn,
// through go-redis pipelines, and reads the target's RSS at each checkpoint.
func MemoryScenario(cfg Config, targets []TargetSpec) Scenario {
	return Scenario{
		Name:    "memory",
		Targets: targets,
		Run: func(ctx context.Context, env *Env, ts []*Target) (Report, error) {
			rep := &MemoryReport{ValueSize: cfg.MemoryValueSize, Baseline: ts[0].Name}
			var failed []error
			for _, t := range ts {
				rows, err := measureMemory(ctx, env, cfg, t)
				rep.Rows = append(rep.Rows, rows...)
				if ctx.Err() != nil {
					return rep, ctx.Err()
				}
				if err != nil {
					failed = append(failed, fmt.Errorf("%s: %w", t.Name, err))
				}
			}
			return rep, errors.Join(failed...)
		},
	}
}

// measureMemory loads keys into t up to each checkpoint and reads its RSS
// there. The whole load is bounded by cfg.MemoryTimeout.
func measureMemory(ctx context.Context, env *Env, cfg Config, t *Target) ([]MemoryRow, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.MemoryTimeout)
	defer cancel()
	clients := make([]*redis.Client, len(t.Nodes))
	for i, addr := range t.Addrs() {
		clients[i] = newLoadClient(addr, cfg.MemoryWorkers, 30*time.Second)
		defer clients[i].Close()
	}
	var rows []MemoryRow
	loaded := 0
	start := time.Now()
	for _, cp := range memoryCheckpoints(cfg.MemoryKeys) {
		n, err := loadKeys(ctx, clients, loaded, cp, cfg.MemoryBatch, cfg.MemoryWorkers, cfg.MemoryValueSize)
		loaded += n
		if err == nil {
			err = checkKey(ctx, clients, cp-1, cfg.MemoryValueSize)
		}
		if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// The time limit, not a failure of the server: report what
			// was reached.
			err = fmt.Errorf("time limit %v reached after %d keys, before the checkpoint at %d", cfg.MemoryTimeout, loaded, cp)
			row := MemoryRow{Target: t.Name, Keys: loaded, Err: err, Partial: true}
			if row.RSS, err = t.RSS(); err != nil {
				row.Err, row.Partial = err, false
			}
			env.Logf("%s: %v", t.Name, row.Err)
			return append(rows, row), row.Err
		}
		if err != nil {
			env.Logf("%s: memory at %d keys: FAILED: %v", t.Name, cp, err)
			return append(rows, MemoryRow{Target: t.Name, Keys: cp, Err: err}), err
		}
		rss, err := t.RSS()
		if err != nil {
			return append(rows, MemoryRow{Target: t.Name, Keys: cp, Err: err}), err
		}
		rows = append(rows, MemoryRow{Target: t.Name, Keys: cp, RSS: rss})
		env.Logf("%s: %d keys loaded in %v, RSS %.1f MiB", t.Name, cp, time.Since(start).Round(time.Millisecond), mib(rss))
	}
	return rows, nil
}

// newLoadClient returns a go-redis client that speaks plain RESP2 and sends
// nothing on connect beyond what a command needs, so it works against any
// server that implements SET and GET. timeout bounds each read and write (the
// memory scenario allows 30s for a 1000-command pipeline on a slow disk).
func newLoadClient(addr string, conns int, timeout time.Duration) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:                     addr,
		Protocol:                 2,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		PoolSize:                 conns,
		PipelinePoolSize:         -1, // pipelines share the main pool
		DialTimeout:              5 * time.Second,
		ReadTimeout:              timeout,
		WriteTimeout:             timeout,
		ContextTimeoutEnabled:    true,
		MaxRetries:               -1, // a failed SET is reported, not retried
	})
}

// loadKeys writes keys key:from .. key:to-1 in pipelines of batch SETs, with
// workers pipelines in flight. Batches go to the target's nodes in turn. It
// stops at the first failure or when ctx ends, and returns how many keys the
// server acknowledged.
func loadKeys(ctx context.Context, clients []*redis.Client, from, to, batch, workers, valueSize int) (int, error) {
	if from >= to {
		return 0, nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var acked atomic.Int64
	starts := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for lo := range starts {
				hi := min(lo+batch, to)
				c := clients[(lo/batch)%len(clients)]
				pipe := c.Pipeline()
				// go-redis keeps the []byte arguments and writes them at
				// Exec, so every command in the batch needs its own bytes.
				vals := make([]byte, (hi-lo)*valueSize)
				for i := lo; i < hi; i++ {
					v := vals[(i-lo)*valueSize : (i-lo+1)*valueSize]
					fillValue(v, i)
					pipe.Set(ctx, benchKey(i), v, 0)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					if ctx.Err() == nil {
						err = fmt.Errorf("SET key:%d..key:%d: %w", lo, hi-1, err)
					}
					cancel(err)
					return
				}
				acked.Add(int64(hi - lo))
			}
		})
	}
feed:
	for lo := from; lo < to; lo += batch {
		select {
		case starts <- lo:
		case <-ctx.Done():
			break feed
		}
	}
	close(starts)
	wg.Wait()
	return int(acked.Load()), context.Cause(ctx)
}

// checkKey reads key i back and compares it with what loadKeys wrote, so a
// server that acknowledged writes it did not keep is not measured as lean.
func checkKey(ctx context.Context, clients []*redis.Client, i, valueSize int) error {
	if i < 0 {
		return nil
	}
	want := make([]byte, valueSize)
	fillValue(want, i)
	for _, c := range clients {
		got, err := c.Get(ctx, benchKey(i)).Bytes()
		if err != nil {
			return fmt.Errorf("GET %s from %s: %w", benchKey(i), c.Options().Addr, err)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("GET %s from %s: got %q, want %q", benchKey(i), c.Options().Addr, got, want)
		}
	}
	return nil
}

// benchKey is the name of the i-th key loaded.
func benchKey(i int) string {
	return "key:" + strconv.Itoa(i)
}

// fillValue fills buf with printable bytes derived from i (splitmix64), so
// every key has its own value: identical values would flatter any store that
// compresses or deduplicates.
func fillValue(buf []byte, i int) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
	x := uint64(i)
	for j := 0; j < len(buf); j += 8 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		for k := 0; k < 8 && j+k < len(buf); k++ {
			buf[j+k] = alphabet[z&63]
			z >>= 8
		}
	}
}

// mib converts bytes to mebibytes.
func mib(b int64) float64 { return float64(b) / (1 << 20) }
