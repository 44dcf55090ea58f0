package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

var _ ordering.DemandHistory = (*Store)(nil)

// BrandForecasts returns the brand-level weeks of [from, to) of the latest complete forecast run of
// the live data (the latest as-of, then the latest started) for brands, and the run's id; no run is
// an empty map and "".
func (s *Store) BrandForecasts(ctx context.Context, brands []string, from, to time.Time) (map[string][]ordering.BrandForecast, string, error) {
	out := map[string][]ordering.BrandForecast{}
	var run string
	rows, err := s.conn.Query(ctx, `SELECT run_id FROM forecast_runs WHERE dataset = ?
		ORDER BY as_of DESC, started_at DESC, run_id DESC LIMIT 1`, liveDataset)
	if err != nil {
		return nil, "", fmt.Errorf("clickhouse: latest forecast run: %w", err)
	}
	if rows.Next() {
		err = rows.Scan(&run)
	}
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return nil, "", fmt.Errorf("clickhouse: latest forecast run: %w", err)
	}
	if run == "" || len(brands) == 0 {
		return out, run, nil
	}
	rows, err = s.conn.Query(ctx, `SELECT brand, toString(week), point, lo80, hi80 FROM forecasts
		WHERE run_id = ? AND level = 'brand' AND week >= toDate(?) AND week < toDate(?) AND has(?, brand)
		ORDER BY brand, week`, run, from.Format(time.DateOnly), to.Format(time.DateOnly), brands)
	if err != nil {
		return nil, "", fmt.Errorf("clickhouse: brand forecasts of run %s: %w", run, err)
	}
	defer rows.Close()
	for rows.Next() {
		var brand, week string
		var f ordering.BrandForecast
		if err := rows.Scan(&brand, &week, &f.Point, &f.Lo80, &f.Hi80); err != nil {
			return nil, "", fmt.Errorf("clickhouse: brand forecasts of run %s: %w", run, err)
		}
		if f.Week, err = time.Parse(time.DateOnly, week); err != nil {
			return nil, "", fmt.Errorf("clickhouse: brand forecasts of run %s: week %q: %w", run, week, err)
		}
		out[brand] = append(out[brand], f)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("clickhouse: brand forecasts of run %s: %w", run, err)
	}
	return out, run, nil
}

// WeeklySales returns each of brands' average weekly delivered cartons in the live sales history
// over the ordering.SalesWindowWeeks weeks before the week of now; brands without sales are absent.
func (s *Store) WeeklySales(ctx context.Context, brands []string, now time.Time) (map[string]float64, error) {
	out := map[string]float64{}
	if len(brands) == 0 {
		return out, nil
	}
	to := mondayOf(now)
	from := to.AddDate(0, 0, -7*ordering.SalesWindowWeeks)
	weeks, err := s.weekCells(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: weekly sales: %w", err)
	}
	for w := from; w.Before(to); w = w.AddDate(0, 0, 7) {
		for _, c := range weeks[w] {
			if c.lines > 0 && slices.Contains(brands, c.brand) {
				out[c.brand] += c.delivered
			}
		}
	}
	for b := range out {
		out[b] /= ordering.SalesWindowWeeks
	}
	return out, nil
}

// mondayOf is the Monday of t's week (t's calendar day, UTC).
func mondayOf(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}
