package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

// PickList returns the paid orders to deliver on day (an outlet's order day in its cycle's week),
// grouped by route, with each outlet's name, address and lines, and the cartons per brand to load;
// and per route, how many of the day's orders were delivered already.
func (s *Store) PickList(ctx context.Context, day time.Time) (ordering.PickList, error) {
	pl := ordering.PickList{Day: day, Routes: []ordering.RouteStops{}, Totals: []ordering.PickLine{}, Delivered: []ordering.RouteDelivered{}}
	rows, err := s.pool.Query(ctx, `SELECT t.route, o.id, t.id, t.licence_no, t.name, t.address, b.code, b.name, l.granted_cartons
		FROM orders o JOIN cycles c ON c.id = o.cycle_id JOIN outlets t ON t.id = o.outlet_id
			JOIN order_lines l ON l.order_id = o.id JOIN brands b ON b.id = l.brand_id
		WHERE o.status = 'paid' AND c.week_start + (t.order_day - 1) = $1::date AND l.granted_cartons > 0
		ORDER BY t.route, t.licence_no, b.code`, day)
	if err != nil {
		return pl, fmt.Errorf("postgresql: pick list of %s: %w", day.Format(time.DateOnly), err)
	}
	var route, licence, name, address, code, brandName string
	var orderID, outletID int64
	var cartons int
	totals := map[string]*ordering.PickLine{}
	var codes []string
	_, err = pgx.ForEachRow(rows, []any{&route, &orderID, &outletID, &licence, &name, &address, &code, &brandName, &cartons}, func() error {
		if n := len(pl.Routes); n == 0 || pl.Routes[n-1].Route != route {
			pl.Routes = append(pl.Routes, ordering.RouteStops{Route: route})
		}
		r := &pl.Routes[len(pl.Routes)-1]
		if n := len(r.Stops); n == 0 || r.Stops[n-1].OrderID != orderID {
			r.Stops = append(r.Stops, ordering.Stop{OrderID: orderID, Outlet: outletID, Licence: licence, Name: name, Address: address})
		}
		st := &r.Stops[len(r.Stops)-1]
		st.Lines = append(st.Lines, ordering.PickLine{Brand: code, Name: brandName, Cartons: cartons})
		if totals[code] == nil {
			totals[code] = &ordering.PickLine{Brand: code, Name: brandName}
			codes = append(codes, code)
		}
		totals[code].Cartons += cartons
		return nil
	})
	if err != nil {
		return pl, fmt.Errorf("postgresql: pick list of %s: %w", day.Format(time.DateOnly), err)
	}
	sort.Strings(codes)
	for _, c := range codes {
		pl.Totals = append(pl.Totals, *totals[c])
	}
	// Delivered orders pile up cycle after cycle: the range (the cycle's week holds the day, order
	// days 1–7 from its Monday) reads only the day's cycle, through the cycles' index and the outlets'
	// orders, instead of every delivered order.
	rows, err = s.pool.Query(ctx, `SELECT t.route, count(*)
		FROM orders o JOIN cycles c ON c.id = o.cycle_id JOIN outlets t ON t.id = o.outlet_id
		WHERE o.status = 'delivered' AND c.week_start BETWEEN $1::date - 6 AND $1::date
			AND c.week_start + (t.order_day - 1) = $1::date
		GROUP BY t.route ORDER BY t.route`, day)
	if err != nil {
		return pl, fmt.Errorf("postgresql: deliveries of %s: %w", day.Format(time.DateOnly), err)
	}
	var d ordering.RouteDelivered
	_, err = pgx.ForEachRow(rows, []any{&d.Route, &d.Orders}, func() error {
		pl.Delivered = append(pl.Delivered, d)
		return nil
	})
	if err != nil {
		return pl, fmt.Errorf("postgresql: deliveries of %s: %w", day.Format(time.DateOnly), err)
	}
	return pl, nil
}

// Return records damaged goods an outlet gave back from a delivered order: each line is refunded to
// the outlet's balance at the order's price (a ledger entry), and goes back into the warehouse stock
// (a return movement), in one transaction. It returns ordering.ErrNotFound (no such order),
// ordering.ErrConflict (the order is not delivered) or a *ordering.ValidationError (a brand not in
// the order, more than was delivered and not yet returned), wrapped.
func (s *Store) Return(ctx context.Context, orderID int64, lines []ordering.ReturnLine, userID int64, now time.Time) (ordering.ReturnOutcome, error) {
	res := ordering.ReturnOutcome{OrderID: orderID, Lines: lines}
	if err := ordering.ValidateReturn(lines); err != nil {
		return res, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT status, outlet_id FROM orders WHERE id = $1 FOR UPDATE`, orderID).Scan(&status, &res.Outlet)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: order %d", ordering.ErrNotFound, orderID)
		}
		if err != nil {
			return err
		}
		if ordering.OrderStatus(status) != ordering.Delivered {
			return ordering.Explain(ordering.ErrConflict, "the order is %s; only a delivered order takes returns", status)
		}
		rows, err := tx.Query(ctx, `SELECT b.code, b.id, l.delivered_cartons - l.returned_cartons, l.price_cents
			FROM order_lines l JOIN brands b ON b.id = l.brand_id WHERE l.order_id = $1`, orderID)
		if err != nil {
			return err
		}
		type line struct {
			brandID    int64
			returnable int
			price      int64
		}
		byCode := map[string]line{}
		returnable := map[string]int{}
		var code string
		var l line
		if _, err := pgx.ForEachRow(rows, []any{&code, &l.brandID, &l.returnable, &l.price}, func() error {
			byCode[code], returnable[code] = l, l.returnable
			return nil
		}); err != nil {
			return err
		}
		if err := ordering.CheckReturn(returnable, lines); err != nil {
			return err
		}
		brandIDs, kinds, cartons, reasons := make([]int64, len(lines)), make([]string, len(lines)), make([]int32, len(lines)), make([]string, len(lines))
		orders, plans := make([]int64, len(lines)), make([]int64, len(lines))
		for i, rl := range lines {
			b := byCode[rl.Brand]
			brandIDs[i], kinds[i], cartons[i], reasons[i], orders[i] = b.brandID, string(ordering.Return), int32(rl.Cartons), strings.TrimSpace(rl.Reason), orderID
			res.RefundCents += int64(rl.Cartons) * b.price
		}
		if _, err := tx.Exec(ctx, `UPDATE order_lines l SET returned_cartons = l.returned_cartons + r.n
			FROM unnest($2::bigint[], $3::int[]) AS r(brand_id, n) WHERE l.order_id = $1 AND l.brand_id = r.brand_id`,
			orderID, brandIDs, cartons); err != nil {
			return err
		}
		if res.RefundCents > 0 {
			if _, err := tx.Exec(ctx, `WITH credit AS (UPDATE outlets SET balance_cents = balance_cents + $2, updated_at = $4 WHERE id = $1)
				INSERT INTO balance_entries (outlet_id, amount_cents, kind, order_id, created_at) VALUES ($1, $2, 'refund', $3, $4)`,
				res.Outlet, res.RefundCents, orderID, now); err != nil {
				return err
			}
		}
		_, err = move(ctx, tx, brandIDs, kinds, cartons, reasons, orders, plans, userID, now)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("postgresql: return of order %d: %w", orderID, err)
	}
	return res, nil
}

// Receipt records the retailer's receipt of its outlet's delivered order: lines names what arrived
// short of what was delivered (every other line arrived in full). It returns the receipt's state
// (ordering.ReceiptConfirmed or ReceiptShort), ordering.ErrNotFound (no such order of the outlet),
// ordering.ErrConflict (not delivered, or its receipt already recorded) or a
// *ordering.ValidationError, wrapped.
func (s *Store) Receipt(ctx context.Context, outletID, orderID int64, lines []ordering.ReceivedLine, note string, now time.Time) (string, error) {
	var state string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		var receipt *string
		err := tx.QueryRow(ctx, `SELECT status, receipt FROM orders WHERE id = $1 AND outlet_id = $2 FOR UPDATE`, orderID, outletID).
			Scan(&status, &receipt)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: order %d", ordering.ErrNotFound, orderID)
		}
		if err != nil {
			return err
		}
		if ordering.OrderStatus(status) != ordering.Delivered {
			return ordering.Explain(ordering.ErrConflict, "the order is %s; only a delivered order is received", status)
		}
		if receipt != nil {
			return ordering.Explain(ordering.ErrConflict, "the receipt of this order was recorded already (%s)", *receipt)
		}
		rows, err := tx.Query(ctx, `SELECT b.code, l.delivered_cartons FROM order_lines l JOIN brands b ON b.id = l.brand_id
			WHERE l.order_id = $1`, orderID)
		if err != nil {
			return err
		}
		delivered := map[string]int{}
		var code string
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&code, &n}, func() error { delivered[code] = n; return nil }); err != nil {
			return err
		}
		if state, err = ordering.ReceiptOf(delivered, lines); err != nil {
			return err
		}
		codes, received := make([]string, len(lines)), make([]int32, len(lines))
		for i, l := range lines {
			codes[i], received[i] = l.Brand, int32(l.Received)
		}
		if _, err := tx.Exec(ctx, `UPDATE order_lines l SET received_cartons = coalesce(r.n, l.delivered_cartons)
			FROM order_lines x LEFT JOIN (SELECT b.id, r.n FROM unnest($2::text[], $3::int[]) AS r(code, n) JOIN brands b ON b.code = r.code) r
				ON r.id = x.brand_id
			WHERE l.order_id = $1 AND x.order_id = l.order_id AND x.brand_id = l.brand_id`, orderID, codes, received); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE orders SET receipt = $2, receipt_note = $3, received_at = $4, updated_at = $4 WHERE id = $1`,
			orderID, state, strings.TrimSpace(note), now)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("postgresql: receipt of order %d: %w", orderID, err)
	}
	return state, nil
}
