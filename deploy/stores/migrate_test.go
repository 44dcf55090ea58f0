package stores_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

func migrationsFrom(t *testing.T, files map[string]string) []stores.Migration {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, sql := range files {
		fsys["m/"+name] = &fstest.MapFile{Data: []byte(sql)}
	}
	ms, err := stores.LoadMigrations(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestMigratePostgresFreshAndRepeat(t *testing.T) {
	ctx := context.Background()
	pool := storestest.OpenPostgres(t, storestest.NewPostgresDSN(t))
	ms, err := stores.PostgresMigrations()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := stores.MigratePostgres(ctx, pool, ms)
	if err != nil {
		t.Fatalf("first MigratePostgres: %v", err)
	}
	if len(rep.Applied) != len(ms) || rep.Version != len(ms) {
		t.Errorf("first run = %v; want all %d migrations applied", rep, len(ms))
	}
	rep, err = stores.MigratePostgres(ctx, pool, ms)
	if err != nil {
		t.Fatalf("second MigratePostgres: %v", err)
	}
	if len(rep.Applied) != 0 || !strings.Contains(rep.String(), "nothing to do") {
		t.Errorf("second run = %q; want nothing to do", rep)
	}
	if err := stores.CheckPostgresVersion(ctx, pool, ms); err != nil {
		t.Errorf("CheckPostgresVersion after migrate: %v", err)
	}
	// Every table the domain needs exists.
	for _, table := range []string{"outlets", "account_managers", "users", "sessions", "brands", "cycles",
		"order_windows", "supply_plans", "outlet_limits", "orders", "order_lines", "idempotency_keys", "outbox"} {
		var ok bool
		if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok); err != nil || !ok {
			t.Errorf("table %s missing after migrate (err %v)", table, err)
		}
	}
}

func TestMigratePostgresPartialFailure(t *testing.T) {
	ctx := context.Background()
	pool := storestest.OpenPostgres(t, storestest.NewPostgresDSN(t))
	broken := migrationsFrom(t, map[string]string{
		"0001_a.sql": "CREATE TABLE a (x int);",
		"0002_b.sql": "CREATE TABLE b (x int);\nCREATE TABLE broken (x no_such_type);",
	})
	_, err := stores.MigratePostgres(ctx, pool, broken)
	if err == nil || !strings.Contains(err.Error(), "0002_b.sql") || !strings.Contains(err.Error(), "version 1") {
		t.Fatalf("MigratePostgres(broken) error = %v; want one naming 0002_b.sql and version 1", err)
	}
	var b bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('b') IS NOT NULL").Scan(&b); err != nil || b {
		t.Errorf("table b exists after its migration failed (err %v): the migration was not rolled back", err)
	}
	if err := stores.CheckPostgresVersion(ctx, pool, broken); !errors.Is(err, stores.ErrSchemaBehind) {
		t.Errorf("CheckPostgresVersion after failure = %v; want ErrSchemaBehind", err)
	}
	fixed := migrationsFrom(t, map[string]string{
		"0001_a.sql": "CREATE TABLE a (x int);",
		"0002_b.sql": "CREATE TABLE b (x int);\nCREATE TABLE fixed (x int);",
	})
	rep, err := stores.MigratePostgres(ctx, pool, fixed)
	if err != nil || rep.Version != 2 || len(rep.Applied) != 1 {
		t.Fatalf("MigratePostgres(fixed) = %v, %v; want 0002 applied, version 2", rep, err)
	}
	edited := migrationsFrom(t, map[string]string{
		"0001_a.sql": "CREATE TABLE a (x bigint);",
		"0002_b.sql": "CREATE TABLE b (x int);\nCREATE TABLE fixed (x int);",
	})
	if _, err := stores.MigratePostgres(ctx, pool, edited); !errors.Is(err, stores.ErrMigrationChanged) {
		t.Errorf("MigratePostgres(edited applied migration) = %v; want ErrMigrationChanged", err)
	}
}

func TestMigrateClickHouseFreshAndRepeat(t *testing.T) {
	ctx := context.Background()
	conn := storestest.OpenClickHouse(t, storestest.NewClickHouseDSN(t))
	ms, err := stores.ClickHouseMigrations()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := stores.MigrateClickHouse(ctx, conn, ms)
	if err != nil || len(rep.Applied) != len(ms) {
		t.Fatalf("first MigrateClickHouse = %v, %v; want all applied", rep, err)
	}
	rep, err = stores.MigrateClickHouse(ctx, conn, ms)
	if err != nil || len(rep.Applied) != 0 || !strings.Contains(rep.String(), "nothing to do") {
		t.Errorf("second MigrateClickHouse = %q, %v; want nothing to do", rep, err)
	}
	if err := stores.CheckClickHouseVersion(ctx, conn, ms); err != nil {
		t.Errorf("CheckClickHouseVersion after migrate: %v", err)
	}
	for _, table := range []string{"sales", "scans", "true_demand", "forecasts", "allocations", "accuracy_scores",
		"outlets_dim", "brands_dim", "calendar"} {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = ?", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s missing after migrate (count %d, err %v)", table, n, err)
		}
	}
}

// A ClickHouse migration that fails half way resumes at the failed statement once it is fixed.
func TestMigrateClickHousePartialFailureResumes(t *testing.T) {
	ctx := context.Background()
	conn := storestest.OpenClickHouse(t, storestest.NewClickHouseDSN(t))
	good := "CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = MergeTree() ORDER BY x;"
	addColumn := "ALTER TABLE a ADD COLUMN y UInt8;" // not idempotent: must not run twice
	broken := migrationsFrom(t, map[string]string{
		"0001_a.sql": good,
		"0002_b.sql": addColumn + "\nCREATE TABLE IF NOT EXISTS b (x NoSuchType) ENGINE = MergeTree() ORDER BY x;",
	})
	_, err := stores.MigrateClickHouse(ctx, conn, broken)
	if err == nil || !strings.Contains(err.Error(), "0002_b.sql statement 2 of 2") {
		t.Fatalf("MigrateClickHouse(broken) error = %v; want one naming 0002_b.sql statement 2 of 2", err)
	}
	if err := stores.CheckClickHouseVersion(ctx, conn, broken); !errors.Is(err, stores.ErrSchemaBehind) {
		t.Errorf("CheckClickHouseVersion after failure = %v; want ErrSchemaBehind", err)
	}
	fixed := migrationsFrom(t, map[string]string{
		"0001_a.sql": good,
		"0002_b.sql": addColumn + "\nCREATE TABLE IF NOT EXISTS b (x UInt8) ENGINE = MergeTree() ORDER BY x;",
	})
	rep, err := stores.MigrateClickHouse(ctx, conn, fixed)
	if err != nil || rep.Version != 2 || len(rep.Applied) != 1 {
		t.Fatalf("MigrateClickHouse(fixed) = %v, %v; want 0002 completed, version 2", rep, err)
	}
	if err := stores.CheckClickHouseVersion(ctx, conn, fixed); err != nil {
		t.Errorf("CheckClickHouseVersion after resume: %v", err)
	}
	edited := migrationsFrom(t, map[string]string{
		"0001_a.sql": "CREATE TABLE IF NOT EXISTS a (x UInt16) ENGINE = MergeTree() ORDER BY x;",
		"0002_b.sql": addColumn + "\nCREATE TABLE IF NOT EXISTS b (x UInt8) ENGINE = MergeTree() ORDER BY x;",
	})
	if _, err := stores.MigrateClickHouse(ctx, conn, edited); !errors.Is(err, stores.ErrMigrationChanged) {
		t.Errorf("MigrateClickHouse(edited applied statement) = %v; want ErrMigrationChanged", err)
	}
}

// A store that accepts connections but never answers is reported within OpenTimeout, by name and
// address, without the password.
func TestOpenUnreachableStore(t *testing.T) {
	storestest.SkipShort(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() }) // not defer: the parallel subtests run after this function returns
	go func() {
		var held []net.Conn // hold every connection open and say nothing
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	addr := ln.Addr().String()
	tests := []struct {
		store string
		dsn   string
		open  func(context.Context, string) error
	}{
		{"postgresql", "postgres://ordercast:hunter2@" + addr + "/ordercast?sslmode=disable",
			func(ctx context.Context, dsn string) error {
				p, err := stores.OpenPostgres(ctx, dsn)
				closeIf(p, err)
				return err
			}},
		{"clickhouse", "clickhouse://ordercast:hunter2@" + addr + "/ordercast",
			func(ctx context.Context, dsn string) error {
				c, err := stores.OpenClickHouse(ctx, dsn)
				closeIf(c, err)
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.store, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			err := tt.open(context.Background(), tt.dsn)
			elapsed := time.Since(start)
			if err == nil {
				t.Fatal("open of a silent server succeeded")
			}
			msg := err.Error()
			t.Logf("after %s: %v", elapsed.Round(time.Millisecond), err)
			if !strings.HasPrefix(msg, tt.store+" at "+addr+"/ordercast") || strings.Contains(msg, "hunter2") {
				t.Errorf("error = %q; want it to start with %q and not contain the password", msg, tt.store+" at "+addr)
			}
			var se *stores.StoreError
			if !errors.As(err, &se) || se.Store != tt.store {
				t.Errorf("errors.As(err, *StoreError) = %v (%+v); want store %s", errors.As(err, &se), se, tt.store)
			}
			if elapsed > stores.OpenTimeout+5*time.Second {
				t.Errorf("gave up after %s; want within about %s", elapsed, stores.OpenTimeout)
			}
		})
	}
}

type closer interface{ Close() }

func closeIf[T any](v T, err error) {
	if err == nil {
		if c, ok := any(v).(closer); ok {
			c.Close()
		} else if c, ok := any(v).(interface{ Close() error }); ok {
			c.Close()
		}
	}
}
