package resp_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/difftest"
	"github.com/dynago/dynago/internal/testserver"
)

// hostileCommands are inputs that once could, or plausibly could, take a
// node down: integer arguments at the edges of int64 that become offsets,
// lengths, counts, expiries or cursors. Each must be answered (any reply)
// while the node stays up and keeps its data.
var hostileCommands = [][]string{
	{"SETRANGE", "k", "9223372036854775807", "A"},
	{"SETRANGE", "k", "9223372036854775806", "AB"},
	{"SETRANGE", "k", "9223372036854775807", ""},
	{"SETRANGE", "k", "-9223372036854775808", "A"},
	{"SETRANGE", "k", "4294967296", "A"},
	{"SETRANGE", "k", "16777215", "AB"},
	{"GETRANGE", "k", "-9223372036854775808", "9223372036854775807"},
	{"GETRANGE", "k", "9223372036854775807", "-9223372036854775808"},
	{"GETRANGE", "k", "-1", "-9223372036854775808"},
	{"SET", "k", "v", "EX", "9223372036854775807"},
	{"SET", "k", "v", "PX", "9223372036854775807"},
	{"SET", "k", "v", "EXAT", "9223372036854775807"},
	{"SET", "k", "v", "PXAT", "-9223372036854775808"},
	{"SETEX", "k", "9223372036854775807", "v"},
	{"PSETEX", "k", "9223372036854775807", "v"},
	{"GETEX", "k", "EX", "9223372036854775807"},
	{"GETEX", "k", "PXAT", "9223372036854775807"},
	{"EXPIRE", "k", "9223372036854775807"},
	{"EXPIRE", "k", "-9223372036854775808"},
	{"PEXPIRE", "k", "9223372036854775807"},
	{"EXPIREAT", "k", "9223372036854775807"},
	{"PEXPIREAT", "k", "-9223372036854775808"},
	{"INCRBY", "n", "9223372036854775807"},
	{"INCRBY", "n", "9223372036854775807"},
	{"DECRBY", "n", "-9223372036854775808"},
	{"INCRBY", "n", "-9223372036854775808"},
	{"INCRBYFLOAT", "n", "1e308"},
	{"INCRBYFLOAT", "n", "1e308"},
	{"INCRBYFLOAT", "n", "inf"},
	{"SCAN", "18446744073709551615", "COUNT", "9223372036854775807"},
	{"SCAN", "0", "COUNT", "-9223372036854775808"},
	{"SCAN", "99999999999999999999999"},
	{"KEYS", strings.Repeat("*a", 500) + "b"},
	{"SLOWLOG", "GET", "9223372036854775807"},
	{"SLOWLOG", "GET", "-9223372036854775808"},
	{"SELECT", "9223372036854775807"},
	{"HELLO", "9223372036854775807"},
	{"CLIENT", "SETNAME", strings.Repeat("x", 1<<16)},
	{"MSET", "k"},
	{"MGET"},
	{"VSET", "k", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "v"},
	{"VSET", "k", "", "v", "PX", "9223372036854775807"},
	{"VDEL", "k", "\x00\x01\x02\x03"},
	{"DYNAGO", "PREFLIST", ""},
	{"DYNAGO", "CONSISTENCY", "9223372036854775807", "-1"},
	{"COMMAND", "INFO", strings.Repeat("x", 1<<12)},
	{"CONFIG", "SET", "slowlog-max-len", "9223372036854775807"},
	{"CONFIG", "SET", "maxclients", "-9223372036854775808"},
}

// The node answers every hostile command and stays up with its data.
func TestHostileCommandsKeepNodeUp(t *testing.T) {
	s := testserver.Start(t)
	c := conn(t, s)
	expect(t, c, "OK", "SET", "canary", "alive")
	for _, args := range hostileCommands {
		// A fresh connection each, so that one command's effect on the
		// session (HELLO, CLIENT SETNAME) cannot hide another's.
		reply, err := rawCommand(s.Addr(), args)
		if err != nil {
			t.Fatalf("%.80q: %v", args, err)
		}
		if strings.Contains(reply, "internal error") {
			t.Errorf("%.80q panicked: %q", args, reply)
		}
		expect(t, c, "PONG", "PING")
	}
	expect(t, c, "alive", "GET", "canary")
	if info := do(t, c, "INFO", "stats").(string); !strings.Contains(info, "command_panics:0\r\n") {
		t.Errorf("a hostile command panicked: %q", info)
	}
}

// rawCommand sends one command over a fresh connection and returns the
// first line of its reply.
func rawCommand(addr string, args []string) (string, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := nc.Write(b.Bytes()); err != nil {
		return "", err
	}
	return bufio.NewReader(nc).ReadString('\n')
}

// The command layer, fuzzed: arbitrary bytes reach a real node over TCP.
// After each input the node still answers PING, no command panicked (even
// a contained panic is a bug), a key written before is intact, and no
// goroutine is left behind once the connection is gone.
// Inputs that could legitimately remove the key or stop the node (FLUSH*,
// the DYNAGO admin commands, CONFIG, anything naming the key) are skipped.
func FuzzCommands(f *testing.F) {
	for _, args := range hostileCommands {
		f.Add(encodeCommands([][]string{args}))
	}
	for _, seed := range commandFuzzSeeds() {
		f.Add(seed)
	}
	s := testserver.Start(f)
	c := conn(f, s)
	const canary = "fuzz-canary-key"
	expect(f, c, "OK", "SET", canary, "alive")
	baseline := -1
	f.Fuzz(func(t *testing.T, in []byte) {
		if fuzzSkips(in) {
			t.Skip("input may remove the canary or stop the node on purpose")
		}
		if baseline < 0 {
			baseline = countGoroutines()
		}
		nc, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		nc.Write(in)
		// Half-close: the node runs what it received, sees the end of the
		// stream and hangs up, which ends the read.
		nc.(*net.TCPConn).CloseWrite()
		if _, err := io.Copy(io.Discard, nc); err != nil {
			t.Fatalf("the node did not close the connection after the input ended: %v", err)
		}
		nc.Close()

		expect(t, c, "PONG", "PING")
		expect(t, c, "alive", "GET", canary)
		// A contained panic kept the node up, but it is still a bug.
		if info := do(t, c, "INFO", "stats").(string); !strings.Contains(info, "command_panics:0\r\n") {
			t.Fatalf("a command panicked (see the log): %q", info)
		}
		deadline := time.Now().Add(5 * time.Second)
		for n := countGoroutines(); n > baseline; n = countGoroutines() {
			if time.Now().After(deadline) {
				var b bytes.Buffer
				pprof.Lookup("goroutine").WriteTo(&b, 1)
				t.Fatalf("%d goroutines after the connection closed, %d before the first input:\n%s", n, baseline, b.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// countGoroutines counts goroutines other than the worker pool's parked
// workers, which are kept for reuse on purpose and let go when idle.
func countGoroutines() int {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 1)
	n := 0
	for _, group := range strings.Split(b.String(), "\n\n") {
		var count int
		if _, err := fmt.Sscanf(group, "%d @", &count); err != nil {
			continue
		}
		if strings.Contains(group, "workers.(*Pool).work") && !strings.Contains(group, "resp.(*Server)") {
			continue
		}
		n += count
	}
	return n
}

func encodeCommands(cmds [][]string) []byte {
	var b bytes.Buffer
	for _, args := range cmds {
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	return b.Bytes()
}

// commandFuzzSeeds are whole command streams for FuzzCommands's corpus:
// the differential tester's seeded streams (weighted toward edge values,
// wrong arity and bad options), less the commands the fuzz target skips.
func commandFuzzSeeds() [][]byte {
	var seeds [][]byte
	for seed := uint64(1); seed <= 24; seed++ {
		var cmds []difftest.Cmd
		for _, c := range difftest.Generate(seed, 40) {
			if !fuzzSkips(bytes.Join(toBytes(c), nil)) {
				cmds = append(cmds, c)
			}
		}
		seeds = append(seeds, difftest.EncodeRESP(cmds))
	}
	return seeds
}

func toBytes(c difftest.Cmd) [][]byte {
	out := make([][]byte, len(c))
	for i, a := range c {
		out[i] = []byte(a)
	}
	return out
}

// fuzzSkips reports whether FuzzCommands leaves an input alone: it may
// remove the canary key or stop the node on purpose.
func fuzzSkips(in []byte) bool {
	low := bytes.ToLower(in)
	for _, w := range []string{"flush", "dynago", "config", "canary", "shutdown", "debug"} {
		if bytes.Contains(low, []byte(w)) {
			return true
		}
	}
	return false
}
