package engine

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dynago/dynago/version"
)

// Every SyncAsync request is answered once, after a sync that started after
// the request; requests made while a sync runs share the next one.
func TestSyncAsyncAnswersEveryRequest(t *testing.T) {
	e := open(t, t.TempDir())
	const writers = 64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			key := []byte(fmt.Sprintf("k%d", w))
			o := version.Object{}.Update(nil, version.Dot{Actor: actor, Counter: uint64(w + 1)}, &version.Sibling{Value: key})
			if _, err := e.UpdateDeferred(key, func(version.Object, bool) (version.Object, bool, error) { return o, true, nil }); err != nil {
				errs <- err
				return
			}
			done := make(chan error, 1)
			e.SyncAsync(func(err error) { done <- err })
			select {
			case err := <-done:
				errs <- err
			case <-time.After(10 * time.Second):
				errs <- errors.New("SyncAsync never answered")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The syncer's goroutine ends once no request is left.
	for deadline := time.Now().Add(10 * time.Second); ; {
		e.syncs.mu.Lock()
		busy, waiting := e.syncs.busy, len(e.syncs.waiting)
		e.syncs.mu.Unlock()
		if !busy && waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("syncer still busy=%v with %d waiting", busy, waiting)
		}
		time.Sleep(time.Millisecond)
	}
}

// On a closed engine the request fails with ErrClosed.
func TestSyncAsyncAfterClose(t *testing.T) {
	e := open(t, t.TempDir())
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	e.SyncAsync(func(err error) { done <- err })
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("SyncAsync after Close: %v, want ErrClosed", err)
	}
}

// Under FsyncNever there is nothing to wait for: done runs before SyncAsync
// returns.
func TestSyncAsyncWithoutFsync(t *testing.T) {
	e := open(t, t.TempDir(), func(c *Config) { c.Fsync = FsyncNever })
	called := false
	e.SyncAsync(func(err error) {
		if err != nil {
			t.Error(err)
		}
		called = true
	})
	if !called {
		t.Fatal("done not called at once under FsyncNever")
	}
}
