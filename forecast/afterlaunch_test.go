package forecast

import (
	"math"
	"slices"
	"testing"
)

// A product three weeks on sale: its total is the like items' forecast at the outlets carrying them
// scaled by what it sold there against what the curve predicted, plus its sales elsewhere, and Share
// spreads that total over its own series by their forecasts.
func TestForecastAfterLaunch(t *testing.T) {
	p := Panel{Weeks: weeksFrom("2026-03-02", 6)}
	add := func(outlet, brand string, values ...float64) {
		p.Series = append(p.Series, Series{Outlet: outlet, Brand: brand, Values: values})
	}
	add("O1", "B1", 10, 10, 10, 10, 10, 10)
	add("O2", "B1", 10, 10, 10, 10, 10, 10)
	add("O1", "N", 0, 0, 0, 12, 8, 10) // launched in the fourth week: 30 sold where 60 were expected at O1 and O2
	add("O3", "N", 0, 0, 0, 5, 5, 5)   // carries no like item: half as much again
	weeks := weeksFrom("2026-04-13", 2)
	outlets := []string{"O1", "O2", "O1", "O3"}
	brands := []string{"B1", "B1", "N", "N"}
	series := func() []Forecast {
		return []Forecast{
			{Mean: []float64{10, 10}, Lower: []float64{8, 8}, Upper: []float64{12, 12}},
			{Mean: []float64{10, 10}, Lower: []float64{8, 8}, Upper: []float64{12, 12}},
			{Mean: []float64{9, 9}, Lower: []float64{6, 6}, Upper: []float64{12, 12}},
			{Mean: []float64{5, 5}, Lower: []float64{2, 2}, Upper: []float64{7, 7}},
		}
	}
	fs := series()
	n := Brand{Code: "N", NewProduct: true, Launch: date("2026-03-23")}
	a := ForecastAfterLaunch(n, []string{"B1"}, p, LaunchCurve{1}, weeks, outlets, brands, fs)
	if a.Weeks != 3 || a.Outlets != 2 || a.Sold != 30 || a.Expected != 60 || a.Ratio != 0.5 || a.Beyond != 0.5 ||
		!slices.Equal(a.Total, []float64{15, 15}) {
		t.Errorf("ForecastAfterLaunch = %+v; want 3 weeks, 2 outlets, 30 sold where 60 were expected (0.5), half as much "+
			"again beyond them, a total of 15 a week (the like items' 20 × 0.5 × 1.5)", a)
	}
	own := fs[2:]
	if !a.Share(own) {
		t.Fatal("Share = false; want the total shared")
	}
	want := []Forecast{ // 15 shared as 9 : 5
		{Mean: []float64{9 * 15.0 / 14, 9 * 15.0 / 14}, Lower: []float64{6 * 15.0 / 14, 6 * 15.0 / 14}, Upper: []float64{12 * 15.0 / 14, 12 * 15.0 / 14}},
		{Mean: []float64{5 * 15.0 / 14, 5 * 15.0 / 14}, Lower: []float64{2 * 15.0 / 14, 2 * 15.0 / 14}, Upper: []float64{7 * 15.0 / 14, 7 * 15.0 / 14}},
	}
	near := func(x, y []float64) bool {
		return slices.EqualFunc(x, y, func(u, v float64) bool { return math.Abs(u-v) < 1e-9 })
	}
	for k, f := range own {
		if !near(f.Mean, want[k].Mean) || !near(f.Lower, want[k].Lower) || !near(f.Upper, want[k].Upper) {
			t.Errorf("series %d shared = %v; want %v", k, f, want[k])
		}
	}

	// Sold nothing in three weeks: as if half a carton.
	quiet := Panel{Weeks: p.Weeks, Series: slices.Clone(p.Series)}
	quiet.Series[2].Values, quiet.Series[3].Values = make([]float64, 6), make([]float64, 6)
	if a := ForecastAfterLaunch(n, []string{"B1"}, quiet, LaunchCurve{1}, weeks, outlets, brands, series()); a.Ratio != 0.5/60 || a.Beyond != 0 {
		t.Errorf("nothing sold: ratio %v, beyond %v; want %v, 0", a.Ratio, a.Beyond, 0.5/60)
	}

	// On sale since the last week only: too soon.
	n.Launch = date("2026-04-06")
	if a := ForecastAfterLaunch(n, []string{"B1"}, p, LaunchCurve{1}, weeks, outlets, brands, series()); a.Weeks != 1 || a.Total != nil {
		t.Errorf("one week on sale: %+v; want 1 week, no total", a)
	}
	n.Launch = date("2026-03-23")

	// Nothing to share by: the series forecast nothing.
	zero := []Forecast{{Mean: []float64{0, 0}, Lower: []float64{0, 0}, Upper: []float64{0, 0}}}
	if a.Share(zero) || zero[0].Mean[0] != 0 {
		t.Errorf("Share over series forecasting nothing = true or changed them (%v); want false, left as they are", zero[0].Mean)
	}
	// No like item: no total.
	if a := ForecastAfterLaunch(n, nil, p, LaunchCurve{1}, weeks, outlets, brands, series()); a.Total != nil || a.Share(own) {
		t.Errorf("without like items: total %v; want none, nothing shared", a.Total)
	}
}

func TestLaunchedBefore(t *testing.T) {
	catalogue := []Brand{
		{Code: "B1"},
		{Code: "N1", NewProduct: true, Launch: date("2026-01-05")},
		{Code: "N2", NewProduct: true, Launch: date("2026-03-02")},
		{Code: "N3", NewProduct: true, Launch: date("2026-03-02")},
		{Code: "N4", NewProduct: true, Launch: date("2026-05-04")},
	}
	var got []string
	for _, b := range LaunchedBefore(catalogue, catalogue[2]) {
		got = append(got, b.Code)
	}
	if !slices.Equal(got, []string{"B1", "N1"}) {
		t.Errorf("LaunchedBefore(N2) = %v; want [B1 N1]: the brands, and the launches before N2's day", got)
	}
}
