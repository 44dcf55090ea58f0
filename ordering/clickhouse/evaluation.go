package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

var _ ordering.EvaluationHistory = (*Store)(nil)

// BrandMonths reads what the evaluation of month (its first day) rests on for brands from the live
// history: the brands' master data, their monthly deliveries over ordering.EvaluationMonths months,
// first sale, buyers, orderers of the month and the 3 before, the active outlets and the scored
// forecast accuracy (against sales). Warehouse stock is left nil.
func (s *Store) BrandMonths(ctx context.Context, month time.Time, brands []string) ([]ordering.BrandMonth, error) {
	out := make([]ordering.BrandMonth, 0, len(brands))
	if len(brands) == 0 {
		return out, nil
	}
	end := month.AddDate(0, 1, 0)
	from := month.AddDate(0, 1-ordering.EvaluationMonths, 0)
	m, e, f, p := month.Format(time.DateOnly), end.Format(time.DateOnly), from.Format(time.DateOnly), month.AddDate(0, -3, 0).Format(time.DateOnly)
	index := map[string]int{}
	err := s.each(ctx, `SELECT brand, argMax(name, version), argMax(manufacturer, version), argMax(new_product, version),
			toString(argMax(launch_date, version)) FROM brands_dim WHERE dataset = ? AND has(?, brand) GROUP BY brand ORDER BY brand`,
		[]any{liveDataset, brands}, func(scan func(...any) error) error {
			var b ordering.BrandMonth
			var newProduct uint8
			var launch string
			if err := scan(&b.Brand, &b.Name, &b.Manufacturer, &newProduct, &launch); err != nil {
				return err
			}
			b.NewProduct = newProduct != 0
			if t, err := time.Parse(time.DateOnly, launch); err == nil && t.Year() > 1970 {
				b.Launch = t
			}
			b.Sales = make([]float64, ordering.EvaluationMonths)
			index[b.Brand] = len(out)
			out = append(out, b)
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = s.each(ctx, `SELECT brand, toString(toStartOfMonth(day)) AS m, sum(delivered) FROM sales
			WHERE dataset = ? AND day >= toDate(?) AND day < toDate(?) AND has(?, brand) GROUP BY brand, m`,
		[]any{liveDataset, f, e, brands}, func(scan func(...any) error) error {
			var brand, mon string
			var sum float64
			if err := scan(&brand, &mon, &sum); err != nil {
				return err
			}
			t, err := time.Parse(time.DateOnly, mon)
			if i, ok := index[brand]; ok && err == nil {
				k := (t.Year()-from.Year())*12 + int(t.Month()-from.Month())
				if k >= 0 && k < ordering.EvaluationMonths {
					out[i].Sales[k] = sum
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = s.each(ctx, `SELECT brand, toString(min(day)) FROM sales WHERE dataset = ? AND delivered > 0 AND day < toDate(?)
			AND has(?, brand) GROUP BY brand`, []any{liveDataset, e, brands}, func(scan func(...any) error) error {
		var brand, first string
		if err := scan(&brand, &first); err != nil {
			return err
		}
		if i, ok := index[brand]; ok {
			out[i].FirstSale, _ = time.Parse(time.DateOnly, first)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = s.each(ctx, `SELECT brand, countIf(cur = 1 AND delivered > 0), countIf(prev = 1), countIf(prev = 1 AND cur = 1 AND req > 0) FROM (
			SELECT brand, outlet, max(day >= toDate(?)) AS cur, max(day < toDate(?) AND requested > 0) AS prev,
				sumIf(delivered, day >= toDate(?)) AS delivered, sumIf(requested, day >= toDate(?)) AS req
			FROM sales WHERE dataset = ? AND day >= toDate(?) AND day < toDate(?) AND has(?, brand) GROUP BY brand, outlet)
		GROUP BY brand`, []any{m, m, m, m, liveDataset, p, e, brands}, func(scan func(...any) error) error {
		var brand string
		var buyers, ordered, reordered uint64
		if err := scan(&brand, &buyers, &ordered, &reordered); err != nil {
			return err
		}
		if i, ok := index[brand]; ok {
			out[i].Buyers, out[i].Ordered, out[i].Reordered = int(buyers), int(ordered), int(reordered)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var active uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM (SELECT outlet, argMax(status, version) AS st FROM outlets_dim
		WHERE dataset = ? GROUP BY outlet) WHERE st = 'active'`, liveDataset).Scan(&active); err != nil {
		return nil, fmt.Errorf("clickhouse: active outlets: %w", err)
	}
	for i := range out {
		out[i].Active = int(active)
	}
	err = s.each(ctx, `SELECT key, argMax(accuracy, scored_at) FROM accuracy_scores WHERE month = toDate(?) AND dataset = ?
			AND against = ? AND level = 'brand' AND has(?, key) GROUP BY key`, []any{m, liveDataset, ordering.AccuracyBasis, brands},
		func(scan func(...any) error) error {
			var brand string
			var acc float64
			if err := scan(&brand, &acc); err != nil {
				return err
			}
			if i, ok := index[brand]; ok {
				out[i].Accuracy = &acc
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// each runs query with args and calls row for every row with its Scan.
func (s *Store) each(ctx context.Context, query string, args []any, row func(scan func(...any) error) error) error {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("clickhouse: brand evaluation: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return fmt.Errorf("clickhouse: brand evaluation: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("clickhouse: brand evaluation: %w", err)
	}
	return nil
}
