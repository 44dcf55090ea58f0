// Package storestest gives integration tests their own databases on the PostgreSQL and ClickHouse that
// deploy/local/up.sh starts, migrated to the binary's schema and dropped when the test ends, and
// private servers that a test may stop, restart or freeze: a ClickHouse server, a ClickHouse cluster
// of several servers, one a shard (StartClickHouseCluster) or several replicas a shard over a private
// ZooKeeper (StartClickHouseReplicas), a PostgreSQL server and a streaming replica of it.
//
// The stores are found through ORDERCAST_PG_DSN and ORDERCAST_CH_DSN (the deploy/local defaults when
// unset). Under `go test -short` integration tests are skipped, explicitly; otherwise a store that does
// not answer fails the test with a message that says how to start it.
package storestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/deploy/stores"
)

const howToStart = "start the local stores with: eval \"$(deploy/local/up.sh)\" (or run the whole suite with make test)"

// SkipShort skips an integration test under -short.
func SkipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs PostgreSQL and ClickHouse; skipped under -short")
	}
}

// AdminPostgresDSN is the DSN of the shared PostgreSQL the test databases are created on.
func AdminPostgresDSN() string { return envOr("ORDERCAST_PG_DSN", stores.DefaultPostgresDSN) }

// AdminClickHouseDSN is the DSN of the shared ClickHouse the test databases are created on.
func AdminClickHouseDSN() string { return envOr("ORDERCAST_CH_DSN", stores.DefaultClickHouseDSN) }

// NewPostgresDSN creates an empty PostgreSQL database with a unique name, registers its removal, and
// returns its DSN. It does not migrate it.
func NewPostgresDSN(t testing.TB) string {
	t.Helper()
	SkipShort(t)
	admin := AdminPostgresDSN()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := stores.OpenPostgres(ctx, admin)
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable: %v\n%s", err, howToStart)
	}
	defer pool.Close()
	name := uniqueName(t)
	if _, err := pool.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		pool, err := stores.OpenPostgres(ctx, admin)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer pool.Close()
		if _, err := pool.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

// NewClickHouseDSN creates an empty ClickHouse database with a unique name, registers its removal, and
// returns its DSN. It does not migrate it.
func NewClickHouseDSN(t testing.TB) string {
	t.Helper()
	SkipShort(t)
	admin := AdminClickHouseDSN()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := stores.OpenClickHouse(ctx, admin)
	if err != nil {
		t.Fatalf("ClickHouse is not reachable: %v\n%s", err, howToStart)
	}
	defer conn.Close()
	name := uniqueName(t)
	if err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := stores.OpenClickHouse(ctx, admin)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

// Postgres returns a pool on a new, migrated test database.
func Postgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return OpenPostgres(t, MigratedPostgresDSN(t))
}

// ClickHouse returns a connection to a new, migrated test database.
func ClickHouse(t testing.TB) driver.Conn {
	t.Helper()
	return OpenClickHouse(t, MigratedClickHouseDSN(t))
}

// MigratedPostgresDSN returns the DSN of a new test database with every migration applied.
func MigratedPostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := NewPostgresDSN(t)
	migrations, err := stores.PostgresMigrations()
	if err != nil {
		t.Fatal(err)
	}
	pool := OpenPostgres(t, dsn)
	if _, err := stores.MigratePostgres(context.Background(), pool, migrations); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return dsn
}

// MigratedClickHouseDSN returns the DSN of a new test database with every migration applied.
func MigratedClickHouseDSN(t testing.TB) string {
	t.Helper()
	dsn := NewClickHouseDSN(t)
	migrations, err := stores.ClickHouseMigrations()
	if err != nil {
		t.Fatal(err)
	}
	conn := OpenClickHouse(t, dsn)
	if _, err := stores.MigrateClickHouse(context.Background(), conn, migrations); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return dsn
}

// OpenPostgres opens a pool on dsn that is closed when the test ends.
func OpenPostgres(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := stores.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatalf("%v\n%s", err, howToStart)
	}
	t.Cleanup(pool.Close)
	return pool
}

// OpenClickHouse opens a connection on dsn that is closed when the test ends.
func OpenClickHouse(t testing.TB, dsn string) driver.Conn {
	t.Helper()
	conn, err := stores.OpenClickHouse(context.Background(), dsn)
	if err != nil {
		t.Fatalf("%v\n%s", err, howToStart)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// uniqueName is a database name from the test's name and random bytes: letters, digits, underscores.
func uniqueName(t testing.TB) string {
	var b strings.Builder
	b.WriteString("test_")
	for _, r := range strings.ToLower(t.Name()) {
		if b.Len() >= 40 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	var rnd [5]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(rnd[:]))
	return b.String()
}

func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic("storestest: unparsable DSN: " + err.Error())
	}
	u.Path = "/" + name
	return u.String()
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
