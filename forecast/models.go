package forecast

import "math"

// Forecast is the output of a Model: a point forecast of the weeks after a series and its 80%
// prediction interval. All three slices have the same length, the horizon; Lower and Upper may be nil
// when only the point forecast is wanted (model choice does that to save time).
type Forecast struct {
	Mean  []float64 // point forecast, ≥ 0
	Lower []float64 // 10% quantile, ≥ 0 (the 80% interval is [Lower, Upper])
	Upper []float64 // 90% quantile, ≥ Mean
}

// Model fits a weekly series and forecasts it.
//
// Forecast fits y (weekly values, oldest first, possibly empty or negative in places) and writes the
// forecasts of the len(f.Mean) weeks after it into f: Mean always, Lower and Upper when they are not
// nil. Every value written is ≥ 0. It reads y without modifying it and allocates nothing once s has
// grown to the series length; s may be the zero Scratch. Parameters are chosen on y alone (on
// in-sample one-step errors), so the result depends only on y and len(f.Mean): models are
// deterministic. Models in this package are safe for concurrent use by goroutines with distinct
// Scratch values.
type Model interface {
	Name() string
	Forecast(y []float64, f Forecast, s *Scratch)
}

// Scratch is reusable working space for models. The zero value is ready to use; a Scratch must not
// be shared by goroutines running at the same time.
type Scratch struct {
	bufs [8][]float64 // 0–2 for models, 3–7 for the Engine around them
	fcs  [2][]Forecast
	is   []int
}

// buf returns the i-th buffer with length n; its contents are undefined.
func (s *Scratch) buf(i, n int) []float64 {
	if cap(s.bufs[i]) < n {
		s.bufs[i] = make([]float64, n, n+n/4+8)
	}
	return s.bufs[i][:n]
}

// forecasts returns the i-th slice of n forecasts; its contents are undefined.
func (s *Scratch) forecasts(i, n int) []Forecast {
	if cap(s.fcs[i]) < n {
		s.fcs[i] = make([]Forecast, n)
	}
	return s.fcs[i][:n]
}

// ints returns a slice of n ints; its contents are undefined.
func (s *Scratch) ints(n int) []int {
	if cap(s.is) < n {
		s.is = make([]int, n)
	}
	return s.is[:n]
}

// z80 is the standard normal 90% quantile: mean ± z80·sd is an 80% interval.
const z80 = 1.2815515655446004

// put writes week j of f: the mean and the 80% interval mean ± z80·sd, each clipped at 0.
func (f Forecast) put(j int, mean, sd float64) {
	f.Mean[j] = max(mean, 0)
	if f.Lower != nil {
		f.Lower[j] = max(mean-z80*sd, 0)
	}
	if f.Upper != nil {
		f.Upper[j] = max(mean+z80*sd, 0)
	}
}

// zero writes a forecast of 0 with an empty interval.
func (f Forecast) zero() {
	for j := range f.Mean {
		f.put(j, 0, 0)
	}
}

func clip(x []float64) {
	for i, v := range x {
		if v < 0 || v != v { // NaN never reaches a forecast
			x[i] = 0
		}
	}
}

// Naive forecasts every week as the last value. Its interval is that of a random walk: the
// root-mean-square one-step change times √j for week j.
type Naive struct{}

// Name returns "naive".
func (Naive) Name() string { return "naive" }

// Forecast implements Model.
func (Naive) Forecast(y []float64, f Forecast, _ *Scratch) {
	n := len(y)
	if n == 0 {
		f.zero()
		return
	}
	sd := rmsLagDiff(y, 1)
	for j := range f.Mean {
		f.put(j, y[n-1], sd*math.Sqrt(float64(j+1)))
	}
}

// SeasonalPeriod is the length of the year in weeks, the period of the seasonal models.
const SeasonalPeriod = 52

// SeasonalNaive forecasts week j as the value one period (52 weeks) before it. A series shorter than
// a period is forecast by Naive. The interval is ± z·sd·√(⌊(j−1)/52⌋+1), sd the root-mean-square
// change over one period.
type SeasonalNaive struct{}

// Name returns "snaive".
func (SeasonalNaive) Name() string { return "snaive" }

// Forecast implements Model.
func (SeasonalNaive) Forecast(y []float64, f Forecast, s *Scratch) {
	const m = SeasonalPeriod
	n := len(y)
	if n < m {
		Naive{}.Forecast(y, f, s)
		return
	}
	sd := rmsLagDiff(y, m)
	for j := range f.Mean {
		f.put(j, y[n-m+j%m], sd*math.Sqrt(float64(j/m+1)))
	}
}

// rmsLagDiff returns the root mean square of y[t] − y[t−lag], or 0 when there is none.
func rmsLagDiff(y []float64, lag int) float64 {
	if len(y) <= lag {
		return 0
	}
	var s float64
	for t := lag; t < len(y); t++ {
		d := y[t] - y[t-lag]
		s += d * d
	}
	return math.Sqrt(s / float64(len(y)-lag))
}

// defaultWindows is the grid of MovingAverage.
var defaultWindows = []int{2, 4, 8, 13, 26, 52}

// MovingAverage forecasts every week as the mean of the last k values, k chosen from Windows
// (2, 4, 8, 13, 26, 52 when nil) by the smallest in-sample one-step squared error, over the weeks that
// every window can forecast. Windows longer than half the series are not tried; with fewer than 2
// values the mean of all values is used. The interval is ± z·sd with sd the root-mean-square one-step
// error of the chosen window: a moving average forecasts a level, so the spread does not grow.
type MovingAverage struct {
	Windows []int
}

// Name returns "ma".
func (MovingAverage) Name() string { return "ma" }

// Forecast implements Model.
func (m MovingAverage) Forecast(y []float64, f Forecast, _ *Scratch) {
	n := len(y)
	if n == 0 {
		f.zero()
		return
	}
	ws := m.Windows
	if ws == nil {
		ws = defaultWindows
	}
	kmax := 0
	for _, k := range ws {
		if k >= 1 && k <= n/2 {
			kmax = max(kmax, k)
		}
	}
	if kmax == 0 {
		mean := sum(y) / float64(n)
		for j := range f.Mean {
			f.put(j, mean, 0)
		}
		return
	}
	bestK, bestSSE := 0, math.Inf(1)
	for _, k := range ws {
		if k < 1 || k > kmax {
			continue
		}
		run := sum(y[kmax-k : kmax])
		var sse float64
		for t := kmax; t < n; t++ {
			e := y[t] - run/float64(k)
			sse += e * e
			run += y[t] - y[t-k]
		}
		if sse < bestSSE {
			bestK, bestSSE = k, sse
		}
	}
	mean := sum(y[n-bestK:]) / float64(bestK)
	sd := math.Sqrt(bestSSE / float64(n-kmax))
	for j := range f.Mean {
		f.put(j, mean, sd)
	}
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

// defaultAlphas is the grid of smoothing weights of SES.
var defaultAlphas = []float64{0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1}

// SES is simple exponential smoothing, ETS(A,N,N): level l_t = l_{t−1} + α(y_t − l_{t−1}), every week
// forecast as the last level. α is chosen from Alphas (0.02 … 1 in ten steps when nil) by the smallest sum of
// squared one-step errors y_t − l_{t−1}, t = 1 … n (the first forecast is l_0 itself); for each α the
// initial level l_0 is the one that minimises that sum, found in closed form since the errors are
// linear in l_0. The interval is ± z·σ·√(1 + (j−1)α²) for week j, σ² the mean squared one-step error.
type SES struct {
	Alphas []float64
}

// Name returns "ses".
func (SES) Name() string { return "ses" }

// Forecast implements Model.
func (m SES) Forecast(y []float64, f Forecast, _ *Scratch) {
	n := len(y)
	if n == 0 {
		f.zero()
		return
	}
	alphas := m.Alphas
	if alphas == nil {
		alphas = defaultAlphas
	}
	alpha, level, sse := sesFit(y, alphas)
	sigma2 := sse / float64(n)
	for j := range f.Mean {
		f.put(j, level, sesSpread(sigma2, alpha, j))
	}
}

// sesSpread returns the standard deviation of simple exponential smoothing's forecast h weeks past
// the first (h = 0 is one step ahead): σ·√(1 + h·α²), σ² the mean squared one-step error.
func sesSpread(sigma2, alpha float64, h int) float64 {
	return math.Sqrt(sigma2 * (1 + float64(h)*alpha*alpha))
}

// sesFit returns the best α of alphas for y (len ≥ 1), the final level and the sum of squared
// one-step errors, each α with its optimal initial level. Ties go to the earlier α.
func sesFit(y []float64, alphas []float64) (alpha, level, sse float64) {
	sse = math.Inf(1)
	i := 0
	for ; i+1 < len(alphas); i += 2 { // two at a time, as dampedRun runs its fits
		l0, s0, l1, s1 := sesOptimalInit2(y, alphas[i], alphas[i+1])
		if s0 < sse {
			alpha, level, sse = alphas[i], l0, s0
		}
		if s1 < sse {
			alpha, level, sse = alphas[i+1], l1, s1
		}
	}
	if i < len(alphas) {
		if l, s := sesOptimalInit(y, alphas[i]); s < sse {
			alpha, level, sse = alphas[i], l, s
		}
	}
	return alpha, level, sse
}

// sesOptimalInit2 is sesOptimalInit for the weights a0 and a1 in one pass over y, each exactly as
// alone: two independent chains of dependent operations keep the processor busy where one leaves it
// waiting.
func sesOptimalInit2(y []float64, a0, a1 float64) (level0, sse0, level1, sse1 float64) {
	var l0, se0, sec0, l1, se1, sec1 float64
	c0, b0 := 1.0, 1-a0
	c1, b1 := 1.0, 1-a1
	for _, v := range y {
		e0, e1 := v-l0, v-l1
		se0 += e0 * e0
		se1 += e1 * e1
		sec0 += e0 * c0
		sec1 += e1 * c1
		l0 = b0*l0 + a0*v
		l1 = b1*l1 + a1*v
		c0 *= b0
		c1 *= b1
	}
	level0, sse0 = sesCorrect(l0, se0, sec0, c0, b0, len(y))
	level1, sse1 = sesCorrect(l1, se1, sec1, c1, b1, len(y))
	return level0, sse0, level1, sse1
}

// sesOptimalInit runs SES with weight a on y from l_0 = 0, then corrects for the best l_0: with
// c_t = (1−a)^t the one-step errors are e_t = e⁰_t − c_t·l_0, so l_0 = Σe⁰c / Σc² and the final level
// gains c_n·l_0. It returns that final level and the sum of squared errors with the best l_0.
func sesOptimalInit(y []float64, a float64) (level, sse float64) {
	var l, se, sec float64
	c, b := 1.0, 1-a
	for _, v := range y {
		e := v - l
		se += e * e
		sec += e * c
		l = b*l + a*v // = l + a·e, with one multiply and one add on the dependency chain
		c *= b
	}
	return sesCorrect(l, se, sec, c, b, len(y))
}

// sesCorrect applies the optimal initial level to a run from l_0 = 0 that ended at level l with
// Σe² = se, Σe·c = sec and c = b^n: Σc² = (1 − b^{2n}) / (1 − b²), or n when b = ±1.
func sesCorrect(l, se, sec, c, b float64, n int) (level, sse float64) {
	var scc float64
	if bb := b * b; bb == 1 {
		scc = float64(n)
	} else {
		scc = (1 - c*c) / (1 - bb)
	}
	l0 := sec / scc // scc ≥ 1: the first term is c_0² = 1
	return l + c*l0, max(se-sec*l0, 0)
}

// defaultDampedGrid is the parameter grid of Damped: every combination of the three lists is tried.
var defaultDampedGrid = DampedGrid{
	Alphas: []float64{0.05, 0.15, 0.3, 0.6},
	Betas:  []float64{0.01, 0.05},
	Phis:   []float64{0.9, 0.98},
}

// DampedGrid is a grid of damped-trend parameters.
type DampedGrid struct {
	Alphas, Betas, Phis []float64
}

// Damped is Holt's linear method with a damped trend, ETS(A,Ad,N) in error-correction form:
//
//	e_t = y_t − l_{t−1} − φ·b_{t−1}
//	l_t = l_{t−1} + φ·b_{t−1} + α·e_t
//	b_t = φ·b_{t−1} + β·e_t
//
// and week j forecast as l_n + (φ + φ² + … + φ^j)·b_n. α, β, φ come from Grid (when empty:
// α 0.05, 0.15, 0.3, 0.6 × β 0.01, 0.05 × φ 0.9, 0.98; pairs with β > α are skipped) by the smallest
// sum of squared one-step errors, with l_0 = y_1 and b_0 = 0 (the first error is not counted). The interval is
// ± z·σ·√(1 + Σ_{i<j} (α + β·φ(1−φ^i)/(1−φ))²). Series with fewer than 3 values are forecast by SES.
type Damped struct {
	Grid DampedGrid
}

// Name returns "damped".
func (Damped) Name() string { return "damped" }

// Forecast implements Model.
func (m Damped) Forecast(y []float64, f Forecast, s *Scratch) {
	n := len(y)
	if n < 3 {
		SES{}.Forecast(y, f, s)
		return
	}
	g := m.Grid
	if len(g.Alphas) == 0 || len(g.Betas) == 0 || len(g.Phis) == 0 {
		g = defaultDampedGrid
	}
	// The grid's fits run two at a time in one pass over y: each fit is a chain of dependent
	// operations, and two independent chains keep the processor busy where one leaves it waiting.
	// Every fit computes exactly what it would alone, and the best is taken in the grid's order.
	var fits [2]dampedFit
	k := 0
	best := math.Inf(1)
	var bf dampedFit
	for _, a := range g.Alphas {
		for _, beta := range g.Betas {
			if beta > a {
				continue
			}
			for _, phi := range g.Phis {
				fits[k] = dampedFit{a: a, beta: beta, phi: phi}
				if k++; k == len(fits) {
					best, bf = dampedBest(y, &fits, k, best, bf)
					k = 0
				}
			}
		}
	}
	if k > 0 {
		best, bf = dampedBest(y, &fits, k, best, bf)
	}
	if math.IsInf(best, 1) { // every β exceeded every α: fall back to the plainest model
		SES{}.Forecast(y, f, s)
		return
	}
	dampedPut(f, n, best, bf)
}

// dampedPut writes Damped's forecast of a series of n weeks from its best fit, whose sum of squared
// one-step errors is sse.
func dampedPut(f Forecast, n int, sse float64, bf dampedFit) {
	sigma2 := sse / float64(n-1)
	var cum, phiPow, v float64 = 0, 1, 1
	for j := range f.Mean {
		phiPow *= bf.phi
		cum += phiPow // φ + … + φ^(j+1)
		f.put(j, bf.l+cum*bf.b, math.Sqrt(sigma2*v))
		c := bf.a + bf.beta*cum // α + β·φ(1−φ^(j+1))/(1−φ)
		v += c * c
	}
}

// dampedFit is one fit of Damped's grid: its parameters, and after dampedFits its final level and
// trend and its sum of squared one-step errors.
type dampedFit struct {
	a, beta, phi float64
	l, b, sse    float64
}

// dampedBest fits the first k (1 or 2) of fits to y (len ≥ 2) and returns the first of them with a
// smaller sum of squared errors than best, with its sum, or best and bf when none is smaller.
func dampedBest(y []float64, fits *[2]dampedFit, k int, best float64, bf dampedFit) (float64, dampedFit) {
	if k < 2 {
		fits[1] = fits[0]
	}
	for i := range fits {
		fits[i].l, fits[i].b, fits[i].sse = y[0], 0, 0 // l_0 = y_0, b_0 = 0
	}
	dampedRun(y[1:], fits)
	for _, c := range fits[:k] {
		if c.sse < best {
			best, bf = c.sse, c
		}
	}
	return best, bf
}

// dampedRun runs both fits on over the weeks y, each exactly as alone, adding their one-step errors.
// Two lanes, not more: more live values than registers would be spilled to memory on the dependency
// chains.
func dampedRun(y []float64, fits *[2]dampedFit) {
	a0, a1 := fits[0].a, fits[1].a
	c0, c1 := fits[0].beta, fits[1].beta
	p0, p1 := fits[0].phi, fits[1].phi
	l0, l1 := fits[0].l, fits[1].l
	b0, b1 := fits[0].b, fits[1].b
	s0, s1 := fits[0].sse, fits[1].sse
	for _, v := range y {
		pb0, pb1 := p0*b0, p1*b1
		e0, e1 := v-l0-pb0, v-l1-pb1
		s0 += e0 * e0
		s1 += e1 * e1
		l0 += pb0 + a0*e0
		l1 += pb1 + a1*e1
		b0 = pb0 + c0*e0
		b1 = pb1 + c1*e1
	}
	fits[0].l, fits[0].b, fits[0].sse = l0, b0, s0
	fits[1].l, fits[1].b, fits[1].sse = l1, b1, s1
}
