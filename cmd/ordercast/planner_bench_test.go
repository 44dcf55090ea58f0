package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// BenchmarkPlannerPages measures the server time of every planner and supply page through the real
// server on a province-sized region: the cycle with its orders, the allocation preview of a scarce
// brand (its first page and a later one), the confirmation, the latest cycle's scarce brands awaiting
// their supply with a fresh preview of each (cycle-supply), the accuracy report, the supply balance,
// the manufacturer's portal and logistics' round of the busiest delivery day. Each sub-benchmark
// reports the median of its requests as ms-median/op (over loopback, the whole answer read).
//
// The region is seeded by the benchmark (ORDERCAST_PAGES_OUTLETS outlets, 100,000 by default, 30
// brands, 12 weeks; then a forecast run and a scored month: many minutes), or taken as it is from
// databases prepared by the same commands (see prepareRegion) and named by ORDERCAST_PAGES_PG_DSN and
// ORDERCAST_PAGES_CH_DSN, which the benchmark leaves as it found them (it publishes nothing):
//
//	go test ./cmd/ordercast -run '^$' -bench PlannerPages -benchtime 9x
//
// The pages are timed on a server just started, while its warmer makes its first pass, unless
// ORDERCAST_PAGES_SETTLE names how long the server is left up first (a Go duration: "60s"), as a
// user arriving minutes after a start would find it. Each sub-benchmark logs what the server's
// requests and its warmer had computed of the figures it keeps (ordercast_kept_computations_total)
// once its requests are done.
func BenchmarkPlannerPages(b *testing.B) {
	pg, ch := os.Getenv("ORDERCAST_PAGES_PG_DSN"), os.Getenv("ORDERCAST_PAGES_CH_DSN")
	if pg == "" || ch == "" {
		outlets := 100_000
		if n, err := strconv.Atoi(os.Getenv("ORDERCAST_PAGES_OUTLETS")); err == nil && n > 0 {
			outlets = n
		}
		pg, ch = storestest.MigratedPostgresDSN(b), storestest.MigratedClickHouseDSN(b)
		start := time.Now()
		for _, args := range prepareRegion(outlets) {
			stores := []string{"-ch-dsn", ch} // the forecast and the score read and write ClickHouse only
			if args[0] == "seed" {
				stores = append(stores, "-pg-dsn", pg)
			}
			if out, stderr, err := run(append(args, stores...)...); err != nil {
				b.Fatalf("%v: %v\n%s%s", args, err, out, stderr)
			}
		}
		b.Logf("prepared %d outlets in %s", outlets, time.Since(start).Round(time.Second))
	}
	r := regionOf(b, pg)
	s := startServe(b, "-pg-dsn", pg, "-ch-dsn", ch, "-log-level", "warn")
	if v := os.Getenv("ORDERCAST_PAGES_SETTLE"); v != "" {
		settle, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("ORDERCAST_PAGES_SETTLE=%q: %v", v, err)
		}
		time.Sleep(settle)
	}

	clients := map[string]*http.Client{}
	for _, user := range []string{"planner", "manufacturer1", "logistics"} {
		clients[user] = pageSession(b, s.url, user)
	}
	// The preview's later page and its confirmation name the preview kept by the first page, when the
	// server keeps previews (else each computes it again).
	alloc := url.Values{"brand": {r.scarce}, "supply": {strconv.Itoa(r.outlets / 20)}, "mode": {"grade"}}
	allocPath := "/planner/cycles/" + r.open + "/allocation"
	later := url.Values{"page": {"40"}}
	for k, v := range alloc {
		later[k] = v
	}
	if m := regexp.MustCompile(`[?;]preview=([\w.\-]+)`).FindSubmatch(pageBody(b, clients["planner"], s.url+allocPath+"?"+alloc.Encode())); m != nil {
		alloc.Set("preview", string(m[1]))
		later.Set("preview", string(m[1]))
	}
	served := latestCycle(b, pg) // serve's cycles ahead, created when it started
	pages := []struct {
		name, user, path string
		holds            []string // what the page must show
	}{
		{"cycle", "planner", "/planner/cycles/" + r.ordered, nil},
		{"cycle-failed", "planner", "/planner/cycles/" + r.ordered + "?status=failed", nil},
		{"allocation-form", "planner", allocPath, nil},
		{"allocation-preview", "planner", allocPath + "?" + url.Values{"brand": alloc["brand"], "supply": alloc["supply"], "mode": alloc["mode"]}.Encode(), nil},
		{"allocation-page-40", "planner", allocPath + "?" + later.Encode(), nil},
		{"allocation-confirm", "planner", allocPath + "/confirm?" + alloc.Encode(), nil},
		// Every scarce brand awaiting its supply in the latest cycle (serve's: the seed published
		// nothing after its own weeks), each previewed afresh.
		{"cycle-supply", "planner", "/planner/cycles/" + served + "/supply", []string{`id="publish-all"`}},
		{"accuracy", "planner", "/planner/accuracy?month=" + pagesScoredMonth, nil},
		{"balance", "planner", "/supply/balance", nil},
		{"maker", "manufacturer1", "/maker", nil},
		{"round", "logistics", "/rounds/" + r.roundDay, nil},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			c := clients[p.user]
			pageBody(b, c, s.url+p.path, p.holds...) // warm: the first request of a page may fill caches the others share
			benchPage(b, c, s.url+p.path, p.holds...)
			logKept(b, s.url)
		})
	}
	if os.Getenv("ORDERCAST_PAGES_PUBLISH") != "" {
		b.Run("cycle-supply-publish", func(b *testing.B) { benchPublishCycle(b, clients["planner"], s.url, pg, served) })
	}
}

// latestCycle is the week of the latest cycle of the region in pgDSN.
func latestCycle(b *testing.B, pgDSN string) string {
	var week string
	if err := storestest.OpenPostgres(b, pgDSN).QueryRow(context.Background(), `SELECT max(week_start)::text FROM cycles`).Scan(&week); err != nil {
		b.Fatal(err)
	}
	return week
}

// benchPublishCycle times one press of the supply page's publish button: every scarce brand of the
// latest cycle (serve's, still open to orders) awaiting its supply, published from its kept
// preview, and the cycle page it leads to. Before each press (untimed) the brands' publication is
// undone in PostgreSQL and the page is read, so it changes the databases: the benchmark runs it only
// with ORDERCAST_PAGES_PUBLISH set. It reports the press's wall time as ns/op and the brands
// published as brands/op.
func benchPublishCycle(b *testing.B, c *http.Client, base, pgDSN, week string) {
	pool := storestest.OpenPostgres(b, pgDSN)
	page := base + "/planner/cycles/" + week + "/supply"
	brands := 0
	for range b.N {
		b.StopTimer()
		if _, err := pool.Exec(context.Background(), `WITH c AS (SELECT id FROM cycles WHERE week_start = $1),
			s AS (UPDATE supply_plans sp SET published_at = NULL, supply_cartons = NULL, allocation_id = NULL
				FROM c, brands b WHERE sp.cycle_id = c.id AND b.id = sp.brand_id AND b.scarce RETURNING sp.brand_id)
			DELETE FROM outlet_limits l USING c WHERE l.cycle_id = c.id AND l.brand_id IN (SELECT brand_id FROM s)`, week); err != nil {
			b.Fatal(err)
		}
		form := publishForm(b, string(pageBody(b, c, page, `id="publish-all"`)))
		brands = len(form["brand"])
		b.StartTimer()
		if status, body := postForm(b, c, page, form); status != http.StatusOK || !strings.Contains(body, "notice") {
			b.Fatalf("press = %d; want the cycle page with its notice:\n%.500s", status, textOf(body))
		}
	}
	b.ReportMetric(float64(brands), "brands/op")
}

// pagesScoredMonth is the month prepareRegion scores.
const pagesScoredMonth = "2026-10"

// prepareRegion is the commands that make the benchmark's region: a seeded region of n outlets
// whose 12 weeks of history end with the week of 2026-11-09 (its last 8 are cycles with orders), a
// forecast run from 2026-09-28 scored for October, and a run from the week after the history (the
// latest cycle's demand, the balance's weeks).
func prepareRegion(n int) [][]string {
	return [][]string{
		{"seed", "-outlets", strconv.Itoa(n), "-brands", "30", "-weeks", "12", "-as-of", "2026-11-22"},
		{"forecast", "run", "-as-of", "2026-09-28", "-horizon", "6"},
		{"score", "-month", pagesScoredMonth, "-against", "requested"}, // the accuracy page's default basis
		{"forecast", "run", "-as-of", "2026-11-16", "-horizon", "6"},
	}
}

// pagesRegion is what the benchmark's pages name in the region.
type pagesRegion struct {
	outlets  int
	ordered  string // the latest cycle with orders
	open     string // the latest cycle
	scarce   string // a scarce brand
	roundDay string // the day with most orders to deliver
}

func regionOf(b *testing.B, dsn string) pagesRegion {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := storestest.OpenPostgres(b, dsn)
	var r pagesRegion
	var ordered, open time.Time
	err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM outlets),
		(SELECT max(c.week_start) FROM cycles c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cycle_id = c.id)),
		(SELECT max(week_start) FROM cycles),
		(SELECT min(code) FROM brands WHERE scarce)`).Scan(&r.outlets, &ordered, &open, &r.scarce)
	if err != nil {
		b.Fatalf("read the region: %v", err)
	}
	r.ordered, r.open = ordered.Format(time.DateOnly), open.Format(time.DateOnly)
	// The round of a day lists the orders paid for delivery that day (GET /rounds/{day}); take the
	// order day of the latest cycle with the most orders as the busiest.
	var day time.Time
	if err := pool.QueryRow(ctx, `SELECT (paid_at AT TIME ZONE 'Asia/Shanghai')::date FROM orders
		WHERE paid_at IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 DESC LIMIT 1`).Scan(&day); err != nil {
		b.Fatalf("read the busiest round: %v", err)
	}
	r.roundDay = day.Format(time.DateOnly)
	b.Logf("region: %+v", r)
	return r
}

// logKept logs the server's ordercast_kept_computations_total, "kept/by" = value.
func logKept(b *testing.B, base string) {
	b.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	metrics, err := io.ReadAll(res.Body)
	if err != nil {
		b.Fatal(err)
	}
	var kept []string
	for _, m := range keptComputationsLine.FindAllStringSubmatch(string(metrics), -1) {
		kept = append(kept, m[2]+"/"+m[1]+"="+m[3])
	}
	b.Logf("kept computations: %s", strings.Join(kept, " "))
}
