package main

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/deploy/stores"
)

// openStores is both stores, open, at this binary's schema.
type openStores struct {
	pg      *pgxpool.Pool
	ch      driver.Conn     // cluster's Conn: reads and inserts
	cluster *stores.Cluster // one server or the shards of -ch-cluster
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
	cluster, err := openCluster(ctx, c.ClickHouseDSN, c.ClickHouseCluster, chMigrations)
	if err != nil {
		pool.Close()
		return openStores{}, err
	}
	s := openStores{pg: pool, ch: cluster.Conn(), cluster: cluster}
	if err := stores.CheckPostgresVersion(ctx, pool, pgMigrations); err != nil {
		s.Close()
		return openStores{}, err
	}
	return s, nil
}

// openCluster opens the ClickHouse history store, one server or the shards of cluster, and checks
// that its schema is migrations' and laid out for the cluster setting.
func openCluster(ctx context.Context, dsn, cluster string, migrations []stores.Migration) (*stores.Cluster, error) {
	c, err := stores.OpenCluster(ctx, dsn, cluster)
	if err != nil {
		return nil, err
	}
	if err := stores.CheckClickHouseVersion(ctx, c.Conn(), migrations); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.CheckLayout(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Close closes both stores.
func (s openStores) Close() {
	s.cluster.Close() //nolint:errcheck // nothing to do about it at the end
	s.pg.Close()
}
