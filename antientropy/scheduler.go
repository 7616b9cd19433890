package antientropy

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"
)

// Scheduling. Every Interval a node compares the trees of the partitions it
// shares with each other live replica and repairs the keys that differ. Of
// each pair of nodes the one with the smaller name starts the exchange, so a
// pair exchanges once a round, and every pair of replicas of a partition
// meets every round.

// Ring is what the scheduler needs of the ring: its members and which
// partitions each one holds, sorted.
type Ring interface {
	Members() []string
	PartitionsOf(name string) []int
}

// SchedulerConfig wires a Scheduler to its node.
type SchedulerConfig struct {
	// Self is this node's name.
	Self string
	// Interval is the time between two rounds.
	Interval time.Duration
	// Trees are this node's trees, kept current by its store.
	Trees *Trees
	// Store is this node's store as the exchange scans it (tombstones left
	// out, as in the trees).
	Store Store
	// Ring returns the current ring.
	Ring func() Ring
	// Alive reports whether gossip shows a member alive.
	Alive func(name string) bool
	// Peer is the exchange's connection to a member.
	Peer func(name string) Peer
	// Repair brings the copies of keys on peer and on this node up to date
	// with each other, and returns how many copies it changed.
	Repair func(ctx context.Context, peer string, keys [][]byte) (int, error)
}

// Stats are a scheduler's counters since start.
type Stats struct {
	Exchanges           int64     // exchanges completed
	Failures            int64     // exchanges that failed
	PartitionsDiffering int64     // partitions found differing
	KeysRepaired        int64     // copies changed by repairs
	Bytes               int64     // exchange traffic, both ways
	LastRound           time.Time // when the last round ended; zero: never
}

// Scheduler runs anti-entropy rounds for one node.
type Scheduler struct {
	cfg SchedulerConfig

	exchanges    atomic.Int64
	failures     atomic.Int64
	differing    atomic.Int64
	keysRepaired atomic.Int64
	bytes        atomic.Int64
	lastRound    atomic.Int64 // unix ms
}

// NewScheduler returns a scheduler; Run starts its rounds.
func NewScheduler(cfg SchedulerConfig) *Scheduler { return &Scheduler{cfg: cfg} }

// Stats returns the scheduler's counters.
func (s *Scheduler) Stats() Stats {
	st := Stats{
		Exchanges: s.exchanges.Load(), Failures: s.failures.Load(), PartitionsDiffering: s.differing.Load(),
		KeysRepaired: s.keysRepaired.Load(), Bytes: s.bytes.Load(),
	}
	if ms := s.lastRound.Load(); ms != 0 {
		st.LastRound = time.UnixMilli(ms)
	}
	return st
}

// Run runs a round every Interval until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Round(ctx)
		}
	}
}

// Planned is one exchange of a round: the peer, and the partitions this
// node shares with it.
type Planned struct {
	Peer       string
	Partitions []int
}

// Plan is the round self starts: for each live member after it in name
// order, the partitions the two share (none: no exchange).
func Plan(self string, ring Ring, alive func(string) bool) []Planned {
	mine := ring.PartitionsOf(self)
	if len(mine) == 0 {
		return nil
	}
	var plan []Planned
	for _, peer := range ring.Members() {
		if peer <= self || !alive(peer) {
			continue
		}
		theirs := ring.PartitionsOf(peer)
		shared := slices.DeleteFunc(slices.Clone(mine), func(p int) bool {
			_, ok := slices.BinarySearch(theirs, p)
			return !ok
		})
		if len(shared) > 0 {
			plan = append(plan, Planned{Peer: peer, Partitions: shared})
		}
	}
	return plan
}

// Round runs one round: the exchanges Plan lists, one after the other.
func (s *Scheduler) Round(ctx context.Context) {
	for _, x := range Plan(s.cfg.Self, s.cfg.Ring(), s.cfg.Alive) {
		s.exchangeWith(ctx, x.Peer, x.Partitions)
	}
	s.lastRound.Store(time.Now().UnixMilli())
}

// exchangeTimeout bounds one exchange, so a stuck peer cannot hold the
// rounds up forever.
const exchangeTimeout = 5 * time.Minute

func (s *Scheduler) exchangeWith(ctx context.Context, peer string, parts []int) {
	cctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	repaired := 0
	res, err := Exchange(cctx, s.cfg.Trees, s.cfg.Store, s.cfg.Peer(peer), parts,
		func(ctx context.Context, keys [][]byte) error {
			r, err := s.cfg.Repair(ctx, peer, keys)
			repaired += r
			return err
		})
	s.bytes.Add(res.BytesSent + res.BytesReceived)
	s.differing.Add(int64(res.PartitionsDiffering))
	s.keysRepaired.Add(int64(repaired))
	if err != nil {
		s.failures.Add(1)
		slog.Debug("anti-entropy exchange failed", "peer", peer, "err", err)
		return
	}
	s.exchanges.Add(1)
	if res.KeysDiffering > 0 {
		slog.Info("anti-entropy repaired keys", "peer", peer, "partitions differing", res.PartitionsDiffering,
			"keys differing", res.KeysDiffering, "copies repaired", repaired)
	}
}
