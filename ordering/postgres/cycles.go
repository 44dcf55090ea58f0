package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

// WindowState is an order window and whether it has been cut off.
type WindowState struct {
	ordering.Window
	Closed bool
}

// SupplyState is one brand of a cycle's supply plan with what its limits add up to.
type SupplyState struct {
	ordering.SupplyLine
	PublishedAt  time.Time // zero until a planner published it
	Limits       int       // outlets with a limit of the brand
	LimitCartons int       // their limits added up
	UsedCartons  int       // what live and paid orders hold of them
}

// CycleView is a cycle with its windows and its supply plan, as a planner sees it.
type CycleView struct {
	ordering.Cycle
	Windows []WindowState
	Supply  []SupplyState
	Orders  map[ordering.OrderStatus]int // how many orders are in each status
}

// Cycle returns the cycle of the week starting weekStart, or an error wrapping ordering.ErrNotFound.
func (s *Store) Cycle(ctx context.Context, weekStart time.Time) (CycleView, error) {
	var v CycleView
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT id, week_start, status FROM cycles WHERE week_start = $1`, weekStart).
			Scan(&v.ID, &v.WeekStart, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: no cycle in the week of %s", ordering.ErrNotFound, weekStart.Format(time.DateOnly))
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
		v.Windows, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (WindowState, error) {
			var w WindowState
			var day int16
			err := r.Scan(&day, &w.OpensAt, &w.ClosesAt, &w.Closed)
			w.OrderDay = weekday(day)
			return w, err
		})
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT b.code, sp.on_sale, sp.supply_cartons, sp.per_outlet_cap, sp.published_at,
				count(l.outlet_id), coalesce(sum(l.limit_cartons), 0), coalesce(sum(l.used_cartons), 0)
			FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id
			LEFT JOIN outlet_limits l ON l.cycle_id = sp.cycle_id AND l.brand_id = sp.brand_id
			WHERE sp.cycle_id = $1
			GROUP BY b.code, b.price_class, sp.on_sale, sp.supply_cartons, sp.per_outlet_cap, sp.published_at
			ORDER BY b.price_class, b.code`, v.ID)
		if err != nil {
			return err
		}
		v.Supply, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (SupplyState, error) {
			var s SupplyState
			var published *time.Time
			err := r.Scan(&s.Brand, &s.OnSale, &s.SupplyCartons, &s.PerOutletCap, &published, &s.Limits, &s.LimitCartons, &s.UsedCartons)
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
		return CycleView{}, fmt.Errorf("postgresql: read cycle: %w", err)
	}
	return v, err
}

// CycleOrders returns the orders of the cycle of weekStart in status (every status when ""), with ids
// above afterID, in id order, at most limit of them.
func (s *Store) CycleOrders(ctx context.Context, weekStart time.Time, status ordering.OrderStatus, afterID int64, limit int) ([]Order, error) {
	var out []Order
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
