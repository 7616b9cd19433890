package node

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dynago/dynago/dashboard"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/metrics"
)

// Observability: a node serves Prometheus metrics at /metrics and the
// cluster dashboard at / on its metrics address, with /api/cluster giving
// the dashboard the cluster as this node sees it plus every live member's
// own figures (asked over the internode transport).

// observer holds the node's metrics and its request-rate sampler.
type observer struct {
	m    *metrics.Metrics
	srv  *http.Server
	ln   net.Listener
	rate atomic.Uint64 // float64 bits: commands per second, last sample
}

// startObserving creates the metrics and, when a metrics address is set,
// serves them with the dashboard.
func (n *Node) startObserving() error {
	n.obs = &observer{m: metrics.New(snapshotSource{n})}
	n.watcher.Add(1)
	go func() {
		defer n.watcher.Done()
		n.sampleRate()
	}()
	if n.cfg.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", n.cfg.MetricsAddr)
	if err != nil && n.cfg.MetricsOptional {
		slog.Warn("metrics and dashboard not served: their default port is taken; set --metrics-port", "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", n.obs.m.Handler())
	mux.HandleFunc("/api/cluster", n.serveCluster)
	mux.Handle("/", dashboard.Handler())
	n.obs.ln = ln
	n.obs.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := n.obs.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("metrics server stopped", "err", err)
		}
	}()
	return nil
}

// MetricsAddr is where metrics and the dashboard are served ("" if nowhere).
func (n *Node) MetricsAddr() string {
	if n.obs == nil || n.obs.ln == nil {
		return ""
	}
	return n.obs.ln.Addr().String()
}

func (n *Node) stopObserving() {
	if n.obs != nil && n.obs.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = n.obs.srv.Shutdown(ctx)
	}
}

// sampleRate measures the commands served per second, once a second.
func (n *Node) sampleRate() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, at := n.srv.CommandsProcessed(), time.Now()
	for {
		select {
		case <-n.bg.Done():
			return
		case now := <-t.C:
			cur := n.srv.CommandsProcessed()
			perSec := float64(cur-last) / now.Sub(at).Seconds()
			n.obs.rate.Store(math.Float64bits(perSec))
			last, at = cur, now
		}
	}
}

// snapshotSource reads the node's figures for the metrics.
type snapshotSource struct{ n *Node }

func (s snapshotSource) Snapshot() metrics.Snapshot {
	n := s.n
	ring := n.ring.Load()
	snap := metrics.Snapshot{MembersTotal: ring.Size(), PartitionsHeld: len(ring.PartitionsOf(n.cfg.Name))}
	for _, m := range ring.Members() {
		if m == n.cfg.Name || n.mem.Alive(m) {
			snap.MembersAlive++
		}
	}
	if n.coord != nil {
		st := n.coord.Stats()
		snap.NoQuorumReads, snap.NoQuorumWrites = st.QuorumFailures()
		snap.ReadRepairs = st.ReadRepairs()
		snap.RoutedWrites, snap.OffReplicaReads = st.Routed()
		snap.AgreedReads, snap.MergedReads = st.CollectionReads()
		h := n.hintStats()
		snap.HintsPending, snap.HintsHandedOff, snap.HintsDelivered = h.Pending, h.HandedOff, h.Delivered
	}
	ae := n.aeStats()
	snap.AntiEntropyExchanges = ae.Exchanges
	snap.AntiEntropyFailures = ae.Failures
	snap.AntiEntropyKeysRepaired = ae.KeysRepaired
	snap.AntiEntropyBytes = ae.Bytes
	if n.xfer != nil {
		t := n.xfer.Status()
		snap.TransfersPending = t.PartitionsPending + t.PushPending
		snap.TransferPartitionsDone, snap.TransferKeys, snap.TransferBytes = t.PartitionsDone, t.KeysMoved, t.BytesMoved
	}
	e := n.eng.Stats()
	snap.Keys, snap.DiskBytes, snap.MemtableBytes = e.Records, e.DiskBytes, e.MemtableBytes
	snap.Tables, snap.L0Tables, snap.ReadAmp = e.Tables, e.L0Tables, e.ReadAmp
	snap.Compactions, snap.Flushes = e.Compactions, e.Flushes
	snap.CompactionsRunning, snap.CompactionDebt = e.CompactionsRunning, e.CompactionDebt
	snap.BlockCacheBytes, snap.BlockCacheHits, snap.BlockCacheMisses = e.BlockCacheBytes, e.BlockCacheHits, e.BlockCacheMisses
	snap.WALBytesWritten = e.WALBytesWritten
	d := n.eng.DiskHealth()
	snap.DiskStatus, snap.DiskErrors, snap.DiskWritesRefused = int(d.Status), d.Errors, d.Refused
	snap.WALSyncs = d.WALSyncs
	snap.DiskFreeBytes, snap.DiskReserve = d.FreeBytes, d.ReserveBytes
	snap.ClientsConnected = n.srv.ClientsConnected()
	snap.CommandPanics = n.srv.CommandPanics()
	if n.trans != nil {
		snap.InternodePanics = n.trans.Stats().HandlerPanics
	}
	return snap
}

// nodeStatus is this node's own figures for the dashboard.
func (n *Node) nodeStatus() dashboard.NodeStatus {
	snap := snapshotSource{n}.Snapshot()
	return dashboard.NodeStatus{
		Name:                n.cfg.Name,
		Reachable:           true,
		HintsPending:        snap.HintsPending,
		TransfersInProgress: snap.TransfersPending,
		OpsPerSec:           math.Float64frombits(n.obs.rate.Load()),
		Keys:                snap.Keys,
		Clients:             snap.ClientsConnected,
	}
}

func (n *Node) handleNodeStatus() ([]byte, error) { return json.Marshal(n.nodeStatus()) }

// serveCluster answers /api/cluster: the ring and members as this node sees
// them, with each live member's own figures.
func (n *Node) serveCluster(w http.ResponseWriter, r *http.Request) {
	ring := n.ring.Load()
	view := dashboard.Cluster{
		Node: n.cfg.Name, ClusterID: n.mem.ClusterID(),
		Q: ring.Q(), N: n.cfg.Replicas, R: n.cfg.ReadQuorum, W: n.cfg.WriteQuorum,
		Time:   time.Now().UnixMilli(),
		Owners: make([][]string, ring.Q()),
	}
	for p := range view.Owners {
		view.Owners[p] = ring.Owners(p)
	}
	members := n.mem.Members()
	view.Nodes = make([]dashboard.NodeStatus, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		ns := dashboard.NodeStatus{Name: m.Name, Addr: m.Meta.RESPAddr, State: m.State.String(),
			InRing: m.InRing, Partitions: len(ring.PartitionsOf(m.Name))}
		view.Nodes[i] = ns
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, ok := n.askStatus(r.Context(), m.Name)
			if !ok {
				return
			}
			got.Name, got.Addr, got.State, got.InRing, got.Partitions = ns.Name, ns.Addr, ns.State, ns.InRing, ns.Partitions
			view.Nodes[i] = got
		}()
	}
	wg.Wait()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(view)
}

// askStatus asks a member for its figures (this node answers itself).
func (n *Node) askStatus(ctx context.Context, name string) (dashboard.NodeStatus, bool) {
	if name == n.cfg.Name {
		return n.nodeStatus(), true
	}
	if !n.mem.Alive(name) {
		return dashboard.NodeStatus{}, false
	}
	addr, ok := clusterView{n}.PeerAddr(name)
	if !ok {
		return dashboard.NodeStatus{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	reply, err := n.trans.Call(ctx, addr, rpc.MethodNodeStatus, nil)
	if err != nil {
		return dashboard.NodeStatus{}, false
	}
	var st dashboard.NodeStatus
	if json.Unmarshal(reply, &st) != nil {
		return dashboard.NodeStatus{}, false
	}
	st.Reachable = true
	return st, true
}
