package membership

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"
	"time"
)

// The in-memory gossip network keeps the real one's contract: packets to
// nobody are lost silently, streams to nobody are refused, an address is
// taken once, and a stream carries bytes both ways with deadlines.
func TestMemNetwork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewMemNetwork()
		if _, err := n.attach("node-a:1"); err == nil {
			t.Fatal("an address that is no IP address was accepted")
		}
		a, err := n.attach("127.0.0.1:1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.attach("127.0.0.1:1"); err == nil {
			t.Fatal("an address was taken twice")
		}
		b, err := n.attach("127.0.0.1:2")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()

		if err := a.send([]byte("lost"), "127.0.0.1:3"); err != nil {
			t.Fatalf("a packet to nobody: %v, want it lost silently", err)
		}
		msg := []byte("ping")
		if err := a.send(msg, b.self()); err != nil {
			t.Fatal(err)
		}
		msg[0] = 'X' // the packet is a copy
		p := <-b.packetCh()
		if string(p.Buf) != "ping" || p.From.String() != a.self() {
			t.Fatalf("packet %q from %s, want ping from %s", p.Buf, p.From, a.self())
		}

		if _, err := a.dial(ctx, "127.0.0.1:3", time.Second); !errors.Is(err, errMemRefused) {
			t.Fatalf("a stream to nobody: %v, want refused", err)
		}
		go func() {
			conn := <-b.streamCh()
			defer conn.Close()
			buf := make([]byte, 5)
			if _, err := io.ReadFull(conn, buf); err == nil {
				conn.Write(append(buf, '!'))
			}
		}()
		conn, err := a.dial(ctx, b.self(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte("hello"))
		got, _ := io.ReadAll(conn)
		if string(got) != "hello!" {
			t.Fatalf("stream answered %q", got)
		}
		conn.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := conn.Read(make([]byte, 1)); err == nil {
			t.Fatal("read past the end of a closed stream")
		}

		// A stream nobody accepts times out; one to a closed node is refused.
		start := time.Now()
		if _, err := a.dial(ctx, b.self(), time.Second); err == nil || time.Since(start) != time.Second {
			t.Fatalf("a stream nobody accepts: %v after %v, want a timeout after 1s", err, time.Since(start))
		}
		b.close()
		if _, err := a.dial(ctx, b.self(), time.Second); !errors.Is(err, errMemRefused) {
			t.Fatalf("a stream to a closed node: %v, want refused", err)
		}
		if _, err := n.attach(b.self()); err != nil {
			t.Fatalf("a closed node's address cannot be taken again: %v", err)
		}
		a.close()
	})
}
