package difftest

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
)

// clusterKeys are keys that exercise Redis Cluster's hash-tag rules: braces
// in every position, empty and unclosed tags, binary bytes, long keys.
func clusterKeys(rng *rand.Rand, n int) []string {
	keys := []string{"", "{", "}", "{}", "}{", "{{}}", "{a", "a}", "{a}", "{a}{b}", "{}{a}", "a{}b{c}", "a{{b}}c",
		"{user1000}.following", "{user1000}.followers", "foo{bar}{zap}", "foo{{bar}}zap", "\x00{\x00}", "{\xff\xfe}"}
	alphabet := []byte("ab{}:\x00\xff")
	for len(keys) < n {
		b := make([]byte, rng.IntN(24))
		if rng.IntN(50) == 0 {
			b = make([]byte, 1000+rng.IntN(1000))
		}
		for i := range b {
			if rng.IntN(3) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = byte(rng.IntN(256))
			}
		}
		keys = append(keys, string(b))
	}
	return keys
}

// TestClusterCommandsMatchRedis compares the CLUSTER commands whose answers
// do not depend on how the cluster is laid out with a redis-server run in
// cluster mode: KEYSLOT for thousands of keys, and the errors of bad
// arguments. It then checks that COUNTKEYSINSLOT and GETKEYSINSLOT on a
// Dynago node find exactly the keys that Redis puts in each slot.
func TestClusterCommandsMatchRedis(t *testing.T) {
	r := startRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	node := testserver.Start(t)
	rc, err := dial(r.Addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.close()
	dc, err := dial(node.Addr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.close()
	both := func(args ...string) (Reply, Reply) {
		t.Helper()
		rr, err := rc.do(Cmd(args))
		if err != nil {
			t.Fatal(err)
		}
		dr, err := dc.do(Cmd(args))
		if err != nil {
			t.Fatal(err)
		}
		return rr, dr
	}

	rng := rand.New(rand.NewPCG(7, 11))
	keys := clusterKeys(rng, 3000)
	slotOf := map[string]int64{}
	for _, k := range keys {
		rr, dr := both("CLUSTER", "KEYSLOT", k)
		if !rr.Equal(dr) {
			t.Fatalf("CLUSTER KEYSLOT %q: redis %s, dynago %s", k, rr, dr)
		}
		slotOf[k] = rr.Int
	}

	for _, args := range [][]string{
		{"CLUSTER"},
		{"CLUSTER", "KEYSLOT"},
		{"CLUSTER", "KEYSLOT", "a", "b"},
		{"CLUSTER", "NOSUCH"},
		{"cluster", "keyslot", "x"},
		{"CLUSTER", "MYID", "x"},
		{"CLUSTER", "INFO", "x"},
		{"CLUSTER", "SLOTS", "x"},
		{"CLUSTER", "COUNTKEYSINSLOT"},
		{"CLUSTER", "COUNTKEYSINSLOT", "x"},
		{"CLUSTER", "COUNTKEYSINSLOT", "1.5"},
		{"CLUSTER", "COUNTKEYSINSLOT", "-1"},
		{"CLUSTER", "COUNTKEYSINSLOT", "16384"},
		{"CLUSTER", "COUNTKEYSINSLOT", "99999999999999999999"},
		{"CLUSTER", "COUNTKEYSINSLOT", "16383"},
		{"CLUSTER", "GETKEYSINSLOT", "0"},
		{"CLUSTER", "GETKEYSINSLOT", "x", "1"},
		{"CLUSTER", "GETKEYSINSLOT", "0", "x"},
		{"CLUSTER", "GETKEYSINSLOT", "0", "-1"},
		{"CLUSTER", "GETKEYSINSLOT", "-1", "1"},
		{"CLUSTER", "GETKEYSINSLOT", "16384", "1"},
		{"CLUSTER", "GETKEYSINSLOT", "0", "10"},
		{"READONLY"}, {"READWRITE"}, {"ASKING"},
		{"READONLY", "x"}, {"ASKING", "x"},
	} {
		rr, dr := both(args...)
		if !rr.Equal(dr) {
			t.Errorf("%q: redis %s, dynago %s", args, rr, dr)
		}
	}

	// Keys written to Dynago are found in the slots Redis computes.
	bySlot := map[int64][]string{}
	for i, k := range keys[:400] {
		if _, err := dc.must("SET", k, strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(bySlot[slotOf[k]], k) {
			bySlot[slotOf[k]] = append(bySlot[slotOf[k]], k)
		}
	}
	for slot, want := range bySlot {
		s := strconv.FormatInt(slot, 10)
		n, err := dc.must("CLUSTER", "COUNTKEYSINSLOT", s)
		if err != nil || n.Int != int64(len(want)) {
			t.Fatalf("COUNTKEYSINSLOT %d = %s (%v), want %d", slot, n, err, len(want))
		}
		got, err := dc.must("CLUSTER", "GETKEYSINSLOT", s, "1000")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range got.Elems {
			names = append(names, e.Str)
		}
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Fatalf("GETKEYSINSLOT %d = %q, want %q", slot, names, want)
		}
		if len(want) > 1 {
			one, err := dc.must("CLUSTER", "GETKEYSINSLOT", s, "1")
			if err != nil || len(one.Elems) != 1 {
				t.Fatalf("GETKEYSINSLOT %d 1 = %s (%v)", slot, one, err)
			}
		}
	}
	t.Logf("%d keys compared, %d slots checked", len(keys), len(bySlot))
}
