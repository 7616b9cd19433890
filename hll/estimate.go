package hll

import "math"

// alphaInf is Redis's HLL_ALPHA_INF, 1/(2 ln 2): the bias correction of
// the estimator as the number of registers goes to infinity.
const alphaInf = 0.721347520444481703680

// Count returns the estimated number of distinct elements added, exactly
// the number Redis's PFCOUNT answers for the same registers. PFCOUNT
// replies a signed integer: 1<<63, Redis's answer for registers of 51 and
// more that no set of adds reaches, is the -2^63 it replies then.
func (s *Sketch) Count() uint64 {
	// Sized for any byte, though registers stop at 63, so that a register
	// broken by a caller cannot panic; values above patternBits+1 are
	// ignored by the estimator, as in Redis.
	var histogram [256]int
	for _, r := range s.Reg {
		histogram[r]++
	}
	return estimate(&histogram)
}

// estimate is Redis's hllCount: Otmar Ertl's improved raw estimator
// ("New cardinality estimation algorithms for HyperLogLog sketches",
// arXiv:1702.01284) over the histogram of register values. Every step is
// the float64 operation Redis's C performs, in the same order, so the
// rounded result is identical and not merely close: for instance the loop
// halves after each addition rather than summing scaled terms.
func estimate(histogram *[256]int) uint64 {
	m := float64(Registers)
	z := m * tau((m-float64(histogram[patternBits+1]))/m)
	for k := patternBits; k >= 1; k-- {
		z += float64(histogram[k])
		z *= 0.5
	}
	z += m * sigma(float64(histogram[0])/m)
	e := alphaInf * m * m / z
	if !(e < 1<<63) {
		// Only registers of 51 and more do this: all at 51 make z zero
		// and e infinite, and tau alone makes z tiny. Redis's llroundl
		// of a value beyond a long long gives the x86-64 "integer
		// indefinite", -2^63, which PFCOUNT replies; 1<<63 has its bits.
		return 1 << 63
	}
	// Redis rounds with llroundl, which rounds halves away from zero, as
	// math.Round does.
	return uint64(math.Round(e))
}

// sigma is Ertl's σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k-1), the correction for
// registers still 0, summed until the sum stops changing, as Redis's
// hllSigma does.
func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		// The conversion forbids fusing into an FMA, which would round
		// differently from Redis's separate multiply and add.
		z += float64(x * y)
		y += y
		if z == prev {
			return z
		}
	}
}

// tau is Ertl's τ(x), the correction for registers at their maximum
// (patternBits+1), summed until the sum stops changing, as Redis's hllTau
// does.
func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		// Redis writes pow(1-x, 2); its compiler emits (1-x)*(1-x) for
		// that, a single correctly rounded multiply. The conversions forbid
		// FMA fusion for the same reason as in sigma.
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if z == prev {
			return z / 3
		}
	}
}
