package op

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// stateOf is the State of a key holding value (nil: no key) with expiry,
// deciding at nowMs, the write to carry dot (node 1, counter 9).
func stateOf(value []byte, expiry, nowMs int64) *State {
	st := &State{Now: time.UnixMilli(nowMs), Dot: version.Dot{Actor: nodeA, Counter: 9}}
	if value != nil {
		d := version.Dot{Actor: nodeB, Counter: 1}
		st.Object = version.Object{}.Update(nil, d, &version.Sibling{Time: 1, Expiry: expiry, Value: value})
		st.Found = true
	}
	return st
}

func TestApply(t *testing.T) {
	const now = 1000
	for _, tc := range []struct {
		name    string
		op      Op
		value   []byte // the key's value before; nil: none
		expiry  int64
		action  Action
		stored  string // the value the change stores (Put)
		expires int64  // and its expiry
		res     Result
		err     error
	}{
		{name: "set", op: Op{Code: Set, Value: []byte("v")}, action: Put, stored: "v", res: Result{Wrote: true}},
		{name: "set nx on a key", op: Op{Code: Set, Flags: NX, Value: []byte("v")}, value: []byte("old"), action: Keep, res: Result{Found: true}},
		{name: "set xx on none", op: Op{Code: Set, Flags: XX, Value: []byte("v")}, action: Keep},
		{name: "set get keepttl", op: Op{Code: Set, Flags: Get | KeepTTL, Value: []byte("v")}, value: []byte("old"), expiry: 5000,
			action: Put, stored: "v", expires: 5000, res: Result{Wrote: true, Found: true, Old: []byte("old")}},
		{name: "getset", op: Op{Code: GetSet, Value: []byte("v")}, value: []byte("old"), expiry: 5000,
			action: Put, stored: "v", res: Result{Wrote: true, Found: true, Old: []byte("old")}},
		{name: "getdel none", op: Op{Code: GetDel}, action: Keep},
		{name: "getdel", op: Op{Code: GetDel}, value: []byte("old"), action: Delete, res: Result{Wrote: true, Found: true, Old: []byte("old")}},
		{name: "getex persist without ttl", op: Op{Code: GetEx, Flags: PersistTTL}, value: []byte("x"), action: Keep, res: Result{Found: true, Old: []byte("x")}},
		{name: "getex ex", op: Op{Code: GetEx, Expiry: 9000}, value: []byte("x"), action: Put, stored: "x", expires: 9000,
			res: Result{Wrote: true, Found: true, Old: []byte("x")}},
		{name: "getex bad expiry on none", op: Op{Code: GetEx, Flags: BadExpiry}, action: Keep},
		{name: "getex bad expiry", op: Op{Code: GetEx, Flags: BadExpiry}, value: []byte("x"), err: ErrInvalidExpire("getex")},
		{name: "getex not an integer", op: Op{Code: GetEx, Flags: BadInteger}, value: []byte("x"), err: ErrNotInteger},
		{name: "append keeps ttl", op: Op{Code: Append, Value: []byte("cd"), MaxValue: 10}, value: []byte("ab"), expiry: 5000,
			action: Put, stored: "abcd", expires: 5000, res: Result{Wrote: true, Found: true, N: 4}},
		{name: "append too large", op: Op{Code: Append, Value: []byte("cd"), MaxValue: 3}, value: []byte("ab"), err: ErrStringTooLarge},
		{name: "setrange pads", op: Op{Code: SetRange, Int: 3, Value: []byte("z"), MaxValue: 10}, value: []byte("a"),
			action: Put, stored: "a\x00\x00z", res: Result{Wrote: true, Found: true, N: 4}},
		{name: "setrange empty", op: Op{Code: SetRange, Int: 3, MaxValue: 10}, value: []byte("abc"), action: Keep, res: Result{Found: true, N: 3}},
		{name: "setrange offset near 2^63", op: Op{Code: SetRange, Int: math.MaxInt64 - 1, Value: []byte("zz"), MaxValue: 10}, err: ErrStringTooLarge},
		{name: "incrby a string", op: Op{Code: IncrBy, Int: 5}, value: []byte("10"), res: Result{Wrote: true, Found: true, Text: "15"}, action: Put},
		{name: "incrby overflow", op: Op{Code: IncrBy, Int: 1}, value: []byte("9223372036854775807"), err: ErrOverflow},
		{name: "incrby not a number", op: Op{Code: IncrBy, Int: 1}, value: []byte("x"), err: ErrNotInteger},
		{name: "incrbyfloat not a number", op: Op{Code: IncrByFloat, Float: 1}, value: []byte("x"), err: ErrNotFloat},
		{name: "incrbyfloat", op: Op{Code: IncrByFloat, Float: 0.5}, res: Result{Wrote: true, Text: "0.5"}, action: Put},
		{name: "del none", op: Op{Code: Del}, action: Keep},
		{name: "del", op: Op{Code: Del}, value: []byte("x"), action: Delete, res: Result{Wrote: true, Found: true}},
		{name: "expire in the past deletes", op: Op{Code: Expire, Expiry: -5}, value: []byte("x"), action: Delete, res: Result{Wrote: true, Found: true}},
		{name: "expire gt without ttl", op: Op{Code: Expire, Flags: GT, Expiry: 9000}, value: []byte("x"), action: Keep, res: Result{Found: true}},
		{name: "expire lt without ttl", op: Op{Code: Expire, Flags: LT, Expiry: 9000}, value: []byte("x"), action: Put, stored: "x", expires: 9000,
			res: Result{Wrote: true, Found: true}},
		{name: "expire nx with ttl", op: Op{Code: Expire, Flags: NX, Expiry: 9000}, value: []byte("x"), expiry: 5000, action: Keep, res: Result{Found: true}},
		{name: "persist", op: Op{Code: Persist}, value: []byte("x"), expiry: 5000, action: Put, stored: "x", res: Result{Wrote: true, Found: true}},
		{name: "persist without ttl", op: Op{Code: Persist}, value: []byte("x"), action: Keep, res: Result{Found: true}},
		{name: "an expired key is none", op: Op{Code: Set, Flags: NX, Value: []byte("v")}, value: []byte("old"), expiry: now,
			action: Put, stored: "v", res: Result{Wrote: true}},
	} {
		st := stateOf(tc.value, tc.expiry, now)
		ch, res, err := tc.op.Apply(st)
		if tc.err != nil || err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: error %v, want %v", tc.name, err, tc.err)
			}
			continue
		}
		if ch.Action != tc.action {
			t.Errorf("%s: action %d, want %d", tc.name, ch.Action, tc.action)
		}
		if ch.Action == Put && tc.stored != "" && (ch.Kind != version.KindBytes || string(ch.Value) != tc.stored || ch.Expiry != tc.expires) {
			t.Errorf("%s: stores %q (kind %d) expiring %d, want %q expiring %d", tc.name, ch.Value, ch.Kind, ch.Expiry, tc.stored, tc.expires)
		}
		if ch.Action != Keep && !ch.Context.Equal(st.Object.Clock) {
			t.Errorf("%s: context %v, want the state's whole clock %v", tc.name, ch.Context, st.Object.Clock)
		}
		if res.Wrote != tc.res.Wrote || res.Found != tc.res.Found || !bytes.Equal(res.Old, tc.res.Old) || res.N != tc.res.N || res.Text != tc.res.Text {
			t.Errorf("%s: result %+v, want %+v", tc.name, res, tc.res)
		}
	}
}

func TestVSetAndVDelSupersedeTheirContextOnly(t *testing.T) {
	st := stateOf([]byte("x"), 0, 1000)
	other := version.Clock{{Actor: nodeB, Counter: 0}}
	ch, res, err := (&Op{Code: VSet, Value: []byte("v"), Context: other}).Apply(st)
	if err != nil || ch.Action != Put || !ch.Context.Equal(other) || !res.Wrote {
		t.Fatalf("VSET: %+v %+v %v", ch, res, err)
	}
	if ch, res, _ := (&Op{Code: VDel, Context: other}).Apply(st); ch.Action != Keep || res.Wrote {
		t.Fatalf("VDEL of a context that covers no live version: %+v", ch)
	}
	if ch, _, _ := (&Op{Code: VDel, Context: st.Object.Clock}).Apply(st); ch.Action != Delete {
		t.Fatalf("VDEL of the whole context: %+v", ch)
	}
}

func TestBlind(t *testing.T) {
	for _, tc := range []struct {
		op    Op
		blind bool
	}{
		{Op{Code: Set}, true},
		{Op{Code: Set, Expiry: 5}, true},
		{Op{Code: Set, Flags: NX}, false},
		{Op{Code: Set, Flags: Get}, false},
		{Op{Code: Set, Flags: KeepTTL}, false},
		{Op{Code: VSet}, true},
		{Op{Code: IncrBy}, false},
		{Op{Code: Del}, false},
	} {
		if got := tc.op.Blind(); got != tc.blind {
			t.Errorf("%v flags %#x: blind %v, want %v", tc.op.Code, tc.op.Flags, got, tc.blind)
		}
	}
}

// goldenOp is TestGoldenEncoding's Op in its binary form: code 1, flags
// 0x11, key "k", value "v", int -1, float 1.5, expiry 1000, the context
// (version's clock form), max value 512, no fields, no values.
const goldenOp = "01" + "11" + "016b" + "0176" + "01" + "3ff8000000000000" + "d00f" +
	"0c" + "010100000000000000070103" + "8008" + "00" + "00"

// goldenHSet is HSET k f1 a f2 b: code 14, the zero numbers, two fields,
// two values.
const goldenHSet = "0e" + "00" + "016b" + "00" + "00" + "0000000000000000" + "00" +
	"00" + "00" + "02" + "026631" + "026632" + "02" + "0161" + "0162"

// The binary form travels between nodes of different releases: its bytes
// never change for a given Op.
func TestGoldenEncoding(t *testing.T) {
	o := Op{Code: Set, Flags: NX | Get, Key: []byte("k"), Value: []byte("v"), Int: -1, Float: 1.5, Expiry: 1000, MaxValue: 512,
		Context: version.Clock{{Actor: version.Actor{Node: 7, Epoch: 1}, Counter: 3}}}
	got := hex.EncodeToString(o.AppendBinary(nil))
	r := wire.NewReader(o.AppendBinary(nil))
	back := Read(&r)
	if err := r.Done(); err != nil {
		t.Fatalf("reading back %s: %v", got, err)
	}
	if back.Code != o.Code || back.Flags != o.Flags || string(back.Key) != "k" || string(back.Value) != "v" || back.Int != -1 ||
		back.Float != 1.5 || back.Expiry != 1000 || back.MaxValue != 512 || !back.Context.Equal(o.Context) {
		t.Fatalf("round trip: %+v, want %+v", back, o)
	}
	if got != goldenOp {
		t.Errorf("encoding %s, want %s (the format changed: nodes of other releases cannot read it)", got, goldenOp)
	}
	hset := Op{Code: HSet, Key: []byte("k"), Fields: [][]byte{[]byte("f1"), []byte("f2")}, Values: [][]byte{[]byte("a"), []byte("b")}}
	if got := hex.EncodeToString(hset.AppendBinary(nil)); got != goldenHSet {
		t.Errorf("HSET encoding %s, want %s", got, goldenHSet)
	}
	r = wire.NewReader(hset.AppendBinary(nil))
	if back := Read(&r); r.Done() != nil || back.Code != HSet || len(back.Fields) != 2 || string(back.Values[1]) != "b" {
		t.Errorf("HSET round trip: %+v (%v)", back, r.Err())
	}

	res := Result{Wrote: true, Found: true, Old: []byte("o"), N: -2, Text: "12"}
	rb := res.AppendBinary(nil)
	if h := hex.EncodeToString(rb); h != "07"+"016f"+"03"+"023132" {
		t.Errorf("result encoding %s", h)
	}
	rr := wire.NewReader(rb)
	if back := ReadResult(&rr); rr.Done() != nil || !back.Wrote || !back.Found || string(back.Old) != "o" || back.N != -2 || back.Text != "12" {
		t.Fatalf("result round trip: %+v", back)
	}
	// A Result without an old value keeps none (not an empty one).
	rr = wire.NewReader((&Result{Found: true}).AppendBinary(nil))
	if back := ReadResult(&rr); back.Old != nil || !back.Found {
		t.Fatalf("result without old: %+v", back)
	}
}

func TestReadRefusesUnknownCodesAndFlags(t *testing.T) {
	for name, o := range map[string]Op{"code 0": {Code: 0}, "code 200": {Code: 200}} {
		r := wire.NewReader(o.AppendBinary(nil))
		Read(&r)
		if !errors.Is(r.Err(), ErrMalformed) {
			t.Errorf("%s: %v", name, r.Err())
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add((&Op{Code: Set, Key: []byte("k"), Value: []byte("v")}).AppendBinary(nil))
	f.Add((&Op{Code: VDel, Key: []byte("k"), Context: version.Clock{{Actor: nodeA, Counter: 2}}}).AppendBinary(nil))
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := wire.NewReader(b)
		o := Read(&r)
		if r.Err() != nil {
			return
		}
		again := o.AppendBinary(nil)
		r2 := wire.NewReader(again)
		o2 := Read(&r2)
		if r2.Err() != nil || !bytes.Equal(o2.AppendBinary(nil), again) {
			t.Fatalf("re-reading %x: %v", again, r2.Err())
		}
		// Applying any well-formed Op to any state must not panic.
		_, _, _ = o.Apply(stateOf([]byte("12"), 0, 1000))
		_, _, _ = o.Apply(stateOf(nil, 0, 1000))
	})
}
