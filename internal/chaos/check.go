package chaos

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Reply is one read's answer for a key.
type Reply struct {
	Found  bool     // the node holds a record with at least one live value
	Values []string // the sibling values, as the node listed them
	Err    string   // non-empty when the read failed
}

// KeyRead is what the reads after convergence found for one key.
type KeyRead struct {
	// Owners are the key's owners (the head of its preference list), by
	// node name, as the cluster saw them after convergence.
	Owners []string
	// Quorum is VGET through one node; Get is GET through the same node
	// (a counter's merged value).
	Quorum, Get Reply
	// Local is DYNAGO LOCAL on every node that was up, by node name: the
	// node's own copy, without a quorum.
	Local map[string]Reply
	// Hash is a hash's HGETALL through the same node (for a counter
	// field's hash, Get is its HGET); HashErr says why it failed.
	Hash    map[string]string
	HashErr string
}

// Final is the reads after convergence, by key.
type Final map[string]KeyRead

// Violation kinds.
const (
	Lost         = "lost"            // an acknowledged write is gone
	Phantom      = "phantom"         // a value no client wrote to that key
	Refused      = "refused-visible" // the value of a refused write is visible
	Duplicate    = "duplicate"       // one write's value listed twice among a key's siblings: it was applied twice
	Diverged     = "diverged"        // owners (or the quorum read) disagree after convergence
	Unreadable   = "unreadable"      // a final read failed
	TooMany      = "siblings"        // a read lists siblings whose writes were ordered (see siblingBound and Bound)
	NotConverged = "not-converged"   // Merkle roots still differ at the deadline
	FaultFailed  = "fault-failed"    // injecting or undoing a fault failed (a node would not restart, LEAVE failed, ...)
	Unhealed     = "unhealed"        // the cluster was not whole (every member alive everywhere) in time after a heal
	Harness      = "harness"         // the run itself could not do its part (no node to read from, ...)
)

// The rules by which a read is held to the sibling bound (see Bound); a
// siblings violation names the one that applied.
const (
	// RuleStrict: the nodes ran with --strict-quorum, and every read is held
	// to the real-time bound.
	RuleStrict = "strict"
	// RuleNoFault: under the sloppy quorum, two writes ordered in real time
	// with no fault active from the first one's begin to the second one's
	// end plus the settle time (a fault counting as active until the
	// settle time after it was undone).
	RuleNoFault = "no-fault"
	// RuleSeen: a VSET listed beside a value its own VGET saw, which its
	// context supersedes wherever the two meet, whatever the faults.
	RuleSeen = "seen"
)

// Violation is one broken promise, with enough detail to look for it in the
// history and the node logs.
type Violation struct {
	Kind   string
	Key    string // empty for violations not about one key
	Rule   string // for a siblings violation, the rule that applied (RuleStrict, ...)
	Detail string
}

func (v Violation) String() string {
	kind := v.Kind
	if v.Rule != "" {
		kind += " [" + v.Rule + "]"
	}
	if v.Key == "" {
		return kind + ": " + v.Detail
	}
	return fmt.Sprintf("%s %s: %s", kind, v.Key, v.Detail)
}

// Bound is how reads are held to the sibling bound: the quorum mode the
// nodes ran in and, for the default sloppy quorum, when faults were active.
// The zero Bound is a sloppy-quorum run without faults: the real-time bound
// on every read.
type Bound struct {
	// Strict: the nodes ran with --strict-quorum.
	Strict bool
	// Windows are the faults' active intervals (see FaultWindow).
	Windows []FaultWindow
	// Settle is the catch-up time around a fault (see FaultSettle): a
	// fault counts as active until Settle after its window ends, and a
	// pair is excused when one was active at any instant from the earlier
	// write's begin to the later one's end plus Settle.
	Settle time.Duration
}

// Enforced is how much of [from, to] the real-time bound held over: all of
// it under Strict, else the time outside every fault window widened by
// Settle on both sides (a pair is held to it only when both its writes lie
// in one such stretch; see boundOf).
func (b Bound) Enforced(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	total := to.Sub(from)
	if b.Strict {
		return total
	}
	for _, s := range widen(b.Windows, b.Settle) {
		lo, hi := s.start, orMax(s.end)
		if lo.Before(from) {
			lo = from
		}
		if hi.After(to) {
			hi = to
		}
		if hi.After(lo) {
			total -= hi.Sub(lo)
		}
	}
	return total
}

// FaultWindow is when one fault was active: a node killed or stopped, from
// the SIGKILL or SIGSTOP until it was restarted or continued and the
// cluster was whole again (every node seeing every member alive), which is
// when the others stop treating it as down; or a cut, from the cut until
// the heal was done and the cluster whole again. A node killed for good
// (DYNAGO REMOVE) is a kill whose window ends when the cluster without it
// is whole. Joins and graceful leaves are not faults.
type FaultWindow struct {
	Fault string    // as the run's log names it, with its round
	Start time.Time // at or before the fault took effect
	End   time.Time // at or after the cluster was whole again; zero: never
}

func (f FaultWindow) String() string {
	if f.End.IsZero() {
		return fmt.Sprintf("%s from %s, never undone", f.Fault, stamp(f.Start))
	}
	return fmt.Sprintf("%s from %s to %s", f.Fault, stamp(f.Start), stamp(f.End))
}

// Report is the checker's verdict on one run.
type Report struct {
	Violations []Violation
	Keys       int // keys checked
	Lost       int // lost acknowledged writes (counters: one per short counter)
	Phantoms   int // values no client wrote, refused values seen, counters over their bound
	// MaxSiblings is the most siblings any read (a client's VGET or a final
	// read) listed for one key, that key, and the key's real-time bound:
	// the most of its writes that were concurrent in real time (see
	// siblingBound), before any fault excuses a pair.
	MaxSiblings      int
	MaxSiblingsKey   string
	MaxSiblingsBound int
	// MaxBound is the largest real-time bound of any key, and that key.
	MaxBound    int
	MaxBoundKey string
	// Excused is how many reads listed more siblings than the real-time
	// bound allows but no more than Bound does (every pair beyond it
	// ordered within a fault window), and ExcusedKeys how many keys they
	// were of. Always zero under Bound.Strict.
	Excused, ExcusedKeys int
	// StaleDeletes is how many acknowledged HDELs answered 0 for a field
	// whose HSET was acknowledged before, near a fault, under sloppy
	// quorum: their quorum read missed it (excused as Excused is).
	StaleDeletes int
	// LateOverwrites describes SET keys whose final value is an
	// indeterminate write made before the last acknowledged one: allowed
	// (an indeterminate write may take effect at any later time), but
	// worth a look, since a lost write looks the same from outside.
	LateOverwrites []string
}

// Check verifies a run's history against the reads after convergence:
// no acknowledged write lost, no phantom value, replicas in agreement, and
// no read listing siblings whose writes were not concurrent (siblingBound,
// under the rule bound says). It is a pure function.
func Check(history []Write, final Final, bound Bound) Report {
	c := newChecker(history, bound)
	keys := make(map[string]bool, len(c.byKey)+len(final))
	for k := range c.byKey {
		keys[k] = true
	}
	for k := range final {
		keys[k] = true
	}
	sorted := slices.Sorted(maps.Keys(keys))
	for _, key := range sorted {
		c.checkKey(key, final[key])
	}
	c.report.Keys = len(sorted)
	return c.report
}

type checker struct {
	byKey   map[string][]Write // each key's writes, in history order
	byValue map[string]Write   // every SET and VSET value to its write
	bound   Bound
	// widened is the fault windows, each begun Settle earlier and ended
	// Settle later, merged and in order (see boundOf); none under
	// Bound.Strict.
	widened []span
	report  Report
}

func newChecker(history []Write, bound Bound) *checker {
	c := &checker{byKey: map[string][]Write{}, byValue: map[string]Write{}, bound: bound}
	if !bound.Strict {
		c.widened = widen(bound.Windows, bound.Settle)
	}
	for _, w := range history {
		c.byKey[w.Key] = append(c.byKey[w.Key], w)
		if w.Kind == KindSet || w.Kind == KindVSet {
			c.byValue[w.Value] = w
		}
	}
	return c
}

func (c *checker) add(kind, key, format string, args ...any) {
	c.report.Violations = append(c.report.Violations, Violation{Kind: kind, Key: key, Detail: fmt.Sprintf(format, args...)})
	switch kind {
	case Lost:
		c.report.Lost++
	case Phantom, Refused:
		c.report.Phantoms++
	}
}

func (c *checker) checkKey(key string, r KeyRead) {
	writes := c.byKey[key]
	kind := KindSet
	if len(writes) > 0 {
		kind = writes[0].Kind
	}
	switch kind {
	case KindHSet, KindHDel, KindSAdd, KindSRem, KindZAdd, KindZRem:
		c.checkHash(key, writes, r)
		return
	case KindHIncr, KindZIncr:
		if r.Get.Err != "" {
			c.add(Unreadable, key, "HGET: %s", r.Get.Err)
			return
		}
		c.checkCounter(key, writes, r.Get)
		return
	}
	reads := c.readsOf(key, r)
	for _, rd := range reads {
		c.checkValues(key, kind, writes, rd.where, rd.values)
	}
	c.checkSiblings(key, kind, reads)
	if kind != KindIncr {
		// A counter's siblings are rendered states: two increments made
		// concurrently from one state render alike. One applied twice
		// shows as a value over the counter's bound instead.
		c.checkDuplicates(key, reads)
	}
	c.checkAgreement(key, r)
	if len(writes) == 0 || r.Quorum.Err != "" {
		return // nothing to lose, or the unreadable key is already reported
	}
	switch kind {
	case KindSet:
		c.checkSet(key, writes, r.Quorum)
	case KindVSet:
		c.checkVSet(key, writes, r.Quorum)
	case KindIncr:
		if r.Get.Err != "" {
			c.add(Unreadable, key, "GET: %s", r.Get.Err)
			return
		}
		c.checkCounter(key, writes, r.Get)
	}
}

type read struct {
	where  string
	values []string
}

// readsOf lists every answer that named values of key: the clients' VGETs
// during the run (a VSET's, and those SET clients make now and then) and
// the final reads.
func (c *checker) readsOf(key string, r KeyRead) []read {
	var out []read
	for _, w := range c.byKey[key] {
		switch {
		case w.Kind == KindVSet:
			out = append(out, read{fmt.Sprintf("VGET of c%d before #%d", w.Client, w.Seq), w.Saw})
		case w.Read != nil:
			out = append(out, read{fmt.Sprintf("VGET of c%d before #%d", w.Client, w.Seq), w.Read})
		}
	}
	if r.Quorum.Err == "" {
		out = append(out, read{"final VGET", r.Quorum.Values})
	}
	for _, node := range slices.Sorted(maps.Keys(r.Local)) {
		role := "an owner"
		if !slices.Contains(r.Owners, node) {
			role = "not an owner"
		}
		if l := r.Local[node]; l.Err == "" {
			out = append(out, read{fmt.Sprintf("LOCAL on %s (%s)", node, role), l.Values})
		}
	}
	return out
}

// checkValues finds values that no client wrote to key (phantoms) and
// values of writes that were refused.
func (c *checker) checkValues(key string, kind Kind, writes []Write, where string, values []string) {
	if kind == KindIncr && len(writes) > 0 {
		acked, indet, _ := counterBounds(writes)
		for _, v := range values {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || n > int64(acked+indet) {
				c.add(Phantom, key, "%s lists %q; the counter can only be 0..%d (%d acked + %d indeterminate increments)", where, v, acked+indet, acked, indet)
			}
		}
		return
	}
	for _, v := range values {
		w, ok := c.byValue[v]
		switch {
		case !ok:
			c.add(Phantom, key, "%s lists %q, which no client wrote", where, v)
		case w.Key != key:
			c.add(Phantom, key, "%s lists %q, which was written to %s", where, v, w.Key)
		case w.Outcome == Failed:
			c.add(Refused, key, "%s lists %q of a refused write: %s", where, v, w)
		}
	}
}

// checkSiblings holds every read of key to the sibling bound (see
// siblingBound and boundOf) and keeps the largest count seen. A key gets
// one violation, naming its worst read (the most siblings beyond its
// bound), the writes its values came from, the rule that applied, and how
// many reads broke the bound.
func (c *checker) checkSiblings(key string, kind Kind, reads []read) {
	writes := c.mayHaveApplied(key)
	keyBound := siblingBound(writes)
	if keyBound > c.report.MaxBound {
		c.report.MaxBound, c.report.MaxBoundKey = keyBound, key
	}
	// A counter's siblings are rendered states, not one write's value
	// each: only the key's bound applies, with every write that may pair
	// across a fault window counted as concurrent with the rest.
	counterBound := keyBound
	if kind == KindIncr {
		counterBound = c.boundOf(writes)
	}
	var worst, worstRule string
	worstExcess, bad, excused := 0, 0, 0
	for _, rd := range reads {
		if len(rd.values) > c.report.MaxSiblings {
			c.report.MaxSiblings, c.report.MaxSiblingsKey, c.report.MaxSiblingsBound = len(rd.values), key, keyBound
		}
		var v verdict
		if kind == KindIncr {
			switch n := len(rd.values); {
			case n > counterBound:
				v = verdict{excess: n - counterBound, rule: c.rule(),
					detail: fmt.Sprintf("%s lists %d counter siblings %q; at most %d of the key's INCRs were concurrent; %s",
						rd.where, n, rd.values, counterBound, c.counterRuleNote(keyBound))}
			case n > keyBound:
				v.excused = true
			}
		} else {
			v = c.orderedSiblings(key, rd)
		}
		if v.excused {
			excused++
		}
		if v.excess == 0 {
			continue
		}
		bad++
		if v.excess > worstExcess {
			worstExcess, worst, worstRule = v.excess, v.detail, v.rule
		}
	}
	if excused > 0 {
		c.report.Excused += excused
		c.report.ExcusedKeys++
	}
	if bad > 0 {
		c.report.Violations = append(c.report.Violations, Violation{Kind: TooMany, Key: key, Rule: worstRule,
			Detail: fmt.Sprintf("%s (%d such reads; the key's real-time bound is %d)", worst, bad, keyBound)})
	}
}

// verdict is one read's standing against the sibling bound: excess is how
// many more siblings it lists than the bound allows (0: none), and then
// detail and rule say why; excused is whether it lists more than the
// real-time bound allows but the fault windows excuse them.
type verdict struct {
	excess  int
	detail  string
	rule    string
	excused bool
}

// rule is the rule a real-time violation falls under.
func (c *checker) rule() string {
	if c.bound.Strict {
		return RuleStrict
	}
	return RuleNoFault
}

// counterRuleNote says, for a counter read over its bound, which rule set
// the bound.
func (c *checker) counterRuleNote(keyBound int) string {
	if c.bound.Strict {
		return "rule strict: the nodes ran with --strict-quorum, so every read is held to the real-time bound"
	}
	return fmt.Sprintf("rule no-fault: %d in real time, plus every INCR that met a fault window widened by settle %v on both sides, concurrent with all",
		keyBound, c.bound.Settle)
}

// orderedSiblings checks one read's values against the bound. The
// verdict's excess is how many more siblings it lists than the bound allows
// (0: none); its detail then names the siblings, their writes with their
// intervals, a pair of them that is ordered, and the rule that orders
// them: the real-time order (RuleStrict, or RuleNoFault when no fault
// excuses the pair), or a VSET's VGET having seen the other (RuleSeen: it
// supersedes exactly what that read listed, however the write it saw
// ended, so no fault excuses it).
func (c *checker) orderedSiblings(key string, rd read) verdict {
	var ws []Write
	seen := map[string]bool{}
	for _, v := range rd.values {
		w, ok := c.byValue[v]
		if !ok || w.Key != key || seen[v] || w.Outcome == Failed {
			continue // phantoms, duplicates and refused values are reported apart
		}
		seen[v] = true
		ws = append(ws, w)
	}
	bound := c.boundOf(ws)
	if len(ws) <= bound {
		// The history may order two of them otherwise: a VSET supersedes
		// exactly what its VGET listed, whenever that write ended.
		for _, w := range ws {
			for _, s := range w.Saw {
				if s != w.Value && seen[s] {
					return verdict{excess: 1, rule: RuleSeen,
						detail: fmt.Sprintf("%s lists %d siblings %q; %s's VGET saw %s, which it supersedes; the writes:%s",
							rd.where, len(rd.values), rd.values, w.Value, s, describeAll(ws))}
				}
			}
		}
		return verdict{excused: len(ws) > siblingBound(ws)}
	}
	// The pair that shows it, among the writes of one stretch between
	// fault windows whose real-time bound they exceed (all of them, when
	// no window excuses anything): the write acknowledged first and the
	// one that began last. If any two of them are ordered, these two are.
	group := ws
	if len(c.widened) > 0 {
		byGap := map[int][]Write{}
		for _, w := range ws {
			if g, ok := c.gapOf(w); ok {
				byGap[g] = append(byGap[g], w)
			}
		}
		for _, g := range slices.Sorted(maps.Keys(byGap)) {
			if len(byGap[g]) > siblingBound(byGap[g]) {
				group = byGap[g]
				break
			}
		}
	}
	first, last := -1, -1
	for i, w := range group {
		if w.Outcome == Acked && (first < 0 || w.End.Before(group[first].End)) {
			first = i
		}
		if last < 0 || begin(w).After(begin(group[last])) {
			last = i
		}
	}
	a, b := group[first], group[last]
	return verdict{excess: len(ws) - bound, rule: c.rule(),
		detail: fmt.Sprintf("%s lists %d siblings %q; at most %d of their writes were concurrent: %s was acknowledged at %s, before %s began at %s; %s; the writes:%s",
			rd.where, len(rd.values), rd.values, bound, a.Value, stamp(a.End), b.Value, stamp(begin(b)), c.whyOrdered(a, b), describeAll(ws))}
}

// whyOrdered says which rule holds a before b: strict quorum, or no fault
// near them, with the nearest fault windows on either side.
func (c *checker) whyOrdered(a, b Write) string {
	if c.bound.Strict {
		return "rule strict: the nodes ran with --strict-quorum, so every read is held to the real-time bound"
	}
	from, to := begin(a), b.End.Add(c.bound.Settle)
	s := fmt.Sprintf("rule no-fault: no fault was active (or undone less than settle %v before) from %s's begin at %s to %s's end + settle at %s",
		c.bound.Settle, a.Value, stamp(from), b.Value, stamp(to))
	var before, after *FaultWindow
	for i, f := range c.bound.Windows {
		if !f.End.IsZero() && f.End.Before(from) && (before == nil || f.End.After(before.End)) {
			before = &c.bound.Windows[i]
		}
		if f.Start.After(to) && (after == nil || f.Start.Before(after.Start)) {
			after = &c.bound.Windows[i]
		}
	}
	if before != nil {
		s += fmt.Sprintf(" (the last fault before, %s, was undone %v before %s began)", before.Fault, from.Sub(before.End).Round(time.Millisecond), a.Value)
	}
	if after != nil {
		s += fmt.Sprintf(" (the next, %s, began %v after %s's end + settle)", after.Fault, after.Start.Sub(to).Round(time.Millisecond), b.Value)
	}
	return s
}

// describeAll is writes with their intervals, for a violation.
func describeAll(writes []Write) string {
	var b strings.Builder
	for _, w := range writes {
		b.WriteString(" [" + describe(w) + "]")
	}
	return b.String()
}

// mayHaveApplied is key's writes that were not refused.
func (c *checker) mayHaveApplied(key string) []Write {
	var ws []Write
	for _, w := range c.byKey[key] {
		if w.Outcome != Failed {
			ws = append(ws, w)
		}
	}
	return ws
}

// boundOf is the most of writes (of one key, none refused) that may be
// siblings together under the run's rule (Bound): the sibling bound under
// the quorum mode the nodes ran in.
//
// siblingBound orders two writes when one was acknowledged before the other
// began, and that is the bound every read is held to when the nodes run
// with --strict-quorum: a quorum of R owners then meets every quorum of W
// owners, so a write always sees what was acknowledged before it began.
//
// Under the default sloppy quorum, stand-ins count toward R and W, and
// Dynamo's bound is weaker by design: siblings are bounded by truly
// concurrent writers, and two writes are truly concurrent unless one was
// acknowledged before the other began AND the system could have seen it.
// While a fault is active it could not always: (i) a restarted owner
// decides a read before the hints it missed arrive; (ii) stand-ins that
// hold nothing of a key decide a read while an owner is down, paused or
// slow; (iii) both sides of a cut accept writes. Nor can it right after:
// the restarted or resumed node, and the sides of a healed cut, catch up
// (hints delivered, liveness views agreeing again) for a while after the
// harness sees the cluster whole. So a fault counts as active from its
// window's start (FaultWindow) until Settle after the window's end, and an
// ordered pair, a acknowledged before b began, is excused when a fault was
// active at any instant of [begin(a), end(b) + Settle]; outside that the
// real-time bound holds exactly as under strict quorum. Settle
// (FaultSettle) is the time the cluster takes to catch up around a fault:
// copies and hints still in flight when it strikes, hint delivery after a
// restart or heal, an anti-entropy round.
//
// [begin(a), end(b) + Settle] meets a fault active over [s, e + Settle]
// exactly when [begin(a), end(b)] meets [s - Settle, e + Settle]. Call
// those widened windows, merged, the fault spans, and the stretches of
// time between them the gaps: a pair is then ordered exactly when both
// writes lie wholly inside one gap and the real-time order orders them.
// Writes of different gaps, and a write that meets a span, are concurrent
// with every other write. So the largest set of writes no two of which are
// ordered is the largest set concurrent in real time within each gap
// (siblingBound), summed over the gaps, plus every write that meets a span:
// boundOf.
func (c *checker) boundOf(writes []Write) int {
	if len(c.widened) == 0 {
		return siblingBound(writes)
	}
	byGap := map[int][]Write{}
	n := 0
	for _, w := range writes {
		if g, ok := c.gapOf(w); ok {
			byGap[g] = append(byGap[g], w)
		} else {
			n++ // it meets a fault span: concurrent with every other write
		}
	}
	for _, ws := range byGap {
		n += siblingBound(ws)
	}
	return n
}

// span is a closed interval of time; a zero end is never.
type span struct{ start, end time.Time }

// widen is windows each begun settle earlier and ended settle later (a
// window never undone stays so), sorted and merged where they meet.
func widen(windows []FaultWindow, settle time.Duration) []span {
	out := make([]span, 0, len(windows))
	for _, w := range windows {
		sp := span{start: w.Start.Add(-settle)}
		if !w.End.IsZero() {
			sp.end = w.End.Add(settle)
		}
		out = append(out, sp)
	}
	slices.SortFunc(out, func(a, b span) int { return a.start.Compare(b.start) })
	var merged []span
	for _, s := range out {
		if n := len(merged); n > 0 && !s.start.After(orMax(merged[n-1].end)) {
			if !merged[n-1].end.IsZero() && (s.end.IsZero() || s.end.After(merged[n-1].end)) {
				merged[n-1].end = s.end
			}
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// meets reports whether [from, to] meets a fault span.
func (c *checker) meets(from, to time.Time) bool {
	for _, s := range c.widened {
		if !from.After(orMax(s.end)) && !s.start.After(to) {
			return true
		}
	}
	return false
}

// gapOf is the gap (the count of fault spans before it) that w lies wholly
// inside, from its begin to its end; ok is false when w meets a span.
func (c *checker) gapOf(w Write) (gap int, ok bool) {
	from, to := begin(w), w.End
	if to.Before(from) {
		to = from // an unfinished write in a hand-built history
	}
	if c.meets(from, to) {
		return 0, false
	}
	for _, s := range c.widened {
		if s.start.After(to) {
			break
		}
		gap++
	}
	return gap, true
}

// orMax is t, or the end of time for a zero t (a window never undone).
func orMax(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(1<<62, 0)
	}
	return t
}

// siblingBound is the most of writes (of one key, none refused) that may
// legitimately be siblings together.
//
// Each write occupies the real-time interval [begin, end]: begin is when
// its client sent it, or for a VSET when the client sent the VGET whose
// context it carries (its decision was fixed by that read); end is when its
// client had the acknowledgement, or never for an indeterminate write (a
// timeout or NOQUORUM may take effect at any later time, so it is treated
// as concurrent with everything after its begin). Write a precedes write b
// when a was acknowledged before b began: end(a) < begin(b). Two writes may
// be siblings together only if neither precedes the other, so a set of
// siblings is legitimate only if their intervals pairwise overlap, and the
// bound is the size of the largest such set.
//
// The reason: a write that began after another was acknowledged could have
// known it, so it must supersede it, and only writes that could not know
// of each other may survive side by side (design 3.1: siblings are bounded
// by truly concurrent writers). The acknowledged write is durable on W
// copies; a VSET's context comes from a quorum read of R copies and an
// INCR decides on one, and when both quorums are counted on the key's
// owners R+W > N makes them meet; a plain SET's context is its
// coordinator's whole copy, which must then hold every acknowledged write
// too. Once the later write's version exists, every object that holds it
// has a clock covering the earlier dot, and version.Merge drops the
// earlier sibling wherever the two meet. Two writes ordered in real time
// left as siblings are a concurrency the store made up, not one the
// clients had (issue 12). A store that counts stand-ins toward R and W
// (sloppy quorum) breaks this bound by design while a fault is active: a
// read can be answered by copies that all missed an acknowledged write.
// Under the default sloppy quorum, the checker therefore excuses ordered
// pairs near a fault (boundOf); with --strict-quorum it holds every read
// to this bound.
//
// Intervals on a line that pairwise overlap all share an instant, so the
// bound is the most intervals that contain one instant: a sweep over the
// begins and ends, a begin counted before an end at the same instant
// (closed intervals that touch overlap).
func siblingBound(writes []Write) int {
	type event struct {
		at    time.Time
		delta int // +1 a begin, -1 an end
	}
	events := make([]event, 0, 2*len(writes))
	for _, w := range writes {
		events = append(events, event{begin(w), +1})
		if w.Outcome == Acked {
			events = append(events, event{w.End, -1})
		}
	}
	slices.SortFunc(events, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return b.delta - a.delta // begins first
	})
	n, most := 0, 0
	for _, e := range events {
		n += e.delta
		most = max(most, n)
	}
	return most
}

// begin is when w began in real time (see siblingBound).
func begin(w Write) time.Time {
	if w.Kind == KindVSet && !w.ReadStart.IsZero() {
		return w.ReadStart
	}
	return w.Start
}

// describe is w with its interval, for a violation.
func describe(w Write) string {
	s := w.String() + " began " + stamp(begin(w))
	if w.Outcome == Acked {
		return s + " acked " + stamp(w.End)
	}
	return s + " ended " + stamp(w.End)
}

func stamp(t time.Time) string { return t.Format("15:04:05.000000") }

// checkDuplicates finds reads that list one value twice. Every write has
// its own value and no client retries, so a value twice among a key's
// siblings is one write the cluster applied twice, as two versions (an INCR
// applied so would count twice). One violation per key, with the first
// such read and how many there were.
func (c *checker) checkDuplicates(key string, reads []read) {
	first, n := "", 0
	for _, rd := range reads {
		seen := make(map[string]bool, len(rd.values))
		for _, v := range rd.values {
			if seen[v] {
				if n == 0 {
					first = fmt.Sprintf("%s lists %q twice: %q", rd.where, v, rd.values)
				}
				n++
				break
			}
			seen[v] = true
		}
	}
	if n > 0 {
		c.add(Duplicate, key, "%s (%d such reads)", first, n)
	}
}

// checkAgreement verifies that after convergence every owner holds the
// same values and the quorum read answers them.
func (c *checker) checkAgreement(key string, r KeyRead) {
	if r.Quorum.Err != "" {
		c.add(Unreadable, key, "VGET: %s", r.Quorum.Err)
	}
	var ref []string
	refOwner := ""
	for _, o := range r.Owners {
		l, ok := r.Local[o]
		switch {
		case !ok:
			c.add(Unreadable, key, "owner %s was not read", o)
			continue
		case l.Err != "":
			c.add(Unreadable, key, "LOCAL on owner %s: %s", o, l.Err)
			continue
		}
		got := sortedCopy(l.Values)
		if refOwner == "" {
			ref, refOwner = got, o
			continue
		}
		if !slices.Equal(got, ref) {
			c.add(Diverged, key, "owner %s holds %q, owner %s holds %q", refOwner, ref, o, got)
		}
	}
	if refOwner != "" && r.Quorum.Err == "" && !slices.Equal(sortedCopy(r.Quorum.Values), ref) {
		c.add(Diverged, key, "the quorum VGET answers %q, the owners hold %q", r.Quorum.Values, ref)
	}
}

// checkSet: a key with one sequential writer must end with the value of its
// last acknowledged write, or of a later attempt that may have applied.
func (c *checker) checkSet(key string, writes []Write, final Reply) {
	ws := slices.Clone(writes)
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].Seq < ws[j].Seq })
	last := -1
	for i, w := range ws {
		if w.Outcome == Acked {
			last = i
		}
	}
	if last < 0 {
		return
	}
	have := setOf(final.Values)
	for _, w := range ws[last:] {
		if w.Outcome != Failed && have[w.Value] {
			return
		}
	}
	for _, w := range ws[:last] {
		if w.Outcome == Indeterminate && have[w.Value] {
			c.report.LateOverwrites = append(c.report.LateOverwrites,
				fmt.Sprintf("%s: final %q is the earlier indeterminate %s, not the last acked %s", key, final.Values, w, ws[last]))
			return
		}
	}
	c.add(Lost, key, "last acked %s (at %s); final VGET answers %q", ws[last], ws[last].End.Format("15:04:05.000"), final.Values)
}

// checkVSet: every acknowledged value must still be a sibling, or have been
// superseded by a write that saw it and is itself accounted for. A value is
// accounted for when it is present at the end, or some write whose VGET saw
// it is accounted for. An indeterminate write that saw a value therefore
// only excuses the value's absence if that write left a trace (its own
// value present, or seen and accounted for in turn): a write that never
// applied supersedes nothing.
func (c *checker) checkVSet(key string, writes []Write, final Reply) {
	accounted := setOf(final.Values)
	seenBy := map[string][]string{} // value -> values of the writes that saw it
	for _, w := range writes {
		for _, s := range w.Saw {
			seenBy[s] = append(seenBy[s], w.Value)
		}
	}
	// Propagate backwards from the present values; each value enters the
	// work list once, so this ends after at most len(writes) steps.
	work := slices.Collect(maps.Keys(accounted))
	sawOf := map[string][]string{}
	for _, w := range writes {
		sawOf[w.Value] = w.Saw
	}
	for len(work) > 0 {
		v := work[len(work)-1]
		work = work[:len(work)-1]
		for _, s := range sawOf[v] {
			if !accounted[s] {
				accounted[s] = true
				work = append(work, s)
			}
		}
	}
	for _, w := range writes {
		if w.Outcome != Acked || accounted[w.Value] {
			continue
		}
		if by := seenBy[w.Value]; len(by) > 0 {
			c.add(Lost, key, "acked %s is gone; only writes that left no trace saw it: %q; final VGET answers %q", w, by, final.Values)
		} else {
			c.add(Lost, key, "acked %s is gone and no write saw it; final VGET answers %q", w, final.Values)
		}
	}
}

// counterBounds counts a counter's acknowledged and indeterminate
// increments and the largest value an acknowledged INCR returned.
func counterBounds(writes []Write) (acked, indet int, maxResult int64) {
	for _, w := range writes {
		switch w.Outcome {
		case Acked:
			acked++
			maxResult = max(maxResult, w.Result)
		case Indeterminate:
			indet++
		}
	}
	return acked, indet, maxResult
}

// checkCounter: the final value counts every acknowledged increment and no
// more than all that may have applied, and is at least any value an
// acknowledged INCR returned.
func (c *checker) checkCounter(key string, writes []Write, get Reply) {
	acked, indet, maxResult := counterBounds(writes)
	var v int64
	if get.Found && len(get.Values) > 0 {
		n, err := strconv.ParseInt(get.Values[0], 10, 64)
		if err != nil {
			c.add(Phantom, key, "GET answers %q, not an integer", get.Values[0])
			return
		}
		v = n
	}
	switch {
	case v < int64(acked):
		c.add(Lost, key, "GET answers %d; %d increments were acked (%d indeterminate)", v, acked, indet)
	case v < maxResult:
		c.add(Lost, key, "GET answers %d; an acked INCR returned %d", v, maxResult)
	case v > int64(acked+indet):
		c.add(Phantom, key, "GET answers %d; only %d acked + %d indeterminate increments were made", v, acked, indet)
	}
}

// checkHash holds a hash to its writes: each field written once (its value
// its name) by the one client that writes the hash, and deleted only by
// that client after its HSET was acknowledged. An acknowledged HSET's field
// is there unless an HDEL of it was acknowledged or may have applied; an
// acknowledged HDEL's field is not; no other field or value is.
func (c *checker) checkHash(key string, writes []Write, r KeyRead) {
	if r.HashErr != "" {
		c.add(Unreadable, key, "HGETALL: %s", r.HashErr)
		return
	}
	set := map[string]Write{}
	del := map[string]Write{}
	for _, w := range writes {
		switch w.Kind {
		case KindHSet, KindSAdd, KindZAdd:
			set[w.Field] = w
		case KindHDel, KindSRem, KindZRem:
			del[w.Field] = w
		}
	}
	for f, w := range set {
		v, there := r.Hash[f]
		d, deleted := del[f]
		switch {
		case there && v != w.Value:
			c.add(Phantom, key, "field %s holds %q; its only HSET wrote %q", f, v, w.Value)
		case there && w.Outcome == Failed:
			c.add(Refused, key, "field %s of refused %s is there", f, w)
		case there && deleted && d.Outcome == Acked && d.Result == 0:
			// The HDEL answered 0: its quorum read missed the acked
			// HSET. Sloppy quorum allows that near a fault (the read
			// was decided by stand-ins that held nothing); strict
			// quorum never.
			if c.bound.Strict || !c.meets(d.Start, d.End) {
				c.add(Lost, key, "acked %s answered 0: its read missed acked %s", d, w)
			} else {
				c.report.StaleDeletes++
			}
		case there && deleted && d.Outcome == Acked:
			c.add(Phantom, key, "field %s is there after acked %s", f, d)
		case !there && w.Outcome == Acked && (!deleted || d.Outcome == Failed):
			c.add(Lost, key, "acked %s is gone and nothing deleted it", w)
		}
	}
	for f, v := range r.Hash {
		if _, ok := set[f]; !ok {
			c.add(Phantom, key, "field %s (%q) that no HSET wrote", f, v)
		}
	}
}

// CompareTrees lists the partitions whose owners do not all report the same
// Merkle root; roots maps each node to its partitions' roots, owners each
// partition to its owners. An owner that reports no root for a partition it
// owns counts as disagreeing.
func CompareTrees(owners map[int][]string, roots map[string]map[int]string) []string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(owners)) {
		var parts []string
		same, first, ref := true, true, ""
		for _, o := range owners[p] {
			root, ok := roots[o][p]
			if !ok {
				root = "(none)"
			}
			parts = append(parts, o+"="+root)
			if first {
				ref, first = root, false
			} else if root != ref {
				same = false
			}
			if !ok {
				same = false
			}
		}
		if !same {
			out = append(out, fmt.Sprintf("partition %d: %s", p, strings.Join(parts, " ")))
		}
	}
	return out
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	if c == nil {
		c = []string{}
	}
	return c
}

func setOf(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}
