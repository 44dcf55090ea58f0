package stores

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// OpenClickHouse connects to the ClickHouse named by dsn (native protocol, clickhouse://host:port/db)
// and checks that it answers within OpenTimeout (or ctx's deadline, if sooner).
//
// The HTTP protocol is refused: clickhouse-go v2 sends a setting over HTTP that ClickHouse 18.16 rejects.
func OpenClickHouse(ctx context.Context, dsn string) (driver.Conn, error) {
	return openClickHouse(ctx, dsn, nil)
}

// openClickHouse is OpenClickHouse with settings added to every query of the connection.
func openClickHouse(ctx context.Context, dsn string, settings clickhouse.Settings) (driver.Conn, error) {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, storeError("clickhouse", dsn, fmt.Errorf("parse DSN: %w", err))
	}
	if opts.Protocol != clickhouse.Native {
		return nil, storeError("clickhouse", dsn, errors.New("only the native protocol (clickhouse://host:9000) is supported"))
	}
	opts.DialTimeout = OpenTimeout
	if len(settings) > 0 {
		if opts.Settings == nil {
			opts.Settings = clickhouse.Settings{}
		}
		for k, v := range settings {
			opts.Settings[k] = v
		}
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, storeError("clickhouse", dsn, err)
	}
	ctx, cancel := context.WithTimeout(ctx, OpenTimeout)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%w within %s: %v", ErrUnreachable, OpenTimeout, err)
		}
		return nil, storeError("clickhouse", dsn, err)
	}
	return conn, nil
}

// CreateClickHouseDatabase creates the database named in dsn if it does not exist yet, connecting
// through the server's default database to do so.
func CreateClickHouseDatabase(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return storeError("clickhouse", dsn, fmt.Errorf("parse DSN: %w", err))
	}
	name := pathDatabase(u.Path)
	if name == "" || name == "default" {
		return nil
	}
	if !validIdentifier(name) {
		return storeError("clickhouse", dsn, fmt.Errorf("database name %q: use letters, digits and underscores", name))
	}
	u.Path = "/default"
	conn, err := OpenClickHouse(ctx, u.String())
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+name); err != nil {
		return storeError("clickhouse", dsn, fmt.Errorf("create database %s: %w", name, err))
	}
	return nil
}

func pathDatabase(p string) string {
	for len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	return p
}

// validIdentifier reports whether s is safe to splice into DDL as a database name.
func validIdentifier(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
