package op

import (
	"errors"
	"fmt"

	"github.com/dynago/dynago/counter"
	"github.com/dynago/dynago/version"
)

// Error is a Redis error an Op decides (a string too large, an increment
// that overflows); its text reaches the client unchanged, from whichever
// node decided it.
type Error string

func (e Error) Error() string { return string(e) }

// RedisError is the error's Redis text.
func (e Error) RedisError() string { return string(e) }

// The Redis errors an Op may decide, in Redis's words.
const (
	ErrNotInteger     = Error("ERR value is not an integer or out of range")
	ErrNotFloat       = Error("ERR value is not a valid float")
	ErrOverflow       = Error("ERR increment or decrement would overflow")
	ErrNaNOrInf       = Error("ERR increment would produce NaN or Infinity")
	ErrStringTooLarge = Error("ERR string exceeds maximum allowed size (max-value-bytes)")
)

// ErrInvalidExpire is Redis's error for an expiry out of range in the
// command named.
func ErrInvalidExpire(command string) Error {
	return Error("ERR invalid expire time in '" + command + "' command")
}

// Apply decides what o does to its key in state st: the Change to store
// (Keep for none) and what the command answers. An error is the command's
// reply (an Error) or a key that cannot be read.
func (o *Op) Apply(st *State) (Change, Result, error) {
	v, found, err := st.Value()
	if err != nil {
		return Change{}, Result{}, err
	}
	if found && v.Type != TypeString && o.stringOnly() {
		return Change{}, Result{}, ErrWrongType
	}
	if o.Flags&BadFloat != 0 {
		return Change{}, Result{}, ErrNotFloat
	}
	res := Result{Found: found}
	if o.answersOld() && found {
		res.Old = v.Bytes
	}
	ch, err := o.decide(st, v, found, &res)
	if err != nil {
		return Change{}, Result{}, err
	}
	res.Wrote = ch.Action != Keep
	return ch, res, nil
}

// stringOnly reports whether o reads or changes a string value, and so
// answers WRONGTYPE on a key of another type. SET (without GET), DEL and the
// expiry codes work on a key of any type.
func (o *Op) stringOnly() bool {
	switch o.Code {
	case Set:
		return o.Flags&Get != 0
	case Del, Expire, Persist, VSet, VDel:
		return false
	}
	return true
}

func (o *Op) decide(st *State, v Value, found bool, res *Result) (Change, error) {
	switch o.Code {
	case Set:
		if (o.Flags&NX != 0 && found) || (o.Flags&XX != 0 && !found) {
			return Change{}, nil
		}
		expiry := o.Expiry
		if o.Flags&KeepTTL != 0 && found {
			expiry = v.Expiry
		}
		return st.Put(version.KindBytes, o.Value, expiry), nil
	case GetSet:
		return st.Put(version.KindBytes, o.Value, 0), nil
	case GetDel:
		if !found {
			return Change{}, nil
		}
		return st.Delete(), nil
	case GetEx:
		if !found || (o.Flags&PersistTTL != 0 && v.Expiry == 0) {
			return Change{}, nil
		}
		// Redis looks the key up before it checks the expiry, so a
		// missing key answers nil even when the expiry is invalid.
		switch {
		case o.Flags&BadInteger != 0:
			return Change{}, ErrNotInteger
		case o.Flags&BadExpiry != 0:
			return Change{}, ErrInvalidExpire("getex")
		}
		return rewriteExpiry(st, v, o.Expiry), nil
	case Append:
		res.N = int64(len(v.Bytes)) + int64(len(o.Value))
		if res.N > o.MaxValue {
			return Change{}, ErrStringTooLarge
		}
		nv := make([]byte, 0, res.N)
		nv = append(append(nv, v.Bytes...), o.Value...)
		return st.Put(version.KindBytes, nv, expiryIf(v, found)), nil
	case SetRange:
		return o.setRange(st, v, found, res)
	case IncrBy, IncrByFloat:
		return o.increment(st, v, found, res)
	case Del:
		if !found {
			return Change{}, nil
		}
		return st.Delete(), nil
	case Expire:
		return o.expire(st, v, found)
	case Persist:
		if !found || v.Expiry == 0 {
			return Change{}, nil
		}
		return rewriteExpiry(st, v, 0), nil
	case VSet:
		return Change{Action: Put, Context: o.Context, Kind: version.KindBytes, Value: o.Value, Expiry: o.Expiry}, nil
	case PFAdd:
		return o.pfadd(st, v, found, res)
	case PFMerge:
		return o.pfmerge(st, v, found)
	case SetBit:
		return o.setBit(st, v, found, res)
	case BitField:
		return o.bitField(st, v, found, res)
	case VDel:
		for _, s := range st.Object.Live(st.NowMs()) {
			if o.Context.Covers(s.Dot) {
				return Change{Action: Delete, Context: o.Context}, nil
			}
		}
		return Change{}, nil
	}
	return Change{}, fmt.Errorf("%w: code %d", ErrMalformed, o.Code)
}

// expiryIf is a value's expiry when the key exists (a string appended to
// or overwritten in part keeps its TTL), none otherwise.
func expiryIf(v Value, found bool) int64 {
	if !found {
		return 0
	}
	return v.Expiry
}

func (o *Op) setRange(st *State, v Value, found bool, res *Result) (Change, error) {
	res.N = int64(len(v.Bytes))
	if len(o.Value) == 0 {
		return Change{}, nil // nothing to write; Redis leaves the key as it is
	}
	// Written as a subtraction: Int+len(Value) overflows for offsets near
	// 2^63, and a wrapped sum would pass the check.
	if o.Int > o.MaxValue-int64(len(o.Value)) {
		return Change{}, ErrStringTooLarge
	}
	size := max(int(o.Int)+len(o.Value), len(v.Bytes))
	nv := make([]byte, size)
	copy(nv, v.Bytes)
	copy(nv[o.Int:], o.Value)
	res.N = int64(size)
	return st.Put(version.KindBytes, nv, expiryIf(v, found)), nil
}

// increment adds this node's contribution to the key's convergent counter,
// so increments made through other nodes concurrently all count.
func (o *Op) increment(st *State, v Value, found bool, res *Result) (Change, error) {
	float := o.Code == IncrByFloat
	cs, err := counterOf(v, found)
	if err == nil {
		if float {
			cs, err = cs.IncrByFloat(st.Dot.Actor, st.Dot.Counter, o.Float)
		} else {
			cs, err = cs.IncrBy(st.Dot.Actor, st.Dot.Counter, o.Int)
		}
	}
	if err != nil {
		return Change{}, counterError(err, float)
	}
	res.Text = cs.String()
	return st.Put(version.KindCounter, cs.AppendBinary(nil), v.Expiry), nil
}

// counterOf returns the key's value as a counter: the merged counter if it
// is one, else a counter starting from its string value. An empty string is
// not a number to Redis (counter.FromValue reads it as 0, as it does an
// absent key).
func counterOf(v Value, found bool) (counter.State, error) {
	if !found {
		return counter.FromValue(version.Dot{}, 0, nil)
	}
	if v.Counter != nil {
		return *v.Counter, nil
	}
	if len(v.Bytes) == 0 {
		return counter.State{}, counter.ErrNotNumber
	}
	return counter.FromValue(v.Dot, v.Time, v.Bytes)
}

// counterError maps the counter package's errors to Redis's texts.
func counterError(err error, float bool) error {
	switch {
	case errors.Is(err, counter.ErrOverflow):
		return ErrOverflow
	case errors.Is(err, counter.ErrNaNOrInf):
		return ErrNaNOrInf
	case float:
		return ErrNotFloat
	case errors.Is(err, counter.ErrNotInteger), errors.Is(err, counter.ErrNotFloat):
		return ErrNotInteger
	}
	return err
}

func (o *Op) expire(st *State, v Value, found bool) (Change, error) {
	if !found {
		return Change{}, nil
	}
	at := o.Expiry
	// A key without a TTL has an infinite one for GT and LT.
	switch f := o.Flags; {
	case f&NX != 0 && v.Expiry != 0,
		f&XX != 0 && v.Expiry == 0,
		f&GT != 0 && (v.Expiry == 0 || at <= v.Expiry),
		f&LT != 0 && v.Expiry != 0 && at >= v.Expiry:
		return Change{}, nil
	}
	if at <= 0 {
		return st.Delete(), nil
	}
	return rewriteExpiry(st, v, at), nil
}

// rewriteExpiry is the change that gives a key's current value a new expiry
// (0 = persist); an expiry already past deletes the key, as Redis does.
func rewriteExpiry(st *State, v Value, expiry int64) Change {
	if expiry != 0 && expiry <= st.NowMs() {
		return st.Delete()
	}
	switch {
	case v.Collection != nil:
		return st.Put(headerKind(v.Type), encodeHeader(v.Collection.Incarnations), expiry)
	case v.Counter != nil:
		return st.Put(version.KindCounter, v.Counter.AppendBinary(nil), expiry)
	case v.Kind != version.KindBytes:
		return st.Put(v.Kind, v.Bytes, expiry) // (a HyperLogLog's, a bitmap's)
	}
	return st.Put(version.KindBytes, v.Bytes, expiry)
}
