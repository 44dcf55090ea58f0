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
		"binary. Idempotent: a second run reports nothing to do."
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
	if err := stores.CreateClickHouseDatabase(ctx, cfg.ClickHouseDSN); err != nil {
		return nil, err
	}
	ch, err := stores.OpenClickHouse(ctx, cfg.ClickHouseDSN)
	if err != nil {
		return nil, err
	}
	defer ch.Close()

	var reports []stores.Report
	rep, err := stores.MigratePostgres(ctx, pool, pgMigrations)
	if err != nil {
		return reports, err
	}
	reports = append(reports, rep)
	rep, err = stores.MigrateClickHouse(ctx, ch, chMigrations)
	if err != nil {
		return reports, err
	}
	return append(reports, rep), nil
}
