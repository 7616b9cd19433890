// Package metrics exports a node's figures in the Prometheus format: request
// counts and latencies per command, quorum failures, read repairs, hinted
// handoff, anti-entropy, partition transfers, the number of versions reads
// find (the divergence statistic of the Dynamo paper), storage (Pebble) and
// the Go runtime. Counters the node already keeps are read when Prometheus
// scrapes; only per-request figures are recorded as they happen.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Source is what the node reports, read at each scrape.
type Source interface {
	// Snapshot returns the node's counters and gauges now.
	Snapshot() Snapshot
}

// Snapshot is one reading of a node's figures.
type Snapshot struct {
	MembersTotal, MembersAlive int
	PartitionsHeld             int

	NoQuorumReads, NoQuorumWrites int64
	ReadRepairs                   int64
	RoutedWrites, OffReplicaReads int64
	// Reads of big collections answered from this node's records once R
	// owners agreed, and read whole because they did not.
	AgreedReads, MergedReads int64

	HintsPending, HintsHandedOff, HintsDelivered int64

	AntiEntropyExchanges, AntiEntropyFailures int64
	AntiEntropyKeysRepaired, AntiEntropyBytes int64

	TransfersPending                                    int
	TransferPartitionsDone, TransferKeys, TransferBytes int64

	Keys               int64
	DiskBytes          uint64
	MemtableBytes      uint64
	Tables, L0Tables   int64
	ReadAmp            int
	Compactions        int64
	CompactionsRunning int64
	CompactionDebt     uint64
	Flushes            int64
	BlockCacheBytes    int64
	BlockCacheHits     int64
	BlockCacheMisses   int64
	WALBytesWritten    uint64

	// DiskStatus is the data directory's: 0 takes writes, 1 full (no
	// space, or under the reserve), 2 failing (writes fail); in the last
	// two writes are refused. DiskErrors counts failed disk writes,
	// DiskWritesRefused the writes refused for it; DiskFreeBytes is the
	// file system's free space at the last measurement (-1 unknown).
	DiskStatus                    int
	DiskErrors, DiskWritesRefused int64
	WALSyncs                      int64 // fsyncs of the write-ahead log
	DiskFreeBytes, DiskReserve    int64

	ClientsConnected int
	// CommandPanics counts commands whose handler panicked (each one
	// answered with an error and its connection closed; the node served on).
	CommandPanics int64
	// InternodePanics counts internode requests whose handler panicked
	// (each answered with an error to the peer; the node served on).
	InternodePanics uint64
}

// Metrics is a node's Prometheus registry with the per-request collectors.
type Metrics struct {
	reg      *prometheus.Registry
	calls    *prometheus.CounterVec
	failures *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	versions prometheus.Histogram
	commands sync.Map // command name -> *commandMetrics
}

// commandMetrics are one command's collectors, looked up once: every
// command records into them, and a label lookup per command would cost
// more than the recording.
type commandMetrics struct {
	calls, failures prometheus.Counter
	latency         prometheus.Observer
}

// New registers the node's metrics, reading src at each scrape.
func New(src Source) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dynago_commands_total", Help: "Commands run, by command name.",
		}, []string{"command"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dynago_command_errors_total", Help: "Commands that answered an error, by command name.",
		}, []string{"command"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dynago_command_duration_seconds",
			Help:    "Time from a command's arrival to its reply, by command name.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"command"}),
		versions: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dynago_read_versions",
			Help:    "Versions (siblings) a quorum read found: 1 is the common case, more means concurrent writes diverged.",
			Buckets: []float64{0, 1, 2, 3, 4, 8},
		}),
	}
	m.reg.MustRegister(m.calls, m.failures, m.latency, m.versions,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		snapshotCollector{src})
	return m
}

// ObserveCommand records one command.
func (m *Metrics) ObserveCommand(name string, took time.Duration, failed bool) {
	cm := m.command(name)
	cm.calls.Inc()
	if failed {
		cm.failures.Inc()
	}
	cm.latency.Observe(took.Seconds())
}

func (m *Metrics) command(name string) *commandMetrics {
	if cm, ok := m.commands.Load(name); ok {
		return cm.(*commandMetrics)
	}
	cm, _ := m.commands.LoadOrStore(name, &commandMetrics{
		calls:    m.calls.WithLabelValues(name),
		failures: m.failures.WithLabelValues(name),
		latency:  m.latency.WithLabelValues(name),
	})
	return cm.(*commandMetrics)
}

// ObserveRead records the number of versions a quorum read found.
func (m *Metrics) ObserveRead(versions int) { m.versions.Observe(float64(versions)) }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry is the underlying registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// snapshotCollector turns a Snapshot into metrics at each scrape.
type snapshotCollector struct{ src Source }

type figure struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(s *Snapshot) float64
}

func counter(name, help string, v func(s *Snapshot) float64) figure {
	return figure{prometheus.NewDesc(name, help, nil, nil), prometheus.CounterValue, v}
}

func gauge(name, help string, v func(s *Snapshot) float64) figure {
	return figure{prometheus.NewDesc(name, help, nil, nil), prometheus.GaugeValue, v}
}

// diskStatus is the 0/1 gauge of one of the data directory's states.
func diskStatus(status string, code int) figure {
	return figure{prometheus.NewDesc("dynago_disk_status", "1 for the data directory's state: ok (takes writes), full (no space, or under the reserve) or failing (writes fail); writes are refused unless ok.",
		nil, prometheus.Labels{"status": status}), prometheus.GaugeValue, func(s *Snapshot) float64 {
		if s.DiskStatus == code {
			return 1
		}
		return 0
	}}
}

func quorumFailures(op string, v func(s *Snapshot) float64) figure {
	return figure{prometheus.NewDesc("dynago_quorum_failures_total", "Requests refused with NOQUORUM, by operation.",
		nil, prometheus.Labels{"op": op}), prometheus.CounterValue, v}
}

func collectionReads(how string, v func(s *Snapshot) float64) figure {
	return figure{prometheus.NewDesc("dynago_collection_reads_total",
		"Reads of big collections: answered from this node's records because R owners held the same (agreed), or read whole from R owners (merged).",
		nil, prometheus.Labels{"how": how}), prometheus.CounterValue, v}
}

var figures = []figure{
	gauge("dynago_cluster_members", "Ring members.", func(s *Snapshot) float64 { return float64(s.MembersTotal) }),
	gauge("dynago_cluster_members_alive", "Ring members gossip believes alive.", func(s *Snapshot) float64 { return float64(s.MembersAlive) }),
	gauge("dynago_partitions_held", "Partitions this node is a replica of.", func(s *Snapshot) float64 { return float64(s.PartitionsHeld) }),
	quorumFailures("read", func(s *Snapshot) float64 { return float64(s.NoQuorumReads) }),
	quorumFailures("write", func(s *Snapshot) float64 { return float64(s.NoQuorumWrites) }),
	counter("dynago_read_repairs_total", "Stale replicas repaired by reads.", func(s *Snapshot) float64 { return float64(s.ReadRepairs) }),
	counter("dynago_routed_writes_total", "Writes that came to a node holding no replica of their key and were sent on to its coordinator.", func(s *Snapshot) float64 { return float64(s.RoutedWrites) }),
	counter("dynago_off_replica_reads_total", "Reads coordinated on a node holding no replica of their key.", func(s *Snapshot) float64 { return float64(s.OffReplicaReads) }),
	collectionReads("agreed", func(s *Snapshot) float64 { return float64(s.AgreedReads) }),
	collectionReads("merged", func(s *Snapshot) float64 { return float64(s.MergedReads) }),
	gauge("dynago_hints_pending", "Hinted writes this node holds for other nodes.", func(s *Snapshot) float64 { return float64(s.HintsPending) }),
	counter("dynago_hints_handed_off_total", "Writes this node gave to stand-ins for owners that were down.", func(s *Snapshot) float64 { return float64(s.HintsHandedOff) }),
	counter("dynago_hints_delivered_total", "Hints this node delivered to their owners.", func(s *Snapshot) float64 { return float64(s.HintsDelivered) }),
	counter("dynago_anti_entropy_exchanges_total", "Hash-tree exchanges completed.", func(s *Snapshot) float64 { return float64(s.AntiEntropyExchanges) }),
	counter("dynago_anti_entropy_failures_total", "Hash-tree exchanges that failed.", func(s *Snapshot) float64 { return float64(s.AntiEntropyFailures) }),
	counter("dynago_anti_entropy_keys_repaired_total", "Copies changed by anti-entropy repairs.", func(s *Snapshot) float64 { return float64(s.AntiEntropyKeysRepaired) }),
	counter("dynago_anti_entropy_bytes_total", "Bytes of hash-tree exchanges, both ways.", func(s *Snapshot) float64 { return float64(s.AntiEntropyBytes) }),
	gauge("dynago_transfers_pending", "Partitions still to pull or hand off.", func(s *Snapshot) float64 { return float64(s.TransfersPending) }),
	counter("dynago_transfer_partitions_total", "Partitions pulled completely.", func(s *Snapshot) float64 { return float64(s.TransferPartitionsDone) }),
	counter("dynago_transfer_keys_total", "Records moved by partition transfers.", func(s *Snapshot) float64 { return float64(s.TransferKeys) }),
	counter("dynago_transfer_bytes_total", "Bytes moved by partition transfers (compressed).", func(s *Snapshot) float64 { return float64(s.TransferBytes) }),
	gauge("dynago_keys", "Keys with a live value on this node.", func(s *Snapshot) float64 { return float64(s.Keys) }),
	gauge("dynago_clients_connected", "Client connections.", func(s *Snapshot) float64 { return float64(s.ClientsConnected) }),
	counter("dynago_internode_panics_total", "Internode requests whose handler panicked; each was contained (the peer answered with an error).", func(s *Snapshot) float64 { return float64(s.InternodePanics) }),
	counter("dynago_command_panics_total", "Commands whose handler panicked; each was contained (its client answered with an error and disconnected).", func(s *Snapshot) float64 { return float64(s.CommandPanics) }),
	gauge("dynago_disk_healthy", "1 while the data directory takes writes, 0 while it refuses them (full or failing).", func(s *Snapshot) float64 {
		if s.DiskStatus == 0 {
			return 1
		}
		return 0
	}),
	diskStatus("ok", 0),
	diskStatus("full", 1),
	diskStatus("failing", 2),
	counter("dynago_disk_errors_total", "Writes and syncs to the data directory that failed.", func(s *Snapshot) float64 { return float64(s.DiskErrors) }),
	counter("dynago_disk_writes_refused_total", "Writes refused because the data directory could not take them.", func(s *Snapshot) float64 { return float64(s.DiskWritesRefused) }),
	gauge("dynago_disk_free_bytes", "Free space on the data directory's file system at the last measurement (-1 unknown).", func(s *Snapshot) float64 { return float64(s.DiskFreeBytes) }),
	gauge("dynago_disk_reserve_bytes", "Free space writes leave alone: under it they are refused.", func(s *Snapshot) float64 { return float64(s.DiskReserve) }),
	gauge("dynago_pebble_disk_bytes", "Bytes of Pebble's live files.", func(s *Snapshot) float64 { return float64(s.DiskBytes) }),
	gauge("dynago_pebble_memtable_bytes", "Bytes of Pebble's memtables.", func(s *Snapshot) float64 { return float64(s.MemtableBytes) }),
	gauge("dynago_pebble_tables", "Pebble sstables.", func(s *Snapshot) float64 { return float64(s.Tables) }),
	gauge("dynago_pebble_l0_tables", "Pebble sstables in level 0.", func(s *Snapshot) float64 { return float64(s.L0Tables) }),
	gauge("dynago_pebble_read_amplification", "Tables a Pebble read may consult.", func(s *Snapshot) float64 { return float64(s.ReadAmp) }),
	counter("dynago_pebble_compactions_total", "Pebble compactions.", func(s *Snapshot) float64 { return float64(s.Compactions) }),
	gauge("dynago_pebble_compactions_running", "Pebble compactions in progress.", func(s *Snapshot) float64 { return float64(s.CompactionsRunning) }),
	gauge("dynago_pebble_compaction_debt_bytes", "Bytes Pebble estimates it must still compact to be at rest.", func(s *Snapshot) float64 { return float64(s.CompactionDebt) }),
	counter("dynago_pebble_flushes_total", "Pebble memtable flushes.", func(s *Snapshot) float64 { return float64(s.Flushes) }),
	gauge("dynago_pebble_block_cache_bytes", "Bytes in Pebble's block cache.", func(s *Snapshot) float64 { return float64(s.BlockCacheBytes) }),
	counter("dynago_pebble_block_cache_hits_total", "Pebble block cache hits.", func(s *Snapshot) float64 { return float64(s.BlockCacheHits) }),
	counter("dynago_pebble_block_cache_misses_total", "Pebble block cache misses.", func(s *Snapshot) float64 { return float64(s.BlockCacheMisses) }),
	counter("dynago_wal_syncs_total", "Fsyncs of the write-ahead log (acknowledged writes share them).", func(s *Snapshot) float64 { return float64(s.WALSyncs) }),
	counter("dynago_pebble_wal_bytes_written_total", "Bytes written to Pebble's write-ahead log.", func(s *Snapshot) float64 { return float64(s.WALBytesWritten) }),
}

func (c snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range figures {
		ch <- f.desc
	}
}

func (c snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Snapshot()
	for _, f := range figures {
		ch <- prometheus.MustNewConstMetric(f.desc, f.kind, f.value(&s))
	}
}
