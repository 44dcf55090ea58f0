package forecast

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// correlatedPanel returns series brands × outlets of weeks weeks: level 50 plus a common weekly
// shock (sd common, shared by every series of the brand, and by every brand at half of it) plus
// independent noise (sd own).
func correlatedPanel(seed uint64, brands, outlets, weeks int, common, own float64) Panel {
	r := rand.New(rand.NewPCG(seed, 1))
	p := Panel{}
	for w := range weeks {
		p.Weeks = append(p.Weeks, time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*w))
	}
	values := make([][]float64, brands*outlets)
	for i := range values {
		values[i] = make([]float64, weeks)
	}
	for w := range weeks {
		all := r.NormFloat64() * common / 2
		for b := range brands {
			shock := all + r.NormFloat64()*common/2
			for o := range outlets {
				values[b*outlets+o][w] = max(0, 50+shock+r.NormFloat64()*own)
			}
		}
	}
	for b := range brands {
		for o := range outlets {
			p.Series = append(p.Series, Series{Outlet: string(rune('A' + o%26)), Brand: string(rune('a' + b)),
				Values: values[b*outlets+o]})
		}
	}
	return p
}

func TestCalibratedCoverage(t *testing.T) {
	tests := []struct {
		name        string
		common, own float64
	}{
		{"independent outlets", 0, 8},
		{"correlated outlets", 6, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := correlatedPanel(7, 6, 30, 160, tt.common, tt.own)
			cfg := BacktestConfig{Origins: 12, Step: 4, Calibration: 8}
			rep, err := backtestPanel(p, cfg)
			if err != nil {
				t.Fatal(err)
			}
			c := rep.Coverage
			t.Logf("coverage outlet %.3f brand %.3f total %.3f", c.Outlet, c.Brand, c.Total)
			for _, lv := range []struct {
				name string
				v    float64
				lo   float64
				hi   float64
			}{{"outlet", c.Outlet, 0.72, 0.88}, {"brand", c.Brand, 0.68, 0.92}, {"total", c.Total, 0.6, 0.95}} {
				if !(lv.v >= lv.lo && lv.v <= lv.hi) {
					t.Errorf("coverage of %s = %.3f; want within [%.2f, %.2f]", lv.name, lv.v, lv.lo, lv.hi)
				}
			}
			raw, err := backtestPanel(p, BacktestConfig{Origins: 12, Step: 4, Calibration: -1})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("uncalibrated: outlet %.3f brand %.3f total %.3f", raw.Coverage.Outlet, raw.Coverage.Brand, raw.Coverage.Total)
			if tt.common > 0 && raw.Coverage.Total > 0.5 {
				t.Errorf("uncalibrated total coverage under correlated errors = %.3f; want < 0.5 (the test's premise)", raw.Coverage.Total)
			}
		})
	}
}

func backtestPanel(p Panel, cfg BacktestConfig) (MethodResult, error) {
	rep, err := Backtest(context.Background(), p, cfg, Each(SES{}))
	if err != nil {
		return MethodResult{}, err
	}
	return rep.Results[0], nil
}

// TestCalibrationWidensCorrelated: under errors shared by a brand's outlets, the calibrated brand and
// total intervals are wider than the quadrature sum of the outlets' (which assumes independence).
func TestCalibrationWidensCorrelated(t *testing.T) {
	p := correlatedPanel(3, 4, 40, 100, 8, 3)
	series := make([][]float64, len(p.Series))
	groups := make([]int, len(p.Series))
	for i, s := range p.Series {
		series[i] = s.Values
		groups[i] = int(s.Brand[0] - 'a')
	}
	b := Batch{Series: series, Groups: groups, Horizon: 4}
	m := Each(SES{})
	cal, err := Calibrate(context.Background(), m.ForecastBatch, b, Observations{}, 8)
	if err != nil {
		t.Fatal(err)
	}
	for j := range 4 {
		if cal.Brand[j] < 2 || cal.Total[j] < 2 {
			t.Errorf("Calibrate factors week %d: brand %.2f total %.2f; want ≥ 2 under correlated errors", j, cal.Brand[j], cal.Total[j])
		}
	}
	out := NewForecasts(len(series), 4, true)
	if err := m.ForecastBatch(context.Background(), b, out); err != nil {
		t.Fatal(err)
	}
	plain, err := Reconcile(cloneForecasts(out), groups, 4)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := cal.Reconcile(out, groups, 4)
	if err != nil {
		t.Fatal(err)
	}
	for j := range 4 {
		wp, wc := plain.Total.Upper[j]-plain.Total.Lower[j], rec.Total.Upper[j]-rec.Total.Lower[j]
		if !(wc > 1.5*wp) {
			t.Errorf("total width week %d = %.1f calibrated, %.1f independent; want wider", j, wc, wp)
		}
	}
}

func cloneForecasts(fs []Forecast) []Forecast {
	out := NewForecasts(len(fs), len(fs[0].Mean), true)
	for i, f := range fs {
		copy(out[i].Mean, f.Mean)
		copy(out[i].Lower, f.Lower)
		copy(out[i].Upper, f.Upper)
	}
	return out
}

func TestConformalQuantile(t *testing.T) {
	tests := []struct {
		s    []float64
		want float64
	}{
		{nil, 1},
		{[]float64{0.5}, 0.5},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 8.8},      // the 11·0.8 = 8.8th
		{[]float64{math.Inf(1), 1, 2, 3}, maxWidthFactor},    // 4th of 4
		{[]float64{400, 300, 250, 1}, 400},                   // 4th of 4: finite factors are not bounded
		{[]float64{5, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0}, 3.6},    // the 12·0.8 = 9.6th
		{[]float64{1, 2, 3, 4, math.Inf(1)}, maxWidthFactor}, // the 4.8th, between 4 and +Inf
	}
	for _, tt := range tests {
		if got := conformalQuantile(append([]float64(nil), tt.s...)); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("conformalQuantile(%v) = %v; want %v", tt.s, got, tt.want)
		}
	}
}

func TestCalibrateSeesOnlyThePast(t *testing.T) {
	y := ramp1(30)
	var seen []int
	f := func(_ context.Context, b Batch, out []Forecast) error {
		seen = append(seen, len(b.Series[0]))
		for i := range out {
			for j := range out[i].Mean {
				out[i].Mean[j], out[i].Lower[j], out[i].Upper[j] = 1, 0, 2
			}
		}
		return nil
	}
	// The history ends at week 20: calibration origins must leave h = 3 weeks of it to score.
	if _, err := Calibrate(context.Background(), f, Batch{Series: [][]float64{y[:20]}, Horizon: 3}, Observations{}, 12); err != nil {
		t.Fatal(err)
	}
	want := []int{17, 16, 15, 14, 13, 12, 11, 10, 9, 8} // down to MinValidationWeeks
	if !slices.Equal(seen, want) {
		t.Errorf("Calibrate cut the history to %v weeks; want %v", seen, want)
	}
}

// TestRealDataCoverage measures the engine's calibrated 80% intervals on the real datasets over 12
// ordinary origins (docs/BENCHMARKS.md) and logs the uncalibrated figures beside them.
func TestRealDataCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: backtests on the real datasets")
	}
	for _, d := range realDatasets {
		t.Run(d.name, func(t *testing.T) {
			p := loadPanel(t, d)
			for _, windows := range []int{-1, DefaultCalibrationWindows} {
				rep, err := Backtest(context.Background(), p, BacktestConfig{Origins: 12, Calibration: windows}, NewEngine())
				if err != nil {
					t.Fatal(err)
				}
				c := rep.Results[0].Coverage
				t.Logf("%s calibration %d: coverage outlet %.3f brand %.3f total %.3f (%.1f s)", d.name, windows,
					c.Outlet, c.Brand, c.Total, rep.Results[0].Seconds)
			}
		})
	}
}

// TestCalibrateAgainstObservations: Calibrate scores against the observations it is given, which
// may hold only the weeks it scores; windows whose weeks they do not hold are skipped; observations
// noisier than the series learnt from widen the intervals.
func TestCalibrateAgainstObservations(t *testing.T) {
	p := correlatedPanel(3, 4, 40, 100, 8, 3)
	series := make([][]float64, len(p.Series))
	groups := make([]int, len(p.Series))
	for i, s := range p.Series {
		series[i] = s.Values
		groups[i] = int(s.Brand[0] - 'a')
	}
	const h, windows = 4, 8
	b := Batch{Series: series, Groups: groups, Horizon: h}
	f := Each(SES{}).ForecastBatch
	tail := func(from int, noise float64) Observations {
		o := Observations{From: from, Values: make([][]float64, len(series))}
		for i, s := range series {
			o.Values[i] = append([]float64(nil), s[from:]...)
			for w := range o.Values[i] {
				o.Values[i][w] = max(0, o.Values[i][w]+noise*float64((i*7+w*3)%5-2))
			}
		}
		return o
	}
	own, err := Calibrate(context.Background(), f, b, Observations{}, windows)
	if err != nil {
		t.Fatal(err)
	}
	from := 100 - h - windows + 1 // the first week the windows score
	got, err := Calibrate(context.Background(), f, b, tail(from, 0), windows)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Outlet, own.Outlet) || !slices.Equal(got.Total, own.Total) || got.Scores != own.Scores {
		t.Errorf("Calibrate against the series' own weeks from %d = %+v; want %+v as against the series", from, got, own)
	}
	short, err := Calibrate(context.Background(), f, b, tail(from+2, 0), windows)
	if err != nil {
		t.Fatal(err)
	}
	if want := own.Scores[2] * (windows - 2) / windows; short.Scores[2] != want {
		t.Errorf("Calibrate against weeks from %d: %d total scores; want %d (2 windows skipped)", from+2, short.Scores[2], want)
	}
	noisy, err := Calibrate(context.Background(), f, b, tail(from, 10), windows)
	if err != nil {
		t.Fatal(err)
	}
	for j := range h {
		if !(noisy.Outlet[j] > own.Outlet[j]) {
			t.Errorf("outlet factor week %d: %.3f against noisier observations, %.3f against the series; want wider",
				j, noisy.Outlet[j], own.Outlet[j])
		}
	}
}

func TestConformalQuantileOfCorrelatedScores(t *testing.T) {
	s := make([]float64, 64)
	for i := range s {
		s[i] = float64(i + 1)
	}
	// 64 scores worth 64: the 65·0.8 = 52nd; worth 11 (8 overlapping windows of 4 weeks, scored
	// twice): the 12·0.8 = 9.6th of 11, i.e. the 64·9.6/11 = 55.85th of 64.
	if got := conformalQuantileOf(slices.Clone(s), 64); got != 52 {
		t.Errorf("conformalQuantileOf(1…64, 64) = %v; want 52", got)
	}
	if got, want := conformalQuantileOf(slices.Clone(s), 11), 64*9.6/11; math.Abs(got-want) > 1e-9 {
		t.Errorf("conformalQuantileOf(1…64, 11) = %v; want %v", got, want)
	}
	if got := conformalQuantileOf(slices.Clone(s), 2); got != 64 {
		t.Errorf("conformalQuantileOf(1…64, 2) = %v; want the largest, 64", got)
	}
}

// TestConformalQuantileCoversOnAverage draws n+1 exchangeable scores many times and checks how
// often the last falls at or below the factor of the first n: 0.8 on average for the total's 11
// distinct weeks and for a handful of scores, where the rank rounded up (split conformal's
// ⌈(n+1)·0.8⌉-th) covers 10/12 and 5/6. The scores are uniform, for which the interpolated rank is
// exact; skewed ones cover a little more between two ranks (exponential scores, n = 5: 0.812).
func TestConformalQuantileCoversOnAverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 80))
	for _, n := range []int{5, 11, 40} {
		const trials = 40_000
		covered := 0
		s := make([]float64, n)
		for range trials {
			for i := range s {
				s[i] = rng.Float64()
			}
			if rng.Float64() <= conformalQuantile(s) {
				covered++
			}
		}
		// The share's standard error is 0.002 at 40,000 trials.
		if got := float64(covered) / trials; math.Abs(got-IntervalLevel) > 0.008 {
			t.Errorf("n = %d: a further score covered %.4f of the time; want %.2f ± 0.008", n, got, IntervalLevel)
		}
	}
}

func TestLevelError(t *testing.T) {
	if got := levelError(map[string]*[2]float64{"a": {1, 10}}); got != 0 {
		t.Errorf("levelError of one point = %v; want 0", got)
	}
	// Every point off by the same share: nothing to resample.
	same := map[string]*[2]float64{"a": {1, 10}, "b": {2, 20}, "c": {3, 30}}
	if got := levelError(same); got > 1e-12 {
		t.Errorf("levelError of points sharing one ratio = %v; want 0", got)
	}
	// Ratios +10%, −10% over equal weights: r = 0, Σ d² = 2, n/(n−1) = 2, √4 / 20 = 0.1.
	two := map[string]*[2]float64{"a": {1, 10}, "b": {-1, 10}}
	if got := levelError(two); math.Abs(got-0.1) > 1e-12 {
		t.Errorf("levelError(+10%%, −10%%) = %v; want 0.1", got)
	}
}

func TestReconcileWidensTotalByLevelError(t *testing.T) {
	series := []Forecast{
		{Mean: []float64{100}, Lower: []float64{97}, Upper: []float64{103}},
		{Mean: []float64{100}, Lower: []float64{96}, Upper: []float64{104}},
	}
	c := Calibration{Outlet: []float64{1}, Brand: []float64{1}, Total: []float64{1}, LevelError: 0.01}
	r, err := c.Reconcile(series, []int{0, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Quadrature of 3 and 4 is 5; the level term z80 · 1% · 200 = 2.563.
	want := math.Hypot(5, z80*0.01*200)
	if got := r.Total.Upper[0] - r.Total.Mean[0]; math.Abs(got-want) > 1e-9 {
		t.Errorf("total's upper half-width %v; want %v", got, want)
	}
	if got := r.Brands[0].Upper[0] - r.Brands[0].Mean[0]; math.Abs(got-3) > 1e-9 {
		t.Errorf("brand's upper half-width %v; want 3, a brand is not widened by the level error", got)
	}
}

// sharedErrorPanel returns the true demand of brands × outlets series (correlatedPanel) and a
// corrected history of it that errs by a relative error u_b (standard deviation rel) shared by a
// brand's outlets in every week: the error a correction makes when it misjudges a brand's lost sales
// for all its outlets at once. draws are the corrected history plus independent noise per series and
// week (sd noise), as DemandDraws gives.
func sharedErrorPanel(seed uint64, brands, outlets, weeks int, rel, noise float64) (truth Panel, corrected, draws [][]float64) {
	truth = correlatedPanel(seed, brands, outlets, weeks, 1, 6)
	r := rand.New(rand.NewPCG(seed, 2))
	u := make([]float64, brands)
	for b := range u {
		u[b] = rel * r.NormFloat64()
	}
	corrected = make([][]float64, len(truth.Series))
	draws = make([][]float64, len(truth.Series))
	for i, s := range truth.Series {
		b := int(s.Brand[0] - 'a')
		corrected[i] = make([]float64, weeks)
		draws[i] = make([]float64, weeks)
		for w, v := range s.Values {
			corrected[i][w] = v * (1 + u[b])
			draws[i][w] = max(0, corrected[i][w]+noise*r.NormFloat64())
		}
	}
	return truth, corrected, draws
}

// TestBrandCoverageUnderSharedCorrectionError: when a corrected history errs alike at every outlet of
// a brand in every week (the brand's level misjudged), neither the corrected history (no error at
// all) nor draws that err outlet by outlet (their brand sums cancel) show the brand's error against
// its demand; the brand intervals widened by the measured shared error (Observations.Shared) cover
// the true demand about 80% of brand-weeks, those calibrated against the draws and the corrected
// history alone far less.
func TestBrandCoverageUnderSharedCorrectionError(t *testing.T) {
	const brands, outlets, weeks, rel = 24, 20, 120, 0.08
	truth, corrected, draws := sharedErrorPanel(11, brands, outlets, weeks, rel, 8)
	cfg := BacktestConfig{Origins: 12, Step: 4, Calibration: 8}
	coverage := func(shared []float64) Coverage {
		t.Helper()
		obs := Observations{Values: draws, Expected: corrected, Shared: shared}
		rep, err := Backtest(context.Background(), truth, cfg, TrainOnObserved(Each(SES{}), corrected, obs))
		if err != nil {
			t.Fatal(err)
		}
		return rep.Results[0].Coverage
	}
	shared := make([]float64, len(corrected))
	for i := range shared {
		shared[i] = rel * rel
	}
	with, without := coverage(shared), coverage(nil)
	t.Logf("brand coverage: %.3f widened by the shared error, %.3f against the draws and the corrected history (%d brand-weeks)",
		with.Brand, without.Brand, brands*cfg.Origins*DefaultHorizon)
	// A brand's weeks share its error, so the 1,152 brand-weeks count about as 24 brands: the band is
	// that of a binomial of 24 about 0.8 (90%: 0.67–0.92).
	if with.Brand < 0.67 || with.Brand > 0.92 {
		t.Errorf("brand coverage widened by the shared error = %.3f; want within 0.67–0.92", with.Brand)
	}
	if without.Brand > 0.6 {
		t.Errorf("brand coverage without the shared error = %.3f; want < 0.6 (the test's premise)", without.Brand)
	}
	if math.Abs(with.Outlet-without.Outlet) > 1e-12 {
		t.Errorf("outlet coverage %.3f with the shared error, %.3f without; want the outlets' intervals alone", with.Outlet, without.Outlet)
	}
}

func TestReconcileWidensBrandsByShared(t *testing.T) {
	series := []Forecast{
		{Mean: []float64{100}, Lower: []float64{97}, Upper: []float64{103}},
		{Mean: []float64{100}, Lower: []float64{96}, Upper: []float64{104}},
	}
	c := Calibration{Outlet: []float64{1}, Brand: []float64{2}, Total: []float64{1}, Shared: []float64{0.0004}}
	r, err := c.Reconcile(series, []int{0, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Brand 0: 3 × 2 widened in quadrature by z80 · 2% · 100; brand 1 is beyond Shared: 4 × 2.
	if got, want := r.Brands[0].Upper[0]-r.Brands[0].Mean[0], math.Hypot(6, z80*0.02*100); math.Abs(got-want) > 1e-9 {
		t.Errorf("brand 0's upper half-width %v; want %v", got, want)
	}
	if got, want := r.Brands[0].Mean[0]-r.Brands[0].Lower[0], math.Hypot(6, z80*0.02*100); math.Abs(got-want) > 1e-9 {
		t.Errorf("brand 0's lower half-width %v; want %v", got, want)
	}
	if got := r.Brands[1].Upper[0] - r.Brands[1].Mean[0]; math.Abs(got-8) > 1e-9 {
		t.Errorf("brand 1's upper half-width %v; want 8 (no shared error measured)", got)
	}
	if got := r.Total.Upper[0] - r.Total.Mean[0]; math.Abs(got-5) > 1e-9 {
		t.Errorf("total's upper half-width %v; want 5, the total is not widened by the brands' shared error", got)
	}
}

// TestReconcileWidensByHolidaySpread: Calibration.Festival widens a brand's week in quadrature by
// z80 · its spread of the point, a week or brand without spread not at all, and not the total; Cut
// drops its first weeks.
func TestReconcileWidensByHolidaySpread(t *testing.T) {
	series := []Forecast{
		{Mean: []float64{100, 100}, Lower: []float64{97, 97}, Upper: []float64{103, 103}},
		{Mean: []float64{200, 200}, Lower: []float64{196, 196}, Upper: []float64{204, 204}},
		{Mean: []float64{50, 50}, Lower: []float64{48, 48}, Upper: []float64{52, 52}},
	}
	c := Calibration{Outlet: []float64{1, 1}, Brand: []float64{1, 1}, Total: []float64{1, 1},
		Festival: [][]float64{{0.1, 0}, {0.05, 0}}} // brand 2 beyond it
	r, err := c.Reconcile(series, []int{0, 1, 2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	half := func(f Forecast, j int) (lo, hi float64) { return f.Mean[j] - f.Lower[j], f.Upper[j] - f.Mean[j] }
	for _, w := range []struct {
		name string
		f    Forecast
		j    int
		want float64
	}{
		{"brand 0, week 0", r.Brands[0], 0, math.Hypot(3, z80*0.1*100)},
		{"brand 1, week 0", r.Brands[1], 0, math.Hypot(4, z80*0.05*200)},
		{"brand 2, week 0", r.Brands[2], 0, 2},
		{"brand 0, week 1", r.Brands[0], 1, 3},
		{"total, week 0", r.Total, 0, math.Sqrt(9 + 16 + 4)},
		{"total, week 1", r.Total, 1, math.Sqrt(9 + 16 + 4)},
	} {
		lo, hi := half(w.f, w.j)
		if math.Abs(lo-w.want) > 1e-9 || math.Abs(hi-w.want) > 1e-9 {
			t.Errorf("%s: half-widths %.4f / %.4f; want %.4f", w.name, lo, hi, w.want)
		}
	}
	cut := c.Cut(1)
	if len(cut.Festival) != 2 || len(cut.Festival[0]) != 1 || cut.Festival[0][0] != 0 {
		t.Errorf("Cut(1).Festival = %v; want the weeks after the first", cut.Festival)
	}
}
