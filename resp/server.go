// Package resp is Dynago's front door: a RESP (Redis protocol) listener, the
// command table, argument parsing and Redis-exact replies and errors. Command
// handlers parse their arguments, ask the coordinator, and write the reply;
// storage and replication live behind the coordinator.
package resp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dynago/dynago/coordinator"
	"github.com/dynago/dynago/internal/workers"
	"github.com/dynago/dynago/partition"
	"github.com/tidwall/redcon"
)

// Version is the Redis version Dynago reports to clients (HELLO, INFO), the
// one whose command semantics it follows.
const Version = "7.2.0"

// DynagoVersion is this release of Dynago.
const DynagoVersion = "0.1.0"

// Config configures the RESP server.
type Config struct {
	// Addr is the host:port to listen on for plain TCP; empty: none (the
	// clients use TLS, Security.TLSAddr).
	Addr string
	// NodeName names this node in INFO and admin replies.
	NodeName string
	// MaxValueBytes is the largest value a client may store. Default 16 MiB:
	// big enough for any cache entry, small enough that one value cannot
	// stall replication or blow up a node's memory.
	MaxValueBytes int
	// DataDir and Fsync are reported by INFO and CONFIG GET.
	DataDir string
	Fsync   string
	// Now is the wall clock; default time.Now.
	Now func() time.Time
	// Admin answers the DYNAGO commands; nil on a node without membership.
	Admin Admin
	// Security keeps strangers out: password, protected mode, TLS.
	Security Security
	// Limits bound what one client can cost.
	Limits Limits
	// SlowlogSlowerThan is the duration, in microseconds, from which a
	// command enters the slow log (SLOWLOG GET): 0 logs every command, a
	// negative value none. SlowlogMaxLen is how many entries it keeps
	// (default 128). The node sets Redis's default, 10000 (10 ms).
	SlowlogSlowerThan int64
	SlowlogMaxLen     int
	// Settings, if set, answers CONFIG GET and CONFIG SET for the node's
	// own settings (quorums, log level, ...).
	Settings Settings
	// OnCommand, if set, is told of every command run: its name, how long
	// it took, and whether it answered an error (the node's metrics).
	OnCommand func(name string, took time.Duration, failed bool)
}

// The worker pool keeps at most poolWorkers goroutines, each for poolIdle
// without work: enough for 50 clients' 16-deep pipelines.
const (
	poolWorkers = 1024
	poolIdle    = 10 * time.Second
)

// DefaultMaxValueBytes is Config.MaxValueBytes's default.
const DefaultMaxValueBytes = 16 << 20

// Server serves RESP clients.
type Server struct {
	cfg   Config
	coord *coordinator.Coordinator
	start time.Time

	ln     net.Listener   // plain TCP; nil when clients use TLS only
	tlsLn  net.Listener   // TLS; nil without Security.TLSAddr
	tlsCfg *tls.Config    // the TLS listener's configuration
	rs     *redcon.Server // serves ln
	rsTLS  *redcon.Server // serves tlsLn

	pass         atomic.Pointer[password] // the default user's; nil: none
	bindLoopback bool                     // every listener is on loopback (protected mode does not apply)
	conns        atomic.Int64             // clients connected, counted against Limits.MaxClients
	refusing     chan struct{}            // refusals being written (see refuse)

	cmdStats          commandStats // INFO commandstats
	slow              slowlog      // SLOWLOG
	slowlogSlowerThan atomic.Int64 // microseconds; < 0: off
	slowlogMaxLen     atomic.Int64
	maxClients        atomic.Int64 // Limits.MaxClients, changed by CONFIG SET
	idleTimeout       atomic.Int64 // Limits.Timeout in nanoseconds, changed by CONFIG SET

	mu      sync.Mutex          // protects clients
	clients map[uint64]*session // connected clients by id
	nextID  atomic.Uint64       // last client id handed out
	running sync.WaitGroup      // commands being executed
	closing atomic.Bool         // set once shutdown begins

	// pool runs a pipeline wave's commands and a multi-key command's keys
	// on goroutines kept for reuse.
	pool *workers.Pool

	// gate isolates EXEC on a lone node: every command holds its read
	// side while it runs, EXEC its write side (see exec.go).
	gate sync.RWMutex
	// txKeys serializes the EXECs through this node that share a key, in
	// a cluster (see exec.go).
	txKeys keyLocks
	// watching finds the sessions watching a key (see watch.go).
	watching watchers

	stats stats
}

// stats are the server-wide counters INFO reports.
type stats struct {
	connections atomic.Int64 // connections accepted since start
	commands    atomic.Int64 // commands processed
	errors      atomic.Int64 // error replies
	hits        atomic.Int64 // reads that found a key
	misses      atomic.Int64 // reads that did not
	expired     atomic.Int64 // keys found expired on read
	rejected    atomic.Int64 // connections refused (maxclients, protected mode)
	panics      atomic.Int64 // commands whose handler panicked (see contain)
}

// session is one connection's state.
type session struct {
	srv   *Server
	conn  redcon.Conn
	id    uint64
	addr  string
	name  string
	lib   string // CLIENT SETINFO lib-name
	libv  string // CLIENT SETINFO lib-ver
	proto int    // 2 or 3, chosen with HELLO
	since time.Time

	// authed is set once the client has authenticated (AUTH or HELLO).
	authed atomic.Bool

	// readQ and writeQ are the connection's own R and W (DYNAGO
	// CONSISTENCY); 0 uses the node's.
	readQ, writeQ atomic.Int32

	// last is the unix-nano time of the last command; cmd the last command.
	// Read by CLIENT LIST from other connections.
	last atomic.Int64
	cmd  atomic.Pointer[Command]

	// poisoned is set when a command of this connection panicked: the rest
	// of its pipeline does not run, and the connection is closed once the
	// replies written so far have left (see contain).
	poisoned atomic.Bool

	// tx is the connection's transaction: MULTI's queue, WATCH's keys.
	tx txn
}

// client is what a command handler works with: its connection's session and
// the writer its reply goes to (the connection's own, or a buffer of its own
// when it runs concurrently with other commands of a pipeline).
type client struct {
	*session
	out    *redcon.Writer
	ctx    context.Context // what the command runs under
	failed bool            // the command answered an error
	// fetched holds the quorum reads of keys fetched ahead of the
	// command (see runReadWave); nil for most commands.
	fetched map[string]coordinator.ReadResult
	// at is the instant the command decides at when it runs inside EXEC
	// (time stands still for a transaction, as in Redis); zero otherwise.
	at time.Time
	// sync, when set, lets the command's writes on this node defer their
	// fsync to one the caller makes before any reply leaves (a lone node's
	// pipeline or EXEC).
	sync *coordinator.DeferredSync
	// inExec marks a queued command that EXEC runs: it passed its checks
	// when it was queued. gateHeld says the server's gate is held already
	// by the EXEC this command runs inside, so it must not take it again.
	inExec, gateHeld bool
}

// opts are the coordinator options the command runs with: the
// connection's quorums (DYNAGO CONSISTENCY), the transaction's instant, the
// shared fsync.
func (c *client) opts() coordinator.Options {
	return coordinator.Options{R: int(c.readQ.Load()), W: int(c.writeQ.Load()), At: c.at, Sync: c.sync}
}

// New returns a server for coord.
func New(cfg Config, coord *coordinator.Coordinator) *Server {
	if cfg.MaxValueBytes <= 0 {
		cfg.MaxValueBytes = DefaultMaxValueBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Limits.setDefaults()
	s := &Server{cfg: cfg, coord: coord, start: cfg.Now(), clients: map[uint64]*session{}, refusing: make(chan struct{}, 64),
		pool: workers.New(poolWorkers, poolIdle)}
	s.pass.Store(newPassword(cfg.Security.RequirePass))
	if cfg.SlowlogMaxLen <= 0 {
		cfg.SlowlogMaxLen = 128
	}
	s.slowlogSlowerThan.Store(cfg.SlowlogSlowerThan)
	s.slowlogMaxLen.Store(int64(cfg.SlowlogMaxLen))
	s.maxClients.Store(int64(cfg.Limits.MaxClients))
	s.idleTimeout.Store(int64(cfg.Limits.Timeout))
	return s
}

// SetCoordinator gives the server its coordinator when it could not be
// built before the server (the node binds the RESP port first). It must be
// called before Serve.
func (s *Server) SetCoordinator(c *coordinator.Coordinator) { s.coord = c }

// Listen checks the configuration and binds the server's addresses (plain
// and TLS); Serve then accepts clients.
func (s *Server) Listen() error {
	if err := s.cfg.Limits.Validate(); err != nil {
		return err
	}
	sec := s.cfg.Security
	if err := sec.Validate(); err != nil {
		return err
	}
	if s.cfg.Addr == "" && sec.TLSAddr == "" {
		return errors.New("no address to listen on: neither a port nor a TLS port")
	}
	if sec.TLSAddr != "" {
		cfg, err := loadTLS(sec)
		if err != nil {
			return err
		}
		s.tlsCfg = cfg
	}
	s.bindLoopback = true
	listen := func(addr string) (net.Listener, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
		}
		s.bindLoopback = s.bindLoopback && isLoopback(ln.Addr())
		return ln, nil
	}
	var err error
	if s.cfg.Addr != "" {
		if s.ln, err = listen(s.cfg.Addr); err != nil {
			return err
		}
		s.rs = redcon.NewServer(s.ln.Addr().String(), s.serveCommand, s.accept, s.closed)
	}
	if sec.TLSAddr != "" {
		if s.tlsLn, err = listen(sec.TLSAddr); err != nil {
			if s.ln != nil {
				s.ln.Close()
			}
			return err
		}
		// redcon's TLS server would bind and serve in one call; serving the
		// listener bound here instead reports a busy port before the node
		// joins, and lets guardListener check clients and frame requests.
		s.rsTLS = redcon.NewServer(s.tlsLn.Addr().String(), s.serveCommand, s.accept, s.closed)
	}
	return nil
}

// Addr is the address the server listens on for plain TCP, or for TLS
// when that is all it listens on (after Listen).
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return s.tlsLn.Addr()
	}
	return s.ln.Addr()
}

// TLSAddr is the address of the TLS listener; nil without one.
func (s *Server) TLSAddr() net.Addr {
	if s.tlsLn == nil {
		return nil
	}
	return s.tlsLn.Addr()
}

// Serve accepts and serves clients, plain and TLS, until Shutdown.
func (s *Server) Serve() error {
	var wg sync.WaitGroup
	var plainErr, tlsErr error
	if s.rs != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			plainErr = s.rs.Serve(&guardListener{Listener: s.ln, srv: s})
		}()
	}
	if s.rsTLS != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tlsErr = s.rsTLS.Serve(&guardListener{Listener: s.tlsLn, srv: s, tls: s.tlsCfg})
		}()
	}
	wg.Wait()
	if s.closing.Load() {
		return nil
	}
	return errors.Join(plainErr, tlsErr)
}

// Shutdown stops accepting, lets commands in progress finish (up to ctx's
// deadline), and closes every connection.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	if s.ln != nil {
		s.ln.Close()
	}
	if s.tlsLn != nil {
		s.tlsLn.Close()
	}
	done := make(chan struct{})
	go func() { s.running.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.New("resp: commands still running at shutdown deadline")
	}
	if s.rs != nil {
		s.rs.Close()
	}
	if s.rsTLS != nil {
		s.rsTLS.Close()
	}
	s.pool.Close()
	return err
}

func (s *Server) accept(conn redcon.Conn) bool {
	if s.closing.Load() {
		return false
	}
	c := &session{
		srv:   s,
		conn:  conn,
		id:    s.nextID.Add(1),
		addr:  conn.RemoteAddr(),
		proto: 2,
		since: s.cfg.Now(),
	}
	c.last.Store(c.since.UnixNano())
	conn.SetContext(c)
	if g, ok := conn.NetConn().(*guardConn); ok {
		g.sess = c // the framer applies Redis's limits for clients yet to authenticate
	}
	s.stats.connections.Add(1)
	s.mu.Lock()
	s.clients[c.id] = c
	s.mu.Unlock()
	return true
}

func (s *Server) closed(conn redcon.Conn, err error) {
	c, ok := conn.Context().(*session)
	if !ok {
		return
	}
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
	(&client{session: c}).unwatchAll()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		slog.Debug("client connection ended", "addr", c.addr, "err", err)
	}
}

// clientList returns the connected clients ordered by id.
func (s *Server) clientList() []*session {
	s.mu.Lock()
	list := make([]*session, 0, len(s.clients))
	for _, c := range s.clients {
		list = append(list, c)
	}
	s.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	return list
}

// serveCommand runs one command, or, when the client pipelined more behind
// it, the whole pipeline (see runPipeline).
func (s *Server) serveCommand(conn redcon.Conn, rc redcon.Command) {
	sess, ok := conn.Context().(*session)
	if !ok {
		return
	}
	s.running.Add(1)
	out := redcon.BaseWriter(conn)
	defer func() {
		// The replies leave before Shutdown may close the connection:
		// a command that finished is answered.
		_ = out.Flush()
		s.running.Done()
	}()
	defer func() {
		if sess.poisoned.Load() {
			conn.Close()
		}
	}()
	if len(conn.PeekPipeline()) == 0 {
		s.exec(&client{session: sess, out: out, ctx: context.Background()}, rc.Args, lookupArgs(rc.Args))
		return
	}
	if s.coord.Distributed() {
		cmds := append([]redcon.Command{rc}, conn.ReadPipeline()...)
		s.runWaves(context.Background(), sess, out, cmds)
		return
	}
	// A pipeline: its writes commit without waiting for the disk, and one
	// fsync covers them all before any reply leaves (redcon flushes replies
	// only after the last command of what it read).
	deferred := s.coord.DeferSync()
	c := &client{session: sess, out: out, ctx: context.Background(), sync: deferred}
	s.exec(c, rc.Args, lookupArgs(rc.Args))
	for _, next := range conn.ReadPipeline() {
		s.exec(c, next.Args, lookupArgs(next.Args))
	}
	if err := deferred.Sync(); err != nil {
		slog.Error("cannot sync writes; closing the connection without acknowledging them", "err", err)
		conn.Close()
	}
}

// errReservedKey refuses a key that begins with the bytes that name the
// records of a hash's fields (partition.ElementPrefix).
const errReservedKey = "ERR keys that begin with the bytes \\xffdynago\\x00 are reserved by Dynago"

// reservedKey reports whether a key argument of cmd begins with the
// reserved prefix.
func reservedKey(cmd *Command, args [][]byte) bool {
	first, last, step := cmd.keyArgs(len(args))
	for i := first; i > 0 && i <= last; i += step {
		if partition.HasReservedPrefix(args[i]) {
			return true
		}
	}
	return false
}

func lookupArgs(args [][]byte) *Command {
	if len(args) == 0 {
		return nil
	}
	return lookup(args[0])
}

// exec runs one command through the command table. A panic in the
// command is contained here (see contain), on whatever goroutine runs it,
// so it never takes the node down.
func (s *Server) exec(c *client, args [][]byte, cmd *Command) {
	if len(args) == 0 || c.poisoned.Load() {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.contain(c, args, r)
		}
	}()
	c.last.Store(s.cfg.Now().UnixNano())
	c.failed = false
	start := time.Now()
	rejected, queued := s.run(c, args, cmd)
	if queued {
		return // counted when EXEC runs it, as in Redis
	}
	s.stats.commands.Add(1)
	s.observe(c, cmd, args, time.Since(start), rejected, c.failed)
}

// run runs one command, or queues it inside MULTI; rejected says it was
// refused before it ran.
func (s *Server) run(c *client, args [][]byte, cmd *Command) (rejected, queued bool) {
	if cmd == nil {
		c.tx.refuse()
		c.writeError(errUnknownCommand(args))
		return true, false
	}
	c.cmd.Store(cmd)
	if !cmd.arityOK(len(args)) {
		if cmd == execCommand {
			c.execAbort(errArity(cmd.Name))
			return true, false
		}
		c.tx.refuse()
		c.writeError(errArity(cmd.Name))
		return true, false
	}
	if reservedKey(cmd, args) {
		c.tx.refuse()
		c.writeError(errReservedKey)
		return true, false
	}
	if c.tx.active && !runsInMulti(cmd) {
		if msg := subcommandError(cmd, args); msg != "" {
			c.tx.refuse()
			c.writeError(msg)
			return true, false
		}
	}
	if !c.inExec && c.authRequired() && refusedBeforeAuth(cmd, args) {
		if cmd == execCommand {
			c.execAbort(errNoAuth)
			return true, false
		}
		c.tx.refuse()
		c.writeError(errNoAuth)
		return true, false
	}
	if c.tx.active && cmd.hasFlag(noMulti) {
		c.tx.refuse()
		c.writeError(errNoMulti)
		return true, false
	}
	if c.tx.active && !runsInMulti(cmd) {
		if !c.queue(args, cmd) {
			return true, false
		}
		return false, true
	}
	if cmd != execCommand && !c.gateHeld {
		// EXEC takes the write side itself (see runTransaction).
		s.gate.RLock()
		defer s.gate.RUnlock()
	}
	cmd.Handler(c, args)
	return false, false
}

// contain answers a command whose handler panicked, as net/http does for
// a handler: the panic is logged with its stack and counted, the client gets
// an error in place of whatever part of a reply the handler had begun, and
// its connection is closed, since the client's state (a transaction, a
// half-run pipeline) can no longer be trusted. Locks and pending writes are
// released by the deferred calls that unwound with the panic: the engine
// and the coordinator release everything with defer.
func (s *Server) contain(c *client, args [][]byte, r any) {
	name := lower(args[0])
	s.stats.panics.Add(1)
	slog.Error("command panicked; its client is answered with an error and disconnected",
		"command", truncate(name, 64), "client", c.addr, "panic", r, "stack", string(debug.Stack()))
	c.poisoned.Store(true)
	// The replies before this command's are complete; a reply the handler
	// had begun is not, and goes.
	if buf := c.out.Buffer(); len(buf) > 0 {
		if n := completeReplies(buf); n < len(buf) {
			c.out.SetBuffer(buf[:n])
		}
	}
	c.writeError("ERR internal error while running '" + truncate(name, 64) +
		"'; the node logged it and is closing this connection")
}

// CommandPanics is the number of commands whose handler panicked since
// the server started (each contained: see contain).
func (s *Server) CommandPanics() int64 { return s.stats.panics.Load() }

func errUnknownCommand(args [][]byte) string {
	// As Redis does: the quoted arguments together stop at about 128 bytes,
	// and each stops at a NUL byte (Redis formats them as C strings).
	var quoted strings.Builder
	for _, a := range args[1:] {
		if quoted.Len() >= 128 {
			break
		}
		quoted.WriteString("'" + truncate(cString(a), 128-quoted.Len()) + "' ")
	}
	return "ERR unknown command '" + truncate(cString(args[0]), 128) + "', with args beginning with: " + quoted.String()
}

// writeErr answers err as a Redis error. Errors that carry their own Redis
// code (NOQUORUM, ...) keep it; anything else is an ERR.
func (c *client) writeErr(err error) {
	var re interface{ RedisError() string }
	if errors.As(err, &re) {
		c.writeError(re.RedisError())
		return
	}
	c.writeError("ERR " + err.Error())
}
