package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/dynago/dynago/internal/ports"
)

// Scenario is one measurement. The runner starts fresh Targets (in order,
// each in its own empty directory), calls Run with them in the same order, and
// stops them afterwards whatever happened.
type Scenario struct {
	Name    string // short, used for directories and benchstat names
	Targets []TargetSpec
	// Run measures the targets. It may return a partial report together with
	// an error (a failed measurement, an interrupt); the runner prints both.
	Run func(ctx context.Context, env *Env, targets []*Target) (Report, error)
}

// Report is what a scenario found, printable in both output formats.
type Report interface {
	WriteTable(w io.Writer) error
	WriteBenchstat(w io.Writer) error
}

// Scenarios returns the scenarios cfg enables, each measuring redis-server
// and then Dynago (the cluster scenario also a Dynago cluster). redis-server
// comes first: it is the baseline of ratios, always at equal durability
// (redisPeer). The throughput scenario measures both pairs: Dynago's batch
// fsync against appendfsync always, and --fsync never against everysec.
func Scenarios(cfg Config) []Scenario {
	durable := []TargetSpec{RedisTarget("always"), DynagoTarget("batch")}
	relaxed := []TargetSpec{RedisTarget("everysec"), DynagoTarget("never")}
	var out []Scenario
	if cfg.Throughput {
		out = append(out, ThroughputScenario(cfg, append(durable, relaxed...), []Ratio{
			{Num: durable[1].Name, Den: durable[0].Name},
			{Num: relaxed[1].Name, Den: relaxed[0].Name},
		}))
	}
	if cfg.HotKey {
		out = append(out, HotKeyScenario(cfg, durable))
	}
	if cfg.MultiKey {
		out = append(out, MultiKeyScenario(cfg, durable))
	}
	if cfg.Hashes {
		out = append(out, HashScenario(cfg, durable))
	}
	if cfg.Memory {
		out = append(out, MemoryScenario(cfg, []TargetSpec{RedisTarget(redisPeer(cfg.Fsync)), DynagoTarget(cfg.Fsync)}))
	}
	if cfg.Cluster {
		out = append(out, ClusterScenario(cfg))
	}
	if cfg.Routing {
		out = append(out, RoutingScenario(cfg))
	}
	if cfg.Failover {
		out = append(out, FailoverScenario(cfg))
	}
	return out
}

// Run resolves the binaries (building Dynago if cfg.DynagoBin is empty), runs
// every scenario cfg enables and writes their reports to out as each finishes;
// progress goes to log. Every server it starts is stopped before it returns.
func Run(ctx context.Context, cfg Config, out, log io.Writer) (err error) {
	if err := cfg.Validate(); err != nil {
		return err
	}
	env := &Env{
		StartTimeout: cfg.StartTimeout,
		StopTimeout:  cfg.StopTimeout,
		Log:          log,
		ports:        ports.New(uint64(time.Now().UnixNano())),
	}
	if env.RedisServerBin, err = findTool(cfg.RedisServerBin, "install it with: apt-get install -y redis-server"); err != nil {
		return err
	}
	if env.RedisBenchmarkBin, err = findTool(cfg.RedisBenchmarkBin, "install it with: apt-get install -y redis-tools"); err != nil {
		return err
	}
	if env.Scratch, err = os.MkdirTemp(cfg.ScratchParent, "dynago-bench-"); err != nil {
		return err
	}
	defer func() {
		switch {
		case cfg.KeepData:
			env.Logf("kept data and logs in %s", env.Scratch)
		case err != nil && ctx.Err() == nil:
			// Keep the server logs of a failed run, not its data.
			if rmErr := removeDataDirs(env.Scratch); rmErr != nil {
				err = errors.Join(err, rmErr)
			}
			env.Logf("kept server logs in %s", env.Scratch)
		default:
			if rmErr := os.RemoveAll(env.Scratch); rmErr != nil {
				err = errors.Join(err, rmErr)
			}
		}
	}()
	if cfg.DynagoBin != "" {
		env.DynagoBin, err = findTool(cfg.DynagoBin, "pass the path of a built Dynago server")
	} else {
		env.DynagoBin, err = buildDynago(ctx, env, env.Scratch)
	}
	if err != nil {
		return err
	}

	if cfg.Format == FormatBenchstat {
		fmt.Fprintf(out, "goos: %s\ngoarch: %s\npkg: github.com/dynago/dynago/bench\n", runtime.GOOS, runtime.GOARCH)
	}
	var errs []error
	for _, s := range Scenarios(cfg) {
		env.Logf("== scenario %s", s.Name)
		rep, runErr := RunScenario(ctx, env, s)
		if rep != nil {
			var werr error
			if cfg.Format == FormatBenchstat {
				werr = rep.WriteBenchstat(out)
			} else {
				werr = rep.WriteTable(out)
			}
			if werr != nil {
				return werr
			}
		}
		if runErr != nil {
			errs = append(errs, fmt.Errorf("scenario %s: %w", s.Name, runErr))
		}
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
	}
	return errors.Join(errs...)
}

// removeDataDirs removes the targets' data directories under scratch
// (scratch/SCENARIO/TARGET/data), leaving their logs.
func removeDataDirs(scratch string) error {
	dirs, err := filepath.Glob(filepath.Join(scratch, "*", "*", dataDirName))
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range dirs {
		errs = append(errs, os.RemoveAll(d))
	}
	return errors.Join(errs...)
}

// RunScenario starts the scenario's targets, runs it and stops the targets.
func RunScenario(ctx context.Context, env *Env, s Scenario) (rep Report, err error) {
	var targets []*Target
	defer func() {
		// Stop in reverse order of start; stopping does not depend on ctx,
		// so an interrupted run still shuts its servers down in order.
		for i := len(targets) - 1; i >= 0; i-- {
			if stopErr := targets[i].Stop(env.StopTimeout); stopErr != nil {
				err = errors.Join(err, fmt.Errorf("stop %s: %w", targets[i].Name, stopErr))
			} else {
				env.Logf("%s: stopped", targets[i].Name)
			}
		}
	}()
	for i, spec := range s.Targets {
		dir := filepath.Join(env.Scratch, s.Name, fmt.Sprintf("%d-%s", i, spec.Name))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		t, err := spec.Start(ctx, env, dir)
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", spec.Name, err)
		}
		targets = append(targets, t)
	}
	return s.Run(ctx, env, targets)
}
