package coordinator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/replica"
	"github.com/dynago/dynago/version"
)

// gatedPeer answers digest reads from a map with a replica server, holding
// the first call until released, and records the size of every batch.
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
	store := &heldStore{held: g.held}
	reply, err := replica.NewServer(store, nil).HandleReadDigests(req)
	g.mu.Lock()
	g.sizes = append(g.sizes, store.reads)
	g.mu.Unlock()
	return reply, err
}

// heldStore is a replica.Store that holds the copies of a map, no hints,
// and counts the keys read.
type heldStore struct {
	held  map[string]version.Object
	reads int
}

func (s *heldStore) GetDigest(key []byte) (version.Object, bool, uint64, error) {
	s.reads++
	o, found := s.held[string(key)]
	return o, found, antientropy.Digest(key, o), nil
}

func (s *heldStore) Hinted([]byte) (version.Object, bool, error)  { return version.Object{}, false, nil }
func (s *heldStore) MergeBatch([][]byte, []version.Object) error  { return errors.New("read only") }
func (s *heldStore) AddHint(string, []byte, version.Object) error { return errors.New("read only") }
func (s *heldStore) Generation() uint64                           { return 0 }
func (s *heldStore) Elements([]byte, []byte, int, func([]byte, version.Object)) (bool, error) {
	return false, nil
}
func (s *heldStore) ElementsDigest([]byte) (uint64, error) { return 0, nil }

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
