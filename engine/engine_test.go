package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dynago/dynago/antientropy"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/version"
)

var actor = version.Actor{Node: 7, Epoch: 1}

// fakeClock is a settable clock for expiry tests.
type fakeClock struct{ ms atomic.Int64 }

func (c *fakeClock) now() time.Time { return time.UnixMilli(c.ms.Load()) }

func open(t *testing.T, dir string, mod ...func(*Config)) *Engine {
	t.Helper()
	cfg := DefaultConfig(dir)
	cfg.SweepInterval = time.Hour // tests sweep by hand
	for _, m := range mod {
		m(&cfg)
	}
	e, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// put writes value to key with a fresh dot, superseding what is stored.
func put(t *testing.T, e *Engine, key string, counter uint64, value []byte, expiry int64) version.Object {
	t.Helper()
	o, err := e.Update([]byte(key), func(cur version.Object, found bool) (version.Object, bool, error) {
		dot := version.Dot{Actor: actor, Counter: counter}
		return cur.Update(cur.Clock, dot, &version.Sibling{Time: int64(counter), Expiry: expiry, Value: value}), true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func get(t *testing.T, e *Engine, key string) (version.Object, bool) {
	t.Helper()
	o, found, err := e.Get([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return o, found
}

func TestUpdateGetRemove(t *testing.T) {
	e := open(t, t.TempDir())
	if _, found := get(t, e, "k"); found {
		t.Fatal("empty engine has k")
	}
	put(t, e, "k", 1, []byte("v1"), 0)
	put(t, e, "k", 2, []byte("v2"), 0)
	o, found := get(t, e, "k")
	if !found || len(o.Siblings) != 1 || string(o.Siblings[0].Value) != "v2" {
		t.Fatalf("got %+v found=%v, want one sibling v2", o, found)
	}
	if e.Len() != 1 {
		t.Fatalf("Len = %d, want 1", e.Len())
	}
	// A tombstone keeps the clock and is not counted.
	_, err := e.Update([]byte("k"), func(cur version.Object, _ bool) (version.Object, bool, error) {
		return cur.Update(cur.Clock, version.Dot{Actor: actor, Counter: 3}, nil), true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	o, found = get(t, e, "k")
	if !found || !o.IsTombstone() || e.Len() != 0 {
		t.Fatalf("after delete: %+v found=%v len=%d, want a tombstone and Len 0", o, found, e.Len())
	}
	// The empty object removes the record.
	_, err = e.Update([]byte("k"), func(version.Object, bool) (version.Object, bool, error) {
		return version.Object{}, true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, found := get(t, e, "k"); found {
		t.Fatal("removed key still found")
	}
}

func TestPersistsAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	for _, fsync := range []FsyncMode{FsyncAlways, FsyncBatch, FsyncNever} {
		e := open(t, dir, func(c *Config) { c.Fsync = fsync })
		for i := 0; i < 100; i++ {
			put(t, e, fmt.Sprintf("%s-%d", fsync, i), uint64(i+1), bytes.Repeat([]byte{byte(i)}, i*20), 0)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
	e := open(t, dir)
	if e.Len() != 300 {
		t.Fatalf("Len after reopen = %d, want 300", e.Len())
	}
	for _, fsync := range []FsyncMode{FsyncAlways, FsyncBatch, FsyncNever} {
		for i := 0; i < 100; i++ {
			o, found := get(t, e, fmt.Sprintf("%s-%d", fsync, i))
			if !found || !bytes.Equal(o.Siblings[0].Value, bytes.Repeat([]byte{byte(i)}, i*20)) {
				t.Fatalf("%s-%d lost or wrong after reopen", fsync, i)
			}
		}
	}
}

func TestLargeValuesAreCompressed(t *testing.T) {
	e := open(t, t.TempDir(), func(c *Config) { c.RowCacheBytes = 0 })
	big := bytes.Repeat([]byte("dynago "), 1000)
	put(t, e, "big", 1, big, 0)
	raw, closer, err := e.db.Get(dataKey(nil, []byte("big")))
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	if raw[0]&flagCompressed == 0 || len(raw) >= len(big)/2 {
		t.Fatalf("record of %d bytes (flags %x) for a %d-byte repetitive value: not compressed", len(raw), raw[0], len(big))
	}
	o, _ := get(t, e, "big")
	if !bytes.Equal(o.Siblings[0].Value, big) {
		t.Fatal("compressed value does not round-trip")
	}
}

func TestExpirySweep(t *testing.T) {
	clock := &fakeClock{}
	clock.ms.Store(1_000_000)
	e := open(t, t.TempDir(), func(c *Config) { c.Now = clock.now })
	put(t, e, "soon", 1, []byte("a"), 1_000_500)
	put(t, e, "later", 2, []byte("b"), 1_002_000)
	put(t, e, "never", 3, []byte("c"), 0)
	put(t, e, "moved", 4, []byte("d"), 1_000_100)
	put(t, e, "moved", 5, []byte("d"), 0) // rewritten without expiry: its old index entry is stale

	if n, err := e.SweepExpired(100); err != nil || n != 0 {
		t.Fatalf("sweep before anything is due removed %d (err %v)", n, err)
	}
	clock.ms.Store(1_000_600)
	if n, err := e.SweepExpired(100); err != nil || n != 1 {
		t.Fatalf("sweep removed %d (err %v), want 1", n, err)
	}
	if _, found := get(t, e, "soon"); found {
		t.Fatal("expired key not removed")
	}
	for _, k := range []string{"later", "never", "moved"} {
		if _, found := get(t, e, k); !found {
			t.Fatalf("%s removed too early", k)
		}
	}
	clock.ms.Store(1_010_000)
	if n, _ := e.SweepExpired(100); n != 1 || e.Len() != 2 {
		t.Fatalf("second sweep removed %d, Len %d; want 1 and 2", n, e.Len())
	}
}

func TestScanVisitsEveryKeyOnce(t *testing.T) {
	e := open(t, t.TempDir())
	const n = 2000
	for i := 0; i < n; i++ {
		put(t, e, fmt.Sprintf("key:%d", i), uint64(i+1), []byte("v"), 0)
	}
	for _, count := range []int{1, 7, 100, 5000} {
		seen := map[string]int{}
		var cursor uint64
		calls := 0
		for {
			next, err := e.Scan(cursor, count, func(key []byte, _ version.Object) bool {
				seen[string(key)]++
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			calls++
			if next == 0 {
				break
			}
			if next <= cursor {
				t.Fatalf("cursor went from %d to %d", cursor, next)
			}
			cursor = next
		}
		if len(seen) != n {
			t.Fatalf("count %d: saw %d keys, want %d", count, len(seen), n)
		}
		for k, times := range seen {
			if times != 1 {
				t.Fatalf("count %d: %s seen %d times", count, k, times)
			}
		}
		if want := (n + count - 1) / count; count < n && calls < want {
			t.Fatalf("count %d: %d calls, want at least %d", count, calls, want)
		}
	}
}

func TestFlush(t *testing.T) {
	e := open(t, t.TempDir())
	for i := 0; i < 50; i++ {
		put(t, e, fmt.Sprint(i), uint64(i+1), []byte("v"), time.Now().Add(time.Hour).UnixMilli())
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if e.Len() != 0 {
		t.Fatalf("Len after flush = %d", e.Len())
	}
	for i := 0; i < 50; i++ {
		if _, found := get(t, e, fmt.Sprint(i)); found {
			t.Fatalf("%d survived flush", i)
		}
	}
}

func TestSequenceNeverRepeats(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir)
	s, err := e.Sequence("dots", 10)
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	for i := 0; i < 25; i++ {
		n, err := s.Next()
		if err != nil || n <= last {
			t.Fatalf("Next = %d after %d (err %v)", n, last, err)
		}
		last = n
	}
	if n, _ := s.NextAfter(100); n != 101 {
		t.Fatalf("NextAfter(100) = %d, want 101", n)
	}
	last = 101
	e.Close()
	e = open(t, dir)
	s, err = e.Sequence("dots", 10)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Next(); n <= last {
		t.Fatalf("after reopen Next = %d, not above %d", n, last)
	}
}

// TestRowCacheAgreesWithModel runs random concurrent reads and writes (each
// goroutine owns its keys, so the model is exact) with a tiny row cache that
// evicts constantly, and checks every read against the model.
func TestRowCacheAgreesWithModel(t *testing.T) {
	e := open(t, t.TempDir(), func(c *Config) { c.RowCacheBytes = 16 << 10 })
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			model := map[string]string{}
			for i := 0; i < 3000; i++ {
				key := fmt.Sprintf("w%d-k%d", w, rng.IntN(50))
				switch rng.IntN(3) {
				case 0:
					val := fmt.Sprintf("%d-%d", w, i)
					_, err := e.Update([]byte(key), func(cur version.Object, _ bool) (version.Object, bool, error) {
						return cur.Update(cur.Clock, version.Dot{Actor: actor, Counter: uint64(w*100000 + i + 1)}, &version.Sibling{Value: []byte(val)}), true, nil
					})
					if err != nil {
						errs <- err
						return
					}
					model[key] = val
				case 1:
					_, err := e.Update([]byte(key), func(version.Object, bool) (version.Object, bool, error) {
						return version.Object{}, true, nil
					})
					if err != nil {
						errs <- err
						return
					}
					delete(model, key)
				default:
					o, found, err := e.Get([]byte(key))
					if err != nil {
						errs <- err
						return
					}
					want, ok := model[key]
					if found != ok || (ok && string(o.Siblings[0].Value) != want) {
						errs <- fmt.Errorf("%s: got %+v found=%v, want %q present=%v", key, o, found, want, ok)
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestRefusesUnusableDirectory(t *testing.T) {
	cfg := DefaultConfig("/proc/dynago-cannot-create")
	if _, err := Open(cfg); err == nil {
		t.Fatal("Open succeeded on a directory that cannot be created")
	}
}

// Two keys whose hashes collide never answer for each other in the row cache.
func TestRowCacheHashCollision(t *testing.T) {
	c := newRowCache(1 << 20)
	const h = 42
	a := version.Object{Siblings: []version.Sibling{{Value: []byte("a")}}}
	b := version.Object{Siblings: []version.Sibling{{Value: []byte("b")}}}
	c.put(h, []byte("key-a"), a)
	c.put(h, []byte("key-b"), b)
	if _, hit, _ := c.get(h, []byte("key-a")); hit {
		t.Fatal("key-a answered from key-b's entry")
	}
	if o, hit, _ := c.get(h, []byte("key-b")); !hit || string(o.Siblings[0].Value) != "b" {
		t.Fatalf("key-b: hit=%v %+v", hit, o)
	}
}

// A write reads its key first through the bloom filters of every level: with
// the keys compacted into the last level and no row cache, it still finds
// an existing key's versions (and supersedes them) and finds a new key
// absent.
func TestWriteReadsKeysInTheLastLevel(t *testing.T) {
	e := open(t, t.TempDir(), func(c *Config) { c.RowCacheBytes = 0 })
	for i := 0; i < 1000; i++ {
		put(t, e, fmt.Sprintf("k%04d", i), 1, []byte("old"), 0)
	}
	if err := e.db.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true); err != nil {
		t.Fatal(err)
	}
	if n := e.db.Metrics().Levels[6].TablesCount; n == 0 {
		t.Fatal("no table in the last level after a full compaction")
	}
	for i := 0; i < 1000; i += 37 {
		key := fmt.Sprintf("k%04d", i)
		var sawFound bool
		_, err := e.Update([]byte(key), func(cur version.Object, found bool) (version.Object, bool, error) {
			sawFound = found && len(cur.Siblings) == 1 && string(cur.Siblings[0].Value) == "old"
			return cur.Update(cur.Clock, version.Dot{Actor: actor, Counter: 2}, &version.Sibling{Time: 2, Value: []byte("new")}), true, nil
		})
		if err != nil || !sawFound {
			t.Fatalf("write of %s did not see its stored version (err %v)", key, err)
		}
		if o, _ := get(t, e, key); len(o.Siblings) != 1 || string(o.Siblings[0].Value) != "new" {
			t.Fatalf("%s after the write: %+v, want only the new value", key, o.Siblings)
		}
	}
	_, err := e.Update([]byte("k0000x"), func(cur version.Object, found bool) (version.Object, bool, error) {
		if found {
			t.Error("a new key between stored ones was read as found")
		}
		return cur, false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// GetDigest answers the digest of what is stored now: on a miss, on the hit
// that first computes it, on later hits, and after each write (which must
// not leave the cached digest of the older object behind).
func TestGetDigestFollowsWrites(t *testing.T) {
	for _, cache := range []int{0, 1 << 20} {
		e := open(t, t.TempDir(), func(c *Config) { c.RowCacheBytes = cache })
		check := func(key string) {
			t.Helper()
			for range 2 { // the second read is served by what the first cached
				o, found, d, err := e.GetDigest([]byte(key))
				if err != nil {
					t.Fatal(err)
				}
				if want := antientropy.Digest([]byte(key), o); d != want {
					t.Fatalf("cache %d, %s: digest %x, want %x", cache, key, d, want)
				}
				if found != (d != 0) {
					t.Fatalf("cache %d, %s: found=%v with digest %x", cache, key, found, d)
				}
			}
		}
		check("k")
		first := put(t, e, "k", 1, []byte("one"), 0)
		check("k")
		second := put(t, e, "k", 2, []byte("two"), 0)
		check("k")
		if antientropy.Digest([]byte("k"), first) == antientropy.Digest([]byte("k"), second) {
			t.Fatal("two writes digest alike; the test proves nothing")
		}
		if _, _, d, _ := e.GetDigest([]byte("k")); d != antientropy.Digest([]byte("k"), second) {
			t.Fatal("GetDigest answered an older object's digest")
		}
	}
}

// Writes and reads racing Close either finish or fail with ErrClosed; none
// reaches the closed store (where Pebble would panic).
func TestCloseWaitsForCallsInProgress(t *testing.T) {
	for round := range 20 {
		cfg := DefaultConfig(t.TempDir())
		cfg.SweepInterval = time.Hour
		e, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var wg, started sync.WaitGroup
		errs := make(chan error, 8)
		started.Add(8)
		for w := range 8 {
			wg.Go(func() {
				for i := 0; ; i++ {
					if i == 1 {
						started.Done()
					}
					key := []byte(fmt.Sprintf("r%d-w%d-%d", round, w, i%16))
					_, err := e.Merge(key, version.Object{}.Update(nil, version.Dot{Actor: actor, Counter: uint64(i + 1)}, &version.Sibling{Value: key}))
					if err == nil {
						_, _, _, err = e.GetDigest(key)
					}
					if err == nil {
						err = e.MergeBatch([][]byte{key}, []version.Object{{}})
					}
					if err != nil {
						if i == 0 {
							started.Done()
						}
						if !errors.Is(err, ErrClosed) {
							errs <- err
						}
						return
					}
				}
			})
		}
		started.Wait() // every writer is in its loop
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
}

// TestSweepCollectsAnExpiredCollectionsElements: when the sweep removes an
// expired collection's header, the collection's element records written
// before its expiry go with it; one written after (a new collection's,
// whose header is not here yet) stays, and a string's sweep touches no
// element record.
func TestSweepCollectsAnExpiredCollectionsElements(t *testing.T) {
	clock := &fakeClock{}
	clock.ms.Store(1_000_000)
	e := open(t, t.TempDir(), func(c *Config) { c.Now = clock.now })
	write := func(key []byte, counter uint64, kind version.Kind, at time.Duration, expiry int64) {
		t.Helper()
		_, err := e.Update(key, func(cur version.Object, found bool) (version.Object, bool, error) {
			dot := version.Dot{Actor: actor, Counter: counter}
			return cur.Update(cur.Clock, dot, &version.Sibling{Time: int64(at), Expiry: expiry, Kind: kind, Value: []byte("x")}), true, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	h, s := []byte("h"), []byte("s")
	write(h, 1, version.KindHash, ms(999_000), 1_000_500)
	write(partition.ElementKey(nil, h, []byte("old1")), 2, version.KindField, ms(999_000), 0)
	write(partition.ElementKey(nil, h, []byte("old2")), 3, version.KindField, ms(1_000_100), 0)
	write(partition.ElementKey(nil, h, []byte("new")), 4, version.KindField, ms(1_000_700), 0)
	write(s, 5, version.KindBytes, ms(999_000), 1_000_500)
	write(partition.ElementKey(nil, s, []byte("f")), 6, version.KindField, ms(999_000), 0)

	clock.ms.Store(1_000_800)
	if n, err := e.SweepExpired(100); err != nil || n != 2 {
		t.Fatalf("sweep removed %d keys (err %v), want the header and the string", n, err)
	}
	var left []string
	for _, key := range [][]byte{h, s} {
		if _, err := e.Elements(key, nil, 100, func(ek []byte, _ version.Object) {
			_, el, _ := partition.SplitElementKey(ek)
			left = append(left, string(key)+"/"+string(el))
		}); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"h/new", "s/f"}; !slices.Equal(left, want) {
		t.Fatalf("element records left %v, want %v", left, want)
	}
}
