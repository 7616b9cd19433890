package resp_test

// Tests of authentication, protected mode and the security settings in
// CONFIG GET, over real TCP with go-redis, hand-written protocol bytes and
// redis-cli; where a real redis-server is installed, the same requests go
// to it and the replies must be the same bytes.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
	"github.com/dynago/dynago/resp"
	"github.com/redis/go-redis/v9"
)

const (
	wrongPass   = "WRONGPASS invalid username-password pair or user is disabled."
	noAuth      = "NOAUTH Authentication required."
	noAuthHello = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> " +
		"option can be used to authenticate the client and select the RESP protocol version at the same time"
)

func withPassword(p string) testserver.Option {
	return func(cfg *node.Config) { cfg.Security.RequirePass = p }
}

// clientWith returns a go-redis client for addr configured by opt.
func clientWith(t *testing.T, addr string, opt func(*redis.Options)) *redis.Client {
	o := &redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second}
	if opt != nil {
		opt(o)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// rawConn is one connection driven with hand-written protocol bytes.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// exchange sends send and checks that exactly want comes back.
func (c *rawConn) exchange(send, want string) {
	c.t.Helper()
	_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.nc, send); err != nil {
		c.t.Fatalf("send %q: %v", send, err)
	}
	got := make([]byte, len(want))
	if n, err := io.ReadFull(c.r, got); err != nil {
		c.t.Fatalf("sent %q: %v (got %q, want %q)", send, err, got[:n], want)
	}
	if string(got) != want {
		c.t.Fatalf("sent %q: got %q, want %q", send, got, want)
	}
}

// closed checks that the server closes the connection without another byte.
func (c *rawConn) closed() {
	c.t.Helper()
	_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if b, err := c.r.ReadByte(); err == nil {
		rest, _ := c.r.Peek(c.r.Buffered())
		c.t.Fatalf("got %q, want the connection closed", append([]byte{b}, rest...))
	}
}

func TestAuthRequirePass(t *testing.T) {
	s := testserver.Start(t, withPassword("s3cret"))

	t.Run("go-redis without a password", func(t *testing.T) {
		c := s.Client()
		for _, args := range [][]interface{}{{"PING"}, {"GET", "k"}, {"SET", "k", "v"}, {"CLIENT", "ID"}, {"COMMAND", "COUNT"}} {
			expectErr(t, c, noAuth, args...)
		}
	})
	t.Run("go-redis with the password", func(t *testing.T) {
		for _, user := range []string{"", "default"} {
			c := clientWith(t, s.Addr(), func(o *redis.Options) { o.Username, o.Password = user, "s3cret" })
			expect(t, c, "OK", "SET", "k", "v")
			expect(t, c, "v", "GET", "k")
			// HELLO 3 AUTH both authenticated and switched to RESP3.
			if info := do(t, c, "CLIENT", "INFO").(string); !strings.Contains(info, " resp=3 ") {
				t.Errorf("CLIENT INFO %q, want resp=3", info)
			}
			expect(t, c, map[interface{}]interface{}{"requirepass": "s3cret"}, "CONFIG", "GET", "requirepass")
		}
	})
	t.Run("go-redis with a wrong password or user", func(t *testing.T) {
		for _, o := range []struct{ user, pass string }{{"", "nope"}, {"default", "nope"}, {"bob", "s3cret"}, {"DEFAULT", "s3cret"}} {
			c := clientWith(t, s.Addr(), func(opt *redis.Options) { opt.Username, opt.Password = o.user, o.pass })
			err := c.Ping(bg).Err()
			if err == nil || !strings.Contains(err.Error(), wrongPass) {
				t.Errorf("user %q password %q: %v, want %q", o.user, o.pass, err, wrongPass)
			}
		}
	})
	t.Run("protocol", func(t *testing.T) {
		c := dialRaw(t, s.Addr())
		c.exchange("PING\r\n", "-"+noAuth+"\r\n")
		// Unknown commands and wrong arity are reported before NOAUTH, as in Redis.
		c.exchange("NOSUCH\r\n", "-ERR unknown command 'NOSUCH', with args beginning with: \r\n")
		c.exchange("GET\r\n", "-ERR wrong number of arguments for 'get' command\r\n")
		c.exchange("CONFIG FOO\r\n", "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n")
		// Everything pipelined behind a failed AUTH is refused.
		c.exchange("AUTH nope\r\nGET k\r\nPING\r\n", "-"+wrongPass+"\r\n-"+noAuth+"\r\n-"+noAuth+"\r\n")
		c.exchange("*2\r\n$4\r\nAUTH\r\n$6\r\ns3creT\r\n", "-"+wrongPass+"\r\n")
		c.exchange("AUTH bob s3cret\r\n", "-"+wrongPass+"\r\n")
		c.exchange("AUTH a b c\r\n", "-ERR syntax error\r\n")
		c.exchange("AUTH\r\n", "-ERR wrong number of arguments for 'auth' command\r\n")
		// HELLO without AUTH is refused; with a wrong password it changes
		// nothing: not the protocol, not the name.
		c.exchange("HELLO\r\n", "-"+noAuthHello+"\r\n")
		c.exchange("HELLO 3 SETNAME x\r\n", "-"+noAuthHello+"\r\n")
		c.exchange("HELLO 3 AUTH default nope SETNAME x\r\n", "-"+wrongPass+"\r\n")
		c.exchange("HELLO 3 AUTH a\r\n", "-ERR Syntax error in HELLO option 'AUTH'\r\n")
		c.exchange("HELLO 4 AUTH default s3cret\r\n", "-NOPROTO unsupported protocol version\r\n")
		c.exchange("AUTH s3cret\r\n", "+OK\r\n")
		c.exchange("GET missing\r\nCLIENT GETNAME\r\n", "$-1\r\n$-1\r\n") // still RESP2, no name
		// A wrong password later does not undo the authentication.
		c.exchange("AUTH nope\r\nPING\r\n", "-"+wrongPass+"\r\n+PONG\r\n")
		c.exchange("AUTH default s3cret\r\n", "+OK\r\n")
		// Authenticated, a request may be as large as any client's.
		c.exchange("*13\r\n$4\r\nMSET\r\n"+strings.Repeat("$1\r\na\r\n$1\r\nb\r\n", 5)+"$1\r\nc\r\n$20000\r\n"+strings.Repeat("x", 20000)+"\r\n", "+OK\r\n")
	})
	t.Run("AUTH and the next command pipelined", func(t *testing.T) {
		c := dialRaw(t, s.Addr())
		// The command after AUTH is judged once AUTH has run: its thirteen
		// arguments would be refused from a stranger.
		c.exchange("AUTH s3cret\r\n*13\r\n$4\r\nMSET\r\n"+strings.Repeat("$1\r\na\r\n$1\r\nb\r\n", 5)+"$1\r\nc\r\n$1\r\nd\r\nPING\r\n",
			"+OK\r\n+OK\r\n+PONG\r\n")
	})
	t.Run("HELLO AUTH", func(t *testing.T) {
		c := dialRaw(t, s.Addr())
		c.exchange("HELLO 2 AUTH default s3cret SETNAME me\r\n", "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n")
		if _, err := c.r.ReadString('*'); err != nil { // "modules": an empty array, the last field
			t.Fatal(err)
		}
		c.exchange("", "0\r\n")
		c.exchange("CLIENT GETNAME\r\n", "$2\r\nme\r\n")
		c = dialRaw(t, s.Addr())
		c.exchange("HELLO 3 AUTH default s3cret\r\n", "%7\r\n")
	})
	t.Run("strangers send small requests", func(t *testing.T) {
		c := dialRaw(t, s.Addr())
		c.exchange("*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n")
		c.closed()
		c = dialRaw(t, s.Addr())
		c.exchange("*2\r\n$3\r\nGET\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n")
		c.closed()
	})
	t.Run("strangers get 16 KiB of replies to a read", func(t *testing.T) {
		// 400 refusals (13,600 bytes) are answered, and the client may
		// still authenticate.
		c := dialRaw(t, s.Addr())
		c.exchange(strings.Repeat("PING\r\n", 400), strings.Repeat("-"+noAuth+"\r\n", 400))
		c.exchange("AUTH s3cret\r\n", "+OK\r\n")
		// 2,000 in one write (one read of the server's) would be 68,000
		// bytes: the client is closed before them all, as Redis closes it
		// once its replies outgrow its 16 KiB buffer.
		c = dialRaw(t, s.Addr())
		_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c.nc, strings.Repeat("PING\r\n", 2000)); err != nil {
			t.Fatal(err)
		}
		replies := 0
		var err error
		for ; err == nil; replies++ {
			var line string
			if line, err = c.r.ReadString('\n'); err == nil && line != "-"+noAuth+"\r\n" {
				t.Fatalf("reply %d: %q", replies, line)
			}
		}
		var ne net.Error
		if replies > 16<<10/len("-"+noAuth+"\r\n")+1 || errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%d replies, then %v; want at most 16 KiB of them and the connection closed", replies-1, err)
		}
	})
	t.Run("QUIT", func(t *testing.T) {
		c := dialRaw(t, s.Addr())
		c.exchange("QUIT\r\n", "+OK\r\n")
		c.closed()
	})
}

func TestAuthWithoutPassword(t *testing.T) {
	s := testserver.Start(t)
	c := dialRaw(t, s.Addr())
	c.exchange("AUTH x\r\n", "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n")
	c.exchange("AUTH default anything\r\n", "+OK\r\n")
	c.exchange("AUTH bob x\r\n", "-"+wrongPass+"\r\n")
	c.exchange("HELLO 3 AUTH bob x\r\n", "-"+wrongPass+"\r\n")
	c.exchange("HELLO 3 AUTH default x\r\n", "%7\r\n")
	// go-redis sends the password it was given; the default user takes any.
	g := clientWith(t, s.Addr(), func(o *redis.Options) { o.Password = "whatever" })
	expect(t, g, "PONG", "PING")
	expect(t, g, map[interface{}]interface{}{"requirepass": ""}, "CONFIG", "GET", "requirepass")
}

// Commands a node forwards to the key's coordinator run there without
// another authentication: the cluster vouches for them.
func TestAuthForwardedCommands(t *testing.T) {
	c := testserver.StartCluster(t, 2, func(i int, cfg *node.Config) { cfg.Security.RequirePass = "pw" })
	clients := make([]*redis.Client, 2)
	for i := range clients {
		clients[i] = clientWith(t, c.Nodes[i].Addr(), func(o *redis.Options) { o.Password = "pw" })
		expectErr(t, c.Nodes[i].Client(), noAuth, "GET", "k")
	}
	// With two nodes, each coordinates the writes of about half the keys;
	// the others are forwarded.
	for i := 0; i < 40; i++ {
		k := fmt.Sprintf("fwd%d", i)
		expect(t, clients[0], "OK", "SET", k, k)
		expect(t, clients[0], int64(1), "INCR", k+":n")
	}
	expect(t, clients[0], int64(40), "DEL", "fwd0", "fwd1", "fwd2", "fwd3", "fwd4", "fwd5", "fwd6", "fwd7", "fwd8", "fwd9",
		"fwd0:n", "fwd1:n", "fwd2:n", "fwd3:n", "fwd4:n", "fwd5:n", "fwd6:n", "fwd7:n", "fwd8:n", "fwd9:n",
		"fwd10", "fwd11", "fwd12", "fwd13", "fwd14", "fwd15", "fwd16", "fwd17", "fwd18", "fwd19",
		"fwd10:n", "fwd11:n", "fwd12:n", "fwd13:n", "fwd14:n", "fwd15:n", "fwd16:n", "fwd17:n", "fwd18:n", "fwd19:n")
	for i := 20; i < 40; i++ {
		k := fmt.Sprintf("fwd%d", i)
		expect(t, clients[1], k, "GET", k)
	}
}

func TestConfigGetSecuritySettings(t *testing.T) {
	s := testserver.Start(t, func(cfg *node.Config) {
		cfg.Security.RequirePass = "pw"
		cfg.Limits = resp.Limits{MaxClients: 77, Timeout: 300 * time.Second, ProtoMaxBulkLen: 2 << 20, QueryBufferLimit: 8 << 20}
	})
	c := clientWith(t, s.Addr(), func(o *redis.Options) { o.Password = "pw" })
	want := map[interface{}]interface{}{
		"requirepass":               "pw",
		"protected-mode":            "yes",
		"maxclients":                "77",
		"timeout":                   "300",
		"tls-port":                  "0",
		"proto-max-bulk-len":        "2097152",
		"client-query-buffer-limit": "8388608",
	}
	for k, v := range want {
		expect(t, c, map[interface{}]interface{}{k: v}, "CONFIG", "GET", k)
	}
	if got := do(t, c, "INFO", "clients").(string); !strings.Contains(got, "maxclients:77\r\n") {
		t.Errorf("INFO clients %q, want maxclients:77", got)
	}

	d := testserver.Start(t, func(cfg *node.Config) { cfg.Security.NoProtectedMode = true })
	expect(t, d.Client(), map[interface{}]interface{}{"protected-mode": "no", "maxclients": "10000", "timeout": "0",
		"proto-max-bulk-len": "536870912"}, "CONFIG", "GET", "protected-mode", "maxclients", "timeout", "proto-max-bulk-len")
}

// A node bound to every address refuses clients that reach it through a
// non-loopback address while no password is set. It needs such an address
// on this machine.
func TestProtectedModeOnRealAddress(t *testing.T) {
	ip := nonLoopbackIPv4(t)
	start := func(opts ...testserver.Option) string {
		s := testserver.Start(t, append([]testserver.Option{func(cfg *node.Config) { cfg.Addr = "0.0.0.0:0" }}, opts...)...)
		_, port, _ := net.SplitHostPort(s.Addr())
		return port
	}
	port := start()
	c := dialRaw(t, net.JoinHostPort(ip, port))
	line, err := c.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "-DENIED Dynago is running in protected mode") || !strings.Contains(line, "--protected-mode no") ||
		!strings.Contains(line, "--requirepass") {
		t.Fatalf("client from %s: %q, %v; want the protected-mode refusal", ip, line, err)
	}
	c.closed()
	dialRaw(t, "127.0.0.1:"+port).exchange("PING\r\n", "+PONG\r\n")

	port = start(withPassword("pw"))
	dialRaw(t, net.JoinHostPort(ip, port)).exchange("PING\r\nAUTH pw\r\nPING\r\n", "-"+noAuth+"\r\n+OK\r\n+PONG\r\n")

	port = start(func(cfg *node.Config) { cfg.Security.NoProtectedMode = true })
	dialRaw(t, net.JoinHostPort(ip, port)).exchange("PING\r\n", "+PONG\r\n")
}

func nonLoopbackIPv4(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("cannot list this machine's addresses: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Skip("this machine has no non-loopback IPv4 address")
	return ""
}

// startRealRedisWith starts redis-server with extra arguments (see
// startRealRedis); it waits for the port to answer, with or without a
// password.
func startRealRedisWith(t *testing.T, extra ...string) *realRedis {
	t.Helper()
	server, err1 := exec.LookPath("redis-server")
	cli, err2 := exec.LookPath("redis-cli")
	if err1 != nil || err2 != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but Redis is missing: redis-server: %v; redis-cli: %v", err1, err2)
		}
		t.Skipf("redis-server or redis-cli not installed (%v; %v)", err1, err2)
	}
	port := testserver.FreePort(t)
	dir := t.TempDir()
	log, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--save", "", "--appendonly", "no", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir}, extra...)
	cmd := exec.Command(server, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = nc.SetDeadline(time.Now().Add(time.Second))
			_, err = io.WriteString(nc, "PING\r\n")
			line := ""
			if err == nil {
				line, err = bufio.NewReader(nc).ReadString('\n')
			}
			nc.Close()
			if err == nil && (line == "+PONG\r\n" || line == "-"+noAuth+"\r\n") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server at %s not ready: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &realRedis{cli: cli, addr: addr}
}

// rawReplies sends in on a new connection, closes the sending side, and
// returns everything the server answers until it closes the connection.
func rawReplies(addr string, in []byte) string {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	_, _ = nc.Write(in) // the server may stop reading part way: what it answered counts
	_ = nc.(*net.TCPConn).CloseWrite()
	out, err := io.ReadAll(nc)
	if err != nil {
		return string(out) + "<" + err.Error() + ">"
	}
	return string(out) + "<EOF>"
}

// securityProtocolCases are requests whose replies, byte for byte, must be
// Redis's, on a server with requirepass s3cret.
var securityProtocolCases = []struct{ name, in string }{
	{"unauthenticated", "PING\r\nGET k\r\nNOSUCH\r\nGET\r\nQUIT\r\n"},
	{"failed AUTH pipeline", "AUTH wrong\r\nGET x\r\nPING\r\nAUTH s3cret\r\nPING\r\n"},
	{"AUTH forms", "AUTH default wrong\r\nAUTH bob s3cret\r\nAUTH a b c\r\nAUTH\r\nAUTH default s3cret\r\nPING\r\n"},
	{"HELLO failures", "HELLO 3 AUTH default wrong\r\nHELLO 3 AUTH a\r\nHELLO 4\r\nHELLO abc\r\nGET k\r\n"},
	{"unauthenticated multibulk", "*11\r\n"},
	{"unauthenticated multibulk at limit", "*10\r\n"},
	{"unauthenticated bulk", "*2\r\n$20000\r\n"},
	{"unauthenticated bulk at limit", "*2\r\n$16384\r\n"},
	{"pipelined after AUTH", "AUTH s3cret\r\n*12\r\n$4\r\nMSET\r\n" + strings.Repeat("$1\r\na\r\n", 11) + "GET a\r\n"},
	{"empty requests", "*0\r\n*-1\r\nAUTH s3cret\r\nPING\r\n"},
	{"bad count", "AUTH s3cret\r\n*x\r\n"},
	{"huge count", "AUTH s3cret\r\n*3000000000\r\n"},
	{"no dollar", "AUTH s3cret\r\n*1\r\nx\r\n"},
	{"negative bulk", "AUTH s3cret\r\n*1\r\n$-1\r\n"},
	{"bulk over 512 MiB", "AUTH s3cret\r\n*1\r\n$536870913\r\n"},
	{"bulk length overflowing", "AUTH s3cret\r\n*1\r\n$9223372036854775807\r\n"},
	{"bytes after bulk skipped", "AUTH s3cret\r\n*1\r\n$4\r\nPINGxx\r\n"},
	{"inline too big", "AUTH s3cret\r\n" + strings.Repeat("a", 70000)},
	{"count too big", "AUTH s3cret\r\n*" + strings.Repeat("1", 70000)},
	{"bulk count too big", "AUTH s3cret\r\n*1\r\n$" + strings.Repeat("1", 70000)},
	{"unbalanced quotes", "AUTH s3cret\r\nset a \"b\r\n"},
	{"bulk length with LF", "AUTH s3cret\r\n*1\r\n$3\nabc\r\n"},
	{"count without CR", "AUTH s3cret\r\n*1\nPING\r\n"},
	{"empty lines", "\r\n\n\r\nAUTH s3cret\r\n\r\nPING\r\n"},
}

// The same requests to a real redis-server with the same password and to
// Dynago must get the same replies.
func TestAuthCompatWithRedis(t *testing.T) {
	r := startRealRedisWith(t, "--requirepass", "s3cret")
	d := testserver.Start(t, withPassword("s3cret"))

	t.Run("protocol", func(t *testing.T) {
		var wg sync.WaitGroup
		got := make([][2]string, len(securityProtocolCases))
		for i, tc := range securityProtocolCases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i] = [2]string{rawReplies(r.addr, []byte(tc.in)), rawReplies(d.Addr(), []byte(tc.in))}
			}()
		}
		wg.Wait()
		for i, tc := range securityProtocolCases {
			if got[i][0] != got[i][1] {
				t.Errorf("%s:\nredis:  %q\ndynago: %q", tc.name, got[i][0], got[i][1])
			}
		}
	})
	t.Run("redis-cli unauthenticated", func(t *testing.T) {
		// One redis-cli per line: before AUTH, the script harness's ECHO
		// marks would be refused too.
		for _, line := range []string{"ping", "get k", "set k v", "nosuchcmd a", "get", "config foo", "config get maxclients",
			"client id", "select 0", "hello 4", "hello 3 auth default wrong", "hello 3 auth a", "auth", "auth a b c",
			"auth wrong", "auth default wrong", "auth bob s3cret", "auth s3cret", "auth default s3cret"} {
			args := strings.Fields(line)
			want, got := r.run(t, r.addr, false, args...), r.run(t, d.Addr(), false, args...)
			if want != got {
				t.Errorf("%s:\nredis:  %q\ndynago: %q", line, want, got)
			}
		}
	})
	t.Run("redis-cli authenticated", func(t *testing.T) {
		compareScript(t, r, d.Addr(), false, []string{
			"auth s3cret", "config get requirepass", "auth nope", "ping", "auth default s3cret", "hello 3 auth default nope",
			"get {k}missing", "config get maxclients", "config get timeout", "config get proto-max-bulk-len", "config get tls-port",
			"config get client-query-buffer-limit", "config get protected-mode",
		}, "authcompat:")
	})
}

// Without a password, AUTH behaves as Redis's for its "nopass" default user.
func TestAuthCompatWithoutPassword(t *testing.T) {
	r := startRealRedis(t)
	d := testserver.Start(t)
	compareScript(t, r, d.Addr(), false, []string{
		"auth x", "auth default x", "auth bob x", "auth", "auth a b c", "auth default", "hello 3 auth bob x", "hello 3 auth default",
		"config get requirepass", "config get protected-mode", "config get maxclients", "config get timeout",
		"config get proto-max-bulk-len", "config get client-query-buffer-limit", "config get tls-port",
	}, "nopass:")
}
