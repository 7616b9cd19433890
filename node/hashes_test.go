package node_test

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/simcluster"
	"github.com/dynago/dynago/node"
	"github.com/redis/go-redis/v9"
)

// hgetall reads a hash through one node as a map.
func hgetall(t *testing.T, n *simcluster.Node, key string) map[string]string {
	t.Helper()
	v, err := n.Do(ctxFor(t), "HGETALL", key).Slice()
	if err != nil {
		t.Fatalf("HGETALL %s through %s: %v", key, n.Name(), err)
	}
	out := map[string]string{}
	for i := 0; i+1 < len(v); i += 2 {
		out[v[i].(string)] = v[i+1].(string)
	}
	return out
}

// hashWrite is one write of TestHashesConvergeAcrossACut's history.
type hashWrite struct {
	side   int    // 0: the cut-off node's; 1: the majority's; -1: before the cut
	field  string // "" for DEL
	value  string // "" for HDEL and DEL
	remove bool
}

// TestHashesConvergeAcrossACut writes one hash through both sides of a cut
// (R=W=1, so each side goes on alone): HSET, HDEL and DEL of the same few
// fields, and HINCRBY of a counter field. After the cut heals, every node
// must read exactly the hash the merge rules of docs/design.md (3.9)
// predict from the history alone: a field's write counts unless a later
// write of that field, an HDEL of it or a DEL knew of it (was made on the
// same side after it, or after the cut healed); the field's value is its
// newest counting write's; every increment of the counter counts.
func TestHashesConvergeAcrossACut(t *testing.T) {
	t.Parallel()
	for seed := range uint64(10) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			simcluster.Run(t, func(t *testing.T) {
				hashesAcrossACut(t, seed, hashModel)
			})
		})
	}
}

// collectionModel is how the model test of a cut writes and reads one
// collection type: a hash (field, value), or a sorted set (member, score).
type collectionModel struct {
	set   func(field, value string) []any
	del   func(field string) []any
	incr  func(field string, d int64) []any
	read  func(t *testing.T, n *simcluster.Node) map[string]string
	value func(side, step int) string // a value a write sets
	// fill is how many more fields are set before the cut and left alone
	// by the writes during it (but for a DEL): enough makes a sorted set
	// big, which a read answers from one owner's index where R owners
	// agree (coordinator's indexServes), and the test checks some did.
	fill int
}

var hashModel = collectionModel{
	set:   func(f, v string) []any { return []any{"HSET", "h", f, v} },
	del:   func(f string) []any { return []any{"HDEL", "h", f} },
	incr:  func(f string, d int64) []any { return []any{"HINCRBY", "h", f, d} },
	read:  func(t *testing.T, n *simcluster.Node) map[string]string { return hgetall(t, n, "h") },
	value: func(side, step int) string { return fmt.Sprintf("s%d-%d", side, step) },
}

func hashesAcrossACut(t *testing.T, seed uint64, model collectionModel) {
	r := rand.New(rand.NewPCG(seed, 15))
	c := simcluster.Start(t, 3, weakQuorums)
	n := c.Nodes
	ctx := ctxFor(t)
	fields := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	written := len(fields) // the fields the writes during the cut pick from
	for i := range model.fill {
		fields = append(fields, fmt.Sprintf("fill%03d", i))
	}
	var history []hashWrite
	var trace []string
	// Each write is made a millisecond after the one before it, so the
	// newest write is the latest in the history (the fake clock moves
	// only when the test sleeps).
	do := func(side int, through *simcluster.Node, w hashWrite) {
		t.Helper()
		time.Sleep(time.Millisecond)
		var err error
		switch {
		case w.field == "":
			err = through.Do(ctx, "DEL", "h").Err()
		case w.remove:
			err = through.Do(ctx, model.del(w.field)...).Err()
		default:
			err = through.Do(ctx, model.set(w.field, w.value)...).Err()
		}
		if err != nil {
			t.Fatalf("%+v through %s: %v", w, through.Name(), err)
		}
		w.side = side
		history = append(history, w)
		trace = append(trace, fmt.Sprintf("side %d: %+v", side, w))
	}
	for i, f := range fields {
		do(-1, n[2], hashWrite{field: f, value: model.value(-1, i)})
	}
	if err := n[2].Do(ctx, model.incr("n", 100)...).Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"n": "100"}
	for i, f := range fields {
		want[f] = model.value(-1, i)
	}
	for j, m := range n {
		c.WaitFor(fmt.Sprintf("the collection on node %d", j+1), func() string {
			if got := model.read(t, m); !maps.Equal(got, want) {
				return fmt.Sprintf("%v", got)
			}
			return ""
		})
	}

	c.Isolate(0)
	increments, deleted := int64(100), false
	for step := range 16 {
		side := r.IntN(2)
		through := n[side] // one writer a side: each write knows its side's earlier ones
		if r.IntN(6) == 0 {
			d := int64(1 + r.IntN(9))
			if err := through.Do(ctx, model.incr("n", d)...).Err(); err != nil {
				t.Fatalf("increment through %s: %v", through.Name(), err)
			}
			increments += d
			continue
		}
		w := hashWrite{field: fields[r.IntN(written)]}
		switch k := r.IntN(10); {
		case k < 5:
			w.value = model.value(side, step)
		case k < 8:
			w.remove = true
		case model.fill > 0: // (the collection stays big)
			w.value = model.value(side, step)
		default:
			w.field, w.remove = "", true // DEL: the counter goes too
			deleted = true
		}
		do(side, through, w)
	}
	c.HealAll()
	for i := range n {
		c.WaitAlive(i, true)
	}
	// Reads now merge every replica's copy (R=3), so what each node
	// answers is the join of all the writes, not one replica's progress
	// toward it.
	for _, m := range n {
		m.Node.Coordinator().SetQuorums(3, 1)
	}

	want = predictHash(history, fields)
	if !deleted {
		want["n"] = strconv.FormatInt(increments, 10)
	}
	for j, m := range n {
		c.WaitFor(fmt.Sprintf("node %d to read the predicted collection", j+1), func() string {
			got := model.read(t, m)
			if deleted {
				// A counter incremented concurrently with a DEL keeps
				// what its writer saw (docs/design.md 3.9, rule 3):
				// not what this model predicts.
				delete(got, "n")
			}
			if !maps.Equal(got, want) {
				return fmt.Sprintf("read %v, the rules give %v; history:\n%s", got, want, strings.Join(trace, "\n"))
			}
			return ""
		})
	}
	if model.fill > 0 {
		var agreed int64
		for _, m := range n {
			a, _ := m.Node.Coordinator().Stats().CollectionReads()
			agreed += a
		}
		if agreed == 0 {
			t.Fatal("no read of the big collection was answered from an owner's index")
		}
	}
}

// predictHash applies the merge rules to a history of writes made before
// a cut (side -1) and on its two sides.
func predictHash(history []hashWrite, fields []string) map[string]string {
	knew := func(later, earlier int) bool {
		a, b := history[later], history[earlier]
		return later > earlier && (b.side == -1 || a.side == b.side)
	}
	want := map[string]string{}
	for _, f := range fields {
		best := -1
		for i, w := range history {
			if w.field != f || w.remove {
				continue
			}
			seen := false
			for j, x := range history {
				if (x.field == f || x.field == "") && knew(j, i) {
					seen = true
					break
				}
			}
			if !seen && i > best {
				best = i
			}
		}
		if best >= 0 {
			want[f] = history[best].value
		}
	}
	return want
}

// TestHashCommandsThroughEveryNode: on a healthy cluster every node answers
// what was written through any other, a write through a node that owns no
// replica of the key is routed, and DEL through one node empties the hash
// for all.
func TestHashCommandsThroughEveryNode(t *testing.T) {
	t.Parallel()
	simcluster.Run(t, func(t *testing.T) {
		c := simcluster.Start(t, 4, func(_ int, cfg *node.Config) { cfg.Replicas = 2 })
		ctx := ctxFor(t)
		want := map[string]string{}
		for i, m := range c.Nodes {
			f := fmt.Sprintf("f%d", i)
			if added, err := m.Do(ctx, "HSET", "user:1", f, "x", "shared", strconv.Itoa(i)).Int64(); err != nil || added < 1 {
				t.Fatalf("HSET through %s: %d, %v", m.Name(), added, err)
			}
			want[f], want["shared"] = "x", strconv.Itoa(i)
		}
		for _, m := range c.Nodes {
			if got := hgetall(t, m, "user:1"); !maps.Equal(got, want) {
				t.Fatalf("HGETALL through %s: %v, want %v", m.Name(), got, want)
			}
		}
		if removed, err := c.Nodes[3].Do(ctx, "HDEL", "user:1", "f0", "nosuch").Int64(); err != nil || removed != 1 {
			t.Fatalf("HDEL: %d, %v", removed, err)
		}
		delete(want, "f0")
		if got := hgetall(t, c.Nodes[0], "user:1"); !maps.Equal(got, want) {
			t.Fatalf("after HDEL: %v, want %v", got, want)
		}
		// HDEL of every field left, through another node, removes the
		// key itself: no hash header stays behind (a GET of a key that
		// holds a hash would answer WRONGTYPE).
		if err := c.Nodes[0].Do(ctx, "HSET", "gone", "a", "1", "b", "2").Err(); err != nil {
			t.Fatal(err)
		}
		if removed, err := c.Nodes[2].Do(ctx, "HDEL", "gone", "a", "b").Int64(); err != nil || removed != 2 {
			t.Fatalf("HDEL of every field: %d, %v", removed, err)
		}
		for _, m := range c.Nodes {
			if err := m.Do(ctx, "GET", "gone").Err(); !errors.Is(err, redis.Nil) {
				t.Fatalf("GET of an emptied hash through %s: %v, want nil", m.Name(), err)
			}
		}
		if err := c.Nodes[1].Do(ctx, "DEL", "user:1").Err(); err != nil {
			t.Fatal(err)
		}
		for _, m := range c.Nodes {
			if got := hgetall(t, m, "user:1"); len(got) != 0 {
				t.Fatalf("after DEL through %s: %v", m.Name(), got)
			}
		}
		// A new hash after the DEL shows none of the old fields.
		if err := c.Nodes[2].Do(ctx, "HSET", "user:1", "fresh", "1").Err(); err != nil {
			t.Fatal(err)
		}
		if got := hgetall(t, c.Nodes[0], "user:1"); !maps.Equal(got, map[string]string{"fresh": "1"}) {
			t.Fatalf("the hash made after DEL: %v", got)
		}
	})
}

// TestHashCutScenarios: the concurrent writes on two sides of a cut that
// the merge rules single out (docs/design.md 3.9, rules 4 and 5), each
// checked on the join of every replica's copy.
func TestHashCutScenarios(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		before      []any
		left, right []any // through the cut-off node, and through the others
		want        map[string]string
	}{
		{"HDEL of the last field and a concurrent HSET of another", []any{"HSET", "h", "a", "1"},
			[]any{"HDEL", "h", "a"}, []any{"HSET", "h", "g", "2"}, map[string]string{"g": "2"}},
		{"DEL and a concurrent HSET of a field it saw", []any{"HSET", "h", "a", "1", "b", "2"},
			[]any{"DEL", "h"}, []any{"HSET", "h", "a", "new"}, map[string]string{"a": "new"}},
		{"HDEL and a concurrent HSET of the same field", []any{"HSET", "h", "a", "1", "b", "2"},
			[]any{"HDEL", "h", "a"}, []any{"HSET", "h", "a", "again"}, map[string]string{"a": "again", "b": "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cutScenario(t, tc.before, tc.left, tc.right, len(tc.before)/2-1, func(t *testing.T, m *simcluster.Node) string {
				if got := hgetall(t, m, "h"); !maps.Equal(got, tc.want) {
					return fmt.Sprintf("%v, want %v", got, tc.want)
				}
				return ""
			}, func(t *testing.T, m *simcluster.Node) int { return len(hgetall(t, m, "h")) })
		})
	}
}

// smembers reads a set through one node, sorted.
func smembers(t *testing.T, n *simcluster.Node, key string) []string {
	t.Helper()
	v, err := n.Do(ctxFor(t), "SMEMBERS", key).StringSlice()
	if err != nil {
		t.Fatalf("SMEMBERS %s through %s: %v", key, n.Name(), err)
	}
	return v
}

// TestSetCutScenarios: sets follow the hashes' merge rules, members being
// fields without values: an SREM and a concurrent SADD of the same member
// (add wins), SREM of the last member against a concurrent SADD of
// another, DEL against a concurrent SADD.
func TestSetCutScenarios(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		before      []any
		left, right []any
		want        []string
	}{
		{"SREM and a concurrent SADD of the same member", []any{"SADD", "s", "a", "b"},
			[]any{"SREM", "s", "a"}, []any{"SADD", "s", "a"}, []string{"a", "b"}},
		{"SREM of the last member and a concurrent SADD of another", []any{"SADD", "s", "a"},
			[]any{"SREM", "s", "a"}, []any{"SADD", "s", "z"}, []string{"z"}},
		{"DEL and a concurrent SADD", []any{"SADD", "s", "a", "b"},
			[]any{"DEL", "s"}, []any{"SADD", "s", "c"}, []string{"c"}},
		{"SREM on both sides", []any{"SADD", "s", "a", "b", "c"},
			[]any{"SREM", "s", "a"}, []any{"SREM", "s", "b"}, []string{"c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cutScenario(t, tc.before, tc.left, tc.right, len(tc.before)-2, func(t *testing.T, m *simcluster.Node) string {
				if got := smembers(t, m, "s"); !slices.Equal(got, tc.want) {
					return fmt.Sprintf("%v, want %v", got, tc.want)
				}
				return ""
			}, func(t *testing.T, m *simcluster.Node) int { return len(smembers(t, m, "s")) })
		})
	}
}

// cutScenario runs one write through a node (before) and waits until every
// node reads size elements of it, cuts node 1 off, writes left through it
// and right through node 2, heals, and has every node read with R=3 (the
// join of every replica's copy): check says how that read is wrong.
func cutScenario(t *testing.T, before, left, right []any, size int, check func(*testing.T, *simcluster.Node) string, count func(*testing.T, *simcluster.Node) int) {
	simcluster.Run(t, func(t *testing.T) {
		c := simcluster.Start(t, 3, weakQuorums)
		n := c.Nodes
		ctx := ctxFor(t)
		if err := n[2].Do(ctx, before...).Err(); err != nil {
			t.Fatal(err)
		}
		for _, m := range n {
			c.WaitFor("the first write everywhere", func() string {
				if count(t, m) != size {
					return "not yet"
				}
				return ""
			})
		}
		c.Isolate(0)
		if err := n[0].Do(ctx, left...).Err(); err != nil {
			t.Fatal(err)
		}
		if err := n[1].Do(ctx, right...).Err(); err != nil {
			t.Fatal(err)
		}
		c.HealAll()
		for i := range n {
			c.WaitAlive(i, true)
		}
		for _, m := range n {
			m.Node.Coordinator().SetQuorums(3, 1)
		}
		for j, m := range n {
			if why := check(t, m); why != "" {
				t.Fatalf("node %d reads %s", j+1, why)
			}
		}
	})
}
