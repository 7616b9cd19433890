package op

import (
	"testing"

	"github.com/dynago/dynago/counter"
	"github.com/dynago/dynago/version"
)

var (
	nodeA = version.Actor{Node: 1, Epoch: 1}
	nodeB = version.Actor{Node: 2, Epoch: 1}
)

func counterSibling(t *testing.T, actor version.Actor, counterN uint64, at int64, base counter.State, delta int64) version.Sibling {
	t.Helper()
	st, err := base.IncrBy(actor, counterN, delta)
	if err != nil {
		t.Fatal(err)
	}
	return version.Sibling{Dot: version.Dot{Actor: actor, Counter: counterN}, Time: at, Kind: version.KindCounter, Value: st.AppendBinary(nil)}
}

func TestResolveMergesConcurrentCounters(t *testing.T) {
	base, err := counter.FromValue(version.Dot{}, 0, []byte("10"))
	if err != nil {
		t.Fatal(err)
	}
	a := counterSibling(t, nodeA, 1, 100, base, 5)
	b := counterSibling(t, nodeB, 1, 200, base, 7)
	o := version.Object{}.Update(nil, a.Dot, &a)
	other := version.Object{}.Update(nil, b.Dot, &b)
	o = version.Merge(o, other)
	if len(o.Siblings) != 2 {
		t.Fatalf("want two concurrent counter siblings, got %d", len(o.Siblings))
	}
	v, ok, err := Resolve(o, 0)
	if err != nil || !ok || string(v.Bytes) != "22" || v.Counter == nil {
		t.Fatalf("Resolve = %q (counter %v), %v, %v; want 22 = 10+5+7", v.Bytes, v.Counter != nil, ok, err)
	}
}

func TestResolveSkipsExpired(t *testing.T) {
	s1 := version.Sibling{Dot: version.Dot{Actor: nodeA, Counter: 1}, Time: 300, Expiry: 1000, Value: []byte("new-but-expiring")}
	s2 := version.Sibling{Dot: version.Dot{Actor: nodeB, Counter: 1}, Time: 100, Value: []byte("old")}
	o := version.Merge(version.Object{}.Update(nil, s1.Dot, &s1), version.Object{}.Update(nil, s2.Dot, &s2))
	if v, _, _ := Resolve(o, 999); string(v.Bytes) != "new-but-expiring" {
		t.Fatalf("before expiry: %q", v.Bytes)
	}
	if v, _, _ := Resolve(o, 1000); string(v.Bytes) != "old" {
		t.Fatalf("after expiry: %q, want old", v.Bytes)
	}
	s2.Expiry = 500
	o = version.Merge(version.Object{}.Update(nil, s1.Dot, &s1), version.Object{}.Update(nil, s2.Dot, &s2))
	if _, ok, _ := Resolve(o, 1000); ok {
		t.Fatal("every sibling expired but Resolve found a value")
	}
}
