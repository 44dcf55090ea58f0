package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// BenchmarkManagerPages times the account manager's pages as a browser gets them from `ordercast
// serve` over loopback (the server's time, the page's in-process API calls included, plus loopback):
// /manager as manager1 (its bulletin with 12 weeks of trends, about 150 outlets in the seeded
// regions), its three lists of outlets to see to (/manager?filter=: failed orders, outlets that did
// not order, outlets not uploading scans), /manager as the planner (the company's bulletin and
// trends) and /manager/outlets/{id} (one of manager1's outlets drilled down). Each sub-benchmark
// reports the median of its iterations as ms-median/op, after one request that warms the day's
// stored bulletins, and the process's CPU per request as cpu-ms/op.
//
// The region is the demo's (`ordercast seed` defaults: 3,000 outlets, 150 brands, 104 weeks) seeded
// into new databases, or ORDERCAST_BENCH_OUTLETS outlets with ORDERCAST_BENCH_WEEKS weeks of history;
// or a region seeded before, named by ORDERCAST_BENCH_PG_DSN and ORDERCAST_BENCH_CH_DSN (left as it
// is: the way to measure two builds on the same 100,000 outlets). Run it with
//
//	go test ./cmd/ordercast -run '^$' -bench ManagerPages -benchtime 5x
//
// ORDERCAST_BENCH_MANAGER_OUTLETS=N first gives manager1 N outlets (issue 14's manager of 300): it
// moves outlets of other managers to manager1's in PostgreSQL, those of manager1's first area
// first, and deletes the stored bulletins so that they are computed with the move (the first
// requests wait for serve's bulletin job, asking again after a 5xx for up to 15 minutes). It WRITES to the
// databases it is given: name a copy (CREATE DATABASE copy TEMPLATE region), never a region others
// measure on. ClickHouse's copy of the outlets (outlets_dim, read by the accuracy report by manager,
// not by these pages) keeps the managers as seeded.
func BenchmarkManagerPages(b *testing.B) {
	pg, ch := os.Getenv("ORDERCAST_BENCH_PG_DSN"), os.Getenv("ORDERCAST_BENCH_CH_DSN")
	if pg == "" || ch == "" {
		pg, ch = storestest.MigratedPostgresDSN(b), storestest.MigratedClickHouseDSN(b)
		args := []string{"seed", "-pg-dsn", pg, "-ch-dsn", ch}
		for _, f := range []struct{ env, flag string }{{"ORDERCAST_BENCH_OUTLETS", "-outlets"}, {"ORDERCAST_BENCH_WEEKS", "-weeks"}} {
			if v := os.Getenv(f.env); v != "" {
				args = append(args, f.flag, v)
			}
		}
		start := time.Now()
		if _, stderr, err := run(args...); err != nil {
			b.Fatalf("seed: %v\n%s", err, stderr)
		}
		b.Logf("%v in %s", args[5:], time.Since(start).Round(time.Second))
	}
	if v := os.Getenv("ORDERCAST_BENCH_MANAGER_OUTLETS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("ORDERCAST_BENCH_MANAGER_OUTLETS=%q: want a number of outlets", v)
		}
		giveManager1(b, pg, n)
	}
	s := startServe(b, "-pg-dsn", pg, "-ch-dsn", ch)
	manager, planner := pageSession(b, s.url, "manager1"), pageSession(b, s.url, "planner")
	outlet := managersOutlet(b, s.url)

	pages := []struct {
		name, path, holds string
		c                 *http.Client
	}{
		{"manager", "/manager", `id="trend-order_success_rate"`, manager},
		{"manager-failed", "/manager?filter=failed", `id="list-failed"`, manager},
		{"manager-not-ordered", "/manager?filter=not_ordered", `id="list-not_ordered"`, manager},
		{"manager-not-uploading", "/manager?filter=not_uploading", `id="list-not_uploading"`, manager},
		{"company", "/manager", `id="trend-order_success_rate"`, planner},
		{"outlet", "/manager/outlets/" + strconv.FormatInt(outlet, 10), `id="outlet-chart"`, manager},
	}
	for _, p := range pages {
		start := time.Now()
		firstPage(b, p.c, s.url+p.path, p.holds)
		b.Logf("%s: first request %s", p.name, time.Since(start).Round(time.Millisecond))
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) { benchPage(b, p.c, s.url+p.path, p.holds) })
	}
}

// managersOutlet is the id of one of manager1's outlets, from the API.
func managersOutlet(b *testing.B, base string) int64 {
	b.Helper()
	api := apiClient{t: b, base: base}.login("manager1", demoPassword)
	req, _ := http.NewRequest("GET", base+"/api/v1/outlets?limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+api.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var page struct {
		Outlets []struct {
			ID int64 `json:"id"`
		} `json:"outlets"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || len(page.Outlets) == 0 {
		b.Fatal(fmt.Errorf("manager1's outlets: %v (%d)", err, len(page.Outlets)))
	}
	return page.Outlets[0].ID
}

// giveManager1 moves outlets of other managers to manager1's account manager until it has n (those
// in its first area first, then by id), and deletes the stored bulletins when it moved any (they
// were computed before the move).
func giveManager1(b *testing.B, dsn string, n int) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := storestest.OpenPostgres(b, dsn)
	tag, err := pool.Exec(ctx, `WITH m AS (SELECT manager_id AS id FROM users WHERE username = 'manager1'),
		area AS (SELECT min(o.area) AS name FROM outlets o, m WHERE o.manager_id = m.id),
		have AS (SELECT count(*) AS n FROM outlets o, m WHERE o.manager_id = m.id)
		UPDATE outlets SET manager_id = (SELECT id FROM m) WHERE id IN (
			SELECT o.id FROM outlets o, m, area WHERE o.manager_id IS DISTINCT FROM m.id
			ORDER BY o.area = area.name DESC, o.id LIMIT greatest(0, $1 - (SELECT n FROM have)))`, n)
	if err != nil {
		b.Fatalf("give manager1 %d outlets: %v", n, err)
	}
	if tag.RowsAffected() > 0 { // computed before the move; a second run finds them computed since
		if _, err := pool.Exec(ctx, `DELETE FROM bulletin_snapshots`); err != nil {
			b.Fatalf("delete the stored bulletins: %v", err)
		}
	}
	var has int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outlets WHERE manager_id = (SELECT manager_id FROM users
		WHERE username = 'manager1')`).Scan(&has); err != nil {
		b.Fatal(err)
	}
	b.Logf("manager1 has %d outlets (%d moved to it)", has, tag.RowsAffected())
}

// firstPage is pageBody for a page's first request, which may find the day's bulletin being
// computed (after giveManager1, or on a loaded machine): it asks again after a 5xx, for up to 15
// minutes, logging each refusal.
func firstPage(b *testing.B, c *http.Client, u, holds string) {
	b.Helper()
	for deadline := time.Now().Add(15 * time.Minute); ; {
		res, err := c.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body) //nolint:errcheck // only the status counts here
		res.Body.Close()
		if res.StatusCode < 500 || time.Now().After(deadline) {
			break
		}
		b.Logf("GET %s: %d; again in 10 s", u, res.StatusCode)
		time.Sleep(10 * time.Second)
	}
	pageBody(b, c, u, holds)
}
