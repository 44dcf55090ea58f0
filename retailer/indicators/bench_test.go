package indicators_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer/indicators"
	indicatorsch "github.com/ordercast/ordercast/retailer/indicators/clickhouse"
	"github.com/ordercast/ordercast/retailer/indicators/indicatorstest"
	indicatorspg "github.com/ordercast/ordercast/retailer/indicators/postgres"
)

// BenchmarkBulletin seeds a region of 100,000 outlets (334 account managers of about 300 outlets,
// 10 weekly cycles of orders, their sales lines and scans) once, then times the refresh of a day's
// stored bulletins (the company's and every manager's computed from the stores and written to
// bulletin_snapshots: what the serve job and the first request of a day without a fresh snapshot
// pay), the company's bulletin and one manager's day (its figures, the company's to compare with,
// its ranks and its lists) as a request reads them from the fresh snapshot. Each sub-benchmark
// reports the median of its iterations as ms-median/op:
//
//	go test ./retailer/indicators/ -run '^$' -bench Bulletin -benchtime 5x
func BenchmarkBulletin(b *testing.B) {
	ctx := context.Background()
	pool, ch := storestest.Postgres(b), storestest.ClickHouse(b)
	start := time.Now()
	_, err := indicatorstest.Seed(ctx, pool, ch, indicatorstest.Config{
		Outlets: 100_000, Managers: 335, Weeks: 10, LastWeek: lastWeek, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded 100,000 outlets in %s", time.Since(start).Round(time.Second))
	if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	pg, hist := indicatorspg.New(pool), indicatorsch.New(ch)
	svc := &indicators.Service{Directory: pg, Orders: pg, History: hist, Scores: hist, Targets: pg, Snapshots: pg}
	day := lastWeek.AddDate(0, 0, 2)
	start = time.Now()
	if _, err := svc.RefreshBulletins(ctx, day); err != nil {
		b.Fatal(err)
	}
	b.Logf("first refresh in %s", time.Since(start).Round(time.Millisecond))
	median := func(b *testing.B, run func(b *testing.B)) {
		var times []float64
		for b.Loop() {
			t0 := time.Now()
			run(b)
			times = append(times, float64(time.Since(t0).Microseconds())/1000)
		}
		slices.Sort(times)
		b.ReportMetric(times[len(times)/2], "ms-median/op")
	}
	b.Run("refresh", func(b *testing.B) {
		median(b, func(b *testing.B) {
			bs, err := svc.RefreshBulletins(ctx, day)
			if err != nil {
				b.Fatal(err)
			}
			if len(bs) != 336 {
				b.Fatalf("refreshed %d bulletins; want the company's and 335 managers'", len(bs))
			}
		})
	})
	for _, tc := range []struct{ name, manager string }{{"company", ""}, {"manager", "M001"}} {
		b.Run(tc.name, func(b *testing.B) {
			median(b, func(b *testing.B) {
				t0 := time.Now()
				bl, err := svc.Bulletin(ctx, day, tc.manager)
				if err != nil {
					b.Fatal(err)
				}
				if bl.ComputedAt.After(t0) {
					b.Fatalf("the bulletin was computed at %s, during the request: want the stored one", bl.ComputedAt)
				}
				if tc.manager != "" && bl.Figures.Outlets < 250 {
					b.Fatalf("manager %s has %d outlets; want about 300", tc.manager, bl.Figures.Outlets)
				}
			})
		})
	}
}
