package coordinator

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/version"
)

// gatedPeer answers read batches from a map, holding the first call until
// released, and records the size of every batch.
type gatedPeer struct {
	release chan struct{}
	calls   atomic.Int32
	mu      sync.Mutex
	sizes   []int
	held    map[string]version.Object
}

func (g *gatedPeer) Call(ctx context.Context, addr string, m rpc.Method, req []byte) ([]byte, error) {
	if g.calls.Add(1) == 1 {
		<-g.release
	}
	keys, _, _, err := decodeDigestReads(req)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.sizes = append(g.sizes, len(keys))
	g.mu.Unlock()
	var out []byte
	objs := make([]version.Object, len(keys))
	for i, k := range keys {
		objs[i] = g.held[string(k)]
	}
	for _, o := range objs {
		if len(o.Clock) == 0 {
			out = append(out, digestNone)
			continue
		}
		b := o.AppendBinary(nil)
		out = append(out, digestObject, byte(len(b)))
		out = append(out, b...)
	}
	return out, nil
}

// While one batch is on the wire, the reads that arrive wait and leave
// together as the next batch; each gets its own answer.
func TestReadsToOnePeerAreBatched(t *testing.T) {
	obj := version.Object{}.Update(nil, version.Dot{Actor: version.Actor{Node: 1, Epoch: 1}, Counter: 1},
		&version.Sibling{Time: 1, Value: []byte("v")})
	peer := &gatedPeer{release: make(chan struct{}), held: map[string]version.Object{"k3": obj, "k7": obj}}
	eng, err := engine.Open(engine.DefaultConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	c := &Coordinator{cfg: Config{Transport: peer, Timeout: 5 * time.Second}, eng: eng}
	b := c.batcher("peer")

	results := make([]readResult, 10)
	var wg sync.WaitGroup
	read := func(i int) {
		wg.Add(1)
		b.readAsync(fmt.Appendf(nil, "k%d", i), 0, func(r readResult) { results[i] = r; wg.Done() })
	}
	read(0)
	for peer.calls.Load() == 0 {
		time.Sleep(time.Millisecond) // until the first batch is on the wire
	}
	for i := 1; i < 10; i++ {
		read(i)
	}
	for {
		b.mu.Lock()
		queued := len(b.reads.items)
		b.mu.Unlock()
		if queued == 9 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(peer.release)
	wg.Wait()
	if fmt.Sprint(peer.sizes) != "[1 9]" {
		t.Fatalf("batch sizes %v, want [1 9]: the nine reads behind the first go together", peer.sizes)
	}
	for i, r := range results {
		want := i == 3 || i == 7
		if r.err != nil || r.found != want || (want && !r.obj.Equal(obj)) {
			t.Fatalf("read k%d = %+v, want found=%v", i, r, want)
		}
	}
}
