package partition

import (
	"math/rand/v2"
	"testing"
)

func TestCRC16(t *testing.T) {
	// The check value of CRC-16/XMODEM.
	if got := crc16([]byte("123456789")); got != 0x31c3 {
		t.Fatalf("crc16(123456789) = %#x, want 0x31c3", got)
	}
	if got := crc16(nil); got != 0 {
		t.Fatalf("crc16() = %#x, want 0", got)
	}
}

func TestSlot(t *testing.T) {
	for _, c := range []struct {
		key  string
		slot int
	}{
		// Values redis-server 7 answers to CLUSTER KEYSLOT (the
		// differential tester checks many more against a live server).
		{"foo", 12182},
		{"somekey", 11058},
		{"", 0},
	} {
		if got := Slot([]byte(c.key)); got != c.slot {
			t.Errorf("Slot(%q) = %d, want %d", c.key, got, c.slot)
		}
	}
	for _, c := range []struct{ key, tag string }{
		{"{user1000}.following", "user1000"},
		{"foo{bar}{zap}", "bar"},
		{"foo{{bar}}zap", "{bar"},
		{"foo{}{bar}", "foo{}{bar}"}, // the first pair is empty: the whole key
		{"foo{bar", "foo{bar"},       // unclosed
		{"}foo{x}", "x"},
		{"{}", "{}"},
		{"{a}", "a"},
		{"a{", "a{"},
	} {
		if got := string(HashTag([]byte(c.key))); got != c.tag {
			t.Errorf("HashTag(%q) = %q, want %q", c.key, got, c.tag)
		}
		if Slot([]byte(c.key)) != Slot([]byte(c.tag)) {
			t.Errorf("Slot(%q) differs from Slot(%q)", c.key, c.tag)
		}
	}
}

// TestHashKeepsSlotsContiguous checks that a key's ring position carries
// its slot in the top bits, so that a partition is a run of whole slots
// and keys sharing a hash tag share a partition for every Q.
func TestHashKeepsSlotsContiguous(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	key := make([]byte, 12)
	for range 20000 {
		for i := range key {
			key[i] = byte(rng.IntN(256))
		}
		h, s := Hash(key), Slot(key)
		if SlotOf(h) != s {
			t.Fatalf("SlotOf(Hash(%x)) = %d, Slot = %d", key, SlotOf(h), s)
		}
		if h < SlotStart(s) || (s+1 < Slots && h >= SlotStart(s+1)) {
			t.Fatalf("Hash(%x) = %#x outside slot %d's positions", key, h, s)
		}
		for q := 1; q <= MaxPartitions; q *= 4 {
			p := Of(h, q)
			first, last := SlotRange(p, q)
			if s < first || s > last {
				t.Fatalf("q=%d: key in slot %d lands in partition %d with slots %d-%d", q, s, p, first, last)
			}
		}
	}
	tagged := [][]byte{[]byte("{user:7}:cart"), []byte("{user:7}:session"), []byte("x{user:7}")}
	for q := 1; q <= MaxPartitions; q *= 2 {
		p := Of(Hash(tagged[0]), q)
		for _, k := range tagged[1:] {
			if Of(Hash(k), q) != p {
				t.Fatalf("q=%d: %q and %q in different partitions", q, tagged[0], k)
			}
		}
	}
}

func TestSlotRangeCoversEverySlotOnce(t *testing.T) {
	for q := 1; q <= MaxPartitions; q *= 2 {
		next := 0
		for p := range q {
			first, last := SlotRange(p, q)
			if first != next || last < first {
				t.Fatalf("q=%d: partition %d has slots %d-%d, want to start at %d", q, p, first, last, next)
			}
			if SlotStart(first) != Start(p, q) {
				t.Fatalf("q=%d: partition %d starts at %#x, its first slot at %#x", q, p, Start(p, q), SlotStart(first))
			}
			next = last + 1
		}
		if next != Slots {
			t.Fatalf("q=%d: partitions end at slot %d", q, next)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	key := []byte("key:000000012345")
	for b.Loop() {
		Hash(key)
	}
}
