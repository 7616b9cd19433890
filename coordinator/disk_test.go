package coordinator

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/version"
)

// refuseWrites makes c's store refuse writes as a full disk does: its
// reserve is larger than any disk.
func refuseWrites(t *testing.T, c *Coordinator) {
	t.Helper()
	c.eng.SetDiskReserve(1 << 62)
	if c.DiskHealth().Status != engine.DiskFull {
		t.Fatalf("the store does not refuse writes: %+v", c.DiskHealth())
	}
}

func TestAloneAFullDiskAnswersMISCONFAtOnce(t *testing.T) {
	c := newCoordinator(t, nodeA, stepClock())
	write(t, c, "k", nil, "before")
	refuseWrites(t, c)

	start := time.Now()
	_, err := c.Update(context.Background(), []byte("k"), func(st *op.State) (op.Change, error) {
		return st.Put(version.KindBytes, []byte("after"), 0), nil
	}, Options{})
	took := time.Since(start)
	var dr *DiskRefusedError
	if !errors.As(err, &dr) || !errors.Is(err, engine.ErrDiskFull) {
		t.Fatalf("a write on a full disk answered %v", err)
	}
	msg := dr.RedisError()
	if !strings.HasPrefix(msg, "MISCONF Dynago cannot write to its data directory (") ||
		!strings.Contains(msg, "free, under the") ||
		!strings.HasSuffix(msg, "); writes are refused until the disk accepts them again, reads still work") {
		t.Fatalf("the client is told %q", msg)
	}
	if took > time.Second {
		t.Fatalf("the refusal took %v", took)
	}
	t.Logf("refused in %v: %s", took, msg)
	o, _, err := c.Read(context.Background(), []byte("k"), Options{})
	if err != nil || string(o.Siblings[0].Value) != "before" {
		t.Fatalf("a read on a full disk: %v, %v", o, err)
	}

	// A pipeline's refused writes leave nothing to sync.
	deferred := c.DeferSync()
	if _, err := c.Update(context.Background(), []byte("k"), func(st *op.State) (op.Change, error) {
		return st.Put(version.KindBytes, []byte("piped"), 0), nil
	}, Options{Sync: deferred}); !errors.As(err, &dr) {
		t.Fatalf("a pipelined write on a full disk answered %v", err)
	}
	if err := deferred.Sync(); err != nil {
		t.Fatalf("syncing a pipeline of refused writes: %v", err)
	}
}

func TestClusterAStoreThatRefusesWritesCountsAsAFailedReplica(t *testing.T) {
	cases := []struct {
		name     string
		refusing []string // stores that refuse writes; "a" coordinates
		answered int      // replicas that hold the write
	}{
		{"the coordinator's own", []string{"a"}, 2},
		{"another replica's", []string{"b"}, 2},
		{"the coordinator's and another's", []string{"a", "b"}, 1},
		{"two other replicas'", []string{"b", "c"}, 1},
		{"all", []string{"a", "b", "c"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, coords := startCluster(t, "a", "b", "c")
			a := coords["a"]
			if err := set(a, "k", "v1"); err != nil {
				t.Fatal(err)
			}
			for _, name := range tc.refusing {
				refuseWrites(t, coords[name])
			}
			err := set(a, "k", "v2")
			if tc.answered >= 2 {
				if err != nil {
					t.Fatalf("W=2 of 3 with %v refusing: %v", tc.refusing, err)
				}
				for name, c := range coords {
					want := "v2"
					if c.DiskHealth().Status != engine.DiskOK {
						want = "v1" // its store refused the write
					}
					if got := localValues(t, c, "k"); len(got) != 1 || got[0] != want {
						t.Fatalf("%s holds %v, want %s", name, got, want)
					}
				}
				// The coordinator's store refusing, it decides on a quorum
				// read: a second plain SET supersedes the first, and a
				// read-modify-write sees it.
				if err := set(a, "k", "v3"); err != nil {
					t.Fatal(err)
				}
				if _, err := a.Update(context.Background(), []byte("k"), func(st *op.State) (op.Change, error) {
					v, _, err := st.Value()
					if err != nil {
						return op.Change{}, err
					}
					return st.Put(version.KindBytes, append(v.Bytes, "+x"...), 0), nil
				}, Options{here: true}); err != nil {
					t.Fatal(err)
				}
				for _, c := range coords {
					o, _, err := c.Read(context.Background(), []byte("k"), Options{})
					if err != nil {
						t.Fatal(err)
					}
					if len(o.Siblings) != 1 || string(o.Siblings[0].Value) != "v3+x" {
						t.Fatalf("after the writes through a refusing store a read finds %d siblings: %v", len(o.Siblings), o)
					}
				}
				return
			}
			var nq *NoQuorumError
			if !errors.As(err, &nq) {
				t.Fatalf("W=2 of 3 with %v refusing answered %v", tc.refusing, err)
			}
			// (Answered counts the replicas heard from when the quorum
			// became impossible: a slower one may take the write later.)
			if nq.Op != "write" || nq.Answered > tc.answered || nq.Needed != 2 || nq.Replicas != 3 {
				t.Fatalf("the client is told %q with %d of 3 replicas taking writes", nq.Error(), tc.answered)
			}
			if _, writes := a.Stats().QuorumFailures(); writes != 1 {
				t.Fatalf("NOQUORUM writes counted: %d", writes)
			}
			if v, ok := readValue(t, coords["c"], "k"); !ok || (v != "v1" && v != "v2") {
				t.Fatalf("a read after the failed write: %q %v", v, ok)
			}
		})
	}
}
