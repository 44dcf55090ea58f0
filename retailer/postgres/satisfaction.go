package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/retailer"
)

// LoadSatisfaction inserts satisfaction scores named by outlet licence, with COPY, in one
// transaction: the demo region's. Every outlet must be in the store.
func (s *Store) LoadSatisfaction(ctx context.Context, scores []retailer.SatisfactionScore) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ids, err := idsByCode(ctx, tx, "SELECT id, licence_no FROM outlets")
		if err != nil {
			return err
		}
		rows := make([][]any, len(scores))
		for i, sc := range scores {
			id, ok := ids[sc.Licence]
			if !ok {
				return fmt.Errorf("%w: outlet %q", retailer.ErrNotFound, sc.Licence)
			}
			var at any
			if !sc.RecordedAt.IsZero() {
				at = sc.RecordedAt
			}
			rows[i] = []any{id, sc.Month, sc.Score, sc.Comment, at}
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"satisfaction_scores"},
			[]string{"outlet_id", "month", "score", "comment", "recorded_at"}, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("postgresql: load satisfaction scores: %w", err)
	}
	return nil
}

// satisfactionColumns are the columns of a score, on satisfaction_scores s, outlets o and users u, in
// scanSatisfaction's order.
const satisfactionColumns = `s.outlet_id, o.licence_no, s.month, s.score::float8, s.comment,
	coalesce(u.username, ''), s.recorded_at`

func scanSatisfaction(row pgx.Row) (retailer.SatisfactionScore, error) {
	var sc retailer.SatisfactionScore
	var at *time.Time
	if err := row.Scan(&sc.OutletID, &sc.Licence, &sc.Month, &sc.Score, &sc.Comment, &sc.RecordedBy, &at); err != nil {
		return sc, err
	}
	sc.Month = sc.Month.UTC()
	if at != nil {
		sc.RecordedAt = at.UTC()
	}
	return sc, nil
}

// PutSatisfaction records outlet id's score for the month as p, replacing the month's earlier score
// (created reports whether there was none). Only an account manager records scores, and only for its
// own outlets: for another role it returns retailer.ErrForbidden, for an outlet the manager does not
// look after retailer.ErrNotFound (wrapped).
func (s *Store) PutSatisfaction(ctx context.Context, p retailer.Principal, id int64, month time.Time, score float64,
	comment string, now time.Time) (sc retailer.SatisfactionScore, created bool, err error) {
	if p.Role != retailer.RoleManager {
		return sc, false, retailer.Forbidden("only the outlet's account manager records its satisfaction score")
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var inserted bool
		err := tx.QueryRow(ctx, `INSERT INTO satisfaction_scores AS s (outlet_id, month, score, comment, recorded_by, recorded_at)
			SELECT o.id, $3, $4, $5, $6, $7 FROM outlets o WHERE o.id = $1 AND o.manager_id = $2
			ON CONFLICT (outlet_id, month) DO UPDATE SET score = EXCLUDED.score, comment = EXCLUDED.comment,
				recorded_by = EXCLUDED.recorded_by, recorded_at = EXCLUDED.recorded_at
			RETURNING (xmax = 0)`, id, p.ManagerID, month, score, comment, p.UserID, now).Scan(&inserted)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: outlet %d", retailer.ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		created = inserted
		sc, err = scanSatisfaction(tx.QueryRow(ctx, `SELECT `+satisfactionColumns+`
			FROM satisfaction_scores s JOIN outlets o ON o.id = s.outlet_id LEFT JOIN users u ON u.id = s.recorded_by
			WHERE s.outlet_id = $1 AND s.month = $2`, id, month))
		return err
	})
	if errors.Is(err, retailer.ErrNotFound) {
		return sc, false, err
	}
	if err != nil {
		return sc, false, fmt.Errorf("postgresql: record satisfaction: %w", err)
	}
	return sc, created, nil
}

// Satisfaction returns the scores p may see (a manager its outlets', planners and administrators
// every outlet's) that f selects, in (outlet id, month) order.
func (s *Store) Satisfaction(ctx context.Context, p retailer.Principal, f retailer.SatisfactionFilter) ([]retailer.SatisfactionScore, error) {
	cond, arg := visibleOutlets(p, 1)
	var month any
	if !f.Month.IsZero() {
		month = f.Month
	}
	var afterMonth any = time.Time{}
	if !f.AfterMonth.IsZero() {
		afterMonth = f.AfterMonth
	}
	rows, err := s.pool.Query(ctx, `SELECT `+satisfactionColumns+`
		FROM satisfaction_scores s JOIN outlets o ON o.id = s.outlet_id LEFT JOIN users u ON u.id = s.recorded_by
		WHERE `+cond+` AND ($2::date IS NULL OR s.month = $2) AND ($3 = 0 OR s.outlet_id = $3)
			AND (s.outlet_id, s.month) > ($4, $5::date)
		ORDER BY s.outlet_id, s.month LIMIT $6`, arg, month, f.Outlet, f.AfterOutlet, afterMonth, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("postgresql: read satisfaction: %w", err)
	}
	defer rows.Close()
	var out []retailer.SatisfactionScore
	for rows.Next() {
		sc, err := scanSatisfaction(rows)
		if err != nil {
			return nil, fmt.Errorf("postgresql: read satisfaction: %w", err)
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgresql: read satisfaction: %w", err)
	}
	return out, nil
}
