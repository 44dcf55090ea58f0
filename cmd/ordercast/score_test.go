package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
	forecastch "github.com/ordercast/ordercast/forecast/clickhouse"
)

func TestScoreUsage(t *testing.T) {
	now := time.Now().UTC()
	next := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC) // next month: never finished
	tests := []struct {
		name       string
		args       []string
		wantErr    error
		wantStdout string
		wantStderr string
	}{
		{"help", []string{"score", "-h"}, flag.ErrHelp, "Usage: ordercast score", ""},
		{"no month", []string{"score"}, ErrUsage, "", `-month "": want YYYY-MM`},
		{"bad month", []string{"score", "--month", "2026-13"}, ErrUsage, "", `-month "2026-13"`},
		{"against what", []string{"score", "--month", "2026-10", "--against", "hope"}, ErrUsage, "", `-against "hope": want sales, requested or truth`},
		{"unknown time zone", []string{"score", "--month", "2026-10", "--timezone", "Mars/Olympus"}, ErrUsage, "", `-timezone "Mars/Olympus"`},
		{"unfinished month", []string{"score", "--month", next.Format("2006-01")}, ErrUsage, "",
			"-month " + next.Format("2006-01") + ": the month has not finished: it ends on " +
				next.AddDate(0, 1, -1).Format(time.DateOnly) + ", after today"},
		{"bad dsn", []string{"score", "--month", "2026-10", "--ch-dsn", "http://x"}, ErrUsage, "", "-ch-dsn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runCmd(t, tt.args...)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(stdout, tt.wantStdout) || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("Run(%q) = %v, stdout %q, stderr %q; want %v and %q, %q", tt.args, err, stdout, stderr,
					tt.wantErr, tt.wantStdout, tt.wantStderr)
			}
		})
	}
}

// October 2026 of a seeded region, forecast by a run as of 28 September for 6 weeks, scored against
// its sales and its true demand: the company's figures are the sums the tables hold, re-scoring
// replaces the month, and a month no run covers is an error that says so.
func TestScoreEndToEnd(t *testing.T) {
	ctx := context.Background()
	ch := seedSmallRegion(t)
	if _, stderr, err := runCmd(t, "score", "--month", "2026-10", "--ch-dsn", ch); !errors.Is(err, forecast.ErrNoRun) ||
		!strings.Contains(err.Error(), "covers all of 2026-10") || !strings.Contains(err.Error(), "`ordercast forecast run -as-of 2026-10-01 -horizon 6`") {
		t.Errorf("score before any run = %v (%s); want %v for 2026-10, saying which forecast run to make first", err, stderr, forecast.ErrNoRun)
	}
	if _, stderr, err := runCmd(t, "forecast", "run", "--ch-dsn", ch, "--as-of", "2026-09-28", "--horizon", "6"); err != nil {
		t.Fatalf("forecast run: %v (%s)", err, stderr)
	}
	conn := storestest.OpenClickHouse(t, ch)
	var sold, forecastTotal float64
	err := conn.QueryRow(ctx, "SELECT (SELECT sum(delivered) FROM sales WHERE dataset = 'live' AND day >= toDate('2026-10-01') "+
		"AND day < toDate('2026-11-01')), (SELECT point FROM forecasts_monthly WHERE level = 'total' AND month = toDate('2026-10-01'))").
		Scan(&sold, &forecastTotal)
	if err != nil || sold == 0 || forecastTotal == 0 {
		t.Fatalf("October: sold %v, forecast %v, %v", sold, forecastTotal, err)
	}

	stdout, stderr, err := runCmd(t, "score", "--month", "2026-10", "--ch-dsn", ch)
	if err != nil {
		t.Fatalf("score: %v (%s)", err, stderr)
	}
	company := regexp.MustCompile(`(?m)^company +([0-9.]+) +([0-9.]+) +([0-9.]+) +([0-9.-]+) +([0-9.]+) +([0-9.+-]+)$`).
		FindStringSubmatch(stdout)
	head := regexp.MustCompile(`^accuracy of 2026-10, dataset live, against sales: run \S+ \(as of 2026-09-28, 6 weeks\)\n`)
	if company == nil || !head.MatchString(stdout) || !strings.Contains(stdout, "outlets: accuracy of their totals") ||
		!regexp.MustCompile(`(?m)^area +\S+`).MatchString(stdout) || !regexp.MustCompile(`(?m)^manager +AM\d+`).MatchString(stdout) {
		t.Fatalf("score printed\n%s\nwant the run, the company, areas, managers and outlets", stdout)
	}
	if stderr != "" {
		t.Errorf("score wrote %q to stderr, which is not a terminal; want nothing", stderr)
	}
	wantAcc := math.Max(0, 1-math.Abs(sold-forecastTotal)/sold)
	if a, f, acc := atof(t, company[1]), atof(t, company[2]), atof(t, company[3]); math.Abs(a-sold) > 0.05 ||
		math.Abs(f-forecastTotal) > 0.05 || math.Abs(acc-wantAcc) > 0.00005 {
		t.Errorf("company %v %v %v; want sold %.1f, forecast %.1f, accuracy %.4f", a, f, acc, sold, forecastTotal, wantAcc)
	}

	// Stored: one row per outlet, brand, manager, area and the company, as the store reads them back.
	store := forecastch.New(conn)
	counts := make(map[forecast.ScoreLevel]int)
	for _, l := range forecast.ScoreLevels {
		set, err := store.Scores(ctx, forecast.ScoreQuery{Month: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Level: l})
		if err != nil {
			t.Fatalf("Scores(%s): %v", l, err)
		}
		counts[l] = len(set.Scores)
		var sum float64
		for _, s := range set.Scores {
			sum += s.Actual
		}
		if math.Abs(sum-sold) > 1e-6*sold {
			t.Errorf("level %s: actuals add up to %v; want %v", l, sum, sold)
		}
	}
	var outlets, brands, managers, areas uint64
	err = conn.QueryRow(ctx, "SELECT uniqExact(outlet), uniqExact(brand) FROM (SELECT outlet, brand FROM forecasts_monthly "+
		"WHERE level = 'outlet' AND month = toDate('2026-10-01') UNION ALL SELECT outlet, brand FROM sales WHERE dataset = 'live' "+
		"AND day >= toDate('2026-10-01') AND day < toDate('2026-11-01') AND delivered != 0)").Scan(&outlets, &brands)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT uniqExact(manager), uniqExact(area) FROM outlets_dim").Scan(&managers, &areas); err != nil {
		t.Fatal(err)
	}
	if counts[forecast.ScoreOutlet] != int(outlets) || counts[forecast.ScoreBrand] != int(brands) || counts[forecast.ScoreCompany] != 1 ||
		counts[forecast.ScoreManager] > int(managers) || counts[forecast.ScoreArea] > int(areas) || counts[forecast.ScoreArea] == 0 {
		t.Errorf("scores per level %v; want %d outlets, %d brands, at most %d managers and %d areas, 1 company",
			counts, outlets, brands, managers, areas)
	}

	// Against the true demand, as JSON; then the month re-scored replaces the first scoring.
	stdout, stderr, err = runCmd(t, "score", "--month", "2026-10", "--against", "truth", "--json", "--ch-dsn", ch)
	if err != nil {
		t.Fatalf("score --against truth --json: %v (%s)", err, stderr)
	}
	var got scoresJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || strings.Count(strings.TrimSpace(stdout), "\n") != 0 {
		t.Fatalf("score --json printed %q: %v; want one JSON object", stdout, err)
	}
	var demand float64
	rows, err := conn.Query(ctx, "SELECT toString(week), sum(demand) FROM true_demand WHERE week > toDate('2026-09-24') "+
		"AND week < toDate('2026-11-01') GROUP BY week")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var week string
		var d float64
		if err := rows.Scan(&week, &d); err != nil {
			t.Fatal(err)
		}
		monday, _ := time.Parse(time.DateOnly, week)
		for k := range 7 {
			if monday.AddDate(0, 0, k).Month() == time.October {
				demand += d / 7
			}
		}
	}
	rows.Close()
	var companyTruth *scoreJSON
	levels := make(map[string]int)
	for i, s := range got.Scores {
		levels[s.Level]++
		if s.Level == "company" {
			companyTruth = &got.Scores[i]
		}
	}
	if got.Against != "truth" || got.Month != "2026-10" || got.AsOf != "2026-09-28" || companyTruth == nil ||
		math.Abs(float64(companyTruth.Actual)-demand) > 1e-6*demand || levels["outlet"] == 0 || levels["brand"] == 0 {
		t.Errorf("score --against truth: %s %s as of %s, levels %v, company %+v; want October's true demand %.2f",
			got.Against, got.Month, got.AsOf, levels, companyTruth, demand)
	}

	// November is not over in the history, which ends on 22 November: refused, whatever today is.
	if _, stderr, err := runCmd(t, "score", "--month", "2026-11", "--ch-dsn", ch); !errors.Is(err, ErrUsage) ||
		!strings.Contains(stderr, "ordercast score: -month 2026-11: the month has not finished: it ends on 2026-11-30, after ") {
		t.Errorf("score of November = %v (%s); want a usage error saying 2026-11 ends on 2026-11-30", err, stderr)
	}

	if _, stderr, err := runCmd(t, "score", "--month", "2026-10", "--ch-dsn", ch); err != nil {
		t.Fatalf("score again: %v (%s)", err, stderr)
	}
	var scorings, latest uint64
	err = conn.QueryRow(ctx, "SELECT uniqExact(scored_at), countIf(scored_at = (SELECT max(scored_at) FROM accuracy_scores "+
		"WHERE against = 'sales')) FROM accuracy_scores WHERE against = 'sales'").Scan(&scorings, &latest)
	total := 0
	for _, n := range counts {
		total += n
	}
	if err != nil || scorings != 2 || int(latest) != total {
		t.Errorf("after re-scoring: %d scorings, %d rows in the latest, %v; want 2 and %d", scorings, latest, err, total)
	}
}

// Against the requested quantities, where limits cut the seeded region's demand, the company's
// actual is what retailers asked for and the engine's bias (it forecasts demand) is lower than against
// the sales, which the limits cut; the table, the JSON and the stored scores say which basis they use.
func TestScoreAgainstRequested(t *testing.T) {
	ctx := context.Background()
	ch := seedSmallRegion(t)
	if _, stderr, err := runCmd(t, "forecast", "run", "--ch-dsn", ch, "--as-of", "2026-09-28", "--horizon", "6"); err != nil {
		t.Fatalf("forecast run: %v (%s)", err, stderr)
	}
	conn := storestest.OpenClickHouse(t, ch)
	var requested, sold float64
	err := conn.QueryRow(ctx, "SELECT sum(requested), sum(delivered) FROM sales WHERE dataset = 'live' "+
		"AND day >= toDate('2026-10-01') AND day < toDate('2026-11-01')").Scan(&requested, &sold)
	if err != nil || !(requested > 1.01*sold) {
		t.Fatalf("October: requested %v, sold %v, %v; want limits to cut more than 1%%", requested, sold, err)
	}
	company := func(against string) scoreJSON {
		t.Helper()
		stdout, stderr, err := runCmd(t, "score", "--month", "2026-10", "--against", against, "--json", "--ch-dsn", ch)
		if err != nil {
			t.Fatalf("score --against %s: %v (%s)", against, err, stderr)
		}
		var got scoresJSON
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("score --against %s --json printed %q: %v", against, stdout, err)
		}
		if got.Against != against {
			t.Errorf("score --against %s --json: against %q", against, got.Against)
		}
		for _, s := range got.Scores {
			if s.Level == "company" {
				return s
			}
		}
		t.Fatalf("score --against %s: no company score in %s", against, stdout)
		return scoreJSON{}
	}
	bySales, byRequests := company("sales"), company("requested")
	if math.Abs(float64(bySales.Actual)-sold) > 1e-6*sold || math.Abs(float64(byRequests.Actual)-requested) > 1e-6*requested {
		t.Errorf("company actual %v against sales, %v against requests; want %.1f and %.1f", bySales.Actual,
			byRequests.Actual, sold, requested)
	}
	if bySales.Forecast != byRequests.Forecast || !(byRequests.Bias < bySales.Bias) {
		t.Errorf("company against requests: forecast %v, bias %+.4f; against sales: forecast %v, bias %+.4f; "+
			"want the same forecast and a lower bias against requests", byRequests.Forecast, byRequests.Bias,
			bySales.Forecast, bySales.Bias)
	}

	stdout, stderr, err := runCmd(t, "score", "--month", "2026-10", "--against", "requested", "--ch-dsn", ch)
	if err != nil {
		t.Fatalf("score --against requested: %v (%s)", err, stderr)
	}
	if !regexp.MustCompile(`^accuracy of 2026-10, dataset live, against requested: `).MatchString(stdout) ||
		!regexp.MustCompile(`(?m)^level +key +A: requested +forecast +accuracy`).MatchString(stdout) ||
		!strings.Contains(stdout, "\nA: requested, the quantities retailers asked for before limits cut them") {
		t.Errorf("score --against requested printed\n%s\nwant the basis in the title, the header and the legend", stdout)
	}
	set, err := forecastch.New(conn).Scores(ctx, forecast.ScoreQuery{Month: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		Against: forecast.AgainstRequested})
	if err != nil || len(set.Scores) != 1 || math.Abs(set.Scores[0].Actual-requested) > 1e-6*requested {
		t.Errorf("stored company score against requests = %+v, %v; want actual %.1f", set, err, requested)
	}
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	var v float64
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}
