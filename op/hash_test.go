package op

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dynago/dynago/version"
)

// simNode is one replica of a hash in the convergence tests: its records
// (the header under the key, each field under key+"/"+field) and the actor
// it writes as. Its writes decide on its own copy, as a coordinator does on
// what its quorum read merged; replication is version.Merge of whole copies.
type simNode struct {
	actor version.Actor
	recs  map[string]version.Object
	seq   *uint64 // one dot sequence per actor
}

const simKey = "h"

func fieldRec(f string) string { return simKey + "/" + f }

func newSim(n int) []*simNode {
	nodes := make([]*simNode, n)
	for i := range nodes {
		nodes[i] = &simNode{actor: version.Actor{Node: uint64(i + 1), Epoch: 1}, recs: map[string]version.Object{}, seq: new(uint64)}
	}
	return nodes
}

// fieldsHeld lists the fields this copy holds a record of.
func (n *simNode) fieldsHeld() []string {
	var out []string
	for k := range n.recs {
		if f, ok := strings.CutPrefix(k, simKey+"/"); ok {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// state builds the HashState a write of fields decides on at instant t.
func (n *simNode) state(t *testing.T, fields []string, at int64) (HashState, version.Dot) {
	*n.seq++
	dot := version.Dot{Actor: n.actor, Counter: *n.seq}
	now := time.Unix(0, at)
	hdr, found := n.recs[simKey]
	st := HashState{Header: State{Object: hdr, Found: found, Now: now, Dot: dot}}
	for _, f := range fields {
		o, ok := n.recs[fieldRec(f)]
		st.Fields = append(st.Fields, State{Object: o, Found: ok, Now: now, Dot: dot})
	}
	h := n.hashOf(t)
	for _, f := range n.fieldsHeld() {
		if slices.Contains(fields, f) || h == nil {
			continue
		}
		if _, ok, err := ResolveField(n.recs[fieldRec(f)], h); err != nil {
			t.Fatal(err)
		} else if ok {
			st.More = true
		}
	}
	return st, dot
}

func (n *simNode) hashOf(t *testing.T) *Collection {
	v, found, err := Resolve(n.recs[simKey], 0)
	if err != nil {
		t.Fatal(err)
	}
	if !found || v.Collection == nil {
		return nil
	}
	return v.Collection
}

// store applies a change to the record rec, as the coordinator does.
func (n *simNode) store(rec string, ch Change, dot version.Dot, at int64) {
	cur := n.recs[rec]
	switch ch.Action {
	case Put:
		n.recs[rec] = cur.Update(ch.Context, dot, &version.Sibling{Time: at, Expiry: ch.Expiry, Kind: ch.Kind, Value: ch.Value})
	case Delete:
		n.recs[rec] = cur.Update(ch.Context, dot, nil)
	}
}

// do runs a hash command (or DEL, as the coordinator runs it on a hash)
// on this node's copy at instant at.
func (n *simNode) do(t *testing.T, o *Op, at int64) (Result, error) {
	var fields []string
	switch o.Code {
	case Del, SPop, ZRemRange:
		fields = n.fieldsHeld()
	case SStore, ZStore:
		fields = n.fieldsHeld()
		for _, f := range o.HashFields() {
			if !slices.Contains(fields, string(f)) {
				fields = append(fields, string(f))
			}
		}
	default:
		for _, f := range o.HashFields() {
			fields = append(fields, string(f))
		}
	}
	st, dot := n.state(t, fields, at)
	var ch HashChange
	var res Result
	names := make([][]byte, len(fields))
	for i, f := range fields {
		names[i] = []byte(f)
	}
	switch o.Code {
	case Del:
		if h := n.hashOf(t); h == nil {
			return Result{}, nil
		}
		ch, res = DeleteHash(&st), Result{Wrote: true, Found: true}
	case SPop:
		var err error
		if ch, res, err = o.ApplyPop(&st, names); err != nil {
			return res, err
		}
	case SStore, ZStore:
		var err error
		if ch, res, err = o.ApplyStore(&st, names); err != nil {
			return res, err
		}
	case ZRemRange:
		var err error
		if ch, res, err = o.ApplyZRange(&st, names); err != nil {
			return res, err
		}
	default:
		var err error
		if ch, res, err = o.ApplyHash(&st); err != nil {
			return res, err
		}
	}
	n.store(simKey, ch.Header, dot, at)
	for i, f := range fields {
		n.store(fieldRec(f), ch.Fields[i], dot, at)
	}
	return res, nil
}

// read is HGETALL on this node's copy.
func (n *simNode) read(t *testing.T) map[string]string {
	out := map[string]string{}
	h := n.hashOf(t)
	if h == nil {
		return out
	}
	for _, f := range n.fieldsHeld() {
		v, ok, err := ResolveField(n.recs[fieldRec(f)], h)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			out[f] = string(v.Bytes)
		}
	}
	return out
}

// syncFrom merges m's copy into n's.
func (n *simNode) syncFrom(m *simNode) {
	for k, o := range m.recs {
		n.recs[k] = version.Merge(n.recs[k], o)
	}
}

func syncAll(nodes []*simNode) {
	for _, a := range nodes {
		for _, b := range nodes {
			a.syncFrom(b)
		}
	}
}

func hset(pairs ...string) *Op {
	o := &Op{Code: HSet, Key: []byte(simKey)}
	for i := 0; i < len(pairs); i += 2 {
		o.Fields = append(o.Fields, []byte(pairs[i]))
		o.Values = append(o.Values, []byte(pairs[i+1]))
	}
	return o
}

func hdel(fields ...string) *Op {
	o := &Op{Code: HDel, Key: []byte(simKey)}
	for _, f := range fields {
		o.Fields = append(o.Fields, []byte(f))
	}
	return o
}

func mustDo(t *testing.T, n *simNode, o *Op, at int64) Result {
	t.Helper()
	res, err := n.do(t, o, at)
	if err != nil {
		t.Fatalf("%s: %v", o.Code, err)
	}
	return res
}

func TestHashRepliesOnOneNode(t *testing.T) {
	n := newSim(1)[0]
	if r := mustDo(t, n, hset("a", "1", "b", "2", "a", "3"), 1); r.N != 2 {
		t.Fatalf("HSET a b a added %d, want 2", r.N)
	}
	if r := mustDo(t, n, hset("a", "4", "c", "5"), 2); r.N != 1 {
		t.Fatalf("HSET a c added %d, want 1", r.N)
	}
	nx := hset("a", "x", "d", "6")
	nx.Flags = NX
	mustDo(t, n, nx, 3)
	if got := n.read(t); !maps.Equal(got, map[string]string{"a": "4", "b": "2", "c": "5", "d": "6"}) {
		t.Fatalf("hash %v", got)
	}
	incr := &Op{Code: HIncrBy, Key: []byte(simKey), Fields: [][]byte{[]byte("b")}, Int: 40}
	if r := mustDo(t, n, incr, 4); r.Text != "42" {
		t.Fatalf("HINCRBY b 40 = %q", r.Text)
	}
	bad := &Op{Code: HIncrBy, Key: []byte(simKey), Fields: [][]byte{[]byte("a")}, Int: 1}
	mustDo(t, n, hset("a", "x"), 5)
	if _, err := n.do(t, bad, 6); err != ErrHashNotInteger {
		t.Fatalf("HINCRBY on a non-number: %v", err)
	}
	flt := &Op{Code: HIncrByFloat, Key: []byte(simKey), Fields: [][]byte{[]byte("b")}, Float: 0.5}
	if r := mustDo(t, n, flt, 7); r.Text != "42.5" {
		t.Fatalf("HINCRBYFLOAT b 0.5 = %q", r.Text)
	}
	if r := mustDo(t, n, hdel("a", "zz", "a"), 8); r.N != 1 {
		t.Fatalf("HDEL a zz a removed %d", r.N)
	}
	mustDo(t, n, hdel("b", "c", "d"), 9)
	if _, found := n.recs[simKey]; !found || n.hashOf(t) != nil {
		t.Fatalf("the last HDEL left a hash header: %v", n.recs[simKey])
	}
	// The next hash is a new incarnation; nothing of the old one shows.
	mustDo(t, n, hset("z", "1"), 10)
	if got := n.read(t); !maps.Equal(got, map[string]string{"z": "1"}) {
		t.Fatalf("hash after re-creation %v", got)
	}
	// A string command's write over it is refused (WRONGTYPE), and a hash
	// command on a string.
	n.recs[simKey] = n.recs[simKey].Update(n.recs[simKey].Clock, version.Dot{Actor: n.actor, Counter: 99}, &version.Sibling{Time: 11, Value: []byte("s")})
	if _, err := n.do(t, hset("a", "1"), 12); err != ErrWrongType {
		t.Fatalf("HSET on a string: %v", err)
	}
}

// TestHashConvergence runs concurrent writers through different replicas
// with cuts between them and checks the final state against the rules of
// docs/design.md ("Hashes"), case by case.
func TestHashConvergence(t *testing.T) {
	type step struct {
		node int
		op   *Op
		sync bool // instead: every replica syncs with every other
	}
	incr := func(f string, n int64) *Op {
		return &Op{Code: HIncrBy, Key: []byte(simKey), Fields: [][]byte{[]byte(f)}, Int: n}
	}
	del := &Op{Code: Del, Key: []byte(simKey)}
	synced := step{sync: true}
	for _, tc := range []struct {
		name  string
		steps []step
		want  map[string]string
	}{
		{"concurrent values of a field: the newest write", []step{
			{node: 0, op: hset("f", "old")}, {node: 1, op: hset("f", "new")}, synced,
		}, map[string]string{"f": "new"}},
		{"HDEL and a concurrent HSET of the field: the add wins", []step{
			{node: 0, op: hset("f", "1", "g", "1")}, synced,
			{node: 1, op: hdel("f")}, {node: 2, op: hset("f", "2")}, synced,
		}, map[string]string{"f": "2", "g": "1"}},
		{"HDEL that saw the HSET removes it", []step{
			{node: 0, op: hset("f", "1", "g", "1")}, synced, {node: 1, op: hdel("f")}, synced,
		}, map[string]string{"g": "1"}},
		{"HDEL of the last field and a concurrent HSET of another", []step{
			{node: 0, op: hset("f", "1")}, synced,
			{node: 1, op: hdel("f")}, {node: 2, op: hset("g", "2")}, synced,
		}, map[string]string{"g": "2"}},
		{"DEL removes what it saw; a concurrent HSET stays", []step{
			{node: 0, op: hset("f", "1", "g", "1")}, synced,
			{node: 1, op: del}, {node: 2, op: hset("h", "3")}, synced,
		}, map[string]string{"h": "3"}},
		{"DEL and a concurrent HSET of a field it removes", []step{
			{node: 0, op: hset("f", "1", "g", "1")}, synced,
			{node: 1, op: del}, {node: 2, op: hset("f", "2")}, synced,
		}, map[string]string{"f": "2"}},
		{"two replicas start the hash at once: both incarnations count", []step{
			{node: 0, op: hset("a", "1")}, {node: 1, op: hset("b", "2")}, synced,
			{node: 2, op: hset("c", "3")}, synced,
		}, map[string]string{"a": "1", "b": "2", "c": "3"}},
		{"HINCRBY on both sides of a cut: every increment counts", []step{
			{node: 0, op: hset("n", "10")}, synced,
			{node: 0, op: incr("n", 1)}, {node: 1, op: incr("n", 2)}, {node: 2, op: incr("n", 3)}, {node: 2, op: incr("n", 4)}, synced,
		}, map[string]string{"n": "20"}},
		{"a hash recreated after DEL shows none of the old one", []step{
			{node: 0, op: hset("f", "1")}, synced, {node: 0, op: del}, synced, {node: 1, op: hset("g", "1")}, synced,
		}, map[string]string{"g": "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes := newSim(3)
			at := int64(0)
			for _, s := range tc.steps {
				at++
				if s.sync {
					syncAll(nodes)
					continue
				}
				mustDo(t, nodes[s.node], s.op, at)
			}
			for i, n := range nodes {
				if got := n.read(t); !maps.Equal(got, tc.want) {
					t.Errorf("node %d reads %v, want %v", i, got, tc.want)
				}
			}
		})
	}
}

// TestHashConvergenceModel drives random HSET, HDEL and DEL through three
// replicas that sync in random pairs, then syncs them all and compares the
// hash every replica reads with what a model of the rules predicts from the
// history alone: a field's write counts unless a later write of the field,
// an HDEL of it or a DEL saw it (knew of it when it was made); the field's
// value is that of its newest counting write.
func TestHashConvergenceModel(t *testing.T) {
	type write struct {
		id     int
		field  string
		value  string
		at     int64
		remove bool // HDEL of field, or DEL (field "")
		knew   map[int]bool
	}
	fields := []string{"a", "b", "c", "d"}
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 7))
		nodes := newSim(3)
		known := make([]map[int]bool, len(nodes)) // the writes each replica has seen
		for i := range known {
			known[i] = map[int]bool{}
		}
		var history []write
		var trace []string
		for step := range 40 {
			at := int64(step + 1)
			if r.IntN(4) == 0 {
				a, b := r.IntN(3), r.IntN(3)
				nodes[a].syncFrom(nodes[b])
				maps.Copy(known[a], known[b])
				trace = append(trace, fmt.Sprintf("%d<-%d", a, b))
				continue
			}
			ni := r.IntN(3)
			n := nodes[ni]
			w := write{id: len(history), at: at, knew: maps.Clone(known[ni])}
			var o *Op
			switch k := r.IntN(10); {
			case k < 6:
				w.field, w.value = fields[r.IntN(len(fields))], fmt.Sprintf("v%d", step)
				o = hset(w.field, w.value)
			case k < 9:
				w.field, w.remove = fields[r.IntN(len(fields))], true
				o = hdel(w.field)
			default:
				w.remove = true
				o = &Op{Code: Del, Key: []byte(simKey)}
			}
			mustDo(t, n, o, at)
			trace = append(trace, fmt.Sprintf("%d:%s %s %s", ni, o.Code, w.field, w.value))
			history = append(history, w)
			known[ni][w.id] = true
		}
		syncAll(nodes)

		want := map[string]string{}
		for _, f := range fields {
			var best *write
			for i := range history {
				w := &history[i]
				if w.field != f || w.remove {
					continue
				}
				seen := false
				for _, x := range history {
					if x.knew[w.id] && (x.field == f || x.field == "") {
						seen = true
						break
					}
				}
				if !seen && (best == nil || w.at > best.at) {
					best = w
				}
			}
			if best != nil {
				want[f] = best.value
			}
		}
		for i, n := range nodes {
			if got := n.read(t); !maps.Equal(got, want) {
				t.Fatalf("seed %d: node %d reads %v, the rules give %v\n%s", seed, i, got, want, strings.Join(trace, "\n"))
			}
		}
	}
}

// TestStringCommandsOnAHash: the string codes that read or change a value
// answer WRONGTYPE on a hash; SET, DEL and the expiry codes work on it.
func TestStringCommandsOnAHash(t *testing.T) {
	n := newSim(1)[0]
	mustDo(t, n, hset("f", "1"), 1)
	now := time.Unix(0, 2)
	stateOf := func() *State {
		return &State{Object: n.recs[simKey], Found: true, Now: now, Dot: version.Dot{Actor: n.actor, Counter: 50}}
	}
	for _, o := range []Op{
		{Code: Set, Flags: Get, Value: []byte("v")}, {Code: GetSet, Value: []byte("v")}, {Code: GetDel}, {Code: GetEx},
		{Code: Append, Value: []byte("v"), MaxValue: 100}, {Code: SetRange, Value: []byte("v"), MaxValue: 100},
		{Code: IncrBy, Int: 1}, {Code: IncrByFloat, Float: 1},
	} {
		if _, _, err := o.Apply(stateOf()); err != ErrWrongType {
			t.Errorf("%s on a hash: %v, want WRONGTYPE", o.Code, err)
		}
	}
	expire := Op{Code: Expire, Expiry: 5000}
	ch, res, err := expire.Apply(stateOf())
	if err != nil || !res.Wrote || ch.Kind != version.KindHash || ch.Expiry != 5000 {
		t.Fatalf("EXPIRE on a hash: %+v %+v %v", ch, res, err)
	}
	n.store(simKey, ch, version.Dot{Actor: n.actor, Counter: 50}, 2)
	if h := n.hashOf(t); h == nil || h.Expiry != 5000 || !maps.Equal(n.read(t), map[string]string{"f": "1"}) {
		t.Fatalf("after EXPIRE: %+v %v", h, n.read(t))
	}
	if v, found, _ := Resolve(n.recs[simKey], 5000); found {
		t.Fatalf("the hash outlived its expiry: %+v", v)
	}
	set := Op{Code: Set, Value: []byte("s")}
	if ch, _, err := set.Apply(stateOf()); err != nil || ch.Action != Put || ch.Kind != version.KindBytes {
		t.Fatalf("SET over a hash: %+v %v", ch, err)
	}
	for _, o := range []Op{{Code: Del}, {Code: Persist}} {
		if _, _, err := o.Apply(stateOf()); err != nil {
			t.Errorf("%s on a hash: %v", o.Code, err)
		}
	}
}

func sop(code Code, members ...string) *Op {
	o := &Op{Code: code, Key: []byte(simKey)}
	for _, m := range members {
		o.Fields = append(o.Fields, []byte(m))
	}
	return o
}

// TestSets: a set is a collection of members without values, with the
// hashes' rules; SADD of a member already there answers 0 but adds it
// again, so a concurrent SREM does not take it away.
func TestSets(t *testing.T) {
	n := newSim(1)[0]
	if r := mustDo(t, n, sop(SAdd, "a", "b", "a"), 1); r.N != 2 {
		t.Fatalf("SADD a b a added %d", r.N)
	}
	if r := mustDo(t, n, sop(SAdd, "a", "c"), 2); r.N != 1 {
		t.Fatalf("SADD a c added %d", r.N)
	}
	if r := mustDo(t, n, sop(SRem, "a", "z"), 3); r.N != 1 {
		t.Fatalf("SREM a z removed %d", r.N)
	}
	if got := n.read(t); !maps.Equal(got, map[string]string{"b": "", "c": ""}) {
		t.Fatalf("set %v", got)
	}
	if _, err := n.do(t, hset("f", "v"), 4); err != ErrWrongType {
		t.Fatalf("HSET on a set: %v", err)
	}
	nodes := newSim(2)
	mustDo(t, nodes[0], sop(SAdd, "m"), 1)
	syncAll(nodes)
	mustDo(t, nodes[0], sop(SRem, "m"), 2)
	if r := mustDo(t, nodes[1], sop(SAdd, "m"), 3); r.N != 0 {
		t.Fatalf("SADD of a member there added %d", r.N)
	}
	syncAll(nodes)
	for i, n := range nodes {
		if got := n.read(t); !maps.Equal(got, map[string]string{"m": ""}) {
			t.Fatalf("node %d: %v after SREM and a concurrent SADD of the member", i, got)
		}
	}
}

// TestSetPopAndStore: SPOP removes the members it answers, and the set with
// the last; SStore makes the key a new set of exactly its members,
// whatever it held, and an empty one deletes it.
func TestSetPopAndStore(t *testing.T) {
	n := newSim(1)[0]
	mustDo(t, n, sop(SAdd, "a", "b", "c"), 1)
	pop := sop(SPop)
	pop.Flags, pop.Int = WithCount, 2
	r := mustDo(t, n, pop, 2)
	if len(r.Elems) != 2 || r.N != 2 {
		t.Fatalf("SPOP 2: %+v", r)
	}
	left := n.read(t)
	for _, m := range r.Elems {
		if _, ok := left[string(m)]; ok {
			t.Fatalf("popped %s is still there: %v", m, left)
		}
	}
	if len(left) != 1 {
		t.Fatalf("after SPOP 2 of 3: %v", left)
	}
	if r := mustDo(t, n, sop(SPop), 3); len(r.Elems) != 1 || len(n.read(t)) != 0 || n.hashOf(t) != nil {
		t.Fatalf("SPOP of the last member: %+v, then %v", r, n.read(t))
	}
	mustDo(t, n, hset("f", "v"), 4)
	if _, err := n.do(t, sop(SPop), 5); err != ErrWrongType {
		t.Fatalf("SPOP of a hash: %v", err)
	}
	if r := mustDo(t, n, sop(SStore, "x", "y", "x"), 6); r.N != 2 {
		t.Fatalf("SStore x y x: %+v", r)
	}
	if got := n.read(t); !maps.Equal(got, map[string]string{"x": "", "y": ""}) || n.hashOf(t).Type != TypeSet {
		t.Fatalf("after SStore over a hash: %v", got)
	}
	mustDo(t, n, sop(SStore), 7)
	if n.hashOf(t) != nil || len(n.read(t)) != 0 {
		t.Fatalf("an empty SStore left %v", n.read(t))
	}
}

// TestAloneReAddWritesNothing: on a key's only replica, SADD of a member
// already there and ZADD of a member at its score change no record (as
// Redis counts them as no change); a new member, a new score, or the same
// adds with other replicas write.
func TestAloneReAddWritesNothing(t *testing.T) {
	writes := func(n *simNode, o *Op, alone bool) bool {
		t.Helper()
		fields := make([]string, 0, len(o.Fields))
		for _, f := range o.HashFields() {
			fields = append(fields, string(f))
		}
		st, _ := n.state(t, fields, 100)
		st.Alone = alone
		ch, res, err := o.ApplyHash(&st)
		if err != nil {
			t.Fatal(err)
		}
		if res.Wrote != ch.Writes() {
			t.Fatalf("%s: Result.Wrote %v, change writes %v", o.Code, res.Wrote, ch.Writes())
		}
		return ch.Writes()
	}
	set := newSim(1)[0]
	mustDo(t, set, sop(SAdd, "a", "b"), 1)
	for _, tc := range []struct {
		o            *Op
		alone, wrote bool
	}{
		{sop(SAdd, "a"), true, false},
		{sop(SAdd, "a", "b"), true, false},
		{sop(SAdd, "a", "c"), true, true},
		{sop(SAdd, "a"), false, true},
	} {
		if got := writes(set, tc.o, tc.alone); got != tc.wrote {
			t.Errorf("SADD %q alone=%v: writes %v, want %v", tc.o.Fields, tc.alone, got, tc.wrote)
		}
	}
	zs := newSim(1)[0]
	mustDo(t, zs, zadd(0, 1.0, "m"), 1)
	for _, tc := range []struct {
		o            *Op
		alone, wrote bool
	}{
		{zadd(0, 1.0, "m"), true, false},
		{zadd(XX, 1.0, "m"), true, false},
		{zadd(0, 2.0, "m"), true, true},
		{zadd(0, 1.0, "m"), false, true},
	} {
		if got := writes(zs, tc.o, tc.alone); got != tc.wrote {
			t.Errorf("ZADD alone=%v: writes %v, want %v", tc.alone, got, tc.wrote)
		}
	}
}
