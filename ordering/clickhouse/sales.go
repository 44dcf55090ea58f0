// Package clickhouse is the ordering domain's adapter to the ClickHouse history store: the outbox
// relay writes delivered order lines into the sales history here, batch by batch, and checks whether
// a batch is already there before writing it again.
package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/ordering"
)

// liveDataset is the sales partition of the company's own orders.
const liveDataset = "live"

// source marks sales rows written by the outbox relay.
const source = "outbox"

// Store writes the live sales history. It is safe for concurrent use.
type Store struct {
	conn  driver.Conn
	weeks weekKeeper // whole weeks' sales aggregates (KeepWeeks)
}

// New returns a Store on conn. The caller keeps ownership of conn and closes it.
func New(conn driver.Conn) *Store { return &Store{conn: conn} }

// HasSalesBatch reports whether the sales history holds any line of batch b. Sales are ordered by
// dataset and day, so the check reads only the batch's days.
func (s *Store) HasSalesBatch(ctx context.Context, b ordering.OutboxBatch) (bool, error) {
	first, last := b.Days()
	var n uint64
	err := s.conn.QueryRow(ctx, `SELECT count() FROM sales WHERE dataset = ? AND day >= toDate(?) AND day <= toDate(?)
		AND batch_id = ?`, liveDataset, first.Format(time.DateOnly), last.Format(time.DateOnly), b.ID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("clickhouse: look for sales batch %s: %w", b.ID, err)
	}
	return n > 0, nil
}

// WriteSalesBatch writes the batch's lines into the sales history with one INSERT, which ClickHouse
// applies whole or not at all (one block, one partition), after the same lines into sales_by_outlet
// (the history ordered by outlet, ClickHouse migration 0005).
func (s *Store) WriteSalesBatch(ctx context.Context, b ordering.OutboxBatch) error {
	n := len(b.Lines)
	dataset, src, batch := make([]string, n), make([]string, n), make([]string, n)
	days := make([]time.Time, n)
	outlet, brand := make([]string, n), make([]string, n)
	requested, granted, delivered, limitQty := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	limited := make([]uint8, n)
	orderID := make([]uint64, n)
	for i, l := range b.Lines {
		dataset[i], src[i], batch[i] = liveDataset, source, b.ID
		days[i], outlet[i], brand[i] = l.Day, l.Outlet, l.Brand
		requested[i], granted[i], delivered[i] = float64(l.Requested), float64(l.Granted), float64(l.Delivered)
		if l.Limited {
			limited[i] = 1
			if l.Limit != nil {
				limitQty[i] = float64(*l.Limit)
			}
		}
		orderID[i] = uint64(l.OrderID)
	}
	// sales_by_outlet first: HasSalesBatch looks in sales, so a batch found there is in both; a batch
	// written again after a failure between the two is written twice into sales_by_outlet, where its
	// lines are the same rows of a ReplacingMergeTree, read with FINAL.
	err := stores.InsertColumns(ctx, s.conn, "INSERT INTO sales_by_outlet (dataset, day, outlet, brand, requested, granted, "+
		"delivered, order_id, batch_id)", dataset, days, outlet, brand, requested, granted, delivered, orderID, batch)
	if err != nil {
		return fmt.Errorf("clickhouse: write sales batch %s by outlet: %w", b.ID, err)
	}
	err = stores.InsertColumns(ctx, s.conn, "INSERT INTO sales (dataset, day, outlet, brand, requested, granted, "+
		"delivered, limit_qty, limited, order_id, source, batch_id)",
		dataset, days, outlet, brand, requested, granted, delivered, limitQty, limited, orderID, src, batch)
	if err != nil {
		return fmt.Errorf("clickhouse: write sales batch %s: %w", b.ID, err)
	}
	return nil
}

// SalesOfOrders returns how many live sales rows the history holds of each order, for checks.
func (s *Store) SalesOfOrders(ctx context.Context, orderIDs []int64) (map[int64]int, error) {
	ids := make([]uint64, len(orderIDs))
	for i, id := range orderIDs {
		ids[i] = uint64(id)
	}
	rows, err := s.conn.Query(ctx, `SELECT order_id, count() FROM sales WHERE dataset = ? AND has(?, order_id)
		GROUP BY order_id`, liveDataset, ids)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: sales of orders: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id, n uint64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("clickhouse: sales of orders: %w", err)
		}
		out[int64(id)] = int(n)
	}
	return out, rows.Err()
}
