package antientropy

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/dynago/dynago/internal/rpc"
)

// uv builds a message from uvarints.
func uv(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

func TestServeRejectsMalformed(t *testing.T) {
	const q = 16
	r := newReplica(q, makeRecords(300))
	big := newReplica(512, nil)

	// Every level-3 parent of 257 partitions: more than MaxNodeParents.
	var manyParents []group
	for p := range 257 {
		g := group{p: p}
		for i := range uint32(256) {
			g.idx = append(g.idx, i)
		}
		manyParents = append(manyParents, g)
	}
	var manyLeaves []leafRef
	for i := range MaxLeafBatch + 1 {
		manyLeaves = append(manyLeaves, leafRef{p: i / Leaves, leaf: uint32(i % Leaves)})
	}

	cases := []struct {
		name string
		rep  *replica
		m    rpc.Method
		req  []byte
	}{
		{"unknown method", r, 7, encodeRoots(q, []int{0})},
		{"empty", r, rpc.MethodRoots, nil},
		{"other ring", r, rpc.MethodRoots, encodeRoots(8, []int{0})},
		{"truncated varint", r, rpc.MethodRoots, []byte{16, 0xff}},
		{"partition out of range", r, rpc.MethodRoots, encodeRoots(q, []int{q})},
		{"partitions repeat", r, rpc.MethodRoots, uv(q, 2, 3, 0)},
		{"partitions overflow", r, rpc.MethodRoots, uv(q, 2, 3, 1<<63)},
		{"count beyond message", r, rpc.MethodRoots, uv(q, 1000, 1)},
		{"trailing bytes", r, rpc.MethodRoots, append(encodeRoots(q, []int{1}), 0)},
		{"level 0", r, rpc.MethodNodes, uv(q, 0, 1, 0, 1, 0)},
		{"level 4", r, rpc.MethodNodes, uv(q, 4, 1, 0, 1, 0)},
		{"level huge", r, rpc.MethodNodes, uv(q, 1<<62, 1, 0, 1, 0)},
		{"root is the only level-0 node", r, rpc.MethodNodes, encodeNodes(q, 1, []group{{p: 0, idx: []uint32{1}}})},
		{"level-1 parent out of range", r, rpc.MethodNodes, encodeNodes(q, 2, []group{{p: 0, idx: []uint32{16}}})},
		{"level-2 parent out of range", r, rpc.MethodNodes, encodeNodes(q, 3, []group{{p: 3, idx: []uint32{256}}})},
		{"group without nodes", r, rpc.MethodNodes, uv(q, 1, 1, 0, 0)},
		{"parents repeat", r, rpc.MethodNodes, uv(q, 3, 1, 0, 2, 5, 0)},
		{"too many parents", big, rpc.MethodNodes, encodeNodes(512, 3, manyParents)},
		{"leaf out of range", r, rpc.MethodLeafKeys, uv(q, 0, 1, 0, 1, Leaves)},
		{"skip beyond the leaf", r, rpc.MethodLeafKeys, encodeLeafKeys(q, r.trees.leafWidth(), []leafRef{{0, 0}})},
		{"skip without leaves", r, rpc.MethodLeafKeys, uv(q, 1, 0)},
		{"too many leaves", r, rpc.MethodLeafKeys, encodeLeafKeys(q, 0, manyLeaves)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reply, err := Serve(c.rep.trees, c.rep.store, c.m, c.req)
			if err == nil {
				t.Fatalf("accepted, replied %d bytes", len(reply))
			}
			if c.m >= rpc.MethodRoots && c.m <= rpc.MethodLeafKeys && c.name != "other ring" && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			t.Log(err)
		})
	}
}

func TestServeAnswers(t *testing.T) {
	const q = 16
	r := newReplica(q, makeRecords(3000))
	reply, err := Serve(r.trees, r.store, rpc.MethodRoots, encodeRoots(q, []int{0, 7, 15}))
	if err != nil {
		t.Fatal(err)
	}
	roots, _ := decodeHashes(reply, 3)
	if want := []uint64{r.trees.Root(0), r.trees.Root(7), r.trees.Root(15)}; !reflect.DeepEqual(roots, want) {
		t.Fatalf("roots %x, want %x", roots, want)
	}

	reply, err = Serve(r.trees, r.store, rpc.MethodNodes, encodeNodes(q, 3, []group{{p: 2, idx: []uint32{0, 255}}, {p: 9, idx: []uint32{17}}}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeNodesReply(reply, 3)
	if err != nil {
		t.Fatal(err)
	}
	var want []uint64
	for _, pn := range []struct {
		p      int
		parent uint32
	}{{2, 0}, {2, 255}, {9, 17}} {
		idx := make([]uint32, Fanout)
		for c := range idx {
			idx[c] = pn.parent*Fanout + uint32(c)
		}
		want = append(want, r.trees.Nodes(pn.p, 3, idx)...)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("children %x, want %x", got, want)
	}

	// The leaves of one partition hold its keys.
	var leaves []leafRef
	for l := range uint32(Leaves) {
		leaves = append(leaves, leafRef{p: 4, leaf: l})
	}
	reply, err = Serve(r.trees, r.store, rpc.MethodLeafKeys, encodeLeafKeys(q, 0, leaves))
	if err != nil {
		t.Fatal(err)
	}
	lk, err := decodeLeafKeys(reply, len(leaves), r.trees.leafWidth())
	if err != nil {
		t.Fatal(err)
	}
	if lk.done != len(leaves) || len(lk.pairs) != r.trees.Keys(4) {
		t.Fatalf("done %d of %d leaves, %d pairs for %d keys", lk.done, len(leaves), len(lk.pairs), r.trees.Keys(4))
	}
}

// FuzzServe feeds arbitrary requests to every method. Serve must not panic;
// what it accepts must re-encode to an equal request, and its reply must
// have the size and form the request implies.
func FuzzServe(f *testing.F) {
	const q = 16
	r := newReplica(q, makeRecords(500))
	width := r.trees.leafWidth()

	f.Add(uint8(rpc.MethodRoots), encodeRoots(q, []int{0, 1, 15}))
	f.Add(uint8(rpc.MethodRoots), encodeRoots(q, nil))
	f.Add(uint8(rpc.MethodNodes), encodeNodes(q, 1, []group{{p: 0, idx: []uint32{0}}, {p: 5, idx: []uint32{0}}}))
	f.Add(uint8(rpc.MethodNodes), encodeNodes(q, 3, []group{{p: 2, idx: []uint32{1, 200}}}))
	f.Add(uint8(rpc.MethodLeafKeys), encodeLeafKeys(q, 0, []leafRef{{0, 1}, {0, 4095}, {3, 7}}))
	f.Add(uint8(rpc.MethodLeafKeys), encodeLeafKeys(q, width/2, []leafRef{{15, 4095}}))
	f.Add(uint8(rpc.MethodNodes), uv(q, 0, 1, 0, 1, 0))
	f.Add(uint8(rpc.MethodLeafKeys), uv(q, 1, 0))
	f.Add(uint8(rpc.MethodRoots), []byte{16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})

	f.Fuzz(func(t *testing.T, m uint8, req []byte) {
		reply, err := Serve(r.trees, r.store, rpc.Method(m), req)
		if err != nil {
			return
		}
		switch rpc.Method(m) {
		case rpc.MethodRoots:
			parts, err := decodeRootsRequest(q, req)
			if err != nil {
				t.Fatalf("served a request that does not decode: %v", err)
			}
			if again, err := decodeRootsRequest(q, encodeRoots(q, parts)); err != nil || !reflect.DeepEqual(again, parts) {
				t.Fatalf("roots request %v does not round-trip: %v %v", parts, again, err)
			}
			if len(reply) != 8*len(parts) {
				t.Fatalf("%d roots in %d bytes", len(parts), len(reply))
			}
		case rpc.MethodNodes:
			level, groups, total, err := decodeNodesRequest(q, req)
			if err != nil {
				t.Fatalf("served a request that does not decode: %v", err)
			}
			l2, g2, t2, err := decodeNodesRequest(q, encodeNodes(q, level, groups))
			if err != nil || l2 != level || t2 != total || !reflect.DeepEqual(g2, groups) {
				t.Fatalf("nodes request does not round-trip: %v", err)
			}
			if children, err := decodeNodesReply(reply, total); err != nil || len(children) != Fanout*total {
				t.Fatalf("nodes reply for %d parents: %d children, %v", total, len(children), err)
			}
		case rpc.MethodLeafKeys:
			skip, groups, total, err := decodeLeafKeysRequest(q, width, req)
			if err != nil {
				t.Fatalf("served a request that does not decode: %v", err)
			}
			var leaves []leafRef
			for _, g := range groups {
				for _, l := range g.idx {
					leaves = append(leaves, leafRef{p: g.p, leaf: l})
				}
			}
			s2, g2, _, err := decodeLeafKeysRequest(q, width, encodeLeafKeys(q, skip, leaves))
			if err != nil || s2 != skip || !reflect.DeepEqual(g2, groups) {
				t.Fatalf("leaf-keys request does not round-trip: %v", err)
			}
			lk, err := decodeLeafKeys(reply, total, width)
			if err != nil || lk.done != total {
				t.Fatalf("leaf-keys reply: done %d of %d, %v", lk.done, total, err)
			}
		default:
			t.Fatalf("method %d served", m)
		}
	})
}
