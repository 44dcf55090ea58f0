package clickhouse

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

func TestWeeklySales(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	// Two outlets over three weeks of November 2026 (Mondays the 2nd, 9th and 16th), an imported
	// dataset's row that must not count, and a day outside the range.
	var dataset, outlet, brand []string
	var day []time.Time
	var delivered []float64
	for _, r := range []struct {
		dataset, day, outlet string
		delivered            float64
	}{
		{"live", "2026-11-02", "L1", 3}, {"live", "2026-11-08", "L1", 2}, {"live", "2026-11-10", "L1", 4},
		{"live", "2026-11-17", "L2", 1.5}, {"walmart", "2026-11-10", "L1", 100}, {"live", "2026-10-30", "L1", 7},
		{"live", "2026-11-23", "L1", 9}, {"live", "2026-11-10", "L3", 8},
	} {
		d, _ := time.Parse(time.DateOnly, r.day)
		dataset, day, outlet, brand, delivered = append(dataset, r.dataset), append(day, d), append(outlet, r.outlet),
			append(brand, "B1"), append(delivered, r.delivered)
	}
	if err := stores.InsertColumns(ctx, conn, "INSERT INTO sales (dataset, day, outlet, brand, delivered)",
		dataset, day, outlet, brand, delivered); err != nil {
		t.Fatal(err)
	}
	monday := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	got, err := s.WeeklySales(ctx, []string{"L1", "L2"}, monday(2), monday(16))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[time.Time]float64{
		"L1": {monday(2): 5, monday(9): 4},
		"L2": {monday(16): 1.5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WeeklySales = %v; want %v", got, want)
	}
	if got, err := s.WeeklySales(ctx, nil, monday(2), monday(16)); err != nil || len(got) != 0 {
		t.Errorf("WeeklySales of no outlet = %v, %v; want none", got, err)
	}
}
