package node_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/redis/go-redis/v9"
)

// TestPerConnectionConsistency sets R and W per connection with DYNAGO
// CONSISTENCY: ALL fails where the node's default (2) succeeds, ONE
// succeeds where it fails, and a forwarded write keeps its client's level.
func TestPerConnectionConsistency(t *testing.T) {
	t.Parallel()
	c := testserver.StartCluster(t, 3, steady)
	cls := clients(c)
	ctx := ctxFor(t)

	// One connection (pool of one) so the level sticks to every command.
	strict := redis.NewClient(&redis.Options{Addr: c.Nodes[0].Addr(), PoolSize: 1, MaxRetries: -1})
	t.Cleanup(func() { strict.Close() })
	if got := rdo(t, strict, "DYNAGO", "CONSISTENCY"); fmt.Sprint(got) != "[2 2]" {
		t.Fatalf("DYNAGO CONSISTENCY = %v, want [2 2]", got)
	}
	for _, bad := range [][]any{{"DYNAGO", "CONSISTENCY", "4"}, {"DYNAGO", "CONSISTENCY", "MOST"}, {"DYNAGO", "CONSISTENCY", "1", "2", "3"}} {
		if err := strict.Do(ctx, bad...).Err(); err == nil {
			t.Fatalf("%v accepted", bad)
		}
	}
	rdo(t, strict, "DYNAGO", "CONSISTENCY", "ALL")
	if got := rdo(t, strict, "DYNAGO", "CONSISTENCY"); fmt.Sprint(got) != "[3 3]" {
		t.Fatalf("after ALL: %v", got)
	}

	c.Nodes[2].Stop()
	c.WaitAlive(2, false)
	// A key whose writes node2 coordinates: node1 forwards, and node2 must
	// wait for all three replicas, as this client asked.
	var forwarded string
	for i := 0; forwarded == ""; i++ {
		key := fmt.Sprintf("fwd%d", i)
		if _, owners := preflist(t, cls[0], key); owners[0] == "node2" {
			forwarded = key
		}
	}
	for _, key := range []string{"local-key", forwarded} {
		err := strict.Set(ctx, key, "v", 0).Err()
		if err == nil || !strings.HasPrefix(err.Error(), "NOQUORUM") || !strings.Contains(err.Error(), "of 3") {
			t.Fatalf("SET %s at ALL with a replica down: %v; want NOQUORUM ... of 3", key, err)
		}
	}
	if err := cls[0].Set(ctx, "local-key", "v", 0).Err(); err != nil {
		t.Fatalf("SET at the default level with a replica down: %v", err)
	}
	if err := strict.Get(ctx, "local-key").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOQUORUM") {
		t.Fatalf("GET at ALL with a replica down: %v", err)
	}

	// ONE keeps a lone survivor writable and readable.
	c.Nodes[1].Stop()
	c.WaitAlive(1, false)
	rdo(t, strict, "DYNAGO", "CONSISTENCY", "ONE", "one")
	if err := strict.Set(ctx, "alone", "v", 0).Err(); err != nil {
		t.Fatalf("SET at ONE with one node up: %v", err)
	}
	if got, err := strict.Get(ctx, "alone").Result(); err != nil || got != "v" {
		t.Fatalf("GET at ONE with one node up: %q, %v", got, err)
	}
	if err := cls[0].Set(ctx, "alone", "w", 0).Err(); err == nil {
		t.Fatal("a write at the default W=2 succeeded with one node up")
	}
	rdo(t, strict, "DYNAGO", "CONSISTENCY", "DEFAULT")
	if err := strict.Set(ctx, "alone", "w", 0).Err(); err == nil {
		t.Fatal("DEFAULT did not restore W=2")
	}
}

// TestConfigSetAtRunTime changes the settings that are safe to change while
// a node runs, and checks that CONFIG GET and the node's behaviour follow.
func TestConfigSetAtRunTime(t *testing.T) {
	t.Parallel()
	c := testserver.StartCluster(t, 3, steady)
	cl := c.Nodes[0].Client()
	ctx := ctxFor(t)
	get := func(name string) string {
		t.Helper()
		m, err := cl.ConfigGet(ctx, name).Result()
		if err != nil {
			t.Fatal(err)
		}
		return m[name]
	}
	if get("read-quorum") != "2" || get("replicas") != "3" || get("anti-entropy-interval") != "10s" {
		t.Fatalf("CONFIG GET before: read-quorum %q replicas %q anti-entropy-interval %q",
			get("read-quorum"), get("replicas"), get("anti-entropy-interval"))
	}
	if err := cl.ConfigSet(ctx, "write-quorum", "3").Err(); err != nil {
		t.Fatal(err)
	}
	if get("write-quorum") != "3" || infoField(t, cl, "cluster", "cluster_w") != "3" {
		t.Fatal("write-quorum 3 not shown")
	}
	c.Nodes[2].Stop()
	c.WaitAlive(2, false)
	if err := cl.Set(ctx, "k", "v", 0).Err(); err == nil || !strings.Contains(err.Error(), "of 3") {
		t.Fatalf("SET with W=3 and a node down: %v", err)
	}
	if err := cl.ConfigSet(ctx, "write-quorum", "2").Err(); err != nil {
		t.Fatal(err)
	}
	if err := cl.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET after W back to 2: %v", err)
	}
	for _, bad := range [][2]string{{"write-quorum", "4"}, {"read-quorum", "x"}, {"maxclients", "0"}, {"replicas", "5"}, {"no-such", "1"}} {
		if err := cl.ConfigSet(ctx, bad[0], bad[1]).Err(); err == nil {
			t.Errorf("CONFIG SET %s %s accepted", bad[0], bad[1])
		}
	}
	// All or nothing: a bad pair leaves the good one unapplied.
	if err := cl.Do(ctx, "CONFIG", "SET", "slowlog-max-len", "7", "timeout", "-1").Err(); err == nil {
		t.Fatal("CONFIG SET with a bad pair accepted")
	}
	if get("slowlog-max-len") == "7" {
		t.Fatal("CONFIG SET applied part of a refused request")
	}
	if err := cl.Do(ctx, "CONFIG", "SET", "slowlog-max-len", "7", "timeout", "100").Err(); err != nil {
		t.Fatal(err)
	}
	if get("slowlog-max-len") != "7" || get("timeout") != "100" {
		t.Fatal("CONFIG SET of two settings not applied")
	}
}
