package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/forecast"
)

// RecentWeeks is how many full weeks before now RecentWeeklyDemand averages over.
const RecentWeeks = 8

// RecentWeeklyDemand returns an outlet's average weekly demand per brand over the RecentWeeks full
// weeks before now's week, from the live history: requested cartons, which a limit does not censor.
// Brands the outlet did not ask for are absent.
func (s *Store) RecentWeeklyDemand(ctx context.Context, outlet string, now time.Time) (map[string]float64, error) {
	to := forecast.Monday(now)
	from := to.AddDate(0, 0, -7*RecentWeeks)
	rows, err := s.conn.Query(ctx, `SELECT brand, sum(requested) FROM sales
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
