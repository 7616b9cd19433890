// Package chaos runs a Dynago cluster of real processes under faults (kill
// -9, SIGSTOP, network cuts, membership changes) while clients write, then
// checks from the clients' history and the converged replicas that no
// acknowledged write was lost, no value appeared that nobody wrote, replicas
// agree and no read lists as siblings writes that were ordered in real time
// (siblings stay bounded by truly concurrent writers: with --strict-quorum
// on every read, under the default sloppy quorum outside the windows when
// a fault was active; see Bound).
//
// The checker (Check, CompareTrees) is pure: it takes a history and the
// final reads and is tested on hand-built histories. Run drives processes
// and clients around it.
package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// FaultRecord is one injected fault, as the run's log and summary show it.
type FaultRecord struct {
	Round int
	Fault Fault
	At    time.Duration // since the run's start
	// Healed is how long after the fault was undone the cluster was whole
	// again (every node seeing every member alive).
	Healed time.Duration
	Err    string // what went wrong injecting or healing it
}

// Tally counts the write attempts of one kind.
type Tally struct {
	Attempts, Acked, Failed, Indeterminate int
}

// Summary is the outcome of a run.
type Summary struct {
	Seed     uint64
	Nodes    int // at the start
	Elapsed  time.Duration
	Dir      string // the run's directory, when kept
	Faults   []FaultRecord
	Writes   map[Kind]Tally
	ReadErrs int // failed VGETs of clients (no write followed)
	Keys     int
	// Lost and Phantoms are the checker's counts; both must be zero.
	Lost, Phantoms int
	// MaxSiblings is the most siblings any read listed for a key, that
	// key, and its real-time bound (the most of its writes that were
	// concurrent in real time); MaxBound is the largest real-time bound of
	// any key. A read listing siblings beyond the bound is a violation
	// (siblingBound), unless Bound excuses them.
	MaxSiblings      int
	MaxSiblingsKey   string
	MaxSiblingsBound int
	MaxBound         int
	MaxBoundKey      string
	// Bound is the rule the reads were held to: strict, or sloppy with
	// the run's fault windows and settle time.
	Bound Bound
	// Excused is how many reads listed more siblings than the real-time
	// bound but were excused by fault windows, of ExcusedKeys keys.
	Excused, ExcusedKeys int
	// StaleDeletes are acked HDELs near a fault whose read missed the
	// field (Report.StaleDeletes).
	StaleDeletes int
	// ClientTime is how long the clients wrote, and Enforced how much of
	// it the real-time bound held over (Bound.Enforced).
	ClientTime, Enforced time.Duration
	LateOverwrites       []string
	// Notes are anomalies of the nodes that break no checked promise.
	Notes     []string
	Converged bool
	// ConvergeTime is how long after the last heal (clients stopped) every
	// partition's owners reported equal Merkle roots.
	ConvergeTime time.Duration
	Violations   []Violation
}

// maxListed bounds the violations Err and String spell out.
const maxListed = 20

// Err is nil when the run found no violation, else an error listing the
// first ones.
func (s Summary) Err() error {
	if len(s.Violations) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d violations (seed %d):", len(s.Violations), s.Seed)
	for i, v := range s.Violations {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  ... and %d more", len(s.Violations)-maxListed)
			break
		}
		b.WriteString("\n  " + v.String())
	}
	return errors.New(b.String())
}

func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d, %d nodes, %v\n", s.Seed, s.Nodes, s.Elapsed.Round(100*time.Millisecond))
	kinds := map[FaultKind]int{}
	for _, f := range s.Faults {
		kinds[f.Fault.Kind]++
	}
	var fk []string
	for _, k := range AllFaults {
		if kinds[k] > 0 {
			fk = append(fk, fmt.Sprintf("%s=%d", k, kinds[k]))
		}
	}
	fmt.Fprintf(&b, "faults injected: %d (%s)\n", len(s.Faults), strings.Join(fk, " "))
	for _, f := range s.Faults {
		state := fmt.Sprintf("whole %v after the heal", f.Healed.Round(10*time.Millisecond))
		if f.Err != "" {
			state = "FAILED"
		}
		fmt.Fprintf(&b, "  round %2d at %6.1fs: %s (%s)\n", f.Round, f.At.Seconds(), f.Fault, state)
	}
	var total Tally
	for _, k := range []Kind{KindSet, KindVSet, KindIncr, KindHSet, KindHDel, KindHIncr, KindSAdd, KindSRem, KindZAdd, KindZRem, KindZIncr} {
		t := s.Writes[k]
		if t.Attempts == 0 && k >= KindHSet {
			continue
		}
		fmt.Fprintf(&b, "  %-7s attempts=%d acked=%d indeterminate=%d failed=%d\n", k, t.Attempts, t.Acked, t.Indeterminate, t.Failed)
		total.Attempts += t.Attempts
		total.Acked += t.Acked
		total.Indeterminate += t.Indeterminate
		total.Failed += t.Failed
	}
	fmt.Fprintf(&b, "operations: %d writes, %d acked, %d indeterminate, %d failed; %d failed VGETs\n",
		total.Attempts, total.Acked, total.Indeterminate, total.Failed, s.ReadErrs)
	fmt.Fprintf(&b, "keys checked: %d; lost: %d; phantoms: %d; max siblings: %d (%s, whose real-time bound is %d); largest bound: %d (%s)\n",
		s.Keys, s.Lost, s.Phantoms, s.MaxSiblings, s.MaxSiblingsKey, s.MaxSiblingsBound, s.MaxBound, s.MaxBoundKey)
	if s.Bound.Strict {
		fmt.Fprintf(&b, "sibling bound: strict quorum: every read held to the real-time bound, over all %v of the clients' writing\n",
			s.ClientTime.Round(100*time.Millisecond))
	} else {
		fmt.Fprintf(&b, "sibling bound: sloppy quorum: the real-time bound held over %v of the clients' %v, outside %d fault windows widened by settle %v; %d reads over it excused (%d keys)\n",
			s.Enforced.Round(100*time.Millisecond), s.ClientTime.Round(100*time.Millisecond), len(s.Bound.Windows), s.Bound.Settle, s.Excused, s.ExcusedKeys)
		if s.StaleDeletes > 0 {
			fmt.Fprintf(&b, "hash deletes near a fault whose quorum read missed the field (excused under sloppy quorum): %d\n", s.StaleDeletes)
		}
	}
	if s.Converged {
		fmt.Fprintf(&b, "converged %v after the last heal\n", s.ConvergeTime.Round(10*time.Millisecond))
	} else {
		b.WriteString("did not converge\n")
	}
	if len(s.LateOverwrites) > 0 {
		fmt.Fprintf(&b, "late overwrites (an earlier indeterminate SET won over a later acked one): %d\n", len(s.LateOverwrites))
		for i, l := range s.LateOverwrites {
			if i == maxListed {
				break
			}
			b.WriteString("  " + l + "\n")
		}
	}
	for _, n := range s.Notes {
		b.WriteString("note: " + n + "\n")
	}
	fmt.Fprintf(&b, "violations: %d%s\n", len(s.Violations), byRule(s.Violations))
	for i, v := range s.Violations {
		if i == maxListed {
			fmt.Fprintf(&b, "  ... and %d more\n", len(s.Violations)-maxListed)
			break
		}
		b.WriteString("  " + v.String() + "\n")
	}
	if s.Dir != "" {
		fmt.Fprintf(&b, "kept %s (node logs, history.jsonl, faults.jsonl)\n", s.Dir)
	}
	return b.String()
}

// byRule counts violations by kind and, for siblings, by rule: " (lost=1
// siblings[no-fault]=2)"; empty for none.
func byRule(vs []Violation) string {
	n := map[string]int{}
	var order []string
	for _, v := range vs {
		k := v.Kind
		if v.Rule != "" {
			k += "[" + v.Rule + "]"
		}
		if n[k] == 0 {
			order = append(order, k)
		}
		n[k]++
	}
	if len(order) == 0 {
		return ""
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%s=%d", k, n[k])
	}
	return " (" + strings.Join(parts, " ") + ")"
}

// run is the state of one Run.
type run struct {
	cfg   Config
	start time.Time
	logMu sync.Mutex
	log   io.Writer
	cl    *cluster
	rng   *rand.Rand // the harness's own choices (which node to join through)
	viol  []Violation
	// windows are the faults' active intervals; those with a zero End are
	// still open (see FaultWindow). Only the run's goroutine touches them.
	windows []FaultWindow
}

// openWindow records that f begins now (before it is injected).
func (r *run) openWindow(round int, f Fault) {
	r.windows = append(r.windows, FaultWindow{Fault: fmt.Sprintf("round %d (%s)", round, f), Start: time.Now()})
}

// closeWindows ends every open window now: the cluster was just seen
// whole.
func (r *run) closeWindows() {
	now := time.Now()
	for i := range r.windows {
		if r.windows[i].End.IsZero() {
			r.windows[i].End = now
		}
	}
}

func (r *run) logf(format string, args ...any) {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	fmt.Fprintf(r.log, "[%7.2fs] %s\n", time.Since(r.start).Seconds(), fmt.Sprintf(format, args...))
}

func (r *run) violation(kind, format string, args ...any) {
	v := Violation{Kind: kind, Detail: fmt.Sprintf(format, args...)}
	r.logf("VIOLATION %s", v)
	r.viol = append(r.viol, v)
}

// Run starts a cluster, runs the clients through cfg.Rounds faults, heals
// everything, waits for the replicas to converge, reads every key from every
// node and checks the history. It returns the summary and, when any
// violation was found, an error listing them; an error while the summary
// lists no violation means the run could not take place. Every process it
// started is killed, and every goroutine it started has ended, when it
// returns.
func Run(ctx context.Context, cfg Config, log io.Writer) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	r := &run{cfg: cfg, start: time.Now(), log: log, rng: rand.New(rand.NewPCG(cfg.Seed, 1))}
	sum := Summary{Seed: cfg.Seed, Nodes: cfg.Nodes}

	root, err := os.MkdirTemp(cfg.Dir, "dynago-chaos-")
	if err != nil {
		return sum, err
	}
	if cfg.KeepDir {
		sum.Dir = root
	} else {
		defer os.RemoveAll(root)
	}
	bin := cfg.Bin
	if bin == "" {
		r.logf("building ./cmd/dynago")
		if bin, err = buildBinary(ctx, root); err != nil {
			return sum, err
		}
	}
	r.logf("seed %d; run directory %s", cfg.Seed, root)

	r.cl = newCluster(cfg, bin, root, r.logf)
	defer r.cl.closeAll()
	if err := r.startCluster(ctx); err != nil {
		return sum, err
	}

	w := newWorkload(cfg, r.cl)
	clientsFrom := time.Now()
	w.start(ctx)
	defer w.finish() // on an early return; finish is idempotent
	r.logf("%d clients writing (%d SET, %d VSET, %d INCR, %d hash) over %d keys",
		len(w.clients), cfg.SetClients, cfg.VSetClients, cfg.CounterClients, cfg.HashClients, len(kindsOf(w.clients)))
	if err := sleep(ctx, cfg.Settle); err != nil {
		return sum, err
	}

	sum.Faults = r.rounds(ctx, w)
	if cfg.Tail > 0 && ctx.Err() == nil {
		r.logf("the clients write %v more on the whole cluster", cfg.Tail)
		_ = sleep(ctx, cfg.Tail) // an ended ctx is seen below
	}
	history := w.finish()
	clientsTo := time.Now()
	r.logf("clients stopped: %d writes, %d acked, %d indeterminate", w.attempts.Load(), w.acked.Load(), w.indet.Load())
	if err := ctx.Err(); err != nil {
		return sum, err
	}

	// A cluster that is not whole cannot converge: one look says why,
	// rather than a wait for ConvergeTimeout.
	wait := r.cfg.ConvergeTimeout
	if !r.healAll(ctx) {
		wait = 0
	}
	sum.Converged, sum.ConvergeTime = r.converge(ctx, wait)
	final := r.readAll(ctx, kindsOf(w.clients))
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	bound := Bound{Strict: cfg.StrictQuorum, Windows: r.windows, Settle: settleFor(cfg)}
	rep := Check(history, final, bound)
	if err := writeLines(filepath.Join(root, "history.jsonl"), history); err != nil {
		r.logf("writing the history: %v", err)
	}
	if err := writeLines(filepath.Join(root, "faults.jsonl"), r.windows); err != nil {
		r.logf("writing the fault windows: %v", err)
	}

	sum.Writes = map[Kind]Tally{}
	for _, wr := range history {
		t := sum.Writes[wr.Kind]
		t.Attempts++
		switch wr.Outcome {
		case Acked:
			t.Acked++
		case Failed:
			t.Failed++
		case Indeterminate:
			t.Indeterminate++
		}
		sum.Writes[wr.Kind] = t
	}
	sum.ReadErrs = int(w.readErrs.Load())
	sum.Keys, sum.Lost, sum.Phantoms = rep.Keys, rep.Lost, rep.Phantoms
	sum.MaxSiblings, sum.MaxSiblingsKey, sum.MaxSiblingsBound = rep.MaxSiblings, rep.MaxSiblingsKey, rep.MaxSiblingsBound
	sum.MaxBound, sum.MaxBoundKey = rep.MaxBound, rep.MaxBoundKey
	sum.Bound, sum.Excused, sum.ExcusedKeys, sum.StaleDeletes = bound, rep.Excused, rep.ExcusedKeys, rep.StaleDeletes
	sum.ClientTime, sum.Enforced = clientsTo.Sub(clientsFrom), bound.Enforced(clientsFrom, clientsTo)
	sum.LateOverwrites = rep.LateOverwrites
	sum.Notes = r.cl.notes
	sum.Violations = append(r.viol, rep.Violations...)
	sum.Elapsed = time.Since(r.start)
	return sum, sum.Err()
}

// startCluster starts cfg.Nodes nodes, the others joining the first, and
// waits until every node sees every other alive.
func (r *run) startCluster(ctx context.Context) error {
	first, err := r.cl.startNode(ctx, "")
	if err != nil {
		return err
	}
	for i := 1; i < r.cfg.Nodes; i++ {
		if _, err := r.cl.startNode(ctx, first.gossipAddr); err != nil {
			return err
		}
	}
	if err := r.cl.waitWhole(ctx, r.cfg.HealTimeout); err != nil {
		return err
	}
	r.logf("cluster of %d nodes formed: %s", r.cfg.Nodes, strings.Join(names(r.cl.nodes), " "))
	return nil
}

// rounds injects one fault per round, holds it, undoes it and waits for
// the cluster to be whole again, until cfg.Rounds or cfg.Duration.
func (r *run) rounds(ctx context.Context, w *workload) []FaultRecord {
	kinds := r.cfg.Faults
	if len(kinds) == 0 {
		kinds = r.cfg.Schedule
	}
	p := newPlanner(r.cfg.Seed, kinds, r.cfg.Nodes, r.cfg.Replicas)
	var out []FaultRecord
	begin := time.Now()
	for round := 1; round <= r.cfg.Rounds; round++ {
		if ctx.Err() != nil || time.Since(begin) > r.cfg.Duration {
			break
		}
		var want FaultKind
		if len(r.cfg.Schedule) > 0 {
			want = r.cfg.Schedule[(round-1)%len(r.cfg.Schedule)]
		}
		r.restartKilled(ctx)
		f, ok := p.next(names(r.cl.live()), want)
		if !ok {
			r.logf("round %d: no fault fits the cluster", round)
			break
		}
		rec := FaultRecord{Round: round, Fault: f, At: time.Since(r.start)}
		r.logf("round %d: %s", round, f)
		if windowed(f.Kind) {
			r.openWindow(round, f)
		}
		err := r.inject(ctx, f)
		healedAt := time.Now()
		if err != nil {
			rec.Err = err.Error()
			r.violation(FaultFailed, "round %d (%s): %v", round, f, err)
		}
		state := "whole again"
		if err := r.cl.waitWhole(ctx, r.cfg.HealTimeout); err != nil {
			rec.Err = strings.TrimPrefix(rec.Err+"; "+err.Error(), "; ")
			r.violation(Unhealed, "round %d (%s): %v", round, f, err)
			state = "still not whole"
		} else {
			r.closeWindows()
		}
		rec.Healed = time.Since(healedAt)
		out = append(out, rec)
		r.logf("round %d: %s after %v; so far %d writes, %d acked, %d indeterminate",
			round, state, rec.Healed.Round(10*time.Millisecond), w.attempts.Load(), w.acked.Load(), w.indet.Load())
		if rec.Err != "" {
			// More faults on a cluster that did not recover from this one
			// would only bury the first failure.
			r.logf("no more rounds: round %d did not recover", round)
			break
		}
		if err := sleep(ctx, r.cfg.Settle); err != nil {
			break
		}
	}
	return out
}

// inject applies f, holds it for cfg.Hold, and undoes it.
func (r *run) inject(ctx context.Context, f Fault) error {
	cl := r.cl
	targets := make([]*node, len(f.Targets))
	for i, t := range f.Targets {
		targets[i] = cl.byName(t)
	}
	switch f.Kind {
	case FaultKill, FaultKill2:
		var errs []error
		for _, n := range targets {
			errs = append(errs, cl.kill(n))
		}
		if err := sleep(ctx, r.cfg.Hold); err != nil {
			return err
		}
		for _, n := range targets {
			if err := cl.restart(ctx, n); err != nil {
				errs = append(errs, fmt.Errorf("restart: %w", err))
			}
		}
		return errors.Join(errs...)
	case FaultStop:
		n := targets[0]
		if err := cl.stop(n); err != nil {
			return err
		}
		err := sleep(ctx, r.cfg.Hold)
		return errors.Join(err, cl.cont(n))
	case FaultCut:
		err := cl.cut(ctx, f.Sides)
		if err == nil {
			err = sleep(ctx, r.cfg.Hold)
		}
		return errors.Join(err, cl.heal(ctx))
	case FaultJoin:
		up := cl.running()
		if len(up) == 0 {
			return errors.New("no running node to join through")
		}
		via := up[r.rng.IntN(len(up))]
		n, err := cl.startNode(ctx, via.gossipAddr)
		if err != nil {
			return err
		}
		r.logf("%s joined through %s", n.name, via.name)
		return sleep(ctx, r.cfg.Hold)
	case FaultLeave:
		if err := cl.leave(ctx, targets[0], r.cfg.ConvergeTimeout); err != nil {
			return err
		}
		return sleep(ctx, r.cfg.Hold)
	case FaultRemove:
		if err := cl.remove(ctx, targets[0], r.cfg.HealTimeout); err != nil {
			return err
		}
		return sleep(ctx, r.cfg.Hold)
	}
	return fmt.Errorf("unknown fault kind %q", f.Kind)
}

// restartKilled restarts nodes a failed restart left down, so that a
// round never acts on a node that is not running.
func (r *run) restartKilled(ctx context.Context) {
	for _, n := range r.cl.nodes {
		if n.state == stateKilled {
			if err := r.cl.restart(ctx, n); err != nil {
				r.violation(FaultFailed, "restart %s again: %v", n.name, err)
			}
		}
	}
}

// healAll undoes anything still in effect: resumes stopped nodes, restarts
// killed ones, clears every cut, and waits for the cluster to be whole,
// which it reports.
func (r *run) healAll(ctx context.Context) bool {
	cl := r.cl
	for _, n := range cl.nodes {
		switch n.state {
		case stateStopped:
			if err := cl.cont(n); err != nil {
				r.violation(FaultFailed, "final heal: SIGCONT %s: %v", n.name, err)
			}
		case stateKilled:
			if err := cl.restart(ctx, n); err != nil {
				r.violation(FaultFailed, "final heal: restart %s: %v", n.name, err)
			}
		}
	}
	if err := cl.heal(ctx); err != nil {
		r.violation(FaultFailed, "final heal: %v", err)
	}
	if err := cl.waitWhole(ctx, r.cfg.HealTimeout); err != nil {
		r.violation(Unhealed, "final heal: %v", err)
		return false
	}
	r.closeWindows() // of a round that did not recover
	r.logf("everything healed: %s", strings.Join(names(cl.running()), " "))
	return true
}

// converge polls the nodes until every partition's owners report the same
// Merkle root and no hints or transfers are pending, or timeout.
func (r *run) converge(ctx context.Context, timeout time.Duration) (bool, time.Duration) {
	begin := time.Now()
	deadline := begin.Add(timeout)
	last := ""
	for {
		s := r.cl.look(ctx)
		if s.why == "" {
			d := time.Since(begin)
			r.logf("converged after %v: %d partitions, %d roots compared", d.Round(10*time.Millisecond), len(s.owners), s.compared())
			return true, d
		}
		if s.why != last {
			r.logf("not converged: %s", s.why)
			last = s.why
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.violation(NotConverged, "after %v: %s", time.Since(begin).Round(10*time.Millisecond), s.why)
			return false, time.Since(begin)
		}
		if sleep(ctx, 500*time.Millisecond) != nil {
			return false, time.Since(begin)
		}
	}
}

// readAll reads every key through one node (PREFLIST for its owners, VGET
// and GET, or HGETALL for a hash and HGET for a counter field) and from
// every running node's own copy (DYNAGO LOCAL).
func (r *run) readAll(ctx context.Context, kinds map[string]Kind) Final {
	keys := slices.Sorted(maps.Keys(kinds))
	final := make(Final, len(keys))
	running := r.cl.running()
	if len(running) == 0 {
		r.violation(Harness, "final reads: no running node")
		return final
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ConvergeTimeout)
	defer cancel()
	via := running[0]
	pipe := via.client.Pipeline()
	prefs := make([]*redis.Cmd, len(keys))
	vgets := make([]*redis.Cmd, len(keys))
	gets := make([]*redis.StringCmd, len(keys))
	hashes := make([]*redis.MapStringStringCmd, len(keys))
	members := make([]*redis.StringSliceCmd, len(keys))
	scored := make([]*redis.ZSliceCmd, len(keys))
	for i, k := range keys {
		prefs[i] = pipe.Do(ctx, "DYNAGO", "PREFLIST", k)
		vgets[i] = pipe.Do(ctx, "VGET", k)
		switch kinds[k] {
		case KindHSet:
			hashes[i] = pipe.HGetAll(ctx, k)
		case KindSAdd:
			members[i] = pipe.SMembers(ctx, k)
		case KindZAdd:
			scored[i] = pipe.ZRangeWithScores(ctx, k, 0, -1)
		case KindHIncr:
			gets[i] = pipe.HGet(ctx, k, "n")
		case KindZIncr:
			cmd := redis.NewStringCmd(ctx, "ZSCORE", k, "n")
			_ = pipe.Process(ctx, cmd)
			gets[i] = cmd
		default:
			gets[i] = pipe.Get(ctx, k)
		}
	}
	_, _ = pipe.Exec(ctx) // each command's error is looked at below
	for i, k := range keys {
		kr := KeyRead{Local: map[string]Reply{}}
		owners, err := preflistOwners(prefs[i])
		if err != nil {
			r.violation(Harness, "final reads: DYNAGO PREFLIST %s on %s: %v", k, via.name, err)
		}
		kr.Owners = owners
		kr.Quorum = versionsReply(vgets[i])
		if gets[i] != nil {
			kr.Get = getReply(gets[i])
		}
		if hashes[i] != nil {
			if kr.Hash, err = hashes[i].Result(); err != nil {
				kr.HashErr = err.Error()
			}
		}
		if scored[i] != nil {
			zs, err := scored[i].Result()
			if err != nil {
				kr.HashErr = err.Error()
			}
			kr.Hash = map[string]string{}
			for _, z := range zs {
				kr.Hash[fmt.Sprint(z.Member)] = strconv.FormatFloat(z.Score, 'f', -1, 64) // a member's value is its score
			}
		}
		if members[i] != nil {
			ms, err := members[i].Result()
			if err != nil {
				kr.HashErr = err.Error()
			}
			kr.Hash = map[string]string{}
			for _, m := range ms {
				kr.Hash[m] = "" // a member has no value
			}
		}
		final[k] = kr
	}
	for _, n := range running {
		pipe := n.client.Pipeline()
		cmds := make([]*redis.Cmd, len(keys))
		for i, k := range keys {
			cmds[i] = pipe.Do(ctx, "DYNAGO", "LOCAL", k)
		}
		_, _ = pipe.Exec(ctx)
		for i, k := range keys {
			final[k].Local[n.name] = versionsReply(cmds[i])
		}
	}
	return final
}

// preflistOwners reads DYNAGO PREFLIST's reply: [partition, [owners...],
// [fallbacks...]].
func preflistOwners(cmd *redis.Cmd) ([]string, error) {
	reply, err := cmd.Slice()
	if err != nil {
		return nil, err
	}
	if len(reply) != 3 {
		return nil, fmt.Errorf("%d elements, want 3", len(reply))
	}
	list, ok := reply[1].([]any)
	if !ok {
		return nil, fmt.Errorf("owners of type %T", reply[1])
	}
	owners := make([]string, 0, len(list))
	for _, o := range list {
		s, ok := o.(string)
		if !ok {
			return nil, fmt.Errorf("owner of type %T", o)
		}
		owners = append(owners, s)
	}
	return owners, nil
}

// versionsReply turns a VGET or DYNAGO LOCAL answer into a Reply.
func versionsReply(cmd *redis.Cmd) Reply {
	reply, err := cmd.Slice()
	if err != nil {
		return Reply{Err: err.Error()}
	}
	r, err := parseVersions(reply)
	if err != nil {
		return Reply{Err: err.Error()}
	}
	return r
}

// getReply turns a GET answer into a Reply of at most one value.
func getReply(cmd *redis.StringCmd) Reply {
	v, err := cmd.Result()
	switch {
	case errors.Is(err, redis.Nil):
		return Reply{}
	case err != nil:
		return Reply{Err: err.Error()}
	}
	return Reply{Found: true, Values: []string{v}}
}

// writeLines stores items as JSON lines, for a kept run directory.
func writeLines[T any](path string, items []T) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	enc := json.NewEncoder(bw)
	for _, w := range items {
		if err := enc.Encode(w); err != nil {
			f.Close()
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
