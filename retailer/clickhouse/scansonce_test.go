package clickhouse_test

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	forecastch "github.com/ordercast/ordercast/forecast/clickhouse"
	"github.com/ordercast/ordercast/retailer"
	retailerch "github.com/ordercast/ordercast/retailer/clickhouse"
)

// A batch whose rows are stored twice (what a late INSERT after the retry leaves, docs/RELIABILITY.md)
// reads as once: the recent sell-out of the upload check, an outlet's weeks and the forecast's scan
// history give for it what they give for the same batch stored once.
func TestScanRowsStoredTwiceCountOnce(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s, f := retailerch.New(conn), forecastch.New(conn)
	// Merges would collapse the copies in the background, and the reads below must do it themselves.
	if err := conn.Exec(ctx, "SYSTEM STOP MERGES scans"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	batch := func(outlet string) retailer.ScanBatch {
		at := now.Add(-time.Hour)
		return retailer.ScanBatch{Outlet: outlet, ID: "b-" + outlet, Received: now, Rows: []retailer.Scan{
			{Outlet: outlet, Brand: "B1", Kind: retailer.SellOut, At: at, Qty: 5},
			{Outlet: outlet, Brand: "B1", Kind: retailer.StockCount, At: at.Add(time.Minute), Qty: 300},
			{Outlet: outlet, Brand: "B2", Kind: retailer.SellOut, At: at.Add(2 * time.Minute), Qty: 7},
		}}
	}
	// "twice": the first attempt's rows, then a second first attempt (which does not read back) writes
	// them all again; "once": the same batch of another outlet, written once.
	for _, b := range []retailer.ScanBatch{batch("twice"), batch("twice"), batch("once")} {
		if _, err := s.WriteFirstScanBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	var stored uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM scans WHERE outlet = 'twice'").Scan(&stored); err != nil || stored != 6 {
		t.Fatalf("%d rows of outlet twice stored, %v; want 6 (every row twice)", stored, err)
	}

	from := retailer.SellOutWindowStart(now)
	twice, err := s.RecentSellOut(ctx, "twice", "", from, now)
	if want := map[string]float64{"B1": 5, "B2": 7}; err != nil || !reflect.DeepEqual(twice, want) {
		t.Errorf("RecentSellOut(twice) = %v, %v; want %v", twice, err, want)
	}

	weeks := func(outlet string) []any {
		w, err := f.OutletWeeks(ctx, outlet, "", now.AddDate(0, 0, -14), now)
		if err != nil {
			t.Fatal(err)
		}
		var out []any
		for _, wk := range w.Weeks {
			out = append(out, wk.Week, deref(wk.SellOut), deref(wk.Stock))
		}
		return out
	}
	if a, b := weeks("twice"), weeks("once"); !reflect.DeepEqual(a, b) {
		t.Errorf("OutletWeeks: stored twice %v, once %v; want the same", a, b)
	}

	panel, err := f.ScanHistory(ctx, []time.Time{time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	series := map[string][]float64{}
	for _, ser := range panel.Series {
		for _, v := range append(append([]float64{}, ser.SellOut...), ser.Stock...) {
			if math.IsNaN(v) {
				v = -1 // no count that week; NaN is never equal to itself
			}
			series[ser.Outlet+"/"+ser.Brand] = append(series[ser.Outlet+"/"+ser.Brand], v)
		}
	}
	for _, brand := range []string{"B1", "B2"} {
		if a, b := series["twice/"+brand], series["once/"+brand]; len(a) == 0 || !reflect.DeepEqual(a, b) {
			t.Errorf("ScanHistory %s: stored twice %v, once %v; want the same", brand, a, b)
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
