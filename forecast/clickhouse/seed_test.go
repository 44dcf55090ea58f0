package clickhouse

import (
	"context"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

func TestSeedWriterAndDeleteLive(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	day := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	week := forecast.Monday(day)

	// An imported dataset that DeleteLive must leave alone.
	err := stores.InsertColumns(ctx, conn, "INSERT INTO sales (dataset, day, outlet, brand, delivered, source)",
		[]string{"m5"}, []time.Time{day}, []string{"o"}, []string{"b"}, []float64{3}, []string{"import"})
	if err != nil {
		t.Fatalf("insert m5 row: %v", err)
	}
	if err := stores.InsertColumns(ctx, conn, "INSERT INTO outlets_dim (dataset, outlet, version)",
		[]string{"m5"}, []string{"o"}, []uint64{1}); err != nil {
		t.Fatalf("insert m5 outlet: %v", err)
	}

	w := s.NewSeedWriter("seed-1", 3) // blocks of 3 rows: several flushes
	for i := range 4 {
		sales := []forecast.Sale{
			{Day: day, Outlet: "530121000001", Brand: "B0001", Requested: 5, Granted: 3, Delivered: 3, Limit: 3, Limited: true},
			{Day: day.AddDate(0, 0, 7*i), Outlet: "530121000002", Brand: "B0002", Requested: 2, Granted: 2, Delivered: 2},
		}
		demand := []forecast.DemandPoint{{Week: week, Outlet: "530121000001", Brand: "B0001", Demand: 6}}
		if err := w.Add(ctx, sales, demand); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if sales, demand := w.Rows(); sales != 8 || demand != 4 {
		t.Errorf("Rows() = %d, %d; want 8, 4", sales, demand)
	}
	outlets := []retailer.Outlet{{Licence: "530121000001", Name: "a", OrderDay: time.Sunday, Grade: 30}}
	brands := []ordering.Brand{{Code: "B0001", PriceClass: 1, WholesaleCents: 50000, RetailCents: 56000}}
	if err := s.WriteLiveDims(ctx, outlets, brands, 1); err != nil {
		t.Fatalf("WriteLiveDims: %v", err)
	}

	tests := []struct {
		name  string
		query string
		want  uint64
	}{
		{"live sales", "SELECT count() FROM sales WHERE dataset = 'live' AND source = 'seed' AND batch_id = 'seed-1'", 8},
		{"limited lines", "SELECT toUInt64(sum(limited)) FROM sales WHERE dataset = 'live'", 4},
		{"true demand", "SELECT toUInt64(sum(demand)) FROM true_demand WHERE dataset = 'live'", 24},
		{"outlet dim order day", "SELECT toUInt64(order_day) FROM outlets_dim FINAL WHERE dataset = 'live'", 7},
		{"brand dim price", "SELECT toUInt64(wholesale_price) FROM brands_dim FINAL WHERE dataset = 'live'", 500},
		{"brand dim no launch", "SELECT toUInt64(launch_date) FROM brands_dim FINAL WHERE dataset = 'live'", 0},
	}
	check := func(t *testing.T, query string, want uint64) {
		t.Helper()
		var got uint64
		if err := conn.QueryRow(ctx, query).Scan(&got); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if got != want {
			t.Errorf("%s = %d; want %d", query, got, want)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { check(t, tt.query, tt.want) })
	}

	t.Run("delete live", func(t *testing.T) {
		if err := s.DeleteLive(ctx); err != nil {
			t.Fatalf("DeleteLive: %v", err)
		}
		sales, demand, err := s.LiveHistoryRows(ctx)
		if err != nil || sales != 0 || demand != 0 {
			t.Errorf("LiveHistoryRows() = %d, %d, %v; want 0, 0, nil", sales, demand, err)
		}
		check(t, "SELECT count() FROM outlets_dim WHERE dataset = 'live'", 0)
		check(t, "SELECT count() FROM brands_dim WHERE dataset = 'live'", 0)
		check(t, "SELECT count() FROM sales WHERE dataset = 'm5'", 1)
		check(t, "SELECT count() FROM outlets_dim WHERE dataset = 'm5'", 1)
	})
}
