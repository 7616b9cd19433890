package transport

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"time"
)

// Cluster secret. When Config.Secret is set, every internode connection is
// TLS 1.3 with both ends presenting a certificate for one Ed25519 key derived
// from the secret, and each end accepts only that key. The connection is
// thus encrypted, and only a node that holds the secret (and so can sign
// with the key) gets past the TLS handshake; the Dynago handshake then runs
// inside it as usual. No certificate files to manage: the secret is the
// credential.

// secretTLS returns the TLS configuration of nodes sharing secret.
func secretTLS(secret string) (*tls.Config, error) {
	seed := sha256.Sum256([]byte("dynago internode key\x00" + secret))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := priv.Public().(ed25519.PublicKey)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "dynago cluster member"},
		NotBefore:    time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		return nil, err
	}
	verify := func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
		if len(rawCerts) == 0 {
			return errNoSecret
		}
		cert, err := x509.ParseCertificate(rawCerts[0])
		if err != nil {
			return errNoSecret
		}
		key, ok := cert.PublicKey.(ed25519.PublicKey)
		if !ok || !bytes.Equal(key, pub) {
			return errNoSecret
		}
		return nil
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}},
		MinVersion:   tls.VersionTLS13,
		ClientAuth:   tls.RequireAnyClientCert,
		// Peers are identified by the key, not by a name or a CA: the
		// standard verification is replaced by VerifyPeerCertificate.
		InsecureSkipVerify:    true,
		VerifyPeerCertificate: verify,
	}, nil
}

var errNoSecret = errors.New("peer does not hold the cluster secret")
