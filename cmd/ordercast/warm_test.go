package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
)

// serve warms what the planner's and the supply pages keep in memory: once the warmer has run, the
// cycle page of the latest closed cycle, the supply balance, the accuracy page of the latest scored
// month and the manufacturer's portal are served without a computation of their own
// (ordercast_kept_computations_total by request stays as it was), while the page of a cycle the
// warmer leaves alone computes its view.
//
// The region is seeded as of the Sunday before last, whatever today is: the warmer reads the portal's
// weeks from today, and a fixed date would leave them without a rationed cycle some weeks later
// (seeded as of 2026-11-22, from 18 January 2027).
func TestServeWarmsKeptFigures(t *testing.T) {
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	asOf, month, runFrom := warmDates(time.Now().In(shanghai(t)))
	for _, args := range [][]string{
		{"seed", "-outlets", "40", "-brands", "8", "-weeks", "16", "-as-of", asOf, "-pg-dsn", pg},
		{"forecast", "run", "-as-of", runFrom, "-horizon", "6"},
		{"score", "-month", month, "-against", "requested"}, // the accuracy page's default basis
	} {
		if _, stderr, err := run(append(args, "-ch-dsn", ch)...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
	}
	latest, oldest, views := closedCycles(t, pg)
	s := startServe(t, "-pg-dsn", pg, "-ch-dsn", ch)
	planner, maker := pageSession(t, s.url, "planner"), pageSession(t, s.url, "manufacturer1")

	eventually(t, time.Minute, "every kind warmed", func() bool {
		m := keptComputations(t, s.url)
		return m["cycle_view/warm"] >= float64(views) && m["sales_week/warm"] >= salesWarmWeeks && m["actual_weeks/warm"] >= 2 &&
			m["score_level/warm"] >= float64(len(accuracyLevels))
	})
	before := keptComputations(t, s.url)
	pageBody(t, planner, s.url+"/planner/cycles/"+latest, `id="supply"`)
	pageBody(t, planner, s.url+"/supply/balance")
	pageBody(t, planner, s.url+"/planner/accuracy?month="+month, `"weeks"`)
	pageBody(t, maker, s.url+"/maker")
	after := keptComputations(t, s.url)
	for _, kept := range []string{"cycle_view", "sales_week", "actual_weeks", "score_level"} {
		if k := kept + "/request"; after[k] != before[k] {
			t.Errorf("%s computed by requests: %v before the pages, %v after; want none: the warmer keeps them", kept, before[k], after[k])
		}
	}

	// A cycle the warmer leaves alone: its page computes the view.
	pageBody(t, planner, s.url+"/planner/cycles/"+oldest, `id="supply"`)
	if got := keptComputations(t, s.url)["cycle_view/request"]; got != after["cycle_view/request"]+1 {
		t.Errorf("cycle views computed by requests after the page of %s = %v; want %v", oldest, got, after["cycle_view/request"]+1)
	}
}

// warmDates returns the days TestServeWarmsKeptFigures seeds, forecasts and scores for, as of now:
// the region as of the Sunday before last (8 to 14 days back, so that its oldest closed cycle lies
// before the portal's weeks), the month before that Sunday's (over when the history ends), and a
// forecast run from the Monday on or before that month's first day, whose 6 weeks cover it.
func warmDates(now time.Time) (asOf, month, runFrom string) {
	asOf = recentSeedDay(now)
	sunday, _ := time.Parse(time.DateOnly, asOf)
	first := time.Date(sunday.Year(), sunday.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	return asOf, first.Format("2006-01"), forecast.Monday(first).Format(time.DateOnly)
}

// closedCycles returns the weeks of the latest closed cycle and of the oldest (before the portal's
// weeks, so that the warmer leaves it alone), and how many
// cycle views the warmer refreshes in its first passes: the busy cycles' (the latest closed, the
// open ones with orders) and those with rationed brands of the portal's weeks.
func closedCycles(t *testing.T, dsn string) (latest, oldest string, views int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := storestest.OpenPostgres(t, dsn)
	var a, b time.Time
	var busy, rationed int
	monday := forecast.Monday(time.Now().In(shanghai(t))) // the warmer takes the region's week
	if err := pool.QueryRow(ctx, `SELECT (SELECT max(week_start) FROM cycles WHERE status = 'closed'),
		(SELECT min(week_start) FROM cycles WHERE status = 'closed')`).Scan(&a, &b); err != nil {
		t.Fatalf("closed cycles: %v", err)
	}
	if !b.Before(monday.AddDate(0, 0, -7*portalWeeksBack)) {
		t.Fatalf("the oldest cycle, %s, is among the portal's weeks: no cycle is left alone", b.Format(time.DateOnly))
	}
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cycles c WHERE c.week_start = $1
			OR (c.status = 'open' AND EXISTS (SELECT 1 FROM orders o WHERE o.cycle_id = c.id))),
		(SELECT count(DISTINCT c.week_start) FROM supply_plans sp JOIN cycles c ON c.id = sp.cycle_id
			WHERE sp.supply_cartons IS NOT NULL AND c.week_start >= $2 AND c.week_start < $3)`,
		a, monday.AddDate(0, 0, -7*portalWeeksBack), monday.AddDate(0, 0, 7*portalWeeksAhead)).Scan(&busy, &rationed); err != nil {
		t.Fatalf("cycles to warm: %v", err)
	}
	if busy == 0 || rationed == 0 {
		t.Fatalf("%d busy cycles, %d with rationed brands in the portal's weeks; want some of each", busy, rationed)
	}
	return a.Format(time.DateOnly), b.Format(time.DateOnly), busy + rationed
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
	if len(out) != 8 {
		t.Fatalf("/metrics has %d series of ordercast_kept_computations_total; want 8:\n%v", len(out), out)
	}
	return out
}

func TestWarmDates(t *testing.T) {
	for _, tt := range []struct{ now, asOf, month, run string }{
		{"2026-12-06", "2026-11-22", "2026-10", "2026-09-28"}, // the dates the test used to fix
		{"2027-01-18", "2027-01-10", "2026-12", "2026-11-30"},
		{"2027-03-31", "2027-03-21", "2027-02", "2027-02-01"}, // 1 February is a Monday
	} {
		now, _ := time.Parse(time.DateOnly, tt.now)
		if asOf, month, runFrom := warmDates(now); asOf != tt.asOf || month != tt.month || runFrom != tt.run {
			t.Errorf("warmDates(%s) = %s, %s, %s; want %s, %s, %s", tt.now, asOf, month, runFrom, tt.asOf, tt.month, tt.run)
		}
	}
}
