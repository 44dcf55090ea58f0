package main

import (
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/ordering"
)

// The weekly forecast due at the default slot, Monday 02:00 in Shanghai, forecasts from that Monday:
// the week that has just ended there (still Sunday's in UTC) is history, not the first forecast week.
func TestForecastJobForecastsFromTheRegionsWeek(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC) // Monday 30 November, 02:00 in Shanghai
	req := forecastJob{loc: shanghai}.request(due)
	if got := forecast.Monday(req.Now); !got.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("the forecast due at %s forecasts from the week of %s at the latest; want 2026-11-30",
			due.Format(time.RFC3339), got.Format(time.DateOnly))
	}
	if !req.Now.Equal(due) {
		t.Errorf("the forecast due at %s starts at %s; want the same instant", due, req.Now)
	}
	if req.Horizon != ordering.DefaultBalanceWeeks {
		t.Errorf("the weekly forecast covers %d weeks; want the balance's %d, so that no week planned for takes a run rate",
			req.Horizon, ordering.DefaultBalanceWeeks)
	}
}
