package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ordercast/ordercast/ordering"
)

// EnsureCycle returns the cycle of the week starting weekStart, creating it with the given windows
// (and a supply plan with every brand on sale, not rationed) when it does not exist yet.
//
// Instances starting together each ensure the week's cycle, and the transactions may deadlock with
// each other or with a planner's publishing; the transaction is then rolled back whole and, being
// idempotent, tried again, up to ensureCycleAttempts times.
func (s *Store) EnsureCycle(ctx context.Context, weekStart time.Time, windows []ordering.Window) (ordering.Cycle, error) {
	c, err := retried(ensureCycleAttempts, func() (ordering.Cycle, error) { return s.ensureCycle(ctx, weekStart, windows) })
	if err != nil {
		return ordering.Cycle{}, fmt.Errorf("postgresql: ensure cycle %s: %w", weekStart.Format(time.DateOnly), err)
	}
	return c, nil
}

// ensureCycleAttempts bounds EnsureCycle's tries after a deadlock or a serialization failure.
const ensureCycleAttempts = 3

// retried runs attempt up to attempts times while it fails with a retryable error, and returns its
// last result.
func retried[T any](attempts int, attempt func() (T, error)) (T, error) {
	v, err := attempt()
	for n := 1; n < attempts && retryable(err); n++ {
		v, err = attempt()
	}
	return v, err
}

// retryable reports whether err is PostgreSQL's deadlock_detected or serialization_failure: the
// transaction was rolled back and may simply be run again.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

func (s *Store) ensureCycle(ctx context.Context, weekStart time.Time, windows []ordering.Window) (ordering.Cycle, error) {
	c := ordering.Cycle{WeekStart: weekStart}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `INSERT INTO cycles (week_start, status) VALUES ($1, 'open')
			ON CONFLICT (week_start) DO UPDATE SET week_start = EXCLUDED.week_start
			RETURNING id, status`, weekStart).Scan(&c.ID, &status)
		if err != nil {
			return err
		}
		c.Status = ordering.CycleStatus(status)
		for _, w := range windows {
			if _, err := tx.Exec(ctx, `INSERT INTO order_windows (cycle_id, order_day, opens_at, closes_at)
				VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, c.ID, isoDay(w.OrderDay), w.OpensAt, w.ClosesAt); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO supply_plans (cycle_id, brand_id, on_sale)
			SELECT $1, id, lifecycle <> 'retired' FROM brands ON CONFLICT DO NOTHING`, c.ID)
		return err
	})
	return c, err
}

func isoDay(d time.Weekday) int16 { return int16((int(d)+6)%7 + 1) }

// PublishSupply writes the planner's supply plan and per-outlet limits of a cycle in one transaction.
// A limit that is new or changed gets a notice to its outlet (ordering.NewLimit) in the same transaction.
// A limit below what the outlet's live orders already hold is refused with ordering.ErrConflict, and
// so is a cycle whose every order window is cut off. With ifVersion not 0 (If-Match), only a cycle
// whose supply is still at that version (ordering.AnyVersion: any) is published, else
// *ordering.SupplyStaleError, checked under the cycle's row lock (lockOpenCycle). A publication moves
// the version on by one, conditional or not.
func (s *Store) PublishSupply(ctx context.Context, cycleID, userID int64, ifVersion int, plan []ordering.SupplyLine,
	limits []ordering.OutletLimit, source string, now time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Orders hold their brands' supply locks shared (see supplyLockClass): once these are held no
		// order of the plan's brands is in flight, and what its orders were granted is counted afresh.
		brands := make([]string, 0, len(plan)+1)
		for _, l := range plan {
			brands = append(brands, l.Brand)
		}
		for _, l := range limits { // an allocation's limits are all of one brand: a code per run of them
			if n := len(brands); n == 0 || brands[n-1] != l.Brand {
				brands = append(brands, l.Brand)
			}
		}
		if err := lockBrandsSupply(ctx, tx, cycleID, brands); err != nil {
			return err
		}
		if err := lockOpenCycle(ctx, tx, cycleID, now); err != nil {
			return err
		}
		if err := nextSupplyVersion(ctx, tx, cycleID, ifVersion); err != nil {
			return err
		}
		codes := make([]string, len(plan))
		for i, l := range plan {
			codes[i] = l.Brand
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id
			WHERE sp.cycle_id = $1 AND b.code = ANY($2) ORDER BY sp.brand_id FOR UPDATE OF sp`, cycleID, codes); err != nil {
			return err
		}
		for _, l := range plan {
			tag, err := tx.Exec(ctx, `INSERT INTO supply_plans AS sp
					(cycle_id, brand_id, on_sale, supply_cartons, per_outlet_cap, published_at, published_by)
				SELECT $1, b.id, $3, $4, $5, $6, $7 FROM brands b WHERE b.code = $2
				ON CONFLICT (cycle_id, brand_id) DO UPDATE SET on_sale = EXCLUDED.on_sale,
					supply_cartons = EXCLUDED.supply_cartons, per_outlet_cap = EXCLUDED.per_outlet_cap,
					published_at = EXCLUDED.published_at, published_by = EXCLUDED.published_by,
					granted_cartons = (SELECT coalesce(sum(ol.granted_cartons), 0) FROM orders o
						JOIN order_lines ol ON ol.order_id = o.id
						WHERE o.cycle_id = sp.cycle_id AND ol.brand_id = sp.brand_id AND o.status NOT IN ('cancelled', 'failed'))`,
				cycleID, l.Brand, l.OnSale, l.SupplyCartons, l.PerOutletCap, now, nullID(userID))
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.ConstraintName == "supply_plans_granted_check" {
				return ordering.Explain(ordering.ErrConflict, "supply %d of %s is below the cartons the cycle's orders were already granted",
					*l.SupplyCartons, l.Brand)
			}
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return &ordering.ValidationError{Fields: map[string]string{"brand": fmt.Sprintf("%q: no such brand", l.Brand)}}
			}
		}
		if err := recordSupplyLimitNotices(ctx, tx, cycleID, limits, now); err != nil {
			return err
		}
		for _, l := range limits {
			tag, err := tx.Exec(ctx, `INSERT INTO outlet_limits (cycle_id, brand_id, outlet_id, limit_cartons, source, explanation)
				SELECT $1, b.id, o.id, $4, $5, $6 FROM brands b, outlets o WHERE b.code = $2 AND o.licence_no = $3
				ON CONFLICT (cycle_id, brand_id, outlet_id) DO UPDATE SET limit_cartons = EXCLUDED.limit_cartons,
					source = EXCLUDED.source, explanation = EXCLUDED.explanation`,
				cycleID, l.Brand, l.Outlet, l.Cartons, source, l.Explanation)
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23514" { // check_violation: below what orders hold
				return ordering.Explain(ordering.ErrConflict, "limit %d of %s for outlet %s is below what its orders already hold",
					l.Cartons, l.Brand, l.Outlet)
			}
			if errors.As(err, &pgErr) && pgErr.Code == "23503" { // no supply plan row for the brand
				return &ordering.ValidationError{Fields: map[string]string{"limits": fmt.Sprintf("%s: not in the cycle's supply plan", l.Brand)}}
			}
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return &ordering.ValidationError{Fields: map[string]string{"limits": fmt.Sprintf("unknown outlet %q or brand %q", l.Outlet, l.Brand)}}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgresql: publish supply: %w", err)
	}
	return nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// PlaceOrder creates the outlet's order in the cycle whose window for the outlet is open at now, or
// replaces the lines of the order it already has there. Every write to an outlet's orders holds a lock
// on the outlet's row, so two devices of one outlet, or an edit racing a new order, are applied one
// after the other and never grant more than a limit; the database's CHECK on outlet_limits stands
// behind that. It returns ordering.ErrWindowClosed (a *ordering.WindowClosedError with the window's
// times), ordering.ErrOutletInactive, ordering.ErrNotOnSale, ordering.ErrLimitExceeded (all-or-nothing)
// ordering.ErrConflict (the order was confirmed meanwhile), ordering.ErrVersionMismatch (a
// *ordering.StaleError: opts.IfVersion is not the live order's version, checked under the outlet's
// lock) or ordering.ErrInsufficientBalance (the order's total is above the outlet's balance less its
// other submitted orders, unless opts.AllowCredit), wrapped. The order comes back with its Funds.
//
// Under opts.Key it also returns *ordering.InFlightError (another request with the key is running) or
// ordering.ErrIdempotencyKeyHeld (the key was already held; nothing was written), and commits the key
// with the response opts.Respond renders in the order's transaction (see queueTakeKey).
//
// It costs two round trips to the server whatever the number of lines, and one commit: the BEGIN, the
// key's lock, the outlet's lock, its brands' supply locks and every read in one pipelined batch (each
// statement after a lock runs once it is held and reads afresh, as separate queries would), then one
// statement writing the order, its lines, the limits and the key with its response, and the COMMIT, in
// another. When another order took a rationed brand's supply between the read and the write (see
// placeOrder), it rolls back and places the order again with the brand's row locked first.
func (s *Store) PlaceOrder(ctx context.Context, outletID, userID int64, reqs []ordering.LineRequest,
	opts ordering.PlaceOptions, now time.Time) (ordering.Order, bool, error) {
	if err := ordering.ValidateLines(reqs); err != nil {
		return ordering.Order{}, false, err
	}
	if opts.Key != nil && (opts.Claim != nil || opts.Respond == nil) {
		return ordering.Order{}, false, errors.New("place order: an idempotency key needs Respond, and no claim")
	}
	// The order is answered with what the transaction writes, decided before it is sent: times at the
	// precision PostgreSQL keeps, in the location pgx reads them in.
	now = now.Truncate(time.Microsecond).Local()
	codes := make([]string, len(reqs))
	for i, r := range reqs {
		codes[i] = r.Brand
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return ordering.Order{}, false, fmt.Errorf("place order: %w", err)
	}
	defer conn.Release()
	o, created, err := placeOrder(ctx, conn.Conn(), outletID, userID, reqs, codes, opts, now, false)
	if errors.Is(err, errSupplyRaced) {
		// Another order took the rationed supply this one counted on: place it again holding the
		// rationed brands' plan rows from the start, so that what it reads stays true.
		if _, err = conn.Exec(ctx, "ROLLBACK"); err == nil {
			o, created, err = placeOrder(ctx, conn.Conn(), outletID, userID, reqs, codes, opts, now, true)
		}
	}
	if err != nil {
		// A failure may leave the transaction open or aborted. A connection that cannot roll back is
		// not idle, and the pool closes it on Release.
		if conn.Conn().PgConn().TxStatus() != 'I' {
			conn.Exec(ctx, "ROLLBACK") //nolint:errcheck // see above
		}
		return ordering.Order{}, false, fmt.Errorf("place order: %w", err)
	}
	return o, created, nil
}

// errSupplyRaced is placeOrder's error when, placed without the rationed brands' plan rows locked, the
// order would have taken more of a brand's supply than was left when it wrote: another order took
// some meanwhile. Nothing was written; the caller rolls back and places the order again with the rows
// locked.
var errSupplyRaced = errors.New("a rationed brand's supply was taken by another order meanwhile")

// placeOrder is PlaceOrder's transaction on conn, begun by its first batch and committed by its last.
// On an error the caller rolls back. Unless lockRationed, it does not lock the plan rows of the rationed
// brands before it reads what is left of their supply: the write moves their granted cartons under
// the supply_plans CHECK (granted within supply), and if another order took what it read meanwhile,
// the write fails and placeOrder returns errSupplyRaced. Nothing is ever granted beyond the supply;
// the optimistic first attempt saves every order a statement.
func placeOrder(ctx context.Context, conn *pgx.Conn, outletID, userID int64, reqs []ordering.LineRequest,
	codes []string, opts ordering.PlaceOptions, now time.Time, lockRationed bool) (ordering.Order, bool, error) {
	st, err := readForOrdering(ctx, conn, outletID, userID, opts.Key, now, codes, lockRationed)
	if err != nil {
		return ordering.Order{}, false, err
	}
	return grantAndWrite(ctx, conn, st, userID, reqs, opts, now, lockRationed)
}

// grantAndWrite is placeOrder after its reads: it grants the lines from what st read, checks the
// funds and writes the order (writeOrder), reporting whether it created one.
func grantAndWrite(ctx context.Context, conn *pgx.Conn, st orderingState, userID int64, reqs []ordering.LineRequest,
	opts ordering.PlaceOptions, now time.Time, lockRationed bool) (ordering.Order, bool, error) {
	if err := ordering.MatchVersion(opts.IfVersion, st.orderVersion); err != nil {
		return ordering.Order{}, false, err
	}
	if st.orderID != 0 && !st.orderStatus.Editable() {
		return ordering.Order{}, false, ordering.Explain(ordering.ErrConflict, "the order is %s", st.orderStatus)
	}
	lines, err := ordering.Grant(reqs, st.offers, opts.AllOrNothing)
	if err != nil {
		return ordering.Order{}, false, err
	}
	others := st.submittedCents
	if st.orderStatus == ordering.Submitted {
		others -= st.orderCents // the order being replaced
	}
	funds, err := ordering.CheckFunds(ordering.Total(lines), st.balanceCents, others, opts.AllowCredit)
	if err != nil {
		return ordering.Order{}, false, err
	}
	o, err := writeOrder(ctx, conn, st, userID, lines, funds, opts, now, lockRationed)
	return o, st.orderID == 0, err
}

// openCycle is the SQL of the cycle whose window for the order day of outlet $1 is open at $2 (NULL
// when none is).
const openCycle = `(SELECT w.cycle_id FROM outlets t JOIN order_windows w ON w.order_day = t.order_day
	WHERE t.id = $1 AND w.opens_at <= $2 AND $2 < w.closes_at AND NOT w.closed ORDER BY w.closes_at LIMIT 1)`

// orderingState is what placing an order reads under the outlet's lock.
type orderingState struct {
	outletID, cycleID int64
	weekStart         time.Time
	orderID           int64 // the outlet's live order in the cycle; 0 when none
	orderStatus       ordering.OrderStatus
	orderVersion      int                       // of the live order; 0 when none
	orderCents        int64                     // the live order's total
	balanceCents      int64                     // the outlet's settlement account
	submittedCents    int64                     // what the outlet's submitted orders (the live one included) add up to
	prev              map[int64]int             // granted cartons of the live order, by brand id
	offers            map[string]ordering.Offer // by brand code
	newID             int64                     // the id a new order takes, when there is no live order
	author            *ordering.Author          // the user placing the order; nil when there is none
}

// readForOrdering begins a transaction on conn, takes the idempotency key's lock (see queueTakeKey)
// when key is not nil, locks the outlet's row, takes the shared locks on the supply of the brands the
// order has or will have (queueSharedSupplyLocks) and, when lockRationed, the rows of the rationed
// ones (queueLockRationed), and reads, in the same round trip, the cycle whose window for the outlet
// is open at now, the outlet's live order in it with what its lines were granted (or the id a new
// order takes), the cycle's offers of the brands codes, and the user placing the order. The
// statements after a lock run once it is held and each sees what was committed before it started, as
// separate queries would.
func readForOrdering(ctx context.Context, conn *pgx.Conn, outletID, userID int64, key *ordering.IdempotencyKey,
	now time.Time, codes []string, lockRationed bool) (orderingState, error) {
	st := orderingState{outletID: outletID, prev: map[int64]int{}, offers: map[string]ordering.Offer{}}
	var status string // of the outlet; "" when there is no such outlet
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	queueTakeKey(b, key, now)
	b.Queue(`SELECT status FROM outlets WHERE id = $1 `+outletOrderLock, outletID).QueryRow(func(row pgx.Row) error {
		return noRowsIsNil(row.Scan(&status))
	})
	// The brands the order will have and those its live order has (whose grants it gives back): the
	// reads after their locks see what a publication of them wrote. Without an open window the cycle is
	// NULL and nothing is locked.
	orderBrands := `SELECT id FROM brands WHERE code = ANY($3)
		UNION SELECT l.brand_id FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.outlet_id = $1 AND o.cycle_id = ` + openCycle + ` AND o.status NOT IN ('cancelled', 'failed')`
	queueSharedSupplyLocks(b, openCycle, orderBrands, outletID, now, codes)
	// The cycle, the outlet's live order in it and what its lines were granted: a row per line, or one
	// with NULL lines and the id of a new order when there is no order, and none when no window is open.
	// Each row also names the user $3 placing the order (NULL when there is none).
	b.Queue(`SELECT c.id, c.week_start, coalesce(o.id, 0), coalesce(o.status, ''), coalesce(o.version, 0),
			coalesce(o.total_cents, 0), (SELECT balance_cents FROM outlets WHERE id = $1),
			(SELECT coalesce(sum(total_cents), 0)::bigint FROM orders WHERE outlet_id = $1 AND status = 'submitted'),
			l.brand_id, l.granted_cartons, CASE WHEN o.id IS NULL THEN nextval('orders_id_seq') ELSE 0 END,
			u.username, u.role
		FROM cycles c
		LEFT JOIN orders o ON o.cycle_id = c.id AND o.outlet_id = $1 AND o.status NOT IN ('cancelled', 'failed')
		LEFT JOIN order_lines l ON l.order_id = o.id
		LEFT JOIN users u ON u.id = $3
		WHERE c.id = `+openCycle, outletID, now, userID).Query(func(rows pgx.Rows) error {
		var brand *int64
		var granted *int
		var username, role *string
		_, err := pgx.ForEachRow(rows, []any{&st.cycleID, &st.weekStart, &st.orderID, &st.orderStatus,
			&st.orderVersion, &st.orderCents, &st.balanceCents, &st.submittedCents, &brand, &granted, &st.newID,
			&username, &role}, func() error {
			if brand != nil {
				st.prev[*brand] = *granted
			}
			if username != nil && role != nil && st.author == nil {
				st.author = &ordering.Author{UserID: userID, Username: *username, Role: *role}
			}
			return nil
		})
		return err
	})
	if lockRationed {
		queueLockRationed(b, openCycle, orderBrands, outletID, now, codes)
	}
	b.Queue(`SELECT b.code, b.id, b.wholesale_price_cents, coalesce(sp.on_sale, false), b.scarce, sp.published_at IS NOT NULL,
			`+outletLimit+`, coalesce(l.used_cartons, 0), sp.per_outlet_cap, sp.supply_cartons - sp.granted_cartons
		FROM brands b
		LEFT JOIN supply_plans sp ON sp.cycle_id = `+openCycle+` AND sp.brand_id = b.id
		LEFT JOIN outlet_limits l ON l.cycle_id = sp.cycle_id AND l.brand_id = b.id AND l.outlet_id = $1
		WHERE b.code = ANY($3)`, outletID, now, codes).Query(func(rows pgx.Rows) error {
		var code string
		var o ordering.Offer
		var a ordering.Allowance
		var scarce, published bool
		_, err := pgx.ForEachRow(rows, []any{&code, &o.BrandID, &o.PriceCents, &o.OnSale, &scarce, &published, &a.Limit, &a.Used,
			&a.Cap, &a.Supply}, func() error {
			o.AwaitingSupply = ordering.AwaitingSupply(scarce, published)
			o.Remaining, o.Bound = a.Bound(st.prev[o.BrandID]) // the order being replaced gives back what it holds
			st.offers[code] = o
			return nil
		})
		return err
	})
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return st, err
	}
	switch {
	case status == "":
		return st, fmt.Errorf("%w: outlet %d", ordering.ErrNotFound, outletID)
	case status != "active":
		return st, ordering.Explain(ordering.ErrOutletInactive, "the outlet is %s", status)
	case st.cycleID == 0:
		return st, windowClosed(ctx, conn, outletID, now)
	}
	return st, nil
}

// noRowsIsNil returns err, or nil when err is pgx.ErrNoRows.
func noRowsIsNil(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return err
}

// windowClosed returns the *ordering.WindowClosedError of an outlet that has no window open at now,
// with the times of its next window (zero when there is none).
func windowClosed(ctx context.Context, conn *pgx.Conn, outletID int64, now time.Time) error {
	closed := &ordering.WindowClosedError{}
	err := conn.QueryRow(ctx, `SELECT w.opens_at, w.closes_at FROM outlets t JOIN order_windows w ON w.order_day = t.order_day
		WHERE t.id = $1 AND w.closes_at > $2 ORDER BY w.closes_at LIMIT 1`, outletID, now).Scan(&closed.OpensAt, &closed.ClosesAt)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	return closed
}

// writeOrder writes the granted lines as the outlet's live order (a new one, or the lines of st's
// replaced), moves the outlet's limits and the rationed brands' granted supply, records the order on
// opts' idempotency claim or key, and commits, in one round trip: one statement (with the key and its
// response under opts.Key), the claim's when there is one, and the COMMIT. It returns the order as
// stored, or errSupplyRaced when the supply it moved had been taken meanwhile and !lockedRationed. The order's id, version, time and author are decided here and written as they are, so that
// the response to keep on the key is rendered before the transaction is sent.
func writeOrder(ctx context.Context, conn *pgx.Conn, st orderingState, userID int64, lines []ordering.Line,
	funds ordering.Funds, opts ordering.PlaceOptions, now time.Time, lockedRationed bool) (ordering.Order, error) {
	o := ordering.Order{ID: st.orderID, OutletID: st.outletID, CycleID: st.cycleID, WeekStart: st.weekStart,
		Status: ordering.Submitted, TotalCents: ordering.Total(lines), Version: st.orderVersion + 1, UpdatedAt: now,
		Lines: lines, Funds: &funds, PlacedBy: st.author}
	created := st.orderID == 0
	if created {
		o.ID, o.Version = st.newID, 1
	}
	var resp ordering.StoredResponse
	if opts.Key != nil {
		var err error
		if resp, err = opts.Respond(o, created); err != nil {
			return ordering.Order{}, err
		}
	}
	n := len(lines)
	brands, requested, limits, granted := make([]int64, n), make([]int32, n), make([]*int32, n), make([]int32, n)
	prices, reasons := make([]int64, n), make([]string, n)
	for i, l := range lines {
		brands[i], requested[i], granted[i], prices[i], reasons[i] = l.BrandID, int32(l.Requested), int32(l.Granted), l.PriceCents, string(l.Reason)
		if l.Limit != nil {
			limits[i] = new(int32(*l.Limit))
		}
	}
	limitBrands, deltas := moveArrays(ordering.LimitMoves(st.prev, lines))

	// One statement writes the order, its lines and the limits: $1 the outlet, $2 the cycle, $3 the
	// total, $4 the user who creates the order or the order that is replaced, $5 now, $6–$11 the lines,
	// $12–$13 the limits' deltas, $15 the order's id and $16 its version. An edit deletes the lines of
	// brands no longer ordered and writes the others over the old ones, updating unchanged rows in
	// place; the CTEs touch distinct rows. The rationed brands' plan rows are locked in brand order,
	// as everywhere, before their granted cartons move (unless placeOrder locked them already).
	const moveLimits = `m AS (UPDATE outlet_limits l SET used_cartons = l.used_cartons + d.delta
			FROM unnest($12::bigint[], $13::int[]) AS d(brand_id, delta)
			WHERE l.cycle_id = $2 AND l.outlet_id = $1 AND l.brand_id = d.brand_id),
		s AS (UPDATE supply_plans sp SET granted_cartons = sp.granted_cartons + r.delta
			FROM (SELECT p.brand_id, d.delta FROM supply_plans p
					JOIN unnest($12::bigint[], $13::int[]) AS d(brand_id, delta) ON d.brand_id = p.brand_id
				WHERE p.cycle_id = $2 AND p.supply_cartons IS NOT NULL ORDER BY p.brand_id FOR UPDATE OF p) AS r
			WHERE sp.cycle_id = $2 AND sp.brand_id = r.brand_id AND sp.supply_cartons IS NOT NULL)`
	const writeLines = `l AS (INSERT INTO order_lines (order_id, brand_id, requested_cartons, limit_cartons,
				granted_cartons, price_cents, limited_reason)
			SELECT o.id, u.brand_id, u.requested, u.lim, u.granted, u.price, NULLIF(u.reason, '')
			FROM o, unnest($6::bigint[], $7::int[], $8::int[], $9::int[], $10::bigint[], $11::text[])
				AS u(brand_id, requested, lim, granted, price, reason)
			ON CONFLICT (order_id, brand_id) DO UPDATE SET requested_cartons = EXCLUDED.requested_cartons,
				limit_cartons = EXCLUDED.limit_cartons, granted_cartons = EXCLUDED.granted_cartons,
				delivered_cartons = NULL, price_cents = EXCLUDED.price_cents, limited_reason = EXCLUDED.limited_reason)`
	// $14 is the user who places the lines and $17 their role: the order's author.
	order, who := `o AS (INSERT INTO orders (id, outlet_id, cycle_id, status, total_cents, created_by, version,
				updated_at, submitted_at, placed_by, placed_by_role)
			VALUES ($15, $1, $2, 'submitted', $3, $4, $16, $5, $5, $14, $17)
			RETURNING id)`, nullID(userID)
	if !created {
		order, who = `o AS (UPDATE orders SET total_cents = $3, version = $16, updated_at = $5,
					placed_by = $14, placed_by_role = $17
				WHERE id = $4 AND id = $15 RETURNING id),
			d AS (DELETE FROM order_lines WHERE order_id = $4 AND brand_id <> ALL($6))`, &st.orderID
	}
	var role *string
	if st.author != nil {
		role = &st.author.Role
	}
	args := []any{st.outletID, st.cycleID, o.TotalCents, who, now, brands, requested, limits, granted, prices, reasons,
		limitBrands, deltas, nullID(userID), o.ID, o.Version, role}
	// Under a key the statement also writes the key with its response (keyResponse), and fails when
	// the key was claimed meanwhile.
	ctes, keyCheck := order+`, `+moveLimits+`, `+writeLines, `true`
	if opts.Key != nil {
		cte, keyArgs, check := keyResponse(len(args)+1, "$5", opts.Key, created, resp, now)
		ctes, keyCheck, args = ctes+`, `+cte, check, append(args, keyArgs...)
	}
	b := &pgx.Batch{}
	b.Queue(`WITH `+ctes+` SELECT o.id, `+keyCheck+` FROM o`, args...).QueryRow(func(row pgx.Row) error {
		var keyWritten bool
		err := row.Scan(&o.ID, &keyWritten)
		if isClaimLost(err) {
			return ordering.ErrIdempotencyKeyHeld
		}
		return err
	})
	queueOrderOnClaim(b, opts.Claim, st.outletID, st.cycleID, created)
	b.Queue(`COMMIT`).Exec(func(tag pgconn.CommandTag) error {
		if tag.String() != "COMMIT" { // the transaction had failed and COMMIT rolled it back
			return pgx.ErrTxCommitRollback
		}
		return nil
	})
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		var pgErr *pgconn.PgError
		switch {
		case !lockedRationed && errors.As(err, &pgErr) && pgErr.ConstraintName == "supply_plans_granted_check":
			return ordering.Order{}, errSupplyRaced // another order took the supply this one read
		case errors.As(err, &pgErr) && pgErr.ConstraintName == "supply_plans_granted_check":
			// With the rows locked and the brands' supply locks held, supply cannot change: a safeguard.
			return ordering.Order{}, ordering.Explain(ordering.ErrConflict, "a brand's supply changed while the order was placed; place it again")
		}
		return ordering.Order{}, err
	}
	return o, nil
}

// supplyLockClass tags the transaction-scoped advisory locks on the supply of a cycle's brands
// (supplyLockKey): every transaction that moves what the cycle's orders were granted of a brand, or
// reads its limits to grant it, holds the brand's lock shared (queueSharedSupplyLocks, lockSupply); a
// publication of the brand's supply holds it exclusively (lockBrandsSupply). A publication of one
// brand so waits for that brand's orders in flight, and holds up only the orders of the brands that
// share its lock. Every transaction takes these locks in key order, so an order and a publication of
// several brands cannot deadlock.
const supplyLockClass = 0x6f73 // "os"

// supplyLockBuckets is how many locks a cycle's brands share: brand id modulo supplyLockBuckets. An
// order of many brands then holds at most this many locks (PostgreSQL's lock table holds
// max_locks_per_transaction per connection on average, 64 by default, and an order may have 500
// lines), at the cost of one brand's publication holding up the orders of the few other brands of its
// bucket too.
const supplyLockBuckets = 32

// supplyLockKey is the SQL of the advisory lock key (one bigint) of the supply of brand (SQL bigint)
// in cycle: the class in the top 16 bits, the cycle in the next 24 and the brand's bucket in the low
// ones. Cycles beyond 24 bits share keys with others, which only makes some transactions wait for
// each other; the class keeps the keys apart from the package's other one-key locks (the outbox
// relay's, the migrations').
func supplyLockKey(cycle, bucket string) string {
	return `((` + strconv.Itoa(supplyLockClass) + `::bigint << 48) | ((` + cycle + `)::bigint << 24) | (` + bucket + `)::bigint)`
}

// supplyLockBucket is the SQL of the bucket of brand id (SQL).
func supplyLockBucket(brand string) string {
	return `((` + brand + `) % ` + strconv.Itoa(supplyLockBuckets) + `)`
}

// queueSharedSupplyLocks queues the shared locks on the supply in cycle (SQL) of the brands whose ids
// brands (SQL, one column) selects, with args, in key order.
func queueSharedSupplyLocks(b *pgx.Batch, cycle, brands string, args ...any) {
	b.Queue(`SELECT pg_advisory_xact_lock_shared(`+supplyLockKey(cycle, "x.bucket")+`)
		FROM (SELECT DISTINCT `+supplyLockBucket("id")+` AS bucket FROM (`+brands+`) AS y(id) ORDER BY bucket) AS x`, args...)
}

// queueLockRationed queues the lock of the plan rows of cycle (SQL) of the rationed brands whose ids
// brands (SQL) selects, with args, FOR UPDATE, as their granted_cartons will move. Rows are locked in
// brand order everywhere they are locked, so two orders cannot deadlock.
func queueLockRationed(b *pgx.Batch, cycle, brands string, args ...any) {
	b.Queue(`SELECT 1 FROM supply_plans WHERE cycle_id = `+cycle+` AND brand_id IN (`+brands+`)
		AND supply_cartons IS NOT NULL ORDER BY brand_id FOR UPDATE`, args...)
}

// lockSupply takes, in tx, the shared locks on the supply in cycle $1 of the brands whose ids brands
// (SQL) selects (queueSharedSupplyLocks) and the rows of the rationed ones among them
// (queueLockRationed).
func lockSupply(ctx context.Context, tx pgx.Tx, brands string, args ...any) error {
	b := &pgx.Batch{}
	queueSharedSupplyLocks(b, "$1::bigint", brands, args...)
	queueLockRationed(b, "$1", brands, args...)
	return tx.SendBatch(ctx, b).Close()
}

// outletLimit is the SQL of an outlet's limit of a brand in a cycle, from its supply plan line sp and
// its limit row l (LEFT JOINed): the row's limit; none (NULL) without a row, unless the brand's line
// names a published allocation, which did not list the outlet (it was listed after): then 0
// (ordering.NotInAllocation). Orders are granted by it and the catalogue shows it.
const outletLimit = `CASE WHEN l.outlet_id IS NULL AND sp.allocation_id IS NOT NULL THEN 0 ELSE l.limit_cartons END`

// nextSupplyVersion moves the cycle's supply version on by one, in a publication holding its brands'
// supply locks and the cycle's row (lockOpenCycle); with ifVersion not 0 (nor ordering.AnyVersion) it
// refuses, with *ordering.SupplyStaleError, a supply no longer at that version (the transaction's
// rollback leaves the version as it was).
func nextSupplyVersion(ctx context.Context, tx pgx.Tx, cycleID int64, ifVersion int) error {
	var was int
	if err := tx.QueryRow(ctx, `UPDATE cycles SET supply_version = supply_version + 1 WHERE id = $1
		RETURNING supply_version - 1`, cycleID).Scan(&was); err != nil {
		return err
	}
	if ifVersion != 0 && ifVersion != ordering.AnyVersion && ifVersion != was {
		return &ordering.SupplyStaleError{Current: was}
	}
	return nil
}

// lockBrandsSupply takes, for the rest of tx, the locks on the supply of the brands codes in the cycle
// exclusively, in key order: it waits for the orders of those brands in flight (their shared locks),
// and their orders wait for tx; the cycle's other brands are ordered meanwhile. A publication takes
// them before any other lock. Codes of no brand lock nothing.
func lockBrandsSupply(ctx context.Context, tx pgx.Tx, cycleID int64, codes []string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(`+supplyLockKey("$1::bigint", "x.bucket")+`)
		FROM (SELECT DISTINCT `+supplyLockBucket("id")+` AS bucket FROM brands WHERE code = ANY($2) ORDER BY bucket) AS x`, cycleID, codes)
	return err
}

// CancelOrder cancels an order of the outlet while its window is open, releasing what it held of the
// outlet's limits and of its brands' supply. With ifVersion (If-Match) not 0, only an order still at
// that version (any, for ordering.AnyVersion) is cancelled, else *ordering.StaleError, checked under
// the outlet's lock.
func (s *Store) CancelOrder(ctx context.Context, outletID, orderID int64, ifVersion int, now time.Time) (ordering.Order, error) {
	var o ordering.Order
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cycleID, err := lockOutletForOrdering(ctx, tx, outletID, now)
		if err != nil {
			return err
		}
		var status string
		var version int
		err = tx.QueryRow(ctx, `SELECT status, version FROM orders WHERE id = $1 AND outlet_id = $2 AND cycle_id = $3`,
			orderID, outletID, cycleID).Scan(&status, &version)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: order %d in the open cycle", ordering.ErrNotFound, orderID)
		}
		if err != nil {
			return err
		}
		if err := ordering.MatchVersion(ifVersion, version); err != nil {
			return err
		}
		if !ordering.OrderStatus(status).Editable() {
			return ordering.Explain(ordering.ErrConflict, "the order is %s", status)
		}
		prev, err := grantedLines(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if err := lockSupply(ctx, tx, `SELECT brand_id FROM order_lines WHERE order_id = $2`, cycleID, orderID); err != nil {
			return err
		}
		if err := moveLimits(ctx, tx, outletID, cycleID, prev, nil); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE orders SET status = 'cancelled', cancelled_at = $2, updated_at = $2,
			version = version + 1 WHERE id = $1`, orderID, now); err != nil {
			return err
		}
		o, err = readOrder(ctx, tx, orderID)
		return err
	})
	if err != nil {
		return ordering.Order{}, fmt.Errorf("cancel order: %w", err)
	}
	return o, nil
}

// outletOrderLock is the row lock an order's transaction (and a cut-off's) takes on its outlet's row,
// before its brands' supply locks (supplyLockClass): it serialises the outlet's orders and its
// balance, and must not stop a publication, which holds its brands' supply locks exclusively, from
// inserting limits and notices of the outlet, whose foreign keys check the outlet's row FOR KEY
// SHARE. FOR UPDATE conflicts with that check, and the two transactions would deadlock (PostgreSQL
// then aborts one); FOR NO KEY UPDATE, what an UPDATE of the row's other columns takes, does not.
const outletOrderLock = `FOR NO KEY UPDATE`

// lockOutletForOrdering locks the outlet's row (outletOrderLock) and returns the cycle whose window
// for the outlet's order day is open at now.
func lockOutletForOrdering(ctx context.Context, tx pgx.Tx, outletID int64, now time.Time) (int64, error) {
	var day int16
	var status string
	err := tx.QueryRow(ctx, `SELECT order_day, status FROM outlets WHERE id = $1 `+outletOrderLock, outletID).Scan(&day, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("%w: outlet %d", ordering.ErrNotFound, outletID)
	}
	if err != nil {
		return 0, err
	}
	if status != "active" {
		return 0, ordering.Explain(ordering.ErrOutletInactive, "the outlet is %s", status)
	}
	var cycleID int64
	err = tx.QueryRow(ctx, `SELECT w.cycle_id FROM order_windows w
		WHERE w.order_day = $1 AND w.opens_at <= $2 AND $2 < w.closes_at AND NOT w.closed
		ORDER BY w.closes_at LIMIT 1`, day, now).Scan(&cycleID)
	if err == nil {
		return cycleID, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	closed := &ordering.WindowClosedError{}
	err = tx.QueryRow(ctx, `SELECT opens_at, closes_at FROM order_windows
		WHERE order_day = $1 AND closes_at > $2 ORDER BY closes_at LIMIT 1`, day, now).Scan(&closed.OpensAt, &closed.ClosesAt)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	return 0, closed
}

// grantedLines returns what each brand of an order was granted (nothing for order 0).
func grantedLines(ctx context.Context, tx pgx.Tx, orderID int64) (map[int64]int, error) {
	out := map[int64]int{}
	if orderID == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT brand_id, granted_cartons FROM order_lines WHERE order_id = $1`, orderID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var brand int64
		var granted int
		if err := rows.Scan(&brand, &granted); err != nil {
			return nil, err
		}
		out[brand] = granted
	}
	return out, rows.Err()
}

// moveLimitsSQL adds deltas ($4) to the used cartons of the outlet's ($2) limits of brands ($3) in cycle $1.
const moveLimitsSQL = `UPDATE outlet_limits l SET used_cartons = l.used_cartons + d.delta
	FROM unnest($3::bigint[], $4::int[]) AS d(brand_id, delta)
	WHERE l.cycle_id = $1 AND l.outlet_id = $2 AND l.brand_id = d.brand_id`

// moveArrays writes limit moves as the arrays of brand ids and deltas the SQL takes, by brand id.
func moveArrays(moves map[int64]int) (brands []int64, deltas []int32) {
	brands = make([]int64, 0, len(moves))
	for brand := range moves {
		brands = append(brands, brand)
	}
	slices.Sort(brands)
	deltas = make([]int32, len(brands))
	for i, brand := range brands {
		deltas[i] = int32(moves[brand])
	}
	return brands, deltas
}

// moveLimits changes the used part of the outlet's limits, and what the cycle's rationed brands have
// granted, from what prev granted to what lines grant. The caller holds the supply rows (lockSupply).
func moveLimits(ctx context.Context, tx pgx.Tx, outletID, cycleID int64, prev map[int64]int, lines []ordering.Line) error {
	brands, deltas := moveArrays(ordering.LimitMoves(prev, lines))
	if len(brands) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, moveLimitsSQL, cycleID, outletID, brands, deltas); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE supply_plans sp SET granted_cartons = sp.granted_cartons + d.delta
		FROM unnest($2::bigint[], $3::int[]) AS d(brand_id, delta)
		WHERE sp.cycle_id = $1 AND sp.brand_id = d.brand_id AND sp.supply_cartons IS NOT NULL`, cycleID, brands, deltas)
	return err
}

func readOrder(ctx context.Context, tx pgx.Tx, orderID int64) (ordering.Order, error) {
	var o ordering.Order
	var status string
	var reason *string
	var authorID *int64
	var authorName, authorRole *string
	err := tx.QueryRow(ctx, `SELECT o.id, o.outlet_id, o.cycle_id, c.week_start, o.status, o.failure_reason,
			o.total_cents, o.version, o.updated_at, o.placed_by, u.username, o.placed_by_role
		FROM orders o JOIN cycles c ON c.id = o.cycle_id LEFT JOIN users u ON u.id = o.placed_by
		WHERE o.id = $1`, orderID).
		Scan(&o.ID, &o.OutletID, &o.CycleID, &o.WeekStart, &status, &reason, &o.TotalCents, &o.Version, &o.UpdatedAt,
			&authorID, &authorName, &authorRole)
	if err != nil {
		return ordering.Order{}, err
	}
	if authorID != nil && authorName != nil && authorRole != nil {
		o.PlacedBy = &ordering.Author{UserID: *authorID, Username: *authorName, Role: *authorRole}
	}
	o.Status = ordering.OrderStatus(status)
	if reason != nil {
		o.Reason = *reason
	}
	rows, err := tx.Query(ctx, `SELECT b.code, l.brand_id, l.requested_cartons, l.granted_cartons, l.limit_cartons,
			l.delivered_cartons, l.price_cents, coalesce(l.limited_reason, '')
		FROM order_lines l JOIN brands b ON b.id = l.brand_id WHERE l.order_id = $1 ORDER BY b.code`, orderID)
	if err != nil {
		return ordering.Order{}, err
	}
	for rows.Next() {
		var l ordering.Line
		var reason string
		if err := rows.Scan(&l.Brand, &l.BrandID, &l.Requested, &l.Granted, &l.Limit, &l.Delivered, &l.PriceCents, &reason); err != nil {
			return ordering.Order{}, err
		}
		l.Reason = ordering.LimitReason(reason)
		o.Lines = append(o.Lines, l)
	}
	return o, rows.Err()
}
