package coordinator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/handoff"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/replica"
	"github.com/dynago/dynago/version"
)

// A test cluster of coordinators over real engines in temporary directories
// and an in-memory network whose links tests cut and heal.

// allRing puts every key of q partitions on every member (N >= members).
type allRing struct {
	q       int
	members []string
}

func (r allRing) Q() int { return r.q }
func (r allRing) Range(p int) (uint64, uint64) {
	start := partition.Start(p, r.q)
	if p == r.q-1 {
		return start, 0
	}
	return start, partition.Start(p+1, r.q)
}
func (r allRing) PartitionOf(key []byte) int { return partition.Of(partition.Hash(key), r.q) }
func (r allRing) Owners(int) []string        { return r.members }
func (r allRing) Preference(int) []string    { return r.members }
func (r allRing) Members() []string          { return r.members }
func (r allRing) Size() int                  { return len(r.members) }

// ownedRing is allRing whose keys live on owners only: the other members
// hold none and forward their writes.
type ownedRing struct {
	allRing
	owners []string
}

func (r ownedRing) Owners(int) []string { return r.owners }
func (r ownedRing) Preference(int) []string {
	pref := slices.Clone(r.owners)
	for _, m := range r.members {
		if !slices.Contains(pref, m) {
			pref = append(pref, m)
		}
	}
	return pref
}

// memNet delivers calls between test nodes; down nodes and cut links fail.
// Each node answers the replica methods with a replica server over its
// engine, as a node does (node/methods.go).
type memNet struct {
	mu    sync.Mutex
	nodes map[string]*Coordinator
	down  map[string]bool
	// intercept, if set, sees every call before it is delivered; the call
	// waits until it returns, and its handler runs only then. after, if
	// not nil, is called once the handler has returned. Tests hold a call
	// in flight this way, to land it after something else happened.
	intercept func(from, to string, m rpc.Method) (after func())
}

// setIntercept installs (or, with nil, removes) the network's intercept.
func (n *memNet) setIntercept(f func(from, to string, m rpc.Method) (after func())) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.intercept = f
}

func (n *memNet) isDown(name string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.down[name]
}

func (n *memNet) setDown(name string, down bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.down[name] = down
}

type memCaller struct {
	legacy bool // the nodes it calls serve no rpc.MethodReadDigests, as older releases
	net    *memNet
	self   string
}

var errUnreachable = errors.New("unreachable")

func (m memCaller) Call(ctx context.Context, addr string, meth rpc.Method, req []byte) ([]byte, error) {
	if m.net.isDown(addr) || m.net.isDown(m.self) {
		return nil, fmt.Errorf("%w: %w", ErrNotSent, errUnreachable)
	}
	m.net.mu.Lock()
	c := m.net.nodes[addr]
	intercept := m.net.intercept
	m.net.mu.Unlock()
	if intercept != nil {
		if after := intercept(m.self, addr, meth); after != nil {
			defer after()
		}
	}
	rep := replica.NewServer(c.eng, c.LearnGeneration)
	switch meth {
	case rpc.MethodHint:
		return rep.HandleHint(req)
	case rpc.MethodReadBatch:
		return rep.HandleReadBatch(req)
	case rpc.MethodReadDigests:
		if !m.legacy {
			return rep.HandleReadDigests(req)
		}
	case rpc.MethodMergeBatch:
		return rep.HandleMergeBatch(req)
	case rpc.MethodReadElements:
		return rep.HandleReadElements(req)
	case rpc.MethodElementsDigest:
		return rep.HandleElementsDigest(req)
	case rpc.MethodScan:
		return c.HandleScan(req)
	case rpc.MethodCount:
		return c.HandleCount(req)
	case rpc.MethodFlush:
		return c.HandleFlush(req)
	case rpc.MethodOps:
		return c.HandleOps(ctx, req)
	}
	return nil, &RemoteError{Msg: rpc.UnknownMethodError(meth).Error()}
}

type memCluster struct {
	self string
	ring Ring
	net  *memNet
}

func (c memCluster) Self() string                        { return c.self }
func (c memCluster) Ring() Ring                          { return c.ring }
func (c memCluster) Alive(name string) bool              { return !c.net.isDown(name) }
func (c memCluster) PeerAddr(name string) (string, bool) { return name, true }

// deliverHints delivers the hints c holds to their owners, as its node's
// hint delivery (package handoff) does every interval.
func deliverHints(c *Coordinator) (int, error) {
	return handoff.New(handoff.Config{
		Store:     c.eng,
		Cluster:   handoffView{c.cfg.Cluster},
		Transport: c.cfg.Transport,
		Timeout:   c.cfg.Timeout,
		Learn:     c.LearnGeneration,
	}).Deliver(context.Background())
}

// handoffView is a coordinator's Cluster as hint delivery sees it.
type handoffView struct{ Cluster }

func (v handoffView) Ring() handoff.Ring { return v.Cluster.Ring() }

func startCluster(t *testing.T, names ...string) (*memNet, map[string]*Coordinator) {
	t.Helper()
	return startRingCluster(t, allRing{q: 8, members: names}, nil)
}

// startRingCluster starts a coordinator for each member of ring, adjusting
// each one's config with configure if it is not nil.
func startRingCluster(t *testing.T, ring Ring, configure func(*Config)) (*memNet, map[string]*Coordinator) {
	t.Helper()
	names := ring.Members()
	net := &memNet{nodes: map[string]*Coordinator{}, down: map[string]bool{}}
	coords := map[string]*Coordinator{}
	for i, name := range names {
		ecfg := engine.DefaultConfig(t.TempDir())
		ecfg.Partitions = 8
		eng, err := engine.Open(ecfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
		cfg := Config{
			Actor:     version.Actor{Node: uint64(i + 1), Epoch: 1},
			Cluster:   memCluster{self: name, ring: ring, net: net},
			Transport: memCaller{net: net, self: name},
			Timeout:   time.Second,
		}
		if configure != nil {
			configure(&cfg)
		}
		c, err := New(cfg, eng)
		if err != nil {
			t.Fatal(err)
		}
		coords[name] = c
		net.nodes[name] = c
	}
	return net, coords
}

// set writes through c as a plain SET (a blind write) forwarded to it, so c
// coordinates the write whatever its place in the preference list.
func set(c *Coordinator, key, value string) error {
	_, err := c.Update(context.Background(), []byte(key), func(st *op.State) (op.Change, error) {
		return st.Put(version.KindBytes, []byte(value), 0), nil
	}, Options{Blind: true, here: true})
	return err
}

func readValue(t *testing.T, c *Coordinator, key string) (string, bool) {
	t.Helper()
	o, found, err := c.Read(context.Background(), []byte(key), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		return "", false
	}
	v, ok, err := op.Resolve(o, time.Now().UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	return string(v.Bytes), ok
}

// coordinates reports whether c coordinates writes of key itself, as Do
// decides it.
func coordinates(c *Coordinator, key []byte) bool {
	owners, _ := c.owners(key)
	return c.writeCoordinator(owners) == c.cfg.Cluster.Self()
}

func localValues(t *testing.T, c *Coordinator, key string) []string {
	t.Helper()
	o, _, err := c.eng.Get([]byte(key))
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

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWriteThroughOneReadThroughAnother(t *testing.T) {
	_, cs := startCluster(t, "a", "b", "c")
	if err := set(cs["a"], "k", "v1"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c"} {
		if v, ok := readValue(t, cs[n], "k"); !ok || v != "v1" {
			t.Fatalf("read on %s = %q, %v", n, v, ok)
		}
	}
}

func TestOneReplicaDownThenRepairedByRead(t *testing.T) {
	net, cs := startCluster(t, "a", "b", "c")
	net.setDown("c", true)
	if err := set(cs["a"], "k", "v1"); err != nil {
		t.Fatalf("write with one of three down: %v", err)
	}
	if v, _ := readValue(t, cs["b"], "k"); v != "v1" {
		t.Fatalf("read with one down = %q", v)
	}
	if got := localValues(t, cs["c"], "k"); len(got) != 0 {
		t.Fatalf("the down replica has %v", got)
	}
	net.setDown("c", false)
	if v, _ := readValue(t, cs["a"], "k"); v != "v1" {
		t.Fatalf("read after restore = %q", v)
	}
	waitFor(t, "read repair of c", func() bool { return slices.Equal(localValues(t, cs["c"], "k"), []string{"v1"}) })
	if cs["a"].Stats().ReadRepairs() == 0 {
		t.Fatal("no read repair counted")
	}
}

func TestTwoOfThreeDownFailsWithNoQuorum(t *testing.T) {
	net, cs := startCluster(t, "a", "b", "c")
	if err := set(cs["a"], "k", "v1"); err != nil {
		t.Fatal(err)
	}
	net.setDown("b", true)
	net.setDown("c", true)
	start := time.Now()
	err := set(cs["a"], "k", "v2")
	var nq *NoQuorumError
	if !errors.As(err, &nq) || nq.Answered != 1 || nq.Needed != 2 {
		t.Fatalf("write with two of three down: %v, want NOQUORUM 1 of 2", err)
	}
	_, _, err = cs["a"].Read(context.Background(), []byte("k"), Options{})
	if !errors.As(err, &nq) || nq.Op != "read" {
		t.Fatalf("read with two of three down: %v, want a read NOQUORUM", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("failing took %v; known-down replicas must fail fast", d)
	}
	if want := "NOQUORUM read quorum not reached: 1 of 2 required replicas answered (3 replicas)"; nq.RedisError() != want {
		t.Fatalf("error text %q, want %q", nq.RedisError(), want)
	}
}

func TestConcurrentWritesDuringACutBecomeSiblings(t *testing.T) {
	net, cs := startCluster(t, "a", "b", "c")
	if err := set(cs["a"], "k", "base"); err != nil {
		t.Fatal(err)
	}
	// Cut a off: it can still take the write alone (W=1 here), as can b and c.
	for _, c := range cs {
		c.SetQuorums(2, 1)
	}
	net.setDown("a", true)
	if err := set(cs["a"], "k", "from-a"); err != nil {
		t.Fatal(err)
	}
	// W=1 answered before a's copies for b and c failed (they are kept on
	// a as hints). While a is still cut off, b writes too: neither write
	// can see the other, so they are truly concurrent.
	waitFor(t, "a's hints for b and c", func() bool { return cs["a"].eng.Hints() == 2 })
	if err := set(cs["b"], "k", "from-b"); err != nil {
		t.Fatal(err)
	}
	net.setDown("a", false)
	// A read of all three merges what they hold: both writes survive as siblings.
	cs["c"].SetQuorums(3, 1)
	o, _, err := cs["c"].Read(context.Background(), []byte("k"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Siblings) != 2 {
		t.Fatalf("siblings %+v, want from-a and from-b", o.Siblings)
	}
	// A write with the merged context resolves them everywhere.
	_, err = cs["b"].Update(context.Background(), []byte("k"), func(st *op.State) (op.Change, error) {
		return op.Change{Action: op.Put, Context: o.Clock, Kind: version.KindBytes, Value: []byte("resolved")}, nil
	}, Options{here: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c"} {
		waitFor(t, "resolution on "+n, func() bool { return slices.Equal(localValues(t, cs[n], "k"), []string{"resolved"}) })
	}
}

// Any owner coordinates the writes made through it; a member that holds
// no copy of the key hands them to an owner.
func TestWritesAreCoordinatedByAnyOwner(t *testing.T) {
	ring := ownedRing{allRing: allRing{q: 8, members: []string{"a", "b", "c", "d"}}, owners: []string{"a", "b", "c"}}
	_, cs := startRingCluster(t, ring, nil)
	// W=3: each write is on every owner before the next one starts.
	write := func(c *Coordinator, v string) error {
		_, err := c.Update(context.Background(), []byte("k"), func(st *op.State) (op.Change, error) {
			return st.Put(version.KindBytes, []byte(v), 0), nil
		}, Options{W: 3})
		return err
	}
	for _, n := range []string{"b", "c", "a"} {
		if !coordinates(cs[n], []byte("k")) {
			t.Fatalf("owner %s does not coordinate", n)
		}
		if err := write(cs[n], "from-"+n); err != nil {
			t.Fatalf("write on owner %s: %v", n, err)
		}
	}
	// Each write saw the one before it on its coordinator: one value.
	for _, n := range []string{"a", "b", "c"} {
		if got := localValues(t, cs[n], "k"); !slices.Equal(got, []string{"from-a"}) {
			t.Fatalf("%s holds %q, want the last write alone", n, got)
		}
	}
	var nr *NotReplicaError
	if err := write(cs["d"], "from-d"); !errors.As(err, &nr) || !slices.Equal(nr.Owners, ring.owners) {
		t.Fatalf("write on d, not an owner: %v, want NotReplicaError naming the owners", err)
	}
	if coordinates(cs["d"], []byte("k")) {
		t.Fatal("d, not an owner, claims to coordinate")
	}
}

// A write that depends on the value (here: a counter) on a coordinator that
// missed writes decides on a quorum read, not on its stale copy.
func TestReadModifyWriteReadsQuorumFirst(t *testing.T) {
	net, cs := startCluster(t, "a", "b", "c")
	net.setDown("a", true)
	if err := set(cs["b"], "k", "10"); err != nil {
		t.Fatal(err)
	}
	net.setDown("a", false)
	if got := localValues(t, cs["a"], "k"); len(got) != 0 {
		t.Fatalf("a has %v before the read-modify-write", got)
	}
	var seen string
	_, err := cs["a"].Update(context.Background(), []byte("k"), func(st *op.State) (op.Change, error) {
		v, _, err := st.Value()
		seen = string(v.Bytes)
		return st.Put(version.KindBytes, append(v.Bytes, '!'), 0), err
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if seen != "10" {
		t.Fatalf("the coordinator decided on %q, want the quorum's 10", seen)
	}
}

func TestNonReplicaMustForward(t *testing.T) {
	_, cs := startCluster(t, "a", "b")
	c := cs["a"]
	c.cfg.Cluster = memCluster{self: "x", ring: allRing{q: 8, members: []string{"a", "b"}}, net: &memNet{down: map[string]bool{}}}
	_, err := c.Update(context.Background(), []byte("k"), func(st *op.State) (op.Change, error) {
		return st.Put(version.KindBytes, []byte("v"), 0), nil
	}, Options{})
	var nr *NotReplicaError
	if !errors.As(err, &nr) || !slices.Equal(nr.Owners, []string{"a", "b"}) {
		t.Fatalf("write on a non-replica: %v, want NotReplicaError naming a and b", err)
	}
	if err := func() error {
		_, err := c.Update(context.Background(), []byte("k"), func(st *op.State) (op.Change, error) {
			return st.Put(version.KindBytes, []byte("v"), 0), nil
		}, Options{here: true})
		return err
	}(); err != nil {
		t.Fatalf("a forwarded write must be coordinated where it lands: %v", err)
	}
}

func TestScanAndLenCoverEveryPartitionOnce(t *testing.T) {
	_, cs := startCluster(t, "a", "b", "c")
	const n = 300
	for i := 0; i < n; i++ {
		if err := set(cs["abc"[i%3:i%3+1]], fmt.Sprintf("key:%d", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"a", "b", "c"} {
		c := cs[name]
		waitFor(t, "replication", func() bool { l, _ := c.Len(context.Background()); return l == n })
		seen := map[string]int{}
		var cursor uint64
		for {
			keys, next, err := c.ScanKeys(context.Background(), cursor, 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				seen[string(k)]++
			}
			if next == 0 {
				break
			}
			cursor = next
		}
		if len(seen) != n {
			t.Fatalf("scan through %s saw %d keys, want %d", name, len(seen), n)
		}
		for k, times := range seen {
			if times != 1 {
				t.Fatalf("scan through %s saw %s %d times", name, k, times)
			}
		}
	}
	if err := cs["b"].FlushAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l, _ := cs["c"].Len(context.Background()); l != 0 {
		t.Fatalf("Len after FLUSHALL = %d", l)
	}
}
