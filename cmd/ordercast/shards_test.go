package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/ordering"
	orderingpg "github.com/ordercast/ordercast/ordering/postgres"
)

// shardLayout is one way of running ClickHouse for TestTwoShardsGiveTheResultsOfOne.
type shardLayout struct {
	name    string
	pg, ch  string
	cluster []string // -ch-cluster and its value, or nothing
}

func (l shardLayout) chArgs() []string { return append([]string{"-ch-dsn", l.ch}, l.cluster...) }
func (l shardLayout) storeArgs() []string {
	return append([]string{"-pg-dsn", l.pg}, l.chArgs()...)
}

// The same small region seeded on one ClickHouse server and on a cluster of two shards behind
// Distributed tables (made by `ordercast migrate -ch-cluster`) gives the same history, forecasts,
// allocations, scores and bulletin; on the cluster every shard holds a share of the history, each
// outlet on one shard.
func TestTwoShardsGiveTheResultsOfOne(t *testing.T) {
	storestest.SkipShort(t)
	one := shardLayout{name: "one server", pg: storestest.MigratedPostgresDSN(t), ch: storestest.MigratedClickHouseDSN(t)}
	cluster := storestest.StartClickHouseCluster(t, 2)
	two := shardLayout{name: "two shards", pg: storestest.MigratedPostgresDSN(t), ch: cluster.DSN(),
		cluster: []string{"-ch-cluster", storestest.ClusterName}}
	for i := range 2 { // the second run has nothing to do
		out, stderr, err := runCmd(t, append([]string{"migrate"}, two.storeArgs()...)...)
		if err != nil {
			t.Fatalf("migrate -ch-cluster (run %d): %v\n%s%s", i+1, err, out, stderr)
		}
	}
	// A cluster's schema opened as one server is refused, with the flag to give.
	if _, _, err := runCmd(t, "forecast", "run", "-ch-dsn", two.ch, "-as-of", "2026-09-28"); err == nil ||
		!strings.Contains(err.Error(), "-ch-cluster") {
		t.Errorf("forecast run on the cluster's schema without -ch-cluster = %v; want an error naming -ch-cluster", err)
	}

	got := map[string]map[string]any{}
	for _, l := range []shardLayout{one, two} {
		got[l.name] = layoutResults(t, l)
	}
	for what, want := range got[one.name] {
		if diffs := compareJSON(what, want, got[two.name][what]); len(diffs) > 0 {
			t.Errorf("%s differs between one server and two shards:\n%s", what, strings.Join(diffs[:min(len(diffs), 10)], "\n"))
		}
	}
	if rows := got[one.name]["forecasts"].([]any); len(rows) == 0 {
		t.Error("the forecast run stored no forecast; want some to compare")
	}
	if rows := got[one.name]["stored allocation"].([]any); len(rows) == 0 {
		t.Error("the allocation stored no limit; want some to compare")
	}

	// On the cluster each shard holds part of the history, each outlet's rows on one shard.
	cl := storestest.OpenCluster(t, two.ch, storestest.ClusterName)
	checkSpread(t, cl, "sales", "outlet", true)
	checkSpread(t, cl, "forecasts", "outlet", true)
	checkSpread(t, cl, "scans", "outlet", false) // only the few collection points scan
	checkSpread(t, cl, "allocations", "outlet", false)
}

// layoutResults seeds a small region on the layout's stores, runs a forecast, a scoring, two
// allocations and a bulletin on it, and returns what they print and what they stored, by name.
func layoutResults(t *testing.T, l shardLayout) map[string]any {
	t.Helper()
	res := map[string]any{}
	step := func(what string, args ...string) string {
		t.Helper()
		out, stderr, err := runCmd(t, args...)
		if err != nil {
			t.Fatalf("%s: %s: %v\n%s%s", l.name, what, err, out, stderr)
		}
		return out
	}
	step("seed", append([]string{"seed", "-outlets", "40", "-brands", "10", "-weeks", "60", "-as-of", "2026-11-22"},
		l.storeArgs()...)...)
	step("forecast run", append([]string{"forecast", "run", "-as-of", "2026-09-28", "-horizon", "6"}, l.chArgs()...)...)
	res["score"] = decodeJSON(t, step("score", append([]string{"score", "-month", "2026-10", "-json"}, l.chArgs()...)...))

	week := openNextCycle(t, l.pg)
	step("forecast run for the cycle", append([]string{"forecast", "run", "-as-of", week, "-horizon", "2"}, l.chArgs()...)...)
	brand := seededBrands(t, l.pg, 1)[0]
	res["allocation by demand"] = decodeJSON(t, step("allocate", append([]string{"allocate", "-cycle", week,
		"-brand", brand, "-supply", "60", "-mode", "demand", "-json"}, l.storeArgs()...)...))
	res["allocation by price band"] = decodeJSON(t, step("allocate by price band", append([]string{"allocate",
		"-cycle", week, "-price-class", "3", "-supply", "40", "-mode", "price_band", "-dry-run", "-json"}, l.storeArgs()...)...))
	res["bulletin"] = decodeJSON(t, step("bulletin", append([]string{"bulletin", "-date", "2026-11-20", "-level", "manager",
		"-json"}, l.storeArgs()...)...))

	conn := storestest.OpenClickHouse(t, l.ch)
	for name, query := range map[string]string{
		"sales":       "SELECT count(), sum(requested), sum(granted), sum(delivered), uniqExact(outlet) FROM sales",
		"true demand": "SELECT count(), sum(demand) FROM true_demand",
		"scans":       "SELECT count(), sum(qty) FROM scans",
		"dimensions":  "SELECT (SELECT count() FROM outlets_dim), (SELECT count() FROM brands_dim), (SELECT count() FROM calendar)",
		"forecasts": "SELECT level, outlet, brand, toString(week), model, point, lo80, hi80 FROM forecasts " +
			"WHERE as_of = toDate('2026-09-28') ORDER BY level, outlet, brand, week",
		"monthly forecasts": "SELECT level, outlet, brand, toString(month), point FROM forecasts_monthly " +
			"WHERE as_of = toDate('2026-09-28') ORDER BY level, outlet, brand, month",
		// FINAL through a Distributed table on 18.16 needs the sorting key and version among the columns read.
		"stored scores": "SELECT level, key, actual, forecast, accuracy FROM (SELECT month, dataset, against, level, key, " +
			"actual, forecast, accuracy, scored_at FROM accuracy_scores FINAL) ORDER BY level, key",
		"stored allocation": "SELECT outlet, mode, grade, demand, quota, limit_cartons, explanation FROM allocations " +
			"ORDER BY outlet",
	} {
		res[name] = queryRows(t, conn, query)
	}
	return res
}

// openNextCycle adds the cycle of the week after the latest one, its order windows open for a month
// from now, and returns its Monday as YYYY-MM-DD: an allocation is published into an open cycle.
func openNextCycle(t *testing.T, pgDSN string) string {
	t.Helper()
	ctx := context.Background()
	pool := storestest.OpenPostgres(t, pgDSN)
	var last time.Time
	if err := pool.QueryRow(ctx, "SELECT max(week_start) FROM cycles").Scan(&last); err != nil {
		t.Fatal(err)
	}
	week := last.AddDate(0, 0, 7)
	now := time.Now()
	var windows []ordering.Window
	for d := time.Sunday; d <= time.Saturday; d++ {
		windows = append(windows, ordering.Window{OrderDay: d, OpensAt: now.Add(-time.Hour), ClosesAt: now.AddDate(0, 1, 0)})
	}
	if _, err := orderingpg.New(pool).EnsureCycle(ctx, week, windows); err != nil {
		t.Fatal(err)
	}
	return week.Format(time.DateOnly)
}

// checkSpread fails the test if a value of column (but "") is on two shards of the cluster's table or,
// with everywhere, if a shard holds none of its rows.
func checkSpread(t *testing.T, cl *stores.Cluster, table, column string, everywhere bool) {
	t.Helper()
	ctx := context.Background()
	on := map[string]int{}
	for _, s := range cl.Shards() {
		rows, err := s.Conn.Query(ctx, "SELECT DISTINCT "+column+" FROM "+cl.Local(table))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			if prev, ok := on[v]; ok && v != "" {
				t.Errorf("%s: %s %q is on shards %d and %d; want one", table, column, v, prev, s.Num)
			}
			on[v] = s.Num
			n++
		}
		rows.Close()
		if n == 0 && everywhere {
			t.Errorf("%s: shard %d holds no rows; want a share", table, s.Num)
		}
	}
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

// queryRows returns the rows of query, one []any a row: floats as float64, anything else as its
// fmt.Sprint.
func queryRows(t *testing.T, conn driver.Conn, query string) []any {
	t.Helper()
	rows, err := conn.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	var out []any
	for rows.Next() {
		dest := make([]any, len(types))
		for i, ct := range types {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		row := make([]any, len(dest))
		for i, d := range dest {
			switch v := reflect.ValueOf(d).Elem().Interface().(type) {
			case float64:
				row[i] = v
			case float32:
				row[i] = float64(v)
			default:
				row[i] = fmt.Sprint(v)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// compareJSON lists where got differs from want: numbers by more than a relative 1e-9 (sums over
// shards add in another order), anything else at all. Keys that name a run or an allocation, or say
// when or how long, differ by nature and are skipped.
func compareJSON(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %v; want an object", path, got)}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var diffs []string
		for _, k := range keys {
			if k == "id" || k == "forecast_run" || k == "seconds" || strings.HasSuffix(k, "_id") || strings.HasSuffix(k, "_at") {
				continue
			}
			diffs = append(diffs, compareJSON(path+"."+k, w[k], g[k])...)
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: %d elements %.200v; want %d %.200v", path, len(g), got, len(w), want)}
		}
		var diffs []string
		for i := range w {
			diffs = append(diffs, compareJSON(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return diffs
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
			return []string{fmt.Sprintf("%s: %v; want %v", path, got, want)}
		}
		return nil
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			return []string{fmt.Sprintf("%s: %v; want %v", path, got, want)}
		}
		return nil
	}
}
