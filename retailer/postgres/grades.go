package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/retailer"
	"github.com/ordercast/ordercast/retailer/grading"
)

var (
	_ grading.OutletSource = (*Store)(nil)
	_ grading.Publisher    = (*Store)(nil)
)

// GradeInputs returns every outlet's id, licence, grade and status, in id order.
func (s *Store) GradeInputs(ctx context.Context) ([]grading.Outlet, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, licence_no, grade, status FROM outlets ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgresql: read grades: %w", err)
	}
	var out []grading.Outlet
	var o grading.Outlet
	var grade int16
	var status string
	_, err = pgx.ForEachRow(rows, []any{&o.ID, &o.Licence, &grade, &status}, func() error {
		o.Grade, o.Status = int(grade), retailer.Status(status)
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: read grades: %w", err)
	}
	return out, nil
}

// PublishGrades writes recomputed grades in one transaction: each outlet's new grade (only where it
// changed), and for every ranked outlet a row of grade_changes effective from the day with the rule
// version and the reason, replacing a row of the same day. It returns how many grades changed. An
// outlet whose grade changed since it was read is not updated: its change is written with the grade
// it has, and the count leaves it out.
func (s *Store) PublishGrades(ctx context.Context, results []grading.Result, effective time.Time, ruleVersion string) (int, error) {
	var ids []int64
	var olds, news []int16
	var reasons []string
	for _, r := range results {
		if r.Ranked {
			ids, olds, news, reasons = append(ids, r.ID), append(olds, int16(r.Grade)), append(news, int16(r.New)), append(reasons, r.Reason)
		}
	}
	var changed int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE outlets o SET grade = r.new, updated_at = now()
			FROM unnest($1::bigint[], $2::smallint[], $3::smallint[]) AS r(id, old, new)
			WHERE o.id = r.id AND o.grade = r.old AND r.new <> r.old`, ids, olds, news)
		if err != nil {
			return err
		}
		changed = int(tag.RowsAffected())
		_, err = tx.Exec(ctx, `INSERT INTO grade_changes (outlet_id, effective_from, grade, rule_version, explanation)
			SELECT r.id, $4, o.grade, $5, r.reason
			FROM unnest($1::bigint[], $2::smallint[], $3::text[]) AS r(id, new, reason) JOIN outlets o ON o.id = r.id
			ON CONFLICT (outlet_id, effective_from) DO UPDATE SET grade = EXCLUDED.grade,
				rule_version = EXCLUDED.rule_version, explanation = EXCLUDED.explanation`,
			ids, news, reasons, effective, ruleVersion)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgresql: publish grades: %w", err)
	}
	return changed, nil
}

// OutletGrade returns outlet id's grade and its latest grade change, if p may see the outlet, or an
// error wrapping retailer.ErrNotFound.
func (s *Store) OutletGrade(ctx context.Context, p retailer.Principal, id int64) (grading.Record, error) {
	cond, arg := visibleOutlets(p, 2)
	var r grading.Record
	var grade int16
	var effective *time.Time
	var version, explanation *string
	err := s.pool.QueryRow(ctx, `SELECT o.id, o.licence_no, o.grade, g.effective_from, g.rule_version, g.explanation
		FROM outlets o LEFT JOIN LATERAL (SELECT effective_from, rule_version, explanation FROM grade_changes
			WHERE outlet_id = o.id ORDER BY effective_from DESC LIMIT 1) g ON true
		WHERE o.id = $1 AND `+cond, id, arg).Scan(&r.OutletID, &r.Licence, &grade, &effective, &version, &explanation)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("%w: outlet %d", retailer.ErrNotFound, id)
	}
	if err != nil {
		return r, fmt.Errorf("postgresql: read grade: %w", err)
	}
	r.Grade = int(grade)
	if effective != nil {
		r.EffectiveFrom, r.RuleVersion, r.Explanation = effective.UTC(), *version, *explanation
	}
	return r, nil
}
