package forecast

import (
	"context"
	"fmt"
	"math"
	"time"
)

// TopModel is what sets an aggregate's forecast (a brand's total, or the grand total) in a TopDown.
type TopModel int

// The models of an aggregate, in the order TopDown prefers them on equal validation errors.
const (
	BottomUp  TopModel = iota // the sum of the forecasts below it
	Regressed                 // the Regression of the aggregate's own series
	Blended                   // the mean of the two
	numTopModels
)

// String returns "bottom-up", "regression" or "blend".
func (m TopModel) String() string {
	switch m {
	case BottomUp:
		return "bottom-up"
	case Regressed:
		return "regression"
	case Blended:
		return "blend"
	}
	return fmt.Sprintf("TopModel(%d)", int(m))
}

// Defaults of TopDown.
const (
	DefaultTopWindows      = 4   // validation windows of the aggregates
	DefaultTopSampleSeries = 100 // series per group forecast bottom-up in each validation window
	topRatioWeeks          = 13  // weeks over which a sample's share of its group is measured
)

// TopDown forecasts from the top of the hierarchy down. The Engine forecasts every series (outlet ×
// brand); then, for each group (brand), the group's total is forecast three ways: bottom-up (the sum
// of its series' forecasts), by the Regression of the group's own weekly total with calendar, trend
// and supply terms, and by the mean of the two (Blended). The grand total is chosen the same way
// between the sum of the brands' chosen forecasts, its own Regression and their mean.
//
// Choice is by a rolling-origin backtest at the level of the aggregate, on the data before the
// batch's origin only: at origins n − h·w for w = 1 … Windows, each candidate forecasts the next h
// weeks of the aggregate and the one with the smallest Σ|A − F| over the windows wins (ties go to
// bottom-up, then regression). The bottom-up candidate of a window is what the Engine, choosing its
// models anew, forecasts from that origin for up to SampleSeries series of the group, spread evenly
// through it, scaled by the group's total over the sample's in the topRatioWeeks weeks before the
// origin (exact when the group has no more series than that).
//
// Where a regression or a blend wins, its forecast becomes the group's target and Distribute scales
// the group's series to it, keeping their shape; a chosen total scales every brand's forecast in
// proportion. Reconcile afterwards makes the stored levels add up exactly.
//
// Every series of a batch must have the same length, starting on Weeks[0]: a Panel's series cut at
// one origin, as Backtest and a forecast run give them. It is safe for concurrent use.
//
// Measured by the protocol of BACKTEST.md (h = 4, step 4; brand and total accuracy, engine → topdown,
// 3 origins, then 12): Walmart brand 0.9729 → 0.9720 and 0.9488 → 0.9535, total 0.9929 → 0.9938 and
// 0.9809 → 0.9816; M5 brand 0.9044 → 0.9076 and 0.8986 → 0.9034, total 0.9666 → 0.9837 and 0.9481 →
// 0.9622; a seeded region against its sales, brand 0.7878 → 0.7878 and 0.6619 → 0.7224, total
// 0.8422 → 0.8893 and 0.7553 → 0.8235, but against its true demand brand 0.8572 → 0.8185 and total
// 0.8722 → 0.8368: the regressions follow the corrected sell-in they learn from more closely than
// the outlets' sum does, and that sell-in stays below the demand. Outlet × brand WAPE moves by
// +0.0013, +0.0054 and −0.0161 on 3 origins, −0.0035, −0.0011 and −0.0392 on 12.
type TopDown struct {
	Engine       *Engine     // NewEngine() when nil
	Regression   Regression  // the model of the aggregates
	Weeks        []time.Time // the Monday of week t of the batch's series; later weeks follow weekly
	Censored     [][]bool    // optional, parallel to a batch's series: weeks a limit or a stock-out cut
	Windows      int         // DefaultTopWindows when 0
	SampleSeries int         // DefaultTopSampleSeries when 0
	NoTotal      bool        // keep the grand total bottom-up
	Margin       float64     // a challenger of bottom-up must err less than (1 − Margin) times it
}

// TopPlan is what a TopDown chose for one batch.
type TopPlan struct {
	Groups []TopModel   // per group: the model of its total
	Errors [][3]float64 // per group: validation Σ|A − F| of bottom-up, regression and blend (+Inf: could not fit)
	Total  TopModel     // the model of the grand total
	Totals [3]float64   // the grand total's validation errors
	Scale  []float64    // per forecast week: the factor the chosen total set on every brand; nil when bottom-up
	Failed int          // groups whose regression could not fit at some origin
}

// Name returns "topdown".
func (t *TopDown) Name() string { return "topdown" }

// ForecastBatch implements Method.
func (t *TopDown) ForecastBatch(ctx context.Context, b Batch, out []Forecast) error {
	_, err := t.Plan(ctx, b, out)
	return err
}

// week returns the Monday of week i of the batch's series.
func (t *TopDown) week(i int) time.Time {
	if i < len(t.Weeks) {
		return t.Weeks[i]
	}
	last := len(t.Weeks) - 1
	return t.Weeks[last].AddDate(0, 0, 7*(i-last))
}

// Plan forecasts b into out like ForecastBatch and returns what it chose. It returns an error
// wrapping ErrInvalidBatch when b or out is malformed, the series differ in length or Weeks is empty,
// and ctx.Err() when ctx is cancelled.
func (t *TopDown) Plan(ctx context.Context, b Batch, out []Forecast) (TopPlan, error) {
	if _, err := b.check(out); err != nil {
		return TopPlan{}, err
	}
	if err := t.engine().ForecastBatch(ctx, b, out); err != nil {
		return TopPlan{}, err
	}
	return t.Top(ctx, b, out)
}

func (t *TopDown) engine() *Engine {
	if t.Engine == nil {
		return NewEngine()
	}
	return t.Engine
}

// Top does the top-down part of Plan on out, which holds the Engine's forecasts of b (as
// Engine.ForecastBatch or Engine.Apply wrote them), so that a caller can run the Engine its own
// way (in chunks, with progress) first. It validates, chooses and distributes as Plan does.
func (t *TopDown) Top(ctx context.Context, b Batch, out []Forecast) (TopPlan, error) {
	groups, err := b.check(out)
	if err != nil {
		return TopPlan{}, err
	}
	if len(t.Weeks) == 0 {
		return TopPlan{}, errInvalid("top-down: no week dates")
	}
	n := 0
	for i, s := range b.Series {
		if i == 0 {
			n = len(s)
		} else if len(s) != n {
			return TopPlan{}, errInvalid("top-down: series %d has %d weeks, series 0 has %d", i, len(s), n)
		}
	}
	if t.Censored != nil && len(t.Censored) != len(b.Series) {
		return TopPlan{}, errInvalid("top-down: %d censored series for %d series", len(t.Censored), len(b.Series))
	}
	eng := t.engine()
	h := b.Horizon
	plan := TopPlan{Groups: make([]TopModel, groups), Errors: make([][3]float64, groups)}
	if len(b.Series) == 0 {
		return plan, nil
	}

	// The groups' weekly totals and censored shares, over the history and the horizon.
	agg := t.aggregate(b, groups, n)
	weeks := make([]time.Time, n+h)
	for i := range weeks {
		weeks[i] = t.week(i)
	}

	// Validation: every candidate of every group at every origin.
	windows := t.Windows
	if windows <= 0 {
		windows = DefaultTopWindows
	}
	var origins []int
	for w := 1; w <= windows; w++ {
		if o := n - h*w; o >= MinRegressionWeeks {
			origins = append(origins, o)
		}
	}
	// cand[k][g][c] is candidate c's forecast of group g from origin k.
	cand := make([][][3][]float64, len(origins))
	fitted := make([]bool, groups)
	for g := range fitted {
		fitted[g] = len(origins) > 0
	}
	for k, o := range origins {
		bu, err := t.sampleBottomUp(ctx, eng, b, groups, o, agg)
		if err != nil {
			return TopPlan{}, err
		}
		cand[k] = make([][3][]float64, groups)
		for g := range groups {
			reg := make([]float64, h)
			if err := t.Regression.Forecast(agg.input(g, o, weeks), reg); err != nil {
				fitted[g], reg = false, nil
			}
			cand[k][g] = [3][]float64{bu[g], reg, blend(bu[g], reg)}
			actual := agg.total[g][o : o+h]
			for c, f := range cand[k][g] {
				plan.Errors[g][c] += absError(actual, f)
			}
		}
	}
	for g := range groups {
		if !fitted[g] {
			plan.Errors[g][Regressed], plan.Errors[g][Blended] = math.Inf(1), math.Inf(1)
			if agg.count[g] > 0 {
				plan.Failed++
			}
		}
		plan.Groups[g] = best(plan.Errors[g], t.Margin)
	}

	// The final forecasts of the groups' totals.
	targets := make([][]float64, groups)
	final := make([][]float64, groups) // every group's chosen forecast, bottom-up ones included
	for g := range final {
		final[g] = make([]float64, h)
	}
	for i, f := range out {
		bu := final[b.group(i)]
		for j, v := range f.Mean {
			bu[j] += max(v, 0)
		}
	}
	for g := range groups {
		bu := final[g]
		if plan.Groups[g] == BottomUp {
			continue
		}
		reg := make([]float64, h)
		if err := t.Regression.Forecast(agg.input(g, n, weeks), reg); err != nil {
			plan.Groups[g] = BottomUp // fitted before every origin, not now: keep the outlets' sum
			continue
		}
		if plan.Groups[g] == Blended {
			reg = blend(bu, reg)
		}
		targets[g], final[g] = reg, reg
	}

	// The grand total.
	if !t.NoTotal && len(origins) > 0 {
		plan.Total = t.chooseTotal(&plan, agg, origins, cand, weeks, h)
		if plan.Total != BottomUp {
			if scale := t.totalScale(plan.Total, agg, n, weeks, final); scale != nil {
				plan.Scale = scale
				for g := range groups {
					if agg.count[g] == 0 {
						continue
					}
					tg := make([]float64, h)
					for j := range h {
						tg[j] = final[g][j] * scale[j]
					}
					targets[g] = tg
				}
			} else {
				plan.Total = BottomUp
			}
		}
	}
	if err := Distribute(out, groupsOf(b), targets); err != nil {
		return TopPlan{}, err
	}
	return plan, nil
}

// chooseTotal scores the grand total's candidates over the validation origins and returns the best.
func (t *TopDown) chooseTotal(plan *TopPlan, agg aggregates, origins []int, cand [][][3][]float64,
	weeks []time.Time, h int) TopModel {
	ok := true
	for k, o := range origins {
		sum := make([]float64, h)
		for g, c := range cand[k] {
			f := c[plan.Groups[g]]
			for j := range h {
				sum[j] += f[j]
			}
		}
		reg := make([]float64, h)
		if err := t.Regression.Forecast(RegressionInput{Y: agg.grand[:o], Weeks: weeks, Censored: sliceTo(agg.grandCensored, o)}, reg); err != nil {
			ok, reg = false, nil
		}
		actual := agg.grand[o : o+h]
		for c, f := range [3][]float64{sum, reg, blend(sum, reg)} {
			plan.Totals[c] += absError(actual, f)
		}
	}
	if !ok {
		plan.Totals[Regressed], plan.Totals[Blended] = math.Inf(1), math.Inf(1)
	}
	return best(plan.Totals, t.Margin)
}

// totalScale returns the factors per week that bring the groups' final forecasts to the grand
// total's chosen model, or nil when it cannot fit or the groups forecast nothing.
func (t *TopDown) totalScale(m TopModel, agg aggregates, n int, weeks []time.Time, final [][]float64) []float64 {
	h := len(weeks) - n
	sum := make([]float64, h)
	for _, f := range final {
		for j := range h {
			sum[j] += f[j]
		}
	}
	reg := make([]float64, h)
	if err := t.Regression.Forecast(RegressionInput{Y: agg.grand, Weeks: weeks, Censored: agg.grandCensored}, reg); err != nil {
		return nil
	}
	if m == Blended {
		reg = blend(sum, reg)
	}
	scale := make([]float64, h)
	for j := range h {
		if sum[j] <= 0 {
			return nil
		}
		scale[j] = reg[j] / sum[j]
	}
	return scale
}

// aggregates are the weekly totals of a batch's groups and of all its series.
type aggregates struct {
	total         [][]float64 // per group, per week
	censored      [][]float64 // per group, per week: share of its series censored; nil: none
	count         []int       // series per group
	grand         []float64
	grandCensored []float64 // nil: none
}

func (t *TopDown) aggregate(b Batch, groups, n int) aggregates {
	a := aggregates{total: make([][]float64, groups), censored: make([][]float64, groups), count: make([]int, groups),
		grand: make([]float64, n)}
	for g := range groups {
		a.total[g] = make([]float64, n)
	}
	for i, s := range b.Series {
		g := b.group(i)
		a.count[g]++
		for w, v := range s {
			a.total[g][w] += v
			a.grand[w] += v
		}
		if t.Censored == nil || t.Censored[i] == nil {
			continue
		}
		if a.censored[g] == nil {
			a.censored[g] = make([]float64, n)
		}
		if a.grandCensored == nil {
			a.grandCensored = make([]float64, n)
		}
		for w, c := range t.Censored[i][:min(n, len(t.Censored[i]))] {
			if c {
				a.censored[g][w]++
				a.grandCensored[w]++
			}
		}
	}
	for g, c := range a.censored {
		for w := range c {
			c[w] /= float64(a.count[g])
		}
	}
	for w := range a.grandCensored {
		a.grandCensored[w] /= float64(len(b.Series))
	}
	return a
}

// input returns the regression input of group g cut at origin o.
func (a aggregates) input(g, o int, weeks []time.Time) RegressionInput {
	return RegressionInput{Y: a.total[g][:o], Weeks: weeks, Censored: sliceTo(a.censored[g], o)}
}

func sliceTo(x []float64, o int) []float64 {
	if x == nil {
		return nil
	}
	return x[:o]
}

// sampleBottomUp returns, per group, the Engine's bottom-up forecast of the group's total from origin
// o, estimated from a sample of its series.
func (t *TopDown) sampleBottomUp(ctx context.Context, eng *Engine, b Batch, groups, o int, agg aggregates) ([][]float64, error) {
	per := t.SampleSeries
	if per <= 0 {
		per = DefaultTopSampleSeries
	}
	stride := make([]int, groups)
	for g, c := range agg.count {
		stride[g] = max(1, (c+per-1)/per)
	}
	seen, sampled := make([]int, groups), make([]int, groups)
	var idx []int
	for i := range b.Series {
		g := b.group(i)
		if seen[g]%stride[g] == 0 {
			idx = append(idx, i)
			sampled[g]++
		}
		seen[g]++
	}
	sb := Batch{Series: make([][]float64, len(idx)), Groups: make([]int, len(idx)), Horizon: b.Horizon, Workers: b.Workers, Origin: b.Origin}
	if !b.Origin.IsZero() {
		sb.Origin = Monday(b.Origin).AddDate(0, 0, -7*(len(b.Series[0])-o))
	}
	for k, i := range idx {
		sb.Series[k] = b.Series[i][:o:o]
		sb.Groups[k] = b.group(i)
	}
	out := NewForecasts(len(idx), b.Horizon, false)
	if err := eng.ForecastBatch(ctx, sb, out); err != nil {
		return nil, err
	}
	sums := make([][]float64, groups)
	recent := make([]float64, groups) // the sample's total over the recent weeks
	for g := range sums {
		sums[g] = make([]float64, b.Horizon)
	}
	from := max(0, o-topRatioWeeks)
	for k, i := range idx {
		g := b.group(i)
		for j, v := range out[k].Mean {
			sums[g][j] += max(v, 0)
		}
		for _, v := range b.Series[i][from:o] {
			recent[g] += v
		}
	}
	for g := range sums {
		if stride[g] == 1 {
			continue // every series of the group is in the sample
		}
		var all float64
		for _, v := range agg.total[g][from:o] {
			all += v
		}
		k := float64(agg.count[g]) / float64(max(1, sampled[g]))
		if recent[g] > 0 {
			k = all / recent[g]
		}
		for j := range sums[g] {
			sums[g][j] *= k
		}
	}
	return sums, nil
}

// groupsOf returns the group of every series of b.
func groupsOf(b Batch) []int {
	if b.Groups != nil {
		return b.Groups
	}
	return make([]int, len(b.Series))
}

// blend returns the mean of a and b, or nil when b is nil.
func blend(a, b []float64) []float64 {
	if b == nil {
		return nil
	}
	out := make([]float64, len(a))
	for j := range a {
		out[j] = (a[j] + b[j]) / 2
	}
	return out
}

// absError returns Σ|a − f|, or +Inf when f is nil.
func absError(a, f []float64) float64 {
	if f == nil {
		return math.Inf(1)
	}
	var s float64
	for j, v := range a {
		s += math.Abs(v - f[j])
	}
	return s
}

// best returns the model with the smallest error, a challenger of bottom-up counting only when it
// errs less than (1 − margin) times bottom-up; ties keep the earlier.
func best(errs [3]float64, margin float64) TopModel {
	m := BottomUp
	for c := Regressed; c < numTopModels; c++ {
		if errs[c] < errs[m] && errs[c] < (1-margin)*errs[BottomUp] {
			m = c
		}
	}
	return m
}
