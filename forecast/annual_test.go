package forecast

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// seasonOf is the relative demand of the week starting on monday under a cycle of the given amplitude
// peaking in mid-July, the seeded region's shape.
func seasonOf(monday time.Time, amplitude float64) float64 {
	doy := float64(monday.AddDate(0, 0, 3).YearDay())
	return 1 + amplitude*math.Cos(2*math.Pi*(doy-196)/365.25)
}

func TestLearnAnnualFindsTheYearsSwing(t *testing.T) {
	first := time.Date(2024, 11, 25, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(7, 8))
	total := func(n int, amplitude float64) []float64 {
		y := make([]float64, n)
		for w := range y {
			monday := first.AddDate(0, 0, 7*w)
			trend := math.Exp(-0.04 * float64(w) / SeasonalPeriod)
			y[w] = 10000 * trend * seasonOf(monday, amplitude) * math.Exp(0.02*rng.NormFloat64())
		}
		return y
	}
	never := func(int) bool { return false }

	a := learnAnnual(total(100, 0.05), first, never)
	// The cycle's factors from mid-July to mid-January, against the truth.
	for _, day := range []time.Time{time.Date(2026, 7, 13, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 12, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 11, 0, 0, 0, 0, time.UTC)} {
		got, want := a.factor(day)/a.factor(time.Date(2026, 4, 13, 0, 0, 0, 0, time.UTC)), seasonOf(day, 0.05)/seasonOf(time.Date(2026, 4, 13, 0, 0, 0, 0, time.UTC), 0.05)
		if math.Abs(got-want) > 0.01 {
			t.Errorf("%s relative to mid-April: factor %.4f, want %.4f ± 0.01", day.Format(time.DateOnly), got, want)
		}
	}
	// The truth peaks on day 196 (mid-July) at +5% (its log swing is ±4.9%).
	if day, swing := a.Peak(); day < 189 || day > 203 || math.Abs(swing-0.05) > 0.01 {
		t.Errorf("peak on day %d at %+.1f%%, want day 196 ± 7 at +5.0%% ± 1", day, 100*swing)
	}
	if a := learnAnnual(total(100, 0), first, never); a != (AnnualCycle{}) {
		t.Errorf("a total without a season: cycle %+v, want none", a)
	}
	if a := learnAnnual(total(annualMinWeeks-1, 0.05), first, never); a != (AnnualCycle{}) {
		t.Errorf("%d weeks: cycle %+v, want none (too short to tell from the trend)", annualMinWeeks-1, a)
	}
	if a := learnAnnual(total(annualMaxWeeks+1, 0.05), first, never); a != (AnnualCycle{}) {
		t.Errorf("%d weeks: cycle %+v, want none (the seasonal candidates' own)", annualMaxWeeks+1, a)
	}
	// A spike the calendar skips does not move the cycle.
	y := total(100, 0.05)
	for w := 40; w < 44; w++ {
		y[w] *= 3
	}
	skipped := learnAnnual(y, first, func(w int) bool { return w >= 40 && w < 44 })
	if d := math.Abs(skipped.Cos - a.Cos); d > 0.01 {
		t.Errorf("a skipped spike moved the cycle's cosine by %.3f", d)
	}
}

// TestEngineFollowsTheYearsSwing forecasts small outlets whose demand shares a ±10% cycle through
// the year, from the history a new distributor has (96 weeks), at an autumn origin: models of each
// outlet's level alone would carry the summer forward, several percent above the late autumn.
func TestEngineFollowsTheYearsSwing(t *testing.T) {
	origin := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	const n, outlets, h = 96, 300, 4
	first := origin.AddDate(0, 0, -7*n)
	rng := rand.New(rand.NewPCG(9, 10))
	b := Batch{Horizon: h, Origin: origin, Groups: make([]int, outlets)}
	var want float64 // Σ expected demand over the weeks forecast
	for i := range outlets {
		b.Groups[i] = i % 5
		mean := 0.5 + 3*rng.Float64()
		y := make([]float64, n)
		for w := range y {
			y[w] = float64(poissonDraw(rng, mean*seasonOf(first.AddDate(0, 0, 7*w), 0.10)))
		}
		b.Series = append(b.Series, y)
		for j := range h {
			want += mean * seasonOf(origin.AddDate(0, 0, 7*j), 0.10)
		}
	}
	day, _ := time.Parse(time.DateOnly, "2026-05-01")
	eng := &Engine{Holidays: NewHolidays([]CalendarDay{{Region: "CN", Day: day, Holiday: "Labour Day"}, {Region: "CN", Day: day.AddDate(-1, 0, 0), Holiday: "Labour Day"}})}
	out := make([]Forecast, outlets)
	for i := range out {
		out[i] = Forecast{Mean: make([]float64, h)}
	}
	if err := eng.ForecastBatch(context.Background(), b, out); err != nil {
		t.Fatal(err)
	}
	var got float64
	for _, f := range out {
		for _, v := range f.Mean {
			got += v
		}
	}
	// The last 13 weeks' mean season over the next 4 weeks': what a level alone is off by.
	var last, next float64
	for w := n - 13; w < n; w++ {
		last += seasonOf(first.AddDate(0, 0, 7*w), 0.10) / 13
	}
	for j := range h {
		next += seasonOf(origin.AddDate(0, 0, 7*j), 0.10) / h
	}
	t.Logf("forecast / expected demand %.3f (a level of the last 13 weeks: %.3f)", got/want, last/next)
	if bias := got/want - 1; math.Abs(bias) > 0.03 {
		t.Errorf("forecast bias %+.1f%% over the 4 weeks after an autumn origin; want within ±3%%", 100*bias)
	}
}
