package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ordercast/ordercast/forecast"
)

// OutletWeeks returns an outlet's weeks from the Monday of from to the Monday of to (both included):
// its sales history (requested, granted, delivered), the forecast of the latest complete run of the
// live dataset with its 80% interval, and its validated scans (the stock of the week's last count per
// brand, summed; the sell-out), in cartons. brand "" sums the outlet's brands. Three small queries,
// each read by the outlet's key (the sales from sales_by_outlet, ordered by outlet), at once.
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
	q := outletQuery{index: index, outlet: outlet, first: dateString(first), end: dateString(last.AddDate(0, 0, 7))}
	if brand != "" {
		q.brandIs, q.args = " AND brand = ?", []any{brand}
	}
	// The three reads at once: each fills its own fields of out.Weeks.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.outletSales(gctx, &out, q) })
	g.Go(func() error { return s.outletForecast(gctx, &out, q) })
	g.Go(func() error { return s.outletScans(gctx, &out, q) })
	if err := g.Wait(); err != nil {
		return forecast.OutletWeeks{}, err
	}
	return out, nil
}

// outletQuery is what OutletWeeks' reads share: the weeks' positions by Monday, the outlet, the
// range of days [first, end) and the brand's condition with its argument ("" and none for every brand).
type outletQuery struct {
	index              map[string]int
	outlet, first, end string
	brandIs            string
	args               []any
}

// outletFail wraps an error of OutletWeeks' read what.
func outletFail(what, outlet string, err error) error {
	return fmt.Errorf("clickhouse: %s of outlet %s: %w", what, outlet, err)
}

// outletSales fills the weeks' requested, granted and delivered cartons from sales_by_outlet.
func (s *Store) outletSales(ctx context.Context, out *forecast.OutletWeeks, q outletQuery) error {
	outlet := q.outlet
	rows, err := s.conn.Query(ctx, `SELECT toString(toMonday(day)) AS w, sum(requested), sum(granted), sum(delivered)
		FROM sales_by_outlet FINAL WHERE dataset = ? AND outlet = ? AND day >= toDate(?) AND day < toDate(?)`+q.brandIs+`
		GROUP BY w`, append([]any{forecast.LiveDataset, q.outlet, q.first, q.end}, q.args...)...)
	if err != nil {
		return outletFail("sales", outlet, err)
	}
	defer rows.Close()
	for rows.Next() {
		var w string
		var r, g, d float64
		if err := rows.Scan(&w, &r, &g, &d); err != nil {
			return outletFail("sales", outlet, err)
		}
		if i, ok := q.index[w]; ok {
			out.Weeks[i].Requested, out.Weeks[i].Granted, out.Weeks[i].Delivered = r, g, d
		}
	}
	if err := rows.Err(); err != nil {
		return outletFail("sales", outlet, err)
	}
	return nil
}

// outletForecast fills the run and the weeks' forecasts of the latest run, if any.
func (s *Store) outletForecast(ctx context.Context, out *forecast.OutletWeeks, q outletQuery) error {
	outlet := q.outlet
	run, err := s.LatestRun(ctx, forecast.LiveDataset)
	switch {
	case errors.Is(err, forecast.ErrNoRun):
		return nil
	case err != nil:
		return err
	}
	out.Run = run.ID
	rows, err := s.conn.Query(ctx, `SELECT toString(week), sum(point), sum(lo80), sum(hi80) FROM forecasts
		WHERE run_id = ? AND level = 'outlet' AND outlet = ? AND week >= toDate(?) AND week < toDate(?)`+q.brandIs+`
		GROUP BY week`, append([]any{run.ID, q.outlet, q.first, q.end}, q.args...)...)
	if err != nil {
		return outletFail("forecast", outlet, err)
	}
	defer rows.Close()
	for rows.Next() {
		var w string
		var f forecast.Interval
		if err := rows.Scan(&w, &f.Point, &f.Lo80, &f.Hi80); err != nil {
			return outletFail("forecast", outlet, err)
		}
		if i, ok := q.index[w]; ok {
			out.Weeks[i].Forecast = &f
		}
	}
	if err := rows.Err(); err != nil {
		return outletFail("forecast", outlet, err)
	}
	return nil
}

// outletScans fills the weeks' sell-out and stock: per brand and week the sell-out and the last
// stock count if any, then summed per week; a scan row stored twice counts once (FINAL).
func (s *Store) outletScans(ctx context.Context, out *forecast.OutletWeeks, q outletQuery) error {
	outlet := q.outlet
	rows, err := s.conn.Query(ctx, `SELECT w, sum(sold), sum(sellouts), sumIf(stock, counts > 0), sum(counts) FROM (
			SELECT brand, toString(toMonday(day)) AS w, sumIf(qty, kind = 'sellout') AS sold, countIf(kind = 'sellout') AS sellouts,
				argMaxIf(qty, scanned_at, kind = 'stock') AS stock, countIf(kind = 'stock') AS counts
			FROM (SELECT outlet, batch_id, row_no, brand, kind, day, qty, scanned_at FROM scans FINAL
				WHERE outlet = ? AND day >= toDate(?) AND day < toDate(?)`+q.brandIs+`)
			GROUP BY brand, w)
		GROUP BY w`, append([]any{q.outlet, q.first, q.end}, q.args...)...)
	if err != nil {
		return outletFail("scans", outlet, err)
	}
	defer rows.Close()
	for rows.Next() {
		var w string
		var sold, stock float64
		var sellouts, counts uint64
		if err := rows.Scan(&w, &sold, &sellouts, &stock, &counts); err != nil {
			return outletFail("scans", outlet, err)
		}
		i, ok := q.index[w]
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
		return outletFail("scans", outlet, err)
	}
	return nil
}
