package antientropy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Method names one request of the exchange. The node's internode transport
// carries it and dispatches these numbers to Serve.
type Method uint8

// The exchange's requests.
const (
	MethodRoots    Method = 32 // roots of a list of partitions
	MethodNodes    Method = 33 // children of a list of inner nodes
	MethodLeafKeys Method = 34 // (key, digest) pairs of a list of leaves
)

// String names m for errors and logs.
func (m Method) String() string {
	switch m {
	case MethodRoots:
		return "roots"
	case MethodNodes:
		return "nodes"
	case MethodLeafKeys:
		return "leaf-keys"
	}
	return fmt.Sprintf("method(%d)", uint8(m))
}

// Request limits, which bound what one request makes a server allocate and
// send. Exchange splits its requests to respect them.
const (
	// MaxNodeParents bounds the parents one nodes request names, so its
	// reply is at most 65536 × (2 + 16 × 8) bytes, about 8 MiB. With the
	// default 256 partitions a whole level fits in one request even when
	// everything differs.
	MaxNodeParents = 1 << 16
	// MaxLeafBatch bounds the leaves one leaf-keys request names: one
	// partition's worth.
	MaxLeafBatch = Leaves
)

// leafKeysBudget is the reply size after which a leaf-keys server stops
// scanning and tells the client where to resume. It is a soft bound: the
// scan chunk that crosses it is finished.
const leafKeysBudget = 1 << 20

// ErrMalformed is wrapped by the error for every request or reply that does
// not decode or is out of range.
var ErrMalformed = errors.New("antientropy: malformed message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// group is one partition and some of its tree's nodes (ascending indices):
// the parents a nodes request names, or the frontier of differing nodes.
type group struct {
	p   int
	idx []uint32
}

// leafRef names one leaf of one partition.
type leafRef struct {
	p    int
	leaf uint32
}

// pair is one key and its digest, as a leaf-keys reply carries them.
type pair struct {
	key    []byte
	digest uint64
}

// appendAscending appends a count, then the strictly ascending list vs delta
// coded: the first value, then each one's difference from the one before.
func appendAscending[T int | uint32](buf []byte, vs []T) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(vs)))
	var prev T
	for i, v := range vs {
		if i > 0 {
			v -= prev
		}
		buf = binary.AppendUvarint(buf, uint64(v))
		prev = vs[i]
	}
	return buf
}

// appendGroups appends n (partition m index*m)*n, partitions and indices
// delta coded.
func appendGroups(buf []byte, groups []group) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(groups)))
	prev := 0
	for i, g := range groups {
		d := g.p
		if i > 0 {
			d -= prev
		}
		prev = g.p
		buf = binary.AppendUvarint(buf, uint64(d))
		buf = appendAscending(buf, g.idx)
	}
	return buf
}

func encodeRoots(q int, parts []int) []byte {
	buf := binary.AppendUvarint(make([]byte, 0, 8+2*len(parts)), uint64(q))
	return appendAscending(buf, parts)
}

func encodeNodes(q, level int, groups []group) []byte {
	buf := binary.AppendUvarint(nil, uint64(q))
	buf = binary.AppendUvarint(buf, uint64(level))
	return appendGroups(buf, groups)
}

// encodeLeafKeys encodes a request for leaves (ascending by partition, then
// leaf), the first one resuming skip positions into its range.
func encodeLeafKeys(q int, skip uint64, leaves []leafRef) []byte {
	var groups []group
	for _, l := range leaves {
		if n := len(groups); n > 0 && groups[n-1].p == l.p {
			groups[n-1].idx = append(groups[n-1].idx, l.leaf)
			continue
		}
		groups = append(groups, group{p: l.p, idx: []uint32{l.leaf}})
	}
	buf := binary.AppendUvarint(nil, uint64(q))
	buf = binary.AppendUvarint(buf, skip)
	return appendGroups(buf, groups)
}

// decoder reads a message, remembering the first error; once failed, every
// read returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = malformed(format, args...)
	}
	d.b = nil
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad %s", what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) fixed64(what string) uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("short %s", what)
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) bytes(n uint64, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("short %s", what)
		return nil
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b
}

// count reads a list length whose elements take at least minSize bytes each,
// so that a forged length cannot make the decoder allocate more than the
// message could hold.
func (d *decoder) count(minSize int, what string) int {
	n := d.uvarint(what)
	if d.err == nil && n > uint64(len(d.b)/minSize) {
		d.fail("%s %d exceeds the message", what, n)
		return 0
	}
	return int(n)
}

// next reads the next value of a delta-coded, strictly ascending list of
// values below limit; prev is the value before it, if first is false.
func (d *decoder) next(prev uint64, first bool, limit uint64, what string) uint64 {
	v := d.uvarint(what)
	if d.err != nil {
		return 0
	}
	if !first {
		if v == 0 {
			d.fail("%ss not strictly ascending", what)
			return 0
		}
		if v >= limit { // checked before adding, so the sum cannot overflow
			d.fail("%s %d+%d out of range [0, %d)", what, prev, v, limit)
			return 0
		}
		v += prev
	}
	if v >= limit {
		d.fail("%s %d out of range [0, %d)", what, v, limit)
		return 0
	}
	return v
}

// ascending reads a count, then a delta-coded, strictly ascending list of
// that many values below limit.
func (d *decoder) ascending(limit uint64, what string) []uint64 {
	n := d.count(1, what+" count")
	vs := make([]uint64, 0, n)
	var prev uint64
	for i := range n {
		prev = d.next(prev, i == 0, limit, what)
		if d.err != nil {
			return nil
		}
		vs = append(vs, prev)
	}
	return vs
}

// end checks that the whole message was read.
func (d *decoder) end() error {
	if d.err == nil && len(d.b) > 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	return d.err
}

// ring reads the request's ring size and checks it is q.
func (d *decoder) ring(q int) {
	if got := d.uvarint("ring size"); d.err == nil && got != uint64(q) {
		d.err = fmt.Errorf("antientropy: request for a ring of %d partitions, this node has %d", got, q)
		d.b = nil
	}
}

// groups reads n (partition m index*m)*n: ascending partitions below q, each
// with 1..maxTotal ascending indices below width, at most maxTotal indices
// in all.
func (d *decoder) groups(q int, width int, maxTotal int) (groups []group, total int) {
	n := d.count(2, "partition count")
	groups = make([]group, 0, n)
	for i := range n {
		var prev uint64
		if i > 0 {
			prev = uint64(groups[i-1].p)
		}
		v := d.next(prev, i == 0, uint64(q), "partition")
		idx := d.ascending(uint64(width), "node")
		if d.err != nil {
			return nil, 0
		}
		if len(idx) == 0 {
			d.fail("partition %d names no nodes", v)
			return nil, 0
		}
		if total += len(idx); total > maxTotal {
			d.fail("more than %d nodes", maxTotal)
			return nil, 0
		}
		g := group{p: int(v), idx: make([]uint32, len(idx))}
		for j, x := range idx {
			g.idx[j] = uint32(x)
		}
		groups = append(groups, g)
	}
	return groups, total
}

// decodeHashes decodes a reply of exactly n 8-byte hashes.
func decodeHashes(reply []byte, n int) ([]uint64, error) {
	if n > math.MaxInt/8 || len(reply) != 8*n {
		return nil, malformed("reply of %d bytes for %d hashes", len(reply), n)
	}
	hs := make([]uint64, n)
	for i := range hs {
		hs[i] = binary.LittleEndian.Uint64(reply[8*i:])
	}
	return hs, nil
}

// appendNodesReply appends the Fanout children of each parent in a nodes
// reply: a 2-byte little-endian mask of the children that are not zero, then
// those children, 8 bytes each. Zero children are empty subtrees, the
// common case in a sparse partition, and cost nothing.
func appendNodesReply(buf []byte, children []uint64) []byte {
	for len(children) >= Fanout {
		var mask uint16
		for c, v := range children[:Fanout] {
			if v != 0 {
				mask |= 1 << c
			}
		}
		buf = binary.LittleEndian.AppendUint16(buf, mask)
		for _, v := range children[:Fanout] {
			if v != 0 {
				buf = binary.LittleEndian.AppendUint64(buf, v)
			}
		}
		children = children[Fanout:]
	}
	return buf
}

// decodeNodesReply decodes a nodes reply for the given number of parents into
// Fanout children each.
func decodeNodesReply(reply []byte, parents int) ([]uint64, error) {
	if parents > len(reply)/2 {
		return nil, malformed("reply of %d bytes for %d parents", len(reply), parents)
	}
	children := make([]uint64, 0, Fanout*parents)
	for range parents {
		if len(reply) < 2 {
			return nil, malformed("short nodes reply")
		}
		mask := binary.LittleEndian.Uint16(reply)
		reply = reply[2:]
		for c := range Fanout {
			var v uint64
			if mask&(1<<c) != 0 {
				if len(reply) < 8 {
					return nil, malformed("short nodes reply")
				}
				v = binary.LittleEndian.Uint64(reply)
				reply = reply[8:]
				if v == 0 {
					return nil, malformed("zero child sent")
				}
			}
			children = append(children, v)
		}
	}
	if len(reply) > 0 {
		return nil, malformed("%d trailing bytes in nodes reply", len(reply))
	}
	return children, nil
}

// leafKeysReply is a decoded leaf-keys reply: the first done leaves asked for
// are complete; if done is less than the leaves asked for, leaf done is
// answered up to resume positions into its range. Pair keys alias the reply.
type leafKeysReply struct {
	done   int
	resume uint64
	pairs  []pair
}

func appendLeafKeysHeader(buf []byte, done int, resume uint64, count int) []byte {
	buf = binary.AppendUvarint(buf, uint64(done))
	buf = binary.AppendUvarint(buf, resume)
	return binary.AppendUvarint(buf, uint64(count))
}

func appendPair(buf []byte, key []byte, digest uint64) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(key)))
	buf = append(buf, key...)
	return binary.LittleEndian.AppendUint64(buf, digest)
}

// decodeLeafKeys decodes the reply to a request for n leaves of width
// positions each.
func decodeLeafKeys(reply []byte, n int, width uint64) (leafKeysReply, error) {
	d := decoder{b: reply}
	r := leafKeysReply{
		done:   int(min(d.uvarint("done"), uint64(n)+1)), // n+1: too many, refused below
		resume: d.uvarint("resume"),
	}
	count := d.count(1+8, "pair count")
	if d.err == nil {
		r.pairs = make([]pair, 0, count)
	}
	for range count {
		key := d.bytes(d.uvarint("key length"), "key")
		digest := d.fixed64("digest")
		if d.err != nil {
			break
		}
		r.pairs = append(r.pairs, pair{key: key, digest: digest})
	}
	if err := d.end(); err != nil {
		return leafKeysReply{}, err
	}
	switch {
	case r.done > n:
		return leafKeysReply{}, malformed("reply completes %d of %d leaves", r.done, n)
	case r.done == n && r.resume != 0:
		return leafKeysReply{}, malformed("complete reply with a resume position")
	case r.resume >= width:
		return leafKeysReply{}, malformed("resume position %d beyond a leaf of %d", r.resume, width)
	}
	return r, nil
}
