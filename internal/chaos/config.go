package chaos

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// FaultKind names one kind of fault the harness injects.
type FaultKind string

// The fault kinds.
const (
	FaultKill   FaultKind = "kill"   // kill -9 one node, restart it on its directory
	FaultStop   FaultKind = "stop"   // SIGSTOP one node, then SIGCONT
	FaultCut    FaultKind = "cut"    // cut the network between two groups of nodes, then heal
	FaultKill2  FaultKind = "kill2"  // kill -9 two nodes at once, restart both (five nodes or more)
	FaultJoin   FaultKind = "join"   // a new node joins
	FaultLeave  FaultKind = "leave"  // DYNAGO LEAVE: a node hands off its partitions and exits
	FaultRemove FaultKind = "remove" // kill -9 a node for good and DYNAGO REMOVE it
)

// AllFaults is every fault kind.
var AllFaults = []FaultKind{FaultKill, FaultStop, FaultCut, FaultKill2, FaultJoin, FaultLeave, FaultRemove}

// windowed reports whether a fault of kind k opens a fault window (see
// FaultWindow): a node killed, stopped or killed for good, or a cut.
func windowed(k FaultKind) bool {
	switch k {
	case FaultKill, FaultKill2, FaultStop, FaultCut, FaultRemove:
		return true
	}
	return false
}

// The --hint-interval and --anti-entropy-interval the harness starts nodes
// with (DefaultConfig), and the server's defaults, used when a run passes
// none.
const (
	nodeHintInterval          = time.Second
	nodeAntiEntropyInterval   = time.Second
	serverHintInterval        = time.Second
	serverAntiEntropyInterval = 10 * time.Second
)

// settleHintRounds is how many hint intervals FaultSettle allows for hint
// delivery around a fault.
const settleHintRounds = 3

// FaultSettle is the settle time of the sibling bound (Bound.Settle) for
// the nodes the harness starts by default: how long around a fault the
// cluster may still be catching up, so that a read can miss a write the
// system could not yet have seen. It is settleHintRounds hint intervals
// plus one anti-entropy interval:
//
//   - A hint for an owner is offered within one --hint-interval of gossip
//     showing the owner alive again (DeliverHints scans every interval). An
//     offer can fail or leave part of the hint behind (the owner not yet
//     accepting merges, a write that reached the hint during delivery,
//     which stays for the next round): a second interval. A third covers a
//     loaded 2-core machine, where a restarted node replays its log and
//     rebuilds its trees while the workload runs.
//   - A copy no hint carries (a store that failed after the write was
//     decided, with no stand-in left; a hint kept by a coordinator that was
//     then killed or cut off) is repaired by the next anti-entropy round,
//     within one --anti-entropy-interval. The harness sets a short one (1 s
//     rather than the server's 10 s), so it is added; a long one is not:
//     hints and read repair then do the catching up, and ten seconds of
//     margin per fault would excuse most of a run.
//
// It widens a fault on both sides. After the fault: the catching up above
// goes on after the harness sees the cluster whole again (chaos runs at
// seed 20261123 showed reads missing a write that began 19 to 256 ms after
// a double restart was whole, with nothing else wrong). Before it: the
// copies and hints of a write still travel after its client had the
// answer (stores go on after the write is decided, design 2.8), and the
// harness's instants are its own, not the nodes'; so a pair's interval
// reaches Settle past the later write's end.
const FaultSettle = settleHintRounds*nodeHintInterval + nodeAntiEntropyInterval

// settleFor is FaultSettle's rule applied to the intervals cfg starts the
// nodes with (flags may change them): settleHintRounds hint intervals, plus
// the anti-entropy interval when cfg sets one shorter than the server's
// default.
func settleFor(cfg Config) time.Duration {
	hint := cfg.HintInterval
	if hint <= 0 {
		hint = serverHintInterval
	}
	settle := settleHintRounds * hint
	if ae := cfg.AntiEntropyInterval; ae > 0 && ae < serverAntiEntropyInterval {
		settle += ae
	}
	return settle
}

// Config is one chaos run.
type Config struct {
	// Bin is the dynago binary; empty builds ./cmd/dynago (the working
	// directory must be inside the module).
	Bin string
	// Dir is the parent of the run's directory (node data, logs, the
	// history); empty means the system's temporary directory.
	Dir string
	// KeepDir keeps the run's directory instead of removing it at the end.
	KeepDir bool

	// Nodes is the cluster's size at the start; membership faults keep it
	// between Nodes and Nodes+1.
	Nodes int
	// Replicas, ReadQuorum, WriteQuorum and Partitions are the cluster's
	// N, R, W and Q.
	Replicas, ReadQuorum, WriteQuorum, Partitions int
	// Fsync is the nodes' --fsync mode.
	Fsync string
	// LogLevel is the nodes' --log-level; empty leaves the server's default.
	LogLevel string
	// AntiEntropyInterval and HintInterval are the nodes'
	// --anti-entropy-interval and --hint-interval; zero leaves the server's
	// default. They set the sibling bound's settle time (settleFor).
	AntiEntropyInterval, HintInterval time.Duration
	// StrictQuorum runs the nodes with --strict-quorum: only a key's owners
	// count toward W (and R), and the checker holds every read to the
	// real-time sibling bound. Without it (the default sloppy quorum)
	// stand-ins count, a read can miss an acknowledged write while a fault
	// is active, and the checker excuses ordered pairs near a fault window
	// (see Bound and boundOf).
	StrictQuorum bool

	// Rounds is how many faults are injected, one per round.
	Rounds int
	// Hold is how long a fault lasts while the clients run.
	Hold time.Duration
	// Settle is how long the clients run on a healed cluster between
	// rounds (after it is seen whole again).
	Settle time.Duration
	// Tail is how long the clients go on writing on the whole cluster
	// after the last round, before they stop. Under the sloppy quorum the
	// part of it more than FaultSettle after the last fault is, with the
	// long enough membership rounds, where the real-time sibling bound is
	// enforced (see Bound).
	Tail time.Duration
	// Duration bounds the fault phase: no round starts after it.
	Duration time.Duration
	// Faults are the kinds of fault to draw from.
	Faults []FaultKind
	// Schedule, when set, fixes the kind of each round in turn (cycling);
	// a kind that does not fit the cluster at its turn is replaced by a
	// drawn one. The targets are still drawn from Seed.
	Schedule []FaultKind
	// Seed drives the choice of faults and their targets (and the
	// clients' choices of keys and nodes); 0 picks one from the clock.
	Seed uint64

	// SetClients write plain SETs, each to keys of its own.
	SetClients int
	// VSetClients read and write with contexts, in groups of two or three
	// sharing keys.
	VSetClients int
	// CounterClients INCR the shared counters.
	CounterClients int
	// HashClients write hashes: HSETs of new fields and HDELs of their
	// own, in hashes of their own, and HINCRBYs of the shared counter
	// field.
	HashClients int
	// Keys is the number of keys of each SET client and of each VSET group.
	Keys int
	// Counters is the number of shared counter keys.
	Counters int
	// OpsPerClient bounds each client's operations.
	OpsPerClient int
	// OpPause is each client's pause between operations.
	OpPause time.Duration
	// OpTimeout bounds one request (go-redis read and write timeouts).
	OpTimeout time.Duration

	// StartTimeout bounds a node's start (until it answers PING).
	StartTimeout time.Duration
	// HealTimeout bounds the wait for every node to see every member alive.
	HealTimeout time.Duration
	// ConvergeTimeout bounds the wait for equal Merkle roots at the end.
	ConvergeTimeout time.Duration
}

// DefaultConfig is a five-node run of twenty rounds with every fault kind.
func DefaultConfig() Config {
	return Config{
		Nodes: 5,
		// Dynago's defaults: three replicas, quorums of two.
		Replicas: 3, ReadQuorum: 2, WriteQuorum: 2,
		// Fewer partitions than the server's 256: less anti-entropy work
		// per interval on a small machine, while every node still owns
		// partitions of every kind (first, second, third replica).
		Partitions: 64,
		// The default mode: an acknowledgement waits for its group fsync.
		Fsync: "batch",
		// Anti-entropy every second rather than ten, so the run converges
		// within seconds of the last heal.
		AntiEntropyInterval: nodeAntiEntropyInterval,
		HintInterval:        nodeHintInterval,

		Rounds: 20,
		// Long enough for failure detection to notice (gossip marks a
		// node suspect within about a second) and for hints to pile up.
		Hold:   4 * time.Second,
		Settle: time.Second,
		// Ten seconds of fault-free writing at the end: six past the last
		// fault's settle time.
		Tail:     10 * time.Second,
		Duration: 15 * time.Minute,
		Faults:   AllFaults,

		SetClients: 4, VSetClients: 5, CounterClients: 3, HashClients: 3,
		Keys: 8, Counters: 3,
		OpsPerClient: 100000,
		// A short pause keeps a 2-core machine responsive for the nodes.
		OpPause: 5 * time.Millisecond,
		// Above the server's own 2 s replication timeout, so NOQUORUM
		// answers arrive as such rather than as client timeouts.
		OpTimeout: 3 * time.Second,

		// Opening a data directory after kill -9 replays the WAL: seconds.
		StartTimeout: 20 * time.Second,
		// Three of the nodes' 15 s state exchanges: a ring update that
		// gossip failed to spread is repaired by the next exchange, which
		// has been seen to take up to 25 s.
		HealTimeout: 45 * time.Second,
		// Many anti-entropy intervals, hint deliveries and transfers.
		ConvergeTimeout: 60 * time.Second,
	}
}

// Validate reports a configuration the harness cannot run.
func (c Config) Validate() error {
	var errs []error
	if c.Nodes < 1 {
		errs = append(errs, errors.New("Nodes must be at least 1"))
	}
	if c.Replicas < 1 || c.ReadQuorum < 1 || c.WriteQuorum < 1 {
		errs = append(errs, errors.New("Replicas, ReadQuorum and WriteQuorum must be at least 1"))
	}
	if c.Partitions < 1 || c.Partitions&(c.Partitions-1) != 0 {
		errs = append(errs, fmt.Errorf("Partitions must be a power of two, not %d", c.Partitions))
	}
	if c.Rounds < 0 {
		errs = append(errs, errors.New("Rounds must not be negative"))
	}
	if c.Settle < 0 || c.Tail < 0 {
		errs = append(errs, errors.New("Settle and Tail must not be negative"))
	}
	if c.SetClients < 0 || c.VSetClients < 0 || c.CounterClients < 0 || c.HashClients < 0 ||
		c.SetClients+c.VSetClients+c.CounterClients+c.HashClients == 0 {
		errs = append(errs, errors.New("client counts must not be negative, and at least one client must run"))
	}
	if c.VSetClients == 1 {
		errs = append(errs, errors.New("VSetClients must be 0 or at least 2 (they share keys in groups of two or three)"))
	}
	if c.Keys < 1 || (c.CounterClients > 0 && c.Counters < 1) {
		errs = append(errs, errors.New("Keys (and Counters, with counter clients) must be at least 1"))
	}
	if c.OpsPerClient < 1 {
		errs = append(errs, errors.New("OpsPerClient must be at least 1"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Hold", c.Hold}, {"Duration", c.Duration}, {"OpTimeout", c.OpTimeout}, {"StartTimeout", c.StartTimeout},
		{"HealTimeout", c.HealTimeout}, {"ConvergeTimeout", c.ConvergeTimeout}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", d.name))
		}
	}
	for _, f := range append(slices.Clone(c.Faults), c.Schedule...) {
		if !knownFault(f) {
			errs = append(errs, fmt.Errorf("unknown fault kind %q", f))
		}
	}
	if c.Rounds > 0 && len(c.Faults) == 0 && len(c.Schedule) == 0 {
		errs = append(errs, errors.New("rounds need at least one fault kind"))
	}
	return errors.Join(errs...)
}

func knownFault(f FaultKind) bool { return slices.Contains(AllFaults, f) }
