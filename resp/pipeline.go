package resp

import (
	"context"
	"sync"

	"github.com/dynago/dynago/coordinator"
	"github.com/tidwall/redcon"
)

// In a cluster every command waits for replicas across the network, so a
// pipeline runs in waves: consecutive commands that touch disjoint keys form
// a wave whose commands run concurrently, and their replies are written in
// the order the commands came. A command that touches a key of the current
// wave, or that has no keys (connection and server commands, which may change
// the session or look at the whole keyspace), starts a new wave, so a client
// sees its commands take effect in order, as Redis promises. A wave of reads
// only is cheaper still: all its keys are fetched at once, then its commands
// run one after the other on what was fetched. Sixteen pipelined GETs cost
// about one quorum round trip, not sixteen; so do sixteen SETs, whose
// operations bound for one coordinator leave together (coordinator.Do
// batches them per peer).
//
// Transactions run in order: a transaction command (MULTI, EXEC, DISCARD,
// WATCH, UNWATCH) ends the wave before it and runs alone, and so does every
// command while the session is inside MULTI, so commands are queued in the
// order they came and a WATCH records its keys before what follows it runs.

// maxWave bounds the commands of one wave (and so the goroutines it starts).
const maxWave = 256

type waveItem struct {
	args [][]byte
	cmd  *Command
	out  *redcon.Writer
}

func (s *Server) runWaves(ctx context.Context, sess *session, out *redcon.Writer, cmds []redcon.Command) {
	var wave []waveItem
	keys := map[string]struct{}{}
	flush := func() {
		s.runWave(ctx, sess, out, wave)
		wave = wave[:0]
		clear(keys)
	}
	for _, rc := range cmds {
		args := rc.Args
		cmd := lookupArgs(args)
		if cmd == nil || cmd.FirstKey == 0 || !cmd.arityOK(len(args)) || sess.tx.active || cmd.Group == "transactions" {
			flush()
			s.exec(&client{session: sess, out: out, ctx: ctx}, args, cmd)
			continue
		}
		conflict := len(wave) >= maxWave
		cmd.eachKey(args, func(k []byte) {
			if _, ok := keys[string(k)]; ok {
				conflict = true
			}
		})
		if conflict {
			flush()
		}
		cmd.eachKey(args, func(k []byte) { keys[string(k)] = struct{}{} })
		wave = append(wave, waveItem{args: args, cmd: cmd})
	}
	flush()
}

// runWave runs a wave's commands concurrently and writes their replies to
// out in order.
func (s *Server) runWave(ctx context.Context, sess *session, out *redcon.Writer, wave []waveItem) {
	if len(wave) == 1 {
		s.exec(&client{session: sess, out: out, ctx: ctx}, wave[0].args, wave[0].cmd)
		return
	}
	if readOnly(wave) && !sess.authRequired() {
		s.runReadWave(ctx, sess, out, wave)
		return
	}
	var wg sync.WaitGroup
	for i := range wave {
		wave[i].out = newReplyBuffer()
		it := &wave[i]
		wg.Add(1)
		s.pool.Go(func() {
			defer wg.Done()
			s.exec(&client{session: sess, out: it.out, ctx: ctx}, it.args, it.cmd)
		})
	}
	wg.Wait()
	for _, it := range wave {
		out.WriteRaw(it.out.Buffer())
	}
}

// readOnly reports whether no command of the wave may change data.
func readOnly(wave []waveItem) bool {
	for _, it := range wave {
		if !it.cmd.readOnly() {
			return false
		}
	}
	return true
}

// runReadWave runs a wave of reads: it fetches every key of the wave at
// once (coordinator.ReadMany), then runs the commands one after the other
// on what was fetched, writing their replies straight to out. The reads are
// the ones the commands would have made, made together; no goroutine per
// command.
func (s *Server) runReadWave(ctx context.Context, sess *session, out *redcon.Writer, wave []waveItem) {
	var keys [][]byte
	for _, it := range wave {
		it.cmd.eachKey(it.args, func(k []byte) { keys = append(keys, k) })
	}
	results := s.coord.ReadMany(ctx, keys, coordinator.Options{R: int(sess.readQ.Load())})
	fetched := make(map[string]coordinator.ReadResult, len(keys))
	for i, k := range keys {
		fetched[string(k)] = results[i]
	}
	for _, it := range wave {
		s.exec(&client{session: sess, out: out, ctx: ctx, fetched: fetched}, it.args, it.cmd)
	}
}

// newReplyBuffer is a writer that only collects a reply in memory.
// (redcon.NewWriter would also allocate an unused 4 KiB bufio.Writer, which
// dominated a cluster pipeline's allocations.)
func newReplyBuffer() *redcon.Writer { return new(redcon.Writer) }

// eachKey calls fn with each key argument of a call of cmd.
func (cmd *Command) eachKey(args [][]byte, fn func([]byte)) {
	first, last, step := cmd.keyArgs(len(args))
	for i := first; i > 0 && i <= last; i += step {
		fn(args[i])
	}
}

// keyArgs returns where the key arguments of a call of cmd with n
// arguments are: from first to last (0 when there are none), by step.
func (cmd *Command) keyArgs(n int) (first, last, step int) {
	last = cmd.LastKey
	if last < 0 {
		last = n + last
	}
	step = cmd.Step
	if step <= 0 {
		step = 1
	}
	return cmd.FirstKey, min(last, n-1), step
}

// readOnly reports whether cmd only reads.
func (cmd *Command) readOnly() bool { return cmd.hasFlag("readonly") }

// noMulti is the flag of a command refused inside MULTI (Redis's
// no_multi; SHUTDOWN).
const noMulti = "no_multi"
