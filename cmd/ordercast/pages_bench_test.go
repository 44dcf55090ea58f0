package main

import (
	"encoding/json"
	"fmt"
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
// regions), /manager as the planner (the company's bulletin and trends) and /manager/outlets/{id} (one
// of manager1's outlets drilled down). Each sub-benchmark reports the median of its iterations as
// ms-median/op, after one request that warms the day's stored bulletins.
//
// The region is the demo's (`ordercast seed` defaults: 3,000 outlets, 150 brands, 104 weeks) seeded
// into new databases, or ORDERCAST_BENCH_OUTLETS outlets with ORDERCAST_BENCH_WEEKS weeks of history;
// or a region seeded before, named by ORDERCAST_BENCH_PG_DSN and ORDERCAST_BENCH_CH_DSN (left as it
// is: the way to measure two builds on the same 100,000 outlets). Run it with
//
//	go test ./cmd/ordercast -run '^$' -bench ManagerPages -benchtime 5x
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
	s := startServe(b, "-pg-dsn", pg, "-ch-dsn", ch)
	manager, planner := pageSession(b, s.url, "manager1"), pageSession(b, s.url, "planner")
	outlet := managersOutlet(b, s.url)

	pages := []struct {
		name, path, holds string
		c                 *http.Client
	}{
		{"manager", "/manager", `id="trend-order_success_rate"`, manager},
		{"company", "/manager", `id="trend-order_success_rate"`, planner},
		{"outlet", "/manager/outlets/" + strconv.FormatInt(outlet, 10), `id="outlet-chart"`, manager},
	}
	for _, p := range pages {
		start := time.Now()
		pageBody(b, p.c, s.url+p.path, p.holds)
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
