package wire

import (
	"bytes"
	"math"
	"reflect"
	"testing"
)

// The reads FuzzReader's ops choose from.
const (
	opUvarint = iota
	opVarint
	opByte
	opBool
	opUint64
	opUint32
	opUint64LE
	opUint16LE
	opBytes
	opString
	opRaw   // Raw(the op byte's high nibble)
	opCount // Count(1 + the op byte's high nibble)
	opRest
	numOps
)

// read does op on r and returns the value read.
func read(r *Reader, op byte) any {
	arg := int(op >> 4)
	switch op % numOps {
	case opUvarint:
		return r.Uvarint()
	case opVarint:
		return r.Varint()
	case opByte:
		return r.Byte()
	case opBool:
		return r.Bool()
	case opUint64:
		return r.Uint64()
	case opUint32:
		return r.Uint32()
	case opUint64LE:
		return r.Uint64LE()
	case opUint16LE:
		return r.Uint16LE()
	case opBytes:
		return r.Bytes()
	case opString:
		return r.String()
	case opRaw:
		return r.Raw(arg)
	case opCount:
		return uint64(r.Count(1 + arg))
	default:
		return r.Rest()
	}
}

// write appends v, read by op, with the append side.
func write(b []byte, op byte, v any) []byte {
	switch op % numOps {
	case opUvarint, opCount:
		return AppendUvarint(b, v.(uint64))
	case opVarint:
		return AppendVarint(b, v.(int64))
	case opByte:
		return AppendByte(b, v.(byte))
	case opBool:
		return AppendBool(b, v.(bool))
	case opUint64:
		return AppendUint64(b, v.(uint64))
	case opUint32:
		return AppendUint32(b, v.(uint32))
	case opUint64LE:
		return AppendUint64LE(b, v.(uint64))
	case opUint16LE:
		return AppendUint16LE(b, v.(uint16))
	case opBytes:
		return AppendBytes(b, v.([]byte))
	case opString:
		return AppendString(b, v.(string))
	default: // opRaw, opRest
		return append(b, v.([]byte)...)
	}
}

func isZero(v any) bool {
	switch v := v.(type) {
	case []byte:
		return len(v) == 0
	default:
		return reflect.ValueOf(v).IsZero()
	}
}

// FuzzReader reads arbitrary input with an arbitrary sequence of reads: no
// read panics, the input is consumed and never over-read, an error is
// sticky, and what was read, written back with the append side, reads back
// the same, to the last byte.
func FuzzReader(f *testing.F) {
	var all []byte
	for op := byte(0); op < numOps; op++ {
		all = append(all, op)
	}
	f.Add(all, []byte{0xac, 0x02, 0x09, 0x07, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 8, 7, 6, 5, 4, 3, 2, 1, 2, 1,
		3, 'k', 'e', 'y', 4, 'n', 'a', 'm', 'e', 'r', 'a', 'w', 2, 1, 2, 'r', 'e', 's', 't'})
	f.Add([]byte{opUvarint}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02})
	f.Add([]byte{opBytes, opBytes}, AppendUvarint(nil, math.MaxUint64))
	f.Add([]byte{opCount | 0x70, opRaw | 0x30}, []byte{3, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{opUvarint, opVarint}, []byte{0x80, 0x00, 0x81, 0x80, 0x00})
	f.Add([]byte{opBool}, []byte{2})
	f.Fuzz(func(t *testing.T, ops, data []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		r := NewReader(data)
		var vals []any
		left := len(data)
		for _, op := range ops {
			before := r.Err()
			v := read(&r, op)
			switch {
			case r.Remaining() > left:
				t.Fatalf("op %d: %d bytes left, %d before", op, r.Remaining(), left)
			case before != nil && (r.Err() != before || !isZero(v)):
				t.Fatalf("op %d after the error %v: %v, %#v", op, before, r.Err(), v)
			case r.Err() != nil && (r.Remaining() != 0 || !isZero(v)):
				t.Fatalf("op %d failed (%v) with %d bytes left and %#v", op, r.Err(), r.Remaining(), v)
			}
			if b, ok := v.([]byte); ok && len(b) > left {
				t.Fatalf("op %d read %d bytes of %d", op, len(b), left)
			}
			left = r.Remaining()
			vals = append(vals, v)
			if op%numOps == opRest {
				break
			}
		}
		if r.Err() != nil {
			return
		}
		consumed := len(data) - r.Remaining()
		trailing := r.Done()
		if (trailing != nil) != (consumed != len(data)) {
			t.Fatalf("Done %v with %d of %d bytes read", trailing, consumed, len(data))
		}

		// Written back (varints minimal), the values read back the same
		// and fill the message exactly.
		var enc []byte
		for i, v := range vals {
			enc = write(enc, ops[i], v)
		}
		if len(enc) > consumed {
			t.Fatalf("%d values of %d bytes wrote %d", len(vals), consumed, len(enc))
		}
		r2 := NewReader(enc)
		var again []byte
		for i, v := range vals {
			op := ops[i]
			if op%numOps == opCount {
				op = opUvarint // the count's bound is the first message's
			}
			got := read(&r2, op)
			if !reflect.DeepEqual(got, v) && !(isZero(got) && isZero(v)) {
				t.Fatalf("value %d (op %d): wrote %#v, read back %#v", i, ops[i], v, got)
			}
			again = write(again, op, got)
		}
		if err := r2.Done(); err != nil {
			t.Fatalf("reading back %x: %v", enc, err)
		}
		if !bytes.Equal(again, enc) {
			t.Fatalf("written twice: %x, then %x", enc, again)
		}
	})
}
