package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/allocation"
)

// BrandDemand returns each outlet's forecast demand for brand in the week starting week, in cartons,
// from the latest forecast run of the live data whose weeks include it, and that run's id. The map is
// empty when the run did not forecast the brand; without a run covering the week the error wraps
// forecast.ErrNoRun.
//
// It reads forecasts_by_brand, where one brand-week of a run is one range of the key (100,000 rows
// for 100,000 outlets), rather than forecasts, where it is spread over every outlet row of the run. A
// run with no row there at all (written by a binary older than migration 0004 after it ran) is read
// from forecasts, as before.
func (s *Store) BrandDemand(ctx context.Context, brand string, week time.Time) (map[string]float64, string, error) {
	run, err := s.RunCovering(ctx, week)
	if err != nil {
		return nil, "", err
	}
	out, err := s.RunBrandDemand(ctx, run, brand, week)
	if err != nil {
		return nil, "", err
	}
	return out, run, nil
}

// RunCovering is the id of the run BrandDemand reads for week: the latest forecast run of the live
// data whose weeks include it. Without one the error wraps forecast.ErrNoRun.
func (s *Store) RunCovering(ctx context.Context, week time.Time) (string, error) {
	run, err := s.runCovering(ctx, week)
	if err != nil {
		return "", err
	}
	return run.ID, nil
}

// RunBrandDemand is BrandDemand of the run named: each outlet's forecast of brand in the week. A
// run's forecasts never change once the run is visible, so its answer can be kept.
func (s *Store) RunBrandDemand(ctx context.Context, run, brand string, week time.Time) (map[string]float64, error) {
	w := week.Format(time.DateOnly)
	// Each row of forecasts_by_brand is a copy of the one row of forecasts of its key (a repeated
	// backfill may leave two copies until they merge, which the map keeps once): no GROUP BY, whose
	// hashing of 100,000 outlets would cost more than the read (0.2 s against 0.04 s here).
	out, err := s.demandByOutlet(ctx, `SELECT outlet, point FROM forecasts_by_brand WHERE run_id = ? AND brand = ?
		AND week = toDate(?)`, run, brand, w)
	if err == nil && len(out) == 0 {
		var copied bool
		if copied, err = s.runCopiedByBrand(ctx, run); err == nil && !copied {
			out, err = s.brandDemandScan(ctx, run, brand, week)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("clickhouse: forecast demand of %s: %w", brand, err)
	}
	return out, nil
}

// brandDemandScan is BrandDemand of run read from forecasts, every outlet row of the run scanned.
func (s *Store) brandDemandScan(ctx context.Context, run, brand string, week time.Time) (map[string]float64, error) {
	return s.demandByOutlet(ctx, `SELECT outlet, sum(point) FROM forecasts WHERE run_id = ? AND level = 'outlet'
		AND brand = ? AND week = toDate(?) GROUP BY outlet`, run, brand, week.Format(time.DateOnly))
}

// runCopiedByBrand says whether forecasts_by_brand has rows of run.
func (s *Store) runCopiedByBrand(ctx context.Context, run string) (bool, error) {
	rows, err := s.conn.Query(ctx, "SELECT 1 FROM forecasts_by_brand WHERE run_id = ? LIMIT 1", run)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := rows.Next()
	return found, rows.Err()
}

// BandDemand is BrandDemand of every brand of a price class (1 … 5) together: the demand of a price
// band, for allocations by price band.
func (s *Store) BandDemand(ctx context.Context, priceClass int, week time.Time) (map[string]float64, string, error) {
	run, err := s.runCovering(ctx, week)
	if err != nil {
		return nil, "", err
	}
	out, err := s.demandByOutlet(ctx, `SELECT outlet, sum(point) FROM forecasts WHERE run_id = ? AND level = 'outlet'
		AND week = toDate(?) AND brand GLOBAL IN (SELECT brand FROM brands_dim FINAL WHERE dataset = ? AND price_class = ?)
		GROUP BY outlet`, run.ID, week.Format(time.DateOnly), forecast.LiveDataset, uint8(priceClass))
	if err != nil {
		return nil, "", fmt.Errorf("clickhouse: forecast demand of price class %d: %w", priceClass, err)
	}
	return out, run.ID, nil
}

// demandByOutlet runs query, whose rows are an outlet and its demand, and returns them as a map.
func (s *Store) demandByOutlet(ctx context.Context, query string, args ...any) (map[string]float64, error) {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var outlet string
		var point float64
		if err := rows.Scan(&outlet, &point); err != nil {
			return nil, err
		}
		out[outlet] = point
	}
	return out, rows.Err()
}

// WriteAllocation stores an allocation of the week's cycle with every outlet's explanation, as one
// INSERT. published says whether its limits were published to the ordering store.
func (s *Store) WriteAllocation(ctx context.Context, allocationID string, week time.Time, r *allocation.Result,
	explanations []string, published bool, at time.Time) error {
	n := len(r.Limits)
	if len(explanations) != n {
		return fmt.Errorf("clickhouse: allocation %s: %d explanations for %d limits", allocationID, len(explanations), n)
	}
	ids, weeks, brands, outlets, modes := make([]string, n), make([]time.Time, n), make([]string, n), make([]string, n), make([]string, n)
	grades := make([]uint8, n)
	demand, caps, quota := make([]float64, n), make([]float64, n), make([]float64, n)
	limits := make([]uint32, n)
	pub := make([]uint8, n)
	created := make([]time.Time, n)
	var p uint8
	if published {
		p = 1
	}
	for i, l := range r.Limits {
		ids[i], weeks[i], brands[i], outlets[i], modes[i] = allocationID, week, r.Brand, l.Outlet, string(r.Mode)
		grades[i], demand[i], caps[i], quota[i], limits[i] = uint8(l.Grade), l.Demand, float64(l.Cap), l.Quota, uint32(l.Cartons)
		pub[i], created[i] = p, at
	}
	err := stores.InsertColumns(ctx, s.conn, "INSERT INTO allocations (allocation_id, cycle_week, brand, outlet, mode, grade, "+
		"demand, cap, quota, limit_cartons, explanation, published, created_at)",
		ids, weeks, brands, outlets, modes, grades, demand, caps, quota, limits, explanations, pub, created)
	if err != nil {
		return fmt.Errorf("clickhouse: write allocation %s: %w", allocationID, err)
	}
	return nil
}

// runCovering returns the latest complete forecast run of the live data whose weeks include week.
func (s *Store) runCovering(ctx context.Context, week time.Time) (ForecastRun, error) {
	w := dateString(forecast.Monday(week))
	run, err := s.oneRun(ctx, "WHERE dataset = ? AND as_of <= toDate(?) AND addWeeks(as_of, horizon) > toDate(?)",
		forecast.LiveDataset, w, w)
	if err != nil {
		return ForecastRun{}, fmt.Errorf("clickhouse: forecast run covering the week of %s: %w", w, err)
	}
	return run, nil
}
