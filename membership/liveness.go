package membership

import (
	"net"
	"strings"
	"time"
)

// The liveness loop sharpens what gossip's failure detection says with this
// node's own view, and keeps the cluster whole:
//
//   - Suspect. Gossip declares a member dead only after its suspicion
//     timeout, and does not tell anyone about the suspicion itself. So this
//     node watches the traffic it gets: a member that has been silent for
//     two probe intervals is pinged directly, and if the ping goes unanswered
//     the member is Suspect until anything arrives from it again (or gossip
//     declares it dead). In a busy or small cluster the regular probes keep
//     every member from falling silent, so extra pings are rare; in a large
//     idle one each node pings about N/2 members per interval.
//   - Reconnect. Gossip never again contacts a member it declared dead once
//     the dead have been reaped, and a restarted node knows nobody. So every
//     ring member that gossip does not show alive is joined through its
//     persisted gossip address, with backoff from ReconnectMin to
//     ReconnectMax. This is how a restarted node rejoins without seeds, and
//     how both sides of a healed partition find each other again. Start's
//     seeds are retried the same way while no other member is live.

// run is the liveness loop; it ticks once per probe interval.
func (m *Membership) run() {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.ProbeInterval)
	defer t.Stop()
	m.tick(time.Now())
	for {
		select {
		case <-m.ctx.Done():
			return
		case now := <-t.C:
			m.tick(now)
		}
	}
}

// tick decides what to check and whom to reach for, and starts it.
func (m *Membership) tick(now time.Time) {
	type target struct{ name, addr string }
	var pings []target
	var joins []string
	silence := 2 * m.cfg.ProbeInterval
	changed := false

	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	othersLive := false
	for name, p := range m.peers {
		if name == m.cfg.Name || !p.state.Usable() {
			continue
		}
		othersLive = true
		last := m.lastHeard(p.addr)
		if p.state == Suspect && last.After(p.checkedAt) {
			p.state = Alive
			changed = true
			m.log.Info("member alive", "member", name, "addr", p.addr)
			continue
		}
		if now.Sub(last) > silence && !m.pinging[name] {
			m.pinging[name] = true
			pings = append(pings, target{name, p.addr})
		}
	}

	want := map[string]bool{}
	for name, e := range m.ring {
		addr := e.Meta.GossipAddr
		if name == m.cfg.Name || e.Removed || addr == "" || addr == m.meta.GossipAddr {
			continue
		}
		if p, ok := m.peers[name]; ok && p.state.Usable() {
			continue
		}
		want[addr] = true
	}
	if !othersLive {
		for _, s := range m.seeds {
			want[s] = true
		}
	}
	for addr, r := range m.retries {
		if !want[addr] && !r.busy {
			delete(m.retries, addr) // reached: the next outage starts from ReconnectMin
		}
	}
	for addr := range want {
		r := m.retries[addr]
		if r == nil {
			r = &retry{next: now, backoff: m.cfg.ReconnectMin}
			m.retries[addr] = r
		}
		if r.busy || now.Before(r.next) {
			continue
		}
		r.busy = true
		joins = append(joins, addr)
	}
	m.mu.Unlock()

	if changed {
		m.notify()
	}
	for _, t := range pings {
		m.wg.Add(1)
		go m.ping(t.name, t.addr)
	}
	for _, addr := range joins {
		m.wg.Add(1)
		go m.reconnect(addr)
	}
}

// ping checks directly on a member that has been silent.
func (m *Membership) ping(name, addr string) {
	defer m.wg.Done()
	sent := time.Now()
	udp, err := net.ResolveUDPAddr("udp", addr)
	if err == nil {
		_, err = m.ml.Ping(name, udp)
	}

	m.mu.Lock()
	delete(m.pinging, name)
	p := m.peers[name]
	var became State
	changed := false
	if p != nil && p.addr == addr {
		answered := err == nil || m.lastHeard(addr).After(sent)
		switch {
		case answered && p.state == Suspect:
			p.state, changed = Alive, true
		case !answered && p.state == Alive:
			p.state, p.checkedAt, changed = Suspect, sent, true
		}
		became = p.state
	}
	m.mu.Unlock()
	if changed {
		m.log.Info("member "+became.String(), "member", name, "addr", addr)
		m.notify()
	}
}

// reconnect joins gossip through one address and paces the next attempt.
func (m *Membership) reconnect(addr string) {
	defer m.wg.Done()
	n, err := m.ml.Join([]string{addr})
	if n == 0 {
		err = joinError([]string{addr}, err)
	}
	now := time.Now()
	m.mu.Lock()
	if r := m.retries[addr]; r != nil {
		r.busy = false
		if err != nil {
			r.next = now.Add(r.backoff)
			r.backoff = min(2*r.backoff, m.cfg.ReconnectMax)
		} else {
			r.backoff = m.cfg.ReconnectMin
			r.next = now.Add(r.backoff)
		}
	}
	m.mu.Unlock()
	switch {
	case err != nil && strings.Contains(err.Error(), mismatchPhrase):
		m.log.Warn("reconnect refused", "addr", addr, "err", err)
	case err != nil:
		m.log.Debug("reconnect failed", "addr", addr, "err", err)
	default:
		m.log.Info("reconnected", "addr", addr)
		// Completes a first join that was interrupted before this node
		// entered the ring; never adds back a removed node.
		if err := m.addSelf(false); err != nil {
			m.log.Warn("adding this node to the ring", "err", err)
		}
	}
}

func (m *Membership) markHeard(addr string) {
	m.heardMu.Lock()
	m.heard[addr] = time.Now()
	m.heardMu.Unlock()
}

func (m *Membership) lastHeard(addr string) time.Time {
	m.heardMu.Lock()
	defer m.heardMu.Unlock()
	return m.heard[addr]
}
