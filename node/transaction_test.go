package node_test

// Transactions in a cluster: WATCH on one node sees writes made through the
// others (EXEC re-reads the watched keys at quorum), EXEC's commands go to
// their keys' coordinators, and transactions through one node that share a
// key are serialized.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
	"github.com/redis/go-redis/v9"
)

// watchedWrite runs WATCH key on w, then between(), then MULTI SET key
// mine EXEC on the same connection, and returns EXEC's error (nil: it ran;
// redis.TxFailedErr: it aborted).
func watchedWrite(t *testing.T, w *redis.Client, key string, between func()) error {
	t.Helper()
	return w.Watch(ctxFor(t), func(tx *redis.Tx) error {
		between()
		_, err := tx.TxPipelined(ctxFor(t), func(p redis.Pipeliner) error {
			p.Set(ctxFor(t), key, "mine", 0)
			return nil
		})
		return err
	}, key)
}

// TestWatchAcrossNodes: WATCH through node 1, writes through nodes 2 and 3.
func TestWatchAcrossNodes(t *testing.T) {
	c := testserver.StartCluster(t, 3, steady)
	cls := clients(c)
	n1, n2, n3 := cls[0], cls[1], cls[2]
	rdo(t, n1, "SET", "k", "v0")

	t.Run("a write through another node aborts EXEC", func(t *testing.T) {
		err := watchedWrite(t, n1, "k", func() { rdo(t, n2, "SET", "k", "theirs") })
		if !errors.Is(err, redis.TxFailedErr) {
			t.Fatalf("EXEC after a write through node 2: %v; want an aborted transaction", err)
		}
		if v, _ := getOK(t, n3, "k"); v != "theirs" {
			t.Fatalf("GET k through node 3: %q, want theirs", v)
		}
	})
	t.Run("no write: EXEC runs", func(t *testing.T) {
		if err := watchedWrite(t, n1, "k", func() { rdo(t, n2, "GET", "k") }); err != nil {
			t.Fatalf("EXEC with no write in between: %v", err)
		}
		for i, r := range cls {
			if v, _ := getOK(t, r, "k"); v != "mine" {
				t.Fatalf("GET k through node %d: %q, want mine", i+1, v)
			}
		}
	})
	t.Run("writes that change nothing do not abort", func(t *testing.T) {
		err := watchedWrite(t, n1, "k", func() {
			if set, err := n2.SetNX(ctxFor(t), "k", "x", 0).Result(); err != nil || set {
				t.Errorf("SET k x NX through node 2: %v, %v; want no write", set, err)
			}
			rdo(t, n3, "DEL", "nokey")
		})
		if err != nil {
			t.Fatalf("EXEC after writes that changed nothing: %v", err)
		}
	})
	t.Run("a key created, or deleted, through another node", func(t *testing.T) {
		if err := watchedWrite(t, n1, "new", func() { rdo(t, n3, "SET", "new", "1") }); !errors.Is(err, redis.TxFailedErr) {
			t.Fatalf("EXEC after a key was created through node 3: %v; want an aborted transaction", err)
		}
		if err := watchedWrite(t, n1, "new", func() { rdo(t, n2, "DEL", "new") }); !errors.Is(err, redis.TxFailedErr) {
			t.Fatalf("EXEC after a key was deleted through node 2: %v; want an aborted transaction", err)
		}
	})
	t.Run("FLUSHALL through another node", func(t *testing.T) {
		if err := watchedWrite(t, n1, "k", func() { rdo(t, n3, "FLUSHALL") }); !errors.Is(err, redis.TxFailedErr) {
			t.Fatalf("EXEC after FLUSHALL through node 3: %v; want an aborted transaction", err)
		}
	})
}

// TestWatchIncrementLoopThroughOneNode: in a cluster, transactions through
// one node that share a key run one after the other, so the optimistic
// increment loses nothing when its clients use the same node.
func TestWatchIncrementLoopThroughOneNode(t *testing.T) {
	c := testserver.StartCluster(t, 3, steady)
	const clientsN, each = 4, 10
	var succeeded atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clientsN)
	for range clientsN {
		cl := c.Nodes[0].Client()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done := 0; done < each; {
				err := cl.Watch(ctxFor(t), func(tx *redis.Tx) error {
					n, err := tx.Get(ctxFor(t), "counter").Int()
					if err != nil && !errors.Is(err, redis.Nil) {
						return err
					}
					_, err = tx.TxPipelined(ctxFor(t), func(p redis.Pipeliner) error {
						p.Set(ctxFor(t), "counter", n+1, 0)
						return nil
					})
					return err
				}, "counter")
				switch {
				case err == nil:
					succeeded.Add(1)
					done++
				case !errors.Is(err, redis.TxFailedErr):
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, cn := range c.Nodes {
		got, err := cn.Client().Get(ctxFor(t), "counter").Int64()
		if err != nil || got != succeeded.Load() || got != clientsN*each {
			t.Fatalf("counter through node %d: %d, %v; %d transactions succeeded (want %d)", i+1, got, err, succeeded.Load(), clientsN*each)
		}
	}
}

// TestExecForwardsInCluster: with N=2 of 3 nodes, some keys have no copy on
// node 1; EXEC through node 1 sends their writes to their coordinators, in
// order with the rest, as plain commands would be, pipelined or not.
func TestExecForwardsInCluster(t *testing.T) {
	c := testserver.StartCluster(t, 3, func(i int, cfg *node.Config) {
		steady(i, cfg)
		cfg.Replicas = 2
	})
	cls := clients(c)
	n1 := cls[0]
	var here, elsewhere string
	for i := 0; here == "" || elsewhere == ""; i++ {
		key := fmt.Sprintf("key-%d", i)
		if _, owners := preflist(t, n1, key); slices.Contains(owners, "node1") {
			here = key
		} else {
			elsewhere = key
		}
	}

	t.Run("TxPipelined", func(t *testing.T) {
		var cmds []redis.Cmder
		_, err := n1.TxPipelined(ctxFor(t), func(p redis.Pipeliner) error {
			cmds = append(cmds,
				p.Set(ctxFor(t), elsewhere, "1", 0),
				p.IncrBy(ctxFor(t), elsewhere, 41),
				p.Set(ctxFor(t), here, "h", 0),
				p.Append(ctxFor(t), here, "ere"),
				p.MGet(ctxFor(t), elsewhere, here),
				p.Get(ctxFor(t), elsewhere))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"set " + elsewhere + " 1: OK", "incrby " + elsewhere + " 41: 42", "set " + here + " h: OK",
			"append " + here + " ere: 4", "mget " + elsewhere + " " + here + ": [42 here]", "get " + elsewhere + ": 42"}
		for i, cmd := range cmds {
			if got := cmd.String(); got != want[i] {
				t.Errorf("command %d: %q, want %q", i+1, got, want[i])
			}
		}
		for i, r := range cls {
			if v, _ := getOK(t, r, elsewhere); v != "42" {
				t.Fatalf("GET %s through node %d: %q, want 42", elsewhere, i+1, v)
			}
		}
	})
	t.Run("runtime error of a forwarded command", func(t *testing.T) {
		rdo(t, n1, "SET", elsewhere, "abc")
		var set *redis.StatusCmd
		var incr *redis.IntCmd
		var get *redis.StringCmd
		_, err := n1.TxPipelined(ctxFor(t), func(p redis.Pipeliner) error {
			incr = p.Incr(ctxFor(t), elsewhere)
			set = p.Set(ctxFor(t), here, "after", 0)
			get = p.Get(ctxFor(t), elsewhere)
			return nil
		})
		if err == nil || incr.Err() == nil || incr.Err().Error() != "ERR value is not an integer or out of range" {
			t.Fatalf("EXEC: %v, INCR: %v; want INCR's error", err, incr.Err())
		}
		if set.Val() != "OK" || get.Val() != "abc" {
			t.Fatalf("SET %q, GET %q: the other commands must run", set.Val(), get.Val())
		}
	})
	t.Run("pipelined in one write, as on a lone node", func(t *testing.T) {
		// A cluster runs a pipeline in concurrent waves; transactions in
		// it must still queue in order and answer as a lone node does.
		in := strings.NewReplacer("{e}", elsewhere, "{h}", here).Replace("SET {e} 1\r\n" +
			"MULTI\r\nINCR {e}\r\nSET {h} x\r\nAPPEND {h} y\r\nGET {e}\r\nMGET {e} {h}\r\nNOSUCH\r\nEXEC\r\n" +
			"MULTI\r\nINCR {e}\r\nSET {h} x\r\nAPPEND {h} y\r\nGET {e}\r\nMGET {e} {h}\r\nEXEC\r\n" +
			"WATCH {e} {h}\r\nSET {e} 5\r\nMULTI\r\nGET {e}\r\nEXEC\r\n" +
			"WATCH {h}\r\nMULTI\r\nINCR {e}\r\nGET {h}\r\nEXEC\r\nGET {e}\r\nQUIT\r\n")
		lone := testserver.Start(t)
		rdo(t, n1, "DEL", elsewhere, here)
		want, got := pipeline(t, lone.Addr(), in), pipeline(t, c.Nodes[0].Addr(), in)
		if got != want {
			t.Fatalf("replies through node 1:\n%q\nwant, as a lone node answers:\n%q", got, want)
		}
	})
	t.Run("WATCH of a key node 1 holds no copy of", func(t *testing.T) {
		err := watchedWrite(t, n1, elsewhere, func() { rdo(t, cls[2], "SET", elsewhere, "theirs") })
		if !errors.Is(err, redis.TxFailedErr) {
			t.Fatalf("EXEC after a write through node 3: %v; want an aborted transaction", err)
		}
		if err := watchedWrite(t, n1, elsewhere, func() {}); err != nil {
			t.Fatalf("EXEC with no write in between: %v", err)
		}
		if v, _ := getOK(t, cls[1], elsewhere); v != "mine" {
			t.Fatalf("GET %s through node 2: %q, want mine", elsewhere, v)
		}
	})
}

// pipeline sends in to addr in one write and returns every reply until the
// server closes the connection (in ends with QUIT).
func pipeline(t *testing.T, addr, in string) string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(nc, in); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(nc)
	if err != nil {
		t.Fatalf("%s: %v (read %q)", addr, err, out)
	}
	return string(out)
}
