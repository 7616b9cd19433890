// Package node assembles one Dynago node from its parts (engine, identity,
// coordinator, RESP server) and runs it. The dynago command and the tests
// start nodes through it, so both run exactly the same wiring.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/dynago/dynago/coordinator"
	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/membership"
	"github.com/dynago/dynago/resp"
)

// Config is a node's whole configuration.
type Config struct {
	// Addr is the RESP listen address (host:port; port 0 picks a free one).
	Addr string
	// Name is the node's name in the cluster; default: Addr.
	Name string
	// Engine configures local storage.
	Engine engine.Config
	// MaxValueBytes is the largest value a client may store.
	MaxValueBytes int
}

// Node is a running Dynago node.
type Node struct {
	cfg    Config
	eng    *engine.Engine
	id     membership.Identity
	coord  *coordinator.Coordinator
	srv    *resp.Server
	served chan error
}

// Start opens the data directory, binds the RESP port and starts serving.
func Start(cfg Config) (*Node, error) {
	if cfg.Name == "" {
		cfg.Name = cfg.Addr
	}
	eng, err := engine.Open(cfg.Engine)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, eng: eng, served: make(chan error, 1)}
	if err := n.start(); err != nil {
		eng.Close()
		return nil, err
	}
	return n, nil
}

func (n *Node) start() error {
	id, err := membership.LoadIdentity(n.eng, n.cfg.Name)
	if err != nil {
		return err
	}
	n.id = id
	n.coord, err = coordinator.New(coordinator.Config{Actor: id.Actor}, n.eng)
	if err != nil {
		return err
	}
	n.srv = resp.New(resp.Config{
		Addr:          n.cfg.Addr,
		NodeName:      n.cfg.Name,
		MaxValueBytes: n.cfg.MaxValueBytes,
		DataDir:       n.cfg.Engine.Dir,
		Fsync:         n.cfg.Engine.Fsync.String(),
	}, n.coord)
	if err := n.srv.Listen(); err != nil {
		return err
	}
	go func() { n.served <- n.srv.Serve() }()
	slog.Info("dynago ready", "node", n.cfg.Name, "addr", n.Addr(), "dir", n.cfg.Engine.Dir,
		"fsync", n.cfg.Engine.Fsync.String(), "actor", id.Actor.String())
	return nil
}

// Addr is the address Redis clients connect to.
func (n *Node) Addr() string { return n.srv.Addr().String() }

// Identity is who this node is.
func (n *Node) Identity() membership.Identity { return n.id }

// Done delivers the RESP server's exit error if it stops on its own.
func (n *Node) Done() <-chan error { return n.served }

// Shutdown stops accepting clients, lets commands in progress finish (until
// ctx ends), then syncs and closes storage.
func (n *Node) Shutdown(ctx context.Context) error {
	err := n.srv.Shutdown(ctx)
	if serr := <-n.served; serr != nil && !errors.Is(serr, net.ErrClosed) {
		err = errors.Join(err, fmt.Errorf("resp server: %w", serr))
	}
	return errors.Join(err, n.eng.Close())
}
