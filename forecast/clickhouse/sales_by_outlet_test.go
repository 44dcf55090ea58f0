package clickhouse

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
)

// An outlet's weekly sales (OutletWeeks) and its recent demand (RecentWeeklyDemand) read
// sales_by_outlet and give what the same sums over sales give, on one server and on two shards: for
// lines written before migration 0005 (copied by it), lines the SeedWriter writes, and lines written
// twice into sales_by_outlet (a relay's retry, a backfill run again beside a running relay).
func TestSalesByOutletEqualsSales(t *testing.T) {
	t.Run("one server", func(t *testing.T) {
		checkSalesByOutlet(t, storestest.OpenCluster(t, storestest.NewClickHouseDSN(t), ""))
	})
	t.Run("two shards", func(t *testing.T) {
		c := storestest.StartClickHouseCluster(t, 2)
		if err := stores.CreateClickHouseClusterDatabase(context.Background(), c.DSN(), storestest.ClusterName); err != nil {
			t.Fatal(err)
		}
		checkSalesByOutlet(t, storestest.OpenCluster(t, c.DSN(), storestest.ClusterName))
	})
}

func checkSalesByOutlet(t *testing.T, cl *stores.Cluster) {
	ctx := context.Background()
	ms, err := stores.ClickHouseMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var before []stores.Migration
	var backfill string
	for _, m := range ms {
		if m.Version < 5 {
			before = append(before, m)
		}
		if m.Version == 5 {
			for _, st := range m.Statements() {
				if strings.HasPrefix(strings.TrimSpace(st), "INSERT") || strings.Contains(st, "\nINSERT") {
					backfill = st
				}
			}
		}
	}
	if backfill == "" {
		t.Fatal("migration 0005 has no INSERT … SELECT")
	}
	if _, err := cl.Migrate(ctx, before); err != nil {
		t.Fatal(err)
	}
	s := New(cl.Conn())
	rng := rand.New(rand.NewPCG(5, 14))
	const outlets, brands = 12, 3
	first := day("2026-09-07") // a Monday; 10 weeks of lines
	lines := func(from, days int) []forecast.Sale {
		var out []forecast.Sale
		for o := range outlets {
			for b := range brands {
				for d := from; d < from+days; d++ {
					if rng.IntN(3) != 0 {
						continue
					}
					r := float64(rng.IntN(9) + 1)
					g := min(r, float64(rng.IntN(9)+1))
					out = append(out, forecast.Sale{Day: first.AddDate(0, 0, d), Outlet: fmt.Sprintf("O%02d", o),
						Brand: fmt.Sprintf("B%d", b+1), Requested: r, Granted: g, Delivered: g, OrderID: uint64(rng.Uint32()), Limited: g < r})
				}
			}
		}
		return out
	}

	// Lines of sales only, before the migration: copied by it.
	old := lines(0, 35)
	insertSalesOnly(t, s, old, "old")
	if _, err := cl.Migrate(ctx, ms); err != nil {
		t.Fatalf("migrate to 0005: %v", err)
	}
	// Lines written by the seed, into both tables.
	w := s.NewSeedWriter("seed", 0)
	if err := w.Add(ctx, lines(35, 35), nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The backfill run again (every line now twice in sales_by_outlet until a merge) and the old
	// lines written a third time, as a retried relay batch would.
	if err := cl.Conn().Exec(ctx, backfill); err != nil {
		t.Fatalf("backfill again: %v", err)
	}
	insertByOutletOnly(t, s, old, "old")

	now := first.AddDate(0, 0, 7*10) // the Monday after the 10 weeks
	for o := range outlets + 1 {     // the last outlet has no line
		outlet := fmt.Sprintf("O%02d", o)
		for _, brand := range []string{"", "B2"} {
			got, err := s.OutletWeeks(ctx, outlet, brand, first, now.AddDate(0, 0, -1))
			if err != nil {
				t.Fatal(err)
			}
			want := salesWeeksOf(t, s, outlet, brand, first, now)
			if len(got.Weeks) != 10 {
				t.Fatalf("OutletWeeks(%s, %q) = %d weeks; want 10", outlet, brand, len(got.Weeks))
			}
			for _, wk := range got.Weeks {
				k := wk.Week.Format(time.DateOnly)
				if g := [3]float64{wk.Requested, wk.Granted, wk.Delivered}; g != want[k] {
					t.Errorf("OutletWeeks(%s, %q), week of %s: requested, granted, delivered %v; the sum over sales %v", outlet, brand, k, g, want[k])
				}
			}
		}
		got, err := s.RecentWeeklyDemand(ctx, outlet, now)
		if err != nil {
			t.Fatal(err)
		}
		want := recentOf(t, s, outlet, now)
		if !maps.Equal(got, want) {
			t.Errorf("RecentWeeklyDemand(%s) = %v; the average over sales %v", outlet, got, want)
		}
		if (o < outlets) != (len(got) > 0) {
			t.Errorf("RecentWeeklyDemand(%s) = %v; want brands for an outlet with lines, none else", outlet, got)
		}
	}
}

// insertSalesOnly writes lines into sales alone, as a writer before migration 0005 did.
func insertSalesOnly(t *testing.T, s *Store, lines []forecast.Sale, batch string) {
	t.Helper()
	c := lineColumns(lines, batch)
	err := stores.InsertColumns(context.Background(), s.conn, "INSERT INTO sales (dataset, day, outlet, brand, requested, granted, "+
		"delivered, order_id, batch_id)", c.dataset, c.day, c.outlet, c.brand, c.requested, c.granted, c.delivered, c.order, c.batch)
	if err != nil {
		t.Fatal(err)
	}
}

// insertByOutletOnly writes lines into sales_by_outlet alone (a copy of lines already there).
func insertByOutletOnly(t *testing.T, s *Store, lines []forecast.Sale, batch string) {
	t.Helper()
	c := lineColumns(lines, batch)
	err := stores.InsertColumns(context.Background(), s.conn, "INSERT INTO sales_by_outlet (dataset, day, outlet, brand, requested, "+
		"granted, delivered, order_id, batch_id)", c.dataset, c.day, c.outlet, c.brand, c.requested, c.granted, c.delivered, c.order, c.batch)
	if err != nil {
		t.Fatal(err)
	}
}

type saleCols struct {
	dataset, outlet, brand, batch []string
	day                           []time.Time
	requested, granted, delivered []float64
	order                         []uint64
}

func lineColumns(lines []forecast.Sale, batch string) saleCols {
	var c saleCols
	for _, l := range lines {
		c.dataset, c.outlet, c.brand, c.batch = append(c.dataset, forecast.LiveDataset), append(c.outlet, l.Outlet), append(c.brand, l.Brand), append(c.batch, batch)
		c.day, c.order = append(c.day, l.Day), append(c.order, l.OrderID)
		c.requested, c.granted, c.delivered = append(c.requested, l.Requested), append(c.granted, l.Granted), append(c.delivered, l.Delivered)
	}
	return c
}

// salesWeeksOf sums an outlet's lines of sales (of one brand, or all for "") per Monday in [from, to).
func salesWeeksOf(t *testing.T, s *Store, outlet, brand string, from, to time.Time) map[string][3]float64 {
	t.Helper()
	rows, err := s.conn.Query(context.Background(), `SELECT toString(toMonday(day)) AS w, sum(requested), sum(granted), sum(delivered)
		FROM sales WHERE dataset = ? AND outlet = ? AND (? = '' OR brand = ?) AND day >= toDate(?) AND day < toDate(?) GROUP BY w`,
		forecast.LiveDataset, outlet, brand, brand, dateString(from), dateString(to))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][3]float64{}
	for rows.Next() {
		var w string
		var v [3]float64
		if err := rows.Scan(&w, &v[0], &v[1], &v[2]); err != nil {
			t.Fatal(err)
		}
		out[w] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// recentOf is RecentWeeklyDemand's average computed over sales.
func recentOf(t *testing.T, s *Store, outlet string, now time.Time) map[string]float64 {
	t.Helper()
	to := forecast.Monday(now)
	rows, err := s.conn.Query(context.Background(), `SELECT brand, sum(requested) FROM sales
		WHERE dataset = ? AND outlet = ? AND day >= toDate(?) AND day < toDate(?) GROUP BY brand`,
		forecast.LiveDataset, outlet, dateString(to.AddDate(0, 0, -7*RecentWeeks)), dateString(to))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var b string
		var v float64
		if err := rows.Scan(&b, &v); err != nil {
			t.Fatal(err)
		}
		out[b] = v / RecentWeeks
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
