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

// migrationsBefore returns the embedded ClickHouse migrations older than version.
func migrationsBefore(t *testing.T, version int) (before, all []stores.Migration) {
	t.Helper()
	all, err := stores.ClickHouseMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.Version < version {
			before = append(before, m)
		}
	}
	return before, all
}

// insertScanRows inserts n scan rows of outlets O0…O(n/2-1), two rows a batch, then the first row
// again (a copy: the same outlet, batch and row number), through conn's table scans.
func insertScanRows(t *testing.T, conn driver.Conn, n int) {
	t.Helper()
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var outlet, brand, kind, batch []string
	var at, days, received []time.Time
	var qty []float64
	var row []uint32
	for i := 0; i <= n; i++ {
		k := i % n // the last row is a copy of the first
		outlet = append(outlet, fmt.Sprintf("O%d", k/2))
		brand, kind, batch = append(brand, "B1"), append(kind, "sellout"), append(batch, fmt.Sprintf("b%d", k/2))
		at, days, received = append(at, day.Add(time.Hour)), append(days, day), append(received, day.Add(2*time.Hour))
		qty, row = append(qty, float64(k+1)), append(row, uint32(k%2+1))
	}
	if err := stores.InsertColumns(context.Background(), conn,
		"INSERT INTO scans (outlet, brand, kind, scanned_at, day, qty, batch_id, row_no, received_at)",
		outlet, brand, kind, at, days, qty, batch, row, received); err != nil {
		t.Fatal(err)
	}
}

// checkScansOnce checks, through conn, that scans holds rows rows once each as FINAL reads them (a
// copy stored before the migration collapses), with their sum of quantities, and no table scans_0001.
func checkScansOnce(t *testing.T, conn driver.Conn, rows int) {
	t.Helper()
	ctx := context.Background()
	var n uint64
	var sum float64
	if err := conn.QueryRow(ctx, "SELECT count(), sum(qty) FROM (SELECT outlet, batch_id, row_no, qty FROM scans FINAL)").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if want := float64(rows * (rows + 1) / 2); n != uint64(rows) || sum != want {
		t.Errorf("scans read with FINAL: %d rows, sum %g; want %d rows once each, sum %g", n, sum, rows, want)
	}
	var old uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE 'scans_0001%'").Scan(&old); err != nil || old != 0 {
		t.Errorf("%d tables scans_0001… left after the migration (%v); want none", old, err)
	}
}

// Migration 0006 upgrades a database at 0005 with scans in it: the rows are kept, once each (a copy
// already stored collapses), in a ReplacingMergeTree; a second migrate applies nothing.
func TestMigrateScansOnceUpgradesOneServer(t *testing.T) {
	ctx := context.Background()
	conn := storestest.OpenClickHouse(t, storestest.NewClickHouseDSN(t))
	before, all := migrationsBefore(t, 6)
	if _, err := stores.MigrateClickHouse(ctx, conn, before); err != nil {
		t.Fatal(err)
	}
	insertScanRows(t, conn, 40)
	rep, err := stores.MigrateClickHouse(ctx, conn, all)
	if err != nil || len(rep.Applied) != len(all)-len(before) {
		t.Fatalf("migrate to %d = %v, %v; want 0006 applied", len(all), rep, err)
	}
	var engine string
	if err := conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = 'scans'").Scan(&engine); err != nil || engine != "ReplacingMergeTree" {
		t.Errorf("engine of scans = %q, %v; want ReplacingMergeTree", engine, err)
	}
	checkScansOnce(t, conn, 40)
	insertScanRows(t, conn, 40) // every row again: still once each
	checkScansOnce(t, conn, 40)
	if rep, err := stores.MigrateClickHouse(ctx, conn, all); err != nil || len(rep.Applied) != 0 {
		t.Errorf("second migrate = %v, %v; want nothing applied", rep, err)
	}
}

// The same on two shards of two replicas: every server renames its own tables, the first replica of
// each shard copies the shard's rows, the other replica fetches them, and the Distributed scans reads
// the new tables of both shards.
func TestMigrateScansOnceUpgradesReplicatedCluster(t *testing.T) { upgradeClusterScans(t, 2) }

// The same on two shards without replicas.
func TestMigrateScansOnceUpgradesCluster(t *testing.T) { upgradeClusterScans(t, 1) }

func upgradeClusterScans(t *testing.T, replicas int) {
	engine, synced := "ReplacingMergeTree", []string(nil)
	if replicas > 1 {
		engine, synced = "ReplicatedReplacingMergeTree", []string{"scans_local"}
	}
	upgradeCluster(t, 6, replicas, synced, func(conn driver.Conn) { insertScanRows(t, conn, 40) },
		func(conn driver.Conn) { checkScansOnce(t, conn, 40) },
		func(conn driver.Conn, server int) {
			ctx := context.Background()
			var got string
			var rows uint64
			if err := conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = 'scans_local'").Scan(&got); err != nil || got != engine {
				t.Errorf("server %d: engine of scans_local = %q, %v; want %s", server, got, err, engine)
			}
			if err := conn.QueryRow(ctx, "SELECT count() FROM (SELECT outlet, batch_id, row_no FROM scans_local FINAL)").Scan(&rows); err != nil || rows == 0 {
				t.Errorf("server %d: %d rows in scans_local, %v; want its shard's", server, rows, err)
			}
		})
}

// upgradeCluster migrates a new database on two shards of replicas servers to the migration before
// version, writes rows through it (insert, on the Distributed tables), migrates it to the last, and
// checks the rows (check) through the Distributed tables of the cluster and of each server, after
// the server's own tables (checkServer; its replicas of the synced tables synced first). A second
// migrate must apply nothing.
func upgradeCluster(t *testing.T, version, replicas int, synced []string, insert, check func(conn driver.Conn),
	checkServer func(conn driver.Conn, server int)) {
	t.Helper()
	ctx := context.Background()
	cluster := storestest.StartClickHouseReplicas(t, 2, replicas)
	if err := stores.CreateClickHouseClusterDatabase(ctx, cluster.DSN(), storestest.ClusterName); err != nil {
		t.Fatal(err)
	}
	cl := storestest.OpenCluster(t, cluster.DSN(), storestest.ClusterName)
	before, all := migrationsBefore(t, version)
	if _, err := cl.Migrate(ctx, before); err != nil {
		t.Fatal(err)
	}
	insert(cl.Conn())
	if _, err := cl.Migrate(ctx, all); err != nil {
		t.Fatalf("migrate to %04d: %v", version, err)
	}
	check(cl.Conn())
	for i, s := range cluster.Servers {
		conn := storestest.OpenClickHouse(t, s.DatabaseDSN(cluster.DSN()))
		for _, table := range synced {
			if err := conn.Exec(stores.SyncReplicaContext(ctx), "SYSTEM SYNC REPLICA "+table); err != nil {
				t.Fatalf("server %d: %v", i+1, err)
			}
		}
		checkServer(conn, i+1)
		check(conn) // through this server's Distributed tables
	}
	if rep, err := cl.Migrate(ctx, all); err != nil || len(rep.Applied) != 0 {
		t.Errorf("second migrate = %+v, %v; want nothing applied", rep, err)
	}
}
