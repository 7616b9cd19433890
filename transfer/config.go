package transfer

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/version"
)

// Store is the local storage a Manager reads partitions from and merges
// received records into (engine.Engine).
type Store interface {
	// ScanRange visits the stored records (tombstones included) of hash
	// range [cursor, end) in ring order, end 0 standing for 2^64, until fn
	// returns false or about count records were visited, and returns the
	// cursor to resume from, 0 when the range is done. A record fn returned
	// false on counts as visited. key is valid only during fn.
	ScanRange(cursor, end uint64, count int, fn func(key []byte, o version.Object) bool) (uint64, error)
	// MergeBatch merges objs[i] into the stored object of keys[i] for every
	// i, durably, as one write.
	MergeBatch(keys [][]byte, objs []version.Object) error
}

// Caller sends a request to another node, addressed by its member name.
type Caller interface {
	// Call sends a request of kind m to the node named name and returns its
	// reply. An error means the request failed or may not have run.
	Call(ctx context.Context, name string, m rpc.Method, req []byte) ([]byte, error)
}

// Ring is what a Manager asks of a partition ring (partition.Ring).
type Ring interface {
	// Q is the number of partitions.
	Q() int
	// Owners is partition p's preference list: its replicas, primary first.
	Owners(p int) []string
	// Range is partition p's hash range [start, end), end 0 standing for 2^64.
	Range(p int) (start, end uint64)
	// PartitionsOf lists the partitions member owns, ascending.
	PartitionsOf(member string) []int
}

// Config configures a Manager. New fills zero fields with the defaults of
// DefaultConfig.
type Config struct {
	// Self is this node's member name. Required.
	Self string
	// Store is the local storage. Required.
	Store Store
	// Caller reaches other nodes. Required.
	Caller Caller
	// Alive reports whether a node is believed reachable; a pull skips
	// previous owners that are not. Default: every node is.
	Alive func(name string) bool
	// RateBytes is the transfer rate limit in bytes per second of
	// compressed batches, pulls and pushes of this node together; negative
	// means unlimited. Default 32 MiB/s: a quarter of a gigabit link, so a
	// joining node fills up in minutes per few GiB while client traffic
	// keeps most of the network and the sources' disks.
	RateBytes int
	// BatchBytes is the size of a batch before compression (a batch ends at
	// the first record that reaches it). Default 256 KiB: large enough that
	// the per-batch fsync and round trip are amortized over hundreds of
	// records, small enough that a batch never holds a source's scan or a
	// receiver's write lock for long. A fetch asks for at most
	// MaxFetchBytes whatever this says.
	BatchBytes int
	// RetryInterval is the pause before a partition that no previous owner
	// could serve is tried again, and before Leave resends a failed push.
	// Default 1s: a restarted peer is used again quickly, while an absent
	// one costs a call per partition a second.
	RetryInterval time.Duration
	// CallTimeout bounds one batch's round trip. Default 5s: a batch is at
	// most a few MiB, so a peer that takes longer is stuck and the next
	// source is better.
	CallTimeout time.Duration
	// Logger receives pull and push failures, once per partition. Default
	// slog.Default().
	Logger *slog.Logger
	// Now and Sleep are the clock of the rate limit: Sleep pauses for d or
	// until ctx ends. Defaults: time.Now and a timer. Tests substitute a
	// fake clock to check the pacing without waiting.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Defaults, documented on Config.
const (
	DefaultRateBytes     = 32 << 20
	DefaultBatchBytes    = 256 << 10
	DefaultRetryInterval = time.Second
	DefaultCallTimeout   = 5 * time.Second
)

// DefaultConfig returns the defaults documented on Config, with the required
// fields left empty.
func DefaultConfig() Config {
	return Config{
		Alive:         func(string) bool { return true },
		RateBytes:     DefaultRateBytes,
		BatchBytes:    DefaultBatchBytes,
		RetryInterval: DefaultRetryInterval,
		CallTimeout:   DefaultCallTimeout,
		Logger:        slog.Default(),
		Now:           time.Now,
		Sleep:         sleep,
	}
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Alive == nil {
		c.Alive = d.Alive
	}
	if c.RateBytes == 0 {
		c.RateBytes = d.RateBytes
	}
	if c.BatchBytes == 0 {
		c.BatchBytes = d.BatchBytes
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = d.RetryInterval
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = d.CallTimeout
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	if c.Sleep == nil {
		c.Sleep = d.Sleep
	}
	return c
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Self == "":
		return errors.New("transfer: Self not set")
	case c.Store == nil:
		return errors.New("transfer: Store not set")
	case c.Caller == nil:
		return errors.New("transfer: Caller not set")
	case c.BatchBytes < 0:
		return errors.New("transfer: BatchBytes must be >= 0")
	case c.RetryInterval < 0:
		return errors.New("transfer: RetryInterval must be >= 0")
	case c.CallTimeout < 0:
		return errors.New("transfer: CallTimeout must be >= 0")
	}
	return nil
}

// sleep pauses for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
