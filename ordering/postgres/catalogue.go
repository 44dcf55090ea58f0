package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

// Catalogue returns the cycle an outlet orders in at now (the one whose window is open, else the next
// one to open) with that window and the cycle's catalogue for the outlet. Without any such cycle it
// returns a *ordering.WindowClosedError with zero times. An outlet the published allocation of a
// brand does not list (it was listed after) has a limit of 0 of it, explained by
// ordering.NotInAllocation, as PlaceOrder grants it.
func (s *Store) Catalogue(ctx context.Context, outletID int64, now time.Time) (ordering.Cycle, ordering.Window, []ordering.CatalogueLine, error) {
	var c ordering.Cycle
	var w ordering.Window
	var status string
	var day int16
	err := s.pool.QueryRow(ctx, `SELECT c.id, c.week_start, c.status, w.order_day, w.opens_at, w.closes_at
		FROM outlets o JOIN order_windows w ON w.order_day = o.order_day JOIN cycles c ON c.id = w.cycle_id
		WHERE o.id = $1 AND w.closes_at > $2 AND NOT w.closed ORDER BY w.closes_at LIMIT 1`, outletID, now).
		Scan(&c.ID, &c.WeekStart, &status, &day, &w.OpensAt, &w.ClosesAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, w, nil, &ordering.WindowClosedError{}
	}
	if err != nil {
		return c, w, nil, fmt.Errorf("postgresql: read the outlet's cycle: %w", err)
	}
	c.Status, w.OrderDay = ordering.CycleStatus(status), time.Weekday(day%7)
	rows, err := s.pool.Query(ctx, `SELECT b.code, b.name, m.code, b.price_class, b.packs_per_unit, b.wholesale_price_cents,
			b.retail_price_cents, b.scarce, b.new_product, b.launch_date, sp.on_sale, `+outletLimit+`,
			coalesce(l.used_cartons, 0), sp.per_outlet_cap, sp.supply_cartons - sp.granted_cartons,
			coalesce(l.explanation, CASE WHEN sp.allocation_id IS NOT NULL THEN $3 ELSE '' END),
			sp.published_at IS NOT NULL,
			coalesce((SELECT ol.granted_cartons FROM order_lines ol JOIN orders o ON o.id = ol.order_id
				WHERE o.outlet_id = $1 AND o.cycle_id = $2 AND ol.brand_id = b.id AND o.status NOT IN ('cancelled', 'failed')), 0)
		FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id JOIN manufacturers m ON m.id = b.manufacturer_id
		LEFT JOIN outlet_limits l ON l.cycle_id = sp.cycle_id AND l.brand_id = b.id AND l.outlet_id = $1
		WHERE sp.cycle_id = $2 AND sp.on_sale ORDER BY b.price_class, b.code`, outletID, c.ID, ordering.NotInAllocation)
	if err != nil {
		return c, w, nil, fmt.Errorf("postgresql: read catalogue: %w", err)
	}
	var lines []ordering.CatalogueLine
	for rows.Next() {
		var l ordering.CatalogueLine
		var a ordering.Allowance
		var launch *time.Time
		b := &l.Brand
		if err := rows.Scan(&b.Code, &b.Name, &b.Manufacturer, &b.PriceClass, &b.PacksPerCarton, &b.WholesaleCents,
			&b.RetailCents, &b.Scarce, &b.NewProduct, &launch, &l.OnSale, &a.Limit, &a.Used, &a.Cap, &a.Supply,
			&l.Explanation, &l.SupplyPublished, &l.Ordered); err != nil {
			return c, w, nil, fmt.Errorf("postgresql: read catalogue: %w", err)
		}
		if launch != nil {
			b.LaunchDate = *launch
		}
		l.Limit, l.Remaining = a.Limit, a.Remaining(0) // beyond the current order
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return c, w, nil, fmt.Errorf("postgresql: read catalogue: %w", err)
	}
	return c, w, lines, nil
}

// Orders returns an outlet's orders, newest first, with ids below beforeID (0 for the newest), at most
// limit of them.
func (s *Store) Orders(ctx context.Context, outletID, beforeID int64, limit int) ([]ordering.Order, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM orders WHERE outlet_id = $1 AND ($2 = 0 OR id < $2)
		ORDER BY id DESC LIMIT $3`, outletID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("postgresql: list orders: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("postgresql: list orders: %w", err)
	}
	out := make([]ordering.Order, 0, len(ids))
	for _, id := range ids {
		o, err := s.Order(ctx, outletID, id)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Order returns the outlet's order id, or an error wrapping ordering.ErrNotFound when the outlet has
// no such order.
func (s *Store) Order(ctx context.Context, outletID, orderID int64) (ordering.Order, error) {
	var o ordering.Order
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var owner int64
		err := tx.QueryRow(ctx, `SELECT outlet_id FROM orders WHERE id = $1 AND outlet_id = $2`, orderID, outletID).Scan(&owner)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: order %d", ordering.ErrNotFound, orderID)
		}
		if err != nil {
			return err
		}
		o, err = readOrder(ctx, tx, orderID)
		return err
	})
	if err != nil && !errors.Is(err, ordering.ErrNotFound) {
		return ordering.Order{}, fmt.Errorf("postgresql: read order: %w", err)
	}
	return o, err
}

// Funds returns an outlet's balance and what its submitted orders, to be paid at their cut-off, add
// up to; an outlet that does not exist is ordering.ErrNotFound.
func (s *Store) Funds(ctx context.Context, outletID int64) (ordering.Funds, error) {
	var f ordering.Funds
	err := s.pool.QueryRow(ctx, `SELECT t.balance_cents, (SELECT coalesce(sum(o.total_cents), 0)::bigint FROM orders o
		WHERE o.outlet_id = t.id AND o.status = 'submitted') FROM outlets t WHERE t.id = $1`, outletID).Scan(&f.BalanceCents, &f.OrderedCents)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("%w: outlet %d", ordering.ErrNotFound, outletID)
	}
	if err != nil {
		return f, fmt.Errorf("postgresql: read the outlet's funds: %w", err)
	}
	return f, nil
}
