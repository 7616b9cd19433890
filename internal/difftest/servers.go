package difftest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/ports"
)

// RedisServer is a reference redis-server started by the tester.
type RedisServer struct {
	Addr string
	cmd  *exec.Cmd
	log  *os.File
}

// StartRedis starts the redis-server binary bin on 127.0.0.1:port without
// persistence, its files in dir, and waits until it answers PING. extra
// are further redis-server options.
func StartRedis(bin, dir string, port int, extra ...string) (*RedisServer, error) {
	log, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no")
	cmd.Args = append(cmd.Args, extra...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	s := &RedisServer{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd, log: log}
	if err := WaitReady(s.Addr, 10*time.Second); err != nil {
		s.Stop()
		return nil, fmt.Errorf("redis-server: %w (log: %s)", err, log.Name())
	}
	return s, nil
}

// WaitReady polls addr with PING until it answers +PONG or within passes.
func WaitReady(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		err := ping(addr)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %w", addr, within, err)
		}
		time.Sleep(20 * time.Millisecond) // polling for readiness, with a deadline
	}
}

func ping(addr string) error {
	nc, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(time.Second))
	if _, err := nc.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// ForTest starts a reference redis-server for a test, without persistence,
// on a free loopback port, in the test's temporary directory; it is stopped
// when the test ends. extra are further redis-server options. Without
// redis-server installed the test is skipped, unless the CI environment
// variable is set.
func ForTest(t testing.TB, extra ...string) *RedisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but redis-server is missing: %v", err)
		}
		t.Skipf("redis-server not installed: %v", err)
	}
	port, err := ports.Shared().Pick()
	if err != nil {
		t.Fatal(err)
	}
	r, err := StartRedis(bin, t.TempDir(), port, extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// Stop kills the server and waits for it to exit.
func (s *RedisServer) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
	s.log.Close()
}
