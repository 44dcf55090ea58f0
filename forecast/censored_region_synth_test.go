package forecast_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/synth"
)

// regionRow is what one backtest of the engine on a synthetic region says of the censored-demand
// correction and the calibrated intervals, against the region's true demand: the forecasts' bias per
// group of brands (scarce, other), the history's bias before the first origin, and the engine's
// metrics over all brands.
type regionRow struct {
	seed                  uint64
	origins               int
	truth                 bool    // trained on the true demand, not the corrected sell-in
	histScarce, histOther float64 // Σ corrected / Σ true − 1 over the weeks learnt from
	biasScarce, biasOther float64 // Σ(F − A) / ΣA of the backtest's forecasts
	forecast.Metrics              // all brands together
	levelError            float64 // the correction's LevelError
	// For the splits of TestCensoredBiasSplit: the weeks learnt from (before the first origin), the
	// corrected history, and per series (as the region's) Σ forecast and Σ true demand over the
	// weeks the origins score.
	first            int
	learnt           *forecast.LearntCensoring
	corrected        forecast.Panel
	seriesF, seriesA []float64
}

// recorder is a Method that keeps the point forecasts m makes at each origin (Batch.Origin). The
// forecasts of the backtest's origins are the ones Backtest scores (calibration windows at earlier
// origins forecast the same cut histories and record the same values).
type recorder struct {
	m  forecast.Method
	mu sync.Mutex
	at map[time.Time][][]float64
}

func (r *recorder) Name() string { return r.m.Name() }

func (r *recorder) ForecastBatch(ctx context.Context, b forecast.Batch, out []forecast.Forecast) error {
	if err := r.m.ForecastBatch(ctx, b, out); err != nil {
		return err
	}
	means := make([][]float64, len(out))
	for i, f := range out {
		means[i] = append([]float64(nil), f.Mean...)
	}
	r.mu.Lock()
	r.at[b.Origin] = means
	r.mu.Unlock()
	return nil
}

// HolidaySpread is the recorded method's (Engine.HolidaySpread), so that the backtest widens the
// intervals as it would without the recorder.
func (r *recorder) HolidaySpread(b forecast.Batch) [][]float64 {
	type spreader interface {
		HolidaySpread(b forecast.Batch) [][]float64
	}
	if hs, ok := r.m.(spreader); ok {
		return hs.HolidaySpread(b)
	}
	return nil
}

// regionData is a synthetic region as the censored-demand harnesses use it: which brands are scarce,
// the sales of every brand, their true demand (series aligned with the sales') and the collection
// points' scans.
type regionData struct {
	cfg    synth.Config
	scarce map[string]bool
	sales  forecast.SalesPanel
	demand forecast.Panel
	scans  forecast.ScanPanel
}

func newRegionData(t testing.TB, cfg synth.Config) *regionData {
	t.Helper()
	_, scarce, sales, demand, scans := censoredRegion(t, cfg)
	return &regionData{cfg: cfg, scarce: scarce, sales: sales, demand: demand, scans: scans}
}

// regionBacktest backtests the engine on the region of cfg as `forecast backtest --against demand`
// does on a live one: the correction learnt from the collection points' scans of the weeks before the
// first origin, the engine (with the region's festival calendar) trained on the corrected history of
// all brands, intervals calibrated against the demand drawn behind it (DemandDraws), everything scored
// against the true demand.
//
// With truth the engine is trained on the true demand itself (no correction, intervals calibrated on
// it): the reference that tells the engine's own bias from the correction's.
func regionBacktest(t testing.TB, cfg synth.Config, origins int, truth bool) regionRow {
	t.Helper()
	return newRegionData(t, cfg).backtest(t, origins, truth)
}

// backtest is regionBacktest on d.
func (d *regionData) backtest(t testing.TB, origins int, truth bool) regionRow {
	t.Helper()
	scarce, sales, demand, scans := d.scarce, d.sales, d.demand, d.scans
	bc := forecast.BacktestConfig{Origins: origins}
	first := len(sales.Weeks) - forecast.DefaultHorizon - forecast.DefaultStep*(origins-1)
	learnt := forecast.LearnCensoring(sales, scans, first, forecast.EMOptions{})
	corrected := learnt.Demand(sales)
	row := regionRow{seed: d.cfg.Seed, origins: origins, truth: truth, levelError: learnt.LevelError,
		first: first, corrected: corrected, learnt: learnt}
	var est, tru [2]float64 // other, scarce
	train := make([][]float64, len(corrected.Series))
	for i, s := range corrected.Series {
		train[i] = s.Values
		g := 0
		if scarce[s.Brand] {
			g = 1
		}
		for w := range first {
			est[g] += s.Values[w]
			tru[g] += demand.Series[i].Values[w]
		}
	}
	row.histOther, row.histScarce = est[0]/tru[0]-1, est[1]/tru[1]-1
	eng := forecast.NewEngine()
	eng.Holidays = forecast.NewHolidays(synth.Holidays(sales.Weeks[0].Year(), sales.Weeks[len(sales.Weeks)-1].Year()+1))
	rec := &recorder{m: eng, at: map[time.Time][][]float64{}}
	var m forecast.Method = forecast.TrainOnObserved(rec, train, learnt.DemandDraws(sales, 0))
	if truth {
		m = rec // the backtest's panel is the true demand
	}
	rep, err := forecast.Backtest(context.Background(), demand, bc, m)
	if err != nil {
		t.Fatal(err)
	}
	row.Metrics = rep.Results[0].Metrics
	ows, err := bc.OriginWeeks(len(sales.Weeks))
	if err != nil {
		t.Fatal(err)
	}
	var f, a [2]float64
	row.seriesF, row.seriesA = make([]float64, len(demand.Series)), make([]float64, len(demand.Series))
	for _, o := range ows {
		means := rec.at[sales.Weeks[o]]
		if means == nil {
			t.Fatalf("no forecasts recorded at week %d", o)
		}
		for i, s := range demand.Series {
			g := 0
			if scarce[s.Brand] {
				g = 1
			}
			for h, v := range means[i] {
				f[g] += max(v, 0)
				a[g] += s.Values[o+h]
				row.seriesF[i] += max(v, 0)
				row.seriesA[i] += s.Values[o+h]
			}
		}
	}
	row.biasOther, row.biasScarce = f[0]/a[0]-1, f[1]/a[1]-1
	return row
}

func (r regionRow) String() string {
	basis := ""
	if r.truth {
		basis = " (true demand)"
	}
	return fmt.Sprintf("| %d%s | %d | %+.1f%% | %+.1f%% | %+.1f%% | %+.1f%% | %.3f | %.3f | %.3f | %.3f / %.3f / %.3f |",
		r.seed, basis, r.origins, 100*r.histScarce, 100*r.biasScarce, 100*r.histOther, 100*r.biasOther,
		r.WAPE, r.BrandAccuracy, r.TotalAccuracy, r.Coverage.Outlet, r.Coverage.Brand, r.Coverage.Total)
}

// TestCensoredRegionTable backtests the engine on 600-outlet synthetic regions (60 brands, 6 of them
// scarce, 104 weeks) against their true demand, and prints the table of docs/BENCHMARKS.md ("Censored
// demand"): the forecast bias of the scarce brands and of the others, WAPE, brand and total accuracy,
// and the coverage of the calibrated 80% intervals per level. By default it runs seed 1 over 3
// origins; ORDERCAST_REGION_TABLE="seeds origins", e.g. "1,2,3 3,12", runs every seed × origins.
//
// It fails outside bands that catch a broken correction or calibration, not the noise of a seed: a
// group's bias beyond ±7% (sell-in as recorded is 17–50% low, the old correction of limited weeks
// 9–17%; the largest on the four seeds today is seed 4's scarce brands over 3 origins, −3.9%, the
// corrected history's own error, docs/BENCHMARKS.md), outlet coverage outside 0.75–0.85, brand
// coverage outside 0.6–0.95 (intervals summed as if outlets erred independently cover brands
// 0.35–0.6, the total 0.2–0.3). A total over 3 origins rests on 12 weeks, one week is 0.083 of it:
// well calibrated intervals cover 7 of them or fewer in 7% of runs, and all 12 in 7% too, so its
// band runs from where fewer weeks covered have a chance below 1% (totalCoverageFloor) to where more
// have (totalCoverageCeiling). Where a row misses issue 12's targets (bias within ±3%, every level's
// coverage within 0.75–0.85) it says so in the log.
//
// ORDERCAST_REGION_OUTLETS sets the region's outlets (600 by default; `ordercast seed` makes 3,000).
// ORDERCAST_REGION_TRUTH=1 adds, after each row, the engine trained on the true demand itself (the
// history bias is then the correction's, for reference): the engine's own bias on the same windows,
// logged, not checked.
func TestCensoredRegionTable(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and backtests 600-outlet regions")
	}
	seeds, origins := []int{1}, []int{3}
	if s := os.Getenv("ORDERCAST_REGION_TABLE"); s != "" {
		parts := strings.Fields(s)
		if len(parts) != 2 {
			t.Fatalf("ORDERCAST_REGION_TABLE=%q: want \"seeds origins\", e.g. \"1,2,3 3,12\"", s)
		}
		seeds, origins = ints(t, parts[0]), ints(t, parts[1])
	}
	outlets := 600
	if s := os.Getenv("ORDERCAST_REGION_OUTLETS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 {
			t.Fatalf("ORDERCAST_REGION_OUTLETS=%q: want a number of outlets, at least 100", s)
		}
		outlets = n
	}
	var rows, refs []regionRow
	for _, seed := range seeds {
		for _, o := range origins {
			cfg := synth.Config{Outlets: outlets, Brands: 60, Weeks: 104, Seed: uint64(seed), Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
			row := regionBacktest(t, cfg, o, false)
			t.Logf("%v (level error %.4f)", row, row.levelError)
			rows = append(rows, row)
			if os.Getenv("ORDERCAST_REGION_TRUTH") != "" {
				ref := regionBacktest(t, cfg, o, true)
				t.Logf("%v", ref)
				refs = append(refs, ref)
			}
		}
	}
	t.Log("| seed | origins | scarce: history bias | forecast bias | other: history bias | forecast bias | WAPE | brand acc. | total acc. | 80% coverage outlet / brand / total |")
	for _, r := range rows {
		t.Log(r)
	}
	for _, r := range refs {
		t.Log(r)
	}
	for _, r := range rows {
		for _, b := range []struct {
			name string
			got  float64
		}{{"scarce", r.biasScarce}, {"other", r.biasOther}} {
			if math.Abs(b.got) > 0.07 {
				t.Errorf("seed %d, %d origins: %s brands' forecast bias %+.2f%%; want within ±7%%", r.seed, r.origins, b.name, 100*b.got)
			} else if math.Abs(b.got) > 0.03 {
				t.Logf("seed %d, %d origins: %s brands' forecast bias %+.2f%% misses issue 12's ±3%%", r.seed, r.origins, b.name, 100*b.got)
			}
		}
		for _, l := range []struct {
			name   string
			got    float64
			lo, hi float64
		}{
			{"outlet", r.Coverage.Outlet, 0.75, 0.85},
			{"brand", r.Coverage.Brand, 0.6, 0.95},
			{"total", r.Coverage.Total, totalCoverageFloor(r.origins * forecast.DefaultHorizon), totalCoverageCeiling(r.origins * forecast.DefaultHorizon)},
		} {
			switch {
			case l.got < l.lo || l.got > l.hi:
				t.Errorf("seed %d, %d origins: %s coverage of the 80%% intervals %.3f; want within %.2f–%.2f", r.seed, r.origins, l.name, l.got, l.lo, l.hi)
			case l.got < 0.75 || l.got > 0.85:
				t.Logf("seed %d, %d origins: %s coverage %.3f misses issue 12's 0.75–0.85", r.seed, r.origins, l.name, l.got)
			}
		}
	}
}

// totalCoverageFloor is the lower band of the total's coverage over n weeks: k/n for the least k
// such that 80% intervals cover fewer than k weeks with a chance below 1% (binomial), at most 0.6.
func totalCoverageFloor(n int) float64 {
	var below float64 // P(fewer than k weeks covered)
	for k := 0; k <= n; k++ {
		p := coveredWeeksChance(n, k)
		if below+p > 0.01 {
			return min(float64(k)/float64(n), 0.6)
		}
		below += p
	}
	return 0.6
}

// totalCoverageCeiling is the upper band of the total's coverage over n weeks: k/n for the least k
// such that 80% intervals cover more than k weeks with a chance below 1% (binomial), at least 0.95.
// Over 12 weeks (3 origins) well calibrated intervals cover all 12 in 7% of runs (0.8¹²), so the
// band is 1 there: only too few weeks covered can tell a broken calibration from a seed's luck.
func totalCoverageCeiling(n int) float64 {
	var above float64 // P(more than k weeks covered)
	for k := n; k >= 0; k-- {
		p := coveredWeeksChance(n, k)
		if above+p > 0.01 {
			return max(float64(k)/float64(n), 0.95)
		}
		above += p
	}
	return 0.95
}

// coveredWeeksChance is the chance that well calibrated intervals cover exactly k of n weeks.
func coveredWeeksChance(n, k int) float64 {
	return binomial(n, k) * math.Pow(forecast.IntervalLevel, float64(k)) * math.Pow(1-forecast.IntervalLevel, float64(n-k))
}

// binomial returns n choose k.
func binomial(n, k int) float64 {
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
	}
	return c
}

func ints(t *testing.T, s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var v int
		if _, err := fmt.Sscanf(f, "%d", &v); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		out = append(out, v)
	}
	return out
}

func TestTotalCoverageFloor(t *testing.T) {
	for _, c := range []struct {
		n    int
		want float64
	}{{12, 0.5}, {48, 0.6}} {
		if got := totalCoverageFloor(c.n); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("totalCoverageFloor(%d) = %.3f; want %.3f", c.n, got, c.want)
		}
	}
}
