package node_test

// Failure tests: sloppy quorum and hinted handoff, anti-entropy, partition
// transfers on join, leave and removal, and deletes that stay deleted.

import (
	"fmt"
	"strconv"
	"testing"
	"time"

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
func local(t *testing.T, c *redis.Client, key string) (bool, []string) {
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
func rootsOf(t *testing.T, c *redis.Client) map[int64]string {
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
func converged(t *testing.T, cls []*redis.Client) string {
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
func heldBy(t *testing.T, byName map[string]*redis.Client, keys []string, want func(string) string) string {
	t.Helper()
	var any *redis.Client
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

// load writes n keys named prefix+number, each holding its own name, in
// pipelines of 100, and returns the keys.
func load(t *testing.T, c *redis.Client, prefix string, n int) []string {
	t.Helper()
	ctx := ctxFor(t)
	keys := make([]string, n)
	for start := 0; start < n; start += 100 {
		pipe := c.Pipeline()
		for k := start; k < min(n, start+100); k++ {
			keys[k] = fmt.Sprintf("%s%d", prefix, k)
			pipe.Set(ctx, keys[k], keys[k], 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("loading keys: %v", err)
		}
	}
	return keys
}

func names(c *testserver.Cluster, cls []*redis.Client) map[string]*redis.Client {
	out := map[string]*redis.Client{}
	for i, cn := range c.Nodes {
		if cn.Node != nil {
			out[cn.Config.Name] = cls[i]
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
	c := testserver.StartCluster(t, 5, with(steady, intervals(200*time.Millisecond, time.Hour)))
	cls := clients(c)
	ctx := ctxFor(t)
	c.Nodes[3].Stop()
	c.Nodes[4].Stop()
	c.WaitAlive(3, false)
	c.WaitAlive(4, false)

	const nkeys = 200
	for k := 0; k < nkeys; k++ {
		key := fmt.Sprintf("k%d", k)
		if err := cls[k%3].Set(ctx, key, "v"+strconv.Itoa(k), 0).Err(); err != nil {
			t.Fatalf("SET %s with two of five nodes down: %v", key, err)
		}
	}
	// Reads through any live node see every write.
	for k := 0; k < nkeys; k++ {
		key := fmt.Sprintf("k%d", k)
		if got, ok := getOK(t, cls[(k+1)%3], key); !ok || got != "v"+strconv.Itoa(k) {
			t.Fatalf("GET %s with two down = %q, %v", key, got, ok)
		}
	}
	pending := 0
	for i := 0; i < 3; i++ {
		n, _ := strconv.Atoi(statusField(t, cls[i], "hints_pending"))
		pending += n
		if info := infoField(t, cls[i], "cluster", "hints_pending"); info != strconv.Itoa(n) {
			t.Fatalf("INFO hints_pending %s, DYNAGO STATUS %d", info, n)
		}
	}
	if pending == 0 {
		t.Fatal("no hints pending with two owners down")
	}

	c.Nodes[3].Start()
	c.Nodes[4].Start()
	cls[3], cls[4] = c.Nodes[3].Client(), c.Nodes[4].Client()
	poll(t, 30*time.Second, "hints delivered", func() string {
		for i := 0; i < 5; i++ {
			if n := statusField(t, cls[i], "hints_pending"); n != "0" {
				return fmt.Sprintf("node %d has %s hints pending", i+1, n)
			}
		}
		return ""
	})
	keys := make([]string, nkeys)
	for k := range keys {
		keys[k] = fmt.Sprintf("k%d", k)
	}
	if miss := heldBy(t, names(c, cls), keys, func(key string) string { return "v" + key[1:] }); miss != "" {
		t.Fatalf("after handoff an owner lacks a write: %s", miss)
	}
}

// TestAntiEntropyRepairsAReplicaThatMissedWrites cuts a replica off while
// writes go on without it, with hint delivery off: once the cut heals, only
// anti-entropy can bring it up to date, and it does, to equal tree roots.
func TestAntiEntropyRepairsAReplicaThatMissedWrites(t *testing.T) {
	t.Parallel()
	c := testserver.StartCluster(t, 3, with(steady, intervals(time.Hour, 300*time.Millisecond)))
	cls := clients(c)
	ctx := ctxFor(t)
	c.Isolate(2)
	c.WaitAlive(2, false)
	const nkeys = 300
	keys := make([]string, nkeys)
	for k := range keys {
		keys[k] = fmt.Sprintf("ae%d", k)
		if err := cls[k%2].Set(ctx, keys[k], keys[k], 0).Err(); err != nil {
			t.Fatalf("SET with one replica cut off: %v", err)
		}
	}
	if converged(t, cls) == "" {
		t.Fatal("the cut-off replica's trees already match")
	}
	c.HealAll()
	c.WaitAlive(2, true)
	poll(t, 30*time.Second, "replicas converge", func() string { return converged(t, cls) })
	if miss := heldBy(t, names(c, cls), keys, func(k string) string { return k }); miss != "" {
		t.Fatalf("equal roots but a key differs: %s", miss)
	}
	repaired := 0
	for _, cl := range cls {
		n, _ := strconv.Atoi(statusField(t, cl, "anti_entropy_keys_repaired"))
		repaired += n
	}
	// Hints and reads were out of the picture, so the repairs were
	// anti-entropy's (a copy pushed whose acknowledgement was lost is not
	// counted, so the count may fall short of the keys).
	if repaired == 0 {
		t.Fatal("anti-entropy reports no keys repaired")
	}
}

// TestJoinReceivesItsPartitions loads a cluster, then adds a node (with
// anti-entropy off): the partitions it gains are streamed to it, and DYNAGO
// STATUS reports the transfer.
func TestJoinReceivesItsPartitions(t *testing.T) {
	t.Parallel()
	cfg := with(steady, intervals(time.Second, time.Hour))
	c := testserver.StartCluster(t, 3, cfg)
	cls := clients(c)
	keys := load(t, cls[0], "j", 1000)
	c.Add(cfg)
	c.WaitRing(4)
	cls = append(cls, c.Nodes[3].Client())
	poll(t, 60*time.Second, "transfers finish", func() string {
		for i, cl := range cls {
			if n := statusField(t, cl, "transfers_in_progress"); n != "0" {
				return fmt.Sprintf("node %d: %s transfers in progress", i+1, n)
			}
		}
		return ""
	})
	if miss := heldBy(t, names(c, cls), keys, func(k string) string { return k }); miss != "" {
		t.Fatalf("after the join an owner lacks a key: %s", miss)
	}
	if moved, _ := strconv.Atoi(statusField(t, cls[3], "transfer_keys_moved")); moved == 0 {
		t.Fatal("the new node reports no keys moved")
	}
	if msg := converged(t, cls); msg != "" {
		t.Fatalf("after the transfer: %s", msg)
	}
}

// TestLeaveHandsOffAndRemoveReReplicates takes one node out with DYNAGO
// LEAVE and a dead one out with DYNAGO REMOVE (anti-entropy off): each time
// every key ends up on all of its new owners.
func TestLeaveHandsOffAndRemoveReReplicates(t *testing.T) {
	t.Parallel()
	cfg := with(steady, intervals(time.Second, time.Hour))
	c := testserver.StartCluster(t, 5, cfg)
	cls := clients(c)
	ctx := ctxFor(t)
	keys := load(t, cls[0], "l", 600)

	// LEAVE: node5 hands off, leaves the ring, and says it is done.
	if err := cls[4].Do(ctx, "DYNAGO", "LEAVE").Err(); err != nil {
		t.Fatalf("DYNAGO LEAVE: %v", err)
	}
	select {
	case <-c.Nodes[4].Node.Left():
	case <-time.After(10 * time.Second):
		t.Fatal("the node did not signal that it left")
	}
	c.Nodes[4].Stop()
	c.WaitRing(4)
	live := names(c, cls)
	if miss := heldBy(t, live, keys, func(k string) string { return k }); miss != "" {
		t.Fatalf("after LEAVE an owner lacks a key: %s", miss)
	}

	// REMOVE: node4 dies; its partitions are pulled from the survivors.
	c.Nodes[3].Stop()
	c.WaitAlive(3, false)
	if err := cls[0].Do(ctx, "DYNAGO", "REMOVE", "node1").Err(); err == nil {
		t.Fatal("DYNAGO REMOVE of the node itself was accepted")
	}
	if err := cls[0].Do(ctx, "DYNAGO", "REMOVE", "node2").Err(); err == nil {
		t.Fatal("DYNAGO REMOVE of a live node was accepted")
	}
	if err := cls[0].Do(ctx, "DYNAGO", "REMOVE", "node4").Err(); err != nil {
		t.Fatalf("DYNAGO REMOVE node4: %v", err)
	}
	c.WaitRing(3)
	live = names(c, cls)
	poll(t, 60*time.Second, "survivors re-replicate", func() string {
		return heldBy(t, live, keys, func(k string) string { return k })
	})
	for k := 0; k < len(keys); k += 37 {
		if got, ok := getOK(t, cls[k%3], keys[k]); !ok || got != keys[k] {
			t.Fatalf("GET %s after leave and remove: %q %v", keys[k], got, ok)
		}
	}
}

// TestDeletesStayDeleted deletes keys while a replica is down: when it comes
// back with the old values, hints and anti-entropy delete them there, and
// after the tombstones are collected nothing brings the values back.
func TestDeletesStayDeleted(t *testing.T) {
	t.Parallel()
	c := testserver.StartCluster(t, 3, with(steady, intervals(200*time.Millisecond, 300*time.Millisecond),
		func(_ int, cfg *node.Config) { cfg.Engine.TombstoneGrace = 2 * time.Second }))
	cls := clients(c)
	ctx := ctxFor(t)
	const nkeys = 100
	keys := make([]string, nkeys)
	for k := range keys {
		keys[k] = fmt.Sprintf("d%d", k)
		if err := cls[0].Set(ctx, keys[k], "old", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.Nodes[2].Stop()
	c.WaitAlive(2, false)
	for _, k := range keys {
		if err := cls[0].Del(ctx, k).Err(); err != nil {
			t.Fatalf("DEL %s with a replica down: %v", k, err)
		}
	}
	c.Nodes[2].Start()
	cls[2] = c.Nodes[2].Client()
	c.WaitAlive(2, true)
	poll(t, 30*time.Second, "deletes reach the restarted replica", func() string {
		for _, k := range keys {
			if _, values := local(t, cls[2], k); len(values) != 0 {
				return fmt.Sprintf("%s still %q on the restarted replica", k, values)
			}
		}
		return ""
	})
	// The tombstones are collected everywhere, and rounds of anti-entropy
	// afterwards bring nothing back.
	poll(t, 30*time.Second, "tombstones collected", func() string {
		for i, cl := range cls {
			for _, k := range keys {
				if found, _ := local(t, cl, k); found {
					return fmt.Sprintf("node %d still holds a record of %s", i+1, k)
				}
			}
		}
		return ""
	})
	before, _ := strconv.Atoi(statusField(t, cls[0], "anti_entropy_exchanges"))
	poll(t, 30*time.Second, "three more anti-entropy rounds", func() string {
		n, _ := strconv.Atoi(statusField(t, cls[0], "anti_entropy_exchanges"))
		if n < before+3*2 {
			return fmt.Sprintf("%d exchanges so far", n-before)
		}
		return ""
	})
	for i, cl := range cls {
		for _, k := range keys {
			if v, err := cl.Get(ctx, k).Result(); err != redis.Nil {
				t.Fatalf("GET %s through node %d after collection = %q, %v; the delete was undone", k, i+1, v, err)
			}
		}
	}
}
