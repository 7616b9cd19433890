package membership

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dynago/dynago/version"
)

// NodeMeta is what a node tells the others about itself. It travels as the
// node's gossip metadata (so it must stay well under metaLimit once encoded)
// and is stored with the node's ring entry, so a restarted node still knows
// where to find the members it has not heard from yet.
type NodeMeta struct {
	ClusterID  string        // the cluster the node belongs to; "" before it first joins
	RESPAddr   string        // host:port for Redis clients
	PeerAddr   string        // host:port of the internode transport
	GossipAddr string        // host:port of the gossip layer
	Actor      version.Actor // node id + epoch of the node's data directory
}

// State is how alive a member looks from this node.
type State int

const (
	// Alive: gossip counts the member in, and this node hears from it.
	Alive State = iota
	// Suspect: gossip still counts the member in, but this node has not heard
	// from it lately and a direct ping went unanswered. Gossip will either
	// confirm the member (it becomes Alive again) or declare it Dead.
	Suspect
	// Dead: gossip declared the member failed, or this node has not seen it
	// since it started.
	Dead
	// Left: the member left gossip gracefully (it shut down on purpose). It
	// stays in the ring unless it was removed.
	Left
)

// String answers "alive", "suspect", "dead" or "left".
func (s State) String() string {
	switch s {
	case Alive:
		return "alive"
	case Suspect:
		return "suspect"
	case Dead:
		return "dead"
	case Left:
		return "left"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Usable reports whether requests may be sent to a member in this state.
// A suspect is still usable: as in Dynamo, a node that is merely slow to
// answer is not routed around until failure detection has made up its mind;
// the coordinator's own timeouts protect each request meanwhile.
func (s State) Usable() bool { return s == Alive || s == Suspect }

// Limits of the encoded metadata. metaLimit is the gossip layer's hard limit
// for node metadata; maxClusterIDLen bounds what a node adopts from the
// network so that its own metadata always fits.
const (
	metaLimit       = 512
	maxClusterIDLen = 64
	maxFieldLen     = 255
	metaFormat      = 1
)

// encodeMeta renders m compactly:
//
//	format byte (1),
//	ClusterID, RESPAddr, PeerAddr, GossipAddr as uvarint length + bytes,
//	Actor.Node as 8 bytes and Actor.Epoch as 4 bytes, big-endian.
func encodeMeta(m NodeMeta) []byte {
	b := make([]byte, 0, 1+4+len(m.ClusterID)+len(m.RESPAddr)+len(m.PeerAddr)+len(m.GossipAddr)+12)
	b = append(b, metaFormat)
	for _, s := range [...]string{m.ClusterID, m.RESPAddr, m.PeerAddr, m.GossipAddr} {
		b = appendString(b, s)
	}
	b = binary.BigEndian.AppendUint64(b, m.Actor.Node)
	b = binary.BigEndian.AppendUint32(b, m.Actor.Epoch)
	return b
}

var errShortMeta = errors.New("node metadata: truncated")

// decodeMeta reverses encodeMeta; trailing bytes are refused.
func decodeMeta(b []byte) (m NodeMeta, err error) {
	if len(b) < 1 {
		return NodeMeta{}, errShortMeta
	}
	if b[0] != metaFormat {
		return NodeMeta{}, fmt.Errorf("node metadata: unknown format %d", b[0])
	}
	b = b[1:]
	fields := [...]*string{&m.ClusterID, &m.RESPAddr, &m.PeerAddr, &m.GossipAddr}
	for _, f := range fields {
		if *f, b, err = readString(b); err != nil {
			return NodeMeta{}, fmt.Errorf("node metadata: %w", err)
		}
	}
	if len(b) != 12 {
		return NodeMeta{}, errShortMeta
	}
	m.Actor.Node = binary.BigEndian.Uint64(b)
	m.Actor.Epoch = binary.BigEndian.Uint32(b[8:])
	return m, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// readString reads a uvarint length and that many bytes; strings longer than
// maxFieldLen are refused, none of ours is that long.
func readString(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return "", nil, errors.New("bad length")
	}
	b = b[k:]
	if n > maxFieldLen || n > uint64(len(b)) {
		return "", nil, errors.New("string too long")
	}
	return string(b[:n]), b[n:], nil
}
