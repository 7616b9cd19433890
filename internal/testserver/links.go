package testserver

import (
	"sync"

	"github.com/dynago/dynago/node"
	"github.com/dynago/dynago/transport"
)

// Links are a test cluster's network faults: the pairs of nodes whose
// gossip and internode traffic is cut. The loopback cluster (Cluster) and
// the simulated one (internal/simcluster) cut and heal through it.
type Links struct {
	// Faults cut the internode transport; give it to each node's config.
	Faults *transport.Faults

	mu  sync.RWMutex       // guards cut
	cut map[[2]string]bool // gossip address pairs that are cut
}

// NewLinks returns links with nothing cut.
func NewLinks() *Links {
	return &Links{Faults: &transport.Faults{}, cut: map[[2]string]bool{}}
}

// Cut severs gossip and internode traffic between the nodes of configs a
// and b.
func (l *Links) Cut(a, b node.Config) {
	l.mu.Lock()
	l.cut[pair(a.GossipAddr, b.GossipAddr)] = true
	l.mu.Unlock()
	l.Faults.Cut(a.PeerAddr, b.PeerAddr)
}

// IsCut reports whether gossip between two gossip addresses is cut (a
// node's membership drops such packets).
func (l *Links) IsCut(a, b string) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cut[pair(a, b)]
}

// HealAll undoes every cut.
func (l *Links) HealAll() {
	l.mu.Lock()
	clear(l.cut)
	l.mu.Unlock()
	l.Faults.HealAll()
}

func pair(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}
