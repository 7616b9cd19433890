package membership

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

var abc = []string{"a", "b", "c"}

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig("n1")
	good.Store = newMemStore()
	if err := good.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, mutate := range map[string]func(*Config){
		"no name":       func(c *Config) { c.Name = "" },
		"bad bind":      func(c *Config) { c.BindAddr = "localhost" },
		"bad port":      func(c *Config) { c.GossipPort = 70000 },
		"no store":      func(c *Config) { c.Store = nil },
		"probe timeout": func(c *Config) { c.ProbeTimeout = c.ProbeInterval },
		"zero interval": func(c *Config) { c.GossipInterval = 0 },
		"backoff":       func(c *Config) { c.ReconnectMax = c.ReconnectMin / 2 },
		"long meta": func(c *Config) {
			c.Meta.RESPAddr = strings.Repeat("x", 250)
			c.Meta.PeerAddr = strings.Repeat("y", 250)
		},
		"long cluster":   func(c *Config) { c.Meta.ClusterID = strings.Repeat("c", maxClusterIDLen+1) },
		"zero gossiping": func(c *Config) { c.GossipNodes = 0 },
	} {
		c := good
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A node with no cluster id and no seeds creates a cluster of its own, and
// persists it.
func TestBootstrap(t *testing.T) {
	c := newCluster(t)
	a := c.start("a")
	id := a.ClusterID()
	if len(id) != 32 {
		t.Fatalf("cluster id %q", id)
	}
	if got := a.RingMembers(); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("ring %v", got)
	}
	mem, ok := a.Member("a")
	if !ok || mem.State != Alive || !mem.InRing || mem.Meta.ClusterID != id || mem.Meta.GossipAddr != c.addr("a") {
		t.Fatalf("self: %+v %v", mem, ok)
	}
	storedID, ring, err := loadState(c.nodes["a"].store)
	if err != nil || storedID != id || !slices.Equal(ring.members(), []string{"a"}) {
		t.Fatalf("persisted: %q %v %v", storedID, ring, err)
	}
	if err := a.Remove("a"); err == nil {
		t.Fatalf("removed the last ring member")
	}
	if err := a.Remove("zz"); err == nil {
		t.Fatalf("removed a node that is no member")
	}
}

func TestThreeNodesFormOneCluster(t *testing.T) {
	t.Parallel()
	eachNetwork(t, func(t *testing.T, c *cluster) {
		a := c.start("a")
		changes := a.Changes()
		for len(changes) > 0 {
			<-changes
		}
		c.start("b", c.addr("a"))
		select {
		case <-changes:
		case <-time.After(waitTimeout):
			t.Fatalf("no change notice when b joined")
		}
		c.start("c", c.addr("a"))
		c.waitRing(abc, abc...)
		for _, o := range abc {
			c.waitState(o, Alive, abc...)
			if got, want := c.m(o).ClusterID(), a.ClusterID(); got != want {
				t.Errorf("%s is in cluster %s, a in %s", o, got, want)
			}
			ms := c.m(o).Members()
			if len(ms) != 3 {
				t.Fatalf("%s members: %s", o, describe(ms))
			}
			for _, mem := range ms {
				if !mem.InRing || mem.Meta.ClusterID != a.ClusterID() || mem.Meta.GossipAddr != c.addr(mem.Name) ||
					mem.Meta.RESPAddr == "" || mem.Meta.Actor.Node == 0 || !c.m(o).Alive(mem.Name) {
					t.Errorf("%s sees %+v", o, mem)
				}
			}
		}
		// Every node persisted the same set.
		for _, o := range abc {
			id, ring, err := loadState(c.nodes[o].store)
			if err != nil || id != a.ClusterID() || !slices.Equal(ring.members(), abc) {
				t.Errorf("%s persisted %q %v %v", o, id, ring.members(), err)
			}
		}
	})
}

func TestOtherClusterIsRefused(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	a := c.start("a")
	x := c.start("x")                // a cluster of its own...
	x2 := c.start("x2", c.addr("x")) // ...with another member, so x cannot give it up
	c.waitRing([]string{"x", "x2"}, "x", "x2")
	err := x.Join([]string{c.addr("a")})
	if err == nil {
		t.Fatalf("x joined a's cluster")
	}
	for _, id := range []string{a.ClusterID(), x.ClusterID()} {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("error does not name cluster %s: %v", id, err)
		}
	}
	// A node whose data belongs to another cluster cannot start through
	// seeds of this one either.
	c.nodes["y"] = &testNode{name: "y", store: newMemStore()}
	cfg := c.config(c.nodes["y"], c.addr("a"))
	cfg.Meta.ClusterID = "another-cluster"
	if m, err := Start(cfg); err == nil {
		_ = m.stop(false)
		t.Fatalf("y started in a's cluster")
	} else if !strings.Contains(err.Error(), "another-cluster") || !strings.Contains(err.Error(), a.ClusterID()) {
		t.Errorf("refusal does not name both clusters: %v", err)
	}
	// The cluster did not admit them, now or over a few anti-entropy rounds.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for end := time.Now().Add(3 * a.cfg.PushPullInterval); time.Now().Before(end); <-tick.C {
		if ms := a.Members(); len(ms) != 1 || a.ml.NumMembers() != 1 {
			t.Fatalf("a sees %s", describe(ms))
		}
		for _, o := range []*Membership{x, x2} {
			if ms := o.Members(); len(ms) != 2 || o.ClusterID() == a.ClusterID() {
				t.Fatalf("%s sees %s in cluster %s", o.cfg.Name, describe(ms), o.ClusterID())
			}
		}
	}
}

// A crashed node goes dead on the others but stays in the ring; Remove then
// drops it everywhere.
// A node alone in the cluster it created (a lone node started without
// --join) joins another cluster by DYNAGO JOIN, adopting its id.
func TestLoneNodeJoinsAnotherCluster(t *testing.T) {
	t.Parallel()
	eachNetwork(t, func(t *testing.T, c *cluster) {
		a := c.start("a")
		b := c.start("b", c.addr("a"))
		c.waitRing([]string{"a", "b"}, "a", "b")
		lone := c.start("lone")
		own := lone.ClusterID()
		if err := lone.Join([]string{c.addr("a")}); err != nil {
			t.Fatalf("lone node could not join: %v", err)
		}
		if lone.ClusterID() != a.ClusterID() || own == a.ClusterID() {
			t.Fatalf("lone node's cluster is %s, want a's %s", lone.ClusterID(), a.ClusterID())
		}
		c.waitRing([]string{"a", "b", "lone"}, "a", "b", "lone")
		if b.ClusterID() != a.ClusterID() {
			t.Fatalf("b changed cluster to %s", b.ClusterID())
		}
	})
}

func TestKilledNodeStaysInRingUntilRemoved(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.startThree()
	c.kill("c")
	for _, o := range []string{"a", "b"} {
		c.waitState(o, Dead, "c")
		if c.m(o).Alive("c") {
			t.Errorf("%s: c alive", o)
		}
		mem, _ := c.m(o).Member("c")
		if !mem.InRing || mem.Meta.GossipAddr != c.addr("c") {
			t.Errorf("%s: dead c is %+v", o, mem)
		}
		if got := c.m(o).RingMembers(); !slices.Equal(got, abc) {
			t.Errorf("%s ring %v", o, got)
		}
	}
	if err := c.m("a").Remove("c"); err != nil {
		t.Fatal(err)
	}
	c.waitRing([]string{"a", "b"}, "a", "b")
	for _, o := range []string{"a", "b"} {
		if _, ok := c.m(o).Member("c"); ok {
			t.Errorf("%s still lists removed, dead c", o)
		}
	}
	if err := c.m("b").Remove("c"); err == nil {
		t.Errorf("removed c twice")
	}

	// c comes back on its old data: it learns of its removal instead of
	// resurrecting itself, and is a gossip member outside the ring.
	c.start("c")
	c.waitRing([]string{"a", "b"}, "a", "b", "c")
	c.waitState("a", Alive, "c")
	if mem, _ := c.m("a").Member("c"); mem.InRing {
		t.Errorf("removed c is in a's ring again: %+v", mem)
	}
	// Only an explicit join brings it back.
	if err := c.m("c").Join([]string{c.addr("b")}); err != nil {
		t.Fatal(err)
	}
	c.waitRing(abc, abc...)
}

// A node that leaves gracefully is Left, not Dead, and stays in the ring.
func TestShutdownIsLeftAndStaysInRing(t *testing.T) {
	t.Parallel()
	eachNetwork(t, func(t *testing.T, c *cluster) {
		c.startThree()
		if err := c.m("b").Shutdown(); err != nil {
			t.Fatal(err)
		}
		if err := c.m("b").Shutdown(); err != nil {
			t.Fatalf("second shutdown: %v", err)
		}
		c.nodes["b"].m = nil
		c.waitState("a", Left, "b")
		c.waitState("c", Left, "b")
		c.waitRing(abc, "a", "c")
	})
}

// A restarted node rejoins with no seeds, through the ring members it
// persisted, and is alive everywhere again; so is one after a graceful stop.
func TestRestartRejoinsWithoutSeeds(t *testing.T) {
	t.Parallel()
	eachNetwork(t, func(t *testing.T, c *cluster) {
		c.startThree()
		id := c.m("a").ClusterID()

		c.kill("c")
		c.waitState("a", Dead, "c")
		start := time.Now()
		m := c.start("c") // no seeds
		if d := time.Since(start); d > time.Second {
			t.Errorf("restart blocked for %v", d)
		}
		if m.ClusterID() != id {
			t.Fatalf("restarted in cluster %s, want %s", m.ClusterID(), id)
		}
		for _, o := range abc {
			c.waitState(o, Alive, abc...)
		}
		c.waitRing(abc, abc...)

		if err := c.m("a").Shutdown(); err != nil {
			t.Fatal(err)
		}
		c.waitState("b", Left, "a")
		c.start("a")
		for _, o := range abc {
			c.waitState(o, Alive, abc...)
		}
	})
}

// A cut-off node looks suspect, then dead, to the others (and they to it);
// it stays in every ring; healing the partition brings everyone back.
func TestPartitionAndHeal(t *testing.T) {
	t.Parallel()
	eachNetwork(t, func(t *testing.T, c *cluster) {
		c.startThree()
		c.net.setCut(c.addr("c"), true)
		c.waitState("a", Dead, "c")
		c.waitState("b", Dead, "c")
		c.waitStates("c", []State{Dead}, "a", "b")
		c.waitState("a", Alive, "b")
		c.waitRing(abc, abc...)

		c.net.setCut(c.addr("c"), false)
		for _, o := range abc {
			c.waitState(o, Alive, abc...)
		}
	})
}

// With a long suspicion timeout a cut-off node is seen Suspect (and still
// usable) first; healing before the timeout makes it Alive again.
func TestSuspectThenAlive(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.tune = func(cfg *Config) { cfg.SuspicionMult = 100 } // 10 s before dead
	c.startThree()
	c.net.setCut(c.addr("c"), true)
	c.waitState("a", Suspect, "c")
	c.waitState("c", Suspect, "a", "b")
	if !c.m("a").Alive("c") {
		t.Errorf("a suspect member should stay usable")
	}
	c.net.setCut(c.addr("c"), false)
	for _, o := range abc {
		c.waitState(o, Alive, abc...)
	}
}

// The ring set and cluster id survive a restart exactly.
func TestPersistenceRoundTrip(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.startThree()
	c.kill("b")
	if err := c.m("a").Remove("b"); err != nil {
		t.Fatal(err)
	}
	c.waitRing([]string{"a", "c"}, "a", "c")
	id := c.m("a").ClusterID()
	_, before, _ := loadState(c.nodes["c"].store)
	c.kill("c")
	c.kill("a")
	_, after, err := loadState(c.nodes["c"].store)
	if err != nil || !equalRing(before, after) {
		t.Fatalf("persisted set changed: %v -> %v (%v)", before, after, err)
	}
	m := c.start("c")
	if m.ClusterID() != id || !slices.Equal(m.RingMembers(), []string{"a", "c"}) {
		t.Fatalf("restarted with %s %v", m.ClusterID(), m.RingMembers())
	}
	if mem, ok := m.Member("a"); !ok || mem.State != Dead || mem.Meta.GossipAddr != c.addr("a") {
		t.Fatalf("a member not seen since restart: %+v %v", mem, ok)
	}
	if b, ok := after["b"]; !ok || !b.Removed {
		t.Fatalf("removal not persisted: %+v", b)
	}
}

func equalRing(a, b ringSet) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Nothing keeps running after Shutdown. This test runs before the parallel
// ones (which wait until every sequential test is done), so the goroutine
// count is its own.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		c := newCluster(t)
		c.startThree()
		c.kill("c")
		c.waitState("a", Dead, "c")
		for _, n := range []string{"a", "b"} {
			if err := c.m(n).Shutdown(); err != nil {
				t.Fatal(err)
			}
			c.nodes[n].m = nil
		}
	}()
	var stacks string
	waitFor(t, "goroutines to end", func() (bool, string) {
		n := runtime.NumGoroutine()
		if n <= before {
			return true, ""
		}
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		return false, fmt.Sprintf("%d goroutines, %d before:\n%s", n, before, stacks)
	})
}

// DYNAGO LEAVE: a node removes itself and shuts down at once; the removal
// reaches everyone even though gossip had no time to spread it.
func TestLeaveRemovesSelf(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.startThree()
	b := c.m("b")
	if err := b.Remove("b"); err != nil {
		t.Fatal(err)
	}
	if err := b.Shutdown(); err != nil {
		t.Fatal(err)
	}
	c.nodes["b"].m = nil
	c.waitRing([]string{"a", "c"}, "a", "c")
	for _, o := range []string{"a", "c"} {
		waitFor(t, o+" to forget b", func() (bool, string) {
			mem, ok := c.m(o).Member("b")
			return !ok, fmt.Sprintf("%+v", mem)
		})
	}
}
