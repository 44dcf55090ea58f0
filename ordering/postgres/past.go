package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

// PastLoader writes cycles that have run their course (ordering.PastCycle) in one transaction,
// outlets' limits and orders a chunk at a time, with COPY, so that a caller can write them while it
// generates the next ones. Begin it with BeginPastCycles, Add chunks, then Commit or Rollback. A
// PastLoader is not safe for concurrent use.
type PastLoader struct {
	tx        pgx.Tx
	cycleIDs  map[time.Time]int64
	outletIDs map[string]int64
	brandIDs  map[string]int64
}

// BeginPastCycles starts loading cycles: it writes each cycle (closed, its windows cut off) and its
// supply plan (every brand on sale, the rationed ones with the supply their limits will add up to,
// set by Commit). Only WeekStart, Windows, Rationed and CutOff are read; Add writes the limits and
// orders. A cycle with a CutOff (the week under way) stays open, its windows closing after CutOff
// open too.
// Outlets and brands are named by licence and code and must be in the store. A cycle already there
// (one that serve created) is closed and its windows and supply plan replaced; it must hold no limits
// or orders.
func (s *Store) BeginPastCycles(ctx context.Context, cycles []ordering.PastCycle) (*PastLoader, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgresql: load past cycles: %w", err)
	}
	l := &PastLoader{tx: tx, cycleIDs: map[time.Time]int64{}}
	if err := l.begin(ctx, cycles); err != nil {
		tx.Rollback(ctx) //nolint:errcheck // the error that matters is err
		return nil, fmt.Errorf("postgresql: load past cycles: %w", err)
	}
	return l, nil
}

func (l *PastLoader) begin(ctx context.Context, cycles []ordering.PastCycle) error {
	var err error
	if l.outletIDs, err = codeIDs(ctx, l.tx, "SELECT id, licence_no FROM outlets"); err != nil {
		return fmt.Errorf("read outlet ids: %w", err)
	}
	if l.brandIDs, err = codeIDs(ctx, l.tx, "SELECT id, code FROM brands"); err != nil {
		return fmt.Errorf("read brand ids: %w", err)
	}
	for i := range cycles {
		c := &cycles[i]
		if err := l.beginCycle(ctx, c); err != nil {
			return fmt.Errorf("cycle %s: %w", c.WeekStart.Format(time.DateOnly), err)
		}
	}
	return nil
}

func (l *PastLoader) beginCycle(ctx context.Context, c *ordering.PastCycle) error {
	tx := l.tx
	var cycleID int64
	status := "closed"
	if !c.CutOff.IsZero() {
		status = "open"
	}
	if err := tx.QueryRow(ctx, `INSERT INTO cycles (week_start, status, created_at) VALUES ($1, $3, $2)
		ON CONFLICT (week_start) DO UPDATE SET status = EXCLUDED.status RETURNING id`,
		c.WeekStart, c.WeekStart.AddDate(0, 0, -7), status).Scan(&cycleID); err != nil {
		return err
	}
	l.cycleIDs[c.WeekStart] = cycleID
	if _, err := tx.Exec(ctx, `DELETE FROM order_windows WHERE cycle_id = $1`, cycleID); err != nil {
		return err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"order_windows"}, []string{"cycle_id", "order_day", "opens_at", "closes_at", "closed"},
		pgx.CopyFromSlice(len(c.Windows), func(i int) ([]any, error) {
			w := c.Windows[i]
			cutOff := c.CutOff.IsZero() || !w.ClosesAt.After(c.CutOff)
			return []any{cycleID, isoDay(w.OrderDay), w.OpensAt, w.ClosesAt, cutOff}, nil
		})); err != nil {
		return fmt.Errorf("copy windows: %w", err)
	}
	rationed := make([]int64, len(c.Rationed))
	for i, code := range c.Rationed {
		bid, err := lookup(l.brandIDs, "brand", code)
		if err != nil {
			return err
		}
		rationed[i] = bid
	}
	if _, err := tx.Exec(ctx, `INSERT INTO supply_plans (cycle_id, brand_id, on_sale, supply_cartons, allocation_mode,
			published_at, granted_cartons)
		SELECT $1, b.id, b.lifecycle <> 'retired', CASE WHEN r THEN 0 END, CASE WHEN r THEN 'grade' END,
			CASE WHEN r THEN $3::timestamptz END, 0
		FROM brands b, LATERAL (SELECT b.id = ANY($2::bigint[]) AS r) x
		ON CONFLICT (cycle_id, brand_id) DO UPDATE SET on_sale = EXCLUDED.on_sale, supply_cartons = EXCLUDED.supply_cartons,
			allocation_mode = EXCLUDED.allocation_mode, published_at = EXCLUDED.published_at, granted_cartons = 0`,
		cycleID, rationed, c.WeekStart.AddDate(0, 0, -8)); err != nil {
		return fmt.Errorf("supply plan: %w", err)
	}
	return nil
}

// Add writes the Limits and Orders of cycles begun by BeginPastCycles: every limit and order of an
// outlet must come in the same call, since a limit's used cartons are what the outlet's delivered
// orders in the call were granted.
func (l *PastLoader) Add(ctx context.Context, cycles []ordering.PastCycle) error {
	if err := l.addAll(ctx, cycles); err != nil {
		return fmt.Errorf("postgresql: load past cycles: %w", err)
	}
	return nil
}

func (l *PastLoader) addAll(ctx context.Context, cycles []ordering.PastCycle) error {
	n := 0
	for i := range cycles {
		n += len(cycles[i].Orders)
	}
	// Order ids come from the sequence, so that orders placed later follow them.
	ids := make([]int64, 0, n)
	rows, err := l.tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('orders', 'id')) FROM generate_series(1, $1)`, n)
	if err != nil {
		return err
	}
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error { ids = append(ids, id); return nil }); err != nil {
		return fmt.Errorf("reserve order ids: %w", err)
	}
	var b pastRows
	for i := range cycles {
		c := &cycles[i]
		if err := l.rows(c, ids[:len(c.Orders)], &b); err != nil {
			return fmt.Errorf("cycle %s: %w", c.WeekStart.Format(time.DateOnly), err)
		}
		ids = ids[len(c.Orders):]
	}
	if _, err := l.tx.CopyFrom(ctx, pgx.Identifier{"outlet_limits"},
		[]string{"cycle_id", "brand_id", "outlet_id", "limit_cartons", "used_cartons", "source", "explanation"},
		pgx.CopyFromRows(b.limits)); err != nil {
		return fmt.Errorf("copy limits: %w", err)
	}
	if _, err := l.tx.CopyFrom(ctx, pgx.Identifier{"orders"}, []string{"id", "outlet_id", "cycle_id", "status",
		"failure_reason", "total_cents", "version", "created_at", "updated_at", "submitted_at", "confirmed_at",
		"paid_at", "delivered_at"}, pgx.CopyFromRows(b.orders)); err != nil {
		return fmt.Errorf("copy orders: %w", err)
	}
	if _, err := l.tx.CopyFrom(ctx, pgx.Identifier{"order_lines"}, []string{"order_id", "brand_id", "requested_cartons",
		"limit_cartons", "granted_cartons", "delivered_cartons", "price_cents", "limited_reason"},
		pgx.CopyFromRows(b.lines)); err != nil {
		return fmt.Errorf("copy order lines: %w", err)
	}
	return nil
}

// pastRows are the rows of a chunk, for COPY.
type pastRows struct{ limits, orders, lines [][]any }

// Commit sets each rationed brand's supply to what its limits add up to and what its delivered
// orders were granted, and commits.
func (l *PastLoader) Commit(ctx context.Context) error {
	ids := make([]int64, 0, len(l.cycleIDs))
	for _, id := range l.cycleIDs {
		ids = append(ids, id)
	}
	if _, err := l.tx.Exec(ctx, `UPDATE supply_plans sp SET supply_cartons = t.supply, granted_cartons = t.used
		FROM (SELECT cycle_id, brand_id, sum(limit_cartons)::int AS supply, sum(used_cartons)::int AS used
			FROM outlet_limits WHERE cycle_id = ANY($1) GROUP BY cycle_id, brand_id) t
		WHERE sp.cycle_id = t.cycle_id AND sp.brand_id = t.brand_id`, ids); err != nil {
		return fmt.Errorf("postgresql: load past cycles: supply: %w", err)
	}
	if err := l.tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgresql: load past cycles: %w", err)
	}
	return nil
}

// Rollback abandons the load; after Commit it does nothing.
func (l *PastLoader) Rollback(ctx context.Context) {
	l.tx.Rollback(ctx) //nolint:errcheck // nothing to do about a failed rollback: the connection is dropped
}

func codeIDs(ctx context.Context, tx pgx.Tx, query string) (map[string]int64, error) {
	rows, err := tx.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	var id int64
	var code string
	_, err = pgx.ForEachRow(rows, []any{&id, &code}, func() error {
		ids[code] = id
		return nil
	})
	return ids, err
}

func lookup(ids map[string]int64, kind, code string) (int64, error) {
	id, ok := ids[code]
	if !ok {
		return 0, fmt.Errorf("unknown %s %q", kind, code)
	}
	return id, nil
}

type outletBrand struct{ outlet, brand int64 }

// rows appends the rows of cycle c to b, the orders numbered ids.
func (l *PastLoader) rows(c *ordering.PastCycle, ids []int64, b *pastRows) error {
	outletIDs, brandIDs := l.outletIDs, l.brandIDs
	cycleID, ok := l.cycleIDs[c.WeekStart]
	if !ok {
		return fmt.Errorf("a cycle not begun")
	}
	// What the delivered and paid orders were granted, per outlet and brand: the limits they used.
	used := map[outletBrand]int{}
	for _, o := range c.Orders {
		if o.Status != ordering.Delivered && o.Status != ordering.Paid {
			continue
		}
		oid, err := lookup(outletIDs, "outlet", o.Outlet)
		if err != nil {
			return err
		}
		for _, l := range o.Lines {
			bid, err := lookup(brandIDs, "brand", l.Brand)
			if err != nil {
				return err
			}
			used[outletBrand{oid, bid}] += l.Granted
		}
	}
	for _, lim := range c.Limits {
		oid, err := lookup(outletIDs, "outlet", lim.Outlet)
		if err != nil {
			return err
		}
		bid, err := lookup(brandIDs, "brand", lim.Brand)
		if err != nil {
			return err
		}
		b.limits = append(b.limits, []any{cycleID, bid, oid, int32(lim.Cartons), int32(used[outletBrand{oid, bid}]), "allocation", lim.Explanation})
	}
	for i, o := range c.Orders {
		oid := outletIDs[o.Outlet] // checked above for delivered orders
		if oid == 0 {
			return fmt.Errorf("unknown outlet %q", o.Outlet)
		}
		var reason, paid, delivered any
		switch o.Status {
		case ordering.Failed:
			reason = o.Reason
		case ordering.Paid:
			paid = o.SettledAt
		default:
			paid, delivered = o.SettledAt, o.Delivered
		}
		b.orders = append(b.orders, []any{ids[i], oid, cycleID, string(o.Status), reason, o.TotalCents, int32(1),
			o.PlacedAt, o.SettledAt, o.PlacedAt, paid, paid, delivered})
		for _, l := range o.Lines {
			bid, err := lookup(brandIDs, "brand", l.Brand)
			if err != nil {
				return err
			}
			var limit, dlv, why any
			if l.Limit != nil {
				limit = int32(*l.Limit)
			}
			if o.Status == ordering.Delivered {
				dlv = int32(l.Granted)
			}
			if l.Reason != "" {
				why = string(l.Reason)
			}
			b.lines = append(b.lines, []any{ids[i], bid, int32(l.Requested), limit, int32(l.Granted), dlv, l.PriceCents, why})
		}
	}
	return nil
}
