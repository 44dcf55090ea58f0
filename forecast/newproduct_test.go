package forecast

import (
	"math"
	"slices"
	"testing"
	"time"
)

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestLikeItems(t *testing.T) {
	catalogue := []Brand{
		{Code: "B1", Manufacturer: "M1", PriceClass: 2},
		{Code: "B2", Manufacturer: "M1", PriceClass: 2},
		{Code: "B3", Manufacturer: "M2", PriceClass: 2},
		{Code: "B4", Manufacturer: "M1", PriceClass: 3},
		{Code: "B5", Manufacturer: "M1", PriceClass: 0}, // no price class
		{Code: "N1", Manufacturer: "M1", PriceClass: 2, NewProduct: true, Launch: date("2026-03-02")},
		{Code: "N2", Manufacturer: "M1", PriceClass: 2, NewProduct: true, Launch: date("2026-06-01")},
	}
	noB2 := func(code string) bool { return code != "B2" }
	tests := []struct {
		name string
		b    Brand
		has  func(string) bool
		want []string
	}{
		{"same manufacturer and class", catalogue[5], nil, []string{"B1", "B2"}},
		{"an earlier launch is a like item", catalogue[6], nil, []string{"B1", "B2", "N1"}},
		{"only those with history", catalogue[5], noB2, []string{"B1"}},
		{"another manufacturer: the class", Brand{Code: "X", Manufacturer: "M9", PriceClass: 2, NewProduct: true,
			Launch: date("2026-09-07")}, nil, []string{"B1", "B2", "B3", "N1", "N2"}},
		{"class 3", Brand{Code: "Y", Manufacturer: "M1", PriceClass: 3}, nil, []string{"B4"}},
		{"no class", Brand{Code: "Z", Manufacturer: "M1"}, nil, nil},
	}
	for _, tt := range tests {
		if got := LikeItems(tt.b, catalogue, tt.has); !slices.Equal(got, tt.want) {
			t.Errorf("%s: LikeItems(%s) = %v; want %v", tt.name, tt.b.Code, got, tt.want)
		}
	}
}

// launchPanel: weeks 0 … 5; like items B1 at O1 (10 a week) and O2 (20), B2 at O1 (30); the new
// product N, launched on Wednesday of week 3, sells 5, 10, 20 at O1 and 2 in week 4 at O3, which
// carries no like item.
func launchPanel() (Panel, []Brand) {
	weeks := weeksFrom("2026-01-05", 6)
	p := Panel{Weeks: weeks, Series: []Series{
		{Outlet: "O1", Brand: "B1", Values: []float64{10, 10, 10, 10, 10, 10}},
		{Outlet: "O1", Brand: "B2", Values: []float64{30, 30, 30, 30, 30, 30}},
		{Outlet: "O1", Brand: "N", Values: []float64{0, 0, 0, 5, 10, 20}},
		{Outlet: "O2", Brand: "B1", Values: []float64{20, 20, 20, 20, 20, 20}},
		{Outlet: "O3", Brand: "N", Values: []float64{0, 0, 0, 0, 2, 0}},
	}}
	catalogue := []Brand{
		{Code: "B1", Manufacturer: "M1", PriceClass: 2},
		{Code: "B2", Manufacturer: "M1", PriceClass: 2},
		{Code: "N", Manufacturer: "M1", PriceClass: 2, NewProduct: true, Launch: weeks[3].AddDate(0, 0, 2)},
	}
	return p, catalogue
}

func TestLearnLaunchCurve(t *testing.T) {
	p, catalogue := launchPanel()
	curve, stats := LearnLaunchCurve(p, catalogue, 5)
	// The like items' mean per outlet: O1 (10 + 30) / 2 = 20, O2 20; 40 in all every week. N's ratios
	// 5/40, 12/40, 20/40 (weeks 3, 4, 5, then the last), 37/120 over them: the shape is the ratios over
	// 37/120, N's level 1 against it, and N its only launch, so the curve's level is √(37/120), halfway
	// in logs from N's to 1.
	level := math.Sqrt(37.0 / 120)
	want := LaunchCurve{5.0 / 37 * 3, 12.0 / 37 * 3, 20.0 / 37 * 3, 20.0 / 37 * 3, 20.0 / 37 * 3}
	for k := range want {
		want[k] *= level
	}
	if !nearAll(curve, want) || !slices.Equal(stats.Products, []string{"N"}) {
		t.Errorf("LearnLaunchCurve = %v from %v; want %v from [N]", curve, stats.Products, want)
	}
	if !near(stats.Level, level) || !nearAll(stats.Levels, []float64{37.0 / 120}) {
		t.Errorf("levels %v, curve's level %v; want [%v], %v", stats.Levels, stats.Level, 37.0/120, level)
	}
	for _, tt := range []struct {
		k    int
		want float64
	}{{-1, 0}, {0, want[0]}, {2, want[2]}, {40, want[2]}} {
		if got := curve.At(tt.k); !near(got, tt.want) {
			t.Errorf("At(%d) = %v; want %v", tt.k, got, tt.want)
		}
	}
	if got := LaunchCurve(nil).At(3); got != 1 {
		t.Errorf("nil curve At(3) = %v; want 1", got)
	}
	// No launch inside the history: nothing to learn.
	catalogue[2].Launch = p.Weeks[0]
	if curve, _ := LearnLaunchCurve(p, catalogue, 5); curve != nil {
		t.Errorf("LearnLaunchCurve with the launch in the first week = %v; want nil", curve)
	}
}

// Two earlier launches with the same ramp, at their plateau one selling 20 times its like items and
// one a fifth of them: the curve's level is the geometric mean of their levels shrunk halfway in logs
// towards 1 by the weight of one launch, not the ratio of their pooled sums, which the big one would
// carry. A launch that sold nothing counts as half a carton.
func TestLearnLaunchCurveLevel(t *testing.T) {
	weeks := weeksFrom("2026-01-05", 6)
	catalogue := []Brand{
		{Code: "B1", Manufacturer: "M1", PriceClass: 2},
		{Code: "A", Manufacturer: "M1", PriceClass: 2, NewProduct: true, Launch: weeks[2]},
		{Code: "Z", Manufacturer: "M1", PriceClass: 2, NewProduct: true, Launch: weeks[2]},
	}
	p := Panel{Weeks: weeks, Series: []Series{
		{Outlet: "O1", Brand: "B1", Values: []float64{10, 10, 10, 10, 10, 10}},
		{Outlet: "O2", Brand: "B1", Values: []float64{10, 10, 10, 10, 10, 10}},
		{Outlet: "O1", Brand: "A", Values: []float64{0, 0, 100, 200, 400, 400}}, // 5, 10, 20, 20 × the like items' 20
		{Outlet: "O1", Brand: "Z", Values: []float64{0, 0, 1, 2, 4, 4}},         // a hundredth of A
	}}
	curve, stats := LearnLaunchCurve(p, catalogue, 4)
	// Pooled ratios (101, 202, 404, 404) / 40 over their mean 1111 / 160: the shape, whose mean over
	// the weeks is 1, so each launch's level is its mean ratio, A's 1100 / 80, Z's 11 / 80.
	shape := []float64{101.0 / 40, 202.0 / 40, 404.0 / 40, 404.0 / 40}
	for k := range shape {
		shape[k] /= 1111.0 / 160
	}
	levels := []float64{1100.0 / 80, 11.0 / 80}
	level := math.Cbrt(levels[0] * levels[1])
	want := make(LaunchCurve, 4)
	for k := range want {
		want[k] = shape[k] * level
	}
	if !nearAll(curve, want) || !nearAll(stats.Levels, levels) || !near(stats.Level, level) {
		t.Errorf("LearnLaunchCurve = %v, levels %v, level %v; want %v, %v, %v", curve, stats.Levels, stats.Level, want, levels, level)
	}
	if pooled := 404.0 / 40; curve.At(3) > 2 {
		t.Errorf("the curve's plateau %v; want at most 2 like items (the pooled ratio of sums: %v)", curve.At(3), pooled)
	}

	// Z sold nothing: half a carton over the 80 the shape (A's alone now) predicts from its like items.
	for t := range p.Series[3].Values {
		p.Series[3].Values[t] = 0
	}
	curve, stats = LearnLaunchCurve(p, catalogue, 4)
	levels = []float64{1100.0 / 80, 0.5 / 80}
	level = math.Cbrt(levels[0] * levels[1])
	if first := 100.0 / 40 / (1100.0 / 160) * level; !nearAll(stats.Levels, levels) || !near(curve[0], first) {
		t.Errorf("with Z selling nothing: levels %v, curve %v; want %v, the first week %v", stats.Levels, curve, levels, first)
	}

	// A launch seen only in its first week, in which no launch sold anything: the shape predicts
	// nothing for it, so it says nothing of the level (and must not make it infinite).
	catalogue = append(catalogue, Brand{Code: "L", Manufacturer: "M1", PriceClass: 2, NewProduct: true, Launch: weeks[5]})
	for t := range p.Series[2].Values[:3] {
		p.Series[2].Values[2+t] = []float64{0, 200, 400}[t] // A sells nothing in its first week either
	}
	p.Series = append(p.Series, Series{Outlet: "O1", Brand: "L", Values: make([]float64, 6)}) // listed, not sold yet
	curve, stats = LearnLaunchCurve(p, catalogue, 4)
	if len(stats.Levels) != 3 || !math.IsNaN(stats.Levels[2]) || math.IsInf(stats.Level, 0) || math.IsNaN(stats.Level) ||
		curve[0] != 0 || !(curve[1] > 0) {
		t.Errorf("with L seen in its first week only: levels %v, level %v, curve %v; want L's level NaN, a finite level "+
			"from A and Z, the curve 0 in the first week", stats.Levels, stats.Level, curve)
	}
}

func TestForecastLaunch(t *testing.T) {
	weeks := weeksFrom("2026-03-02", 3)
	outlets := []string{"O1", "O1", "O2", "O3"}
	brands := []string{"B1", "B2", "B1", "B3"}
	series := []Forecast{
		{Mean: []float64{10, 10, 10}, Lower: []float64{8, 8, 8}, Upper: []float64{12, 12, 12}},
		{Mean: []float64{30, 30, 30}, Lower: []float64{20, 20, 20}, Upper: []float64{40, 40, 40}},
		{Mean: []float64{20, 22, 24}, Lower: []float64{18, 18, 18}, Upper: []float64{30, 30, 30}},
		{Mean: []float64{99, 99, 99}, Lower: []float64{99, 99, 99}, Upper: []float64{99, 99, 99}},
	}
	curve := LaunchCurve{0.5, 1}
	launch := Launch{Brand: Brand{Code: "N", Launch: date("2026-03-11")}} // Wednesday of the second week
	lf := ForecastLaunch(launch, []string{"B1", "B2"}, weeks, curve, outlets, brands, series)
	if !slices.Equal(lf.Outlets, []string{"O1", "O2"}) || len(lf.Forecasts) != 2 {
		t.Fatalf("ForecastLaunch outlets %v; want [O1 O2] (O3 carries no like item)", lf.Outlets)
	}
	want := [][3][]float64{ // O1: the median of B1 and B2 (of two, their mean); O2: B1; × 0, 0.5, 1
		{{0, 10, 20}, {0, 7, 14}, {0, 13, 26}},
		{{0, 11, 24}, {0, 9, 18}, {0, 15, 30}},
	}
	for k, f := range lf.Forecasts {
		if !slices.Equal(f.Mean, want[k][0]) || !slices.Equal(f.Lower, want[k][1]) || !slices.Equal(f.Upper, want[k][2]) {
			t.Errorf("%s = %v %v %v; want %v", lf.Outlets[k], f.Mean, f.Lower, f.Upper, want[k])
		}
	}
	// Chosen launch outlets only.
	launch.Outlets = []string{"O2", "O9"}
	if lf := ForecastLaunch(launch, []string{"B1", "B2"}, weeks, curve, outlets, brands, series); !slices.Equal(lf.Outlets, []string{"O2"}) {
		t.Errorf("ForecastLaunch at O2 and O9: outlets %v; want [O2]", lf.Outlets)
	}
	if lf := ForecastLaunch(launch, nil, weeks, curve, outlets, brands, series); len(lf.Outlets) != 0 {
		t.Errorf("ForecastLaunch without like items: outlets %v; want none", lf.Outlets)
	}
}

// A family's one big brand does not scale the launch beside it: an outlet's like items enter by
// their median, week by week and bound by bound.
func TestForecastLaunchTakesTheMedianLikeItem(t *testing.T) {
	weeks := weeksFrom("2026-03-02", 2)
	f := func(mean, lo, hi float64) Forecast {
		return Forecast{Mean: []float64{mean, mean}, Lower: []float64{lo, lo}, Upper: []float64{hi, hi}}
	}
	lf := ForecastLaunch(Launch{Brand: Brand{Code: "N", Launch: date("2026-03-02")}}, []string{"B1", "B2", "BIG"}, weeks,
		LaunchCurve{1}, []string{"O1", "O1", "O1"}, []string{"B1", "B2", "BIG"},
		[]Forecast{f(10, 5, 40), f(30, 20, 35), f(300, 250, 380)})
	if len(lf.Forecasts) != 1 {
		t.Fatalf("ForecastLaunch outlets %v; want [O1]", lf.Outlets)
	}
	if got := lf.Forecasts[0]; !slices.Equal(got.Mean, []float64{30, 30}) || !slices.Equal(got.Lower, []float64{20, 20}) ||
		!slices.Equal(got.Upper, []float64{40, 40}) {
		t.Errorf("O1 = %v %v %v; want the median like item, 30 (20 … 40), not the mean 113", got.Mean, got.Lower, got.Upper)
	}
}
