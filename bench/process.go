package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// loopback is the only address servers are bound to.
const loopback = "127.0.0.1"

// Process is one server process started by the runner.
type Process struct {
	Name    string // e.g. "dynago" or "dynago-2" in a cluster
	Addr    string // host:port of its RESP listener
	LogPath string // where its stdout and stderr go

	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and waitErr is set
	// waitErr is the result of cmd.Wait; read it only after done is closed.
	waitErr error
}

// startProcess starts bin with args, output to logPath. The child gets its own
// process group, so a Ctrl-C in the terminal reaches the runner only and the
// runner stops its servers in order; and it is killed if the runner dies.
func startProcess(name, addr, logPath, bin string, args ...string) (*Process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Addr: addr, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// PID is the operating-system process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// waitReady polls the server with PING until it answers +PONG, the process
// exits, ctx ends or timeout passes, whichever comes first.
func (p *Process) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = ping(ctx, p.Addr); last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before answering PING (%v); log %s:\n%s",
				p.Name, p.waitErr, p.LogPath, p.logTail(20))
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s did not answer PING on %s within %v (last: %v); log %s:\n%s",
					p.Name, p.Addr, timeout, last, p.LogPath, p.logTail(20))
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// ping sends one RESP PING and expects +PONG. A server still loading its data
// answers -LOADING, which counts as not ready.
func ping(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line = strings.TrimRight(line, "\r\n"); line != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// Stop sends SIGTERM and waits up to timeout for the process to exit, then
// kills it. It returns an error if the process had to be killed or exited
// with a failure status; a process that already exited reports how.
func (p *Process) Stop(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.exitError("had already exited")
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("%s: SIGTERM: %w", p.Name, err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.exitError("exited after SIGTERM")
	case <-timer.C:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("%s did not exit within %v of SIGTERM and was killed; log %s", p.Name, timeout, p.LogPath)
}

// exitError describes a failed exit; nil for a clean one. Dying of the
// SIGTERM the runner sent counts as clean.
func (p *Process) exitError(what string) error {
	err := p.waitErr
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return nil
		}
	}
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s with %v; log %s:\n%s", p.Name, what, err, p.LogPath, p.logTail(10))
}

// logTail returns the last n lines of the process's log.
func (p *Process) logTail(n int) string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}

// RSS returns the process's resident set size in bytes (VmRSS).
func (p *Process) RSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID()))
	if err != nil {
		return 0, err
	}
	return parseVmRSS(b)
}

// parseVmRSS extracts VmRSS from the text of /proc/PID/status, in bytes.
func parseVmRSS(status []byte) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", strings.TrimSpace(string(line)))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected VmRSS line %q", strings.TrimSpace(string(line)))
		}
		return kb * 1024, nil
	}
	return 0, errors.New("no VmRSS in status")
}

// portAllocator hands out loopback ports for servers. A server may listen on
// more than one port at fixed offsets from its main port (Dynago: gossip at
// +10000 and internode traffic at +20000), so a port is handed out only if
// every offset is free for TCP and UDP. Ports are drawn below the kernel's
// ephemeral range, so the offset ports cannot be taken by the outgoing
// connections the benchmark itself opens.
type portAllocator struct {
	mu    sync.Mutex
	given map[int]bool // ports handed out in this run, guarded by mu
	low   int          // lowest main port to try
	high  int          // first port that is never used, offsets included
	rng   *rand.Rand   // guarded by mu
}

func newPortAllocator() *portAllocator {
	return &portAllocator{
		given: make(map[int]bool),
		low:   10000,
		high:  ephemeralLow(),
		rng:   rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid()))),
	}
}

// ephemeralLow reads the first port of the kernel's ephemeral range.
func ephemeralLow() int {
	const fallback = 32768
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return fallback
	}
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return fallback
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 1024 {
		return fallback
	}
	return n
}

// portRange returns the main ports [lo, hi) that keep every offset inside
// [low, high).
func portRange(low, high int, offsets []int) (lo, hi int) {
	maxOff := 0
	for _, o := range offsets {
		maxOff = max(maxOff, o)
	}
	return low, high - maxOff
}

// pick returns a main port p such that p+o is free for every o in offsets.
func (a *portAllocator) pick(offsets ...int) (int, error) {
	if len(offsets) == 0 {
		offsets = []int{0}
	}
	lo, hi := portRange(a.low, a.high, offsets)
	if hi <= lo {
		return 0, fmt.Errorf("no port range fits offsets %v below %d", offsets, a.high)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for range 500 {
		p := lo + a.rng.IntN(hi-lo)
		if a.givenLocked(p, offsets) || !portsFree(p, offsets) {
			continue
		}
		for _, o := range offsets {
			a.given[p+o] = true
		}
		return p, nil
	}
	return 0, fmt.Errorf("no free loopback port in [%d, %d) with offsets %v", lo, hi, offsets)
}

func (a *portAllocator) givenLocked(p int, offsets []int) bool {
	for _, o := range offsets {
		if a.given[p+o] {
			return true
		}
	}
	return false
}

// portsFree reports whether p+o can be bound for TCP and UDP on loopback for
// every offset o. The probes are closed before it returns.
func portsFree(p int, offsets []int) bool {
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
	}()
	for _, o := range offsets {
		addr := net.JoinHostPort(loopback, strconv.Itoa(p+o))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		closers = append(closers, l.Close)
		u, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		closers = append(closers, u.Close)
	}
	return true
}
