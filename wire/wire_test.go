package wire

import (
	"bytes"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
)

func TestAppend(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []byte
		want []byte
	}{
		{"uvarint 0", AppendUvarint(nil, 0), []byte{0}},
		{"uvarint 300", AppendUvarint(nil, 300), []byte{0xac, 0x02}},
		{"uvarint max", AppendUvarint(nil, math.MaxUint64), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"varint -1", AppendVarint(nil, -1), []byte{1}},
		{"varint 1", AppendVarint(nil, 1), []byte{2}},
		{"varint min", AppendVarint(nil, math.MinInt64), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"byte", AppendByte(nil, 0xfe), []byte{0xfe}},
		{"bool", AppendBool(AppendBool(nil, true), false), []byte{1, 0}},
		{"uint64", AppendUint64(nil, 0x0102030405060708), []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		{"uint32", AppendUint32(nil, 0x01020304), []byte{1, 2, 3, 4}},
		{"uint64 le", AppendUint64LE(nil, 0x0102030405060708), []byte{8, 7, 6, 5, 4, 3, 2, 1}},
		{"uint16 le", AppendUint16LE(nil, 0x0102), []byte{2, 1}},
		{"bytes", AppendBytes(nil, []byte("abc")), []byte{3, 'a', 'b', 'c'}},
		{"empty bytes", AppendBytes(nil, nil), []byte{0}},
		{"string", AppendString(nil, "xy"), []byte{2, 'x', 'y'}},
		{"appends", AppendUvarint([]byte("p"), 1), []byte{'p', 1}},
	} {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s: % x, want % x", tc.name, tc.got, tc.want)
		}
	}
}

func TestReadBack(t *testing.T) {
	var b []byte
	b = AppendUvarint(b, 300)
	b = AppendVarint(b, -5)
	b = AppendByte(b, 7)
	b = AppendBool(b, true)
	b = AppendUint64(b, math.MaxUint64-1)
	b = AppendUint32(b, 0xdeadbeef)
	b = AppendUint64LE(b, 42)
	b = AppendUint16LE(b, 0x8001)
	b = AppendBytes(b, []byte("key"))
	b = AppendBytes(b, nil)
	b = AppendString(b, "name")
	b = append(b, "raw"...)
	b = AppendUvarint(b, 2) // a count of two 1-byte elements
	b = append(b, 1, 2)
	b = append(b, "rest"...)

	r := NewReader(b)
	if v := r.Uvarint(); v != 300 {
		t.Errorf("Uvarint %d", v)
	}
	if v := r.Varint(); v != -5 {
		t.Errorf("Varint %d", v)
	}
	if v := r.Byte(); v != 7 {
		t.Errorf("Byte %d", v)
	}
	if v := r.Bool(); !v {
		t.Errorf("Bool %v", v)
	}
	if v := r.Uint64(); v != math.MaxUint64-1 {
		t.Errorf("Uint64 %d", v)
	}
	if v := r.Uint32(); v != 0xdeadbeef {
		t.Errorf("Uint32 %x", v)
	}
	if v := r.Uint64LE(); v != 42 {
		t.Errorf("Uint64LE %d", v)
	}
	if v := r.Uint16LE(); v != 0x8001 {
		t.Errorf("Uint16LE %x", v)
	}
	key := r.Bytes()
	if string(key) != "key" || cap(key) != 3 {
		t.Errorf("Bytes %q (cap %d)", key, cap(key))
	}
	if v := r.Bytes(); v == nil || len(v) != 0 {
		t.Errorf("empty Bytes %#v, want empty and not nil", v)
	}
	if v := r.String(); v != "name" {
		t.Errorf("String %q", v)
	}
	if v := r.Raw(3); string(v) != "raw" {
		t.Errorf("Raw %q", v)
	}
	if n := r.Count(1); n != 2 {
		t.Errorf("Count %d", n)
	}
	r.Raw(2)
	if n := r.Remaining(); n != 4 {
		t.Errorf("Remaining %d, want 4", n)
	}
	if err := r.Done(); err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "4 trailing bytes") {
		t.Errorf("Done with 4 bytes left: %v", err)
	}

	r = NewReader(b[len(b)-4:])
	if v := r.Rest(); string(v) != "rest" {
		t.Errorf("Rest %q", v)
	}
	if err := r.Done(); err != nil {
		t.Errorf("Done after Rest: %v", err)
	}
	// Bytes alias the input.
	key[0] = 'K'
	if b[bytes.Index(b, []byte("Key"))] != 'K' {
		t.Errorf("Bytes does not alias its input")
	}
}

func TestReadErrors(t *testing.T) {
	overlong := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}
	for _, tc := range []struct {
		name string
		in   []byte
		read func(r *Reader)
		want string // in the error
	}{
		{"empty uvarint", nil, func(r *Reader) { r.Uvarint() }, "truncated varint at byte 0"},
		{"truncated uvarint", []byte{0x80}, func(r *Reader) { r.Uvarint() }, "truncated varint"},
		{"overlong uvarint", overlong, func(r *Reader) { r.Uvarint() }, "overflows"},
		{"truncated varint", []byte{0x80, 0x80}, func(r *Reader) { r.Varint() }, "truncated varint"},
		{"overlong varint", overlong, func(r *Reader) { r.Varint() }, "overflows"},
		{"no byte", nil, func(r *Reader) { r.Byte() }, "truncated byte: 0 bytes left"},
		{"bool 2", []byte{2}, func(r *Reader) { r.Bool() }, "boolean"},
		{"short uint64", make([]byte, 7), func(r *Reader) { r.Uint64() }, "truncated uint64: 7 bytes left"},
		{"short uint32", make([]byte, 3), func(r *Reader) { r.Uint32() }, "truncated uint32"},
		{"short uint64 le", make([]byte, 7), func(r *Reader) { r.Uint64LE() }, "truncated uint64"},
		{"short uint16 le", make([]byte, 1), func(r *Reader) { r.Uint16LE() }, "truncated uint16"},
		{"length beyond input", []byte{4, 'a', 'b', 'c'}, func(r *Reader) { r.Bytes() }, "length 4 exceeds the 3 bytes left at byte 1"},
		{"huge length", AppendUvarint(nil, math.MaxUint64), func(r *Reader) { _ = r.String() }, "exceeds"},
		{"short raw", []byte{1}, func(r *Reader) { r.Raw(2) }, "truncated"},
		{"negative raw", []byte{1}, func(r *Reader) { r.Raw(-1) }, "negative"},
		{"count beyond input", []byte{3, 0, 0, 0, 0, 0}, func(r *Reader) { r.Count(2) }, "count 3 of 2-byte elements exceeds the 5 bytes left"},
		{"huge count", AppendUvarint(nil, 1<<62), func(r *Reader) { r.Count(1) }, "exceeds"},
		{"trailing", []byte{1, 2}, func(r *Reader) { r.Byte() }, "1 trailing bytes at byte 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(tc.in)
			tc.read(&r)
			err := r.Done()
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one wrapping ErrMalformed with %q", err, tc.want)
			}
			// Sticky: every later read is zero and the error stays.
			if r.Remaining() != 0 || r.Uvarint() != 0 || r.Varint() != 0 || r.Byte() != 0 || r.Bool() ||
				r.Uint64() != 0 || r.Uint32() != 0 || r.Uint64LE() != 0 || r.Uint16LE() != 0 ||
				r.Bytes() != nil || r.String() != "" || r.Raw(0) != nil || len(r.Rest()) != 0 || r.Count(1) != 0 {
				t.Fatalf("a read after the error returned a value")
			}
			if r.Err() != err || r.Done() != err {
				t.Fatalf("error changed to %v", r.Err())
			}
		})
	}
}

func TestFail(t *testing.T) {
	mine := errors.New("tag 9 unknown")
	r := NewReader([]byte{9, 1, 2})
	if r.Byte() != 9 {
		t.Fatal("Byte")
	}
	r.Fail(mine)
	r.Fail(errors.New("second"))
	if r.Err() != mine || r.Done() != mine || r.Byte() != 0 || r.Remaining() != 0 {
		t.Fatalf("after Fail: %v, %d left", r.Err(), r.Remaining())
	}
	// The zero Reader reads an empty message.
	var z Reader
	if z.Done() != nil || z.Remaining() != 0 {
		t.Fatalf("zero Reader: %v", z.Err())
	}
	z.Uvarint()
	if z.Err() == nil {
		t.Fatal("the zero Reader read a varint")
	}
}

// A corrupt length or count costs nothing: it is refused before anything
// is allocated.
func TestLengthsAllocateNothing(t *testing.T) {
	huge := AppendUvarint(nil, 1<<40)
	hugeCount := AppendUvarint(nil, 1<<40)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		r := NewReader(huge)
		if r.Bytes() != nil || r.Err() == nil {
			t.Fatal("accepted")
		}
		r = NewReader(hugeCount)
		if r.Count(1) != 0 || r.Err() == nil {
			t.Fatal("accepted")
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 200<<10 { // the errors' messages, a few hundred bytes each
		t.Errorf("200 refused lengths allocated %d bytes", n)
	}
	ok := AppendBytes(AppendUvarint(nil, 5), []byte("value"))
	if n := testing.AllocsPerRun(100, func() {
		r := NewReader(ok)
		_ = r.Uvarint()
		_ = r.Bytes()
		if r.Done() != nil {
			t.Fatal("refused")
		}
	}); n != 0 {
		t.Errorf("reading a message: %v allocations, want 0", n)
	}
}

// Uvarint accepts what encoding/binary accepts: stored data written by any
// release decodes, including non-minimal varints.
func TestUvarintLikeBinary(t *testing.T) {
	for _, in := range [][]byte{{0x80, 0x00}, {0x81, 0x80, 0x00}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}} {
		r := NewReader(in)
		r.Uvarint()
		if err := r.Done(); err != nil {
			t.Errorf("% x: %v", in, err)
		}
	}
}
