package coordinator

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/dynago/dynago/internal/rpc"
)

// A request of rpc.MethodCommands forwards several client commands to the
// node that coordinates their keys' writes: the commands of a pipeline
// wave that this node does not coordinate. The request and the reply are
// lists (EncodeArgs) of forwarded commands and of their replies, in the
// same order. The commands touch distinct keys, so the receiver may run
// them concurrently.

// ForwardResult is one command's outcome in ForwardMany: its coordinator's
// reply, or an error (ErrCoordinateHere when this node coordinates it).
type ForwardResult struct {
	Reply []byte
	Err   error
}

// ForwardMany is Forward for many commands at once, commands[i] writing
// keys[i], the keys distinct. The commands bound for one coordinator go in
// one request (MethodCommands), so a pipeline of writes through a node
// that coordinates few of them costs a request per coordinator, not one per
// command. Commands whose coordinator is this node get ErrCoordinateHere.
// A coordinator that cannot be reached, or that does not know
// MethodCommands (a node of an older release), gets its commands one by one
// through Forward, with its rules for trying the next owner.
func (c *Coordinator) ForwardMany(ctx context.Context, keys, commands [][]byte) []ForwardResult {
	out := make([]ForwardResult, len(keys))
	self := c.cfg.Cluster.Self()
	groups := map[string][]int{}
	var order []string
	for i, k := range keys {
		owners, _ := c.owners(k)
		to := c.writeCoordinator(owners)
		if to == self {
			out[i].Err = ErrCoordinateHere
			continue
		}
		if _, ok := groups[to]; !ok {
			order = append(order, to)
		}
		groups[to] = append(groups[to], i)
	}
	var wg sync.WaitGroup
	for n, to := range order {
		send := func() { c.forwardGroup(ctx, to, groups[to], keys, commands, out) }
		if n == len(order)-1 {
			send() // the last group on this goroutine
			break
		}
		wg.Go(send)
	}
	wg.Wait()
	return out
}

// forwardGroup sends the commands at idx, all coordinated by the node named
// to, and fills in their results.
func (c *Coordinator) forwardGroup(ctx context.Context, to string, idx []int, keys, commands [][]byte, out []ForwardResult) {
	addr, ok := c.cfg.Cluster.PeerAddr(to)
	if len(idx) == 1 || !ok || c.batcher(addr).noCommands.Load() {
		c.forwardEach(ctx, idx, keys, commands, out)
		return
	}
	batch := make([][]byte, len(idx))
	for j, i := range idx {
		batch[j] = commands[i]
	}
	// As in Forward: this deadline covers losing the coordinator, which
	// answers NOQUORUM itself when its replicas fail.
	cctx, cancel := context.WithTimeout(ctx, 2*c.cfg.Timeout+500*time.Millisecond)
	reply, err := c.cfg.Transport.Call(cctx, addr, rpc.MethodCommands, EncodeArgs(batch))
	cancel()
	var remote *RemoteError
	switch {
	case err == nil:
		replies, derr := DecodeArgs(reply)
		if derr == nil && len(replies) != len(idx) {
			derr = errors.New("coordinator: forwarded commands answered with the wrong number of replies")
		}
		for j, i := range idx {
			if derr != nil {
				out[i].Err = derr
				continue
			}
			out[i].Reply = replies[j]
		}
	case errors.As(err, &remote) && rpc.IsUnknownMethod(remote.Msg):
		c.batcher(addr).noCommands.Store(true)
		c.forwardEach(ctx, idx, keys, commands, out)
	case errors.As(err, &remote):
		for _, i := range idx {
			out[i].Err = err
		}
	case errors.Is(err, ErrNotSent):
		// Nothing reached the coordinator: each command may go on to the
		// next owner.
		c.forwardEach(ctx, idx, keys, commands, out)
	default:
		// The commands may have been applied: not resent (see Forward).
		_, w := c.quorums(ctx)
		for _, i := range idx {
			owners, _ := c.owners(keys[i])
			out[i].Err = c.stats.counted(&NoQuorumError{Op: "write", Needed: min(w, len(owners)), Replicas: len(owners)})
		}
	}
}

// forwardEach forwards the commands at idx one by one, concurrently.
func (c *Coordinator) forwardEach(ctx context.Context, idx []int, keys, commands [][]byte, out []ForwardResult) {
	var wg sync.WaitGroup
	for n, i := range idx {
		forward := func() { out[i].Reply, out[i].Err = c.Forward(ctx, keys[i], commands[i]) }
		if n == len(idx)-1 {
			forward() // the last one on this goroutine
			break
		}
		wg.Go(forward)
	}
	wg.Wait()
}
