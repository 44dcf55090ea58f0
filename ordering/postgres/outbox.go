package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

// topicSalesLine is the outbox topic of delivered order lines (ordering.SalesLine).
const topicSalesLine = "sales_line"

// relayLockKey is the PostgreSQL advisory lock the outbox relay holds (a constant of this program).
const relayLockKey = 0x6f63_6f75_7462_6f78 // "ocoutbox"

// salesLinePayload is an outbox row's payload of topic sales_line, as finishDelivery writes it.
type salesLinePayload struct {
	OrderID   int64  `json:"order_id"`
	Day       string `json:"day"`
	Outlet    string `json:"outlet"`
	Brand     string `json:"brand"`
	Requested int    `json:"requested"`
	Granted   int    `json:"granted"`
	Delivered int    `json:"delivered"`
	Limit     *int   `json:"limit"`
}

// LeaseRelay takes the relay's advisory lock on a connection of its own, held until release. The
// lock goes with the connection: if the process dies, PostgreSQL releases it.
func (s *Store) LeaseRelay(ctx context.Context) (release func(), ok bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("postgresql: lease the outbox relay: %w", err)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(relayLockKey)).Scan(&ok); err != nil || !ok {
		conn.Release()
		if err != nil {
			return nil, false, fmt.Errorf("postgresql: lease the outbox relay: %w", err)
		}
		return nil, false, nil
	}
	return func() {
		// A fresh context: the caller's may be done, and the lock must go back with the connection.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(relayLockKey)); err != nil {
			conn.Conn().Close(ctx) //nolint:errcheck // closing the session drops the lock anyway
		}
		conn.Release()
	}, true, nil
}

// NextBatch returns the oldest batch of sales lines not yet relayed. When the oldest pending line has
// no batch yet, it first gives the next max pending lines a batch id, in a transaction of its own, so
// that a batch keeps its id and its lines however often it is retried.
func (s *Store) NextBatch(ctx context.Context, max int) (ordering.OutboxBatch, bool, error) {
	var b ordering.OutboxBatch
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var batchID *string
		err := tx.QueryRow(ctx, `SELECT batch_id FROM outbox WHERE relayed_at IS NULL AND topic = $1
			ORDER BY id LIMIT 1`, topicSalesLine).Scan(&batchID)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		if batchID == nil {
			rows, err := tx.Query(ctx, `SELECT id FROM outbox WHERE relayed_at IS NULL AND batch_id IS NULL AND topic = $1
				ORDER BY id LIMIT $2 FOR UPDATE`, topicSalesLine, max)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil || len(ids) == 0 {
				return err
			}
			id := fmt.Sprintf("outbox-%d-%d", ids[0], ids[len(ids)-1])
			if _, err := tx.Exec(ctx, `UPDATE outbox SET batch_id = $1 WHERE id = ANY($2)`, id, ids); err != nil {
				return err
			}
			batchID = &id
		}
		b.ID = *batchID
		rows, err := tx.Query(ctx, `SELECT payload, created_at FROM outbox WHERE batch_id = $1 ORDER BY id`, b.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var raw []byte
			var created time.Time
			if err := rows.Scan(&raw, &created); err != nil {
				return err
			}
			line, err := decodeSalesLine(raw)
			if err != nil {
				return fmt.Errorf("batch %s: %w", b.ID, err)
			}
			b.Lines = append(b.Lines, line)
			if b.Oldest.IsZero() || created.Before(b.Oldest) {
				b.Oldest = created
			}
		}
		return rows.Err()
	})
	if err != nil {
		return ordering.OutboxBatch{}, false, fmt.Errorf("postgresql: next outbox batch: %w", err)
	}
	return b, b.ID != "", nil
}

func decodeSalesLine(raw []byte) (ordering.SalesLine, error) {
	var p salesLinePayload
	if err := json.Unmarshal(raw, &p); err != nil {
		return ordering.SalesLine{}, fmt.Errorf("sales line payload: %w", err)
	}
	day, err := time.Parse(time.DateOnly, p.Day)
	if err != nil {
		return ordering.SalesLine{}, fmt.Errorf("sales line payload: day: %w", err)
	}
	return ordering.SalesLine{
		OrderID: p.OrderID, Day: day, Outlet: p.Outlet, Brand: p.Brand,
		Requested: p.Requested, Granted: p.Granted, Delivered: p.Delivered,
		Limit: p.Limit, Limited: p.Granted < p.Requested,
	}, nil
}

// MarkRelayed records that the history holds batch batchID.
func (s *Store) MarkRelayed(ctx context.Context, batchID string, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE outbox SET relayed_at = $2 WHERE batch_id = $1 AND relayed_at IS NULL`,
		batchID, now); err != nil {
		return fmt.Errorf("postgresql: mark outbox batch %s relayed: %w", batchID, err)
	}
	return nil
}

// Backlog returns how many sales lines wait in the outbox and when the oldest was written.
func (s *Store) Backlog(ctx context.Context) (lines int, oldest time.Time, err error) {
	var first *time.Time
	err = s.pool.QueryRow(ctx, `SELECT count(*), min(created_at) FROM outbox WHERE relayed_at IS NULL AND topic = $1`,
		topicSalesLine).Scan(&lines, &first)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("postgresql: outbox backlog: %w", err)
	}
	if first != nil {
		oldest = *first
	}
	return lines, oldest, nil
}

// DeleteRelayed deletes outbox rows relayed before before, and returns how many.
func (s *Store) DeleteRelayed(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM outbox WHERE relayed_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgresql: delete relayed outbox rows: %w", err)
	}
	return tag.RowsAffected(), nil
}
