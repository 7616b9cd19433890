package difftest

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// comparator decides whether Redis's reply r and Dynago's reply d to c
// agree; why says how they do not. It may look at both servers through the
// session's probe connections.
type comparator func(s *session, c Cmd, r, d Reply) (ok bool, why string)

// comparatorFor returns the rule for c's replies: exact, unless Redis
// itself leaves the reply open (see Loose) or an intended difference
// applies (see Intended).
func comparatorFor(c Cmd) comparator {
	switch c.FullName() {
	case "ttl", "expiretime":
		return within(1)
	case "pttl", "pexpiretime":
		return within(1000)
	case "time":
		return compareTime
	case "randomkey":
		return compareRandomKey
	case "keys":
		return compareKeys
	case "scan":
		return compareScan
	case "hello":
		return compareHello
	case "dbsize":
		return compareDBSize
	case "incrbyfloat":
		return compareIncrByFloat
	case "incr", "decr", "incrby", "decrby":
		return compareIncr
	case "hgetall":
		return compareHGetAll
	case "hkeys", "hvals", "smembers", "sinter", "sunion", "sdiff":
		return compareKeys
	case "srandmember":
		return compareSRandMember
	case "spop":
		return compareSPop
	case "copy":
		return compareCopy
	case "sscan":
		return compareSScan
	case "hrandfield":
		return compareHRandField
	case "hscan":
		return compareHScan
	case "zscan":
		return compareZScan
	case "pfadd", "pfcount", "pfmerge":
		return compareHLL
	case "object|encoding":
		return compareObjectEncoding
	case "object|idletime", "object|refcount", "memory|usage", "memory|help":
		return sameType
	case "zrandmember":
		return compareZRandMember
	case "zincrby", "zadd":
		return compareZIncrBy
	case "hincrbyfloat":
		return compareHIncrByFloat
	case "hincrby":
		return compareHIncrBy
	case "expire", "pexpire", "expireat", "pexpireat":
		return compareExpireOrder
	case "config|get":
		return compareConfigGet
	case "command|info":
		return compareCommandInfo
	case "info", "client|list", "client|info", "client|id", "slowlog|get", "slowlog|len",
		"command", "command|count", "command|list", "command|docs":
		return sameType
	}
	return exact
}

// compareExec compares EXEC's replies: the queued commands' replies one by
// one, each by its command's own rule (see comparatorFor); anything else
// (a null reply, EXECABORT) exactly.
func compareExec(s *session, c Cmd, r, d Reply) (bool, string) {
	if r.Type != '*' || d.Type != '*' || r.Null || d.Null || len(r.Elems) != len(s.queued) || len(d.Elems) != len(r.Elems) {
		return exact(s, c, r, d)
	}
	for i, q := range s.queued {
		if ok, why := comparatorFor(q)(s, q, r.Elems[i], d.Elems[i]); !ok {
			return false, fmt.Sprintf("queued command %d (%s): %s", i+1, strings.ToUpper(q.FullName()), why)
		}
	}
	return true, ""
}

// compareExpireOrder compares the replies of EXPIRE and its kin exactly,
// except where GT or LT compares the new deadline with one the key already
// has and the two may be equal to the millisecond: a relative deadline
// counts from when each server runs the command, so one server can find it
// equal (0) and the other a millisecond later (1). Both then hold deadlines
// within the windows the runner tracks, so the stream stays comparable.
func compareExpireOrder(s *session, c Cmd, r, d Reply) (bool, string) {
	ok, why := exact(s, c, r, d)
	if ok || r.Type != ':' || d.Type != ':' || !hasOption(c, "gt", "lt") {
		return ok, why
	}
	for _, x := range expiriesOf(c) {
		nw := window{lo: x.ms - clockSlack, hi: x.ms + clockSlack}
		if x.relative {
			nw = window{lo: s.sent + x.ms - clockSlack, hi: s.answered + x.ms + clockSlack}
		}
		for _, w := range s.exp.w[x.key] {
			if w.lo <= nw.hi && nw.lo <= w.hi {
				s.note = append(s.note, "the new and the old deadline may tie to the millisecond")
				return true, ""
			}
		}
	}
	return ok, why
}

// hasOption reports whether an argument of c after its name is one of opts,
// in any case.
func hasOption(c Cmd, opts ...string) bool {
	for _, a := range c[min(1, len(c)):] {
		for _, o := range opts {
			if strings.EqualFold(a, o) {
				return true
			}
		}
	}
	return false
}

// normalizeError reads the error texts an intended difference makes
// different as one.
func normalizeError(r Reply) Reply {
	if r.IsError() && r.Str == "ERR string exceeds maximum allowed size (proto-max-bulk-len)" {
		_ = intended("max-value-bytes")
		r.Str = "ERR string exceeds maximum allowed size (max-value-bytes)"
	}
	return r
}

func exact(_ *session, _ Cmd, r, d Reply) (bool, string) {
	if normalizeError(r).Equal(normalizeError(d)) {
		return true, ""
	}
	return false, "replies differ"
}

// errorsExact compares r and d exactly when either is an error or a closed
// connection; decided reports whether it did.
func errorsExact(r, d Reply) (decided, ok bool) {
	if r.IsError() || d.IsError() || r.Type == Closed || d.Type == Closed {
		return true, normalizeError(r).Equal(normalizeError(d))
	}
	return false, false
}

func sameType(_ *session, _ Cmd, r, d Reply) (bool, string) {
	if decided, ok := errorsExact(r, d); decided {
		return ok, "replies differ"
	}
	if r.Type != d.Type || r.IsNull() != d.IsNull() {
		return false, "reply types differ"
	}
	return true, ""
}

// within compares integers that may drift by tol (a TTL read moments apart);
// negative ones (no key, no expiry) exactly.
func within(tol int64) comparator {
	return func(_ *session, _ Cmd, r, d Reply) (bool, string) {
		if r.Type != ':' || d.Type != ':' || r.Int < 0 || d.Int < 0 {
			return r.Equal(d), "replies differ"
		}
		if diff := r.Int - d.Int; diff > tol || diff < -tol {
			return false, fmt.Sprintf("differ by more than %d", tol)
		}
		return true, ""
	}
}

func compareTime(_ *session, _ Cmd, r, d Reply) (bool, string) {
	if decided, ok := errorsExact(r, d); decided {
		return ok, "replies differ"
	}
	secs := func(x Reply) (int64, bool) {
		if x.Type != '*' || len(x.Elems) != 2 {
			return 0, false
		}
		for _, e := range x.Elems {
			if e.Type != '$' || e.Str == "" || strings.Trim(e.Str, "0123456789") != "" {
				return 0, false
			}
		}
		n, err := strconv.ParseInt(x.Elems[0].Str, 10, 64)
		return n, err == nil
	}
	a, ok1 := secs(r)
	b, ok2 := secs(d)
	if !ok1 || !ok2 {
		return false, "TIME is not two numbers"
	}
	if a-b > 2 || b-a > 2 {
		return false, "clocks more than 2 s apart"
	}
	return true, ""
}

func bulkStrings(x Reply) ([]string, bool) {
	if x.Type != '*' && x.Type != '~' {
		return nil, false
	}
	out := make([]string, 0, len(x.Elems))
	for _, e := range x.Elems {
		if e.Type != '$' || e.Null {
			return nil, false
		}
		out = append(out, e.Str)
	}
	return out, true
}

func compareKeys(_ *session, _ Cmd, r, d Reply) (bool, string) {
	if decided, ok := errorsExact(r, d); decided {
		return ok, "replies differ"
	}
	a, ok1 := bulkStrings(r)
	b, ok2 := bulkStrings(d)
	if !ok1 || !ok2 || r.Type != d.Type {
		return false, "reply types differ"
	}
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		return false, "different keys"
	}
	return true, ""
}

func compareRandomKey(s *session, _ Cmd, r, d Reply) (bool, string) {
	if decided, ok := errorsExact(r, d); decided {
		return ok, "replies differ"
	}
	if r.IsNull() || d.IsNull() {
		return r.Equal(d), "replies differ"
	}
	if r.Type != '$' || d.Type != '$' {
		return false, "reply types differ"
	}
	rk, dk, err := s.allKeys()
	if err != nil {
		return false, err.Error()
	}
	if !slices.Equal(rk, dk) {
		return false, fmt.Sprintf("the servers hold different keys: redis %q, dynago %q", rk, dk)
	}
	if !slices.Contains(rk, r.Str) || !slices.Contains(dk, d.Str) {
		return false, "RANDOMKEY answered a key the server does not hold"
	}
	return true, ""
}

func compareScan(s *session, c Cmd, r, d Reply) (bool, string) {
	if decided, ok := errorsExact(r, d); decided {
		return ok, "replies differ"
	}
	shape := func(x Reply) bool {
		if x.Type != '*' || len(x.Elems) != 2 || x.Elems[0].Type != '$' {
			return false
		}
		_, ok := bulkStrings(x.Elems[1])
		return ok && x.Elems[1].Type == '*'
	}
	if !shape(r) || !shape(d) {
		return false, "SCAN reply is not [cursor, keys]"
	}
	if len(c) < 2 || c[1] != "0" {
		return true, "" // a cursor of Redis's own means nothing to Dynago, and back
	}
	rk, dk, err := s.fullScan(c)
	if err != nil {
		return false, err.Error()
	}
	if !slices.Equal(rk, dk) {
		return false, fmt.Sprintf("a full SCAN with these options differs: redis %q, dynago %q", rk, dk)
	}
	return true, ""
}

// compareDBSize allows each server to count keys whose expiry has passed
// but that it has not reclaimed yet: Redis until a lookup or its active
// expiry, Dynago until its expiry sweep. Both must hold the same live keys.
func compareDBSize(s *session, _ Cmd, r, d Reply) (bool, string) {
	if r.Equal(d) {
		return true, ""
	}
	if r.Type != ':' || d.Type != ':' {
		return false, "replies differ"
	}
	rk, dk, err := s.allKeys()
	if err != nil {
		return false, err.Error()
	}
	if !slices.Equal(rk, dk) {
		return false, fmt.Sprintf("the servers hold different keys: redis %q, dynago %q", rk, dk)
	}
	unreclaimed := 0
	for k := range s.expired {
		if !slices.Contains(rk, k) {
			unreclaimed++
		}
	}
	live := int64(len(rk))
	for _, n := range []int64{r.Int, d.Int} {
		if n < live || n > live+int64(unreclaimed) {
			return false, fmt.Sprintf("DBSIZE %d is not between the %d live keys and %d more that expired", n, live, unreclaimed)
		}
	}
	return true, ""
}

func compareHello(_ *session, c Cmd, r, d Reply) (bool, string) {
	if r.IsError() && d.IsError() && strings.HasPrefix(r.Str, "WRONGPASS ") && mentionsFold(c, "auth") &&
		(strings.HasPrefix(d.Str, "ERR Syntax error in HELLO option ") || d.Str == "ERR Client names cannot contain spaces, newlines or special characters.") {
		// Redis 7.2 (and Dynago) checks every option before it
		// authenticates; 7.0 authenticates as it meets AUTH.
		_ = intended("redis-7.2")
		return true, ""
	}
	if decided, ok := errorsExact(r, d); decided {
		return ok, "replies differ"
	}
	if r.Type != d.Type || len(r.Elems) != len(d.Elems) || len(r.Elems)%2 != 0 {
		return false, "reply types differ"
	}
	_ = intended("server-identity")
	for i := 0; i < len(r.Elems); i += 2 {
		k, rv, dv := r.Elems[i], r.Elems[i+1], d.Elems[i+1]
		if !k.Equal(d.Elems[i]) {
			return false, "HELLO fields differ"
		}
		switch k.Str {
		case "version":
			if rv.Type != dv.Type {
				return false, "HELLO version types differ"
			}
		case "id":
			if rv.Type != ':' || dv.Type != ':' {
				return false, "HELLO id is not an integer"
			}
		default:
			if !rv.Equal(dv) {
				return false, "HELLO field " + k.Str + " differs"
			}
		}
	}
	return true, ""
}

func compareConfigGet(_ *session, _ Cmd, r, d Reply) (bool, string) {
	if decided, ok := errorsExact(r, d); decided {
		return ok, "replies differ"
	}
	pairs := func(x Reply) ([]string, bool) {
		if len(x.Elems)%2 != 0 {
			return nil, false
		}
		var out []string
		for i := 0; i < len(x.Elems); i += 2 {
			out = append(out, x.Elems[i].String()+"="+x.Elems[i+1].String())
		}
		slices.Sort(out)
		return out, true
	}
	a, ok1 := pairs(r)
	b, ok2 := pairs(d)
	if r.Type != d.Type || !ok1 || !ok2 {
		return false, "reply types differ"
	}
	if !slices.Equal(a, b) {
		return false, "settings differ"
	}
	return true, ""
}

// compareCommandInfo compares what COMMAND INFO says of each command both
// servers have: name, arity, flags, key positions and ACL categories, and
// the same of each subcommand Dynago has (see command-metadata in Intended).
func compareCommandInfo(s *session, c Cmd, r, d Reply) (bool, string) {
	if len(c) == 2 { // every command: each server its own
		return sameType(s, c, r, d)
	}
	if decided, ok := errorsExact(r, d); decided {
		return ok, "replies differ"
	}
	if r.Type != '*' || d.Type != '*' || len(r.Elems) != len(d.Elems) {
		return false, "reply types differ"
	}
	_ = intended("command-metadata")
	for i := range r.Elems {
		if ok, why := sameCommand(r.Elems[i], d.Elems[i]); !ok {
			return false, why
		}
	}
	return true, ""
}

func sameCommand(r, d Reply) (bool, string) {
	if r.IsNull() || d.IsNull() {
		if r.Equal(d) {
			return true, ""
		}
		return false, "one server knows the command, the other does not"
	}
	if r.Type != '*' || d.Type != '*' || len(r.Elems) < 10 || len(d.Elems) < 10 {
		return false, "COMMAND INFO entry is not a 10-element array"
	}
	for j := 0; j < 7; j++ {
		if !r.Elems[j].Equal(d.Elems[j]) {
			field := [...]string{"name", "arity", "flags", "first key", "last key", "step", "ACL categories"}[j]
			return false, fmt.Sprintf("%s's %s differs", r.Elems[0].Str, field)
		}
	}
	for _, ds := range d.Elems[9].Elems {
		found := false
		for _, rs := range r.Elems[9].Elems {
			if len(rs.Elems) > 0 && len(ds.Elems) > 0 && rs.Elems[0].Equal(ds.Elems[0]) {
				found = true
				if ok, why := sameCommand(rs, ds); !ok {
					return false, why
				}
			}
		}
		if !found && len(ds.Elems) > 0 {
			if _, skip := NotGenerated(ds.Elems[0].Str); skip {
				continue // Dynago's own (see Intended)
			}
			return false, "Redis has no subcommand " + ds.Elems[0].Str
		}
	}
	return true, ""
}

// compareIncrByFloat applies float64-counters (see Intended): replies that
// agree to float64 precision, or that Redis can compute only in long double,
// pass, and the session then copies Dynago's value of the key to Redis.
func compareIncrByFloat(s *session, c Cmd, r, d Reply) (bool, string) {
	if len(c) != 3 {
		return exact(s, c, r, d)
	}
	return compareFloatIncrement(r, d, c[2], func() error {
		return s.copyKeyToRedis(c[1], intended("float64-counters"))
	})
}

// compareFloatIncrement applies float64-counters to an increment by delta
// whose replies are r and d: equal replies, or Redis's number and
// Dynago's agreeing to float64 precision, or a number beyond float64's
// range that Redis computed and Dynago refused. An accepted difference
// calls copyBack, which gives Redis Dynago's value so the streams go on
// alike.
func compareFloatIncrement(r, d Reply, delta string, copyBack func() error) (bool, string) {
	if normalizeError(r).Equal(normalizeError(d)) {
		return true, ""
	}
	if r.Type != '$' || r.Null {
		return false, "replies differ"
	}
	rv, ok := parseNumber(r.Str)
	if !ok {
		return false, "replies differ"
	}
	dl, deltaOK := parseNumber(delta)
	accepted := false
	switch {
	case d.Type == '$' && !d.Null:
		dv, ok := parseNumber(d.Str)
		accepted = ok && closeEnough(rv, dv, dl, deltaOK)
	case d.IsError() && (d.Str == "ERR increment would produce NaN or Infinity" || d.Str == "ERR value is NaN or Infinity" ||
		d.Str == "ERR value is not a valid float"):
		// Redis computed in long double what a float64 cannot hold.
		accepted = beyondFloat64(rv) || (deltaOK && beyondFloat64(dl))
	}
	if !accepted {
		return false, "replies differ"
	}
	if err := copyBack(); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// compareIncr applies counter-contribution-range (see Intended).
func compareIncr(s *session, c Cmd, r, d Reply) (bool, string) {
	if r.Equal(d) {
		return true, ""
	}
	if r.Type != ':' || !d.IsError() || d.Str != "ERR increment or decrement would overflow" || len(c) < 2 {
		return false, "replies differ"
	}
	if err := s.copyKeyToRedis(c[1], intended("counter-contribution-range")); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// parseNumber reads a decimal number as Redis prints or accepts it, to 256
// bits, without float64's range limit.
func parseNumber(s string) (*big.Float, bool) {
	f, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	return f, err == nil && !f.IsInf()
}

// closeEnough reports whether a and b agree to float64 precision: within a
// few units in the last place of the largest magnitude involved.
func closeEnough(a, b, delta *big.Float, deltaOK bool) bool {
	scale := new(big.Float).Abs(a)
	if m := new(big.Float).Abs(b); m.Cmp(scale) > 0 {
		scale = m
	}
	if deltaOK {
		if m := new(big.Float).Abs(delta); m.Cmp(scale) > 0 {
			scale = m
		}
	}
	diff := new(big.Float).Sub(a, b)
	diff.Abs(diff)
	tol := new(big.Float).Mul(scale, big.NewFloat(8*math.Pow(2, -53)))
	return diff.Cmp(tol) <= 0
}

func beyondFloat64(x *big.Float) bool {
	f, _ := x.Float64()
	return math.IsInf(f, 0)
}

// compareCopy applies one-database (see Intended): a COPY into database 1
// to 15 (which a varied argument list can still name) is refused by
// Dynago and done by Redis, into a database the streams never read.
func compareCopy(s *session, c Cmd, r, d Reply) (bool, string) {
	if d.IsError() && d.Str == "ERR DB index is out of range" && !r.IsError() {
		for i := 3; i+1 < len(c); i++ {
			if n, err := strconv.Atoi(c[i+1]); strings.EqualFold(c[i], "db") && err == nil && n >= 1 && n <= 15 {
				return true, ""
			}
		}
	}
	return exact(s, c, r, d)
}
