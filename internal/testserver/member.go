package testserver

import (
	"context"
	"testing"
	"time"

	"github.com/dynago/dynago/node"
)

// Member is one node of a test cluster (Cluster here, or a simulated one):
// its data directory and configuration, kept across restarts, and the node
// while it runs.
type Member struct {
	t      testing.TB
	Index  int
	Dir    string
	Config node.Config
	Node   *node.Node // nil while stopped
}

// NewMember returns the index-th member of a cluster, with a fresh data
// directory and no configuration yet.
func NewMember(t testing.TB, index int) *Member {
	return &Member{t: t, Index: index, Dir: t.TempDir()}
}

// Start starts (or restarts, on the same directory and addresses) the node.
func (m *Member) Start() {
	m.t.Helper()
	n, err := node.Start(m.Config)
	if err != nil {
		m.t.Fatalf("start %s: %v", m.Config.Name, err)
	}
	m.Node = n
}

// Stop shuts the node down gracefully.
func (m *Member) Stop() {
	if m.Node == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Node.Shutdown(ctx); err != nil {
		m.t.Logf("shutdown %s: %v", m.Config.Name, err)
	}
	m.Node = nil
}

// Name is the node's name.
func (m *Member) Name() string { return m.Config.Name }

// Isolate cuts member i of members from every other.
func (l *Links) Isolate(members []*Member, i int) {
	for j := range members {
		if j != i {
			l.Cut(members[i].Config, members[j].Config)
		}
	}
}
