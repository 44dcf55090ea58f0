package clickhouse

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

func TestScanHistory(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	at := func(v string) time.Time {
		d, err := time.Parse(time.DateTime, v)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	type row struct {
		outlet, brand, kind, at string
		qty                     float64
	}
	rows := []row{
		{"O1", "B1", "sellout", "2026-11-04 10:00:00", 20}, // week of 11-02
		{"O1", "B1", "sellout", "2026-11-08 21:00:00", 10},
		{"O1", "B1", "stock", "2026-11-05 21:00:00", 90},
		{"O1", "B1", "stock", "2026-11-08 21:00:00", 0},    // the week's last count: none left
		{"O1", "B1", "sellout", "2026-11-15 21:00:00", 40}, // week of 11-09: sold, never counted
		{"O1", "B2", "stock", "2026-11-15 21:00:00", 55},
		{"O2", "B1", "stock", "2026-11-22 21:00:00", 5}, // week of 11-16, outside the weeks asked
	}
	var outlet, brand, kind, batch []string
	var scanned []time.Time
	var days []time.Time
	var qty []float64
	var rowNo []uint32
	for i, r := range rows {
		a := at(r.at)
		outlet, brand, kind, scanned, qty = append(outlet, r.outlet), append(brand, r.brand), append(kind, r.kind), append(scanned, a), append(qty, r.qty)
		days, batch, rowNo = append(days, a.Truncate(24*time.Hour)), append(batch, "b"), append(rowNo, uint32(i))
	}
	if err := stores.InsertColumns(ctx, conn, "INSERT INTO scans (outlet, brand, kind, scanned_at, day, qty, batch_id, row_no)",
		outlet, brand, kind, scanned, days, qty, batch, rowNo); err != nil {
		t.Fatalf("insert scans: %v", err)
	}
	weeks := []time.Time{day("2026-11-02"), day("2026-11-09")}
	p, err := s.ScanHistory(ctx, weeks, 0)
	if err != nil {
		t.Fatalf("ScanHistory: %v", err)
	}
	if len(p.Series) != 2 || p.Series[0].Outlet != "O1" || p.Series[0].Brand != "B1" || p.Series[1].Brand != "B2" {
		t.Fatalf("ScanHistory series %+v; want O1 × B1, O1 × B2", p.Series)
	}
	b1, b2 := p.Series[0], p.Series[1]
	if b1.SellOut[0] != 3 || b1.Stock[0] != 0 || b1.SellOut[1] != 4 || !math.IsNaN(b1.Stock[1]) {
		t.Errorf("O1 × B1 sold %v, stock %v; want [3 4] cartons, stock [0 NaN]", b1.SellOut, b1.Stock)
	}
	if b2.SellOut[1] != 0 || b2.Stock[1] != 5.5 || !math.IsNaN(b2.Stock[0]) {
		t.Errorf("O1 × B2 sold %v, stock %v; want nothing sold, stock [NaN 5.5]", b2.SellOut, b2.Stock)
	}
	// A sample of at most one outlet of the two that scanned in a wider window.
	wide := append(weeks, day("2026-11-16"))
	all, err := s.ScanHistory(ctx, wide, 0)
	if err != nil {
		t.Fatal(err)
	}
	one, err := s.ScanHistory(ctx, wide, 1)
	if err != nil {
		t.Fatal(err)
	}
	outlets := map[string]bool{}
	for _, x := range one.Series {
		outlets[x.Outlet] = true
	}
	if len(all.Series) != 3 || len(outlets) > 1 {
		t.Errorf("ScanHistory of 3 weeks: %d series in all, %d outlets when 1 is asked; want 3 series, at most 1 outlet", len(all.Series), len(outlets))
	}
}
