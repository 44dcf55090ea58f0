package clickhouse

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
)

// BrandDemand reads forecasts_by_brand and gives what the scan of forecasts gives, on one server and
// on two shards: for runs written before migration 0004 (copied by it), runs written by WriteRun and a
// run written after the migration without its copy (as a binary older than the migration writes).
func TestBrandDemandEqualsTheScan(t *testing.T) {
	t.Run("one server", func(t *testing.T) {
		cl := storestest.OpenCluster(t, storestest.NewClickHouseDSN(t), "")
		checkBrandDemand(t, cl)
	})
	t.Run("two shards", func(t *testing.T) {
		c := storestest.StartClickHouseCluster(t, 2)
		if err := stores.CreateClickHouseClusterDatabase(context.Background(), c.DSN(), storestest.ClusterName); err != nil {
			t.Fatal(err)
		}
		checkBrandDemand(t, storestest.OpenCluster(t, c.DSN(), storestest.ClusterName))
	})
}

func checkBrandDemand(t *testing.T, cl *stores.Cluster) {
	ctx := context.Background()
	ms, err := stores.ClickHouseMigrations()
	if err != nil {
		t.Fatal(err)
	}
	before := ms[:0]
	for _, m := range ms {
		if m.Version < 4 {
			before = append(before, m)
		}
	}
	if _, err := cl.Migrate(ctx, before); err != nil {
		t.Fatal(err)
	}
	s := New(cl.Conn())
	rng := rand.New(rand.NewPCG(14, 4))
	const outlets, brands = 60, 4

	// A run stored before migration 0004, which copies it.
	insertRunWithoutCopy(t, s, "old", day("2026-11-16"), rng, outlets, brands)
	if _, err := cl.Migrate(ctx, ms); err != nil {
		t.Fatalf("migrate to 0004: %v", err)
	}
	checkEveryBrandWeek(t, s, "old", brands)
	for _, sh := range cl.Shards() {
		var copied, outletRows uint64
		if err := sh.Conn.QueryRow(ctx, "SELECT count() FROM "+cl.Local("forecasts_by_brand")).Scan(&copied); err != nil {
			t.Fatal(err)
		}
		if err := sh.Conn.QueryRow(ctx, "SELECT count() FROM "+cl.Local("forecasts")+" WHERE level = 'outlet'").Scan(&outletRows); err != nil {
			t.Fatal(err)
		}
		if copied != outletRows || copied == 0 {
			t.Errorf("shard %d: %d rows in forecasts_by_brand, %d outlet rows in forecasts; want as many, not 0", sh.Num, copied, outletRows)
		}
	}

	// A run WriteRun stores.
	r := smallRun(t)
	r.ID, r.AsOf, r.StartedAt = "new", day("2026-11-16"), time.Now().Add(time.Hour) // after "old" of the same as-of
	if err := s.WriteRun(ctx, r, 4, nil); err != nil {
		t.Fatal(err)
	}
	if copied, err := s.runCopiedByBrand(ctx, "new"); err != nil || !copied {
		t.Errorf("runCopiedByBrand(new) = %v, %v; want true", copied, err)
	}
	checkEveryBrandWeek(t, s, "new", 2)
	got, _, err := s.BrandDemand(ctx, "B1", day("2026-11-23"))
	if want := map[string]float64{"O1": 11, "O2": 31}; err != nil || !maps.Equal(got, want) {
		t.Errorf("BrandDemand(B1, 2026-11-23) = %v, %v; want %v", got, err, want)
	}

	// A run stored after the migration without its copy: read from forecasts.
	insertRunWithoutCopy(t, s, "uncopied", day("2026-11-23"), rng, outlets, brands)
	if copied, err := s.runCopiedByBrand(ctx, "uncopied"); err != nil || copied {
		t.Errorf("runCopiedByBrand(uncopied) = %v, %v; want false", copied, err)
	}
	checkEveryBrandWeek(t, s, "uncopied", brands)
}

// checkEveryBrandWeek checks that BrandDemand of each brand in the week of 2026-11-23, read from
// wantRun, equals brandDemandScan, and is empty for a brand the run did not forecast.
func checkEveryBrandWeek(t *testing.T, s *Store, wantRun string, brands int) {
	t.Helper()
	ctx := context.Background()
	week := day("2026-11-23")
	for b := range brands + 1 {
		brand := fmt.Sprintf("B%d", b+1)
		got, run, err := s.BrandDemand(ctx, brand, week)
		if err != nil || run != wantRun {
			t.Fatalf("BrandDemand(%s) = run %q, %v; want run %s", brand, run, err, wantRun)
		}
		want, err := s.brandDemandScan(ctx, run, brand, week)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("run %s, brand %s: BrandDemand = %v\nthe scan of forecasts = %v", run, brand, got, want)
		}
		if (b < brands) != (len(got) > 0) {
			t.Errorf("run %s, brand %s: %d outlets; want some for a brand of the run, none else", run, brand, len(got))
		}
	}
}

// insertRunWithoutCopy stores a complete run of outlets × brands series (most outlets with some
// brands) over the two weeks from asOf, at the outlet level, as a writer without forecasts_by_brand
// did.
func insertRunWithoutCopy(t *testing.T, s *Store, id string, asOf time.Time, rng *rand.Rand, outlets, brands int) {
	t.Helper()
	var runIDs, datasets, levels, outletCol, brandCol, models []string
	var asOfs, weeks []time.Time
	var points, lo, hi []float64
	series := 0
	for o := range outlets {
		for b := range brands {
			if rng.IntN(4) == 0 {
				continue
			}
			series++
			for w := range 2 {
				runIDs, datasets, levels = append(runIDs, id), append(datasets, forecast.LiveDataset), append(levels, string(forecast.OutletLevel))
				outletCol, brandCol, models = append(outletCol, fmt.Sprintf("O%03d", o)), append(brandCol, fmt.Sprintf("B%d", b+1)), append(models, "test")
				asOfs, weeks = append(asOfs, asOf), append(weeks, asOf.AddDate(0, 0, 7*w))
				p := rng.Float64() * 20
				points, lo, hi = append(points, p), append(lo, p/2), append(hi, 2*p)
			}
		}
	}
	ctx := context.Background()
	err := stores.InsertColumns(ctx, s.conn, "INSERT INTO forecasts (run_id, dataset, as_of, level, outlet, brand, week, model, point, lo80, hi80)",
		runIDs, datasets, asOfs, levels, outletCol, brandCol, weeks, models, points, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	err = stores.InsertColumns(ctx, s.conn, "INSERT INTO forecast_runs (run_id, dataset, as_of, horizon, series, models, started_at, finished_at)",
		[]string{id}, []string{forecast.LiveDataset}, []time.Time{asOf}, []uint16{2}, []uint64{uint64(series)}, []string{"test"},
		[]time.Time{now}, []time.Time{now})
	if err != nil {
		t.Fatal(err)
	}
}
