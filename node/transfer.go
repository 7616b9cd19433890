package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/transfer"
)

// Membership changes move data: on every ring change the transfer manager
// pulls the partitions this node gained from their previous owners, DYNAGO
// LEAVE pushes this node's partitions to their next owners before it goes,
// and DYNAGO REMOVE drops a dead member, whose partitions the survivors then
// pull from the remaining replicas.

// startTransfers creates the transfer manager.
func (n *Node) startTransfers() error {
	cfg := transfer.DefaultConfig()
	cfg.Self = n.cfg.Name
	cfg.Store = n.eng
	cfg.Caller = transferCaller{n}
	cfg.Alive = n.mem.Alive
	if n.cfg.TransferRate != 0 {
		cfg.RateBytes = n.cfg.TransferRate
	}
	m, err := transfer.New(cfg)
	if err != nil {
		return err
	}
	n.xfer = m
	return nil
}

// transferCaller addresses the transfer manager's requests by member name.
type transferCaller struct{ n *Node }

func (c transferCaller) Call(ctx context.Context, name string, m rpc.Method, req []byte) ([]byte, error) {
	addr, ok := clusterView{c.n}.PeerAddr(name)
	if !ok {
		return nil, errUnknownPeer
	}
	return c.n.trans.Call(ctx, addr, m, req)
}

// previousOwners is the ring a change to next moved partitions from. An
// empty node that was alone in its ring (it just joined) or had none holds
// none of the cluster's data: its partitions' owners were the other members.
func (n *Node) previousOwners(old, next *partition.Ring) *partition.Ring {
	if old != nil && (old.Size() > 1 || n.eng.Len() > 0) {
		return old
	}
	rest := slices.DeleteFunc(next.Members(), func(m string) bool { return m == n.cfg.Name })
	r, err := partition.NewRing(next.Q(), next.N(), rest)
	if err != nil {
		return old
	}
	return r
}

var errUnknownPeer = errors.New("no internode address known for the node")

// leaveTimeout bounds the hand-off of DYNAGO LEAVE.
const leaveTimeout = 10 * time.Minute

// leave hands this node's partitions to the owners they will have without
// it, takes it out of the ring, and tells the process to shut down.
func (n *Node) leave() error {
	cur := n.ring.Load()
	rest := slices.DeleteFunc(cur.Members(), func(m string) bool { return m == n.cfg.Name })
	if len(rest) == 0 {
		return errors.New("the last member of a ring cannot leave it")
	}
	without, err := partition.NewRing(cur.Q(), cur.N(), rest)
	if err != nil {
		return err
	}
	slog.Info("leaving the cluster: handing partitions off", "partitions", len(cur.PartitionsOf(n.cfg.Name)))
	ctx, cancel := context.WithTimeout(n.bg, leaveTimeout)
	defer cancel()
	if err := n.xfer.Leave(ctx, cur, without); err != nil {
		return err
	}
	if err := n.mem.Remove(n.cfg.Name); err != nil {
		return err
	}
	n.mem.AnnounceLeave()
	slog.Info("left the cluster; shutting down")
	n.leftOnce.Do(func() { close(n.left) })
	return nil
}

// remove drops a member that is down from the ring.
func (n *Node) remove(name string) error {
	if name == n.cfg.Name {
		return errors.New("a node cannot remove itself; use DYNAGO LEAVE")
	}
	if n.mem.Alive(name) {
		return fmt.Errorf("%s is alive; stop it first, or run DYNAGO LEAVE on it", name)
	}
	return n.mem.Remove(name)
}

func (n *Node) transferStatus() [][2]string {
	s := n.xfer.Status()
	inProgress := s.PartitionsPending + s.PushPending
	return [][2]string{
		{"transfers_in_progress", strconv.Itoa(inProgress)},
		{"transfer_partitions_pending", strconv.Itoa(s.PartitionsPending)},
		{"transfer_partitions_done", strconv.FormatInt(s.PartitionsDone, 10)},
		{"transfer_handoffs_pending", strconv.Itoa(s.PushPending)},
		{"transfer_handoffs_done", strconv.FormatInt(s.PushDone, 10)},
		{"transfer_keys_moved", strconv.FormatInt(s.KeysMoved, 10)},
		{"transfer_bytes_moved", strconv.FormatInt(s.BytesMoved, 10)},
	}
}
