// Package op holds the typed operations a client's write command becomes.
//
// A Redis command that changes a key is parsed once, in package resp, into
// an Op: what to do (its Code), to which key, with which arguments, all
// already checked. From there it is data, not text: the coordinator that
// decides it may be this node or another one (the Op travels between nodes
// in its binary form, below), and whichever it is calls Apply with the key's
// current state to learn the Change to store and the Result to answer with.
// Apply is pure: it depends on the State it is given and nothing else, so
// every node decides an Op the same way.
//
// The package also owns what a write decides with (State, Change) and how a
// key's sibling versions resolve to the one value a Redis read answers
// (Value, Resolve).
package op

import (
	"errors"
	"fmt"
	"math"

	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// Code says what an Op does. Codes are part of the internode format: a
// number, once given, is never reused for another operation.
type Code uint8

const (
	// Set stores Value (SET and its forms: SETNX, SETEX, PSETEX, MSET),
	// under the conditions of Flags (NX, XX, GET, KEEPTTL), with Expiry.
	Set Code = 1
	// GetSet stores Value with no expiry and answers the value before.
	GetSet Code = 2
	// GetDel deletes the key and answers its value.
	GetDel Code = 3
	// GetEx answers the value and gives it Expiry (or none, with Persist).
	GetEx Code = 4
	// Append appends Value to the string.
	Append Code = 5
	// SetRange overwrites the string with Value from offset Int.
	SetRange Code = 6
	// IncrBy adds Int to the key's convergent counter.
	IncrBy Code = 7
	// IncrByFloat adds Float to the key's convergent counter.
	IncrByFloat Code = 8
	// Del deletes the key (DEL and UNLINK, one key each).
	Del Code = 9
	// Expire gives the key the absolute expiry Expiry (unix ms; at or
	// before now deletes it), under the conditions of Flags (NX XX GT LT).
	Expire Code = 10
	// Persist removes the key's expiry.
	Persist Code = 11
	// VSet stores Value superseding exactly the versions in Context
	// (DYNAGO's VSET: a client that read siblings resolves them).
	VSet Code = 12
	// VDel deletes exactly the versions in Context.
	VDel Code = 13
	// HSet sets the hash fields Fields to Values (HSET, HMSET; HSETNX
	// with NX).
	HSet Code = 14
	// HDel deletes the hash fields Fields.
	HDel Code = 15
	// HIncrBy adds Int to the counter of hash field Fields[0].
	HIncrBy Code = 16
	// HIncrByFloat adds Float to the counter of hash field Fields[0].
	HIncrByFloat Code = 17
	// SAdd adds the members Fields to a set.
	SAdd Code = 18
	// SRem removes the members Fields from a set.
	SRem Code = 19
	// SPop removes random members from a set: one, or Int with
	// WithCount.
	SPop Code = 20
	// SStore makes the key a set of exactly the members Fields
	// (SINTERSTORE, SUNIONSTORE, SDIFFSTORE; RENAME and COPY of a set),
	// with Expiry, whatever it held before; no members deletes it.
	SStore Code = 21
	// HStore makes the key a hash of exactly the fields Fields with the
	// values Values, with Expiry (RENAME and COPY of a hash), whatever it
	// held before.
	HStore Code = 22
	// ZAdd sets the scores Values (ScoreBytes) of the sorted-set members
	// Fields (ZADD), under the conditions of Flags (NX XX GT LT; Changed
	// counts updated members too).
	ZAdd Code = 23
	// ZIncrBy adds Float to the score of member Fields[0] (ZINCRBY; ZADD
	// INCR, with its conditions in Flags).
	ZIncrBy Code = 24
	// ZRem removes the members Fields from a sorted set.
	ZRem Code = 25
	// ZRemRange removes the members a range selects (ZREMRANGEBYRANK,
	// ZREMRANGEBYSCORE, ZREMRANGEBYLEX, ZPOPMIN, ZPOPMAX, ZMPOP): Value is
	// the range's binary form (ZRange).
	ZRemRange Code = 26
	// ZStore makes the key a sorted set of exactly the members Fields with
	// the scores Values, with Expiry, whatever it held before (ZRANGESTORE,
	// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE; RENAME and COPY of a sorted
	// set); no members deletes it.
	ZStore Code = 27
	// PFAdd adds the elements Fields to the HyperLogLog at the key
	// (PFADD); Result.N is 1 when it changed or created it.
	PFAdd Code = 28
	// PFMerge merges the HyperLogLog Value (Redis's string form) into the
	// one at the key (PFMERGE's destination).
	PFMerge Code = 29
	// SetBit sets the bit at offset Int of the string to Value[0] (0 or
	// 1); Result.N is the bit before.
	SetBit Code = 30
	// BitField runs BITFIELD's subcommands, Fields (its arguments after
	// the key, parsed again by the deciding node), on the string;
	// Result.Elems holds each subcommand's reply (BitFieldReply).
	BitField Code = 31
)

var codeNames = [...]string{
	Set: "set", GetSet: "getset", GetDel: "getdel", GetEx: "getex", Append: "append",
	SetRange: "setrange", IncrBy: "incrby", IncrByFloat: "incrbyfloat", Del: "del",
	Expire: "expire", Persist: "persist", VSet: "vset", VDel: "vdel",
	HSet: "hset", HDel: "hdel", HIncrBy: "hincrby", HIncrByFloat: "hincrbyfloat",
	SAdd: "sadd", SRem: "srem", SPop: "spop", SStore: "sstore", HStore: "hstore",
	ZAdd: "zadd", ZIncrBy: "zincrby", ZRem: "zrem", ZRemRange: "zremrange", ZStore: "zstore",
	PFAdd: "pfadd", PFMerge: "pfmerge", SetBit: "setbit", BitField: "bitfield",
}

func (c Code) String() string {
	if int(c) < len(codeNames) && codeNames[c] != "" {
		return codeNames[c]
	}
	return fmt.Sprintf("op(%d)", c)
}

// valid reports whether c is a known code.
func (c Code) valid() bool { return int(c) < len(codeNames) && codeNames[c] != "" }

// Flags are an Op's options.
type Flags uint16

const (
	// NX writes only if the key holds no value (SET NX; EXPIRE NX: no TTL).
	NX Flags = 1 << iota
	// XX writes only if the key holds a value (SET XX; EXPIRE XX: a TTL).
	XX
	// GT sets an expiry only if it is later than the current one.
	GT
	// LT sets an expiry only if it is earlier than the current one.
	LT
	// Get answers the value the key held before (SET GET).
	Get
	// KeepTTL keeps the key's expiry (SET KEEPTTL).
	KeepTTL
	// BadExpiry says the expiry given was out of range, and BadInteger
	// that it was not an integer: GETEX answers the error only when the
	// key exists, as Redis does.
	BadExpiry
	BadInteger
	// PersistTTL removes the key's expiry (GETEX PERSIST).
	PersistTTL
	// WithCount says SPOP was given a count (Int), and answers a list.
	WithCount
	// BadFloat says INCRBYFLOAT's increment was not a number: Redis
	// checks the key's type first, so a key of another type answers
	// WRONGTYPE and any other key the float error.
	BadFloat
	// Changed makes ZADD count the members whose score it changed as well
	// as those it added (ZADD CH).
	Changed
)

// Op is one command's write of one key, every argument parsed and checked.
// A command that writes several keys (MSET, DEL) becomes one Op per key.
type Op struct {
	Code  Code
	Flags Flags
	Key   []byte
	// Value is the bytes to store, append or write at an offset.
	Value []byte
	// Int is an increment (IncrBy) or an offset (SetRange).
	Int int64
	// Float is an increment (IncrByFloat).
	Float float64
	// Expiry is an absolute unix-ms expiry; 0 is none.
	Expiry int64
	// Context is the versions a VSet or VDel supersedes.
	Context version.Clock
	// MaxValue bounds the string an Append or SetRange may make (the
	// sending node's --max-value-bytes).
	MaxValue int64
	// Fields are the hash fields a hash code names, and Values (HSet)
	// their new values, pairwise.
	Fields [][]byte
	Values [][]byte
}

// Blind reports whether the Op's change does not depend on the key's
// current value: a plain SET, or a VSET (which names what it supersedes).
// Its coordinator need not read the key at quorum before deciding.
func (o *Op) Blind() bool {
	switch o.Code {
	case Set:
		return o.Flags&(NX|XX|Get|KeepTTL) == 0
	case VSet:
		return true
	}
	return false
}

// Result is what an Op answers, for the command to reply with.
type Result struct {
	// Wrote says the Op changed the key.
	Wrote bool
	// Found says the key held a live value before the Op.
	Found bool
	// Old is that value, for the codes that answer it (GetSet, GetDel,
	// GetEx, Set with Get).
	Old []byte
	// N is a length (Append, SetRange).
	N int64
	// Text is a counter's new value as Redis prints it (IncrBy,
	// IncrByFloat).
	Text string
	// Elems are the members an SPop removed; for a ZRemRange, each
	// member followed by its score (ScoreBytes).
	Elems [][]byte
}

// answersOld reports whether o's Result carries the value before.
func (o *Op) answersOld() bool {
	switch o.Code {
	case GetSet, GetDel, GetEx:
		return true
	case Set:
		return o.Flags&Get != 0
	}
	return false
}

// The binary form of an Op, for the internode messages that carry it:
//
//	code      byte
//	flags     uvarint
//	key       bytes (uvarint length, then the bytes)
//	value     bytes
//	int       varint
//	float     8 bytes, IEEE 754 bits, big-endian
//	expiry    varint
//	context   bytes (version.Clock's binary form; empty for none)
//	max value varint
//	fields    uvarint count, then bytes each
//	values    uvarint count, then bytes each

// AppendBinary appends o's binary form to b.
func (o *Op) AppendBinary(b []byte) []byte {
	b = wire.AppendByte(b, byte(o.Code))
	b = wire.AppendUvarint(b, uint64(o.Flags))
	b = wire.AppendBytes(b, o.Key)
	b = wire.AppendBytes(b, o.Value)
	b = wire.AppendVarint(b, o.Int)
	b = wire.AppendUint64(b, math.Float64bits(o.Float))
	b = wire.AppendVarint(b, o.Expiry)
	var ctx []byte
	if len(o.Context) > 0 {
		ctx = o.Context.AppendBinary(nil)
	}
	b = wire.AppendBytes(b, ctx)
	b = wire.AppendVarint(b, o.MaxValue)
	b = appendList(b, o.Fields)
	return appendList(b, o.Values)
}

func appendList(b []byte, l [][]byte) []byte {
	b = wire.AppendUvarint(b, uint64(len(l)))
	for _, e := range l {
		b = wire.AppendBytes(b, e)
	}
	return b
}

func readList(r *wire.Reader) [][]byte {
	n := r.Count(1)
	if n == 0 {
		return nil
	}
	l := make([][]byte, 0, n)
	for range n {
		l = append(l, r.Bytes())
	}
	return l
}

// argsFit reports whether the op has the fields and values its code needs.
func (o *Op) argsFit() bool {
	switch o.Code {
	case HSet:
		return len(o.Fields) > 0 && len(o.Values) == len(o.Fields)
	case SStore:
		return len(o.Values) == 0
	case HStore, ZStore:
		return len(o.Values) == len(o.Fields)
	case ZAdd:
		return len(o.Fields) > 0 && len(o.Values) == len(o.Fields)
	case HDel, SAdd, SRem, ZRem:
		return len(o.Fields) > 0 && len(o.Values) == 0
	case PFAdd, BitField:
		return len(o.Values) == 0
	case HIncrBy, HIncrByFloat, ZIncrBy:
		return len(o.Fields) == 1 && len(o.Values) == 0
	}
	return len(o.Fields) == 0 && len(o.Values) == 0
}

// ErrMalformed is the error of a binary form that cannot be read.
var ErrMalformed = errors.New("op: malformed operation")

// Read reads an Op's binary form from r; a malformed one leaves r's error
// set.
func Read(r *wire.Reader) Op {
	var o Op
	o.Code = Code(r.Byte())
	flags := r.Uvarint()
	o.Key = r.Bytes()
	o.Value = r.Bytes()
	o.Int = r.Varint()
	o.Float = math.Float64frombits(r.Uint64())
	o.Expiry = r.Varint()
	ctx := r.Bytes()
	o.MaxValue = r.Varint()
	o.Fields = readList(r)
	o.Values = readList(r)
	if r.Err() != nil {
		return Op{}
	}
	if !o.Code.valid() || flags > math.MaxUint16 {
		r.Fail(fmt.Errorf("%w: code %d, flags %#x", ErrMalformed, o.Code, flags))
		return Op{}
	}
	if !o.argsFit() {
		r.Fail(fmt.Errorf("%w: %s with %d fields and %d values", ErrMalformed, o.Code, len(o.Fields), len(o.Values)))
		return Op{}
	}
	o.Flags = Flags(flags)
	if len(ctx) > 0 {
		c, err := version.DecodeClock(ctx)
		if err != nil {
			r.Fail(fmt.Errorf("%w: context: %v", ErrMalformed, err))
			return Op{}
		}
		o.Context = c
	}
	return o
}

// The binary form of a Result:
//
//	flags  byte (1 wrote, 2 found, 4 old follows, 8 elements follow)
//	old    bytes, when flagged
//	n      varint
//	text   bytes
//	elems  uvarint count, then bytes each, when flagged

// AppendBinary appends r's binary form to b.
func (r *Result) AppendBinary(b []byte) []byte {
	var f byte
	if r.Wrote {
		f |= 1
	}
	if r.Found {
		f |= 2
	}
	if r.Old != nil {
		f |= 4
	}
	if r.Elems != nil {
		f |= 8
	}
	b = wire.AppendByte(b, f)
	if r.Old != nil {
		b = wire.AppendBytes(b, r.Old)
	}
	b = wire.AppendVarint(b, r.N)
	b = wire.AppendString(b, r.Text)
	if r.Elems != nil {
		b = appendList(b, r.Elems)
	}
	return b
}

// ReadResult reads a Result's binary form from r.
func ReadResult(r *wire.Reader) Result {
	f := r.Byte()
	res := Result{Wrote: f&1 != 0, Found: f&2 != 0}
	if f&4 != 0 {
		res.Old = r.Bytes()
	}
	res.N = r.Varint()
	res.Text = r.String()
	if f&8 != 0 {
		res.Elems = readList(r)
		if res.Elems == nil {
			res.Elems = [][]byte{}
		}
	}
	if f&^15 != 0 {
		r.Fail(fmt.Errorf("%w: result flags %#x", ErrMalformed, f))
	}
	return res
}
