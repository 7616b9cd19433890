package rpc

import (
	"context"
	"fmt"
	"strings"
)

// Handler serves one request from the node named from. Its error reaches
// the caller as a remote error (the transport's RemoteError).
type Handler func(ctx context.Context, from string, req []byte) ([]byte, error)

// Table holds the handlers a node serves internode methods with. The zero
// Table serves nothing. Every handler is registered before the first
// Serve: Serve reads the table without a lock.
type Table struct {
	handlers [256]Handler // by method number; nil: not served here
}

// Register serves m with h. It panics if m is not a declared method, if h
// is nil, or if m already has a handler: a method is served by one
// handler, registered once.
func (t *Table) Register(m Method, h Handler) {
	in, ok := Lookup(m)
	switch {
	case !ok:
		panic(fmt.Sprintf("rpc: method %d is not declared in package rpc's table", m))
	case h == nil:
		panic(fmt.Sprintf("rpc: nil handler for method %d (%s)", m, in.Name))
	case t.handlers[m] != nil:
		panic(fmt.Sprintf("rpc: method %d (%s) registered twice", m, in.Name))
	}
	t.handlers[m] = h
}

// Registered lists the methods t serves, by number.
func (t *Table) Registered() []Info {
	var out []Info
	for _, in := range methods {
		if t.handlers[in.Method] != nil {
			out = append(out, in)
		}
	}
	return out
}

// Serve runs m's handler, or answers UnknownMethodError for a method t does
// not serve. Its signature is the transport's handler's.
func (t *Table) Serve(ctx context.Context, from string, m Method, req []byte) ([]byte, error) {
	h := t.handlers[m]
	if h == nil {
		return nil, UnknownMethodError(m)
	}
	return h(ctx, from, req)
}

// unknownMethod begins the error a node answers for a method it does not
// serve. Every release has answered with it: a newer node recognises an
// older one by it (IsUnknownMethod), so it never changes.
const unknownMethod = "unknown internode method"

// UnknownMethodError is the error for a request of a method this node does
// not serve: "unknown internode method N", then the method's name if it
// has one (a newer node's method, say, on a node that does not serve it).
func UnknownMethodError(m Method) error {
	if in, ok := Lookup(m); ok {
		return fmt.Errorf("%s %d (%s)", unknownMethod, uint8(m), in.Name)
	}
	return fmt.Errorf("%s %d", unknownMethod, uint8(m))
}

// IsUnknownMethod reports whether msg, a remote error's text, says that the
// peer does not serve the method: it runs an older release.
func IsUnknownMethod(msg string) bool { return strings.HasPrefix(msg, unknownMethod) }
