package forecast

import (
	"math"
	"slices"
)

// Robust exponential smoothing (Gelper, Fried and Croux, "Robust forecasting with exponential and
// Holt–Winters smoothing", Journal of Forecasting 29, 2010): the level is updated with the one-step
// error clipped at k times a running robust scale, so that one promotion week, one holiday or one
// data error does not move the level for the weeks after it.
//
//	e_t = y_t − l_{t−1}
//	l_t = l_{t−1} + α·σ_{t−1}·ψ(e_t / σ_{t−1})                     ψ Huber's, clipped at ±robustK
//	σ²_t = λ·ρ(e_t / σ_{t−1})·σ²_{t−1} + (1 − λ)·σ²_{t−1}            ρ the bounded biweight
//
// l_0 is the median and σ_0 the scaled median absolute deviation of the first robustStartup weeks. α
// is chosen from the grid by the smallest sum of squared cleaned errors σ_{t−1}·ψ(e_t/σ_{t−1}), the
// criterion the clipping bounds in the same way.
//
// The paper clips at k = 2. Demand errors are skewed to the right (a promotion adds, nothing takes
// away as much), so clipping pulls the level below the mean; k = 3 clips only what is far out: the
// level of M5's count-like series at 12 origins moved 0.2% further from the mean with k = 2 than with
// k = 3, which improved every figure of docs/BENCHMARKS.md "Robust level" on Walmart and M5 alike.

const (
	robustK       = 3.0  // Huber's clipping constant, in units of the running scale
	robustLambda  = 0.1  // weight of the newest week in the scale's update
	robustStartup = 10   // weeks of the starting level and scale
	biweightK     = 2.0  // the biweight's constant
	biweightC     = 2.52 // makes the biweight scale consistent for normal errors at biweightK = 2
)

// sesFitRobust returns the best α of alphas for y (len ≥ 1) under robust SES, its final level and its
// sum of squared one-step errors (the raw ones, for the interval). A series whose startup weeks and
// changes are all equal has no scale to clip by and is fitted by sesFit.
func sesFitRobust(y []float64, alphas []float64) (alpha, level, sse float64) {
	n := len(y)
	m := min(n, robustStartup)
	var buf [robustStartup]float64
	start := buf[:m]
	copy(start, y[:m])
	l0 := median(start)
	for i, v := range y[:m] {
		start[i] = math.Abs(v - l0)
	}
	s0 := 1.4826 * median(start)
	if !(s0 > 0) {
		// Intermittent or flat starts: the mean absolute change of the series, scaled as a normal's.
		var d float64
		for t := 1; t < n; t++ {
			d += math.Abs(y[t] - y[t-1])
		}
		if n > 1 {
			s0 = 1.2533 * d / float64(n-1) / math.Sqrt2
		}
	}
	if !(s0 > 0) {
		return sesFit(y, alphas)
	}
	// The start: the mean of the startup weeks winsorized at k scales from their median (the median
	// itself sits below the mean of skewed demand, and a small α keeps its start for years).
	med := l0
	l0 = 0
	for _, v := range y[:m] {
		l0 += min(max(v, med-robustK*s0), med+robustK*s0)
	}
	l0 /= float64(m)
	best := math.Inf(1)
	// Two α at a time in one pass over y: two independent chains of dependent operations keep the
	// processor busy where one leaves it waiting on its divisions (as Damped's fits run).
	for i := 0; i < len(alphas); i += 2 {
		a0, a1 := alphas[i], alphas[i]
		if i+1 < len(alphas) {
			a1 = alphas[i+1]
		}
		r := robustRun(y, [2]float64{a0, a1}, l0, s0)
		for k := range min(2, len(alphas)-i) {
			if r[k].crit < best {
				best, alpha, level, sse = r[k].crit, alphas[i+k], r[k].level, r[k].raw
			}
		}
	}
	return alpha, level, sse
}

// robustFit is the end of one robust SES run: its final level, its criterion (the sum of squared
// cleaned errors) and its sum of squared raw one-step errors.
type robustFit struct{ level, crit, raw float64 }

// robustRun runs robust SES on y with the two weights a from level l0 and scale s0, each exactly as
// alone.
func robustRun(y []float64, a [2]float64, l0, s0 float64) [2]robustFit {
	const k2 = robustK * robustK
	floor := s0 * s0 * 1e-6
	a0, a1 := a[0], a[1]
	la, lb := l0, l0
	va, vb := s0*s0, s0*s0
	var rawa, rawb, crita, critb float64
	for _, v := range y {
		// The same step on both lanes, written out: a call per step would cost more than the step.
		ea, eb := v-la, v-lb
		eea, eeb := ea*ea, eb*eb
		rawa += eea
		rawb += eeb
		xa, xb := eea/va, eeb/vb
		ca, cca, cb, ccb := ea, eea, eb, eeb
		if xa > k2 { // clipped: ±k·σ
			ca, cca = math.Copysign(robustK*math.Sqrt(va), ea), k2*va
		}
		if xb > k2 {
			cb, ccb = math.Copysign(robustK*math.Sqrt(vb), eb), k2*vb
		}
		crita += cca
		critb += ccb
		la += a0 * ca
		lb += a1 * cb
		va += robustLambda * (biweight2(xa) - 1) * va
		vb += robustLambda * (biweight2(xb) - 1) * vb
		if !(va > floor) {
			va = floor
		}
		if !(vb > floor) {
			vb = floor
		}
	}
	return [2]robustFit{{la, crita, rawa}, {lb, critb, rawb}}
}

// biweight2 is Tukey's biweight ρ at x, given x², scaled by biweightC: ρ(x) = c·(1 − (1 − (x/k)²)³)
// for |x| ≤ k, c beyond.
func biweight2(x2 float64) float64 {
	u2 := x2 * (1 / (biweightK * biweightK))
	if u2 >= 1 {
		return biweightC
	}
	w := 1 - u2
	return biweightC * (1 - w*w*w)
}

// median returns the median of x (len ≥ 1), sorting x in place.
func median(x []float64) float64 {
	slices.Sort(x)
	k := len(x) / 2
	if len(x)%2 == 1 {
		return x[k]
	}
	return (x[k-1] + x[k]) / 2
}
