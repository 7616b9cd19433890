package resp

import (
	"context"
	"sync"
	"testing"

	"github.com/dynago/dynago/coordinator"
	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/version"
)

// The cost of the gate that isolates EXEC on a lone node (exec.go): every
// command takes its read side. BenchmarkGate is that alone; BenchmarkExec is
// a whole command through exec, in process (no network), for scale. Run both
// with -cpu 1,2 (the gate's reader count is one cache line all commands
// share).

func BenchmarkGate(b *testing.B) {
	var gate sync.RWMutex
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			gate.RLock()
			gate.RUnlock()
		}
	})
}

func BenchmarkExec(b *testing.B) {
	eng, err := engine.Open(engine.DefaultConfig(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { eng.Close() })
	coord, err := coordinator.New(coordinator.Config{Actor: version.Actor{Node: 1, Epoch: 1}}, eng)
	if err != nil {
		b.Fatal(err)
	}
	s := New(Config{}, coord)
	newClient := func() *client {
		return &client{session: &session{srv: s, proto: 2}, out: newReplyBuffer(), ctx: context.Background()}
	}
	set := [][]byte{[]byte("SET"), []byte("k"), []byte("v")}
	s.exec(newClient(), set, lookupArgs(set))
	for _, name := range []string{"GET", "PING"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				c := newClient()
				args := [][]byte{[]byte(name), []byte("k")}
				if name == "PING" {
					args = args[:1]
				}
				cmd := lookupArgs(args)
				for pb.Next() {
					c.out.SetBuffer(c.out.Buffer()[:0])
					s.exec(c, args, cmd)
				}
			})
		})
	}
}
