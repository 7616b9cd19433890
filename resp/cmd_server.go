package resp

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func init() {
	ls, nm, f := "loading", "stale", "fast"
	command := &Command{Name: "command", Arity: -1, Flags: []string{ls, nm}, Group: "server", Since: "2.8.13", Summary: "Returns detailed information about all commands."}
	command.Subcommands = []*Command{
		{Name: "command|count", Arity: 2, Flags: []string{ls, nm}, Group: "server", Since: "2.8.13", Summary: "Returns a count of commands.", Handler: cmdCommandCount},
		{Name: "command|info", Arity: -2, Flags: []string{ls, nm}, Group: "server", Since: "2.8.13", Summary: "Returns information about one, multiple or all commands.", Handler: cmdCommandInfo},
		{Name: "command|docs", Arity: -2, Flags: []string{ls, nm}, Group: "server", Since: "7.0.0", Summary: "Returns documentary information about one, multiple or all commands.", Handler: cmdCommandDocs},
		{Name: "command|list", Arity: -2, Flags: []string{ls, nm}, Group: "server", Since: "7.0.0", Summary: "Returns a list of command names.", Handler: cmdCommandList},
	}
	command.Handler = func(c *client, args [][]byte) {
		if len(args) == 1 {
			c.writeArray(len(commands))
			for _, cmd := range commands {
				c.writeCommandInfo(cmd)
			}
			return
		}
		dispatchSub(command, c, args)
	}
	config := &Command{Name: "config", Arity: -2, Group: "server", Since: "2.0.0", Summary: "A container for server configuration commands."}
	config.Subcommands = []*Command{
		{Name: "config|get", Arity: -3, Flags: []string{"admin", "noscript", ls, nm}, Group: "server", Since: "2.0.0", Summary: "Returns the effective values of configuration parameters.", Handler: cmdConfigGet},
		{Name: "config|set", Arity: -4, Flags: []string{"admin", "noscript", ls, nm}, Group: "server", Since: "2.0.0", Summary: "Sets configuration parameters in-flight.", Handler: cmdConfigSet},
		{Name: "config|resetstat", Arity: 2, Flags: []string{"admin", "noscript", ls, nm}, Group: "server", Since: "2.0.0", Summary: "Resets the server's statistics.", Handler: cmdConfigResetStat},
	}
	config.Handler = func(c *client, args [][]byte) { dispatchSub(config, c, args) }
	register(
		command, config,
		&Command{Name: "info", Arity: -1, Flags: []string{ls, nm}, Group: "server", Since: "1.0.0", Summary: "Returns information and statistics about the server.", Handler: cmdInfo},
		&Command{Name: "time", Arity: 1, Flags: []string{ls, nm, f}, Group: "server", Since: "2.6.0", Summary: "Returns the server time.", Handler: cmdTime},
		&Command{Name: "shutdown", Arity: -1, Flags: []string{"admin", "noscript", ls, nm, noMulti, "allow_busy"}, Group: "server", Since: "1.0.0", Summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.", Handler: cmdShutdown},
	)
}

// cmdShutdown stops the node, as SIGTERM does: it stops taking clients,
// lets the commands in progress finish, leaves gossip, and syncs and
// closes its store; the process then exits. Like Redis it answers nothing
// when it shuts down (the connection closes), and an error when it will
// not. Every acknowledged write is already on disk as --fsync promises, so
// SAVE, NOSAVE, NOW and FORCE change nothing; they are accepted as Redis
// accepts them (SAVE with NOSAVE, or ABORT with anything, is a syntax
// error). A shutdown never waits for replicas, so there is never one in
// progress for ABORT to cancel.
func cmdShutdown(c *client, args [][]byte) {
	var save, nosave, abort bool
	for _, a := range args[1:] {
		switch lower(a) {
		case "save":
			save = true
		case "nosave":
			nosave = true
		case "now", "force":
		case "abort":
			abort = true
		default:
			c.writeError(errSyntax)
			return
		}
	}
	if (save && nosave) || (abort && len(args) > 2) {
		c.writeError(errSyntax)
		return
	}
	if abort {
		c.writeError("ERR No shutdown in progress.")
		return
	}
	if c.srv.cfg.Admin == nil {
		c.writeError("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	slog.Info("shutting down: SHUTDOWN command", "client", c.addr)
	c.srv.cfg.Admin.Shutdown()
	c.conn.Close()
}

func cmdTime(c *client, args [][]byte) {
	now := c.srv.cfg.Now()
	c.writeArray(2)
	c.writeBulkString(strconv.FormatInt(now.Unix(), 10))
	c.writeBulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

func cmdCommandCount(c *client, args [][]byte) { c.writeInt(int64(len(commands))) }

// cmdCommandList lists every command name, subcommands included
// ("config|get"), as Redis 7 does, optionally filtered by a name pattern, an
// ACL category or a module (Dynago has no modules).
func cmdCommandList(c *client, args [][]byte) {
	var match func(cmd *Command) bool
	switch {
	case len(args) == 2:
		match = func(*Command) bool { return true }
	case len(args) == 5 && eq(args[2], "filterby") && eq(args[3], "pattern"):
		match = func(cmd *Command) bool { return globMatch(args[4], []byte(cmd.Name)) }
	case len(args) == 5 && eq(args[2], "filterby") && eq(args[3], "aclcat"):
		match = func(cmd *Command) bool {
			for _, cat := range aclCategories(cmd) {
				if eq(args[4], cat[1:]) {
					return true
				}
			}
			return false
		}
	case len(args) == 5 && eq(args[2], "filterby") && eq(args[3], "module"):
		match = func(*Command) bool { return false }
	default:
		c.writeError(errSyntax)
		return
	}
	var names []string
	for _, cmd := range commands {
		if match(cmd) {
			names = append(names, cmd.Name)
		}
		for _, sub := range cmd.Subcommands {
			if match(sub) {
				names = append(names, sub.Name)
			}
		}
	}
	c.writeArray(len(names))
	for _, n := range names {
		c.writeBulkString(n)
	}
}

// lookupFull finds a command by name, or a subcommand by its full name
// ("config|get"), ignoring case, as COMMAND INFO and COMMAND DOCS do.
func lookupFull(name []byte) *Command {
	if cmd := lookup(name); cmd != nil {
		return cmd
	}
	i := bytes.IndexByte(name, '|')
	if i < 0 {
		return nil
	}
	if parent := lookup(name[:i]); parent != nil {
		return parent.subcommand(name[i+1:])
	}
	return nil
}

func cmdCommandInfo(c *client, args [][]byte) {
	if len(args) == 2 {
		c.writeArray(len(commands))
		for _, cmd := range commands {
			c.writeCommandInfo(cmd)
		}
		return
	}
	c.writeArray(len(args) - 2)
	for _, name := range args[2:] {
		if cmd := lookupFull(name); cmd != nil {
			c.writeCommandInfo(cmd)
		} else {
			c.writeNull() // Redis's null for an unknown name is a null bulk string in RESP2
		}
	}
}

// writeCommandInfo writes cmd as Redis 7's COMMAND INFO describes a command.
func (c *client) writeCommandInfo(cmd *Command) {
	c.writeArray(10)
	c.writeBulkString(cmd.Name)
	c.writeInt(int64(cmd.Arity))
	c.writeSet(len(cmd.Flags))
	for _, fl := range cmd.Flags {
		c.writeStatus(fl)
	}
	c.writeInt(int64(cmd.FirstKey))
	c.writeInt(int64(cmd.LastKey))
	c.writeInt(int64(cmd.Step))
	cats := aclCategories(cmd)
	c.writeSet(len(cats))
	for _, cat := range cats {
		c.writeStatus(cat)
	}
	c.writeArray(0) // tips
	c.writeArray(0) // key specs
	c.writeArray(len(cmd.Subcommands))
	for _, sub := range cmd.Subcommands {
		c.writeCommandInfo(sub)
	}
}

// aclOrder is the order in which Redis lists a command's ACL categories.
var aclOrder = []string{
	"@keyspace", "@read", "@write", "@set", "@sortedset", "@list", "@hash", "@string",
	"@bitmap", "@hyperloglog", "@geo", "@stream", "@pubsub", "@admin", "@fast", "@slow",
	"@blocking", "@dangerous", "@connection", "@transaction", "@scripting",
}

// aclExtra are the ACL categories Redis gives commands explicitly, beyond
// those that follow from their flags and group.
var aclExtra = map[string][]string{
	"dbsize":   {"@keyspace"},
	"flushall": {"@keyspace", "@dangerous"},
	"flushdb":  {"@keyspace", "@dangerous"},
	"keys":     {"@dangerous"},
	"info":     {"@dangerous"},
	"command":  {"@connection"},
}

// aclCategories derives a command's ACL categories as Redis does: from its
// flags (write, readonly, admin, fast; a command that is not fast is slow),
// its group, and aclExtra, in Redis's order; Dynago's own group comes last.
// Container commands (CLIENT, CONFIG, ...) have only @slow.
func aclCategories(cmd *Command) []string {
	has := map[string]bool{"@slow": true}
	for _, fl := range cmd.Flags {
		switch fl {
		case "write":
			has["@write"] = true
		case "readonly":
			has["@read"] = true
		case "admin":
			has["@admin"] = true
			has["@dangerous"] = true
		case "fast":
			has["@fast"] = true
			has["@slow"] = false
		}
	}
	switch cmd.Group {
	case "generic":
		has["@keyspace"] = true
	case "string", "connection":
		if len(cmd.Subcommands) == 0 {
			has["@"+cmd.Group] = true
		}
	case "transactions":
		has["@transaction"] = true
	}
	name, _, _ := strings.Cut(cmd.Name, "|")
	for _, cat := range aclExtra[name] {
		has[cat] = true
	}
	var cats []string
	for _, cat := range aclOrder {
		if has[cat] {
			cats = append(cats, cat)
		}
	}
	if cmd.Group == "dynago" {
		cats = append(cats, "@dynago")
	}
	return cats
}

func cmdCommandDocs(c *client, args [][]byte) {
	var list []*Command
	if len(args) == 2 {
		list = commands
	} else {
		for _, name := range args[2:] {
			if cmd := lookupFull(name); cmd != nil {
				list = append(list, cmd)
			}
		}
	}
	c.writeMap(len(list))
	for _, cmd := range list {
		c.writeBulkString(cmd.Name)
		c.writeCommandDocs(cmd)
	}
}

func (c *client) writeCommandDocs(cmd *Command) {
	n := 3
	if len(cmd.Subcommands) > 0 {
		n++
	}
	c.writeMap(n)
	c.writeBulkString("summary")
	c.writeBulkString(cmd.Summary)
	c.writeBulkString("since")
	c.writeBulkString(cmd.Since)
	c.writeBulkString("group")
	c.writeBulkString(cmd.Group)
	if len(cmd.Subcommands) > 0 {
		c.writeBulkString("subcommands")
		c.writeMap(len(cmd.Subcommands))
		for _, sub := range cmd.Subcommands {
			c.writeBulkString(sub.Name)
			c.writeCommandDocs(sub)
		}
	}
}

// configValues are the settings CONFIG GET answers: Dynago's own, plus the
// Redis settings clients and tools (redis-benchmark, client libraries) ask for.
func (s *Server) configValues() [][2]string {
	host, port := splitHostPort(s.Addr().String())
	if s.ln == nil {
		port = "0" // plain TCP is off, as Redis reports it
	}
	tlsPort := "0"
	if a := s.TLSAddr(); a != nil {
		_, tlsPort = splitHostPort(a.String())
	}
	appendfsync := map[string]string{"always": "always", "batch": "always", "never": "no"}[s.cfg.Fsync]
	sec, lim := s.cfg.Security, s.cfg.Limits
	requirepass := ""
	if p := s.pass.Load(); p != nil {
		requirepass = p.plain
	}
	return [][2]string{
		{"appendfsync", appendfsync},
		{"appendonly", "yes"},
		{"bind", host},
		{"client-query-buffer-limit", strconv.FormatInt(lim.QueryBufferLimit, 10)},
		{"daemonize", "no"}, // Dynago runs in the foreground
		{"databases", "1"},
		{"dir", s.cfg.DataDir},
		{"fsync", s.cfg.Fsync},
		{"max-value-bytes", strconv.Itoa(s.cfg.MaxValueBytes)},
		{"maxclients", strconv.FormatInt(s.maxClients.Load(), 10)},
		{"maxmemory", "0"},
		{"maxmemory-policy", "noeviction"},
		{"node-name", s.cfg.NodeName},
		{"port", port},
		{"protected-mode", yesNo(!sec.NoProtectedMode)},
		{"proto-max-bulk-len", strconv.FormatInt(lim.ProtoMaxBulkLen, 10)},
		{"requirepass", requirepass},
		{"save", ""},
		{"slowlog-log-slower-than", strconv.FormatInt(s.slowlogSlowerThan.Load(), 10)},
		{"slowlog-max-len", strconv.FormatInt(s.slowlogMaxLen.Load(), 10)},
		{"timeout", strconv.FormatInt(s.idleTimeout.Load()/int64(time.Second), 10)},
		{"tls-auth-clients", yesNo(sec.TLSCACertFile != "")},
		{"tls-ca-cert-file", sec.TLSCACertFile},
		{"tls-cert-file", sec.TLSCertFile},
		{"tls-key-file", sec.TLSKeyFile},
		{"tls-port", tlsPort},
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func splitHostPort(addr string) (string, string) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return addr, ""
	}
	return addr[:i], addr[i+1:]
}

func cmdConfigGet(c *client, args [][]byte) {
	var out [][2]string
	values := c.srv.configValues()
	if c.srv.cfg.Settings != nil {
		values = append(values, c.srv.cfg.Settings.Values()...)
	}
	for _, kv := range values {
		for _, p := range args[2:] {
			if !bytes.ContainsAny(p, "[*?") {
				// An exact name is answered as the client spelled it, as Redis does.
				if eq(p, kv[0]) {
					out = append(out, [2]string{string(p), kv[1]})
					break
				}
				continue
			}
			if globMatch([]byte(strings.ToLower(string(p))), []byte(kv[0])) {
				out = append(out, kv)
				break
			}
		}
	}
	c.writeMap(len(out))
	for _, kv := range out {
		c.writeBulkString(kv[0])
		c.writeBulkString(kv[1])
	}
}

// cmdConfigSet is CONFIG SET name value [name value ...]: the settings that
// are safe to change while the node runs. Like Redis, it changes all of them
// or none, and checks in Redis's order: first that every name is known and
// given once, then the values.
func cmdConfigSet(c *client, args [][]byte) {
	if len(args)%2 != 0 {
		c.writeError(errSyntax)
		return
	}
	var apply []func()
	valueErr := ""
	seen := map[string]bool{}
	for i := 2; i < len(args); i += 2 {
		typed, value := string(args[i]), string(args[i+1])
		name := strings.ToLower(typed)
		f, msg, known := c.srv.prepareSet(name, value)
		switch {
		case !known && c.srv.hasSetting(name):
			// A setting CONFIG GET shows that only a restart changes, as
			// Redis answers for its immutable ones.
			c.writeError("ERR CONFIG SET failed (possibly related to argument '" + cString(args[i]) + "') - can't set immutable config")
			return
		case !known:
			c.writeError("ERR Unknown option or number of arguments for CONFIG SET - '" + cString(args[i]) + "'")
			return
		case seen[name]:
			c.writeError("ERR CONFIG SET failed (possibly related to argument '" + cString(args[i]) + "') - duplicate parameter")
			return
		case msg != "" && valueErr == "":
			valueErr = msg
		}
		seen[name] = true
		apply = append(apply, f)
	}
	if valueErr != "" {
		c.writeError(valueErr)
		return
	}
	for _, f := range apply {
		f()
	}
	c.writeOK()
}

// hasSetting reports whether CONFIG GET shows the setting name.
func (s *Server) hasSetting(name string) bool {
	values := s.configValues()
	if s.cfg.Settings != nil {
		values = append(values, s.cfg.Settings.Values()...)
	}
	for _, kv := range values {
		if kv[0] == name {
			return true
		}
	}
	return false
}

// Settings are the node's settings CONFIG GET and CONFIG SET reach.
type Settings interface {
	// Values are the node's settings as name, value pairs.
	Values() [][2]string
	// Prepare checks a new value of a setting and returns the function that
	// applies it, or false when the node does not have the setting (or
	// cannot change it while running), or an error for a bad value.
	Prepare(name, value string) (apply func(), ok bool, err error)
}

// prepareSet checks one CONFIG SET pair and returns what applies it, or
// Redis's error reply; known is false for a setting the node does not have
// (or cannot change while it runs).
func (s *Server) prepareSet(name, value string) (apply func(), msg string, known bool) {
	bad := func(why string) (func(), string, bool) {
		return nil, fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, why), true
	}
	// integer parses value as Redis's numeric settings do: strictly, then
	// within [min, max].
	integer := func(min, max int64) (int64, string) {
		v, ok := parseInt([]byte(value))
		if !ok {
			return 0, "argument couldn't be parsed into an integer"
		}
		if v < min || v > max {
			return 0, fmt.Sprintf("argument must be between %d and %d inclusive", min, max)
		}
		return v, ""
	}
	switch name {
	case "slowlog-log-slower-than":
		v, why := integer(-1, math.MaxInt64)
		if why != "" {
			return bad(why)
		}
		return func() { s.slowlogSlowerThan.Store(v) }, "", true
	case "slowlog-max-len":
		v, why := integer(0, math.MaxInt64)
		if why != "" {
			return bad(why)
		}
		return func() {
			s.slowlogMaxLen.Store(v)
			s.slow.trim(int(v))
		}, "", true
	case "timeout":
		v, why := integer(0, math.MaxInt32)
		if why != "" {
			return bad(why)
		}
		return func() { s.idleTimeout.Store(v * int64(time.Second)) }, "", true
	case "maxclients":
		v, why := integer(1, math.MaxUint32)
		if why != "" {
			return bad(why)
		}
		return func() { s.maxClients.Store(v) }, "", true
	case "requirepass":
		return func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.pass.Load() == nil {
				// Clients connected while there was no password are
				// authenticated, as Redis's are from the start (its
				// default user is nopass then): a password set now
				// applies to the clients that connect after it. (Redis
				// decides this when a client connects; a client that
				// connected under an earlier password and never
				// authenticated is let through here too.)
				for _, cl := range s.clients {
					cl.authed.Store(true)
				}
			}
			s.pass.Store(newPassword(value))
		}, "", true
	}
	if s.cfg.Settings != nil {
		apply, ok, err := s.cfg.Settings.Prepare(name, value)
		if err != nil {
			return bad(err.Error())
		}
		if ok {
			return apply, "", true
		}
	}
	return nil, "", false
}

func cmdConfigResetStat(c *client, args [][]byte) {
	st := &c.srv.stats
	st.commands.Store(0)
	st.connections.Store(0)
	st.errors.Store(0)
	st.hits.Store(0)
	st.misses.Store(0)
	st.expired.Store(0)
	st.rejected.Store(0)
	c.srv.cmdStats.reset()
	c.writeOK()
}

// infoSections lists INFO's sections in the order Redis prints them.
var infoSections = []string{"server", "clients", "memory", "persistence", "stats", "cluster", "keyspace"}

func cmdInfo(c *client, args [][]byte) {
	want := map[string]bool{}
	for _, a := range args[1:] {
		switch s := lower(a); s {
		case "all", "everything":
			want["commandstats"] = true
			fallthrough
		case "default":
			for _, name := range infoSections {
				want[name] = true
			}
		default:
			want[s] = true
		}
	}
	if len(want) == 0 {
		for _, name := range infoSections {
			want[name] = true
		}
	}
	var b strings.Builder
	for _, name := range append(infoSections, "commandstats") {
		if !want[name] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		fmt.Fprintf(&b, "# %s\r\n", strings.ToUpper(name[:1])+name[1:])
		for _, kv := range c.srv.infoSection(name) {
			fmt.Fprintf(&b, "%s:%s\r\n", kv[0], kv[1])
		}
	}
	c.writeVerbatim(b.String())
}

func (s *Server) infoSection(name string) [][2]string {
	now := s.cfg.Now()
	switch name {
	case "server":
		_, port := splitHostPort(s.Addr().String())
		up := now.Sub(s.start)
		exe, _ := os.Executable()
		return [][2]string{
			{"redis_version", Version},
			{"dynago_version", DynagoVersion},
			{"redis_mode", "standalone"},
			{"os", runtime.GOOS + " " + runtime.GOARCH},
			{"arch_bits", strconv.Itoa(strconv.IntSize)},
			{"go_version", runtime.Version()},
			{"process_id", strconv.Itoa(os.Getpid())},
			{"node_name", s.cfg.NodeName},
			{"tcp_port", port},
			{"server_time_usec", strconv.FormatInt(now.UnixMicro(), 10)},
			{"uptime_in_seconds", strconv.FormatInt(int64(up/time.Second), 10)},
			{"uptime_in_days", strconv.FormatInt(int64(up/(24*time.Hour)), 10)},
			{"executable", exe},
		}
	case "clients":
		s.mu.Lock()
		n := len(s.clients)
		s.mu.Unlock()
		return [][2]string{
			{"connected_clients", strconv.Itoa(n)},
			{"maxclients", strconv.FormatInt(s.maxClients.Load(), 10)},
			{"blocked_clients", "0"},
		}
	case "memory":
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rss := residentBytes()
		return [][2]string{
			{"used_memory", strconv.FormatUint(ms.HeapAlloc, 10)},
			{"used_memory_human", humanBytes(ms.HeapAlloc)},
			{"used_memory_rss", strconv.FormatUint(rss, 10)},
			{"used_memory_rss_human", humanBytes(rss)},
			{"used_memory_sys", strconv.FormatUint(ms.Sys, 10)},
			{"maxmemory", "0"},
			{"maxmemory_policy", "noeviction"},
			{"go_gc_count", strconv.FormatUint(uint64(ms.NumGC), 10)},
		}
	case "persistence":
		d := s.coord.DiskHealth()
		st := s.coord.StoreStats()
		return [][2]string{
			{"loading", "0"},
			{"engine", "pebble"},
			{"fsync", s.cfg.Fsync},
			{"data_dir", s.cfg.DataDir},
			{"aof_enabled", "1"},
			// Fsyncs of the write-ahead log: writes acknowledged per fsync
			// show the group commit at work.
			{"wal_syncs", strconv.FormatInt(d.WALSyncs, 10)},
			// The LSM's state: after a bulk load its compactions run on in
			// the background for a while (engine.Stats).
			{"sstables", strconv.FormatInt(st.Tables, 10)},
			{"read_amplification", strconv.Itoa(st.ReadAmp)},
			{"compactions_in_progress", strconv.FormatInt(st.CompactionsRunning, 10)},
			{"compaction_debt_bytes", strconv.FormatUint(st.CompactionDebt, 10)},
			{"rdb_bgsave_in_progress", "0"},
			// The data directory: ok takes writes; full and failing refuse
			// them (clients get MISCONF) until it accepts them again.
			{"disk_status", d.Status.String()},
			{"disk_error", d.Cause},
			{"disk_restart_needed", strconv.FormatInt(b2i(d.Restart), 10)},
			{"disk_errors_total", strconv.FormatInt(d.Errors, 10)},
			{"disk_last_error", d.LastError},
			{"disk_writes_refused", strconv.FormatInt(d.Refused, 10)},
			{"disk_free_bytes", strconv.FormatInt(d.FreeBytes, 10)},
			{"disk_reserve_bytes", strconv.FormatInt(d.ReserveBytes, 10)},
		}
	case "stats":
		st := &s.stats
		return [][2]string{
			{"total_connections_received", strconv.FormatInt(st.connections.Load(), 10)},
			{"total_commands_processed", strconv.FormatInt(st.commands.Load(), 10)},
			{"rejected_connections", strconv.FormatInt(st.rejected.Load(), 10)},
			{"total_error_replies", strconv.FormatInt(st.errors.Load(), 10)},
			{"command_panics", strconv.FormatInt(st.panics.Load(), 10)},
			{"keyspace_hits", strconv.FormatInt(st.hits.Load(), 10)},
			{"keyspace_misses", strconv.FormatInt(st.misses.Load(), 10)},
		}
	case "cluster":
		return s.clusterInfo()
	case "commandstats":
		return s.cmdStats.lines()
	case "keyspace":
		n, _ := s.coord.Len(context.Background())
		if n == 0 {
			return nil
		}
		return [][2]string{{"db0", fmt.Sprintf("keys=%d,expires=0,avg_ttl=0", n)}}
	}
	return nil
}

// residentBytes is the process's resident set size, from /proc (0 elsewhere).
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

func humanBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
