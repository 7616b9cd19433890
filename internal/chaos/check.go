package chaos

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
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
	TooMany      = "siblings"        // more siblings than the key has writers
	NotConverged = "not-converged"   // Merkle roots still differ at the deadline
	FaultFailed  = "fault-failed"    // injecting or undoing a fault failed (a node would not restart, LEAVE failed, ...)
	Unhealed     = "unhealed"        // the cluster was not whole (every member alive everywhere) in time after a heal
	Harness      = "harness"         // the run itself could not do its part (no node to read from, ...)
)

// Violation is one broken promise, with enough detail to look for it in the
// history and the node logs.
type Violation struct {
	Kind   string
	Key    string // empty for violations not about one key
	Detail string
}

func (v Violation) String() string {
	if v.Key == "" {
		return v.Kind + ": " + v.Detail
	}
	return fmt.Sprintf("%s %s: %s", v.Kind, v.Key, v.Detail)
}

// Report is the checker's verdict on one run.
type Report struct {
	Violations []Violation
	Keys       int // keys checked
	Lost       int // lost acknowledged writes (counters: one per short counter)
	Phantoms   int // values no client wrote, refused values seen, counters over their bound
	// MaxSiblings is the most siblings any read (a client's VGET or a final
	// read) listed for one key, and that key.
	MaxSiblings    int
	MaxSiblingsKey string
	// SiblingExcess lists the keys for which some read listed more
	// siblings than the key has writers (the worst read of each). Dynamo's
	// sloppy quorum allows it: an acknowledged write kept by stand-ins is
	// not seen by the next quorum read of its own writer, whose next write
	// then becomes its sibling. So it is reported apart from Violations.
	SiblingExcess []Violation
	// LateOverwrites describes SET keys whose final value is an
	// indeterminate write made before the last acknowledged one: allowed
	// (an indeterminate write may take effect at any later time), but
	// worth a look, since a lost write looks the same from outside.
	LateOverwrites []string
}

// Check verifies a run's history against the reads after convergence:
// no acknowledged write lost, no phantom value, replicas in agreement, and
// siblings bounded by each key's writers. It is a pure function.
func Check(history []Write, final Final) Report {
	c := newChecker(history)
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
	writers map[string]int     // distinct clients writing each key
	report  Report
}

func newChecker(history []Write) *checker {
	c := &checker{byKey: map[string][]Write{}, byValue: map[string]Write{}, writers: map[string]int{}}
	clients := map[string]map[int]bool{}
	for _, w := range history {
		c.byKey[w.Key] = append(c.byKey[w.Key], w)
		if w.Kind != KindIncr {
			c.byValue[w.Value] = w
		}
		if clients[w.Key] == nil {
			clients[w.Key] = map[int]bool{}
		}
		clients[w.Key][w.Client] = true
	}
	for k, cl := range clients {
		c.writers[k] = len(cl)
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
	reads := c.readsOf(key, r)
	for _, rd := range reads {
		c.checkValues(key, kind, writes, rd.where, rd.values)
	}
	c.checkSiblings(key, reads)
	c.checkDuplicates(key, reads)
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
// during the run and the final reads.
func (c *checker) readsOf(key string, r KeyRead) []read {
	var out []read
	for _, w := range c.byKey[key] {
		if w.Kind == KindVSet {
			out = append(out, read{fmt.Sprintf("VGET of c%d before #%d", w.Client, w.Seq), w.Saw})
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

// checkSiblings bounds every read's sibling count by the key's writers,
// keeping the largest count seen.
func (c *checker) checkSiblings(key string, reads []read) {
	writers := c.writers[key]
	worst := read{}
	for _, rd := range reads {
		if len(rd.values) > c.report.MaxSiblings {
			c.report.MaxSiblings, c.report.MaxSiblingsKey = len(rd.values), key
		}
		if len(rd.values) > len(worst.values) {
			worst = rd
		}
	}
	if writers > 0 && len(worst.values) > writers {
		c.report.SiblingExcess = append(c.report.SiblingExcess, Violation{Kind: TooMany, Key: key,
			Detail: fmt.Sprintf("%s lists %d siblings %q; the key has %d writer(s)", worst.where, len(worst.values), worst.values, writers)})
	}
}

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
