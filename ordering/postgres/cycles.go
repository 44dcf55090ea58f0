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

	// What the cycle's orders (not cancelled or failed) asked for and were granted of the brand.
	Requested, Granted int
	// Eligible is the active outlets with a limit of the brand; Covered those of them granted at
	// least one carton. Covered ÷ Eligible is the scarce-brand coverage (紧俏品牌覆盖率).
	Eligible, Covered int
}

// FillRate is Granted ÷ Requested: the share of what retailers asked for that they got (1 when
// nothing was requested).
func (s SupplyState) FillRate() float64 {
	if s.Requested == 0 {
		return 1
	}
	return float64(s.Granted) / float64(s.Requested)
}

// Coverage is Covered ÷ Eligible (0 with no eligible outlet).
func (s SupplyState) Coverage() float64 {
	if s.Eligible == 0 {
		return 0
	}
	return float64(s.Covered) / float64(s.Eligible)
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
		rows, err = tx.Query(ctx, `WITH lim AS (
				SELECT l.brand_id, count(*) AS n, sum(l.limit_cartons) AS limits, sum(l.used_cartons) AS used,
					count(*) FILTER (WHERE t.status = 'active') AS eligible,
					count(*) FILTER (WHERE t.status = 'active' AND l.used_cartons > 0) AS covered
				FROM outlet_limits l JOIN outlets t ON t.id = l.outlet_id WHERE l.cycle_id = $1 GROUP BY l.brand_id),
			ord AS (
				SELECT ol.brand_id, sum(ol.requested_cartons) AS requested, sum(ol.granted_cartons) AS granted
				FROM orders o JOIN order_lines ol ON ol.order_id = o.id
				WHERE o.cycle_id = $1 AND o.status NOT IN ('cancelled', 'failed') GROUP BY ol.brand_id)
			SELECT b.code, sp.on_sale, sp.supply_cartons, sp.per_outlet_cap, sp.published_at,
				coalesce(lim.n, 0), coalesce(lim.limits, 0), coalesce(lim.used, 0),
				coalesce(ord.requested, 0), coalesce(ord.granted, 0), coalesce(lim.eligible, 0), coalesce(lim.covered, 0)
			FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id
			LEFT JOIN lim ON lim.brand_id = sp.brand_id LEFT JOIN ord ON ord.brand_id = sp.brand_id
			WHERE sp.cycle_id = $1 ORDER BY b.price_class, b.code`, v.ID)
		if err != nil {
			return err
		}
		v.Supply, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (SupplyState, error) {
			var s SupplyState
			var published *time.Time
			err := r.Scan(&s.Brand, &s.OnSale, &s.SupplyCartons, &s.PerOutletCap, &published, &s.Limits, &s.LimitCartons,
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
