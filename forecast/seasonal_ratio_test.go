package forecast

import (
	"context"
	"math"
	"slices"
	"testing"
)

// multiplicativeSeries is a weekly series of n weeks whose level goes linearly from hi at week 0 to lo
// at week end and stays there, and whose season is ±amp of the level (a multiplicative season), with
// a small deterministic wobble; future returns the noise-free weeks n … n+h−1.
func multiplicativeSeries(n, end, h int, hi, lo, amp float64) (y, future []float64) {
	at := func(t int) float64 {
		level := lo
		if t < end {
			level = hi + (lo-hi)*float64(t)/float64(end)
		}
		return level * (1 + amp*math.Sin(2*math.Pi*float64(t)/SeasonalPeriod))
	}
	y = make([]float64, n)
	for t := range y {
		y[t] = at(t) * (1 + 0.02*math.Sin(float64(7*t)))
	}
	for t := n; t < n+h; t++ {
		future = append(future, at(t))
	}
	return y, future
}

func meanAbsError(f, want []float64) float64 {
	var e float64
	for j := range want {
		e += math.Abs(f[j] - want[j])
	}
	return e / float64(len(want))
}

// After the level has halved, an additive season keeps the swing of the years it was learnt from in
// units; SeasonalRatio's indices scale it with the level.
func TestSeasonalRatioScalesTheSeasonWithTheLevel(t *testing.T) {
	n := 3*SeasonalPeriod + 26
	y, future := multiplicativeSeries(n, n, SeasonalPeriod, 200, 100, 0.5)
	ratio := run(SeasonalRatio{}, y, SeasonalPeriod)
	additive := run(Seasonal{}, y, SeasonalPeriod)
	eRatio, eAdd := meanAbsError(ratio.Mean, future), meanAbsError(additive.Mean, future)
	if eRatio > 0.5*eAdd || eRatio > 6 {
		t.Errorf("mean absolute error over a year at level 100 (season ±50): SeasonalRatio %.2f, Seasonal %.2f; "+
			"want SeasonalRatio below half of Seasonal's and below 6", eRatio, eAdd)
	}
	// The peak and the trough keep the season's proportion: about 150 and 50.
	peak, trough := slices.Max(ratio.Mean), slices.Min(ratio.Mean)
	if peak < 135 || peak > 165 || trough < 35 || trough > 65 {
		t.Errorf("SeasonalRatio's year ranges %.1f … %.1f; want about 50 … 150", trough, peak)
	}
}

// Where a ratio to the moving average means nothing (a year of zeros leaves it at 0) or the series is
// too short to decompose, SeasonalRatio is Seasonal.
func TestSeasonalRatioFallsBackToSeasonal(t *testing.T) {
	y, _ := multiplicativeSeries(3*SeasonalPeriod, SeasonalPeriod, 4, 100, 100, 0.3)
	zeros := slices.Clone(y)
	clear(zeros[40 : 40+SeasonalPeriod+2])
	for name, y := range map[string][]float64{"zero moving average": zeros, "short": y[:MinSeasonalWeeks-1]} {
		got, want := run(SeasonalRatio{}, y, 6), run(Seasonal{}, y, 6)
		if !slices.Equal(got.Mean, want.Mean) || !slices.Equal(got.Upper, want.Upper) {
			t.Errorf("%s: SeasonalRatio = %v; want Seasonal's %v", name, got.Mean, want.Mean)
		}
	}
}

// On a brand of such outlets the engine with its default candidates forecasts better than with the
// additive Seasonal in SeasonalRatio's place.
func TestEngineGainsFromTheMultiplicativeSeason(t *testing.T) {
	const outlets, h = 12, 8
	var series [][]float64
	var future [][]float64
	for i := range outlets {
		n := 3*SeasonalPeriod + 2*i
		y, f := multiplicativeSeries(n, n, h, 60+10*float64(i), 30+5*float64(i), 0.5)
		series, future = append(series, y), append(future, f)
	}
	b := Batch{Series: series, Horizon: h, Workers: 1}
	wape := func(cands []Model) float64 {
		out := NewForecasts(outlets, h, false)
		if err := (&Engine{Candidates: cands}).ForecastBatch(context.Background(), b, out); err != nil {
			t.Fatal(err)
		}
		var e, a float64
		for i, f := range out {
			for j, v := range f.Mean {
				e += math.Abs(v - future[i][j])
				a += math.Abs(future[i][j])
			}
		}
		return e / a
	}
	cands := DefaultCandidates()
	additive := slices.Clone(cands)
	additive[slices.IndexFunc(additive, func(m Model) bool { return m.Name() == "seas-ratio" })] = Seasonal{}
	if got, was := wape(cands), wape(additive); got > 0.7*was {
		t.Errorf("engine WAPE %.4f with SeasonalRatio, %.4f with Seasonal in its place; want at least 30%% lower", got, was)
	}
}
