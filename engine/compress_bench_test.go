package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// sampleValue is a JSON-like document of about n bytes: the kind of value
// large enough to be compressed.
func sampleValue(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("[")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"id":%d,"user":"user-%d","score":%d,"tags":["alpha","beta"],"active":%v},`,
			i, rng.IntN(100000), rng.IntN(1000), rng.IntN(2) == 0)
	}
	return []byte(b.String()[:n])
}

// BenchmarkCompression compares the codecs considered for large records:
// S2 (chosen: several times faster both ways, which matters on the read
// path of every GET) and zstd at its fastest level (smaller output).
// It reports the compressed size as a ratio of the input.
func BenchmarkCompression(b *testing.B) {
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	dec, _ := zstd.NewReader(nil)
	defer dec.Close()
	for _, size := range []int{1 << 10, 16 << 10} {
		v := sampleValue(size)
		codecs := []struct {
			name   string
			encode func([]byte) []byte
			decode func([]byte) ([]byte, error)
		}{
			{"s2", func(v []byte) []byte { return s2.Encode(nil, v) }, func(c []byte) ([]byte, error) { return s2.Decode(nil, c) }},
			{"zstd", func(v []byte) []byte { return enc.EncodeAll(v, nil) }, func(c []byte) ([]byte, error) { return dec.DecodeAll(c, nil) }},
		}
		for _, c := range codecs {
			comp := c.encode(v)
			b.Run(fmt.Sprintf("encode/%s/%dKiB", c.name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(v)))
				for i := 0; i < b.N; i++ {
					c.encode(v)
				}
				b.ReportMetric(float64(len(comp))/float64(len(v)), "ratio")
			})
			b.Run(fmt.Sprintf("decode/%s/%dKiB", c.name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(v)))
				for i := 0; i < b.N; i++ {
					if _, err := c.decode(comp); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
