package forecast_test

import (
	"context"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/synth"
)

// regionSales generates a region and returns the weekly delivered sales of every outlet × brand with
// an order line, and the catalogue.
func regionSales(t testing.TB, cfg synth.Config) (forecast.Panel, []forecast.Brand) {
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

// newProductOutlets is the size of eachNewProduct's regions: 600 outlets, or ORDERCAST_NEWPRODUCT_OUTLETS.
func newProductOutlets(t testing.TB) int {
	n := 600
	if v := os.Getenv("ORDERCAST_NEWPRODUCT_OUTLETS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			t.Fatalf("ORDERCAST_NEWPRODUCT_OUTLETS=%q: want a number of outlets", v)
		}
	}
	return n
}

// eachNewProduct calls f with every new product of the synthetic regions of seeds 1–4
// (newProductOutlets, 150 brands, 104 weeks), its region's sales and catalogue, and the index of its
// launch week.
func eachNewProduct(t testing.TB,
	f func(seed uint64, p forecast.Panel, catalogue []forecast.Brand, b forecast.Brand, launch int)) {
	t.Helper()
	for seed := uint64(1); seed <= 4; seed++ {
		p, catalogue := regionSales(t, synth.Config{Outlets: newProductOutlets(t), Brands: 150, Weeks: 104, Seed: seed,
			Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
		for _, b := range catalogue {
			if b.NewProduct {
				f(seed, p, catalogue, b, int(forecast.Monday(b.Launch).Sub(p.Weeks[0]).Hours())/(24*7))
			}
		}
	}
}

// Every new product of synthetic regions (seeds 1–4), forecast from the history before its launch
// week (no sales of it yet) for its first 8 weeks from like items. Where earlier launches taught a
// launch curve, the new products' totals over the 8 weeks must be nearer their sales, in summed
// absolute error and in mean |log(forecast / sales)|, with the curve than with the like items' mean
// unscaled, and than with the curve's per-week ratio of sums pooled over the earlier launches
// (LaunchStats.New / Like: the curve before its level became a shrunk geometric mean, which let one
// launch that sold twenty times its like items scale the next one by as much).
//
// A product's popularity is drawn at random in the region, so like items say little of a new
// product's volume, and no forecast from them is close for every product: the test is about the sums
// and the typical ratio. Forecasting nothing has a smaller summed error here (a few launches that sell
// thousands of cartons weigh most), which the log says; a planner still has to ship something.
func TestNewProductsOnSyntheticRegion(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 600-outlet regions")
	}
	const h = 8
	var errCurve, errPooled, errLike, sumActual float64 // products with a learnt curve
	var logCurve, logPooled, logLike float64
	products := 0
	eachNewProduct(t, func(seed uint64, p forecast.Panel, catalogue []forecast.Brand, b forecast.Brand, w0 int) {
		if w0 < 26 || w0+h > len(p.Weeks) {
			return
		}
		cut, actual := beforeLaunch(p, b.Code, w0, h)
		curve, stats := forecast.LearnLaunchCurve(cut, catalogue, forecast.DefaultLaunchWeeks)
		if curve == nil {
			return
		}
		pooled := make(forecast.LaunchCurve, len(stats.New)) // weeks without data: the week before's
		last := 1.0
		for k := range pooled {
			if stats.Like[k] > 0 {
				last = stats.New[k] / stats.Like[k]
			}
			pooled[k] = last
		}
		weeks := p.Weeks[w0 : w0+h]
		fc, outlets, brands := engineForecasts(t, cut, catalogue, h)
		sold := make(map[string]bool)
		for _, c := range brands {
			sold[c] = true
		}
		like := forecast.LikeItems(b, catalogue, func(c string) bool { return sold[c] })
		launch := forecast.Launch{Brand: b}
		fCurve := totalOf(forecast.ForecastLaunch(launch, like, weeks, curve, outlets, brands, fc))
		fPooled := totalOf(forecast.ForecastLaunch(launch, like, weeks, pooled, outlets, brands, fc))
		fLike := totalOf(forecast.ForecastLaunch(launch, like, weeks, nil, outlets, brands, fc))
		t.Logf("seed %d %s (class %d, %s) launched %s: %d like items; first %d weeks sold %.0f, forecast %.0f "+
			"(pooled ratio of sums %.0f, like items unscaled %.0f; curve from %d launches, their levels %.2f, level %.2f)",
			seed, b.Code, b.PriceClass, b.Manufacturer, b.Launch.Format(time.DateOnly), len(like), h, actual,
			fCurve, fPooled, fLike, len(stats.Products), stats.Levels, stats.Level)
		logCurve += math.Abs(math.Log(fCurve / actual))
		logPooled += math.Abs(math.Log(fPooled / actual))
		logLike += math.Abs(math.Log(fLike / actual))
		errCurve += math.Abs(actual - fCurve)
		errPooled += math.Abs(actual - fPooled)
		errLike += math.Abs(actual - fLike)
		sumActual += actual
		products++
	})
	if products < 12 {
		t.Fatalf("%d new products launched after another to score; want at least 12", products)
	}
	t.Logf("%d new products after an earlier launch, first %d weeks: error of the products' totals Σ|A − F| / ΣA: "+
		"launch curve %.3f, pooled ratio of sums %.3f, like items unscaled %.3f, nothing 1",
		products, h, errCurve/sumActual, errPooled/sumActual, errLike/sumActual)
	n := float64(products)
	t.Logf("mean |log(F / A)| of the products' totals: launch curve %.3f, pooled ratio of sums %.3f, like items unscaled %.3f",
		logCurve/n, logPooled/n, logLike/n)
	if errCurve >= errPooled || errCurve >= errLike {
		t.Errorf("new products' error %.0f with the launch curve; want below %.0f (pooled ratio of sums) and %.0f "+
			"(unscaled like items)", errCurve, errPooled, errLike)
	}
	if logCurve >= logPooled || logCurve >= logLike {
		t.Errorf("new products' mean |log(F / A)| %.3f with the launch curve; want below %.3f (pooled ratio of sums) "+
			"and %.3f (unscaled like items)", logCurve/n, logPooled/n, logLike/n)
	}
}

// beforeLaunch returns the series of p with a sale before week w0, cut there, and the sales of brand
// over weeks w0 … w0+h−1.
func beforeLaunch(p forecast.Panel, brand string, w0, h int) (forecast.Panel, float64) {
	cut := forecast.Panel{Weeks: p.Weeks[:w0]}
	var actual float64
	for _, s := range p.Series {
		if s.Brand == brand {
			actual += sumOf(s.Values[w0 : w0+h])
		}
		if slices.ContainsFunc(s.Values[:w0], func(v float64) bool { return v != 0 }) {
			cut.Series = append(cut.Series, forecast.Series{Outlet: s.Outlet, Brand: s.Brand, Values: s.Values[:w0]})
		}
	}
	return cut, actual
}

// engineForecasts forecasts every series of p h weeks ahead with the default engine, each brand a
// group, and returns the forecasts with each series' outlet and brand.
func engineForecasts(t testing.TB, p forecast.Panel, catalogue []forecast.Brand, h int) ([]forecast.Forecast, []string, []string) {
	t.Helper()
	series := make([][]float64, len(p.Series))
	outlets, brands := make([]string, len(p.Series)), make([]string, len(p.Series))
	groups := make([]int, len(p.Series))
	for i, s := range p.Series {
		series[i], outlets[i], brands[i] = s.Values, s.Outlet, s.Brand
		groups[i] = slices.IndexFunc(catalogue, func(c forecast.Brand) bool { return c.Code == s.Brand })
	}
	out := forecast.NewForecasts(len(series), h, true)
	if err := forecast.NewEngine().ForecastBatch(context.Background(), forecast.Batch{Series: series, Groups: groups, Horizon: h}, out); err != nil {
		t.Fatal(err)
	}
	return out, outlets, brands
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
