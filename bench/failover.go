package bench

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// The failover scenario measures what a Dynago cluster promises when nodes
// die: writes keep succeeding while any W nodes can take them (sloppy quorum,
// hinted handoff), and a node that comes back catches up (hints, anti-entropy)
// until every partition's owners hold the same data again.
//
// It runs three parts, each on a fresh cluster started and stopped by the
// scenario itself (one after the other, so that idle clusters do not share
// the two cores with the measured one):
//
//   - availability, 3 nodes, one killed with SIGKILL and restarted;
//   - availability, 5 nodes, two killed at once and restarted;
//   - convergence, 3 nodes: load, kill one, write through the survivors,
//     restart it, and time until the Merkle roots of every partition agree.

// failoverPlan is what the failover scenario does. defaultFailoverPlan gives
// the values `make bench` uses; the whole scenario then takes about a minute
// and a half on two cores.
type failoverPlan struct {
	Fsync string // --fsync of every node

	// Availability parts.
	Cases []availabilityCase
	// Writers is the number of goroutines sending SETs, each waiting for its
	// reply before the next. Default 16: enough to keep a small cluster busy
	// without a queue of requests behind every node.
	Writers int
	// ValueSize is the SET value size in bytes. Default 100.
	ValueSize int
	// Timeout bounds one request (read and write timeout). Default 2s: a
	// request that a client would give up on.
	Timeout time.Duration
	// Steady, Down and After are how long writes run before the kill, between
	// the kill and the restart, and after the restarted nodes answer PING.
	// Defaults 5s, 10s, 5s.
	Steady, Down, After time.Duration
	// MaxPerWriter bounds the requests of one writer in one part, so that the
	// samples kept cannot outgrow memory whatever the server's speed.
	MaxPerWriter int
	// ErrorTarget is the largest error fraction, over the Down window, that
	// meets the target. Default 0.01.
	ErrorTarget float64

	// Convergence part.
	Converge ClusterSpec
	// Keys are loaded first (key:0 ..), in pipelines of LoadBatch SETs with
	// LoadWorkers in flight. Default 100000, 1000, 8.
	Keys, LoadBatch, LoadWorkers int
	// Overwrite keys (key:0 ..) get a new value and Add new keys
	// (key:Keys ..) are written through the survivors while one node is down.
	// Default 10000 each.
	Overwrite, Add int
	// WriteRounds bounds the attempts at a key written while a node is down;
	// failed keys are retried after RetryPause. Default 20 and 250ms.
	WriteRounds int
	RetryPause  time.Duration
	// PollEvery is the interval between looks at every node's roots and
	// hints; ConvergeLimit is when the scenario gives up. Default 200ms and
	// 120s.
	PollEvery, ConvergeLimit time.Duration
	// ConvergeTarget is the convergence time that meets the target. Default
	// 30s.
	ConvergeTarget time.Duration
	// Sample keys, drawn from the keys written while the node was down, are
	// read back from the restarted node's own copy. Default 1000.
	Sample int
	// Marks are the times after the restart at which the report shows the
	// differing partitions and pending hints.
	Marks []time.Duration
}

// availabilityCase is one availability part: a cluster of Nodes nodes (N=3,
// R=2, W=2) of which Kill are killed at once.
type availabilityCase struct {
	Nodes, Kill int
}

// defaultFailoverPlan returns the plan of `make bench`.
func defaultFailoverPlan(cfg Config) failoverPlan {
	return failoverPlan{
		Fsync:          cfg.Fsync,
		Cases:          []availabilityCase{{Nodes: 3, Kill: 1}, {Nodes: 5, Kill: 2}},
		Writers:        16,
		ValueSize:      100,
		Timeout:        2 * time.Second,
		Steady:         5 * time.Second,
		Down:           10 * time.Second,
		After:          5 * time.Second,
		MaxPerWriter:   1_000_000,
		ErrorTarget:    0.01,
		Converge:       ClusterSpec{Nodes: 3, N: 3, R: 2, W: 2, Fsync: cfg.Fsync},
		Keys:           100_000,
		LoadBatch:      1000,
		LoadWorkers:    8,
		Overwrite:      10_000,
		Add:            10_000,
		WriteRounds:    20,
		RetryPause:     250 * time.Millisecond,
		PollEvery:      200 * time.Millisecond,
		ConvergeLimit:  120 * time.Second,
		ConvergeTarget: 30 * time.Second,
		Sample:         1000,
		Marks: []time.Duration{0, time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
			15 * time.Second, 20 * time.Second, 30 * time.Second, 60 * time.Second, 90 * time.Second},
	}
}

// FailoverScenario kills and restarts nodes of Dynago clusters under write
// load and after it, and reports availability and convergence against the
// targets (under 1% errors; converged within 30 s).
func FailoverScenario(cfg Config) Scenario {
	plan := defaultFailoverPlan(cfg)
	return Scenario{
		Name: "failover",
		Run: func(ctx context.Context, env *Env, _ []*Target) (Report, error) {
			return runFailover(ctx, env, plan)
		},
	}
}

// runFailover runs the parts in turn. A part that fails is reported as such
// and the next one still runs, unless ctx ended.
func runFailover(ctx context.Context, env *Env, plan failoverPlan) (*FailoverReport, error) {
	rep := &FailoverReport{ErrorTarget: plan.ErrorTarget, ConvergeTarget: plan.ConvergeTarget}
	var errs []error
	for i, c := range plan.Cases {
		dir := filepath.Join(env.Scratch, "failover", fmt.Sprintf("%d-cluster-%d", i, c.Nodes))
		res, err := runAvailability(ctx, env, plan, c, i, dir)
		rep.Availability = append(rep.Availability, res)
		if err != nil {
			errs = append(errs, fmt.Errorf("availability, %d nodes, %d killed: %w", c.Nodes, c.Kill, err))
		}
		if ctx.Err() != nil {
			return rep, errors.Join(append(errs, ctx.Err())...)
		}
	}
	dir := filepath.Join(env.Scratch, "failover", fmt.Sprintf("%d-converge-%d", len(plan.Cases), plan.Converge.Nodes))
	res, err := runConvergence(ctx, env, plan, dir)
	rep.Convergence = res
	if err != nil {
		errs = append(errs, fmt.Errorf("convergence: %w", err))
	}
	return rep, errors.Join(errs...)
}

// ---- running clusters whose nodes die ----

// failoverCluster is a cluster the scenario kills nodes of. Slot i is node i
// across its restarts.
type failoverCluster struct {
	env   *Env
	t     *Target
	names []string // node name per slot, from DYNAGO STATUS
	down  []bool   // slot killed and not (successfully) restarted
}

// startFailoverCluster starts a cluster with DynagoClusterTarget in dir and
// learns its node names.
func startFailoverCluster(ctx context.Context, env *Env, spec ClusterSpec, dir string) (*failoverCluster, error) {
	t, err := DynagoClusterTarget(spec).Start(ctx, env, dir)
	if err != nil {
		return nil, err
	}
	c := &failoverCluster{env: env, t: t, names: make([]string, len(t.Nodes)), down: make([]bool, len(t.Nodes))}
	for i, p := range t.Nodes {
		st, err := nodeStatus(ctx, p.Addr, 2*time.Second)
		if err == nil {
			c.names[i], err = statusName(st)
		}
		if err != nil {
			return nil, errors.Join(fmt.Errorf("%s: DYNAGO STATUS: %w", p.Name, err), c.stop())
		}
	}
	return c, nil
}

// kill sends SIGKILL to the nodes in slots, one right after the other, and
// waits until they are gone.
func (c *failoverCluster) kill(slots []int) error {
	var errs []error
	for _, s := range slots {
		c.down[s] = true
		if err := c.t.Nodes[s].cmd.Process.Kill(); err != nil {
			errs = append(errs, fmt.Errorf("kill %s: %w", c.t.Nodes[s].Name, err))
		}
	}
	for _, s := range slots {
		p := c.t.Nodes[s]
		select {
		case <-p.done:
			c.env.Logf("%s: killed (pid %d)", p.Name, p.PID())
		case <-time.After(c.env.StopTimeout):
			errs = append(errs, fmt.Errorf("%s did not exit within %v of SIGKILL", p.Name, c.env.StopTimeout))
		}
	}
	return errors.Join(errs...)
}

// restart starts the nodes in slots again, concurrently, with the arguments,
// data directory and ports they had, and waits until each answers PING. The
// log of a restart goes next to the first one (node-I-restart.log).
func (c *failoverCluster) restart(ctx context.Context, slots []int) error {
	errs := make([]error, len(slots))
	procs := make([]*Process, len(slots))
	var wg sync.WaitGroup
	for i, s := range slots {
		old := c.t.Nodes[s]
		wg.Go(func() {
			_, portText, err := net.SplitHostPort(old.Addr)
			if err != nil {
				errs[i] = err
				return
			}
			port, err := strconv.Atoi(portText)
			if err != nil {
				errs[i] = err
				return
			}
			logPath := strings.TrimSuffix(old.LogPath, ".log") + "-restart.log"
			procs[i], errs[i] = startNode(ctx, c.env, old.Name, port, logPath, old.cmd.Path, old.cmd.Args[1:]...)
		})
	}
	wg.Wait()
	for i, s := range slots {
		if errs[i] == nil {
			c.t.Nodes[s] = procs[i]
			c.down[s] = false
		}
	}
	return errors.Join(errs...)
}

// stop stops every node that is running (SIGTERM, then kill after the stop
// timeout); slots that were killed and are still down are skipped.
func (c *failoverCluster) stop() error {
	var errs []error
	for i, p := range c.t.Nodes {
		if c.down[i] {
			continue
		}
		errs = append(errs, p.Stop(c.env.StopTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.env.Logf("failover: cluster of %d nodes stopped", len(c.t.Nodes))
	return nil
}

// lastSlots returns the last k slots of n: the nodes killed. The first node,
// which the others joined through, stays up, so a restarted node finds the
// cluster by its --join address as well as by its saved membership.
func lastSlots(n, k int) []int {
	out := make([]int, 0, k)
	for s := n - k; s < n; s++ {
		out = append(out, s)
	}
	return out
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ---- availability ----

// writeSample is one SET of an availability part.
type writeSample struct {
	Start   time.Duration // when it was sent, since the part began
	Latency time.Duration
	Node    int    // slot it was sent to
	Kind    string // error kind (errorKind); empty if it succeeded
}

// failoverMarks are the moments of an availability part, since it began.
type failoverMarks struct {
	Kill    time.Duration // the harness stopped sending to the victims and killed them
	Restart time.Duration // the victims were started again
	Rejoin  time.Duration // they answered PING and the harness sent to them again
	End     time.Duration // the writers stopped
}

// route is the harness's view of which nodes are up: writers pick one of
// slots at random and send with the slot's client.
type route struct {
	slots   []int
	clients []*redis.Client // by slot
}

// AvailabilityResult is the outcome of one availability part.
type AvailabilityResult struct {
	Shape   string // e.g. "3 nodes, N=3 R=2 W=2, --fsync batch"
	Nodes   int
	Killed  []string // process names of the nodes killed
	Writers int
	Value   int // bytes per SET
	Timeout time.Duration
	Down    time.Duration // planned time from the kill to the restart
	Marks   failoverMarks
	Windows []WindowStats // before kill, after kill, restarting, after restart, all
	Errors  []ErrorCount  // by kind over the whole part
	Err     error         // why the part could not be completed, if it could not
}

// WindowStats are the requests of one window of an availability part, by the
// time they completed: a request in flight to a node when it is killed fails
// after the kill, and counts there.
type WindowStats struct {
	Name     string
	From, To time.Duration
	Requests int
	Errors   int
	// InFlight counts the errors of requests sent to a killed node before it
	// was back: those in flight at the kill, which no server can answer.
	InFlight           int
	P50, P99, Max      time.Duration // successful requests only
	OK                 int
	ErrPct, ErrPctExcl float64 // errors (and errors without InFlight) as % of requests; NaN if none
}

// runAvailability runs one availability part in a fresh cluster.
func runAvailability(ctx context.Context, env *Env, plan failoverPlan, ac availabilityCase, part int, dir string) (res *AvailabilityResult, err error) {
	spec := ClusterSpec{Nodes: ac.Nodes, N: 3, R: 2, W: 2, Fsync: plan.Fsync}
	res = &AvailabilityResult{
		Shape:   fmt.Sprintf("%d nodes, N=%d R=%d W=%d, --fsync %s", spec.Nodes, spec.N, spec.R, spec.W, spec.Fsync),
		Nodes:   ac.Nodes,
		Writers: plan.Writers,
		Value:   plan.ValueSize,
		Timeout: plan.Timeout,
		Down:    plan.Down,
	}
	if ac.Kill < 1 || ac.Kill >= ac.Nodes {
		res.Err = fmt.Errorf("cannot kill %d of %d nodes", ac.Kill, ac.Nodes)
		return res, res.Err
	}
	env.Logf("failover: availability, %d nodes, kill -9 %d", ac.Nodes, ac.Kill)
	c, err := startFailoverCluster(ctx, env, spec, dir)
	if err != nil {
		res.Err = err
		return res, err
	}
	defer func() {
		if stopErr := c.stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
			res.Err = err
		}
	}()
	victims := lastSlots(ac.Nodes, ac.Kill)
	killed := make(map[int]bool, len(victims))
	for _, s := range victims {
		killed[s] = true
		res.Killed = append(res.Killed, c.t.Nodes[s].Name)
	}

	clients := make([]*redis.Client, ac.Nodes)
	var spare []*redis.Client // clients replaced after a restart, closed at the end
	for i, p := range c.t.Nodes {
		clients[i] = newLoadClient(p.Addr, plan.Writers, plan.Timeout)
	}
	defer func() {
		for _, cl := range append(clients, spare...) {
			cl.Close()
		}
	}()
	if err := warmUp(ctx, clients, plan.Writers/ac.Nodes+1, plan.Timeout); err != nil {
		res.Err = err
		return res, err
	}
	all := make([]int, ac.Nodes)
	for i := range all {
		all[i] = i
	}
	var cur atomic.Pointer[route]
	cur.Store(&route{slots: all, clients: slices.Clone(clients)})

	// The writers stop when the driver closes stop, at the latest when the
	// part's time is up (with room for restarts), or after MaxPerWriter
	// requests each.
	limit := plan.Steady + plan.Down + plan.After + time.Duration(ac.Kill+1)*env.StartTimeout + plan.Timeout
	runCtx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	stop := make(chan struct{})
	samples := make([][]writeSample, plan.Writers)
	begin := time.Now()
	var wg sync.WaitGroup
	for w := range plan.Writers {
		wg.Go(func() {
			samples[w] = writeLoop(runCtx, stop, &cur, begin, plan, part, w)
		})
	}
	var marks failoverMarks
	driveErr := func() error {
		if err := pause(runCtx, plan.Steady); err != nil {
			return err
		}
		up := slices.DeleteFunc(slices.Clone(all), func(s int) bool { return killed[s] })
		cur.Store(&route{slots: up, clients: slices.Clone(clients)})
		marks.Kill = time.Since(begin)
		if err := c.kill(victims); err != nil {
			return err
		}
		if err := pause(runCtx, plan.Down-(time.Since(begin)-marks.Kill)); err != nil {
			return err
		}
		marks.Restart = time.Since(begin)
		if err := c.restart(runCtx, victims); err != nil {
			return fmt.Errorf("restart: %w", err)
		}
		for _, s := range victims {
			// A fresh client: the old one's connections died with the node.
			spare = append(spare, clients[s])
			clients[s] = newLoadClient(c.t.Nodes[s].Addr, plan.Writers, plan.Timeout)
		}
		cur.Store(&route{slots: all, clients: slices.Clone(clients)})
		marks.Rejoin = time.Since(begin)
		env.Logf("failover: %d node(s) back after %v", len(victims), (marks.Rejoin - marks.Restart).Round(time.Millisecond))
		return pause(runCtx, plan.After)
	}()
	close(stop)
	wg.Wait()
	marks.End = time.Since(begin)
	if marks.Restart == 0 {
		marks.Restart = marks.End
	}
	if marks.Rejoin == 0 {
		marks.Rejoin = marks.End
	}
	if marks.Kill == 0 {
		marks.Kill = marks.End
	}
	res.Marks = marks
	merged := slices.Concat(samples...)
	res.Windows = availabilityWindows(merged, marks, killed)
	res.Errors = availabilityErrors(merged, marks, killed)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if driveErr != nil {
		res.Err = driveErr
		return res, driveErr
	}
	down := res.Windows[1]
	env.Logf("failover: %d nodes: %d requests, %d errors (%d in flight to killed nodes); after the kill %d requests, %.3f%% errors, p99 %.3f ms",
		ac.Nodes, res.Windows[len(res.Windows)-1].Requests, res.Windows[len(res.Windows)-1].Errors,
		res.Windows[len(res.Windows)-1].InFlight, down.Requests, down.ErrPct, ms(down.P99))
	return res, nil
}

// writeLoop is one writer: SETs of keys of its own (failover:PART:W:SEQ),
// each to a random node of the current route, until stop is closed, ctx ends
// or it has sent plan.MaxPerWriter. Requests cut off by ctx are not kept.
func writeLoop(ctx context.Context, stop <-chan struct{}, cur *atomic.Pointer[route], begin time.Time, plan failoverPlan, part, w int) []writeSample {
	rng := rand.New(rand.NewPCG(uint64(part), uint64(w)))
	value := make([]byte, plan.ValueSize)
	out := make([]writeSample, 0, 1024)
	for seq := range plan.MaxPerWriter {
		select {
		case <-stop:
			return out
		default:
		}
		r := cur.Load()
		slot := r.slots[rng.IntN(len(r.slots))]
		fillValue(value, seq)
		key := "failover:" + strconv.Itoa(part) + ":" + strconv.Itoa(w) + ":" + strconv.Itoa(seq)
		t := time.Now()
		err := r.clients[slot].Set(ctx, key, value, 0).Err()
		if ctx.Err() != nil {
			return out
		}
		s := writeSample{Start: t.Sub(begin), Latency: time.Since(t), Node: slot}
		if err != nil {
			s.Kind = failoverErrorKind(err)
		}
		out = append(out, s)
	}
	return out
}

// failoverErrorKind names a failed request's error for counting, like
// errorKind, but without the addresses of a broken connection, so that the
// resets of many connections count as one kind.
func failoverErrorKind(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	}
	return errorKind(err)
}

// inFlightToKilled reports whether s went to a killed node while it was not
// back: sent before the harness sent to it again, and not finished before the
// kill.
func inFlightToKilled(s writeSample, m failoverMarks, killed map[int]bool) bool {
	return killed[s.Node] && s.Start < m.Rejoin && s.Start+s.Latency >= m.Kill
}

// availabilityWindows splits samples by completion time into the windows
// before the kill, after it (until the restart), restarting (until the
// restarted nodes answer PING) and after the restart, then all of them.
func availabilityWindows(samples []writeSample, m failoverMarks, killed map[int]bool) []WindowStats {
	bounds := []struct {
		name     string
		from, to time.Duration
	}{
		{"before kill", 0, m.Kill},
		{"after kill", m.Kill, m.Restart},
		{"restarting", m.Restart, m.Rejoin},
		{"after restart", m.Rejoin, m.End},
	}
	var out []WindowStats
	for _, b := range bounds {
		out = append(out, windowStats(b.name, b.from, b.to, samples, m, killed, false))
	}
	return append(out, windowStats("all", 0, m.End, samples, m, killed, true))
}

// windowStats summarizes the samples completed in [from, to); with
// inclusive, a sample completed exactly at to counts too.
func windowStats(name string, from, to time.Duration, samples []writeSample, m failoverMarks, killed map[int]bool, inclusive bool) WindowStats {
	w := WindowStats{Name: name, From: from, To: to}
	var lat []time.Duration
	for _, s := range samples {
		if end := s.Start + s.Latency; end < from || end > to || (end == to && !inclusive) {
			continue
		}
		w.Requests++
		if s.Kind == "" {
			lat = append(lat, s.Latency)
			continue
		}
		w.Errors++
		if inFlightToKilled(s, m, killed) {
			w.InFlight++
		}
	}
	w.OK = len(lat)
	w.P50, w.P99, w.Max = latencySummary(lat)
	w.ErrPct = percent(w.Errors, w.Requests)
	w.ErrPctExcl = percent(w.Errors-w.InFlight, w.Requests-w.InFlight)
	return w
}

// latencySummary returns the nearest-rank p50 and p99 and the maximum of
// lat, which it sorts; zeros for none.
func latencySummary(lat []time.Duration) (p50, p99, maxLat time.Duration) {
	if len(lat) == 0 {
		return 0, 0, 0
	}
	slices.Sort(lat)
	return nearestRank(lat, 0.50), nearestRank(lat, 0.99), lat[len(lat)-1]
}

// percent is 100*n/of; NaN when of is zero (no requests is no availability
// measured, not 0% errors).
func percent(n, of int) float64 {
	if of <= 0 {
		return math.NaN()
	}
	return 100 * float64(n) / float64(of)
}

// availabilityErrors counts the errors by kind, the kinds of requests in
// flight to a killed node marked as such; most frequent first.
func availabilityErrors(samples []writeSample, m failoverMarks, killed map[int]bool) []ErrorCount {
	counts := map[string]int{}
	for _, s := range samples {
		if s.Kind == "" {
			continue
		}
		k := s.Kind
		if inFlightToKilled(s, m, killed) {
			k += " [to a killed node]"
		}
		counts[k]++
	}
	return sortedErrors(counts)
}

// sortedErrors turns counts by kind into a list, most frequent first.
func sortedErrors(counts map[string]int) []ErrorCount {
	var out []ErrorCount
	for k, n := range counts {
		out = append(out, ErrorCount{Kind: k, Count: n})
	}
	slices.SortFunc(out, func(a, b ErrorCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Kind, b.Kind))
	})
	return out
}

// availabilityVerdict says whether the window after the kill and the whole
// part both met the error target (errors < target, as a fraction, of
// requests; all errors count, those in flight to a killed node included).
func availabilityVerdict(down, all WindowStats, target float64) bool {
	under := func(w WindowStats) bool {
		return w.Requests > 0 && !math.IsNaN(w.ErrPct) && w.ErrPct < 100*target
	}
	return under(down) && under(all)
}

// ---- convergence ----

// ConvergenceResult is the outcome of the convergence part.
type ConvergenceResult struct {
	Shape                string
	Nodes                int
	Keys, Overwrite, Add int
	Killed               string // process name of the node killed and restarted
	Load, Write          time.Duration
	WriteFailures        int          // first attempts that failed
	WriteErrors          []ErrorCount // their kinds
	WriteRounds          int          // rounds the writes took, retries included
	Unacked              int          // keys never acknowledged; left out of the sample
	Ready                time.Duration
	// Converged and HintsZero are the times from the restart to the first
	// look at which every partition's owners showed equal roots, and at
	// which no node had hints pending; negative if that was not seen
	// within Limit.
	Converged, HintsZero time.Duration
	Limit                time.Duration
	PollEvery            time.Duration      // between looks
	Timeline             []convergencePoint // the looks at the marks (see failoverPlan.Marks)
	Looks                int
	Sample               localTally
	SampleErr            error
	Err                  error
}

// convergencePoint is one look at the cluster after the restart.
type convergencePoint struct {
	At        time.Duration // since the restart began
	Differing int           // partitions whose owners do not show equal roots
	Hints     int64         // hints pending, summed over the nodes
	Why       string        // why the look is incomplete (a node did not answer); empty if it is not
}

// localTally counts what the restarted node's own copy held for sampled keys.
type localTally struct {
	Latest   int // exactly the last acknowledged value
	Stale    int // one value, not the last one
	Siblings int // more than one value
	Missing  int // no copy at all
	Failed   int // the read failed
}

func (t localTally) total() int { return t.Latest + t.Stale + t.Siblings + t.Missing + t.Failed }

// overwriteSeed shifts the value of an overwritten key away from the value it
// was loaded with (fillValue of the key's number).
const overwriteSeed = 1 << 30

// convergeValue fills buf with the latest value of key:i in the convergence
// part: keys below overwrite were written twice.
func convergeValue(buf []byte, i, overwrite int) {
	if i < overwrite {
		fillValue(buf, i+overwriteSeed)
		return
	}
	fillValue(buf, i)
}

// runConvergence loads keys, kills one node, writes through the survivors,
// restarts the node and looks at every node's Merkle roots and pending hints
// until they agree, then reads a sample from the restarted node.
func runConvergence(ctx context.Context, env *Env, plan failoverPlan, dir string) (res *ConvergenceResult, err error) {
	spec := plan.Converge
	res = &ConvergenceResult{
		Shape: fmt.Sprintf("%d nodes, N=%d R=%d W=%d, --fsync %s, default hint and anti-entropy intervals",
			spec.Nodes, spec.N, spec.R, spec.W, spec.Fsync),
		Nodes: spec.Nodes, Keys: plan.Keys, Overwrite: plan.Overwrite, Add: plan.Add,
		Converged: -1, HintsZero: -1, Limit: plan.ConvergeLimit, PollEvery: plan.PollEvery,
	}
	fail := func(e error) (*ConvergenceResult, error) {
		res.Err = e
		return res, e
	}
	if plan.Overwrite > plan.Keys {
		return fail(fmt.Errorf("overwrite %d of %d keys", plan.Overwrite, plan.Keys))
	}
	env.Logf("failover: convergence, %d nodes, %d keys", spec.Nodes, plan.Keys)
	c, err := startFailoverCluster(ctx, env, spec, dir)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if stopErr := c.stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
			res.Err = err
		}
	}()
	clients := make([]*redis.Client, len(c.t.Nodes))
	for i, p := range c.t.Nodes {
		clients[i] = newLoadClient(p.Addr, plan.LoadWorkers, 30*time.Second)
	}
	defer func() {
		for _, cl := range clients {
			cl.Close()
		}
	}()

	start := time.Now()
	if n, err := loadKeys(ctx, clients, 0, plan.Keys, plan.LoadBatch, plan.LoadWorkers, plan.ValueSize); err != nil {
		return fail(fmt.Errorf("load: %d of %d keys acknowledged: %w", n, plan.Keys, err))
	}
	res.Load = time.Since(start)
	env.Logf("failover: %d keys loaded in %v", plan.Keys, res.Load.Round(time.Millisecond))

	victim := len(c.t.Nodes) - 1
	res.Killed = c.t.Nodes[victim].Name
	if err := c.kill([]int{victim}); err != nil {
		return fail(err)
	}
	keys := make([]int, 0, plan.Overwrite+plan.Add)
	for i := range plan.Overwrite {
		keys = append(keys, i)
	}
	for i := plan.Keys; i < plan.Keys+plan.Add; i++ {
		keys = append(keys, i)
	}
	start = time.Now()
	acked, err := writeThrough(ctx, clients[:victim], keys, plan, res)
	res.Write = time.Since(start)
	if err != nil {
		return fail(err)
	}
	res.Unacked = len(keys) - len(acked)
	env.Logf("failover: %d keys written through %d survivors in %v (%d first attempts failed, %d never acknowledged)",
		len(keys), victim, res.Write.Round(time.Millisecond), res.WriteFailures, res.Unacked)

	restartBegin := time.Now()
	if err := c.restart(ctx, []int{victim}); err != nil {
		return fail(fmt.Errorf("restart: %w", err))
	}
	res.Ready = time.Since(restartBegin)
	if err := watchConvergence(ctx, env, c, plan, restartBegin, res); err != nil {
		return fail(err)
	}
	res.Sample, res.SampleErr = sampleLocal(ctx, c.t.Nodes[victim].Addr, acked, plan)
	t := res.Sample
	env.Logf("failover: %s holds the latest value of %d of %d sampled keys (%d stale, %d with siblings, %d missing, %d failed)",
		res.Killed, t.Latest, t.total(), t.Stale, t.Siblings, t.Missing, t.Failed)
	return res, res.SampleErr
}

// writeThrough writes the latest value of every key in pipelines through
// clients (batches in turn), retrying the keys whose SET failed, up to
// plan.WriteRounds rounds. It returns the keys acknowledged, and records the
// failures of the first round and the rounds taken in res.
func writeThrough(ctx context.Context, clients []*redis.Client, keys []int, plan failoverPlan, res *ConvergenceResult) ([]int, error) {
	var acked []int
	pending := keys
	kinds := map[string]int{}
	for round := 1; round <= plan.WriteRounds && len(pending) > 0; round++ {
		if round > 1 {
			if err := pause(ctx, plan.RetryPause); err != nil {
				return acked, err
			}
		}
		res.WriteRounds = round
		ok, failed, err := setBatches(ctx, clients, pending, plan)
		if err != nil {
			return acked, err
		}
		acked = append(acked, ok...)
		if round == 1 {
			res.WriteFailures = len(failed)
			for _, k := range failed {
				kinds[k.kind]++
			}
		}
		pending = pending[:0:0]
		for _, f := range failed {
			pending = append(pending, f.key)
		}
	}
	res.WriteErrors = sortedErrors(kinds)
	return acked, nil
}

// failedKey is a key whose SET failed, and how.
type failedKey struct {
	key  int
	kind string
}

// setBatches sends one SET per key, in pipelines of plan.LoadBatch with
// plan.LoadWorkers in flight, and sorts the keys into acknowledged and
// failed. Only ctx ending is an error.
func setBatches(ctx context.Context, clients []*redis.Client, keys []int, plan failoverPlan) (ok []int, failed []failedKey, err error) {
	var mu sync.Mutex // guards ok and failed
	batches := make(chan []int)
	var wg sync.WaitGroup
	for range plan.LoadWorkers {
		wg.Go(func() {
			for b := range batches {
				c := clients[b[0]%len(clients)]
				pipe := c.Pipeline()
				vals := make([]byte, len(b)*plan.ValueSize)
				cmds := make([]*redis.StatusCmd, len(b))
				for j, k := range b {
					v := vals[j*plan.ValueSize : (j+1)*plan.ValueSize]
					convergeValue(v, k, plan.Overwrite)
					cmds[j] = pipe.Set(ctx, benchKey(k), v, 0)
				}
				_, _ = pipe.Exec(ctx) // per-command errors below
				mu.Lock()
				for j, cmd := range cmds {
					if e := cmd.Err(); e != nil {
						failed = append(failed, failedKey{b[j], failoverErrorKind(e)})
					} else {
						ok = append(ok, b[j])
					}
				}
				mu.Unlock()
			}
		})
	}
feed:
	for lo := 0; lo < len(keys); lo += plan.LoadBatch {
		select {
		case batches <- keys[lo:min(lo+plan.LoadBatch, len(keys))]:
		case <-ctx.Done():
			break feed
		}
	}
	close(batches)
	wg.Wait()
	return ok, failed, ctx.Err()
}

// watchConvergence looks at every node every plan.PollEvery until the roots
// agree and no hints are pending, or plan.ConvergeLimit after the restart
// began. The timeline it keeps is the first look at or after each mark, and
// the look at which each condition was first met.
func watchConvergence(ctx context.Context, env *Env, c *failoverCluster, plan failoverPlan, begin time.Time, res *ConvergenceResult) error {
	clients := make([]*redis.Client, len(c.t.Nodes))
	for i, p := range c.t.Nodes {
		clients[i] = newLoadClient(p.Addr, 1, 2*time.Second)
		defer clients[i].Close()
	}
	tick := time.NewTicker(plan.PollEvery)
	defer tick.Stop()
	var points []convergencePoint
	maxLooks := int(plan.ConvergeLimit/plan.PollEvery) + 2
	for range maxLooks {
		p := lookAt(ctx, clients, c.names)
		p.At = time.Since(begin)
		points = append(points, p)
		res.Looks++
		if p.Why == "" && p.Differing == 0 && res.Converged < 0 {
			res.Converged = p.At
			env.Logf("failover: every partition's owners show equal roots %v after the restart", p.At.Round(time.Millisecond))
		}
		if p.Why == "" && p.Hints == 0 && res.HintsZero < 0 {
			res.HintsZero = p.At
		}
		if (res.Converged >= 0 && res.HintsZero >= 0) || p.At >= plan.ConvergeLimit {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	res.Timeline = timelineAt(points, plan.Marks, res.Converged, res.HintsZero)
	if res.Converged < 0 {
		last := points[len(points)-1]
		env.Logf("failover: not converged %v after the restart: %d partitions differ %s", last.At.Round(time.Millisecond), last.Differing, last.Why)
	}
	return nil
}

// lookAt asks every node for its status (name, hints pending), the first node
// that answers for the ring, and every node for its roots; names are the node
// names by slot, from which an owner is matched to its roots.
func lookAt(ctx context.Context, clients []*redis.Client, names []string) convergencePoint {
	var p convergencePoint
	var why []string
	var owners map[int][]string
	roots := make(map[string]map[int]string, len(clients))
	for i, cl := range clients {
		st, err := cl.Do(ctx, "DYNAGO", "STATUS").Text()
		if err != nil {
			why = append(why, fmt.Sprintf("%s: STATUS: %v", names[i], err))
			continue
		}
		if v, ok := infoField(st, "hints_pending"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			p.Hints += n
		}
		if owners == nil {
			lines, err := cl.Do(ctx, "DYNAGO", "RING").StringSlice()
			if err == nil {
				owners, err = parseRingOwners(lines)
			}
			if err != nil {
				why = append(why, fmt.Sprintf("%s: RING: %v", names[i], err))
			}
		}
		reply, err := cl.Do(ctx, "DYNAGO", "TREES").Slice()
		if err == nil {
			roots[names[i]], err = parseTreeRoots(reply)
		}
		if err != nil {
			why = append(why, fmt.Sprintf("%s: TREES: %v", names[i], err))
		}
	}
	p.Differing = len(differingPartitions(owners, roots))
	p.Why = strings.Join(why, "; ")
	return p
}

// parseRingOwners reads DYNAGO RING: one line per partition, "P owner,owner,...".
func parseRingOwners(lines []string) (map[int][]string, error) {
	out := make(map[int][]string, len(lines))
	for _, line := range lines {
		ps, list, _ := strings.Cut(strings.TrimSpace(line), " ")
		p, err := strconv.Atoi(ps)
		if err != nil {
			return nil, fmt.Errorf("ring line %q: %v", line, err)
		}
		if list == "" {
			out[p] = nil
			continue
		}
		out[p] = strings.Split(list, ",")
	}
	return out, nil
}

// parseTreeRoots reads DYNAGO TREES: a flat array partition, root-hex, ...
func parseTreeRoots(reply []any) (map[int]string, error) {
	if len(reply)%2 != 0 {
		return nil, fmt.Errorf("%d elements, want pairs of partition and root", len(reply))
	}
	out := make(map[int]string, len(reply)/2)
	for i := 0; i < len(reply); i += 2 {
		p, ok := reply[i].(int64)
		if !ok {
			return nil, fmt.Errorf("element %d is %T, want a partition number", i, reply[i])
		}
		root, ok := reply[i+1].(string)
		if !ok {
			return nil, fmt.Errorf("element %d is %T, want a root", i+1, reply[i+1])
		}
		out[int(p)] = root
	}
	return out, nil
}

// differingPartitions returns, in order, the partitions whose owners do not
// all report the same root: an owner that reported no root for its
// partition (it did not answer, or does not consider itself an owner yet)
// counts as differing. With no ring known (nil owners), nothing can be
// compared and every partition some node reported differs.
func differingPartitions(owners map[int][]string, roots map[string]map[int]string) []int {
	var out []int
	if owners == nil {
		seen := map[int]bool{}
		for _, rs := range roots {
			for p := range rs {
				seen[p] = true
			}
		}
		for p := range seen {
			out = append(out, p)
		}
		if len(out) == 0 {
			out = append(out, -1) // nothing known: not converged
		}
		slices.Sort(out)
		return out
	}
	for p, list := range owners {
		var first string
		for i, o := range list {
			r, ok := roots[o][p]
			if !ok || (i > 0 && r != first) {
				out = append(out, p)
				break
			}
			first = r
		}
	}
	slices.Sort(out)
	return out
}

// timelineAt picks from points (in time order) the first at or after each
// mark, and the points at converged and hintsZero (when non-negative), in
// time order, each once. Marks after the last point are left out.
func timelineAt(points []convergencePoint, marks []time.Duration, converged, hintsZero time.Duration) []convergencePoint {
	pick := map[int]bool{}
	for _, m := range marks {
		if i := slices.IndexFunc(points, func(p convergencePoint) bool { return p.At >= m }); i >= 0 {
			pick[i] = true
		}
	}
	for _, at := range []time.Duration{converged, hintsZero} {
		if at < 0 {
			continue
		}
		if i := slices.IndexFunc(points, func(p convergencePoint) bool { return p.At == at }); i >= 0 {
			pick[i] = true
		}
	}
	var out []convergencePoint
	for i, p := range points {
		if pick[i] {
			out = append(out, p)
		}
	}
	return out
}

// sampleLocal reads plan.Sample keys, drawn from acked at random (the same
// draw every run), with DYNAGO LOCAL from addr and compares each with the
// key's latest value.
func sampleLocal(ctx context.Context, addr string, acked []int, plan failoverPlan) (localTally, error) {
	var t localTally
	keys := slices.Clone(acked)
	slices.Sort(keys)
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	keys = keys[:min(plan.Sample, len(keys))]
	cl := newLoadClient(addr, 1, 10*time.Second)
	defer cl.Close()
	pipe := cl.Pipeline()
	cmds := make([]*redis.Cmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.Do(ctx, "DYNAGO", "LOCAL", benchKey(k))
	}
	_, _ = pipe.Exec(ctx) // per-command errors below
	if err := ctx.Err(); err != nil {
		return t, err
	}
	want := make([]byte, plan.ValueSize)
	for i, k := range keys {
		convergeValue(want, k, plan.Overwrite)
		reply, err := cmds[i].Slice()
		t.add(classifyLocal(reply, err, want))
	}
	return t, nil
}

// localOutcome is what one DYNAGO LOCAL showed against the expected value.
type localOutcome int

const (
	localLatest localOutcome = iota
	localStale
	localSiblings
	localMissing
	localFailed
)

// classifyLocal compares a DYNAGO LOCAL reply ([context, value, ...], empty
// when the node has no copy) with the value last written.
func classifyLocal(reply []any, err error, want []byte) localOutcome {
	switch {
	case err != nil:
		return localFailed
	case len(reply) <= 1:
		return localMissing
	case len(reply) > 2:
		return localSiblings
	}
	v, ok := reply[1].(string)
	if !ok || !bytes.Equal([]byte(v), want) {
		return localStale
	}
	return localLatest
}

func (t *localTally) add(o localOutcome) {
	switch o {
	case localLatest:
		t.Latest++
	case localStale:
		t.Stale++
	case localSiblings:
		t.Siblings++
	case localMissing:
		t.Missing++
	default:
		t.Failed++
	}
}

// ---- node status ----

// nodeStatus returns the text of DYNAGO STATUS from addr.
func nodeStatus(ctx context.Context, addr string, timeout time.Duration) (string, error) {
	cl := newLoadClient(addr, 1, timeout)
	defer cl.Close()
	return cl.Do(ctx, "DYNAGO", "STATUS").Text()
}

// statusName returns the node field of DYNAGO STATUS.
func statusName(status string) (string, error) {
	name, ok := infoField(status, "node")
	if !ok || name == "" {
		return "", errors.New("no node name in DYNAGO STATUS")
	}
	return name, nil
}

// ---- report ----

// FailoverReport is the outcome of the failover scenario.
type FailoverReport struct {
	ErrorTarget    float64 // largest error fraction after a kill that meets the target
	ConvergeTarget time.Duration
	Availability   []*AvailabilityResult
	Convergence    *ConvergenceResult // nil if the part never ran
}

// verdict is PASS or MISS.
func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// formatPct formats a percentage with three decimals; "-" when undefined.
func formatPct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// formatSec formats a duration in seconds with one decimal.
func formatSec(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) }

// WriteTable prints each availability part as a table of windows with its
// error kinds and target line, then the convergence timeline and its target
// lines.
func (r *FailoverReport) WriteTable(w io.Writer) error {
	for _, a := range r.Availability {
		if err := a.writeTable(w, r.ErrorTarget); err != nil {
			return err
		}
	}
	if r.Convergence != nil {
		return r.Convergence.writeTable(w, r.ConvergeTarget)
	}
	return nil
}

func (a *AvailabilityResult) writeTable(w io.Writer, target float64) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nFailover: %s; kill -9 %s, restart on the same data and ports\n", a.Shape, strings.Join(a.Killed, " and "))
	fmt.Fprintf(&b, "%d writers, unpipelined SET of unique keys (-d %d), each to a random node the harness knows is up; %v timeouts, no retries\n",
		a.Writers, a.Value, a.Timeout)
	fmt.Fprintf(&b, "windows by completion time; latencies of successful requests; in-flight = errors of requests sent to a killed node before it was back\n")
	io.WriteString(w, b.String())
	if len(a.Windows) > 0 {
		tw := newTable()
		tw.row("window", "from s", "to s", "requests", "ok/s", "errors", "err %", "in-flight", "err % excl.", "p50 ms", "p99 ms", "max ms")
		for _, win := range a.Windows {
			okRate := "-"
			if d := win.To - win.From; d > 0 {
				okRate = formatOps(float64(win.OK) / d.Seconds())
			}
			lat := func(d time.Duration) string {
				if win.OK == 0 {
					return "-"
				}
				return formatMs(ms(d))
			}
			tw.row(win.Name, formatSec(win.From), formatSec(win.To), strconv.Itoa(win.Requests), okRate,
				strconv.Itoa(win.Errors), formatPct(win.ErrPct), strconv.Itoa(win.InFlight), formatPct(win.ErrPctExcl),
				lat(win.P50), lat(win.P99), lat(win.Max))
		}
		if err := tw.writeTo(w); err != nil {
			return err
		}
	}
	b.Reset()
	for _, e := range a.Errors {
		fmt.Fprintf(&b, "  errors: %d x %s\n", e.Count, e.Kind)
	}
	if a.Err != nil {
		fmt.Fprintf(&b, "  failed: %v\n", a.Err)
	}
	what := fmt.Sprintf("under %s%% errors in the %v after killing %d of %d nodes and over the whole run",
		formatPctShort(100*target), a.Down, len(a.Killed), a.Nodes)
	if len(a.Windows) < 5 || a.Err != nil {
		fmt.Fprintf(&b, "target: %s: not measured  MISS\n", what)
	} else {
		down, all := a.Windows[1], a.Windows[len(a.Windows)-1]
		fmt.Fprintf(&b, "target: %s: %s%% of %d requests after the kill (%s%% without the %d in flight to killed nodes), p99 %s ms; %s%% of %d over the whole run  %s\n",
			what, formatPct(down.ErrPct), down.Requests, formatPct(down.ErrPctExcl), down.InFlight,
			formatMs(ms(down.P99)), formatPct(all.ErrPct), all.Requests, verdict(availabilityVerdict(down, all, target)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// formatPctShort formats a target percentage without trailing zeros.
func formatPctShort(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func (c *ConvergenceResult) writeTable(w io.Writer, target time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nConvergence: %s\n", c.Shape)
	fmt.Fprintf(&b, "%d keys loaded (-d 100) in %s s; kill -9 %s; %d overwritten and %d new written through the survivors in %s s (write rounds: %d, first attempts failed: %d, never acknowledged: %d); %s restarted, answered PING after %s s\n",
		c.Keys, formatSec(c.Load), orDash(c.Killed), c.Overwrite, c.Add, formatSec(c.Write), c.WriteRounds,
		c.WriteFailures, c.Unacked, orDash(c.Killed), formatSec(c.Ready))
	for _, e := range c.WriteErrors {
		fmt.Fprintf(&b, "  write errors: %d x %s\n", e.Count, e.Kind)
	}
	if len(c.Timeline) > 0 {
		fmt.Fprintf(&b, "after the restart (t from starting the process again; %d looks at every node every %v: partitions whose owners' DYNAGO TREES roots differ, hints_pending of DYNAGO STATUS summed):\n", c.Looks, c.PollEvery)
	}
	io.WriteString(w, b.String())
	if len(c.Timeline) > 0 {
		tw := newTable()
		tw.row("t s", "partitions differing", "hints pending", "note")
		for _, p := range c.Timeline {
			var notes []string
			if p.At == c.Converged {
				notes = append(notes, "converged")
			}
			if p.At == c.HintsZero {
				notes = append(notes, "no hints pending")
			}
			if p.Why != "" {
				notes = append(notes, "incomplete: "+p.Why)
			}
			tw.row(strconv.FormatFloat(p.At.Seconds(), 'f', 2, 64), strconv.Itoa(p.Differing),
				strconv.FormatInt(p.Hints, 10), strings.Join(notes, ", "))
		}
		if err := tw.writeTo(w); err != nil {
			return err
		}
	}
	b.Reset()
	if c.HintsZero >= 0 {
		fmt.Fprintf(&b, "  hints pending 0 on every node %s s after the restart\n", formatSec(c.HintsZero))
	} else if c.Looks > 0 {
		fmt.Fprintf(&b, "  hints still pending %v after the restart\n", c.Limit)
	}
	if c.Err != nil {
		fmt.Fprintf(&b, "  failed: %v\n", c.Err)
	}
	what := fmt.Sprintf("every partition's owners show equal roots within %v of the restart", target)
	switch {
	case c.Converged >= 0:
		fmt.Fprintf(&b, "target: %s: %s s  %s\n", what, formatSec(c.Converged), verdict(c.Converged <= target))
	case c.Looks > 0:
		fmt.Fprintf(&b, "target: %s: not converged after %v  MISS\n", what, c.Limit)
	default:
		fmt.Fprintf(&b, "target: %s: not measured  MISS\n", what)
	}
	t := c.Sample
	if n := t.total(); n > 0 {
		fmt.Fprintf(&b, "check: DYNAGO LOCAL on %s shows the latest value of %d of %d sampled keys (%d stale, %d with siblings, %d missing, %d failed)  %s\n",
			c.Killed, t.Latest, n, t.Stale, t.Siblings, t.Missing, t.Failed, verdict(t.Latest == n))
	} else {
		fmt.Fprintf(&b, "check: DYNAGO LOCAL on the restarted node shows the latest values: not measured  MISS\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteBenchstat prints one line per availability window (the iteration
// count is the requests sent) and one for convergence.
func (r *FailoverReport) WriteBenchstat(w io.Writer) error {
	for _, a := range r.Availability {
		for _, win := range a.Windows {
			if win.Requests == 0 {
				continue
			}
			name := benchName("Failover", "nodes", strconv.Itoa(a.Nodes), "killed", strconv.Itoa(len(a.Killed)), "window", win.Name)
			if _, err := fmt.Fprintf(w, "%s\t%d\t%s err-pct\t%s err-excl-pct\t%.3f p50-ms\t%.3f p99-ms\n",
				name, win.Requests, formatPct(win.ErrPct), formatPct(win.ErrPctExcl), ms(win.P50), ms(win.P99)); err != nil {
				return err
			}
		}
	}
	c := r.Convergence
	if c == nil || c.Converged < 0 {
		return nil
	}
	name := benchName("Convergence", "nodes", strconv.Itoa(c.Nodes), "keys", strconv.Itoa(c.Keys))
	hints := c.HintsZero
	if hints < 0 {
		hints = c.Limit
	}
	_, err := fmt.Fprintf(w, "%s\t1\t%.3f converge-s\t%.3f hints-zero-s\n", name, c.Converged.Seconds(), hints.Seconds())
	return err
}
