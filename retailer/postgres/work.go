package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/retailer"
)

// RecordVisit records a visit of account manager p to outlet id, which must be one of p's outlets at
// the moment of the insert (the condition is part of the statement): any other outlet, or a principal
// that is not a manager, is an error wrapping retailer.ErrNotFound.
func (s *Store) RecordVisit(ctx context.Context, p retailer.Principal, outletID int64, v retailer.NewVisit, now time.Time) (retailer.Visit, error) {
	if p.Role != retailer.RoleManager {
		return retailer.Visit{}, fmt.Errorf("%w: outlet %d", retailer.ErrNotFound, outletID)
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO outlet_visits
			(outlet_id, manager_id, recorded_by, visited_on, purpose, notes, follow_up_on, follow_up, created_at)
		SELECT o.id, $2, $3, $4, $5, $6, $7, $8, $9 FROM outlets o WHERE o.id = $1 AND o.manager_id = $2
		RETURNING id`, outletID, p.ManagerID, p.UserID, v.VisitedOn, string(v.Purpose), v.Notes, nullDate(v.FollowUpOn),
		v.FollowUp, now).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return retailer.Visit{}, fmt.Errorf("%w: outlet %d", retailer.ErrNotFound, outletID)
	}
	if err != nil {
		return retailer.Visit{}, fmt.Errorf("postgresql: record visit: %w", err)
	}
	visits, err := s.visits(ctx, p, "v.id = $2", id)
	if err != nil || len(visits) != 1 {
		return retailer.Visit{}, fmt.Errorf("postgresql: read the visit recorded: %w", err)
	}
	return visits[0], nil
}

func nullDate(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Visits returns the visits to the outlets p may see (an account manager: its outlets as they are
// assigned now, whoever visited them), selected by f, newest first.
func (s *Store) Visits(ctx context.Context, p retailer.Principal, f retailer.VisitFilter) ([]retailer.Visit, error) {
	return s.visits(ctx, p, `($2 = 0 OR v.outlet_id = $2) AND ($3 = '' OR m.code = $3)
		AND ($4::date IS NULL OR v.visited_on >= $4) AND ($5::date IS NULL OR v.visited_on <= $5)
		AND ($6 = 0 OR v.id < $6) ORDER BY v.id DESC LIMIT $7`,
		f.OutletID, f.Manager, nullDate(f.From), nullDate(f.To), f.BeforeID, f.Limit)
}

// visits runs the query of visits to outlets p may see, with a condition (and order) on visits v,
// outlets o and visiting managers m whose arguments start at $2.
func (s *Store) visits(ctx context.Context, p retailer.Principal, cond string, args ...any) ([]retailer.Visit, error) {
	visible, arg := visibleOutlets(p, 1)
	rows, err := s.pool.Query(ctx, `SELECT v.id, v.outlet_id, o.licence_no, o.name, m.code, u.username, v.visited_on,
			v.purpose, v.notes, v.follow_up_on, v.follow_up, v.created_at
		FROM outlet_visits v JOIN outlets o ON o.id = v.outlet_id JOIN account_managers m ON m.id = v.manager_id
		JOIN users u ON u.id = v.recorded_by
		WHERE `+visible+` AND `+cond, append([]any{arg}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("postgresql: list visits: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (retailer.Visit, error) {
		var v retailer.Visit
		var purpose string
		var followUp *time.Time
		err := r.Scan(&v.ID, &v.OutletID, &v.Outlet, &v.OutletName, &v.Manager, &v.RecordedBy, &v.VisitedOn,
			&purpose, &v.Notes, &followUp, &v.FollowUp, &v.RecordedAt)
		v.Purpose = retailer.VisitPurpose(purpose)
		if followUp != nil {
			v.FollowUpOn = *followUp
		}
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: list visits: %w", err)
	}
	return out, nil
}

// Reassign applies a planner's change to outlet id (its account manager, order day, route, benchmark
// flag) in one transaction under the outlet's lock, and records every field that changed, from what to
// what, by whom and when, in the outlet's change log; it returns the outlet as it is now and the
// changes recorded (none when a changes nothing). Errors wrap retailer.ErrNotFound (an outlet p may
// not see), retailer.ErrInvalid (an unknown manager; a benchmark outlet without a manager),
// retailer.ErrOpenOrder (a new order day while the outlet has a submitted order) or
// retailer.ErrBenchmarkLimit (a manager would have more than retailer.MaxBenchmarks benchmark outlets).
func (s *Store) Reassign(ctx context.Context, p retailer.Principal, outletID int64, a retailer.Assignment, now time.Time) (retailer.Profile, []retailer.Change, error) {
	var changes []retailer.Change
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		changes, err = reassign(ctx, tx, p, outletID, a, now)
		return err
	})
	if err != nil {
		return retailer.Profile{}, nil, fmt.Errorf("postgresql: reassign outlet: %w", err)
	}
	pr, err := s.Outlet(ctx, p, outletID)
	return pr, changes, err
}

func reassign(ctx context.Context, tx pgx.Tx, p retailer.Principal, outletID int64, a retailer.Assignment, now time.Time) ([]retailer.Change, error) {
	visible, arg := visibleOutlets(p, 2)
	var managerID *int64
	var licence, managerCode, route string
	var day int16
	var benchmark bool
	err := tx.QueryRow(ctx, `SELECT o.licence_no, o.manager_id, coalesce(m.code, ''), o.order_day, o.route, o.benchmark
		FROM outlets o LEFT JOIN account_managers m ON m.id = o.manager_id
		WHERE o.id = $1 AND `+visible+` FOR UPDATE OF o`, outletID, arg).
		Scan(&licence, &managerID, &managerCode, &day, &route, &benchmark)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: outlet %d", retailer.ErrNotFound, outletID)
	}
	if err != nil {
		return nil, err
	}
	newManagerID, newCode, newDay, newRoute, newBenchmark := managerID, managerCode, day, route, benchmark
	if a.Manager != nil && *a.Manager != managerCode {
		newCode = *a.Manager
		if newCode == "" {
			newManagerID = nil
		} else {
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM account_managers WHERE code = $1`, newCode).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil, &retailer.ValidationError{Fields: map[string]string{"manager": fmt.Sprintf("%q: no such account manager", newCode)}}
			}
			if err != nil {
				return nil, err
			}
			newManagerID = &id
		}
	}
	if a.OrderDay != nil {
		newDay = isoWeekday(*a.OrderDay)
	}
	if a.Route != nil {
		newRoute = *a.Route
	}
	if a.Benchmark != nil {
		newBenchmark = *a.Benchmark
	}
	if newDay != day {
		// The cut-off pays a submitted order in the window of the outlet's order day: it must not move
		// under the order.
		var week time.Time
		err := tx.QueryRow(ctx, `SELECT c.week_start FROM orders o JOIN cycles c ON c.id = o.cycle_id
			WHERE o.outlet_id = $1 AND o.status = 'submitted' ORDER BY c.week_start LIMIT 1`, outletID).Scan(&week)
		if err == nil {
			return nil, retailer.Explain(retailer.ErrOpenOrder,
				"outlet %s has a submitted order in the cycle of %s: change its order day after that order's cut-off, or once it is cancelled",
				licence, week.Format(time.DateOnly))
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
	}
	if newBenchmark && (!benchmark || newCode != managerCode) {
		if newManagerID == nil {
			return nil, &retailer.ValidationError{Fields: map[string]string{"benchmark": "an outlet without an account manager cannot be a benchmark outlet"}}
		}
		if err := checkBenchmarkRoom(ctx, tx, *newManagerID, newCode, outletID); err != nil {
			return nil, err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE outlets SET manager_id = $2, order_day = $3, route = $4, benchmark = $5, updated_at = $6
		WHERE id = $1`, outletID, newManagerID, newDay, newRoute, newBenchmark, now); err != nil {
		return nil, err
	}
	var changes []retailer.Change
	note := func(field, old, new string) {
		if old != new {
			changes = append(changes, retailer.Change{OutletID: outletID, Outlet: licence, Field: field, Old: old, New: new,
				Reason: a.Reason, By: p.Username, At: now})
		}
	}
	note(retailer.FieldManager, managerCode, newCode)
	note(retailer.FieldOrderDay, weekdayOf(day).String(), weekdayOf(newDay).String())
	note(retailer.FieldRoute, route, newRoute)
	note(retailer.FieldBenchmark, strconv.FormatBool(benchmark), strconv.FormatBool(newBenchmark))
	for i := range changes {
		c := &changes[i]
		if err := tx.QueryRow(ctx, `INSERT INTO outlet_changes (outlet_id, field, old_value, new_value, reason, changed_by, changed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, outletID, c.Field, c.Old, c.New, c.Reason, p.UserID, now).Scan(&c.ID); err != nil {
			return nil, err
		}
	}
	return changes, nil
}

// checkBenchmarkRoom holds the account manager's row, so that two planners flagging two outlets of
// one manager at once are counted one after the other, and refuses a benchmark outlet beyond
// retailer.MaxBenchmarks.
func checkBenchmarkRoom(ctx context.Context, tx pgx.Tx, managerID int64, code string, outletID int64) error {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM account_managers WHERE id = $1 FOR UPDATE`, managerID); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT licence_no FROM outlets WHERE manager_id = $1 AND benchmark AND id <> $2 ORDER BY licence_no`,
		managerID, outletID)
	if err != nil {
		return err
	}
	others, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(others) >= retailer.MaxBenchmarks {
		return retailer.Explain(retailer.ErrBenchmarkLimit, "account manager %s already has %d benchmark outlets (%s): unset one first",
			code, len(others), strings.Join(others, ", "))
	}
	return nil
}

// weekdayOf returns the weekday of an ISO day number (1 Monday … 7 Sunday).
func weekdayOf(iso int16) time.Weekday { return time.Weekday(iso % 7) }

// Changes returns the change log of outlet id, if p may see it (else an error wrapping
// retailer.ErrNotFound), newest first: at most limit changes with ids below beforeID (0: from the newest).
func (s *Store) Changes(ctx context.Context, p retailer.Principal, outletID, beforeID int64, limit int) ([]retailer.Change, error) {
	if _, err := s.Outlet(ctx, p, outletID); err != nil {
		return nil, err
	}
	visible, arg := visibleOutlets(p, 1)
	rows, err := s.pool.Query(ctx, `SELECT c.id, c.outlet_id, o.licence_no, c.field, c.old_value, c.new_value, c.reason,
			u.username, c.changed_at
		FROM outlet_changes c JOIN outlets o ON o.id = c.outlet_id JOIN users u ON u.id = c.changed_by
		WHERE `+visible+` AND c.outlet_id = $2 AND ($3 = 0 OR c.id < $3) ORDER BY c.id DESC LIMIT $4`,
		arg, outletID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("postgresql: list outlet changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (retailer.Change, error) {
		var c retailer.Change
		err := r.Scan(&c.ID, &c.OutletID, &c.Outlet, &c.Field, &c.Old, &c.New, &c.Reason, &c.By, &c.At)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: list outlet changes: %w", err)
	}
	return out, nil
}

// BenchmarkOutlets returns the benchmark outlets p may see (an account manager: its own; manager, when
// not empty, keeps one manager's), in licence order, each with its orders of the weeks from first to
// last (Mondays, last included): orders not cancelled, what they requested and were granted, and the
// status of the latest. Sales are the history store's and left zero here.
func (s *Store) BenchmarkOutlets(ctx context.Context, p retailer.Principal, manager string, first, last time.Time) ([]retailer.BenchmarkOutlet, error) {
	visible, arg := visibleOutlets(p, 1)
	rows, err := s.pool.Query(ctx, `SELECT `+profileColumns+`
		FROM outlets o LEFT JOIN account_managers m ON m.id = o.manager_id
		WHERE `+visible+` AND o.benchmark AND ($2 = '' OR m.code = $2) ORDER BY o.licence_no`, arg, manager)
	if err != nil {
		return nil, fmt.Errorf("postgresql: list benchmark outlets: %w", err)
	}
	var out []retailer.BenchmarkOutlet
	index := map[int64]int{}
	var ids []int64
	for rows.Next() {
		var scan profileScan
		if err := rows.Scan(scan.dest()...); err != nil {
			return nil, fmt.Errorf("postgresql: list benchmark outlets: %w", err)
		}
		b := retailer.BenchmarkOutlet{Profile: scan.profile()}
		for w := first; !w.After(last); w = w.AddDate(0, 0, 7) {
			b.Weeks = append(b.Weeks, retailer.BenchmarkWeek{Week: w})
		}
		index[b.ID] = len(out)
		ids = append(ids, b.ID)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgresql: list benchmark outlets: %w", err)
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err = s.pool.Query(ctx, `SELECT o.outlet_id, c.week_start, count(DISTINCT o.id)::int,
			coalesce(sum(l.requested_cartons), 0)::int, coalesce(sum(l.granted_cartons), 0)::int,
			(array_agg(o.status ORDER BY o.id DESC))[1]
		FROM orders o JOIN cycles c ON c.id = o.cycle_id LEFT JOIN order_lines l ON l.order_id = o.id
		WHERE o.outlet_id = ANY($1) AND c.week_start BETWEEN $2 AND $3 AND o.status <> 'cancelled'
		GROUP BY o.outlet_id, c.week_start`, ids, first, last)
	if err != nil {
		return nil, fmt.Errorf("postgresql: benchmark outlets' orders: %w", err)
	}
	var outletID int64
	var week time.Time
	var w retailer.BenchmarkWeek
	_, err = pgx.ForEachRow(rows, []any{&outletID, &week, &w.Orders, &w.Requested, &w.Granted, &w.Status}, func() error {
		b := &out[index[outletID]]
		if i := int(week.Sub(first).Hours() / (24 * 7)); i >= 0 && i < len(b.Weeks) {
			w.Week = b.Weeks[i].Week
			b.Weeks[i] = w
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: benchmark outlets' orders: %w", err)
	}
	return out, nil
}
