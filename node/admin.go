package node

import (
	"net"
	"strconv"
	"strings"

	"github.com/dynago/dynago/membership"
	"github.com/dynago/dynago/resp"
)

// admin answers the DYNAGO commands and INFO's cluster section.
type admin struct{ n *Node }

func (a admin) Nodes() []resp.NodeInfo {
	ring := a.n.ring.Load()
	var out []resp.NodeInfo
	for _, m := range a.n.mem.Members() {
		out = append(out, resp.NodeInfo{
			Name:       m.Name,
			RESPAddr:   m.Meta.RESPAddr,
			ClientAddr: clientAddr(m.Meta),
			PeerAddr:   m.Meta.PeerAddr,
			State:      m.State.String(),
			InRing:     m.InRing,
			Partitions: len(ring.PartitionsOf(m.Name)),
			Self:       m.Name == a.n.cfg.Name,
		})
	}
	return out
}

func (a admin) Ring() (int, int, func(int) []string) {
	r := a.n.ring.Load()
	return r.Q(), r.N(), r.Owners
}

func (a admin) Preflist(key []byte) (int, []string, []string) {
	r := a.n.ring.Load()
	p := r.PartitionOf(key)
	owners := r.Owners(p)
	return p, owners, r.Preference(p)[len(owners):]
}

func (a admin) Join(addr string) error {
	return a.n.join(strings.Split(addr, ","))
}

func (a admin) Quorums() (int, int, int) {
	r, w := a.n.coord.Quorums()
	return a.n.cfg.Replicas, r, w
}

func (a admin) Status() [][2]string {
	ring := a.n.ring.Load()
	status := [][2]string{
		{"node", a.n.cfg.Name},
		{"cluster_id", a.n.mem.ClusterID()},
		{"ring_members", strings.Join(ring.Members(), ",")},
		{"partitions_held", strconv.Itoa(len(ring.PartitionsOf(a.n.cfg.Name)))},
	}
	h := a.n.hintStats()
	status = append(status,
		[2]string{"hints_pending", strconv.FormatInt(h.Pending, 10)},
		[2]string{"hints_handed_off", strconv.FormatInt(h.HandedOff, 10)},
		[2]string{"hints_delivered", strconv.FormatInt(h.Delivered, 10)},
	)
	status = append(status, a.n.transferStatus()...)
	status = append(status, a.n.antiEntropyStatus()...)
	return append(status, [2]string{"internode_methods", methodList(a.n.methods)})
}

func (a admin) Leave() error                { return a.n.leave() }
func (a admin) Remove(name string) error    { return a.n.remove(name) }
func (a admin) Trees() []resp.TreeRoot      { return a.n.trees() }
func (a admin) Checkpoint(dir string) error { return a.n.eng.Checkpoint(dir) }
func (a admin) Shutdown()                   { a.n.shutdownOnce.Do(func() { close(a.n.shutdownAsked) }) }
func (a admin) Fault(names []string) error {
	return a.n.fault(names)
}

// clientAddr is the address Redis Cluster clients are told to reach a node
// at: its RESP address, unless that names no host (a node listening on every
// interface), when the host its peers reach it at stands in.
func clientAddr(m membership.NodeMeta) string {
	host, port, err := net.SplitHostPort(m.RESPAddr)
	if err != nil || !unspecified(host) {
		return m.RESPAddr
	}
	for _, known := range []string{m.GossipAddr, m.PeerAddr} {
		if h, _, err := net.SplitHostPort(known); err == nil && !unspecified(h) {
			return net.JoinHostPort(h, port)
		}
	}
	return m.RESPAddr
}

func unspecified(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}
