package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/dynago/dynago/internal/rpc"
)

// ProtocolVersion is the version of the handshake and frame format this
// build speaks. Nodes of different versions refuse each other's connections.
//
//	1  the first release
//	2  keys placed by Redis Cluster hash slot (engine.LayoutSlots): nodes
//	   that place keys differently must not replicate for each other
//	3  routed operations carry hash fields and values (op.Op's binary form)
const ProtocolVersion uint16 = 3

// Method is the kind of a request: a number of package rpc's table of
// internode methods. The transport only carries it.
type Method = rpc.Method

// Handler serves one incoming request from the node named from. Handlers run
// concurrently, each in a goroutine of its own. The context ends at the
// caller's deadline, when the connection breaks, or when the transport
// closes (a caller that merely cancels is not heard of). req belongs to the
// handler. A returned error, or a panic, reaches the caller as a
// *RemoteError.
type Handler func(ctx context.Context, from string, m Method, req []byte) ([]byte, error)

// Transport sends requests to other nodes.
type Transport interface {
	// Call sends a request of kind m to the node whose internode address is
	// addr and waits for its reply. Every call has a deadline: ctx's, or
	// Config.CallTimeout when ctx has none.
	//
	// A handler's error comes back as a *RemoteError. Any other error means
	// the request may or may not have run: it wraps ErrUnavailable (the peer
	// cannot be reached or the connection broke), ErrHandshake (the peer
	// refused this node), context.DeadlineExceeded or context.Canceled (the
	// caller stopped waiting), ErrTooLarge or ErrClosed.
	//
	// Call does not keep req after it returns; the reply belongs to the
	// caller.
	Call(ctx context.Context, addr string, m Method, req []byte) ([]byte, error)
	// SetClusterID sets the cluster id (see Config.ClusterID): a node that
	// listened before it knew the id sets it once it has joined, and a
	// lone node that joins another cluster sets the new one. Handshakes
	// waiting for an id go on with it. Connections opened under another id
	// are closed; their calls fail as a broken connection's do. "" makes
	// new handshakes wait again (a lone node gives its id up while it joins
	// another cluster).
	SetClusterID(id string) error
	// Stats returns the transport's counters.
	Stats() Stats
	// Close stops serving, fails the calls in flight with ErrClosed, and
	// returns once every goroutine the transport started has ended
	// (handlers included: they see their context cancelled).
	Close() error
}

// RemoteError is the error a peer's handler returned (or the panic it
// raised). The request reached the peer and was answered; it is not a
// transport failure.
type RemoteError struct {
	Msg string
}

// Error returns the handler's message unchanged, so an error text meant for
// a client (a Redis error reply, say) survives forwarding.
func (e *RemoteError) Error() string { return e.Msg }

var (
	// ErrUnavailable marks failures to reach a peer: refused or failed
	// dials, broken connections, links cut by Faults, a peer that closed.
	ErrUnavailable = errors.New("transport: peer unavailable")
	// ErrHandshake marks a connection refused in the handshake: another
	// cluster, another protocol version, or not a Dynago node at all.
	ErrHandshake = errors.New("transport: handshake refused")
	// ErrTooLarge marks a request or reply above Config.MaxFrameBytes.
	ErrTooLarge = errors.New("transport: payload exceeds the frame limit")
	// ErrClosed marks calls on, or cut short by, a closed transport.
	ErrClosed = errors.New("transport: closed")
	// ErrNotSent is matched, alongside one of the above, by the errors of a
	// call that failed before its request left this node (no connection to
	// the peer could be had, or the link is cut): the peer certainly did not
	// run it, so it may be sent elsewhere without risk of running twice.
	ErrNotSent = errors.New("transport: request not sent")
)

// notSent marks err as a failure before the request was sent.
type notSent struct{ err error }

func (e notSent) Error() string   { return e.err.Error() }
func (e notSent) Unwrap() []error { return []error{e.err, ErrNotSent} }

var (
	errCut       = errors.New("link cut by fault injection")
	errRefused   = errors.New("connection refused")
	errNoCluster = errors.New("the cluster id is not known yet")
	errNewID     = errors.New("the cluster id changed")
)

// wrapError is an error with its own message that matches kind (one of the
// sentinels above) and cause with errors.Is.
type wrapError struct {
	msg   string
	kind  error
	cause error
}

func (e *wrapError) Error() string { return e.msg }

func (e *wrapError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// unavailable reports that the peer at addr cannot be reached because of
// cause.
func unavailable(addr string, cause error) error {
	if errors.Is(cause, ErrUnavailable) || errors.Is(cause, ErrClosed) {
		return cause
	}
	return &wrapError{
		msg:   fmt.Sprintf("transport: peer %s unavailable: %v", addr, cause),
		kind:  ErrUnavailable,
		cause: cause,
	}
}

func handshakeErr(format string, args ...any) error {
	return &wrapError{msg: fmt.Sprintf(format, args...), kind: ErrHandshake}
}

// clusterMismatch is the error a node sees when it reaches a node of another
// cluster (a mistyped --join, two clusters on one network).
func clusterMismatch(peerName, peerAddr, theirs, ours string) error {
	return handshakeErr("transport: peer %q at %s belongs to cluster %q, not %q",
		peerName, peerAddr, theirs, ours)
}

func tooLarge(what string, n, limit int) error {
	return &wrapError{
		msg:  fmt.Sprintf("transport: %s of %d bytes exceeds the %d-byte frame limit", what, n, limit),
		kind: ErrTooLarge,
	}
}

// callErr reports that the caller stopped waiting for a call to addr.
func callErr(ctx context.Context, addr string) error {
	err := ctx.Err()
	if err == nil {
		// The deadline passed a moment before the context noticed.
		err = context.DeadlineExceeded
	}
	return fmt.Errorf("transport: call to %s: %w", addr, err)
}

// withDeadline gives ctx a deadline d from now unless it already has one.
func withDeadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// invoke runs a handler, turning a panic into an error so that a bug in one
// request handler answers that request with an error instead of killing the
// node.
// panics, if not nil, counts them.
func invoke(ctx context.Context, log *slog.Logger, panics *atomic.Uint64, h Handler, from string, m Method, req []byte) (resp []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			if panics != nil {
				panics.Add(1)
			}
			log.Error("transport: handler panicked", "method", m, "from", from,
				"panic", r, "stack", string(debug.Stack()))
			resp, err = nil, fmt.Errorf("transport: handler for method %d panicked: %v", m, r)
		}
	}()
	return h(ctx, from, m, req)
}

// reply turns a handler's outcome into what the caller receives.
func reply(resp []byte, err error, limit int) ([]byte, error) {
	if err != nil {
		return nil, &RemoteError{Msg: err.Error()}
	}
	if len(resp) > limit {
		return nil, &RemoteError{Msg: tooLarge("reply", len(resp), limit).Error()}
	}
	return resp, nil
}

// settle is what a call that received r returns. A handler error that
// arrives once the caller's deadline has passed is most likely the handler
// giving up at that same deadline; the caller reports its own deadline, as
// it would have a moment later (its timer may simply not have fired yet).
func settle(ctx context.Context, addr string, r result) ([]byte, error) {
	if _, ok := r.err.(*RemoteError); ok {
		if dl, ok := ctx.Deadline(); ctx.Err() != nil || ok && !time.Now().Before(dl) {
			return nil, callErr(ctx, addr)
		}
	}
	return r.payload, r.err
}
