package clickhouse

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
)

// WeekFigures on hand-made rows: the run's total and brand forecasts with intervals beside each
// week's sales (whole weeks, days of the week summed on their Monday), requests or true demand; a
// week the run did not forecast, another run's rows and another dataset's are left out.
func TestWeekFigures(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	batch := func(insert string, rows ...[]any) {
		t.Helper()
		b, err := conn.PrepareBatch(ctx, insert)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if err := b.Append(r...); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Send(); err != nil {
			t.Fatal(err)
		}
	}
	batch("INSERT INTO forecasts (run_id, dataset, as_of, level, outlet, brand, week, model, point, lo80, hi80)",
		[]any{"r1", "live", d("2026-09-28"), "total", "", "", d("2026-09-28"), "m", 100.0, 80.0, 120.0},
		[]any{"r1", "live", d("2026-09-28"), "total", "", "", d("2026-10-05"), "m", 110.0, 90.0, 130.0},
		[]any{"r1", "live", d("2026-09-28"), "brand", "", "B1", d("2026-09-28"), "m", 30.0, 20.0, 40.0},
		[]any{"r1", "live", d("2026-09-28"), "outlet", "O1", "B1", d("2026-09-28"), "m", 30.0, 20.0, 40.0},
		[]any{"r0", "live", d("2026-09-21"), "total", "", "", d("2026-10-12"), "m", 999.0, 999.0, 999.0})
	batch("INSERT INTO sales (dataset, day, outlet, brand, requested, granted, delivered, source, batch_id)",
		[]any{"live", d("2026-09-29"), "O1", "B1", 12.0, 10.0, 10.0, "s", "b"},
		[]any{"live", d("2026-10-04"), "O2", "B2", 60.0, 60.0, 60.0, "s", "b"},
		[]any{"live", d("2026-10-06"), "O1", "B1", 5.0, 5.0, 5.0, "s", "b"},
		[]any{"other", d("2026-09-29"), "O1", "B1", 500.0, 500.0, 500.0, "s", "b"})
	batch("INSERT INTO true_demand (dataset, week, outlet, brand, demand)", []any{"live", d("2026-09-28"), "O1", "B1", 14.0})
	now := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	kept := New(conn).KeepWeeks(time.Minute, func() time.Time { return now })
	from, to := d("2026-09-28"), d("2026-10-19")
	w1, w2, w3 := d("2026-09-28"), d("2026-10-05"), d("2026-10-12")
	for _, tt := range []struct {
		name string
		q    forecast.WeeklyQuery
		want []forecast.WeekFigure
	}{
		{"company against sales", forecast.WeeklyQuery{RunID: "r1", From: from, To: to}, []forecast.WeekFigure{
			{Week: w1, Forecasted: true, Forecast: 100, Lo80: 80, Hi80: 120, Actual: 70},
			{Week: w2, Forecasted: true, Forecast: 110, Lo80: 90, Hi80: 130, Actual: 5},
			{Week: w3}}},
		{"brand against requests", forecast.WeeklyQuery{RunID: "r1", Brand: "B1", Against: forecast.AgainstRequested, From: from, To: to},
			[]forecast.WeekFigure{{Week: w1, Forecasted: true, Forecast: 30, Lo80: 20, Hi80: 40, Actual: 12}, {Week: w2, Actual: 5}, {Week: w3}}},
		{"brand against the truth", forecast.WeeklyQuery{RunID: "r1", Brand: "B1", Against: forecast.AgainstTruth, From: from, To: to},
			[]forecast.WeekFigure{{Week: w1, Forecasted: true, Forecast: 30, Lo80: 20, Hi80: 40, Actual: 14}, {Week: w2}, {Week: w3}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range []*Store{s, kept} {
				for range 2 { // the second from the kept weeks
					got, err := s.WeekFigures(ctx, tt.q)
					if err != nil || !reflect.DeepEqual(got, tt.want) {
						t.Errorf("WeekFigures(%+v) = %+v, %v; want %+v", tt.q, got, err, tt.want)
					}
				}
			}
		})
	}
	if _, err := s.WeekFigures(ctx, forecast.WeeklyQuery{RunID: "r1", Brand: "NOPE", From: from, To: to}); !errors.Is(err, forecast.ErrNoFigures) {
		t.Errorf("WeekFigures of an unknown brand = %v; want %v", err, forecast.ErrNoFigures)
	}

	// A line written into a kept week shows once the week is older than a minute.
	batch("INSERT INTO sales (dataset, day, outlet, brand, requested, granted, delivered, source, batch_id)",
		[]any{"live", d("2026-10-13"), "O2", "B2", 8.0, 8.0, 8.0, "s", "late"})
	company := forecast.WeeklyQuery{RunID: "r1", From: from, To: to}
	actual := func(s *Store) float64 {
		t.Helper()
		got, err := s.WeekFigures(ctx, company)
		if err != nil {
			t.Fatal(err)
		}
		return got[2].Actual
	}
	if got := actual(kept); got != 0 {
		t.Errorf("kept week of %s within the minute = %v; want 0 as kept", w3.Format(time.DateOnly), got)
	}
	if got := actual(s); got != 8 {
		t.Errorf("week of %s without keeping = %v; want 8", w3.Format(time.DateOnly), got)
	}
	now = now.Add(2 * time.Minute)
	if got := actual(kept); got != 8 {
		t.Errorf("kept week of %s after the minute = %v; want 8", w3.Format(time.DateOnly), got)
	}

	// Weeks warmed ahead: the company's and a brand's figures that follow read nothing, and show a
	// line written before the warming.
	warm := New(conn).KeepWeeks(time.Minute, func() time.Time { return now })
	batch("INSERT INTO sales (dataset, day, outlet, brand, requested, granted, delivered, source, batch_id)",
		[]any{"live", d("2026-10-14"), "O2", "B2", 3.0, 3.0, 3.0, "s", "later"})
	if err := warm.WarmWeeks(ctx, forecast.LiveDataset, forecast.AgainstSales, from, to); err != nil {
		t.Fatal(err)
	}
	if got := actual(warm); got != 11 {
		t.Errorf("warmed week of %s = %v; want 11", w3.Format(time.DateOnly), got)
	}
	if _, err := warm.WeekFigures(ctx, forecast.WeeklyQuery{RunID: "r1", Brand: "B2", From: from, To: to}); err != nil {
		t.Fatal(err)
	}
	if req, warmed := warm.WeekComputations(); req != 0 || warmed != 1 {
		t.Errorf("WeekComputations = %d for readers, %d warmed; want 0 and 1", req, warmed)
	}
	if req, _ := kept.WeekComputations(); req == 0 {
		t.Error("WeekComputations of the store read cold = 0 for readers; want its reads counted")
	}
}
