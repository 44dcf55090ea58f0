package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

func TestBenchUsage(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr error
		wantOut string // in stdout or stderr
	}{
		{"no benchmark", []string{"bench"}, ErrUsage, "orders or scans"},
		{"unknown benchmark", []string{"bench", "logins"}, ErrUsage, `unknown benchmark "logins"`},
		{"help", []string{"bench", "-h"}, flag.ErrHelp, "bench-<licence>"},
		{"orders help", []string{"bench", "orders", "-h"}, flag.ErrHelp, "-max-in-flight"},
		{"both duration and count", []string{"bench", "orders", "-duration", "1s", "-count", "5"}, ErrUsage, "give one of them"},
		{"no rate", []string{"bench", "orders", "-rate", "0"}, ErrUsage, "-rate"},
		{"not a URL", []string{"bench", "orders", "-url", "127.0.0.1:8080"}, ErrUsage, "-url"},
		{"a batch too large", []string{"bench", "scans", "-batch", "10001"}, ErrUsage, "-batch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := run(tt.args...)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Run(%q) = %v; want %v", tt.args, err, tt.wantErr)
			}
			if !strings.Contains(stdout+stderr, tt.wantOut) {
				t.Errorf("Run(%q) printed %q %q; want %q in it", tt.args, stdout, stderr, tt.wantOut)
			}
		})
	}
}

// The order load places orders through the API as retailers of distinct outlets, reports every
// request and ends the sessions it opened.
func TestBenchOrders(t *testing.T) {
	s, pg := seededServer(t, "-allow-credit") // the seed's balances do not cover every bench order
	stdout, stderr, err := run("bench", "orders", "-url", s.url, "-pg-dsn", pg, "-rate", "100", "-count", "30",
		"-lines", "5", "-outlets", "10", "-json")
	if err != nil {
		t.Fatalf("bench orders: %v\n%s", err, stderr)
	}
	var rep ordersReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("bench orders -json printed %q: %v", stdout, err)
	}
	if rep.Outlets != 10 || rep.Scheduled != 30 || rep.Sent != 30 || rep.Dropped != 0 || rep.Placed != 30 ||
		rep.ByStatus["201"] != 10 || rep.ByStatus["200"] != 20 {
		t.Errorf("report = %+v; want 30 orders sent to 10 outlets: 10 created, 20 replacing them", rep)
	}
	l := rep.Latency
	if l.P50 <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.Max || rep.Service.P50 <= 0 || rep.Service.Max > l.Max {
		t.Errorf("latency %+v, service %+v; want 0 < p50 ≤ p90 ≤ p99 ≤ max, service within latency", l, rep.Service)
	}
	placed, slow := 0, 0
	for i, sec := range rep.PerSecond {
		placed += sec.Placed
		if sec.Second != i || sec.P99 > sec.Max || sec.Max > l.Max {
			t.Errorf("second %d of the report = %+v; want its index, p99 ≤ max ≤ the run's max %.1f", i, sec, l.Max)
		}
		if sec.P99 > slowSecond {
			slow++
		}
	}
	if placed != rep.Placed || slow != rep.SlowSeconds || rep.Start.IsZero() {
		t.Errorf("per second: %d placed, %d slow, start %v; want the %d placed, %d slow, a start", placed, slow, rep.Start, rep.Placed, rep.SlowSeconds)
	}
	if rep.OfferedRate <= 0 || rep.Throughput <= 0 || rep.Seconds <= 0 {
		t.Errorf("offered %.1f/s, throughput %.1f/s in %.2f s; want positive", rep.OfferedRate, rep.Throughput, rep.Seconds)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool := storestest.OpenPostgres(t, pg)
	var orders, lines, live int
	err = pool.QueryRow(ctx, `SELECT count(DISTINCT o.id), count(*), count(*) FILTER (WHERE s.token_hash IS NOT NULL)
		FROM orders o JOIN users u ON u.id = o.created_by AND u.username LIKE 'bench-%'
		JOIN order_lines l ON l.order_id = o.id
		LEFT JOIN sessions s ON s.user_id = u.id AND s.revoked_at IS NULL
		WHERE o.status = 'submitted'`).Scan(&orders, &lines, &live)
	if err != nil {
		t.Fatal(err)
	}
	if orders != 10 || lines != 50 || live != 0 {
		t.Errorf("stored %d orders of bench retailers with %d lines, %d sessions left open; want 10 orders of 5 lines, none open", orders, lines, live)
	}

	// Again, as text: the retailers exist already.
	stdout, stderr, err = run("bench", "orders", "-url", s.url, "-pg-dsn", pg, "-rate", "50", "-count", "5",
		"-lines", "3", "-outlets", "5")
	if err != nil || !strings.Contains(stdout, "placed:     5 in") || !strings.Contains(stdout, "200 × 5") {
		t.Errorf("bench orders = %v\n%s%s; want 5 orders replacing the first ones", err, stdout, stderr)
	}
}

// The scan load uploads valid batches as retailers and reports the rows ClickHouse stored; with
// -compare it writes the same rows with plain INSERTs into a copy of scans (dropped at the end) and
// through the store in its own process, and reports the ratios.
func TestBenchScans(t *testing.T) {
	s, pg, ch := seededServerDSNs(t)
	stdout, stderr, err := run("bench", "scans", "-url", s.url, "-pg-dsn", pg, "-ch-dsn", ch, "-compare", "-batch", "200",
		"-batches", "6", "-clients", "2", "-rounds", "2", "-outlets", "3", "-json")
	if err != nil {
		t.Fatalf("bench scans: %v\n%s", err, stderr)
	}
	var rep scansReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("bench scans -json printed %q: %v", stdout, err)
	}
	if len(rep.Rounds) != 2 || rep.Median <= 0 || rep.Outlets != 3 {
		t.Fatalf("report = %+v; want 2 rounds over 3 outlets and a median", rep)
	}
	for i, r := range rep.Rounds {
		if r.Batches != 6 || r.Accepted != 1200 || r.Rejected != 0 || r.RowsPerSec <= 0 || r.Latency.P50 <= 0 {
			t.Errorf("round %d = %+v; want 6 uploads of 200 rows, all accepted", i+1, r)
		}
		if r.ServerAllocMB <= 0 { // CPU time is counted in ticks of 10 ms: a round this small may show none
			t.Errorf("round %d: %v MB allocated per upload; want it read from the server's /metrics", i+1, r.ServerAllocMB)
		}
		if r.Raw == nil || r.Bulk == nil || r.Store == nil || r.Raw.RowsPerSec <= 0 || r.Bulk.RowsPerSec <= 0 || r.Store.RowsPerSec <= 0 {
			t.Errorf("round %d: plain INSERTs %+v and %+v, store %+v; want all measured", i+1, r.Raw, r.Bulk, r.Store)
		}
	}
	if rep.MedianRaw <= 0 || rep.MedianBulk <= 0 || rep.MedianStoreRatio <= 0 || rep.MedianHTTPRatio <= 0 || rep.MedianHTTPBulkRatio <= 0 {
		t.Errorf("report = %+v; want the medians of the plain INSERT and of the ratios", rep)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := stores.OpenClickHouse(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var scans, batches, stored uint64
	if err := conn.QueryRow(ctx, "SELECT (SELECT count() FROM scans WHERE batch_id LIKE 'bench-%'), "+
		"(SELECT count() FROM scan_batches WHERE batch_id LIKE 'bench-%'), "+
		"(SELECT count() FROM scans WHERE batch_id LIKE 'bench-%-store')").Scan(&scans, &batches, &stored); err != nil {
		t.Fatal(err)
	}
	if scans != 4800 || batches != 24 || stored != 2400 {
		t.Errorf("ClickHouse holds %d scans in %d batches of the load, %d in process; want 4800 in 24 (HTTP and in process), 2400",
			scans, batches, stored)
	}
	var left uint8
	if err := conn.QueryRow(ctx, "EXISTS TABLE "+rawScansTable).Scan(&left); err != nil || left != 0 {
		t.Errorf("EXISTS TABLE %s = %d, %v; want the copy dropped", rawScansTable, left, err)
	}
}

// perSecond groups the placed orders by the second of their scheduled arrival, seconds without one
// left in as empty.
func TestPerSecond(t *testing.T) {
	got := perSecond([]int{0, 0, 2, 0}, []float64{3, 70, 5, 4})
	want := []secondReport{{Second: 0, Placed: 3, P99: 70, Max: 70}, {Second: 1}, {Second: 2, Placed: 1, P99: 5, Max: 5}}
	if !slices.Equal(got, want) {
		t.Errorf("perSecond = %+v; want %+v", got, want)
	}
}
