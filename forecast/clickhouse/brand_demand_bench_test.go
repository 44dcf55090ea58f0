package clickhouse

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// BenchmarkBrandDemand reads one brand-week's forecast of every outlet from the latest run of the
// database ORDERCAST_PAGES_CH_DSN names (the planner pages' region, see cmd/ordercast's
// BenchmarkPlannerPages), from forecasts_by_brand (BrandDemand) and by the scan of forecasts it
// replaces, and reports each one's median.
//
//	ORDERCAST_PAGES_CH_DSN=clickhouse://127.0.0.1:59000/ps_bench100k \
//	  go test ./forecast/clickhouse -run '^$' -bench BrandDemand -benchtime 5x
func BenchmarkBrandDemand(b *testing.B) {
	dsn := os.Getenv("ORDERCAST_PAGES_CH_DSN")
	if dsn == "" {
		b.Skip("ORDERCAST_PAGES_CH_DSN names no prepared region")
	}
	ctx := context.Background()
	s := New(storestest.OpenClickHouse(b, dsn))
	var brand string
	var week time.Time
	err := s.conn.QueryRow(ctx, `SELECT brand, week FROM forecasts WHERE run_id = (SELECT run_id FROM forecast_runs
		ORDER BY as_of DESC, started_at DESC LIMIT 1) AND level = 'brand' ORDER BY brand, week LIMIT 1 OFFSET 1`).Scan(&brand, &week)
	if err != nil {
		b.Fatal(err)
	}
	reads := []struct {
		name string
		read func() (int, error)
	}{
		{"forecasts_by_brand", func() (int, error) {
			m, _, err := s.BrandDemand(ctx, brand, week)
			return len(m), err
		}},
		{"scan-of-forecasts", func() (int, error) {
			run, err := s.runCovering(ctx, week)
			if err != nil {
				return 0, err
			}
			m, err := s.brandDemandScan(ctx, run.ID, brand, week)
			return len(m), err
		}},
	}
	for _, r := range reads {
		b.Run(r.name, func(b *testing.B) {
			var times []float64
			for b.Loop() {
				t0 := time.Now()
				n, err := r.read()
				if err != nil || n == 0 {
					b.Fatalf("%d outlets, %v", n, err)
				}
				times = append(times, float64(time.Since(t0).Microseconds())/1000)
			}
			slices.Sort(times)
			b.ReportMetric(times[len(times)/2], "ms-median/op")
		})
	}
}
