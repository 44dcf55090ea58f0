package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

// Notices (ordering.Notice) live in the notifications table. Those caused by a fact are written in
// its transaction: recordFailedNotices by the cut-off, recordSupplyLimitNotices by the planner's
// supply plan. A published allocation records a fan-out row in its transaction, which
// ExpandLimitNotices turns into its outlets' notices after it commits. The reminder and new-product
// notices come from a scan (ordering.NoticeScan). Every insert is ON CONFLICT (id) DO NOTHING: a
// notice's id says what makes two of them the same event.

var (
	_ ordering.NoticeQueue    = (*Store)(nil)
	_ ordering.NoticeRecorder = (*Store)(nil)
	_ ordering.NoticePruner   = (*Store)(nil)
)

// recordFailedNotices records an OrderFailed notice for every order failed at the cut-off of the cycle
// of weekStart, in the cut-off's transaction.
func recordFailedNotices(ctx context.Context, tx pgx.Tx, weekStart time.Time, failed []ordering.FailedOrder, now time.Time) error {
	if len(failed) == 0 {
		return nil
	}
	ids, outlets, data := make([]string, len(failed)), make([]int64, len(failed)), make([][]byte, len(failed))
	for i, o := range failed {
		b, err := json.Marshal(ordering.OrderFailedData(o, weekStart))
		if err != nil {
			return err
		}
		ids[i], outlets[i], data[i] = ordering.OrderFailedID(o.ID), o.OutletID, b
	}
	_, err := tx.Exec(ctx, `INSERT INTO notifications (id, outlet_id, kind, data, created_at, next_attempt_at)
		SELECT f.id, f.outlet_id, $4, f.data, $5, $5 FROM unnest($1::text[], $2::bigint[], $3::jsonb[]) AS f(id, outlet_id, data)
		ON CONFLICT (id) DO NOTHING`, ids, outlets, data, string(ordering.OrderFailed), now)
	if err != nil {
		return fmt.Errorf("record failed-order notices: %w", err)
	}
	return nil
}

// recordLimitNotices records a NewLimit notice for every active outlet whose limit of a brand in
// cycleID the limits about to be written set or change, before they are written, in the
// publication's transaction. newLimits is a query of the limits (columns outlet_id, brand_id,
// cartons, explanation) whose arguments, args, are numbered from $4. A limit published again
// unchanged is no news. The id names the cycle, brand, outlet, the new limit and the publication's
// time (in microseconds), so that every change is a notice of its own.
func recordLimitNotices(ctx context.Context, tx pgx.Tx, cycleID int64, now time.Time, newLimits string, args ...any) error {
	_, err := tx.Exec(ctx, `INSERT INTO notifications (id, outlet_id, kind, data, created_at, next_attempt_at)
		SELECT 'new_limit:' || to_char(c.week_start, 'YYYY-MM-DD') || ':' || b.code || ':' || n.outlet_id || ':' || n.cartons
				|| ':' || $2::bigint,
			n.outlet_id, 'new_limit',
			jsonb_strip_nulls(jsonb_build_object('cycle', to_char(c.week_start, 'YYYY-MM-DD'), 'brand', b.code,
				'brand_name', b.name, 'cartons', n.cartons::text, 'previous', l.limit_cartons::text,
				'explanation', n.explanation)),
			$3, $3
		FROM (`+newLimits+`) n
			JOIN outlets t ON t.id = n.outlet_id AND t.status = 'active'
			JOIN cycles c ON c.id = $1 JOIN brands b ON b.id = n.brand_id
			LEFT JOIN outlet_limits l ON l.cycle_id = $1 AND l.brand_id = n.brand_id AND l.outlet_id = n.outlet_id
		WHERE l.limit_cartons IS DISTINCT FROM n.cartons
		ON CONFLICT (id) DO NOTHING`, append([]any{cycleID, now.UnixMicro(), now}, args...)...)
	if err != nil {
		return fmt.Errorf("record new-limit notices: %w", err)
	}
	return nil
}

// recordAllocationFanout records, in the publication's transaction, that the limits of allocation
// allocationID (of brandID in cycleID) are to be announced to their outlets; ExpandLimitNotices
// writes the notices later (see the notice_fanouts table).
func recordAllocationFanout(ctx context.Context, tx pgx.Tx, cycleID, brandID int64, allocationID string, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO notice_fanouts (allocation_id, cycle_id, brand_id, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (allocation_id) DO NOTHING`, allocationID, cycleID, brandID, now); err != nil {
		return fmt.Errorf("record the allocation's notices: %w", err)
	}
	return nil
}

// ExpandLimitNotices writes the NewLimit notices of every published allocation not yet announced,
// each allocation in a transaction of its own that claims it first (FOR UPDATE SKIP LOCKED, so two
// instances never expand one at once), and returns how many notices it wrote. An allocation's notice
// goes to every active outlet whose limit of the brand in the cycle is still the allocation's, unless
// the outlet's latest NewLimit notice for the brand and cycle already announced that many cartons (a
// plan published again); its id names the allocation and the outlet.
func (s *Store) ExpandLimitNotices(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		var n int64
		var found bool
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			var id string
			err := tx.QueryRow(ctx, `SELECT allocation_id FROM notice_fanouts WHERE expanded_at IS NULL
				ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			found = true
			tag, err := tx.Exec(ctx, `INSERT INTO notifications (id, outlet_id, kind, data, created_at, next_attempt_at)
				SELECT 'new_limit:' || f.allocation_id || ':' || l.outlet_id, l.outlet_id, 'new_limit',
					jsonb_build_object('cycle', to_char(c.week_start, 'YYYY-MM-DD'), 'brand', b.code, 'brand_name', b.name,
						'cartons', l.limit_cartons::text, 'explanation', l.explanation, 'allocation', f.allocation_id),
					f.created_at, $2
				FROM notice_fanouts f JOIN cycles c ON c.id = f.cycle_id JOIN brands b ON b.id = f.brand_id
					JOIN outlet_limits l ON l.cycle_id = f.cycle_id AND l.brand_id = f.brand_id AND l.allocation_id = f.allocation_id
					JOIN outlets t ON t.id = l.outlet_id AND t.status = 'active'
				WHERE f.allocation_id = $1
					AND l.limit_cartons::text IS DISTINCT FROM (SELECT n.data->>'cartons' FROM notifications n
						WHERE n.outlet_id = l.outlet_id AND n.kind = 'new_limit' AND n.data->>'brand' = b.code
							AND n.data->>'cycle' = to_char(c.week_start, 'YYYY-MM-DD')
						ORDER BY n.created_at DESC LIMIT 1)
				ON CONFLICT (id) DO NOTHING`, id, now)
			if err != nil {
				return err
			}
			n = tag.RowsAffected()
			_, err = tx.Exec(ctx, `UPDATE notice_fanouts SET expanded_at = $2 WHERE allocation_id = $1`, id, now)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("postgresql: expand new-limit notices: %w", err)
		}
		if !found {
			return total, nil
		}
		total += int(n)
	}
}

// RecordReminders records a WindowClosing notice for every active outlet whose order window is open
// at now and closes by now+lead, and which has no live order (submitted or later) in the cycle. The
// id names the cycle, order day and outlet: once per outlet and window, however often it runs.
func (s *Store) RecordReminders(ctx context.Context, now time.Time, lead time.Duration) (int, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO notifications (id, outlet_id, kind, data, created_at, next_attempt_at)
		SELECT 'window_closing:' || to_char(c.week_start, 'YYYY-MM-DD') || ':' || w.order_day || ':' || t.id,
			t.id, 'window_closing',
			jsonb_build_object('cycle', to_char(c.week_start, 'YYYY-MM-DD'), 'order_day', w.order_day::text,
				'closes_at', to_char(w.closes_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
			$1, $1
		FROM order_windows w JOIN cycles c ON c.id = w.cycle_id
			JOIN outlets t ON t.order_day = w.order_day AND t.status = 'active'
		WHERE NOT w.closed AND w.opens_at <= $1 AND w.closes_at > $1 AND w.closes_at <= $2
			AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.outlet_id = t.id AND o.cycle_id = w.cycle_id
				AND o.status IN ('submitted', 'confirmed', 'paid', 'delivered'))
		ON CONFLICT (id) DO NOTHING`, now, now.Add(lead))
	if err != nil {
		return 0, fmt.Errorf("postgresql: record order-window reminders: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// RecordNewProducts records a NewProduct notice for every active outlet whose order window is open at
// now and every new product launched after launchedAfter and by now, on sale in the window's cycle
// and not retired. The id names the brand and the outlet: once per outlet and product.
func (s *Store) RecordNewProducts(ctx context.Context, now, launchedAfter time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO notifications (id, outlet_id, kind, data, created_at, next_attempt_at)
		SELECT 'new_product:' || b.code || ':' || t.id, t.id, 'new_product',
			jsonb_build_object('brand', b.code, 'brand_name', b.name, 'launch_date', to_char(b.launch_date, 'YYYY-MM-DD'),
				'price_cents', b.wholesale_price_cents::text, 'cycle', to_char(c.week_start, 'YYYY-MM-DD')),
			$1, $1
		FROM order_windows w JOIN cycles c ON c.id = w.cycle_id
			JOIN outlets t ON t.order_day = w.order_day AND t.status = 'active'
			JOIN supply_plans sp ON sp.cycle_id = c.id AND sp.on_sale
			JOIN brands b ON b.id = sp.brand_id AND b.new_product AND b.lifecycle <> 'retired'
				AND b.launch_date > ($2::timestamptz)::date AND b.launch_date <= ($1::timestamptz)::date
		WHERE NOT w.closed AND w.opens_at <= $1 AND w.closes_at > $1
			AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.id = 'new_product:' || b.code || ':' || t.id)
		ON CONFLICT (id) DO NOTHING`, now, launchedAfter)
	if err != nil {
		return 0, fmt.Errorf("postgresql: record new-product notices: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// ClaimNotices claims at most max pending notices due at now, oldest due first, skipping those another
// sender holds (FOR UPDATE SKIP LOCKED), and holds them by a new token until now+lease: their next
// attempt is due only then, so no other sender claims them meanwhile. The attempt is counted.
func (s *Store) ClaimNotices(ctx context.Context, now time.Time, lease time.Duration, max int) ([]ordering.ClaimedNotice, error) {
	token := newToken()
	rows, err := s.pool.Query(ctx, `WITH due AS (
			SELECT id FROM notifications WHERE state = 'pending' AND next_attempt_at <= $1
			ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		UPDATE notifications n SET next_attempt_at = $2, token = $4, attempts = n.attempts + 1
		FROM due, outlets t WHERE n.id = due.id AND t.id = n.outlet_id
		RETURNING n.id, t.licence_no, n.kind, n.data, n.created_at, n.attempts`, now, now.Add(lease), max, token)
	if err != nil {
		return nil, fmt.Errorf("postgresql: claim notices: %w", err)
	}
	claimed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ordering.ClaimedNotice, error) {
		c := ordering.ClaimedNotice{Token: token}
		var kind string
		var data []byte
		if err := r.Scan(&c.ID, &c.Outlet, &kind, &data, &c.CreatedAt, &c.Attempt); err != nil {
			return c, err
		}
		c.Kind = ordering.NoticeKind(kind)
		if err := json.Unmarshal(data, &c.Data); err != nil {
			return c, fmt.Errorf("notice %s: data: %w", c.ID, err)
		}
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: claim notices: %w", err)
	}
	return claimed, nil
}

// RecordNotice records the outcome of a claimed attempt, if the claim still holds (recorded is false
// when another sender has claimed the notice since).
func (s *Store) RecordNotice(ctx context.Context, c ordering.ClaimedNotice, o ordering.NoticeOutcome) (bool, error) {
	var next, finished *time.Time
	if o.State == ordering.NoticePending {
		next = &o.Next
	} else {
		finished = &o.At
	}
	var lastError *string
	if o.Error != "" {
		lastError = &o.Error
	}
	tag, err := s.pool.Exec(ctx, `UPDATE notifications SET state = $3, next_attempt_at = coalesce($4, next_attempt_at),
			finished_at = $5, last_error = coalesce($6, last_error), token = NULL
		WHERE id = $1 AND token = $2 AND state = 'pending'`, c.ID, c.Token, string(o.State), next, finished, lastError)
	if err != nil {
		return false, fmt.Errorf("postgresql: record notice %s: %w", c.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// NoticeBacklog counts the pending notices (and finds the oldest) and the dead-lettered ones.
func (s *Store) NoticeBacklog(ctx context.Context) (ordering.NoticeBacklog, error) {
	var b ordering.NoticeBacklog
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM notifications WHERE state = 'pending'),
			(SELECT min(created_at) FROM notifications WHERE state = 'pending'),
			(SELECT count(*) FROM notifications WHERE state = 'dead')`).Scan(&b.Pending, &oldest, &b.Dead)
	if err != nil {
		return b, fmt.Errorf("postgresql: notice backlog: %w", err)
	}
	if oldest != nil {
		b.Oldest = *oldest
	}
	return b, nil
}

// DeleteSentNotices deletes notices delivered before before and returns how many. Dead-lettered ones
// stay until someone looks at them.
func (s *Store) DeleteSentNotices(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM notifications WHERE state = 'sent' AND finished_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgresql: delete delivered notices: %w", err)
	}
	return tag.RowsAffected(), nil
}

// recordSupplyLimitNotices records the NewLimit notices of the limits of a supply plan about to be
// written (see recordLimitNotices).
func recordSupplyLimitNotices(ctx context.Context, tx pgx.Tx, cycleID int64, limits []ordering.OutletLimit, now time.Time) error {
	if len(limits) == 0 {
		return nil
	}
	outlets, brands, cartons, explanations := make([]string, len(limits)), make([]string, len(limits)),
		make([]int32, len(limits)), make([]string, len(limits))
	for i, l := range limits {
		outlets[i], brands[i], cartons[i], explanations[i] = l.Outlet, l.Brand, int32(l.Cartons), l.Explanation
	}
	return recordLimitNotices(ctx, tx, cycleID, now, `SELECT o.id AS outlet_id, b.id AS brand_id, n.cartons, n.explanation
		FROM unnest($4::text[], $5::text[], $6::int[], $7::text[]) AS n(licence, brand, cartons, explanation)
		JOIN outlets o ON o.licence_no = n.licence JOIN brands b ON b.code = n.brand`, outlets, brands, cartons, explanations)
}
