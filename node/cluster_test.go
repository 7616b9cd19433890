package node_test

// Cluster tests of Dynago: in-process nodes on loopback (internal/testserver),
// driven by go-redis over real TCP. Each test starts its own cluster; the
// cluster's links can be cut and healed, and its nodes stopped and restarted
// on the same data directory.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/simcluster"
	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/membership"
	"github.com/dynago/dynago/node"
	"github.com/redis/go-redis/v9"
)

// ctxFor bounds a test's requests together: a hung node fails the test
// instead of hanging it. Each request is also bounded on its own, by the
// client's read timeout. The bound is for the whole test, so it leaves room
// for a loaded machine.
func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// steady loosens the harness's fast gossip for the tests on loopback, which
// run on real time: with the race detector on a two-core machine that other
// work keeps busy (a load of 15 was seen), a node can go unscheduled for
// hundreds of milliseconds, and with a probe timeout of 150 ms and a member
// declared dead 0.8 s after a missed probe, healthy members were declared
// dead; the coordinator skips dead replicas, so reads and writes failed with
// NOQUORUM ("0 of 2 required replicas answered") on a healthy cluster. Here
// a member must miss a 400 ms probe and then stay silent for 2 s. No test
// left on loopback waits for failure detection (a node stopped gracefully
// is seen as left at once; a cut link fails requests at once); the tests
// that do run on the simulated cluster's fake clock (failures_test.go). For
// the same reason an operation gets 3 s rather than the harness's 1 s.
func steady(_ int, cfg *node.Config) {
	cfg.Timeout = 3 * time.Second
	fast := cfg.Gossip
	cfg.Gossip = func(m *membership.Config) {
		fast(m)
		m.ProbeInterval = 500 * time.Millisecond
		m.ProbeTimeout = 400 * time.Millisecond
		m.SuspicionMult = 4
	}
}

// commander sends commands to a node: a go-redis client of a node on
// loopback, or a node of a simulated cluster (internal/simcluster), which
// answers the same way.
type commander interface {
	Do(ctx context.Context, args ...any) *redis.Cmd
}

// nameOf says where a commander's commands go, for messages.
func nameOf(c commander) string {
	switch c := c.(type) {
	case *redis.Client:
		return c.Options().Addr
	case *simcluster.Node:
		return c.Name()
	}
	return fmt.Sprint(c)
}

// clients returns one go-redis client per node of c.
func clients(c *testserver.Cluster) []*redis.Client {
	out := make([]*redis.Client, len(c.Nodes))
	for i, cn := range c.Nodes {
		out[i] = cn.Client()
	}
	return out
}

// rdo runs a command that must succeed and returns its reply.
func rdo(t *testing.T, c commander, args ...any) any {
	t.Helper()
	v, err := c.Do(ctxFor(t), args...).Result()
	if err != nil {
		t.Fatalf("%s %v: %v", nameOf(c), args, err)
	}
	return v
}

// getOK returns key's value through c, failing the test on an error; found
// is false for a null reply.
func getOK(t *testing.T, c commander, key string) (string, bool) {
	t.Helper()
	v, err := c.Do(ctxFor(t), "GET", key).Text()
	if errors.Is(err, redis.Nil) {
		return "", false
	}
	if err != nil {
		t.Fatalf("GET %s through %s: %v", key, nameOf(c), err)
	}
	return v, true
}

// poll calls cond every 10ms until it returns "" (success) or within has
// passed, then fails with cond's last complaint.
func poll(t *testing.T, within time.Duration, what string, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %v: %s", what, within, msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// infoField returns one field of INFO's output through c.
func infoField(t *testing.T, c commander, section, field string) string {
	t.Helper()
	info, err := c.Do(ctxFor(t), "INFO", section).Text()
	if err != nil {
		t.Fatalf("INFO %s through %s: %v", section, nameOf(c), err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO %s through %s has no %s:\n%s", section, nameOf(c), field, info)
	return ""
}

// preflist answers DYNAGO PREFLIST key through c: the partition and owners.
func preflist(t *testing.T, c commander, key string) (int64, []string) {
	t.Helper()
	v := rdo(t, c, "DYNAGO", "PREFLIST", key)
	arr, ok := v.([]any)
	if !ok || len(arr) != 3 {
		t.Fatalf("DYNAGO PREFLIST %s: got %#v, want a 3-element array", key, v)
	}
	p, ok := arr[0].(int64)
	if !ok {
		t.Fatalf("DYNAGO PREFLIST %s: partition %#v is not an integer", key, arr[0])
	}
	var owners []string
	for _, o := range arr[1].([]any) {
		owners = append(owners, o.(string))
	}
	return p, owners
}

// nodeLine is one line of DYNAGO NODES.
type nodeLine struct {
	name, addr, state string
	partitions        int
	flags             string
}

func dynagoNodes(t *testing.T, c *redis.Client) map[string]nodeLine {
	t.Helper()
	v := rdo(t, c, "DYNAGO", "NODES")
	s, ok := v.(string)
	if !ok {
		t.Fatalf("DYNAGO NODES: got %#v, want a bulk string", v)
	}
	out := map[string]nodeLine{}
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 || !strings.HasPrefix(f[3], "partitions=") {
			t.Fatalf("DYNAGO NODES: malformed line %q in\n%s", line, s)
		}
		n, err := strconv.Atoi(strings.TrimPrefix(f[3], "partitions="))
		if err != nil {
			t.Fatalf("DYNAGO NODES: malformed line %q: %v", line, err)
		}
		if _, dup := out[f[0]]; dup {
			t.Fatalf("DYNAGO NODES lists %s twice:\n%s", f[0], s)
		}
		out[f[0]] = nodeLine{name: f[0], addr: f[1], state: f[2], partitions: n, flags: f[4]}
	}
	return out
}

// TestReadsAndWritesThroughEveryNode checks, on 3- and 5-node clusters, that
// every node serves the whole keyspace: what is written through one node is
// read through every other, and whole-keyspace commands see every key.
func TestReadsAndWritesThroughEveryNode(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("%d-nodes", n), func(t *testing.T) {
			t.Parallel()
			c := testserver.StartCluster(t, n, steady)
			cls := clients(c)
			ctx := ctxFor(t)

			t.Run("single-keys", func(t *testing.T) {
				// R+W>N: once a write is acknowledged, a read through any
				// node sees it, with no waiting.
				for i, w := range cls {
					key := fmt.Sprintf("from-%d", i)
					if err := w.Set(ctx, key, fmt.Sprintf("v%d", i), 0).Err(); err != nil {
						t.Fatalf("SET %s through node %d: %v", key, i+1, err)
					}
					for j, r := range cls {
						if got, ok := getOK(t, r, key); !ok || got != fmt.Sprintf("v%d", i) {
							t.Fatalf("GET %s through node %d after SET through node %d: %q (found %v)", key, j+1, i+1, got, ok)
						}
					}
				}
				var keys []string
				var want []any
				for i := range cls {
					keys = append(keys, fmt.Sprintf("from-%d", i))
					want = append(want, fmt.Sprintf("v%d", i))
				}
				keys = append(keys, "never-written")
				want = append(want, nil)
				for j, r := range cls {
					got, err := r.MGet(ctx, keys...).Result()
					if err != nil || !slices.Equal(got, want) {
						t.Fatalf("MGET through node %d: %#v, %v; want %#v", j+1, got, err, want)
					}
				}
				// An overwrite through another node replaces the value
				// everywhere: a plain SET is coordinated by the key's first
				// live owner, which has seen the write before it.
				for i, w := range cls {
					if err := w.Set(ctx, "shared", fmt.Sprintf("round-%d", i), 0).Err(); err != nil {
						t.Fatalf("SET shared through node %d: %v", i+1, err)
					}
					for j, r := range cls {
						if got, _ := getOK(t, r, "shared"); got != fmt.Sprintf("round-%d", i) {
							t.Fatalf("GET shared through node %d after SET round-%d through node %d: %q", j+1, i, i+1, got)
						}
					}
				}
				written := []string{"shared"}
				for i := range cls {
					written = append(written, fmt.Sprintf("from-%d", i))
				}
				if got, err := cls[0].Del(ctx, written...).Result(); err != nil || got != int64(n+1) {
					t.Fatalf("DEL of the keys written: %d, %v; want %d", got, err, n+1)
				}
			})

			t.Run("multi-keys", func(t *testing.T) {
				const nkeys = 60
				var pairs []any
				var keys []string
				owners := map[string]bool{}
				partitions := map[int64]bool{}
				for k := 0; k < nkeys; k++ {
					key := fmt.Sprintf("multi:%d", k)
					keys = append(keys, key)
					pairs = append(pairs, key, "m"+strconv.Itoa(k))
					p, o := preflist(t, cls[0], key)
					partitions[p] = true
					owners[strings.Join(o, ",")] = true
				}
				if len(partitions) < nkeys/2 || (n > 3 && len(owners) < 3) {
					t.Fatalf("keys span %d partitions and %d owner sets; the test needs them spread", len(partitions), len(owners))
				}
				t.Logf("%d keys over %d partitions and %d distinct owner sets", nkeys, len(partitions), len(owners))
				if err := cls[n-1].MSet(ctx, pairs...).Err(); err != nil {
					t.Fatalf("MSET through node %d: %v", n, err)
				}
				for j, r := range cls {
					got, err := r.MGet(ctx, keys...).Result()
					if err != nil {
						t.Fatalf("MGET through node %d: %v", j+1, err)
					}
					for k, v := range got {
						if v != "m"+strconv.Itoa(k) {
							t.Fatalf("MGET through node %d: %s = %#v, want m%d", j+1, keys[k], v, k)
						}
					}
					if got, err := r.Exists(ctx, keys...).Result(); err != nil || got != nkeys {
						t.Fatalf("EXISTS of %d keys through node %d: %d, %v", nkeys, j+1, got, err)
					}
				}
				// Delete the even keys through node 2, then check through all.
				var even []string
				for k := 0; k < nkeys; k += 2 {
					even = append(even, keys[k])
				}
				if got, err := cls[1].Del(ctx, append(even, "never-written")...).Result(); err != nil || got != int64(len(even)) {
					t.Fatalf("DEL of %d keys through node 2: %d, %v", len(even), got, err)
				}
				for j, r := range cls {
					if got, err := r.Exists(ctx, keys...).Result(); err != nil || got != nkeys/2 {
						t.Fatalf("EXISTS after DEL through node %d: %d, %v; want %d", j+1, got, err, nkeys/2)
					}
					got, err := r.MGet(ctx, keys...).Result()
					if err != nil {
						t.Fatalf("MGET after DEL through node %d: %v", j+1, err)
					}
					for k, v := range got {
						if want := any("m" + strconv.Itoa(k)); k%2 == 0 && v != nil || k%2 == 1 && v != want {
							t.Fatalf("MGET after DEL through node %d: %s = %#v", j+1, keys[k], v)
						}
					}
				}
				if got, err := cls[0].Del(ctx, keys...).Result(); err != nil || got != nkeys/2 {
					t.Fatalf("second DEL through node 1: %d, %v; want %d", got, err, nkeys/2)
				}
			})

			t.Run("counters", func(t *testing.T) {
				// Increments through every node in turn all count, and
				// each reply is the running total, as Redis answers it:
				// in a healthy cluster a key's writes are coordinated by
				// one replica, which has seen every earlier write.
				var total int64
				check := func(what string, i int, got int64, err error) {
					t.Helper()
					if err != nil || got != total {
						t.Fatalf("%s through node %d: %d, %v; want %d", what, i+1, got, err, total)
					}
				}
				for round := 0; round < 3; round++ {
					for i, r := range cls {
						got, err := r.Incr(ctx, "hits").Result()
						total++
						check("INCR hits", i, got, err)
						got, err = r.IncrBy(ctx, "hits", 10).Result()
						total += 10
						check("INCRBY hits 10", i, got, err)
						got, err = r.Decr(ctx, "hits").Result()
						total--
						check("DECR hits", i, got, err)
					}
				}
				var ftotal float64
				for i, r := range cls {
					got, err := r.IncrByFloat(ctx, "ratio", 0.5).Result()
					ftotal += 0.5
					if err != nil || got != ftotal {
						t.Fatalf("INCRBYFLOAT ratio 0.5 through node %d: %v, %v; want %v", i+1, got, err, ftotal)
					}
				}
				for j, r := range cls {
					if got, _ := getOK(t, r, "hits"); got != strconv.FormatInt(total, 10) {
						t.Fatalf("GET hits through node %d: %q, want %d", j+1, got, total)
					}
					if got, _ := getOK(t, r, "ratio"); got != strconv.FormatFloat(ftotal, 'f', -1, 64) {
						t.Fatalf("GET ratio through node %d: %q, want %v", j+1, got, ftotal)
					}
				}
				rdo(t, cls[0], "DEL", "hits", "ratio")
			})

			t.Run("keyspace", func(t *testing.T) {
				// Start from an empty keyspace whatever the subtests
				// before left behind.
				if err := cls[0].FlushAll(ctx).Err(); err != nil {
					t.Fatalf("FLUSHALL: %v", err)
				}
				const nkeys = 120
				want := map[string]bool{}
				var pairs []any
				for k := 0; k < nkeys; k++ {
					key := fmt.Sprintf("space:%03d", k)
					want[key] = true
					pairs = append(pairs, key, k)
				}
				if err := cls[0].MSet(ctx, pairs...).Err(); err != nil {
					t.Fatalf("MSET: %v", err)
				}
				// KEYS, SCAN and DBSIZE ask one owner per partition, and
				// the third replica of a write (W=2) receives it in the
				// background: they converge within moments, so poll.
				for j, r := range cls {
					poll(t, 5*time.Second, fmt.Sprintf("DBSIZE and KEYS through node %d", j+1), func() string {
						if n, err := r.DBSize(ctx).Result(); err != nil || n != nkeys {
							return fmt.Sprintf("DBSIZE %d, %v; want %d", n, err, nkeys)
						}
						keys, err := r.Keys(ctx, "*").Result()
						if err != nil {
							return err.Error()
						}
						sort.Strings(keys)
						if len(keys) != nkeys || !allIn(keys, want) || len(dedup(keys)) != nkeys {
							return fmt.Sprintf("KEYS * answered %d keys: %v", len(keys), keys)
						}
						return ""
					})
					keys, err := r.Keys(ctx, "space:00?").Result()
					if err != nil || len(keys) != 10 {
						t.Fatalf("KEYS space:00? through node %d: %v, %v", j+1, keys, err)
					}
				}

				// One SCAN, its cursor carried from node to node.
				seen := map[string]int{}
				var cursor uint64
				for step := 0; ; step++ {
					if step > 10*nkeys {
						t.Fatalf("SCAN did not finish after %d steps", step)
					}
					r := cls[step%n]
					keys, next, err := r.Scan(ctx, cursor, "*", 7).Result()
					if err != nil {
						t.Fatalf("SCAN %d through node %d: %v", cursor, step%n+1, err)
					}
					for _, k := range keys {
						if !want[k] {
							t.Fatalf("SCAN returned %q, which was never written", k)
						}
						seen[k]++
					}
					cursor = next
					if cursor == 0 {
						t.Logf("SCAN across %d nodes took %d steps", n, step+1)
						break
					}
				}
				for k := range want {
					if seen[k] == 0 {
						t.Errorf("SCAN across nodes missed %s", k)
					}
				}
				dups := 0
				for _, c := range seen {
					dups += c - 1
				}
				if dups > 0 {
					t.Logf("SCAN across nodes returned %d keys more than once (allowed by Redis)", dups)
				}

				for j, r := range cls {
					for range 5 {
						k, err := r.RandomKey(ctx).Result()
						if err != nil || !want[k] {
							t.Fatalf("RANDOMKEY through node %d: %q, %v", j+1, k, err)
						}
					}
				}

				if err := cls[n-1].FlushAll(ctx).Err(); err != nil {
					t.Fatalf("FLUSHALL: %v", err)
				}
				for j, r := range cls {
					if got, err := r.DBSize(ctx).Result(); err != nil || got != 0 {
						t.Fatalf("DBSIZE through node %d after FLUSHALL: %d, %v", j+1, got, err)
					}
					if keys, err := r.Keys(ctx, "*").Result(); err != nil || len(keys) != 0 {
						t.Fatalf("KEYS through node %d after FLUSHALL: %v, %v", j+1, keys, err)
					}
					if _, ok := getOK(t, r, "space:007"); ok {
						t.Fatalf("GET through node %d after FLUSHALL found a key", j+1)
					}
					if err := r.RandomKey(ctx).Err(); !errors.Is(err, redis.Nil) {
						t.Fatalf("RANDOMKEY through node %d after FLUSHALL: %v, want nil", j+1, err)
					}
				}
			})
		})
	}
}

func allIn(keys []string, want map[string]bool) bool {
	for _, k := range keys {
		if !want[k] {
			return false
		}
	}
	return true
}

func dedup(sorted []string) []string { return slices.Compact(slices.Clone(sorted)) }

// readRepair reads keys (format with a key number, and a phase number if
// phases > 1) through c, which must find each with the value "down-" + key,
// until c's read-repair counter shows that every key was repaired on one
// other replica. c answers once two replicas have, then waits for the
// third and sends it the merged value; a read whose request to the stale
// replica fails (a peer that just came back may be refused for up to the
// transport's redial backoff) repairs nothing, so the keys are read again
// until the counter has risen by one per key. Only c reads the keys and
// only one replica is stale, so each key counts exactly once.
func readRepair(t *testing.T, c commander, format string, nkeys, phases int) {
	t.Helper()
	repairs := func() int {
		n, err := strconv.Atoi(infoField(t, c, "cluster", "cluster_read_repairs"))
		if err != nil {
			t.Fatalf("cluster_read_repairs: %v", err)
		}
		return n
	}
	before := repairs()
	poll(t, 10*time.Second, "reads to repair the restarted node", func() string {
		for phase := 0; phase < phases; phase++ {
			for k := 0; k < nkeys; k++ {
				key := fmt.Sprintf(format, k)
				if phases > 1 {
					key = fmt.Sprintf(format, phase, k)
				}
				if got, ok := getOK(t, c, key); !ok || got != "down-"+key {
					t.Fatalf("GET %s through a survivor: %q (found %v)", key, got, ok)
				}
			}
		}
		// Let the background repairs of this round finish before counting.
		var n int
		deadline := time.Now().Add(time.Second)
		for n = repairs(); n-before < nkeys*phases && time.Now().Before(deadline); n = repairs() {
			time.Sleep(20 * time.Millisecond)
		}
		if n-before < nkeys*phases {
			return fmt.Sprintf("%d repairs of %d", n-before, nkeys*phases)
		}
		if n-before > nkeys*phases {
			t.Fatalf("%d repairs for %d keys read through one node with one stale replica", n-before, nkeys*phases)
		}
		return ""
	})
}

// statusField returns one field of DYNAGO STATUS.
func statusField(t *testing.T, c commander, field string) string {
	t.Helper()
	s, _ := rdo(t, c, "DYNAGO", "STATUS").(string)
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	t.Fatalf("DYNAGO STATUS has no %s:\n%s", field, s)
	return ""
}

// checkNoQuorum runs a command that must fail fast with a NOQUORUM error
// saying one replica answered of the two needed.
func checkNoQuorum(t *testing.T, c *redis.Client, args ...any) {
	t.Helper()
	start := time.Now()
	v, err := c.Do(ctxFor(t), args...).Result()
	took := time.Since(start)
	if err == nil || errors.Is(err, redis.Nil) {
		t.Fatalf("%v with two of three replicas down: got %#v, %v; want a NOQUORUM error", args, v, err)
	}
	if !strings.HasPrefix(err.Error(), "NOQUORUM") || !strings.Contains(err.Error(), "1 of 2") {
		t.Fatalf("%v with two of three replicas down: error %q; want NOQUORUM ... 1 of 2 ...", args, err)
	}
	if took > 2*time.Second {
		t.Fatalf("%v took %v to fail; a client must learn of a lost quorum quickly", args, took)
	}
}

// TestTwoOfThreeDownFailsFast stops two nodes of three: the survivor
// refuses reads and writes with NOQUORUM, quickly, both before and after
// gossip has noticed. A survivor cut off by the network does the same.
func TestTwoOfThreeDownFailsFast(t *testing.T) {
	t.Parallel()
	t.Run("stopped", func(t *testing.T) {
		t.Parallel()
		c := testserver.StartCluster(t, 3, steady)
		cl := c.Nodes[0].Client()
		ctx := ctxFor(t)
		if err := cl.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		c.Nodes[1].Stop()
		c.Nodes[2].Stop()
		for _, wait := range []bool{false, true} {
			if wait {
				c.WaitAlive(1, false)
				c.WaitAlive(2, false)
			}
			checkNoQuorum(t, cl, "SET", "k", "w")
			checkNoQuorum(t, cl, "GET", "k")
			checkNoQuorum(t, cl, "INCR", "n")
			checkNoQuorum(t, cl, "MGET", "k", "n")
			checkNoQuorum(t, cl, "DEL", "k")
		}
		// The node itself stays healthy: PING and admin commands answer.
		if err := cl.Ping(ctx).Err(); err != nil {
			t.Fatalf("PING on the survivor: %v", err)
		}
	})
	t.Run("isolated", func(t *testing.T) {
		t.Parallel()
		c := testserver.StartCluster(t, 3, steady)
		cl := c.Nodes[0].Client()
		if err := cl.Set(ctxFor(t), "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		c.Isolate(0)
		checkNoQuorum(t, cl, "SET", "k", "w")
		checkNoQuorum(t, cl, "GET", "k")
		c.HealAll()
		c.WaitAlive(0, true)
		poll(t, 10*time.Second, "writes after healing", func() string {
			if err := cl.Set(ctxFor(t), "k", "healed", 0).Err(); err != nil {
				return err.Error()
			}
			return ""
		})
		if got, _ := getOK(t, c.Nodes[2].Client(), "k"); got != "healed" {
			t.Fatalf("GET through node 3 after healing: %q", got)
		}
	})
}

// vget answers VGET key through c: the context and the sibling values.
func vget(t *testing.T, c commander, key string) (string, []string) {
	t.Helper()
	v := rdo(t, c, "VGET", key)
	arr, ok := v.([]any)
	if !ok || len(arr) < 1 {
		t.Fatalf("VGET %s: got %#v", key, v)
	}
	var vals []string
	for _, s := range arr[1:] {
		vals = append(vals, s.(string))
	}
	return arr[0].(string), vals
}

// TestAdminCommands checks DYNAGO NODES, PREFLIST, RING and INFO cluster on a
// healthy cluster and after a node stops.
func TestAdminCommands(t *testing.T) {
	t.Parallel()
	c := testserver.StartCluster(t, 3, steady)
	cls := clients(c)
	var names []string
	for _, cn := range c.Nodes {
		names = append(names, cn.Config.Name)
	}

	for j, r := range cls {
		nodes := dynagoNodes(t, r)
		if len(nodes) != 3 {
			t.Fatalf("DYNAGO NODES through node %d lists %d nodes: %v", j+1, len(nodes), nodes)
		}
		for i, name := range names {
			l, ok := nodes[name]
			if !ok {
				t.Fatalf("DYNAGO NODES through node %d misses %s", j+1, name)
			}
			if l.state != "alive" || l.partitions != 256 || l.addr != c.Nodes[i].Addr() {
				t.Fatalf("DYNAGO NODES through node %d: %+v; want alive, 256 partitions, address %s", j+1, l, c.Nodes[i].Addr())
			}
			if self := strings.Contains(l.flags, "myself"); self != (i == j) {
				t.Fatalf("DYNAGO NODES through node %d: %s flags %q", j+1, name, l.flags)
			}
		}
		for field, want := range map[string]string{
			"cluster_enabled": "1", "cluster_members": "3", "cluster_members_alive": "3",
			"cluster_partitions": "256", "cluster_n": "3", "cluster_r": "2", "cluster_w": "2",
		} {
			if got := infoField(t, r, "cluster", field); got != want {
				t.Fatalf("INFO cluster through node %d: %s:%s, want %s", j+1, field, got, want)
			}
		}
		// INFO's cluster section also carries every DYNAGO STATUS field
		// (hints, transfers, anti-entropy); those that stand still on a
		// cluster without writes have the same values. (The tests on a
		// simulated cluster read them from DYNAGO STATUS.)
		status, _ := rdo(t, r, "DYNAGO", "STATUS").(string)
		for _, line := range strings.Split(strings.TrimSpace(status), "\n") {
			field, want, ok := strings.Cut(strings.TrimSpace(line), ":")
			if !ok {
				t.Fatalf("DYNAGO STATUS line %q", line)
			}
			got := infoField(t, r, "cluster", field)
			switch field {
			case "node", "cluster_id", "ring_members", "partitions_held", "hints_pending", "hints_handed_off", "hints_delivered":
				if got != want {
					t.Fatalf("INFO cluster through node %d: %s:%s; DYNAGO STATUS says %s", j+1, field, got, want)
				}
			}
		}
	}

	// RING: Q lines, each with 3 distinct members, the same through every node.
	var rings [][]any
	for _, r := range cls {
		ring, ok := rdo(t, r, "DYNAGO", "RING").([]any)
		if !ok || len(ring) != 256 {
			t.Fatalf("DYNAGO RING: %d lines, want 256", len(ring))
		}
		rings = append(rings, ring)
	}
	for p, line := range rings[0] {
		f := strings.Fields(line.(string))
		if len(f) != 2 || f[0] != strconv.Itoa(p) {
			t.Fatalf("DYNAGO RING line %d: %q", p, line)
		}
		owners := strings.Split(f[1], ",")
		if len(owners) != 3 || len(dedup(slices.Sorted(slices.Values(owners)))) != 3 {
			t.Fatalf("DYNAGO RING line %d: owners %q, want 3 distinct", p, owners)
		}
		for _, o := range owners {
			if !slices.Contains(names, o) {
				t.Fatalf("DYNAGO RING line %d names %q, not a member", p, o)
			}
		}
		for j := range rings {
			if rings[j][p] != line {
				t.Fatalf("DYNAGO RING line %d: %q through node 1, %q through node %d", p, line, rings[j][p], j+1)
			}
		}
	}

	// PREFLIST: 3 owners, the partition's RING line, the same through every node.
	for _, key := range []string{"a", "user:1000", "", "\x00\xff"} {
		p, owners := preflist(t, cls[0], key)
		if p < 0 || p >= 256 || len(owners) != 3 {
			t.Fatalf("DYNAGO PREFLIST %q: partition %d, owners %q", key, p, owners)
		}
		if want := fmt.Sprintf("%d %s", p, strings.Join(owners, ",")); rings[0][p] != want {
			t.Fatalf("DYNAGO PREFLIST %q: %q, but RING says %q", key, want, rings[0][p])
		}
		for j, r := range cls[1:] {
			if p2, o2 := preflist(t, r, key); p2 != p || !slices.Equal(o2, owners) {
				t.Fatalf("DYNAGO PREFLIST %q through node %d: %d %q; through node 1: %d %q", key, j+2, p2, o2, p, owners)
			}
		}
	}

	// A stopped node stays a ring member, shown as not alive.
	c.Nodes[2].Stop()
	for j, r := range cls[:2] {
		poll(t, 10*time.Second, fmt.Sprintf("node 3 not alive in DYNAGO NODES through node %d", j+1), func() string {
			l, ok := dynagoNodes(t, r)[names[2]]
			if !ok {
				return "node 3 is no longer listed"
			}
			if l.state == "alive" {
				return "node 3 is alive"
			}
			if !slices.Contains([]string{"suspect", "dead", "left"}, l.state) {
				return fmt.Sprintf("node 3 is in unknown state %q", l.state)
			}
			// A stopped node stays a ring member.
			m, a := infoField(t, r, "cluster", "cluster_members"), infoField(t, r, "cluster", "cluster_members_alive")
			if m != "3" || a != "2" {
				return fmt.Sprintf("INFO cluster: cluster_members:%s cluster_members_alive:%s; want 3 and 2", m, a)
			}
			return ""
		})
		t.Logf("node 3 stopped, seen by node %d as %s", j+1, dynagoNodes(t, r)[names[2]].state)
	}
}

// startNode starts one more in-process node with fast gossip, stopped when
// the test ends.
func startNode(t *testing.T, name string, join []string) *node.Node {
	t.Helper()
	cfg := testserver.Start(t, func(cfg *node.Config) {
		cfg.Name = name
		cfg.Join = join
		cfg.Timeout = time.Second
		cfg.Gossip = testserver.FastGossip
		steady(0, cfg)
	})
	return cfg.Node
}

// TestDynagoJoin checks DYNAGO JOIN over RESP: a member joining its own
// cluster again is harmless, and a node that started alone (and so created
// a cluster of its own) asks to join another.
func TestDynagoJoin(t *testing.T) {
	t.Parallel()
	c := testserver.StartCluster(t, 3, steady)
	cls := clients(c)
	ctx := ctxFor(t)

	if err := cls[2].Do(ctx, "DYNAGO", "JOIN", c.Nodes[0].Config.GossipAddr).Err(); err != nil {
		t.Fatalf("DYNAGO JOIN of a member to its own cluster: %v", err)
	}
	if got := infoField(t, cls[0], "cluster", "cluster_members"); got != "3" {
		t.Fatalf("cluster_members after a repeated join: %s", got)
	}
	if err := cls[1].Do(ctx, "DYNAGO", "JOIN", "127.0.0.1:1").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR join failed") {
		t.Fatalf("DYNAGO JOIN of a dead address: %v, want ERR join failed ...", err)
	}

	// A lone node that holds data is refused: its keys' partitions would
	// belong to the cluster's members and nothing moves data on a join yet.
	holder := startNode(t, "holder", nil)
	hc := testserver.NewClient(t, holder.Addr())
	if err := hc.Set(ctx, "lonely", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	err := hc.Do(ctx, "DYNAGO", "JOIN", c.Nodes[0].Config.GossipAddr).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR join failed") || !strings.Contains(err.Error(), "holds 1 keys") {
		t.Fatalf("DYNAGO JOIN from a lone node with data: %v, want ERR join failed ... holds 1 keys ...", err)
	}
	if got, _ := getOK(t, hc, "lonely"); got != "1" {
		t.Fatalf("the refused node lost its key: %q", got)
	}
	for j, r := range cls {
		if _, ok := dynagoNodes(t, r)["holder"]; ok {
			t.Fatalf("DYNAGO NODES through node %d lists the refused node", j+1)
		}
	}

	// A lone node without data gives up its own cluster and joins.
	lone := startNode(t, "lone", nil)
	lc := testserver.NewClient(t, lone.Addr())
	err = lc.Do(ctx, "DYNAGO", "JOIN", c.Nodes[0].Config.GossipAddr).Err()
	if err != nil {
		t.Fatalf("DYNAGO JOIN from an empty lone node: %v", err)
	}
	{
		// The join was accepted: the node must then be a member that
		// every node lists, and that serves the cluster's keys.
		c.WaitFor("the cluster to admit the lone node", func() bool {
			for _, cn := range c.Nodes {
				if !slices.Contains(cn.Node.RingMembers(), "lone") {
					return false
				}
			}
			return len(lone.RingMembers()) == 4
		})
		for j, r := range append(cls, lc) {
			poll(t, 10*time.Second, fmt.Sprintf("node %d to list the joined node as alive", j+1), func() string {
				if got := infoField(t, r, "cluster", "cluster_members"); got != "4" {
					return "cluster_members:" + got
				}
				if l, ok := dynagoNodes(t, r)["lone"]; !ok || l.state != "alive" {
					return fmt.Sprintf("DYNAGO NODES line %+v", l)
				}
				return ""
			})
		}
		if got := statusField(t, lc, "cluster_id"); got != statusField(t, cls[0], "cluster_id") {
			t.Fatalf("the joined node's cluster id %s differs from the cluster's %s", got, statusField(t, cls[0], "cluster_id"))
		}
		for k := 0; k < 20; k++ {
			key := fmt.Sprintf("after-join:%d", k)
			if err := lc.Set(ctx, key, k, 0).Err(); err != nil {
				t.Fatalf("SET %s through the joined node: %v", key, err)
			}
			if got, _ := getOK(t, cls[k%3], key); got != strconv.Itoa(k) {
				t.Fatalf("GET %s through node %d: %q", key, k%3+1, got)
			}
			if err := cls[k%3].Set(ctx, key, "again", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if got, _ := getOK(t, lc, key); got != "again" {
				t.Fatalf("GET %s through the joined node: %q", key, got)
			}
		}
	}
}

// TestNodeJoinsRunningCluster adds a fourth node to a running cluster and
// measures how soon it serves reads and writes.
func TestNodeJoinsRunningCluster(t *testing.T) {
	t.Parallel()
	c := testserver.StartCluster(t, 3, steady)
	cls := clients(c)
	ctx := ctxFor(t)
	const nkeys = 40
	for k := 0; k < nkeys; k++ {
		if err := cls[k%3].Set(ctx, fmt.Sprintf("old:%d", k), k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	n4 := startNode(t, "node4", []string{c.Nodes[0].Config.GossipAddr})
	c4 := testserver.NewClient(t, n4.Addr())
	var ringAt, servesAt time.Duration
	deadline := start.Add(10 * time.Second)
	for ringAt == 0 || servesAt == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the new node did not serve within 10s (ring complete after %v)", ringAt)
		}
		if ringAt == 0 {
			complete := len(n4.RingMembers()) == 4
			for _, cn := range c.Nodes {
				complete = complete && len(cn.Node.RingMembers()) == 4
			}
			if complete {
				ringAt = time.Since(start)
			}
		}
		if servesAt == 0 && ringAt != 0 {
			if c4.Set(ctx, "new:probe", "1", 0).Err() == nil {
				if v, err := cls[0].Get(ctx, "new:probe").Result(); err == nil && v == "1" {
					servesAt = time.Since(start)
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("join: every node sees 4 members after %v; the new node serves after %v", ringAt, servesAt)

	// The new node holds about 3/4 of the partitions.
	held, _ := strconv.Atoi(infoField(t, c4, "cluster", "cluster_partitions_held"))
	if held < 256*3/4-64 || held > 256*3/4+64 {
		t.Fatalf("the new node holds %d partitions; want about %d", held, 256*3/4)
	}
	// Writes through the new node are read everywhere, and keys written
	// before the join stay readable through it.
	for k := 0; k < nkeys; k++ {
		key := fmt.Sprintf("new:%d", k)
		if err := c4.Set(ctx, key, k, 0).Err(); err != nil {
			t.Fatalf("SET %s through the new node: %v", key, err)
		}
		for j, r := range cls {
			if got, _ := getOK(t, r, key); got != strconv.Itoa(k) {
				t.Fatalf("GET %s through node %d: %q", key, j+1, got)
			}
		}
		if got, ok := getOK(t, c4, fmt.Sprintf("old:%d", k)); !ok || got != strconv.Itoa(k) {
			t.Fatalf("GET old:%d through the new node: %q, %v", k, got, ok)
		}
	}
}

// TestPipelineWavesMixCoordinators sends pipelines of writes on distinct
// keys through one node, mixing keys it coordinates with keys another node
// does (0 to 4 of them, forwarded together), and reads every value back
// through another node.
func TestPipelineWavesMixCoordinators(t *testing.T) {
	t.Parallel()
	// Four nodes, N=3: node 1 holds no copy of about a quarter of the keys.
	c := testserver.StartCluster(t, 4, steady)
	ctx := ctxFor(t)
	cls := clients(c)
	self := c.Nodes[0].Config.Name
	var local, foreign []string
	for k := 0; len(local) < 8 || len(foreign) < 8; k++ {
		if k > 2000 {
			t.Fatalf("found %d keys coordinated by %s and %d by others", len(local), self, len(foreign))
		}
		key := fmt.Sprintf("mix:%d", k)
		// An owner coordinates its writes; other nodes forward them.
		if _, owners := preflist(t, cls[0], key); slices.Contains(owners, self) {
			local = append(local, key)
		} else {
			foreign = append(foreign, key)
		}
	}
	counts := map[string]int64{}
	for n := 0; n <= 4; n++ {
		// A wave of SETs, then (after a PING, which ends a wave) a wave
		// of INCRs, each with n keys another node coordinates.
		sets := append(slices.Clone(foreign[:n]), local[:4-n]...)
		incrs := append(slices.Clone(foreign[4:4+n]), local[4:8-n]...)
		pipe := cls[0].Pipeline()
		for _, k := range sets {
			pipe.Set(ctx, k, fmt.Sprintf("%s=%d", k, n), 0)
		}
		pipe.Ping(ctx)
		var replies []*redis.IntCmd
		for _, k := range incrs {
			counts[k]++
			replies = append(replies, pipe.Incr(ctx, k))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("pipeline with %d forwarded keys per wave: %v", n, err)
		}
		for i, k := range incrs {
			if got := replies[i].Val(); got != counts[k] {
				t.Fatalf("pipeline with %d forwarded keys per wave: INCR %s answered %d, want %d", n, k, got, counts[k])
			}
		}
		for _, k := range sets {
			if got, _ := getOK(t, cls[1], k); got != fmt.Sprintf("%s=%d", k, n) {
				t.Fatalf("pipeline with %d forwarded keys per wave: GET %s through another node: %q", n, k, got)
			}
		}
	}
}

// TestPipelineThroughNonOwner sends 200 pipelined commands through a node
// that owns none of their keys: every command is forwarded or read from the
// owners, and the replies come back in order with the values of a model.
func TestPipelineThroughNonOwner(t *testing.T) {
	t.Parallel()
	c := testserver.StartCluster(t, 5, steady)
	ctx := ctxFor(t)
	const via = 4
	// The default client gives up after 5s; on a loaded machine with the
	// race detector 200 forwarded commands may take longer, and this test
	// is about order and values, not speed.
	cl := redis.NewClient(&redis.Options{Addr: c.Nodes[via].Addr(), MaxRetries: -1, ReadTimeout: 30 * time.Second})
	t.Cleanup(func() { cl.Close() })
	self := c.Nodes[via].Config.Name

	// Pick keys whose preference list leaves the node out.
	var foreign []string
	for k := 0; len(foreign) < 40; k++ {
		if k > 2000 {
			t.Fatalf("found only %d keys that %s does not own", len(foreign), self)
		}
		key := fmt.Sprintf("pipe:%d", k)
		if _, owners := preflist(t, cl, key); !slices.Contains(owners, self) {
			foreign = append(foreign, key)
		}
	}

	model := map[string]string{}
	pipe := cl.Pipeline()
	type expectation struct {
		cmd  redis.Cmder
		want string // "" with null: a null reply
		null bool
	}
	var exps []expectation
	for i := 0; i < 200; i++ {
		distinct := foreign[i%30]
		repeated := foreign[30+i%3]
		counter := foreign[33+i%2]
		switch i % 5 {
		case 0:
			v := fmt.Sprintf("v%d", i)
			model[distinct] = v
			exps = append(exps, expectation{cmd: pipe.Set(ctx, distinct, v, 0), want: "OK"})
		case 1:
			v := fmt.Sprintf("r%d", i)
			model[repeated] = v
			exps = append(exps, expectation{cmd: pipe.Set(ctx, repeated, v, 0), want: "OK"})
		case 2:
			n, _ := strconv.Atoi(model[counter])
			model[counter] = strconv.Itoa(n + 1)
			exps = append(exps, expectation{cmd: pipe.Incr(ctx, counter), want: model[counter]})
		case 3:
			v, ok := model[repeated]
			exps = append(exps, expectation{cmd: pipe.Get(ctx, repeated), want: v, null: !ok})
		case 4:
			key := foreign[(i*7)%30]
			v, ok := model[key]
			exps = append(exps, expectation{cmd: pipe.Get(ctx, key), want: v, null: !ok})
		}
	}
	start := time.Now()
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		t.Fatalf("pipeline: %v", err)
	}
	t.Logf("200 pipelined commands through a non-owner took %v", time.Since(start))
	for i, e := range exps {
		var got string
		var err error
		switch cmd := e.cmd.(type) {
		case *redis.StatusCmd:
			got, err = cmd.Result()
		case *redis.StringCmd:
			got, err = cmd.Result()
		case *redis.IntCmd:
			var n int64
			n, err = cmd.Result()
			got = strconv.FormatInt(n, 10)
		}
		if e.null {
			if !errors.Is(err, redis.Nil) {
				t.Fatalf("command %d %v: %q, %v; want null", i, e.cmd.Args(), got, err)
			}
			continue
		}
		if err != nil || got != e.want {
			t.Fatalf("command %d %v: %q, %v; want %q", i, e.cmd.Args(), got, err, e.want)
		}
	}
	// And the owners agree with the model.
	for key, v := range model {
		if got, _ := getOK(t, c.Nodes[0].Client(), key); got != v {
			t.Fatalf("GET %s through node 1 after the pipeline: %q, want %q", key, got, v)
		}
	}
}

// TestReadModifyWriteOnLaggingReplica sends read-modify-write commands
// through a replica that lacks the key's latest value, and so coordinates
// them on a stale copy. Redis's answers depend
// on the key's current value, and with R+W>N a GET through any node sees it,
// so SET NX, INCR, APPEND and DEL must see it too. Two ways to get there:
//   - restarted: node 3 is down while the keys are written, then restarts;
//   - joined: a fourth node joins after the keys are written and becomes
//     an owner of some of them (the commands go through it).
func TestReadModifyWriteOnLaggingReplica(t *testing.T) {
	t.Parallel()
	// rmw sends the commands through c and checks them and what every
	// client then reads.
	rmw := func(t *testing.T, c *redis.Client, all []*redis.Client, lock, n, s, d string) {
		t.Helper()
		ctx := ctxFor(t)
		var failures []string
		if got, err := c.SetNX(ctx, lock, "mine", 0).Result(); err != nil || got {
			failures = append(failures, fmt.Sprintf("SET %s mine NX: %v, %v; want false (the key exists)", lock, got, err))
		}
		if got, err := c.Incr(ctx, n).Result(); err != nil || got != 11 {
			failures = append(failures, fmt.Sprintf("INCR %s (10): %d, %v; want 11", n, got, err))
		}
		if got, err := c.Append(ctx, s, "def").Result(); err != nil || got != 6 {
			failures = append(failures, fmt.Sprintf("APPEND %s (abc) def: %d, %v; want 6", s, got, err))
		}
		if got, err := c.Del(ctx, d).Result(); err != nil || got != 1 {
			failures = append(failures, fmt.Sprintf("DEL %s: %d, %v; want 1", d, got, err))
		}
		for j, r := range all {
			for _, kv := range [][2]string{{lock, "held"}, {n, "11"}, {s, "abcdef"}} {
				if got, _ := getOK(t, r, kv[0]); got != kv[1] {
					failures = append(failures, fmt.Sprintf("then GET %s through node %d: %q, want %q", kv[0], j+1, got, kv[1]))
				}
			}
			if got, ok := getOK(t, r, d); ok {
				failures = append(failures, fmt.Sprintf("then GET %s through node %d: %q, want null (deleted)", d, j+1, got))
			}
		}
		if len(failures) > 0 {
			t.Fatalf("read-modify-write commands coordinated by a replica that lacks the key:\n%s", strings.Join(failures, "\n"))
		}
	}
	write := func(t *testing.T, c *redis.Client, lock, n, s, d string) {
		t.Helper()
		for _, cmd := range [][]any{{"SET", lock, "held"}, {"SET", n, "10"}, {"SET", s, "abc"}, {"SET", d, "doomed"}} {
			if err := c.Do(ctxFor(t), cmd...).Err(); err != nil {
				t.Fatalf("%v: %v", cmd, err)
			}
		}
	}

	t.Run("restarted", func(t *testing.T) {
		t.Parallel()
		c := testserver.StartCluster(t, 3, steady)
		cls := clients(c)
		// Keys whose preference list starts with node 3.
		var keys []string
		for k := 0; len(keys) < 4; k++ {
			if k > 1000 {
				t.Fatal("no keys led by node 3")
			}
			key := fmt.Sprintf("lag:%d", k)
			if _, owners := preflist(t, cls[0], key); owners[0] == c.Nodes[2].Config.Name {
				keys = append(keys, key)
			}
		}
		c.Nodes[2].Stop()
		c.WaitAlive(2, false)
		write(t, cls[0], keys[0], keys[1], keys[2], keys[3])
		c.Nodes[2].Start()
		c.WaitAlive(2, true)
		// No read may touch the keys first: a read would repair node 3.
		rmw(t, cls[2], cls, keys[0], keys[1], keys[2], keys[3])
	})

	t.Run("joined", func(t *testing.T) {
		t.Parallel()
		c := testserver.StartCluster(t, 3, steady)
		cls := clients(c)
		const candidates = 40
		for k := 0; k < candidates; k++ {
			write(t, cls[k%3], fmt.Sprintf("lock:%d", k), fmt.Sprintf("n:%d", k), fmt.Sprintf("s:%d", k), fmt.Sprintf("d:%d", k))
		}
		n4 := startNode(t, "node4", []string{c.Nodes[0].Config.GossipAddr})
		c.WaitRing(4)
		c4 := testserver.NewClient(t, n4.Addr())
		// For each kind, a key whose preference list now starts with the
		// new node.
		pick := func(format string) string {
			for k := 0; k < candidates; k++ {
				key := fmt.Sprintf(format, k)
				if _, owners := preflist(t, cls[0], key); owners[0] == "node4" {
					return key
				}
			}
			t.Fatalf("no %s key is led by the new node", format)
			return ""
		}
		lock, n, s, d := pick("lock:%d"), pick("n:%d"), pick("s:%d"), pick("d:%d")
		rmw(t, c4, append(cls, c4), lock, n, s, d)
	})
}
