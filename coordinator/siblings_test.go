package coordinator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/replica"
	"github.com/dynago/dynago/version"
)

// Siblings stay bounded by truly concurrent writers: a write that began
// after another was acknowledged must supersede it (the chaos harness's
// sibling bound, internal/chaos siblingBound). The tests make two writes
// one after the other, the first acknowledged before the second begins,
// and expect the second alone at the end, through the paths that once
// left both: a blind write on a stale owner, and a read that skipped the
// stand-in holding the hint (the reader itself). Under sloppy quorum two
// more paths remain by design, in the Dynamo paper's trade: owners back
// from a fault decide a read before their hints arrive, and stand-ins that
// hold nothing decide a read while owners are slow. With --strict-quorum
// (only owners count toward R and W) the tests show that neither can
// happen: the first write, or the read, is refused instead. The last test
// rules out a hinted copy becoming a new version.

// sixNodes: owners a, b, c; stand-ins d, e, f in that order.
func sixNodes() ownedRing {
	return ownedRing{allRing: allRing{q: 8, members: []string{"a", "b", "c", "d", "e", "f"}}, owners: []string{"a", "b", "c"}}
}

// vset writes value through c with the given context, as VSET does (a
// blind write with the client's context), coordinated where it lands.
func vset(c *Coordinator, key string, ctx version.Clock, value string) error {
	_, err := c.Update(context.Background(), []byte(key), func(st *op.State) (op.Change, error) {
		return op.Change{Action: op.Put, Context: ctx, Kind: version.KindBytes, Value: []byte(value)}, nil
	}, Options{Blind: true, here: true})
	return err
}

// call names a method sent to a node.
type call struct {
	to string
	m  rpc.Method
}

// hold makes the calls it names wait until the returned release is called.
func hold(net *memNet, calls ...call) (release func()) {
	gate := make(chan struct{})
	var once sync.Once
	net.setIntercept(func(_, to string, m rpc.Method) func() {
		if slices.Contains(calls, call{to, m}) {
			<-gate
		}
		return nil
	})
	return func() { once.Do(func() { net.setIntercept(nil); close(gate) }) }
}

// everything is the merge of every node's copy and hints of key: what the
// cluster holds once hints, read repair and anti-entropy are done.
func everything(t *testing.T, cs map[string]*Coordinator, key string) []string {
	t.Helper()
	var all version.Object
	for _, c := range cs {
		o, _, _, err := replica.CopyOf(c.eng, []byte(key))
		if err != nil {
			t.Fatal(err)
		}
		all = version.Merge(all, o)
	}
	return values(all)
}

func values(o version.Object) []string {
	var vs []string
	for _, s := range o.Siblings {
		vs = append(vs, string(s.Value))
	}
	slices.Sort(vs)
	return vs
}

// (a) A plain SET coordinated by an owner that missed an acknowledged
// write while it was down (its hint not yet delivered) takes its own stale
// copy's clock as context, so the earlier write survives as a sibling.
func TestBlindWriteOnAStaleOwnerSupersedesAnAckedWrite(t *testing.T) {
	net, cs := startCluster(t, "a", "b", "c")
	net.setDown("a", true)
	if err := set(cs["b"], "k", "v1"); err != nil { // acknowledged by b and c
		t.Fatal(err)
	}
	net.setDown("a", false) // back, before any hint delivery or anti-entropy
	if err := set(cs["a"], "k", "v2"); err != nil {
		t.Fatal(err)
	}
	if got := everything(t, cs, "k"); !slices.Equal(got, []string{"v2"}) {
		t.Fatalf("v1 (acknowledged) then v2 through a stale owner left %q: v1 survived as a sibling of a write that followed it", got)
	}
}

// strictSixNodes is sixNodes with --strict-quorum: only owners count
// toward R and W.
func strictSixNodes(t *testing.T) (*memNet, map[string]*Coordinator) {
	return startRingCluster(t, sixNodes(), func(cfg *Config) { cfg.Strict = true })
}

// Under sloppy quorum two owners back from a kill could decide a read
// before the hints of the write they missed arrive. With strict quorums
// that write is never acknowledged: with two owners down it is refused.
func TestStrictQuorumRefusesAWriteOnlyStandInsWouldHold(t *testing.T) {
	net, cs := strictSixNodes(t)
	net.setDown("b", true)
	net.setDown("c", true)
	var nq *NoQuorumError
	if err := set(cs["a"], "k", "v1"); !errors.As(err, &nq) {
		t.Fatalf("a write with two of three owners down answered %v, want NOQUORUM under strict quorums", err)
	}
}

// Under sloppy quorum stand-ins that hold nothing could decide a read
// while the owners are cut off or slow. With strict quorums their answers
// are merged but are no votes: the read is refused.
func TestStrictQuorumReadIsNotDecidedByStandIns(t *testing.T) {
	net, cs := strictSixNodes(t)
	if err := set(cs["a"], "k", "v1"); err != nil {
		t.Fatal(err)
	}
	net.setDown("a", true)
	net.setDown("c", true)
	release := hold(net, call{"b", rpc.MethodReadDigests})
	o, _, err := cs["d"].Read(context.Background(), []byte("k"), Options{})
	release()
	var nq *NoQuorumError
	if !errors.As(err, &nq) {
		t.Fatalf("a read answered by stand-ins alone returned %q, %v; want NOQUORUM under strict quorums", values(o), err)
	}
}

// The reader is the stand-in that holds the hint of the acknowledged write
// (it took the copy of the owner that was down, and counted toward W), but
// a read does not ask itself: it asks the next stand-in, which has nothing,
// and that empty answer counts toward R.
func TestReadThroughTheStandInThatHoldsTheHint(t *testing.T) {
	net, cs := startRingCluster(t, sixNodes(), nil)
	net.setDown("c", true)
	// b's copy lags (W is met by a and d's hint for c), and a answers
	// reads last.
	release := hold(net, call{"b", rpc.MethodMergeBatch}, call{"a", rpc.MethodReadDigests})
	if err := set(cs["a"], "k", "v1"); err != nil {
		t.Fatal(err)
	}
	if n := cs["d"].eng.Hints(); n != 1 {
		release()
		t.Fatalf("d holds %d hints, want the one for c", n)
	}
	o, found, err := cs["d"].Read(context.Background(), []byte("k"), Options{})
	release()
	if err != nil {
		t.Fatal(err)
	}
	if err := vset(cs["b"], "k", o.Clock, "v2"); err != nil {
		t.Fatal(err)
	}
	if got := everything(t, cs, "k"); !slices.Equal(got, []string{"v2"}) {
		t.Fatalf("the read through d after v1 was acknowledged answered %q (found %v); v2 with its context left %q", values(o), found, got)
	}
}

// A hinted copy adds no version (hypothesis (b) of issue 12, ruled out): a
// write kept by stand-ins for two owners that were down is, on the
// stand-ins and on the owners after delivery, the coordinator's version
// with its dot, and the next write through any owner supersedes it
// everywhere.
func TestHintedCopyIsNoNewVersion(t *testing.T) {
	net, cs := startRingCluster(t, sixNodes(), nil)
	net.setDown("b", true)
	net.setDown("c", true)
	if err := set(cs["a"], "k", "v1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the hints", func() bool { return cs["d"].eng.Hints()+cs["e"].eng.Hints() == 2 })
	net.setDown("b", false)
	net.setDown("c", false)
	// The hints carry a's version as it is: its dot, not a new one.
	oa, _, err := cs["a"].eng.Get([]byte("k"))
	if err != nil || len(oa.Siblings) != 1 {
		t.Fatalf("a holds %v (%v)", oa, err)
	}
	for _, n := range []string{"d", "e"} {
		h, found, err := cs[n].eng.Hinted([]byte("k"))
		if err != nil || !found || len(h.Siblings) != 1 || h.Siblings[0].Dot != oa.Siblings[0].Dot {
			t.Fatalf("%s's hint is %v (found %v, %v), want a's version %v", n, h, found, err, oa.Siblings[0].Dot)
		}
	}
	for _, n := range []string{"d", "e"} {
		if _, err := deliverHints(cs[n]); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"a", "b", "c"} {
		o, _, err := cs[n].eng.Get([]byte("k"))
		if err != nil || len(o.Siblings) != 1 || o.Siblings[0].Dot != oa.Siblings[0].Dot {
			t.Fatalf("after delivery %s holds %v (%v), want a's version alone", n, o, err)
		}
	}
	for i, n := range []string{"b", "c", "a"} {
		v := fmt.Sprintf("v%d", i+2)
		if err := set(cs[n], "k", v); err != nil {
			t.Fatal(err)
		}
		waitFor(t, v+" alone on every owner", func() bool {
			for _, o := range []string{"a", "b", "c"} {
				if !slices.Equal(localValues(t, cs[o], "k"), []string{v}) {
					return false
				}
			}
			return true
		})
	}
}
