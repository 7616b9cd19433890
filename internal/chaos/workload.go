package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// client is one workload client: its kind and the keys it writes.
type client struct {
	id   int
	kind Kind
	keys []string
}

// plan lays out the workload's clients and keys: SET clients with keys of
// their own, VSET clients in groups of two or three sharing a group's
// keys, counter clients all sharing the counters.
func plan(cfg Config) []client {
	var out []client
	id := 0
	for range cfg.SetClients {
		keys := make([]string, cfg.Keys)
		for k := range keys {
			keys[k] = fmt.Sprintf("set:c%d:k%d", id, k)
		}
		out = append(out, client{id, KindSet, keys})
		id++
	}
	for g, size := range groupSizes(cfg.VSetClients) {
		keys := make([]string, cfg.Keys)
		for k := range keys {
			keys[k] = fmt.Sprintf("vset:g%d:k%d", g, k)
		}
		for range size {
			out = append(out, client{id, KindVSet, keys})
			id++
		}
	}
	counters := make([]string, cfg.Counters)
	for k := range counters {
		counters[k] = fmt.Sprintf("ctr:k%d", k)
	}
	for range cfg.CounterClients {
		out = append(out, client{id, KindIncr, counters})
		id++
	}
	for range cfg.HashClients {
		// A third of the keys hashes, a third sets, a third sorted
		// sets: they are stored alike, and held to the same rules
		// (checkHash).
		keys := make([]string, cfg.Keys)
		for k := range keys {
			keys[k] = fmt.Sprintf("%s:c%d:k%d", [...]string{"hash", "sset", "zset"}[k%3], id, k)
		}
		out = append(out, client{id, KindHSet, keys})
		id++
	}
	return out
}

// hashCounter is the hash whose field "n" every hash client increments,
// zsetCounter the sorted set whose member "n" they all increment.
const (
	hashCounter = "hash:counter"
	zsetCounter = "zset:counter"
)

// kindsOf maps every key of the workload to the kind of its writes, for
// the final reads (a hash is read with HGETALL).
func kindsOf(clients []client) map[string]Kind {
	out := map[string]Kind{}
	for _, c := range clients {
		for _, k := range c.keys {
			out[k] = c.kind
			switch {
			case strings.HasPrefix(k, "sset:"):
				out[k] = KindSAdd
			case strings.HasPrefix(k, "zset:"):
				out[k] = KindZAdd
			}
		}
		if c.kind == KindHSet {
			out[hashCounter] = KindHIncr
			out[zsetCounter] = KindZIncr
		}
	}
	return out
}

// groupSizes splits n clients into groups of three, with groups of two
// where three does not divide: 2 -> [2], 4 -> [2 2], 5 -> [3 2], 7 -> [3 2 2].
func groupSizes(n int) []int {
	var out []int
	for n > 0 {
		switch {
		case n == 4 || n == 2:
			out, n = append(out, 2), n-2
		default:
			out, n = append(out, min(3, n)), n-min(3, n)
		}
	}
	return out
}

// keysOf is every key of the workload, once.
func keysOf(clients []client) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range clients {
		for _, k := range c.keys {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// workload runs the clients against the cluster's running nodes.
type workload struct {
	cfg     Config
	cl      *cluster
	clients []client
	stop    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	// logs[i] is client i's history; only client i appends to it, and it
	// is read after wg.Wait.
	logs [][]Write
	// fields[i] is hash client i's fields whose HSET was acknowledged and
	// that it has not deleted since, by hash; only client i uses it.
	fields []map[string][]string

	// Progress, for the run's log.
	attempts, acked, indet, readErrs atomic.Int64
}

func newWorkload(cfg Config, cl *cluster) *workload {
	clients := plan(cfg)
	w := &workload{cfg: cfg, cl: cl, clients: clients, stop: make(chan struct{}), logs: make([][]Write, len(clients))}
	w.fields = make([]map[string][]string, len(clients))
	for i := range w.fields {
		w.fields[i] = map[string][]string{}
	}
	return w
}

// start runs every client in its own goroutine.
func (w *workload) start(ctx context.Context) {
	for i, c := range w.clients {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.run(ctx, i, c)
		}()
	}
}

// finish stops the clients, waits for them and returns the history (client
// by client, each in its order). Only the first call stops them.
func (w *workload) finish() []Write {
	w.once.Do(func() { close(w.stop) })
	w.wg.Wait()
	var out []Write
	for _, l := range w.logs {
		out = append(out, l...)
	}
	return out
}

// run is one client's loop: at most OpsPerClient iterations, each one
// operation against a random running node, until stopped.
func (w *workload) run(ctx context.Context, i int, c client) {
	rng := rand.New(rand.NewPCG(w.cfg.Seed, uint64(c.id)+1))
	seq := 0
	for range w.cfg.OpsPerClient {
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		up := w.cl.running()
		if len(up) > 0 {
			n := up[rng.IntN(len(up))]
			key := c.keys[rng.IntN(len(c.keys))]
			seq++
			// A SET client reads the key before one SET in four, so the
			// checker sees its siblings during the run, not only at the end
			// (later SETs through an up-to-date owner resolve them).
			check := c.kind == KindSet && rng.IntN(4) == 0
			op := w.op
			if c.kind == KindHSet {
				op = func(ctx context.Context, c client, seq int, n *node, key string, _ bool) (Write, bool) {
					return w.hashOp(ctx, i, c, seq, n, key, rng)
				}
			}
			if wr, ok := op(ctx, c, seq, n, key, check); ok {
				w.logs[i] = append(w.logs[i], wr)
				w.attempts.Add(1)
				switch wr.Outcome {
				case Acked:
					w.acked.Add(1)
				case Indeterminate:
					w.indet.Add(1)
				}
			}
		}
		select {
		case <-w.stop:
			return
		case <-time.After(w.cfg.OpPause):
		}
	}
}

// op makes one write (a VSET after its VGET; a SET after one if check);
// ok is false when the VGET failed and nothing was written.
func (w *workload) op(ctx context.Context, c client, seq int, n *node, key string, check bool) (Write, bool) {
	wr := Write{Client: c.id, Seq: seq, Kind: c.kind, Key: key, Node: n.addr}
	if c.kind != KindIncr {
		wr.Value = fmt.Sprintf("c%d-n%d", c.id, seq)
	}
	var vctx string
	if c.kind == KindVSet || check {
		rctx, cancel := context.WithTimeout(ctx, w.cfg.OpTimeout)
		wr.ReadStart = time.Now()
		reply, err := n.client.Do(rctx, "VGET", key).Slice()
		cancel()
		if err != nil {
			w.readErrs.Add(1)
			return wr, false
		}
		r, err := parseVersions(reply)
		if err != nil || len(reply) == 0 {
			w.readErrs.Add(1)
			return wr, false
		}
		if c.kind == KindVSet {
			vctx, _ = reply[0].(string)
			wr.Saw = r.Values
		} else {
			wr.Read = append([]string{}, r.Values...)
		}
	}
	octx, cancel := context.WithTimeout(ctx, w.cfg.OpTimeout)
	defer cancel()
	wr.Start = time.Now()
	var err error
	switch c.kind {
	case KindSet:
		err = n.client.Set(octx, key, wr.Value, 0).Err()
	case KindVSet:
		err = n.client.Do(octx, "VSET", key, vctx, wr.Value).Err()
	case KindIncr:
		wr.Result, err = n.client.Incr(octx, key).Result()
	}
	wr.End = time.Now()
	wr.Outcome = Classify(err)
	if err != nil {
		wr.Err = err.Error()
		wr.Result = 0
	}
	return wr, true
}

// hashOp is one write of a hash client: mostly an HSET of a new field of
// key (its value the field's name), sometimes an HDEL of one of the
// client's acknowledged fields of key, sometimes an HINCRBY of the shared
// counter field; the same writes for a set (SADD, SREM) and a sorted set
// (ZADD with the write's sequence number as the score, ZREM, and ZINCRBY
// of the shared counter member).
func (w *workload) hashOp(ctx context.Context, i int, c client, seq int, n *node, key string, rng *rand.Rand) (Write, bool) {
	wr := Write{Client: c.id, Seq: seq, Kind: KindHSet, Key: key, Node: n.addr}
	held := w.fields[i][key]
	switch k := rng.IntN(10); {
	case k == 0:
		wr.Kind, wr.Key, wr.Field = KindHIncr, hashCounter, "n"
	case k <= 2 && len(held) > 0:
		j := rng.IntN(len(held))
		wr.Kind, wr.Field = KindHDel, held[j]
	default:
		wr.Field = fmt.Sprintf("c%d-n%d", c.id, seq)
		wr.Value = wr.Field
	}
	switch {
	case strings.HasPrefix(key, "sset:") && wr.Kind != KindHIncr:
		// A set: the same writes, a member without a value.
		wr.Kind, wr.Value = map[Kind]Kind{KindHSet: KindSAdd, KindHDel: KindSRem}[wr.Kind], ""
	case strings.HasPrefix(key, "zset:") && wr.Kind == KindHIncr:
		wr.Kind, wr.Key = KindZIncr, zsetCounter
	case strings.HasPrefix(key, "zset:"):
		// A sorted set: a member's value is its score.
		wr.Kind, wr.Value = map[Kind]Kind{KindHSet: KindZAdd, KindHDel: KindZRem}[wr.Kind], strconv.Itoa(seq)
	}
	octx, cancel := context.WithTimeout(ctx, w.cfg.OpTimeout)
	defer cancel()
	wr.Start = time.Now()
	var err error
	switch wr.Kind {
	case KindHSet:
		err = n.client.HSet(octx, wr.Key, wr.Field, wr.Value).Err()
	case KindHDel:
		wr.Result, err = n.client.HDel(octx, wr.Key, wr.Field).Result()
	case KindSAdd:
		err = n.client.SAdd(octx, wr.Key, wr.Field).Err()
	case KindSRem:
		wr.Result, err = n.client.SRem(octx, wr.Key, wr.Field).Result()
	case KindHIncr:
		wr.Result, err = n.client.HIncrBy(octx, wr.Key, wr.Field, 1).Result()
	case KindZAdd:
		err = n.client.Do(octx, "ZADD", wr.Key, wr.Value, wr.Field).Err()
	case KindZRem:
		wr.Result, err = n.client.ZRem(octx, wr.Key, wr.Field).Result()
	case KindZIncr:
		var f float64
		f, err = n.client.ZIncrBy(octx, wr.Key, 1, wr.Field).Result()
		wr.Result = int64(f)
	}
	wr.End = time.Now()
	wr.Outcome = Classify(err)
	if err != nil {
		wr.Err = err.Error()
		wr.Result = 0
	}
	switch {
	case wr.Outcome == Acked && (wr.Kind == KindHSet || wr.Kind == KindSAdd || wr.Kind == KindZAdd):
		w.fields[i][key] = append(held, wr.Field)
	case (wr.Kind == KindHDel || wr.Kind == KindSRem || wr.Kind == KindZRem) && wr.Outcome != Failed:
		// An indeterminate HDEL may apply: the field is not deleted
		// twice, so its fate stays the HDEL's.
		w.fields[i][key] = slices.DeleteFunc(held, func(f string) bool { return f == wr.Field })
	}
	return wr, true
}
