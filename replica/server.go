// Package replica is what a node answers as a replica of keys: the server
// of the internode methods that read and store its copies for other nodes
// (rpc.MethodReadDigests, MethodReadBatch, MethodReadElements,
// MethodElementsDigest, MethodMergeBatch, MethodHint),
// and the messages of those methods, which the nodes that send them
// (package coordinator's quorum reads and writes, package handoff's
// delivery) encode and decode with this package's functions.
//
// The server reaches storage only through Store, which *engine.Engine
// satisfies and an in-memory twin mirrors in the tests, and tells its owner
// of the flush generations other nodes send through a callback, so it
// imports nothing of the node it runs in.
package replica

import (
	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/version"
	"github.com/dynago/dynago/wire"
)

// Store is what the replica side needs of this node's storage: the handlers
// go through it and nothing else. *engine.Engine is the real one; memStore
// (memstore_test.go) is its in-memory twin, on which the handlers are
// tested in milliseconds.
//
// Every object carries the flush generation it was written in (see
// engine/flush.go): a store keeps only copies of its own generation, and
// moves to a newer one (flushing everything) before it stores a copy of it.
type Store interface {
	// GetDigest returns this node's copy of key, whether it holds one, and
	// the copy's antientropy.Digest (0 when it holds none).
	GetDigest(key []byte) (o version.Object, found bool, digest uint64, err error)
	// Hinted returns the merge of the hints this node holds for key, for
	// whichever owners, and whether it holds any.
	Hinted(key []byte) (version.Object, bool, error)
	// MergeBatch merges each object into this node's copy of its key
	// (version.Merge), durably, as one batch. An object of an older flush
	// generation than the node's is dropped; one of a newer moves the node
	// to it first.
	MergeBatch(keys [][]byte, objs []version.Object) error
	// AddHint merges o into the hint this node keeps of key for owner, a
	// node that could not take it, with MergeBatch's generation rules.
	AddHint(owner string, key []byte, o version.Object) error
	// Generation is this node's flush generation.
	Generation() uint64
	// Elements visits this node's element records of key
	// (partition.ElementKey) in order, after the element key after (nil:
	// from the first), at most limit, and says whether more follow.
	Elements(key, after []byte, limit int, fn func(ek []byte, o version.Object)) (more bool, err error)
	// ElementsDigest is the XOR of antientropy.Digest over this node's
	// element records of key: equal on two nodes that hold the same ones.
	ElementsDigest(key []byte) (uint64, error)
}

// Server serves other nodes' reads and stores of this node's copies.
type Server struct {
	store Store
	learn func(gen uint64) // told each flush generation a reader sends
}

// NewServer returns the replica server over store. learn is told the flush
// generation each reader sends (0 from a reader that sends none): a node
// behind it missed a FLUSHALL and catches up (coordinator's
// LearnGeneration); nil: not told.
func NewServer(store Store, learn func(gen uint64)) *Server {
	if learn == nil {
		learn = func(uint64) {}
	}
	return &Server{store: store, learn: learn}
}

// HandleReadDigests serves MethodReadDigests: for each key, this node's copy
// (with the hints it holds for the key merged in, as HandleReadBatch), or
// word that it is the reader's, or that there is none; then this node's
// flush generation, read first (a FLUSHALL may begin meanwhile: the copies
// carry their own).
func (s *Server) HandleReadDigests(req []byte) ([]byte, error) {
	keys, digests, readerGen, err := decodeDigestReads(req)
	if err != nil {
		return nil, err
	}
	s.learn(readerGen)
	gen := s.store.Generation()
	out := make([]byte, 0, len(keys)*2+wire.MaxVarintLen)
	var scratch []byte
	for i, k := range keys {
		o, found, digest, err := CopyOf(s.store, k)
		if err != nil {
			return nil, err
		}
		switch {
		case !found:
			out = append(out, digestNone)
		case digests[i] != 0 && digest == digests[i]:
			out = append(out, digestSame)
		default:
			scratch = o.AppendBinary(scratch[:0])
			out = wire.AppendByte(out, digestObject)
			out = wire.AppendBytes(out, scratch)
		}
	}
	return appendGeneration(out, gen), nil
}

// HandleReadBatch serves MethodReadBatch: this node's objects of the keys,
// merged with the hints it holds for them (a stand-in answers for an owner
// it holds hints for), each length-prefixed (length 0 for a key it holds
// nothing of), then this node's flush generation (read first).
func (s *Server) HandleReadBatch(req []byte) ([]byte, error) {
	keys, readerGen, err := decodeKeys(req)
	if err != nil {
		return nil, err
	}
	s.learn(readerGen)
	gen := s.store.Generation()
	var out, scratch []byte
	for _, k := range keys {
		o, found, _, err := CopyOf(s.store, k)
		if err != nil {
			return nil, err
		}
		scratch = scratch[:0]
		if found {
			scratch = o.AppendBinary(scratch)
		}
		out = wire.AppendBytes(out, scratch)
	}
	return appendGeneration(out, gen), nil
}

// HandleReadElements serves MethodReadElements: a page of this node's
// element records of a key, in element order, which ends at the page size
// the reader asked for or near elementsPageBytes, whichever comes first.
func (s *Server) HandleReadElements(req []byte) ([]byte, error) {
	key, after, limit, readerGen, err := decodeReadElements(req)
	if err != nil {
		return nil, err
	}
	s.learn(readerGen)
	gen := s.store.Generation()
	var recs []byte
	n, size := 0, 0
	more, err := s.store.Elements(key, after, limit, func(ek []byte, o version.Object) {
		if size >= elementsPageBytes {
			return
		}
		recs = wire.AppendBytes(recs, ek)
		enc := o.AppendBinary(nil)
		recs = wire.AppendBytes(recs, enc)
		n++
		size += len(ek) + len(enc)
	})
	if err != nil {
		return nil, err
	}
	return appendGeneration(appendElementsReply(nil, n, recs, more || size >= elementsPageBytes), gen), nil
}

// HandleElementsDigest serves MethodElementsDigest: the digest of this
// node's element records of a key, with which a reader tells whether this
// node holds the records it holds (a read that R owners agree on is
// answered from one of them; see coordinator's servedHere).
func (s *Server) HandleElementsDigest(req []byte) ([]byte, error) {
	key, readerGen, err := decodeElementsDigest(req)
	if err != nil {
		return nil, err
	}
	s.learn(readerGen)
	gen := s.store.Generation()
	d, err := s.store.ElementsDigest(key)
	if err != nil {
		return nil, err
	}
	return appendGeneration(wire.AppendUint64(nil, d), gen), nil
}

// HandleMergeBatch serves MethodMergeBatch (replica writes, read repair,
// hint delivery, anti-entropy repairs). The reply is this node's flush
// generation: the objects of an older one were dropped (see
// engine/flush.go).
func (s *Server) HandleMergeBatch(req []byte) ([]byte, error) {
	keys, objs, err := DecodeBatch(req)
	if err != nil {
		return nil, err
	}
	if err := s.store.MergeBatch(keys, objs); err != nil {
		return nil, err
	}
	return wire.AppendUvarint(nil, s.store.Generation()), nil
}

// HandleHint serves MethodHint: keep a write for an owner that is down. The
// reply is this node's flush generation: a write of an older one was
// dropped (see engine/flush.go).
func (s *Server) HandleHint(req []byte) ([]byte, error) {
	owner, rest, err := decodeName(req)
	if err != nil {
		return nil, err
	}
	key, obj, err := decodeMerge(rest)
	if err != nil {
		return nil, err
	}
	if err := s.store.AddHint(owner, key, obj); err != nil {
		return nil, err
	}
	return wire.AppendUvarint(nil, s.store.Generation()), nil
}

// CopyOf is store's copy of key as a replica answers for it: its own object
// merged with the hints it holds for the key, and its digest
// (antientropy.Digest). A reading node that stands in for an owner answers
// for it so too.
func CopyOf(store Store, key []byte) (version.Object, bool, uint64, error) {
	o, found, digest, err := store.GetDigest(key)
	if err != nil {
		return o, false, 0, err
	}
	if hinted, ok, err := store.Hinted(key); err != nil {
		return o, false, 0, err
	} else if ok {
		o, found = version.Merge(o, hinted), true
		digest = antientropy.Digest(key, o)
	}
	return o, found, digest, nil
}
