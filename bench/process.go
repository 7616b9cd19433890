package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
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

// CPUTime returns the CPU time the process has used, user and system, from
// /proc/PID/stat.
func (p *Process) CPUTime() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.PID()))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// parseStatCPU reads utime and stime (fields 14 and 15) from the text of
// /proc/PID/stat. The command name (field 2) is in parentheses and may hold
// spaces, so the fields are counted after its closing parenthesis.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("no command name in stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 { // state is field 3, stime field 15
		return 0, fmt.Errorf("stat has %d fields after the name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
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
