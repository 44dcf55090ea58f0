package stores

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// MigrateClickHouse applies the migrations the database does not have yet, statement by statement.
//
// ClickHouse has no transactional DDL (and 18.16 has no ADD COLUMN IF NOT EXISTS), so each statement
// that succeeds is recorded in schema_migrations as (version, statement). A run that fails half way
// through a migration resumes at the failed statement next time; a migration counts as applied once
// all its statements are recorded. Each row keeps the checksum of its statement, so a statement that
// failed may be fixed before the next run, while an edit to one that was applied is refused.
// Run one migrator at a time.
func MigrateClickHouse(ctx context.Context, conn driver.Conn, migrations []Migration) (Report, error) {
	return migrateClickHouse(ctx, conn, migrations, func(stmt string) ([]string, error) { return []string{stmt}, nil })
}

// migrateClickHouse is MigrateClickHouse with each migration statement run as the statements expand
// makes of it (a cluster's local and Distributed tables); the statement as written is what is recorded.
func migrateClickHouse(ctx context.Context, conn driver.Conn, migrations []Migration,
	expand func(stmt string) ([]string, error)) (Report, error) {
	rep := Report{Store: "clickhouse"}
	if err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    UInt32,
		statement  UInt32,
		name       String,
		checksum   String,
		applied_at DateTime DEFAULT now()
	) ENGINE = MergeTree() ORDER BY (version, statement)`); err != nil {
		return rep, fmt.Errorf("clickhouse: create schema_migrations: %w", err)
	}
	type key struct{ version, statement uint32 }
	done := map[key]string{}
	rows, err := conn.Query(ctx, "SELECT version, statement, checksum FROM schema_migrations")
	if err != nil {
		return rep, fmt.Errorf("clickhouse: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var k key
		var sum string
		if err := rows.Scan(&k.version, &k.statement, &sum); err != nil {
			rows.Close()
			return rep, fmt.Errorf("clickhouse: read schema_migrations: %w", err)
		}
		done[k] = sum
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("clickhouse: read schema_migrations: %w", err)
	}

	for _, m := range migrations {
		stmts := m.Statements()
		ran := false
		for i, stmt := range stmts {
			k := key{uint32(m.Version), uint32(i + 1)}
			sum := checksum(stmt)
			if applied, ok := done[k]; ok {
				if applied != sum {
					return rep, fmt.Errorf("clickhouse: %s: %w", m.Name, ErrMigrationChanged)
				}
				continue
			}
			run, err := expand(stmt)
			if err != nil {
				return rep, fmt.Errorf("clickhouse: migration %s statement %d of %d: %w", m.Name, i+1, len(stmts), err)
			}
			for _, q := range run {
				qctx := ctx
				if strings.HasPrefix(q, "SYSTEM SYNC REPLICA ") {
					qctx = SyncReplicaContext(ctx) // 18.16 bounds it by the query's receive_timeout
				}
				if err := conn.Exec(qctx, q); err != nil {
					return rep, fmt.Errorf("clickhouse: migration %s statement %d of %d failed, schema left at version %d: %w",
						m.Name, i+1, len(stmts), rep.Version, err)
				}
			}
			if err := recordStatement(ctx, conn, k.version, k.statement, m.Name, sum); err != nil {
				return rep, fmt.Errorf("clickhouse: record %s statement %d: %w", m.Name, i+1, err)
			}
			ran = true
		}
		if ran {
			rep.Applied = append(rep.Applied, m)
		}
		rep.Version = m.Version
	}
	return rep, nil
}

// recordStatement inserts one schema_migrations row. Inserts go through a batch with named columns:
// on 18.16 an INSERT ... VALUES (?) through Exec waits for a data block that never comes.
func recordStatement(ctx context.Context, conn driver.Conn, version, statement uint32, name, sum string) error {
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, statement, name, checksum, applied_at)")
	if err != nil {
		return err
	}
	if err := batch.Append(version, statement, name, sum, time.Now()); err != nil {
		batch.Abort()
		return err
	}
	return batch.Send()
}
