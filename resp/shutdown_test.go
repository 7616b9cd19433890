package resp_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/redis/go-redis/v9"
)

// TestShutdownRefusalsAsRedis: the forms of SHUTDOWN that Redis refuses
// are refused with its words, inside MULTI too (no_multi, and EXEC then
// answers EXECABORT), and neither server stops.
func TestShutdownRefusalsAsRedis(t *testing.T) {
	r := startRealRedis(t)
	d := testserver.Start(t)
	lines := []string{
		"shutdown foo",
		"shutdown abort",
		"shutdown save nosave",
		"shutdown abort now",
		"shutdown nosave now force bar",
		"multi",
		"shutdown",
		"exec",
		"command info shutdown",
		"ping",
	}
	want, got := r.script(r.addr, false, lines), r.script(d.Addr(), false, lines)
	for i, l := range lines {
		if got[i] != want[i] {
			t.Errorf("%s:\n  redis:  %q\n  dynago: %q", l, want[i], got[i])
		}
	}
	select {
	case <-d.Node.ShutdownAsked():
		t.Error("a refused SHUTDOWN asked the node to shut down")
	default:
	}
}

// TestShutdownStopsTheProcess: SHUTDOWN closes the connection without a
// reply and the process exits 0, its writes on disk; SAVE and NOW are
// accepted and change nothing.
func TestShutdownStopsTheProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dynago process")
	}
	p := testserver.StartProcess(t, "")
	c := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
	defer c.Close()
	if err := c.Set(bg, "kept", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	err := c.Do(bg, "SHUTDOWN", "SAVE", "NOW").Err()
	var reply redis.Error
	if err == nil || errors.As(err, &reply) {
		t.Fatalf("SHUTDOWN answered %v; want the connection closed without a reply", err)
	}
	if code := p.Exit(15 * time.Second); code != 0 {
		t.Fatalf("dynago exited %d after SHUTDOWN", code)
	}
	p.Start()
	if v, err := c.Get(bg, "kept").Result(); err != nil || v != "v" {
		t.Fatalf("after a restart GET kept = %q, %v", v, err)
	}
}
