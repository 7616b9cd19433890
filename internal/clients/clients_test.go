package clients_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
)

// missing skips the test when a tool it needs is not installed, unless the
// CI environment variable is set: there it is a failure (.ci/run installs
// every tool).
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but "+format, args...)
	}
	t.Skipf(format, args...)
}

// runScript runs a client script against a fresh node and checks that it
// exits cleanly and reports every check in want, in order, as ok.
func runScript(t *testing.T, want []string, name string, args ...string) *testserver.Server {
	t.Helper()
	s := testserver.Start(t)
	runScriptOn(t, []string{s.Addr()}, want, name, args...)
	return s
}

// runScriptOn runs a client script against the nodes at addrs (host and
// port of each, after args) and checks its output as runScript does.
func runScriptOn(t *testing.T, addrs []string, want []string, name string, args ...string) {
	t.Helper()
	for _, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, host, port)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "FAIL ") {
			got = append(got, line)
		}
	}
	for i, w := range want {
		if i >= len(got) || got[i] != "ok "+w {
			t.Fatalf("check %q did not pass; the script printed:\n%s", w, out)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("the script ran %d checks, want %d:\n%s", len(got), len(want), out)
	}
}

// python returns a Python 3 interpreter that has redis-py (Debian's
// python3-redis installs it for /usr/bin/python3).
func python(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import redis").Run() == nil {
			return path
		}
		tried = append(tried, path)
	}
	missing(t, "no python3 with redis-py (apt-get install -y python3-redis); tried %q", tried)
	return ""
}

var (
	pyChecks = []string{"pipeline", "runtime error in place", "EXECABORT", "EXECABORT ran nothing",
		"WatchError", "WatchError kept their write", "watch increment loop"}
	jsChecks = []string{"multi", "runtime error in place", "EXECABORT", "EXECABORT ran nothing",
		"watch abort", "watch abort kept their write", "watch increment loop"}
)

func TestRedisPyTransactions(t *testing.T) {
	py := python(t)
	s := runScript(t, pyChecks, py, filepath.Join("python", "transactions.py"))
	if n, err := s.Client().Get(t.Context(), "py:counter").Int(); err != nil || n != 80 {
		t.Fatalf("py:counter: %d, %v; want 80", n, err)
	}
}

// threeNodes starts a three-node cluster (N=3: every node owns every key,
// so writes through any of them are coordinated there) and returns the
// addresses of two of its nodes.
func threeNodes(t *testing.T) (*testserver.Cluster, []string) {
	t.Helper()
	c := testserver.StartCluster(t, 3, nil)
	c.WaitRing(3)
	return c, []string{c.Nodes[0].Addr(), c.Nodes[1].Addr()}
}

// The same transactions through a node of a three-node cluster, the
// watched key written through another node: WATCH sees a write made
// through any node.
func TestRedisPyTransactionsInACluster(t *testing.T) {
	py := python(t)
	c, addrs := threeNodes(t)
	runScriptOn(t, addrs, pyChecks, py, filepath.Join("python", "transactions.py"))
	if n, err := c.Nodes[2].Client().Get(t.Context(), "py:counter").Int(); err != nil || n != 80 {
		t.Fatalf("py:counter through the third node: %d, %v; want 80", n, err)
	}
}

func TestIORedisTransactionsInACluster(t *testing.T) {
	node := nodeWithIORedis(t)
	c, addrs := threeNodes(t)
	runScriptOn(t, addrs, jsChecks, node, filepath.Join("node", "transactions.js"))
	if n, err := c.Nodes[2].Client().Get(t.Context(), "js:counter").Int(); err != nil || n != 80 {
		t.Fatalf("js:counter through the third node: %d, %v; want 80", n, err)
	}
}

// nodeWithIORedis returns Node.js's path once ioredis is installed.
func nodeWithIORedis(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node is not installed (apt-get install -y nodejs npm): %v", err)
	}
	if _, err := os.Stat(filepath.Join("node", "node_modules", "ioredis")); err != nil {
		missing(t, "ioredis is not installed: run npm ci in internal/clients/node (%v)", err)
	}
	return node
}

func TestIORedisTransactions(t *testing.T) {
	node := nodeWithIORedis(t)
	s := runScript(t, jsChecks, node, filepath.Join("node", "transactions.js"))
	if n, err := s.Client().Get(t.Context(), "js:counter").Int(); err != nil || n != 80 {
		t.Fatalf("js:counter: %d, %v; want 80", n, err)
	}
}
