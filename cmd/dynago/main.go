// Command dynago runs one Dynago node: flags and configuration in, the parts
// wired together, no logic of its own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/node"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/resp"
)

// defaultGCPercent is the garbage collector's target when GOGC is not set.
// A node's live heap is mostly its row cache, which every collection must
// mark; Go's default (100) collected every second or so under load and
// spent a quarter of a busy node's CPU doing it. 400 trades a bigger heap
// (about five times the live one) for a quarter of the collections.
// The soft memory limit (defaultMemoryLimit) bounds what that costs in
// memory: as the heap nears it, collections come sooner.
const defaultGCPercent = 400

// defaultMemoryLimit is the Go heap's soft limit when neither
// --memory-limit-bytes nor GOMEMLIMIT is given: room for the row cache and
// its garbage, plus the rest of a node's live heap (connections, the
// Merkle trees, about 9 MiB per million keys). Pebble's block cache and
// memtables are allocated outside the Go heap and come on top. With the
// defaults a node holding a million 100-byte keys stays near 250 MiB
// resident; without the limit, GOGC=400 let it reach 400 MiB. It rises
// with the live heap (followLiveHeap).
func defaultMemoryLimit(rowCache int64) int64 { return 4*rowCache + 64<<20 }

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dynago:", err)
		os.Exit(1)
	}
}

type options struct {
	bind          string
	port          int
	dir           string
	nodeName      string
	fsync         string
	maxValueBytes int
	diskReserve   int64
	blockCache    int64
	rowCache      int64
	memtable      int64
	memoryLimit   int64
	memoryDefault bool // memoryLimit is the default, which follows the live heap
	logLevel      string
	logFormat     string
	debugAddr     string
	gossipPort    int
	peerPort      int
	join          string
	replicas      int
	readQuorum    int
	writeQuorum   int
	partitions    int
	showVersion   bool

	strictQuorum        bool
	hintInterval        time.Duration
	antiEntropyInterval time.Duration
	tombstoneGrace      time.Duration
	transferRate        int
	faultInjection      bool
	clusterSecret       string
	metricsPort         int
	metricsDefault      bool // metricsPort was not given
	slowlogSlowerThan   int64

	// Client security and limits (flags named as Redis names them).
	security       resp.Security
	protectedMode  string
	tlsPort        int
	limits         resp.Limits
	timeoutSeconds int
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("dynago", flag.ContinueOnError)
	fs.StringVar(&o.bind, "bind", "127.0.0.1", "address to listen on for Redis clients")
	fs.IntVar(&o.port, "port", 6379, "RESP port for Redis clients")
	fs.StringVar(&o.dir, "dir", "./dynago-data", "data directory")
	fs.StringVar(&o.nodeName, "node-name", "", "this node's name in the cluster (default host:port)")
	fs.IntVar(&o.gossipPort, "gossip-port", 0, "gossip port (default: --port + 10000)")
	fs.IntVar(&o.peerPort, "peer-port", 0, "internode port (default: --port + 20000)")
	fs.StringVar(&o.join, "join", "", "host:gossipport[,host:gossipport...] of a cluster to join")
	fs.IntVar(&o.replicas, "replicas", 3, "N: replicas of every key")
	fs.IntVar(&o.readQuorum, "read-quorum", 2, "R: replicas that must answer a read")
	fs.IntVar(&o.writeQuorum, "write-quorum", 2, "W: replicas that must store a write")
	fs.IntVar(&o.partitions, "partitions", 256, "Q: partitions of the key space, each a run of 16384/Q hash slots (a power of two up to 16384, fixed when the cluster is created)")
	fs.BoolVar(&o.strictQuorum, "strict-quorum", false, "count only a key's own replicas toward W and R (no stand-ins; like Riak's PW and PR)")
	fs.DurationVar(&o.hintInterval, "hint-interval", time.Second, "how often hinted writes are offered to their owners")
	fs.DurationVar(&o.antiEntropyInterval, "anti-entropy-interval", 10*time.Second, "how often replicas compare hash trees and repair differences")
	fs.DurationVar(&o.tombstoneGrace, "tombstone-grace", node.DefaultTombstoneGrace, "how long a deleted key's tombstone is kept (must outlast hint delivery and an anti-entropy round)")
	fs.IntVar(&o.transferRate, "transfer-rate", 32<<20, "partition transfer limit in bytes per second (negative: unlimited)")
	fs.StringVar(&o.clusterSecret, "cluster-secret", "", "shared secret that authenticates and encrypts gossip and internode traffic (all nodes must use the same; also read from DYNAGO_CLUSTER_SECRET)")
	fs.IntVar(&o.metricsPort, "metrics-port", -1, "port of the Prometheus metrics (/metrics) and the cluster dashboard (/) (default: the RESP port + 30000; 0: off)")
	fs.Int64Var(&o.slowlogSlowerThan, "slowlog-log-slower-than", 10000, "commands slower than this many microseconds enter SLOWLOG (negative: none)")
	fs.BoolVar(&o.faultInjection, "fault-injection", false, "enable DYNAGO FAULT (cutting network links, for fault-injection tests only)")
	fs.StringVar(&o.fsync, "fsync", "batch", "when writes reach the disk before they are acknowledged: always, batch (group commit) or never")
	fs.IntVar(&o.maxValueBytes, "max-value-bytes", resp.DefaultMaxValueBytes, "largest value a client may store, in bytes")
	fs.Int64Var(&o.diskReserve, "disk-reserve-bytes", engine.DefaultConfig("").DiskReserveBytes, "free space on the data directory's file system that writes leave alone: with less free, writes are refused (MISCONF) until there is room again; 0: none")
	defaults := engine.DefaultConfig("")
	fs.Int64Var(&o.blockCache, "block-cache-bytes", defaults.CacheBytes, "Pebble's cache of table blocks, in bytes")
	fs.Int64Var(&o.rowCache, "row-cache-bytes", int64(defaults.RowCacheBytes), "cache of recently read and written keys' versions, in bytes (0: none)")
	fs.Int64Var(&o.memtable, "memtable-bytes", int64(defaults.MemTableBytes), "size of one memtable, in bytes; up to two are held in memory")
	fs.Int64Var(&o.memoryLimit, "memory-limit-bytes", -1, "soft limit of the Go heap, in bytes, which collects garbage more often as it nears (default: 4 x --row-cache-bytes + 64 MiB; 0: none; GOMEMLIMIT, when set, wins)")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text (key=value) or json (one object per line)")
	fs.StringVar(&o.debugAddr, "debug-addr", "", "serve Go's pprof profiles on this address (e.g. 127.0.0.1:6060); off when empty")
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	fs.StringVar(&o.security.RequirePass, "requirepass", "", "password clients must give with AUTH (or HELLO ... AUTH default PASS); none when empty")
	fs.StringVar(&o.protectedMode, "protected-mode", "yes", "yes: without a password, refuse clients not on loopback when bound to another address; no: accept them")
	fs.IntVar(&o.tlsPort, "tls-port", 0, "RESP port for clients over TLS (0: none); needs --tls-cert-file and --tls-key-file")
	fs.StringVar(&o.security.TLSCertFile, "tls-cert-file", "", "the TLS port's certificate (PEM)")
	fs.StringVar(&o.security.TLSKeyFile, "tls-key-file", "", "the TLS port's private key (PEM)")
	fs.StringVar(&o.security.TLSCACertFile, "tls-ca-cert-file", "", "CA certificates (PEM); when given, TLS clients must present a certificate they signed")
	fs.IntVar(&o.limits.MaxClients, "maxclients", resp.DefaultMaxClients, "most clients connected at once; the next is refused")
	fs.IntVar(&o.timeoutSeconds, "timeout", 0, "close a client idle for this many seconds (0: never)")
	fs.Int64Var(&o.limits.ProtoMaxBulkLen, "proto-max-bulk-len", resp.DefaultProtoMaxBulkLen, "longest bulk string (one argument) a client may send, in bytes")
	fs.Int64Var(&o.limits.QueryBufferLimit, "client-query-buffer-limit", resp.DefaultQueryBufferLimit, "longest request (all its arguments) a client may send, in bytes")
	fs.String("config", "", "read settings from `FILE`: Redis's \"name value\" lines, names as the flags'; flags given on the command line override it")
	fileArgs, err := configFileArgs(fs, args)
	if err != nil {
		return o, err
	}
	if err := fs.Parse(append(fileArgs, args...)); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.port < 0 || o.port > 65535 {
		return o, fmt.Errorf("--port must be between 0 and 65535, not %d", o.port)
	}
	if o.tlsPort < 0 || o.tlsPort > 65535 {
		return o, fmt.Errorf("--tls-port must be between 0 and 65535, not %d", o.tlsPort)
	}
	if o.port == 0 && o.tlsPort == 0 {
		return o, fmt.Errorf("--port 0 turns plain TCP off, which needs --tls-port")
	}
	if o.tlsPort != 0 {
		o.security.TLSAddr = net.JoinHostPort(o.bind, strconv.Itoa(o.tlsPort))
	}
	switch {
	case o.tlsPort != 0 && (o.security.TLSCertFile == "" || o.security.TLSKeyFile == ""):
		return o, fmt.Errorf("--tls-port needs --tls-cert-file and --tls-key-file")
	case o.tlsPort == 0 && (o.security.TLSCertFile != "" || o.security.TLSKeyFile != "" || o.security.TLSCACertFile != ""):
		return o, fmt.Errorf("--tls-cert-file, --tls-key-file and --tls-ca-cert-file need --tls-port")
	}
	switch o.protectedMode {
	case "yes":
	case "no":
		o.security.NoProtectedMode = true
	default:
		return o, fmt.Errorf("--protected-mode must be yes or no, not %q", o.protectedMode)
	}
	if o.limits.MaxClients < 1 {
		return o, fmt.Errorf("--maxclients must be at least 1, not %d", o.limits.MaxClients)
	}
	if o.timeoutSeconds < 0 {
		return o, fmt.Errorf("--timeout must be 0 (never) or a number of seconds, not %d", o.timeoutSeconds)
	}
	o.limits.Timeout = time.Duration(o.timeoutSeconds) * time.Second
	if err := o.limits.Validate(); err != nil {
		return o, fmt.Errorf("--%w", err)
	}
	if o.maxValueBytes <= 0 {
		return o, fmt.Errorf("--max-value-bytes must be positive")
	}
	if o.blockCache < 0 || o.rowCache < 0 {
		return o, fmt.Errorf("--block-cache-bytes and --row-cache-bytes must be 0 or positive")
	}
	if o.memtable < 1<<20 {
		return o, fmt.Errorf("--memtable-bytes must be at least 1 MiB, not %d", o.memtable)
	}
	if o.memoryLimit == -1 {
		o.memoryLimit, o.memoryDefault = defaultMemoryLimit(o.rowCache), true
	}
	if o.memoryLimit < 0 {
		return o, fmt.Errorf("--memory-limit-bytes must be 0 (none) or positive")
	}
	if o.diskReserve < 0 {
		return o, fmt.Errorf("--disk-reserve-bytes must be 0 (none) or positive")
	}
	if o.partitions < 1 || o.partitions > partition.MaxPartitions || o.partitions&(o.partitions-1) != 0 {
		return o, fmt.Errorf("--partitions must be a power of two from 1 to %d (each partition is a run of hash slots), not %d", partition.MaxPartitions, o.partitions)
	}
	if o.replicas < 1 || o.readQuorum < 1 || o.writeQuorum < 1 {
		return o, fmt.Errorf("--replicas, --read-quorum and --write-quorum must be at least 1")
	}
	if o.hintInterval <= 0 || o.antiEntropyInterval <= 0 {
		return o, fmt.Errorf("--hint-interval and --anti-entropy-interval must be positive")
	}
	if o.tombstoneGrace <= 0 {
		return o, fmt.Errorf("--tombstone-grace must be positive")
	}
	if o.transferRate == 0 {
		return o, fmt.Errorf("--transfer-rate must not be 0 (negative means unlimited)")
	}
	if o.clusterSecret == "" {
		o.clusterSecret = os.Getenv("DYNAGO_CLUSTER_SECRET")
	}
	port := o.port
	if port == 0 {
		port = o.tlsPort
	}
	if o.nodeName == "" {
		o.nodeName = net.JoinHostPort(o.bind, strconv.Itoa(port))
	}
	if o.metricsPort == -1 {
		// The default: RESP port + 30000 when there is such a port, served
		// if free (a node does not fail to start for want of its dashboard).
		o.metricsDefault = true
		o.metricsPort = port + 30000
		if o.metricsPort > 65535 {
			o.metricsPort = 0
		}
	}
	if o.metricsPort < 0 || o.metricsPort > 65535 {
		return o, fmt.Errorf("--metrics-port must be between 0 and 65535, not %d", o.metricsPort)
	}
	return o, nil
}

func run(args []string) error {
	o, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.showVersion {
		fmt.Println("dynago", resp.DynagoVersion)
		return nil
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	levelVar := new(slog.LevelVar)
	levelVar.Set(level)
	opts := &slog.HandlerOptions{Level: levelVar}
	switch o.logFormat {
	case "text":
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, opts)))
	case "json":
		slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, opts)))
	default:
		return fmt.Errorf("--log-format must be text or json, not %q", o.logFormat)
	}

	if o.debugAddr != "" {
		// The mutex and block profiles stay empty unless they sample: with
		// the debug server they do (one contention in 100, blocking events
		// of 100 µs and more), a cost paid only where profiles are wanted.
		runtime.SetMutexProfileFraction(100)
		runtime.SetBlockProfileRate(int((100 * time.Microsecond).Nanoseconds()))
		go func() {
			if err := http.ListenAndServe(o.debugAddr, nil); err != nil {
				slog.Error("debug server", "err", err)
			}
		}()
	}
	fsync, err := engine.ParseFsyncMode(o.fsync)
	if err != nil {
		return fmt.Errorf("--fsync: %w", err)
	}
	ecfg := engine.DefaultConfig(o.dir)
	ecfg.Fsync = fsync
	ecfg.TombstoneGrace = o.tombstoneGrace
	ecfg.DiskReserveBytes = o.diskReserve
	ecfg.CacheBytes, ecfg.RowCacheBytes, ecfg.MemTableBytes = o.blockCache, int(o.rowCache), uint64(o.memtable)
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && o.memoryLimit > 0 {
		debug.SetMemoryLimit(o.memoryLimit)
		if o.memoryDefault {
			stop := make(chan struct{})
			defer close(stop)
			go followLiveHeap(o.memoryLimit, 5*time.Second, stop)
		}
	}
	cfg := node.Config{
		Addr:          net.JoinHostPort(o.bind, strconv.Itoa(o.port)),
		Name:          o.nodeName,
		Replicas:      o.replicas,
		ReadQuorum:    o.readQuorum,
		WriteQuorum:   o.writeQuorum,
		Partitions:    o.partitions,
		Engine:        ecfg,
		MaxValueBytes: o.maxValueBytes,

		StrictQuorum:        o.strictQuorum,
		HintInterval:        o.hintInterval,
		AntiEntropyInterval: o.antiEntropyInterval,
		TransferRate:        o.transferRate,
		FaultInjection:      o.faultInjection,
		ClusterSecret:       o.clusterSecret,

		Security: o.security,
		Limits:   o.limits,

		SlowlogSlowerThan: o.slowlogSlowerThan,
		LogLevel:          levelVar,
	}
	if o.slowlogSlowerThan == 0 {
		cfg.SlowlogSlowerThan = 1 // every command: the node's 0 means its default
	}
	if o.metricsPort != 0 {
		cfg.MetricsAddr = net.JoinHostPort(o.bind, strconv.Itoa(o.metricsPort))
		cfg.MetricsOptional = o.metricsDefault
	}
	if o.port == 0 {
		cfg.Addr = "" // clients over TLS only
	}
	if o.gossipPort != 0 {
		cfg.GossipAddr = net.JoinHostPort(o.bind, strconv.Itoa(o.gossipPort))
	}
	if o.peerPort != 0 {
		cfg.PeerAddr = net.JoinHostPort(o.bind, strconv.Itoa(o.peerPort))
	}
	if o.join != "" {
		cfg.Join = strings.Split(o.join, ",")
	}
	n, err := node.Start(cfg)
	if err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case err := <-n.Done():
		return err
	case s := <-sig:
		slog.Info("shutting down", "signal", s.String())
	case <-n.Left():
		slog.Info("shutting down after leaving the cluster")
	case <-n.ShutdownAsked():
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return n.Shutdown(ctx)
}
