package coordinator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/version"
)

// ownedCluster is four coordinators over the in-memory network, of which
// "a", "b" and "c" own every key and "d" owns none, so that every write
// through "d" is routed.
func ownedCluster(t *testing.T) (*memNet, map[string]*Coordinator) {
	t.Helper()
	ring := ownedRing{allRing: allRing{q: 8, members: []string{"a", "b", "c", "d"}}, owners: []string{"a", "b", "c"}}
	return startRingCluster(t, ring, nil)
}

func TestDoRoutesAWriteToItsCoordinatorAndAnswersItsResult(t *testing.T) {
	net, cs := ownedCluster(t)
	var mu sync.Mutex
	var calls []string
	net.setIntercept(func(from, to string, m rpc.Method) func() {
		if m == rpc.MethodOps {
			mu.Lock()
			calls = append(calls, from+"->"+to)
			mu.Unlock()
		}
		return nil
	})
	ctx := context.Background()
	d := cs["d"]
	if res, err := d.Do(ctx, &op.Op{Code: op.IncrBy, Key: []byte("n"), Int: 5}, Options{}); err != nil || res.Text != "5" {
		t.Fatalf("INCRBY 5 through a non-owner: %+v, %v", res, err)
	}
	if res, err := d.Do(ctx, &op.Op{Code: op.IncrBy, Key: []byte("n"), Int: -7}, Options{}); err != nil || res.Text != "-2" {
		t.Fatalf("INCRBY -7 through a non-owner: %+v, %v", res, err)
	}
	if res, err := d.Do(ctx, &op.Op{Code: op.Append, Key: []byte("s"), Value: []byte("abc"), MaxValue: 1 << 20}, Options{}); err != nil || res.N != 3 {
		t.Fatalf("APPEND: %+v, %v", res, err)
	}
	// The coordinator's decision errors come back with their Redis text.
	_, err := d.Do(ctx, &op.Op{Code: op.Append, Key: []byte("s"), Value: []byte("defg"), MaxValue: 5}, Options{})
	if !errors.Is(err, op.ErrStringTooLarge) {
		t.Fatalf("APPEND past the limit: %v, want %v", err, op.ErrStringTooLarge)
	}
	res, err := d.Do(ctx, &op.Op{Code: op.GetSet, Key: []byte("s"), Value: []byte("new")}, Options{})
	if err != nil || !res.Found || string(res.Old) != "abc" || !res.Wrote {
		t.Fatalf("GETSET: %+v, %v", res, err)
	}
	if len(calls) != 5 || calls[0] != "d->a" {
		t.Fatalf("routed calls %v, want 5 from d to the first owner a", calls)
	}
	// The owners hold the writes; the non-owner holds nothing.
	o, found, err := cs["b"].Read(ctx, []byte("s"), Options{R: 3})
	if v, _, _ := op.Resolve(o, time.Now().UnixMilli()); err != nil || !found || string(v.Bytes) != "new" {
		t.Fatalf("read of s at R=3: %q, %v, %v", v.Bytes, found, err)
	}
	if _, found, _ := d.Local([]byte("s")); found {
		t.Fatal("the non-owner stored a copy of a write it routed")
	}
}

func TestDoOnAnOwnerDecidesHere(t *testing.T) {
	net, cs := ownedCluster(t)
	net.setIntercept(func(from, to string, m rpc.Method) func() {
		if m == rpc.MethodOps {
			t.Errorf("an owner routed its write: %s->%s", from, to)
		}
		return nil
	})
	if _, err := cs["b"].Do(context.Background(), &op.Op{Code: op.Set, Key: []byte("k"), Value: []byte("v")}, Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestDoSkipsAnUnreachableCoordinator(t *testing.T) {
	net, cs := ownedCluster(t)
	net.setDown("a", true)
	res, err := cs["d"].Do(context.Background(), &op.Op{Code: op.Set, Key: []byte("k"), Value: []byte("v"), Flags: op.NX}, Options{})
	if err != nil || !res.Wrote {
		t.Fatalf("SET NX with the first owner down: %+v, %v", res, err)
	}
	o, found, _ := cs["b"].Local([]byte("k"))
	if !found || len(o.Siblings) != 1 || o.Siblings[0].Dot.Actor != cs["b"].Actor() {
		t.Fatalf("the write was not coordinated by the next owner b: %+v", o)
	}
}

// holdingCaller counts the operations of each MethodOps request it passes
// on, holding the first request until release is closed.
type holdingCaller struct {
	Transport
	release chan struct{}
	mu      sync.Mutex
	sizes   []int // operations per request, in order
}

func (h *holdingCaller) Call(ctx context.Context, addr string, m rpc.Method, req []byte) ([]byte, error) {
	if m == rpc.MethodOps {
		_, ops, err := decodeOpsRequest(req)
		if err != nil {
			return nil, err
		}
		h.mu.Lock()
		h.sizes = append(h.sizes, len(ops))
		first := len(h.sizes) == 1
		h.mu.Unlock()
		if first {
			<-h.release
		}
	}
	return h.Transport.Call(ctx, addr, m, req)
}

// A pipeline wave's writes through a non-owner leave in a few requests, not
// one each: operations bound for one peer while a request is on the wire
// wait and go together.
func TestConcurrentRoutedWritesShareRequests(t *testing.T) {
	_, cs := ownedCluster(t)
	d := cs["d"]
	h := &holdingCaller{Transport: d.cfg.Transport, release: make(chan struct{})}
	d.cfg.Transport = h
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = d.Do(context.Background(), &op.Op{Code: op.Set, Key: fmt.Appendf(nil, "k%d", i), Value: []byte("v")}, Options{})
		})
	}
	// Wait until every write is either in the held request or queued
	// behind it.
	s := d.opSender("a")
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		waiting := len(s.q.items)
		s.mu.Unlock()
		h.mu.Lock()
		held := 0
		if len(h.sizes) > 0 {
			held = h.sizes[0]
		}
		h.mu.Unlock()
		if held+waiting == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s, %d writes held and %d queued of %d", held, waiting, n)
		}
		time.Sleep(time.Millisecond)
	}
	close(h.release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	// The writes queued behind the held request leave together: two
	// requests, or one if every write was queued before the first left.
	if !slices.Equal(h.sizes, []int{n}) && (len(h.sizes) != 2 || h.sizes[0]+h.sizes[1] != n) {
		t.Fatalf("%d routed writes took requests of sizes %v, want the held one, then the rest together", n, h.sizes)
	}
}

func TestHandleOpsRefusesMalformedRequests(t *testing.T) {
	_, cs := ownedCluster(t)
	good := appendOpsRequest(nil, time.Second, []*pendingOp{{op: &op.Op{Code: op.Set, Key: []byte("k"), Value: []byte("v")}}})
	if _, err := cs["a"].HandleOps(context.Background(), good); err != nil {
		t.Fatalf("a well-formed request: %v", err)
	}
	for name, req := range map[string][]byte{
		"empty":          nil,
		"other format":   append([]byte{2}, good[1:]...),
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(append([]byte{}, good...), 0),
		"huge count":     {opsFormat, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"bad quorum":     {opsFormat, 0, 1, 0xff, 0x7f, 0},
	} {
		if _, err := cs["a"].HandleOps(context.Background(), req); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestOpsRequestAndReplyRoundTrip(t *testing.T) {
	at := time.Unix(1700000000, 123456789)
	ctxClock := version.Clock{{Actor: version.Actor{Node: 9, Epoch: 2}, Counter: 4}}
	in := []*pendingOp{
		{op: &op.Op{Code: op.Set, Key: []byte("k"), Value: []byte("v"), Flags: op.NX | op.Get, Expiry: 77}, opt: Options{R: 1, W: 3, At: at}},
		{op: &op.Op{Code: op.VDel, Key: []byte("x"), Context: ctxClock}},
	}
	budget, got, err := decodeOpsRequest(appendOpsRequest(nil, 1500*time.Millisecond, in))
	if err != nil || budget != 1500*time.Millisecond || len(got) != 2 {
		t.Fatalf("decode: %v, %v, %d ops", budget, err, len(got))
	}
	if g := got[0]; g.opt.R != 1 || g.opt.W != 3 || !g.opt.At.Equal(at) || g.op.Flags != op.NX|op.Get || string(g.op.Value) != "v" || g.op.Expiry != 77 {
		t.Fatalf("first op: %+v", g)
	}
	if g := got[1]; !g.opt.At.IsZero() || g.op.Code != op.VDel || !g.op.Context.Equal(ctxClock) {
		t.Fatalf("second op: %+v", g)
	}
	out := []opOutcome{
		{res: op.Result{Wrote: true, Found: true, Old: []byte("old"), N: 3, Text: "12"}},
		{res: op.Result{Wrote: true}, err: &NoQuorumError{Op: "write", Answered: 1, Needed: 2, Replicas: 3}},
		{err: op.ErrNotInteger},
	}
	back, err := decodeOpsReply(appendOpsReply(nil, out), 3)
	if err != nil {
		t.Fatal(err)
	}
	if r := back[0]; r.err != nil || !r.res.Wrote || !r.res.Found || string(r.res.Old) != "old" || r.res.N != 3 || r.res.Text != "12" {
		t.Fatalf("outcome 0: %+v", r)
	}
	if r := back[1]; r.err == nil || r.err.Error() != out[1].err.(*NoQuorumError).RedisError() || !r.res.Wrote {
		t.Fatalf("outcome 1: %+v, want the NOQUORUM text %q", r, out[1].err.(*NoQuorumError).RedisError())
	}
	if r := back[2]; !errors.Is(r.err, op.ErrNotInteger) {
		t.Fatalf("outcome 2: %+v", r)
	}
	if _, err := decodeOpsReply(appendOpsReply(nil, out), 2); err == nil {
		t.Fatal("a reply of 3 outcomes accepted for 2 operations")
	}
}
