package stores

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationLockKey is the PostgreSQL advisory lock that serialises concurrent migrators.
const migrationLockKey = 0x6f72646572636173 // "ordercas"

// MigratePostgres applies the migrations the database does not have yet. Each migration runs in its own
// transaction together with its row in schema_migrations, so a failing migration leaves the database at
// the previous version. Concurrent callers are serialised by an advisory lock.
func MigratePostgres(ctx context.Context, pool *pgxpool.Pool, migrations []Migration) (Report, error) {
	rep := Report{Store: "postgresql"}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return rep, fmt.Errorf("postgresql: acquire connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockKey)); err != nil {
		return rep, fmt.Errorf("postgresql: take migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLockKey)) //nolint:errcheck // released with the session anyway

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		checksum   text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return rep, fmt.Errorf("postgresql: create schema_migrations: %w", err)
	}
	applied := map[int]string{}
	rows, err := conn.Query(ctx, "SELECT version, checksum FROM schema_migrations")
	if err != nil {
		return rep, fmt.Errorf("postgresql: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return rep, fmt.Errorf("postgresql: read schema_migrations: %w", err)
		}
		applied[v] = sum
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("postgresql: read schema_migrations: %w", err)
	}

	for _, m := range migrations {
		if sum, ok := applied[m.Version]; ok {
			if sum != m.Checksum {
				return rep, fmt.Errorf("postgresql: %s: %w", m.Name, ErrMigrationChanged)
			}
			rep.Version = m.Version
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
				m.Version, m.Name, m.Checksum)
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("postgresql: migration %s failed, schema left at version %d: %w", m.Name, rep.Version, err)
		}
		rep.Applied = append(rep.Applied, m)
		rep.Version = m.Version
	}
	if len(applied) > len(migrations) {
		return rep, fmt.Errorf("postgresql: %w", errors.New("database has migrations this binary does not know: it was migrated by a newer ordercast"))
	}
	return rep, nil
}
