package coordinator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// commandPeer answers forwarded commands with "+<command>" (or, for
// "fail", an error), holding the first call until released; legacy peers
// serve only MethodCommand.
type commandPeer struct {
	legacy  bool
	release chan struct{}
	calls   atomic.Int32
	mu      sync.Mutex
	batches []int // commands per call
}

func (p *commandPeer) Call(ctx context.Context, addr string, m Method, req []byte) ([]byte, error) {
	if p.calls.Add(1) == 1 && p.release != nil {
		<-p.release
	}
	answer := func(cmd []byte) ([]byte, error) {
		if string(cmd) == "fail" {
			return nil, fmt.Errorf("no such command")
		}
		return []byte("+" + string(cmd)), nil
	}
	switch {
	case m == MethodCommand:
		p.record(1)
		return answer(req)
	case m == MethodCommandBatch && !p.legacy:
		cmds, err := DecodeCommandBatch(req)
		if err != nil {
			return nil, err
		}
		p.record(len(cmds))
		replies, errs := make([][]byte, len(cmds)), make([]error, len(cmds))
		for i, c := range cmds {
			replies[i], errs[i] = answer(c)
		}
		return EncodeCommandReplies(replies, errs), nil
	}
	return nil, &RemoteError{Msg: UnknownMethodError(uint8(m)).Error()}
}

func (p *commandPeer) record(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.batches = append(p.batches, n)
}

// While one batch of forwarded commands is on the wire, the commands that
// arrive meanwhile wait and leave together; each gets its own reply, or
// its own error.
func TestForwardedCommandsToOnePeerAreBatched(t *testing.T) {
	peer := &commandPeer{release: make(chan struct{})}
	c := &Coordinator{cfg: Config{Transport: peer, Timeout: 5 * time.Second}}
	b := c.batcher("peer")
	replies := make([]string, 10)
	errs := make([]error, 10)
	var wg sync.WaitGroup
	send := func(i int) {
		wg.Go(func() {
			cmd := fmt.Sprintf("c%d", i)
			if i == 5 {
				cmd = "fail"
			}
			r, err := b.forward(context.Background(), []byte(cmd))
			replies[i], errs[i] = string(r), err
		})
	}
	send(0)
	for peer.calls.Load() == 0 {
		time.Sleep(time.Millisecond) // until the first batch is on the wire
	}
	for i := 1; i < 10; i++ {
		send(i)
	}
	for {
		b.mu.Lock()
		queued := len(b.forwards.items)
		b.mu.Unlock()
		if queued == 9 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(peer.release)
	wg.Wait()
	if fmt.Sprint(peer.batches) != "[1 9]" {
		t.Fatalf("batches %v, want [1 9]: the nine commands behind the first go together", peer.batches)
	}
	for i := range replies {
		var remote *RemoteError
		switch {
		case i == 5:
			if !errors.As(errs[i], &remote) || remote.Msg != "no such command" {
				t.Fatalf("command 5: %q %v, want its own remote error", replies[i], errs[i])
			}
		case errs[i] != nil || replies[i] != fmt.Sprintf("+c%d", i):
			t.Fatalf("command %d: %q %v", i, replies[i], errs[i])
		}
	}
}

// A peer that does not know MethodCommandBatch (an older release) gets the
// commands one by one, this batch and every later one.
func TestForwardFallsBackForPeersWithoutBatches(t *testing.T) {
	peer := &commandPeer{legacy: true}
	c := &Coordinator{cfg: Config{Transport: peer, Timeout: 5 * time.Second}}
	b := c.batcher("peer")
	for i := 0; i < 3; i++ {
		r, err := b.forward(context.Background(), fmt.Appendf(nil, "c%d", i))
		if err != nil || string(r) != fmt.Sprintf("+c%d", i) {
			t.Fatalf("command %d through a legacy peer: %q %v", i, r, err)
		}
	}
	if !b.noCommandBatch.Load() {
		t.Fatal("still batching for a peer that refused batches")
	}
	if fmt.Sprint(peer.batches) != "[1 1 1]" {
		t.Fatalf("calls served %v, want one command per call", peer.batches)
	}
}
