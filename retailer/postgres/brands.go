package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// KnownBrands returns the codes among codes that the catalogue (the brands table, which the ordering
// domain owns and this adapter only reads) holds, whatever their life cycle: a retired brand's stock
// and sell-out are still real. Codes match exactly.
func (s *Store) KnownBrands(ctx context.Context, codes []string) (map[string]bool, error) {
	known := make(map[string]bool, len(codes))
	if len(codes) == 0 {
		return known, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT code FROM brands WHERE code = ANY($1)", codes)
	if err != nil {
		return nil, fmt.Errorf("postgresql: read brands: %w", err)
	}
	var code string
	if _, err := pgx.ForEachRow(rows, []any{&code}, func() error {
		known[code] = true
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgresql: read brands: %w", err)
	}
	return known, nil
}
