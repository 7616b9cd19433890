package engine

import (
	"fmt"

	"github.com/dynago/dynago/version"
	"github.com/klauspost/compress/s2"
)

// A record is how an Object is stored: one flag byte, then the object's
// binary form, S2-compressed when it is large.
const (
	flagCompressed = 1 << 0
	// flagLive marks a record with at least one sibling (not a tombstone),
	// so counting keys at start reads one byte per record.
	flagLive = 1 << 1
)

func (e *Engine) encodeRecord(o version.Object) []byte {
	raw := o.AppendBinary(make([]byte, 1, 64))
	var flags byte
	if len(o.Siblings) > 0 {
		flags |= flagLive
	}
	if min := e.cfg.CompressMinBytes; min > 0 && len(raw)-1 >= min {
		buf := make([]byte, 1+s2.MaxEncodedLen(len(raw)-1))
		comp := s2.Encode(buf[1:], raw[1:])
		if len(comp) < len(raw)-1 {
			buf[0] = flags | flagCompressed
			return buf[:1+len(comp)]
		}
	}
	raw[0] = flags
	return raw
}

func decodeRecord(b []byte) (version.Object, error) {
	if len(b) == 0 {
		return version.Object{}, fmt.Errorf("engine: empty record")
	}
	body := b[1:]
	if b[0]&flagCompressed != 0 {
		d, err := s2.Decode(nil, body)
		if err != nil {
			return version.Object{}, fmt.Errorf("engine: corrupt compressed record: %w", err)
		}
		body = d
	}
	return version.DecodeObject(body)
}
