// Command dynago-chaos runs a local Dynago cluster of real processes under
// faults (kill -9, SIGSTOP, network cuts, membership changes) while clients
// write, then checks that no acknowledged write was lost, no value appeared
// that nobody wrote, the replicas converged and no read listed as siblings
// writes that were ordered in real time: with -strict-quorum on every read;
// under the default sloppy quorum outside the windows when a kill, stop or
// cut was active (plus a settle time for catching up). It prints a summary
// and exits 1 when it found a violation, 2 when the run itself failed. Run
// it from the repository root (`make chaos`, `make chaos-strict`).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/dynago/dynago/internal/chaos"
	"github.com/redis/go-redis/v9"
)

func main() {
	cfg := chaos.DefaultConfig()
	fs := flag.NewFlagSet("dynago-chaos", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: dynago-chaos [flags]\n\n"+
			"Starts a Dynago cluster on loopback, injects faults while clients write,\n"+
			"then checks the history against the converged replicas.\n\nflags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.Bin, "bin", cfg.Bin, "dynago binary (default: build ./cmd/dynago)")
	fs.StringVar(&cfg.Dir, "dir", cfg.Dir, "parent of the run directory (default: system temp dir)")
	fs.BoolVar(&cfg.KeepDir, "keep-dir", cfg.KeepDir, "keep the run directory (node data and logs, history.jsonl)")
	fs.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "nodes at the start")
	fs.IntVar(&cfg.Partitions, "partitions", cfg.Partitions, "Q: partitions of the cluster")
	fs.StringVar(&cfg.Fsync, "fsync", cfg.Fsync, "nodes' --fsync: always, batch or never")
	fs.StringVar(&cfg.LogLevel, "server-log-level", cfg.LogLevel, "nodes' --log-level (default: the server's)")
	fs.DurationVar(&cfg.AntiEntropyInterval, "anti-entropy-interval", cfg.AntiEntropyInterval, "nodes' --anti-entropy-interval (0: server default); a short one adds to the sibling bound's settle time")
	fs.DurationVar(&cfg.HintInterval, "hint-interval", cfg.HintInterval, "nodes' --hint-interval (0: server default); the sibling bound's settle time is three of them")
	fs.BoolVar(&cfg.StrictQuorum, "strict-quorum", cfg.StrictQuorum, "run the nodes with --strict-quorum (only owners count toward R and W) and hold every read to the real-time sibling bound, faults or not")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "faults to inject, one per round")
	fs.DurationVar(&cfg.Hold, "hold", cfg.Hold, "how long each fault lasts")
	fs.DurationVar(&cfg.Settle, "settle", cfg.Settle, "clients' time on the whole cluster between rounds")
	fs.DurationVar(&cfg.Tail, "tail", cfg.Tail, "clients' time on the whole cluster after the last round (fault-free: the sibling bound is enforced there)")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "no round starts after this much time of faults")
	faults := fs.String("faults", joinFaults(cfg.Faults), "fault kinds to draw from: "+joinFaults(chaos.AllFaults))
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the fault and client choices (0: from the clock)")
	clients := fs.Int("clients", 0, "clients of each kind (SET, VSET, INCR); overrides the three flags below when set")
	fs.IntVar(&cfg.SetClients, "set-clients", cfg.SetClients, "SET clients, each with keys of its own")
	fs.IntVar(&cfg.VSetClients, "vset-clients", cfg.VSetClients, "VSET clients, in groups of 2-3 sharing keys")
	fs.IntVar(&cfg.CounterClients, "counter-clients", cfg.CounterClients, "INCR clients sharing the counters")
	fs.IntVar(&cfg.Keys, "keys", cfg.Keys, "keys of each SET client and of each VSET group")
	fs.IntVar(&cfg.Counters, "counters", cfg.Counters, "shared counter keys")
	fs.IntVar(&cfg.OpsPerClient, "ops", cfg.OpsPerClient, "most operations per client")
	fs.DurationVar(&cfg.OpPause, "op-pause", cfg.OpPause, "each client's pause between operations")
	fs.DurationVar(&cfg.OpTimeout, "op-timeout", cfg.OpTimeout, "bound on one request")
	fs.DurationVar(&cfg.ConvergeTimeout, "converge-timeout", cfg.ConvergeTimeout, "bound on the wait for equal Merkle roots at the end")
	_ = fs.Parse(os.Args[1:])
	if fs.NArg() > 0 {
		fail(2, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	cfg.Faults = nil
	for _, f := range strings.Split(*faults, ",") {
		if f = strings.TrimSpace(f); f != "" {
			cfg.Faults = append(cfg.Faults, chaos.FaultKind(f))
		}
	}
	if *clients > 0 {
		cfg.SetClients, cfg.VSetClients, cfg.CounterClients = *clients, max(*clients, 2), *clients
	}

	redis.SetLogger(quiet{}) // dial failures to killed nodes are expected noise

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sum, err := chaos.Run(ctx, cfg, os.Stderr)
	if err == nil || len(sum.Violations) > 0 {
		fmt.Print(sum.String())
	}
	switch {
	case err != nil && len(sum.Violations) > 0:
		os.Exit(1)
	case err != nil:
		fail(2, err)
	}
}

func joinFaults(fs []chaos.FaultKind) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ",")
}

// quiet drops go-redis's own log lines.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func fail(code int, err error) {
	fmt.Fprintln(os.Stderr, "dynago-chaos:", err)
	os.Exit(code)
}
