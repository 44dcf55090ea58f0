package clickhouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/ordering/clickhouse"
)

// The balance's, the portal's and the evaluation's reads of the history, on hand-made rows.
func TestSupplyReads(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := clickhouse.New(conn)
	// insert writes rows (one []any per row, in the order of the query's columns) column by column.
	insert := func(query string, rows ...[]any) {
		t.Helper()
		cols := make([]any, len(rows[0]))
		for c := range cols {
			switch rows[0][c].(type) {
			case string:
				v := make([]string, len(rows))
				for r := range rows {
					v[r] = rows[r][c].(string)
				}
				cols[c] = v
			case float64:
				v := make([]float64, len(rows))
				for r := range rows {
					v[r] = rows[r][c].(float64)
				}
				cols[c] = v
			case time.Time:
				v := make([]time.Time, len(rows))
				for r := range rows {
					v[r] = rows[r][c].(time.Time)
				}
				cols[c] = v
			case uint64:
				v := make([]uint64, len(rows))
				for r := range rows {
					v[r] = rows[r][c].(uint64)
				}
				cols[c] = v
			}
		}
		if err := stores.InsertColumns(ctx, conn, query, cols...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	at := time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC)
	// Two runs: the later as-of is the latest; its brand level is read, the outlet level is not.
	insert("INSERT INTO forecast_runs (run_id, dataset, as_of, started_at, finished_at)",
		[]any{"old", "live", day("2026-11-16"), at, at}, []any{"new", "live", day("2026-11-23"), at, at})
	insert("INSERT INTO forecasts (run_id, dataset, as_of, level, outlet, brand, week, point, lo80, hi80)",
		[]any{"old", "live", day("2026-11-16"), "brand", "", "A", day("2026-11-30"), 99.0, 90.0, 110.0},
		[]any{"new", "live", day("2026-11-23"), "brand", "", "A", day("2026-11-30"), 12.0, 9.0, 15.0},
		[]any{"new", "live", day("2026-11-23"), "brand", "", "A", day("2026-12-07"), 14.0, 10.0, 18.0},
		[]any{"new", "live", day("2026-11-23"), "outlet", "L1", "A", day("2026-11-30"), 12.0, 9.0, 15.0},
		[]any{"new", "live", day("2026-11-23"), "brand", "", "B", day("2026-11-30"), 3.0, 2.0, 4.0})
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	fc, run, err := s.BrandForecasts(ctx, []string{"A"}, monday, monday.AddDate(0, 0, 14))
	if err != nil || run != "new" || len(fc["A"]) != 2 || fc["A"][0].Point != 12 || fc["A"][1].Hi80 != 18 || fc["B"] != nil {
		t.Errorf("BrandForecasts = %+v, %q, %v; want run new, A's two weeks, no B", fc, run, err)
	}

	insert("INSERT INTO outlets_dim (dataset, outlet, area, business_format, status, version)",
		[]any{"live", "L1", "North", "kiosk", "active", uint64(1)}, []any{"live", "L2", "South", "supermarket", "active", uint64(1)},
		[]any{"live", "L3", "South", "kiosk", "closed", uint64(1)}, []any{"live", "L2", "East", "supermarket", "active", uint64(2)})
	insert("INSERT INTO brands_dim (dataset, brand, name, manufacturer, version)",
		[]any{"live", "A", "Alpha", "M1", uint64(1)}, []any{"live", "B", "Beta", "M2", uint64(1)})
	// A: L1 orders in August (before the 3 months), September and October; L2 in September only.
	sale := func(d, outlet, brand string, requested, delivered float64) []any {
		return []any{"live", day(d), outlet, brand, requested, delivered, delivered}
	}
	insert("INSERT INTO sales (dataset, day, outlet, brand, requested, granted, delivered)",
		sale("2026-08-10", "L1", "A", 3, 3),
		sale("2026-09-14", "L1", "A", 4, 4), sale("2026-09-14", "L2", "A", 2, 2),
		sale("2026-10-12", "L1", "A", 6, 5),
		sale("2026-11-09", "L1", "A", 8, 8), sale("2026-11-16", "L2", "A", 4, 4), sale("2026-11-23", "L2", "B", 1, 1))
	sales, err := s.WeeklySales(ctx, []string{"A", "B"}, now) // the 4 weeks from 2026-11-02
	if err != nil || sales["A"] != 3 || sales["B"] != 0.25 {
		t.Errorf("WeeklySales = %v, %v; want A 12/4, B 1/4", sales, err)
	}
	rows, err := s.SalesBy(ctx, []string{"A"}, ordering.ByArea, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), monday)
	if err != nil || len(rows) != 2 || rows[0].Group != "North" || rows[0].Delivered != 8 || rows[1].Group != "East" || rows[1].Outlets != 1 {
		t.Errorf("SalesBy(area) = %+v, %v; want North 8 in the week of 11-09, East (L2's latest area) in the week of 11-16", rows, err)
	}

	insert("INSERT INTO accuracy_scores (month, dataset, against, level, key, accuracy, scored_at)",
		[]any{day("2026-10-01"), "live", "requested", "brand", "A", 0.7, at},
		[]any{day("2026-10-01"), "live", "sales", "brand", "A", 0.5, at}) // another basis, not read
	bms, err := s.BrandMonths(ctx, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), []string{"A", "B"})
	if err != nil || len(bms) != 2 {
		t.Fatalf("BrandMonths = %+v, %v", bms, err)
	}
	a := bms[0]
	n := len(a.Sales)
	if a.Name != "Alpha" || a.Sales[n-1] != 5 || a.Sales[n-2] != 6 || a.Sales[n-3] != 3 || a.Buyers != 1 || a.Active != 2 ||
		a.Ordered != 2 || a.Reordered != 1 || a.Accuracy == nil || *a.Accuracy != 0.7 || !a.FirstSale.Equal(time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("A in October = %+v; want sales 3, 6, 5 to October, 1 buyer of 2 active, 1 of 2 earlier orderers again, accuracy 0.7, first sale 08-10", a)
	}
}
