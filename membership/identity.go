// Package membership knows who this node is and, in a cluster, who else is
// in it and alive.
package membership

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/dynago/dynago/version"
)

// MetaStore is where a node keeps small durable facts about itself.
type MetaStore interface {
	Meta(name string) ([]byte, bool, error)
	SetMeta(name string, value []byte) error
}

// Identity is who this node is.
type Identity struct {
	Name string
	// Actor is the writer identity in version vectors: the node id (a hash
	// of the name) and the epoch of the data directory, chosen when the
	// directory was first used. A node that lost its disk starts a new epoch,
	// so the counters it issues never collide with those of its past life.
	Actor version.Actor
}

// LoadIdentity returns the node's identity, creating the epoch on first use
// of the data directory. A directory first used under another node name is
// refused: its data was versioned by another actor.
func LoadIdentity(store MetaStore, name string) (Identity, error) {
	stored, ok, err := store.Meta("node-name")
	if err != nil {
		return Identity{}, err
	}
	if ok && string(stored) != name {
		return Identity{}, fmt.Errorf("data directory belongs to node %q, not %q (use --node-name %s or another --dir)", stored, name, stored)
	}
	epochBytes, haveEpoch, err := store.Meta("epoch")
	if err != nil {
		return Identity{}, err
	}
	var epoch uint32
	if haveEpoch {
		if len(epochBytes) != 4 {
			return Identity{}, fmt.Errorf("data directory: corrupt epoch")
		}
		epoch = binary.BigEndian.Uint32(epochBytes)
	} else {
		epoch = uint32(time.Now().Unix())
		if err := store.SetMeta("epoch", binary.BigEndian.AppendUint32(nil, epoch)); err != nil {
			return Identity{}, err
		}
	}
	if !ok {
		if err := store.SetMeta("node-name", []byte(name)); err != nil {
			return Identity{}, err
		}
	}
	return Identity{Name: name, Actor: version.Actor{Node: xxhash.Sum64String(name), Epoch: epoch}}, nil
}
