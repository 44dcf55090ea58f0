// Package postgres is the ordering domain's adapter to PostgreSQL, the system of record: the
// manufacturers and the brand catalogue.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/ordering"
)

// Store reads and writes the ordering domain's PostgreSQL tables. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool. The caller keeps ownership of pool and closes it.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// ErrUnknownManufacturer is returned (wrapped) when a brand names a manufacturer the store does not
// hold.
var ErrUnknownManufacturer = errors.New("postgres: unknown manufacturer")

// CatalogueCounts returns how many brands and manufacturers the store holds.
func (s *Store) CatalogueCounts(ctx context.Context) (brands, manufacturers int64, err error) {
	err = s.pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM brands), (SELECT count(*) FROM manufacturers)").
		Scan(&brands, &manufacturers)
	if err != nil {
		return 0, 0, fmt.Errorf("postgresql: count brands and manufacturers: %w", err)
	}
	return brands, manufacturers, nil
}

// DeleteCatalogue deletes every brand and manufacturer and with them (TRUNCATE ... CASCADE) every
// row that refers to them: supply plans, limits, order lines, warehouse stock, stock limits,
// arrival plans, manufacturers' users. Identities restart, so that reloading the same catalogue
// gives the same ids.
func (s *Store) DeleteCatalogue(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, "TRUNCATE brands, manufacturers RESTART IDENTITY CASCADE"); err != nil {
		return fmt.Errorf("postgresql: delete brands and manufacturers: %w", err)
	}
	return nil
}

// LoadCatalogue inserts manufacturers and brands in one transaction. Every brand's manufacturer must
// be among manufacturers or already in the store.
func (s *Store) LoadCatalogue(ctx context.Context, manufacturers []ordering.Manufacturer, brands []ordering.Brand) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgresql: load catalogue: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit

	_, err = tx.CopyFrom(ctx, pgx.Identifier{"manufacturers"}, []string{"code", "name"},
		pgx.CopyFromSlice(len(manufacturers), func(i int) ([]any, error) {
			return []any{manufacturers[i].Code, manufacturers[i].Name}, nil
		}))
	if err != nil {
		return fmt.Errorf("postgresql: copy manufacturers: %w", err)
	}
	ids := map[string]int64{}
	rows, err := tx.Query(ctx, "SELECT id, code FROM manufacturers")
	if err != nil {
		return fmt.Errorf("postgresql: read manufacturer ids: %w", err)
	}
	var id int64
	var code string
	if _, err := pgx.ForEachRow(rows, []any{&id, &code}, func() error {
		ids[code] = id
		return nil
	}); err != nil {
		return fmt.Errorf("postgresql: read manufacturer ids: %w", err)
	}

	for i := range brands { // checked before the COPY, which would lose the error's identity
		if _, ok := ids[brands[i].Manufacturer]; !ok {
			return fmt.Errorf("postgresql: brand %s: %w: %q", brands[i].Code, ErrUnknownManufacturer, brands[i].Manufacturer)
		}
	}
	columns := []string{"code", "name", "manufacturer_id", "price_class", "packs_per_unit",
		"wholesale_price_cents", "retail_price_cents", "scarce", "new_product", "launch_date", "lifecycle"}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"brands"}, columns,
		pgx.CopyFromSlice(len(brands), func(i int) ([]any, error) {
			b := &brands[i]
			mfr := ids[b.Manufacturer]
			packs := b.PacksPerCarton
			if packs == 0 {
				packs = 10
			}
			var launch any // NULL unless set
			if !b.LaunchDate.IsZero() {
				launch = b.LaunchDate
			}
			lifecycle := b.Lifecycle
			if lifecycle == "" {
				lifecycle = ordering.Maintained
			}
			return []any{b.Code, b.Name, mfr, int16(b.PriceClass), int16(packs), b.WholesaleCents,
				b.RetailCents, b.Scarce, b.NewProduct, launch, string(lifecycle)}, nil
		}))
	if err != nil {
		return fmt.Errorf("postgresql: copy brands: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgresql: load catalogue: %w", err)
	}
	return nil
}
