package antientropy

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// collect returns a repair function that records the keys it is given and
// checks the batch bound.
func collect(t *testing.T, into *[][]byte) func(ctx context.Context, keys [][]byte) error {
	return func(ctx context.Context, keys [][]byte) error {
		if len(keys) == 0 || len(keys) > RepairBatch {
			t.Errorf("repair called with %d keys", len(keys))
		}
		for _, k := range keys {
			*into = append(*into, bytes.Clone(k))
		}
		return nil
	}
}

// TestExchangeFindsDifferences runs exchanges between replicas that differ
// in known ways and checks that exactly the differing keys are repaired, in
// ring order, with and without the peer answering leaf-keys requests in
// many small parts.
func TestExchangeFindsDifferences(t *testing.T) {
	const q = 16
	base := makeRecords(3000)
	// Each scenario edits the records of a (local) and b (the peer).
	scenarios := []struct {
		name string
		q    int
		edit func(rng *rand.Rand, a, b []record) ([]record, []record)
	}{
		{name: "identical", edit: func(rng *rand.Rand, a, b []record) ([]record, []record) { return a, b }},
		{name: "values differ", edit: func(rng *rand.Rand, a, b []record) ([]record, []record) {
			for _, i := range pick(rng, 5, len(b)) {
				b[i].o = write(b[i].o, actors[2], "newer", 1e9)
			}
			return a, b
		}},
		{name: "same dot other value is not a difference", edit: func(rng *rand.Rand, a, b []record) ([]record, []record) {
			i := rng.IntN(len(b))
			o := b[i].o
			b[i].o = version.Object{Clock: o.Clock, Siblings: slices.Clone(o.Siblings)}
			b[i].o.Siblings[0].Value = []byte("corrupt")
			return a, b
		}},
		{name: "keys only on one side", edit: func(rng *rand.Rand, a, b []record) ([]record, []record) {
			for _, i := range pick(rng, 4, len(a)) {
				a[i].o = version.Object{} // filtered out below: no record
			}
			for i := range 3 {
				key := fmt.Appendf(nil, "only-b-%d", i)
				b = append(b, record{h: partition.Hash(key), key: key, o: write(version.Object{}, actors[0], "x", 1)})
			}
			return a, b
		}},
		{name: "tombstone against value", edit: func(rng *rand.Rand, a, b []record) ([]record, []record) {
			for _, i := range pick(rng, 3, len(a)) {
				a[i].o = del(a[i].o, actors[1])
			}
			key := []byte("deleted-here-missing-there")
			a = append(a, record{h: partition.Hash(key), key: key, o: del(write(version.Object{}, actors[0], "x", 1), actors[0])})
			return a, b
		}},
		{name: "many partitions", edit: func(rng *rand.Rand, a, b []record) ([]record, []record) {
			for j, i := range pick(rng, 400, len(b)) {
				if j%2 == 0 {
					a[i].o = write(a[i].o, actors[j%3], "a", int64(j))
				} else {
					b[i].o = write(b[i].o, actors[j%3], "b", int64(j))
				}
			}
			return a, b
		}},
		{name: "empty peer", edit: func(rng *rand.Rand, a, b []record) ([]record, []record) { return a, nil }},
		{name: "empty local", edit: func(rng *rand.Rand, a, b []record) ([]record, []record) { return nil, b }},
		// One partition: about 3 keys per leaf, so replies in parts
		// resume inside leaves.
		{name: "one partition, half differ", q: 1, edit: func(rng *rand.Rand, a, b []record) ([]record, []record) {
			a = append(a, makeRecords(12000)[len(a):]...)
			for i := range b {
				if i%2 == 0 {
					b[i].o = del(b[i].o, actors[2])
				}
			}
			return a, b
		}},
		// More differing leaves than one leaf-keys request may name.
		{name: "several leaf batches", q: 4, edit: func(rng *rand.Rand, a, b []record) ([]record, []record) {
			return append(a, makeRecords(9000)[len(a):]...), b
		}},
	}
	for _, sc := range scenarios {
		for _, small := range []bool{false, true} {
			name := sc.name
			if small {
				name += "/in parts"
			}
			t.Run(name, func(t *testing.T) {
				q := q
				if sc.q != 0 {
					q = sc.q
				}
				rng := rand.New(rand.NewPCG(1, 2))
				a, b := sc.edit(rng, slices.Clone(base), slices.Clone(base))
				a, b = dropZero(a), dropZero(b)
				local, remote := newReplica(q, a), newReplica(q, b)
				peer := &localPeer{r: remote}
				if small {
					// One key group per scan call and a reply budget
					// of a few pairs: leaf-keys replies come in many
					// parts, often resuming inside a leaf.
					local.store.perCall, remote.store.perCall, peer.budget = 1, 1, 200
				}

				var repaired [][]byte
				res, err := Exchange(context.Background(), local.trees, local.store, peer, allParts(q), collect(t, &repaired))
				if err != nil {
					t.Fatal(err)
				}
				want := naiveDiff(a, b)
				if !slices.EqualFunc(repaired, want, bytes.Equal) {
					t.Fatalf("repaired %d keys %q,\nwant %d keys %q", len(repaired), head(repaired), len(want), head(want))
				}
				if res.KeysDiffering != len(want) || res.Partitions != q {
					t.Fatalf("result %+v, want %d keys differing in %d partitions", res, len(want), q)
				}
				if len(want) == 0 && sc.name == "identical" {
					if !slices.Equal(peer.calls, []rpc.Method{rpc.MethodRoots}) || res.PartitionsDiffering != 0 {
						t.Fatalf("identical replicas: calls %v, result %+v", peer.calls, res)
					}
				}
				if len(want) > 0 && (res.PartitionsDiffering == 0 || res.LeavesDiffering == 0) {
					t.Fatalf("differences found without differing partitions or leaves: %+v", res)
				}
				t.Logf("%+v, %d calls", res, len(peer.calls))
			})
		}
	}
}

// dropZero removes records whose object is zero (no record).
func dropZero(recs []record) []record {
	return slices.DeleteFunc(recs, func(r record) bool { return isZero(r.o) })
}

func head(keys [][]byte) [][]byte { return keys[:min(len(keys), 5)] }

// TestExchangeSubsetOfPartitions checks that only the partitions asked for
// are compared.
func TestExchangeSubsetOfPartitions(t *testing.T) {
	const q = 8
	base := makeRecords(500)
	b := slices.Clone(base)
	for i := range b {
		b[i].o = write(b[i].o, actors[0], "changed", 7)
	}
	local, remote := newReplica(q, base), newReplica(q, b)
	var repaired [][]byte
	res, err := Exchange(context.Background(), local.trees, local.store, &localPeer{r: remote}, []int{5, 2, 5}, collect(t, &repaired))
	if err != nil {
		t.Fatal(err)
	}
	if res.Partitions != 2 || res.PartitionsDiffering != 2 {
		t.Fatalf("result %+v, want 2 partitions compared and differing", res)
	}
	for _, k := range repaired {
		if p := partition.Of(partition.Hash(k), q); p != 2 && p != 5 {
			t.Fatalf("repaired %q of partition %d", k, p)
		}
	}
	if want := local.trees.Keys(2) + local.trees.Keys(5); len(repaired) != want {
		t.Fatalf("repaired %d keys, want %d", len(repaired), want)
	}

	if _, err := Exchange(context.Background(), local.trees, local.store, &localPeer{r: remote}, []int{q}, collect(t, &repaired)); err == nil {
		t.Fatal("partition out of range accepted")
	}
}

// TestExchangeRejectsBrokenPeers feeds the exchange replies that are
// malformed or lie, and errors; it must fail cleanly, never repair keys it
// was not told of in a well-formed reply, and never panic.
func TestExchangeRejectsBrokenPeers(t *testing.T) {
	const q = 4
	a := makeRecords(200)
	b := slices.Clone(a)
	b[0].o = write(b[0].o, actors[1], "new", 5)
	local, remote := newReplica(q, a), newReplica(q, b)
	honest := &localPeer{r: remote}
	boom := errors.New("boom")

	tamper := map[string]func(m rpc.Method, reply []byte) ([]byte, error){
		"error": func(m rpc.Method, reply []byte) ([]byte, error) { return nil, boom },
		"short roots": func(m rpc.Method, reply []byte) ([]byte, error) {
			if m == rpc.MethodRoots {
				return reply[:len(reply)-1], nil
			}
			return reply, nil
		},
		"long nodes": func(m rpc.Method, reply []byte) ([]byte, error) {
			if m == rpc.MethodNodes {
				return append(reply, 0, 0, 0, 0, 0, 0, 0, 0), nil
			}
			return reply, nil
		},
		"foreign key": func(m rpc.Method, reply []byte) ([]byte, error) {
			if m == rpc.MethodLeafKeys {
				return append(appendLeafKeysHeader(nil, 1, 0, 1), appendPair(nil, []byte("not-in-this-leaf"), 1)...), nil
			}
			return reply, nil
		},
		"no progress": func(m rpc.Method, reply []byte) ([]byte, error) {
			if m == rpc.MethodLeafKeys {
				return appendLeafKeysHeader(nil, 0, 0, 0), nil
			}
			return reply, nil
		},
		"garbage leaf keys": func(m rpc.Method, reply []byte) ([]byte, error) {
			if m == rpc.MethodLeafKeys {
				return []byte{0xff, 0xff, 0xff}, nil
			}
			return reply, nil
		},
	}
	for name, f := range tamper {
		t.Run(name, func(t *testing.T) {
			peer := peerFunc(func(ctx context.Context, m rpc.Method, req []byte) ([]byte, error) {
				reply, err := honest.Call(ctx, m, req)
				if err != nil {
					return nil, err
				}
				return f(m, reply)
			})
			var repaired [][]byte
			_, err := Exchange(context.Background(), local.trees, local.store, peer, allParts(q), collect(t, &repaired))
			if err == nil {
				t.Fatal("exchange succeeded")
			}
			if len(repaired) > 0 {
				t.Fatalf("repaired %q", repaired)
			}
			t.Log(err)
		})
	}

	t.Run("repair error", func(t *testing.T) {
		_, err := Exchange(context.Background(), local.trees, local.store, honest, allParts(q), func(context.Context, [][]byte) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Exchange(ctx, local.trees, local.store, honest, allParts(q), collect(t, new([][]byte)))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

// trafficRun makes the two replicas differ in d keys (newer writes on the
// peer, spread at random), runs one exchange over all partitions, checks it
// found them, and restores the peer.
func trafficRun(tb testing.TB, local, remote *replica, d int, seed uint64) Result {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, uint64(d)))
	recs := remote.store.recs
	idx := pick(rng, d, len(recs))
	saved := make([]version.Object, d)
	for j, i := range idx {
		saved[j] = remote.set(recs[i].key, write(recs[i].o, actors[2], "diverged", 1e12))
	}
	defer func() {
		for j, i := range idx {
			remote.set(recs[i].key, saved[j])
		}
	}()
	found := 0
	res, err := Exchange(context.Background(), local.trees, local.store, &localPeer{r: remote}, allParts(local.trees.q),
		func(ctx context.Context, keys [][]byte) error { found += len(keys); return nil })
	if err != nil {
		tb.Fatal(err)
	}
	if found != d || res.KeysDiffering != d {
		tb.Fatalf("%d differences: repaired %d keys (%+v)", d, found, res)
	}
	return res
}

// dataBytes is what shipping every key with its digest would cost.
func dataBytes(recs []record) int64 {
	var n int64
	for _, r := range recs {
		n += int64(len(r.key)) + 8
	}
	return n
}

func TestExchangeTrafficGrowsWithDifferences(t *testing.T) {
	const q, k = 256, 100_000
	recs := makeRecords(k)
	local, remote := newReplica(q, recs), newReplica(q, recs)
	data := dataBytes(recs)

	cost := map[int]int64{}
	for _, d := range []int{0, 10, 1000} {
		res := trafficRun(t, local, remote, d, 1)
		cost[d] = res.BytesSent + res.BytesReceived
		t.Logf("%d keys, %d differing: sent %d B, received %d B, total %d B (%.2f%% of %d B of keys and digests); %d partitions, %d leaves differ",
			k, d, res.BytesSent, res.BytesReceived, cost[d], 100*float64(cost[d])/float64(data), data, res.PartitionsDiffering, res.LeavesDiffering)
	}
	// No differences: the roots exchange alone, about q bytes of partition
	// list out and q hashes back.
	if cost[0] > 9*q+16 {
		t.Errorf("identical replicas cost %d bytes, want at most %d", cost[0], 9*q+16)
	}
	if cost[10]*10 > cost[1000] {
		t.Errorf("10 differences cost %d bytes, not far less than 1000 differences (%d)", cost[10], cost[1000])
	}
	for d, c := range cost {
		if c*5 > data {
			t.Errorf("%d differences cost %d bytes, not far less than the data (%d)", d, c, data)
		}
	}
}

var exchangeKeys = flag.Int("exchange.keys", 1_000_000, "keys per replica in BenchmarkExchange1M")

// BenchmarkExchange1M measures an exchange between two replicas of
// -exchange.keys keys (default 1,000,000) in 256 partitions, with 0, 10 and
// 1000 keys differing, and reports the bytes it moved.
func BenchmarkExchange1M(b *testing.B) {
	const q = 256
	recs := makeRecords(*exchangeKeys)
	local, remote := newReplica(q, recs), newReplica(q, recs)
	data := dataBytes(recs)
	b.Logf("%d keys, %d B of keys and digests", len(recs), data)
	for _, d := range []int{0, 10, 1000} {
		b.Run(fmt.Sprintf("diffs=%d", d), func(b *testing.B) {
			var res Result
			for b.Loop() {
				res = trafficRun(b, local, remote, d, 1)
			}
			b.ReportMetric(float64(res.BytesSent), "sent-B")
			b.ReportMetric(float64(res.BytesReceived), "received-B")
			b.ReportMetric(float64(res.BytesSent+res.BytesReceived), "total-B")
			b.ReportMetric(100*float64(res.BytesSent+res.BytesReceived)/float64(data), "pct-of-data")
		})
	}
}
