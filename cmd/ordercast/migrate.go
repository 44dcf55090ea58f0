package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/ordercast/ordercast/deploy/stores"
)

func runMigrate(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var cfg storeConfig
	cfg.register(fs, e.getenv)
	summary := "Creates or upgrades the PostgreSQL and ClickHouse schemas with the migrations embedded in this\n" +
		"binary. Idempotent: a second run reports nothing to do. With -ch-cluster, every ClickHouse table is\n" +
		"created on each shard of the cluster as a local table (name_local) with a Distributed table of the\n" +
		"name over them, sharded by outlet where the table has one; the shards are found in the\n" +
		"system.clusters of -ch-dsn's server and reached with its user, password and database."
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	if err := usageError(e, fs, cfg.validate()); err != nil {
		return err
	}
	reports, err := migrate(ctx, cfg)
	for _, r := range reports {
		fmt.Fprintln(e.stdout, r)
	}
	return err
}

// migrate brings both stores to the binary's schema version.
func migrate(ctx context.Context, cfg storeConfig) ([]stores.Report, error) {
	pgMigrations, err := stores.PostgresMigrations()
	if err != nil {
		return nil, err
	}
	chMigrations, err := stores.ClickHouseMigrations()
	if err != nil {
		return nil, err
	}
	pool, err := stores.OpenPostgres(ctx, cfg.PostgresDSN)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if err := stores.CreateClickHouseClusterDatabase(ctx, cfg.ClickHouseDSN, cfg.ClickHouseCluster); err != nil {
		return nil, err
	}
	ch, err := stores.OpenCluster(ctx, cfg.ClickHouseDSN, cfg.ClickHouseCluster)
	if err != nil {
		return nil, err
	}
	defer ch.Close()
	if err := ch.CheckLayout(ctx); err != nil {
		return nil, err
	}

	var reports []stores.Report
	rep, err := stores.MigratePostgres(ctx, pool, pgMigrations)
	if err != nil {
		return reports, err
	}
	reports = append(reports, rep)
	rep, err = ch.Migrate(ctx, chMigrations)
	if err != nil {
		return reports, err
	}
	return append(reports, rep), nil
}
