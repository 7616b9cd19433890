package node

import (
	"errors"
	"fmt"
	"sync"

	"github.com/dynago/dynago/membership"
	"github.com/dynago/dynago/transport"
)

// cuts is the state of DYNAGO FAULT: the gossip addresses this node drops
// traffic to and from. Internode cuts live in the transport's Faults.
type cuts struct {
	mu     sync.RWMutex
	gossip map[string]bool
}

func (c *cuts) drops(addr string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gossip[addr]
}

// enableFaults prepares the hooks DYNAGO FAULT drives.
func (n *Node) enableFaults(mcfg *membership.Config) {
	n.cuts = &cuts{gossip: map[string]bool{}}
	if n.cfg.Faults == nil {
		n.cfg.Faults = &transport.Faults{}
	}
	prev := mcfg.Drop
	mcfg.Drop = func(addr string) bool {
		return n.cuts.drops(addr) || (prev != nil && prev(addr))
	}
}

var errNoFaults = errors.New("fault injection is disabled (start the node with --fault-injection)")

// fault cuts this node off from the named nodes, gossip and internode
// traffic both ways, or heals every cut when names is empty.
func (n *Node) fault(names []string) error {
	if n.cuts == nil {
		return errNoFaults
	}
	if len(names) == 0 {
		n.cuts.mu.Lock()
		clear(n.cuts.gossip)
		n.cuts.mu.Unlock()
		n.cfg.Faults.HealAll()
		return nil
	}
	var members []membership.Member
	for _, name := range names {
		m, ok := n.mem.Member(name)
		if !ok {
			return fmt.Errorf("unknown node %q", name)
		}
		members = append(members, m)
	}
	n.cuts.mu.Lock()
	for _, m := range members {
		n.cuts.gossip[m.Meta.GossipAddr] = true
	}
	n.cuts.mu.Unlock()
	for _, m := range members {
		n.cfg.Faults.Cut(n.cfg.PeerAddr, m.Meta.PeerAddr)
	}
	return nil
}
