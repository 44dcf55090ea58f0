package stores

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestClusterStatementsInsertSelect(t *testing.T) {
	plain := clusterLayout{cluster: "ordercast", database: "db"}
	got, err := plain.statements("INSERT INTO forecasts_by_brand (run_id, outlet, point)\n"+
		"SELECT run_id, outlet, point FROM forecasts WHERE level = 'outlet'", true)
	if err != nil {
		t.Fatal(err)
	}
	want := "INSERT INTO forecasts_by_brand_local (run_id, outlet, point) SELECT run_id, outlet, point FROM forecasts_local WHERE level = 'outlet'"
	if len(got) != 1 || strings.Join(strings.Fields(got[0]), " ") != want {
		t.Fatalf("got %q\nwant [%q]", got, want)
	}
	for _, stmt := range []string{
		"INSERT INTO forecasts_by_brand (run_id) SELECT run_id FROM forecast_runs",         // other shard key
		"INSERT INTO forecasts_by_brand (run_id) SELECT run_id FROM nowhere",               // no shard key
		"INSERT INTO forecasts_by_brand (run_id) SELECT run_id FROM (SELECT * FROM sales)", // subquery
		"INSERT INTO forecasts_by_brand SELECT * FROM forecasts",                           // no columns named
	} {
		if _, err := plain.statements(stmt, true); !errors.Is(err, ErrClusterStatement) {
			t.Errorf("%s: got %v, want ErrClusterStatement", stmt, err)
		}
	}
}

// With replicas every local table gets a Replicated engine with its own ZooKeeper path (a table
// created AS another too), and what replication carries runs on a shard's first replica only.
func TestClusterStatementsReplicated(t *testing.T) {
	migrations := []Migration{{Version: 1, Name: "0001_x", SQL: `CREATE TABLE IF NOT EXISTS sales (
    dataset String,
    outlet  String
) ENGINE = MergeTree()
PARTITION BY dataset
ORDER BY (dataset, outlet);
CREATE TABLE IF NOT EXISTS sales_staging AS sales;
CREATE TABLE IF NOT EXISTS calendar (region String, day Date, version UInt64) ENGINE = ReplacingMergeTree(version)
ORDER BY (region, day);
`}}
	l := newClusterLayout("ordercast", "db", true, migrations)
	norm := func(ss []string) []string {
		for i, s := range ss {
			ss[i] = strings.Join(strings.Fields(s), " ")
		}
		return ss
	}
	stmts := migrations[0].Statements()
	for _, c := range []struct {
		stmt  string
		first bool
		want  []string
	}{
		{stmts[0], true, []string{
			"CREATE TABLE IF NOT EXISTS sales_local ( dataset String, outlet String ) ENGINE = ReplicatedMergeTree(" +
				"'/clickhouse/tables/{shard}/db/sales_local', '{replica}') PARTITION BY dataset ORDER BY (dataset, outlet)",
			"CREATE TABLE IF NOT EXISTS sales AS sales_local ENGINE = Distributed(ordercast, db, sales_local, sipHash64(outlet))",
		}},
		{stmts[1], false, []string{
			"CREATE TABLE IF NOT EXISTS sales_staging_local AS sales_local ENGINE = ReplicatedMergeTree(" +
				"'/clickhouse/tables/{shard}/db/sales_staging_local', '{replica}') PARTITION BY dataset ORDER BY (dataset, outlet)",
			"CREATE TABLE IF NOT EXISTS sales_staging AS sales_staging_local ENGINE = Distributed(ordercast, db, sales_staging_local, sipHash64(outlet))",
		}},
		{stmts[2], true, []string{
			"CREATE TABLE IF NOT EXISTS calendar_local (region String, day Date, version UInt64) ENGINE = ReplicatedReplacingMergeTree(" +
				"'/clickhouse/tables/{shard}/db/calendar_local', '{replica}', version) ORDER BY (region, day)",
			"CREATE TABLE IF NOT EXISTS calendar AS calendar_local ENGINE = Distributed(ordercast, db, calendar_local, sipHash64(region))",
		}},
		{"INSERT INTO sales_staging (dataset, outlet) SELECT dataset, outlet FROM sales", true,
			[]string{"SYSTEM SYNC REPLICA sales_local", "INSERT INTO sales_staging_local (dataset, outlet) SELECT dataset, outlet FROM sales_local"}},
		{"INSERT INTO sales_staging (dataset, outlet) SELECT dataset, outlet FROM sales", false, []string{}},
		{"RENAME TABLE scans TO scans_0001, scans_once TO scans", false, []string{
			"RENAME TABLE scans_local TO scans_0001_local, scans_once_local TO scans_local",
			"DROP TABLE IF EXISTS scans_once",
			"CREATE TABLE IF NOT EXISTS scans_0001 AS scans_0001_local ENGINE = Distributed(ordercast, db, scans_0001_local, sipHash64(outlet))",
			"CREATE TABLE IF NOT EXISTS scans AS scans_local ENGINE = Distributed(ordercast, db, scans_local, sipHash64(outlet))",
		}},
		{"DROP TABLE IF EXISTS scans_0001", false, []string{"DROP TABLE IF EXISTS scans_0001", "DROP TABLE IF EXISTS scans_0001_local"}},
		{"ALTER TABLE sales ADD COLUMN x UInt8", true,
			[]string{"ALTER TABLE sales_local ADD COLUMN x UInt8", "ALTER TABLE sales ADD COLUMN x UInt8"}},
		{"ALTER TABLE sales ADD COLUMN x UInt8", false, []string{"ALTER TABLE sales ADD COLUMN x UInt8"}},
	} {
		got, err := l.statements(c.stmt, c.first)
		if err != nil {
			t.Errorf("%.40s (first replica %v): %v", c.stmt, c.first, err)
			continue
		}
		if got == nil {
			got = []string{}
		}
		if got = norm(got); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%.40s (first replica %v):\ngot  %q\nwant %q", c.stmt, c.first, got, c.want)
		}
	}
	for _, stmt := range []string{
		"CREATE TABLE IF NOT EXISTS sales (a String) ENGINE = Log",
		"CREATE TABLE IF NOT EXISTS sales AS nowhere",
		"RENAME TABLE sales TO calendar", // other shard key
		"RENAME TABLE sales TO nowhere",
		"RENAME TABLE sales",
		"DROP TABLE nowhere",
		"DROP DATABASE db",
	} {
		if _, err := l.statements(stmt, true); !errors.Is(err, ErrClusterStatement) {
			t.Errorf("%s: got %v, want ErrClusterStatement", stmt, err)
		}
	}
}
