package forecast

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestMonthFinished(t *testing.T) {
	tests := []struct {
		name          string
		month, now    string
		lastDay       string // "" for zero: not checked
		wantErr       bool
		wantInMessage string
	}{
		{"long past", "2026-10-01", "2026-12-03T01:00:00Z", "2026-11-22", false, ""},
		{"ends today", "2026-11-15", "2026-11-30T23:00:00Z", "", false, ""},
		{"this month", "2026-12-01", "2026-12-03T01:00:00Z", "", true, "2026-12 ends on 2026-12-31, after today (2026-12-03)"},
		{"next month", "2027-01-20", "2026-12-03T01:00:00Z", "", true, "2027-01 ends on 2027-01-31"},
		{"after the history", "2026-11-01", "2026-12-03T01:00:00Z", "2026-11-22", true,
			"2026-11 ends on 2026-11-30, after the last day of history (2026-11-22)"},
		{"history ends on the last day", "2026-11-01", "2026-12-03T01:00:00Z", "2026-11-30", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now, err := time.Parse(time.RFC3339, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			var last time.Time
			if tt.lastDay != "" {
				last = day(tt.lastDay)
			}
			err = MonthFinished(day(tt.month), now, last)
			if tt.wantErr != (err != nil) || (err != nil && (!errors.Is(err, ErrUnfinishedMonth) ||
				!strings.Contains(err.Error(), tt.wantInMessage))) {
				t.Errorf("MonthFinished(%s, %s, %q) = %v; want error %v saying %q", tt.month, tt.now, tt.lastDay, err,
					tt.wantErr, tt.wantInMessage)
			}
		})
	}
}

// A scorer refuses an unfinished month before it reads anything.
func TestScorerRefusesUnfinishedMonth(t *testing.T) {
	s := Scorer{} // no source: reading would panic
	_, err := s.Score(context.Background(), ScoreRequest{Month: day("2026-12-01"), Dataset: LiveDataset,
		Against: AgainstRequested, Now: day("2026-12-03")})
	if !errors.Is(err, ErrUnfinishedMonth) {
		t.Errorf("Score(December on 3 December) = %v; want %v", err, ErrUnfinishedMonth)
	}
	_, err = s.Score(context.Background(), ScoreRequest{Month: day("2026-10-01"), Against: "hope", Now: day("2026-12-03")})
	if !errors.Is(err, ErrInvalidScore) {
		t.Errorf("Score(against hope) = %v; want %v", err, ErrInvalidScore)
	}
}

func TestScoreMonth(t *testing.T) {
	items := []ScoreItem{
		{Outlet: "O1", Brand: "B1", Actual: 10, Forecast: 8},
		{Outlet: "O1", Brand: "B2", Actual: 0, Forecast: 2}, // forecast, not sold
		{Outlet: "O2", Brand: "B1", Actual: 5, Forecast: 5},
		{Outlet: "O2", Brand: "B2", Actual: 12, Forecast: 0}, // the actual and the forecast of one item,
		{Outlet: "O2", Brand: "B2", Actual: 8, Forecast: 30}, // given apart: summed first
		{Outlet: "O3", Brand: "B1", Actual: 0, Forecast: 0},
		{Outlet: "O4", Brand: "B3", Actual: 0, Forecast: 3}, // an outlet without master data
	}
	outlets := map[string]OutletInfo{
		"O1": {Outlet: "O1", Manager: "M1", Area: "A1"},
		"O2": {Outlet: "O2", Manager: "M1", Area: "A2"},
		"O3": {Outlet: "O3", Manager: "M2", Area: "A2"},
	}
	nan := math.NaN()
	want := []Score{
		{ScoreOutlet, "O1", 10, 10, 4, 1, 0.4, 0},
		{ScoreOutlet, "O2", 25, 35, 10, 1 - 10.0/25, 10.0 / 25, 10.0 / 25},
		{ScoreOutlet, "O3", 0, 0, 0, 1, nan, nan},
		{ScoreOutlet, "O4", 0, 3, 3, 0, nan, nan},
		{ScoreBrand, "B1", 15, 13, 2, 1 - 2.0/15, 2.0 / 15, -2.0 / 15},
		{ScoreBrand, "B2", 20, 32, 12, 1 - 12.0/20, 12.0 / 20, 12.0 / 20},
		{ScoreBrand, "B3", 0, 3, 3, 0, nan, nan},
		{ScoreManager, "", 0, 3, 3, 0, nan, nan},
		{ScoreManager, "M1", 35, 45, 14, 1 - 10.0/35, 14.0 / 35, 10.0 / 35},
		{ScoreManager, "M2", 0, 0, 0, 1, nan, nan},
		{ScoreArea, "", 0, 3, 3, 0, nan, nan},
		{ScoreArea, "A1", 10, 10, 4, 1, 0.4, 0},
		{ScoreArea, "A2", 25, 35, 10, 0.6, 0.4, 0.4},
		{ScoreCompany, "", 35, 48, 17, 1 - 13.0/35, 17.0 / 35, 13.0 / 35},
	}
	got := ScoreMonth(items, outlets)
	if len(got) != len(want) {
		t.Fatalf("ScoreMonth gave %d scores; want %d: %+v", len(got), len(want), got)
	}
	same := func(a, b float64) bool { return (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) < 1e-12 }
	for i, w := range want {
		g := got[i]
		if g.Level != w.Level || g.Key != w.Key || !same(g.Actual, w.Actual) || !same(g.Forecast, w.Forecast) ||
			!same(g.AbsError, w.AbsError) || !same(g.Accuracy, w.Accuracy) || !same(g.WAPE, w.WAPE) || !same(g.Bias, w.Bias) {
			t.Errorf("score %d = %+v; want %+v", i, g, w)
		}
	}
	// The company's set accuracy over its items: 1 − 17/35; a set without actuals: 1 if nothing was
	// forecast, else 0.
	for _, tt := range []struct {
		s    Score
		want float64
	}{{got[13], 18.0 / 35}, {got[2], 1}, {got[3], 0}, {got[1], 0.6}} {
		if g := tt.s.ItemAccuracy(); !same(g, tt.want) {
			t.Errorf("%s %s ItemAccuracy() = %v; want %v", tt.s.Level, tt.s.Key, g, tt.want)
		}
	}
}

func TestRunInfoCovers(t *testing.T) {
	october := date("2026-10-01")
	tests := []struct {
		asOf    string
		horizon int
		want    bool
	}{
		{"2026-09-28", 5, true},  // 28 September … 1 November
		{"2026-09-28", 4, false}, // ends on 25 October
		{"2026-09-21", 6, true},  // … 1 November
		{"2026-09-21", 5, false}, // … 25 October
		{"2026-10-05", 8, false}, // after the month began
		{"2026-08-03", 20, true},
	}
	for _, tt := range tests {
		r := RunInfo{AsOf: date(tt.asOf), Horizon: tt.horizon}
		if got := r.Covers(october); got != tt.want {
			t.Errorf("run as of %s for %d weeks covers October: %v; want %v", tt.asOf, tt.horizon, got, tt.want)
		}
	}
}

func TestParseScoreLevel(t *testing.T) {
	for _, l := range ScoreLevels {
		if got, err := ParseScoreLevel(string(l)); got != l || err != nil {
			t.Errorf("ParseScoreLevel(%q) = %q, %v", l, got, err)
		}
	}
	if _, err := ParseScoreLevel("route"); err == nil {
		t.Error("ParseScoreLevel(route): no error")
	}
}
