package clickhouse

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ordercast/ordercast/retailer"
)

// Purchases returns what each outlet of the live history bought from the day from to the day before
// to: delivered cartons and their amount at the brand's wholesale price (its newest dimension row), in
// cents. Outlets that bought nothing are absent.
func (s *Store) Purchases(ctx context.Context, from, to time.Time) (map[string]retailer.Purchase, error) {
	rows, err := s.conn.Query(ctx, `SELECT outlet, sum(delivered * price), sum(delivered)
		FROM sales GLOBAL ANY LEFT JOIN (
			SELECT brand, argMax(wholesale_price, version) AS price FROM brands_dim WHERE dataset = 'live' GROUP BY brand
		) USING brand
		WHERE dataset = 'live' AND day >= toDate(?) AND day < toDate(?)
		GROUP BY outlet`, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return nil, unavailable(fmt.Errorf("clickhouse: read purchases: %w", err))
	}
	defer rows.Close()
	out := map[string]retailer.Purchase{}
	for rows.Next() {
		var outlet string
		var amount, cartons float64
		if err := rows.Scan(&outlet, &amount, &cartons); err != nil {
			return nil, fmt.Errorf("clickhouse: read purchases: %w", err)
		}
		out[outlet] = retailer.Purchase{AmountCents: int64(math.Round(amount * 100)), Cartons: cartons}
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("clickhouse: read purchases: %w", err))
	}
	return out, nil
}
