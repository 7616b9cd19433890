package coordinator

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// Forwarded commands to one coordinator are batched like replica requests:
// while one batch of a peer's forwarded commands is on the wire, those that
// arrive meanwhile leave together as the next (MethodCommandBatch). The
// peer runs a batch's commands side by side and makes their writes durable
// with one WAL sync before it answers, instead of a request, a handler and
// a sync wait per command. A lone command leaves at once.

// MethodCommandBatch forwards many client commands (each encoded as for
// MethodCommand) to the node that coordinates them. Nodes without it answer
// "unknown internode method"; commands to them go one by one (MethodCommand).
const MethodCommandBatch Method = 8

// maxForwardBatch bounds the commands of one batch.
const maxForwardBatch = 256

type pendingForward struct {
	command []byte
	done    chan forwardResult
}

type forwardResult struct {
	reply []byte
	err   error
}

// forwardTimeout bounds a forwarded command: the coordinator gets its own
// full timeout for its replicas (and answers NOQUORUM itself if they fail),
// twice over for a command that reads before it writes; this deadline only
// covers losing the coordinator.
func (c *Coordinator) forwardTimeout() time.Duration { return 2*c.cfg.Timeout + 500*time.Millisecond }

// forward sends command to the peer at addr, in a batch with the others
// bound there, and waits for its reply until ctx ends.
func (b *peerBatcher) forward(ctx context.Context, command []byte) ([]byte, error) {
	if b.noCommandBatch.Load() {
		cctx, cancel := context.WithTimeout(ctx, b.c.forwardTimeout())
		defer cancel()
		return b.c.cfg.Transport.Call(cctx, b.addr, MethodCommand, command)
	}
	p := &pendingForward{command: command, done: make(chan forwardResult, 1)}
	b.mu.Lock()
	start := b.forwards.push(p)
	b.mu.Unlock()
	if start {
		go b.sendForwards()
	}
	select {
	case r := <-p.done:
		return r.reply, r.err
	case <-ctx.Done():
		// The command may still run: as for a timeout, its outcome is
		// unknown and it must not be resent elsewhere.
		return nil, ctx.Err()
	}
}

// sendForwards sends the queued commands in batches until none are left.
func (b *peerBatcher) sendForwards() {
	for batch := nextBatch(b, &b.forwards); batch != nil; batch = nextBatch(b, &b.forwards) {
		results := b.forwardBatch(batch)
		for i, p := range batch {
			p.done <- results[i]
		}
	}
}

// forwardBatch sends one batch and returns each command's outcome. A
// failure of the call itself is every command's (ErrNotSent included, so
// that Forward may try the next owner for all of them).
func (b *peerBatcher) forwardBatch(batch []*pendingForward) []forwardResult {
	results := make([]forwardResult, len(batch))
	fail := func(err error) []forwardResult {
		for i := range results {
			results[i].err = err
		}
		return results
	}
	commands := make([][]byte, len(batch))
	for i, p := range batch {
		commands[i] = p.command
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.c.forwardTimeout())
	defer cancel()
	reply, err := b.c.cfg.Transport.Call(ctx, b.addr, MethodCommandBatch, encodeList(commands))
	var remote *RemoteError
	if errors.As(err, &remote) && strings.HasPrefix(remote.Msg, unknownMethod) {
		// An older node: send each command on its own, from now on.
		b.noCommandBatch.Store(true)
		for i, cmd := range commands {
			results[i].reply, results[i].err = b.c.cfg.Transport.Call(ctx, b.addr, MethodCommand, cmd)
		}
		return results
	}
	if err != nil {
		return fail(err)
	}
	replies, failed, err := decodeCommandReplies(reply, len(batch))
	if err != nil {
		return fail(err)
	}
	for i := range results {
		if failed[i] {
			results[i].err = &RemoteError{Msg: string(replies[i])}
		} else {
			results[i].reply = replies[i]
		}
	}
	return results
}

// encodeList encodes byte strings, each length-prefixed, after their count.
func encodeList(items [][]byte) []byte {
	size := binary.MaxVarintLen32
	for _, it := range items {
		size += binary.MaxVarintLen32 + len(it)
	}
	b := binary.AppendUvarint(make([]byte, 0, size), uint64(len(items)))
	for _, it := range items {
		b = binary.AppendUvarint(b, uint64(len(it)))
		b = append(b, it...)
	}
	return b
}

// DecodeCommandBatch decodes a MethodCommandBatch request into its
// commands (each encoded as for MethodCommand).
func DecodeCommandBatch(b []byte) ([][]byte, error) {
	bad := errors.New("coordinator: malformed command batch")
	n, w := binary.Uvarint(b)
	if w <= 0 || n > maxForwardBatch || n > uint64(len(b)) {
		return nil, bad
	}
	b = b[w:]
	items := make([][]byte, 0, n)
	for i := uint64(0); i < n; i++ {
		l, w := binary.Uvarint(b)
		if w <= 0 || l > uint64(len(b)-w) {
			return nil, bad
		}
		items = append(items, b[w:w+int(l)])
		b = b[w+int(l):]
	}
	if len(b) != 0 {
		return nil, bad
	}
	return items, nil
}

// EncodeCommandReplies encodes a MethodCommandBatch reply: per command, a
// failure flag, then its RESP reply or its error text.
func EncodeCommandReplies(replies [][]byte, errs []error) []byte {
	size := 0
	for _, r := range replies {
		size += 1 + binary.MaxVarintLen32 + len(r)
	}
	b := make([]byte, 0, size)
	for i, r := range replies {
		if errs[i] != nil {
			msg := errs[i].Error()
			b = append(b, 1)
			b = binary.AppendUvarint(b, uint64(len(msg)))
			b = append(b, msg...)
			continue
		}
		b = append(b, 0)
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return b
}

func decodeCommandReplies(b []byte, n int) (replies [][]byte, failed []bool, err error) {
	bad := errors.New("coordinator: malformed command batch reply")
	replies, failed = make([][]byte, 0, n), make([]bool, 0, n)
	for len(replies) < n {
		if len(b) == 0 || b[0] > 1 {
			return nil, nil, bad
		}
		f := b[0] == 1
		l, w := binary.Uvarint(b[1:])
		if w <= 0 || l > uint64(len(b)-1-w) {
			return nil, nil, bad
		}
		replies = append(replies, b[1+w:1+w+int(l)])
		failed = append(failed, f)
		b = b[1+w+int(l):]
	}
	if len(b) != 0 {
		return nil, nil, bad
	}
	return replies, failed, nil
}
