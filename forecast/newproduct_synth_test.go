package forecast_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/synth"
)

// regionSales generates a region and returns the weekly delivered sales of every outlet × brand with
// an order line, and the catalogue.
func regionSales(t *testing.T, cfg synth.Config) (forecast.Panel, []forecast.Brand) {
	t.Helper()
	r, err := synth.New(cfg)
	if err != nil {
		t.Fatalf("synth.New: %v", err)
	}
	p := forecast.Panel{Weeks: make([]time.Time, r.Weeks)}
	for w := range p.Weeks {
		p.Weeks[w] = r.Week(w)
	}
	err = r.Each(func(h *synth.History) error {
		index := make(map[string]int)
		for _, s := range h.Sales {
			i, ok := index[s.Brand]
			if !ok {
				i = len(p.Series)
				index[s.Brand] = i
				p.Series = append(p.Series, forecast.Series{Outlet: s.Outlet, Brand: s.Brand, Values: make([]float64, r.Weeks)})
			}
			p.Series[i].Values[int(forecast.Monday(s.Day).Sub(r.Start).Hours())/(24*7)] += s.Delivered
		}
		return nil
	})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	var catalogue []forecast.Brand
	for _, b := range r.Brands {
		catalogue = append(catalogue, forecast.Brand{Code: b.Code, Manufacturer: b.Manufacturer, PriceClass: b.PriceClass,
			Scarce: b.Scarce, NewProduct: b.NewProduct, Launch: b.LaunchDate})
	}
	return p, catalogue
}

// Every new product of a synthetic region, forecast from the history before its launch week (no
// sales of it yet) for its first 8 weeks from like items. Where earlier launches taught a launch
// curve, the new products' totals over the 8 weeks must be nearer their sales than the like items'
// mean unscaled, and than nothing at all. (A product's popularity is drawn at random in the region,
// so no forecast from like items can be close for every product: the test is about the sums.)
func TestNewProductsOnSyntheticRegion(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 600-outlet region")
	}
	const h = 8
	p, catalogue := regionSales(t, synth.Config{Outlets: 600, Brands: 150, Weeks: 104, Seed: 3,
		Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
	var errScaled, errLike, sumActual float64 // products with a learnt curve
	var allScaled, allActual float64
	products := 0
	for _, b := range catalogue {
		if !b.NewProduct {
			continue
		}
		w0 := int(forecast.Monday(b.Launch).Sub(p.Weeks[0]).Hours()) / (24 * 7)
		if w0 < 26 || w0+h > len(p.Weeks) {
			continue
		}
		// The history before the launch week: series with a sale in it.
		var cut forecast.Panel
		cut.Weeks = p.Weeks[:w0]
		var actual float64
		for _, s := range p.Series {
			if s.Brand == b.Code {
				actual += sumOf(s.Values[w0 : w0+h])
			}
			if slices.ContainsFunc(s.Values[:w0], func(v float64) bool { return v != 0 }) {
				cut.Series = append(cut.Series, forecast.Series{Outlet: s.Outlet, Brand: s.Brand, Values: s.Values[:w0]})
			}
		}
		series := make([][]float64, len(cut.Series))
		outlets, brands := make([]string, len(cut.Series)), make([]string, len(cut.Series))
		groups := make([]int, len(cut.Series))
		has := make(map[string]bool)
		for i, s := range cut.Series {
			series[i], outlets[i], brands[i] = s.Values, s.Outlet, s.Brand
			has[s.Brand] = true
		}
		for i, s := range cut.Series {
			groups[i] = slices.IndexFunc(catalogue, func(c forecast.Brand) bool { return c.Code == s.Brand })
		}
		out := forecast.NewForecasts(len(series), h, true)
		if err := forecast.NewEngine().ForecastBatch(context.Background(), forecast.Batch{Series: series, Groups: groups, Horizon: h}, out); err != nil {
			t.Fatal(err)
		}
		like := forecast.LikeItems(b, catalogue, func(c string) bool { return has[c] })
		curve, stats := forecast.LearnLaunchCurve(cut, catalogue, forecast.DefaultLaunchWeeks)
		weeks := p.Weeks[w0 : w0+h]
		scaled := forecast.ForecastLaunch(forecast.Launch{Brand: b}, like, weeks, curve, outlets, brands, out)
		unscaled := forecast.ForecastLaunch(forecast.Launch{Brand: b}, like, weeks, nil, outlets, brands, out)
		fs, fu := totalOf(scaled), totalOf(unscaled)
		t.Logf("%s (class %d, %s) launched %s: %d like items, %d outlets; first %d weeks sold %.0f, forecast %.0f "+
			"(like items unscaled %.0f; curve from %d launches)", b.Code, b.PriceClass, b.Manufacturer,
			b.Launch.Format(time.DateOnly), len(like), len(scaled.Outlets), h, actual, fs, fu, len(stats.Products))
		allScaled += math.Abs(actual - fs)
		allActual += actual
		if curve == nil {
			continue
		}
		errScaled += math.Abs(actual - fs)
		errLike += math.Abs(actual - fu)
		sumActual += actual
		products++
	}
	if products < 3 {
		t.Fatalf("%d new products launched after another to score; want at least 3", products)
	}
	t.Logf("%d new products after an earlier launch, first %d weeks: error of the brand totals Σ|A − F| / ΣA: "+
		"launch curve %.3f, like items unscaled %.3f, nothing 1; all new products, launch curve or unscaled: %.3f",
		products, h, errScaled/sumActual, errLike/sumActual, allScaled/allActual)
	if errScaled >= errLike || errScaled >= sumActual {
		t.Errorf("new products' error %.0f with the launch curve; want below %.0f (unscaled like items) and %.0f (nothing)",
			errScaled, errLike, sumActual)
	}
}

func sumOf(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

func totalOf(lf forecast.LaunchForecast) float64 {
	var s float64
	for _, f := range lf.Forecasts {
		s += sumOf(f.Mean)
	}
	return s
}
