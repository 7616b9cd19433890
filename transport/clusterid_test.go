package transport

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// A node that does not know its cluster id yet listens all the same (a new
// node listens before it joins, so that it is reachable as soon as the
// others see it): a call to it waits for the id and then goes through, and
// so does a call from it.
func TestClusterIDSetAfterListen(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		a, aAddr := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		late := testConfig("b")
		late.ClusterID = ""
		b, bAddr := nw.listen(t, late, "", newTestHandler().serve)
		done := make(chan error, 1)
		go func() {
			_, err := a.Call(context.Background(), bAddr, mEcho, []byte("early"))
			done <- err
		}()
		if err := b.SetClusterID("test"); err != nil {
			t.Fatal(err)
		}
		if err := wait(t, done, "the call made before the id was set"); err != nil {
			t.Fatalf("a call made before the id was set: %v", err)
		}
		echo(t, a, bAddr, "a", "later")
		echo(t, b, aAddr, "b", "back")
	})
}

// In memory and on a fake clock the wait is shown to happen: the call is
// blocked until the id arrives, however long that takes within DialTimeout.
func TestClusterIDWaitedFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := &memNetwork{n: NewMemNetwork()}
		a, _ := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		late := testConfig("b")
		late.ClusterID = ""
		b, bAddr := nw.listen(t, late, "", newTestHandler().serve)
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			_, err := a.Call(context.Background(), bAddr, mEcho, nil)
			done <- err
		}()
		time.Sleep(time.Second) // within a's DialTimeout (2s)
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("the call returned %v before the callee knew its cluster id", err)
		default:
		}
		if err := b.SetClusterID("test"); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("the waiting call: %v", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Fatalf("the call returned after %v, want 1s (when the id was set)", waited)
		}
	})
}

// A node that never learns its id does not hold callers up beyond the
// handshake's bound: they fail as if it were unreachable, and the request
// provably never ran.
func TestClusterIDNeverSet(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		cfg := testConfig("a")
		cfg.DialTimeout = 100 * time.Millisecond
		a, _ := nw.listen(t, cfg, "", newTestHandler().serve)
		cfg.Name, cfg.ClusterID = "b", ""
		_, bAddr := nw.listen(t, cfg, "", newTestHandler().serve)
		start := time.Now()
		_, err := a.Call(context.Background(), bAddr, mEcho, nil)
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrNotSent) {
			t.Fatalf("a call to a node without a cluster id: %v, want ErrUnavailable and ErrNotSent", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("the call failed after %v", took)
		}
	})
}

// A lone node that joins another cluster changes its id: the connections
// opened under the old one close, and new ones are checked against the new
// one.
func TestClusterIDChangeClosesConnections(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		a, _ := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		b, bAddr := nw.listen(t, testConfig("b"), "", newTestHandler().serve)
		echo(t, a, bAddr, "a", "before")
		if err := b.SetClusterID("other"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "the old connection closes and the new id is refused", func() bool {
			_, err := a.Call(context.Background(), bAddr, mEcho, nil)
			return errors.Is(err, ErrHandshake) && strings.Contains(err.Error(), `belongs to cluster "other", not "test"`)
		})
		if err := a.SetClusterID("other"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "calls go through under the new id", func() bool {
			_, err := a.Call(context.Background(), bAddr, mEcho, nil)
			return err == nil
		})
		if err := b.SetClusterID(strings.Repeat("x", 256)); err == nil {
			t.Fatal("a cluster id of 256 bytes was accepted")
		}
	})
}

// Calls in flight when the id changes fail as on a broken connection.
func TestClusterIDChangeFailsCallsInFlight(t *testing.T) {
	bothNetworks(t, func(t *testing.T, nw network) {
		a, _ := nw.listen(t, testConfig("a"), "", newTestHandler().serve)
		th := newTestHandler()
		b, bAddr := nw.listen(t, testConfig("b"), "", th.serve)
		done := make(chan error, 1)
		go func() {
			_, err := a.Call(context.Background(), bAddr, mBlock, nil)
			done <- err
		}()
		wait(t, th.started, "the handler to start")
		if err := b.SetClusterID(""); err != nil {
			t.Fatal(err)
		}
		if err := wait(t, done, "the call in flight"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("a call in flight when the callee's id changed: %v, want ErrUnavailable", err)
		}
		if err := wait(t, th.ended, "the handler to end"); err == nil {
			t.Fatal("the handler's context did not end")
		}
	})
}
