package node

import (
	"sync/atomic"

	"github.com/dynago/dynago/handoff"
)

// Hinted hand-off: the writes this node keeps as a stand-in for owners that
// were down (the coordinator hands them to it, package replica stores them)
// are offered to their owners every HintInterval by package handoff; the
// node only wires it.

// hintDelivery is the node's hint delivery, made when it starts.
type hintDelivery struct {
	d atomic.Pointer[handoff.Deliverer] // set when delivery starts
}

// runHintDelivery delivers hints every HintInterval, until the node stops.
func (n *Node) runHintDelivery() {
	d := handoff.New(handoff.Config{
		Store:     n.eng,
		Cluster:   handoffCluster{clusterView{n}},
		Transport: caller{n},
		Timeout:   n.cfg.Timeout,
		Learn:     n.coord.LearnGeneration,
	})
	n.hints.d.Store(d)
	d.Run(n.bg, n.cfg.HintInterval)
}

// handoffCluster is the cluster as hint delivery sees it.
type handoffCluster struct{ clusterView }

func (c handoffCluster) Ring() handoff.Ring { return c.n.ring.Load() }

// hintCounts are the hint counters DYNAGO STATUS, INFO and the metrics show.
type hintCounts struct {
	Pending   int64 // hints this node holds for other nodes
	HandedOff int64 // writes this node gave to stand-ins (the coordinator's)
	Delivered int64 // hints this node delivered to their owners (handoff's)
}

// hintStats reads the hint counters from where they are kept.
func (n *Node) hintStats() hintCounts {
	h := hintCounts{Pending: n.eng.Hints()}
	if d := n.hints.d.Load(); d != nil {
		st := d.Stats()
		h.Pending, h.Delivered = st.Pending, st.Delivered
	}
	if n.coord != nil {
		h.HandedOff = n.coord.Stats().HintsHandedOff()
	}
	return h
}
