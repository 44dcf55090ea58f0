package stores

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ErrClusterStatement is returned (wrapped) by a cluster migration for a statement it cannot apply
// per shard: only CREATE TABLE, ALTER TABLE … ADD|DROP|MODIFY COLUMN and INSERT INTO t … SELECT … FROM u
// (t and u of the same shard key) are rewritten, and every table needs a shard key (clickHouseShardKeys).
var ErrClusterStatement = errors.New("stores: migration statement not supported on a ClickHouse cluster")

// clickHouseShardKeys is the sharding expression of every ClickHouse table on a cluster. Rows that
// must meet on one shard share a key: one outlet's sales, scans, true demand, forecasts and
// allocations (so per-outlet queries, FINAL on (…, outlet) keys and partition swaps stay on one shard),
// a staging table and its target alike (REPLACE PARTITION runs shard by shard). Tables without an
// outlet are sharded by the first column of their key that a FINAL must see together.
var clickHouseShardKeys = map[string]string{
	"sales":              "sipHash64(outlet)",
	"sales_staging":      "sipHash64(outlet)",
	"sales_by_outlet":    "sipHash64(outlet)",
	"scans":              "sipHash64(outlet)",
	"scan_batches":       "sipHash64(outlet)",
	"scan_rejects":       "sipHash64(outlet)",
	"true_demand":        "sipHash64(outlet)",
	"outlets_dim":        "sipHash64(outlet)",
	"forecasts":          "sipHash64(outlet)",
	"forecasts_monthly":  "sipHash64(outlet)",
	"forecasts_by_brand": "sipHash64(outlet)",
	"allocations":        "sipHash64(outlet)",
	"calendar":           "sipHash64(region)",
	"brands_dim":         "sipHash64(brand)",
	"forecast_runs":      "sipHash64(run_id)",
	"accuracy_scores":    "sipHash64(key)",
	"datasets":           "sipHash64(dataset)",
	"holidays":           "sipHash64(dataset)",
	"holidays_staging":   "sipHash64(dataset)",
}

// ClickHouseShardKey returns the sharding expression of table on a cluster, and whether it has one.
func ClickHouseShardKey(table string) (string, bool) {
	k, ok := clickHouseShardKeys[table]
	return k, ok
}

var (
	createTable = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+(.*)$`)
	createAs    = regexp.MustCompile(`(?is)^AS\s+(\w+)(.*)$`)
	alterColumn = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s+(\w+)\s+((?:ADD|DROP|MODIFY)\s+COLUMN\s.*)$`)
	// insertSelect is INSERT INTO t (columns) SELECT … FROM u …, u one table (no subquery, no join).
	insertSelect = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+(\w+)\s*(\([^()]*\))\s*(SELECT\s[^()]*?\sFROM)\s+(\w+)((?:\s[^()]*)?)$`)
)

// clusterStatements returns what one migration statement becomes on every shard of cluster in
// database: CREATE TABLE t … creates t_local … and the Distributed table t over the t_local of
// every shard; CREATE TABLE t AS u creates t_local AS u_local; ALTER TABLE t … COLUMN changes
// t_local, then t; INSERT INTO t … SELECT … FROM u copies each shard's rows of u_local into its
// t_local, which keeps every row on the shard its key sends it to only when t and u share a shard key
// (refused otherwise).
func clusterStatements(cluster, database, stmt string) ([]string, error) {
	if m := createTable.FindStringSubmatch(stmt); m != nil {
		table, rest := m[1], m[2]
		key, ok := clickHouseShardKeys[table]
		if !ok {
			return nil, fmt.Errorf("%w: table %s has no shard key (add it to clickHouseShardKeys)", ErrClusterStatement, table)
		}
		if a := createAs.FindStringSubmatch(rest); a != nil {
			rest = "AS " + a[1] + LocalSuffix + a[2]
		}
		local := table + LocalSuffix
		return []string{
			"CREATE TABLE IF NOT EXISTS " + local + " " + rest,
			fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s AS %s ENGINE = Distributed(%s, %s, %s, %s)",
				table, local, cluster, database, local, key),
		}, nil
	}
	if m := alterColumn.FindStringSubmatch(stmt); m != nil {
		table, change := m[1], m[2]
		if _, ok := clickHouseShardKeys[table]; !ok {
			return nil, fmt.Errorf("%w: table %s has no shard key", ErrClusterStatement, table)
		}
		return []string{"ALTER TABLE " + table + LocalSuffix + " " + change, "ALTER TABLE " + table + " " + change}, nil
	}
	if m := insertSelect.FindStringSubmatch(stmt); m != nil {
		to, columns, sel, from, rest := m[1], m[2], m[3], m[4], m[5]
		toKey, ok := clickHouseShardKeys[to]
		if !ok {
			return nil, fmt.Errorf("%w: table %s has no shard key", ErrClusterStatement, to)
		}
		if fromKey, ok := clickHouseShardKeys[from]; !ok || fromKey != toKey {
			return nil, fmt.Errorf("%w: INSERT INTO %s SELECT FROM %s: the tables are not sharded alike", ErrClusterStatement, to, from)
		}
		return []string{"INSERT INTO " + to + LocalSuffix + " " + columns + " " + sel + " " + from + LocalSuffix + rest}, nil
	}
	first, _, _ := strings.Cut(strings.TrimSpace(stmt), "\n")
	return nil, fmt.Errorf("%w: %s", ErrClusterStatement, first)
}

// Migrate applies the migrations the store does not have yet (MigrateClickHouse). On a cluster it
// migrates every shard in turn, each keeping its own schema_migrations: a shard's tables are created
// as local tables with a Distributed table of the migration's name over them, sharded by
// ClickHouseShardKey. The report is the last shard's: every shard ends at the same version.
func (c *Cluster) Migrate(ctx context.Context, migrations []Migration) (Report, error) {
	if !c.Sharded() {
		return MigrateClickHouse(ctx, c.conn, migrations)
	}
	if !validIdentifier(c.database) {
		return Report{Store: "clickhouse"}, fmt.Errorf("clickhouse: database name %q: use letters, digits and underscores", c.database)
	}
	expand := func(stmt string) ([]string, error) { return clusterStatements(c.name, c.database, stmt) }
	var rep Report
	err := c.EachShard(ctx, func(ctx context.Context, conn driver.Conn) error {
		var err error
		rep, err = migrateClickHouse(ctx, conn, migrations, expand)
		return err
	})
	return rep, err
}
