package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// serve warms what the planner's and the supply pages keep in memory: once the warmer has run, the
// cycle page of the latest closed cycle, the supply balance and the accuracy page of the latest
// scored month are served without a computation of their own (ordercast_kept_computations_total by
// request stays as it was), while the page of a cycle the warmer leaves alone computes its view.
func TestServeWarmsKeptFigures(t *testing.T) {
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	for _, args := range [][]string{
		{"seed", "-outlets", "40", "-brands", "8", "-weeks", "12", "-as-of", "2026-11-22", "-pg-dsn", pg},
		{"forecast", "run", "-as-of", "2026-09-28", "-horizon", "6"},
		{"score", "-month", "2026-10"},
	} {
		if _, stderr, err := run(append(args, "-ch-dsn", ch)...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
	}
	latest, older := closedCycles(t, pg)
	s := startServe(t, "-pg-dsn", pg, "-ch-dsn", ch)
	planner := pageSession(t, s.url, "planner")

	eventually(t, time.Minute, "every kind warmed", func() bool {
		m := keptComputations(t, s.url)
		return m["cycle_view/warm"] >= 1 && m["sales_week/warm"] >= salesWarmWeeks && m["actual_weeks/warm"] >= 2
	})
	before := keptComputations(t, s.url)
	pageBody(t, planner, s.url+"/planner/cycles/"+latest, `id="supply"`)
	pageBody(t, planner, s.url+"/supply/balance")
	pageBody(t, planner, s.url+"/planner/accuracy?month=2026-10", `"weeks"`)
	after := keptComputations(t, s.url)
	for _, kept := range []string{"cycle_view", "sales_week", "actual_weeks"} {
		if k := kept + "/request"; after[k] != before[k] {
			t.Errorf("%s computed by requests: %v before the pages, %v after; want none: the warmer keeps them", kept, before[k], after[k])
		}
	}

	// A cycle the warmer leaves alone: its page computes the view.
	pageBody(t, planner, s.url+"/planner/cycles/"+older, `id="supply"`)
	if got := keptComputations(t, s.url)["cycle_view/request"]; got != after["cycle_view/request"]+1 {
		t.Errorf("cycle views computed by requests after the page of %s = %v; want %v", older, got, after["cycle_view/request"]+1)
	}
}

// closedCycles returns the weeks of the latest closed cycle and of the one before it.
func closedCycles(t *testing.T, dsn string) (latest, older string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := stores.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var a, b time.Time
	if err := pool.QueryRow(ctx, `SELECT (SELECT max(week_start) FROM cycles WHERE status = 'closed'),
		(SELECT max(week_start) FROM cycles WHERE status = 'closed' AND week_start < (SELECT max(week_start) FROM cycles WHERE status = 'closed'))`).
		Scan(&a, &b); err != nil {
		t.Fatalf("closed cycles: %v", err)
	}
	return a.Format(time.DateOnly), b.Format(time.DateOnly)
}

var keptComputationsLine = regexp.MustCompile(`(?m)^ordercast_kept_computations_total\{by="(\w+)",kept="(\w+)"\} (\S+)$`)

// keptComputations reads ordercast_kept_computations_total from /metrics, by "kept/by".
func keptComputations(t *testing.T, base string) map[string]float64 {
	t.Helper()
	_, metrics := get(t, base+"/metrics")
	out := map[string]float64{}
	for _, m := range keptComputationsLine.FindAllStringSubmatch(metrics, -1) {
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("%s: %v", m[0], err)
		}
		out[fmt.Sprintf("%s/%s", m[2], m[1])] = v
	}
	if len(out) != 6 {
		t.Fatalf("/metrics has %d series of ordercast_kept_computations_total; want 6:\n%v", len(out), out)
	}
	return out
}
