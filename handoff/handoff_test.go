package handoff

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/replica"
	"github.com/dynago/dynago/version"
)

// testNet is a cluster of engines on an in-memory network: each member
// answers rpc.MethodMergeBatch with a replica server over its engine, as a
// node does; a member that is down neither answers nor shows alive.
type testNet struct {
	ring *partition.Ring

	mu     sync.Mutex // guards the fields below
	engs   map[string]*engine.Engine
	down   map[string]bool
	before func(to string) // if set, runs before each call is served
}

func newTestNet(t *testing.T, members ...string) *testNet {
	t.Helper()
	ring, err := partition.NewRing(8, 3, members)
	if err != nil {
		t.Fatal(err)
	}
	n := &testNet{ring: ring, engs: map[string]*engine.Engine{}, down: map[string]bool{}}
	for _, name := range members {
		ecfg := engine.DefaultConfig(t.TempDir())
		ecfg.Partitions = 8
		eng, err := engine.Open(ecfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
		n.engs[name] = eng
	}
	return n
}

func (n *testNet) setDown(name string, down bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.down[name] = down
}

func (n *testNet) isDown(name string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.down[name]
}

func (n *testNet) Call(ctx context.Context, addr string, m rpc.Method, req []byte) ([]byte, error) {
	n.mu.Lock()
	before := n.before
	n.mu.Unlock()
	if before != nil {
		before(addr)
	}
	n.mu.Lock()
	eng, down := n.engs[addr], n.down[addr]
	n.mu.Unlock()
	if down || eng == nil {
		return nil, errors.New("unreachable")
	}
	if m != rpc.MethodMergeBatch {
		return nil, rpc.UnknownMethodError(m)
	}
	return replica.NewServer(eng, nil).HandleMergeBatch(req)
}

// testCluster is one member's view of a testNet.
type testCluster struct {
	self string
	net  *testNet
}

func (c testCluster) Self() string                        { return c.self }
func (c testCluster) Ring() Ring                          { return c.net.ring }
func (c testCluster) Alive(name string) bool              { return !c.net.isDown(name) }
func (c testCluster) PeerAddr(name string) (string, bool) { return name, true }

// deliverer is name's hint delivery, telling learn (if not nil) the
// generations it hears.
func (n *testNet) deliverer(name string, learn func(uint64)) *Deliverer {
	return New(Config{Store: n.engs[name], Cluster: testCluster{self: name, net: n}, Transport: n, Learn: learn})
}

// object is a version of a key written by a node of id node.
func object(node uint64, counter uint64, value string) version.Object {
	return version.Object{}.Update(nil, version.Dot{Actor: version.Actor{Node: node, Epoch: 1}, Counter: counter},
		&version.Sibling{Time: int64(counter), Value: []byte(value)})
}

func values(t *testing.T, eng *engine.Engine, key string) []string {
	t.Helper()
	o, _, err := eng.Get([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, s := range o.Siblings {
		vs = append(vs, string(s.Value))
	}
	slices.Sort(vs)
	return vs
}

// A hint waits while its owner is down, and goes, and is forgotten, once
// gossip shows the owner alive.
func TestHintWaitsForItsOwner(t *testing.T) {
	net := newTestNet(t, "a", "b", "c", "d", "e")
	if err := net.engs["d"].AddHint("b", []byte("k"), object(1, 1, "v1")); err != nil {
		t.Fatal(err)
	}
	d := net.deliverer("d", nil)
	net.setDown("b", true)
	if n, err := d.Deliver(context.Background()); err != nil || n != 0 {
		t.Fatalf("Deliver with the owner down = %d, %v; want 0", n, err)
	}
	if st := d.Stats(); st.Pending != 1 || st.Delivered != 0 {
		t.Fatalf("stats with the owner down %+v, want 1 pending", st)
	}
	net.setDown("b", false)
	if n, err := d.Deliver(context.Background()); err != nil || n != 1 {
		t.Fatalf("Deliver with the owner back = %d, %v; want 1", n, err)
	}
	if got := values(t, net.engs["b"], "k"); !slices.Equal(got, []string{"v1"}) {
		t.Fatalf("the owner holds %q after delivery, want v1", got)
	}
	if st := d.Stats(); st.Pending != 0 || st.Delivered != 1 {
		t.Fatalf("stats after delivery %+v, want none pending, 1 delivered", st)
	}
}

// A delivery that fails keeps its hints for the next round.
func TestFailedDeliveryKeepsTheHint(t *testing.T) {
	net := newTestNet(t, "a", "b", "c", "d", "e")
	if err := net.engs["d"].AddHint("b", []byte("k"), object(1, 1, "v1")); err != nil {
		t.Fatal(err)
	}
	d := net.deliverer("d", nil)
	net.before = func(string) { net.setDown("b", true) } // alive when scanned, gone when called
	if n, err := d.Deliver(context.Background()); err != nil || n != 0 {
		t.Fatalf("Deliver to an owner that fails = %d, %v; want 0", n, err)
	}
	if st := d.Stats(); st.Pending != 1 || st.Delivered != 0 {
		t.Fatalf("stats after a failed delivery %+v, want the hint still pending", st)
	}
}

// A hint is deleted only if it holds nothing beyond what was delivered: a
// write that reaches it while its delivery is on the wire stays for the
// next round.
func TestHintWrittenDuringDeliveryStays(t *testing.T) {
	net := newTestNet(t, "a", "b", "c", "d", "e")
	stand := net.engs["d"]
	v1 := object(1, 1, "v1")
	if err := stand.AddHint("b", []byte("k"), v1); err != nil {
		t.Fatal(err)
	}
	v2 := v1.Update(v1.Clock, version.Dot{Actor: version.Actor{Node: 1, Epoch: 1}, Counter: 2}, &version.Sibling{Time: 2, Value: []byte("v2")})
	var once sync.Once
	net.before = func(string) {
		once.Do(func() {
			if err := stand.AddHint("b", []byte("k"), v2); err != nil {
				t.Error(err)
			}
		})
	}
	d := net.deliverer("d", nil)
	if _, err := d.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := values(t, net.engs["b"], "k"); !slices.Equal(got, []string{"v1"}) {
		t.Fatalf("the owner holds %q after the first round, want v1", got)
	}
	if n := stand.Hints(); n != 1 {
		t.Fatalf("%d hints after a round that missed a write, want 1 (it holds v2)", n)
	}
	if _, err := d.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := values(t, net.engs["b"], "k"); !slices.Equal(got, []string{"v2"}) {
		t.Fatalf("the owner holds %q after the second round, want v2", got)
	}
	if n := stand.Hints(); n != 0 {
		t.Fatalf("%d hints after the second round, want 0", n)
	}
}

func TestHintForRemovedOwnerGoesToCurrentOwners(t *testing.T) {
	net := newTestNet(t, "a", "b", "c", "d", "e")
	key := []byte("orphan")
	if err := net.engs["a"].AddHint("gone-node", key, object(42, 1, "x")); err != nil {
		t.Fatal(err)
	}
	if n, err := net.deliverer("a", nil).Deliver(context.Background()); err != nil || n != 1 {
		t.Fatalf("Deliver = %d, %v; want 1", n, err)
	}
	for _, name := range net.ring.Owners(net.ring.PartitionOf(key)) {
		if _, found, _ := net.engs[name].Get(key); !found {
			t.Fatalf("owner %s did not get the orphaned hint", name)
		}
	}
}

// An owner that has seen a FLUSHALL the hint predates drops it and says
// so: delivery tells Learn the owner's generation, and the hint goes.
func TestDeliveryHearsTheOwnersGeneration(t *testing.T) {
	net := newTestNet(t, "a", "b", "c", "d", "e")
	if err := net.engs["d"].AddHint("b", []byte("k"), object(1, 1, "v1")); err != nil {
		t.Fatal(err)
	}
	if _, err := net.engs["b"].Adopt(3); err != nil {
		t.Fatal(err)
	}
	var heard []uint64
	if n, err := net.deliverer("d", func(gen uint64) { heard = append(heard, gen) }).Deliver(context.Background()); err != nil || n != 1 {
		t.Fatalf("Deliver = %d, %v; want 1", n, err)
	}
	if !slices.Equal(heard, []uint64{3}) {
		t.Fatalf("generations heard %v, want the owner's 3", heard)
	}
	if _, found, _ := net.engs["b"].Get([]byte("k")); found {
		t.Fatal("the owner stored a hint older than its generation")
	}
	if n := net.engs["d"].Hints(); n != 0 {
		t.Fatalf("%d hints left, want 0: a hint the owner dropped for its generation is done", n)
	}
}
