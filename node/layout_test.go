package node_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dynago/dynago/engine/enginetest"
	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
)

// downgradeLayout rewrites a stopped node's data directory as a release
// before hash slots left it.
func downgradeLayout(t *testing.T, dir string) int {
	t.Helper()
	n, err := enginetest.RewriteAsXXHashLayout(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOldLayoutConvertedAloneRefusedInACluster starts nodes on data
// directories in the key layout before hash slots: a lone node's is
// converted and every key reads back; a cluster member's is refused with a
// message that says what to do.
func TestOldLayoutConvertedAloneRefusedInACluster(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t)

	lone := testserver.Start(t)
	for i := range 50 {
		if err := lone.Client().Set(ctx, fmt.Sprintf("k:%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	lone.Stop()
	if n := downgradeLayout(t, lone.Dir); n != 50 {
		t.Fatalf("rewrote %d entries, want 50", n)
	}
	lone.Restart()
	for i := range 50 {
		if n, err := lone.Client().Get(ctx, fmt.Sprintf("k:%d", i)).Int(); err != nil || n != i {
			t.Fatalf("k:%d after conversion: %d, %v", i, n, err)
		}
	}
	if n, err := lone.Client().DBSize(ctx).Result(); err != nil || n != 50 {
		t.Fatalf("DBSIZE after conversion: %d, %v", n, err)
	}

	c := testserver.StartCluster(t, 2, steady)
	for i := range 20 {
		if err := c.Nodes[0].Client().Set(ctx, fmt.Sprintf("c:%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	member := c.Nodes[1]
	member.Stop()
	downgradeLayout(t, member.Dir)
	_, err := node.Start(member.Config)
	if err == nil || !strings.Contains(err.Error(), "uses key layout 1") || !strings.Contains(err.Error(), "one of 2 cluster members") ||
		!strings.Contains(err.Error(), "Upgrading to hash slots") {
		t.Fatalf("a cluster member's old directory started with %v; want a refusal that says what to do", err)
	}
}
