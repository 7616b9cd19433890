package transport

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// clusterID is a transport's cluster id, which may arrive after Listen (see
// Config.ClusterID) and may change when a lone node joins another cluster.
type clusterID struct {
	mu    sync.Mutex    // guards the fields below
	id    string        // "" while unknown
	gen   uint64        // counts changes; a connection keeps the one it was opened under
	known chan struct{} // closed while id != ""
}

func newClusterID(id string) *clusterID {
	c := &clusterID{id: id, known: make(chan struct{})}
	if id != "" {
		close(c.known)
	}
	return c
}

// set changes the id and reports whether it changed.
func (c *clusterID) set(id string) (bool, error) {
	if len(id) > 255 {
		return false, fmt.Errorf("transport: cluster id longer than 255 bytes")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if id == c.id {
		return false, nil
	}
	switch {
	case c.id == "":
		close(c.known)
	case id == "":
		c.known = make(chan struct{})
	}
	c.id = id
	c.gen++
	return true, nil
}

// current returns the id ("" if unknown) and its generation.
func (c *clusterID) current() (string, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id, c.gen
}

// wait returns the id and its generation once the id is known. It gives up
// with errNoCluster at deadline, or with ctx's error when ctx ends first.
func (c *clusterID) wait(ctx context.Context, deadline time.Time) (string, uint64, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		c.mu.Lock()
		id, gen, known := c.id, c.gen, c.known
		c.mu.Unlock()
		if id != "" {
			return id, gen, nil
		}
		if timer == nil {
			timer = time.NewTimer(time.Until(deadline))
		}
		select {
		case <-known:
		case <-timer.C:
			return "", 0, errNoCluster
		case <-ctx.Done():
			return "", 0, ctx.Err()
		}
	}
}
