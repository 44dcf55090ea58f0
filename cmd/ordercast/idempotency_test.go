package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// keyedAnswer is the server's answer to one attempt of a keyed order.
type keyedAnswer struct {
	status     int
	orderID    int64
	replayed   bool          // Idempotent-Replayed: true
	retryAfter time.Duration // of a 409 idempotency-in-flight; 0 otherwise
	body       string
}

// postKeyed sends one attempt of a keyed order and reads the answer; err is a request the server did
// not answer (a timeout, a connection reset).
func postKeyed(ctx context.Context, hc *http.Client, base, token string, outletID int64, key, body string) (keyedAnswer, error) {
	return postKeyedWith(ctx, hc, base, token, outletID, key, body, nil)
}

// postKeyedWith is postKeyed that also hands the response to inspect, when not nil.
func postKeyedWith(ctx context.Context, hc *http.Client, base, token string, outletID int64, key, body string,
	inspect func(*http.Response)) (keyedAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/outlets/%d/orders", base, outletID), strings.NewReader(body))
	if err != nil {
		return keyedAnswer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	res, err := hc.Do(req)
	if err != nil {
		return keyedAnswer{}, err
	}
	defer res.Body.Close()
	if inspect != nil {
		inspect(res)
	}
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return keyedAnswer{}, err
	}
	a := keyedAnswer{status: res.StatusCode, replayed: res.Header.Get("Idempotent-Replayed") == "true", body: string(raw)}
	var m struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	}
	json.Unmarshal(raw, &m) //nolint:errcheck // checked through the status and the fields below
	a.orderID = m.ID
	if res.StatusCode == http.StatusConflict && strings.HasSuffix(m.Type, "/idempotency-in-flight") {
		secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 10 {
			return a, fmt.Errorf("409 idempotency-in-flight with Retry-After %q; want 1 to 10 seconds", res.Header.Get("Retry-After"))
		}
		a.retryAfter = time.Duration(secs) * time.Second
	}
	return a, nil
}

// retryKeyed retries a keyed order until it is answered with the order: it waits out a 409
// idempotency-in-flight's Retry-After once, and a second 409 after that wait is a key stuck beyond
// its lease. A retry that gets no answer within the client's timeout is an error.
func retryKeyed(ctx context.Context, hc *http.Client, base, token string, outletID int64, key, body string) (keyedAnswer, int, error) {
	waits := 0
	for {
		a, err := postKeyed(ctx, hc, base, token, outletID, key, body)
		switch {
		case err != nil:
			return a, waits, fmt.Errorf("retry of %s: %w", key, err)
		case a.retryAfter > 0 && waits == 0:
			waits++
			time.Sleep(a.retryAfter)
		case a.status == http.StatusCreated || a.status == http.StatusOK:
			return a, waits, nil
		default:
			return a, waits, fmt.Errorf("retry of %s after %d waits = %d %.300s; want the order", key, waits, a.status, a.body)
		}
	}
}

// A client that gives up after a few milliseconds cancels its request's context while the order
// runs. Its retry with the same key gets the order that committed (201, replayed) or places it; it
// never stays 409 past the lease, and no order is placed twice.
// retryTally counts how retried keyed orders were answered.
type retryTally struct{ recovered, executed, waited atomic.Int64 }

// add counts a retry's answer a, after it waited out waits leases.
func (r *retryTally) add(a keyedAnswer, waits int) {
	r.waited.Add(int64(waits))
	if a.replayed {
		r.recovered.Add(1)
	} else {
		r.executed.Add(1)
	}
}

func (r *retryTally) String() string {
	return fmt.Sprintf("%d answered from the committed order, %d executed, %d waited out a lease first",
		r.recovered.Load(), r.executed.Load(), r.waited.Load())
}

func TestIdempotencyClientHangsUp(t *testing.T) {
	s, pg := seededServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: contractTransport{t: t}}
	rs, err := prepareRetailers(ctx, benchConfig{URL: s.url, PostgresDSN: pg, Outlets: 30, Timeout: 10 * time.Second}, hc, true)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.revoke(context.WithoutCancel(ctx)) //nolint:errcheck // sessions of a test database
	if len(rs.list) < 10 {
		t.Fatalf("%d outlets with an open window (%v left out); want at least 10", len(rs.list), rs.skipped)
	}
	var mu sync.Mutex
	acked := map[int64]int64{} // order id by outlet
	var hungUp atomic.Int64
	var tally retryTally
	var wg sync.WaitGroup
	for i, r := range rs.list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key, body := fmt.Sprintf("hang-up-%d", i), fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":1}]}`, r.brands[0])
			impatient := &http.Client{Timeout: time.Duration(1+i%15) * time.Millisecond}
			a, err := postKeyed(ctx, impatient, s.url, r.token, r.outletID, key, body)
			if err == nil && (a.status == http.StatusCreated || a.status == http.StatusOK) {
				mu.Lock()
				acked[r.outletID] = a.orderID
				mu.Unlock()
				return
			}
			hungUp.Add(1)
			a, waits, err := retryKeyed(ctx, hc, s.url, r.token, r.outletID, key, body)
			if err != nil {
				t.Error(err)
				return
			}
			if a.status != http.StatusCreated {
				t.Errorf("retry of %s = %d; want 201 (the order created once)", key, a.status)
			}
			tally.add(a, waits)
			mu.Lock()
			acked[r.outletID] = a.orderID
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("%d orders: %d clients hung up; their retries: %s", len(rs.list), hungUp.Load(), &tally)
	checkOrdersOnce(t, ctx, pg, acked, len(rs.list))
	if t.Failed() {
		t.Logf("server's log:\n%s", s.stderr)
	}
}

// checkOrdersOnce checks in PostgreSQL that each acknowledged outlet has exactly one order, the
// acknowledged one, placed once (version 1: a second run would have replaced its lines), that the
// bench retailers have no other order, and that no idempotency key is left running. With
// storeMayFail (PostgreSQL itself went down), a key may stay running when its order committed and the
// store went away before the response was kept: a retry with it is answered from that order.
func checkOrdersOnce(t *testing.T, ctx context.Context, pg string, acked map[int64]int64, want int, storeMayFail ...bool) {
	t.Helper()
	if len(acked) != want {
		t.Errorf("%d orders acknowledged; want %d", len(acked), want)
	}
	pool := storestest.OpenPostgres(t, pg)
	rows, err := pool.Query(ctx, `SELECT o.outlet_id, o.id, o.version, o.status FROM orders o
		JOIN users u ON u.id = o.created_by AND u.username LIKE 'bench-%'`)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int64{}
	for rows.Next() {
		var outlet, id int64
		var version int
		var status string
		if err := rows.Scan(&outlet, &id, &version, &status); err != nil {
			t.Fatal(err)
		}
		if prev, ok := seen[outlet]; ok {
			t.Errorf("outlet %d has orders %d and %d; want one", outlet, prev, id)
		}
		seen[outlet] = id
		if version != 1 || status != "submitted" {
			t.Errorf("order %d of outlet %d: version %d, %s; want placed once (version 1, submitted)", id, outlet, version, status)
		}
		if ackID, ok := acked[outlet]; !ok || ackID != id {
			t.Errorf("order %d of outlet %d in PostgreSQL; acknowledged %d (present: %v)", id, outlet, ackID, ok)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for outlet, id := range acked {
		if seen[outlet] != id {
			t.Errorf("acknowledged order %d of outlet %d is not in PostgreSQL", id, outlet)
		}
	}
	var running, committed int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(order_id) FROM idempotency_keys WHERE state = 'running'`).
		Scan(&running, &committed); err != nil {
		t.Fatal(err)
	}
	if len(storeMayFail) > 0 && storeMayFail[0] {
		running -= committed
	}
	if running != 0 {
		t.Errorf("%d idempotency keys left running (%d of them with their order committed) after every order was answered; want 0",
			running, committed)
	}
}

// Two `ordercast serve` processes share the stores; retrying clients place keyed orders of distinct
// outlets through both, and one process is killed (SIGKILL) midway. Every order unanswered by the
// dead one is retried against the other, with the same key, and answered within the client's 10 s:
// by the order that committed, or by running it. Each order ends acknowledged exactly once, present
// in PostgreSQL once. ORDERCAST_CRASH_ORDERS sets how many orders (300 by default).
func TestIdempotencySurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two serve processes")
	}
	n := 300
	if v := os.Getenv("ORDERCAST_CRASH_ORDERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 2 {
			t.Fatalf("ORDERCAST_CRASH_ORDERS=%q; want a count of at least 2", v)
		}
	}
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	// Some seeded outlets are suspended or closed: seed enough for n active ones.
	if _, stderr, err := run("seed", "-pg-dsn", pg, "-ch-dsn", ch, "-outlets", strconv.Itoa(n*5/4+10), "-brands", "8",
		"-weeks", "8", "-as-of", "2026-11-22"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	bin := buildBinary(t)
	start := func() (*exec.Cmd, string, *syncBuffer) { return startProcess(t, bin, pg, ch) }
	victim, victimURL, _ := start()
	_, survivorURL, survivorLog := start()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	rs, err := prepareRetailers(ctx, benchConfig{URL: survivorURL, PostgresDSN: pg, Outlets: n, Timeout: 10 * time.Second}, hc, true)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.revoke(context.WithoutCancel(ctx)) //nolint:errcheck // sessions of a test database
	if len(rs.list) != n {
		t.Fatalf("%d outlets with an open window (%v left out); want %d", len(rs.list), rs.skipped, n)
	}

	retries := &http.Client{Timeout: 10 * time.Second, Transport: contractTransport{t: t}} // answered within 10 s
	var mu sync.Mutex
	acked := map[int64]int64{}
	var answered, retried atomic.Int64
	var tally retryTally
	var killOnce sync.Once
	kill := func() {
		killOnce.Do(func() {
			if err := victim.Process.Kill(); err != nil { // SIGKILL
				t.Errorf("kill -9: %v", err)
			}
		})
	}
	err = forEach(ctx, n, 64, func(i int) error {
		r := rs.list[i]
		key, body := fmt.Sprintf("crash-%d", i), fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":1}]}`, r.brands[i%len(r.brands)])
		base := victimURL
		if i%2 == 1 {
			base = survivorURL
		}
		a, err := postKeyed(ctx, hc, base, r.token, r.outletID, key, body)
		if err == nil && a.status == http.StatusCreated && !a.replayed {
			if answered.Add(1) == int64(n/3) {
				kill()
			}
		} else {
			if err == nil && base == survivorURL {
				return fmt.Errorf("%s on the survivor = %d %.300s; want 201", key, a.status, a.body)
			}
			retried.Add(1)
			var waits int
			if a, waits, err = retryKeyed(ctx, retries, survivorURL, r.token, r.outletID, key, body); err != nil {
				return err
			}
			if a.status != http.StatusCreated {
				return fmt.Errorf("retry of %s = %d; want 201 (the order created once)", key, a.status)
			}
			tally.add(a, waits)
		}
		mu.Lock()
		acked[r.outletID] = a.orderID
		mu.Unlock()
		return nil
	})
	kill()
	if err != nil {
		t.Fatalf("%v\nsurvivor's log:\n%.3000s", err, survivorLog)
	}
	t.Logf("%d orders: %d acknowledged, %d unanswered by the killed instance and retried on the other: %s",
		n, len(acked), retried.Load(), &tally)
	checkOrdersOnce(t, ctx, pg, acked, n)
}
