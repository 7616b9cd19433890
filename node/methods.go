package node

import (
	"context"
	"strconv"
	"strings"

	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/replica"
)

// methodTable is the one place where the node meets each internode method
// (declared, with its number, in package rpc) with its handler. The parts
// the handlers call (engine, coordinator, transfer manager, trees)
// exist when it runs; requests wait for it (handle).
func (n *Node) methodTable() *rpc.Table {
	t := new(rpc.Table)
	// This node as a replica of keys: reads and stores of its copies, over
	// its engine; the flush generations readers send reach the coordinator.
	rep := replica.NewServer(n.eng, n.coord.LearnGeneration)
	t.Register(rpc.MethodHint, request(rep.HandleHint))
	t.Register(rpc.MethodMergeBatch, request(rep.HandleMergeBatch))
	t.Register(rpc.MethodReadBatch, request(rep.HandleReadBatch))
	t.Register(rpc.MethodReadDigests, request(rep.HandleReadDigests))
	t.Register(rpc.MethodReadElements, request(rep.HandleReadElements))
	t.Register(rpc.MethodElementsDigest, request(rep.HandleElementsDigest))
	t.Register(rpc.MethodOps, func(ctx context.Context, _ string, req []byte) ([]byte, error) {
		return n.coord.HandleOps(ctx, req)
	})
	t.Register(rpc.MethodScan, request(n.coord.HandleScan))
	t.Register(rpc.MethodCount, request(n.coord.HandleCount))
	t.Register(rpc.MethodFlush, request(n.coord.HandleFlush))
	for _, m := range []rpc.Method{rpc.MethodRoots, rpc.MethodNodes, rpc.MethodLeafKeys} {
		t.Register(m, request(func(req []byte) ([]byte, error) {
			return antientropy.Serve(n.ae.trees, liveStore{n.eng}, m, req)
		}))
	}
	t.Register(rpc.MethodFetch, request(n.xfer.HandleFetch))
	t.Register(rpc.MethodPush, request(n.xfer.HandlePush))
	t.Register(rpc.MethodNodeStatus, request(func([]byte) ([]byte, error) { return n.handleNodeStatus() }))
	return t
}

// request serves a method whose handler needs only the request.
func request(h func(req []byte) ([]byte, error)) rpc.Handler {
	return func(_ context.Context, _ string, req []byte) ([]byte, error) { return h(req) }
}

// methodList is DYNAGO STATUS's internode_methods: the methods t serves,
// as number=name, comma-separated ("4=hint,5=merge-batch,...").
func methodList(t *rpc.Table) string {
	var b strings.Builder
	for i, in := range t.Registered() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(in.Method)))
		b.WriteByte('=')
		b.WriteString(in.Name)
	}
	return b.String()
}
