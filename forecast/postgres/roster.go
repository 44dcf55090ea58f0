package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/forecast/allocation"
)

var _ allocation.RosterSource = (*Store)(nil)

// Roster reads every outlet as an allocation sees it, in the order of their licence numbers (as
// retailer/postgres.Store.Outlets, then allocation.OutletsOf, give them), and the version of what it
// reads: outlets_version's counter, which a trigger bumps in every statement that adds, removes or
// truncates outlets or updates a column read here (migration 0016), by this service or by hand;
// balances and the other columns leave it alone. When the version is have, outlets is nil and
// nothing more is read. Both reads see one snapshot.
//
// Reading the version is one row (it was one pass over the table's 100,000 rows, 30–110 ms);
// reading the outlets again costs a pass and sending and decoding them (a preview right after a
// change took 11–26 ms in all on a quiet machine, 0.5–1 s at load 50).
func (s *Store) Roster(ctx context.Context, have string) (version string, outlets []allocation.Outlet, err error) {
	const versionQuery = `SELECT version::text FROM outlets_version`
	if have != "" { // unchanged, the common case: one round trip
		if err := s.pool.QueryRow(ctx, versionQuery).Scan(&version); err != nil {
			return "", nil, fmt.Errorf("postgresql: read the outlets' version: %w", err)
		}
		if version == have {
			return version, nil, nil
		}
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return "", nil, fmt.Errorf("postgresql: read the outlets: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only: nothing to undo
	if err := tx.QueryRow(ctx, versionQuery).Scan(&version); err != nil {
		return "", nil, fmt.Errorf("postgresql: read the outlets' version: %w", err)
	}
	if version == have { // changed back between the two reads: impossible for a counter, but cheap to honour
		return version, nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT licence_no, grade, status, area, market_type, locality = 'rural', business_format,
		credit_level, benchmark FROM outlets ORDER BY licence_no`)
	if err != nil {
		return "", nil, fmt.Errorf("postgresql: read the outlets: %w", err)
	}
	defer rows.Close()
	outlets = make([]allocation.Outlet, 0, 1024)
	for rows.Next() {
		var o allocation.Outlet
		var grade int16
		if err := rows.Scan(&o.ID, &grade, &o.Status, &o.Area, &o.MarketType, &o.Rural, &o.Format, &o.CreditLevel,
			&o.Benchmark); err != nil {
			return "", nil, fmt.Errorf("postgresql: read the outlets: %w", err)
		}
		o.Grade = int(grade)
		outlets = append(outlets, o)
	}
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("postgresql: read the outlets: %w", err)
	}
	return version, outlets, nil
}
