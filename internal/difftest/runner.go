package difftest

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config configures a Runner.
type Config struct {
	Redis  string // the reference redis-server's address
	Dynago string // the Dynago node's address
	// Timeout bounds one command's round trip on one server (default 10s).
	Timeout time.Duration
	// Guard is the longest one command takes on both servers: an expiry
	// due within Guard is waited for before a command looks at its key
	// (default 1.5s, ample for a loaded machine under the race detector;
	// only the streams' short expiries are ever that near; see expiries).
	Guard time.Duration
	// Log, if set, is told what the runner does while it shrinks.
	Log io.Writer
}

// Runner replays command streams on both servers and compares the replies.
type Runner struct {
	cfg Config
}

// New returns a runner for cfg.
func New(cfg Config) *Runner {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Guard <= 0 {
		cfg.Guard = 1500 * time.Millisecond
	}
	return &Runner{cfg: cfg}
}

// Prepare readies the reference server: its proto-max-bulk-len becomes
// Dynago's max-value-bytes, so both refuse the same string sizes (see
// max-value-bytes in Intended).
func (r *Runner) Prepare() error {
	d, err := dial(r.cfg.Dynago, r.cfg.Timeout)
	if err != nil {
		return fmt.Errorf("dynago: %w", err)
	}
	defer d.close()
	rep, err := d.must("CONFIG", "GET", "max-value-bytes")
	if err != nil {
		return err
	}
	if len(rep.Elems) != 2 {
		return fmt.Errorf("dynago: CONFIG GET max-value-bytes: %s", rep)
	}
	_ = intended("max-value-bytes")
	rc, err := dial(r.cfg.Redis, r.cfg.Timeout)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	defer rc.close()
	_, err = rc.must("CONFIG", "SET", "proto-max-bulk-len", rep.Elems[1].Str)
	return err
}

// Step is one command of a run and both servers' replies to it.
type Step struct {
	Cmd           Cmd
	Redis, Dynago Reply
	Note          string // what the runner did around it (a wait, a resync)
}

// Mismatch is a run's first command whose replies differ, with the
// commands that led to it.
type Mismatch struct {
	Seed       uint64
	Index      int    // the differing command's index in the generated stream
	Total      int    // commands in the generated stream
	Steps      []Step // the reproduction; the last step differs
	Why        string // how the replies differ
	Shrunk     bool   // Steps are the shrunk reproduction
	Reproduced bool   // the mismatch came back on a replay
}

// Last is the differing step.
func (m *Mismatch) Last() Step { return m.Steps[len(m.Steps)-1] }

// Check runs seed's stream of n commands on both servers. On a mismatch it
// shrinks the stream to the fewest commands that still give a mismatch on
// the same command, and returns that reproduction.
func (r *Runner) Check(seed uint64, n int) (*Mismatch, error) {
	cmds := Generate(seed, n)
	m, err := r.Replay(cmds)
	if err != nil || m == nil {
		return nil, err
	}
	m.Seed, m.Total = seed, n
	target := m.Last().Cmd.FullName()
	tries := 0
	var replayErr error
	still := func(cand []Cmd) bool {
		tries++
		mm, err := r.Replay(cand)
		if err != nil {
			replayErr = err
		}
		return err == nil && mm != nil && mm.Last().Cmd.FullName() == target
	}
	prefix := cmds[:m.Index+1]
	if !still(prefix) {
		if replayErr != nil { // Dynago down (a crash?) or Redis gone
			m.Why += "; then the replay failed: " + replayErr.Error()
		}
		return m, nil // a mismatch that a replay does not show (reported as such)
	}
	m.Reproduced = true
	small := shrink(prefix, still, r.cfg.Log)
	mm, err := r.Replay(small)
	if err != nil {
		return nil, err
	}
	if mm == nil {
		return m, nil
	}
	m.Steps, m.Why, m.Shrunk = mm.Steps, mm.Why, true
	r.logf("seed %d: shrunk %d commands to %d in %d replays", seed, len(prefix), len(small), tries)
	return m, nil
}

func (r *Runner) logf(format string, args ...any) {
	if r.cfg.Log != nil {
		fmt.Fprintf(r.cfg.Log, format+"\n", args...)
	}
}

// Replay runs cmds on both servers, emptied first, over new connections,
// and returns the first mismatch (Index set, Seed and Total not), or nil.
// An error means the run itself failed (a server unreachable).
func (r *Runner) Replay(cmds []Cmd) (*Mismatch, error) {
	s, err := r.open()
	if err != nil {
		return nil, err
	}
	defer s.close()
	steps := make([]Step, 0, len(cmds))
	for i, c := range cmds {
		st, ok, why, err := s.step(c)
		if err != nil {
			return nil, fmt.Errorf("command %d (%s): %w", i, c.Name(), err)
		}
		steps = append(steps, st)
		if !ok {
			return &Mismatch{Index: i, Steps: steps, Why: why}, nil
		}
	}
	return nil, nil
}

// session is one replay: the stream's connection to each server, and a
// second one to each for the runner's own look-ups (RESP2, no state).
type session struct {
	cfg            *Config
	redis, dyn     *conn
	probeR, probeD *conn
	exp            expiries
	expired        map[string]bool // keys whose expiry has passed during the run
	note           []string        // what the runner did for the current step
	sent, answered int64           // the current step's send and last reply, unix ms

	// The stream's transaction, as both servers answered it: inside MULTI,
	// the commands queued since, the keys watched since the last EXEC,
	// DISCARD or UNWATCH.
	multi   bool
	queued  []Cmd
	watched []string
}

func (r *Runner) open() (*session, error) {
	s := &session{cfg: &r.cfg}
	var err error
	if s.probeR, err = dial(r.cfg.Redis, r.cfg.Timeout); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	if s.probeD, err = dial(r.cfg.Dynago, r.cfg.Timeout); err != nil {
		s.close()
		return nil, fmt.Errorf("dynago: %w", err)
	}
	// Settings a stream may change go back to both servers' defaults.
	for _, p := range []*conn{s.probeR, s.probeD} {
		for _, c := range []Cmd{
			{"FLUSHALL"},
			{"CONFIG", "SET", "slowlog-max-len", "128"},
			{"CONFIG", "SET", "slowlog-log-slower-than", "10000"},
			{"CONFIG", "SET", "timeout", "0"},
			{"SLOWLOG", "RESET"},
		} {
			if _, err := p.must(c...); err != nil {
				s.close()
				return nil, err
			}
		}
	}
	if err := s.connect(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// connect (re)opens the stream's connections.
func (s *session) connect() error {
	s.redis.close()
	s.dyn.close()
	var err error
	if s.redis, err = dial(s.cfg.Redis, s.cfg.Timeout); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	if s.dyn, err = dial(s.cfg.Dynago, s.cfg.Timeout); err != nil {
		return fmt.Errorf("dynago: %w", err)
	}
	return nil
}

func (s *session) close() {
	for _, c := range []*conn{s.redis, s.dyn, s.probeR, s.probeD} {
		c.close()
	}
}

func nowMs() int64 { return time.Now().UnixMilli() }

// step runs one command on both servers and compares the replies. An error
// is a failure of the run (Redis unreachable), not of Dynago.
func (s *session) step(c Cmd) (st Step, ok bool, why string, err error) {
	s.note = s.note[:0]
	if err := s.settleExpiries(s.looksAt(c)...); err != nil {
		return Step{}, false, "", err
	}
	st.Cmd = c
	sent := nowMs()
	st.Redis, err = s.redis.do(c)
	if err != nil {
		return Step{}, false, "", fmt.Errorf("redis: %w", err)
	}
	var dynErr error
	st.Dynago, dynErr = s.dyn.do(c)
	answered := nowMs()
	if dynErr != nil {
		st.Note = strings.Join(s.note, "; ")
		return st, false, "Dynago did not answer: " + dynErr.Error(), nil
	}
	s.sent, s.answered = sent, answered
	compare := comparatorFor(c)
	switch {
	case s.multi && st.Redis.Type == '+' && st.Redis.Str == "QUEUED":
		compare = exact // queued: its reply comes with EXEC's
	case c.Name() == "exec" && s.multi:
		compare = compareExec
	}
	ok, why = compare(s, c, st.Redis, st.Dynago)
	if ok {
		if err := s.after(c, st.Redis, sent, answered); err != nil {
			return Step{}, false, "", err
		}
	}
	st.Note = strings.Join(s.note, "; ")
	return st, ok, why, nil
}

// after updates what the runner knows once both servers answered c alike
// with r (sent at sent, answered at answered): the expiries c set, the
// stream's transaction, the connections' state.
func (s *session) after(c Cmd, r Reply, sent, answered int64) error {
	if s.multi && r.Type == '+' && r.Str == "QUEUED" {
		s.queued = append(s.queued, c) // its expiries start when EXEC runs it
		return nil
	}
	s.exp.record(c, sent, answered)
	switch name := c.Name(); {
	case name == "multi" && r.Type == '+':
		s.multi, s.queued = true, nil
	case name == "exec" && s.multi:
		// EXEC ends the transaction whatever it answers; an array holds
		// the queued commands' replies, in order.
		queued := s.queued
		s.multi, s.queued, s.watched = false, nil, nil
		if r.Type == '*' && !r.Null && len(r.Elems) == len(queued) {
			for i, q := range queued {
				if err := s.after(q, r.Elems[i], sent, answered); err != nil {
					return err
				}
			}
		}
	case name == "exec" && r.IsError() && strings.HasPrefix(r.Str, "EXECABORT"):
		s.watched = nil // EXEC with arguments, outside MULTI: the watched keys go too
	case name == "discard" && r.Type == '+':
		s.multi, s.queued, s.watched = false, nil, nil
	case name == "watch" && r.Type == '+':
		s.watched = append(s.watched, c[1:]...)
	case name == "unwatch" && r.Type == '+':
		s.watched = nil
	case (name == "flushall" || name == "flushdb") && r.Type == '+':
		s.exp.clear()
		s.expired = nil
	case name == "hello" && r.IsError() && mentionsFold(c, "setname"):
		return s.syncClientName()
	case r.Type == Closed || name == "quit" && r.Type == '+':
		// QUIT (or a connection closed), on both: the replies agree.
		if err := s.connect(); err != nil {
			return err
		}
		s.multi, s.queued, s.watched = false, nil, nil
		s.note = append(s.note, "reconnected")
	}
	return nil
}

// looksAt returns the commands whose keys c has the servers look at: an
// EXEC runs what was queued and checks the watched keys.
func (s *session) looksAt(c Cmd) []Cmd {
	if c.Name() != "exec" || !s.multi {
		return []Cmd{c}
	}
	return append(slices.Clone(s.queued), append(Cmd{"WATCH"}, s.watched...), c)
}

// settleExpiries makes the state of every key cmds look at certain on
// both servers: it waits out any expiry window that is open or about to
// open, then looks up each key whose expiry has passed, so that both
// servers have dropped it (Redis counts an expired key in DBSIZE until
// then).
func (s *session) settleExpiries(cmds ...Cmd) error {
	var keys []string
	for _, c := range cmds {
		for _, k := range s.exp.touched(c) {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	now := nowMs()
	if until := s.exp.waitUntil(keys, now, s.cfg.Guard.Milliseconds()); until > 0 {
		wait := time.Duration(until-now+1) * time.Millisecond
		time.Sleep(wait) // until a known instant: the window's end, not a condition
		s.note = append(s.note, fmt.Sprintf("waited %v for an expiry to pass", wait))
	}
	for _, k := range s.exp.passed(keys, nowMs()) {
		if s.expired == nil {
			s.expired = map[string]bool{}
		}
		s.expired[k] = true
		for _, p := range []*conn{s.probeR, s.probeD} {
			if _, err := p.must("EXISTS", k); err != nil {
				return err
			}
		}
	}
	return nil
}

func mentionsFold(c Cmd, w string) bool {
	for _, a := range c[1:] {
		if strings.EqualFold(a, w) {
			return true
		}
	}
	return false
}

// syncClientName gives the stream's Redis connection the name of its
// Dynago connection: after a failed HELLO, Redis 7.0 may keep a name Redis
// 7.2 and Dynago do not set (see redis-7.2 in Intended).
func (s *session) syncClientName() error {
	d, err := s.dyn.must("CLIENT", "GETNAME")
	if err != nil {
		return err
	}
	r, err := s.redis.must("CLIENT", "GETNAME")
	if err != nil {
		return err
	}
	if r.Str == d.Str && r.IsNull() == d.IsNull() {
		return nil
	}
	if _, err := s.redis.must("CLIENT", "SETNAME", d.Str); err != nil {
		return err
	}
	s.note = append(s.note, "accepted as "+intended("redis-7.2").ID+"; gave Redis's connection Dynago's name "+strconv.Quote(d.Str))
	return nil
}

// allKeys returns KEYS * of each server, sorted.
func (s *session) allKeys() (redis, dynago []string, err error) {
	get := func(p *conn) ([]string, error) {
		rep, err := p.must("KEYS", "*")
		if err != nil {
			return nil, err
		}
		ks, ok := bulkStrings(rep)
		if !ok {
			return nil, fmt.Errorf("KEYS *: %s", rep)
		}
		slices.Sort(ks)
		return ks, nil
	}
	if redis, err = get(s.probeR); err != nil {
		return nil, nil, err
	}
	dynago, err = get(s.probeD)
	return redis, dynago, err
}

// fullScan iterates SCAN from cursor 0 to the end on each server with c's
// options, and returns the keys each returned (sorted, without repeats).
func (s *session) fullScan(c Cmd) (redis, dynago []string, err error) {
	scan := func(p *conn) ([]string, error) {
		seen := map[string]bool{}
		cursor := "0"
		for range 1 << 16 {
			rep, err := p.must(append(Cmd{"SCAN", cursor}, c[2:]...)...)
			if err != nil {
				return nil, err
			}
			if len(rep.Elems) != 2 {
				return nil, fmt.Errorf("SCAN: %s", rep)
			}
			for _, k := range rep.Elems[1].Elems {
				seen[k.Str] = true
			}
			if cursor = rep.Elems[0].Str; cursor == "0" {
				out := make([]string, 0, len(seen))
				for k := range seen {
					out = append(out, k)
				}
				slices.Sort(out)
				return out, nil
			}
		}
		return nil, fmt.Errorf("SCAN did not end")
	}
	if redis, err = scan(s.probeR); err != nil {
		return nil, nil, err
	}
	dynago, err = scan(s.probeD)
	return redis, dynago, err
}

// copyKeyToRedis gives Redis's key Dynago's value (keeping Redis's TTL), so
// a stream goes on from the same value after an accepted difference.
func (s *session) copyKeyToRedis(key string, why Difference) error {
	v, err := s.probeD.must("GET", key)
	if err != nil {
		return err
	}
	if v.IsNull() {
		_, err = s.probeR.must("DEL", key)
	} else {
		_, err = s.probeR.must("SET", key, v.Str, "KEEPTTL")
	}
	s.note = append(s.note, "accepted as "+why.ID+"; copied Dynago's value to Redis")
	if err == nil && s.isWatched(key) {
		// Redis's command changed the key and Dynago's did not: a WATCH
		// of it fails on Redis only. Write the key on Dynago too, leaving
		// it as it is, so that both fail it.
		if v.IsNull() {
			err = s.touch(Cmd{"SET", key, "x"}, Cmd{"DEL", key})
		} else {
			err = s.touch(Cmd{"SET", key, v.Str, "KEEPTTL"})
		}
	}
	return err
}

// isWatched reports whether the stream has WATCHed key.
func (s *session) isWatched(key string) bool { return slices.Contains(s.watched, key) }

// touch runs cmds on Dynago through the probe connection: writes that
// leave a watched key as it was, but count as writes of it for WATCH.
func (s *session) touch(cmds ...Cmd) error {
	for _, c := range cmds {
		if _, err := s.probeD.must(c...); err != nil {
			return err
		}
	}
	s.note = append(s.note, "wrote the watched key on Dynago too, unchanged, as Redis's command wrote it")
	return nil
}

// shrink returns a smallest subsequence of cmds (by delta debugging: drop
// chunks, halving their size, down to single commands) for which still
// holds; still(cmds) must hold.
func shrink(cmds []Cmd, still func([]Cmd) bool, log io.Writer) []Cmd {
	n := 2
	for len(cmds) >= 2 {
		chunk := (len(cmds) + n - 1) / n
		reduced := false
		for start := 0; start < len(cmds); start += chunk {
			cand := append(slices.Clone(cmds[:start]), cmds[min(start+chunk, len(cmds)):]...)
			if len(cand) > 0 && still(cand) {
				cmds = cand
				n = max(n-1, 2)
				reduced = true
				if log != nil {
					fmt.Fprintf(log, "  shrinking: %d commands\n", len(cmds))
				}
				break
			}
		}
		if !reduced {
			if n >= len(cmds) {
				break
			}
			n = min(len(cmds), 2*n)
		}
	}
	return cmds
}

// String prints the mismatch: the seed, the redis-cli lines that reproduce
// it on empty servers, and both servers' replies to each.
func (m *Mismatch) String() string {
	var b strings.Builder
	last := m.Last()
	fmt.Fprintf(&b, "seed %d: %s differs at command %d of %d: %s\n", m.Seed, strings.ToUpper(last.Cmd.FullName()), m.Index+1, m.Total, m.Why)
	switch {
	case !m.Reproduced:
		b.WriteString("(not shrunk: a replay of the stream did not show it again)\n")
	case m.Shrunk:
		fmt.Fprintf(&b, "shrunk to %d commands; on empty servers (FLUSHALL), with redis-cli:\n", len(m.Steps))
	}
	for _, st := range m.Steps {
		fmt.Fprintf(&b, "    %s\n", st.Cmd)
	}
	b.WriteString("replies (redis / dynago):\n")
	for i, st := range m.Steps {
		fmt.Fprintf(&b, "  %3d %s\n", i+1, abbreviate(st.Cmd.String(), 120))
		if st.Note != "" {
			fmt.Fprintf(&b, "      (%s)\n", st.Note)
		}
		r, d := abbreviate(st.Redis.String(), 300), abbreviate(st.Dynago.String(), 300)
		if r == d {
			fmt.Fprintf(&b, "      both:   %s\n", r)
			continue
		}
		fmt.Fprintf(&b, "      redis:  %s\n      dynago: %s\n", r, d)
	}
	return b.String()
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "... (" + strconv.Itoa(len(s)) + " bytes)"
}
