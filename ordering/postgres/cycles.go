package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

// BusyCycles returns the weeks of the cycles whose views the planner's pages read most: the latest
// closed cycle and every open cycle with an order, oldest first.
func (s *Store) BusyCycles(ctx context.Context) ([]time.Time, error) {
	// An order of the cycle looked for along orders_cycle_idx (ORDER BY): with EXISTS the planner
	// scans every order of the table for a cycle that has none (0.5 s over 730,000 orders).
	rows, err := s.pool.Query(ctx, `SELECT c.week_start FROM cycles c
		LEFT JOIN LATERAL (SELECT 1 AS one FROM orders o WHERE o.cycle_id = c.id ORDER BY o.cycle_id, o.status LIMIT 1) e ON true
		WHERE c.week_start = (SELECT max(week_start) FROM cycles WHERE status = 'closed')
			OR (c.status = 'open' AND e.one IS NOT NULL)
		ORDER BY c.week_start`)
	if err != nil {
		return nil, fmt.Errorf("postgresql: busy cycles: %w", err)
	}
	weeks, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return nil, fmt.Errorf("postgresql: busy cycles: %w", err)
	}
	return weeks, nil
}

// SupplyLines returns the supply plan of the cycle of the week starting weekStart, brand by brand,
// without the sums of its limits and orders that Cycle adds (over 100,000 outlets those take
// seconds): which brands are on sale, scarce, published and with which allocation. An error wraps
// ordering.ErrNotFound when there is no such cycle.
func (s *Store) SupplyLines(ctx context.Context, weekStart time.Time) ([]ordering.SupplyState, error) {
	rows, err := s.pool.Query(ctx, `SELECT b.code, b.name, b.scarce, sp.on_sale, sp.supply_cartons, sp.per_outlet_cap,
			sp.published_at, coalesce(sp.allocation_id, '')
		FROM cycles c JOIN supply_plans sp ON sp.cycle_id = c.id JOIN brands b ON b.id = sp.brand_id
		WHERE c.week_start = $1 ORDER BY b.price_class, b.code`, weekStart)
	if err != nil {
		return nil, fmt.Errorf("postgresql: read supply lines: %w", err)
	}
	lines, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ordering.SupplyState, error) {
		var l ordering.SupplyState
		var published *time.Time
		err := r.Scan(&l.Brand, &l.Name, &l.Scarce, &l.OnSale, &l.SupplyCartons, &l.PerOutletCap, &published, &l.Allocation)
		if published != nil {
			l.PublishedAt = *published
		}
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: read supply lines: %w", err)
	}
	if len(lines) == 0 { // a cycle has a line of every brand from its creation (ensureCycle)
		if _, err := s.CycleOf(ctx, weekStart); err != nil {
			return nil, err
		}
	}
	return lines, nil
}

// CycleOf returns the cycle of the week starting weekStart (its id, status and supply version,
// without the sums of Cycle), or an error wrapping ordering.ErrNotFound.
func (s *Store) CycleOf(ctx context.Context, weekStart time.Time) (ordering.Cycle, error) {
	var c ordering.Cycle
	var status string
	err := s.pool.QueryRow(ctx, `SELECT id, week_start, status, supply_version FROM cycles WHERE week_start = $1`, weekStart).
		Scan(&c.ID, &c.WeekStart, &status, &c.SupplyVersion)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ordering.Explain(ordering.ErrNotFound, "no cycle in the week of %s", weekStart.Format(time.DateOnly))
	}
	if err != nil {
		return c, fmt.Errorf("postgresql: read the cycle of %s: %w", weekStart.Format(time.DateOnly), err)
	}
	c.Status = ordering.CycleStatus(status)
	return c, nil
}

// Cycle returns the cycle of the week starting weekStart, or an error wrapping ordering.ErrNotFound.
func (s *Store) Cycle(ctx context.Context, weekStart time.Time) (ordering.CycleView, error) {
	var v ordering.CycleView
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT id, week_start, status, supply_version FROM cycles WHERE week_start = $1`, weekStart).
			Scan(&v.ID, &v.WeekStart, &status, &v.SupplyVersion)
		if errors.Is(err, pgx.ErrNoRows) {
			return ordering.Explain(ordering.ErrNotFound, "no cycle in the week of %s", weekStart.Format(time.DateOnly))
		}
		if err != nil {
			return err
		}
		v.Status = ordering.CycleStatus(status)
		rows, err := tx.Query(ctx, `SELECT order_day, opens_at, closes_at, closed FROM order_windows
			WHERE cycle_id = $1 ORDER BY order_day`, v.ID)
		if err != nil {
			return err
		}
		v.Windows, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ordering.WindowState, error) {
			var w ordering.WindowState
			var day int16
			err := r.Scan(&day, &w.OpensAt, &w.ClosesAt, &w.Closed)
			w.OrderDay = weekday(day)
			return w, err
		})
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `WITH lim AS (
				SELECT l.brand_id, count(*) AS n, sum(l.limit_cartons) AS limits, sum(l.used_cartons) AS used,
					count(*) FILTER (WHERE t.status = 'active') AS eligible,
					count(*) FILTER (WHERE t.status = 'active' AND l.used_cartons > 0) AS covered
				FROM outlet_limits l JOIN outlets t ON t.id = l.outlet_id WHERE l.cycle_id = $1 GROUP BY l.brand_id),
			ord AS (
				SELECT ol.brand_id, sum(ol.requested_cartons) AS requested, sum(ol.granted_cartons) AS granted
				FROM orders o JOIN order_lines ol ON ol.order_id = o.id
				WHERE o.cycle_id = $1 AND o.status NOT IN ('cancelled', 'failed') GROUP BY ol.brand_id)
			SELECT b.code, b.name, b.scarce, sp.on_sale, sp.supply_cartons, sp.per_outlet_cap, sp.published_at,
				coalesce(sp.allocation_id, ''), coalesce(lim.n, 0), coalesce(lim.limits, 0), coalesce(lim.used, 0),
				coalesce(ord.requested, 0), coalesce(ord.granted, 0), coalesce(lim.eligible, 0), coalesce(lim.covered, 0)
			FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id
			LEFT JOIN lim ON lim.brand_id = sp.brand_id LEFT JOIN ord ON ord.brand_id = sp.brand_id
			WHERE sp.cycle_id = $1 ORDER BY b.price_class, b.code`, v.ID)
		if err != nil {
			return err
		}
		v.Supply, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ordering.SupplyState, error) {
			var s ordering.SupplyState
			var published *time.Time
			err := r.Scan(&s.Brand, &s.Name, &s.Scarce, &s.OnSale, &s.SupplyCartons, &s.PerOutletCap, &published, &s.Allocation, &s.Limits, &s.LimitCartons,
				&s.UsedCartons, &s.Requested, &s.Granted, &s.Eligible, &s.Covered)
			if published != nil {
				s.PublishedAt = *published
			}
			return s, err
		})
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT status, count(*) FROM orders WHERE cycle_id = $1 GROUP BY status`, v.ID)
		if err != nil {
			return err
		}
		v.Orders = map[ordering.OrderStatus]int{}
		for rows.Next() {
			var status string
			var n int
			if err := rows.Scan(&status, &n); err != nil {
				return err
			}
			v.Orders[ordering.OrderStatus(status)] = n
		}
		return rows.Err()
	})
	if err != nil && !errors.Is(err, ordering.ErrNotFound) {
		return ordering.CycleView{}, fmt.Errorf("postgresql: read cycle: %w", err)
	}
	return v, err
}

// CycleOrders returns the orders of the cycle of weekStart in status (every status when ""), with ids
// above afterID, in id order, at most limit of them.
func (s *Store) CycleOrders(ctx context.Context, weekStart time.Time, status ordering.OrderStatus, afterID int64, limit int) ([]ordering.Order, error) {
	var out []ordering.Order
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT o.id FROM orders o JOIN cycles c ON c.id = o.cycle_id
			WHERE c.week_start = $1 AND ($2 = '' OR o.status = $2) AND o.id > $3 ORDER BY o.id LIMIT $4`,
			weekStart, string(status), afterID, limit)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		for _, id := range ids {
			o, err := readOrder(ctx, tx, id)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: list the cycle's orders: %w", err)
	}
	return out, nil
}

// PublishedSupply returns what the planner published for the cycle of the week starting weekStart:
// the supply plan's published lines, by brand code, and every outlet's limit in the cycle, by brand
// and outlet; an error wrapping ordering.ErrNotFound when there is no such cycle. PublishSupply takes
// them back, for another cycle.
func (s *Store) PublishedSupply(ctx context.Context, weekStart time.Time) ([]ordering.SupplyLine, []ordering.OutletLimit, error) {
	var plan []ordering.SupplyLine
	var limits []ordering.OutletLimit
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var cycleID int64
		err := tx.QueryRow(ctx, `SELECT id FROM cycles WHERE week_start = $1`, weekStart).Scan(&cycleID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: cycle %s", ordering.ErrNotFound, weekStart.Format(time.DateOnly))
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT b.code, sp.on_sale, sp.supply_cartons, sp.per_outlet_cap
			FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id
			WHERE sp.cycle_id = $1 AND sp.published_at IS NOT NULL ORDER BY b.code`, cycleID)
		if err != nil {
			return err
		}
		var l ordering.SupplyLine
		if _, err := pgx.ForEachRow(rows, []any{&l.Brand, &l.OnSale, &l.SupplyCartons, &l.PerOutletCap}, func() error {
			plan = append(plan, l)
			return nil
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT o.licence_no, b.code, l.limit_cartons, l.explanation
			FROM outlet_limits l JOIN brands b ON b.id = l.brand_id JOIN outlets o ON o.id = l.outlet_id
			WHERE l.cycle_id = $1 ORDER BY b.code, o.licence_no`, cycleID)
		if err != nil {
			return err
		}
		var ol ordering.OutletLimit
		_, err = pgx.ForEachRow(rows, []any{&ol.Outlet, &ol.Brand, &ol.Cartons, &ol.Explanation}, func() error {
			limits = append(limits, ol)
			return nil
		})
		return err
	})
	if err != nil && !errors.Is(err, ordering.ErrNotFound) {
		return nil, nil, fmt.Errorf("postgresql: read the published supply: %w", err)
	}
	return plan, limits, err
}

// CountAwaitingSupply returns how many scarce brands on sale in the cycles with an order window open
// at now await their supply (ordering.AwaitingSupply): brands that the outlets ordering now cannot
// order. A brand counts once per cycle.
func (s *Store) CountAwaitingSupply(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id
		WHERE sp.on_sale AND b.scarce AND sp.published_at IS NULL AND sp.cycle_id IN (
			SELECT w.cycle_id FROM order_windows w WHERE w.opens_at <= $1 AND $1 < w.closes_at AND NOT w.closed)`, now).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgresql: count the brands awaiting their supply: %w", err)
	}
	return n, nil
}
