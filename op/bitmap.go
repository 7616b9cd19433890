package op

import (
	"fmt"

	"github.com/dynago/dynago/bitmap"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// Bitmaps are strings (package bitmap holds Redis's bit commands). SETBIT
// and BITFIELD's writes store the string as a KindBitmap sibling, and
// concurrent bitmap siblings merge bit by bit, by OR: a bit set through
// any node stays set, the merged string as long as the longest. (A bit
// cleared through one node while another, concurrently, leaves or sets it
// reads as set; a write that saw both versions decides it.) A plain string
// write (SET, APPEND, BITOP's destination) replaces a bitmap as any string
// is replaced: the newest wins.

// setBit is SETBIT, keeping the key's TTL. As in Redis, it writes the key
// when it creates it, lengthens it or flips the bit, and not when the bit
// already is so.
func (o *Op) setBit(st *State, v Value, found bool, res *Result) (Change, error) {
	if len(o.Value) != 1 || o.Value[0] > 1 || o.Int < 0 || o.Int/8 >= max(o.MaxValue, 1) {
		return Change{}, fmt.Errorf("%w: setbit %d to %v", ErrMalformed, o.Int, o.Value)
	}
	nv, old := bitmap.SetBit(v.Bytes, o.Int, int(o.Value[0]))
	res.N = int64(old)
	if found && len(nv) == len(v.Bytes) && old == int(o.Value[0]) {
		return Change{}, nil
	}
	return st.Put(version.KindBitmap, nv, expiryIf(v, found)), nil
}

// bitField is BITFIELD: its subcommands run in order on the string; with
// any SET or INCRBY the string is written (Redis writes it even when FAIL
// refused every one), keeping its TTL.
func (o *Op) bitField(st *State, v Value, found bool, res *Result) (Change, error) {
	ops, err := bitmap.ParseBitField(o.Fields, false, max(o.MaxValue, 1))
	if err != nil {
		return Change{}, err
	}
	nv, results := ops.Run(v.Bytes)
	res.Elems = make([][]byte, len(results))
	for i, r := range results {
		res.Elems[i] = []byte{}
		if r != nil {
			res.Elems[i] = wire.AppendUint64(make([]byte, 0, 8), uint64(*r))
		}
	}
	if !ops.Writes() {
		return Change{}, nil
	}
	return st.Put(version.KindBitmap, nv, expiryIf(v, found)), nil
}

// BitFieldReply reads one BITFIELD subcommand's reply from Result.Elems:
// its integer, or ok false for a null (an overflow FAIL refused).
func BitFieldReply(b []byte) (n int64, ok bool) {
	if len(b) != 8 {
		return 0, false
	}
	r := wire.NewReader(b)
	return int64(r.Uint64()), true
}

// bitmapMerge merges a key's bitmap siblings by OR (Resolve).
type bitmapMerge struct {
	newest version.Sibling
	bits   []byte
	n      int
}

func (m *bitmapMerge) add(s version.Sibling) {
	m.n++
	if m.n == 1 {
		m.newest, m.bits = s, s.Value
		return
	}
	merged := make([]byte, max(len(m.bits), len(s.Value)))
	copy(merged, m.bits)
	for i, b := range s.Value {
		merged[i] |= b
	}
	m.bits = merged
	if newer(s.Time, s.Dot, m.newest.Time, m.newest.Dot) {
		m.newest = s
	}
}

// value is the merged bitmap as a string value, ok false for none.
func (m *bitmapMerge) value() (Value, bool) {
	if m.n == 0 {
		return Value{}, false
	}
	s := m.newest
	return Value{Type: TypeString, Kind: version.KindBitmap, Bytes: m.bits, Expiry: s.Expiry, Dot: s.Dot, Time: s.Time}, true
}
