package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Operations of the fixed-rate run, indexes into per-operation arrays.
const (
	opGet = iota
	opSet
	numOps
)

var opNames = [numOps]string{"GET", "SET"}

// rateRequests returns how many requests rate per second sends in d.
func rateRequests(rate int, d time.Duration) int {
	return int(math.Round(float64(rate) * d.Seconds()))
}

// pacedPlan is a fixed-rate run: request i (operation Ops[i]) is due at
// start + i*Interval.
type pacedPlan struct {
	Ops      []uint8
	Interval time.Duration
	// Workers is the most requests in flight. A request due while all are
	// busy waits, and the wait counts in its latency.
	Workers int
	// Limit, counted from start, ends the run: requests not yet sent stay
	// unsent and those in flight are cancelled (and count as errors).
	Limit time.Duration
}

// pacedOutcome is what a fixed-rate run observed, per operation.
type pacedOutcome struct {
	Sent, OK, Errors, Misses [numOps]int
	// Latencies of the successful requests, each from its due time to its
	// reply; unsorted.
	Latencies [numOps][]time.Duration
	// Service holds the same requests' times from being sent to the reply,
	// without the wait for a free worker; unsorted.
	Service []time.Duration
	// ErrorKinds counts the failed requests by errorKind.
	ErrorKinds map[string]int
	// Elapsed is from the first due time to the last reply.
	Elapsed time.Duration
}

// maxErrorKinds bounds the distinct error kinds kept; further kinds are
// counted under otherErrors.
const (
	maxErrorKinds = 8
	otherErrors   = "other errors"
)

// addErrors counts n errors of one kind.
func (o *pacedOutcome) addErrors(kind string, n int) {
	if o.ErrorKinds == nil {
		o.ErrorKinds = map[string]int{}
	}
	if _, ok := o.ErrorKinds[kind]; !ok && len(o.ErrorKinds) >= maxErrorKinds {
		kind = otherErrors
	}
	o.ErrorKinds[kind] += n
}

// merge adds p's counts and latencies to o.
func (o *pacedOutcome) merge(p *pacedOutcome) {
	for op := range numOps {
		o.Sent[op] += p.Sent[op]
		o.OK[op] += p.OK[op]
		o.Errors[op] += p.Errors[op]
		o.Misses[op] += p.Misses[op]
		o.Latencies[op] = append(o.Latencies[op], p.Latencies[op]...)
	}
	o.Service = append(o.Service, p.Service...)
	for k, n := range p.ErrorKinds {
		o.addErrors(k, n)
	}
}

// runPaced sends the plan's requests through do, each no earlier than its
// due time, from at most plan.Workers goroutines. Latency is measured from
// the due time, not from when a worker got to the request: the load does not
// slow down when the server does (an open loop), so a stall shows in the
// latencies of every request that was due during it instead of hiding in
// fewer requests sent. do reports a GET of a missing key as a miss.
func runPaced(ctx context.Context, plan pacedPlan, do func(ctx context.Context, i int) (miss bool, err error)) pacedOutcome {
	start := time.Now()
	ctx, cancel := context.WithDeadline(ctx, start.Add(plan.Limit))
	defer cancel()
	// Every request fits in the queue, so the dispatcher never waits for a
	// worker and keeps to the schedule.
	jobs := make(chan int, len(plan.Ops))
	parts := make([]pacedOutcome, plan.Workers)
	lastDone := make([]time.Time, plan.Workers)
	var wg sync.WaitGroup
	for w := range plan.Workers {
		wg.Go(func() {
			o := &parts[w]
			for i := range jobs {
				if ctx.Err() != nil {
					return // the rest stays unsent
				}
				op := plan.Ops[i]
				due := start.Add(time.Duration(i) * plan.Interval)
				o.Sent[op]++
				sent := time.Now()
				miss, err := do(ctx, i)
				now := time.Now()
				lastDone[w] = now
				if err != nil {
					o.Errors[op]++
					o.addErrors(errorKind(err), 1)
					continue
				}
				o.OK[op]++
				if miss {
					o.Misses[op]++
				}
				o.Latencies[op] = append(o.Latencies[op], now.Sub(due))
				o.Service = append(o.Service, now.Sub(sent))
			}
		})
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
dispatch:
	for i := range plan.Ops {
		if d := time.Until(start.Add(time.Duration(i) * plan.Interval)); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				break dispatch
			}
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	var out pacedOutcome
	var last time.Time
	for w := range parts {
		out.merge(&parts[w])
		if lastDone[w].After(last) {
			last = lastDone[w]
		}
	}
	if !last.IsZero() {
		out.Elapsed = last.Sub(start)
	}
	return out
}

// errorKind names a failed request's error for counting: timeouts as one
// kind whatever connection they hit, server error replies by their text.
func errorKind(err error) string {
	var ne net.Error
	var re redis.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "cut off at the end of the run"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &re):
		msg := re.Error()
		if len(msg) > 80 {
			msg = msg[:80] + "..."
		}
		return msg
	default:
		return err.Error()
	}
}

// RateRow is one operation's numbers in a fixed-rate run (Op "all" for all
// of them together, "service" for all of them timed from being sent rather
// than from being due). Latencies are of successful requests.
type RateRow struct {
	Op                               string
	Scheduled, Sent, OK, Errors, Nil int
	P50, P99, P999, Max              time.Duration
}

// ErrorCount is how many requests failed with one kind of error.
type ErrorCount struct {
	Kind  string
	Count int
}

// RateReport is the outcome of a fixed-rate run.
type RateReport struct {
	Target    string // endpoint name, e.g. "cluster-via-3"
	Shape     string // e.g. "3 nodes, N=3 R=2 W=2"
	Rate      int
	Duration  time.Duration
	Conns     int
	ReadRatio float64
	ValueSize int
	Keyspace  int
	Elapsed   time.Duration
	Rows      []RateRow // GET, SET, all, service
	Errors    []ErrorCount
}

// summarizeRate turns a run's outcome into report rows: one per operation,
// then "all", then "service" (all, timed from being sent). scheduled is how
// many requests of each operation were planned.
func summarizeRate(o pacedOutcome, scheduled [numOps]int) ([]RateRow, []ErrorCount) {
	var rows []RateRow
	all := RateRow{Op: "all"}
	var allLat []time.Duration
	for op := range numOps {
		lat := slices.Clone(o.Latencies[op])
		slices.Sort(lat)
		rows = append(rows, latencyRow(RateRow{
			Op: opNames[op], Scheduled: scheduled[op], Sent: o.Sent[op], OK: o.OK[op], Errors: o.Errors[op], Nil: o.Misses[op],
		}, lat))
		all.Scheduled += scheduled[op]
		all.Sent += o.Sent[op]
		all.OK += o.OK[op]
		all.Errors += o.Errors[op]
		all.Nil += o.Misses[op]
		allLat = append(allLat, lat...)
	}
	slices.Sort(allLat)
	rows = append(rows, latencyRow(all, allLat))
	service := all
	service.Op = "service"
	svc := slices.Clone(o.Service)
	slices.Sort(svc)
	rows = append(rows, latencyRow(service, svc))
	var errs []ErrorCount
	for k, n := range o.ErrorKinds {
		errs = append(errs, ErrorCount{Kind: k, Count: n})
	}
	slices.SortFunc(errs, func(a, b ErrorCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Kind, b.Kind))
	})
	return rows, errs
}

func latencyRow(r RateRow, sorted []time.Duration) RateRow {
	r.P50 = nearestRank(sorted, 0.50)
	r.P99 = nearestRank(sorted, 0.99)
	r.P999 = nearestRank(sorted, 0.999)
	if len(sorted) > 0 {
		r.Max = sorted[len(sorted)-1]
	}
	return r
}

// runRate sends cfg.Rate unpipelined GETs and SETs per second for
// cfg.RateDuration to the given addresses, request i to node i mod n. Keys
// are drawn from the same key space redis-benchmark -r uses
// (key:000000000000 ..), so GETs find what the SET rounds wrote. The run is
// bounded in requests (rate times duration) and in time (duration plus one
// request timeout plus a second).
func runRate(ctx context.Context, env *Env, cfg Config, name string, addrs []string, spec ClusterSpec) (*RateReport, error) {
	n := rateRequests(cfg.Rate, cfg.RateDuration)
	rng := rand.New(rand.NewPCG(1, 2)) // the same requests every run
	ops := make([]uint8, n)
	keys := make([]string, n)
	var scheduled [numOps]int
	for i := range n {
		if rng.Float64() >= cfg.RateReadRatio {
			ops[i] = opSet
		}
		scheduled[ops[i]]++
		keys[i] = fmt.Sprintf("key:%012d", rng.IntN(cfg.Keyspace))
	}
	value := make([]byte, cfg.ValueSize)
	fillValue(value, 0)

	clients := make([]*redis.Client, len(addrs))
	for i, a := range addrs {
		clients[i] = newLoadClient(a, cfg.RateConns, cfg.RateTimeout)
		defer clients[i].Close()
	}
	if err := warmUp(ctx, clients, (cfg.RateConns+len(clients)-1)/len(clients), cfg.RateTimeout); err != nil {
		return nil, fmt.Errorf("fixed rate: %w", err)
	}
	plan := pacedPlan{
		Ops:      ops,
		Interval: time.Duration(float64(time.Second) / float64(cfg.Rate)),
		Workers:  cfg.RateConns,
		Limit:    cfg.RateDuration + cfg.RateTimeout + time.Second,
	}
	env.Logf("fixed rate: %d requests at %d/s to %s (%d nodes), at most %d in flight", n, cfg.Rate, name, len(addrs), cfg.RateConns)
	o := runPaced(ctx, plan, func(ctx context.Context, i int) (bool, error) {
		c := clients[i%len(clients)]
		if ops[i] == opGet {
			err := c.Get(ctx, keys[i]).Err()
			if errors.Is(err, redis.Nil) {
				return true, nil
			}
			return false, err
		}
		return false, c.Set(ctx, keys[i], value, 0).Err()
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := &RateReport{
		Target:    name,
		Shape:     fmt.Sprintf("%d nodes, N=%d R=%d W=%d", spec.Nodes, spec.N, spec.R, spec.W),
		Rate:      cfg.Rate,
		Duration:  cfg.RateDuration,
		Conns:     cfg.RateConns,
		ReadRatio: cfg.RateReadRatio,
		ValueSize: cfg.ValueSize,
		Keyspace:  cfg.Keyspace,
		Elapsed:   o.Elapsed,
	}
	rep.Rows, rep.Errors = summarizeRate(o, scheduled)
	all := rep.Rows[numOps]
	env.Logf("fixed rate: %d ok, %d errors, %d unsent in %v; p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms",
		all.OK, all.Errors, all.Scheduled-all.Sent, o.Elapsed.Round(time.Millisecond), ms(all.P50), ms(all.P99), ms(all.P999))
	return rep, nil
}

// warmUp opens conns connections per client (concurrent PINGs), so that
// dialing does not count in the first requests' latencies.
func warmUp(ctx context.Context, clients []*redis.Client, conns int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout+time.Second)
	defer cancel()
	errs := make([]error, len(clients)*conns)
	var wg sync.WaitGroup
	for i, c := range clients {
		for j := range conns {
			wg.Go(func() { errs[i*conns+j] = c.Ping(ctx).Err() })
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("PING %s: %w", clients[i/conns].Options().Addr, err)
		}
	}
	return nil
}

// ms converts a duration to milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// WriteTable prints one row per operation and one for all, then the error
// kinds.
func (r *RateReport) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "\nFixed rate: %d requests/s for %v to %s (%s), unpipelined, %.0f%% GET / %.0f%% SET, -d %d -r %d, at most %d in flight\n",
		r.Rate, r.Duration, r.Target, r.Shape, 100*r.ReadRatio, 100*(1-r.ReadRatio), r.ValueSize, r.Keyspace, r.Conns)
	fmt.Fprintf(w, "latency from each request's scheduled send time (open loop), successful requests only; service = all, timed from the actual send; nil = GETs of keys never set\n")
	tw := newTable()
	tw.row("op", "scheduled", "sent", "ok", "errors", "nil", "ok/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms")
	for _, row := range r.Rows {
		okRate := "-"
		if r.Elapsed > 0 {
			okRate = formatOps(float64(row.OK) / r.Elapsed.Seconds())
		}
		lat := func(d time.Duration) string {
			if row.OK == 0 {
				return "-"
			}
			return formatMs(ms(d))
		}
		tw.row(row.Op, strconv.Itoa(row.Scheduled), strconv.Itoa(row.Sent), strconv.Itoa(row.OK),
			strconv.Itoa(row.Errors), strconv.Itoa(row.Nil), okRate, lat(row.P50), lat(row.P99), lat(row.P999), lat(row.Max))
	}
	if err := tw.writeTo(w); err != nil {
		return err
	}
	if behind := r.behind(); behind != "" {
		if _, err := fmt.Fprintf(w, "  %s\n", behind); err != nil {
			return err
		}
	}
	for _, e := range r.Errors {
		if _, err := fmt.Fprintf(w, "  errors: %d x %s\n", e.Count, e.Kind); err != nil {
			return err
		}
	}
	return nil
}

// behindSlack is how far below the scheduled rate the served rate may fall
// before the report says the target could not keep up.
const behindSlack = 0.95

// behind says, if the target could not keep up with the schedule, by how
// much; empty if it kept up.
func (r *RateReport) behind() string {
	if len(r.Rows) <= numOps || r.Elapsed <= 0 {
		return ""
	}
	all := r.Rows[numOps]
	served := float64(all.OK) / r.Elapsed.Seconds()
	unsent := all.Scheduled - all.Sent
	if served >= behindSlack*float64(r.Rate) && unsent == 0 {
		return ""
	}
	return fmt.Sprintf("behind schedule: served %.0f/s of %d/s, %d requests never sent; latencies include time queued for a free connection (compare service)",
		served, r.Rate, unsent)
}

// WriteBenchstat prints one line per operation and one for all; the
// iteration count is the successful requests.
func (r *RateReport) WriteBenchstat(w io.Writer) error {
	for _, row := range r.Rows {
		if row.OK == 0 {
			continue
		}
		name := benchName("Rate", "op", row.Op, "target", r.Target)
		if _, err := fmt.Fprintf(w, "%s\t%d\t%.3f p50-ms\t%.3f p99-ms\t%.3f p99.9-ms\t%d errors\n",
			name, row.OK, ms(row.P50), ms(row.P99), ms(row.P999), row.Errors); err != nil {
			return err
		}
	}
	return nil
}
