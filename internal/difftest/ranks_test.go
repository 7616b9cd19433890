package difftest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/dynago/dynago/internal/testserver"
)

// replayStream replays cmds on a redis-server and a Dynago node and fails
// at the first reply that differs, logging the last steps (cut short: the
// whole stream would print its big fills).
func replayStream(t *testing.T, cmds []Cmd) {
	t.Helper()
	redis := ForTest(t)
	node := testserver.Start(t)
	runner := New(Config{Redis: redis.Addr, Dynago: node.Addr()})
	if err := runner.Prepare(); err != nil {
		t.Fatal(err)
	}
	m, err := runner.Replay(cmds)
	if err != nil {
		t.Fatal(err)
	}
	if m != nil {
		for _, st := range m.Steps[max(0, len(m.Steps)-8):] {
			line := fmt.Sprint(st)
			t.Log(line[:min(len(line), 300)])
		}
		t.Fatalf("command %d of the stream: %s", m.Index, m.Why)
	}
}

// TestBigSortedSetRanks runs, on a redis-server and a Dynago node, a
// stream on one sorted set of a few thousand members: ranks from both ends
// among score changes, removals, pops, rank ranges and a DEL with the set
// written again (a new incarnation, whose old members' records are still
// being removed), with ZCOUNT and ZCARD, and score ranges from large LIMIT
// offsets both ways round. Past 512 entries a count walks,
// Dynago counts the set in blocks kept up to date by every write
// (engine/ranks.go); every reply must match Redis's.
func TestBigSortedSetRanks(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261207, 1))
	const members = 3000
	member := func() string { return fmt.Sprintf("m%04d", rng.IntN(members)) }
	score := func() string {
		if rng.IntN(4) == 0 {
			return strconv.FormatFloat(rng.Float64()*1000, 'f', 3, 64)
		}
		return strconv.Itoa(rng.IntN(50)) // ties, ordered by member
	}
	fill := func(from, to int) Cmd {
		c := Cmd{"ZADD", "z"}
		for i := from; i < to; i++ {
			c = append(c, score(), fmt.Sprintf("m%04d", i))
		}
		return c
	}
	var cmds []Cmd
	for lo := 0; lo < members; lo += 500 {
		cmds = append(cmds, fill(lo, lo+500))
	}
	for i := range 1500 {
		switch r := rng.IntN(20); {
		case i == 700:
			cmds = append(cmds, Cmd{"DEL", "z"}, fill(0, 1200))
		case r < 6:
			cmds = append(cmds, Cmd{"ZRANK", "z", member()})
		case r < 9:
			cmds = append(cmds, Cmd{"ZREVRANK", "z", member()})
		case r < 12:
			cmds = append(cmds, Cmd{"ZADD", "z", score(), member(), score(), member()})
		case r < 14:
			cmds = append(cmds, Cmd{"ZINCRBY", "z", score(), member()})
		case r < 16:
			cmds = append(cmds, Cmd{"ZREM", "z", member(), member()})
		case r == 16:
			cmds = append(cmds, Cmd{"ZPOPMIN", "z", strconv.Itoa(1 + rng.IntN(3))})
		case r == 17 && rng.IntN(2) == 0:
			// A score range from a large LIMIT offset, either way round.
			lo, hi := []string{"(", ""}[rng.IntN(2)]+score(), []string{"(", ""}[rng.IntN(2)]+score()
			switch rng.IntN(4) {
			case 0:
				lo = "-inf"
			case 1:
				hi = "+inf"
			}
			limit := []string{"LIMIT", strconv.Itoa(rng.IntN(2500)), strconv.Itoa([]int{-1, 0, 1, 5}[rng.IntN(4)])}
			if rng.IntN(2) == 0 {
				cmds = append(cmds, append(Cmd{"ZRANGEBYSCORE", "z", lo, hi, "WITHSCORES"}, limit...))
			} else {
				cmds = append(cmds, append(Cmd{"ZREVRANGEBYSCORE", "z", hi, lo, "WITHSCORES"}, limit...))
			}
		case r == 17:
			start := rng.IntN(2500)
			cmds = append(cmds, Cmd{"ZRANGE", "z", strconv.Itoa(start), strconv.Itoa(start + rng.IntN(5)), "WITHSCORES"})
		case r == 18 && rng.IntN(3) == 0:
			cmds = append(cmds, Cmd{"ZREMRANGEBYRANK", "z", strconv.Itoa(-1 - rng.IntN(3)), "-1"})
		case r == 18:
			bound := func() string { // a score, inclusive or exclusive ("(")
				return []string{"(", ""}[rng.IntN(2)] + score()
			}
			min, max := bound(), bound()
			switch rng.IntN(6) {
			case 0:
				min = "-inf"
			case 1:
				max = "+inf"
			case 2:
				min, max = "-inf", "+inf"
			}
			cmds = append(cmds, Cmd{"ZCOUNT", "z", min, max})
		default:
			cmds = append(cmds, Cmd{"ZCARD", "z"})
		}
	}
	replayStream(t, cmds)
}

// TestBigLexRanges runs, on a redis-server and a Dynago node, lex ranges
// on a sorted set of a thousand members of one score (an autocomplete
// index): ZRANGEBYLEX, ZREVRANGEBYLEX and ZRANGE BYLEX [REV] with every
// kind of bound and LIMIT, among adds and removals, and now and then a
// member of another score (lex order is then Redis's walk of the set,
// which Dynago answers by walking it whole). Where every member has one
// score Dynago seeks to the near bound in its score index
// (engine.WalkOneScore); every reply must match Redis's.
func TestBigLexRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261207, 3))
	word := func() string {
		b := make([]byte, 1+rng.IntN(4))
		for i := range b {
			b[i] = "abcdz\xff"[rng.IntN(6)]
		}
		return string(b)
	}
	bound := func() string {
		switch rng.IntN(8) {
		case 0:
			return "-"
		case 1:
			return "+"
		case 2, 3, 4:
			return "[" + word()
		default:
			return "(" + word()
		}
	}
	fill := Cmd{"ZADD", "w"}
	for range 1000 {
		fill = append(fill, "0", word()+word())
	}
	cmds := []Cmd{fill}
	for range 1500 {
		lo, hi := bound(), bound()
		limit := Cmd{}
		if rng.IntN(2) == 0 {
			limit = Cmd{"LIMIT", strconv.Itoa(rng.IntN(300)), strconv.Itoa([]int{-1, 0, 1, 10}[rng.IntN(4)])}
		}
		switch r := rng.IntN(12); {
		case r < 3:
			cmds = append(cmds, append(Cmd{"ZRANGEBYLEX", "w", lo, hi}, limit...))
		case r < 6:
			cmds = append(cmds, append(Cmd{"ZREVRANGEBYLEX", "w", hi, lo}, limit...))
		case r < 7:
			cmds = append(cmds, append(Cmd{"ZRANGE", "w", lo, hi, "BYLEX"}, limit...))
		case r < 8:
			cmds = append(cmds, append(Cmd{"ZRANGE", "w", hi, lo, "BYLEX", "REV"}, limit...))
		case r < 10:
			cmds = append(cmds, Cmd{"ZADD", "w", "0", word()}, Cmd{"ZREM", "w", word(), word()})
		case r < 11 && rng.IntN(4) == 0:
			// A member of another score, for a while.
			m := word()
			cmds = append(cmds, Cmd{"ZADD", "w", "1", m}, append(Cmd{"ZRANGEBYLEX", "w", lo, hi}, limit...), Cmd{"ZREM", "w", m})
		default:
			cmds = append(cmds, Cmd{"ZLEXCOUNT", "w", lo, hi})
		}
	}
	replayStream(t, cmds)
}
