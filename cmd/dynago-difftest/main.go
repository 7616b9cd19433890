// Command dynago-difftest sends seeded random command streams to a
// reference redis-server and to a Dynago node, compares every reply, and
// prints each mismatch shrunk to the fewest commands that still differ,
// with its seed (see package internal/difftest). It exits 1 when it found a
// mismatch, 2 when the run itself failed. `make difftest` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/difftest"
	"github.com/dynago/dynago/internal/ports"
	"github.com/dynago/dynago/node"
)

func main() { os.Exit(run()) }

// run does the work and returns the exit status, after its deferred calls
// have stopped the servers it started (os.Exit would skip them and leave a
// spawned redis-server running).
func run() int {
	fs := flag.NewFlagSet("dynago-difftest", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: dynago-difftest [flags]\n\n"+
			"Sends the same seeded random command streams to redis-server and to Dynago\n"+
			"and compares every reply; a mismatch is shrunk and printed with its seed.\n\nflags:\n")
		fs.PrintDefaults()
	}
	seed := fs.Uint64("seed", 1, "first seed")
	seeds := fs.Int("seeds", 100, "seeds to run: seed, seed+1, ...")
	commands := fs.Int("commands", 1000, "commands per seed")
	redisAddr := fs.String("redis", "spawn", "reference redis-server: host:port (its data is flushed, its proto-max-bulk-len set to Dynago's max-value-bytes), or spawn (start -redis-server on a free port)")
	redisBin := fs.String("redis-server", "redis-server", "redis-server binary for -redis spawn")
	dynagoAddr := fs.String("dynago", "spawn", "Dynago node: host:port of a single node (its data is flushed), spawn (an in-process node) or process (run -dynago-bin)")
	dynagoBin := fs.String("dynago-bin", "bin/dynago", "dynago binary for -dynago process")
	keepGoing := fs.Bool("keep-going", false, "go on with the next seed after a mismatch")
	verbose := fs.Bool("v", false, "print each seed and the shrinking")
	_ = fs.Parse(os.Args[1:])
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected arguments %q", fs.Args()))
	}

	dir, err := os.MkdirTemp("", "dynago-difftest")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	alloc := ports.New(uint64(time.Now().UnixNano()))

	if *redisAddr == "spawn" {
		rdir := filepath.Join(dir, "redis")
		if err := os.Mkdir(rdir, 0o755); err != nil {
			return fail(err)
		}
		port, err := alloc.Pick()
		if err != nil {
			return fail(err)
		}
		r, err := difftest.StartRedis(*redisBin, rdir, port)
		if err != nil {
			return fail(err)
		}
		defer r.Stop()
		*redisAddr = r.Addr
	}
	switch *dynagoAddr {
	case "spawn":
		// The node's own log would drown the report: warnings only.
		level := new(slog.LevelVar)
		level.Set(slog.LevelWarn)
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
		gossip, err := alloc.Pick()
		if err != nil {
			return fail(err)
		}
		peer, err := alloc.Pick()
		if err != nil {
			return fail(err)
		}
		n, err := node.Start(node.Config{
			LogLevel:   level,
			Addr:       "127.0.0.1:0",
			Name:       "difftest",
			GossipAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(gossip)),
			PeerAddr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(peer)),
			Engine:     engine.DefaultConfig(filepath.Join(dir, "dynago")),
		})
		if err != nil {
			return fail(err)
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = n.Shutdown(ctx)
		}()
		*dynagoAddr = n.Addr()
	case "process":
		p, err := alloc.Pick(0, 10000, 20000)
		if err != nil {
			return fail(err)
		}
		cmd := exec.Command(*dynagoBin, "--bind", "127.0.0.1", "--port", strconv.Itoa(p), "--metrics-port", "0",
			"--dir", filepath.Join(dir, "dynago"))
		log, err := os.Create(filepath.Join(dir, "dynago.log"))
		if err != nil {
			return fail(err)
		}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			return fail(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		*dynagoAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		if err := difftest.WaitReady(*dynagoAddr, 15*time.Second); err != nil {
			return fail(err)
		}
	}

	cfg := difftest.Config{Redis: *redisAddr, Dynago: *dynagoAddr}
	if *verbose {
		cfg.Log = os.Stderr
	}
	r := difftest.New(cfg)
	if err := r.Prepare(); err != nil {
		return fail(err)
	}
	start := time.Now()
	found, ran := 0, 0
	for s := *seed; s < *seed+uint64(*seeds); s++ {
		if *verbose {
			fmt.Fprintf(os.Stderr, "seed %d\n", s)
		}
		m, err := r.Check(s, *commands)
		if err != nil {
			return fail(fmt.Errorf("seed %d: %w", s, err))
		}
		ran++
		if m != nil {
			found++
			fmt.Println(m)
			if !*keepGoing {
				break
			}
		}
	}
	fmt.Printf("difftest: %d seeds (%d..%d) x %d commands = %d commands in %v; %d mismatches\n",
		ran, *seed, *seed+uint64(ran)-1, *commands, ran**commands, time.Since(start).Round(time.Millisecond), found)
	if found > 0 {
		return 1
	}
	return 0
}

// fail reports err and returns the status of a failed run.
func fail(err error) int {
	fmt.Fprintln(os.Stderr, "dynago-difftest:", err)
	return 2
}
