package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dynago/dynago/internal/ports"
	"github.com/redis/go-redis/v9"
)

// nodeState is what the harness has done to a node.
type nodeState int

const (
	stateUp      nodeState = iota // running and not stopped
	stateKilled                   // killed; will be restarted on its directory
	stateStopped                  // SIGSTOPped; will get SIGCONT
	stateGone                     // left or removed; never comes back
)

// node is one dynago process of the cluster, across its restarts.
type node struct {
	name       string // its name in the cluster: 127.0.0.1:port
	addr       string // RESP address
	gossipAddr string
	dir        string // data directory, kept across restarts
	logPath    string
	args       []string // every flag but --join
	proc       *process
	state      nodeState
	client     *redis.Client // shared by the workload clients and the harness
}

// cluster is the set of dynago processes of a run. One goroutine (the
// run's) drives it; the workload clients only read up.
type cluster struct {
	cfg   Config
	bin   string
	root  string // the run's directory
	ports *ports.Allocator
	logf  func(format string, args ...any)
	// notes are anomalies of the nodes that break no promise the checker
	// verifies (a reply lost on exit, ...), for the summary.
	notes []string
	nodes []*node // every node ever started, in start order
	// up is the nodes the workload may send requests to: started, not
	// killed, not stopped, not gone. Replaced whole, never modified.
	up atomic.Pointer[[]*node]
}

func newCluster(cfg Config, bin, root string, logf func(string, ...any)) *cluster {
	c := &cluster{cfg: cfg, bin: bin, root: root, ports: ports.New(cfg.Seed), logf: logf}
	c.up.Store(&[]*node{})
	return c
}

// publish recomputes the nodes the workload may use.
func (c *cluster) publish() {
	var up []*node
	for _, n := range c.nodes {
		if n.state == stateUp {
			up = append(up, n)
		}
	}
	c.up.Store(&up)
}

// live is the nodes not gone (the ring members as the harness sees them).
func (c *cluster) live() []*node {
	var out []*node
	for _, n := range c.nodes {
		if n.state != stateGone {
			out = append(out, n)
		}
	}
	return out
}

// running is the nodes whose process runs and answers (up).
func (c *cluster) running() []*node { return *c.up.Load() }

func (c *cluster) byName(name string) *node {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

func names(ns []*node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.name
	}
	return out
}

// startNode starts a new node, joining the cluster through join (a gossip
// address) unless it is empty, and waits until it answers PING.
func (c *cluster) startNode(ctx context.Context, join string) (*node, error) {
	var ports [3]int
	for i := range ports {
		p, err := c.ports.Pick()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	i := len(c.nodes)
	n := &node{
		name:       fmt.Sprintf("%s:%d", loopback, ports[0]),
		addr:       fmt.Sprintf("%s:%d", loopback, ports[0]),
		gossipAddr: fmt.Sprintf("%s:%d", loopback, ports[1]),
		dir:        filepath.Join(c.root, fmt.Sprintf("node%d", i)),
		logPath:    filepath.Join(c.root, fmt.Sprintf("node%d.log", i)),
	}
	n.args = []string{
		"--bind", loopback, "--port", strconv.Itoa(ports[0]), "--dir", n.dir,
		"--gossip-port", strconv.Itoa(ports[1]), "--peer-port", strconv.Itoa(ports[2]),
		"--replicas", strconv.Itoa(c.cfg.Replicas), "--read-quorum", strconv.Itoa(c.cfg.ReadQuorum),
		"--write-quorum", strconv.Itoa(c.cfg.WriteQuorum), "--partitions", strconv.Itoa(c.cfg.Partitions),
		"--fsync", c.cfg.Fsync, "--fault-injection",
	}
	if c.cfg.AntiEntropyInterval > 0 {
		n.args = append(n.args, "--anti-entropy-interval", c.cfg.AntiEntropyInterval.String())
	}
	if c.cfg.LogLevel != "" {
		n.args = append(n.args, "--log-level", c.cfg.LogLevel)
	}
	if c.cfg.StrictQuorum {
		n.args = append(n.args, "--strict-quorum")
	}
	if c.cfg.HintInterval > 0 {
		n.args = append(n.args, "--hint-interval", c.cfg.HintInterval.String())
	}
	n.client = redis.NewClient(&redis.Options{
		Addr:     n.addr,
		Protocol: 2,
		// A retried write would be a second attempt the history does not
		// show; every attempt is the client's own.
		MaxRetries:            -1,
		DialTimeout:           time.Second,
		ReadTimeout:           c.cfg.OpTimeout,
		WriteTimeout:          c.cfg.OpTimeout,
		PoolTimeout:           c.cfg.OpTimeout,
		ContextTimeoutEnabled: true,
		DisableIdentity:       true,
	})
	c.nodes = append(c.nodes, n)
	args := n.args
	if join != "" {
		args = append(slices.Clone(args), "--join", join)
	}
	if err := c.exec(ctx, n, args); err != nil {
		n.state = stateGone
		return nil, err
	}
	c.publish()
	return n, nil
}

// exec runs n's process with args and waits until it answers PING.
func (c *cluster) exec(ctx context.Context, n *node, args []string) error {
	p, err := startProcess(c.bin, args, n.logPath)
	if err != nil {
		return fmt.Errorf("start %s: %w", n.name, err)
	}
	n.proc, n.state = p, stateUp
	ctx, cancel := context.WithTimeout(ctx, c.cfg.StartTimeout)
	defer cancel()
	var last error
	for {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		last = n.client.Ping(pctx).Err()
		pcancel()
		if last == nil {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited at start (%v); log %s:\n%s", n.name, p.waitErr, n.logPath, logTail(n.logPath, 15))
		}
		select {
		case <-ctx.Done():
			_ = p.kill()
			return fmt.Errorf("%s did not answer PING within %v (last: %v); log %s:\n%s", n.name, c.cfg.StartTimeout, last, n.logPath, logTail(n.logPath, 15))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// kill sends SIGKILL to n and marks it killed.
func (c *cluster) kill(n *node) error {
	n.state = stateKilled
	c.publish()
	return n.proc.kill()
}

// restart starts a killed node again on its directory and ports. It does
// not pass --join: the directory remembers the cluster.
func (c *cluster) restart(ctx context.Context, n *node) error {
	if err := c.exec(ctx, n, n.args); err != nil {
		n.state = stateKilled
		return err
	}
	c.publish()
	return nil
}

// stop sends SIGSTOP: the process stays, frozen, its sockets open.
func (c *cluster) stop(n *node) error {
	n.state = stateStopped
	c.publish()
	return n.proc.signal(syscall.SIGSTOP)
}

// cont resumes a stopped node.
func (c *cluster) cont(n *node) error {
	if err := n.proc.signal(syscall.SIGCONT); err != nil {
		return err
	}
	n.state = stateUp
	c.publish()
	return nil
}

// do sends one admin command to n with a deadline.
func (c *cluster) do(ctx context.Context, n *node, args ...any) *redis.Cmd {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.OpTimeout)
	defer cancel()
	cmd := n.client.Do(ctx, args...)
	_ = cmd.Err()
	return cmd
}

// cut makes each side drop all traffic with the other: every node of a side
// is told to cut every node of the other.
func (c *cluster) cut(ctx context.Context, sides [2][]string) error {
	var errs []error
	for i, side := range sides {
		other := sides[1-i]
		for _, name := range side {
			n := c.byName(name)
			args := []any{"DYNAGO", "FAULT", "CUT"}
			for _, o := range other {
				args = append(args, o)
			}
			if err := c.do(ctx, n, args...).Err(); err != nil {
				errs = append(errs, fmt.Errorf("DYNAGO FAULT CUT on %s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// heal clears the cuts of every running node.
func (c *cluster) heal(ctx context.Context) error {
	var errs []error
	for _, n := range c.running() {
		if err := c.do(ctx, n, "DYNAGO", "FAULT", "HEAL").Err(); err != nil {
			errs = append(errs, fmt.Errorf("DYNAGO FAULT HEAL on %s: %w", n.name, err))
		}
	}
	return errors.Join(errs...)
}

// leave asks n to hand off its partitions and exit, and waits for the exit.
// DYNAGO LEAVE answers once the hand-off is done, so it gets a connection
// of its own whose read timeout is the whole of timeout.
func (c *cluster) leave(ctx context.Context, n *node, timeout time.Duration) error {
	n.state = stateGone
	c.publish()
	lc := redis.NewClient(&redis.Options{Addr: n.addr, Protocol: 2, MaxRetries: -1, DialTimeout: time.Second,
		ReadTimeout: timeout, WriteTimeout: c.cfg.OpTimeout, ContextTimeoutEnabled: true, DisableIdentity: true})
	defer lc.Close()
	lctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	begin := time.Now()
	err := lc.Do(lctx, "DYNAGO", "LEAVE").Err()
	switch {
	case err == nil:
		c.logf("%s handed off its partitions in %v", n.name, time.Since(begin).Round(10*time.Millisecond))
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		// The node may have exited before writing its +OK; whether it
		// left is for the cluster's view to show.
		c.note("DYNAGO LEAVE on %s answered %v instead of +OK after %v", n.name, err, time.Since(begin).Round(10*time.Millisecond))
	default:
		_ = n.proc.kill()
		return fmt.Errorf("DYNAGO LEAVE on %s: %w", n.name, err)
	}
	if err := n.proc.waitExit(ctx, timeout); err != nil {
		_ = n.proc.kill()
		return fmt.Errorf("%s after DYNAGO LEAVE: %w", n.name, err)
	}
	return nil
}

// note records an anomaly for the summary and logs it.
func (c *cluster) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.logf("NOTE %s", msg)
	c.notes = append(c.notes, msg)
}

// remove kills n for good and asks another running node to drop it from
// the ring, as soon as that node no longer sees it alive (within timeout).
func (c *cluster) remove(ctx context.Context, n *node, timeout time.Duration) error {
	n.state = stateGone
	c.publish()
	if err := n.proc.kill(); err != nil {
		return err
	}
	via := c.running()
	if len(via) == 0 {
		return fmt.Errorf("no running node to send DYNAGO REMOVE %s to", n.name)
	}
	begin := time.Now()
	for {
		err := c.do(ctx, via[0], "DYNAGO", "REMOVE", n.name).Err()
		if err == nil {
			c.logf("%s removed through %s after %v", n.name, via[0].name, time.Since(begin).Round(10*time.Millisecond))
			return nil
		}
		if !strings.Contains(err.Error(), "is alive") || time.Since(begin) > timeout {
			return fmt.Errorf("DYNAGO REMOVE %s on %s: %w", n.name, via[0].name, err)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// members reads DYNAGO NODES on n.
func (c *cluster) members(ctx context.Context, n *node) ([]member, error) {
	text, err := c.do(ctx, n, "DYNAGO", "NODES").Text()
	if err != nil {
		return nil, err
	}
	return parseNodes(text)
}

// whole reports why the cluster is not whole: every running node must see
// exactly the live nodes as ring members, all alive. Empty when whole;
// otherwise one reason per node that sees it otherwise.
func (c *cluster) whole(ctx context.Context) string {
	want := names(c.live())
	slices.Sort(want)
	var why []string
	for _, n := range c.running() {
		ms, err := c.members(ctx, n)
		if err != nil {
			why = append(why, fmt.Sprintf("%s: DYNAGO NODES: %v", n.name, err))
			continue
		}
		var got, notAlive []string
		for _, m := range ms {
			if !m.InRing || m.State == "left" {
				continue
			}
			got = append(got, m.Name)
			if m.State != "alive" {
				notAlive = append(notAlive, m.Name+" "+m.State)
			}
		}
		slices.Sort(got)
		switch {
		case !slices.Equal(got, want):
			why = append(why, fmt.Sprintf("%s sees ring members %v, want %v", n.name, got, want))
		case len(notAlive) > 0:
			why = append(why, fmt.Sprintf("%s sees %s", n.name, strings.Join(notAlive, ", ")))
		}
	}
	return strings.Join(why, "; ")
}

// waitWhole polls whole until it holds or timeout passes.
func (c *cluster) waitWhole(ctx context.Context, timeout time.Duration) error {
	begin := time.Now()
	deadline := begin.Add(timeout)
	last := ""
	for {
		why := c.whole(ctx)
		if why == "" {
			return nil
		}
		// Failure detection takes a second or two after a heal; say why
		// the wait goes on only past that.
		if why != last && time.Since(begin) > 2*time.Second {
			c.logf("waiting for the cluster to be whole: %s", why)
			last = why
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster not whole after %v: %s", timeout, why)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// snapshot is one look at the cluster's replication state.
type snapshot struct {
	owners map[int][]string          // partition -> owners, as the first node sees them
	roots  map[string]map[int]string // node -> partition -> Merkle root
	busy   []string                  // nodes with hints pending or transfers in progress
	why    string                    // why the cluster is not converged; empty when it is
}

// compared is the number of Merkle roots in the snapshot.
func (s snapshot) compared() int {
	n := 0
	for _, r := range s.roots {
		n += len(r)
	}
	return n
}

// look reads every running node's ring, Merkle roots and status.
func (c *cluster) look(ctx context.Context) snapshot {
	s := snapshot{roots: map[string]map[int]string{}}
	var ringOf string
	for _, n := range c.running() {
		lines, err := c.do(ctx, n, "DYNAGO", "RING").StringSlice()
		if err != nil {
			s.why = fmt.Sprintf("%s: DYNAGO RING: %v", n.name, err)
			return s
		}
		owners, err := parseRing(lines)
		if err != nil {
			s.why = fmt.Sprintf("%s: %v", n.name, err)
			return s
		}
		if s.owners == nil {
			s.owners, ringOf = owners, n.name
		} else if !maps.EqualFunc(s.owners, owners, slices.Equal) {
			s.why = fmt.Sprintf("%s and %s see different rings", ringOf, n.name)
			return s
		}
		trees, err := c.do(ctx, n, "DYNAGO", "TREES").Slice()
		if err != nil {
			s.why = fmt.Sprintf("%s: DYNAGO TREES: %v", n.name, err)
			return s
		}
		if s.roots[n.name], err = parseTrees(trees); err != nil {
			s.why = fmt.Sprintf("%s: %v", n.name, err)
			return s
		}
		text, err := c.do(ctx, n, "DYNAGO", "STATUS").Text()
		if err != nil {
			s.why = fmt.Sprintf("%s: DYNAGO STATUS: %v", n.name, err)
			return s
		}
		st := parseStatus(text)
		for _, f := range []string{"hints_pending", "transfers_in_progress"} {
			if v, ok := st[f]; ok && v != "0" {
				s.busy = append(s.busy, fmt.Sprintf("%s %s:%s", n.name, f, v))
			}
		}
	}
	if diff := CompareTrees(s.owners, s.roots); len(diff) > 0 {
		s.why = fmt.Sprintf("%d partitions differ, e.g. %s", len(diff), diff[0])
		return s
	}
	if len(s.busy) > 0 {
		s.why = strings.Join(s.busy, ", ")
	}
	return s
}

// closeAll kills every process and closes the clients.
func (c *cluster) closeAll() {
	for _, n := range c.nodes {
		if n.proc != nil {
			if err := n.proc.kill(); err != nil {
				c.logf("closing %s: %v", n.name, err)
			}
		}
		n.client.Close()
	}
	c.up.Store(&[]*node{})
}
