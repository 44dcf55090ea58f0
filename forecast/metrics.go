package forecast

import "math"

// Accuracy is the company's forecast accuracy of one item and period (DOMAIN.md):
// FA = max(0, 1 − |A − F| / A).
//
// A = 0 (a new item, or a week without demand) is handled explicitly: FA is 1 when F = 0 too and 0
// otherwise, since any forecast above nothing is wholly wrong. A < 0 (net returns) uses |A| as the
// denominator. The result is always within [0, 1].
func Accuracy(a, f float64) float64 {
	if a == 0 {
		if f == 0 {
			return 1
		}
		return 0
	}
	return math.Max(0, 1-math.Abs(a-f)/math.Abs(a))
}

// SetAccuracy is the company's forecast accuracy over a set of items: 1 − Σ|A − F| / ΣA, that is
// 1 − WAPE when no actual is negative. It is not clipped, so a very bad forecast scores below 0.
// When ΣA is 0 it follows Accuracy: 1 if every F equals its A, else 0. It panics if the slices differ
// in length.
func SetAccuracy(actual, forecast []float64) float64 {
	if len(actual) != len(forecast) {
		panic("forecast: SetAccuracy: slices differ in length")
	}
	var sumA, sumErr float64
	for i, a := range actual {
		sumA += a
		sumErr += math.Abs(a - forecast[i])
	}
	if sumA == 0 {
		if sumErr == 0 {
			return 1
		}
		return 0
	}
	return 1 - sumErr/sumA
}

// WAPE is Σ|A − F| / Σ|A|, the backtest's headline error. It is 0 when both sums are 0 and +Inf when
// only Σ|A| is. It panics if the slices differ in length.
func WAPE(actual, forecast []float64) float64 {
	if len(actual) != len(forecast) {
		panic("forecast: WAPE: slices differ in length")
	}
	var sumA, sumErr float64
	for i, a := range actual {
		sumA += math.Abs(a)
		sumErr += math.Abs(a - forecast[i])
	}
	return ratio(sumErr, sumA)
}

// RMSSE is the root mean squared scaled error of a forecast of actual made from history (oldest
// first): the mean squared error of the forecast divided by the mean squared one-step naive error of
// the history, square-rooted. As in the M5 competition, the scale counts only the history from its
// first non-zero value on. ok is false when the scale is 0 or undefined (fewer than two values from
// the first non-zero one, or a constant history), and the series is then left out of means.
func RMSSE(history, actual, forecast []float64) (v float64, ok bool) {
	if len(actual) != len(forecast) {
		panic("forecast: RMSSE: slices differ in length")
	}
	scale := naiveScale(history)
	if scale == 0 || len(actual) == 0 {
		return 0, false
	}
	var sse float64
	for i, a := range actual {
		d := a - forecast[i]
		sse += d * d
	}
	return math.Sqrt(sse / float64(len(actual)) / scale), true
}

// naiveScale returns the mean squared one-step naive error of y from its first non-zero value on, or
// 0 when there are fewer than two such values.
func naiveScale(y []float64) float64 {
	start := 0
	for start < len(y) && y[start] == 0 {
		start++
	}
	if len(y)-start < 2 {
		return 0
	}
	var s float64
	for t := start + 1; t < len(y); t++ {
		d := y[t] - y[t-1]
		s += d * d
	}
	return s / float64(len(y)-start-1)
}

func ratio(num, den float64) float64 {
	if den == 0 {
		if num == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return num / den
}

// Metrics are the backtest figures of one method (BACKTEST.md). All ratios are fractions, not
// percentages.
type Metrics struct {
	WAPE          float64 // Σ|A − F| / Σ|A| over all series, origins and horizons
	Bias          float64 // Σ(F − A) / Σ|A|; positive means over-forecast
	BrandAccuracy float64 // Accuracy of each brand's total per window, averaged weighted by |ΣA|
	TotalAccuracy float64 // Accuracy of the grand total per window, averaged weighted by |ΣA|
	RMSSE         float64 // mean over series × origins of RMSSE, leaving out series whose scale is 0
	Seconds       float64 // wall time to fit and forecast every series at every origin
	// Coverage is the share of actual values within the calibrated 80% intervals at each level.
	Coverage Coverage
}

// Coverage is the empirical coverage of 80% intervals per level, over origins and weeks: outlet ×
// brand series counted over the weeks with demand (A > 0; a week without demand says nothing of the
// upper bound a safety stock rests on), brands and the total over every week. A level with nothing
// counted is NaN.
type Coverage struct {
	Outlet, Brand, Total float64
}

// scorer accumulates the Metrics of one method over series and origins.
type scorer struct {
	sumAbsA, sumAbsErr, sumErr float64
	rmsseSum                   float64
	rmsseN                     int
	brandA, brandF             [][]float64 // [origin][brand] window totals
	totalA, totalF             []float64   // [origin]
	covered, counted           [3]int      // outlet, brand, total: actuals within the 80% interval
}

// addLevels counts the actuals a (one per series, each of the horizon) within the intervals of the
// series' forecasts f and of the brand and total forecasts of r, built from the same forecasts.
func (s *scorer) addLevels(a [][]float64, brandOf []int, f []Forecast, r Reconciled) {
	if r.Total.Lower == nil {
		return
	}
	count := func(level int, a float64, f Forecast, j int) {
		s.counted[level]++
		if a >= f.Lower[j] && a <= f.Upper[j] {
			s.covered[level]++
		}
	}
	brandA := make([][]float64, len(r.Brands))
	total := make([]float64, len(r.Total.Mean))
	for i, ai := range a {
		b := brandOf[i]
		if brandA[b] == nil {
			brandA[b] = make([]float64, len(ai))
		}
		for j, v := range ai {
			if v > 0 {
				count(0, v, f[i], j)
			}
			brandA[b][j] += v
			total[j] += v
		}
	}
	for b, ab := range brandA {
		for j, v := range ab {
			count(1, v, r.Brands[b], j)
		}
	}
	for j, v := range total {
		count(2, v, r.Total, j)
	}
}

func newScorer(origins, brands int) *scorer {
	s := &scorer{
		brandA: make([][]float64, origins),
		brandF: make([][]float64, origins),
		totalA: make([]float64, origins),
		totalF: make([]float64, origins),
	}
	for k := range origins {
		s.brandA[k] = make([]float64, brands)
		s.brandF[k] = make([]float64, brands)
	}
	return s
}

// add scores the forecast f of actual a made at origin k from history for a series of brand b.
func (s *scorer) add(k, b int, history, a, f []float64) {
	for i, av := range a {
		s.sumAbsA += math.Abs(av)
		s.sumAbsErr += math.Abs(av - f[i])
		s.sumErr += f[i] - av
		s.brandA[k][b] += av
		s.brandF[k][b] += f[i]
		s.totalA[k] += av
		s.totalF[k] += f[i]
	}
	if v, ok := RMSSE(history, a, f); ok {
		s.rmsseSum += v
		s.rmsseN++
	}
}

func (s *scorer) metrics(seconds float64) Metrics {
	m := Metrics{
		WAPE:    ratio(s.sumAbsErr, s.sumAbsA),
		Bias:    ratio(s.sumErr, s.sumAbsA),
		Seconds: seconds,
	}
	m.BrandAccuracy = weightedAccuracy(s.brandA, s.brandF)
	m.TotalAccuracy = weightedAccuracy([][]float64{s.totalA}, [][]float64{s.totalF})
	share := func(l int) float64 {
		if s.counted[l] == 0 {
			return math.NaN()
		}
		return float64(s.covered[l]) / float64(s.counted[l])
	}
	m.Coverage = Coverage{Outlet: share(0), Brand: share(1), Total: share(2)}
	if s.rmsseN > 0 {
		m.RMSSE = s.rmsseSum / float64(s.rmsseN)
	}
	return m
}

// weightedAccuracy averages Accuracy(a, f) over all cells weighted by |a|. With no weight at all it
// returns the plain mean, so that an all-zero window forecast as zero scores 1.
func weightedAccuracy(a, f [][]float64) float64 {
	var num, den, plain float64
	var n int
	for k := range a {
		for b, av := range a[k] {
			acc := Accuracy(av, f[k][b])
			w := math.Abs(av)
			num += w * acc
			den += w
			plain += acc
			n++
		}
	}
	if den > 0 {
		return num / den
	}
	if n == 0 {
		return 0
	}
	return plain / float64(n)
}
