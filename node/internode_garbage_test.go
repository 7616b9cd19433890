package node_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/transport"
)

// A peer that has passed the handshake (same cluster id) but sends
// malformed requests, of every method id, never takes the node down: each
// request gets an answer (an error, mostly), no handler panics, and the
// node keeps serving clients with its data intact.
func TestMalformedInternodeRequests(t *testing.T) {
	s := testserver.Start(t)
	rc := s.Client()
	ctx := context.Background()
	if err := rc.Set(ctx, "canary", "alive", 0).Err(); err != nil {
		t.Fatal(err)
	}
	clusterID := ""
	status, err := rc.Do(ctx, "DYNAGO", "STATUS").Text()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster_id:"); ok {
			clusterID = v
		}
	}
	if clusterID == "" {
		t.Fatalf("no cluster_id in DYNAGO STATUS: %q", status)
	}
	peer, err := transport.Listen(transport.DefaultConfig("garbage-peer", clusterID), "127.0.0.1:0",
		func(context.Context, string, transport.Method, []byte) ([]byte, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()

	rng := rand.New(rand.NewPCG(7, 11))
	payload := func(i int) []byte {
		switch i {
		case 0:
			return nil
		case 1:
			return []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		case 2:
			return []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}
		}
		b := make([]byte, rng.IntN(64))
		for j := range b {
			b[j] = byte(rng.UintN(256))
		}
		return b
	}
	answered := 0
	for m := 0; m < 256; m++ {
		if rpc.Method(m) == rpc.MethodFlush {
			// A flush request from a member is destructive by design;
			// it is not garbage to survive but an order to obey.
			continue
		}
		for i := 0; i < 8; i++ {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := peer.Call(cctx, s.Node.PeerAddr(), transport.Method(m), payload(i))
			cancel()
			var remote *transport.RemoteError
			if err == nil || errors.As(err, &remote) {
				answered++
			} else {
				t.Fatalf("method %d, payload %d: no answer: %v", m, i, err)
			}
		}
	}
	if v, err := rc.Get(ctx, "canary").Result(); err != nil || v != "alive" {
		t.Fatalf("after the garbage, GET canary = %q, %v", v, err)
	}
	if p := s.Node.TransportStats().HandlerPanics; p != 0 {
		t.Errorf("%d internode handlers panicked (contained, but each is a bug; see the log)", p)
	}
	t.Logf("%d malformed requests answered", answered)
}
