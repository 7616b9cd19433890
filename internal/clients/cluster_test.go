package clients_test

import (
	"cmp"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/redis/go-redis/v9"
)

// fiveNodes starts five dynago processes in one cluster (N=3 by default)
// and waits until every node sees all five alive.
func fiveNodes(t *testing.T) []*testserver.Process {
	t.Helper()
	testserver.Binary(t)
	first := testserver.StartProcess(t, "")
	ps := []*testserver.Process{first}
	for range 4 {
		ps = append(ps, testserver.StartProcess(t, "", "--join", first.GossipAddr()))
	}
	for _, p := range ps {
		waitAlive(t, p.Addr(), 5)
	}
	return ps
}

// waitAlive waits until the node at addr sees want ring members alive.
func waitAlive(t *testing.T, addr string, want int) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		info, err := c.Info(t.Context(), "cluster").Result()
		last = fmt.Sprint(info, err)
		if err == nil && strings.Contains(info, fmt.Sprintf("cluster_members_alive:%d\r\n", want)) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never saw %d members alive: %s", addr, want, last)
}

func addrsOf(ps []*testserver.Process) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Addr())
	}
	return out
}

// infoSum sums INFO cluster fields over the nodes at addrs that answer.
func infoSum(t *testing.T, addrs []string, fields ...string) int64 {
	t.Helper()
	var sum int64
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1})
		info, err := c.Info(t.Context(), "cluster").Result()
		c.Close()
		if err != nil {
			continue
		}
		for _, line := range strings.Split(info, "\r\n") {
			for _, f := range fields {
				if v, ok := strings.CutPrefix(line, f+":"); ok {
					n, _ := strconv.ParseInt(v, 10, 64)
					sum += n
				}
			}
		}
	}
	return sum
}

// routed sums the commands that reached a node holding no replica of their
// key, over the nodes at addrs that answer.
func routed(t *testing.T, addrs []string) int64 {
	t.Helper()
	return infoSum(t, addrs, "cluster_routed_writes", "cluster_off_replica_reads")
}

// TestClusterClients drives a five-node cluster with the cluster modes of
// real clients: go-redis ClusterClient (also ReadOnly with RouteRandomly),
// redis-cli -c and --cluster check, redis-benchmark --cluster, redis-py
// RedisCluster and ioredis Cluster. Their commands land on a replica of the
// key (the routed counters stay at zero). Then one node is killed with
// SIGKILL while a cluster client writes, the Python and Node.js clients run
// against the four left, the node restarts, and every acknowledged write is
// read back.
func TestClusterClients(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		missing(t, "redis-cli is not installed (apt-get install -y redis-tools): %v", err)
	}
	bench, err := exec.LookPath("redis-benchmark")
	if err != nil {
		missing(t, "redis-benchmark is not installed (apt-get install -y redis-tools): %v", err)
	}
	py := python(t)
	js := nodeWithIORedis(t)
	redis.SetLogger(quietLog{}) // dial failures to the killed node are expected
	ps := fiveNodes(t)
	addrs := addrsOf(ps)
	ctx := t.Context()

	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer cc.Close()
	ro := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ReadOnly: true, RouteRandomly: true})
	defer ro.Close()

	t.Run("go-redis", func(t *testing.T) {
		before := routed(t, addrs)
		for i := range 300 {
			if err := cc.Set(ctx, fmt.Sprintf("go:%d", i), i, 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []*redis.ClusterClient{cc, ro} {
			for i := range 300 {
				if n, err := c.Get(ctx, fmt.Sprintf("go:%d", i)).Int(); err != nil || n != i {
					t.Fatalf("GET go:%d through %v: %d, %v", i, c.Options().Addrs, n, err)
				}
			}
		}
		// A transaction and a pipeline on one hash tag.
		if _, err := cc.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.IncrBy(ctx, "{go:user}:visits", 2)
			p.Set(ctx, "{go:user}:name", "ada", 0)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if v, err := cc.MGet(ctx, "{go:user}:visits", "{go:user}:name").Result(); err != nil || fmt.Sprint(v) != "[2 ada]" {
			t.Fatalf("MGET of a hash tag: %v, %v", v, err)
		}
		// A hash, read back through the replica-reading client too.
		if err := cc.HSet(ctx, "go:session", "user", "ada", "visits", 1).Err(); err != nil {
			t.Fatal(err)
		}
		if err := cc.HIncrBy(ctx, "go:session", "visits", 2).Err(); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*redis.ClusterClient{cc, ro} {
			if h, err := c.HGetAll(ctx, "go:session").Result(); err != nil || fmt.Sprint(h) != "map[user:ada visits:3]" {
				t.Fatalf("HGETALL go:session through %v: %v, %v", c.Options().Addrs, h, err)
			}
		}
		// A sorted set, likewise.
		if err := cc.ZAdd(ctx, "go:board", redis.Z{Score: 10, Member: "ada"}, redis.Z{Score: 7, Member: "bob"}).Err(); err != nil {
			t.Fatal(err)
		}
		if err := cc.ZIncrBy(ctx, "go:board", 5, "bob").Err(); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*redis.ClusterClient{cc, ro} {
			if z, err := c.ZRangeWithScores(ctx, "go:board", 0, -1).Result(); err != nil || fmt.Sprint(z) != "[{10 ada} {12 bob}]" {
				t.Fatalf("ZRANGE go:board through %v: %v, %v", c.Options().Addrs, z, err)
			}
		}
		// A big sorted set (more than 128 members): its ranges, ranks and
		// counts are answered from one owner's score index where R
		// owners agree, and must answer what Redis would.
		var board []redis.Z
		for i := range 300 {
			board = append(board, redis.Z{Score: float64(i % 100), Member: fmt.Sprintf("p%03d", i)})
		}
		if err := cc.ZAdd(ctx, "go:big", board...).Err(); err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(board, func(a, b redis.Z) int {
			return cmp.Or(cmp.Compare(a.Score, b.Score), strings.Compare(a.Member.(string), b.Member.(string)))
		})
		agreedBefore := infoSum(t, addrs, "cluster_collection_reads_agreed")
		for _, c := range []*redis.ClusterClient{cc, ro} {
			if z, err := c.ZRangeWithScores(ctx, "go:big", 150, 152).Result(); err != nil || fmt.Sprint(z) != fmt.Sprint(board[150:153]) {
				t.Fatalf("ZRANGE go:big 150 152 through %v: %v, %v; want %v", c.Options().Addrs, z, err, board[150:153])
			}
			if z, err := c.ZRevRangeWithScores(ctx, "go:big", 0, 1).Result(); err != nil || fmt.Sprint(z) != fmt.Sprint([]redis.Z{board[299], board[298]}) {
				t.Fatalf("ZREVRANGE go:big 0 1: %v, %v", z, err)
			}
			if n, err := c.ZRank(ctx, "go:big", "p142").Result(); err != nil || n != 127 {
				t.Fatalf("ZRANK go:big p142: %d, %v; want 127", n, err)
			}
			if n, err := c.ZCard(ctx, "go:big").Result(); err != nil || n != 300 {
				t.Fatalf("ZCARD go:big: %d, %v", n, err)
			}
			if n, err := c.ZCount(ctx, "go:big", "10", "(20").Result(); err != nil || n != 30 {
				t.Fatalf("ZCOUNT go:big 10 (20: %d, %v; want 30", n, err)
			}
			m, err := c.ZRangeByScore(ctx, "go:big", &redis.ZRangeBy{Min: "98", Max: "+inf", Offset: 1, Count: 2}).Result()
			if err != nil || fmt.Sprint(m) != "[p198 p298]" {
				t.Fatalf("ZRANGEBYSCORE go:big 98 +inf LIMIT 1 2: %v, %v", m, err)
			}
		}
		if infoSum(t, addrs, "cluster_collection_reads_agreed") == agreedBefore {
			t.Error("no read of go:big was answered from an owner's score index")
		}
		if n := routed(t, addrs) - before; n > 0 {
			t.Errorf("%d of go-redis's 926 commands reached a node holding no replica of their key", n)
		}
	})

	t.Run("redis-cli", func(t *testing.T) {
		host, port := ps[1].Addr()[:strings.LastIndex(ps[1].Addr(), ":")], strconv.Itoa(ps[1].Port)
		out, err := exec.CommandContext(ctx, cli, "-c", "-h", host, "-p", port, "SET", "cli:key", "cli-value").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "OK" {
			t.Fatalf("redis-cli -c SET: %v %s", err, out)
		}
		out, err = exec.CommandContext(ctx, cli, "-c", "-p", strconv.Itoa(ps[4].Port), "GET", "cli:key").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "cli-value" {
			t.Fatalf("redis-cli -c GET: %v %s", err, out)
		}
		out, err = exec.CommandContext(ctx, cli, "--cluster", "check", ps[2].Addr()).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "[OK] All 16384 slots covered.") ||
			!strings.Contains(string(out), "[OK] All nodes agree about slots configuration.") {
			t.Fatalf("redis-cli --cluster check: %v\n%s", err, out)
		}
	})

	t.Run("redis-benchmark", func(t *testing.T) {
		before := routed(t, addrs)
		bctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		out, err := exec.CommandContext(bctx, bench, "--cluster", "-p", strconv.Itoa(ps[0].Port),
			"-t", "set,get", "-n", "2000", "-c", "10", "-r", "1000", "-q").CombinedOutput()
		if err != nil {
			t.Fatalf("redis-benchmark --cluster: %v\n%s", err, out)
		}
		for _, want := range []string{"SET: ", "GET: "} {
			if !strings.Contains(string(out), want) || !strings.Contains(string(out), "requests per second") {
				t.Fatalf("redis-benchmark printed no %s rate:\n%s", want, out)
			}
		}
		if n := routed(t, addrs) - before; n > 40 { // 1% of 4000
			t.Errorf("%d of redis-benchmark's 4000 commands reached a node holding no replica of their key", n)
		}
	})

	// Kill one node while a cluster client writes; run the other clients
	// against the four left; restart it.
	var (
		mu      sync.Mutex
		acked   = map[string]int{}
		stop    = make(chan struct{})
		writing sync.WaitGroup
	)
	writing.Go(func() {
		for i := 0; i < 20000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			key := fmt.Sprintf("kill:%d", i)
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := cc.Set(wctx, key, i, 0).Err()
			cancel()
			if err == nil {
				mu.Lock()
				acked[key] = i
				mu.Unlock()
			}
		}
	})
	ackedSoFar := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	waitAcked := func(n int) {
		deadline := time.Now().Add(time.Minute)
		for ackedSoFar() < n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if ackedSoFar() < n {
			t.Fatalf("only %d writes acknowledged, waiting for %d", ackedSoFar(), n)
		}
	}
	waitAcked(200)
	victim := ps[2]
	victim.Kill()
	before := ackedSoFar()
	waitAcked(before + 300)
	t.Logf("%d writes acknowledged before the kill, %d with the node down", before, ackedSoFar()-before)

	t.Run("redis-py with a node down", func(t *testing.T) {
		runScriptOn(t, addrs, []string{"set and get", "pipeline", "hash-tagged keys", "hash tags share a slot", "hash", "sorted set", "hyperloglog and bitmap"}, py, filepath.Join("python", "cluster.py"), "py")
	})
	t.Run("ioredis with a node down", func(t *testing.T) {
		runScriptOn(t, addrs, []string{"set and get", "pipeline", "hash-tagged keys", "hash", "sorted set", "hyperloglog and bitmap"}, js, filepath.Join("node", "cluster.js"), "js")
	})

	victim.Start()
	for _, a := range addrs {
		waitAlive(t, a, 5)
	}
	before = ackedSoFar()
	waitAcked(before + 200)
	close(stop)
	writing.Wait()

	// Every acknowledged write, read back through the cluster client and
	// through a plain client of the restarted node.
	plain := redis.NewClient(&redis.Options{Addr: victim.Addr()})
	defer plain.Close()
	for key, want := range acked {
		for _, get := range []func(context.Context, string) *redis.StringCmd{cc.Get, plain.Get} {
			n, err := get(ctx, key).Int()
			if err != nil || n != want {
				t.Fatalf("acknowledged %s = %d read back as %d, %v", key, want, n, err)
			}
		}
	}
	t.Logf("%d acknowledged writes read back", len(acked))
}

type quietLog struct{}

func (quietLog) Printf(context.Context, string, ...any) {}
