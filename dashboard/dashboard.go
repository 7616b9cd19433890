// Package dashboard is the cluster dashboard a node serves on its metrics
// port: one page of plain HTML, CSS and JavaScript embedded in the binary,
// which polls the node's /api/cluster once a second and draws the ring as a
// circle of partitions coloured by owner, each member's health, hints
// pending, transfers in progress and request rates.
package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
)

// Cluster is /api/cluster's answer: the cluster as the serving node sees it.
type Cluster struct {
	Node      string       `json:"node"`
	ClusterID string       `json:"cluster_id"`
	Q         int          `json:"q"`
	N         int          `json:"n"`
	R         int          `json:"r"`
	W         int          `json:"w"`
	Time      int64        `json:"time"`   // unix ms
	Owners    [][]string   `json:"owners"` // each partition's owners, in preference order
	Nodes     []NodeStatus `json:"nodes"`
}

// NodeStatus is one member: what gossip says of it and, if it answered,
// its own figures.
type NodeStatus struct {
	Name                string  `json:"name"`
	Addr                string  `json:"addr"`
	State               string  `json:"state"` // alive, suspect, dead, left
	InRing              bool    `json:"in_ring"`
	Partitions          int     `json:"partitions"`
	Reachable           bool    `json:"reachable"` // it answered the status request
	HintsPending        int64   `json:"hints_pending"`
	TransfersInProgress int     `json:"transfers_in_progress"`
	OpsPerSec           float64 `json:"ops_per_sec"`
	Keys                int64   `json:"keys"`
	Clients             int     `json:"clients"`
}

//go:embed static
var static embed.FS

// Handler serves the dashboard's page and assets.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.FileServer(http.FS(sub))
}
