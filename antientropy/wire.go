package antientropy

import (
	"errors"
	"fmt"
	"math"

	"github.com/dynago/dynago/wire"
)

// The exchange's requests are the internode methods rpc.MethodRoots (roots
// of a list of partitions), rpc.MethodNodes (children of a list of inner
// nodes) and rpc.MethodLeafKeys ((key, digest) pairs of a list of leaves),
// declared in package rpc's table; the node's transport carries them and
// dispatches them to Serve.

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
	buf = wire.AppendUvarint(buf, uint64(len(vs)))
	var prev T
	for i, v := range vs {
		if i > 0 {
			v -= prev
		}
		buf = wire.AppendUvarint(buf, uint64(v))
		prev = vs[i]
	}
	return buf
}

// appendGroups appends n (partition m index*m)*n, partitions and indices
// delta coded.
func appendGroups(buf []byte, groups []group) []byte {
	buf = wire.AppendUvarint(buf, uint64(len(groups)))
	prev := 0
	for i, g := range groups {
		d := g.p
		if i > 0 {
			d -= prev
		}
		prev = g.p
		buf = wire.AppendUvarint(buf, uint64(d))
		buf = appendAscending(buf, g.idx)
	}
	return buf
}

func encodeRoots(q int, parts []int) []byte {
	buf := wire.AppendUvarint(make([]byte, 0, 8+2*len(parts)), uint64(q))
	return appendAscending(buf, parts)
}

func encodeNodes(q, level int, groups []group) []byte {
	buf := wire.AppendUvarint(nil, uint64(q))
	buf = wire.AppendUvarint(buf, uint64(level))
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
	buf := wire.AppendUvarint(nil, uint64(q))
	buf = wire.AppendUvarint(buf, skip)
	return appendGroups(buf, groups)
}

// decodeErr is the error of a message that did not decode: the reader's
// own errors wrap ErrMalformed; the decoder's (recorded with Fail) are
// already what they should be.
func decodeErr(err error) error {
	if errors.Is(err, wire.ErrMalformed) {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return err
}

// fail records a malformed-message error on r.
func fail(r *wire.Reader, format string, args ...any) { r.Fail(malformed(format, args...)) }

// readNext reads the next value of a delta-coded, strictly ascending list
// of values below limit; prev is the value before it, if first is false.
func readNext(r *wire.Reader, prev uint64, first bool, limit uint64, what string) uint64 {
	v := r.Uvarint()
	if r.Err() != nil {
		return 0
	}
	if !first {
		if v == 0 {
			fail(r, "%ss not strictly ascending", what)
			return 0
		}
		if v >= limit { // checked before adding, so the sum cannot overflow
			fail(r, "%s %d+%d out of range [0, %d)", what, prev, v, limit)
			return 0
		}
		v += prev
	}
	if v >= limit {
		fail(r, "%s %d out of range [0, %d)", what, v, limit)
		return 0
	}
	return v
}

// readAscending reads a count, then a delta-coded, strictly ascending list
// of that many values below limit.
func readAscending(r *wire.Reader, limit uint64, what string) []uint64 {
	n := r.Count(1)
	vs := make([]uint64, 0, n)
	var prev uint64
	for i := range n {
		prev = readNext(r, prev, i == 0, limit, what)
		if r.Err() != nil {
			return nil
		}
		vs = append(vs, prev)
	}
	return vs
}

// readRing reads the request's ring size and checks it is q.
func readRing(r *wire.Reader, q int) {
	if got := r.Uvarint(); r.Err() == nil && got != uint64(q) {
		r.Fail(fmt.Errorf("antientropy: request for a ring of %d partitions, this node has %d", got, q))
	}
}

// readGroups reads n (partition m index*m)*n: ascending partitions below
// q, each with 1..maxTotal ascending indices below width, at most maxTotal
// indices in all.
func readGroups(r *wire.Reader, q int, width int, maxTotal int) (groups []group, total int) {
	n := r.Count(2)
	groups = make([]group, 0, n)
	for i := range n {
		var prev uint64
		if i > 0 {
			prev = uint64(groups[i-1].p)
		}
		v := readNext(r, prev, i == 0, uint64(q), "partition")
		idx := readAscending(r, uint64(width), "node")
		if r.Err() != nil {
			return nil, 0
		}
		if len(idx) == 0 {
			fail(r, "partition %d names no nodes", v)
			return nil, 0
		}
		if total += len(idx); total > maxTotal {
			fail(r, "more than %d nodes", maxTotal)
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
	r := wire.NewReader(reply)
	hs := make([]uint64, n)
	for i := range hs {
		hs[i] = r.Uint64LE()
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
		buf = wire.AppendUint16LE(buf, mask)
		for _, v := range children[:Fanout] {
			if v != 0 {
				buf = wire.AppendUint64LE(buf, v)
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
	r := wire.NewReader(reply)
	children := make([]uint64, 0, Fanout*parents)
	for range parents {
		mask := r.Uint16LE()
		for c := range Fanout {
			var v uint64
			if mask&(1<<c) != 0 {
				if v = r.Uint64LE(); v == 0 && r.Err() == nil {
					fail(&r, "zero child sent")
				}
			}
			children = append(children, v)
		}
		if r.Err() != nil {
			break
		}
	}
	if err := r.Done(); err != nil {
		return nil, decodeErr(err)
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
	buf = wire.AppendUvarint(buf, uint64(done))
	buf = wire.AppendUvarint(buf, resume)
	return wire.AppendUvarint(buf, uint64(count))
}

func appendPair(buf []byte, key []byte, digest uint64) []byte {
	buf = wire.AppendBytes(buf, key)
	return wire.AppendUint64LE(buf, digest)
}

// decodeLeafKeys decodes the reply to a request for n leaves of width
// positions each.
func decodeLeafKeys(reply []byte, n int, width uint64) (leafKeysReply, error) {
	d := wire.NewReader(reply)
	r := leafKeysReply{
		done:   int(min(d.Uvarint(), uint64(n)+1)), // n+1: too many, refused below
		resume: d.Uvarint(),
	}
	count := d.Count(1 + 8)
	if d.Err() == nil {
		r.pairs = make([]pair, 0, count)
	}
	for range count {
		key := d.Bytes()
		digest := d.Uint64LE()
		if d.Err() != nil {
			break
		}
		r.pairs = append(r.pairs, pair{key: key, digest: digest})
	}
	if err := d.Done(); err != nil {
		return leafKeysReply{}, decodeErr(err)
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
