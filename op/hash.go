package op

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/dynago/dynago/counter"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// A hash is stored as records of two sorts (docs/design.md 3.9), and so is
// a set, whose members are fields without values (KindSet headers,
// KindMember records, the same rules):
//
//   - its header, the record at the key itself: a sibling of KindHash whose
//     value lists the hash's incarnations, with the hash's expiry. A key
//     written as a string and as a hash holds siblings of both sorts; the
//     newest decides the key's type, as the newest string decides GET.
//   - one record per field, at the field's element key
//     (partition.ElementKey): siblings of KindField (a value) or
//     KindFieldCounter (a convergent counter, HINCRBY), each tagged with the
//     incarnation it was written in.
//
// An incarnation names one life of the hash: the first HSET of a key that
// holds no hash starts one, named after that write's dot. A field counts only
// if its incarnation is one of the header's live ones, so when a hash expires
// or its header is removed, its fields are gone with it, on every replica,
// without touching them; a later hash starts a new incarnation and never
// sees them again (dots never repeat). Two nodes that start a hash at once
// make two incarnations; the header keeps both until the hash ends.
//
// Each field record is a register with observed-remove semantics: HSET
// supersedes the versions of the field its coordinator saw, HDEL deletes
// exactly those, so a concurrent HSET (a version HDEL did not see) survives
// (add wins). Concurrent values of a field resolve by the newest write time,
// ties by actor, as GET's siblings do; counter versions merge (every
// increment counts). DEL or an overwrite of a hash deletes every field
// version it saw, and the header.

// Type is what a key holds, as TYPE names it.
type Type uint8

const (
	TypeNone Type = iota
	TypeString
	TypeHash
	TypeSet
	TypeZSet
)

func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeHash:
		return "hash"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	}
	return "none"
}

// headerKind is the kind of the header siblings of a collection of type t.
func headerKind(t Type) version.Kind {
	switch t {
	case TypeSet:
		return version.KindSet
	case TypeZSet:
		return version.KindZSet
	}
	return version.KindHash
}

// IsHeaderKind reports whether k is the kind of a collection's header
// sibling.
func IsHeaderKind(k version.Kind) bool {
	return k == version.KindHash || k == version.KindSet || k == version.KindZSet
}

// ErrWrongType is Redis's error for a command on a key of another type.
const ErrWrongType = Error("WRONGTYPE Operation against a key holding the wrong kind of value")

// headerFormat is the first byte of a header sibling's value (KindHash,
// KindSet).
const headerFormat = 1

// Incarnation returns the incarnation a hash started by the write with dot
// d is named by: a 64-bit mix of the dot, unique as dots are (a collision
// takes 2^32 hashes started in one key).
func Incarnation(d version.Dot) uint64 {
	h := mix(d.Actor.Node ^ mix(uint64(d.Actor.Epoch)))
	return mix(h ^ d.Counter)
}

// mix is SplitMix64's finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// encodeHeader is a header sibling's value: the format, then the sorted
// incarnations.
//
//	format        byte (1)
//	incarnations  uvarint count, then 8 bytes each, big-endian, ascending
func encodeHeader(incs []uint64) []byte {
	b := make([]byte, 0, 2+8*len(incs))
	b = wire.AppendByte(b, headerFormat)
	b = wire.AppendUvarint(b, uint64(len(incs)))
	for _, i := range incs {
		b = wire.AppendUint64(b, i)
	}
	return b
}

// ErrMalformedHash is the error of a stored hash record that cannot be read.
var ErrMalformedHash = errors.New("op: malformed hash record")

func decodeHeader(v []byte) ([]uint64, error) {
	r := wire.NewReader(v)
	if f := r.Byte(); r.Err() == nil && f != headerFormat {
		return nil, fmt.Errorf("%w: format %d", ErrMalformedHash, f)
	}
	n := r.Count(8)
	incs := make([]uint64, 0, n)
	for range n {
		incs = append(incs, r.Uint64())
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	return incs, nil
}

// A field sibling's value is its incarnation (8 bytes, big-endian), then the
// field's bytes (KindField) or its counter's binary form (KindFieldCounter).
func fieldValue(inc uint64, payload []byte) []byte {
	b := make([]byte, 0, 8+len(payload))
	return append(wire.AppendUint64(b, inc), payload...)
}

func splitField(v []byte) (uint64, []byte, error) {
	r := wire.NewReader(v)
	inc := r.Uint64()
	if r.Err() != nil {
		return 0, nil, fmt.Errorf("%w: field of %d bytes", ErrMalformedHash, len(v))
	}
	return inc, r.Rest(), nil
}

// Collection is what a key's header resolves to when the key holds a hash
// or a set.
type Collection struct {
	Type         Type     // TypeHash or TypeSet
	Incarnations []uint64 // sorted; the union over the live header siblings of its type
	Expiry       int64    // the newest such sibling's; 0 = never
}

// Live reports whether elements of incarnation inc count.
func (h *Collection) Live(inc uint64) bool {
	_, ok := slices.BinarySearch(h.Incarnations, inc)
	return ok
}

// headerMerge merges the header siblings of one collection type into the
// collection they describe (Resolve).
type headerMerge struct {
	typ    Type
	incs   []uint64
	newest version.Sibling
}

func (m *headerMerge) add(s version.Sibling) error {
	incs, err := decodeHeader(s.Value)
	if err != nil {
		return fmt.Errorf("%s header of %v: %w", m.typ, s.Dot, err)
	}
	m.incs = append(m.incs, incs...)
	if m.newest.Dot.Counter == 0 || newer(s.Time, s.Dot, m.newest.Time, m.newest.Dot) {
		m.newest = s
	}
	return nil
}

// collection is the merged collection, nil when no sibling was added.
func (m *headerMerge) collection() *Collection {
	if m.newest.Dot.Counter == 0 {
		return nil
	}
	slices.Sort(m.incs)
	return &Collection{Type: m.typ, Incarnations: slices.Compact(m.incs), Expiry: m.newest.Expiry}
}

// Field is the value a hash field resolves to.
type Field struct {
	Bytes   []byte         // the value; a counter rendered as Redis would
	Counter *counter.State // the merged counter, when the field is one
	Dot     version.Dot
	Time    int64
}

// ResolveField picks the value of a field (or whether a set's member is
// there, or a sorted-set member's score: Bytes is then its ScoreBytes) among
// its record's siblings: only those of h's incarnations count; counter
// versions merge; then the newest write wins, ties broken by actor, as for
// a string (Resolve).
func ResolveField(o version.Object, h *Collection) (Field, bool, error) {
	var best Field
	found := false
	var counters counterMerge
	scores := false
	for _, s := range o.Siblings {
		switch s.Kind {
		case version.KindField, version.KindFieldCounter, version.KindMember:
		case version.KindScore, version.KindScoreCounter:
			scores = true
		default:
			return Field{}, false, fmt.Errorf("%w: field sibling of kind %d", ErrMalformedHash, s.Kind)
		}
		inc, payload, err := splitField(s.Value)
		if err != nil {
			return Field{}, false, err
		}
		if h == nil || !h.Live(inc) {
			continue
		}
		if s.Kind != version.KindFieldCounter && s.Kind != version.KindScoreCounter {
			if !found || newer(s.Time, s.Dot, best.Time, best.Dot) {
				best, found = Field{Bytes: payload, Dot: s.Dot, Time: s.Time}, true
			}
			continue
		}
		if err := counters.add(s, payload); err != nil {
			return Field{}, false, err
		}
	}
	if c := counters.merged; c != nil && (!found || newer(counters.newest.Time, counters.newest.Dot, best.Time, best.Dot)) {
		best = Field{Bytes: []byte(c.String()), Counter: c, Dot: counters.newest.Dot, Time: counters.newest.Time}
		if scores {
			best.Bytes = ScoreBytes(c.Float64())
		}
		found = true
	}
	if found && scores && len(best.Bytes) != 8 {
		return Field{}, false, fmt.Errorf("%w: score of %d bytes", ErrMalformedHash, len(best.Bytes))
	}
	return best, found, nil
}

// Incarnations returns the incarnations of an element record's siblings
// (a hash field's, a set's or a sorted set's member's), distinct and in
// order: the record is live in a collection exactly when one of them is
// (ResolveField). ok is false for a record with no sibling (a tombstone)
// or one that is not an element's.
func Incarnations(o version.Object) (incs []uint64, ok bool) {
	for _, s := range o.Siblings {
		switch s.Kind {
		case version.KindField, version.KindFieldCounter, version.KindMember, version.KindScore, version.KindScoreCounter:
		default:
			return nil, false
		}
		inc, _, err := splitField(s.Value)
		if err != nil {
			return nil, false
		}
		incs = append(incs, inc)
	}
	if len(incs) == 0 {
		return nil, false
	}
	slices.Sort(incs)
	return slices.Compact(incs), true
}

// HashState is what a hash command's write decides from: the key's header
// record and the record of each field the command names (in the order of
// Op.HashFields), all seen at the same instant, with the one dot the write
// will carry (State.Dot of Header). More says whether a live field the
// command does not name exists, which decides whether HDEL of the named
// ones empties the hash.
type HashState struct {
	Header State
	Fields []State
	More   bool
	// Alone says the node deciding is the key's only replica: what it
	// holds is the whole truth (SPOP need not find every header version
	// in a member record before it deletes the header; SADD and ZADD of a
	// member as it is write nothing).
	Alone bool
}

// HashChange is a hash write's decision: a change of the header and one of
// each named field's record.
type HashChange struct {
	Header Change
	Fields []Change
}

// Writes reports whether the decision changes any record.
func (c *HashChange) Writes() bool {
	if c.Header.Action != Keep {
		return true
	}
	for _, f := range c.Fields {
		if f.Action != Keep {
			return true
		}
	}
	return false
}

// HashFields returns the distinct fields the op names, in the order they
// first appear: the records its HashState holds.
func (o *Op) HashFields() [][]byte {
	out := make([][]byte, 0, len(o.Fields))
	seen := make(map[string]bool, len(o.Fields))
	for _, f := range o.Fields {
		if !seen[string(f)] {
			seen[string(f)] = true
			out = append(out, f)
		}
	}
	return out
}

// IsCollection reports whether the code is a hash, set or sorted set
// command's that names its elements, decided by ApplyHash.
func (c Code) IsCollection() bool {
	return c >= HSet && c <= SRem || c >= ZAdd && c <= ZRem
}

// Removes reports whether the code only takes elements out of its key's
// collection, chosen by the write itself (SPOP, ZPOPMIN/MAX and the
// ZREMRANGEBY* family): on a key with no collection it does nothing.
func (c Code) Removes() bool { return c == SPop || c == ZRemRange }

// collection is the type of key a collection code writes.
func (c Code) collection() Type {
	switch c {
	case SAdd, SRem, SPop, SStore:
		return TypeSet
	case ZAdd, ZIncrBy, ZRem, ZRemRange, ZStore:
		return TypeZSet
	}
	return TypeHash
}

// ApplyHash decides a hash or set command's write (HSET, HSETNX, HDEL,
// HINCRBY, HINCRBYFLOAT; SADD, SREM) from st: a set is stored as a hash is,
// a member as a field without a value. Result.N is what HSET, HSETNX,
// HDEL, SADD and SREM answer (fields or members added, set, removed);
// Result.Text the field's new value for the increments.
func (o *Op) ApplyHash(st *HashState) (HashChange, Result, error) {
	ch := HashChange{Fields: make([]Change, len(st.Fields))}
	v, found, err := st.Header.Value()
	if err != nil {
		return ch, Result{}, err
	}
	want := o.Code.collection()
	if found && v.Type != want {
		return ch, Result{}, ErrWrongType
	}
	hash := v.Collection
	res := Result{Found: found}
	if !found {
		hash = nil
	}
	current := make([]Field, len(st.Fields))
	present := make([]bool, len(st.Fields))
	for i := range st.Fields {
		if current[i], present[i], err = ResolveField(st.Fields[i].Object, hash); err != nil {
			return ch, Result{}, err
		}
	}
	if o.Code == HDel || o.Code == SRem || o.Code == ZRem {
		return o.hashDelete(st, hash, present, ch, res)
	}
	if o.Flags&BadFloat != 0 {
		// An increment beyond float64: refused, after the field's own
		// value is checked, as Redis would check it.
		if cur := current[0]; present[0] && cur.Counter == nil {
			if _, err := counter.FromValue(cur.Dot, cur.Time, cur.Bytes); err != nil || len(cur.Bytes) == 0 {
				return ch, Result{}, ErrHashNotFloat
			}
		}
		return ch, Result{}, ErrNotFloat
	}
	// Every other code writes fields: into the hash's newest incarnation,
	// or a new one if the key holds no hash.
	if hash == nil {
		hash = &Collection{Type: want, Incarnations: []uint64{Incarnation(st.Header.Dot)}}
	}
	inc := hash.Incarnations[len(hash.Incarnations)-1]
	index := make(map[string]int, len(st.Fields))
	for i, f := range o.HashFields() {
		index[string(f)] = i
	}
	switch o.Code {
	case HSet:
		// Pairs are applied in order, so the last value of a field named
		// twice is the one stored.
		value := make([][]byte, len(st.Fields))
		for j, f := range o.Fields {
			value[index[string(f)]] = o.Values[j]
		}
		for i := range st.Fields {
			if o.Flags&NX != 0 && present[i] {
				continue
			}
			if !present[i] {
				res.N++
			}
			fs := &st.Fields[i]
			ch.Fields[i] = fs.Put(version.KindField, fieldValue(inc, value[i]), 0)
		}
	case SAdd:
		// A member already there is added again, a new version that
		// supersedes the ones seen (the reply counts only new members,
		// as in Redis): an SREM of it made concurrently elsewhere, which
		// did not see this add, does not take it away (add wins).
		for i := range st.Fields {
			if !present[i] {
				res.N++
			}
			ch.Fields[i] = st.Fields[i].Put(version.KindMember, fieldValue(inc, nil), 0)
		}
	case HIncrBy, HIncrByFloat:
		if len(st.Fields) != 1 {
			return ch, Result{}, fmt.Errorf("%w: %s of %d fields", ErrMalformed, o.Code, len(st.Fields))
		}
		c, err := o.fieldIncrement(&st.Fields[0], current[0], present[0], &res)
		if err != nil {
			return ch, Result{}, err
		}
		ch.Fields[0] = Change{Action: Put, Context: st.Fields[0].Object.Clock, Kind: version.KindFieldCounter, Value: fieldValue(inc, c)}
	case ZAdd:
		if err := o.zadd(st, current, present, index, inc, &ch, &res); err != nil {
			return ch, Result{}, err
		}
	case ZIncrBy:
		if len(st.Fields) != 1 {
			return ch, Result{}, fmt.Errorf("%w: %s of %d fields", ErrMalformed, o.Code, len(st.Fields))
		}
		if err := o.zincrby(&st.Fields[0], current[0], present[0], inc, &ch.Fields[0], &res); err != nil {
			return ch, Result{}, err
		}
	default:
		return ch, Result{}, fmt.Errorf("%w: %s is not a hash code", ErrMalformed, o.Code)
	}
	if st.Alone && (o.Code == SAdd || o.Code == ZAdd) {
		// On the key's only replica a member added again, at the score
		// it has, changes nothing anyone can see, and Redis counts it as
		// no change (a WATCH of the key is not touched): nothing is
		// written. Written, every such add left one more version of the
		// record for a walk of the collection to step over until Pebble
		// compacted them (SPOP after 20,000 SADDs of one member took 20 ms).
		// With replicas the add is written, so that an SREM made
		// concurrently elsewhere does not take it away (add wins).
		for i := range ch.Fields {
			if sameAsStored(st.Fields[i].Object, ch.Fields[i]) {
				ch.Fields[i] = Change{}
			}
		}
	}
	if ch.Writes() {
		ch.Header = st.Header.Put(headerKind(want), encodeHeader(hash.Incarnations), hash.Expiry)
	}
	res.Wrote = ch.Writes()
	return ch, res, nil
}

// sameAsStored reports whether c puts into a record exactly what o
// already holds, its one version (siblings are not collapsed into one).
func sameAsStored(o version.Object, c Change) bool {
	if c.Action != Put || len(o.Siblings) != 1 {
		return false
	}
	s := o.Siblings[0]
	return s.Kind == c.Kind && s.Expiry == c.Expiry && bytes.Equal(s.Value, c.Value)
}

// hashDelete is HDEL: each named field that is present loses the versions
// seen of it; the header goes too when no live field is left.
func (o *Op) hashDelete(st *HashState, hash *Collection, present []bool, ch HashChange, res Result) (HashChange, Result, error) {
	if hash == nil {
		return ch, res, nil
	}
	left := st.More
	for i := range st.Fields {
		if present[i] {
			ch.Fields[i] = st.Fields[i].Delete()
			res.N++
		}
	}
	if res.N == 0 {
		return ch, res, nil
	}
	if left {
		ch.Header = st.Header.Put(headerKind(hash.Type), encodeHeader(hash.Incarnations), hash.Expiry)
	} else {
		ch.Header = st.Header.Delete()
	}
	res.Wrote = true
	return ch, res, nil
}

// The errors of HINCRBY and HINCRBYFLOAT on a field that holds no number.
const (
	ErrHashNotInteger = Error("ERR hash value is not an integer")
	ErrHashNotFloat   = Error("ERR hash value is not a float")
)

// fieldIncrement adds this node's contribution to the field's convergent
// counter and returns the counter's binary form.
func (o *Op) fieldIncrement(fs *State, cur Field, present bool, res *Result) ([]byte, error) {
	float := o.Code == HIncrByFloat
	var cs counter.State
	var err error
	switch {
	case !present:
		cs, err = counter.FromValue(version.Dot{}, 0, nil)
	case cur.Counter != nil:
		cs = *cur.Counter
	case len(cur.Bytes) == 0:
		err = counter.ErrNotNumber
	default:
		cs, err = counter.FromValue(cur.Dot, cur.Time, cur.Bytes)
	}
	if err == nil {
		if float {
			cs, err = cs.IncrByFloat(fs.Dot.Actor, fs.Dot.Counter, o.Float)
		} else {
			cs, err = cs.IncrBy(fs.Dot.Actor, fs.Dot.Counter, o.Int)
		}
	}
	if err != nil {
		switch err := counterError(err, float); err {
		case ErrNotFloat:
			return nil, ErrHashNotFloat
		case ErrNotInteger:
			return nil, ErrHashNotInteger
		default:
			return nil, err
		}
	}
	res.Text = cs.String()
	return cs.AppendBinary(nil), nil
}

// DeleteHash is the decision of DEL (or of an overwrite) on a key that holds
// a hash: every version seen of every field goes, and the header (which an
// overwrite then replaces).
func DeleteHash(st *HashState) HashChange {
	ch := HashChange{Header: st.Header.Delete(), Fields: make([]Change, len(st.Fields))}
	for i := range st.Fields {
		if !st.Fields[i].Object.IsTombstone() && len(st.Fields[i].Object.Clock) > 0 {
			ch.Fields[i] = st.Fields[i].Delete()
		}
	}
	return ch
}

// ResolveCollection resolves a hash or set (want) read whole, its header
// (found says whether there is one) and its element records by element (a
// field's name, a member), to its live elements' values (a member's is
// empty); nil when the key holds nothing of want's type, ErrWrongType when
// it holds another type.
func ResolveCollection(want Type, header version.Object, found bool, elems map[string]version.Object, nowMs int64) (map[string][]byte, error) {
	if !found {
		return nil, nil
	}
	v, live, err := Resolve(header, nowMs)
	switch {
	case err != nil:
		return nil, err
	case !live:
		return nil, nil
	case v.Type != want:
		return nil, ErrWrongType
	}
	out := make(map[string][]byte, len(elems))
	for name, o := range elems {
		f, ok, err := ResolveField(o, v.Collection)
		if err != nil {
			return nil, err
		}
		if ok {
			out[name] = f.Bytes
		}
	}
	return out, nil
}

// ApplyPop decides SPOP from st, which holds every member record of the set
// (read whole at quorum) in Fields, names[i] being Fields[i]'s member: it
// removes one member, or Int of them with WithCount, chosen at random (from
// the write's dot, so the decision is the coordinator's alone). The header
// goes with the last member, when every header version is accounted for by
// a member record (as HDEL's is: see coordinator's writesSeen).
func (o *Op) ApplyPop(st *HashState, names [][]byte) (HashChange, Result, error) {
	ch := HashChange{Fields: make([]Change, len(st.Fields))}
	res := Result{}
	if o.Flags&WithCount != 0 {
		res.Elems = [][]byte{}
	}
	v, found, err := st.Header.Value()
	if err != nil || !found {
		return ch, res, err
	}
	if v.Type != TypeSet {
		return ch, Result{}, ErrWrongType
	}
	res.Found = true
	var live []int
	for i := range st.Fields {
		if _, ok, err := ResolveField(st.Fields[i].Object, v.Collection); err != nil {
			return ch, Result{}, err
		} else if ok {
			live = append(live, i)
		}
	}
	n := 1
	if o.Flags&WithCount != 0 {
		n = int(min(o.Int, int64(len(live))))
	}
	n = min(n, len(live))
	if n == 0 {
		return ch, res, nil
	}
	r := rand.New(rand.NewPCG(st.Header.Dot.Actor.Node^st.Header.Dot.Counter, st.Header.Dot.Counter))
	r.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	for _, i := range live[:n] {
		res.Elems = append(res.Elems, names[i])
	}
	deleteElements(st, v.Collection, live[:n], n == len(live) && !st.More, &ch)
	res.Wrote, res.N = true, int64(n)
	return ch, res, nil
}

// ApplyStore decides SStore and HStore from st, which holds the key's
// header and, in Fields, the record of every element the key held (read
// whole at quorum) and of every element it is to hold, names[i] being
// Fields[i]'s element: the key becomes a new set (or hash), in a new
// incarnation, of exactly o.Fields (with o.Values), expiring at o.Expiry;
// whatever it held before (a string, a hash's fields, a set's members) is
// deleted with the versions seen of it, as DEL deletes it.
func (o *Op) ApplyStore(st *HashState, names [][]byte) (HashChange, Result, error) {
	ch := HashChange{Fields: make([]Change, len(st.Fields))}
	res := Result{N: int64(len(o.HashFields())), Wrote: true}
	want := make(map[string]int, len(o.Fields))
	for j, m := range o.Fields {
		want[string(m)] = j
	}
	typ := o.Code.collection()
	inc := Incarnation(st.Header.Dot)
	for i := range st.Fields {
		j, ok := want[string(names[i])]
		switch {
		case ok && typ == TypeHash:
			ch.Fields[i] = st.Fields[i].Put(version.KindField, fieldValue(inc, o.Values[j]), 0)
		case ok && typ == TypeZSet:
			ch.Fields[i] = st.Fields[i].Put(version.KindScore, fieldValue(inc, o.Values[j]), 0)
		case ok:
			ch.Fields[i] = st.Fields[i].Put(version.KindMember, fieldValue(inc, nil), 0)
		case len(st.Fields[i].Object.Clock) > 0 && !st.Fields[i].Object.IsTombstone():
			ch.Fields[i] = st.Fields[i].Delete()
		}
	}
	switch {
	case len(want) > 0:
		ch.Header = st.Header.Put(headerKind(typ), encodeHeader([]uint64{inc}), o.Expiry)
	case len(st.Header.Object.Clock) > 0 && !st.Header.Object.IsTombstone():
		ch.Header = st.Header.Delete()
	}
	res.Wrote = ch.Writes()
	return ch, res, nil
}
