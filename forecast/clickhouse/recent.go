package clickhouse

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/ordering"
)

// RecentWeeks is how many full weeks before now RecentWeeklyDemand averages over.
const RecentWeeks = 8

// RecentWeeklyDemand returns an outlet's average weekly demand per brand over the RecentWeeks full
// weeks before now's week, from the live history: requested cartons, which a limit does not censor.
// Brands the outlet did not ask for are absent.
func (s *Store) RecentWeeklyDemand(ctx context.Context, outlet string, now time.Time) (map[string]float64, error) {
	to := forecast.Monday(now)
	from := to.AddDate(0, 0, -7*RecentWeeks)
	rows, err := s.conn.Query(ctx, `SELECT brand, sum(requested) FROM sales_by_outlet FINAL
		WHERE dataset = ? AND day >= toDate(?) AND day < toDate(?) AND outlet = ?
		GROUP BY brand`, forecast.LiveDataset, dateString(from), dateString(to), outlet)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read recent demand: %w", err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var brand string
		var total float64
		if err := rows.Scan(&brand, &total); err != nil {
			return nil, fmt.Errorf("clickhouse: read recent demand: %w", err)
		}
		out[brand] = total / RecentWeeks
	}
	return out, rows.Err()
}

// OutletForecast returns an outlet's forecast per brand (cartons) for the week that holds week, its
// point and the upper bound of its calibrated 80% interval (0 when the run stored none), from the latest complete forecast run of the live dataset whose weeks include it (the latest
// as-of, then the latest started), with that run's id: the basis of suggested quantities. Brands the
// run did not forecast for the outlet are absent; an outlet the run did not forecast gets an empty
// map and the run's id. It returns an error wrapping forecast.ErrNoRun when no run covers the week.
func (s *Store) OutletForecast(ctx context.Context, outlet string, week time.Time) (map[string]ordering.Demand, string, error) {
	w := dateString(forecast.Monday(week))
	run, err := s.runCovering(ctx, week)
	if err != nil {
		return nil, "", fmt.Errorf("clickhouse: forecast of outlet %s: %w", outlet, err)
	}
	rows, err := s.conn.Query(ctx, "SELECT brand, point, hi80 FROM forecasts WHERE run_id = ? AND level = 'outlet' "+
		"AND outlet = ? AND week = toDate(?)", run.ID, outlet, w)
	if err != nil {
		return nil, "", fmt.Errorf("clickhouse: forecast of outlet %s in the week of %s: %w", outlet, w, err)
	}
	defer rows.Close()
	out := make(map[string]ordering.Demand)
	for rows.Next() {
		var brand string
		var d ordering.Demand
		if err := rows.Scan(&brand, &d.Expected, &d.Upper); err != nil {
			return nil, "", fmt.Errorf("clickhouse: forecast of outlet %s in the week of %s: %w", outlet, w, err)
		}
		if math.IsNaN(d.Upper) || math.IsInf(d.Upper, 0) || d.Upper < 0 {
			d.Upper = 0
		}
		out[brand] = d
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("clickhouse: forecast of outlet %s in the week of %s: %w", outlet, w, err)
	}
	return out, run.ID, nil
}
