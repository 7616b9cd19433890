package transfer

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// A fourth node joins three: every node ends up holding every key of every
// partition it owns in the new ring, each object as it was written, and the
// joiner holds nothing else.
func TestJoinPullsGainedPartitions(t *testing.T) {
	c := newCluster(t)
	for _, name := range []string{"n1", "n2", "n3", "n4"} {
		c.add(name, nil)
	}
	a := ring(t, 2, "n1", "n2", "n3")
	b := ring(t, 2, "n1", "n2", "n3", "n4")
	data := makeData(2000)
	c.load(a, data)

	gainedByN4 := gained(a, b, "n4")
	if len(gainedByN4) == 0 {
		t.Fatal("the joiner gains nothing; pick other rings")
	}
	c.changeRing(nil, a) // the first ring: nothing to pull
	c.changeRing(a, b)
	waitFor(t, "every pull to finish", c.idle)

	for name, n := range c.nodes {
		checkHolds(t, name, contents(t, n.eng), keysOf(b, data, b.PartitionsOf(name)))
	}
	got := contents(t, c.nodes["n4"].eng)
	want := keysOf(b, data, gainedByN4)
	if len(got) != len(want) {
		t.Errorf("n4 holds %d keys, want exactly the %d of its partitions", len(got), len(want))
	}

	st := c.nodes["n4"].m.Status()
	if st.PartitionsDone != int64(len(gainedByN4)) || st.PartitionsPending != 0 ||
		st.InProgress || st.Current != -1 || st.PullFailures != 0 {
		t.Errorf("n4 status %+v, want %d partitions done and nothing pending", st, len(gainedByN4))
	}
	if st.Pulled.Keys != int64(len(want)) || st.Pulled.Bytes == 0 || st.Pulled.Batches <= int64(len(gainedByN4)) {
		t.Errorf("n4 pulled %+v, want %d keys in several batches per partition", st.Pulled, len(want))
	}
	if st.BytesMoved != st.Pulled.Bytes || st.KeysMoved != st.Pulled.Keys {
		t.Errorf("n4 moved %d bytes, %d keys; it only pulled %+v", st.BytesMoved, st.KeysMoved, st.Pulled)
	}
	// What the sources served is what the pullers received.
	var pulled, served Traffic
	for _, n := range c.nodes {
		s := n.m.Status()
		pulled.Batches += s.Pulled.Batches
		pulled.Keys += s.Pulled.Keys
		pulled.Bytes += s.Pulled.Bytes
		served.Batches += s.Served.Batches
		served.Keys += s.Served.Keys
		served.Bytes += s.Served.Bytes
	}
	if pulled != served {
		t.Errorf("pulled %+v in all, served %+v", pulled, served)
	}
}

// A previous owner that cannot be reached (though believed alive), or is
// known to be down, is passed over for the next one.
func TestPullUsesNextSource(t *testing.T) {
	for _, how := range []string{"unreachable", "not alive"} {
		t.Run(how, func(t *testing.T) {
			c := newCluster(t)
			for _, name := range []string{"n1", "n2", "n3", "n4"} {
				c.add(name, nil)
			}
			a := ring(t, 2, "n1", "n2", "n3")
			b := ring(t, 2, "n1", "n2", "n3", "n4")
			data := makeData(1000)
			c.load(a, data)
			if how == "unreachable" {
				c.faults.Isolate("n1")
			} else {
				c.setDown("n1", true)
			}
			c.nodes["n4"].m.RingChanged(a, b)
			waitFor(t, "n4 to pull its partitions", c.idle)

			checkHolds(t, "n4", contents(t, c.nodes["n4"].eng), keysOf(b, data, gained(a, b, "n4")))
			if s := c.nodes["n1"].m.Status().Served; s.Batches != 0 {
				t.Errorf("n1 served %+v while cut off", s)
			}
			firstIsN1 := false
			for _, p := range gained(a, b, "n4") {
				firstIsN1 = firstIsN1 || a.Owners(p)[0] == "n1"
			}
			if !firstIsN1 {
				t.Fatal("n1 is no partition's first source; the test proves nothing")
			}
			if st := c.nodes["n4"].m.Status(); st.PullFailures != 0 {
				t.Errorf("%d pull failures; another source was there each time", st.PullFailures)
			}
		})
	}
}

// With every previous owner down, the partitions are retried, the failure
// is warned of once (not once per partition), and the partitions are pulled
// once the owners are back.
func TestPullRetriesUntilSourcesReturn(t *testing.T) {
	c := newCluster(t)
	logs := &countingHandler{warns: map[string]int{}}
	for _, name := range []string{"n1", "n2", "n3"} {
		c.add(name, nil)
	}
	c.add("n4", func(cfg *Config) { cfg.Logger = slog.New(logs) })
	a := ring(t, 2, "n1", "n2", "n3")
	b := ring(t, 2, "n1", "n2", "n3", "n4")
	data := makeData(500)
	c.load(a, data)
	for _, name := range []string{"n1", "n2", "n3"} {
		c.faults.Isolate(name)
	}
	n4 := c.nodes["n4"].m
	n4.RingChanged(a, b)
	parts := gained(a, b, "n4")
	// Every partition failed once and some were retried.
	waitFor(t, "retries", func() bool { return n4.Status().PullFailures > int64(2*len(parts)) })
	if st := n4.Status(); st.PartitionsPending != len(parts) || st.PartitionsDone != 0 {
		t.Fatalf("status %+v while every source is down", st)
	}
	c.faults.HealAll()
	waitFor(t, "the pulls to succeed", c.idle)
	checkHolds(t, "n4", contents(t, c.nodes["n4"].eng), keysOf(b, data, parts))

	warns := logs.counts()
	if len(warns) != 1 {
		t.Errorf("%d warnings for %d failing partitions, want one: %v", len(warns), len(parts), warns)
	}
	for k, n := range warns {
		if n != 1 {
			t.Errorf("%q logged %d times", k, n)
		}
	}
}

// A later ring change forgets the partitions this node no longer owns,
// including one being pulled.
func TestRingChangeDropsPartitionsNoLongerOwned(t *testing.T) {
	c := newCluster(t)
	for _, name := range []string{"n1", "n2", "n3", "n4"} {
		c.add(name, nil)
	}
	a := ring(t, 2, "n1", "n2", "n3")
	b := ring(t, 2, "n1", "n2", "n3", "n4")
	c.load(a, makeData(200))
	for _, name := range []string{"n1", "n2", "n3"} {
		c.faults.Isolate(name)
	}
	n4 := c.nodes["n4"].m
	n4.RingChanged(a, b)
	waitFor(t, "a failed pull", func() bool { return n4.Status().PullFailures > 0 })
	n4.RingChanged(b, a) // n4 is gone again
	if st := n4.Status(); st.PartitionsPending != 0 {
		t.Fatalf("%d partitions still pending after n4 left the ring", st.PartitionsPending)
	}
}

// Leave pushes every partition of the leaving node to its new owners.
func TestLeavePushesToNewOwners(t *testing.T) {
	c := newCluster(t)
	for _, name := range []string{"n1", "n2", "n3", "n4"} {
		c.add(name, nil)
	}
	with := ring(t, 2, "n1", "n2", "n3", "n4")
	without := ring(t, 2, "n1", "n2", "n3")
	data := makeData(1500)
	c.load(with, data)

	n4 := c.nodes["n4"].m
	if err := n4.Leave(context.Background(), with, without); err != nil {
		t.Fatal(err)
	}
	wantPushed := 0
	handedOff := map[int]bool{}
	for name, n := range c.nodes {
		if name == "n4" {
			continue
		}
		var mine []int
		for _, p := range gained(with, without, name) {
			if slices.Contains(with.Owners(p), "n4") {
				mine = append(mine, p)
				handedOff[p] = true
			}
		}
		want := keysOf(with, data, mine)
		wantPushed += len(want)
		checkHolds(t, name, contents(t, n.eng), want)
		if got := n.m.Status().Received.Keys; got != int64(len(want)) {
			t.Errorf("%s received %d keys, want %d", name, got, len(want))
		}
	}
	st := n4.Status()
	if st.PushDone != int64(len(handedOff)) || st.PushPending != 0 || st.Pushed.Keys != int64(wantPushed) {
		t.Errorf("status %+v, want %d partitions and %d keys pushed", st, len(handedOff), wantPushed)
	}
}

// A push to an unreachable owner is retried until it gets through; if it
// never does, Leave says how many partitions were not handed off.
func TestLeaveRetries(t *testing.T) {
	c := newCluster(t)
	for _, name := range []string{"n1", "n2", "n3", "n4"} {
		c.add(name, nil)
	}
	with := ring(t, 2, "n1", "n2", "n3", "n4")
	without := ring(t, 2, "n1", "n2", "n3")
	data := makeData(500)
	c.load(with, data)
	n4 := c.nodes["n4"].m

	// The new owner of some of n4's partitions is cut off for a while.
	var target string
	var toTarget []int
	for _, mv := range partition.Moves(with, without) {
		if !slices.Contains(mv.Lost, "n4") {
			continue
		}
		if target == "" {
			target = mv.Gained[0]
		}
		if slices.Contains(mv.Gained, target) {
			toTarget = append(toTarget, mv.Partition)
		}
	}
	c.faults.Cut("n4", target)
	done := make(chan error, 1)
	go func() { done <- n4.Leave(context.Background(), with, without) }()
	waitFor(t, "the other partitions to be handed off", func() bool {
		st := n4.Status()
		return st.PushPending == len(toTarget) && st.PushFailures > 0
	})
	c.faults.HealAll()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkHolds(t, target, contents(t, c.nodes[target].eng), keysOf(with, data, toTarget))

	// Cut off for good: Leave gives up when its context ends.
	c.faults.Cut("n4", target)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := n4.Leave(ctx, with, without)
	if err == nil || !strings.Contains(err.Error(), "partitions not handed off") {
		t.Fatalf("Leave with a target cut off: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "transfer: "+strconv.Itoa(len(toTarget))+" of ") {
		t.Errorf("error %q does not count the %d partitions of %s", err, len(toTarget), target)
	}
}

// A key written on the receiver before the pull keeps its version next to
// the pulled one (they are concurrent: siblings), and pulling twice changes
// nothing.
func TestPullMergesWithLocalVersions(t *testing.T) {
	c := newCluster(t)
	for _, name := range []string{"n1", "n2", "n3", "n4"} {
		c.add(name, nil)
	}
	a := ring(t, 2, "n1", "n2", "n3")
	b := ring(t, 2, "n1", "n2", "n3", "n4")
	data := makeData(400)
	c.load(a, data)

	// n4 took writes for keys of its new partitions before pulling them.
	n4 := c.nodes["n4"]
	parts := gained(a, b, "n4")
	mine := keysOf(b, data, parts)
	local := dataset{}
	i := 0
	for k := range mine {
		if i++; i > 20 {
			break
		}
		d := version.Dot{Actor: version.Actor{Node: 4, Epoch: 1}, Counter: 1}
		o := version.Object{}.Update(nil, d, &version.Sibling{Time: 1, Value: []byte("local")})
		if _, err := n4.eng.Merge([]byte(k), o); err != nil {
			t.Fatal(err)
		}
		local[k] = o
	}

	want := dataset{}
	for k, o := range mine {
		want[k] = o
		if l, ok := local[k]; ok {
			want[k] = version.Merge(o, l)
			if len(o.Siblings) > 0 && len(want[k].Siblings) != len(o.Siblings)+1 {
				t.Fatalf("test setup: merged %v has no extra sibling", want[k])
			}
		}
	}
	for round := 1; round <= 2; round++ {
		n4.m.RingChanged(a, b)
		waitFor(t, "the pull", func() bool { return n4.m.Status().PartitionsDone == int64(round*len(parts)) })
		got := contents(t, n4.eng)
		checkHolds(t, "n4", got, want)
		if len(got) != len(want) {
			t.Errorf("round %d: n4 holds %d keys, want %d", round, len(got), len(want))
		}
	}
}

// The worker paces its pulls to RateBytes: with a fake clock it sleeps
// exactly as long as the bytes it received take at that rate.
func TestPullIsThrottled(t *testing.T) {
	const rate = 10_000 // bytes per second
	c := newCluster(t)
	for _, name := range []string{"n1", "n2", "n3"} {
		c.add(name, nil)
	}
	clock := &fakeClock{now: time.Unix(1000, 0)}
	c.add("n4", func(cfg *Config) {
		cfg.RateBytes = rate
		cfg.Now, cfg.Sleep = clock.Now, clock.Sleep
	})
	a := ring(t, 2, "n1", "n2", "n3")
	b := ring(t, 2, "n1", "n2", "n3", "n4")
	c.load(a, makeData(1000))
	n4 := c.nodes["n4"].m
	n4.RingChanged(a, b)
	waitFor(t, "the pull", c.idle)

	st := n4.Status()
	want := time.Duration(st.Pulled.Bytes * int64(time.Second) / rate)
	clock.mu.Lock()
	defer clock.mu.Unlock()
	if clock.slept != want || clock.sleeps != int(st.Pulled.Batches) {
		t.Errorf("slept %v in %d pauses for %d bytes in %d batches at %d B/s, want %v",
			clock.slept, clock.sleeps, st.Pulled.Bytes, st.Pulled.Batches, rate, want)
	}
}

// Close stops the worker, even in the middle of a throttled pull or while
// partitions wait to be retried, and leaves no goroutine behind.
func TestCloseStopsWorker(t *testing.T) {
	c := newCluster(t)
	for _, name := range []string{"n1", "n2", "n3"} {
		c.add(name, nil)
	}
	slow := c.add("slow", func(cfg *Config) { cfg.RateBytes = 1 }) // a batch takes hours
	failing := c.add("failing", func(cfg *Config) { cfg.RetryInterval = time.Hour })
	a := ring(t, 2, "n1", "n2", "n3")
	c.load(a, makeData(300))

	withSlow := ring(t, 2, "n1", "n2", "n3", "slow")
	slow.m.RingChanged(a, withSlow)
	waitFor(t, "a throttled pull", func() bool { return slow.m.Status().Pulled.Batches > 0 })
	withFailing := ring(t, 2, "n1", "n2", "n3", "failing")
	c.setDown("n1", true)
	c.setDown("n2", true)
	c.setDown("n3", true)
	failing.m.RingChanged(a, withFailing)
	waitFor(t, "a failed pull", func() bool { return failing.m.Status().PullFailures > 0 })

	for _, m := range []*Manager{slow.m, failing.m} {
		closed := make(chan struct{})
		go func() { m.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not return")
		}
	}
	for _, n := range c.nodes {
		n.m.Close()
	}
	checkNoWorkers(t)
	if err := slow.m.Leave(context.Background(), withSlow, a); !errors.Is(err, ErrClosed) {
		t.Errorf("Leave on a closed manager: %v, want ErrClosed", err)
	}
}

// The handlers reject malformed requests with errors.
func TestHandlersRejectBadInput(t *testing.T) {
	c := newCluster(t)
	n := c.add("n1", nil)
	c.load(ring(t, 1, "n1"), makeData(50))
	good := appendFetchRequest(nil, fetchRequest{start: 0, end: 1 << 62, cursor: 5, maxBytes: 100})
	if _, err := n.m.HandleFetch(good); err != nil {
		t.Fatalf("good fetch: %v", err)
	}
	for _, tc := range badFetches {
		if _, err := n.m.HandleFetch(tc.b); !errors.Is(err, ErrMalformed) {
			t.Errorf("fetch %s: err %v, want ErrMalformed", tc.name, err)
		}
	}
	for _, tc := range badPushes() {
		if _, err := n.m.HandlePush(tc.b); !errors.Is(err, ErrMalformed) {
			t.Errorf("push %s: err %v, want ErrMalformed", tc.name, err)
		}
	}
	if st := n.m.Status(); st.Received.Batches != 0 {
		t.Errorf("bad pushes were merged: %+v", st.Received)
	}
}

// A fetch batch exceeds maxBytes by less than one record, and maxBytes is
// capped at MaxFetchBytes.
func TestFetchBatchSize(t *testing.T) {
	c := newCluster(t)
	n := c.add("n1", nil)
	data := makeData(300)
	c.load(ring(t, 1, "n1"), data)
	// fetchAll fetches the whole ring in batches of maxBytes, checking each
	// batch's size, and returns what it fetched.
	fetchAll := func(maxBytes uint64) dataset {
		r := fetchRequest{cursor: 0, maxBytes: maxBytes}
		limit := int(min(maxBytes, MaxFetchBytes))
		seen := dataset{}
		for {
			resp, err := n.m.HandleFetch(appendFetchRequest(nil, r))
			if err != nil {
				t.Fatal(err)
			}
			next, b, err := decodeFetchReply(resp, r)
			if err != nil {
				t.Fatal(err)
			}
			var w batchWriter
			for i := range b.keys {
				w.add(b.keys[i], b.objs[i])
				if i < len(b.keys)-1 && len(w.raw) >= limit {
					t.Fatalf("maxBytes %d: record %d of %d ends at %d bytes, past the limit %d",
						maxBytes, i, len(b.keys), len(w.raw), limit)
				}
				seen[string(b.keys[i])] = b.objs[i]
			}
			if next == 0 {
				return seen
			}
			r.cursor = next
		}
	}
	for _, maxBytes := range []uint64{1, 700, 5000} {
		seen := fetchAll(maxBytes)
		checkHolds(t, "fetched", seen, data)
		if len(seen) != len(data) {
			t.Errorf("maxBytes %d: fetched %d keys, want %d", maxBytes, len(seen), len(data))
		}
	}

	// Past MaxFetchBytes: five records of 1 MiB take two batches whatever
	// the request asks.
	big := version.Object{}.Update(nil, version.Dot{Actor: version.Actor{Node: 9, Epoch: 1}, Counter: 1},
		&version.Sibling{Value: make([]byte, 1<<20)})
	bigData := dataset{}
	for i := range 5 {
		bigData["big-"+strconv.Itoa(i)] = big
	}
	if err := n.eng.Flush(); err != nil {
		t.Fatal(err)
	}
	c.load(ring(t, 1, "n1"), bigData)
	before := n.m.Status().Served.Batches
	if seen := fetchAll(1 << 40); len(seen) != len(bigData) {
		t.Errorf("fetched %d of %d large records", len(seen), len(bigData))
	}
	if batches := n.m.Status().Served.Batches - before; batches != 2 {
		t.Errorf("%d batches for 5 MiB, want 2 (the limit is %d bytes)", batches, MaxFetchBytes)
	}
}
