package forecast

import (
	"context"
	"math"
	"slices"
)

// Interval calibration. A model's 80% interval rests on its own assumptions (normal one-step errors,
// a random walk), and the interval of a brand or of the total built from the outlets' intervals
// assumes the outlets err independently; neither holds (a festival, a price change or a supply cut
// moves many outlets at once). Calibrate measures, at each level, how far the intervals must stretch
// to cover 80% of that level's own out-of-sample errors, from forecasts made at origins before the
// forecast origin (conformal prediction with a normalised score): for an error above the point
// the score is (A − F) / (Upper − F), below it (F − A) / (F − Lower), and the level's factor is the
// score's 80% quantile at the rank where a further score falls below it 80% of the time on average
// (conformalQuantile). Widening each half-width by the factor makes the interval cover
// as often as it covered those errors.

// Defaults of Calibrate.
const (
	// DefaultCalibrationWindows is the number of origins Calibrate forecasts from, one week apart,
	// the latest h weeks before the end of the history.
	DefaultCalibrationWindows = 8
	// IntervalLevel is the coverage the intervals are calibrated to.
	IntervalLevel = 0.8
	// minScoresPerWeek: a level with fewer scores in a week of the horizon pools every week's (the
	// scores are already normalised by widths that grow with the horizon).
	minScoresPerWeek = 40
	// maxOutletScores bounds the outlet scores kept per week: series are sampled evenly.
	maxOutletScores = 200_000
	// maxWidthFactor is the factor where the quantile is an error outside an interval of width 0.
	maxWidthFactor = 20
)

// Calibration holds, per level and per week of the horizon, the factor by which the half-widths of
// that level's 80% intervals are multiplied: the outlets' own (as their models give them), and the
// brands' and total's built from them as for independent errors (the half-widths add in quadrature).
type Calibration struct {
	Outlet, Brand, Total []float64
	Scores               [3]int // scores behind the factors: outlet, brand, total
	// LevelError widens the total's calibrated half-widths in quadrature by z80 · LevelError of its
	// point: the uncertainty of the corrected history's level, which no calibration window shows.
	LevelError float64
	// Shared, when not nil, widens brand b's calibrated half-widths in quadrature by z80 ·
	// √Shared[b] of its point (Observations.Shared): the uncertainty of its corrected history's
	// level, shared by its outlets in every week. Brands beyond its length are not widened.
	Shared []float64
	// Festival, when not nil, widens brand b's calibrated half-widths in week j in quadrature by z80 ·
	// Festival[b][j] of its point: the lift of holidays whose split no calibration window shows
	// (Engine.HolidaySpread). Brands beyond its length, or with a nil row, are not widened. The
	// total is not: widened alike by its own profile's spread, it covered the seeded region's true
	// demand in 0.81–0.90 of the weeks of 12 origins, against 0.79–0.83 without (docs/BENCHMARKS.md,
	// "Holidays of an unknown split").
	Festival [][]float64
}

// FestivalWeeks returns how many weeks Festival widens for some brand, and the largest widening.
func (c Calibration) FestivalWeeks() (weeks int, largest float64) {
	h := 0
	for _, f := range c.Festival {
		h = max(h, len(f))
	}
	for j := range h {
		widened := false
		for _, f := range c.Festival {
			if j < len(f) && f[j] > 0 {
				widened, largest = true, max(largest, f[j])
			}
		}
		if widened {
			weeks++
		}
	}
	return weeks, largest
}

// Cut returns c without its first k weeks (the weeks of a run forecast and dropped).
func (c Calibration) Cut(k int) Calibration {
	if c.Outlet == nil {
		return c
	}
	var festival [][]float64
	if c.Festival != nil {
		festival = make([][]float64, len(c.Festival))
		for b, f := range c.Festival {
			if f != nil {
				festival[b] = f[k:]
			}
		}
	}
	return Calibration{Outlet: c.Outlet[k:], Brand: c.Brand[k:], Total: c.Total[k:], Scores: c.Scores, LevelError: c.LevelError,
		Shared: c.Shared, Festival: festival}
}

// Observations are the values Calibrate scores forecasts against: Values[i][w−From] is the value of
// series i in week w (counted from the series' first week); weeks before From are not known. The
// zero value stands for the calibrated batch's own series.
type Observations struct {
	Values [][]float64
	From   int
	// Expected, when set, holds the values the draws stray about (the corrected history), laid out as
	// Values: the total is scored against both, the brands against Expected alone when Shared is set
	// too, against both otherwise.
	Expected [][]float64
	// LevelError is the relative standard error of Expected's level against the demand's, shared by
	// every series (LearntCensoring.LevelError): it widens the total's intervals.
	LevelError float64
	// Shared, when set with Expected, holds per series the variance of the relative error of its
	// brand's level in Expected, which every series of the brand shares in every week (measured at
	// the collection points, LearnCensoring): the error of a brand's corrected history that a
	// forecast of it inherits and that no calibration window against Expected can show.
	Shared []float64
}

// value returns the value of series i in week w, and whether it is known.
func (o Observations) value(i, w int) (float64, bool) {
	k := w - o.From
	if k < 0 || k >= len(o.Values[i]) {
		return 0, false
	}
	return o.Values[i][k], true
}

// Calibrate measures the Calibration of forecasts made by f for b, from windows origins (one week
// apart) before the end of b's histories: at each, every series is cut h weeks plus the window's
// offset short of its end, f forecasts the cut batch with intervals, and the forecasts are scored
// against observed (parallel to b.Series; its zero value: b.Series itself, the values the method
// learns from; a draw of the demand behind a corrected history, DemandDraws). Outlet scores count
// only weeks with demand (observed > 0). Windows that would leave a series fewer than
// MinValidationWeeks weeks, or whose weeks observed does not hold, are skipped; without any score a
// factor is 1. It returns f's errors and ctx.Err().
func Calibrate(ctx context.Context, f func(context.Context, Batch, []Forecast) error, b Batch, observed Observations,
	windows int) (Calibration, error) {
	return calibrate(ctx, batchWindows(f), b, observed, windows)
}

// calibrate is Calibrate with the forecasts of f, which may forecast several origins of a chunk of
// series at once (windowForecaster): the scores are those of one origin at a time over the whole
// batch, taken in an order that does not change them (each origin's sums run over the series in
// order; the scores are sorted before their quantiles are taken).
func calibrate(ctx context.Context, f windowForecaster, b Batch, observed Observations, windows int) (Calibration, error) {
	h := b.Horizon
	if observed.Values == nil {
		observed = Observations{Values: b.Series}
	}
	brands := 1
	brandOf := b.Groups
	if brandOf == nil {
		brandOf = make([]int, len(b.Series))
	}
	for _, g := range brandOf {
		brands = max(brands, g+1)
	}
	stride := max(1, (len(b.Series)*max(windows, 1)+maxOutletScores-1)/maxOutletScores)
	outlet := make([][]float64, h)
	brand := make([][]float64, h)
	total := make([][]float64, h)
	// The windows scored: those that leave every series MinValidationWeeks weeks and whose weeks
	// observed holds.
	var scored []int
	for c := range windows {
		short := false
		for i, s := range b.Series {
			n := len(s) - h - c
			_, first := observed.value(i, n)
			_, last := observed.value(i, n+h-1)
			if n < MinValidationWeeks || !first || !last {
				short = true
				break
			}
		}
		if !short && len(b.Series) > 0 {
			scored = append(scored, c)
		}
	}
	// With the uncertainty of the brands' corrected levels measured, brands are scored against the
	// corrected history and widened by it (Calibration.Shared); otherwise against the draws and the
	// corrected history both.
	ownTerms := observed.Expected != nil && observed.Shared != nil
	const na = 5
	aggs := make([][]float64, len(scored)) // per window, per brand then total: A, F, Σlo², Σhi², expected A of every week
	for k := range aggs {
		aggs[k] = make([]float64, na*h*(brands+1))
	}
	chunk, per := f.span(len(scored))
	if chunk <= 0 {
		chunk = len(b.Series)
	}
	per = max(per, 1)
	var outs [][]Forecast
	for from := 0; from < len(b.Series); from += chunk {
		to := min(from+chunk, len(b.Series))
		for w0 := 0; w0 < len(scored); w0 += per {
			ws := scored[w0:min(w0+per, len(scored))]
			if err := ctx.Err(); err != nil {
				return Calibration{}, err
			}
			shorts := make([]int, len(ws))
			for k, c := range ws {
				shorts[k] = h + c
			}
			for k := range ws {
				if k == len(outs) {
					outs = append(outs, NewForecasts(to-from, h, true))
				}
				outs[k] = outs[k][:to-from]
			}
			if err := f.forecastWindows(ctx, b, shorts, from, to, outs[:len(ws)]); err != nil {
				return Calibration{}, err
			}
			for k, c := range ws {
				agg := aggs[w0+k]
				for i := from; i < to; i++ {
					fc := outs[k][i-from]
					validate80(fc)
					n := len(b.Series[i]) - h - c
					g := na * h * brandOf[i]
					for j, m := range fc.Mean {
						a, _ := observed.value(i, n+j)
						if a > 0 && i%stride == 0 {
							outlet[j] = append(outlet[j], intervalScore(a, m, fc.Lower[j], fc.Upper[j]))
						}
						lo, hi := m-fc.Lower[j], fc.Upper[j]-m
						v := agg[g+na*j : g+na*j+na]
						v[0] += a
						v[1] += m
						v[2] += lo * lo
						v[3] += hi * hi
						if observed.Expected != nil {
							v[4] += observed.Expected[i][n+j-observed.From]
						}
					}
				}
			}
		}
	}
	for _, agg := range aggs {
		t := na * h * brands
		for g := range brands {
			for j := range h {
				v := agg[na*h*g+na*j : na*h*g+na*j+na]
				if v[0] == 0 && v[1] == 0 {
					continue // a brand absent from the window
				}
				if ownTerms {
					// Against the corrected history alone: its brand's level error is added by Shared.
					m := v[1]
					brand[j] = append(brand[j], intervalScore(v[4], m, m-math.Sqrt(v[2]), m+math.Sqrt(v[3])))
				} else {
					brand[j] = append(brand[j], aggregateScores(v, observed.Expected != nil)...)
				}
				for k := range na {
					agg[t+na*j+k] += v[k]
				}
			}
		}
		for j := range h {
			total[j] = append(total[j], aggregateScores(agg[t+na*j:t+na*j+na], observed.Expected != nil)...)
		}
	}
	used := len(scored)
	cal := Calibration{LevelError: observed.LevelError}
	// Overlapping windows score the same weeks again, and against the draws and the corrected values
	// both: a pooled level's scores count as many as the distinct weeks they score.
	distinct := 0.0
	if used > 0 {
		distinct = float64(used+h-1) / float64(used*h)
		if observed.Expected != nil {
			distinct /= 2
		}
	}
	if ownTerms {
		cal.Shared = make([]float64, brands)
		seen := make([]bool, brands)
		for i, g := range brandOf {
			if !seen[g] {
				cal.Shared[g], seen[g] = observed.Shared[i], true
			}
		}
	}
	cal.Outlet, cal.Scores[0] = factors(outlet, 1)
	brandDistinct := distinct
	if ownTerms {
		brandDistinct *= 2 // one score a week
	}
	cal.Brand, cal.Scores[1] = factors(brand, brandDistinct)
	cal.Total, cal.Scores[2] = factors(total, distinct)
	return cal, nil
}

// intervalScore is the normalised score of actual a against point m and interval [lo, hi]: the
// error over the half-width on its side; 0 for no error, +Inf for an error beyond a width of 0.
func intervalScore(a, m, lo, hi float64) float64 {
	d, w := a-m, hi-m
	if d < 0 {
		d, w = -d, m-lo
	}
	if d == 0 {
		return 0
	}
	if w <= 0 {
		return math.Inf(1)
	}
	return d / w
}

// aggregateScores scores an aggregate from its sums v: actual, point, Σ lower half-width², Σ upper
// half-width², expected actual; against the expected actual too when expected.
func aggregateScores(v []float64, expected bool) []float64 {
	m := v[1]
	lo, hi := m-math.Sqrt(v[2]), m+math.Sqrt(v[3])
	if !expected {
		return []float64{intervalScore(v[0], m, lo, hi)}
	}
	return []float64{intervalScore(v[0], m, lo, hi), intervalScore(v[4], m, lo, hi)}
}

// factors returns the conformal factor of every week's scores (sorted in place), pooling every week's
// when a week has fewer than minScoresPerWeek, and the number of scores. Pooled scores count as
// distinct of a score each (the rank of the quantile is that of their effective number).
func factors(scores [][]float64, distinct float64) ([]float64, int) {
	out := make([]float64, len(scores))
	n := 0
	for _, s := range scores {
		n += len(s)
	}
	var pooled []float64
	for j, s := range scores {
		if len(s) >= minScoresPerWeek {
			out[j] = conformalQuantile(s)
			continue
		}
		if pooled == nil {
			pooled = make([]float64, 0, n)
			for _, s := range scores {
				pooled = append(pooled, s...)
			}
		}
		out[j] = conformalQuantileOf(pooled, distinct*float64(len(pooled)))
	}
	return out, n
}

// conformalQuantile returns the (n+1)·IntervalLevel-th smallest of the n scores s (sorted in place),
// interpolated between its neighbours; the largest when that rank is beyond n, maxWidthFactor when
// the value is infinite (errors beyond intervals of width 0); 1 for no scores. A finite factor is not
// bounded: the total of a million outlets built as if they erred independently is about a
// thousandth as wide as its errors, and needs a factor of hundreds.
//
// A further score exchangeable with s falls at or below the k-th smallest with probability
// k / (n+1), so this rank covers IntervalLevel on average. Split conformal prediction rounds the rank
// up, to ⌈(n+1)·IntervalLevel⌉, which guarantees at least IntervalLevel and over-covers by up to
// 1/(n+1): nothing for the outlets' hundred thousand scores, but 10/12 instead of 0.8 for a total
// whose 8 calibration windows score 11 distinct weeks. The intervals are meant to cover 0.8, as
// their planners read them, not at least 0.8.
func conformalQuantile(s []float64) float64 {
	return conformalQuantileOf(s, float64(len(s)))
}

// conformalQuantileOf is conformalQuantile of scores worth n independent ones (n ≤ len(s)): the
// (n+1)·IntervalLevel-th smallest of n, as a share of s, interpolated.
func conformalQuantileOf(s []float64, n float64) float64 {
	if len(s) == 0 {
		return 1
	}
	slices.Sort(s)
	n = math.Round(max(1, min(n, float64(len(s)))))
	pos := (n + 1) * IntervalLevel / n * float64(len(s)) // 1-based rank in s
	k := int(math.Floor(pos))                            // at least 1: pos ≥ (len(s)+1)·IntervalLevel, as n ≤ len(s)
	if k >= len(s) {
		return finiteFactor(s[len(s)-1])
	}
	lo, hi, frac := s[k-1], s[k], pos-float64(k)
	if frac == 0 {
		return finiteFactor(lo)
	}
	if math.IsInf(hi, 1) {
		return maxWidthFactor
	}
	return lo + frac*(hi-lo)
}

// finiteFactor is v, or maxWidthFactor for an infinite score.
func finiteFactor(v float64) float64 {
	if math.IsInf(v, 1) {
		return maxWidthFactor
	}
	return v
}

// Reconcile reconciles series as the package's Reconcile does, with each level's intervals widened by
// c: the brands' and total's half-widths (built in quadrature from the outlets' as given) by c.Brand
// and c.Total, then the outlets' own by c.Outlet, in place. c's slices must hold the series' horizon;
// a zero Calibration leaves the intervals as Reconcile builds them.
func (c Calibration) Reconcile(series []Forecast, brandOf []int, brands int) (Reconciled, error) {
	r, err := Reconcile(series, brandOf, brands)
	if err != nil || c.Outlet == nil {
		return r, err
	}
	for b, f := range r.Brands {
		widen(f, c.Brand)
		if f.Lower == nil {
			continue
		}
		if b < len(c.Shared) && c.Shared[b] > 0 {
			widenRelative(f, math.Sqrt(c.Shared[b]))
		}
		if b < len(c.Festival) && c.Festival[b] != nil {
			for j, rel := range c.Festival[b] {
				widenWeek(f, j, rel)
			}
		}
	}
	widen(r.Total, c.Total)
	if c.LevelError > 0 && r.Total.Lower != nil {
		widenRelative(r.Total, c.LevelError)
	}
	for _, f := range series {
		widen(f, c.Outlet)
	}
	return r, nil
}

// widenRelative widens f's interval in quadrature by z80 · rel of its point, week by week: an error
// of relative standard deviation rel independent of the interval's own. The lower bound stays ≥ 0.
func widenRelative(f Forecast, rel float64) {
	for j := range f.Mean {
		widenWeek(f, j, rel)
	}
}

// widenWeek is widenRelative in week j alone.
func widenWeek(f Forecast, j int, rel float64) {
	m := f.Mean[j]
	l := z80 * rel * m
	f.Lower[j] = max(0, m-math.Hypot(m-f.Lower[j], l))
	f.Upper[j] = m + math.Hypot(f.Upper[j]-m, l)
}

// widen multiplies the half-widths of f's interval by k, week by week; the lower bound stays ≥ 0.
func widen(f Forecast, k []float64) {
	if f.Lower == nil {
		return
	}
	for j, m := range f.Mean {
		f.Lower[j] = max(0, m-k[j]*(m-f.Lower[j]))
		f.Upper[j] = m + k[j]*(f.Upper[j]-m)
	}
}
