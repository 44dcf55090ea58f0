package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/forecast"
)

// OutletWeeks returns an outlet's weeks from the Monday of from to the Monday of to (both included):
// its sales history (requested, granted, delivered), the forecast of the latest complete run of the
// live dataset with its 80% interval, and its validated scans (the stock of the week's last count per
// brand, summed; the sell-out), in cartons. brand "" sums the outlet's brands. Three small queries,
// each read by the outlet's key.
func (s *Store) OutletWeeks(ctx context.Context, outlet, brand string, from, to time.Time) (forecast.OutletWeeks, error) {
	out := forecast.OutletWeeks{Outlet: outlet, Brand: brand}
	first, last := forecast.Monday(from), forecast.Monday(to)
	index := map[string]int{}
	for w := first; !w.After(last); w = w.AddDate(0, 0, 7) {
		index[dateString(w)] = len(out.Weeks)
		out.Weeks = append(out.Weeks, forecast.OutletWeek{Week: w})
	}
	if len(out.Weeks) == 0 {
		return out, nil
	}
	end := dateString(last.AddDate(0, 0, 7))
	brandIs, args := "", []any{}
	if brand != "" {
		brandIs, args = " AND brand = ?", []any{brand}
	}
	fail := func(what string, err error) (forecast.OutletWeeks, error) {
		return forecast.OutletWeeks{}, fmt.Errorf("clickhouse: %s of outlet %s: %w", what, outlet, err)
	}

	rows, err := s.conn.Query(ctx, `SELECT toString(toMonday(day)) AS w, sum(requested), sum(granted), sum(delivered)
		FROM sales WHERE dataset = ? AND outlet = ? AND day >= toDate(?) AND day < toDate(?)`+brandIs+`
		GROUP BY w`, append([]any{forecast.LiveDataset, outlet, dateString(first), end}, args...)...)
	if err != nil {
		return fail("sales", err)
	}
	for rows.Next() {
		var w string
		var r, g, d float64
		if err := rows.Scan(&w, &r, &g, &d); err != nil {
			rows.Close()
			return fail("sales", err)
		}
		if i, ok := index[w]; ok {
			out.Weeks[i].Requested, out.Weeks[i].Granted, out.Weeks[i].Delivered = r, g, d
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail("sales", err)
	}

	run, err := s.LatestRun(ctx, forecast.LiveDataset)
	switch {
	case errors.Is(err, forecast.ErrNoRun):
	case err != nil:
		return forecast.OutletWeeks{}, err
	default:
		out.Run = run.ID
		rows, err := s.conn.Query(ctx, `SELECT toString(week), sum(point), sum(lo80), sum(hi80) FROM forecasts
			WHERE run_id = ? AND level = 'outlet' AND outlet = ? AND week >= toDate(?) AND week < toDate(?)`+brandIs+`
			GROUP BY week`, append([]any{run.ID, outlet, dateString(first), end}, args...)...)
		if err != nil {
			return fail("forecast", err)
		}
		for rows.Next() {
			var w string
			var f forecast.Interval
			if err := rows.Scan(&w, &f.Point, &f.Lo80, &f.Hi80); err != nil {
				rows.Close()
				return fail("forecast", err)
			}
			if i, ok := index[w]; ok {
				out.Weeks[i].Forecast = &f
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fail("forecast", err)
		}
	}

	// Per brand and week: the sell-out, and the last stock count if any; then summed per week.
	rows, err = s.conn.Query(ctx, `SELECT w, sum(sold), sum(sellouts), sumIf(stock, counts > 0), sum(counts) FROM (
			SELECT brand, toString(toMonday(day)) AS w, sumIf(qty, kind = 'sellout') AS sold, countIf(kind = 'sellout') AS sellouts,
				argMaxIf(qty, scanned_at, kind = 'stock') AS stock, countIf(kind = 'stock') AS counts
			FROM scans WHERE outlet = ? AND day >= toDate(?) AND day < toDate(?)`+brandIs+`
			GROUP BY brand, w)
		GROUP BY w`, append([]any{outlet, dateString(first), end}, args...)...)
	if err != nil {
		return fail("scans", err)
	}
	defer rows.Close()
	for rows.Next() {
		var w string
		var sold, stock float64
		var sellouts, counts uint64
		if err := rows.Scan(&w, &sold, &sellouts, &stock, &counts); err != nil {
			return fail("scans", err)
		}
		i, ok := index[w]
		if !ok {
			continue
		}
		if sellouts > 0 {
			sold /= PacksPerCarton
			out.Weeks[i].SellOut = &sold
		}
		if counts > 0 {
			stock /= PacksPerCarton
			out.Weeks[i].Stock = &stock
		}
	}
	if err := rows.Err(); err != nil {
		return fail("scans", err)
	}
	return out, nil
}
