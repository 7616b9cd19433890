package transfer

import (
	"fmt"
	"math"

	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// HandleFetch serves rpc.MethodFetch: the records of the requested range from
// its cursor on, in a batch of at most min(maxBytes, MaxFetchBytes) bytes
// plus one record, and the cursor of the next batch.
func (m *Manager) HandleFetch(req []byte) ([]byte, error) {
	r, err := decodeFetchRequest(req)
	if err != nil {
		return nil, err
	}
	var w batchWriter
	next, err := readBatch(m.cfg.Store, partition.Hash, r.cursor, r.end, int(min(r.maxBytes, MaxFetchBytes)), &w)
	if err != nil {
		return nil, fmt.Errorf("transfer: reading [%d, %d): %w", r.cursor, r.end, err)
	}
	resp := encodeFetchReply(next, w.raw)
	m.served.add(w.keys, len(resp))
	return resp, nil
}

// HandlePush serves rpc.MethodPush: it merges the pushed records into the store.
func (m *Manager) HandlePush(req []byte) ([]byte, error) {
	_, _, b, err := decodePush(req)
	if err != nil {
		return nil, err
	}
	if err := m.cfg.Store.MergeBatch(b.keys, b.objs); err != nil {
		return nil, fmt.Errorf("transfer: merging a pushed batch: %w", err)
	}
	m.received.add(len(b.keys), len(req))
	return nil, nil
}

// readBatch appends to w the records of [cursor, end) from cursor on until
// the batch reaches budget bytes, and returns the cursor of the rest, 0 when
// the range is done. The record that reaches the budget ends the batch, so a
// batch exceeds the budget by less than one record.
//
// A cursor is a hash, so a batch that ends inside a group of keys sharing
// one hash resumes at the group's start and sends part of it again, which
// merging makes harmless. Only if the batch ended inside the group at the
// cursor itself would the cursor not advance; then the batch is read again
// taking that whole group (it takes a 64-bit hash collision to get there).
//
// hash is the store's key hash (partition.Hash); tests pass one that collides.
func readBatch(s Store, hash func([]byte) uint64, cursor, end uint64, budget int, w *batchWriter) (uint64, error) {
	next, err := scanBatch(s, nil, cursor, end, budget, w)
	if err == nil && next != 0 && next == cursor {
		*w = batchWriter{raw: w.raw[:0], obj: w.obj}
		next, err = scanBatch(s, hash, cursor, end, budget, w)
	}
	return next, err
}

// scanBatch is a pass of readBatch. With hash set, it keeps the keys hashing
// to cursor together.
func scanBatch(s Store, hash func([]byte) uint64, cursor, end uint64, budget int, w *batchWriter) (uint64, error) {
	// count is unlimited: the budget, not a record count, ends the scan.
	return s.ScanRange(cursor, end, math.MaxInt, func(key []byte, o version.Object) bool {
		w.add(key, o)
		return len(w.raw) < budget || (hash != nil && hash(key) == cursor)
	})
}
