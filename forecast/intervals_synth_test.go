package forecast_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/synth"
)

// levelCoverage backtests the engine on a synthetic region as `forecast backtest --against demand`
// does on a live one: trained on the history corrected for censored demand (learnt before the first
// origin), intervals calibrated against the demand drawn behind it, scored against the true demand.
func levelCoverage(t *testing.T, cfg synth.Config, origins int) forecast.Metrics {
	t.Helper()
	r, err := synth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sales, demand := regionHistory(t, r, func(string) bool { return true })
	scans := regionScans(t, r, sales)
	bc := forecast.BacktestConfig{Origins: origins}
	first := len(sales.Weeks) - forecast.DefaultHorizon - forecast.DefaultStep*(origins-1)
	learnt := forecast.LearnCensoring(sales, scans, first, forecast.EMOptions{})
	corrected := learnt.Demand(sales)
	t.Logf("level error of the correction: %.4f", learnt.LevelError)
	train := make([][]float64, len(corrected.Series))
	for i, s := range corrected.Series {
		train[i] = s.Values
	}
	observed := learnt.DemandDraws(sales, 0)
	if os.Getenv("ORDERCAST_COVERAGE_DRAWS_ONLY") != "" { // as calibrated before the levels' own terms
		observed.Expected, observed.LevelError = nil, 0
	}
	eng := forecast.NewEngine()
	eng.Holidays = forecast.NewHolidays(synth.Holidays(sales.Weeks[0].Year(), sales.Weeks[len(sales.Weeks)-1].Year()+1))
	rep, err := forecast.Backtest(context.Background(), demand, bc, forecast.TrainOnObserved(eng, train, observed))
	if err != nil {
		t.Fatal(err)
	}
	return rep.Results[0].Metrics
}

// TestLevelCoverageOnSyntheticRegion checks that the calibrated 80% intervals cover the true demand
// of a small synthetic region near 80% at every level: outlet × brand weeks with demand, brands and
// the total. The band is wide (a total over 3 origins rests on 12 weeks, one week is 0.083 of it, and
// well calibrated intervals cover all 12 in 7% of runs, so the total's upper band is then 1:
// totalCoverageCeiling): it catches intervals built as if outlets erred independently (brands
// 0.35–0.6, total 0.2–0.3) or calibrated against the corrected history alone, not the noise of a
// seed.
func TestLevelCoverageOnSyntheticRegion(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and backtests a 200-outlet region")
	}
	cfg := synth.Config{Outlets: 200, Brands: 24, Weeks: 104, Seed: 3, Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	origins := 3
	if s := os.Getenv("ORDERCAST_COVERAGE_REGION"); s != "" { // outlets,brands,seed,origins: the BENCHMARKS rows
		var o, b, seed int
		if _, err := fmt.Sscanf(s, "%d,%d,%d,%d", &o, &b, &seed, &origins); err != nil {
			t.Fatalf("ORDERCAST_COVERAGE_REGION=%q: %v; want outlets,brands,seed,origins", s, err)
		}
		cfg.Outlets, cfg.Brands, cfg.Seed = o, b, uint64(seed)
	}
	m := levelCoverage(t, cfg, origins)
	t.Logf("%d outlets × %d brands, seed %d, %d origins: WAPE %.4f bias %+.4f; coverage outlet %.3f brand %.3f total %.3f",
		cfg.Outlets, cfg.Brands, cfg.Seed, origins, m.WAPE, m.Bias, m.Coverage.Outlet, m.Coverage.Brand, m.Coverage.Total)
	weeks := origins * forecast.DefaultHorizon
	for _, l := range []struct {
		name   string
		got    float64
		lo, hi float64
	}{
		{"outlet", m.Coverage.Outlet, 0.6, 0.95},
		{"brand", m.Coverage.Brand, 0.6, 0.95},
		{"total", m.Coverage.Total, 0.6, totalCoverageCeiling(weeks)},
	} {
		if l.got < l.lo || l.got > l.hi {
			t.Errorf("%s coverage of the 80%% intervals against the true demand: %.3f; want within %.2f–%.2f", l.name, l.got, l.lo, l.hi)
		}
	}
}
