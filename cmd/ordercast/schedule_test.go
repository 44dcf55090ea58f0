package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/cmd/ordercast/schedule"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
	forecastch "github.com/ordercast/ordercast/forecast/clickhouse"
)

// serve runs the weekly forecast at start when this week's is due, records it, exports its last
// success, and a second instance started after it does not run it again.
func TestServeSchedulesTheWeeklyForecastOnce(t *testing.T) {
	storestest.SkipShort(t)
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	if _, stderr, err := run("seed", "-pg-dsn", pg, "-ch-dsn", ch, "-outlets", "30", "-brands", "6", "-weeks", "20",
		"-as-of", time.Now().Format(time.DateOnly)); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	chConn := storestest.OpenClickHouse(t, ch)
	runs := func() int {
		var n uint64
		if err := chConn.QueryRow(context.Background(),
			"SELECT count() FROM forecast_runs WHERE dataset = 'live'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	// Due since Monday 00:00 of this week wherever the test runs: the first try, at start, runs it.
	first := startServe(t, "-pg-dsn", pg, "-ch-dsn", ch, "-forecast-at", "mon 00:00", "-timezone", "UTC")
	lastSuccess := `ordercast_job_last_success_timestamp_seconds{job="forecast"}`
	eventually(t, 60*time.Second, "the first instance exports the forecast's success", func() bool {
		_, metrics := get(t, first.url+"/metrics")
		return strings.Contains(metrics, lastSuccess)
	})
	if n := runs(); n != 1 {
		t.Fatalf("forecast runs after the first instance's = %d; want 1", n)
	}
	second := startServe(t, "-pg-dsn", pg, "-ch-dsn", ch, "-forecast-at", "mon 00:00", "-timezone", "UTC")
	eventually(t, 30*time.Second, "the second instance exports the forecast's success from the record", func() bool {
		_, metrics := get(t, second.url+"/metrics")
		return strings.Contains(metrics, lastSuccess) &&
			strings.Contains(metrics, `ordercast_job_tries_total{job="forecast",outcome="not_due"} 1`)
	})
	if n := runs(); n != 1 {
		t.Errorf("forecast runs after a second instance started = %d; want still 1", n)
	}
	pool := storestest.OpenPostgres(t, pg)
	var recorded int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM job_runs WHERE job = 'forecast'`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != 1 {
		t.Errorf("job_runs of the forecast = %d; want 1", recorded)
	}
}

// The monthly scoring scores the month just ended against sales and requested quantities.
func TestScheduledScoringScoresTheMonthJustEnded(t *testing.T) {
	storestest.SkipShort(t)
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	// History to Sunday 2026-12-06, so that November is finished; a run as of 2026-10-26 covers it.
	if _, stderr, err := run("seed", "-pg-dsn", pg, "-ch-dsn", ch, "-outlets", "30", "-brands", "6", "-weeks", "30",
		"-as-of", "2026-12-07"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	if _, stderr, err := run("forecast", "run", "-ch-dsn", ch, "-as-of", "2026-10-26", "-horizon", "6"); err != nil {
		t.Fatalf("forecast run: %v\n%s", err, stderr)
	}
	chConn := storestest.OpenClickHouse(t, ch)
	store := forecastch.New(chConn)
	slot, err := schedule.Monthly("2 04:00", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	job := scoreJob{store: store, slot: slot, loc: time.UTC, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := job.pass(context.Background(), time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatalf("score pass: %v", err)
	}
	for _, against := range []forecast.Against{forecast.AgainstSales, forecast.AgainstRequested} {
		var n uint64
		if err := chConn.QueryRow(context.Background(), `SELECT count() FROM accuracy_scores
			WHERE month = toDate('2026-11-01') AND dataset = 'live' AND against = ? AND level = 'company'`,
			string(against)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("company scores of 2026-11 against %s = %d; want 1", against, n)
		}
	}
	// September, which the history covers and no run does: nothing to score, and no failure to retry.
	if err := job.pass(context.Background(), time.Date(2026, 10, 8, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("score pass of a month no run covers: %v; want nothing scored and no error", err)
	}
	var n uint64
	if err := chConn.QueryRow(context.Background(), `SELECT count() FROM accuracy_scores
		WHERE month = toDate('2026-09-01') AND dataset = 'live'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("scores of 2026-09 = %d (%v); want none", n, err)
	}
}
