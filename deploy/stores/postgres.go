package stores

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// OpenPostgres connects a pool to the PostgreSQL named by dsn and checks that it answers within
// OpenTimeout (or ctx's deadline, if sooner).
func OpenPostgres(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, storeError("postgresql", dsn, fmt.Errorf("parse DSN: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, OpenTimeout)
	defer cancel()
	cfg.ConnConfig.ConnectTimeout = OpenTimeout
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, storeError("postgresql", dsn, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%w within %s: %v", ErrUnreachable, OpenTimeout, err)
		}
		return nil, storeError("postgresql", dsn, err)
	}
	return pool, nil
}
