package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

// CloseDueWindows cuts off every order window whose closing time has passed, oldest first, each in
// its own transaction (see CloseWindow), and returns what each did. A window another process closed
// meanwhile is skipped.
func (s *Store) CloseDueWindows(ctx context.Context, now time.Time) ([]ordering.CutoffReport, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.week_start, w.order_day FROM order_windows w JOIN cycles c ON c.id = w.cycle_id
		WHERE NOT w.closed AND w.closes_at <= $1 ORDER BY w.closes_at, w.order_day`, now)
	if err != nil {
		return nil, fmt.Errorf("postgresql: due windows: %w", err)
	}
	type due struct {
		week time.Time
		day  int16
	}
	windows, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (due, error) {
		var d due
		return d, r.Scan(&d.week, &d.day)
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: due windows: %w", err)
	}
	var reports []ordering.CutoffReport
	for _, w := range windows {
		r, closed, err := s.CloseWindow(ctx, w.week, weekday(w.day), now, false)
		if err != nil {
			return reports, err
		}
		if closed {
			reports = append(reports, r)
		}
	}
	return reports, nil
}

// CloseWindow cuts off the window of order day day in the cycle of weekStart, if it has closed by now
// and was not cut off before (closed is false otherwise); early cuts off an open window at now,
// bringing its closing time forward. In one transaction: the window is marked
// closed, the outlets ordering in it are locked (so an order being placed at the last moment is
// either in, whole, or refused), the submitted orders are settled by ordering.Settle: each paid one is
// confirmed and paid by a deduction recorded in the ledger, and each failed one fails with its reason
// and gives back what it held of the outlet's limits, with a notice to its outlet (ordering.OrderFailed).
// The cycle is closed with its last window.
func (s *Store) CloseWindow(ctx context.Context, weekStart time.Time, day time.Weekday, now time.Time, early bool) (ordering.CutoffReport, bool, error) {
	r := ordering.CutoffReport{WeekStart: weekStart, OrderDay: day}
	closed := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if early {
			var opens time.Time
			err := tx.QueryRow(ctx, `SELECT w.opens_at FROM order_windows w JOIN cycles c ON c.id = w.cycle_id
				WHERE c.week_start = $1 AND w.order_day = $2 FOR UPDATE OF w`, weekStart, isoDay(day)).Scan(&opens)
			if errors.Is(err, pgx.ErrNoRows) {
				return ordering.Explain(ordering.ErrNotFound, "no %s window in cycle %s", day, weekStart.Format(time.DateOnly))
			}
			if err != nil {
				return err
			}
			if !now.After(opens) {
				return ordering.Explain(ordering.ErrConflict, "the window opens only at %s", opens.Format(time.RFC3339))
			}
			if _, err := tx.Exec(ctx, `UPDATE order_windows w SET closes_at = $3 FROM cycles c
				WHERE c.id = w.cycle_id AND c.week_start = $1 AND w.order_day = $2 AND w.closes_at > $3 AND NOT w.closed`,
				weekStart, isoDay(day), now); err != nil {
				return err
			}
		}
		var cycleID int64
		err := tx.QueryRow(ctx, `UPDATE order_windows w SET closed = true FROM cycles c
			WHERE c.id = w.cycle_id AND c.week_start = $1 AND w.order_day = $2 AND NOT w.closed AND w.closes_at <= $3
			RETURNING w.cycle_id, w.closes_at`, weekStart, isoDay(day), now).Scan(&cycleID, &r.ClosesAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		closed = true
		// Wait for orders being placed in the window: they hold their outlet's row (outletOrderLock).
		if _, err := tx.Exec(ctx, `SELECT 1 FROM outlets WHERE order_day = $1 ORDER BY id `+outletOrderLock, isoDay(day)); err != nil {
			return err
		}
		due, err := dueOrders(ctx, tx, cycleID, isoDay(day))
		if err != nil {
			return err
		}
		settled := ordering.Settle(due)
		r.Paid, r.Failed, r.PaidCents = len(settled.Paid), len(settled.Failed), settled.PaidCents()
		if err := pay(ctx, tx, settled.Paid, now); err != nil {
			return err
		}
		if err := fail(ctx, tx, cycleID, settled.Failed, now); err != nil {
			return err
		}
		if err := recordFailedNotices(ctx, tx, weekStart, settled.Failed, now); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE cycles SET status = 'closed' WHERE id = $1
			AND NOT EXISTS (SELECT 1 FROM order_windows WHERE cycle_id = $1 AND NOT closed)`, cycleID)
		return err
	})
	if err != nil {
		return r, false, fmt.Errorf("postgresql: close the %s window of cycle %s: %w", day, weekStart.Format(time.DateOnly), err)
	}
	return r, closed, nil
}

// dueOrders reads the orders still submitted in the window of order day day (ISO) of the cycle, with
// their outlets' balances.
func dueOrders(ctx context.Context, tx pgx.Tx, cycleID int64, day int16) ([]ordering.DueOrder, error) {
	rows, err := tx.Query(ctx, `SELECT o.id, o.outlet_id, o.total_cents, t.balance_cents FROM orders o
		JOIN outlets t ON t.id = o.outlet_id
		WHERE o.cycle_id = $1 AND t.order_day = $2 AND o.status = 'submitted' ORDER BY o.id`, cycleID, day)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ordering.DueOrder, error) {
		var o ordering.DueOrder
		return o, r.Scan(&o.ID, &o.OutletID, &o.TotalCents, &o.BalanceCents)
	})
}

// pay confirms and pays orders: each outlet's balance is debited the orders' totals, each deduction
// is recorded in the ledger, in one statement. The outlets' rows are locked by the caller.
func pay(ctx context.Context, tx pgx.Tx, paid []ordering.DueOrder, now time.Time) error {
	if len(paid) == 0 {
		return nil
	}
	ids, outlets, totals := make([]int64, len(paid)), make([]int64, len(paid)), make([]int64, len(paid))
	for i, o := range paid {
		ids[i], outlets[i], totals[i] = o.ID, o.OutletID, o.TotalCents
	}
	_, err := tx.Exec(ctx, `WITH p AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS p(id, outlet_id, total)),
		debit AS (
			UPDATE outlets t SET balance_cents = t.balance_cents - d.total, updated_at = $4
			FROM (SELECT outlet_id, sum(total) AS total FROM p GROUP BY outlet_id) d WHERE t.id = d.outlet_id),
		ledger AS (
			INSERT INTO balance_entries (outlet_id, amount_cents, kind, order_id, created_at)
			SELECT outlet_id, -total, 'deduction', id, $4 FROM p WHERE total > 0)
		UPDATE orders o SET status = 'paid', confirmed_at = $4, paid_at = $4, updated_at = $4, version = version + 1
		FROM p WHERE o.id = p.id`, ids, outlets, totals, now)
	return err
}

// fail fails orders of the cycle with their reasons and gives back what they held of their outlets'
// limits and of their brands' supply.
func fail(ctx context.Context, tx pgx.Tx, cycleID int64, failed []ordering.FailedOrder, now time.Time) error {
	if len(failed) == 0 {
		return nil
	}
	ids, reasons := make([]int64, len(failed)), make([]string, len(failed))
	for i, o := range failed {
		ids[i], reasons[i] = o.ID, o.Reason
	}
	if err := lockSupply(ctx, tx, `SELECT ol.brand_id FROM order_lines ol WHERE ol.order_id = ANY($2)`, cycleID, ids); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE supply_plans sp SET granted_cartons = sp.granted_cartons - g.granted
		FROM (SELECT o.cycle_id, ol.brand_id, sum(ol.granted_cartons) AS granted FROM orders o
			JOIN order_lines ol ON ol.order_id = o.id WHERE o.id = ANY($1) GROUP BY o.cycle_id, ol.brand_id) g
		WHERE sp.cycle_id = g.cycle_id AND sp.brand_id = g.brand_id AND sp.supply_cartons IS NOT NULL`, ids); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE outlet_limits l SET used_cartons = l.used_cartons - ol.granted_cartons
		FROM orders o JOIN order_lines ol ON ol.order_id = o.id
		WHERE o.id = ANY($1) AND l.cycle_id = o.cycle_id AND l.outlet_id = o.outlet_id AND l.brand_id = ol.brand_id
			AND ol.granted_cartons > 0`, ids); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE orders o SET status = 'failed', failure_reason = f.reason, updated_at = $3,
			version = version + 1
		FROM unnest($1::bigint[], $2::text[]) AS f(id, reason) WHERE o.id = f.id`, ids, reasons, now)
	return err
}

// Deliver records the delivery of a paid order: lines lists what arrived of some brands, every other
// line arrived as granted. A line delivered short is refunded to the outlet's balance. The delivered
// lines are written to the outbox in the same transaction, for the sales history. It returns
// ordering.ErrNotFound, ordering.ErrConflict (the order is not paid: not cut off yet, failed,
// cancelled or already delivered) or a *ordering.ValidationError (a brand not in the order, more
// delivered than granted), wrapped.
func (s *Store) Deliver(ctx context.Context, orderID int64, lines []ordering.DeliveryLine, now time.Time) (ordering.Order, error) {
	if err := ordering.ValidateDelivery(lines); err != nil {
		return ordering.Order{}, err
	}
	var o ordering.Order
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM orders WHERE id = $1 FOR UPDATE`, orderID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: order %d", ordering.ErrNotFound, orderID)
		}
		if err != nil {
			return err
		}
		if ordering.OrderStatus(status) != ordering.Paid {
			return ordering.Explain(ordering.ErrConflict, "the order is %s; only a paid order is delivered", status)
		}
		granted := map[string]int{}
		rows, err := tx.Query(ctx, `SELECT b.code, l.granted_cartons FROM order_lines l JOIN brands b ON b.id = l.brand_id
			WHERE l.order_id = $1`, orderID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var code string
			var g int
			if err := rows.Scan(&code, &g); err != nil {
				return err
			}
			granted[code] = g
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if err := ordering.CheckDelivered(granted, lines); err != nil {
			return err
		}
		codes, qty := make([]string, len(lines)), make([]int32, len(lines))
		for i, l := range lines {
			codes[i], qty[i] = l.Brand, int32(l.Delivered)
		}
		if _, err := tx.Exec(ctx, `UPDATE order_lines l SET delivered_cartons = d.qty
			FROM unnest($2::text[], $3::int[]) AS d(code, qty) JOIN brands b ON b.code = d.code
			WHERE l.order_id = $1 AND l.brand_id = b.id`, orderID, codes, qty); err != nil {
			return err
		}
		if err := finishDelivery(ctx, tx, []int64{orderID}, now); err != nil {
			return err
		}
		o, err = readOrder(ctx, tx, orderID)
		return err
	})
	if err != nil {
		return ordering.Order{}, fmt.Errorf("deliver order %d: %w", orderID, err)
	}
	return o, nil
}

// DeliverCycle records that every paid order of the cycle of weekStart (of order day day only, unless
// day is negative) arrived as granted, in one transaction, and returns how many orders and lines it
// delivered.
func (s *Store) DeliverCycle(ctx context.Context, weekStart time.Time, day time.Weekday, now time.Time) (orders, lines int, err error) {
	dayArg := int16(0)
	if day >= 0 {
		dayArg = isoDay(day)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT o.id FROM orders o JOIN cycles c ON c.id = o.cycle_id
			JOIN outlets t ON t.id = o.outlet_id
			WHERE c.week_start = $1 AND o.status = 'paid' AND ($2 = 0 OR t.order_day = $2)
			ORDER BY o.id FOR UPDATE OF o`, weekStart, dayArg)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil || len(ids) == 0 {
			return err
		}
		orders = len(ids)
		if err := finishDelivery(ctx, tx, ids, now); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM order_lines WHERE order_id = ANY($1)`, ids).Scan(&lines)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("postgresql: deliver cycle %s: %w", weekStart.Format(time.DateOnly), err)
	}
	return orders, lines, nil
}

// finishDelivery completes the delivery of orders (at most one per outlet) whose lines' delivered
// quantities are set or, where not, are as granted: refunds of short lines, the orders' status, and
// one outbox row per line, and the stock movements out of the warehouse.
func finishDelivery(ctx context.Context, tx pgx.Tx, ids []int64, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE order_lines SET delivered_cartons = granted_cartons
		WHERE order_id = ANY($1) AND delivered_cartons IS NULL`, ids); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `WITH short AS (
			SELECT o.id, o.outlet_id, sum((l.granted_cartons - l.delivered_cartons) * l.price_cents) AS refund
			FROM orders o JOIN order_lines l ON l.order_id = o.id
			WHERE o.id = ANY($1) GROUP BY o.id, o.outlet_id
			HAVING sum((l.granted_cartons - l.delivered_cartons) * l.price_cents) > 0),
		credit AS (
			UPDATE outlets t SET balance_cents = t.balance_cents + short.refund, updated_at = $2
			FROM short WHERE t.id = short.outlet_id RETURNING short.id, short.outlet_id, short.refund)
		INSERT INTO balance_entries (outlet_id, amount_cents, kind, order_id, created_at)
		SELECT outlet_id, refund, 'refund', id, $2 FROM credit`, ids, now); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO outbox (topic, payload, created_at)
		SELECT $3, jsonb_build_object('order_id', o.id, 'day', to_char(c.week_start + (t.order_day - 1), 'YYYY-MM-DD'),
				'outlet', t.licence_no, 'brand', b.code, 'requested', l.requested_cartons,
				'granted', l.granted_cartons, 'delivered', l.delivered_cartons, 'limit', l.limit_cartons), $2
		FROM orders o JOIN cycles c ON c.id = o.cycle_id JOIN outlets t ON t.id = o.outlet_id
			JOIN order_lines l ON l.order_id = o.id JOIN brands b ON b.id = l.brand_id
		WHERE o.id = ANY($1) ORDER BY o.id, b.code`, ids, now, topicSalesLine); err != nil {
		return err
	}
	if err := recordDeliveries(ctx, tx, ids, now); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE orders SET status = 'delivered', delivered_at = $2, updated_at = $2,
		version = version + 1 WHERE id = ANY($1)`, ids, now)
	return err
}

// weekday turns an ISO day of the week (1 = Monday) into a time.Weekday.
func weekday(iso int16) time.Weekday { return time.Weekday(iso % 7) }
