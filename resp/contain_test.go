package resp_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dynago/dynago/internal/testserver"
)

// A command whose handler panics is answered with an error, its connection
// is closed, the panic is counted, and the node serves everyone else: the
// key whose lock the panic unwound through can be written at once.
func TestHandlerPanicIsContained(t *testing.T) {
	s := testserver.Start(t)
	other := conn(t, s)
	expect(t, other, "OK", "SET", "kept", "v")

	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	// A pipeline: the command before the panic is answered, the one after
	// it does not run.
	pipeline := "SET before 1\r\nDYNAGO-TEST-PANIC locked\r\nSET after 1\r\n"
	if _, err := io.WriteString(nc, pipeline); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(bufio.NewReader(nc))
	if err != nil {
		t.Fatalf("reading until the node closes the connection: %v (got %q)", err, got)
	}
	want := "+OK\r\n-ERR internal error while running 'dynago-test-panic'; the node logged it and is closing this connection\r\n"
	if string(got) != want {
		t.Fatalf("replies %q, want %q (then the connection closed)", got, want)
	}

	expect(t, other, "PONG", "PING")
	expect(t, other, "v", "GET", "kept")
	expect(t, other, "1", "GET", "before")
	if n := doInt(t, other, "EXISTS", "after"); n != 0 {
		t.Errorf("the command pipelined after the panic ran (EXISTS after = %d)", n)
	}
	// The key's lock was released as the panic unwound.
	expect(t, other, "OK", "SET", "locked", "x")
	expect(t, other, "x", "GET", "locked")
	info := do(t, other, "INFO", "stats").(string)
	if !strings.Contains(info, "command_panics:1\r\n") {
		t.Errorf("INFO stats does not count the panic: %q", info)
	}
}
