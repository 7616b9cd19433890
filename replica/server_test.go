package replica

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

// openEngine opens an engine in a temporary directory for one test.
func openEngine(t *testing.T) *engine.Engine {
	t.Helper()
	ecfg := engine.DefaultConfig(t.TempDir())
	ecfg.Partitions = 8
	eng, err := engine.Open(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// A replica answers a digest read with one byte when its copy has the
// reader's digest, with its object when it differs, and with "none" when it
// holds nothing.
func TestReplicaAnswersDigestReads(t *testing.T) {
	s := NewServer(openEngine(t), nil)
	mine := version.Object{}.Update(nil, version.Dot{Actor: version.Actor{Node: 1, Epoch: 1}, Counter: 1},
		&version.Sibling{Time: 1, Value: []byte("v")})
	if _, err := s.HandleMergeBatch(EncodeBatch([][]byte{[]byte("k")}, []version.Object{mine})); err != nil {
		t.Fatal(err)
	}
	d := antientropy.Digest([]byte("k"), mine)
	keys := [][]byte{[]byte("k"), []byte("k"), []byte("absent")}
	reply, err := s.HandleReadDigests(EncodeReadDigests(keys, []uint64{d, d + 1, 0}, 0))
	if err != nil {
		t.Fatal(err)
	}
	got, gen, err := DecodeReadDigestsReply(reply, len(keys))
	if err != nil || gen != 0 {
		t.Fatalf("reply decodes to generation %d, %v", gen, err)
	}
	if !got[0].Same || got[0].Found {
		t.Fatalf("same digest: %+v, want same", got[0])
	}
	if got[1].Same || !got[1].Found || !got[1].Object.Equal(mine) {
		t.Fatalf("other digest: %+v, want the replica's object", got[1])
	}
	if got[2].Same || got[2].Found {
		t.Fatalf("absent key: %+v, want none", got[2])
	}
	if reply[0] != digestSame || len(reply) != 2+1+len(mine.AppendBinary(nil))+1 {
		t.Fatalf("reply of %d bytes %v: the agreeing replica must answer in one byte", len(reply), reply)
	}
}

func TestBatchEncodingRoundTripsAndRejectsGarbage(t *testing.T) {
	obj := version.Object{}.Update(nil, version.Dot{Actor: version.Actor{Node: 1, Epoch: 1}, Counter: 3},
		&version.Sibling{Time: 1, Value: []byte("v")})
	keys := [][]byte{[]byte("a"), []byte(""), []byte("ccc")}
	objs := []version.Object{obj, obj, {}}
	b := EncodeBatch(keys, objs)
	gk, gobjs, err := DecodeBatch(b)
	if err != nil || len(gk) != 3 || !bytes.Equal(gk[2], keys[2]) || !gobjs[0].Equal(obj) {
		t.Fatalf("round trip = %q %v %v", gk, gobjs, err)
	}
	for i := 0; i < len(b); i++ {
		if _, _, err := DecodeBatch(b[:i]); err == nil {
			t.Fatalf("a batch cut at %d decoded", i)
		}
	}
	s := NewServer(newMemStore(), nil)
	if _, err := s.HandleHint([]byte{0xff}); err == nil {
		t.Fatal("a malformed hint was accepted")
	}
	if _, err := s.HandleReadBatch([]byte{0x05}); err == nil {
		t.Fatal("a malformed key list was accepted")
	}
	if _, err := s.HandleReadDigests(EncodeReadDigests(make([][]byte, MaxReadBatch+1), make([]uint64, MaxReadBatch+1), 0)); err == nil {
		t.Fatalf("a digest read of more than %d keys was accepted", MaxReadBatch)
	}
}

// A replica answers an element read in pages, from the engine and from
// its in-memory twin alike, and refuses a page size out of bounds.
func TestReplicaAnswersElementReadsInPages(t *testing.T) {
	for name, store := range map[string]Store{"engine": openEngine(t), "memStore": newMemStore()} {
		s := NewServer(store, nil)
		one := version.Object{}.Update(nil, version.Dot{Actor: version.Actor{Node: 1, Epoch: 1}, Counter: 1},
			&version.Sibling{Time: 1, Value: []byte("v")})
		var keys [][]byte
		var objs []version.Object
		for _, f := range []string{"c", "a", "b", "d", "e"} {
			keys = append(keys, partition.ElementKey(nil, []byte("h"), []byte(f)))
			objs = append(objs, one)
		}
		keys = append(keys, []byte("h"), partition.ElementKey(nil, []byte("h2"), []byte("a")))
		objs = append(objs, one, one)
		if _, err := s.HandleMergeBatch(EncodeBatch(keys, objs)); err != nil {
			t.Fatal(err)
		}
		var got []string
		var after []byte
		for pages := 0; ; pages++ {
			if pages > 3 {
				t.Fatalf("%s: more than 3 pages of 2 for 5 fields", name)
			}
			reply, err := s.HandleReadElements(EncodeReadElements([]byte("h"), after, 2, 0))
			if err != nil {
				t.Fatal(err)
			}
			ks, os, more, _, err := DecodeReadElementsReply(reply)
			if err != nil {
				t.Fatal(err)
			}
			for i, k := range ks {
				_, f, _ := partition.SplitElementKey(k)
				if !os[i].Equal(one) {
					t.Fatalf("%s: field %s = %v", name, f, os[i])
				}
				got = append(got, string(f))
				after = k
			}
			if !more {
				break
			}
		}
		if strings.Join(got, "") != "abcde" {
			t.Fatalf("%s: fields %v", name, got)
		}
		for _, limit := range []int{0, MaxElementsPage + 1} {
			if _, err := s.HandleReadElements(EncodeReadElements([]byte("h"), nil, limit, 0)); err == nil {
				t.Fatalf("%s: a page of %d records was served", name, limit)
			}
		}
	}
}

// A replica answers an elements digest that depends on the key's element
// records only, equal from the engine and its in-memory twin, and the
// same on two replicas exactly when they hold the same records.
func TestReplicaAnswersElementsDigests(t *testing.T) {
	v := func(node uint64, value string) version.Object {
		return version.Object{}.Update(nil, version.Dot{Actor: version.Actor{Node: node, Epoch: 1}, Counter: 1},
			&version.Sibling{Time: 1, Value: []byte(value)})
	}
	digest := func(s *Server, key string) uint64 {
		t.Helper()
		reply, err := s.HandleElementsDigest(EncodeElementsDigest([]byte(key), 0))
		if err != nil {
			t.Fatal(err)
		}
		d, gen, err := DecodeElementsDigestReply(reply)
		if err != nil || gen != 0 {
			t.Fatalf("reply %x: generation %d, %v", reply, gen, err)
		}
		return d
	}
	var servers []*Server
	for _, store := range []Store{openEngine(t), newMemStore()} {
		s := NewServer(store, nil)
		servers = append(servers, s)
		if d := digest(s, "h"); d != 0 {
			t.Fatalf("no records, digest %x", d)
		}
		keys := [][]byte{partition.ElementKey(nil, []byte("h"), []byte("a")), partition.ElementKey(nil, []byte("h"), []byte("b")),
			[]byte("h"), partition.ElementKey(nil, []byte("h2"), []byte("a"))}
		objs := []version.Object{v(1, "x"), v(2, "y"), v(1, "header"), v(3, "other set")}
		if _, err := s.HandleMergeBatch(EncodeBatch(keys, objs)); err != nil {
			t.Fatal(err)
		}
	}
	want := antientropy.Digest(partition.ElementKey(nil, []byte("h"), []byte("a")), v(1, "x")) ^
		antientropy.Digest(partition.ElementKey(nil, []byte("h"), []byte("b")), v(2, "y"))
	for i, s := range servers {
		if d := digest(s, "h"); d != want {
			t.Fatalf("store %d: digest %x, want %x", i, d, want)
		}
	}
	// A concurrent version of one field on one replica only.
	if _, err := servers[0].HandleMergeBatch(EncodeBatch([][]byte{partition.ElementKey(nil, []byte("h"), []byte("b"))}, []version.Object{v(4, "z")})); err != nil {
		t.Fatal(err)
	}
	if digest(servers[0], "h") == digest(servers[1], "h") {
		t.Fatal("replicas holding different records answered one digest")
	}
	if _, err := servers[0].HandleElementsDigest([]byte{5, 'h'}); err == nil {
		t.Fatal("a truncated request was answered")
	}
}
