package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/s2"
)

// headerLen is the size of a frame header (see the package doc).
const headerLen = 20

// kind says what a frame carries.
type kind uint8

const (
	kindRequest  kind = 1
	kindResponse kind = 2
	kindError    kind = 3 // a response whose payload is the handler's error message
)

// flagCompressed marks an S2-compressed payload; no other flag is defined.
const flagCompressed = 1 << 0

// growChunk is the most a frame reader allocates ahead of the bytes that
// have actually arrived.
const growChunk = 1 << 20

var errMalformed = errors.New("transport: malformed frame")

// frame is one decoded frame.
type frame struct {
	kind    kind
	method  Method // requests only
	timeout uint32 // requests only: milliseconds the caller will wait
	id      uint64
	payload []byte // decompressed; nil when empty
}

// encodeFrame returns f's wire form in a buffer of its own, so the caller's
// payload may change as soon as encodeFrame returns. A payload of at least
// compressMin bytes (0: never) is compressed when that makes it smaller. The
// caller has checked the payload against the frame limit.
func encodeFrame(f frame, compressMin int) []byte {
	var buf []byte
	var flags byte
	n := len(f.payload)
	if compressMin > 0 && n >= compressMin {
		if bound := s2.MaxEncodedLen(n); bound > 0 {
			buf = make([]byte, headerLen+bound)
			// s2.Encode writes into the start of the slice it is given when
			// it fits, which it does here.
			enc := s2.Encode(buf[headerLen:], f.payload)
			if len(enc) < n {
				buf = buf[:headerLen+len(enc)]
				flags = flagCompressed
			} else {
				buf = nil // incompressible: send as is
			}
		}
	}
	if buf == nil {
		buf = make([]byte, headerLen+n)
		copy(buf[headerLen:], f.payload)
	}
	buf[0] = byte(f.kind)
	buf[1] = flags
	buf[2] = byte(f.method)
	buf[3] = 0
	binary.BigEndian.PutUint32(buf[4:], f.timeout)
	binary.BigEndian.PutUint64(buf[8:], f.id)
	binary.BigEndian.PutUint32(buf[16:], uint32(len(buf)-headerLen))
	return buf
}

// readFrame reads one frame from r. hdr is scratch space for the header.
// Every field is checked before the payload is read, and the payload buffer
// grows only as bytes arrive, so a header claiming a large payload on a
// stream that then stalls or ends costs little memory.
func readFrame(r io.Reader, hdr *[headerLen]byte, limit int) (frame, error) {
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame{}, err
	}
	f := frame{
		kind:    kind(hdr[0]),
		method:  Method(hdr[2]),
		timeout: binary.BigEndian.Uint32(hdr[4:]),
		id:      binary.BigEndian.Uint64(hdr[8:]),
	}
	flags := hdr[1]
	n := binary.BigEndian.Uint32(hdr[16:])
	switch {
	case f.kind != kindRequest && f.kind != kindResponse && f.kind != kindError:
		return frame{}, fmt.Errorf("%w: unknown kind %d", errMalformed, f.kind)
	case flags&^flagCompressed != 0:
		return frame{}, fmt.Errorf("%w: unknown flags %#x", errMalformed, flags)
	case hdr[3] != 0:
		return frame{}, fmt.Errorf("%w: reserved byte %#x", errMalformed, hdr[3])
	case f.kind != kindRequest && (f.method != 0 || f.timeout != 0):
		return frame{}, fmt.Errorf("%w: response with method or timeout", errMalformed)
	case uint64(n) > uint64(limit):
		return frame{}, fmt.Errorf("%w: payload of %d bytes exceeds the %d-byte limit", errMalformed, n, limit)
	}
	p, err := readPayload(r, int(n))
	if err != nil {
		return frame{}, err
	}
	if flags&flagCompressed != 0 {
		if p, err = decompress(p, limit); err != nil {
			return frame{}, err
		}
	}
	if len(p) > 0 {
		f.payload = p
	}
	return f, nil
}

// readPayload reads n bytes, allocating at most growChunk bytes ahead of
// what has arrived.
func readPayload(r io.Reader, n int) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if n <= growChunk {
		p := make([]byte, n)
		if _, err := io.ReadFull(r, p); err != nil {
			return nil, unexpectedEOF(err)
		}
		return p, nil
	}
	p := make([]byte, 0, growChunk)
	for len(p) < n {
		if len(p) == cap(p) {
			q := make([]byte, len(p), min(2*cap(p), n))
			copy(q, p)
			p = q
		}
		m, err := io.ReadFull(r, p[len(p):cap(p)])
		p = p[:len(p)+m]
		if err != nil {
			return nil, unexpectedEOF(err)
		}
	}
	return p, nil
}

// unexpectedEOF reports a stream that ends inside a frame as such.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decompress decodes an S2 block whose decoded length must not exceed limit.
func decompress(p []byte, limit int) ([]byte, error) {
	n, err := s2.DecodedLen(p)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %v", errMalformed, err)
	case n > limit:
		return nil, fmt.Errorf("%w: decompresses to %d bytes, over the %d-byte limit", errMalformed, n, limit)
	case n == 0:
		// An empty payload is never sent compressed.
		return nil, fmt.Errorf("%w: compressed empty payload", errMalformed)
	}
	out, err := s2.Decode(make([]byte, n), p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformed, err)
	}
	return out, nil
}
