package resp

import (
	"crypto/sha1"
	"encoding/hex"
	"net"
	"slices"
	"strconv"

	"github.com/dynago/dynago/partition"
)

// The cluster as Redis Cluster clients see it (CLUSTER SLOTS, SHARDS,
// NODES). Every partition is a run of hash slots; each run is shown with
// the live owners of its partition, first the one a write sent to a node
// holding no replica is forwarded to (the first live owner in ring order),
// then the other live replicas. A client that sends a key's writes to the
// first node and its reads to any of them reaches a replica with no extra
// hop. A run whose owners are all down is shown on this node, which serves
// it through stand-ins (sloppy quorum). Adjacent partitions with the same
// nodes are one run.

// slotView is one reading of the cluster for the CLUSTER commands.
type slotView struct {
	nodes  []slotNode
	ranges []slotRange // ascending and covering every slot once
}

// slotNode is a node as the CLUSTER commands show it.
type slotNode struct {
	id    string // 40 hex characters, stable: derived from the node's name
	name  string
	host  string
	port  int
	cport int // the internode port, shown as Redis's cluster bus port
	self  bool
	// alive: the node is shown serving slots. A suspect is not: clients
	// that cannot reach it would retry it until it is declared dead,
	// while any other owner serves its keys at no cost.
	alive bool
	state string // alive, suspect, dead, left
	// inRing: a member of the ring (a node stopped, even gracefully, stays
	// one until DYNAGO REMOVE or LEAVE).
	inRing bool
}

// slotRange is a run of slots and the nodes that serve it: indexes into
// slotView.nodes, the write coordinator first.
type slotRange struct {
	first, last int
	nodes       []int
}

// nodeID is the stable Redis Cluster node id of the node named name.
func nodeID(name string) string {
	sum := sha1.Sum([]byte(name))
	return hex.EncodeToString(sum[:])
}

// splitAddr splits host:port, with port 0 when it is missing or bad.
func splitAddr(addr string) (string, int) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	port, _ := strconv.Atoi(p)
	return host, port
}

// buildSlotView builds the view from the ring (q partitions, owners in ring
// order) and the known nodes.
func buildSlotView(q int, owners func(p int) []string, infos []NodeInfo) slotView {
	var v slotView
	index := map[string]int{}
	self := -1
	for _, in := range infos {
		addr := in.ClientAddr
		if addr == "" {
			addr = in.RESPAddr
		}
		host, port := splitAddr(addr)
		_, cport := splitAddr(in.PeerAddr)
		index[in.Name] = len(v.nodes)
		if in.Self {
			self = len(v.nodes)
		}
		v.nodes = append(v.nodes, slotNode{id: nodeID(in.Name), name: in.Name, host: host, port: port, cport: cport,
			self: in.Self, alive: in.Self || in.State == "alive", state: in.State, inRing: in.InRing})
	}
	for p := range q {
		var serve []int
		for _, name := range owners(p) {
			if i, ok := index[name]; ok && v.nodes[i].alive {
				serve = append(serve, i)
			}
		}
		if len(serve) == 0 && self >= 0 {
			serve = []int{self}
		}
		first, last := partition.SlotRange(p, q)
		if n := len(v.ranges); n > 0 && slices.Equal(v.ranges[n-1].nodes, serve) {
			v.ranges[n-1].last = last
			continue
		}
		v.ranges = append(v.ranges, slotRange{first: first, last: last, nodes: serve})
	}
	return v
}

// slotsOf lists the runs node i coordinates writes of, ascending, adjacent
// runs joined.
func (v slotView) slotsOf(i int) []slotRange {
	var out []slotRange
	for _, r := range v.ranges {
		if len(r.nodes) == 0 || r.nodes[0] != i {
			continue
		}
		if n := len(out); n > 0 && out[n-1].last+1 == r.first {
			out[n-1].last = r.last
			continue
		}
		out = append(out, slotRange{first: r.first, last: r.last, nodes: r.nodes[:1]})
	}
	return out
}
