package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/retailer"
)

// Uploads sums up the scan batches each of outlets (licence numbers) uploaded since since. Outlets
// without a batch in the period are not in the map. A batch stored twice (scan_batches merges its
// copies only eventually) counts once.
func (s *Store) Uploads(ctx context.Context, outlets []string, since time.Time) (map[string]retailer.Upload, error) {
	out := map[string]retailer.Upload{}
	if len(outlets) == 0 {
		return out, nil
	}
	rows, err := s.conn.Query(ctx, `SELECT outlet, max(received), count(), sum(accepted), sum(rejected) FROM (
			SELECT outlet, batch_id, min(received_at) AS received, any(accepted) AS accepted, any(rejected) AS rejected
			FROM scan_batches WHERE has(?, outlet) AND received_at >= toDateTime(?)
			GROUP BY outlet, batch_id)
		GROUP BY outlet`, outlets, since.Unix())
	if err != nil {
		return nil, unavailable(fmt.Errorf("clickhouse: read uploads: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var outlet string
		var last time.Time
		var batches, accepted, rejected uint64
		if err := rows.Scan(&outlet, &last, &batches, &accepted, &rejected); err != nil {
			return nil, unavailable(fmt.Errorf("clickhouse: read uploads: %w", err))
		}
		out[outlet] = retailer.Upload{Last: last, Batches: int(batches), Accepted: int(accepted), Rejected: int(rejected)}
	}
	return out, unavailable(rows.Err())
}

// ScanBatches returns the newest scan batches of outlet (a licence number), at most limit, newest
// first, each once.
func (s *Store) ScanBatches(ctx context.Context, outlet string, limit int) ([]retailer.ScanBatchSummary, error) {
	rows, err := s.conn.Query(ctx, `SELECT batch_id, min(received_at) AS received, any(accepted), any(rejected)
		FROM scan_batches WHERE outlet = ? GROUP BY batch_id ORDER BY received DESC, batch_id LIMIT ?`, outlet, limit)
	if err != nil {
		return nil, unavailable(fmt.Errorf("clickhouse: list scan batches: %w", err))
	}
	defer rows.Close()
	var out []retailer.ScanBatchSummary
	for rows.Next() {
		var b retailer.ScanBatchSummary
		var accepted, rejected uint32
		if err := rows.Scan(&b.BatchID, &b.ReceivedAt, &accepted, &rejected); err != nil {
			return nil, unavailable(fmt.Errorf("clickhouse: list scan batches: %w", err))
		}
		b.Accepted, b.Rejected = int(accepted), int(rejected)
		out = append(out, b)
	}
	return out, unavailable(rows.Err())
}

// StockOnHand returns, per brand, the outlet's stock in packs at its latest stock count since since.
// Brands without a count in the period are absent.
func (s *Store) StockOnHand(ctx context.Context, outlet string, since time.Time) (map[string]float64, error) {
	rows, err := s.conn.Query(ctx, `SELECT brand, argMax(qty, scanned_at) FROM scans
		WHERE outlet = ? AND kind = ? AND day >= toDate(?) GROUP BY brand`,
		outlet, string(retailer.StockCount), since.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, unavailable(fmt.Errorf("clickhouse: stock on hand: %w", err))
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var brand string
		var qty float64
		if err := rows.Scan(&brand, &qty); err != nil {
			return nil, unavailable(fmt.Errorf("clickhouse: stock on hand: %w", err))
		}
		out[brand] = qty
	}
	return out, unavailable(rows.Err())
}
