package node_test

// Cluster tests with real dynago processes, so that a node can die by
// SIGKILL: no graceful leave, no flush, nothing but what its disk holds.

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/redis/go-redis/v9"
)

// waitMembers polls INFO cluster through every client until each sees want
// ring members of which alive are alive.
func waitMembers(t *testing.T, cls []*redis.Client, want, alive int) {
	t.Helper()
	for _, cl := range cls {
		poll(t, 15*time.Second, fmt.Sprintf("%s to see %d members, %d alive", cl.Options().Addr, want, alive), func() string {
			m := infoField(t, cl, "cluster", "cluster_members")
			a := infoField(t, cl, "cluster", "cluster_members_alive")
			if m != strconv.Itoa(want) || a != strconv.Itoa(alive) {
				return fmt.Sprintf("cluster_members:%s cluster_members_alive:%s", m, a)
			}
			return ""
		})
	}
}

// TestKilledNodeRepairedByRead kills one of three processes with SIGKILL:
// reads and writes at R=W=2 go on through the survivors; the killed node,
// restarted, is brought up to date by read repair; with two of three dead
// the last one refuses with NOQUORUM.
func TestKilledNodeRepairedByRead(t *testing.T) {
	t.Parallel()
	start := time.Now()
	testserver.Binary(t)
	t.Logf("building dynago took %v", time.Since(start))
	start = time.Now()
	// Hint delivery and anti-entropy are slowed to a crawl so that read
	// repair alone brings the restarted node up to date.
	readRepairOnly := []string{"--hint-interval", "1h", "--anti-entropy-interval", "1h"}
	p1 := testserver.StartProcess(t, "", readRepairOnly...)
	p2 := testserver.StartProcess(t, "", append(readRepairOnly, "--join", p1.GossipAddr())...)
	p3 := testserver.StartProcess(t, "", append(readRepairOnly, "--join", p1.GossipAddr())...)
	c1 := testserver.NewClient(t, p1.Addr())
	c2 := testserver.NewClient(t, p2.Addr())
	c3 := testserver.NewClient(t, p3.Addr())
	ctx := ctxFor(t)
	waitMembers(t, []*redis.Client{c1, c2, c3}, 3, 3)
	t.Logf("three processes formed a cluster after %v", time.Since(start))

	for k := 0; k < 10; k++ {
		if err := c3.Set(ctx, fmt.Sprintf("before:%d", k), "b", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	p3.Kill()

	// With the default (slower) gossip of the binary, the survivors still
	// believe node 3 alive for a while; requests must not wait for gossip.
	const nkeys = 20
	survivors := []*redis.Client{c1, c2}
	start = time.Now()
	for k := 0; k < nkeys; k++ {
		for _, prefix := range []string{"repair", "control"} {
			key := fmt.Sprintf("%s:%d", prefix, k)
			if err := survivors[k%2].Set(ctx, key, "down-"+key, 0).Err(); err != nil {
				t.Fatalf("SET %s through a survivor with node 3 killed: %v", key, err)
			}
			if got, ok := getOK(t, survivors[(k+1)%2], key); !ok || got != "down-"+key {
				t.Fatalf("GET %s through the other survivor: %q, %v", key, got, ok)
			}
		}
	}
	if got, err := c2.Incr(ctx, "down-counter").Result(); err != nil || got != 1 {
		t.Fatalf("INCR with node 3 killed: %d, %v", got, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("%d writes and reads with node 3 killed took %v", 4*nkeys, d)
	}
	t.Logf("%d writes and %d reads with node 3 killed took %v", 2*nkeys, 2*nkeys, time.Since(start))

	// Restart node 3 with R=1 so that, with both survivors dead later, a
	// read through it answers from its own disk (its copy is asked first
	// and always counts). See TestOneOfThreeStoppedThenRepairedByRead.
	p3.Args = append(p3.Args, "--read-quorum", "1")
	p3.Start()
	start = time.Now()
	waitMembers(t, []*redis.Client{c1, c2, c3}, 3, 3)
	t.Logf("the restarted node was seen alive everywhere after %v", time.Since(start))

	readRepair(t, c1, "repair:%d", nkeys, 1)

	p1.Kill()
	p2.Kill()
	for k := 0; k < nkeys; k++ {
		key := fmt.Sprintf("repair:%d", k)
		if got, ok := getOK(t, c3, key); !ok || got != "down-"+key {
			t.Fatalf("node 3 alone: GET %s = %q (found %v); read repair did not reach it", key, got, ok)
		}
		if got, ok := getOK(t, c3, fmt.Sprintf("control:%d", k)); ok {
			t.Fatalf("node 3 alone has control:%d = %q, which no read repaired", k, got)
		}
	}
	// Two of three dead: the survivor (W=2) refuses writes; R=2 is set on
	// the others only, so read refusal is checked in the in-process test.
	checkNoQuorum(t, c3, "SET", "repair:0", "x")
	checkNoQuorum(t, c3, "INCR", "down-counter")
}

// TestWholeClusterKilledLosesNoAcknowledgedWrite kills every node of a
// three-process cluster at once with SIGKILL while clients write through all
// of them, restarts them all, and reads every acknowledged write back. With
// W=2 an acknowledged write is on two disks, each synced before it answered
// (--fsync always: one fsync per write; batch: the group fsync that covered
// it), so a crash of every node loses none.
func TestWholeClusterKilledLosesNoAcknowledgedWrite(t *testing.T) {
	for _, fsync := range []string{"always", "batch"} {
		t.Run("fsync="+fsync, func(t *testing.T) {
			t.Parallel()
			testserver.Binary(t)
			p1 := testserver.StartProcess(t, "", "--fsync", fsync)
			p2 := testserver.StartProcess(t, "", "--fsync", fsync, "--join", p1.GossipAddr())
			p3 := testserver.StartProcess(t, "", "--fsync", fsync, "--join", p1.GossipAddr())
			procs := []*testserver.Process{p1, p2, p3}
			cls := []*redis.Client{testserver.NewClient(t, p1.Addr()), testserver.NewClient(t, p2.Addr()), testserver.NewClient(t, p3.Addr())}
			waitMembers(t, cls, 3, 3)
			ctx := ctxFor(t)

			// Six writers, two per node, each writing its own keys until the
			// kill (at most 400 writes each, and 5 s).
			type ack struct{ key, value string }
			acked := make(chan ack, 6*400)
			stop := make(chan struct{})
			done := make(chan struct{})
			for w := 0; w < 6; w++ {
				go func(w int) {
					defer func() { done <- struct{}{} }()
					cl := cls[w%3]
					for i := 0; i < 400; i++ {
						select {
						case <-stop:
							return
						default:
						}
						key, value := fmt.Sprintf("crash:%d:%d", w, i), fmt.Sprintf("v%d", i)
						if cl.Set(ctx, key, value, 0).Err() == nil {
							acked <- ack{key, value}
						}
					}
				}(w)
			}
			deadline := time.After(5 * time.Second)
			for len(acked) < 300 {
				select {
				case <-deadline:
					t.Fatalf("only %d writes acknowledged in 5 s", len(acked))
				case <-time.After(10 * time.Millisecond):
				}
			}
			for _, p := range procs {
				p.Kill()
			}
			close(stop)
			for w := 0; w < 6; w++ {
				<-done
			}
			close(acked)
			for _, p := range procs {
				p.Start()
			}
			waitMembers(t, cls, 3, 3)
			n := 0
			for a := range acked {
				got, ok := getOK(t, cls[n%3], a.key)
				if !ok || got != a.value {
					t.Fatalf("acknowledged %s=%s lost after every node was killed: got %q (found %v)", a.key, a.value, got, ok)
				}
				n++
			}
			t.Logf("fsync=%s: %d acknowledged writes, all read back after killing every node", fsync, n)
		})
	}
}
