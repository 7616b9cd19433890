package resp

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Admin is what the DYNAGO commands and INFO's cluster section need to know
// about the cluster; the node provides it.
type Admin interface {
	// Nodes describes every ring member (and any other known node).
	Nodes() []NodeInfo
	// Ring is the partition count, the replica count, and each
	// partition's owners.
	Ring() (q, n int, owners func(p int) []string)
	// Preflist is key's partition and its preference list (owners first).
	Preflist(key []byte) (partition int, owners []string, fallbacks []string)
	// Join asks the cluster at a gossip address to admit this node.
	Join(addr string) error
	// Status is DYNAGO STATUS's fields (name, value), in order.
	Status() [][2]string
	// Quorums are N, R and W.
	Quorums() (n, r, w int)
	// Leave hands this node's partitions to their new owners and takes it
	// out of the ring; the node shuts down afterwards.
	Leave() error
	// Remove drops a dead member from the ring; the survivors re-replicate
	// its partitions.
	Remove(name string) error
	// Trees are the anti-entropy hash-tree roots of the partitions this
	// node owns, in partition order.
	Trees() []TreeRoot
	// Checkpoint writes a consistent copy of this node's store to a new
	// directory (a backup a node can be started from).
	Checkpoint(dir string) error
	// Fault cuts this node's traffic to and from the named nodes, or heals
	// every cut when names is empty (fault-injection runs only).
	Fault(names []string) error
	// Shutdown asks the node to shut down as SIGTERM does, and returns at
	// once: the shutdown waits for the commands in progress, SHUTDOWN's own
	// among them.
	Shutdown()
}

// TreeRoot is a partition's hash-tree root on this node.
type TreeRoot struct {
	Partition int
	Root      uint64
}

// NodeInfo is one line of DYNAGO NODES.
type NodeInfo struct {
	Name     string
	RESPAddr string
	// ClientAddr is where clients reach the node (CLUSTER SLOTS): RESPAddr,
	// its unspecified host (a node bound to 0.0.0.0) replaced by the host
	// the node is known at in the cluster.
	ClientAddr string
	PeerAddr   string // the internode transport's address
	State      string // alive, suspect, dead, left
	InRing     bool
	Partitions int // partitions this node is an owner of
	Self       bool
}

func init() {
	dyn := &Command{Name: "dynago", Arity: -2, Group: "dynago", Since: "0.1.0", Summary: "Dynago cluster administration."}
	ls := []string{"loading", "stale"}
	dyn.Subcommands = []*Command{
		{Name: "dynago|nodes", Arity: 2, Flags: ls, Group: "dynago", Since: "0.1.0", Summary: "Lists the ring members: name, address, liveness, partitions held.", Handler: cmdDynagoNodes},
		{Name: "dynago|ring", Arity: 2, Flags: ls, Group: "dynago", Since: "0.1.0", Summary: "Lists every partition with its owners.", Handler: cmdDynagoRing},
		{Name: "dynago|preflist", Arity: 3, Flags: ls, Group: "dynago", Since: "0.1.0", Summary: "Shows a key's partition and preference list.", Handler: cmdDynagoPreflist},
		{Name: "dynago|join", Arity: 3, Flags: ls, Group: "dynago", Since: "0.1.0", Summary: "Joins the cluster a node's gossip address belongs to.", Handler: cmdDynagoJoin},
		{Name: "dynago|status", Arity: 2, Flags: ls, Group: "dynago", Since: "0.1.0", Summary: "Shows the node's cluster status.", Handler: cmdDynagoStatus},
		{Name: "dynago|leave", Arity: 2, Flags: ls, Group: "dynago", Since: "0.2.0", Summary: "Hands this node's partitions to their new owners, leaves the ring and shuts the node down.", Handler: cmdDynagoLeave},
		{Name: "dynago|remove", Arity: 3, Flags: ls, Group: "dynago", Since: "0.2.0", Summary: "Drops a dead node from the ring; the survivors re-replicate its partitions.", Handler: cmdDynagoRemove},
		{Name: "dynago|local", Arity: 3, Flags: []string{"readonly", "fast"}, Group: "dynago", Since: "0.2.0", Summary: "Shows this node's own copy of a key: its context and siblings, with no quorum.", Handler: cmdDynagoLocal},
		{Name: "dynago|trees", Arity: 2, Flags: ls, Group: "dynago", Since: "0.2.0", Summary: "Lists the anti-entropy hash-tree root of every partition this node owns.", Handler: cmdDynagoTrees},
		{Name: "dynago|consistency", Arity: -2, Flags: []string{"loading", "stale", "fast"}, Group: "dynago", Since: "0.2.0", Summary: "Shows or sets this connection's read and write quorums: ONE, QUORUM, ALL, DEFAULT or a replica count.", Handler: cmdDynagoConsistency},
		{Name: "dynago|checkpoint", Arity: 3, Flags: ls, Group: "dynago", Since: "0.2.0", Summary: "Writes a consistent copy of this node's data to a new directory on the node's machine (a backup).", Handler: cmdDynagoCheckpoint},
		{Name: "dynago|fault", Arity: -3, Flags: ls, Group: "dynago", Since: "0.2.0", Summary: "Fault injection (nodes started with --fault-injection): CUT name [name ...] or HEAL.", Handler: cmdDynagoFault},
	}
	dyn.Handler = func(c *client, args [][]byte) { dispatchSub(dyn, c, args) }
	register(dyn)
}

func (c *client) admin() (Admin, bool) {
	if c.srv.cfg.Admin == nil {
		c.writeError("ERR this node runs without cluster membership")
		return nil, false
	}
	return c.srv.cfg.Admin, true
}

func cmdDynagoNodes(c *client, args [][]byte) {
	a, ok := c.admin()
	if !ok {
		return
	}
	var b strings.Builder
	for _, n := range a.Nodes() {
		flags := []string{}
		if n.Self {
			flags = append(flags, "myself")
		}
		if !n.InRing {
			flags = append(flags, "not-in-ring")
		}
		if len(flags) == 0 {
			flags = append(flags, "-")
		}
		fmt.Fprintf(&b, "%s %s %s partitions=%d %s\n", n.Name, n.RESPAddr, n.State, n.Partitions, strings.Join(flags, ","))
	}
	c.writeBulkString(b.String())
}

func cmdDynagoRing(c *client, args [][]byte) {
	a, ok := c.admin()
	if !ok {
		return
	}
	q, _, owners := a.Ring()
	c.writeArray(q)
	for p := 0; p < q; p++ {
		c.writeBulkString(fmt.Sprintf("%d %s", p, strings.Join(owners(p), ",")))
	}
}

func cmdDynagoPreflist(c *client, args [][]byte) {
	a, ok := c.admin()
	if !ok {
		return
	}
	p, owners, fallbacks := a.Preflist(args[2])
	c.writeArray(3)
	c.writeInt(int64(p))
	c.writeArray(len(owners))
	for _, o := range owners {
		c.writeBulkString(o)
	}
	c.writeArray(len(fallbacks))
	for _, f := range fallbacks {
		c.writeBulkString(f)
	}
}

func cmdDynagoJoin(c *client, args [][]byte) {
	a, ok := c.admin()
	if !ok {
		return
	}
	if err := a.Join(string(args[2])); err != nil {
		c.writeError("ERR join failed: " + err.Error())
		return
	}
	c.writeOK()
}

func cmdDynagoStatus(c *client, args [][]byte) {
	a, ok := c.admin()
	if !ok {
		return
	}
	var b strings.Builder
	for _, kv := range a.Status() {
		fmt.Fprintf(&b, "%s:%s\r\n", kv[0], kv[1])
	}
	c.writeBulkString(b.String())
}

func cmdDynagoLeave(c *client, args [][]byte) {
	a, ok := c.admin()
	if !ok {
		return
	}
	if err := a.Leave(); err != nil {
		c.writeError("ERR leave failed: " + err.Error())
		return
	}
	c.writeOK()
}

func cmdDynagoRemove(c *client, args [][]byte) {
	a, ok := c.admin()
	if !ok {
		return
	}
	if err := a.Remove(string(args[2])); err != nil {
		c.writeError("ERR remove failed: " + err.Error())
		return
	}
	c.writeOK()
}

// cmdDynagoLocal answers like VGET from this node's stored copy alone: an
// empty array when it holds no record, the context alone for a tombstone.
func cmdDynagoLocal(c *client, args [][]byte) {
	o, found, err := c.srv.coord.Local(args[2])
	if err != nil {
		c.writeErr(err)
		return
	}
	if !found {
		c.writeArray(0)
		return
	}
	c.writeVersions(o)
}

func cmdDynagoTrees(c *client, args [][]byte) {
	a, ok := c.admin()
	if !ok {
		return
	}
	roots := a.Trees()
	c.writeArray(2 * len(roots))
	for _, r := range roots {
		c.writeInt(int64(r.Partition))
		c.writeBulkString(fmt.Sprintf("%016x", r.Root))
	}
}

// cmdDynagoConsistency is DYNAGO CONSISTENCY [read-level [write-level]]:
// with no level it answers the connection's [R, W]; one level sets both.
func cmdDynagoConsistency(c *client, args [][]byte) {
	n, defR, defW := 1, 1, 1
	if c.srv.cfg.Admin != nil {
		n, defR, defW = c.srv.cfg.Admin.Quorums()
	}
	switch len(args) {
	case 2:
		r, w := int(c.readQ.Load()), int(c.writeQ.Load())
		if r == 0 {
			r = defR
		}
		if w == 0 {
			w = defW
		}
		c.writeArray(2)
		c.writeInt(int64(r))
		c.writeInt(int64(w))
		return
	case 3, 4:
	default:
		c.writeError(errSyntax)
		return
	}
	r, err := consistencyLevel(args[2], n)
	if err != "" {
		c.writeError(err)
		return
	}
	w := r
	if len(args) == 4 {
		if w, err = consistencyLevel(args[3], n); err != "" {
			c.writeError(err)
			return
		}
	}
	c.readQ.Store(int32(r))
	c.writeQ.Store(int32(w))
	c.writeOK()
}

// consistencyLevel turns a level into a replica count (0: the node's
// default), or an error reply.
func consistencyLevel(arg []byte, n int) (int, string) {
	switch strings.ToUpper(string(arg)) {
	case "ONE":
		return 1, ""
	case "QUORUM":
		return n/2 + 1, ""
	case "ALL":
		return n, ""
	case "DEFAULT":
		return 0, ""
	}
	v, err := strconv.Atoi(string(arg))
	if err != nil || v < 1 || v > n {
		return 0, fmt.Sprintf("ERR consistency level must be ONE, QUORUM, ALL, DEFAULT or a replica count from 1 to %d", n)
	}
	return v, ""
}

func cmdDynagoCheckpoint(c *client, args [][]byte) {
	a, ok := c.admin()
	if !ok {
		return
	}
	if err := a.Checkpoint(string(args[2])); err != nil {
		c.writeError("ERR " + err.Error())
		return
	}
	c.writeOK()
}

func cmdDynagoFault(c *client, args [][]byte) {
	a, ok := c.admin()
	if !ok {
		return
	}
	var names []string
	switch strings.ToLower(string(args[2])) {
	case "cut":
		if len(args) < 4 {
			c.writeError("ERR DYNAGO FAULT CUT needs at least one node name")
			return
		}
		for _, n := range args[3:] {
			names = append(names, string(n))
		}
	case "heal":
		if len(args) != 3 {
			c.writeError(errSyntax)
			return
		}
	default:
		c.writeError(errSyntax)
		return
	}
	if err := a.Fault(names); err != nil {
		c.writeError("ERR " + err.Error())
		return
	}
	c.writeOK()
}

// clusterInfo is INFO's cluster section. cluster_enabled stays 0: clients
// read 1 as "this server speaks the Redis Cluster protocol" (CLUSTER SLOTS,
// CLUSTER SHARDS, MOVED), which Dynago does not yet; a cluster-mode client
// invited in would fail on every command. Any node serves every key, so a
// plain client is the right one. The fields after it describe Dynago's own
// cluster.
func (s *Server) clusterInfo() [][2]string {
	if s.cfg.Admin == nil {
		return [][2]string{{"cluster_enabled", "0"}}
	}
	nodes := s.cfg.Admin.Nodes()
	members, alive, held := 0, 0, 0
	for _, n := range nodes {
		if n.InRing {
			members++
			if n.State == "alive" {
				alive++
			}
		}
		if n.Self {
			held = n.Partitions
		}
	}
	q, _, _ := s.cfg.Admin.Ring()
	n, r, w := s.cfg.Admin.Quorums()
	routedWrites, offReplicaReads := s.coord.Stats().Routed()
	agreedReads, mergedReads := s.coord.Stats().CollectionReads()
	out := [][2]string{
		// Redis Cluster clients may be used: CLUSTER SLOTS and its
		// kin answer on every node, lone or not (README, "Clients").
		{"cluster_enabled", "1"},
		{"cluster_members", strconv.Itoa(members)},
		{"cluster_members_alive", strconv.Itoa(alive)},
		{"cluster_partitions", strconv.Itoa(q)},
		{"cluster_partitions_held", strconv.Itoa(held)},
		{"cluster_n", strconv.Itoa(n)},
		{"cluster_r", strconv.Itoa(r)},
		{"cluster_w", strconv.Itoa(w)},
		{"cluster_read_repairs", strconv.FormatInt(s.coord.Stats().ReadRepairs(), 10)},
		{"cluster_routed_writes", strconv.FormatInt(routedWrites, 10)},
		{"cluster_off_replica_reads", strconv.FormatInt(offReplicaReads, 10)},
		{"cluster_collection_reads_agreed", strconv.FormatInt(agreedReads, 10)},
		{"cluster_collection_reads_merged", strconv.FormatInt(mergedReads, 10)},
	}
	return append(out, s.cfg.Admin.Status()...)
}

// maxFanOut bounds the keys of one multi-key command in flight at once.
const maxFanOut = 64

// fanOut runs fn for 0..n-1: concurrently when keys live on other nodes (so
// a multi-key command costs about one quorum round trip, not one per key),
// in order otherwise. It returns the first error. In order, the writes
// share one fsync, as a pipeline's do, unless a pipeline or a transaction
// already shares one: a lone node's MSET of ten keys waits for the disk
// once, not ten times.
func (c *client) fanOut(n int, fn func(i int) error) (errOut error) {
	if n < 2 || !c.srv.coord.Distributed() {
		if n > 1 && c.sync == nil {
			deferred := c.srv.coord.DeferSync()
			c.sync = deferred
			defer func() { c.sync = nil }()
			defer func() {
				// What was written is made durable whatever failed.
				if err := deferred.Sync(); err != nil && errOut == nil {
					errOut = err
				}
			}()
		}
		for i := 0; i < n; i++ {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, n)
	sem := make(chan struct{}, maxFanOut)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		c.srv.pool.Go(func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = fn(i)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
