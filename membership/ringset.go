package membership

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// The ring's member set is a state-based CRDT: a map from node name to a
// ringEntry, merged entry by entry by taking the larger entry under a total
// order. Taking the maximum of a total order is commutative, associative and
// idempotent, so nodes that have seen the same entries hold the same set, in
// whatever order and however often gossip delivered them.
//
// The order is lexicographic on (Incarnation, Removed, MetaVersion, Meta):
//
//   - Incarnation counts the node's explicit joins. Only an explicit join
//     (Membership.Join) raises it, and the joining node first pulls the
//     cluster's state, so it raises it above any removal it could know of.
//   - Removed beats everything else within an incarnation. So a removal is
//     final for that incarnation: the removed node's own updates (new
//     addresses after a restart, MetaVersion+1) never resurrect it, even when
//     they were made without knowledge of the removal.
//   - MetaVersion is raised only by the node itself when its metadata changes
//     (a restart with other addresses), so the newest metadata wins.
//   - Meta (compared as encoded bytes) only breaks ties that correct nodes
//     never produce, so that the order is total and the merge deterministic
//     even on inconsistent input.

// ringEntry is one node's state in the ring's member set.
type ringEntry struct {
	Incarnation uint64
	Removed     bool
	MetaVersion uint64
	Meta        NodeMeta
}

// compare orders entries as described above; it returns -1, 0 or +1.
func (e ringEntry) compare(f ringEntry) int {
	if c := cmp.Compare(e.Incarnation, f.Incarnation); c != 0 {
		return c
	}
	if e.Removed != f.Removed {
		if e.Removed {
			return 1
		}
		return -1
	}
	if c := cmp.Compare(e.MetaVersion, f.MetaVersion); c != 0 {
		return c
	}
	return bytes.Compare(encodeMeta(e.Meta), encodeMeta(f.Meta))
}

// ringSet is the ring's member set, removed members included (their entries
// are the tombstones that keep stale gossip from bringing them back).
type ringSet map[string]ringEntry

// mergeEntry merges one entry and reports whether s changed.
func (s ringSet) mergeEntry(name string, e ringEntry) bool {
	if old, ok := s[name]; ok && old.compare(e) >= 0 {
		return false
	}
	s[name] = e
	return true
}

// merge merges every entry of o into s and returns the names whose entries
// changed, sorted.
func (s ringSet) merge(o ringSet) []string {
	var changed []string
	for name, e := range o {
		if s.mergeEntry(name, e) {
			changed = append(changed, name)
		}
	}
	slices.Sort(changed)
	return changed
}

// members answers the sorted names of the members not removed.
func (s ringSet) members() []string {
	names := make([]string, 0, len(s))
	for name, e := range s {
		if !e.Removed {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// has reports whether name is a member that has not been removed.
func (s ringSet) has(name string) bool {
	e, ok := s[name]
	return ok && !e.Removed
}

func (s ringSet) clone() ringSet {
	c := make(ringSet, len(s))
	for name, e := range s {
		c[name] = e
	}
	return c
}

// A ring message carries the cluster id and some or all entries of the ring
// set. The same form is gossiped (one changed entry), exchanged in full for
// anti-entropy, and persisted:
//
//	format byte (1), cluster id (uvarint length + bytes), uvarint count,
//	then per entry, in name order: name, uvarint Incarnation, flags byte
//	(bit 0: Removed), uvarint MetaVersion, encoded NodeMeta (uvarint length +
//	bytes).
const (
	ringFormat      = 1
	ringFlagRemoved = 1 << 0
	// maxRingEntries bounds what a decoder will allocate for.
	maxRingEntries = 1 << 16
)

func encodeRing(clusterID string, s ringSet) []byte {
	names := make([]string, 0, len(s))
	for name := range s {
		names = append(names, name)
	}
	slices.Sort(names)
	b := []byte{ringFormat}
	b = appendString(b, clusterID)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, name := range names {
		e := s[name]
		b = appendString(b, name)
		b = binary.AppendUvarint(b, e.Incarnation)
		var flags byte
		if e.Removed {
			flags |= ringFlagRemoved
		}
		b = append(b, flags)
		b = binary.AppendUvarint(b, e.MetaVersion)
		meta := encodeMeta(e.Meta)
		b = binary.AppendUvarint(b, uint64(len(meta)))
		b = append(b, meta...)
	}
	return b
}

// decodeRing reverses encodeRing. Duplicate names are merged, so a decoded
// set never depends on the order of its entries.
func decodeRing(b []byte) (clusterID string, s ringSet, err error) {
	fail := func(what string) (string, ringSet, error) {
		return "", nil, fmt.Errorf("ring members: %s", what)
	}
	if len(b) < 1 {
		return fail("empty")
	}
	if b[0] != ringFormat {
		return fail(fmt.Sprintf("unknown format %d", b[0]))
	}
	b = b[1:]
	if clusterID, b, err = readString(b); err != nil {
		return fail("cluster id: " + err.Error())
	}
	count, k := binary.Uvarint(b)
	if k <= 0 || count > maxRingEntries {
		return fail("bad count")
	}
	b = b[k:]
	s = make(ringSet, min(count, 64))
	for range count {
		var name string
		var e ringEntry
		if name, b, err = readString(b); err != nil {
			return fail("name: " + err.Error())
		}
		if name == "" {
			return fail("empty name")
		}
		if e.Incarnation, b, err = readUvarint(b); err != nil {
			return fail(err.Error())
		}
		if len(b) < 1 {
			return fail("truncated")
		}
		if b[0]&^ringFlagRemoved != 0 {
			return fail("unknown flags")
		}
		e.Removed = b[0]&ringFlagRemoved != 0
		b = b[1:]
		if e.MetaVersion, b, err = readUvarint(b); err != nil {
			return fail(err.Error())
		}
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return fail("truncated metadata")
		}
		meta := b[k : k+int(n)]
		b = b[k+int(n):]
		if e.Meta, err = decodeMeta(meta); err != nil {
			return fail(err.Error())
		}
		s.mergeEntry(name, e)
	}
	if len(b) != 0 {
		return fail("trailing bytes")
	}
	return clusterID, s, nil
}

func readUvarint(b []byte) (uint64, []byte, error) {
	v, k := binary.Uvarint(b)
	if k <= 0 {
		return 0, nil, errors.New("bad number")
	}
	return v, b[k:], nil
}
