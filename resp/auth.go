package resp

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
)

// Security is how the RESP server keeps strangers out.
type Security struct {
	// RequirePass is the default user's password; empty: none (Redis's
	// requirepass).
	RequirePass string
	// NoProtectedMode turns protected mode off. The zero value keeps it on,
	// Redis's default: a node bound to a non-loopback address without a
	// password refuses clients that do not come from the loopback
	// interface, so a forgotten password does not open the data to the
	// network.
	NoProtectedMode bool
	// TLSAddr, if set, is a second listener (host:port) serving the same
	// commands over TLS. TLSCertFile and TLSKeyFile are its certificate
	// and key (PEM). With TLSCACertFile, clients must present a
	// certificate signed by one of its CAs, like Redis's tls-auth-clients.
	TLSAddr                                string
	TLSCertFile, TLSKeyFile, TLSCACertFile string
}

// Validate reports settings that cannot work together.
func (s Security) Validate() error {
	return validateTLS(s)
}

// Authentication follows Redis's default user: with --requirepass set, a
// client must present the password (AUTH password, AUTH default password,
// or HELLO ... AUTH default password) before any command other than AUTH,
// HELLO and QUIT runs. Without a password the default user takes any
// password, as Redis's "nopass" user does. Commands another node forwards
// here are not checked: the node that took them from the client did.

// Redis's error texts for authentication.
const (
	errNoAuth      = "NOAUTH Authentication required."
	errWrongPass   = "WRONGPASS invalid username-password pair or user is disabled."
	errNoAuthHello = "NOAUTH HELLO must be called with the client already authenticated, " +
		"otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate " +
		"the client and select the RESP protocol version at the same time"
	errAuthNoPassword = "ERR AUTH <password> called without any password configured for the default user. " +
		"Are you sure your configuration is correct?"
)

// defaultUser is the only user Dynago has, named as Redis names it.
const defaultUser = "default"

// password is the default user's password. Only its SHA-256 digest is
// compared, in constant time, so neither the content nor the length of the
// password leaks through how long a wrong guess takes.
type password struct {
	plain  string // answered by CONFIG GET requirepass, as Redis does
	digest [sha256.Size]byte
}

// newPassword returns the password p, or nil when p is empty (no password).
func newPassword(p string) *password {
	if p == "" {
		return nil
	}
	return &password{plain: p, digest: sha256.Sum256([]byte(p))}
}

// matches reports whether guess is the password.
func (p *password) matches(guess []byte) bool {
	d := sha256.Sum256(guess)
	return subtle.ConstantTimeCompare(d[:], p.digest[:]) == 1
}

// authenticate checks a username and password as Redis checks them for its
// default user: with no password set, any password is accepted.
func (s *Server) authenticate(user, pass []byte) bool {
	p := s.pass.Load()
	passOK := p == nil || p.matches(pass)
	return string(user) == defaultUser && passOK
}

// authRequired reports whether the client must still authenticate.
func (c *session) authRequired() bool {
	return c.srv.pass.Load() != nil && !c.authed.Load()
}

func init() {
	register(&Command{Name: "auth", Arity: -2, Flags: []string{"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"},
		Group: "connection", Since: "1.0.0", Summary: "Authenticates the connection.", Handler: cmdAuth})
}

func cmdAuth(c *client, args [][]byte) {
	if len(args) > 3 {
		c.writeError(errSyntax)
		return
	}
	user, pass := []byte(defaultUser), args[1]
	if len(args) == 3 {
		user, pass = args[1], args[2]
	} else if c.srv.pass.Load() == nil {
		// As Redis does: the one-argument form without a password set is
		// most likely a configuration mistake worth pointing out.
		c.writeError(errAuthNoPassword)
		return
	}
	if !c.srv.authenticate(user, pass) {
		// A client that was authenticated stays so, as in Redis.
		c.writeError(errWrongPass)
		return
	}
	c.authed.Store(true)
	c.writeOK()
}

// hasFlag reports whether cmd carries the Redis command flag f.
func (cmd *Command) hasFlag(f string) bool {
	for _, fl := range cmd.Flags {
		if fl == f {
			return true
		}
	}
	return false
}

// refusedBeforeAuth reports whether a client that has not authenticated
// must be refused cmd with NOAUTH. As in Redis, an unknown subcommand or a
// wrong argument count is reported first; commands flagged no_auth (AUTH,
// HELLO, QUIT) always run.
func refusedBeforeAuth(cmd *Command, args [][]byte) bool {
	if cmd.hasFlag("no_auth") {
		return false
	}
	if len(cmd.Subcommands) > 0 && len(args) > 1 {
		sub := cmd.subcommand(args[1])
		if sub == nil || !sub.arityOK(len(args)) {
			return false // the container's handler answers the error
		}
	}
	return true
}

// protectedRefuses reports whether protected mode keeps out a client
// connecting from peer: protected mode is on, no password is set, the node
// listens on a non-loopback address, and the client is not on loopback.
func (s *Server) protectedRefuses(peer net.Addr) bool {
	return !s.cfg.Security.NoProtectedMode && s.pass.Load() == nil && !s.bindLoopback && !isLoopback(peer)
}

// isLoopback reports whether addr is on the loopback interface. A Unix
// socket is local too.
func isLoopback(addr net.Addr) bool {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		host = addr.String()
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
