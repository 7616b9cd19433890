package coordinator

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/version"
)

// zsetReader reads a sorted set through one coordinator as resp does: its
// header at quorum, then the members through WalkZSet where that serves.
// all are the cluster's coordinators, whose records together are the
// truth a read is checked against.
type zsetReader struct {
	t   *testing.T
	c   *Coordinator
	key []byte
	all map[string]*Coordinator
}

func (r zsetReader) header() *op.Collection {
	r.t.Helper()
	hdr, found, err := r.c.Read(context.Background(), r.key, Options{})
	if err != nil || !found {
		r.t.Fatalf("header: found %v, %v", found, err)
	}
	v, live, err := op.Resolve(hdr, r.c.now(Options{}).UnixMilli())
	if err != nil || !live || v.Collection == nil {
		r.t.Fatalf("header: live %v, %v", live, err)
	}
	return v.Collection
}

// walk is the members WalkZSet visits, and whether it served.
func (r zsetReader) walk() (members []string, served bool) {
	r.t.Helper()
	served, err := r.c.WalkZSet(context.Background(), r.key, r.header(), Options{}, false, nil, func(m op.ScoredMember) bool {
		members = append(members, fmt.Sprintf("%s=%g", m.Member, m.Score))
		return true
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return members, served
}

// read is the members the whole read resp falls back to answers
// (ReadElements).
func (r zsetReader) read() []string {
	r.t.Helper()
	recs, err := r.c.ReadElements(context.Background(), r.key, Options{})
	if err != nil {
		r.t.Fatal(err)
	}
	return r.resolve(recs)
}

// whole is the members the merge of every node's records holds.
func (r zsetReader) whole() []string {
	r.t.Helper()
	recs := map[string]version.Object{}
	for _, c := range r.all {
		if err := c.readLocalElements(r.key, func(ek []byte, o version.Object) bool {
			recs[string(elementOf(ek))] = version.Merge(recs[string(elementOf(ek))], o)
			return true
		}); err != nil {
			r.t.Fatal(err)
		}
	}
	return r.resolve(recs)
}

// resolve is the live members of recs, as "member=score" in Redis's order,
// under the header read at quorum.
func (r zsetReader) resolve(recs map[string]version.Object) []string {
	r.t.Helper()
	hdr, found, err := r.c.Read(context.Background(), r.key, Options{})
	if err != nil {
		r.t.Fatal(err)
	}
	values, err := op.ResolveCollection(op.TypeZSet, hdr, found, recs, r.c.now(Options{}).UnixMilli())
	if err != nil {
		r.t.Fatal(err)
	}
	var ms []op.ScoredMember
	for m, v := range values {
		s, _ := op.ScoreOf(v)
		ms = append(ms, op.ScoredMember{Member: []byte(m), Score: s})
	}
	slices.SortFunc(ms, op.CompareScored)
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s=%g", m.Member, m.Score))
	}
	return out
}

// converge gives every owner among cs the merge of all their records of key's
// elements, as anti-entropy would: a write acknowledged by W owners may
// still be on its way to the others (or its copy for them dropped once W
// had it), and a test that needs the owners to agree waits for no such
// thing.
func converge(t *testing.T, cs map[string]*Coordinator, key string) {
	t.Helper()
	merged := map[string]version.Object{}
	for _, c := range cs {
		if err := c.readLocalElements([]byte(key), func(ek []byte, o version.Object) bool {
			merged[string(ek)] = version.Merge(merged[string(ek)], o)
			return true
		}); err != nil {
			t.Fatal(err)
		}
	}
	var keys [][]byte
	var objs []version.Object
	for k, o := range merged {
		keys, objs = append(keys, []byte(k)), append(objs, o)
	}
	for _, c := range cs {
		if _, mine := c.owners([]byte(key)); !mine {
			continue
		}
		if err := c.eng.MergeBatch(keys, objs); err != nil {
			t.Fatal(err)
		}
	}
}

func zadd(t *testing.T, c *Coordinator, key string, score float64, members ...string) {
	t.Helper()
	o := &op.Op{Code: op.ZAdd, Key: []byte(key)}
	for _, m := range members {
		o.Fields = append(o.Fields, []byte(m))
		o.Values = append(o.Values, op.ScoreBytes(score))
	}
	if _, err := c.Do(context.Background(), o, Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestBigSetReadsServedWhereOwnersAgree: in a cluster a read of a big
// sorted set is answered from the coordinating owner's own score index
// when R owners' element digests agree with its own, exactly as the merge
// of R owners' records would answer it; when this owner missed a write
// (it was cut off), the digests differ and the set is read whole, with the
// write; an owner that agrees with another still answers from its index.
// Small sets, and nodes that own no replica of the key, read whole.
func TestBigSetReadsServedWhereOwnersAgree(t *testing.T) {
	net, cs := startCluster(t, "a", "b", "c")
	a, b := zsetReader{t, cs["a"], []byte("z"), cs}, zsetReader{t, cs["b"], []byte("z"), cs}
	for i := range smallRecords + 72 {
		zadd(t, cs["a"], "z", float64(i%50), fmt.Sprintf("m%03d", i))
	}
	converge(t, cs, "z")
	got, served := a.walk()
	if want := a.whole(); !served || !slices.Equal(got, want) || len(want) != smallRecords+72 {
		t.Fatalf("agreeing owners: served %v, %d members, the merged read has %d (equal: %v)", served, len(got), len(want), slices.Equal(got, want))
	}
	agreed, merged := cs["a"].Stats().CollectionReads()
	if agreed != 1 || merged != 0 {
		t.Fatalf("stats: %d agreed, %d merged", agreed, merged)
	}
	h := a.header()
	for _, rank := range []int{0, 77, 199} {
		m := op.ScoredMember{Member: []byte(got[rank][:4]), Score: float64(0)}
		fmt.Sscanf(got[rank][5:], "%g", &m.Score)
		n, served, err := cs["a"].RankZSet(context.Background(), []byte("z"), h, Options{}, m, false)
		if err != nil || !served || n != int64(rank) {
			t.Fatalf("ZRANK %s = %d (served %v, %v), want %d", m.Member, n, served, err, rank)
		}
	}
	if n, served, err := cs["a"].CardZSet(context.Background(), []byte("z"), h, Options{}); err != nil || !served || n != smallRecords+72 {
		t.Fatalf("ZCARD = %d (served %v, %v)", n, served, err)
	}

	// a is cut off while b and c take a new score.
	net.setDown("a", true)
	zadd(t, cs["b"], "z", 1000, "m005")
	net.setDown("a", false)
	_, served = a.walk()
	want := a.whole()
	if served || !slices.Contains(want, "m005=1000") {
		t.Fatalf("behind owner: served %v; the merge has m005=1000: %v", served, slices.Contains(want, "m005=1000"))
	}
	if got := a.read(); !slices.Equal(got, want) {
		t.Fatalf("behind owner: the whole read has m005=1000: %v, equals the merge: %v", slices.Contains(got, "m005=1000"), slices.Equal(got, want))
	}
	if _, merged = cs["a"].Stats().CollectionReads(); merged != 1 {
		t.Fatalf("stats: %d merged reads, want 1", merged)
	}
	got, served = b.walk()
	if !served || !slices.Equal(got, want) {
		t.Fatalf("owner that agrees with another: served %v, equal to the merged read: %v", served, slices.Equal(got, want))
	}
	// The whole read repaired a (in the background): its index serves
	// again, with the write.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if got, served = a.walk(); served || time.Now().After(deadline) {
			break
		}
	}
	if !served || !slices.Equal(got, want) {
		t.Fatalf("after the read repair: served %v, equal to the merged read: %v", served, slices.Equal(got, want))
	}
	if cs["a"].Stats().ReadRepairs() == 0 {
		t.Fatal("no read repair counted")
	}

	// ZPOPMIN of 3 where the owners agree: the three lowest members of
	// the merged set, gone from it afterwards, decided from a's index.
	before := a.whole()
	agreedBefore, _ := cs["a"].Stats().CollectionReads()
	pop := op.ZRange{By: op.ByRank, Start: 0, Stop: 2, Count: -1}
	res, err := cs["a"].Do(context.Background(), &op.Op{Code: op.ZRemRange, Key: []byte("z"), Value: pop.AppendBinary(nil)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var popped []string
	for i := 0; i+1 < len(res.Elems); i += 2 {
		score, _ := op.ScoreOf(res.Elems[i+1])
		popped = append(popped, fmt.Sprintf("%s=%g", res.Elems[i], score))
	}
	if !slices.Equal(popped, before[:3]) {
		t.Fatalf("ZPOPMIN 3 popped %v, the set began with %v", popped, before[:3])
	}
	if after := a.whole(); !slices.Equal(after, before[3:]) {
		t.Fatalf("after ZPOPMIN 3 the set has %d members, want %d (equal: %v)", len(after), len(before)-3, slices.Equal(after, before[3:]))
	}
	if agreed, _ := cs["a"].Stats().CollectionReads(); agreed <= agreedBefore {
		t.Fatal("the pop was not decided from a's index")
	}

	zadd(t, cs["a"], "small", 1, "x", "y")
	if _, served := (zsetReader{t, cs["a"], []byte("small"), cs}).walk(); served {
		t.Fatal("a small set was served from one owner's index")
	}
}

// TestBigSetReadsThroughANonOwnerReadWhole: a node that holds no replica
// of the key has no records to answer from.
func TestBigSetReadsThroughANonOwnerReadWhole(t *testing.T) {
	_, cs := startRingCluster(t, ownedRing{allRing{q: 8, members: []string{"a", "b", "c"}}, []string{"a", "b"}}, nil)
	for i := range smallRecords + 10 {
		zadd(t, cs["a"], "z", float64(i), fmt.Sprintf("m%03d", i))
	}
	converge(t, cs, "z")
	c := zsetReader{t, cs["c"], []byte("z"), cs}
	if _, served := c.walk(); served {
		t.Fatal("a node without a replica served the read from its index")
	}
	if got, want := len(c.read()), smallRecords+10; got != want {
		t.Fatalf("the whole read through c has %d members, want %d", got, want)
	}
	if _, served := (zsetReader{t, cs["a"], []byte("z"), cs}).walk(); !served {
		t.Fatal("an owner whose fellow owner agrees did not serve the read")
	}
}

// TestConcurrentPopsOfABigSetInACluster: pops of a big sorted set racing
// through the three owners of a cluster, decided from the coordinators'
// indexes where the owners agree: each pops as many members as it asked
// for (a pick another pop took first is decided again, over the whole
// set), and every member is either popped or still in the set, never
// both.
func TestConcurrentPopsOfABigSetInACluster(t *testing.T) {
	_, cs := startCluster(t, "a", "b", "c")
	const members = 300
	all := map[string]bool{}
	for i := range members {
		m := fmt.Sprintf("m%03d", i)
		all[m] = true
		zadd(t, cs["a"], "z", float64(i), m)
	}
	converge(t, cs, "z")
	pop := op.ZRange{By: op.ByRank, Start: 0, Stop: 1, Count: -1}
	var mu sync.Mutex
	popped := map[string]int{}
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b", "c", "a"} {
		wg.Go(func() {
			for range 20 {
				res, err := cs[name].Do(context.Background(), &op.Op{Code: op.ZRemRange, Key: []byte("z"), Value: pop.AppendBinary(nil)}, Options{})
				if err != nil {
					t.Error(err)
					return
				}
				if len(res.Elems) != 4 {
					t.Errorf("a ZPOPMIN 2 through %s popped %d members", name, len(res.Elems)/2)
				}
				mu.Lock()
				for i := 0; i < len(res.Elems); i += 2 {
					popped[string(res.Elems[i])]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	left := zsetReader{t, cs["b"], []byte("z"), cs}.whole()
	for _, m := range left {
		name, _, _ := strings.Cut(m, "=")
		if popped[name] > 0 {
			t.Errorf("%s was popped and is still in the set", name)
		}
		delete(all, name)
	}
	for m := range popped {
		delete(all, m)
	}
	if len(all) > 0 {
		t.Fatalf("%d members neither popped nor left: %v", len(all), all)
	}
	if agreed, _ := cs["a"].Stats().CollectionReads(); agreed == 0 {
		t.Fatal("no pop was decided from an index")
	}
}

// TestBigHashCountedWhereOwnersAgree: HLEN of a big hash in a cluster is
// counted from the coordinating owner's summary when R owners agree, and
// read whole (with the field it missed) when this owner was cut off.
func TestBigHashCountedWhereOwnersAgree(t *testing.T) {
	net, cs := startCluster(t, "a", "b", "c")
	hset := func(c *Coordinator, fields ...string) {
		t.Helper()
		o := &op.Op{Code: op.HSet, Key: []byte("h")}
		for _, f := range fields {
			o.Fields, o.Values = append(o.Fields, []byte(f)), append(o.Values, []byte("v"))
		}
		if _, err := c.Do(context.Background(), o, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	var fields []string
	for i := range smallRecords + 30 {
		fields = append(fields, fmt.Sprintf("f%03d", i))
	}
	hset(cs["a"], fields...)
	converge(t, cs, "h")
	hlen := func(c *Coordinator) (int64, bool) {
		t.Helper()
		hdr, _, err := c.Read(context.Background(), []byte("h"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := op.Resolve(hdr, c.now(Options{}).UnixMilli())
		if err != nil || v.Collection == nil {
			t.Fatalf("header: %v", err)
		}
		n, served, err := c.CountElements(context.Background(), []byte("h"), v.Collection, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return n, served
	}
	if n, served := hlen(cs["a"]); !served || n != int64(len(fields)) {
		t.Fatalf("HLEN where owners agree: %d (served %v), want %d", n, served, len(fields))
	}
	net.setDown("a", true)
	hset(cs["b"], "new")
	net.setDown("a", false)
	if _, served := hlen(cs["a"]); served {
		t.Fatal("a owner that missed a field counted the hash itself")
	}
	if n, served := hlen(cs["b"]); !served || n != int64(len(fields))+1 {
		t.Fatalf("HLEN through an agreeing owner: %d (served %v), want %d", n, served, len(fields)+1)
	}
}
