package forecast

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// seasonalGroup returns a group of outlets sharing a strong yearly season (a peak at one week of the
// year), each at its own scale, with noise, n weeks each; the first is short (short weeks) and noisy.
func seasonalGroup(r *rand.Rand, outlets, n, short int) [][]float64 {
	series := make([][]float64, outlets)
	for i := range series {
		scale := 20 + 80*r.Float64()
		noise := 0.05
		m := n
		if i == 0 {
			noise, m = 0.4, short
		}
		y := make([]float64, m)
		for t := range y {
			week := (n - m + t) % SeasonalPeriod
			season := 1 + 0.8*math.Exp(-float64((week-40)*(week-40))/4)
			y[t] = max(0, scale*season*(1+noise*r.NormFloat64()))
		}
		series[i] = y
	}
	return series
}

// A noisy outlet with little history takes its group's season: its profile is shrunk towards the
// group's shape at its own level, so the peak week stands out in its forecast.
func TestPooledSeasonalTakesTheGroupsSeason(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const n = 140 // timeline week t is week t mod 52 of the year: the weeks forecast are 36 … 43
	series := seasonalGroup(r, 30, n, 90)
	b := Batch{Series: series, Horizon: 8}
	views := groupViews(b, 1, n, b.Horizon, nil, []int{n})
	gv := views[0]
	if gv.season == nil || gv.totalF[n] == nil {
		t.Fatalf("groupViews: season %v, total forecast %v; want both", gv.season, gv.totalF[n])
	}
	// The total's profile peaks at the timeline's week 40 of the year: position (40 − n) mod 52.
	if peak := slices.Index(gv.season, slices.Max(gv.season)); peak != ((40-n)%52+52)%52 {
		t.Errorf("group season peaks at position %d; want %d", peak, ((40-n)%52+52)%52)
	}
	y := series[0]
	own, pooled := NewForecasts(1, 8, true)[0], NewForecasts(1, 8, true)[0]
	var s Scratch
	PooledSeasonal{}.Forecast(y, own, &s)
	forecastWith(PooledSeasonal{}, y, gv.at(n, 0), pooled, &s)
	// Week 40 of the year, the peak, is the fifth week forecast.
	ratio := func(f Forecast) float64 { return f.Mean[4] / ((f.Mean[0] + f.Mean[7]) / 2) }
	if ratio(pooled) < 1.5 {
		t.Errorf("pooled forecast %v: peak/base %.2f; want the group's peak (≥ 1.5)", pooled.Mean, ratio(pooled))
	}
	if ratio(pooled) <= ratio(own) {
		t.Errorf("peak/base pooled %.2f, own %.2f; want the pooled one to see the peak better", ratio(pooled), ratio(own))
	}
}

// Without noise, an outlet whose season is its group's keeps it exactly, pooled or not.
func TestPooledSeasonalKeepsAnExactSeason(t *testing.T) {
	const n = 156
	prior := make([]float64, SeasonalPeriod)
	for q := range prior {
		prior[q] = 0.3 * math.Sin(2*math.Pi*float64(q)/SeasonalPeriod)
	}
	y := make([]float64, n)
	for t := range y {
		y[t] = 50 * (1 + prior[(t-n+SeasonalPeriod*3)%SeasonalPeriod])
	}
	var s Scratch
	own, pooled := Forecast{Mean: make([]float64, 4)}, Forecast{Mean: make([]float64, 4)}
	Seasonal{}.Forecast(y, own, &s)
	Seasonal{}.forecastToward(y, prior, 0, pooled, &s)
	for j := range 4 {
		want := 50 * (1 + prior[j])
		if math.Abs(pooled.Mean[j]-want) > 0.5 || math.Abs(own.Mean[j]-want) > 3 {
			t.Errorf("week %d: pooled %.2f, own %.2f; want %.2f", j+1, pooled.Mean[j], own.Mean[j], want)
		}
	}
}

// GroupShare is the mean of Seasonal on the series and of the series' share of the last year of the
// total times the total's forecast.
func TestGroupShareMeansOwnAndShare(t *testing.T) {
	y := constant(60, 10)
	total := slices.Concat(constant(8, 1000), constant(52, 40)) // the series is a quarter of the last year
	totalF := []float64{80, 120}
	var s Scratch
	f := NewForecasts(1, 2, true)[0]
	GroupShare{}.forecastGroup(y, groupInput{total: total, totalF: totalF}, f, &s)
	own := run(Seasonal{}, y, 2)
	for j, want := range []float64{(own.Mean[0] + 20) / 2, (own.Mean[1] + 30) / 2} {
		if !near(f.Mean[j], want) {
			t.Errorf("week %d: %v; want %v", j+1, f.Mean[j], want)
		}
		if !(f.Lower[j] <= f.Mean[j] && f.Mean[j] <= f.Upper[j]) {
			t.Errorf("week %d: %v outside [%v, %v]", j+1, f.Mean[j], f.Lower[j], f.Upper[j])
		}
	}
	// Without a total it is Seasonal.
	GroupShare{}.forecastGroup(y, groupInput{}, f, &s)
	if !slices.Equal(f.Mean, own.Mean) {
		t.Errorf("without a total: %v; want Seasonal's %v", f.Mean, own.Mean)
	}
}

// What Choose learns of a group is kept in its Choice, so that Apply on parts of the batch (as a
// forecast run does, chunk by chunk) forecasts as Apply on the whole batch.
func TestEngineApplyByPartsWithGroups(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	var series [][]float64
	var groups []int
	for g := range 3 {
		for _, y := range seasonalGroup(r, 12, 130, 100) {
			series = append(series, y)
			groups = append(groups, g)
		}
	}
	e := NewEngine()
	b := Batch{Series: series, Groups: groups, Horizon: 4}
	choices, err := e.Choose(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	for g, ch := range choices {
		if ch.Season == nil || len(ch.TotalForecast) != 4 || len(ch.Total) != ShareWeeks {
			t.Errorf("group %d: season %v, total %d weeks, total forecast %v; want all", g, ch.Season != nil, len(ch.Total), ch.TotalForecast)
		}
	}
	whole := NewForecasts(len(series), 4, true)
	if err := e.Apply(context.Background(), b, choices, whole); err != nil {
		t.Fatal(err)
	}
	parts := NewForecasts(len(series), 4, true)
	for lo := 0; lo < len(series); lo += 7 {
		hi := min(lo+7, len(series))
		part := Batch{Series: series[lo:hi], Groups: groups[lo:hi], Horizon: 4}
		if err := e.Apply(context.Background(), part, choices, parts[lo:hi]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range whole {
		if !slices.Equal(whole[i].Mean, parts[i].Mean) || !slices.Equal(whole[i].Upper, parts[i].Upper) {
			t.Fatalf("series %d: by parts %v; whole %v", i, parts[i].Mean, whole[i].Mean)
		}
	}
	bad := slices.Clone(choices)
	bad[0].Season = bad[0].Season[:10]
	if err := e.Apply(context.Background(), b, bad, whole); !errors.Is(err, ErrInvalidBatch) {
		t.Errorf("Apply with a short season: error %v; want ErrInvalidBatch", err)
	}
	bad = slices.Clone(choices)
	bad[1].TotalForecast = bad[1].TotalForecast[:2]
	if err := e.Apply(context.Background(), b, bad, whole); !errors.Is(err, ErrInvalidBatch) {
		t.Errorf("Apply with a short total forecast: error %v; want ErrInvalidBatch", err)
	}
}

// The calibration windows forecast a group model as Apply would at the whole history (with the
// group's total and its forecast), and at a shorter prefix with the group's season aligned to the
// prefix's end and without the total (GroupShare is then Seasonal).
func TestChoiceCutsForecastGroupModels(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	const n = 140
	series := seasonalGroup(r, 30, n, 90)
	b := Batch{Series: series, Horizon: 8}
	gv := groupViews(b, 1, n, b.Horizon, nil, []int{n})[0]
	ch := Choice{Season: gv.season, Total: gv.total, TotalForecast: gv.totalF[n]}
	y := series[0]
	m0 := len(y)
	cuts := []int{m0 - 3, m0}
	var s Scratch
	for _, m := range []Model{PooledSeasonal{}, GroupShare{}} {
		outs := NewForecasts(len(cuts), 8, true)
		forecastChoiceCuts(m, &ch, y, cuts, outs, &s)
		want := NewForecasts(2, 8, true)
		forecastWith(m, y[:m0-3:m0-3], groupInput{prior: ch.Season, shift: -3}, want[0], &s)
		forecastWith(m, y, ch.groupInput(), want[1], &s)
		for k := range cuts {
			if !slices.Equal(outs[k].Mean, want[k].Mean) {
				t.Errorf("%s, prefix of %d weeks: %v; want %v", m.Name(), cuts[k], outs[k].Mean, want[k].Mean)
			}
		}
		if _, share := m.(GroupShare); share {
			seasonal := NewForecasts(1, 8, true)[0]
			Seasonal{}.Forecast(y[:m0-3:m0-3], seasonal, &s)
			if !slices.Equal(outs[0].Mean, seasonal.Mean) {
				t.Errorf("group-share on a prefix: %v; want Seasonal's %v", outs[0].Mean, seasonal.Mean)
			}
			if slices.Equal(outs[1].Mean, NewForecasts(1, 8, true)[0].Mean) {
				t.Errorf("group-share at the whole history gave nothing")
			}
		}
	}
}
