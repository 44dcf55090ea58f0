package stores_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// TestEveryTableHasAShardKey checks that a cluster migration can create every table the embedded
// migrations create.
func TestEveryTableHasAShardKey(t *testing.T) {
	ms, err := stores.ClickHouseMigrations()
	if err != nil {
		t.Fatal(err)
	}
	create := regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)`)
	n := 0
	for _, m := range ms {
		for _, stmt := range m.Statements() {
			if c := create.FindStringSubmatch(stmt); c != nil {
				n++
				if _, ok := stores.ClickHouseShardKey(c[1]); !ok {
					t.Errorf("%s: table %s has no shard key", m.Name, c[1])
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("found no CREATE TABLE in the ClickHouse migrations")
	}
}

func TestClusterMigrateInsertAndLayout(t *testing.T) {
	ctx := context.Background()
	cluster := storestest.StartClickHouseCluster(t, 2)
	cl := cluster.Migrated()
	if got := len(cl.Shards()); got != 2 {
		t.Fatalf("Shards() has %d shards; want 2", got)
	}
	ms, err := stores.ClickHouseMigrations()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := cl.Migrate(ctx, ms)
	if err != nil || len(rep.Applied) != 0 || rep.Version != len(ms) {
		t.Fatalf("second Migrate = %+v, %v; want nothing applied at version %d", rep, err, len(ms))
	}
	if err := stores.CheckClickHouseVersion(ctx, cl.Conn(), ms); err != nil {
		t.Fatalf("CheckClickHouseVersion on the entry: %v", err)
	}
	if err := cl.CheckLayout(ctx); err != nil {
		t.Fatalf("CheckLayout: %v", err)
	}
	for _, s := range cl.Shards() {
		for table, want := range map[string]string{"sales": "Distributed", "sales_local": "MergeTree",
			"sales_staging_local": "MergeTree", "scan_batches_local": "ReplacingMergeTree"} {
			var engine string
			if err := s.Conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = ?",
				table).Scan(&engine); err != nil || engine != want {
				t.Errorf("shard %d: engine of %s = %q, %v; want %s", s.Num, table, engine, err, want)
			}
		}
	}

	// Rows inserted through the Distributed table are on the shards when the INSERT returns, each
	// outlet's on one shard, and every shard has some.
	const outlets = 200
	outlet, dataset, brand := make([]string, 0, 2*outlets), make([]string, 0, 2*outlets), make([]string, 0, 2*outlets)
	for i := range outlets {
		for _, b := range []string{"A", "B"} {
			outlet = append(outlet, "O"+string(rune('a'+i%26))+string(rune('a'+i/26)))
			dataset, brand = append(dataset, "live"), append(brand, b)
		}
	}
	if err := stores.InsertColumns(ctx, cl.Conn(), "INSERT INTO true_demand (dataset, outlet, brand)", dataset, outlet, brand); err != nil {
		t.Fatal(err)
	}
	var total uint64
	seen := map[string]int{}
	for _, s := range cl.Shards() {
		rows, err := s.Conn.Query(ctx, "SELECT outlet, count() FROM "+cl.Local("true_demand")+" GROUP BY outlet")
		if err != nil {
			t.Fatal(err)
		}
		var shardRows uint64
		for rows.Next() {
			var o string
			var n uint64
			if err := rows.Scan(&o, &n); err != nil {
				t.Fatal(err)
			}
			if n != 2 {
				t.Errorf("shard %d holds %d rows of outlet %s; want both", s.Num, n, o)
			}
			seen[o]++
			shardRows += n
		}
		rows.Close()
		if shardRows == 0 {
			t.Errorf("shard %d holds no rows", s.Num)
		}
		total += shardRows
	}
	if total != uint64(len(outlet)) || len(seen) != outlets {
		t.Errorf("shards hold %d rows of %d outlets; want %d of %d", total, len(seen), len(outlet), outlets)
	}
	for o, n := range seen {
		if n != 1 {
			t.Errorf("outlet %s is on %d shards; want 1", o, n)
		}
	}

	// The same database opened as one server is refused.
	single := storestest.OpenCluster(t, cluster.DSN(), "")
	if err := single.CheckLayout(ctx); !errors.Is(err, stores.ErrLayout) {
		t.Errorf("CheckLayout of a cluster's schema opened as one server = %v; want ErrLayout", err)
	}
	if _, err := stores.OpenCluster(ctx, cluster.DSN(), "nosuch"); !errors.Is(err, stores.ErrNoCluster) {
		t.Errorf("OpenCluster(nosuch) = %v; want ErrNoCluster", err)
	}
}
