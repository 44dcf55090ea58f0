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
	alpha, level, _, sse = sesFitRobustCrit(y, alphas)
	return alpha, level, sse
}

// sesFitRobustCrit is sesFitRobust that also returns the chosen α's sum of squared cleaned errors
// (sesFit's sum of squared errors when the series has no scale to clip by).
func sesFitRobustCrit(y []float64, alphas []float64) (alpha, level, crit, sse float64) {
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
		alpha, level, sse = sesFit(y, alphas)
		return alpha, level, sse, sse
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
				crit = best
			}
		}
	}
	return alpha, level, crit, sse
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

// SeasonalRatioRobust is SeasonalRatio with a robust level: the series divided by its seasonal
// indices is smoothed by robust SES (sesFitRobust), so that one promotion, holiday or data-error
// week moves the level little. It is a candidate beside SeasonalRatio, not in its place: on counts
// skewed to the right the clipped level sits below the mean, and model choice keeps SeasonalRatio
// where validation says so.
type SeasonalRatioRobust struct{}

// Name returns "seas-ratio-robust".
func (SeasonalRatioRobust) Name() string { return "seas-ratio-robust" }

// robustVariant selects the experiment (docs/BENCHMARKS.md, branch fc-robust-cand): 0 robust SES on
// the adjusted series over SES's ten α, 1 the same on its square root with the mean restored, 2 over
// the four α of robustAlphas, 3 at the α SES chooses, 4 SES on the series cleaned as tsclean does.
// robust_variant_test.go sets it from FCR_VARIANT, the guard from FCR_GUARD and twinExclusive from
// FCR_TWIN.
var robustVariant = 2

// robustGuardOff turns off the guard of Engine.Choose: SeasonalRatioRobust is left out of a group's
// choice when its signed validation error Σ(A − F) over the group is larger in size than SeasonalRatio's.
var robustGuardOff = false

// twinExclusive keeps only the better of the twins (experiments).
var twinExclusive = false

// Forecast implements Model.
func (SeasonalRatioRobust) Forecast(y []float64, f Forecast, s *Scratch) {
	switch robustVariant {
	case 1:
		seasonalRatio(y, f, s, func(y, a, _ []float64) (float64, float64, float64) { return sesFitRobustSqrt(y, a) })
	case 2:
		seasonalRatio(y, f, s, func(y, _, _ []float64) (float64, float64, float64) { return sesFitRobust(y, robustAlphas) })
	case 3:
		seasonalRatio(y, f, s, func(y, a, _ []float64) (float64, float64, float64) { return sesFitRobustAtSES(y, a) })
	case 4:
		seasonalRatio(y, f, s, sesFitCleaned)
	default:
		seasonalRatio(y, f, s, func(y, a, _ []float64) (float64, float64, float64) { return sesFitRobust(y, a) })
	}
}

// sesFitRobustSqrt is robust SES on the square root of y (a count's variance-stabilising transform,
// under which Poisson-like demand is near symmetric, so clipping takes off as much above the level as
// below it), overwriting y with it. The level returned is the mean restored on y's scale, l² + σ²
// (E[y] = E[√y]² + Var √y), σ² the mean squared cleaned one-step error; the sum of squared errors is
// carried back by the delta method (sd_y ≈ 2·l·sd_√y).
func sesFitRobustSqrt(y []float64, alphas []float64) (alpha, level, sse float64) {
	for t, v := range y {
		y[t] = math.Sqrt(max(v, 0))
	}
	alpha, l, crit, raw := sesFitRobustCrit(y, alphas)
	l = max(l, 0)
	return alpha, l*l + crit/float64(len(y)), 4 * l * l * raw
}

// robustAlphas is the coarser grid of variant 2.
var robustAlphas = []float64{0.05, 0.1, 0.2, 0.4}

// sesFitRobustAtSES runs robust SES once, at the α SES chooses for y.
func sesFitRobustAtSES(y []float64, alphas []float64) (alpha, level, sse float64) {
	a, _, _ := sesFit(y, alphas)
	return sesFitRobust(y, []float64{a})
}

// sesFitCleaned is sesFit on y with its outliers replaced, as R's forecast::tsclean does (Hyndman and
// Athanasopoulos, "Forecasting: principles and practice"): SES's one-step errors at the α SES chooses,
// those beyond the quartiles by 3 interquartile ranges clipped there (y overwritten), then SES again.
// tmp has len(y) at least.
func sesFitCleaned(y, alphas, tmp []float64) (alpha, level, sse float64) {
	n := len(y)
	a, _, _ := sesFit(y, alphas)
	// The one-step errors from SES's optimal start, as sesOptimalInit finds it.
	l0 := sesStart(y, a)
	e := tmp[:n]
	l := l0
	for t, v := range y {
		e[t] = v - l
		l += a * e[t]
	}
	return sesCleanWith(y, e, alphas, l0, a)
}

// sesStart returns SES's optimal initial level for y at weight a.
func sesStart(y []float64, a float64) float64 {
	var l, sec, c float64
	c = 1
	b := 1 - a
	for _, v := range y {
		e := v - l
		sec += e * c
		l = b*l + a*v
		c *= b
	}
	var scc float64
	if bb := b * b; bb == 1 {
		scc = float64(len(y))
	} else {
		scc = (1 - c*c) / (1 - bb)
	}
	return sec / scc
}

// sesCleanWith clips y's weeks whose one-step error e (from SES at a, started at l0) lies beyond the
// quartiles of e by 3 interquartile ranges, then fits SES on the result. e is sorted.
func sesCleanWith(y, e, alphas []float64, l0, a float64) (alpha, level, sse float64) {
	n := len(y)
	slices.Sort(e)
	q1, q3 := quantileSorted(e, 0.25), quantileSorted(e, 0.75)
	iqr := q3 - q1
	if iqr > 0 {
		lo, hi := q1-3*iqr, q3+3*iqr
		l := l0
		for t := range n {
			err := y[t] - l
			if err < lo || err > hi {
				y[t] = l + min(max(err, lo), hi)
			}
			l += a * (y[t] - l) // the level follows the cleaned series
		}
	}
	return sesFit(y, alphas)
}

// quantileSorted returns the p-quantile of sorted x by linear interpolation (R's type 7).
func quantileSorted(x []float64, p float64) float64 {
	h := p * float64(len(x)-1)
	i := int(h)
	if i+1 >= len(x) {
		return x[len(x)-1]
	}
	return x[i] + (h-float64(i))*(x[i+1]-x[i])
}

// robustFitOf is the level fit of SeasonalRatioRobust's variant (experiments).
func robustFitOf(adj []float64) (alpha, level, sse float64) {
	if robustVariant == 2 {
		return sesFitRobust(adj, robustAlphas)
	}
	return sesFitRobust(adj, defaultAlphas)
}

// seasonalRatioPair forecasts y with SeasonalRatio into f and with SeasonalRatioRobust into fr from one
// decomposition, exactly as each alone.
func seasonalRatioPair(y []float64, f, fr Forecast, s *Scratch) {
	idx, adj, ok := seasonalRatioAdjust(y, s)
	if !ok {
		Seasonal{}.Forecast(y, f, s)
		copy(fr.Mean, f.Mean)
		copy(fr.Lower, f.Lower)
		copy(fr.Upper, f.Upper)
		return
	}
	alpha, level, sse := sesFit(adj, defaultAlphas)
	seasonalRatioPut(f, idx, len(y), alpha, level, sse)
	alpha, level, sse = robustFitOf(adj)
	seasonalRatioPut(fr, idx, len(y), alpha, level, sse)
}
