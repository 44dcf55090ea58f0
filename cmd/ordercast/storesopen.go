package main

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/deploy/stores"
)

// openStores is both stores, open, at this binary's schema.
type openStores struct {
	pg *pgxpool.Pool
	ch driver.Conn
}

// open opens both stores and checks that their schemas are this binary's (stores.ErrSchemaBehind
// otherwise: run ordercast migrate). The caller closes them.
func (c storeConfig) open(ctx context.Context) (openStores, error) {
	pgMigrations, err := stores.PostgresMigrations()
	if err != nil {
		return openStores{}, err
	}
	chMigrations, err := stores.ClickHouseMigrations()
	if err != nil {
		return openStores{}, err
	}
	pool, err := stores.OpenPostgres(ctx, c.PostgresDSN)
	if err != nil {
		return openStores{}, err
	}
	ch, err := stores.OpenClickHouse(ctx, c.ClickHouseDSN)
	if err != nil {
		pool.Close()
		return openStores{}, err
	}
	s := openStores{pg: pool, ch: ch}
	if err := stores.CheckPostgresVersion(ctx, pool, pgMigrations); err != nil {
		s.Close()
		return openStores{}, err
	}
	if err := stores.CheckClickHouseVersion(ctx, ch, chMigrations); err != nil {
		s.Close()
		return openStores{}, err
	}
	return s, nil
}

// Close closes both stores.
func (s openStores) Close() {
	s.ch.Close() //nolint:errcheck // nothing to do about it at the end
	s.pg.Close()
}
