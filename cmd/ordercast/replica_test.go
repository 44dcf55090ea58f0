package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// reportPaths are report reads that the replica serves: the supply balance, the indicators and the
// maker portal (as a planner).
var reportPaths = []string{
	"/api/v1/balance?weeks=4",
	"/api/v1/indicators?period=week&level=manager&date=" + time.Now().UTC().Format(time.DateOnly),
	"/api/v1/portal/allocations",
}

// getReport is a planner's GET of a report, which must answer 200.
func getReport(t *testing.T, c apiClient, path string) map[string]any {
	t.Helper()
	code, m, raw := c.do("GET", path, "")
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d %.500s; want 200", path, code, raw)
	}
	return m
}

// reportConnections counts the report pool's connections to the ordercast database of the server.
func reportConnections(t *testing.T, dsn string) int {
	t.Helper()
	var n int
	err := storestest.OpenPostgres(t, dsn).QueryRow(context.Background(),
		"SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = 'ordercast'",
		stores.ReportApplicationName).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// metricValue is the value of the sample named (with its labels) in serve's /metrics, -1 if absent.
func metricValue(t *testing.T, base, sample string) float64 {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", line, err)
			}
			return f
		}
	}
	return -1
}

// Reports come from the streaming replica of -pg-report-dsn: its connections show there and not on
// the primary, and with the replica's replay paused a report does not see a write the primary has
// (while an instance without a replica does); once the replica has caught up the answers are the
// primary's; and when the replica stops, reports are answered by the primary with no error, the
// metrics saying so.
func TestReportsServedByTheReplica(t *testing.T) {
	primary := storestest.StartPostgresServer(t)
	pg, ch := primary.MigratedDSN(), storestest.MigratedClickHouseDSN(t)
	if _, stderr, err := run("seed", "-pg-dsn", pg, "-ch-dsn", ch, "-outlets", "40", "-brands", "8", "-weeks", "12",
		"-as-of", "2026-11-22"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	replica := primary.StartReplica()
	replica.WaitReplayed(primary)
	replicaDSN := replica.DatabaseDSN("ordercast")
	// A lag bound far above the test's length: with replay paused, the replica still serves.
	withReplica := startServe(t, "-pg-dsn", pg, "-ch-dsn", ch, "-pg-report-dsn", replicaDSN, "-pg-report-max-lag", "1h")
	onPrimary := startServe(t, "-pg-dsn", pg, "-ch-dsn", ch)
	eventually(t, 30*time.Second, "reports on the replica", func() bool {
		return metricValue(t, withReplica.url, "ordercast_pg_report_on_replica") == 1
	})
	a := apiClient{t: t, base: withReplica.url}.login("planner", demoPassword)
	b := apiClient{t: t, base: onPrimary.url}.login("planner", demoPassword)

	sameAnswers := func(when string) {
		t.Helper()
		for _, path := range reportPaths {
			if got, want := getReport(t, a, path), getReport(t, b, path); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: GET %s from the replica differs from the primary's:\n%v\nwant\n%v", when, path, got, want)
			}
		}
	}
	sameAnswers("caught up at start")
	if n := reportConnections(t, replicaDSN); n == 0 {
		t.Errorf("no %s connection on the replica after reports; want the reports there", stores.ReportApplicationName)
	}
	if n := reportConnections(t, pg); n != 0 {
		t.Errorf("%d %s connections on the primary while the replica is fit; want none", n, stores.ReportApplicationName)
	}

	// A planned arrival written while the replica's replay is paused: the replica's balance does not
	// have it, the primary's does.
	before := getReport(t, a, reportPaths[0])
	brand := before["brands"].([]any)[0].(map[string]any)["brand"].(string)
	replica.PauseReplay()
	now := time.Now().UTC()
	nextMonday := now.AddDate(0, 0, 7-(int(now.Weekday())+6)%7).Format(time.DateOnly)
	if code, _, raw, _ := a.doWith("POST", "/api/v1/arrival-plans",
		fmt.Sprintf(`{"lines":[{"brand":%q,"arrives_on":%q,"cartons":7}]}`, brand, nextMonday),
		map[string]string{"Idempotency-Key": "replica-arrival"}); code >= 300 {
		t.Fatalf("POST /arrival-plans = %d %s", code, raw)
	}
	if got := getReport(t, a, reportPaths[0]); !reflect.DeepEqual(got, before) {
		t.Errorf("the balance from the paused replica changed with a write it has not replayed: the primary answered it\n%v\nwant\n%v", got, before)
	}
	if got := getReport(t, b, reportPaths[0]); reflect.DeepEqual(got, before) {
		t.Fatal("the primary's balance does not show the arrival planned: the test proves nothing")
	}
	replica.ResumeReplay()
	replica.WaitReplayed(primary)
	sameAnswers("after catching up")

	// The replica stops: reports fall back to the primary, with no error to the client.
	replica.Stop()
	sameAnswers("with the replica stopped")
	if n := reportConnections(t, pg); n == 0 {
		t.Errorf("no %s connection on the primary after the replica stopped; want the reports there", stores.ReportApplicationName)
	}
	if v := metricValue(t, withReplica.url, "ordercast_pg_report_on_replica"); v != 0 {
		t.Errorf("ordercast_pg_report_on_replica = %v with the replica stopped; want 0", v)
	}
	fallbacks := metricValue(t, withReplica.url, `ordercast_pg_report_fallback_total{reason="connect"}`) +
		metricValue(t, withReplica.url, `ordercast_pg_report_fallback_total{reason="unreachable"}`)
	if fallbacks < 1 {
		t.Errorf("ordercast_pg_report_fallback_total (connect + unreachable) = %v; want at least 1", fallbacks)
	}
	if code, _ := get(t, withReplica.url+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d with only the report replica down; want 200", code)
	}
	if strings.Contains(withReplica.stderr.String(), `"status":5`) {
		t.Errorf("serve answered a 5xx:\n%s", logLines(withReplica.stderr.String(), `"status":5`))
	}
}

// Two serve instances on one PostgreSQL take orders and answer reports at once: every order placed
// through either is acknowledged and stored once, every report answers 200 while they are placed, and
// afterwards both instances answer the same reports, which count the orders.
func TestTwoInstancesServeOrdersAndReports(t *testing.T) {
	const n = 60
	two := startTwoInstances(t, 120, n)
	ctx, a, b, pg, hc, rs := two.ctx, two.a, two.b, two.pg, two.hc, two.retailers
	if len(rs.list) != n {
		t.Fatalf("%d outlets with an open window (%v left out); want %d", len(rs.list), rs.skipped, n)
	}
	planners := []apiClient{
		apiClient{t: t, base: a.url}.login("planner", demoPassword),
		apiClient{t: t, base: b.url}.login("planner", demoPassword),
	}
	requested := func(c apiClient) (sum int) {
		for _, br := range getReport(t, c, reportPaths[0])["brands"].([]any) {
			for _, w := range br.(map[string]any)["weeks"].([]any) {
				sum += int(w.(map[string]any)["requested"].(float64))
			}
		}
		return sum
	}
	requestedBefore := requested(planners[0])

	// Reports through both instances for as long as the orders are placed.
	ordered := make(chan struct{})
	var reports [2]atomic.Int64
	var wg sync.WaitGroup
	reportErrs := make(chan error, 2)
	for i, p := range planners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				select {
				case <-ordered:
					return
				default:
				}
				path := reportPaths[k%len(reportPaths)]
				res, err := getAs(ctx, hc, p.base+path, p.token)
				if err != nil {
					reportErrs <- fmt.Errorf("GET %s: %w", path, err)
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					reportErrs <- fmt.Errorf("GET %s on instance %d = %d during ordering; want 200", path, i, res.StatusCode)
					return
				}
				reports[i].Add(1)
			}
		}()
	}
	var mu sync.Mutex
	acked := map[int64]int64{}
	err := forEach(ctx, n, 16, func(i int) error {
		r := rs.list[i]
		base := []string{a.url, b.url}[i%2]
		ans, err := postKeyed(ctx, hc, base, r.token, r.outletID, fmt.Sprintf("two-instances-%d", i),
			fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":1}]}`, r.brands[i%len(r.brands)]))
		if err != nil {
			return err
		}
		if ans.status != http.StatusCreated {
			return fmt.Errorf("order %d through instance %d = %d %.300s; want 201", i, i%2, ans.status, ans.body)
		}
		mu.Lock()
		acked[r.outletID] = ans.orderID
		mu.Unlock()
		return nil
	})
	close(ordered)
	wg.Wait()
	close(reportErrs)
	if err != nil {
		t.Fatal(err)
	}
	for err := range reportErrs {
		t.Error(err)
	}
	if reports[0].Load() == 0 || reports[1].Load() == 0 {
		t.Errorf("reports answered during ordering: %d and %d; want some on each instance", reports[0].Load(), reports[1].Load())
	}
	t.Logf("%d orders through two instances, with %d and %d reports answered meanwhile", len(acked), reports[0].Load(), reports[1].Load())
	checkOrdersOnce(t, ctx, pg, acked, n)
	for _, path := range reportPaths {
		if got, want := getReport(t, planners[0], path), getReport(t, planners[1], path); !reflect.DeepEqual(got, want) {
			t.Errorf("GET %s differs between the instances:\n%v\n%v", path, got, want)
		}
	}
	if got := requested(planners[1]); got != requestedBefore+n {
		t.Errorf("cartons requested in the balance = %d after %d orders of one carton; want %d", got, n, requestedBefore+n)
	}
}

// twoInstances is a seeded region served by two `ordercast serve` instances (with -allow-credit) on
// one PostgreSQL and one ClickHouse, with retailers' sessions of outlets whose order window is open.
type twoInstances struct {
	ctx       context.Context // ends after 3 minutes, or with the test
	a, b      *served
	pg        string
	hc        *http.Client // 10 s timeout
	retailers benchRetailers
}

// startTwoInstances seeds outlets outlets (8 brands, 8 weeks) into new databases, starts two serve
// instances on them and prepares, through the first, sessions for up to retailers of them whose
// order window is open.
func startTwoInstances(t *testing.T, outlets, retailers int) twoInstances {
	t.Helper()
	storestest.SkipShort(t)
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	if _, stderr, err := run("seed", "-pg-dsn", pg, "-ch-dsn", ch, "-outlets", strconv.Itoa(outlets), "-brands", "8",
		"-weeks", "8", "-as-of", "2026-11-22"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	two := twoInstances{pg: pg, hc: &http.Client{Timeout: 10 * time.Second},
		a: startServe(t, "-pg-dsn", pg, "-ch-dsn", ch, "-allow-credit"),
		b: startServe(t, "-pg-dsn", pg, "-ch-dsn", ch, "-allow-credit")}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	two.ctx = ctx
	var err error
	two.retailers, err = prepareRetailers(ctx, benchConfig{URL: two.a.url, PostgresDSN: pg, Outlets: retailers,
		Timeout: 10 * time.Second}, two.hc, true)
	if err != nil {
		t.Fatal(err)
	}
	return two
}
