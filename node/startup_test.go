package node_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/membership"
	"github.com/dynago/dynago/node"
)

// A node's internode port listens before the node joins: the others may
// call it (a replica write, say) as soon as gossip shows it in their ring,
// which can be before its own start-up returns. The check runs inside the
// join: every gossip packet and stream of the joining node passes through its
// Drop hook, which here also tries the node's internode port. Before the
// port was opened ahead of the join, these connections were refused, and a
// write that reached the new node in that window failed, and made the writes
// after it fail too for the transport's redial backoff: resp's
// TestAuthForwardedCommands saw NOQUORUM ("1 of 2 required replicas
// answered") right after its two-node cluster formed.
func TestPeerPortListensBeforeJoin(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var tried, refused int
	var lastErr error
	testserver.StartCluster(t, 2, func(i int, cfg *node.Config) {
		if i != 1 {
			return
		}
		peer, gossip := cfg.PeerAddr, cfg.Gossip
		cfg.Gossip = func(m *membership.Config) {
			gossip(m)
			drop := m.Drop
			m.Drop = func(remote string) bool {
				mu.Lock()
				if tried < 3 {
					tried++
					conn, err := net.DialTimeout("tcp", peer, time.Second)
					if err != nil {
						refused++
						lastErr = err
					} else {
						conn.Close()
					}
				}
				mu.Unlock()
				return drop(remote)
			}
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if tried == 0 {
		t.Fatal("the joining node's gossip never passed through its Drop hook")
	}
	if refused > 0 {
		t.Fatalf("%d of %d connections to the joining node's internode port were refused while it joined: %v", refused, tried, lastErr)
	}
}
