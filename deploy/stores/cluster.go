package stores

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// LocalSuffix ends the name of a shard's local table when ClickHouse runs as a cluster: sales is the
// Distributed table the code reads and inserts into, sales_local the MergeTree on each shard under it.
const LocalSuffix = "_local"

// ErrNoCluster is returned (wrapped) when the ClickHouse server named by the DSN has no cluster of the
// configured name in its remote_servers.
var ErrNoCluster = errors.New("stores: no such ClickHouse cluster")

// ErrLayout is returned (wrapped) when the ClickHouse schema and the configuration disagree: tables
// created for a cluster opened as one server, or the other way round.
var ErrLayout = errors.New("stores: ClickHouse schema layout does not match the cluster setting")

// Cluster is the ClickHouse history store as the writers see it: one server, or the shards of a
// cluster (remote_servers) behind Distributed tables.
//
// Reads and inserts go through Conn. On a cluster, Conn's tables are Distributed ones over a local
// MergeTree on every shard (Local names it), sharded so that one outlet's rows are on one shard
// (ClickHouseShardKeys). Inserts through Conn are synchronous (insert_distributed_sync = 1): an INSERT
// returns once every shard has its rows, so nothing acknowledged waits in a spool on the entry server.
// A query whose IN or JOIN subquery reads a table must say GLOBAL IN or GLOBAL … JOIN: ClickHouse
// refuses a subquery over a Distributed table inside a distributed query otherwise (its default
// distributed_product_mode = 'deny', and clickhouse-go cannot send string settings to 18.16); GLOBAL
// is the same as without it on one server.
// Partition operations, mutations, TRUNCATE and staging tables are per shard: EachShard runs them on
// every shard's local tables. With one server there is one shard, Conn itself, and Local(t) is t.
//
// The shards are found in the entry server's system.clusters, and reached with the entry DSN's user,
// password and database. A Cluster is safe for concurrent use.
//
// Replicas: when a shard of the cluster has more than one replica (Replicated), the local tables are
// Replicated* ones (Migrate) and the cluster definition must say internal_replication, so that an
// INSERT through a Distributed table writes to one replica of each shard and ZooKeeper replication
// copies it to the others. Which replica: the server profile's load_balancing = in_order
// (deploy/local/clickhouse.xml.in) makes it the first replica in the definition that answers, and a
// shard's Conn is opened on all its replicas in that order, so the per-shard operations run on the
// same replica as long as it answers; when it does not, both go to the next one. The entry Conn
// likewise falls over to the other servers of the cluster (each has the Distributed tables) when the
// entry server does not answer.
type Cluster struct {
	name       string // "" for one server
	dsn        string // of the entry server, as given
	database   string
	conn       driver.Conn
	shards     []Shard
	replicated bool
	owned      []driver.Conn // closed by Close
}

// Shard is one shard of a Cluster: its number (from 1), the address of its first replica, the
// addresses of all its replicas in the order of the cluster definition, and a connection that
// reaches the first of them that answers.
type Shard struct {
	Num      int
	Address  string   // host:port of the first replica
	Replicas []string // host:port of every replica, Address first
	Conn     driver.Conn
}

// SingleServer returns the Cluster of one server on conn. Close leaves conn open: the caller owns it.
func SingleServer(conn driver.Conn) *Cluster {
	return &Cluster{conn: conn, shards: []Shard{{Num: 1, Conn: conn}}}
}

// clusterSettings are sent with every query on a cluster's connections. insert_distributed_sync: an
// INSERT through a Distributed table returns once every shard holds its rows. insert_deduplicate = 0:
// a Replicated table would otherwise drop an INSERT whose block equals one of its last 100 (a second
// identical write, a re-import of the same file into staging); ordercast makes retries idempotent in
// its schema instead, as on one server. Both are integer settings, which clickhouse-go can send to
// 18.16 (the DSN's shard connections take them too; on unreplicated tables the second changes nothing).
//
// How long the entry server waits on another server of the cluster is the servers' own setting, not a
// query's: 18.16 builds its connection pools to the cluster's servers from the default profile's
// receive_timeout (deploy/local/clickhouse.xml.in sets 15 s, not 300; docs/OPERATIONS.md).
var clusterSettings = clickhouse.Settings{"insert_distributed_sync": 1, "insert_deduplicate": 0}

// OpenCluster connects to the ClickHouse named by dsn. With name empty that is one server; otherwise
// dsn names one server of the cluster name, whose shards are looked up and connected to as well.
func OpenCluster(ctx context.Context, dsn, name string) (*Cluster, error) {
	if name == "" {
		conn, err := OpenClickHouse(ctx, dsn)
		if err != nil {
			return nil, err
		}
		c := SingleServer(conn)
		c.owned = []driver.Conn{conn}
		return c, nil
	}
	if !validIdentifier(name) {
		return nil, fmt.Errorf("clickhouse cluster %q: use letters, digits and underscores", name)
	}
	conn, err := openClickHouse(ctx, dsn, clusterSettings)
	if err != nil {
		return nil, err
	}
	c := &Cluster{name: name, dsn: dsn, conn: conn, owned: []driver.Conn{conn}}
	replicas, err := ClusterReplicas(ctx, conn, name)
	if err != nil {
		c.Close()
		return nil, storeError("clickhouse", dsn, err)
	}
	for i, addrs := range replicas {
		sdsn, err := shardDSN(dsn, addrs...)
		if err != nil {
			c.Close()
			return nil, err
		}
		sc, err := openClickHouse(ctx, sdsn, clusterSettings)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("shard %d of cluster %s: %w", i+1, name, err)
		}
		c.owned = append(c.owned, sc)
		c.shards = append(c.shards, Shard{Num: i + 1, Address: addrs[0], Replicas: addrs, Conn: sc})
		c.replicated = c.replicated || len(addrs) > 1
	}
	if c.replicated {
		// The entry connection falls over to the other servers, each with the Distributed tables.
		if err := c.reopenEntry(ctx, dsn, replicas); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := c.conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&c.database); err != nil {
		c.Close()
		return nil, storeError("clickhouse", dsn, err)
	}
	return c, nil
}

// reopenEntry replaces the entry connection by one on dsn's server first and then every other server
// of the cluster (replicas, in shard and replica order): clickhouse-go dials them in that order.
func (c *Cluster) reopenEntry(ctx context.Context, dsn string, replicas [][]string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return storeError("clickhouse", dsn, fmt.Errorf("parse DSN: %w", err))
	}
	addrs := []string{u.Host}
	for _, shard := range replicas {
		for _, a := range shard {
			if a != u.Host {
				addrs = append(addrs, a)
			}
		}
	}
	edsn, err := shardDSN(dsn, addrs...)
	if err != nil {
		return err
	}
	conn, err := openClickHouse(ctx, edsn, clusterSettings)
	if err != nil {
		return err
	}
	c.conn.Close()
	c.conn, c.owned[0] = conn, conn
	return nil
}

// ClusterShards returns the address (host:port, native protocol) of the first replica of every shard
// of cluster name, in shard order, as the server on conn knows them.
func ClusterShards(ctx context.Context, conn driver.Conn, name string) ([]string, error) {
	replicas, err := ClusterReplicas(ctx, conn, name)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(replicas))
	for i, r := range replicas {
		out[i] = r[0]
	}
	return out, nil
}

// ClusterReplicas returns the addresses (host:port, native protocol) of every replica of every shard
// of cluster name, in shard order and, within a shard, in the order of the cluster definition, as
// the server on conn knows them.
func ClusterReplicas(ctx context.Context, conn driver.Conn, name string) ([][]string, error) {
	rows, err := conn.Query(ctx, `SELECT shard_num, host_address, port FROM system.clusters
		WHERE cluster = ? ORDER BY shard_num, replica_num`, name)
	if err != nil {
		return nil, fmt.Errorf("list the shards of cluster %s: %w", name, err)
	}
	defer rows.Close()
	var out [][]string
	last := uint32(0)
	for rows.Next() {
		var num uint32
		var host string
		var port uint16
		if err := rows.Scan(&num, &host, &port); err != nil {
			return nil, fmt.Errorf("list the shards of cluster %s: %w", name, err)
		}
		addr := net.JoinHostPort(host, strconv.Itoa(int(port)))
		if num != last || len(out) == 0 {
			out = append(out, nil)
			last = num
		}
		out[len(out)-1] = append(out[len(out)-1], addr)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the shards of cluster %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s is not in the server's remote_servers", ErrNoCluster, name)
	}
	return out, nil
}

// shardDSN is dsn with its host and port replaced by addrs, which clickhouse-go dials in order.
func shardDSN(dsn string, addrs ...string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", storeError("clickhouse", dsn, fmt.Errorf("parse DSN: %w", err))
	}
	u.Host = strings.Join(addrs, ",")
	return u.String(), nil
}

// Name returns the cluster's name, "" for one server.
func (c *Cluster) Name() string { return c.name }

// Sharded reports whether the tables are Distributed ones over shards (a cluster was configured).
func (c *Cluster) Sharded() bool { return c.name != "" }

// Replicated reports whether a shard of the cluster has more than one replica: the local tables are
// then Replicated* ones.
func (c *Cluster) Replicated() bool { return c.replicated }

// Conn returns the connection that reads and inserts go through.
func (c *Cluster) Conn() driver.Conn { return c.conn }

// Shards returns every shard, in order; one server is one shard.
func (c *Cluster) Shards() []Shard { return c.shards }

// Local returns the name of table's local table on each shard: table itself on one server.
func (c *Cluster) Local(table string) string {
	if c.Sharded() {
		return table + LocalSuffix
	}
	return table
}

// EachShard calls fn with every shard's connection in turn, stopping at the first error, which it
// returns naming the shard. fn works on local tables (Local).
func (c *Cluster) EachShard(ctx context.Context, fn func(ctx context.Context, conn driver.Conn) error) error {
	for _, s := range c.shards {
		if err := fn(ctx, s.Conn); err != nil {
			if c.Sharded() {
				return fmt.Errorf("shard %d (%s): %w", s.Num, s.Address, err)
			}
			return err
		}
	}
	return nil
}

// CheckLayout returns an error wrapping ErrLayout when the schema's table sales is Distributed but
// the Cluster is one server, or the other way round. A schema without sales passes.
func (c *Cluster) CheckLayout(ctx context.Context) error {
	var engine string
	err := c.conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = 'sales'").
		Scan(&engine)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("clickhouse: read the engine of sales: %w", err)
	}
	switch distributed := engine == "Distributed"; {
	case distributed && !c.Sharded():
		return fmt.Errorf("%w: the tables are Distributed over a cluster; name it (-ch-cluster, ORDERCAST_CH_CLUSTER)", ErrLayout)
	case !distributed && c.Sharded():
		return fmt.Errorf("%w: cluster %s is configured but sales is a %s table, created for one server", ErrLayout, c.name, engine)
	}
	if !c.replicated {
		return nil
	}
	// Unreplicated local tables under replicas would keep each write on the one replica it reached.
	return c.EachShard(ctx, func(ctx context.Context, conn driver.Conn) error {
		var local string
		if err := conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = ?",
			c.Local("sales")).Scan(&local); err != nil {
			return fmt.Errorf("clickhouse: read the engine of %s: %w", c.Local("sales"), err)
		}
		if !strings.HasPrefix(local, "Replicated") {
			return fmt.Errorf("%w: cluster %s has replicas but %s is a %s table, created without them", ErrLayout,
				c.name, c.Local("sales"), local)
		}
		return nil
	})
}

// SyncReplica waits until the replica conn is on has fetched every part its shard's other replicas
// wrote to the local tables of tables (SYSTEM SYNC REPLICA, for up to 300 s: SyncReplicaContext):
// a per-shard operation that reads a local table written through a Distributed one (REPLACE
// PARTITION from a staging table) then sees every acknowledged row, whichever replica took it. It
// does nothing without replicas.
func (c *Cluster) SyncReplica(ctx context.Context, conn driver.Conn, tables ...string) error {
	if !c.replicated {
		return nil
	}
	ctx = SyncReplicaContext(ctx)
	for _, t := range tables {
		if err := conn.Exec(ctx, "SYSTEM SYNC REPLICA "+c.Local(t)); err != nil {
			return fmt.Errorf("sync the replica of %s: %w", c.Local(t), err)
		}
	}
	return nil
}

// SyncReplicaContext returns ctx carrying the setting receive_timeout = 300 (seconds) for its
// queries: 18.16 bounds SYSTEM SYNC REPLICA by the query's receive_timeout, which the servers' profile
// sets to 15 s for another server's next packet (deploy/local/clickhouse.xml.in); a replica catching
// up after a restart may need longer.
func SyncReplicaContext(ctx context.Context) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"receive_timeout": 300}))
}

// Close closes the connections the Cluster opened.
func (c *Cluster) Close() error {
	var errs []error
	for _, conn := range c.owned {
		errs = append(errs, conn.Close())
	}
	c.owned = nil
	return errors.Join(errs...)
}

// CreateClickHouseClusterDatabase creates the database named in dsn, if it does not exist yet, on the
// server dsn names and, with cluster not empty, on every replica of every shard of the cluster.
func CreateClickHouseClusterDatabase(ctx context.Context, dsn, cluster string) error {
	if err := CreateClickHouseDatabase(ctx, dsn); err != nil || cluster == "" {
		return err
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return storeError("clickhouse", dsn, fmt.Errorf("parse DSN: %w", err))
	}
	u.Path = "/default"
	conn, err := OpenClickHouse(ctx, u.String())
	if err != nil {
		return err
	}
	replicas, err := ClusterReplicas(ctx, conn, cluster)
	conn.Close()
	if err != nil {
		return storeError("clickhouse", dsn, err)
	}
	for _, shard := range replicas {
		for _, addr := range shard {
			sdsn, err := shardDSN(dsn, addr)
			if err != nil {
				return err
			}
			if err := CreateClickHouseDatabase(ctx, sdsn); err != nil {
				return err
			}
		}
	}
	return nil
}

// ExecEachShard runs query with args on every shard (EachShard); it names local tables (Local).
func (c *Cluster) ExecEachShard(ctx context.Context, query string, args ...any) error {
	return c.EachShard(ctx, func(ctx context.Context, conn driver.Conn) error { return conn.Exec(ctx, query, args...) })
}

// WaitMutations waits until no mutation of the local tables is pending on any shard, polling every
// 50 ms, or until ctx ends.
func (c *Cluster) WaitMutations(ctx context.Context, tables ...string) error {
	local := make([]string, len(tables))
	for i, t := range tables {
		local[i] = c.Local(t)
	}
	return c.EachShard(ctx, func(ctx context.Context, conn driver.Conn) error {
		for {
			var pending uint64
			err := conn.QueryRow(ctx, "SELECT count() FROM system.mutations WHERE database = currentDatabase() "+
				"AND has(?, table) AND is_done = 0", local).Scan(&pending)
			if err != nil {
				return err
			}
			if pending == 0 {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

// ReplicaState is what one server of a replicated cluster says of the Replicated tables of the
// cluster's database (system.replicas).
type ReplicaState struct {
	Shard, Replica int    // from 1
	Address        string // host:port
	Up             bool   // it answered; the fields below are zero otherwise
	Delay          time.Duration
	ReadOnly       int // tables in read-only mode: no ZooKeeper session, every INSERT into them fails
	Queue          int // replication queue entries (parts to fetch or merge) not yet done
}

// ReplicaStates asks every server of a replicated cluster for its replicas' state, through the entry
// connection (remote() over system.replicas): one small query a server, all at once, each given
// ReplicaProbeTimeout. Delay is the largest absolute_delay of its tables, how far behind the newest
// part of its shard it may be. A server that does not answer in time (stopped, or hung: its port
// accepts connections but nothing answers) is reported with Up false. Without replicas it returns
// nothing.
func (c *Cluster) ReplicaStates(ctx context.Context) []ReplicaState {
	if !c.replicated {
		return nil
	}
	var out []ReplicaState
	for _, s := range c.shards {
		for i, addr := range s.Replicas {
			out = append(out, ReplicaState{Shard: s.Num, Replica: i + 1, Address: addr})
		}
	}
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func(st *ReplicaState) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, ReplicaProbeTimeout)
			defer cancel()
			var delay, readonly, queue uint64
			err := c.conn.QueryRow(ctx, "SELECT max(absolute_delay), countIf(is_readonly), sum(queue_size) "+
				"FROM remote(?, system.replicas) WHERE database = ?", st.Address, c.database).Scan(&delay, &readonly, &queue)
			if err == nil {
				st.Up, st.Delay, st.ReadOnly, st.Queue = true, time.Duration(delay)*time.Second, int(readonly), int(queue)
			}
		}(&out[i])
	}
	wg.Wait()
	return out
}

// ReplicaProbeTimeout bounds each server's answer to ReplicaStates.
const ReplicaProbeTimeout = 3 * time.Second
