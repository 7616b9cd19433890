package difftest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestBigCollectionCounts runs, on a redis-server and a Dynago node, a
// stream on a hash and a set of several hundred elements: HLEN and SCARD
// among adds, removals, counter fields, pops, moves between sets and a DEL
// with the collection written again (a new incarnation, whose old
// elements' records are still being removed). Past 128 records Dynago
// counts them from a summary kept up to date by every write
// (engine/summaries.go); every reply must match Redis's.
func TestBigCollectionCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261207, 2))
	const elements = 600
	elem := func() string { return fmt.Sprintf("e%03d", rng.IntN(elements)) }
	fill := func(to int) []Cmd {
		h, s := Cmd{"HSET", "h"}, Cmd{"SADD", "s"}
		for i := range to {
			h = append(h, fmt.Sprintf("e%03d", i), strconv.Itoa(i))
			s = append(s, fmt.Sprintf("e%03d", i))
		}
		return []Cmd{h, s}
	}
	cmds := fill(elements)
	for i := range 1500 {
		switch r := rng.IntN(16); {
		case i == 700:
			cmds = append(cmds, Cmd{"DEL", "h", "s"})
			cmds = append(cmds, fill(300)...)
		case r < 4:
			cmds = append(cmds, Cmd{"HLEN", "h"}, Cmd{"SCARD", "s"})
		case r < 6:
			cmds = append(cmds, Cmd{"HSET", "h", elem(), "v", elem(), "w"})
		case r < 7:
			cmds = append(cmds, Cmd{"HINCRBY", "h", elem(), strconv.Itoa(rng.IntN(5))})
		case r < 9:
			cmds = append(cmds, Cmd{"HDEL", "h", elem(), elem()})
		case r < 11:
			cmds = append(cmds, Cmd{"SADD", "s", elem(), elem()})
		case r < 13:
			cmds = append(cmds, Cmd{"SREM", "s", elem(), elem(), elem()})
		case r < 14:
			cmds = append(cmds, Cmd{"SMOVE", "s", "s2", elem()}, Cmd{"SCARD", "s2"})
		case r < 15:
			cmds = append(cmds, Cmd{"HSETNX", "h", elem(), "x"})
		default:
			cmds = append(cmds, Cmd{"HEXISTS", "h", elem()}, Cmd{"SISMEMBER", "s", elem()})
		}
	}
	replayStream(t, cmds)
}
