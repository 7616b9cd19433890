package node_test

// Failure tests: a stopped or cut-off replica, read repair, sloppy quorum
// and hinted handoff, siblings and counters across a cut, anti-entropy,
// partition transfers on join, leave and removal, and deletes that stay
// deleted. They run on a simulated cluster (internal/simcluster): real nodes
// over the in-memory internode and gossip networks, on testing/synctest's
// fake clock, so that waiting for failure detection, hint delivery,
// anti-entropy rounds and tombstone collection costs no real time, and a
// loaded machine cannot make a healthy node look dead. Commands reach a
// simulated node through the same coordinator and admin calls resp makes
// (simcluster.Node.Do), not over a RESP connection: the RESP front door is
// covered by the loopback tests in the other files.

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/simcluster"
	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
	"github.com/redis/go-redis/v9"
)

// with combines node configuration steps.
func with(steps ...func(i int, cfg *node.Config)) func(int, *node.Config) {
	return func(i int, cfg *node.Config) {
		for _, s := range steps {
			s(i, cfg)
		}
	}
}

// intervals sets the hint and anti-entropy intervals.
func intervals(hints, antiEntropy time.Duration) func(int, *node.Config) {
	return func(_ int, cfg *node.Config) {
		cfg.HintInterval = hints
		cfg.AntiEntropyInterval = antiEntropy
	}
}

// local answers DYNAGO LOCAL key through c: whether the node holds a record
// and its live values.
func local(t *testing.T, c commander, key string) (bool, []string) {
	t.Helper()
	arr, ok := rdo(t, c, "DYNAGO", "LOCAL", key).([]any)
	if !ok {
		t.Fatalf("DYNAGO LOCAL %s: not an array", key)
	}
	if len(arr) == 0 {
		return false, nil
	}
	var values []string
	for _, v := range arr[1:] {
		values = append(values, v.(string))
	}
	return true, values
}

// rootsOf answers DYNAGO TREES through c as partition -> root.
func rootsOf(t *testing.T, c commander) map[int64]string {
	t.Helper()
	arr, _ := rdo(t, c, "DYNAGO", "TREES").([]any)
	out := map[int64]string{}
	for i := 0; i+1 < len(arr); i += 2 {
		out[arr[i].(int64)] = arr[i+1].(string)
	}
	return out
}

// converged reports "" when every partition's owners among cls report the
// same tree root, or else the first disagreement.
func converged[C commander](t *testing.T, cls []C) string {
	t.Helper()
	seen := map[int64]string{}
	for i, c := range cls {
		for p, root := range rootsOf(t, c) {
			if prev, ok := seen[p]; ok && prev != root {
				return fmt.Sprintf("partition %d: root %s on one owner, %s on node %d", p, prev, root, i+1)
			}
			seen[p] = root
		}
	}
	return ""
}

// heldBy reports "" when the owners of every key (by DYNAGO PREFLIST) hold
// it locally with value want(key), else the first miss.
func heldBy(t *testing.T, byName map[string]commander, keys []string, want func(string) string) string {
	t.Helper()
	var any commander
	for _, c := range byName {
		any = c
		break
	}
	for _, key := range keys {
		_, owners := preflist(t, any, key)
		for _, o := range owners {
			found, values := local(t, byName[o], key)
			if !found || len(values) != 1 || values[0] != want(key) {
				return fmt.Sprintf("%s on owner %s: found=%v values=%q, want %q", key, o, found, values, want(key))
			}
		}
	}
	return ""
}

// load writes n keys named prefix+number, each holding its own name, and
// returns the keys: through a client in pipelines of 100, through a
// simulated node by 16 writers at once.
func load(t *testing.T, c commander, prefix string, n int) []string {
	t.Helper()
	ctx := ctxFor(t)
	keys := make([]string, n)
	for k := range keys {
		keys[k] = fmt.Sprintf("%s%d", prefix, k)
	}
	if cl, ok := c.(*redis.Client); ok {
		for start := 0; start < n; start += 100 {
			pipe := cl.Pipeline()
			for _, key := range keys[start:min(n, start+100)] {
				pipe.Set(ctx, key, key, 0)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatalf("loading keys: %v", err)
			}
		}
		return keys
	}
	const writers = 16
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			for k := w; k < n && errs[w] == nil; k += writers {
				errs[w] = c.Do(ctx, "SET", keys[k], keys[k]).Err()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("loading keys: %v", err)
	}
	return keys
}

func names(c *testserver.Cluster, cls []*redis.Client) map[string]commander {
	out := map[string]commander{}
	for i, cn := range c.Nodes {
		if cn.Node != nil {
			out[cn.Config.Name] = cls[i]
		}
	}
	return out
}

// simNames answers the running nodes of a simulated cluster by name.
func simNames(c *simcluster.Cluster) map[string]commander {
	out := map[string]commander{}
	for _, sn := range c.Nodes {
		if sn.Node != nil {
			out[sn.Name()] = sn
		}
	}
	return out
}

// running answers the running nodes of a simulated cluster.
func running(c *simcluster.Cluster) []*simcluster.Node {
	var out []*simcluster.Node
	for _, sn := range c.Nodes {
		if sn.Node != nil {
			out = append(out, sn)
		}
	}
	return out
}

// TestWritesSurviveTwoDownOfFive stops two nodes of a five-node cluster
// (N=3, W=2): every write still succeeds, its copies for the stopped owners
// wait as hints on stand-ins (shown in DYNAGO STATUS and INFO), and once
// the two are back the hints reach them and are deleted.
func TestWritesSurviveTwoDownOfFive(t *testing.T) {
	t.Parallel()
	simcluster.Run(t, func(t *testing.T) {
		c := simcluster.Start(t, 5, intervals(200*time.Millisecond, time.Hour))
		n := c.Nodes
		ctx := ctxFor(t)
		n[3].Stop()
		n[4].Stop()
		c.WaitAlive(3, false)
		c.WaitAlive(4, false)

		const nkeys = 200
		for k := 0; k < nkeys; k++ {
			key := fmt.Sprintf("k%d", k)
			if err := n[k%3].Do(ctx, "SET", key, "v"+strconv.Itoa(k)).Err(); err != nil {
				t.Fatalf("SET %s with two of five nodes down: %v", key, err)
			}
		}
		// Reads through any live node see every write.
		for k := 0; k < nkeys; k++ {
			key := fmt.Sprintf("k%d", k)
			if got, ok := getOK(t, n[(k+1)%3], key); !ok || got != "v"+strconv.Itoa(k) {
				t.Fatalf("GET %s with two down = %q, %v", key, got, ok)
			}
		}
		// (INFO cluster shows the same field: TestAdminCommands.)
		pending := 0
		for i := 0; i < 3; i++ {
			p, _ := strconv.Atoi(statusField(t, n[i], "hints_pending"))
			pending += p
		}
		if pending == 0 {
			t.Fatal("no hints pending with two owners down")
		}

		n[3].Start()
		n[4].Start()
		c.WaitFor("hints delivered", func() string {
			for i := 0; i < 5; i++ {
				if p := statusField(t, n[i], "hints_pending"); p != "0" {
					return fmt.Sprintf("node %d has %s hints pending", i+1, p)
				}
			}
			return ""
		})
		keys := make([]string, nkeys)
		for k := range keys {
			keys[k] = fmt.Sprintf("k%d", k)
		}
		if miss := heldBy(t, simNames(c), keys, func(key string) string { return "v" + key[1:] }); miss != "" {
			t.Fatalf("after handoff an owner lacks a write: %s", miss)
		}
	})
}

// TestAntiEntropyRepairsAReplicaThatMissedWrites cuts a replica off while
// writes go on without it, with hint delivery off: once the cut heals, only
// anti-entropy can bring it up to date, and it does, to equal tree roots.
func TestAntiEntropyRepairsAReplicaThatMissedWrites(t *testing.T) {
	t.Parallel()
	simcluster.Run(t, func(t *testing.T) {
		c := simcluster.Start(t, 3, intervals(time.Hour, 300*time.Millisecond))
		n := c.Nodes
		ctx := ctxFor(t)
		c.Isolate(2)
		c.WaitAlive(2, false)
		const nkeys = 300
		keys := make([]string, nkeys)
		for k := range keys {
			keys[k] = fmt.Sprintf("ae%d", k)
			if err := n[k%2].Do(ctx, "SET", keys[k], keys[k]).Err(); err != nil {
				t.Fatalf("SET with one replica cut off: %v", err)
			}
		}
		if converged(t, n) == "" {
			t.Fatal("the cut-off replica's trees already match")
		}
		c.HealAll()
		c.WaitAlive(2, true)
		c.WaitFor("replicas converge", func() string { return converged(t, n) })
		if miss := heldBy(t, simNames(c), keys, func(k string) string { return k }); miss != "" {
			t.Fatalf("equal roots but a key differs: %s", miss)
		}
		repaired := 0
		for _, sn := range n {
			r, _ := strconv.Atoi(statusField(t, sn, "anti_entropy_keys_repaired"))
			repaired += r
		}
		// Hints and reads were out of the picture, so the repairs were
		// anti-entropy's (a copy pushed whose acknowledgement was lost is
		// not counted, so the count may fall short of the keys).
		if repaired == 0 {
			t.Fatal("anti-entropy reports no keys repaired")
		}
	})
}

// TestJoinReceivesItsPartitions loads a cluster, then adds a node (with
// anti-entropy off): the partitions it gains are streamed to it, and DYNAGO
// STATUS reports the transfer.
func TestJoinReceivesItsPartitions(t *testing.T) {
	t.Parallel()
	simcluster.Run(t, func(t *testing.T) {
		cfg := intervals(time.Second, time.Hour)
		c := simcluster.Start(t, 3, cfg)
		keys := load(t, c.Nodes[0], "j", 1000)
		c.Add(cfg)
		c.WaitRing(4)
		n := c.Nodes
		c.WaitFor("transfers finish", func() string {
			for i, sn := range n {
				if p := statusField(t, sn, "transfers_in_progress"); p != "0" {
					return fmt.Sprintf("node %d: %s transfers in progress", i+1, p)
				}
			}
			return ""
		})
		if miss := heldBy(t, simNames(c), keys, func(k string) string { return k }); miss != "" {
			t.Fatalf("after the join an owner lacks a key: %s", miss)
		}
		if moved, _ := strconv.Atoi(statusField(t, n[3], "transfer_keys_moved")); moved == 0 {
			t.Fatal("the new node reports no keys moved")
		}
		if msg := converged(t, n); msg != "" {
			t.Fatalf("after the transfer: %s", msg)
		}
	})
}

// TestLeaveHandsOffAndRemoveReReplicates takes one node out with DYNAGO
// LEAVE and a dead one out with DYNAGO REMOVE (anti-entropy off): each time
// every key ends up on all of its new owners.
func TestLeaveHandsOffAndRemoveReReplicates(t *testing.T) {
	t.Parallel()
	simcluster.Run(t, func(t *testing.T) {
		c := simcluster.Start(t, 5, intervals(time.Second, time.Hour))
		n := c.Nodes
		ctx := ctxFor(t)
		keys := load(t, n[0], "l", 600)

		// LEAVE: node5 hands off, leaves the ring, and says it is done.
		if err := n[4].Do(ctx, "DYNAGO", "LEAVE").Err(); err != nil {
			t.Fatalf("DYNAGO LEAVE: %v", err)
		}
		select {
		case <-n[4].Node.Left():
		case <-time.After(10 * time.Second):
			t.Fatal("the node did not signal that it left")
		}
		n[4].Stop()
		c.WaitRing(4)
		if miss := heldBy(t, simNames(c), keys, func(k string) string { return k }); miss != "" {
			t.Fatalf("after LEAVE an owner lacks a key: %s", miss)
		}

		// REMOVE: node4 dies; its partitions are pulled from the survivors.
		n[3].Stop()
		c.WaitAlive(3, false)
		if err := n[0].Do(ctx, "DYNAGO", "REMOVE", "node1").Err(); err == nil {
			t.Fatal("DYNAGO REMOVE of the node itself was accepted")
		}
		if err := n[0].Do(ctx, "DYNAGO", "REMOVE", "node2").Err(); err == nil {
			t.Fatal("DYNAGO REMOVE of a live node was accepted")
		}
		if err := n[0].Do(ctx, "DYNAGO", "REMOVE", "node4").Err(); err != nil {
			t.Fatalf("DYNAGO REMOVE node4: %v", err)
		}
		c.WaitRing(3)
		live := simNames(c)
		c.WaitFor("survivors re-replicate", func() string {
			return heldBy(t, live, keys, func(k string) string { return k })
		})
		for k := 0; k < len(keys); k += 37 {
			if got, ok := getOK(t, n[k%3], keys[k]); !ok || got != keys[k] {
				t.Fatalf("GET %s after leave and remove: %q %v", keys[k], got, ok)
			}
		}
	})
}

// TestDeletesStayDeleted deletes keys while a replica is down: when it comes
// back with the old values, hints and anti-entropy delete them there, and
// after the tombstones are collected nothing brings the values back.
func TestDeletesStayDeleted(t *testing.T) {
	t.Parallel()
	simcluster.Run(t, func(t *testing.T) {
		c := simcluster.Start(t, 3, with(intervals(200*time.Millisecond, 300*time.Millisecond),
			func(_ int, cfg *node.Config) { cfg.Engine.TombstoneGrace = 2 * time.Second }))
		n := c.Nodes
		ctx := ctxFor(t)
		const nkeys = 100
		keys := make([]string, nkeys)
		for k := range keys {
			keys[k] = fmt.Sprintf("d%d", k)
			if err := n[0].Do(ctx, "SET", keys[k], "old").Err(); err != nil {
				t.Fatal(err)
			}
		}
		n[2].Stop()
		c.WaitAlive(2, false)
		for _, k := range keys {
			if err := n[0].Do(ctx, "DEL", k).Err(); err != nil {
				t.Fatalf("DEL %s with a replica down: %v", k, err)
			}
		}
		n[2].Start()
		c.WaitAlive(2, true)
		c.WaitFor("deletes reach the restarted replica", func() string {
			for _, k := range keys {
				if _, values := local(t, n[2], k); len(values) != 0 {
					return fmt.Sprintf("%s still %q on the restarted replica", k, values)
				}
			}
			return ""
		})
		// The tombstones are collected everywhere, and rounds of
		// anti-entropy afterwards bring nothing back.
		c.WaitFor("tombstones collected", func() string {
			for i, sn := range n {
				for _, k := range keys {
					if found, _ := local(t, sn, k); found {
						return fmt.Sprintf("node %d still holds a record of %s", i+1, k)
					}
				}
			}
			return ""
		})
		before, _ := strconv.Atoi(statusField(t, n[0], "anti_entropy_exchanges"))
		c.WaitFor("three more anti-entropy rounds", func() string {
			e, _ := strconv.Atoi(statusField(t, n[0], "anti_entropy_exchanges"))
			if e < before+3*2 {
				return fmt.Sprintf("%d exchanges so far", e-before)
			}
			return ""
		})
		for i, sn := range n {
			for _, k := range keys {
				if v, err := sn.Do(ctx, "GET", k).Result(); err != redis.Nil {
					t.Fatalf("GET %s through node %d after collection = %q, %v; the delete was undone", k, i+1, v, err)
				}
			}
		}
	})
}

// TestOneOfThreeStoppedThenRepairedByRead stops one node of three: reads and
// writes at R=W=2 go on through the survivors. The stopped node comes back
// without the writes it missed, and a read through a survivor repairs it.
func TestOneOfThreeStoppedThenRepairedByRead(t *testing.T) {
	t.Parallel()
	simcluster.Run(t, func(t *testing.T) {
		// Hint delivery and anti-entropy are slowed to a crawl so that read
		// repair alone brings the restarted node up to date.
		c := simcluster.Start(t, 3, intervals(time.Hour, time.Hour))
		n := c.Nodes
		ctx := ctxFor(t)

		n[2].Stop()

		// Right after the stop (gossip may still think it alive) and once
		// gossip knows: both must work, each request in bounded time (on
		// the fake clock, which moves only while everything waits: these
		// requests must not wait for a timeout).
		const nkeys = 20
		for phase, wait := range []bool{false, true} {
			if wait {
				c.WaitAlive(2, false)
			}
			for k := 0; k < nkeys; k++ {
				w := n[k%2]
				start := time.Now()
				for _, prefix := range []string{"repair", "control"} {
					key := fmt.Sprintf("%s:%d:%d", prefix, phase, k)
					if err := w.Do(ctx, "SET", key, "down-"+key).Err(); err != nil {
						t.Fatalf("SET %s through a survivor with node 3 down: %v", key, err)
					}
					if got, ok := getOK(t, n[(k+1)%2], key); !ok || got != "down-"+key {
						t.Fatalf("GET %s through the other survivor: %q, %v", key, got, ok)
					}
				}
				if d := time.Since(start); d > 500*time.Millisecond {
					t.Fatalf("two writes and two reads with one node down took %v", d)
				}
			}
			if got, err := n[0].Do(ctx, "INCR", "down-counter").Int64(); err != nil || got != int64(phase+1) {
				t.Fatalf("INCR with node 3 down: %d, %v", got, err)
			}
		}

		// Restart node 3 with R=1: a read through it then answers from its
		// own copy alone (its copy is asked first and always counts), which
		// is what lets this test look inside it over RESP. Its later reads
		// would also merge from the others in the background, so the check
		// below is made with both survivors stopped: whatever node 3 answers
		// then is on its disk.
		n[2].Config.ReadQuorum = 1
		n[2].Start()
		c.WaitAlive(2, true)

		readRepair(t, n[0], "repair:%d:%d", nkeys, 2)

		n[0].Stop()
		n[1].Stop()
		for phase := 0; phase < 2; phase++ {
			for k := 0; k < nkeys; k++ {
				key := fmt.Sprintf("repair:%d:%d", phase, k)
				if got, ok := getOK(t, n[2], key); !ok || got != "down-"+key {
					t.Fatalf("node 3 alone: GET %s = %q (found %v); read repair did not reach it", key, got, ok)
				}
				// The control keys were never read through a survivor: with
				// hints and anti-entropy held back nothing else could have
				// brought them to node 3, which shows that the keys above
				// came by read repair.
				if got, ok := getOK(t, n[2], fmt.Sprintf("control:%d:%d", phase, k)); ok {
					t.Fatalf("node 3 alone has control:%d:%d = %q, which no read repaired", phase, k, got)
				}
			}
		}
	})
}

// weakQuorums sets R=W=1: each side of a cut accepts writes alone.
func weakQuorums(_ int, cfg *node.Config) {
	cfg.ReadQuorum, cfg.WriteQuorum = 1, 1
}

// TestSiblingsAcrossACut writes one key on both sides of a cut: after the
// cut heals, every node holds both values as siblings, GET answers the same
// one everywhere, and a VSET with the merged context resolves them.
func TestSiblingsAcrossACut(t *testing.T) {
	t.Parallel()
	simcluster.Run(t, func(t *testing.T) {
		c := simcluster.Start(t, 3, weakQuorums)
		n := c.Nodes
		ctx := ctxFor(t)
		if err := n[2].Do(ctx, "SET", "doc", "original").Err(); err != nil {
			t.Fatal(err)
		}
		// The third replica of a W=1 write is sent in the background: wait
		// until every node holds the original, so both sides start from it.
		for j, r := range n {
			c.WaitFor(fmt.Sprintf("original on node %d", j+1), func() string {
				if _, vals := vget(t, r, "doc"); !slices.Equal(vals, []string{"original"}) {
					return fmt.Sprintf("siblings %q", vals)
				}
				return ""
			})
		}

		c.Isolate(0)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, v := range []string{"left", "right"} {
			wg.Go(func() { errs[i] = n[i].Do(ctx, "SET", "doc", v).Err() })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("writes on both sides of the cut (W=1): %v", err)
		}
		if got, _ := getOK(t, n[0], "doc"); got != "left" {
			t.Fatalf("GET through the cut-off node 1: %q, want its own write", got)
		}
		c.HealAll()
		for i := range n {
			c.WaitAlive(i, true)
		}

		want := []string{"left", "right"}
		for j, r := range n {
			c.WaitFor(fmt.Sprintf("both siblings on node %d", j+1), func() string {
				_, vals := vget(t, r, "doc")
				if sorted := slices.Sorted(slices.Values(vals)); !slices.Equal(sorted, want) {
					return fmt.Sprintf("siblings %q", vals)
				}
				return ""
			})
		}
		var ctxs []string
		var order [][]string
		for _, r := range n {
			cx, vals := vget(t, r, "doc")
			ctxs = append(ctxs, cx)
			order = append(order, vals)
		}
		for j := range n {
			if !slices.Equal(order[j], order[0]) {
				t.Fatalf("VGET sibling order differs: node 1 %q, node %d %q", order[0], j+1, order[j])
			}
		}
		var answer string
		for j, r := range n {
			got, ok := getOK(t, r, "doc")
			if !ok || (got != "left" && got != "right") {
				t.Fatalf("GET doc through node %d with siblings: %q, %v", j+1, got, ok)
			}
			if j == 0 {
				answer = got
			} else if got != answer {
				t.Fatalf("GET doc answers %q through node 1 but %q through node %d", answer, got, j+1)
			}
		}
		t.Logf("GET answers %q on every node", answer)

		if err := n[2].Do(ctx, "VSET", "doc", ctxs[1], "merged").Err(); err != nil {
			t.Fatalf("VSET with the merged context: %v", err)
		}
		for j, r := range n {
			c.WaitFor(fmt.Sprintf("resolved value on node %d", j+1), func() string {
				if _, vals := vget(t, r, "doc"); !slices.Equal(vals, []string{"merged"}) {
					return fmt.Sprintf("siblings %q", vals)
				}
				if got, _ := getOK(t, r, "doc"); got != "merged" {
					return fmt.Sprintf("GET %q", got)
				}
				return ""
			})
		}
	})
}

// TestCountersAcrossACut increments one counter on both sides of a cut with
// W=1: after healing, every increment counts on every node.
func TestCountersAcrossACut(t *testing.T) {
	t.Parallel()
	simcluster.Run(t, func(t *testing.T) {
		c := simcluster.Start(t, 3, weakQuorums)
		n := c.Nodes
		ctx := ctxFor(t)
		if err := n[1].Do(ctx, "INCRBY", "visits", 100).Err(); err != nil {
			t.Fatal(err)
		}
		for j, r := range n {
			c.WaitFor(fmt.Sprintf("first increment on node %d", j+1), func() string {
				if got, _ := getOK(t, r, "visits"); got != "100" {
					return "GET " + got
				}
				return ""
			})
		}
		c.Isolate(0)
		want := int64(100)
		for k := 0; k < 5; k++ {
			if err := n[0].Do(ctx, "INCR", "visits").Err(); err != nil {
				t.Fatalf("INCR on the cut-off side: %v", err)
			}
			want++
		}
		if err := n[0].Do(ctx, "DECRBY", "visits", 2).Err(); err != nil {
			t.Fatal(err)
		}
		want -= 2
		for k := 0; k < 7; k++ {
			if err := n[1+k%2].Do(ctx, "INCRBY", "visits", 3).Err(); err != nil {
				t.Fatalf("INCRBY on the majority side: %v", err)
			}
			want += 3
		}
		if got, _ := getOK(t, n[0], "visits"); got != "103" {
			t.Fatalf("GET on the cut-off side: %q, want 103 (100, +5, -2)", got)
		}
		c.HealAll()
		for i := range n {
			c.WaitAlive(i, true)
		}
		for j, r := range n {
			c.WaitFor(fmt.Sprintf("every increment counted on node %d", j+1), func() string {
				if got, _ := getOK(t, r, "visits"); got != strconv.FormatInt(want, 10) {
					return fmt.Sprintf("GET %q, want %d", got, want)
				}
				return ""
			})
		}
		// The merged counter goes on counting.
		if got, err := n[0].Do(ctx, "INCR", "visits").Int64(); err != nil || got != want+1 {
			t.Fatalf("INCR after healing: %d, %v; want %d", got, err, want+1)
		}
	})
}
