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
// per shard: only CREATE TABLE, ALTER TABLE … ADD|DROP|MODIFY COLUMN, INSERT INTO t … SELECT … FROM u
// (t and u of the same shard key), RENAME TABLE a TO b, … (of the same shard key) and DROP TABLE are
// rewritten, every table needs a shard key (clickHouseShardKeys)
// and, with replicas, an engine of the MergeTree family (it becomes its Replicated form).
var ErrClusterStatement = errors.New("stores: migration statement not supported on a ClickHouse cluster")

// clickHouseShardKeys is the sharding expression of every ClickHouse table on a cluster. Rows that
// must meet on one shard share a key: one outlet's sales, scans, true demand, forecasts and
// allocations (so per-outlet queries, FINAL on (…, outlet) keys and partition swaps stay on one shard),
// a staging table and its target alike (REPLACE PARTITION runs shard by shard). Tables without an
// outlet are sharded by the first column of their key that a FINAL must see together.
var clickHouseShardKeys = map[string]string{
	"sales":              "sipHash64(outlet)",
	"sales_staging":      "sipHash64(outlet)",
	"sales_0007":         "sipHash64(outlet)", // 0007: the new sales, then renamed
	"sales_staging_0007": "sipHash64(outlet)", // 0007: the new sales_staging, then renamed
	"sales_by_outlet":    "sipHash64(outlet)",
	"scans":              "sipHash64(outlet)",
	"scans_once":         "sipHash64(outlet)", // 0006: the new scans, then renamed
	"scans_0001":         "sipHash64(outlet)", // 0006: the old scans, renamed, copied, dropped
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
	"datasets_0007":      "sipHash64(dataset)", // 0007: the new datasets, then renamed
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
	renameTable  = regexp.MustCompile(`(?is)^\s*RENAME\s+TABLE\s+(.*)$`)
	renamePair   = regexp.MustCompile(`(?is)^\s*(\w+)\s+TO\s+(\w+)\s*$`)
	dropTable    = regexp.MustCompile(`(?is)^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(\w+)\s*$`)
	// engineClause is a table's ENGINE = Name(args) and what follows it (PARTITION BY, ORDER BY, …).
	engineClause = regexp.MustCompile(`(?is)\bENGINE\s*=\s*(\w+)\s*\(([^()]*)\)(.*)$`)
)

// clusterLayout says how migration statements become a cluster's: its name, the database, whether its
// shards have replicas, and (with replicas) the engine clause of every table the migrations create,
// as written, for the tables created AS another.
type clusterLayout struct {
	cluster, database string
	replicated        bool
	engines           map[string]string // table → "ENGINE = …" to the end of its CREATE TABLE
}

// newClusterLayout returns the layout of cluster in database, reading the engine clauses of the
// tables migrations create.
func newClusterLayout(cluster, database string, replicated bool, migrations []Migration) clusterLayout {
	l := clusterLayout{cluster: cluster, database: database, replicated: replicated, engines: map[string]string{}}
	for _, m := range migrations {
		for _, stmt := range m.Statements() {
			c := createTable.FindStringSubmatch(stmt)
			if c == nil {
				continue
			}
			if e := engineClause.FindStringIndex(c[2]); e != nil {
				l.engines[c[1]] = strings.TrimSpace(c[2][e[0]:])
			} else if a := createAs.FindStringSubmatch(c[2]); a != nil {
				l.engines[c[1]] = l.engines[a[1]]
			}
		}
	}
	return l
}

// ReplicatedPath returns the ZooKeeper path of a replicated local table of database: the shard's
// number comes from the server's {shard} macro, the replica's name from {replica}.
func ReplicatedPath(database, localTable string) string {
	return "/clickhouse/tables/{shard}/" + database + "/" + localTable
}

// replicatedEngine rewrites clause (ENGINE = XMergeTree(args) …) into the replicated engine of the
// local table local: ReplicatedXMergeTree('path', '{replica}', args) …. A clause that already names
// a Replicated engine is kept; an engine without a replicated form is refused.
func (l clusterLayout) replicatedEngine(local, clause string) (string, error) {
	m := engineClause.FindStringSubmatch(clause)
	if m == nil {
		return "", fmt.Errorf("%w: %s: no ENGINE = …MergeTree(…) clause to replicate", ErrClusterStatement, local)
	}
	name, args, tail := m[1], strings.TrimSpace(m[2]), m[3]
	if strings.HasPrefix(name, "Replicated") {
		return clause, nil
	}
	if !strings.HasSuffix(name, "MergeTree") {
		return "", fmt.Errorf("%w: %s: engine %s has no replicated form", ErrClusterStatement, local, name)
	}
	params := "'" + ReplicatedPath(l.database, local) + "', '{replica}'"
	if args != "" {
		params += ", " + args
	}
	return "ENGINE = Replicated" + name + "(" + params + ")" + tail, nil
}

// statements returns what one migration statement becomes on a server of the cluster: CREATE TABLE
// t … creates t_local … and the Distributed table t over the t_local of every shard; CREATE TABLE t
// AS u creates t_local AS u_local; ALTER TABLE t … COLUMN changes t_local, then t; INSERT INTO t …
// SELECT … FROM u copies each shard's rows of u_local into its t_local, which keeps every row on the
// shard its key sends it to only when t and u share a shard key (refused otherwise).
//
// With replicas every local table is Replicated* (replicatedEngine; a table created AS another gets
// its own path), and what replication carries to a shard's other replicas runs on its first replica
// only (firstReplica): the copy of INSERT … SELECT and the column change of a local table. Each
// replica still creates its tables and the Distributed ones, which are not replicated.
func (l clusterLayout) statements(stmt string, firstReplica bool) ([]string, error) {
	if m := createTable.FindStringSubmatch(stmt); m != nil {
		table, rest := m[1], m[2]
		key, ok := clickHouseShardKeys[table]
		if !ok {
			return nil, fmt.Errorf("%w: table %s has no shard key (add it to clickHouseShardKeys)", ErrClusterStatement, table)
		}
		local := table + LocalSuffix
		if a := createAs.FindStringSubmatch(rest); a != nil {
			rest = "AS " + a[1] + LocalSuffix + a[2]
			if l.replicated && engineClause.FindStringIndex(a[2]) == nil {
				// AS alone would copy u_local's engine with its ZooKeeper path: t_local would be a replica of u_local.
				clause, ok := l.engines[a[1]]
				if !ok {
					return nil, fmt.Errorf("%w: CREATE TABLE %s AS %s: the engine of %s is unknown", ErrClusterStatement, table, a[1], a[1])
				}
				rest = "AS " + a[1] + LocalSuffix + " " + clause
			}
		}
		if l.replicated {
			e := engineClause.FindStringIndex(rest)
			if e == nil {
				return nil, fmt.Errorf("%w: CREATE TABLE %s: no ENGINE = …MergeTree(…) clause to replicate", ErrClusterStatement, table)
			}
			engine, err := l.replicatedEngine(local, rest[e[0]:])
			if err != nil {
				return nil, err
			}
			rest = rest[:e[0]] + engine
		}
		return []string{
			"CREATE TABLE IF NOT EXISTS " + local + " " + rest,
			fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s AS %s ENGINE = Distributed(%s, %s, %s, %s)",
				table, local, l.cluster, l.database, local, key),
		}, nil
	}
	if m := alterColumn.FindStringSubmatch(stmt); m != nil {
		table, change := m[1], m[2]
		if _, ok := clickHouseShardKeys[table]; !ok {
			return nil, fmt.Errorf("%w: table %s has no shard key", ErrClusterStatement, table)
		}
		if l.replicated && !firstReplica {
			return []string{"ALTER TABLE " + table + " " + change}, nil
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
		insert := "INSERT INTO " + to + LocalSuffix + " " + columns + " " + sel + " " + from + LocalSuffix + rest
		if l.replicated {
			if !firstReplica {
				return nil, nil
			}
			// The first replica copies what it holds: first fetch what only another replica has.
			return []string{"SYSTEM SYNC REPLICA " + from + LocalSuffix, insert}, nil
		}
		return []string{insert}, nil
	}
	if m := renameTable.FindStringSubmatch(stmt); m != nil {
		return l.renames(m[1])
	}
	if m := dropTable.FindStringSubmatch(stmt); m != nil {
		if _, ok := clickHouseShardKeys[m[1]]; !ok {
			return nil, fmt.Errorf("%w: table %s has no shard key", ErrClusterStatement, m[1])
		}
		return []string{"DROP TABLE IF EXISTS " + m[1], "DROP TABLE IF EXISTS " + m[1] + LocalSuffix}, nil
	}
	first, _, _ := strings.Cut(strings.TrimSpace(stmt), "\n")
	return nil, fmt.Errorf("%w: %s", ErrClusterStatement, first)
}

// renames returns what RENAME TABLE pairs (a TO b, c TO d, …) becomes on a server of the cluster: one
// RENAME of the local tables (a_local TO b_local, …), then the Distributed tables made to match: a
// name no longer a local table's loses its Distributed table, and a new name gets one. A Distributed
// table reads its local table by name, so one whose name is renamed to (t, when u TO t) reads the new
// local table as it is. Every server renames its own local tables (a Replicated one keeps the
// ZooKeeper path it was created with); tables of one RENAME must share a shard key, so that every row
// stays on its shard.
func (l clusterLayout) renames(pairs string) ([]string, error) {
	var locals, drops, creates []string
	targets := map[string]bool{}
	type pair struct{ from, to string }
	var ps []pair
	var key string
	for _, p := range strings.Split(pairs, ",") {
		m := renamePair.FindStringSubmatch(p)
		if m == nil {
			return nil, fmt.Errorf("%w: RENAME TABLE %s", ErrClusterStatement, strings.TrimSpace(pairs))
		}
		for _, t := range m[1:] {
			k, ok := clickHouseShardKeys[t]
			if !ok {
				return nil, fmt.Errorf("%w: table %s has no shard key", ErrClusterStatement, t)
			}
			if key != "" && k != key {
				return nil, fmt.Errorf("%w: RENAME TABLE %s: the tables are not sharded alike", ErrClusterStatement, strings.TrimSpace(pairs))
			}
			key = k
		}
		ps = append(ps, pair{m[1], m[2]})
		targets[m[2]] = true
		locals = append(locals, m[1]+LocalSuffix+" TO "+m[2]+LocalSuffix)
	}
	for _, p := range ps {
		if !targets[p.from] {
			drops = append(drops, "DROP TABLE IF EXISTS "+p.from)
		}
		creates = append(creates, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s AS %s ENGINE = Distributed(%s, %s, %s, %s)",
			p.to, p.to+LocalSuffix, l.cluster, l.database, p.to+LocalSuffix, key))
	}
	return append(append([]string{"RENAME TABLE " + strings.Join(locals, ", ")}, drops...), creates...), nil
}

// Migrate applies the migrations the store does not have yet (MigrateClickHouse). On a cluster it
// migrates every shard in turn, each keeping its own schema_migrations: a shard's tables are created
// as local tables with a Distributed table of the migration's name over them, sharded by
// ClickHouseShardKey. With replicas it migrates every replica of every shard, each reached directly
// (all must answer), with Replicated* local tables (clusterLayout.statements). The report is the last
// server's: every server ends at the same version.
func (c *Cluster) Migrate(ctx context.Context, migrations []Migration) (Report, error) {
	if !c.Sharded() {
		return MigrateClickHouse(ctx, c.conn, migrations)
	}
	if !validIdentifier(c.database) {
		return Report{Store: "clickhouse"}, fmt.Errorf("clickhouse: database name %q: use letters, digits and underscores", c.database)
	}
	layout := newClusterLayout(c.name, c.database, c.replicated, migrations)
	var rep Report
	if !c.replicated {
		expand := func(stmt string) ([]string, error) { return layout.statements(stmt, true) }
		err := c.EachShard(ctx, func(ctx context.Context, conn driver.Conn) error {
			var err error
			rep, err = migrateClickHouse(ctx, conn, migrations, expand)
			return err
		})
		return rep, err
	}
	for _, s := range c.shards {
		for i, addr := range s.Replicas {
			expand := func(stmt string) ([]string, error) { return layout.statements(stmt, i == 0) }
			var err error
			rep, err = c.onServer(ctx, addr, func(conn driver.Conn) (Report, error) {
				return migrateClickHouse(ctx, conn, migrations, expand)
			})
			if err != nil {
				return rep, fmt.Errorf("shard %d replica %d (%s): %w", s.Num, i+1, addr, err)
			}
		}
	}
	return rep, nil
}

// onServer calls fn with a connection to the one server at addr, in the cluster's database.
func (c *Cluster) onServer(ctx context.Context, addr string, fn func(conn driver.Conn) (Report, error)) (Report, error) {
	dsn, err := shardDSN(c.dsn, addr)
	if err != nil {
		return Report{Store: "clickhouse"}, err
	}
	conn, err := OpenClickHouse(ctx, dsn)
	if err != nil {
		return Report{Store: "clickhouse"}, err
	}
	defer conn.Close()
	return fn(conn)
}
