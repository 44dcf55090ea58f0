package stores

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"
)

// CheckPostgresVersion returns an error wrapping ErrSchemaBehind unless every migration is applied.
func CheckPostgresVersion(ctx context.Context, pool *pgxpool.Pool, migrations []Migration) error {
	var have int
	err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have)
	if err != nil {
		return fmt.Errorf("postgresql: read schema version (%w): %v", ErrSchemaBehind, err)
	}
	return behind("postgresql", have, migrations)
}

// CheckClickHouseVersion returns an error wrapping ErrSchemaBehind unless every migration is applied.
func CheckClickHouseVersion(ctx context.Context, conn driver.Conn, migrations []Migration) error {
	var have uint32
	err := conn.QueryRow(ctx, `SELECT max(version) FROM (
		SELECT version, uniqExact(statement) AS n FROM schema_migrations GROUP BY version)
		WHERE n > 0`).Scan(&have)
	if err != nil {
		return fmt.Errorf("clickhouse: read schema version (%w): %v", ErrSchemaBehind, err)
	}
	want := len(migrations)
	if int(have) >= want && want > 0 {
		// the last migration must be complete, not only started
		var n uint64
		if err := conn.QueryRow(ctx, `SELECT uniqExact(statement) FROM schema_migrations WHERE version = ?`,
			uint32(want)).Scan(&n); err != nil {
			return fmt.Errorf("clickhouse: read schema version: %w", err)
		}
		if int(n) < len(migrations[want-1].Statements()) {
			return fmt.Errorf("clickhouse: migration %s is incomplete: %w", migrations[want-1].Name, ErrSchemaBehind)
		}
	}
	return behind("clickhouse", int(have), migrations)
}

func behind(store string, have int, migrations []Migration) error {
	if want := len(migrations); have < want {
		return fmt.Errorf("%s: schema at version %d, binary needs %d: %w", store, have, want, ErrSchemaBehind)
	}
	return nil
}
