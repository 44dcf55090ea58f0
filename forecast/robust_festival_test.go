package forecast_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/synth"
)

// The festival section's figures of the default engine with festival
// profiles, with main's candidates (FCR_MAIN=1) or this branch's.
func BenchmarkFestAfter(b *testing.B) {
	t := b
	cfg := synth.Config{Outlets: 1000, Brands: 60, Weeks: 156, Seed: 1, Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	sales, demand, hol := regionPanels(t, cfg)
	eng := &forecast.Engine{Holidays: hol}
	if os.Getenv("FCR_MAIN") == "1" {
		var c []forecast.Model
		for _, m := range forecast.DefaultCandidates() {
			if m.Name() != "seas-ratio-robust" {
				c = append(c, m)
			}
		}
		eng.Candidates = c
	}
	if os.Getenv("FCR_SKIP_FEST") != "1" {
		start := time.Now()
		tot, br, pk, n := festivalFigures(t, eng, sales, demand)
		t.Logf("festival origins %d: total WAPE %.4f, brand WAPE %.4f, peak week %+.2f%% (%.1fs)", n, tot, br, 100*pk, time.Since(start).Seconds())
	}
	if os.Getenv("FCR_SKIP_ORD") != "1" {
		rep, err := forecast.Backtest(context.Background(), demand, forecast.BacktestConfig{Horizon: 4, Origins: 12, Step: 4},
			forecast.TrainOn(eng, panelOf(sales)))
		if err != nil {
			t.Fatal(err)
		}
		m := rep.Results[0]
		t.Logf("12 ordinary origins: brand accuracy %.4f, total %.4f, WAPE %.4f", m.BrandAccuracy, m.TotalAccuracy, m.WAPE)
	}
}
