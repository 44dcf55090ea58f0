package stores_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// insertDatasetRows inserts, through conn, n sales lines of the live dataset and n of the imported
// dataset m5 over outlets O0…O(n-1), the m5 lines also staged (an unfinished import), and m5's
// datasets row, as a database before migration 0007 holds them.
func insertDatasetRows(t *testing.T, conn driver.Conn, n int) {
	t.Helper()
	ctx := context.Background()
	day := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	for _, table := range []string{"sales", "sales_staging"} {
		var dataset, outlet, brand, source, batch []string
		var days []time.Time
		var qty []float64
		for i := range 2 * n {
			ds := []string{"live", "m5"}[i%2]
			if table == "sales_staging" && ds == "live" {
				continue
			}
			dataset, outlet, brand = append(dataset, ds), append(outlet, fmt.Sprintf("O%d", i/2)), append(brand, "B1")
			source, batch, days, qty = append(source, "seed"), append(batch, "b1"), append(days, day), append(qty, float64(i/2+1))
		}
		if err := stores.InsertColumns(ctx, conn, "INSERT INTO "+table+
			" (dataset, day, outlet, brand, requested, granted, delivered, source, batch_id)",
			dataset, days, outlet, brand, qty, qty, qty, source, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := stores.InsertColumns(ctx, conn, "INSERT INTO datasets (dataset, period, source, rows, first_day, last_day, imported_at)",
		[]string{"m5"}, []string{"week"}, []string{"m5.csv"}, []uint64{uint64(n)}, []time.Time{day}, []time.Time{day},
		[]time.Time{day}); err != nil {
		t.Fatal(err)
	}
}

// checkDatasetRows checks, through conn, that sales holds the n lines of each dataset with their
// quantities, all of import ” in one partition a dataset, that staging is empty, that m5's datasets
// row names import ”, and that no table of the migration's copies is left.
func checkDatasetRows(t *testing.T, conn driver.Conn, n int) {
	t.Helper()
	ctx := context.Background()
	want := float64(n * (n + 1) / 2)
	for _, ds := range []string{"live", "m5"} {
		var rows, imports uint64
		var sum float64
		if err := conn.QueryRow(ctx, "SELECT count(), sum(delivered), uniqExact(import_id) FROM sales WHERE dataset = ? AND import_id = ''",
			ds).Scan(&rows, &sum, &imports); err != nil {
			t.Fatal(err)
		}
		if rows != uint64(n) || sum != want || imports != 1 {
			t.Errorf("sales of %s: %d rows of import '', sum %g; want %d rows, sum %g", ds, rows, sum, n, want)
		}
	}
	var staged uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM sales_staging").Scan(&staged); err != nil || staged != 0 {
		t.Errorf("sales_staging holds %d rows, %v; want none", staged, err)
	}
	var id, period string
	var rows uint64
	if err := conn.QueryRow(ctx, "SELECT import_id, period, rows FROM datasets FINAL WHERE dataset = 'm5'").Scan(&id, &period, &rows); err != nil ||
		id != "" || period != "week" || rows != uint64(n) {
		t.Errorf("datasets row of m5: import %q, period %q, %d rows, %v; want import '', week, %d rows", id, period, rows, err, n)
	}
	var old uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE '%_0007%'").Scan(&old); err != nil || old != 0 {
		t.Errorf("%d tables …_0007… left after the migration (%v); want none", old, err)
	}
}

// checkPartitions checks, on the one server conn is on, that the local table (sales or sales_local)
// holds its rows in partitions of (dataset, import_id).
func checkPartitions(t *testing.T, conn driver.Conn, table string) {
	t.Helper()
	var partitions []string
	rows, err := conn.Query(context.Background(), "SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() "+
		"AND table = ? AND active ORDER BY partition", table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		partitions = append(partitions, p)
	}
	if got := fmt.Sprint(partitions); got != "[('live','') ('m5','')]" {
		t.Errorf("partitions of %s = %s; want [('live','') ('m5','')]", table, got)
	}
}

// Migration 0007 upgrades a database at 0006 with live and imported sales: the rows are kept, of
// import ” (which the imported dataset's datasets row names), in partitions of (dataset,
// import_id); staging is emptied; a second migrate applies nothing.
func TestMigrateSalesImportsUpgradesOneServer(t *testing.T) {
	ctx := context.Background()
	conn := storestest.OpenClickHouse(t, storestest.NewClickHouseDSN(t))
	before, all := migrationsBefore(t, 7)
	if _, err := stores.MigrateClickHouse(ctx, conn, before); err != nil {
		t.Fatal(err)
	}
	insertDatasetRows(t, conn, 40)
	rep, err := stores.MigrateClickHouse(ctx, conn, all)
	if err != nil || len(rep.Applied) != len(all)-len(before) {
		t.Fatalf("migrate to %d = %v, %v; want 0007 applied", len(all), rep, err)
	}
	checkDatasetRows(t, conn, 40)
	checkPartitions(t, conn, "sales")
	if rep, err := stores.MigrateClickHouse(ctx, conn, all); err != nil || len(rep.Applied) != 0 {
		t.Errorf("second migrate = %v, %v; want nothing applied", rep, err)
	}
}

// The same on two shards of two replicas: every server drops and renames its own tables, the
// first replica of each shard copies the shard's rows, the other fetches them, and the Distributed
// sales and datasets, made again, read the new columns.
func TestMigrateSalesImportsUpgradesReplicatedCluster(t *testing.T) { upgradeClusterSales(t, 2) }

// The same on two shards without replicas.
func TestMigrateSalesImportsUpgradesCluster(t *testing.T) { upgradeClusterSales(t, 1) }

func upgradeClusterSales(t *testing.T, replicas int) {
	var synced []string
	if replicas > 1 {
		synced = []string{"sales_local", "datasets_local"}
	}
	upgradeCluster(t, 7, replicas, synced, func(conn driver.Conn) { insertDatasetRows(t, conn, 40) },
		func(conn driver.Conn) { checkDatasetRows(t, conn, 40) },
		func(conn driver.Conn, server int) {
			var rows uint64
			if err := conn.QueryRow(context.Background(), "SELECT count() FROM sales_local").Scan(&rows); err != nil || rows == 0 {
				t.Errorf("server %d: %d rows in sales_local, %v; want its shard's", server, rows, err)
			}
			checkPartitions(t, conn, "sales_local")
		})
}
