package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

// SalesBy returns the live sales of brands in the weeks [from, to) per week, brand and the outlets'
// area or business format (as the latest outlets_dim says), by week, brand and group.
func (s *Store) SalesBy(ctx context.Context, brands []string, by ordering.SalesGrouping, from, to time.Time) ([]ordering.SalesRow, error) {
	if len(brands) == 0 {
		return nil, nil
	}
	if isMonday(from) && isMonday(to) {
		return s.salesByWeeks(ctx, brands, by, from, to)
	}
	column := "area"
	if by == ordering.ByFormat {
		column = "business_format"
	}
	rows, err := s.conn.Query(ctx, `SELECT toString(toMonday(day)) AS week, brand, grp, sum(delivered), sum(requested), uniqExact(outlet)
		FROM (SELECT day, brand, outlet, delivered, requested FROM sales
			WHERE dataset = ? AND day >= toDate(?) AND day < toDate(?) AND has(?, brand))
		ANY LEFT JOIN (SELECT outlet, argMax(`+column+`, version) AS grp FROM outlets_dim WHERE dataset = ? GROUP BY outlet) USING outlet
		GROUP BY week, brand, grp ORDER BY week, brand, grp`,
		liveDataset, from.Format(time.DateOnly), to.Format(time.DateOnly), brands, liveDataset)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: sales by %s: %w", by, err)
	}
	defer rows.Close()
	var out []ordering.SalesRow
	for rows.Next() {
		var r ordering.SalesRow
		var week string
		var outlets uint64
		if err := rows.Scan(&week, &r.Brand, &r.Group, &r.Delivered, &r.Requested, &outlets); err != nil {
			return nil, fmt.Errorf("clickhouse: sales by %s: %w", by, err)
		}
		if r.Week, err = time.Parse(time.DateOnly, week); err != nil {
			return nil, fmt.Errorf("clickhouse: sales by %s: week %q: %w", by, week, err)
		}
		r.Outlets = int(outlets)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: sales by %s: %w", by, err)
	}
	return out, nil
}

// salesByWeeks is SalesBy of whole weeks, from each week's kept aggregate.
func (s *Store) salesByWeeks(ctx context.Context, brands []string, by ordering.SalesGrouping, from, to time.Time) ([]ordering.SalesRow, error) {
	weeks, err := s.weekCells(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: sales by %s: %w", by, err)
	}
	type key struct{ brand, group string }
	var out []ordering.SalesRow
	for w := from; w.Before(to); w = w.AddDate(0, 0, 7) {
		at := map[key]int{}
		first := len(out)
		for _, c := range weeks[w] {
			if !slices.Contains(brands, c.brand) {
				continue
			}
			k := key{c.brand, c.area}
			if by == ordering.ByFormat {
				k.group = c.format
			}
			i, ok := at[k]
			if !ok {
				i = len(out)
				at[k] = i
				out = append(out, ordering.SalesRow{Week: w, Brand: k.brand, Group: k.group})
			}
			out[i].Delivered += c.delivered
			out[i].Requested += c.requested
			out[i].Outlets += int(c.outlets)
		}
		slices.SortFunc(out[first:], func(a, b ordering.SalesRow) int {
			if c := strings.Compare(a.Brand, b.Brand); c != 0 {
				return c
			}
			return strings.Compare(a.Group, b.Group)
		})
	}
	return out, nil
}
