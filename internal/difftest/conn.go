package difftest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// conn is a minimal RESP client: it sends one command and reads its one
// reply as a typed tree, with nothing in between (no retries, no protocol
// negotiation, no decoding of replies into Go values).
type conn struct {
	addr    string
	nc      net.Conn
	rd      *bufio.Reader
	timeout time.Duration // bounds one command's round trip
}

func dial(addr string, timeout time.Duration) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &conn{addr: addr, nc: nc, rd: bufio.NewReaderSize(nc, 64<<10), timeout: timeout}, nil
}

// do sends c and returns its reply. A server that closes the connection
// instead of answering yields a reply of type Closed (and the conn is
// unusable); any other failure (a timeout, a reply that does not parse) is
// an error.
func (c *conn) do(cmd Cmd) (Reply, error) {
	if err := c.nc.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return Reply{}, err
	}
	if _, err := c.nc.Write(appendCmd(nil, cmd)); err != nil {
		if closedErr(err) {
			return Reply{Type: Closed}, nil
		}
		return Reply{}, fmt.Errorf("%s: %s: %w", c.addr, cmd.Name(), err)
	}
	r, err := readReply(c.rd)
	if err != nil {
		if closedErr(err) {
			return Reply{Type: Closed}, nil
		}
		return Reply{}, fmt.Errorf("%s: %s: %w", c.addr, cmd.Name(), err)
	}
	return r, nil
}

// must sends cmd and fails unless the reply is not an error.
func (c *conn) must(cmd ...string) (Reply, error) {
	r, err := c.do(cmd)
	if err != nil {
		return r, err
	}
	if r.IsError() || r.Type == Closed {
		return r, fmt.Errorf("%s: %s: %s", c.addr, Cmd(cmd), r)
	}
	return r, nil
}

func (c *conn) close() {
	if c != nil && c.nc != nil {
		c.nc.Close()
	}
}

func closedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}
