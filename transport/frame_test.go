package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/klauspost/compress/s2"
)

func sampleFrames() []frame {
	text := bytes.Repeat([]byte("a sibling set, "), 1000)
	return []frame{
		{kind: kindRequest, method: 3, timeout: 2000, id: 1, payload: []byte("get k")},
		{kind: kindRequest, method: 255, timeout: 1, id: 1<<64 - 1},
		{kind: kindResponse, id: 7, payload: []byte{0, 1, 2}},
		{kind: kindResponse, id: 8},
		{kind: kindError, id: 9, payload: []byte("ERR wrong type")},
		{kind: kindResponse, id: 10, payload: text},
	}
}

func TestFrameRoundTrip(t *testing.T) {
	for _, compressMin := range []int{0, 1, 4096} {
		for _, f := range sampleFrames() {
			b := encodeFrame(f, compressMin)
			compressed := b[1]&flagCompressed != 0
			if want := compressMin > 0 && len(f.payload) >= compressMin && len(f.payload) > 100; compressed != want {
				t.Errorf("compressMin %d, %d-byte payload: compressed %v", compressMin, len(f.payload), compressed)
			}
			var hdr [headerLen]byte
			got, err := readFrame(bytes.NewReader(b), &hdr, 1<<20)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			if !framesEqual(got, f) {
				t.Fatalf("round trip of %+v gave %+v", f, got)
			}
		}
	}
}

func framesEqual(a, b frame) bool {
	return a.kind == b.kind && a.method == b.method && a.timeout == b.timeout &&
		a.id == b.id && bytes.Equal(a.payload, b.payload)
}

func TestReadFrameRejects(t *testing.T) {
	const limit = 1000
	big := s2.Encode(nil, bytes.Repeat([]byte{'z'}, limit+1))
	for name, b := range map[string][]byte{
		"empty":              nil,
		"short header":       header(kindRequest, 0, 1, 1, 0)[:10],
		"unknown kind":       header(0, 0, 1, 1, 0),
		"unknown flags":      header(kindRequest, 2, 1, 1, 0),
		"reserved":           append(header(kindRequest, 0, 1, 1, 0)[:3], append([]byte{1}, header(kindRequest, 0, 1, 1, 0)[4:]...)...),
		"response method":    append(header(kindResponse, 0, 0, 1, 0)[:2], append([]byte{5}, header(kindResponse, 0, 0, 1, 0)[3:]...)...),
		"over limit":         header(kindRequest, 0, 1, 1, limit+1),
		"truncated payload":  append(header(kindRequest, 0, 1, 1, 10), "abc"...),
		"corrupt s2":         append(header(kindRequest, flagCompressed, 1, 1, 3), 0x05, 0xff, 0xff),
		"s2 above limit":     append(header(kindRequest, flagCompressed, 1, 1, uint32(len(big))), big...),
		"s2 empty":           append(header(kindRequest, flagCompressed, 1, 1, 1), 0),
		"s2 empty payload":   header(kindRequest, flagCompressed, 1, 1, 0),
		"bad varint in s2":   append(header(kindRequest, flagCompressed, 1, 1, 6), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
		"length of one byte": append(header(kindRequest, 0, 1, 1, 2), 'x'),
	} {
		var hdr [headerLen]byte
		if f, err := readFrame(bytes.NewReader(b), &hdr, limit); err == nil {
			t.Errorf("%s: accepted as %+v", name, f)
		}
	}
	var hdr [headerLen]byte
	if _, err := readFrame(bytes.NewReader(header(kindRequest, 0, 1, 1, limit+1)), &hdr, limit); !errors.Is(err, errMalformed) {
		t.Errorf("over limit: %v, want errMalformed", err)
	}
}

// A header may claim a payload up to the limit; the reader must not
// allocate that much before the bytes arrive.
func TestReadFrameDoesNotTrustTheLength(t *testing.T) {
	const limit = 64 << 20
	b := append(header(kindRequest, 0, 1, 1, limit), "only a few bytes"...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var hdr [headerLen]byte
	_, err := readFrame(bytes.NewReader(b), &hdr, limit)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want ErrUnexpectedEOF", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4*growChunk {
		t.Fatalf("allocated %d bytes for a frame that brought 16", n)
	}
}

func TestHelloRoundTrip(t *testing.T) {
	h := hello{version: ProtocolVersion, clusterID: "c", name: "n1", listenAddr: "127.0.0.1:26379"}
	h.nonce[3] = 9
	got, err := readHello(bytes.NewReader(appendHello(nil, h)), ProtocolVersion)
	if err != nil || got != h {
		t.Fatalf("got %+v, %v", got, err)
	}
	// Another version: only the version is read, the body skipped.
	h.version++
	got, err = readHello(bytes.NewReader(appendHello(nil, h)), ProtocolVersion)
	if err != nil || got != (hello{version: h.version}) {
		t.Fatalf("other version: got %+v, %v", got, err)
	}
	v := verdict{refused: true, reason: "no", proof: []byte{1, 2}}
	gotV, err := readVerdict(bytes.NewReader(appendVerdict(nil, v)))
	if err != nil || gotV.refused != v.refused || gotV.reason != v.reason || !bytes.Equal(gotV.proof, v.proof) {
		t.Fatalf("verdict: got %+v, %v", gotV, err)
	}
}

// FuzzReadFrame feeds arbitrary streams to the frame reader: it must never
// panic or overrun its limit, and every frame it accepts must survive an
// encode/decode round trip.
func FuzzReadFrame(f *testing.F) {
	for _, fr := range sampleFrames() {
		f.Add(encodeFrame(fr, 0))
		f.Add(encodeFrame(fr, 1))
	}
	var stream []byte
	for _, fr := range sampleFrames() {
		stream = append(stream, encodeFrame(fr, 64)...)
	}
	f.Add(stream)
	f.Add(header(kindRequest, 0, 1, 1, 1<<30))
	f.Add(append(header(kindRequest, flagCompressed, 1, 1, 5), binary.AppendUvarint(nil, 1<<31)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 16
		r := bytes.NewReader(data)
		var hdr [headerLen]byte
		for {
			fr, err := readFrame(r, &hdr, limit)
			if err != nil {
				return
			}
			if len(fr.payload) > limit {
				t.Fatalf("payload of %d bytes over the limit", len(fr.payload))
			}
			for _, compressMin := range []int{0, 1} {
				back, err := readFrame(bytes.NewReader(encodeFrame(fr, compressMin)), &hdr, limit)
				if err != nil || !framesEqual(back, fr) {
					t.Fatalf("re-encoded %+v: got %+v, %v", fr, back, err)
				}
			}
		}
	})
}

// FuzzReadHello checks the handshake decoders against arbitrary input.
func FuzzReadHello(f *testing.F) {
	h := hello{version: ProtocolVersion, clusterID: "c", name: "n", listenAddr: "a:1"}
	f.Add(append(appendHello(nil, h), appendVerdict(nil, verdict{})...))
	f.Add(append(appendHello(nil, h), appendVerdict(nil, verdict{refused: true, reason: "why"})...))
	h.version = 9
	f.Add(appendHello(nil, h))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		got, err := readHello(r, ProtocolVersion)
		if err != nil {
			return
		}
		if got.version == ProtocolVersion {
			back, err := readHello(bytes.NewReader(appendHello(nil, got)), ProtocolVersion)
			if err != nil || back != got {
				t.Fatalf("re-encoded %+v: got %+v, %v", got, back, err)
			}
		}
		readVerdict(r)
	})
}
