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
		{"against what", []string{"score", "--month", "2026-10", "--against", "hope"}, ErrUsage, "", `-against "hope"`},
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

func atof(t *testing.T, s string) float64 {
	t.Helper()
	var v float64
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}
