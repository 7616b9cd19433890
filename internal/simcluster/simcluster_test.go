package simcluster

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A simulated cluster forms, serves reads and writes through every node, and
// notices a cut-off node on the fake clock.
func TestClusterFormsAndDetectsACut(t *testing.T) {
	Run(t, func(t *testing.T) {
		start := time.Now()
		c := Start(t, 3, nil)
		t.Logf("three nodes formed a ring after %v (fake clock)", time.Since(start))
		ctx := context.Background()
		for i, n := range c.Nodes {
			key := fmt.Sprintf("k%d", i)
			if err := n.Do(ctx, "SET", key, "v").Err(); err != nil {
				t.Fatalf("SET through %s: %v", n.Name(), err)
			}
			for _, m := range c.Nodes {
				if got, err := m.Do(ctx, "GET", key).Text(); err != nil || got != "v" {
					t.Fatalf("GET %s through %s: %q, %v", key, m.Name(), got, err)
				}
			}
		}
		if err := c.Nodes[0].Do(ctx, "GET", "missing").Err(); !errors.Is(err, redis.Nil) {
			t.Fatalf("GET of a missing key: %v, want redis.Nil", err)
		}
		var re redis.Error
		if err := c.Nodes[0].Do(ctx, "NOSUCHCOMMAND").Err(); !errors.As(err, &re) {
			t.Fatalf("an unknown command: %v, want an error reply", err)
		}
		c.Isolate(2)
		cut := time.Now()
		c.WaitAlive(2, false)
		t.Logf("the cut-off node was seen down after %v (fake clock)", time.Since(cut))
		c.HealAll()
		c.WaitAlive(2, true)
	})
}
