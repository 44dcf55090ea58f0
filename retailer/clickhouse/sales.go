package clickhouse

import (
	"context"
	"fmt"
	"time"
)

// WeeklySales returns, per outlet of outlets (licence numbers) and per week (its Monday, midnight UTC)
// from first to the week of last, the cartons delivered to the outlet (sell-in) in the live sales
// history. Weeks without sales are absent.
func (s *Store) WeeklySales(ctx context.Context, outlets []string, first, last time.Time) (map[string]map[time.Time]float64, error) {
	out := map[string]map[time.Time]float64{}
	if len(outlets) == 0 {
		return out, nil
	}
	rows, err := s.conn.Query(ctx, `SELECT outlet, toString(toMonday(day)) AS week, sum(delivered) FROM sales
		WHERE dataset = 'live' AND has(?, outlet) AND day >= toDate(?) AND day <= toDate(?)
		GROUP BY outlet, week`, outlets, first.Format(time.DateOnly), last.AddDate(0, 0, 6).Format(time.DateOnly))
	if err != nil {
		return nil, unavailable(fmt.Errorf("clickhouse: read weekly sales: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var outlet, week string
		var cartons float64
		if err := rows.Scan(&outlet, &week, &cartons); err != nil {
			return nil, unavailable(fmt.Errorf("clickhouse: read weekly sales: %w", err))
		}
		monday, err := time.Parse(time.DateOnly, week)
		if err != nil {
			return nil, fmt.Errorf("clickhouse: read weekly sales: week %q: %w", week, err)
		}
		if out[outlet] == nil {
			out[outlet] = map[time.Time]float64{}
		}
		out[outlet][monday] = cartons
	}
	return out, unavailable(rows.Err())
}
