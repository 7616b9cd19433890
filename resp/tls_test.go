package resp_test

// Tests of TLS for clients: a throwaway CA and certificates made in the
// test, go-redis and redis-cli connecting over TLS, client certificates
// required when a CA is configured, and a node serving TLS only.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
	"github.com/redis/go-redis/v9"
)

// testPKI is a CA with a server certificate (for 127.0.0.1 and localhost)
// and a client certificate, written as PEM files in a temporary directory.
type testPKI struct {
	caFile, certFile, keyFile, clientCertFile, clientKeyFile string

	roots  *x509.CertPool
	client tls.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	p := &testPKI{roots: x509.NewCertPool()}
	now := time.Now()
	serial := int64(1)
	issue := func(tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(time.Hour)
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	}
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ca, caKey, caPEM, _ := issue(&x509.Certificate{
		Subject: pkix.Name{CommonName: "Dynago test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil, nil)
	p.roots.AddCert(ca)
	p.caFile = write("ca.pem", caPEM)
	_, _, certPEM, keyPEM := issue(&x509.Certificate{
		Subject: pkix.Name{CommonName: "dynago"}, DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, caKey)
	p.certFile, p.keyFile = write("server.pem", certPEM), write("server.key", keyPEM)
	_, _, clientPEM, clientKeyPEM := issue(&x509.Certificate{
		Subject: pkix.Name{CommonName: "client"}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca, caKey)
	p.clientCertFile, p.clientKeyFile = write("client.pem", clientPEM), write("client.key", clientKeyPEM)
	var err error
	if p.client, err = tls.X509KeyPair(clientPEM, clientKeyPEM); err != nil {
		t.Fatal(err)
	}
	return p
}

// withTLS serves TLS on a free port with the PKI's server certificate,
// requiring client certificates when clientCA is set.
func withTLS(p *testPKI, tlsAddr string, clientCA bool) testserver.Option {
	return func(cfg *node.Config) {
		cfg.Security.TLSAddr = tlsAddr
		cfg.Security.TLSCertFile, cfg.Security.TLSKeyFile = p.certFile, p.keyFile
		if clientCA {
			cfg.Security.TLSCACertFile = p.caFile
		}
	}
}

func (p *testPKI) clientConfig(withCert bool) *tls.Config {
	cfg := &tls.Config{RootCAs: p.roots, ServerName: "localhost"}
	if withCert {
		cfg.Certificates = []tls.Certificate{p.client}
	}
	return cfg
}

func TestTLS(t *testing.T) {
	p := newTestPKI(t)
	tlsAddr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	s := testserver.Start(t, withTLS(p, tlsAddr, false), withPassword("pw"))

	c := clientWith(t, tlsAddr, func(o *redis.Options) { o.TLSConfig, o.Password = p.clientConfig(false), "pw" })
	expect(t, c, "OK", "SET", "k", "over tls")
	expect(t, c, "over tls", "GET", "k")
	_, port, _ := net.SplitHostPort(tlsAddr)
	expect(t, c, map[interface{}]interface{}{"tls-port": port, "tls-auth-clients": "no", "tls-cert-file": p.certFile},
		"CONFIG", "GET", "tls-port", "tls-auth-clients", "tls-cert-file")

	// The plain port serves the same data.
	plain := clientWith(t, s.Addr(), func(o *redis.Options) { o.Password = "pw" })
	expect(t, plain, "over tls", "GET", "k")

	// The password applies over TLS too.
	expectErr(t, clientWith(t, tlsAddr, func(o *redis.Options) { o.TLSConfig = p.clientConfig(false) }), noAuth, "GET", "k")

	// TLS 1.2 is the oldest version served.
	old := p.clientConfig(false)
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", tlsAddr, old); err == nil {
		nc.Close()
		t.Error("a TLS 1.1 client was served")
	}
	// A client speaking plain RESP to the TLS port gets nowhere.
	raw := dialRaw(t, tlsAddr)
	_ = raw.nc.SetDeadline(time.Now().Add(15 * time.Second))
	_, _ = raw.nc.Write([]byte("PING\r\n"))
	if line, _ := raw.r.ReadString('\n'); line == "+PONG\r\n" {
		t.Error("plain RESP served on the TLS port")
	}
}

func TestTLSClientCertificates(t *testing.T) {
	p := newTestPKI(t)
	tlsAddr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	testserver.Start(t, withTLS(p, tlsAddr, true))

	c := clientWith(t, tlsAddr, func(o *redis.Options) { o.TLSConfig = p.clientConfig(true) })
	expect(t, c, "PONG", "PING")
	expect(t, c, map[interface{}]interface{}{"tls-auth-clients": "yes", "tls-ca-cert-file": p.caFile},
		"CONFIG", "GET", "tls-auth-clients", "tls-ca-cert-file")

	// Without a certificate the handshake fails (in TLS 1.3 the client
	// learns it on its first read).
	anon := clientWith(t, tlsAddr, func(o *redis.Options) { o.TLSConfig = p.clientConfig(false) })
	if err := anon.Ping(bg).Err(); err == nil {
		t.Fatal("a client without a certificate was served")
	}
	// A certificate from another CA is refused too.
	other := newTestPKI(t)
	stranger := p.clientConfig(false)
	stranger.Certificates = []tls.Certificate{other.client}
	if err := clientWith(t, tlsAddr, func(o *redis.Options) { o.TLSConfig = stranger }).Ping(bg).Err(); err == nil {
		t.Fatal("a client with a certificate from another CA was served")
	}
}

// With --port 0 a node serves clients over TLS only.
func TestTLSOnly(t *testing.T) {
	p := newTestPKI(t)
	tlsAddr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	s := testserver.Start(t, withTLS(p, tlsAddr, false), func(cfg *node.Config) { cfg.Addr = "" })
	if s.Addr() != tlsAddr {
		t.Fatalf("node address %s, want the TLS address %s", s.Addr(), tlsAddr)
	}
	c := clientWith(t, tlsAddr, func(o *redis.Options) { o.TLSConfig = p.clientConfig(false) })
	_, port, _ := net.SplitHostPort(tlsAddr)
	expect(t, c, map[interface{}]interface{}{"port": "0", "tls-port": port}, "CONFIG", "GET", "port", "tls-port")
}

// redis-cli --tls connects, with and without a client certificate as the
// node requires.
func TestTLSRedisCLI(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but redis-cli is missing: %v", err)
		}
		t.Skipf("redis-cli not installed: %v", err)
	}
	p := newTestPKI(t)
	run := func(addr string, args ...string) string {
		host, port, _ := net.SplitHostPort(addr)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, _ := exec.CommandContext(ctx, cli, append([]string{"--tls", "--cacert", p.caFile, "-h", host, "-p", port}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out))
	}

	open := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	testserver.Start(t, withTLS(p, open, false), withPassword("pw"))
	if out := run(open, "--no-auth-warning", "-a", "pw", "SET", "k", "v"); out != "OK" {
		t.Errorf("redis-cli --tls SET: %q", out)
	}
	if out := run(open, "--no-auth-warning", "-a", "pw", "GET", "k"); out != "v" {
		t.Errorf("redis-cli --tls GET: %q", out)
	}
	if out := run(open, "PING"); !strings.Contains(out, "NOAUTH Authentication required.") {
		t.Errorf("redis-cli --tls without the password: %q", out)
	}

	mutual := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	testserver.Start(t, withTLS(p, mutual, true))
	if out := run(mutual, "--cert", p.clientCertFile, "--key", p.clientKeyFile, "PING"); out != "PONG" {
		t.Errorf("redis-cli --tls with a client certificate: %q", out)
	}
	if out := run(mutual, "PING"); out == "PONG" {
		t.Error("redis-cli --tls without a client certificate was served")
	}
}
