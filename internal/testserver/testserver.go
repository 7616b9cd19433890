// Package testserver starts real Dynago nodes for tests: in-process on a
// loopback port, or as a separate dynago process that a test can kill -9.
package testserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/ports"
	"github.com/dynago/dynago/node"
	"github.com/redis/go-redis/v9"
)

// Server is an in-process node.
type Server struct {
	t    testing.TB
	Dir  string
	cfg  node.Config
	Node *node.Node
}

// Option adjusts a node's configuration before it starts.
type Option func(*node.Config)

// Start starts an in-process node with its data in a fresh temporary
// directory; it is shut down when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	dir := t.TempDir()
	cfg := node.Config{
		Addr:       "127.0.0.1:0",
		Name:       "test-node",
		GossipAddr: fmt.Sprintf("127.0.0.1:%d", FreePort(t)),
		PeerAddr:   fmt.Sprintf("127.0.0.1:%d", FreePort(t)),
		Engine:     engine.DefaultConfig(dir),
	}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{t: t, Dir: dir, cfg: cfg}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	n, err := node.Start(s.cfg)
	if err != nil {
		s.t.Fatalf("start node: %v", err)
	}
	s.Node = n
}

// Addr is the node's RESP address.
func (s *Server) Addr() string { return s.Node.Addr() }

// Stop shuts the node down gracefully (idempotent).
func (s *Server) Stop() {
	if s.Node == nil {
		return
	}
	s.cfg.Addr = s.Addr() // a restart listens where the node did
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Node.Shutdown(ctx); err != nil {
		s.t.Errorf("shutdown: %v", err)
	}
	s.Node = nil
}

// Restart stops the node (unless Stop did) and starts it again on the same
// data directory and the same port.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Client returns a go-redis client for the node, closed when the test ends.
func (s *Server) Client() *redis.Client {
	return NewClient(s.t, s.Addr())
}

// NewClient returns a go-redis client for addr, closed when the test ends.
func NewClient(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds the dynago command once per test binary and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "dynago-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "dynago")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/dynago")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Process is a dynago process started by a test.
type Process struct {
	t          testing.TB
	Dir        string
	Port       int
	GossipPort int
	PeerPort   int
	Args       []string
	cmd        *exec.Cmd
	log        *os.File
}

// testPorts hands out the ports of the test servers of this process.
var testPorts = ports.Shared()

// FreePort returns a loopback port that was free a moment ago and is handed
// out once in this process. It lies below the kernel's ephemeral range, so
// the outgoing connections of other tests cannot take it before the server
// binds it.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := testPorts.Pick()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// StartProcess runs the dynago binary on a free port with its data in dir
// (a fresh temporary directory if empty) and extra flags; it waits until the
// node answers PING. The process is killed when the test ends.
func StartProcess(t testing.TB, dir string, extra ...string) *Process {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	p := &Process{t: t, Dir: dir, Port: FreePort(t), GossipPort: FreePort(t), PeerPort: FreePort(t), Args: extra}
	p.Start()
	t.Cleanup(func() { p.Kill() })
	return p
}

// Start (re)starts the process with its directory, port and flags.
func (p *Process) Start() {
	p.t.Helper()
	args := append([]string{"--bind", "127.0.0.1", "--port", fmt.Sprint(p.Port), "--dir", p.Dir,
		"--gossip-port", fmt.Sprint(p.GossipPort), "--peer-port", fmt.Sprint(p.PeerPort)}, p.Args...)
	p.cmd = exec.Command(Binary(p.t), args...)
	logf, err := os.OpenFile(filepath.Join(p.Dir+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	p.log = logf
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	WaitReady(p.t, p.Addr(), 15*time.Second)
}

// GossipAddr is the address other nodes join the process's cluster through.
func (p *Process) GossipAddr() string { return fmt.Sprintf("127.0.0.1:%d", p.GossipPort) }

// Addr is the process's RESP address.
func (p *Process) Addr() string { return fmt.Sprintf("127.0.0.1:%d", p.Port) }

// Kill sends SIGKILL and waits for the process to exit.
func (p *Process) Kill() { p.signal(syscall.SIGKILL) }

// Term sends SIGTERM and waits for a graceful exit.
func (p *Process) Term() { p.signal(syscall.SIGTERM) }

// Exit waits up to within for the process to exit by itself (SHUTDOWN)
// and returns its exit code; the test fails if it is still running then
// (and the process is killed).
func (p *Process) Exit(within time.Duration) int {
	p.t.Helper()
	if p.cmd == nil || p.cmd.Process == nil {
		p.t.Fatal("the process is not running")
	}
	done := make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(within):
		_ = p.cmd.Process.Kill()
		<-done
		p.t.Fatalf("the process was still running after %v", within)
	}
	code := p.cmd.ProcessState.ExitCode()
	p.cmd = nil
	p.log.Close()
	return code
}

func (p *Process) signal(sig syscall.Signal) {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	_ = p.cmd.Wait()
	p.cmd = nil
	p.log.Close()
}

// WaitReady polls addr with PING until it answers or the deadline passes.
func WaitReady(t testing.TB, addr string, within time.Duration) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err = c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("node at %s not ready after %v: %v", addr, within, err)
}
