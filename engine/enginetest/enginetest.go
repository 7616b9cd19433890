// Package enginetest holds helpers for tests of what the engine finds on
// disk: it writes a store as an earlier release left it. Only tests import
// it.
package enginetest

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble/v2"
)

// RewriteAsXXHashLayout turns the closed store in dir into what a release
// before hash slots wrote (key layout 1): every data and hint entry at the
// xxhash64 of its user key, and no layout mark. The i-th entry (from 1, data
// first) is left where it is when keep(i) says so, as after a conversion cut
// short; keep may be nil. It returns how many entries it moved.
func RewriteAsXXHashLayout(dir string, keep func(i int) bool) (int, error) {
	db, err := pebble.Open(dir, &pebble.Options{})
	if err != nil {
		return 0, err
	}
	b := db.NewBatch()
	i, moved := 0, 0
	for _, space := range []byte{'d', 'h'} {
		it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{space}, UpperBound: []byte{space + 1}})
		if err != nil {
			return moved, errors.Join(err, db.Close())
		}
		for ok := it.First(); ok; ok = it.Next() {
			i++
			if keep != nil && keep(i) {
				continue
			}
			k := it.Key()
			key, err := userKey(k)
			if err != nil {
				return moved, errors.Join(err, it.Close(), db.Close())
			}
			old := append([]byte(nil), k...)
			binary.BigEndian.PutUint64(old[1:9], xxhash.Sum64(key))
			if err := errors.Join(b.Delete(k, nil), b.Set(old, append([]byte(nil), it.Value()...), nil)); err != nil {
				return moved, errors.Join(err, it.Close(), db.Close())
			}
			moved++
		}
		if err := it.Close(); err != nil {
			return moved, errors.Join(err, db.Close())
		}
	}
	err = errors.Join(b.Delete([]byte("mlayout"), nil), b.Commit(pebble.Sync))
	return moved, errors.Join(err, db.Close())
}

// userKey is the user key of a data entry ('d', position, key) or a hint
// ('h', position, uvarint length, key, owner).
func userKey(k []byte) ([]byte, error) {
	if len(k) < 9 {
		return nil, fmt.Errorf("enginetest: entry %x too short", k)
	}
	if k[0] == 'd' {
		return k[9:], nil
	}
	n, w := binary.Uvarint(k[9:])
	if w <= 0 || n > uint64(len(k)-9-w) {
		return nil, fmt.Errorf("enginetest: malformed hint entry %x", k)
	}
	return k[9+w : 9+w+int(n)], nil
}
