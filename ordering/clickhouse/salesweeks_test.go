package clickhouse_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/ordering/clickhouse"
)

// The portal's sales and the balance's weekly sales read whole weeks from a week's aggregate by brand,
// area and format: its figures must equal the query over the days, and a kept week must serve until
// it is older than its age.
func TestSalesWeeks(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Two outlets in North of two formats, one in South of the first, one unknown to outlets_dim.
	if err := stores.InsertColumns(ctx, conn, "INSERT INTO outlets_dim (dataset, outlet, area, business_format, status, version)",
		[]string{"live", "live", "live", "live"}, []string{"L1", "L2", "L3", "L3"}, []string{"North", "North", "West", "South"},
		[]string{"kiosk", "supermarket", "kiosk", "kiosk"}, []string{"active", "active", "active", "active"},
		[]uint64{1, 1, 1, 2}); err != nil {
		t.Fatal(err)
	}
	type sale struct {
		day, outlet, brand   string
		requested, delivered float64
	}
	insert := func(sales ...sale) {
		t.Helper()
		var ds, outlets, brands []string
		var days []time.Time
		var req, del []float64
		for _, s := range sales {
			ds, days, outlets, brands = append(ds, "live"), append(days, day(s.day)), append(outlets, s.outlet), append(brands, s.brand)
			req, del = append(req, s.requested), append(del, s.delivered)
		}
		if err := stores.InsertColumns(ctx, conn, "INSERT INTO sales (dataset, day, outlet, brand, requested, granted, delivered)",
			ds, days, outlets, brands, req, del, del); err != nil {
			t.Fatal(err)
		}
	}
	insert(sale{"2026-11-02", "L1", "A", 3, 3}, sale{"2026-11-04", "L1", "A", 2, 1}, // L1 twice in one week: one outlet
		sale{"2026-11-03", "L2", "A", 5, 5}, sale{"2026-11-03", "L3", "A", 1, 1}, sale{"2026-11-05", "L9", "A", 2, 2},
		sale{"2026-11-03", "L2", "B", 4, 4},
		sale{"2026-11-10", "L1", "A", 6, 6}, sale{"2026-11-17", "L3", "B", 2, 0})

	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	kept := clickhouse.New(conn).KeepWeeks(time.Minute, clock)
	plain := clickhouse.New(conn)
	monday, sunday := day("2026-11-02"), day("2026-11-01") // from a Sunday: the query over the days
	to := day("2026-11-23")
	w := func(s string) time.Time { return day(s) }
	for _, tt := range []struct {
		by   ordering.SalesGrouping
		want []ordering.SalesRow
	}{
		{ordering.ByArea, []ordering.SalesRow{
			{Week: w("2026-11-02"), Brand: "A", Group: "", Delivered: 2, Requested: 2, Outlets: 1},
			{Week: w("2026-11-02"), Brand: "A", Group: "North", Delivered: 9, Requested: 10, Outlets: 2},
			{Week: w("2026-11-02"), Brand: "A", Group: "South", Delivered: 1, Requested: 1, Outlets: 1},
			{Week: w("2026-11-02"), Brand: "B", Group: "North", Delivered: 4, Requested: 4, Outlets: 1},
			{Week: w("2026-11-09"), Brand: "A", Group: "North", Delivered: 6, Requested: 6, Outlets: 1},
			{Week: w("2026-11-16"), Brand: "B", Group: "South", Delivered: 0, Requested: 2, Outlets: 1},
		}},
		{ordering.ByFormat, []ordering.SalesRow{
			{Week: w("2026-11-02"), Brand: "A", Group: "", Delivered: 2, Requested: 2, Outlets: 1},
			{Week: w("2026-11-02"), Brand: "A", Group: "kiosk", Delivered: 5, Requested: 6, Outlets: 2},
			{Week: w("2026-11-02"), Brand: "A", Group: "supermarket", Delivered: 5, Requested: 5, Outlets: 1},
			{Week: w("2026-11-02"), Brand: "B", Group: "supermarket", Delivered: 4, Requested: 4, Outlets: 1},
			{Week: w("2026-11-09"), Brand: "A", Group: "kiosk", Delivered: 6, Requested: 6, Outlets: 1},
			{Week: w("2026-11-16"), Brand: "B", Group: "kiosk", Delivered: 0, Requested: 2, Outlets: 1},
		}},
	} {
		t.Run(string(tt.by), func(t *testing.T) {
			days, err := plain.SalesBy(ctx, []string{"A", "B"}, tt.by, sunday, to)
			if err != nil || !reflect.DeepEqual(days, tt.want) {
				t.Errorf("SalesBy(%s) over the days = %+v, %v; want %+v", tt.by, days, err, tt.want)
			}
			for _, s := range []*clickhouse.Store{plain, kept} {
				weeks, err := s.SalesBy(ctx, []string{"A", "B"}, tt.by, monday, to)
				if err != nil || !reflect.DeepEqual(weeks, tt.want) {
					t.Errorf("SalesBy(%s) by weeks = %+v, %v; want %+v", tt.by, weeks, err, tt.want)
				}
			}
			only, err := kept.SalesBy(ctx, []string{"B"}, tt.by, monday, to)
			if err != nil || len(only) != 2 || only[0] != tt.want[3] || only[1] != tt.want[5] {
				t.Errorf("SalesBy(%s, B) = %+v, %v; want B's two rows", tt.by, only, err)
			}
		})
	}
	// The four weeks before the week of now: 2026-10-26 to 2026-11-22.
	want := map[string]float64{"A": 18.0 / 4, "B": 4.0 / 4}
	if got, err := kept.WeeklySales(ctx, []string{"A", "B", "C"}, now); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("WeeklySales = %v, %v; want %v", got, err, want)
	}

	// A line written into a kept week shows once the week is older than a minute.
	insert(sale{"2026-11-11", "L2", "A", 4, 4})
	if got, err := kept.WeeklySales(ctx, []string{"A"}, now); err != nil || got["A"] != 18.0/4 {
		t.Errorf("WeeklySales within the minute = %v, %v; want A 18/4 as kept", got, err)
	}
	if got, err := plain.WeeklySales(ctx, []string{"A"}, now); err != nil || got["A"] != 22.0/4 {
		t.Errorf("WeeklySales without keeping = %v, %v; want A 22/4", got, err)
	}
	now = now.Add(2 * time.Minute)
	if got, err := kept.WeeklySales(ctx, []string{"A"}, now); err != nil || got["A"] != 22.0/4 {
		t.Errorf("WeeklySales after the minute = %v, %v; want A 22/4", got, err)
	}

	// Weeks warmed ahead: the reads that follow compute nothing, and see a line written before the
	// warming.
	warm := clickhouse.New(conn).KeepWeeks(time.Minute, clock)
	insert(sale{"2026-11-18", "L1", "B", 8, 8})
	if err := warm.WarmWeeks(ctx, day("2026-10-26"), day("2026-11-23")); err != nil {
		t.Fatal(err)
	}
	if got, err := warm.WeeklySales(ctx, []string{"A", "B"}, now); err != nil || got["A"] != 22.0/4 || got["B"] != 12.0/4 {
		t.Errorf("WeeklySales of warmed weeks = %v, %v; want A 22/4, B 12/4", got, err)
	}
	if _, err := warm.SalesBy(ctx, []string{"A", "B"}, ordering.ByArea, monday, to); err != nil {
		t.Fatal(err)
	}
	if req, warmed := warm.WeekComputations(); req != 0 || warmed != 4 {
		t.Errorf("WeekComputations = %d for readers, %d warmed; want 0 and the 4 weeks", req, warmed)
	}
	// Fresh weeks are not warmed again; weeks older than a quarter of the age are.
	if err := warm.WarmWeeks(ctx, day("2026-10-26"), day("2026-11-23")); err != nil {
		t.Fatal(err)
	}
	if _, warmed := warm.WeekComputations(); warmed != 4 {
		t.Errorf("WeekComputations after warming fresh weeks = %d warmed; want still 4", warmed)
	}
	now = now.Add(16 * time.Second)
	if err := warm.WarmWeeks(ctx, day("2026-10-26"), day("2026-11-30")); err != nil {
		t.Fatal(err)
	}
	if _, warmed := warm.WeekComputations(); warmed != 9 {
		t.Errorf("WeekComputations after the weeks are a quarter of their age = %d warmed; want 9 (4 again, 1 new)", warmed)
	}
	if req, _ := kept.WeekComputations(); req == 0 {
		t.Error("WeekComputations of the store read cold = 0 for readers; want its computations counted")
	}
}
