package clickhouse

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
)

// smallRun returns a run of 3 series of 2 brands over 3 weeks that straddle November and December.
func smallRun(t *testing.T) Run {
	t.Helper()
	weeks := []time.Time{day("2026-11-16"), day("2026-11-23"), day("2026-11-30")}
	series := forecast.NewForecasts(3, 3, true)
	for i, f := range series {
		for j := range 3 {
			f.Mean[j] = float64(10*(i+1) + j)
			f.Lower[j] = f.Mean[j] - 1
			f.Upper[j] = f.Mean[j] + 2
		}
	}
	brandOf := []int{0, 1, 0}
	rec, err := forecast.Reconcile(series, brandOf, 2)
	if err != nil {
		t.Fatal(err)
	}
	return Run{
		ID: "run-1", Dataset: forecast.LiveDataset, AsOf: weeks[0], Weeks: weeks, Models: "test",
		StartedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Outlets:   []string{"O1", "O1", "O2"}, Brands: []string{"B1", "B2", "B1"},
		Series: series, SeriesModel: []string{"ses", "naive", "ses"},
		BrandCodes: []string{"B1", "B2"}, BrandOf: brandOf, Reconciled: rec,
	}
}

func TestWriteRun(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	if _, err := s.LatestRun(ctx, forecast.LiveDataset); !errors.Is(err, forecast.ErrNoRun) {
		t.Errorf("LatestRun before any run = %v; want %v", err, forecast.ErrNoRun)
	}
	r := smallRun(t)
	var progress int
	if err := s.WriteRun(ctx, r, 4, func(rows int) { progress = rows }); err != nil { // blocks of 4 rows
		t.Fatalf("WriteRun: %v", err)
	}
	weekly, monthly := r.Rows()
	if weekly != (3+2+1)*3 || monthly != (3+2+1)*2 || progress != weekly+monthly {
		t.Errorf("Rows() = %d, %d, progress %d; want 18, 12 and 30", weekly, monthly, progress)
	}
	tests := []struct {
		name  string
		query string
		want  float64
	}{
		{"weekly rows", "SELECT toFloat64(count()) FROM forecasts WHERE run_id = 'run-1'", 18},
		{"outlet points", "SELECT sum(point) FROM forecasts WHERE level = 'outlet'", 10 + 11 + 12 + 20 + 21 + 22 + 30 + 31 + 32},
		{"brand B1 week 2", "SELECT point FROM forecasts WHERE level = 'brand' AND brand = 'B1' AND week = toDate('2026-11-23')", 11 + 31},
		{"total week 3", "SELECT point FROM forecasts WHERE level = 'total' AND outlet = '' AND brand = ''" +
			" AND week = toDate('2026-11-30')", 12 + 22 + 32},
		{"total interval below", "SELECT lo80 FROM forecasts WHERE level = 'total' AND week = toDate('2026-11-16')", 60 - math.Sqrt(3)},
		{"total interval above", "SELECT hi80 FROM forecasts WHERE level = 'total' AND week = toDate('2026-11-16')", 60 + math.Sqrt(12)},
		{"model", "SELECT toFloat64(count()) FROM forecasts WHERE model = 'naive' AND outlet = 'O1' AND brand = 'B2'", 3},
		{"bottom-up", "SELECT toFloat64(count()) FROM forecasts WHERE model = 'bottom-up'", 9},
		// 2026-11-30 has 1 day in November and 6 in December.
		{"November total", "SELECT point FROM forecasts_monthly WHERE level = 'total' AND month = toDate('2026-11-01')",
			60 + 63 + 66.0/7},
		{"December of O2", "SELECT point FROM forecasts_monthly WHERE outlet = 'O2' AND month = toDate('2026-12-01')", 32 * 6.0 / 7},
		{"monthly rows", "SELECT toFloat64(count()) FROM forecasts_monthly WHERE run_id = 'run-1' AND as_of = toDate('2026-11-16')", 12},
		{"by brand rows", "SELECT toFloat64(count()) FROM forecasts_by_brand WHERE run_id = 'run-1'", 9},
		{"by brand B1", "SELECT sum(point) FROM forecasts_by_brand WHERE run_id = 'run-1' AND brand = 'B1'", 10 + 11 + 12 + 30 + 31 + 32},
		{"by brand O1 B2 week 3", "SELECT point FROM forecasts_by_brand WHERE brand = 'B2' AND outlet = 'O1' AND week = toDate('2026-11-30')", 22},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got float64
			if err := conn.QueryRow(ctx, tt.query).Scan(&got); err != nil {
				t.Fatalf("%s: %v", tt.query, err)
			}
			if math.Abs(got-tt.want) > 1e-9*math.Max(1, tt.want) {
				t.Errorf("%s = %v; want %v", tt.query, got, tt.want)
			}
		})
	}
	fr, err := s.LatestRun(ctx, forecast.LiveDataset)
	if err != nil || fr.ID != "run-1" || fr.Horizon != 3 || fr.Series != 3 || !fr.AsOf.Equal(day("2026-11-16")) ||
		fr.Models != "test" || fr.FinishedAt.Before(fr.StartedAt) {
		t.Errorf("LatestRun = %+v, %v; want run-1 as of 2026-11-16, 3 weeks, 3 series, finished after it started", fr, err)
	}
}

func TestWriteRunInvalid(t *testing.T) {
	s := New(nil) // never reached
	for _, tt := range []struct {
		name   string
		change func(*Run)
	}{
		{"no id", func(r *Run) { r.ID = "" }},
		{"no weeks", func(r *Run) { r.Weeks = nil }},
		{"outlets", func(r *Run) { r.Outlets = r.Outlets[:2] }},
		{"brand forecasts", func(r *Run) { r.BrandCodes = r.BrandCodes[:1] }},
		{"no interval", func(r *Run) { r.Series[1].Lower = nil }},
		{"short series", func(r *Run) { r.Series[0].Mean = r.Series[0].Mean[:2] }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := smallRun(t)
			tt.change(&r)
			if err := s.WriteRun(context.Background(), r, 0, nil); !errors.Is(err, ErrInvalidRun) {
				t.Errorf("WriteRun = %v; want %v", err, ErrInvalidRun)
			}
		})
	}
}

// forecasts_by_brand's rows go in its key's order: the brands by code, each brand's outlets by code,
// whatever the order of the run's series (a new product's come last).
func TestSeriesByBrand(t *testing.T) {
	r := Run{Outlets: []string{"O1", "O1", "O2", "O3", "O0"}, Brands: []string{"B2", "B1", "B2", "B1", "B2"}}
	got := seriesByBrand(r)
	want := [][]int{{1, 3}, {4, 0, 2}}
	if !slices.EqualFunc(got, want, slices.Equal[[]int]) {
		t.Errorf("seriesByBrand = %v; want %v", got, want)
	}
}

// When one table's INSERT fails, WriteRun returns its error after both writers have stopped and
// records no run, whichever of the two concurrent writers failed.
func TestWriteRunOneTableFails(t *testing.T) {
	for _, table := range []string{"forecasts_by_brand", "forecasts_monthly"} {
		t.Run(table, func(t *testing.T) {
			ctx := context.Background()
			conn := storestest.ClickHouse(t)
			if err := conn.Exec(ctx, "RENAME TABLE "+table+" TO "+table+"_gone"); err != nil {
				t.Fatal(err)
			}
			s := New(conn)
			err := s.WriteRun(ctx, smallRun(t), 4, nil)
			if err == nil || !strings.Contains(err.Error(), table) {
				t.Fatalf("WriteRun without %s = %v; want its error", table, err)
			}
			if _, err := s.LatestRun(ctx, forecast.LiveDataset); !errors.Is(err, forecast.ErrNoRun) {
				t.Errorf("LatestRun after the failed write = %v; want %v", err, forecast.ErrNoRun)
			}
		})
	}
}
