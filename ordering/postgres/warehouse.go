package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

var _ ordering.BalanceFacts = (*Store)(nil)

// brandOf resolves a brand code to its id and manufacturer's id, locking nothing. A brand that does
// not exist, or is not manufacturer's (when manufacturer is not 0), is a *ordering.ValidationError
// on field.
func brandOf(ctx context.Context, q pgx.Tx, code string, manufacturer int64, field string) (brandID, manufacturerID int64, err error) {
	err = q.QueryRow(ctx, `SELECT b.id, b.manufacturer_id FROM brands b
		WHERE b.code = $1 AND ($2 = 0 OR b.manufacturer_id = $2)`, code, manufacturer).Scan(&brandID, &manufacturerID)
	if errors.Is(err, pgx.ErrNoRows) {
		what := "no such brand"
		if manufacturer != 0 {
			what = "no such brand of yours"
		}
		return 0, 0, &ordering.ValidationError{Fields: map[string]string{field: fmt.Sprintf("%q: %s", code, what)}}
	}
	return brandID, manufacturerID, err
}

// move records movements of brands and moves their current stock, in tx, and returns the movements'
// ids in order. Each argument slice has one entry per movement; orderIDs and planIDs hold 0 for none.
func move(ctx context.Context, tx pgx.Tx, brandIDs []int64, kinds []string, cartons []int32, reasons []string,
	orderIDs, planIDs []int64, userID int64, now time.Time) ([]int64, error) {
	if len(brandIDs) == 0 {
		return nil, nil
	}
	var user *int64
	if userID > 0 {
		user = &userID
	}
	rows, err := tx.Query(ctx, `INSERT INTO stock_movements (brand_id, kind, cartons, reason, order_id, arrival_plan_id, recorded_by, at)
		SELECT m.brand_id, m.kind, m.cartons, m.reason, nullif(m.order_id, 0), nullif(m.plan_id, 0), $7, $8
		FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::bigint[]) WITH ORDINALITY
			AS m(brand_id, kind, cartons, reason, order_id, plan_id, n)
		ORDER BY m.n RETURNING id`,
		brandIDs, kinds, cartons, reasons, orderIDs, planIDs, user, now)
	if err != nil {
		return nil, fmt.Errorf("record stock movements: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("record stock movements: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO warehouse_stock AS w (brand_id, cartons, updated_at)
		SELECT brand_id, sum(cartons), $3 FROM unnest($1::bigint[], $2::int[]) AS m(brand_id, cartons) GROUP BY brand_id
		ORDER BY brand_id
		ON CONFLICT (brand_id) DO UPDATE SET cartons = w.cartons + excluded.cartons, updated_at = excluded.updated_at`,
		brandIDs, cartons, now); err != nil {
		return nil, fmt.Errorf("move warehouse stock: %w", err)
	}
	return ids, nil
}

// RecordMovement records an arrival or an adjustment of a brand's stock (ordering.ValidateMovement)
// and moves its current stock in the same transaction. An arrival naming a planned arrival counts
// against it. It returns a *ordering.ValidationError (wrapping ordering.ErrInvalid) for an invalid
// movement, an unknown brand or a planned arrival of another brand.
func (s *Store) RecordMovement(ctx context.Context, m ordering.Movement, userID int64, now time.Time) (ordering.Movement, error) {
	if err := ordering.ValidateMovement(m); err != nil {
		return m, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		brandID, _, err := brandOf(ctx, tx, m.Brand, 0, "brand")
		if err != nil {
			return err
		}
		if m.ArrivalPlan != 0 {
			if m.Kind != ordering.Arrival {
				return &ordering.ValidationError{Fields: map[string]string{"arrival_plan": "only an arrival fulfils a planned arrival"}}
			}
			tag, err := tx.Exec(ctx, `UPDATE arrival_plans SET received_cartons = received_cartons + $3
				WHERE id = $1 AND brand_id = $2`, m.ArrivalPlan, brandID, m.Cartons)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return &ordering.ValidationError{Fields: map[string]string{"arrival_plan": fmt.Sprintf("%d: no planned arrival of %s", m.ArrivalPlan, m.Brand)}}
			}
		}
		ids, err := move(ctx, tx, []int64{brandID}, []string{string(m.Kind)}, []int32{int32(m.Cartons)}, []string{m.Reason},
			[]int64{0}, []int64{m.ArrivalPlan}, userID, now)
		if err != nil {
			return err
		}
		m.ID, m.At = ids[0], now
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("postgresql: record a %s of %s: %w", m.Kind, m.Brand, err)
	}
	return m, nil
}

// recordDeliveries moves the stock out of what the orders ids delivered, in the delivery's
// transaction.
func recordDeliveries(ctx context.Context, tx pgx.Tx, ids []int64, now time.Time) error {
	_, err := tx.Exec(ctx, `WITH d AS (
			INSERT INTO stock_movements (brand_id, kind, cartons, order_id, at)
			SELECT l.brand_id, 'delivery', -l.delivered_cartons, l.order_id, $2 FROM order_lines l
			WHERE l.order_id = ANY($1) AND l.delivered_cartons > 0
			RETURNING brand_id, cartons)
		INSERT INTO warehouse_stock AS w (brand_id, cartons, updated_at)
		SELECT brand_id, sum(cartons), $2 FROM d GROUP BY brand_id ORDER BY brand_id
		ON CONFLICT (brand_id) DO UPDATE SET cartons = w.cartons + excluded.cartons, updated_at = excluded.updated_at`, ids, now)
	if err != nil {
		return fmt.Errorf("move delivered stock out: %w", err)
	}
	return nil
}

// StockLevels returns every brand's current stock and limits (manufacturer's brands only, when not
// 0), or brand's alone when brand is not "" (ordering.ErrNotFound when it does not exist or is not
// manufacturer's), sorted by code.
func (s *Store) StockLevels(ctx context.Context, manufacturer int64, brand string) ([]ordering.StockLevel, error) {
	return stockLevels(ctx, s.pool, manufacturer, brand)
}

// querier is what a read needs of a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// stockLevels is StockLevels read through q, so a transaction can include it.
func stockLevels(ctx context.Context, q querier, manufacturer int64, brand string) ([]ordering.StockLevel, error) {
	rows, err := q.Query(ctx, `SELECT b.code, b.name, m.code, coalesce(w.cartons, 0), w.updated_at,
			l.lower_cartons, l.upper_cartons, l.basis, l.agreed_at
		FROM brands b JOIN manufacturers m ON m.id = b.manufacturer_id
			LEFT JOIN warehouse_stock w ON w.brand_id = b.id LEFT JOIN stock_limits l ON l.brand_id = b.id
		WHERE ($1 = 0 OR m.id = $1) AND ($2 = '' OR b.code = $2) ORDER BY b.code`, manufacturer, brand)
	if err != nil {
		return nil, fmt.Errorf("postgresql: stock levels: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ordering.StockLevel, error) {
		var l ordering.StockLevel
		var updated, agreed *time.Time
		var lower, upper *int
		var basis *string
		if err := r.Scan(&l.Brand, &l.Name, &l.Manufacturer, &l.Cartons, &updated, &lower, &upper, &basis, &agreed); err != nil {
			return l, err
		}
		if updated != nil {
			l.UpdatedAt = *updated
		}
		if lower != nil {
			l.Limits = &ordering.StockLimit{Lower: *lower, Upper: *upper, Basis: *basis, SetAt: *agreed}
		}
		return l, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: stock levels: %w", err)
	}
	if brand != "" && len(out) == 0 {
		return nil, fmt.Errorf("%w: brand %s", ordering.ErrNotFound, brand) // no detail: the same answer for another manufacturer's
	}
	return out, nil
}

// Movements returns a brand's stock movements, newest first, with ids below beforeID (0: from the
// newest), at most limit; ordering.ErrNotFound when the brand does not exist or is not manufacturer's
// (when not 0).
func (s *Store) Movements(ctx context.Context, manufacturer int64, brand string, beforeID int64, limit int) ([]ordering.Movement, error) {
	if _, err := s.StockLevels(ctx, manufacturer, brand); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT sm.id, b.code, sm.kind, sm.cartons, sm.reason, coalesce(sm.order_id, 0),
			coalesce(sm.arrival_plan_id, 0), sm.at
		FROM stock_movements sm JOIN brands b ON b.id = sm.brand_id
		WHERE b.code = $1 AND ($2 = 0 OR sm.id < $2) ORDER BY sm.id DESC LIMIT $3`, brand, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("postgresql: stock movements of %s: %w", brand, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ordering.Movement, error) {
		var m ordering.Movement
		var kind string
		err := r.Scan(&m.ID, &m.Brand, &kind, &m.Cartons, &m.Reason, &m.OrderID, &m.ArrivalPlan, &m.At)
		m.Kind = ordering.MovementKind(kind)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: stock movements of %s: %w", brand, err)
	}
	return out, nil
}

// SubmitArrivals writes planned arrivals in one transaction, all or none: a brand and day planned
// before gets the new quantity and cadence. With manufacturer not 0 (a manufacturer's own
// submission) every brand must be that manufacturer's. key names line i in errors. It returns how
// many lines it wrote, or a *ordering.ValidationError (invalid lines, unknown brands, brands of
// another manufacturer: one message for both, so a manufacturer learns nothing of others' brands).
func (s *Store) SubmitArrivals(ctx context.Context, manufacturer int64, plans []ordering.ArrivalPlan, source string,
	userID int64, now time.Time, key func(i int) string) (int, error) {
	if err := ordering.ValidateArrivals(plans, now, key); err != nil {
		return 0, err
	}
	var user *int64
	if userID > 0 {
		user = &userID
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		codes := make([]string, len(plans))
		for i, p := range plans {
			codes[i] = p.Brand
		}
		rows, err := tx.Query(ctx, `SELECT b.code, b.id, b.manufacturer_id FROM brands b JOIN manufacturers m ON m.id = b.manufacturer_id
			WHERE b.code = ANY($1) AND ($2 = 0 OR m.id = $2)`, codes, manufacturer)
		if err != nil {
			return err
		}
		type ids struct{ brand, manufacturer int64 }
		known := map[string]ids{}
		var code string
		var id ids
		if _, err := pgx.ForEachRow(rows, []any{&code, &id.brand, &id.manufacturer}, func() error {
			known[code] = id
			return nil
		}); err != nil {
			return err
		}
		fields := map[string]string{}
		brandIDs, makers := make([]int64, len(plans)), make([]int64, len(plans))
		days, cadences := make([]time.Time, len(plans)), make([]string, len(plans))
		cartons := make([]int32, len(plans))
		for i, p := range plans {
			b, ok := known[p.Brand]
			if !ok {
				if manufacturer != 0 { // the same answer for another manufacturer's brand as for none
					fields[key(i)+".brand"] = "no such brand of yours"
				} else {
					fields[key(i)+".brand"] = fmt.Sprintf("%q: no such brand", p.Brand)
				}
				continue
			}
			brandIDs[i], makers[i], days[i], cadences[i], cartons[i] = b.brand, b.manufacturer, p.ArrivesOn, string(p.Cadence), int32(p.Cartons)
		}
		if len(fields) > 0 {
			return &ordering.ValidationError{Fields: fields}
		}
		var importID int64
		if err := tx.QueryRow(ctx, `INSERT INTO arrival_plan_imports (source, lines, imported_by, imported_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, source, len(plans), user, now).Scan(&importID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO arrival_plans AS a (manufacturer_id, brand_id, arrives_on, cartons, cadence,
				submitted_by, submitted_at, import_id)
			SELECT p.maker, p.brand, p.day, p.cartons, p.cadence, $6, $7, $8
			FROM unnest($1::bigint[], $2::bigint[], $3::date[], $4::int[], $5::text[]) AS p(maker, brand, day, cartons, cadence)
			ON CONFLICT (brand_id, arrives_on) DO UPDATE SET cartons = excluded.cartons, cadence = excluded.cadence,
				submitted_by = excluded.submitted_by, submitted_at = excluded.submitted_at, import_id = excluded.import_id`,
			makers, brandIDs, days, cartons, cadences, user, now, importID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgresql: submit arrival plans: %w", err)
	}
	return len(plans), nil
}

// ArrivalPlans returns planned arrivals from the day from on, of manufacturer's brands (all when 0),
// of brand alone when not "", by day and brand.
func (s *Store) ArrivalPlans(ctx context.Context, manufacturer int64, brand string, from time.Time) ([]ordering.ArrivalPlan, error) {
	rows, err := s.pool.Query(ctx, `SELECT a.id, m.code, b.code, a.arrives_on, a.cartons, a.received_cartons, a.cadence
		FROM arrival_plans a JOIN brands b ON b.id = a.brand_id JOIN manufacturers m ON m.id = b.manufacturer_id
		WHERE a.arrives_on >= $1 AND ($2 = 0 OR m.id = $2) AND ($3 = '' OR b.code = $3)
		ORDER BY a.arrives_on, b.code LIMIT 10000`, from, manufacturer, brand)
	if err != nil {
		return nil, fmt.Errorf("postgresql: arrival plans: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ordering.ArrivalPlan, error) {
		var p ordering.ArrivalPlan
		var cadence string
		err := r.Scan(&p.ID, &p.Manufacturer, &p.Brand, &p.ArrivesOn, &p.Cartons, &p.Received, &cadence)
		p.Cadence = ordering.Cadence(cadence)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: arrival plans: %w", err)
	}
	return out, nil
}

// SetStockLimit sets a brand's stock limits (ordering.ValidateStockLimit) with their basis. A brand
// that does not exist is ordering.ErrNotFound.
func (s *Store) SetStockLimit(ctx context.Context, brand string, l ordering.StockLimit, userID int64, now time.Time) error {
	if err := ordering.ValidateStockLimit(l); err != nil {
		return err
	}
	var user *int64
	if userID > 0 {
		user = &userID
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO stock_limits AS s (brand_id, lower_cartons, upper_cartons, agreed_at, basis, set_by)
		SELECT id, $2, $3, $4, $5, $6 FROM brands WHERE code = $1
		ON CONFLICT (brand_id) DO UPDATE SET lower_cartons = excluded.lower_cartons, upper_cartons = excluded.upper_cartons,
			agreed_at = excluded.agreed_at, basis = excluded.basis, set_by = excluded.set_by`,
		brand, l.Lower, l.Upper, now, l.Basis, user)
	if err != nil {
		return fmt.Errorf("postgresql: set stock limits of %s: %w", brand, err)
	}
	if tag.RowsAffected() == 0 {
		return ordering.Explain(ordering.ErrNotFound, "no brand %s", brand)
	}
	return nil
}

// BalanceFacts implements ordering.BalanceFacts in one read-only transaction.
//
// The stock, the arrivals and the orders are read in one REPEATABLE READ snapshot, so a delivery
// committed meanwhile is counted either in the stock or in the orders, never in both or neither.
func (s *Store) BalanceFacts(ctx context.Context, q ordering.BalanceQuery) ([]ordering.BalanceInput, error) {
	var out []ordering.BalanceInput
	to := q.From.AddDate(0, 0, 7*q.Weeks)
	weekOf := func(day time.Time) int {
		w := int(day.Sub(q.From).Hours() / (24 * 7))
		return max(0, w) // overdue arrivals count in the first week
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		levels, err := stockLevels(ctx, tx, q.Manufacturer, q.Brand)
		if err != nil {
			return err
		}
		out = make([]ordering.BalanceInput, len(levels))
		index := map[string]int{}
		for i, l := range levels {
			out[i] = ordering.BalanceInput{Brand: l.Brand, Name: l.Name, Stock: l.Cartons, Limits: l.Limits, Weeks: make([]ordering.WeekDemand, q.Weeks)}
			for w := range out[i].Weeks {
				out[i].Weeks[w].Week = q.From.AddDate(0, 0, 7*w)
			}
			index[l.Brand] = i
		}
		if len(levels) == 0 {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT b.code, a.arrives_on, a.cartons - a.received_cartons
			FROM arrival_plans a JOIN brands b ON b.id = a.brand_id JOIN manufacturers m ON m.id = b.manufacturer_id
			WHERE a.arrives_on < $1 AND a.cartons > a.received_cartons AND ($2 = 0 OR m.id = $2) AND ($3 = '' OR b.code = $3)`,
			to, q.Manufacturer, q.Brand)
		if err != nil {
			return err
		}
		var code string
		var day time.Time
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&code, &day, &n}, func() error {
			if i, ok := index[code]; ok {
				out[i].Weeks[weekOf(day)].Arrivals += n
			}
			return nil
		}); err != nil {
			return err
		}
		// The weeks' cycles first, so that only their orders are read (orders_cycle_idx), planned on
		// the ids themselves: joined from cycles, the planner read every order of every cycle.
		var cycles []int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(id), '{}') FROM cycles WHERE week_start >= $1 AND week_start < $2`,
			q.From, to).Scan(&cycles); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT b.code, c.week_start, sum(l.requested_cartons)::int,
				coalesce(sum(l.delivered_cartons) FILTER (WHERE o.status = 'delivered'), 0)::int
			FROM cycles c JOIN orders o ON o.cycle_id = c.id JOIN order_lines l ON l.order_id = o.id
				JOIN brands b ON b.id = l.brand_id JOIN manufacturers m ON m.id = b.manufacturer_id
			WHERE o.cycle_id = ANY ($1) AND o.status NOT IN ('cancelled', 'failed') AND ($2 = 0 OR m.id = $2) AND ($3 = '' OR b.code = $3)
			GROUP BY b.code, c.week_start`, cycles, q.Manufacturer, q.Brand)
		if err != nil {
			return err
		}
		var requested, delivered int
		_, err = pgx.ForEachRow(rows, []any{&code, &day, &requested, &delivered}, func() error {
			if i, ok := index[code]; ok {
				w := &out[i].Weeks[weekOf(day)]
				w.Requested, w.Delivered = requested, delivered
			}
			return nil
		})
		return err
	})
	if errors.Is(err, ordering.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("postgresql: balance facts: %w", err)
	}
	return out, nil
}

// StockAt returns each brand's warehouse stock at at (Σ its movements before it); brands without a
// movement before at are absent.
func (s *Store) StockAt(ctx context.Context, at time.Time) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT b.code, sum(m.cartons)::int FROM stock_movements m JOIN brands b ON b.id = m.brand_id
		WHERE m.at < $1 GROUP BY b.code`, at)
	if err != nil {
		return nil, fmt.Errorf("postgresql: stock at %s: %w", at.Format(time.RFC3339), err)
	}
	out := map[string]int{}
	var code string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&code, &n}, func() error { out[code] = n; return nil }); err != nil {
		return nil, fmt.Errorf("postgresql: stock at %s: %w", at.Format(time.RFC3339), err)
	}
	return out, nil
}
