package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
	retailerch "github.com/ordercast/ordercast/retailer/clickhouse"
)

// replicatedTables are the tables whose copies on the replicas of a shard are compared (the history,
// the forecasts and what was computed from them, the scans, imported holidays), with the column whose
// hashes are summed.
var replicatedTables = map[string]string{"sales": "outlet", "true_demand": "outlet", "scans": "outlet",
	"forecasts": "outlet", "forecasts_by_brand": "outlet", "allocations": "outlet", "holidays": "holiday"}

// replicaFingerprints returns, for every server of the cluster, the row count and a sum of outlet
// hashes of each local table in replicatedTables, after SYSTEM SYNC REPLICA on the server.
func replicaFingerprints(t *testing.T, cluster *storestest.ClickHouseCluster) []map[string]string {
	t.Helper()
	out, err := syncedFingerprints(t, cluster)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// syncedFingerprints is replicaFingerprints, returning the first error of a server instead of failing
// the test: a server that just lost its ZooKeeper session refuses SYSTEM SYNC REPLICA for a while.
func syncedFingerprints(t *testing.T, cluster *storestest.ClickHouseCluster) ([]map[string]string, error) {
	t.Helper()
	ctx := stores.SyncReplicaContext(context.Background())
	out := make([]map[string]string, len(cluster.Servers))
	for i, s := range cluster.Servers {
		conn := storestest.OpenClickHouse(t, s.DatabaseDSN(cluster.DSN()))
		out[i] = map[string]string{}
		for table, column := range replicatedTables {
			if err := conn.Exec(ctx, "SYSTEM SYNC REPLICA "+table+"_local"); err != nil {
				return nil, fmt.Errorf("server %d: sync %s: %w", i+1, table, err)
			}
			var n, sum uint64
			if err := conn.QueryRow(ctx, "SELECT count(), sum(sipHash64("+column+")) FROM "+table+"_local").Scan(&n, &sum); err != nil {
				return nil, fmt.Errorf("server %d: %s: %w", i+1, table, err)
			}
			out[i][table] = fmt.Sprintf("%d rows, %s hash %d", n, column, sum)
		}
	}
	return out, nil
}

// checkReplicasAlike fails the test unless both replicas of each of the two shards hold the same rows.
func checkReplicasAlike(t *testing.T, cluster *storestest.ClickHouseCluster) {
	t.Helper()
	compareReplicas(t, replicaFingerprints(t, cluster))
}

// compareReplicas fails the test unless the fingerprints of both replicas of each of the two shards
// are the same.
func compareReplicas(t *testing.T, fp []map[string]string) {
	t.Helper()
	for shard := 1; shard <= 2; shard++ {
		r1, r2 := fp[shard-1], fp[2+shard-1] // replica r of shard s is Servers[(r-1)·2 + s-1]
		for table := range replicatedTables {
			if r1[table] != r2[table] {
				t.Errorf("shard %d, %s: replica 1 holds %s, replica 2 %s; want the same", shard, table, r1[table], r2[table])
			}
		}
		if strings.HasPrefix(r1["sales"], "0 rows") {
			t.Errorf("shard %d holds no sales; want a share", shard)
		}
	}
}

// The same small region on one ClickHouse server and on two shards of two replicas each (ZooKeeper,
// Replicated* local tables made by `ordercast migrate -ch-cluster`) gives the same history,
// forecasts, allocations, scores and bulletin, and both replicas of a shard hold the same rows. With
// one replica of a shard stopped, the bulletin reads the same and scan batches are accepted; nothing
// acknowledged is missing, and the replica, started again, catches up.
func TestReplicasGiveTheResultsOfOne(t *testing.T) {
	storestest.SkipShort(t)
	ctx := context.Background()
	cluster := storestest.StartClickHouseReplicas(t, 2, 2)
	one := shardLayout{name: "one server", pg: storestest.MigratedPostgresDSN(t), ch: storestest.MigratedClickHouseDSN(t)}
	two := shardLayout{name: "two shards of two replicas", pg: storestest.MigratedPostgresDSN(t), ch: cluster.DSN(),
		cluster: []string{"-ch-cluster", storestest.ClusterName}}
	for i := range 2 { // the second run has nothing to do
		out, stderr, err := runCmd(t, append([]string{"migrate"}, two.storeArgs()...)...)
		if err != nil {
			t.Fatalf("migrate -ch-cluster (run %d): %v\n%s%s", i+1, err, out, stderr)
		}
	}
	got := map[string]map[string]any{}
	for _, l := range []shardLayout{one, two} {
		got[l.name] = layoutResults(t, l)
	}
	for what, want := range got[one.name] {
		if diffs := compareJSON(what, want, got[two.name][what]); len(diffs) > 0 {
			t.Errorf("%s differs between one server and two shards of two replicas:\n%s", what,
				strings.Join(diffs[:min(len(diffs), 10)], "\n"))
		}
	}
	if rows := got[one.name]["forecasts"].([]any); len(rows) == 0 {
		t.Error("the forecast run stored no forecast; want some to compare")
	}
	// Imports stage through the Distributed tables and swap on each shard; the same file twice
	// replaces the dataset (identical blocks are not deduplicated away).
	history := writeFile(t, "train.csv", walmartCSV)
	holidays := writeFile(t, "holidays.csv", "date,name\n2010-02-12,Super Bowl\n2010-09-10,Labor Day\n")
	importBoth := func(when string) {
		t.Helper()
		for i := range 2 {
			if _, stderr, err := runCmd(t, append(walmartArgs(two.ch, history, "walmart"), two.cluster...)...); err != nil {
				t.Fatalf("%s: import history #%d: %v (%s)", when, i+1, err, stderr)
			}
			if _, stderr, err := runCmd(t, append([]string{"import", "holidays", "-dataset", "walmart", "-csv", holidays,
				"-ch-dsn", two.ch}, two.cluster...)...); err != nil {
				t.Fatalf("%s: import holidays #%d: %v (%s)", when, i+1, err, stderr)
			}
		}
		var n, days uint64
		var total float64
		conn := storestest.OpenClickHouse(t, two.ch)
		if err := conn.QueryRow(ctx, "SELECT count(), sum(delivered) FROM sales WHERE dataset = 'walmart'").Scan(&n, &total); err != nil ||
			n != 4 || total != 71054 {
			t.Errorf("%s: sales of walmart = %d rows, sum %v, %v; want 4 rows, sum 71054", when, n, total, err)
		}
		if err := conn.QueryRow(ctx, "SELECT count() FROM holidays WHERE dataset = 'walmart'").Scan(&days); err != nil || days != 2 {
			t.Errorf("%s: holidays of walmart = %d, %v; want 2", when, days, err)
		}
	}
	importBoth("every replica up")
	checkReplicasAlike(t, cluster)

	cl := storestest.OpenCluster(t, two.ch, storestest.ClusterName)
	scans := retailerch.NewOnCluster(cl)
	const batches, perBatch = 40, 5
	writeScans := func(prefix string) time.Duration {
		t.Helper()
		now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		start := time.Now()
		for i := range batches {
			outlet := fmt.Sprintf("R%03d", i) // spread over both shards by the outlet's hash
			b := retailer.ScanBatch{Outlet: outlet, ID: prefix + outlet, Received: now}
			for r := range perBatch {
				b.Rows = append(b.Rows, retailer.Scan{Outlet: outlet, Brand: fmt.Sprintf("B%d", r), Kind: retailer.SellOut,
					At: now.Add(-time.Duration(r+1) * time.Hour), Qty: float64(r + 1)})
			}
			if res, err := scans.WriteScanBatch(ctx, b); err != nil || res.Accepted != perBatch {
				t.Fatalf("scan batch %s%s: %+v, %v; want %d rows accepted", prefix, outlet, res, err, perBatch)
			}
		}
		return time.Since(start)
	}
	upTook := writeScans("replicas-up-")

	// Replica 1 of shard 2 stops: the entry server reads and writes that shard on replica 2.
	metrics, err := newReplicaMetrics(prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	value := func(g prometheus.Gauge) float64 {
		var m dto.Metric
		if err := g.Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetGauge().GetValue()
	}
	gauges := func() string {
		return fmt.Sprintf("down %v, read-only %v", value(metrics.down), value(metrics.readonly))
	}
	metrics.observe(ctx, cl)
	if got := gauges(); got != "down 0, read-only 0" {
		t.Errorf("replica gauges with every replica up: %s; want down 0, read-only 0", got)
	}
	down := cluster.Replica(2, 1)
	down.Stop()
	metrics.observe(ctx, cl)
	if got := gauges(); got != "down 1, read-only 0" {
		t.Errorf("replica gauges with a replica down: %s; want down 1, read-only 0", got)
	}
	out, stderr, err := runCmd(t, append([]string{"bulletin", "-date", "2026-11-20", "-level", "manager", "-json"},
		two.storeArgs()...)...)
	if err != nil {
		t.Fatalf("bulletin with a replica down: %v\n%s%s", err, out, stderr)
	}
	if diffs := compareJSON("bulletin", got[one.name]["bulletin"], decodeJSON(t, out)); len(diffs) > 0 {
		t.Errorf("the bulletin with a replica down differs:\n%s", strings.Join(diffs[:min(len(diffs), 10)], "\n"))
	}
	before, _, _, err := scans.ScanRows(ctx)
	if err != nil {
		t.Fatalf("count scans with a replica down: %v", err)
	}
	downTook := writeScans("replica-down-")
	importBoth("a replica down")
	t.Logf("%d scan batches of %d rows acknowledged in %s with every replica up, %s with replica 1 of shard 2 down",
		batches, perBatch, upTook.Round(time.Millisecond), downTook.Round(time.Millisecond))
	after, _, _, err := scans.ScanRows(ctx)
	if err != nil || after != before+batches*perBatch {
		t.Errorf("scans with a replica down: %d rows (%v), %d before; want %d more", after, err, before, batches*perBatch)
	}

	// Started again, the replica fetches what it missed.
	down.Start()
	start := time.Now()
	checkReplicasAlike(t, cluster)
	t.Logf("the restarted replica caught up (SYSTEM SYNC REPLICA on every server) in %s", time.Since(start).Round(time.Millisecond))
	metrics.observe(ctx, cl)
	if got := gauges(); got != "down 0, read-only 0" {
		t.Errorf("replica gauges after the replica's return: %s; want down 0, read-only 0", got)
	}
	if n, _, _, err := scans.ScanRows(ctx); err != nil || n != after {
		t.Errorf("scans after the replica's return: %d rows, %v; want %d", n, err, after)
	}
}
