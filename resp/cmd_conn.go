package resp

import (
	"fmt"
	"math"
	"strings"
	"time"
)

func init() {
	f, ls, nm, ns := "fast", "loading", "stale", "noscript"
	clientCmd := &Command{Name: "client", Arity: -2, Group: "connection", Since: "2.4.0", Summary: "A container for client connection commands."}
	clientCmd.Subcommands = []*Command{
		{Name: "client|setname", Arity: 3, Flags: []string{ns, ls, nm}, Group: "connection", Since: "2.6.9", Summary: "Sets the connection name.", Handler: cmdClientSetName},
		{Name: "client|getname", Arity: 2, Flags: []string{ns, ls, nm}, Group: "connection", Since: "2.6.9", Summary: "Returns the name of the connection.", Handler: cmdClientGetName},
		{Name: "client|id", Arity: 2, Flags: []string{ns, ls, nm}, Group: "connection", Since: "5.0.0", Summary: "Returns the unique client ID of the connection.", Handler: cmdClientID},
		{Name: "client|setinfo", Arity: 4, Flags: []string{ns, ls, nm}, Group: "connection", Since: "7.2.0", Summary: "Sets information specific to the client or connection.", Handler: cmdClientSetInfo},
		{Name: "client|list", Arity: -2, Flags: []string{"admin", ns, ls, nm}, Group: "connection", Since: "2.4.0", Summary: "Lists open connections.", Handler: cmdClientList},
		{Name: "client|info", Arity: 2, Flags: []string{ns, ls, nm}, Group: "connection", Since: "6.2.0", Summary: "Returns information about the connection.", Handler: cmdClientInfo},
		{Name: "client|help", Arity: 2, Flags: []string{ls, nm}, Group: "connection", Since: "5.0.0", Summary: "Returns helpful text about the different subcommands.", Handler: cmdClientHelp},
	}
	clientCmd.Handler = func(c *client, args [][]byte) { dispatchSub(clientCmd, c, args) }
	register(
		&Command{Name: "ping", Arity: -1, Flags: []string{f}, Group: "connection", Since: "1.0.0", Summary: "Returns the server's liveliness response.", Handler: cmdPing},
		&Command{Name: "echo", Arity: 2, Flags: []string{ls, nm, f}, Group: "connection", Since: "1.0.0", Summary: "Returns the given string.", Handler: cmdEcho},
		&Command{Name: "quit", Arity: -1, Flags: []string{ns, ls, nm, f, "no_auth", "allow_busy"}, Group: "connection", Since: "1.0.0", Summary: "Closes the connection.", Handler: cmdQuit},
		&Command{Name: "select", Arity: 2, Flags: []string{ls, nm, f}, Group: "connection", Since: "1.0.0", Summary: "Changes the selected database. Dynago has one database, 0.", Handler: cmdSelect},
		&Command{Name: "reset", Arity: 1, Flags: []string{ns, ls, nm, f, "no_auth", "allow_busy"}, Group: "connection", Since: "6.2.0", Summary: "Resets the connection.", Handler: cmdReset},
		&Command{Name: "hello", Arity: -1, Flags: []string{ns, ls, nm, f, "no_auth", "allow_busy"}, Group: "connection", Since: "6.0.0", Summary: "Handshakes with the Redis server.", Handler: cmdHello},
		clientCmd,
	)
}

func cmdPing(c *client, args [][]byte) {
	switch len(args) {
	case 1:
		c.writeStatus("PONG")
	case 2:
		c.writeBulk(args[1])
	default:
		c.writeError(errArity("ping"))
	}
}

func cmdEcho(c *client, args [][]byte) { c.writeBulk(args[1]) }

func cmdQuit(c *client, args [][]byte) {
	c.writeOK()
	c.conn.Close()
}

// cmdReset returns the connection to the state it had when it connected,
// as Redis does: the transaction and its watched keys go, the name goes, the
// protocol is RESP2 again, authentication is needed again when the node
// has a password, and the connection's quorums (DYNAGO CONSISTENCY) are the
// node's again. (Database 0 is the only one; Dynago has no CLIENT REPLY,
// tracking or pub/sub state to clear yet.)
func cmdReset(c *client, args [][]byte) {
	if c.tx.active {
		c.tx.end()
	}
	c.unwatchAll()
	c.name = ""
	c.proto = 2
	c.authed.Store(false)
	c.readQ.Store(0)
	c.writeQ.Store(0)
	c.writeStatus("RESET")
}

// cmdSelect accepts database 0, the only one. Indexes Redis refuses get
// Redis's errors; 1 to 15, which Redis has, get Dynago's own.
func cmdSelect(c *client, args [][]byte) {
	n, ok := parseInt(args[1])
	switch {
	case !ok:
		c.writeError(errNotInteger)
	case n < math.MinInt32 || n > math.MaxInt32:
		c.writeError("ERR value is out of range, value must between -2147483648 and 2147483647")
	case n < 0 || n >= 16:
		c.writeError("ERR DB index is out of range")
	case n != 0:
		c.writeError("ERR DB index is out of range (Dynago has a single database, 0)")
	default:
		c.writeOK()
	}
}

// cmdHello negotiates the protocol (2 or 3) and answers the server's
// description, as Redis 6+ does. go-redis sends HELLO 3 on every connection.
func cmdHello(c *client, args [][]byte) {
	proto := c.proto
	if len(args) > 1 {
		n, ok := parseInt(args[1])
		if !ok {
			c.writeError("ERR Protocol version is not an integer or out of range")
			return
		}
		if n < 2 || n > 3 {
			c.writeError("NOPROTO unsupported protocol version")
			return
		}
		proto = int(n)
	}
	name, setName := "", false
	var user, pass []byte
	for i := 2; i < len(args); i++ {
		switch {
		case eq(args[i], "auth") && i+2 < len(args):
			user, pass = args[i+1], args[i+2]
			i += 2
		case eq(args[i], "setname") && i+1 < len(args):
			name, setName = string(args[i+1]), true
			if !validClientName(name) {
				c.writeError(errClientName)
				return
			}
			i++
		default:
			c.writeError("ERR Syntax error in HELLO option '" + cString(args[i]) + "'")
			return
		}
	}
	if user != nil {
		// A failed authentication changes nothing: not the protocol, not
		// the name.
		if !c.srv.authenticate(user, pass) {
			c.writeError(errWrongPass)
			return
		}
		c.authed.Store(true)
	}
	if c.authRequired() {
		c.writeError(errNoAuthHello)
		return
	}
	c.proto = proto
	if setName {
		c.name = name
	}
	c.writeMap(7)
	c.writeBulkString("server")
	c.writeBulkString("redis")
	c.writeBulkString("version")
	c.writeBulkString(Version)
	c.writeBulkString("proto")
	c.writeInt(int64(proto))
	c.writeBulkString("id")
	c.writeInt(int64(c.id))
	c.writeBulkString("mode")
	c.writeBulkString("standalone")
	c.writeBulkString("role")
	c.writeBulkString("master")
	c.writeBulkString("modules")
	c.writeArray(0)
}

const errClientName = "ERR Client names cannot contain spaces, newlines or special characters."

func validClientName(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

func cmdClientSetName(c *client, args [][]byte) {
	name := string(args[2])
	if !validClientName(name) {
		c.writeError(errClientName)
		return
	}
	c.name = name
	c.writeOK()
}

func cmdClientGetName(c *client, args [][]byte) {
	c.writeBulkOrNull([]byte(c.name), c.name != "")
}

func cmdClientID(c *client, args [][]byte) { c.writeInt(int64(c.id)) }

func cmdClientSetInfo(c *client, args [][]byte) {
	// Redis 7.2 checks the option name first, then the value, and names
	// the option as the client spelled it.
	attr, val := string(args[2]), string(args[3])
	if !eq(args[2], "lib-name") && !eq(args[2], "lib-ver") {
		c.writeError("ERR Unrecognized option '" + attr + "'")
		return
	}
	if !validClientName(val) {
		c.writeError("ERR " + attr + " cannot contain spaces, newlines or special characters.")
		return
	}
	if eq(args[2], "lib-name") {
		c.lib = val
	} else {
		c.libv = val
	}
	c.writeOK()
}

// cmdClientList is CLIENT LIST [TYPE type] [ID id ...]. Every Dynago client
// is a normal one: TYPE master, replica (slave) and pubsub list none.
func cmdClientList(c *client, args [][]byte) {
	include := func(*session) bool { return true }
	switch {
	case len(args) == 2:
	case len(args) == 4 && eq(args[2], "type"):
		switch {
		case eq(args[3], "normal"):
		case eq(args[3], "master"), eq(args[3], "replica"), eq(args[3], "slave"), eq(args[3], "pubsub"):
			include = func(*session) bool { return false }
		default:
			c.writeError("ERR Unknown client type '" + cString(args[3]) + "'")
			return
		}
	case len(args) > 3 && eq(args[2], "id"):
		want := map[uint64]bool{}
		for _, a := range args[3:] {
			id, ok := parseInt(a)
			if !ok {
				c.writeError("ERR Invalid client ID")
				return
			}
			want[uint64(id)] = id > 0
		}
		include = func(o *session) bool { return want[o.id] }
	default:
		c.writeError(errSyntax)
		return
	}
	var b strings.Builder
	for _, o := range c.srv.clientList() {
		if include(o) {
			b.WriteString(o.describe(c.srv.cfg.Now()))
			b.WriteByte('\n')
		}
	}
	c.writeVerbatim(b.String())
}

func cmdClientInfo(c *client, args [][]byte) {
	c.writeVerbatim(c.describe(c.srv.cfg.Now()) + "\n")
}

func cmdClientHelp(c *client, args [][]byte) {
	lines := []string{
		"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GETNAME", "    Return the name of the current connection.",
		"ID", "    Return the ID of the current connection.",
		"INFO", "    Return information about the current client connection.",
		"LIST [TYPE normal] [ID id ...]", "    Return information about client connections.",
		"SETINFO <option> <value>", "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
		"SETNAME <name>", "    Assign the name <name> to the current connection.",
		"HELP", "    Print this help.",
	}
	c.writeHelp(lines)
}

// describe is the client's line in CLIENT LIST, in Redis's field order.
func (c *session) describe(now time.Time) string {
	last := time.Unix(0, c.last.Load())
	cmd := "NULL"
	if p := c.cmd.Load(); p != nil {
		cmd = p.Name
	}
	// Redis's flags: x inside MULTI, d once a watched key was touched.
	multi, flags := c.tx.multi.Load()-1, ""
	if multi >= 0 {
		flags += "x"
	}
	if c.tx.touched.Load() {
		flags += "d"
	}
	if flags == "" {
		flags = "N"
	}
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=0 name=%s age=%d idle=%d flags=%s db=0 sub=0 psub=0 ssub=0 multi=%d qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s user=default redir=-1 resp=%d lib-name=%s lib-ver=%s",
		c.id, c.addr, c.srv.Addr(), c.name, int(now.Sub(c.since).Seconds()), int(now.Sub(last).Seconds()), flags, multi, cmd, c.proto, c.lib, c.libv)
}
