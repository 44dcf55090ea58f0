package clickhouse

import (
	"context"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
)

// An outlet's weeks on hand-made rows: its sales summed per Monday week, the latest run's forecast
// with its interval, the scans' last stock count per brand and sell-out; other outlets, older runs and
// weeks outside the range left out; weeks with nothing say nil, not 0.
func TestOutletWeeks(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	insertSales(t, conn, forecast.LiveDataset, []forecast.Sale{
		line("2026-11-03", "O1", "B1", 5, 3, true), // week of 11-02
		line("2026-11-05", "O1", "B2", 2, 2, false),
		line("2026-11-10", "O1", "B1", 4, 4, false), // week of 11-09
		line("2026-11-10", "O2", "B1", 9, 9, false), // another outlet
		line("2026-10-27", "O1", "B1", 7, 7, false), // before the range
	})
	insertSales(t, conn, "m5", []forecast.Sale{line("2026-11-03", "O1", "B1", 50, 50, false)}) // another dataset

	runs := []struct {
		id, asOf string
	}{{"old", "2026-11-01"}, {"new", "2026-11-08"}}
	for _, r := range runs {
		if err := stores.InsertColumns(ctx, conn, "INSERT INTO forecast_runs (run_id, dataset, as_of, horizon, series, models, started_at, finished_at)",
			[]string{r.id}, []string{forecast.LiveDataset}, []time.Time{day(r.asOf)}, []uint16{4}, []uint64{2}, []string{"ets"},
			[]time.Time{day(r.asOf)}, []time.Time{day(r.asOf)}); err != nil {
			t.Fatal(err)
		}
	}
	type frow struct {
		run, outlet, brand, week string
		point, lo, hi            float64
	}
	var c struct {
		run, dataset, level, outlet, brand, model []string
		asOf, week                                []time.Time
		point, lo, hi                             []float64
	}
	for _, f := range []frow{
		{"new", "O1", "B1", "2026-11-09", 4, 2, 6},
		{"new", "O1", "B2", "2026-11-09", 1, 0.5, 2},
		{"new", "O1", "B1", "2026-11-16", 5, 3, 8},
		{"new", "O2", "B1", "2026-11-16", 50, 30, 80},
		{"old", "O1", "B1", "2026-11-02", 99, 98, 100},
	} {
		c.run, c.dataset, c.level, c.outlet = append(c.run, f.run), append(c.dataset, forecast.LiveDataset), append(c.level, "outlet"), append(c.outlet, f.outlet)
		c.brand, c.model, c.asOf, c.week = append(c.brand, f.brand), append(c.model, "ets"), append(c.asOf, day("2026-11-08")), append(c.week, day(f.week))
		c.point, c.lo, c.hi = append(c.point, f.point), append(c.lo, f.lo), append(c.hi, f.hi)
	}
	if err := stores.InsertColumns(ctx, conn, "INSERT INTO forecasts (run_id, dataset, as_of, level, outlet, brand, week, model, point, lo80, hi80)",
		c.run, c.dataset, c.asOf, c.level, c.outlet, c.brand, c.week, c.model, c.point, c.lo, c.hi); err != nil {
		t.Fatal(err)
	}
	at := func(v string) time.Time {
		d, err := time.Parse(time.DateTime, v)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	type scan struct {
		outlet, brand, kind, at string
		qty                     float64
	}
	var sc struct {
		outlet, brand, kind, batch []string
		scanned, days              []time.Time
		qty                        []float64
		rowNo                      []uint32
	}
	for i, r := range []scan{
		{"O1", "B1", "stock", "2026-11-03 20:00:00", 90}, // week of 11-02: B1's last count is 40
		{"O1", "B1", "stock", "2026-11-06 20:00:00", 40},
		{"O1", "B2", "stock", "2026-11-04 20:00:00", 20},
		{"O1", "B1", "sellout", "2026-11-04 20:00:00", 30},
		{"O1", "B1", "sellout", "2026-11-11 20:00:00", 10}, // week of 11-09: sold, never counted
		{"O2", "B1", "stock", "2026-11-17 20:00:00", 500},
	} {
		a := at(r.at)
		sc.outlet, sc.brand, sc.kind, sc.batch = append(sc.outlet, r.outlet), append(sc.brand, r.brand), append(sc.kind, r.kind), append(sc.batch, "b")
		sc.scanned, sc.days, sc.qty, sc.rowNo = append(sc.scanned, a), append(sc.days, a.Truncate(24*time.Hour)), append(sc.qty, r.qty), append(sc.rowNo, uint32(i))
	}
	if err := stores.InsertColumns(ctx, conn, "INSERT INTO scans (outlet, brand, kind, scanned_at, day, qty, batch_id, row_no)",
		sc.outlet, sc.brand, sc.kind, sc.scanned, sc.days, sc.qty, sc.batch, sc.rowNo); err != nil {
		t.Fatal(err)
	}

	got, err := s.OutletWeeks(ctx, "O1", "", day("2026-11-04"), day("2026-11-18"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Run != "new" || len(got.Weeks) != 3 || !got.Weeks[0].Week.Equal(day("2026-11-02")) || !got.Weeks[2].Week.Equal(day("2026-11-16")) {
		t.Fatalf("OutletWeeks = %+v; want the weeks of 11-02, 11-09 and 11-16 with the run new", got)
	}
	w0, w1, w2 := got.Weeks[0], got.Weeks[1], got.Weeks[2]
	if w0.Requested != 7 || w0.Granted != 5 || w0.Delivered != 5 || w0.Forecast != nil {
		t.Errorf("week of 11-02 = %+v; want 7 requested, 5 granted and delivered, no forecast of the latest run", w0)
	}
	if w0.Stock == nil || *w0.Stock != 6 || w0.SellOut == nil || *w0.SellOut != 3 {
		t.Errorf("week of 11-02 scans: stock %v, sell-out %v; want 6 cartons (B1's last count 40 + B2's 20 packs) and 3", w0.Stock, w0.SellOut)
	}
	if w1.Requested != 4 || w1.Forecast == nil || *w1.Forecast != (forecast.Interval{Point: 5, Lo80: 2.5, Hi80: 8}) ||
		w1.Stock != nil || w1.SellOut == nil || *w1.SellOut != 1 {
		t.Errorf("week of 11-09 = %+v (forecast %v); want 4 requested, forecast 5 in [2.5, 8], no count, 1 sold", w1, w1.Forecast)
	}
	if w2.Requested != 0 || w2.Forecast == nil || w2.Forecast.Point != 5 || w2.Stock != nil || w2.SellOut != nil {
		t.Errorf("week of 11-16 = %+v; want nothing ordered or scanned, forecast 5", w2)
	}

	one, err := s.OutletWeeks(ctx, "O1", "B2", day("2026-11-02"), day("2026-11-09"))
	if err != nil {
		t.Fatal(err)
	}
	if w := one.Weeks[0]; w.Requested != 2 || w.Stock == nil || *w.Stock != 2 || w.SellOut != nil {
		t.Errorf("B2's week of 11-02 = %+v; want 2 requested, 2 cartons counted, no sell-out", w)
	}
	if w := one.Weeks[1]; w.Forecast == nil || w.Forecast.Point != 1 {
		t.Errorf("B2's week of 11-09 forecast = %v; want 1", w.Forecast)
	}
}
