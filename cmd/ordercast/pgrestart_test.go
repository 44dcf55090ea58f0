package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// PostgreSQL shut down at once (as in a crash) and started again while retailers order through
// serve: during the outage an order answers 503 with Retry-After (never a 500), clients that retry
// with the same Idempotency-Key are answered once PostgreSQL is back, every acknowledged order is in
// PostgreSQL exactly once, and serve is ready again by itself. (An order that committed just before
// the shutdown is answered, but its key cannot be marked done: it stays running with its order, and a
// retry with it would get that order.)
func TestOrderingSurvivesAPostgreSQLRestart(t *testing.T) {
	pgServer := storestest.StartPostgresServer(t)
	pg, ch := pgServer.MigratedDSN(), storestest.MigratedClickHouseDSN(t)
	const n = 120
	if _, stderr, err := run("seed", "-pg-dsn", pg, "-ch-dsn", ch, "-outlets", strconv.Itoa(n*5/4+10), "-brands", "8",
		"-weeks", "8", "-as-of", "2026-11-22"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	s := startServe(t, "-pg-dsn", pg, "-ch-dsn", ch)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: 10 * time.Second}
	rs, err := prepareRetailers(ctx, benchConfig{URL: s.url, PostgresDSN: pg, Outlets: n, Timeout: 10 * time.Second}, hc, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.list) != n {
		t.Fatalf("%d outlets with an open window (%v left out); want %d", len(rs.list), rs.skipped, n)
	}

	var mu sync.Mutex
	acked := map[int64]int64{}
	var answered, unavailable, unanswered, attempts atomic.Int64
	var restart sync.Once
	restarted := make(chan struct{})
	down := func() {
		restart.Do(func() {
			go func() {
				pgServer.Stop()
				time.Sleep(3 * time.Second)
				pgServer.Start()
				close(restarted)
			}()
		})
	}
	err = forEach(ctx, n, 16, func(i int) error {
		r := rs.list[i]
		key, body := fmt.Sprintf("pg-restart-%d", i), fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":1}]}`, r.brands[i%len(r.brands)])
		for {
			attempts.Add(1)
			a, retryAfter, err := postOrder(ctx, hc, s.url, r.token, r.outletID, key, body)
			switch {
			case err != nil: // not answered: retry as a client would
				unanswered.Add(1)
				time.Sleep(200 * time.Millisecond)
				continue
			case a.status == http.StatusServiceUnavailable:
				unavailable.Add(1)
				if retryAfter < time.Second {
					return fmt.Errorf("%s: 503 without a Retry-After of a second or more: %.200s", key, a.body)
				}
				time.Sleep(retryAfter / 4) // sooner than asked, to see more of the outage
				continue
			case a.retryAfter > 0: // 409 in flight: an earlier attempt holds the key
				time.Sleep(a.retryAfter)
				continue
			case a.status == http.StatusCreated || a.status == http.StatusOK:
				mu.Lock()
				acked[r.outletID] = a.orderID
				mu.Unlock()
				if answered.Add(1) == n/3 {
					down()
				}
				return nil
			default:
				return fmt.Errorf("%s = %d %.300s; want 201, or 503 while PostgreSQL is down", key, a.status, a.body)
			}
		}
	})
	if err != nil {
		t.Fatalf("%v\nserve's warnings and errors:\n%s", err, logLines(s.stderr.String(), `"level":"WARN"`, `"level":"ERROR"`))
	}
	<-restarted
	t.Logf("%d orders acknowledged over a PostgreSQL restart in %d attempts: %d answered 503 with Retry-After, %d not answered",
		len(acked), attempts.Load(), unavailable.Load(), unanswered.Load())
	if unavailable.Load() == 0 {
		t.Error("no order met the outage (no 503): the test proved nothing")
	}
	checkOrdersOnce(t, ctx, pg, acked, n, true)
	eventually(t, 30*time.Second, "serve ready again", func() bool {
		res, err := http.Get(s.url + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	if strings.Contains(s.stderr.String(), `"status":500`) {
		t.Errorf("serve answered 500 during the restart:\n%.2000s", s.stderr)
	}
}

// postOrder is postKeyed that also reads the Retry-After of a 503.
func postOrder(ctx context.Context, hc *http.Client, base, token string, outletID int64, key, body string) (keyedAnswer, time.Duration, error) {
	var retryAfter time.Duration
	a, err := postKeyedWith(ctx, hc, base, token, outletID, key, body, func(res *http.Response) {
		if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil {
			retryAfter = time.Duration(secs) * time.Second
		}
	})
	return a, retryAfter, err
}

// logLines returns the lines of log that hold any of the markers.
func logLines(log string, markers ...string) string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		for _, m := range markers {
			if strings.Contains(line, m) {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
