package clickhouse

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ordercast/ordercast/forecast"
)

var _ forecast.ScanReader = (*Store)(nil)

// PacksPerCarton converts scanned packs into the cartons of the sales history (a carton is 10 packs).
const PacksPerCarton = 10

// ScanHistory returns what the collection points' validated scans say of each outlet × brand in weeks
// (Mondays, ascending): per week the packs sold (sell-out rows) and the stock of the week's latest
// stock count, both in cartons; a week without a stock count has a NaN stock. Series are sorted by
// outlet, then brand; scans outside weeks are not read. With more than maxOutlets outlets scanning
// in weeks (maxOutlets > 0), only those whose cityHash64 is 0 modulo ⌈outlets / maxOutlets⌉ are read.
// A scan row stored twice (scans is a ReplacingMergeTree on its identity) counts once: read with FINAL.
func (s *Store) ScanHistory(ctx context.Context, weeks []time.Time, maxOutlets int) (forecast.ScanPanel, error) {
	p := forecast.ScanPanel{Weeks: weeks}
	if len(weeks) == 0 {
		return p, nil
	}
	from, to := dateString(weeks[0]), dateString(weeks[len(weeks)-1].AddDate(0, 0, 7))
	modulus := uint64(1)
	if maxOutlets > 0 {
		var outlets uint64
		if err := s.conn.QueryRow(ctx, "SELECT uniqExact(outlet) FROM scans WHERE day >= toDate(?) AND day < toDate(?)",
			from, to).Scan(&outlets); err != nil {
			return p, fmt.Errorf("clickhouse: count scanning outlets: %w", err)
		}
		modulus = max(1, (outlets+uint64(maxOutlets)-1)/uint64(maxOutlets))
	}
	index := make(map[uint16]int, len(weeks))
	for i, w := range weeks {
		index[uint16(w.Unix()/86400)] = i
	}
	rows, err := s.conn.Query(ctx, `SELECT outlet, brand, toUInt16(toMonday(day)) AS w,
			sumIf(qty, kind = 'sellout'), argMaxIf(qty, scanned_at, kind = 'stock'), countIf(kind = 'stock')
		FROM (SELECT outlet, batch_id, row_no, brand, kind, day, qty, scanned_at FROM scans FINAL
			WHERE day >= toDate(?) AND day < toDate(?) AND cityHash64(outlet) % ? = 0)
		GROUP BY outlet, brand, w ORDER BY outlet, brand, w`, from, to, modulus)
	if err != nil {
		return p, fmt.Errorf("clickhouse: read scans: %w", err)
	}
	defer rows.Close()
	var (
		outlet, brand string
		w             uint16
		sold, stock   float64
		counts        uint64
	)
	for rows.Next() {
		if err := rows.Scan(&outlet, &brand, &w, &sold, &stock, &counts); err != nil {
			return p, fmt.Errorf("clickhouse: read scans: %w", err)
		}
		t, ok := index[w]
		if !ok {
			continue
		}
		n := len(p.Series)
		if n == 0 || p.Series[n-1].Outlet != outlet || p.Series[n-1].Brand != brand {
			ss := forecast.ScanSeries{Outlet: outlet, Brand: brand, SellOut: make([]float64, len(weeks)),
				Stock: make([]float64, len(weeks))}
			for k := range ss.Stock {
				ss.Stock[k] = math.NaN()
			}
			p.Series = append(p.Series, ss)
			n++
		}
		ss := &p.Series[n-1]
		ss.SellOut[t] = sold / PacksPerCarton
		if counts > 0 {
			ss.Stock[t] = stock / PacksPerCarton
		}
	}
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("clickhouse: read scans: %w", err)
	}
	return p, nil
}
