package forecast_test

import (
	"context"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/synth"
)

// scarceHistory generates a synthetic region and returns the weekly sell-in of its scarce brands'
// series (every outlet × scarce brand with an order line) with the true demand of the same series.
func scarceHistory(t *testing.T, cfg synth.Config) (sales forecast.SalesPanel, demand forecast.Panel) {
	t.Helper()
	r, err := synth.New(cfg)
	if err != nil {
		t.Fatalf("synth.New: %v", err)
	}
	scarce := make(map[string]bool)
	for _, b := range r.Brands {
		if b.Scarce {
			scarce[b.Code] = true
		}
	}
	return regionHistory(t, r, func(brand string) bool { return scarce[brand] })
}

// regionHistory returns the weekly sell-in of every outlet × brand of region r with an order line
// whose brand keep accepts, with the true demand of the same series.
func regionHistory(t testing.TB, r *synth.Region, keep func(brand string) bool) (sales forecast.SalesPanel, demand forecast.Panel) {
	t.Helper()
	weeks := make([]time.Time, r.Weeks)
	for w := range weeks {
		weeks[w] = r.Week(w)
	}
	weekOf := func(d time.Time) int { return int(forecast.Monday(d).Sub(r.Start).Hours()) / (24 * 7) }
	sales.Weeks, demand.Weeks = weeks, weeks
	err := r.Each(func(h *synth.History) error {
		index := make(map[string]int) // brand → series of this outlet
		for _, s := range h.Sales {
			if !keep(s.Brand) {
				continue
			}
			i, ok := index[s.Brand]
			if !ok {
				i = len(sales.Series)
				index[s.Brand] = i
				n := len(weeks)
				sales.Series = append(sales.Series, forecast.SalesSeries{Outlet: s.Outlet, Brand: s.Brand,
					Sales: make([]float64, n), Requested: make([]float64, n), Censored: make([]bool, n)})
				demand.Series = append(demand.Series, forecast.Series{Outlet: s.Outlet, Brand: s.Brand,
					Values: make([]float64, n)})
			}
			w := weekOf(s.Day)
			sales.Series[i].Sales[w] += s.Delivered
			sales.Series[i].Requested[w] += s.Requested
			sales.Series[i].Censored[w] = sales.Series[i].Censored[w] || s.Limited
		}
		for _, d := range h.Demand {
			if i, ok := index[d.Brand]; ok {
				demand.Series[i].Values[weekOf(d.Week)] += d.Demand
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return sales, demand
}

// The correction must cut the scarce brands' forecast error against the true demand by at least 30%
// at brand level, where allocation uses it, and must not make the outlet × brand error worse.
func TestCensoringOnSyntheticRegion(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 600-outlet region")
	}
	sales, demand := scarceHistory(t, synth.Config{Outlets: 600, Brands: 60, Weeks: 104, Seed: 1,
		Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
	raw := sales.Panel()
	train := func(p forecast.Panel) [][]float64 {
		out := make([][]float64, len(p.Series))
		for i, s := range p.Series {
			out[i] = s.Values
		}
		return out
	}
	variants := []struct {
		name  string
		train forecast.Panel
	}{
		{"sales", raw},
		{"corrected", forecast.Censoring{}.Demand(sales)},
		{"requested", forecast.Censoring{UnmetShare: 1}.Demand(sales)},
		{"true demand", demand},
	}
	got := make(map[string]forecast.Metrics)
	for _, v := range variants {
		rep, err := forecast.Backtest(context.Background(), demand, forecast.BacktestConfig{},
			forecast.TrainOn(forecast.NewEngine(), train(v.train)))
		if err != nil {
			t.Fatalf("Backtest(%s): %v", v.name, err)
		}
		m := rep.Results[0].Metrics
		got[v.name] = m
		t.Logf("trained on %-12s outlet×brand WAPE %.4f bias %+.4f; brand error %.4f; total error %.4f",
			v.name, m.WAPE, m.Bias, 1-m.BrandAccuracy, 1-m.TotalAccuracy)
	}
	t.Logf("%d scarce series, %d of %d series × weeks censored", len(sales.Series), sales.CensoredWeeks(),
		len(sales.Series)*len(sales.Weeks))
	before, after := 1-got["sales"].BrandAccuracy, 1-got["corrected"].BrandAccuracy
	if after > 0.7*before {
		t.Errorf("brand-level error against the true demand: %.4f corrected, %.4f raw; want at least 30%% lower", after, before)
	}
	if w0, w1 := got["sales"].WAPE, got["corrected"].WAPE; w1 > w0 {
		t.Errorf("outlet × brand WAPE against the true demand: %.4f corrected, %.4f raw; want no worse", w1, w0)
	}
}
