package clickhouse

import (
	"context"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
)

func TestPurchases(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn := storestest.ClickHouse(t)
	insert := func(query string, rows ...[]any) {
		t.Helper()
		b, err := conn.PrepareBatch(ctx, query)
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
	// Brand A's price changed: the newest version counts. Brand B's other dataset's row does not.
	insert("INSERT INTO brands_dim (dataset, brand, wholesale_price, version)",
		[]any{"live", "A", 100.0, uint64(1)}, []any{"live", "A", 120.5, uint64(2)}, []any{"live", "B", 50.0, uint64(1)},
		[]any{"walmart", "B", 999.0, uint64(1)})
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	insert("INSERT INTO sales (dataset, day, outlet, brand, requested, granted, delivered)",
		[]any{"live", day("2026-10-04"), "O1", "A", 9.0, 9.0, 9.0},
		[]any{"live", day("2026-10-05"), "O1", "A", 2.0, 2.0, 2.0},
		[]any{"live", day("2026-10-06"), "O1", "B", 4.0, 3.0, 3.0},
		[]any{"live", day("2026-10-08"), "O2", "A", 5.0, 0.0, 0.0},
		[]any{"live", day("2026-10-12"), "O2", "A", 7.0, 7.0, 7.0},
		[]any{"walmart", day("2026-10-06"), "O3", "A", 5.0, 5.0, 5.0})
	from, to := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 12, 0, 0, 0, 0, time.UTC)
	got, err := New(conn).Purchases(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]retailer.Purchase{
		"O1": {AmountCents: 2*12050 + 3*5000, Cartons: 5},
		"O2": {AmountCents: 0, Cartons: 0}, // ordered, delivered nothing
	}
	if len(got) != len(want) || got["O1"] != want["O1"] || got["O2"] != want["O2"] {
		t.Errorf("Purchases(%s, %s) = %+v; want %+v", from.Format(time.DateOnly), to.Format(time.DateOnly), got, want)
	}
}
