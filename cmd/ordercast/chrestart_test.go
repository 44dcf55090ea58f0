package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// ClickHouse restarted while 24 terminals upload scans: an upload answers 503 with Retry-After while
// it is down (never a 500), a terminal that retries the batch is answered once ClickHouse is back, and
// every batch is stored exactly once.
func TestScanUploadsSurviveAClickHouseRestart(t *testing.T) {
	srv := storestest.StartClickHouseServer(t)
	pg, ch := storestest.MigratedPostgresDSN(t), migratedOn(t, srv)
	if _, stderr, err := run("seed", "-pg-dsn", pg, "-ch-dsn", ch, "-outlets", "40", "-brands", "8", "-weeks", "8", "-as-of", "2026-11-22"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	s := startServe(t, "-pg-dsn", pg, "-ch-dsn", ch)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: 10 * time.Second}
	rs, err := prepareRetailers(ctx, benchConfig{URL: s.url, PostgresDSN: pg, Outlets: 24, Timeout: 10 * time.Second}, hc, false)
	if err != nil {
		t.Fatal(err)
	}
	pool := storestest.OpenPostgres(t, pg)
	licence := map[int64]string{}
	for _, r := range rs.list {
		var l string
		if err := pool.QueryRow(ctx, `SELECT licence_no FROM outlets WHERE id = $1`, r.outletID).Scan(&l); err != nil {
			t.Fatal(err)
		}
		licence[r.outletID] = l
	}
	brands := seededBrands(t, pg, 2)
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	const perTerminal = 8
	total := len(rs.list) * perTerminal
	var stored, unavailable, unanswered atomic.Int64
	var restart sync.Once
	restarted := make(chan struct{})
	err = forEach(ctx, len(rs.list), len(rs.list), func(i int) error {
		r := rs.list[i]
		for b := range perTerminal {
			body := oneBatch(t, fmt.Sprintf("ch-restart-%d", b), brands, at)
			for {
				code, retryAfter, raw, err := postScans(ctx, hc, s.url, r.token, r.outletID, body)
				switch {
				case err != nil:
					unanswered.Add(1)
					time.Sleep(200 * time.Millisecond)
					continue
				case code == http.StatusServiceUnavailable:
					unavailable.Add(1)
					if retryAfter < time.Second {
						return fmt.Errorf("503 without Retry-After: %.200s", raw)
					}
					time.Sleep(retryAfter / 5)
					continue
				case code != http.StatusCreated && code != http.StatusOK:
					return fmt.Errorf("outlet %d batch %d = %d %.300s; want 201, 200, or 503 while ClickHouse is down", r.outletID, b, code, raw)
				}
				break
			}
			if stored.Add(1) == int64(total/3) {
				restart.Do(func() {
					go func() {
						srv.Stop()
						time.Sleep(3 * time.Second)
						srv.Start()
						close(restarted)
					}()
				})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\nserve's log:\n%.3000s", err, s.stderr)
	}
	<-restarted
	t.Logf("%d batches stored over a ClickHouse restart: %d answers 503 with Retry-After, %d not answered",
		stored.Load(), unavailable.Load(), unanswered.Load())
	if unavailable.Load() == 0 {
		t.Error("no upload met the outage (no 503): the test proved nothing")
	}
	for _, r := range rs.list {
		for b := range perTerminal {
			if got := chCounts(t, ch, licence[r.outletID], fmt.Sprintf("ch-restart-%d", b)); got != [3]uint64{4, 1, 1} {
				t.Errorf("outlet %d batch %d: ClickHouse scans, rejects, batches = %v; want [4 1 1]", r.outletID, b, got)
			}
		}
	}
	if strings.Contains(s.stderr.String(), `"status":500`) {
		t.Errorf("serve answered 500 during the restart:\n%.2000s", s.stderr)
	}
}

// postScans uploads one scan batch and returns the status, the Retry-After, and the body.
func postScans(ctx context.Context, hc *http.Client, base, token string, outletID int64, body string) (int, time.Duration, string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/outlets/%d/scans", base, outletID), strings.NewReader(body))
	if err != nil {
		return 0, 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
	return res.StatusCode, time.Duration(secs) * time.Second, string(raw), err
}
