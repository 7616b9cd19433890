package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dynago/dynago/internal/ports"
)

// Env is what targets and scenarios need from the run: resolved binaries, a
// scratch directory, timeouts and a place for progress messages.
type Env struct {
	DynagoBin         string
	RedisServerBin    string
	RedisBenchmarkBin string
	Scratch           string // root of data dirs and logs for this run
	StartTimeout      time.Duration
	StopTimeout       time.Duration
	Log               io.Writer // progress, one line per event

	ports *ports.Allocator
}

// Logf writes one progress line.
func (e *Env) Logf(format string, args ...any) {
	fmt.Fprintf(e.Log, format+"\n", args...)
}

// Target is one system under test: one or more server processes that
// together serve one key space. Clients may send any request to any address.
type Target struct {
	Name  string
	Nodes []*Process
}

// Addrs returns the RESP addresses of the target's nodes.
func (t *Target) Addrs() []string {
	out := make([]string, len(t.Nodes))
	for i, n := range t.Nodes {
		out[i] = n.Addr
	}
	return out
}

// RSS returns the summed resident set size of the target's nodes, in bytes.
func (t *Target) RSS() (int64, error) {
	var sum int64
	for _, n := range t.Nodes {
		r, err := n.RSS()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", n.Name, err)
		}
		sum += r
	}
	return sum, nil
}

// Stop stops every node (each SIGTERM, then kill after timeout) and reports
// every failure.
func (t *Target) Stop(timeout time.Duration) error {
	var errs []error
	for _, n := range t.Nodes {
		errs = append(errs, n.Stop(timeout))
	}
	return errors.Join(errs...)
}

// TargetSpec says how to start a target. Start gets a fresh, empty directory
// for the target's data and logs. On error Start leaves nothing running.
type TargetSpec struct {
	Name  string
	Start func(ctx context.Context, env *Env, dir string) (*Target, error)
}

// RedisTarget is a single redis-server with an append-only file fsynced as
// appendfsync says ("always": a write is acknowledged after an fsync that
// covers it, as under Dynago's --fsync batch; "everysec": within about a
// second, as under --fsync never, which leaves it to the kernel) and RDB
// snapshots off. Its name says which: redis-always, redis-everysec.
func RedisTarget(appendfsync string) TargetSpec {
	name := "redis-" + appendfsync
	return TargetSpec{Name: name, Start: func(ctx context.Context, env *Env, dir string) (*Target, error) {
		port, err := env.ports.Pick(0)
		if err != nil {
			return nil, err
		}
		data := filepath.Join(dir, dataDirName)
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, err
		}
		p, err := startNode(ctx, env, "redis", port, filepath.Join(dir, "redis.log"), env.RedisServerBin,
			"--port", strconv.Itoa(port), "--bind", loopback,
			"--appendonly", "yes", "--appendfsync", appendfsync, "--save", "",
			"--dir", data)
		if err != nil {
			return nil, err
		}
		return &Target{Name: name, Nodes: []*Process{p}}, nil
	}}
}

// redisPeer is the appendfsync setting at which redis-server promises what
// Dynago's --fsync mode does: equal durability.
func redisPeer(fsync string) string {
	if fsync == "never" {
		return "everysec"
	}
	return "always"
}

// dataDirName is the data directory inside a target's directory; the logs
// sit next to it.
const dataDirName = "data"

// dynagoPortOffsets are the ports a Dynago node listens on relative to its
// RESP port: gossip at +10000, internode traffic at +20000 (docs/design.md).
var dynagoPortOffsets = []int{0, 10000, 20000}

// DynagoTarget is a single Dynago node with the given --fsync mode, named
// for it: dynago-batch, dynago-never, dynago-always.
func DynagoTarget(fsync string) TargetSpec {
	name := "dynago-" + fsync
	return TargetSpec{Name: name, Start: func(ctx context.Context, env *Env, dir string) (*Target, error) {
		port, err := env.ports.Pick(dynagoPortOffsets...)
		if err != nil {
			return nil, err
		}
		data := filepath.Join(dir, dataDirName)
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, err
		}
		p, err := startNode(ctx, env, "dynago", port, filepath.Join(dir, "dynago.log"), env.DynagoBin,
			"--bind", loopback, "--port", strconv.Itoa(port), "--dir", data, "--fsync", fsync)
		if err != nil {
			return nil, err
		}
		return &Target{Name: name, Nodes: []*Process{p}}, nil
	}}
}

// startNode starts one server and waits until it answers PING; on failure the
// process is stopped again.
func startNode(ctx context.Context, env *Env, name string, port int, logPath, bin string, args ...string) (*Process, error) {
	addr := net.JoinHostPort(loopback, strconv.Itoa(port))
	p, err := startProcess(name, addr, logPath, bin, args...)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, env.StartTimeout); err != nil {
		_ = p.Stop(env.StopTimeout)
		return nil, err
	}
	env.Logf("%s: pid %d ready on %s", name, p.PID(), addr)
	return p, nil
}

// findTool resolves a binary named on the command line; a bare name is looked
// up in PATH. hint says how to get it.
func findTool(name, hint string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found (%v); %s", name, err, hint)
	}
	return filepath.Abs(path)
}

// dynagoPkg is the server's main package, relative to the repository root.
const dynagoPkg = "./cmd/dynago"

// buildDynago builds ./cmd/dynago into dir and returns the binary's path. It
// must run from the repository root.
func buildDynago(ctx context.Context, env *Env, dir string) (string, error) {
	if fi, err := os.Stat(dynagoPkg); err != nil || !fi.IsDir() {
		wd, _ := os.Getwd()
		return "", fmt.Errorf("cannot build the Dynago server: %s does not exist in %s "+
			"(run from the repository root once cmd/dynago exists, or pass -dynago PATH)", dynagoPkg, wd)
	}
	goBin, err := findTool("go", "the Go toolchain is needed to build ./cmd/dynago (or pass -dynago PATH)")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "dynago")
	env.Logf("building %s", dynagoPkg)
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", out, dynagoPkg)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", dynagoPkg, err, strings.TrimSpace(string(msg)))
	}
	return out, nil
}
