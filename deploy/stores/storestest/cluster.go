package storestest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores"
)

// ClusterName is the name of the cluster StartClickHouseCluster defines, as deploy/local/up.sh does.
const ClusterName = "ordercast"

// ClickHouseCluster is a set of private clickhouse-server processes on loopback, each knowing all of
// them as the cluster ClusterName, like deploy/local/up.sh with ORDERCAST_CH_SHARDS (and
// ORDERCAST_CH_REPLICAS) set: one server a shard (StartClickHouseCluster), or several replicas a shard
// over a private ZooKeeper (StartClickHouseReplicas).
type ClickHouseCluster struct {
	t         testing.TB
	shards    int
	Servers   []*ClickHouseServer // replica r of shard s (from 1) is Servers[(r-1)·shards + s-1]
	ZooKeeper *ZooKeeper          // nil without replicas
}

// StartClickHouseCluster starts shards private servers as one cluster (no replicas) and stops them
// when the test ends.
func StartClickHouseCluster(t testing.TB, shards int) *ClickHouseCluster {
	t.Helper()
	return StartClickHouseReplicas(t, shards, 1)
}

// StartClickHouseReplicas starts shards × replicas private servers as one cluster and stops them when
// the test ends. With more than one replica it starts a private ZooKeeper first (StartZooKeeper:
// skipped without Debian's zookeeper package, except in CI), gives every shard internal_replication
// and every server its macros {shard} (1, 2, …) and {replica} (r1, r2, …) and an interserver port.
func StartClickHouseReplicas(t testing.TB, shards, replicas int) *ClickHouseCluster {
	t.Helper()
	SkipShort(t)
	c := &ClickHouseCluster{t: t, shards: shards}
	if replicas > 1 {
		c.ZooKeeper = StartZooKeeper(t)
	}
	ports := make([]int, shards*replicas)
	for i := range ports {
		ports[i] = freePort(t)
	}
	var remote strings.Builder
	fmt.Fprintf(&remote, "<remote_servers><%s>", ClusterName)
	for s := range shards {
		remote.WriteString("<shard>")
		if replicas > 1 {
			remote.WriteString("<internal_replication>true</internal_replication>")
		}
		for r := range replicas {
			fmt.Fprintf(&remote, "<replica><host>127.0.0.1</host><port>%d</port></replica>", ports[r*shards+s])
		}
		remote.WriteString("</shard>")
	}
	fmt.Fprintf(&remote, "</%s></remote_servers>", ClusterName)
	for i, port := range ports {
		config := remote.String()
		if replicas > 1 {
			config += fmt.Sprintf("<zookeeper><node><host>127.0.0.1</host><port>%d</port></node>"+
				"<session_timeout_ms>30000</session_timeout_ms></zookeeper>"+
				"<macros><shard>%d</shard><replica>r%d</replica></macros>"+
				"<interserver_http_host>127.0.0.1</interserver_http_host><interserver_http_port>%d</interserver_http_port>",
				c.ZooKeeper.Port, i%shards+1, i/shards+1, freePort(t))
		}
		s := newClickHouseServer(t, port, config)
		s.Start()
		t.Cleanup(s.Stop)
		c.Servers = append(c.Servers, s)
	}
	return c
}

// Replica returns replica r of shard s, both counted from 1.
func (c *ClickHouseCluster) Replica(s, r int) *ClickHouseServer { return c.Servers[(r-1)*c.shards+s-1] }

// DSN is the DSN of the database ordercast on the first server, the cluster's entry.
func (c *ClickHouseCluster) DSN() string {
	return strings.TrimSuffix(c.Servers[0].DSN(), "/default") + "/ordercast"
}

// Migrated creates the database ordercast on every shard, migrates it as a cluster (local tables and
// Distributed ones over them) and returns the Cluster opened on it, closed when the test ends.
func (c *ClickHouseCluster) Migrated() *stores.Cluster {
	c.t.Helper()
	ctx := context.Background()
	if err := stores.CreateClickHouseClusterDatabase(ctx, c.DSN(), ClusterName); err != nil {
		c.t.Fatal(err)
	}
	cl := OpenCluster(c.t, c.DSN(), ClusterName)
	migrations, err := stores.ClickHouseMigrations()
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := cl.Migrate(ctx, migrations); err != nil {
		c.t.Fatalf("migrate the cluster: %v", err)
	}
	return cl
}

// OpenCluster opens the Cluster name (one server when name is empty) at dsn, closed when the test ends.
func OpenCluster(t testing.TB, dsn, name string) *stores.Cluster {
	t.Helper()
	cl, err := stores.OpenCluster(context.Background(), dsn, name)
	if err != nil {
		t.Fatalf("%v\n%s", err, howToStart)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}
