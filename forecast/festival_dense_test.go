package forecast

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// denseBatch is a dataset's history under a dense calendar, as M5's: 24 holidays a year, one every
// two weeks or so (every week is in some holiday's window), of which only Feast, whose date moves by
// weeks from year to year, moves demand: ×(1 + lift) in the weeks around it.
func denseBatch(lift map[int]float64) (Batch, Holidays, time.Time) {
	var days []CalendarDay
	feasts := []string{"2022-04-20", "2023-03-15", "2024-04-10", "2025-03-26"}
	for _, d := range feasts {
		day, _ := time.Parse(time.DateOnly, d)
		days = append(days, CalendarDay{Dataset: "shop", Day: day, Holiday: "Feast"})
	}
	for year := 2022; year <= 2025; year++ {
		for k := range 24 {
			day := time.Date(year, 1, 3+15*k, 0, 0, 0, 0, time.UTC)
			days = append(days, CalendarDay{Dataset: "shop", Day: day, Holiday: "Quiet " + string(rune('A'+k))})
		}
	}
	hol := NewHolidays(days)
	feast := 0 // index of Feast among the sorted names
	first := time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC)
	const n = 166 // up to 2025-03-10, two weeks before the 2025 feast's week
	rng := rand.New(rand.NewPCG(3, 4))
	var b Batch
	for g := range 6 {
		for range 10 {
			y := make([]float64, n+8)
			for t := range y {
				f := 1.0
				if w, ok := hol.weeksBefore(feast, first.AddDate(0, 0, 7*t), FestivalLeads, FestivalLags); ok {
					f += lift[w]
				}
				y[t] = 20 * f * math.Exp(0.1*rng.NormFloat64())
			}
			b.Series = append(b.Series, y)
			b.Groups = append(b.Groups, g)
		}
	}
	b.Horizon = 4
	b.Origin = first.AddDate(0, 0, 7*n)
	return b, hol, first
}

// TestFestivalDenseCalendar checks that a holiday is learnt under a calendar so dense that no week is
// outside every holiday's window, that the profiles are kept, and that the forecast of the feast's
// weeks follows them.
func TestFestivalDenseCalendar(t *testing.T) {
	lift := map[int]float64{1: 0.5, 0: 2}
	full, hol, _ := denseBatch(lift)
	if hol.Names()[0] != "Feast" {
		t.Fatalf("holiday 0 = %q; want Feast", hol.Names()[0])
	}
	// The history before the origin; the 4 weeks after it (the feast's week is the third) are scored.
	n := len(full.Series[0]) - 8
	b := Batch{Horizon: 4, Origin: full.Origin, Groups: full.Groups}
	for _, y := range full.Series {
		b.Series = append(b.Series, y[:n])
	}
	e := &Engine{Holidays: hol}
	choices, err := e.Choose(context.Background(), b)
	if err != nil {
		t.Fatalf("Choose: %v", err)
	}
	for g, ch := range choices {
		if ch.Festival == nil {
			t.Fatalf("group %d: no festival profile; want Feast's learnt", g)
		}
		if f := ch.Festival[0][FestivalLeads]; math.Abs(f-3) > 0.45 {
			t.Errorf("group %d: Feast's factor of its own week = %.3f; want 3 ± 0.45", g, f)
		}
	}
	wape := func(e *Engine) float64 {
		out := NewForecasts(len(b.Series), b.Horizon, false)
		if err := e.ForecastBatch(context.Background(), b, out); err != nil {
			t.Fatalf("ForecastBatch: %v", err)
		}
		var abs, sum float64
		for i, y := range full.Series {
			for j := range b.Horizon {
				abs += math.Abs(y[n+j] - out[i].Mean[j])
				sum += y[n+j]
			}
		}
		return abs / sum
	}
	with, without := wape(e), wape(NewEngine())
	if !(with < 0.5*without) {
		t.Errorf("WAPE of the feast's weeks: %.4f with the calendar, %.4f without; want it at most half", with, without)
	}
}
