package stores_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// replicaRows returns the outlets of the live rows of sales_local on one server, with their row
// counts, after waiting until the server fetched every part of its shard (SYSTEM SYNC REPLICA).
func replicaRows(t *testing.T, s *storestest.ClickHouseServer, dsn string) map[string]uint64 {
	t.Helper()
	ctx := stores.SyncReplicaContext(context.Background())
	conn := storestest.OpenClickHouse(t, s.DatabaseDSN(dsn))
	if err := conn.Exec(ctx, "SYSTEM SYNC REPLICA sales_local"); err != nil {
		t.Fatalf("sync replica: %v", err)
	}
	rows, err := conn.Query(ctx, "SELECT outlet, count() FROM sales_local GROUP BY outlet")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var o string
		var n uint64
		if err := rows.Scan(&o, &n); err != nil {
			t.Fatal(err)
		}
		out[o] = n
	}
	return out
}

// insertSales inserts n rows of dataset through the Distributed table sales, outlets from first on.
func insertSales(t *testing.T, conn driver.Conn, table, dataset string, first, n int) {
	t.Helper()
	ds, outlet, brand := make([]string, n), make([]string, n), make([]string, n)
	for i := range n {
		ds[i], outlet[i], brand[i] = dataset, fmt.Sprintf("O%04d", first+i), "B"
	}
	if err := stores.InsertColumns(context.Background(), conn, "INSERT INTO "+table+" (dataset, outlet, brand)", ds, outlet, brand); err != nil {
		t.Fatalf("insert into %s: %v", table, err)
	}
}

func countSales(t *testing.T, conn driver.Conn) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT count() FROM sales").Scan(&n); err != nil {
		t.Fatalf("count sales through the Distributed table: %v", err)
	}
	return n
}

// Two shards of two replicas each: migrate creates Replicated local tables on all four servers, an
// INSERT through a Distributed table reaches both replicas of its shard, a partition swap from a
// staging table replicates, and with one replica of a shard stopped reads, inserts and the swap go
// on through the other, which the stopped one catches up with when it starts again.
func TestReplicatedClusterMigrateWriteAndFailover(t *testing.T) {
	ctx := context.Background()
	cluster := storestest.StartClickHouseReplicas(t, 2, 2)
	cl := cluster.Migrated()
	if !cl.Replicated() || len(cl.Shards()) != 2 || len(cl.Shards()[1].Replicas) != 2 {
		t.Fatalf("Replicated() = %v with %d shards; want 2 shards of 2 replicas", cl.Replicated(), len(cl.Shards()))
	}
	ms, err := stores.ClickHouseMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := cl.Migrate(ctx, ms); err != nil || len(rep.Applied) != 0 {
		t.Fatalf("second Migrate = %+v, %v; want nothing applied", rep, err)
	}
	if err := cl.CheckLayout(ctx); err != nil {
		t.Fatalf("CheckLayout: %v", err)
	}
	for i, s := range cluster.Servers {
		conn := storestest.OpenClickHouse(t, s.DatabaseDSN(cluster.DSN()))
		for table, want := range map[string]string{"sales": "Distributed", "sales_local": "ReplicatedMergeTree",
			"sales_staging_local": "ReplicatedMergeTree", "scan_batches_local": "ReplicatedReplacingMergeTree",
			"forecasts_by_brand_local": "ReplicatedReplacingMergeTree"} {
			var engine string
			if err := conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = ?",
				table).Scan(&engine); err != nil || engine != want {
				t.Errorf("server %d: engine of %s = %q, %v; want %s", i+1, table, engine, err, want)
			}
		}
	}

	// Every replica of a shard holds the same rows; the shards hold different outlets.
	insertSales(t, cl.Conn(), "sales", "live", 0, 200)
	checkReplicas := func(wantTotal int) {
		t.Helper()
		total := 0
		seen := map[string]int{}
		for s := 1; s <= 2; s++ {
			r1, r2 := replicaRows(t, cluster.Replica(s, 1), cluster.DSN()), replicaRows(t, cluster.Replica(s, 2), cluster.DSN())
			if !reflect.DeepEqual(r1, r2) {
				t.Errorf("shard %d: replica 1 holds %d outlets, replica 2 %d; want the same rows", s, len(r1), len(r2))
			}
			if len(r1) == 0 {
				t.Errorf("shard %d holds no rows", s)
			}
			for o, n := range r1 {
				seen[o]++
				total += int(n)
			}
		}
		for o, n := range seen {
			if n != 1 {
				t.Errorf("outlet %s is on %d shards; want 1", o, n)
			}
		}
		if total != wantTotal {
			t.Errorf("the shards hold %d rows; want %d", total, wantTotal)
		}
	}
	checkReplicas(200)

	// A second INSERT of the same rows is kept, as on one server (no block deduplication).
	for range 2 {
		insertSales(t, cl.Conn(), "sales", "twice", 500, 10)
	}
	var twice uint64
	if err := cl.Conn().QueryRow(ctx, "SELECT count() FROM sales WHERE dataset = 'twice'").Scan(&twice); err != nil || twice != 20 {
		t.Errorf("the same 10 rows inserted twice: %d rows, %v; want 20", twice, err)
	}
	if err := cl.ExecEachShard(ctx, "ALTER TABLE "+cl.Local("sales")+" DROP PARTITION ('twice', '')"); err != nil {
		t.Fatal(err)
	}

	// Replica 1 of shard 2 stops: reads and inserts through the Distributed tables go to replica 2,
	// and a staged partition swap runs on it.
	checkStates := func(wantDown string) {
		t.Helper()
		states := cl.ReplicaStates(ctx)
		if len(states) != 4 {
			t.Fatalf("ReplicaStates gave %d servers; want 4", len(states))
		}
		for _, st := range states {
			if wantUp := st.Address != wantDown; st.Up != wantUp || st.ReadOnly != 0 {
				t.Errorf("state of shard %d replica %d (%s): %+v; want up %v, no read-only table", st.Shard, st.Replica,
					st.Address, st, wantUp)
			}
		}
	}
	checkStates("")
	down := cluster.Replica(2, 1)
	down.Stop()
	checkStates(cl.Shards()[1].Replicas[0])
	if n := countSales(t, cl.Conn()); n != 200 {
		t.Errorf("with a replica down, sales has %d rows; want 200", n)
	}
	insertSales(t, cl.Conn(), "sales", "live", 200, 100)
	insertSales(t, cl.Conn(), "sales_staging", "imported", 1000, 50)
	if err := cl.EachShard(ctx, func(ctx context.Context, conn driver.Conn) error {
		if err := cl.SyncReplica(ctx, conn, "sales_staging"); err != nil {
			return err
		}
		return conn.Exec(ctx, "ALTER TABLE "+cl.Local("sales")+" REPLACE PARTITION ('imported', '') FROM "+cl.Local("sales_staging"))
	}); err != nil {
		t.Fatalf("REPLACE PARTITION with a replica down: %v", err)
	}
	if n := countSales(t, cl.Conn()); n != 350 {
		t.Errorf("with a replica down, after inserting 100 rows and swapping in 50, sales has %d rows; want 350", n)
	}

	// Started again, it fetches what it missed.
	down.Start()
	checkReplicas(350)
	checkStates("")

	// The entry server stops: the entry connection goes on through the next server of the cluster,
	// with shard 1 on its replica 2.
	entry := cluster.Replica(1, 1)
	entry.Stop()
	if n := countSales(t, cl.Conn()); n != 350 {
		t.Errorf("with the entry server down, sales has %d rows; want 350", n)
	}
	insertSales(t, cl.Conn(), "sales", "live", 300, 10)
	if n := countSales(t, cl.Conn()); n != 360 {
		t.Errorf("with the entry server down, after inserting 10 rows sales has %d rows; want 360", n)
	}
	entry.Start()
	checkReplicas(360)
}
