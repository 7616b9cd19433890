package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

func secretConfig(name, secret string) Config {
	cfg := testConfig(name)
	cfg.Secret = secret
	return cfg
}

// Nodes sharing the cluster secret talk; a node without it, or with another
// one, gets nothing through, in either direction.
func TestTCPClusterSecret(t *testing.T) {
	echoHandler := func(ctx context.Context, from string, m Method, req []byte) ([]byte, error) {
		return append([]byte(from+":"), req...), nil
	}
	a := listenTCP(t, secretConfig("a", "s3cret"), echoHandler)
	b := listenTCP(t, secretConfig("b", "s3cret"), echoHandler)
	got, err := a.Call(context.Background(), b.Addr(), 7, []byte("hi"))
	if err != nil || !bytes.Equal(got, []byte("a:hi")) {
		t.Fatalf("call between nodes sharing the secret = %q, %v", got, err)
	}

	for _, other := range []Config{testConfig("plain"), secretConfig("wrong", "guess")} {
		o := listenTCP(t, other, echoHandler)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		if got, err := o.Call(ctx, a.Addr(), 7, []byte("x")); err == nil {
			t.Errorf("%s called a node with a secret: %q", other.Name, got)
		}
		if got, err := a.Call(ctx, o.Addr(), 7, []byte("x")); err == nil {
			t.Errorf("a node with the secret called %s: %q", other.Name, got)
		}
		cancel()
	}
}

// Traffic between nodes with a secret is encrypted: the payload never
// appears on the wire.
func TestTCPClusterSecretEncrypts(t *testing.T) {
	payload := []byte("a-very-recognisable-payload-0123456789")
	b := listenTCP(t, secretConfig("b", "s3cret"), func(ctx context.Context, from string, m Method, req []byte) ([]byte, error) {
		return req, nil
	})
	// A relay between a and b records every byte.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	wire := make(chan []byte, 1)
	go func() {
		in, err := ln.Accept()
		if err != nil {
			wire <- nil
			return
		}
		defer in.Close()
		out, err := net.Dial("tcp", b.Addr())
		if err != nil {
			wire <- nil
			return
		}
		defer out.Close()
		go io.Copy(in, out)
		var rec bytes.Buffer
		io.Copy(out, io.TeeReader(in, &rec)) // until a closes
		wire <- rec.Bytes()
	}()
	a := listenTCP(t, secretConfig("a", "s3cret"), func(ctx context.Context, from string, m Method, req []byte) ([]byte, error) {
		return nil, errors.New("unused")
	})
	got, err := a.Call(context.Background(), ln.Addr().String(), 7, payload)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("call through the relay = %q, %v", got, err)
	}
	a.Close()
	b.Close()
	if rec := <-wire; bytes.Contains(rec, payload) || bytes.Contains(rec, []byte("DYNAGO")) {
		t.Fatal("the payload or the handshake crossed the wire in clear")
	}
}

// A call that fails before its request leaves says so (ErrNotSent); one
// that fails after does not.
func TestTCPErrNotSent(t *testing.T) {
	release := make(chan struct{})
	b := listenTCP(t, testConfig("b"), func(ctx context.Context, from string, m Method, req []byte) ([]byte, error) {
		<-release
		return req, nil
	})
	a := listenTCP(t, testConfig("a"), func(ctx context.Context, from string, m Method, req []byte) ([]byte, error) { return nil, nil })
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	if _, err := a.Call(context.Background(), dead, 7, []byte("x")); !errors.Is(err, ErrNotSent) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("call to a closed port: %v; want ErrNotSent and ErrUnavailable", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err := a.Call(ctx, b.Addr(), 7, []byte("x"))
	cancel()
	close(release)
	if err == nil || errors.Is(err, ErrNotSent) {
		t.Fatalf("a call that reached the peer and timed out: %v; must not claim ErrNotSent", err)
	}
}
