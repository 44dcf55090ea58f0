package forecast

import (
	"errors"
	"math"
	"testing"
	"time"
)

func weeksFrom(from string, n int) []time.Time {
	d, err := time.Parse(time.DateOnly, from)
	if err != nil {
		panic(err)
	}
	out := make([]time.Time, n)
	for i := range out {
		out[i] = d.AddDate(0, 0, 7*i)
	}
	return out
}

func holidayDays(name string, days ...string) []CalendarDay {
	var out []CalendarDay
	for _, s := range days {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			panic(err)
		}
		out = append(out, CalendarDay{Region: "CN", Day: d, Holiday: name})
	}
	return out
}

func TestNewHolidays(t *testing.T) {
	days := append(holidayDays("Spring Festival", "2026-02-17", "2026-02-18", "2026-02-19", "2025-01-29", "2025-01-30"),
		holidayDays("National Day", "2025-10-01", "2025-10-02")...)
	days = append(days, CalendarDay{Day: weeksFrom("2026-02-14", 1)[0], Workday: true}) // a make-up day: no holiday
	h := NewHolidays(days)
	if got := h.Names(); len(got) != 2 || got[0] != "National Day" || got[1] != "Spring Festival" {
		t.Fatalf("Names() = %v; want [National Day Spring Festival]", got)
	}
	if h.Count() != 3 {
		t.Errorf("Count() = %d; want 3 occurrences", h.Count())
	}
	tests := []struct {
		monday string
		k      int
		want   int
		ok     bool
	}{
		{"2026-02-16", 1, 0, true},  // holds 17 February
		{"2026-02-09", 1, 1, true},  // the week before
		{"2026-01-26", 1, 3, true},  // three weeks before
		{"2026-01-19", 1, 0, false}, // four: beyond the leads
		{"2026-02-23", 1, -1, true}, // the week after
		{"2025-01-27", 1, 0, true},  // the 2025 festival
		{"2025-09-29", 0, 0, true},  // National Day
		{"2025-10-13", 0, -2, true}, // two weeks after it
		{"2025-10-20", 0, 0, false}, // beyond the lags
	}
	for _, tt := range tests {
		w := weeksFrom(tt.monday, 1)[0]
		got, ok := h.weeksBefore(tt.k, w, DefaultHolidayLeads, DefaultHolidayLags)
		if got != tt.want || ok != tt.ok {
			t.Errorf("weeksBefore(%s, %s) = %d, %v; want %d, %v", h.names[tt.k], tt.monday, got, ok, tt.want, tt.ok)
		}
	}
}

// A noise-free aggregate with a trend and a festival that moves: the regression recovers it exactly.
func TestRegressionRecoversHolidays(t *testing.T) {
	const n, h = 60, 4
	weeks := weeksFrom("2024-01-01", n+h)
	// The festival falls on a Wednesday in weeks 9 and 36 of the history and in forecast week 2 (62).
	hol := NewHolidays(holidayDays("Fest", "2024-03-06", "2024-09-11", "2025-03-12"))
	inHoliday := map[int]bool{9: true, 36: true, 62: true}
	y := make([]float64, n)
	for t := range y {
		y[t] = 100 + 0.5*float64(t)
		if inHoliday[t] {
			y[t] += 40
		}
		if inHoliday[t+1] {
			y[t] += 20 // the week before
		}
	}
	mean := make([]float64, h)
	r := Regression{Holidays: hol, Leads: 1, Lags: 1}
	if err := r.Forecast(RegressionInput{Y: y, Weeks: weeks}, mean); err != nil {
		t.Fatalf("Forecast: %v", err)
	}
	// Weeks 60 … 63: trend only, the week before the festival, the festival week, the week after.
	want := []float64{130, 130.5 + 20, 131 + 40, 131.5}
	for j := range want {
		if math.Abs(mean[j]-want[j]) > 1e-6 {
			t.Errorf("Forecast week %d = %v; want %v", n+j, mean[j], want[j])
		}
	}

	// Leading zeros (weeks before a brand existed) are not history.
	padded := append(make([]float64, 10), y...)
	weeks10 := weeksFrom("2023-10-23", n+10+h)
	got := make([]float64, h)
	if err := r.Forecast(RegressionInput{Y: padded, Weeks: weeks10}, got); err != nil {
		t.Fatalf("Forecast with leading zeros: %v", err)
	}
	for j := range want {
		if math.Abs(got[j]-want[j]) > 1e-6 {
			t.Errorf("with leading zeros, week %d = %v; want %v", n+j, got[j], want[j])
		}
	}
}

// Two holidays always in the same weeks make one term, not a singular design.
func TestRegressionCollinearHolidays(t *testing.T) {
	const n, h = 60, 2
	weeks := weeksFrom("2024-01-01", n+h)
	days := append(holidayDays("A", "2024-03-06", "2024-09-11", "2025-03-05"),
		holidayDays("B", "2024-03-07", "2024-09-12", "2025-03-06")...)
	y := make([]float64, n)
	for t := range y {
		y[t] = 50
		if t == 9 || t == 36 {
			y[t] = 80
		}
	}
	mean := make([]float64, h)
	if err := (Regression{Holidays: NewHolidays(days)}).Forecast(RegressionInput{Y: y, Weeks: weeks}, mean); err != nil {
		t.Fatalf("Forecast: %v", err)
	}
	if math.Abs(mean[0]-50) > 1e-6 || math.Abs(mean[1]-80) > 1e-6 {
		t.Errorf("Forecast = %v; want [50 80]", mean)
	}
}

// Weeks cut by limits sold less; the forecast weeks take the recent mean share of outlets cut, not 0:
// a forecast of demand no limit cuts would lie above everything the history shows.
func TestRegressionSupplyTerm(t *testing.T) {
	const n, h = 40, 3
	y, share := make([]float64, n), make([]float64, n)
	for t := range y {
		share[t] = float64(t%5) / 10 // 0 … 0.4 of the outlets cut
		y[t] = 200 * (1 - 0.5*share[t])
	}
	mean := make([]float64, h)
	err := (Regression{}).Forecast(RegressionInput{Y: y, Weeks: weeksFrom("2025-01-06", n+h), Censored: share}, mean)
	if err != nil {
		t.Fatalf("Forecast: %v", err)
	}
	var recent float64
	for _, v := range share[n-supplyWeeks:] {
		recent += v / supplyWeeks
	}
	want := 200 * (1 - 0.5*recent)
	for j, v := range mean {
		if math.Abs(v-want) > 1e-6 {
			t.Errorf("Forecast week %d = %v; want %v", j, v, want)
		}
	}
}

// With a holiday in the weeks, the annual cycle is left to Fourier terms: the value a year earlier
// holds a moving festival in the wrong week.
func TestRegressionNoLagWithHolidays(t *testing.T) {
	const n, h = 120, 8
	weeks := weeksFrom("2023-01-02", n+h)
	y := make([]float64, n)
	for t := range y {
		y[t] = 100 + float64(t%7)
	}
	for _, tt := range []struct {
		name      string
		days      []CalendarDay
		wantFirst int
	}{
		{"no holiday", nil, SeasonalPeriod},
		{"spring festival", []CalendarDay{{Day: day("2024-02-10"), Holiday: "Spring Festival"}}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, first := Regression{Holidays: NewHolidays(tt.days)}.design(y, weeks, nil)
			if first != tt.wantFirst {
				t.Errorf("design first fitted week = %d; want %d", first, tt.wantFirst)
			}
		})
	}
}

// The value a year earlier carries a pattern the calendar does not name.
func TestRegressionAnnualLag(t *testing.T) {
	const n, h = 120, 4
	y := make([]float64, n+h)
	for t := range y {
		y[t] = 100 + 30*math.Sin(2*math.Pi*float64(t)/52) + float64(t%52%7) // an irregular yearly shape
	}
	mean := make([]float64, h)
	if err := (Regression{}).Forecast(RegressionInput{Y: y[:n], Weeks: weeksFrom("2023-01-02", n+h)}, mean); err != nil {
		t.Fatalf("Forecast: %v", err)
	}
	for j := range mean {
		if math.Abs(mean[j]-y[n+j]) > 1e-6 {
			t.Errorf("Forecast week %d = %v; want %v", n+j, mean[j], y[n+j])
		}
	}
}

func TestRegressionErrors(t *testing.T) {
	mean := make([]float64, 4)
	long := make([]float64, 40)
	for t := range long {
		long[t] = float64(t + 1)
	}
	tests := []struct {
		name string
		in   RegressionInput
	}{
		{"short", RegressionInput{Y: long[:MinRegressionWeeks-1], Weeks: weeksFrom("2025-01-06", 40)}},
		{"zeros then short", RegressionInput{Y: append(make([]float64, 30), long[:10]...), Weeks: weeksFrom("2025-01-06", 44)}},
		{"too few dates", RegressionInput{Y: long, Weeks: weeksFrom("2025-01-06", 42)}},
	}
	for _, tt := range tests {
		if err := (Regression{}).Forecast(tt.in, mean); !errors.Is(err, ErrRegression) {
			t.Errorf("%s: Forecast = %v; want %v", tt.name, err, ErrRegression)
		}
	}
}
