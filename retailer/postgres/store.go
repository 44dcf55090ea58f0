// Package postgres is the retailer domain's adapter to PostgreSQL, the system of record: account
// managers, outlets and their settlement ledger.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/retailer"
)

// Store reads and writes the retailer domain's PostgreSQL tables. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool. The caller keeps ownership of pool and closes it.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// MasterDataCounts returns how many outlets and account managers the store holds.
func (s *Store) MasterDataCounts(ctx context.Context) (outlets, managers int64, err error) {
	err = s.pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM outlets), (SELECT count(*) FROM account_managers)").
		Scan(&outlets, &managers)
	if err != nil {
		return 0, 0, fmt.Errorf("postgresql: count outlets and account managers: %w", err)
	}
	return outlets, managers, nil
}

// DeleteMasterData deletes every outlet, account manager and settlement entry, and with them
// (TRUNCATE ... CASCADE) every row that refers to them: users, sessions, orders, limits, grade
// changes, satisfaction scores. Identities restart, so that reloading the same master data gives
// the same ids.
func (s *Store) DeleteMasterData(ctx context.Context) error {
	_, err := s.pool.Exec(ctx,
		"TRUNCATE outlets, account_managers, balance_entries, grade_changes RESTART IDENTITY CASCADE")
	if err != nil {
		return fmt.Errorf("postgresql: delete outlets and account managers: %w", err)
	}
	return nil
}

// LoadMasterData inserts account managers and outlets, each outlet with its opening deposit as the
// first entry of its settlement ledger, in one transaction. Every outlet's manager must be among
// managers or already in the store.
func (s *Store) LoadMasterData(ctx context.Context, managers []retailer.Manager, outlets []retailer.Outlet) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgresql: load master data: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit

	_, err = tx.CopyFrom(ctx, pgx.Identifier{"account_managers"}, []string{"code", "name", "area"},
		pgx.CopyFromSlice(len(managers), func(i int) ([]any, error) {
			m := &managers[i]
			return []any{m.Code, m.Name, m.Area}, nil
		}))
	if err != nil {
		return fmt.Errorf("postgresql: copy account managers: %w", err)
	}
	managerIDs, err := idsByCode(ctx, tx, "SELECT id, code FROM account_managers")
	if err != nil {
		return fmt.Errorf("postgresql: read account manager ids: %w", err)
	}

	for i := range outlets { // checked before the COPY, which would lose the error's identity
		if o := &outlets[i]; o.Manager != "" {
			if _, ok := managerIDs[o.Manager]; !ok {
				return fmt.Errorf("postgresql: outlet %s: %w: %q", o.Licence, ErrUnknownManager, o.Manager)
			}
		}
	}
	columns := []string{"licence_no", "name", "address", "area", "business_format", "locality", "market_type",
		"manager_id", "route", "order_day", "grade", "credit_level", "benchmark", "collection_point",
		"balance_cents", "status", "created_at"}
	loaded := time.Now()
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"outlets"}, columns,
		pgx.CopyFromSlice(len(outlets), func(i int) ([]any, error) {
			o := &outlets[i]
			var managerID *int64
			if id, ok := managerIDs[o.Manager]; ok {
				managerID = &id
			}
			locality := "urban"
			if o.Rural {
				locality = "rural"
			}
			status := o.Status
			if status == "" {
				status = retailer.Active
			}
			joined := o.Joined
			if joined.IsZero() {
				joined = loaded
			}
			return []any{o.Licence, o.Name, o.Address, o.Area, string(o.Format), locality, o.MarketType,
				managerID, o.Route, isoWeekday(o.OrderDay), int16(o.Grade), o.CreditLevel, o.Benchmark,
				o.CollectionPoint, o.BalanceCents, string(status), joined}, nil
		}))
	if err != nil {
		return fmt.Errorf("postgresql: copy outlets: %w", err)
	}

	outletIDs, err := idsByCode(ctx, tx, "SELECT id, licence_no FROM outlets")
	if err != nil {
		return fmt.Errorf("postgresql: read outlet ids: %w", err)
	}
	var deposits [][]any
	for i := range outlets {
		if o := &outlets[i]; o.BalanceCents != 0 {
			deposits = append(deposits, []any{outletIDs[o.Licence], o.BalanceCents, "deposit"})
		}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"balance_entries"}, []string{"outlet_id", "amount_cents", "kind"},
		pgx.CopyFromRows(deposits))
	if err != nil {
		return fmt.Errorf("postgresql: copy opening deposits: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgresql: load master data: %w", err)
	}
	return nil
}

// ErrUnknownManager is returned (wrapped) when an outlet names an account manager the store does not
// hold.
var ErrUnknownManager = errors.New("postgres: unknown account manager")

// isoWeekday returns the ISO number of a weekday: 1 for Monday … 7 for Sunday.
func isoWeekday(d time.Weekday) int16 {
	return int16((int(d)+6)%7 + 1)
}

func idsByCode(ctx context.Context, tx pgx.Tx, query string) (map[string]int64, error) {
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
