package coordinator

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/dynago/dynago/internal/rpc"
)

// forwardPeer stands for the coordinators that commands are forwarded to:
// it answers each command with "reply to " and the command, and records
// every request it gets.
type forwardPeer struct {
	net      *memNet
	legacy   bool // answers rpc.MethodCommands as a node that does not know it
	mu       sync.Mutex
	requests []string // "addr method commands" (-1 commands: refused)
}

func (p *forwardPeer) Call(ctx context.Context, addr string, m rpc.Method, req []byte) ([]byte, error) {
	if p.net.isDown(addr) {
		return nil, fmt.Errorf("%w: %w", ErrNotSent, errUnreachable)
	}
	record := func(n int) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.requests = append(p.requests, fmt.Sprintf("%s %d %d", addr, m, n))
	}
	switch {
	case m == rpc.MethodCommand:
		record(1)
		return append([]byte("reply to "), req...), nil
	case m == rpc.MethodCommands && !p.legacy:
		cmds, err := DecodeArgs(req)
		if err != nil {
			return nil, err
		}
		record(len(cmds))
		replies := make([][]byte, len(cmds))
		for i, c := range cmds {
			replies[i] = append([]byte("reply to "), c...)
		}
		return EncodeArgs(replies), nil
	}
	record(-1)
	return nil, &RemoteError{Msg: rpc.UnknownMethodError(m).Error()}
}

func (p *forwardPeer) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.requests
	p.requests = nil
	return r
}

// forwardFrom starts a cluster a, b, c, d in which every key's owners are
// a, b and c, and returns d's coordinator, which forwards through peer.
func forwardFrom(t *testing.T, peer *forwardPeer) *Coordinator {
	t.Helper()
	ring := ownedRing{allRing: allRing{q: 8, members: []string{"a", "b", "c", "d"}}, owners: []string{"a", "b", "c"}}
	net, coords := startRingCluster(t, ring, func(cfg *Config) {
		if cfg.Cluster.Self() == "d" {
			cfg.Transport = peer
		}
	})
	peer.net = net
	return coords["d"]
}

func forwardBatch(n int) (keys, cmds [][]byte) {
	for i := range n {
		keys = append(keys, fmt.Appendf(nil, "k%d", i))
		cmds = append(cmds, fmt.Appendf(nil, "set k%d", i))
	}
	return keys, cmds
}

func checkReplies(t *testing.T, res []ForwardResult, cmds [][]byte) {
	t.Helper()
	for i, r := range res {
		if want := "reply to " + string(cmds[i]); r.Err != nil || string(r.Reply) != want {
			t.Fatalf("command %d: %q, %v; want %q", i, r.Reply, r.Err, want)
		}
	}
}

// The commands bound for one coordinator leave in one request, and each
// gets its own reply, in order.
func TestForwardManyGroupsByCoordinator(t *testing.T) {
	peer := &forwardPeer{}
	b := forwardFrom(t, peer)
	keys, cmds := forwardBatch(5)
	checkReplies(t, b.ForwardMany(context.Background(), keys, cmds), cmds)
	if got := peer.take(); len(got) != 1 || got[0] != fmt.Sprintf("a %d 5", rpc.MethodCommands) {
		t.Fatalf("requests %q, want one rpc.MethodCommands to a with 5 commands", got)
	}
	// A lone command goes as it always did.
	checkReplies(t, b.ForwardMany(context.Background(), keys[:1], cmds[:1]), cmds[:1])
	if got := peer.take(); len(got) != 1 || got[0] != fmt.Sprintf("a %d 1", rpc.MethodCommand) {
		t.Fatalf("requests %q, want one rpc.MethodCommand", got)
	}
}

// A coordinator of an older release gets the commands one by one, and is
// not asked with MethodCommands again.
func TestForwardManyToLegacyCoordinator(t *testing.T) {
	peer := &forwardPeer{legacy: true}
	b := forwardFrom(t, peer)
	keys, cmds := forwardBatch(4)
	checkReplies(t, b.ForwardMany(context.Background(), keys, cmds), cmds)
	if got := peer.take(); len(got) != 1+4 || got[0] != fmt.Sprintf("a %d -1", rpc.MethodCommands) {
		t.Fatalf("requests %q, want the refused batch and 4 single commands", got)
	}
	checkReplies(t, b.ForwardMany(context.Background(), keys, cmds), cmds)
	for _, r := range peer.take() {
		if r != fmt.Sprintf("a %d 1", rpc.MethodCommand) {
			t.Fatalf("request %q after the peer refused rpc.MethodCommands", r)
		}
	}
}

// When the first owner is down the commands go, together, to the next live
// owner.
func TestForwardManyWhenCoordinatorIsDown(t *testing.T) {
	peer := &forwardPeer{}
	d := forwardFrom(t, peer)
	peer.net.setDown("a", true)
	keys, cmds := forwardBatch(3)
	checkReplies(t, d.ForwardMany(context.Background(), keys, cmds), cmds)
	if got := peer.take(); len(got) != 1 || got[0] != fmt.Sprintf("b %d 3", rpc.MethodCommands) {
		t.Fatalf("requests %q, want one rpc.MethodCommands to b with 3 commands", got)
	}
}

// An owner coordinates its writes itself: nothing is forwarded.
func TestForwardManyOnAnOwner(t *testing.T) {
	peer := &forwardPeer{}
	forwardFrom(t, peer)
	keys, cmds := forwardBatch(3)
	b := peer.net.nodes["b"]
	for i, r := range b.ForwardMany(context.Background(), keys, cmds) {
		if r.Err != ErrCoordinateHere {
			t.Fatalf("command %d: %q, %v; want ErrCoordinateHere", i, r.Reply, r.Err)
		}
	}
}
