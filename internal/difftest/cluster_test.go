package difftest

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
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
	r := ForTest(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
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

	// The layout replies, shape for shape, with Redis serving every slot
	// itself as a lone Dynago node does.
	if _, err := rc.must("CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil {
		t.Fatal(err)
	}
	compareClusterLayout(t, r.Addr, node.Addr())

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

// compareClusterLayout compares CLUSTER SLOTS, SHARDS, NODES and INFO of a
// one-node Redis cluster holding every slot with a lone Dynago node's, in
// RESP2 and RESP3. What names the server (address, port, id, timestamps,
// counters) is left out; every other part must be equal: the nesting, the
// types, the field names and their order, the slot range, the flags.
func compareClusterLayout(t *testing.T, redisAddr, dynagoAddr string) {
	t.Helper()
	for _, proto := range []string{"2", "3"} {
		rc, err := dial(redisAddr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		dc, err := dial(dynagoAddr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		get := func(c *conn, args ...string) Reply {
			t.Helper()
			r, err := c.must(args...)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		get(rc, "HELLO", proto)
		get(dc, "HELLO", proto)

		// SLOTS: [start, end, [ip, port, id, metadata]].
		rs, ds := get(rc, "CLUSTER", "SLOTS"), get(dc, "CLUSTER", "SLOTS")
		myID := get(dc, "CLUSTER", "MYID").Str
		if len(ds.Elems) == 1 && len(ds.Elems[0].Elems) == 3 {
			if n := ds.Elems[0].Elems[2]; len(n.Elems) == 4 && n.Elems[2].Str != myID {
				t.Errorf("RESP%s CLUSTER SLOTS names id %q, CLUSTER MYID %q", proto, n.Elems[2].Str, myID)
			}
		}
		if m, n := maskSlots(rs), maskSlots(ds); !m.Equal(n) {
			t.Errorf("RESP%s CLUSTER SLOTS: redis %s, dynago %s", proto, rs, ds)
		}

		// SHARDS: maps of slots and nodes, each node a map.
		rsh, dsh := get(rc, "CLUSTER", "SHARDS"), get(dc, "CLUSTER", "SHARDS")
		if m, n := maskShards(rsh), maskShards(dsh); !m.Equal(n) {
			t.Errorf("RESP%s CLUSTER SHARDS: redis %s, dynago %s", proto, rsh, dsh)
		}

		// INFO: the same fields in the same order.
		ri, di := get(rc, "CLUSTER", "INFO"), get(dc, "CLUSTER", "INFO")
		if ri.Type != di.Type || !slices.Equal(infoNames(ri.Str), infoNames(di.Str)) {
			t.Errorf("RESP%s CLUSTER INFO: redis %s, dynago %s", proto, ri, di)
		}

		// NODES: one line, the same flags, master, link state and slots.
		rn, dn := get(rc, "CLUSTER", "NODES"), get(dc, "CLUSTER", "NODES")
		// (A RESP3 verbatim string starts with its format, "txt:".)
		rf, df := strings.Fields(strings.TrimPrefix(rn.Str, "txt:")), strings.Fields(strings.TrimPrefix(dn.Str, "txt:"))
		same := rn.Type == dn.Type && len(rf) == 9 && len(df) == 9 && df[0] == myID
		for _, i := range []int{2, 3, 7, 8} {
			same = same && rf[i] == df[i]
		}
		if !same {
			t.Errorf("RESP%s CLUSTER NODES: redis %s, dynago %s", proto, rn, dn)
		}
		rc.close()
		dc.close()
	}
}

// maskSlots blanks what names the server in a CLUSTER SLOTS reply.
func maskSlots(r Reply) Reply {
	r = clone(r)
	for _, run := range r.Elems {
		for _, n := range run.Elems[min(2, len(run.Elems)):] {
			if len(n.Elems) >= 3 {
				n.Elems[0].Str, n.Elems[1].Int, n.Elems[2].Str = "", 0, ""
			}
		}
	}
	return r
}

// maskShards blanks what names the server in a CLUSTER SHARDS reply.
func maskShards(r Reply) Reply {
	r = clone(r)
	for _, shard := range r.Elems {
		for i := 0; i+1 < len(shard.Elems); i += 2 {
			if shard.Elems[i].Str != "nodes" {
				continue
			}
			for _, n := range shard.Elems[i+1].Elems {
				for j := 0; j+1 < len(n.Elems); j += 2 {
					switch n.Elems[j].Str {
					case "id", "ip", "endpoint":
						n.Elems[j+1].Str = ""
					case "port", "replication-offset":
						n.Elems[j+1].Int = 0
					}
				}
			}
		}
	}
	return r
}

// clone copies a reply deeply, so masking leaves the original alone.
func clone(r Reply) Reply {
	c := r
	c.Elems = nil
	for _, e := range r.Elems {
		c.Elems = append(c.Elems, clone(e))
	}
	return c
}

// infoNames lists the field names of an INFO-style text.
func infoNames(text string) []string {
	var out []string
	for line := range strings.Lines(text) {
		if name, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			out = append(out, name)
		}
	}
	return out
}
