package transport

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// magic opens every internode connection. It starts with a letter, so a
// Redis client that reaches the internode port by mistake (its first byte is
// '*' or a command name in lower case) is rejected at once.
var magic = [8]byte{'D', 'Y', 'N', 'A', 'G', 'O', '\r', '\n'}

const (
	helloHeaderLen = len(magic) + 4 // magic, version u16, body length u16
	maxHelloBody   = 1024           // three u8-prefixed strings and a nonce fit easily
	maxReasonLen   = 1024
	nonceLen       = 16
)

// hello is what each end of a new connection says about itself.
type hello struct {
	version    uint16
	clusterID  string
	name       string
	listenAddr string // the address the node's peers call it at (for Faults)
	nonce      [nonceLen]byte
}

// verdict is each end's answer to the other's hello.
type verdict struct {
	refused bool
	reason  string
	proof   []byte // empty in version 1
}

var errNotPeer = errors.New("not a Dynago internode endpoint")

func appendHello(dst []byte, h hello) []byte {
	var body []byte
	body = appendStr8(body, h.clusterID)
	body = appendStr8(body, h.name)
	body = appendStr8(body, h.listenAddr)
	body = append(body, h.nonce[:]...)
	dst = append(dst, magic[:]...)
	dst = binary.BigEndian.AppendUint16(dst, h.version)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(body)))
	return append(dst, body...)
}

// appendStr8 appends s with a one-byte length; Config.Validate and Listen
// keep every string sent here within 255 bytes.
func appendStr8(dst []byte, s string) []byte {
	dst = append(dst, byte(len(s)))
	return append(dst, s...)
}

// readHello reads a hello. The body is decoded only when the peer speaks
// version (ours); otherwise only the version is filled in, which is all the
// refusal needs.
func readHello(r io.Reader, version uint16) (hello, error) {
	var hdr [helloHeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return hello{}, err
	}
	if [8]byte(hdr[:8]) != magic {
		return hello{}, errNotPeer
	}
	h := hello{version: binary.BigEndian.Uint16(hdr[8:])}
	n := int(binary.BigEndian.Uint16(hdr[10:]))
	if n > maxHelloBody {
		return hello{}, fmt.Errorf("hello body of %d bytes: %w", n, errNotPeer)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return hello{}, unexpectedEOF(err)
	}
	if h.version != version {
		return h, nil
	}
	var ok bool
	if h.clusterID, body, ok = cutStr8(body); !ok {
		return hello{}, fmt.Errorf("malformed hello: %w", errNotPeer)
	}
	if h.name, body, ok = cutStr8(body); !ok {
		return hello{}, fmt.Errorf("malformed hello: %w", errNotPeer)
	}
	if h.listenAddr, body, ok = cutStr8(body); !ok {
		return hello{}, fmt.Errorf("malformed hello: %w", errNotPeer)
	}
	if len(body) != nonceLen {
		return hello{}, fmt.Errorf("malformed hello: %w", errNotPeer)
	}
	copy(h.nonce[:], body)
	return h, nil
}

func cutStr8(b []byte) (s string, rest []byte, ok bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return "", nil, false
	}
	n := int(b[0])
	return string(b[1 : 1+n]), b[1+n:], true
}

func appendVerdict(dst []byte, v verdict) []byte {
	status := byte(0)
	if v.refused {
		status = 1
	}
	reason := v.reason
	if len(reason) > maxReasonLen {
		reason = reason[:maxReasonLen]
	}
	dst = append(dst, status)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(reason)))
	dst = append(dst, reason...)
	dst = append(dst, byte(len(v.proof)))
	return append(dst, v.proof...)
}

func readVerdict(r io.Reader) (verdict, error) {
	var hdr [3]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return verdict{}, err
	}
	if hdr[0] > 1 {
		return verdict{}, fmt.Errorf("verdict status %d: %w", hdr[0], errNotPeer)
	}
	n := int(binary.BigEndian.Uint16(hdr[1:]))
	if n > maxReasonLen {
		return verdict{}, fmt.Errorf("verdict reason of %d bytes: %w", n, errNotPeer)
	}
	buf := make([]byte, n+1)
	if _, err := io.ReadFull(r, buf); err != nil {
		return verdict{}, unexpectedEOF(err)
	}
	proof := make([]byte, buf[n])
	if _, err := io.ReadFull(r, proof); err != nil {
		return verdict{}, unexpectedEOF(err)
	}
	return verdict{refused: hdr[0] == 1, reason: string(buf[:n]), proof: proof}, nil
}

// handshake opens a connection, from either end: it sends this node's hello,
// reads the peer's, sends a verdict on it, and reads the peer's verdict.
// dialAddr is the address this node dialed, or "" on the accepting side,
// where the peer's own hello names its address. Reads go through br, which
// the connection keeps using afterwards (it may already hold the first
// frames).
//
// A node that does not know its cluster id yet (Config.ClusterID) waits for
// it before sending its hello, within the same DialTimeout; it also returns
// the generation of the id it used, so that the connection can be closed if
// the id changes.
//
// Errors: ErrHandshake when either end refuses; ErrUnavailable when the
// connection fails, Faults cut the link (a cut looks like a dead peer, so
// the accepting side closes without a verdict) or the cluster id is not known
// in time; ErrClosed when t closes meanwhile.
func (t *TCP) handshake(nc net.Conn, br *bufio.Reader, dialAddr string) (hello, uint64, error) {
	// Close must not wait for a peer that stalls its handshake.
	stop := context.AfterFunc(t.ctx, func() { nc.Close() })
	defer stop()
	deadline := time.Now().Add(t.cfg.DialTimeout)
	nc.SetDeadline(deadline)

	peer := dialAddr
	if peer == "" {
		peer = nc.RemoteAddr().String()
	}
	ioErr := func(err error) error {
		if t.ctx.Err() != nil {
			return ErrClosed
		}
		if errors.Is(err, errNotPeer) {
			return handshakeErr("transport: peer at %s: %v", peer, err)
		}
		return unavailable(peer, err)
	}

	clusterID, gen, err := t.id.wait(t.ctx, deadline)
	if err != nil {
		return hello{}, 0, ioErr(err)
	}
	local := hello{
		version:    t.version,
		clusterID:  clusterID,
		name:       t.cfg.Name,
		listenAddr: t.addr,
	}
	rand.Read(local.nonce[:])
	if _, err := nc.Write(appendHello(nil, local)); err != nil {
		return hello{}, 0, ioErr(err)
	}
	remote, err := readHello(br, t.version)
	if err != nil {
		return hello{}, 0, ioErr(err)
	}

	faultAddr := dialAddr
	if faultAddr == "" {
		faultAddr = remote.listenAddr
	}
	if t.cfg.Faults.blocked(t.addr, faultAddr) {
		return hello{}, 0, unavailable(peer, errCut)
	}

	var refusal error
	switch {
	case remote.version != t.version:
		refusal = handshakeErr("transport: peer at %s speaks protocol version %d, this node speaks %d",
			peer, remote.version, t.version)
	case remote.clusterID != clusterID:
		refusal = clusterMismatch(remote.name, peer, remote.clusterID, clusterID)
	}
	// The verdict's proof is empty in version 1: a cluster secret is proved
	// by the TLS handshake underneath (secret.go), before this one starts.
	// The nonce and proof fields keep room for a proof at this level.
	v := verdict{refused: refusal != nil}
	if refusal != nil {
		v.reason = refusal.Error()
	}
	if _, err := nc.Write(appendVerdict(nil, v)); err != nil {
		return hello{}, 0, ioErr(err)
	}
	// Read the peer's verdict even when refusing, so that neither end closes
	// with unread bytes (which would reset the connection and could destroy
	// the verdict before the peer reads it).
	pv, err := readVerdict(br)
	if refusal != nil {
		return hello{}, 0, refusal
	}
	if err != nil {
		return hello{}, 0, ioErr(err)
	}
	if pv.refused {
		return hello{}, 0, handshakeErr("transport: peer %q at %s refused the connection: %s",
			remote.name, peer, pv.reason)
	}
	if err := verifyProof(remote, local.nonce, pv.proof); err != nil {
		return hello{}, 0, err
	}
	if !stop() {
		return hello{}, 0, ErrClosed
	}
	nc.SetDeadline(time.Time{})
	return remote, gen, nil
}

// verifyProof checks the peer's proof that it holds the cluster secret.
// Version 1 has no secret and accepts any proof.
func verifyProof(remote hello, ourNonce [nonceLen]byte, proof []byte) error {
	return nil
}
