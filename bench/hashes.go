package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// HashScenario measures hashes, sets and sorted sets on each target,
// compared with the first (redis-server at equal durability):
//
//   - HSET and HGET of a random field of a random hash, SADD and SISMEMBER
//     of a random member of a random set, ZADD, ZRANGE (ten members from a
//     random score) and ZRANK of a random member of a random sorted set, at
//     every pipeline depth, with the throughput scenario's requests;
//   - HSET and HGET of random fields of one hash of each of HashSizes
//     fields, and its HLEN, and ZADD, ZRANGE and ZRANK on one sorted set of
//     each size, unpipelined. (Dynago counts a big hash's fields from a
//     summary it keeps in memory, engine/summaries.go, built by the first
//     HLEN.) Each field or member of a Dynago collection is a record
//     of its own, so writes must not slow down as it grows: the note gives
//     Dynago's slowest size against its fastest. Before ZRANGE and ZRANK,
//     one ZRANK of the set's middle member is timed and logged: on Dynago
//     it builds the set's counted rank blocks (engine/ranks.go), a cost paid
//     once per set and process, which the runs after it do not pay;
//   - the resident memory of each target after the hash of the largest
//     size was filled (the note).
func HashScenario(cfg Config, targets []TargetSpec) Scenario {
	return Scenario{
		Name:    "hashes",
		Targets: targets,
		Run: func(ctx context.Context, env *Env, ts []*Target) (Report, error) {
			rep := pairReport(cfg, "Hashes", "Hashes", Load{Clients: cfg.Clients, ValueSize: cfg.ValueSize, Keyspace: cfg.Keyspace}, ts)
			value := strings.Repeat("v", cfg.ValueSize)
			rep.Commands = map[string][]string{
				"HSET":      {"HSET", "hash:__rand_int__", "f:__rand_int__", value},
				"HGET":      {"HGET", "hash:__rand_int__", "f:__rand_int__"},
				"SADD":      {"SADD", "set:__rand_int__", "m:__rand_int__"},
				"SISMEMBER": {"SISMEMBER", "set:__rand_int__", "m:__rand_int__"},
				"ZADD":      {"ZADD", "zset:__rand_int__", "__rand_int__", "m:__rand_int__"},
				"ZRANGE":    {"ZRANGE", "zset:__rand_int__", "__rand_int__", "+inf", "BYSCORE", "LIMIT", "0", "10"},
				"ZRANK":     {"ZRANK", "zset:__rand_int__", "m:__rand_int__"},
			}
			rep.Keyspaces = map[string]int{}
			eps := targetEndpoints(ts)
			hc := cfg
			hc.Tests = []string{"HSET", "HGET", "SADD", "SISMEMBER", "ZADD", "ZRANGE", "ZRANK"}
			err := runRounds(ctx, env, hc, cfg.RequestsFor, eps, rep)

			var sizeTests []string
			for _, n := range cfg.HashSizes {
				key := "big:" + strconv.Itoa(n)
				for _, t := range ts {
					if ctx.Err() != nil {
						return rep, errors.Join(err, ctx.Err())
					}
					start := time.Now()
					if ferr := fillHash(ctx, t.Addrs()[0], key, n, cfg.ValueSize); ferr != nil {
						return rep, errors.Join(err, fmt.Errorf("filling %s on %s: %w", key, t.Name, ferr))
					}
					env.Logf("%s: %s filled with %d fields in %v", t.Name, key, n, time.Since(start).Round(time.Millisecond))
					settleAll(ctx, env, t.Name, t.Addrs())
				}
				set, get, hlen := "HSET@"+strconv.Itoa(n), "HGET@"+strconv.Itoa(n), "HLEN@"+strconv.Itoa(n)
				rep.Commands[set] = []string{"HSET", key, "f:__rand_int__", value}
				rep.Commands[get] = []string{"HGET", key, "f:__rand_int__"}
				rep.Commands[hlen] = []string{"HLEN", key}
				rep.Keyspaces[set], rep.Keyspaces[get], rep.Keyspaces[hlen] = n, n, n
				sizeTests = append(sizeTests, set, get, hlen)
			}
			var rss []string
			for _, t := range ts {
				if b, rerr := t.RSS(); rerr == nil {
					rss = append(rss, fmt.Sprintf("%s %.1f MiB", t.Name, mib(b)))
				}
			}
			sc := cfg
			sc.Tests, sc.Pipelines = sizeTests, []int{1}
			err = errors.Join(err, runRounds(ctx, env, sc, func(int) int { return cfg.HashRequests }, eps, rep))
			err = errors.Join(err, zsetSizes(ctx, env, cfg, ts, eps, rep))
			rep.Note = hashFlatness(rep, ts, cfg.HashSizes)
			if len(rss) > 0 {
				rep.Note += fmt.Sprintf("; resident memory after the hash of %d fields: %s", cfg.HashSizes[len(cfg.HashSizes)-1], strings.Join(rss, ", "))
			}
			small, serr := smallHashesMemory(ctx, env, cfg, ts)
			rep.Note += small
			return rep, errors.Join(err, serr)
		},
	}
}

// zsetSizes fills one sorted set of each of cfg.HashSizes members on each
// target and runs ZADD, ZRANGE and ZRANK on it, unpipelined.
func zsetSizes(ctx context.Context, env *Env, cfg Config, ts []*Target, eps []endpoint, rep *ThroughputReport) error {
	var err error
	for _, n := range cfg.HashSizes {
		key := "bigz:" + strconv.Itoa(n)
		for _, t := range ts {
			if ctx.Err() != nil {
				return errors.Join(err, ctx.Err())
			}
			start := time.Now()
			if ferr := fillZSet(ctx, t.Addrs()[0], key, n); ferr != nil {
				return errors.Join(err, fmt.Errorf("filling %s on %s: %w", key, t.Name, ferr))
			}
			env.Logf("%s: %s filled with %d members in %v", t.Name, key, n, time.Since(start).Round(time.Millisecond))
			settleAll(ctx, env, t.Name, t.Addrs())
		}
		size := strconv.Itoa(n)
		rep.Commands["ZADD@"+size] = []string{"ZADD", key, "__rand_int__", "m:__rand_int__"}
		rep.Commands["ZRANGE@"+size] = []string{"ZRANGE", key, "__rand_int__", "+inf", "BYSCORE", "LIMIT", "0", "10"}
		rep.Commands["ZRANK@"+size] = []string{"ZRANK", key, "m:__rand_int__"}
		sc := cfg
		sc.Pipelines = []int{1}
		for _, test := range []string{"ZADD@" + size, "ZRANGE@" + size, "ZRANK@" + size} {
			rep.Keyspaces[test] = n
		}
		sc.Tests = []string{"ZADD@" + size}
		err = errors.Join(err, runRounds(ctx, env, sc, func(int) int { return cfg.HashRequests }, eps, rep))
		for _, t := range ts {
			start := time.Now()
			if werr := firstRank(ctx, t.Addrs()[0], key, n/2, n); werr != nil {
				return errors.Join(err, fmt.Errorf("ranking in %s on %s: %w", key, t.Name, werr))
			}
			env.Logf("%s: first ZRANK in %s in %v", t.Name, key, time.Since(start).Round(time.Microsecond))
		}
		sc.Tests = []string{"ZRANGE@" + size, "ZRANK@" + size}
		err = errors.Join(err, runRounds(ctx, env, sc, func(int) int { return cfg.HashRequests }, eps, rep))
	}
	return err
}

// fillZSet gives the sorted set key the members m:0 .. m:n-1 (as
// redis-benchmark's m:__rand_int__ writes them), member i with score i,
// 100 members per ZADD, and checks the count.
func fillZSet(ctx context.Context, addr, key string, n int) error {
	c := newLoadClient(addr, 8, 30*time.Second)
	defer c.Close()
	const perCommand, perPipeline = 100, 50
	if err := c.Del(ctx, key).Err(); err != nil {
		return err
	}
	for lo := 0; lo < n; lo += perCommand * perPipeline {
		pipe := c.Pipeline()
		for cmd := lo; cmd < min(n, lo+perCommand*perPipeline); cmd += perCommand {
			args := []any{"ZADD", key}
			for i := cmd; i < min(n, cmd+perCommand); i++ {
				args = append(args, i, fmt.Sprintf("m:%012d", i))
			}
			pipe.Do(ctx, args...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
	}
	got, err := c.ZCard(ctx, key).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	if got != int64(n) {
		return fmt.Errorf("ZCARD %s = %d after writing %d members", key, got, n)
	}
	return nil
}

// firstRank asks for the rank of member i of the sorted set of n members
// fillZSet filled (ZADD runs may have changed its score since), and
// checks it is one.
func firstRank(ctx context.Context, addr, key string, i, n int) error {
	c := newLoadClient(addr, 1, time.Minute)
	defer c.Close()
	got, err := c.ZRank(ctx, key, fmt.Sprintf("m:%012d", i)).Result()
	if err == nil && (got < 0 || got >= int64(n)) {
		err = fmt.Errorf("ZRANK of member %d answered %d in a set of %d", i, got, n)
	}
	return err
}

// hashFlatness says, for each target and each per-size test, how much
// slower the largest collection is than the fastest size: in ops/s (the
// fastest size's rate over the largest's) and in CPU per operation (the
// largest's over the cheapest size's, from /proc; the figure the machine's
// noise moves least). Dynago's is the target's measure (flat within 1.5x);
// redis-server's shows what the sizes cost an in-memory store on the same
// machine.
func hashFlatness(rep *ThroughputReport, ts []*Target, sizes []int) string {
	var notes []string
	for i := len(ts) - 1; i >= 0; i-- {
		var parts []string
		for _, op := range []string{"HSET", "HGET", "HLEN", "ZADD", "ZRANGE", "ZRANK"} {
			var rates, cpus []float64
			for _, n := range sizes {
				for _, r := range rep.Rows {
					if m := Median(r.Runs); r.Target == ts[i].Name && r.Test == op+"@"+strconv.Itoa(n) && r.Err == nil && m.RPS > 0 {
						rates, cpus = append(rates, m.RPS), append(cpus, m.CPUUsPerOp)
					}
				}
			}
			if len(rates) != len(sizes) {
				continue
			}
			part := fmt.Sprintf("%s %.2fx", op, slices.Max(rates)/rates[len(rates)-1])
			if least := slices.Min(cpus); least > 0 {
				part += fmt.Sprintf(" (CPU/op %.2fx)", cpus[len(cpus)-1]/least)
			}
			parts = append(parts, part)
		}
		if len(parts) > 0 {
			notes = append(notes, ts[i].Name+": "+strings.Join(parts, ", "))
		}
	}
	if len(notes) == 0 {
		return ""
	}
	return fmt.Sprintf("one collection of each size, the fastest size against %d elements (flat within 1.5x is the target): %s",
		sizes[len(sizes)-1], strings.Join(notes, "; "))
}

// fillHash gives the hash key the fields f:0 .. f:n-1 (the names the
// size runs' f:__rand_int__ draws), 100 fields per HSET, with pipelines of
// HSETs in flight, and checks the count.
func fillHash(ctx context.Context, addr, key string, n, valueSize int) error {
	c := newLoadClient(addr, 8, 30*time.Second)
	defer c.Close()
	const perCommand, perPipeline = 100, 50
	value := strings.Repeat("v", valueSize)
	if err := c.Del(ctx, key).Err(); err != nil {
		return err
	}
	for lo := 0; lo < n; lo += perCommand * perPipeline {
		pipe := c.Pipeline()
		for cmd := lo; cmd < min(n, lo+perCommand*perPipeline); cmd += perCommand {
			args := []any{"HSET", key}
			for i := cmd; i < min(n, cmd+perCommand); i++ {
				args = append(args, benchField(i), value)
			}
			pipe.Do(ctx, args...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
	}
	got, err := c.HLen(ctx, key).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	if got != int64(n) {
		return fmt.Errorf("HLEN %s = %d after writing %d fields", key, got, n)
	}
	return nil
}

// benchField is the name of the i-th field, as redis-benchmark's
// f:__rand_int__ writes it (twelve digits).
func benchField(i int) string { return fmt.Sprintf("f:%012d", i) }

// smallHashes is how many small hashes smallHashesMemory writes: as many
// as the largest hash has fields.
func smallHashes(cfg Config) int { return cfg.HashSizes[len(cfg.HashSizes)-1] }

// smallHashesMemory adds smallHashes(cfg) hashes of two fields each
// (small:<i>, fields f1 and f2 of cfg.ValueSize bytes) to each target and
// reports its resident memory before and after, as a note.
func smallHashesMemory(ctx context.Context, env *Env, cfg Config, ts []*Target) (string, error) {
	n := smallHashes(cfg)
	var parts []string
	for _, t := range ts {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		before, err := t.RSS()
		if err != nil {
			return "", err
		}
		start := time.Now()
		if err := fillSmallHashes(ctx, t.Addrs()[0], n, cfg.ValueSize); err != nil {
			return "", fmt.Errorf("filling %d small hashes on %s: %w", n, t.Name, err)
		}
		env.Logf("%s: %d small hashes written in %v", t.Name, n, time.Since(start).Round(time.Millisecond))
		after, err := t.RSS()
		if err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprintf("%s %.1f MiB (%+.1f)", t.Name, mib(after), mib(after-before)))
	}
	return fmt.Sprintf("; resident memory after %d small hashes (2 fields of %d bytes) more: %s", n, cfg.ValueSize, strings.Join(parts, ", ")), nil
}

// fillSmallHashes writes the hashes small:0 .. small:n-1, each with the
// fields f1 and f2, from four connections with pipelines of HSETs in
// flight, and checks the last one.
func fillSmallHashes(ctx context.Context, addr string, n, valueSize int) error {
	c := newLoadClient(addr, 8, 30*time.Second)
	defer c.Close()
	value := strings.Repeat("v", valueSize)
	const writers, perPipeline = 4, 1000
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			for lo := w * perPipeline; lo < n; lo += writers * perPipeline {
				pipe := c.Pipeline()
				for i := lo; i < min(n, lo+perPipeline); i++ {
					pipe.HSet(ctx, fmt.Sprintf("small:%d", i), "f1", value, "f2", value)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var err error
	for range writers {
		err = errors.Join(err, <-errs)
	}
	if err != nil {
		return err
	}
	if got, err := c.HLen(ctx, fmt.Sprintf("small:%d", n-1)).Result(); err != nil || got != 2 {
		return fmt.Errorf("HLEN small:%d = %d (%v) after writing 2 fields", n-1, got, err)
	}
	return nil
}
