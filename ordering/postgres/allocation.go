package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ordercast/ordercast/ordering"
)

// SupplyPublishedAt is when the supply of brand in the cycle of weekStart was last published (by an
// allocation or a supply plan); zero when it was not, or there is no such cycle or brand. An
// allocation decided on it passes it to PublishAllocation as its basis.
func (s *Store) SupplyPublishedAt(ctx context.Context, weekStart time.Time, brand string) (time.Time, error) {
	var at *time.Time
	err := s.pool.QueryRow(ctx, `SELECT sp.published_at FROM supply_plans sp JOIN cycles c ON c.id = sp.cycle_id
		JOIN brands b ON b.id = sp.brand_id WHERE c.week_start = $1 AND b.code = $2`, weekStart, brand).Scan(&at)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, fmt.Errorf("postgresql: when the supply of %s was published: %w", brand, err)
	}
	if at == nil {
		return time.Time{}, nil
	}
	return *at, nil
}

// PublishAllocation writes an allocation of one brand into the cycle of weekStart, in one transaction:
// the brand's supply plan line (with the allocation's mode) and every outlet's limit with its
// explanation, replacing the limits the brand had, and a fan-out row from which ExpandLimitNotices
// tells the outlets of their new limits. The ordering API enforces the limits from the moment it
// commits. The limits are loaded with COPY, so a region of 300,000 outlets publishes in
// seconds.
//
// basedOn is when the brand's supply was last published as the allocation was computed
// (SupplyPublishedAt; zero: not yet). A line published at any other time since, by another
// allocation or a supply plan, is not replaced: the answer is ordering.ErrPublishedMeanwhile, checked
// under the line's row lock, so that of two planners publishing the brand from the same state one
// wins and the other is told. Publishing the same allocation again is allowed.
//
// It returns ordering.ErrNotFound (no such cycle), ordering.ErrPublishedMeanwhile,
// ordering.ErrConflict (every window of the cycle is cut off, or a limit is below what an outlet's
// order already holds: the error names such outlets) or a *ordering.ValidationError (an unknown brand
// or outlet), wrapped.
func (s *Store) PublishAllocation(ctx context.Context, weekStart time.Time, line ordering.SupplyLine, mode, allocationID string,
	basedOn time.Time, limits []ordering.OutletLimit, userID int64, now time.Time) error {
	if err := ordering.ValidateSupply([]ordering.SupplyLine{line}, limits); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var cycleID, brandID int64
		err := tx.QueryRow(ctx, `SELECT id FROM cycles WHERE week_start = $1`, weekStart).Scan(&cycleID)
		if errors.Is(err, pgx.ErrNoRows) {
			return ordering.Explain(ordering.ErrNotFound, "no cycle in the week of %s", weekStart.Format(time.DateOnly))
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE allocated (licence text NOT NULL, cartons integer NOT NULL,
			explanation text NOT NULL) ON COMMIT DROP`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"allocated"}, []string{"licence", "cartons", "explanation"},
			pgx.CopyFromSlice(len(limits), func(i int) ([]any, error) {
				l := limits[i]
				if l.Brand != line.Brand {
					return nil, fmt.Errorf("limit %d is of brand %s, not %s", i, l.Brand, line.Brand)
				}
				return []any{l.Outlet, int32(l.Cartons), l.Explanation}, nil
			})); err != nil {
			return err
		}
		// An index and statistics, so that the joins below never loop over 300,000 rows each, however
		// stale the statistics of the other tables are.
		if _, err := tx.Exec(ctx, `CREATE INDEX ON allocated (licence)`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `ANALYZE allocated`); err != nil {
			return err
		}
		if err := unknownOutlets(ctx, tx); err != nil {
			return err
		}
		// As PublishSupply: with the brand's supply lock held no order of it is in flight, and what
		// the cycle's orders were granted of it is counted afresh against the new supply. The limits
		// were loaded and checked above, before it: the brand's orders wait only for what follows,
		// and the cycle's other brands not at all.
		if err := lockBrandsSupply(ctx, tx, cycleID, []string{line.Brand}); err != nil {
			return err
		}
		if err := lockOpenCycle(ctx, tx, cycleID, now); err != nil {
			return err
		}
		var publishedAt *time.Time
		var publishedBy, publishedAs string
		err = tx.QueryRow(ctx, `SELECT sp.published_at, coalesce(sp.allocation_id, ''), coalesce(u.username, '')
			FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id LEFT JOIN users u ON u.id = sp.published_by
			WHERE sp.cycle_id = $1 AND b.code = $2 FOR UPDATE OF sp`, cycleID, line.Brand).Scan(&publishedAt, &publishedAs, &publishedBy)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := publishedSince(line.Brand, basedOn, publishedAt, publishedAs, publishedBy, allocationID); err != nil {
			return err
		}
		if err := nextSupplyVersion(ctx, tx, cycleID, 0); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO supply_plans AS sp (cycle_id, brand_id, on_sale, supply_cartons, per_outlet_cap,
				allocation_mode, allocation_id, published_at, published_by)
			SELECT $1, b.id, $3, $4, $5, $6, $9, $7, $8 FROM brands b WHERE b.code = $2
			ON CONFLICT (cycle_id, brand_id) DO UPDATE SET on_sale = EXCLUDED.on_sale, supply_cartons = EXCLUDED.supply_cartons,
				per_outlet_cap = EXCLUDED.per_outlet_cap, allocation_mode = EXCLUDED.allocation_mode,
				allocation_id = EXCLUDED.allocation_id, published_at = EXCLUDED.published_at, published_by = EXCLUDED.published_by,
				granted_cartons = (SELECT coalesce(sum(ol.granted_cartons), 0) FROM orders o
					JOIN order_lines ol ON ol.order_id = o.id
					WHERE o.cycle_id = sp.cycle_id AND ol.brand_id = sp.brand_id AND o.status NOT IN ('cancelled', 'failed'))
			RETURNING brand_id`, cycleID, line.Brand, line.OnSale, line.SupplyCartons, line.PerOutletCap, mode, now, nullID(userID), allocationID).
			Scan(&brandID)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.ConstraintName == "supply_plans_granted_check" {
			return ordering.Explain(ordering.ErrConflict, "supply %d of %s is below the cartons the cycle's orders were already granted",
				*line.SupplyCartons, line.Brand)
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return &ordering.ValidationError{Fields: map[string]string{"brand": fmt.Sprintf("%q: no such brand", line.Brand)}}
		}
		if err != nil {
			return err
		}
		if err := belowHoldings(ctx, tx, cycleID, brandID); err != nil {
			return err
		}
		// Limits of outlets the allocation leaves out go. The outlets left out are found first (usually
		// none), through the index on allocated.
		if _, err := tx.Exec(ctx, `DELETE FROM outlet_limits l
			USING (SELECT o.id FROM outlets o WHERE NOT EXISTS (SELECT 1 FROM allocated a WHERE a.licence = o.licence_no)) gone
			WHERE l.cycle_id = $1 AND l.brand_id = $2 AND l.used_cartons = 0 AND l.outlet_id = gone.id`,
			cycleID, brandID); err != nil {
			return err
		}
		if err := recordAllocationFanout(ctx, tx, cycleID, brandID, allocationID, now); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO outlet_limits (cycle_id, brand_id, outlet_id, limit_cartons, source, allocation_id, explanation)
			SELECT $1, $2, o.id, a.cartons, 'allocation', $3, a.explanation FROM allocated a JOIN outlets o ON o.licence_no = a.licence
			ON CONFLICT (cycle_id, brand_id, outlet_id) DO UPDATE SET limit_cartons = EXCLUDED.limit_cartons,
				source = EXCLUDED.source, allocation_id = EXCLUDED.allocation_id, explanation = EXCLUDED.explanation`,
			cycleID, brandID, allocationID)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgresql: publish allocation %s: %w", allocationID, err)
	}
	return nil
}

// publishedSince is ordering.ErrPublishedMeanwhile, explained, when the line of brand was published
// (at, by user by; the line names allocation as) at another time than basedOn, unless it names
// allocation id itself.
func publishedSince(brand string, basedOn time.Time, at *time.Time, as, by, id string) error {
	switch {
	case at == nil && basedOn.IsZero(), at != nil && at.Equal(basedOn), as == id:
		return nil
	case at == nil:
		// Published when the allocation was decided on, and not now (the cycle was seeded again).
		return ordering.Explain(ordering.ErrPublishedMeanwhile, "the supply of %s is no longer published", brand)
	}
	why := fmt.Sprintf("the supply of %s was published again at %s", brand, at.UTC().Format("2006-01-02 15:04:05 UTC"))
	if by != "" {
		why += " by " + by
	}
	if as != "" {
		why += ", and its line names allocation " + as
	}
	return ordering.Explain(ordering.ErrPublishedMeanwhile, "%s", why)
}

// unknownOutlets refuses limits of outlets that do not exist, naming a few of them.
func unknownOutlets(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT a.licence FROM allocated a LEFT JOIN outlets o ON o.licence_no = a.licence
		WHERE o.id IS NULL ORDER BY a.licence LIMIT 5`)
	if err != nil {
		return err
	}
	unknown, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(unknown) > 0 {
		return &ordering.ValidationError{Fields: map[string]string{"limits": "unknown outlets " + strings.Join(unknown, ", ")}}
	}
	return nil
}

// belowHoldings refuses limits below what an outlet's orders of the cycle already hold (or, for
// outlets left out, any such holding), naming a few of them.
func belowHoldings(ctx context.Context, tx pgx.Tx, cycleID, brandID int64) error {
	rows, err := tx.Query(ctx, `SELECT o.licence_no || ' holds ' || l.used_cartons || ', limit ' || coalesce(a.cartons, 0)
		FROM outlet_limits l JOIN outlets o ON o.id = l.outlet_id LEFT JOIN allocated a ON a.licence = o.licence_no
		WHERE l.cycle_id = $1 AND l.brand_id = $2 AND l.used_cartons > coalesce(a.cartons, 0)
		ORDER BY o.licence_no LIMIT 5`, cycleID, brandID)
	if err != nil {
		return err
	}
	over, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(over) > 0 {
		return ordering.Explain(ordering.ErrConflict, "limits below what orders already hold: %s", strings.Join(over, "; "))
	}
	return nil
}
