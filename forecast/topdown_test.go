package forecast

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// festivalPanel returns 2 brands × 10 outlets over n weeks: brand 0 sells 10 a week at each outlet and
// 15 in the weeks of a festival that moves (weeks 20, 45, 70, and 81 ahead); brand 1 sells noise
// around 5. It returns the series, their brands, the week dates and the holidays.
func festivalPanel(n int) ([][]float64, []int, []time.Time, []CalendarDay) {
	weeks := weeksFrom("2024-01-01", n+8)
	festival := map[int]bool{20: true, 45: true, 70: true, 81: true}
	var days []CalendarDay
	for w := range festival {
		days = append(days, CalendarDay{Region: "CN", Day: weeks[0].AddDate(0, 0, 7*w+2), Holiday: "Festival"})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var series [][]float64
	var brandOf []int
	for o := range 10 {
		a, b := make([]float64, n), make([]float64, n)
		for t := range n {
			a[t] = 10
			if festival[t] {
				a[t] = 15
			}
			b[t] = max(0, 5+2*rng.NormFloat64()+float64(o%3))
		}
		series = append(series, a, b)
		brandOf = append(brandOf, 0, 1)
	}
	return series, brandOf, weeks, days
}

func TestTopDownRegressesWhatTheOutletsMiss(t *testing.T) {
	const n, h = 80, 4
	series, brandOf, weeks, days := festivalPanel(n)
	td := &TopDown{Weeks: weeks[:n], Regression: Regression{Holidays: NewHolidays(days)}, NoTotal: true}
	b := Batch{Series: series, Groups: brandOf, Horizon: h}
	out := NewForecasts(len(series), h, true)
	plan, err := td.Plan(context.Background(), b, out)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	// The window from origin 68 holds the festival of week 70: the outlets' own models miss it.
	if plan.Groups[0] != Regressed {
		t.Errorf("brand 0: %v (errors %v); want regression", plan.Groups[0], plan.Errors[0])
	}
	if plan.Errors[0][BottomUp] < 40 || plan.Errors[0][Regressed] > 1e-6 {
		t.Errorf("brand 0 validation errors %v; want bottom-up ≥ 40 (the missed lift of 50, less what SES learnt), regression 0", plan.Errors[0])
	}
	rec, err := Reconcile(out, brandOf, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{100, 150, 100, 100} // weeks 80 … 83; the festival in week 81
	for j, w := range want {
		if got := rec.Brands[0].Mean[j]; math.Abs(got-w) > 1e-6 {
			t.Errorf("brand 0 week %d = %v; want %v", n+j, got, w)
		}
		for i := 0; i < len(out); i += 2 { // equal outlets get equal shares
			if got := out[i].Mean[j]; math.Abs(got-w/10) > 1e-6 || out[i].Lower[j] > got || out[i].Upper[j] < got {
				t.Errorf("outlet %d week %d = %v [%v, %v]; want %v inside its interval", i/2, n+j, got,
					out[i].Lower[j], out[i].Upper[j], w/10)
			}
		}
	}
	if plan.Total != BottomUp || plan.Scale != nil {
		t.Errorf("NoTotal: total %v, scale %v; want bottom-up, none", plan.Total, plan.Scale)
	}
}

// Whatever it chooses, the outlets stay non-negative and add up to the chosen brand forecasts, and the
// result does not depend on the number of workers.
func TestTopDownInvariants(t *testing.T) {
	const n, h = 80, 4
	series, brandOf, weeks, days := festivalPanel(n)
	var prev []Forecast
	for _, workers := range []int{1, 3} {
		td := &TopDown{Weeks: weeks[:n], Regression: Regression{Holidays: NewHolidays(days)}}
		out := NewForecasts(len(series), h, true)
		plan, err := td.Plan(context.Background(), Batch{Series: series, Groups: brandOf, Horizon: h, Workers: workers}, out)
		if err != nil {
			t.Fatalf("Plan: %v", err)
		}
		for i, f := range out {
			for j := range f.Mean {
				if !(f.Mean[j] >= 0 && f.Lower[j] >= 0 && f.Lower[j] <= f.Mean[j]+1e-9 && f.Upper[j] >= f.Mean[j]-1e-9) {
					t.Fatalf("series %d week %d: %v [%v, %v]; want 0 ≤ lo ≤ point ≤ hi", i, j, f.Mean[j], f.Lower[j], f.Upper[j])
				}
			}
		}
		if plan.Total != BottomUp {
			rec, _ := Reconcile(out, brandOf, 2)
			for j, k := range plan.Scale {
				if k <= 0 || math.IsNaN(rec.Total.Mean[j]) {
					t.Errorf("week %d: scale %v, total %v", j, k, rec.Total.Mean[j])
				}
			}
		}
		if prev != nil {
			for i := range out {
				for j := range out[i].Mean {
					if out[i].Mean[j] != prev[i].Mean[j] {
						t.Fatalf("series %d week %d: %v with 3 workers, %v with 1", i, j, out[i].Mean[j], prev[i].Mean[j])
					}
				}
			}
		}
		prev = out
	}
}

// A group too short to regress stays bottom-up, and so does everything when no window fits.
func TestTopDownShortHistory(t *testing.T) {
	const n, h = 20, 4
	series, brandOf, weeks, _ := festivalPanel(n)
	for i := range series {
		series[i] = series[i][:n]
	}
	out := NewForecasts(len(series), h, false)
	want := NewForecasts(len(series), h, false)
	b := Batch{Series: series, Groups: brandOf, Horizon: h}
	plan, err := (&TopDown{Weeks: weeks[:n]}).Plan(context.Background(), b, out)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if err := NewEngine().ForecastBatch(context.Background(), b, want); err != nil {
		t.Fatal(err)
	}
	for g, m := range plan.Groups {
		if m != BottomUp {
			t.Errorf("group %d: %v; want bottom-up", g, m)
		}
	}
	for i := range out {
		for j := range out[i].Mean {
			if out[i].Mean[j] != want[i].Mean[j] {
				t.Fatalf("series %d week %d = %v; want the engine's %v", i, j, out[i].Mean[j], want[i].Mean[j])
			}
		}
	}
}

func TestTopDownInvalid(t *testing.T) {
	b := Batch{Series: [][]float64{{1, 2, 3}, {1, 2}}, Horizon: 2}
	if _, err := (&TopDown{Weeks: weeksFrom("2025-01-06", 3)}).Plan(context.Background(), b, NewForecasts(2, 2, false)); err == nil {
		t.Error("Plan of series of different lengths: no error")
	}
	b = Batch{Series: [][]float64{{1, 2, 3}}, Horizon: 2}
	if _, err := (&TopDown{}).Plan(context.Background(), b, NewForecasts(1, 2, false)); err == nil {
		t.Error("Plan without week dates: no error")
	}
}
