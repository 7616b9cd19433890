package transfer

import (
	"math/bits"
	"time"
)

// pacer spreads transfers over time so that their average rate stays at
// rate bytes per second. It holds no clock: callers pass the time and sleep
// for what reserve returns.
//
// Since origin, sent bytes have been accounted, so the sender may go on at
// origin + sent/rate. A sender that falls behind that schedule (it was idle,
// or slower than the rate) starts a new window at the present: idle time
// earns no credit, so there is never a burst above the rate.
type pacer struct {
	rate   uint64 // bytes per second; 0 means unlimited
	origin time.Time
	sent   uint64 // bytes accounted since origin; kept below rate
}

// reserve accounts n bytes sent at now and returns how long the sender must
// pause before sending more.
func (p *pacer) reserve(now time.Time, n int) time.Duration {
	if p.rate == 0 || n <= 0 {
		return 0
	}
	if p.origin.IsZero() || now.After(p.due()) {
		p.origin, p.sent = now, 0
	}
	p.sent += uint64(n)
	// Move whole seconds into origin, so that sent*1e9 below cannot
	// overflow and the schedule stays exact over any length of transfer.
	if s := p.sent / p.rate; s > 0 {
		p.origin = p.origin.Add(time.Duration(s) * time.Second)
		p.sent -= s * p.rate
	}
	return max(0, p.due().Sub(now))
}

// due is when the bytes accounted so far have been paid for.
func (p *pacer) due() time.Time {
	// sent < rate, so the quotient is below 1e9 and Div64 cannot overflow.
	hi, lo := bits.Mul64(p.sent, uint64(time.Second))
	ns, _ := bits.Div64(hi, lo, p.rate)
	return p.origin.Add(time.Duration(ns))
}
