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

// ClickHouseCluster is a set of private clickhouse-server processes on loopback, one a shard, each
// knowing all of them as the cluster ClusterName (no replicas), like deploy/local/up.sh with
// ORDERCAST_CH_SHARDS set.
type ClickHouseCluster struct {
	t       testing.TB
	Servers []*ClickHouseServer
}

// StartClickHouseCluster starts shards private servers as one cluster and stops them when the test
// ends.
func StartClickHouseCluster(t testing.TB, shards int) *ClickHouseCluster {
	t.Helper()
	SkipShort(t)
	ports := make([]int, shards)
	var remote strings.Builder
	fmt.Fprintf(&remote, "<remote_servers><%s>", ClusterName)
	for i := range ports {
		ports[i] = freePort(t)
		fmt.Fprintf(&remote, "<shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard>", ports[i])
	}
	fmt.Fprintf(&remote, "</%s></remote_servers>", ClusterName)
	c := &ClickHouseCluster{t: t}
	for _, port := range ports {
		s := newClickHouseServer(t, port, remote.String())
		s.Start()
		t.Cleanup(s.Stop)
		c.Servers = append(c.Servers, s)
	}
	return c
}

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
