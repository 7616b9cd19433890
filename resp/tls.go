package resp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLS for clients: a second listener (Security.TLSAddr) serves the same
// commands as the plain one, over TLS 1.2 or later. With a CA file, it
// requires and verifies client certificates, as Redis does by default
// (tls-auth-clients yes); without one, any client may connect and
// authenticates, if a password is set, with AUTH.

func validateTLS(s Security) error {
	switch {
	case s.TLSAddr == "" && (s.TLSCertFile != "" || s.TLSKeyFile != "" || s.TLSCACertFile != ""):
		return errors.New("tls-cert-file, tls-key-file and tls-ca-cert-file need tls-port")
	case s.TLSAddr != "" && (s.TLSCertFile == "" || s.TLSKeyFile == ""):
		return errors.New("tls-port needs tls-cert-file and tls-key-file")
	}
	return nil
}

// loadTLS builds the TLS listener's configuration from the files named by
// s. It reads them once, at start.
func loadTLS(s Security) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(s.TLSCertFile, s.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls-cert-file %s, tls-key-file %s: %w", s.TLSCertFile, s.TLSKeyFile, err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	}
	if s.TLSCACertFile != "" {
		pem, err := os.ReadFile(s.TLSCACertFile)
		if err != nil {
			return nil, fmt.Errorf("tls-ca-cert-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls-ca-cert-file %s: no PEM certificate in it", s.TLSCACertFile)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}
