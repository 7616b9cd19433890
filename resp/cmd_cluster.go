package resp

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/dynago/dynago/partition"
)

// The Redis Cluster commands: enough for cluster-mode clients (go-redis
// ClusterClient, redis-py RedisCluster, ioredis Cluster, redis-cli -c and
// --cluster check, redis-benchmark --cluster) to learn which nodes hold a
// key and send its commands there. Dynago never answers MOVED or ASK: any
// node serves any key, so a client with a stale map still gets correct
// answers, one hop later. Redis's commands that change the cluster (MEET,
// ADDSLOTS, FAILOVER, ...) have no place here: the ring is Dynago's own
// (DYNAGO JOIN, LEAVE, REMOVE).

func init() {
	ls := []string{"loading", "stale"}
	cl := &Command{Name: "cluster", Arity: -2, Group: "cluster", Since: "3.0.0", Summary: "A container for Redis Cluster commands."}
	cl.Subcommands = []*Command{
		{Name: "cluster|slots", Arity: 2, Flags: ls, Group: "cluster", Since: "3.0.0", Summary: "Returns the mapping of cluster slots to nodes.", Handler: cmdClusterSlots},
		{Name: "cluster|shards", Arity: 2, Flags: ls, Group: "cluster", Since: "7.0.0", Summary: "Returns the mapping of cluster slots to shards.", Handler: cmdClusterShards},
		{Name: "cluster|nodes", Arity: 2, Flags: ls, Group: "cluster", Since: "3.0.0", Summary: "Returns the cluster configuration for a node.", Handler: cmdClusterNodes},
		{Name: "cluster|info", Arity: 2, Flags: ls, Group: "cluster", Since: "3.0.0", Summary: "Returns information about the state of a node.", Handler: cmdClusterInfo},
		{Name: "cluster|myid", Arity: 2, Flags: ls, Group: "cluster", Since: "3.0.0", Summary: "Returns the ID of a node.", Handler: cmdClusterMyID},
		{Name: "cluster|keyslot", Arity: 3, Flags: ls, Group: "cluster", Since: "3.0.0", Summary: "Returns the hash slot for a key.", Handler: cmdClusterKeySlot},
		{Name: "cluster|countkeysinslot", Arity: 3, Flags: ls, Group: "cluster", Since: "3.0.0", Summary: "Returns the number of keys in a hash slot.", Handler: cmdClusterCountKeysInSlot},
		{Name: "cluster|getkeysinslot", Arity: 4, Flags: ls, Group: "cluster", Since: "3.0.0", Summary: "Returns the key names in a hash slot.", Handler: cmdClusterGetKeysInSlot},
		{Name: "cluster|help", Arity: 2, Flags: ls, Group: "cluster", Since: "5.0.0", Summary: "Returns helpful text about the different subcommands.", Handler: cmdClusterHelp},
	}
	cl.Handler = func(c *client, args [][]byte) { dispatchSub(cl, c, args) }
	register(cl,
		&Command{Name: "readonly", Arity: 1, Flags: []string{"loading", "stale", "fast"}, Group: "cluster", Since: "3.0.0", Summary: "Enables read-only queries for a connection to a Redis Cluster replica node (every node serves reads).", Handler: cmdOK},
		&Command{Name: "readwrite", Arity: 1, Flags: []string{"loading", "stale", "fast"}, Group: "cluster", Since: "3.0.0", Summary: "Enables read-write queries for a connection to a Redis Cluster replica node (every node serves writes).", Handler: cmdOK},
		&Command{Name: "asking", Arity: 1, Flags: []string{"fast"}, Group: "cluster", Since: "3.0.0", Summary: "Signals that a cluster client is following an -ASK redirect (Dynago never sends one).", Handler: cmdOK},
	)
}

func cmdOK(c *client, args [][]byte) { c.writeOK() }

// slotView reads the cluster as the CLUSTER commands show it. Without
// membership the server is a lone node holding every slot.
func (c *client) slotView() slotView {
	var v slotView
	if a := c.srv.cfg.Admin; a != nil {
		q, _, owners := a.Ring()
		v = buildSlotView(q, owners, a.Nodes())
	} else {
		self := NodeInfo{Name: c.srv.cfg.NodeName, State: "alive", InRing: true, Self: true}
		if ln := c.srv.ln; ln != nil {
			self.RESPAddr = ln.Addr().String()
		}
		v = buildSlotView(1, func(int) []string { return []string{self.Name} }, []NodeInfo{self})
	}
	// A node listening on every interface is reached where this
	// connection reached it.
	for i := range v.nodes {
		if n := &v.nodes[i]; n.self && unspecifiedHost(n.host) {
			if nc := c.conn.NetConn(); nc != nil {
				n.host, _ = splitAddr(nc.LocalAddr().String())
			}
		}
	}
	return v
}

func unspecifiedHost(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}

func cmdClusterSlots(c *client, args [][]byte) {
	v := c.slotView()
	c.writeArray(len(v.ranges))
	for _, r := range v.ranges {
		c.writeArray(2 + len(r.nodes))
		c.writeInt(int64(r.first))
		c.writeInt(int64(r.last))
		for _, i := range r.nodes {
			n := v.nodes[i]
			c.writeArray(4)
			c.writeBulkString(n.host)
			c.writeInt(int64(n.port))
			c.writeBulkString(n.id)
			c.writeMap(0) // no hostname or other metadata
		}
	}
}

// cmdClusterShards groups the slot runs by the nodes that serve them: a
// shard is a list of nodes, its first one the "master" that coordinates
// its writes. A node is in several shards, master of some and replica of
// others, as every Dynago node is.
func cmdClusterShards(c *client, args [][]byte) {
	v := c.slotView()
	type shard struct {
		nodes []int
		slots []slotRange
	}
	var shards []*shard
	byNodes := map[string]*shard{}
	for _, r := range v.ranges {
		k := fmt.Sprint(r.nodes)
		s := byNodes[k]
		if s == nil {
			s = &shard{nodes: r.nodes}
			byNodes[k] = s
			shards = append(shards, s)
		}
		s.slots = append(s.slots, r)
	}
	c.writeArray(len(shards))
	for _, s := range shards {
		c.writeMap(2)
		c.writeBulkString("slots")
		c.writeArray(2 * len(s.slots))
		for _, r := range s.slots {
			c.writeInt(int64(r.first))
			c.writeInt(int64(r.last))
		}
		c.writeBulkString("nodes")
		c.writeArray(len(s.nodes))
		for j, i := range s.nodes {
			n := v.nodes[i]
			role := "replica"
			if j == 0 {
				role = "master"
			}
			c.writeMap(7)
			c.writeBulkString("id")
			c.writeBulkString(n.id)
			c.writeBulkString("port")
			c.writeInt(int64(n.port))
			c.writeBulkString("ip")
			c.writeBulkString(n.host)
			c.writeBulkString("endpoint")
			c.writeBulkString(n.host)
			c.writeBulkString("role")
			c.writeBulkString(role)
			c.writeBulkString("replication-offset")
			c.writeInt(0)
			c.writeBulkString("health")
			c.writeBulkString("online") // only live nodes are listed
		}
	}
}

// cmdClusterNodes answers Redis's node table. Every node is a master; its
// slots are the runs it coordinates writes of (first in CLUSTER SLOTS), so
// every slot is listed once. Ring members that are down (or stopped) are
// flagged "fail" with no slots; nodes outside the ring are not listed.
func cmdClusterNodes(c *client, args [][]byte) {
	v := c.slotView()
	now := c.srv.cfg.Now().UnixMilli()
	var b strings.Builder
	for i, n := range v.nodes {
		if !n.inRing && !n.self {
			continue
		}
		flags, link, pong := "master", "connected", now
		switch {
		case n.self:
			flags, pong = "myself,master", 0
		case n.state == "suspect":
			flags = "master,fail?"
		case !n.alive:
			flags, link = "master,fail", "disconnected"
		}
		cport := n.cport
		if cport == 0 {
			cport = n.port + 10000
		}
		fmt.Fprintf(&b, "%s %s:%d@%d %s - 0 %d 0 %s", n.id, n.host, n.port, cport, flags, pong, link)
		for _, r := range v.slotsOf(i) {
			if r.first == r.last {
				fmt.Fprintf(&b, " %d", r.first)
			} else {
				fmt.Fprintf(&b, " %d-%d", r.first, r.last)
			}
		}
		b.WriteByte('\n')
	}
	c.writeVerbatim(b.String())
}

func cmdClusterInfo(c *client, args [][]byte) {
	v := c.slotView()
	masters := 0
	known := 0
	for i, n := range v.nodes {
		if n.inRing || n.self {
			known++
		}
		if len(v.slotsOf(i)) > 0 {
			masters++
		}
	}
	fields := [][2]string{
		{"cluster_state", "ok"}, // every slot is served: by an owner, or by this node through stand-ins
		{"cluster_slots_assigned", strconv.Itoa(partition.Slots)},
		{"cluster_slots_ok", strconv.Itoa(partition.Slots)},
		{"cluster_slots_pfail", "0"},
		{"cluster_slots_fail", "0"},
		{"cluster_known_nodes", strconv.Itoa(known)},
		{"cluster_size", strconv.Itoa(masters)},
		{"cluster_current_epoch", "0"},
		{"cluster_my_epoch", "0"},
		{"cluster_stats_messages_sent", "0"},
		{"cluster_stats_messages_received", "0"},
		{"total_cluster_links_buffer_limit_exceeded", "0"},
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f[0] + ":" + f[1] + "\r\n")
	}
	c.writeVerbatim(b.String())
}

func cmdClusterMyID(c *client, args [][]byte) {
	c.writeBulkString(nodeID(c.srv.cfg.NodeName))
}

func cmdClusterKeySlot(c *client, args [][]byte) {
	c.writeInt(int64(partition.Slot(args[2])))
}

// parseSlot reads a slot argument as Redis does: an integer, then a range
// check the caller makes.
func parseSlot(c *client, arg []byte) (int64, bool) {
	n, ok := parseInt(arg)
	if !ok {
		c.writeError(errNotInteger)
	}
	return n, ok
}

func cmdClusterCountKeysInSlot(c *client, args [][]byte) {
	slot, ok := parseSlot(c, args[2])
	if !ok {
		return
	}
	if slot < 0 || slot >= partition.Slots {
		c.writeError("ERR Invalid slot")
		return
	}
	n, err := c.srv.coord.CountSlot(c.ctx, int(slot))
	if err != nil {
		c.writeErr(err)
		return
	}
	c.writeInt(n)
}

func cmdClusterGetKeysInSlot(c *client, args [][]byte) {
	slot, ok := parseSlot(c, args[2])
	if !ok {
		return
	}
	count, ok := parseSlot(c, args[3])
	if !ok {
		return
	}
	if count < 0 || slot < 0 || slot >= partition.Slots {
		c.writeError("ERR Invalid slot or number of keys")
		return
	}
	keys, err := c.srv.coord.SlotKeys(c.ctx, int(slot), int(min(count, maxSlotKeys)))
	if err != nil {
		c.writeErr(err)
		return
	}
	c.writeArray(len(keys))
	for _, k := range keys {
		c.writeBulk(k)
	}
}

// maxSlotKeys bounds one GETKEYSINSLOT reply.
const maxSlotKeys = 1 << 20

func cmdClusterHelp(c *client, args [][]byte) {
	lines := []string{
		"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"COUNTKEYSINSLOT <slot>", "    Return the number of keys in <slot>.",
		"GETKEYSINSLOT <slot> <count>", "    Return key names stored in a slot (asked of a node holding it).",
		"INFO", "    Return information about the cluster.",
		"KEYSLOT <key>", "    Return the hash slot for <key>.",
		"MYID", "    Return the node id.",
		"NODES", "    Return cluster configuration seen by node. Output format:",
		"    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
		"SLOTS", "    Return information about slots range mappings. Each range is made of:",
		"    start, end, master and replicas IP addresses, ports and ids",
		"SHARDS", "    Return information about slot range mappings and the nodes associated with them.",
		"HELP", "    Prints this help.",
	}
	c.writeHelp(lines)
}
