package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
)

// scanRowJSON is one row of an upload body, as a terminal sends it.
type scanRowJSON struct {
	Brand string  `json:"brand"`
	Kind  string  `json:"kind"`
	At    string  `json:"at"`
	Qty   float64 `json:"qty"`
}

func scanBody(t testing.TB, batchID string, rows []scanRowJSON) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"batch_id": batchID, "rows": rows})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// seededBrands returns the first n brand codes of the catalogue.
func seededBrands(t testing.TB, pgDSN string, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := stores.OpenPostgres(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rows, err := pool.Query(ctx, "SELECT code FROM brands ORDER BY code LIMIT $1", n)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
	}
	if len(codes) < n {
		t.Fatalf("the seeded catalogue has %d brands; want %d", len(codes), n)
	}
	return codes
}

// addUser adds a user with the user command.
func addUser(t testing.TB, pgDSN, username, role string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(f, []byte(demoPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := run("user", "add", "-pg-dsn", pgDSN, "-username", username, "-role", role, "-password-file", f); err != nil {
		t.Fatalf("user add %s: %v %s", username, err, stderr)
	}
}

// chCounts counts the rows of a batch in scans, scan_rejects and scan_batches.
func chCounts(t *testing.T, chDSN, outlet, batchID string) [3]uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := stores.OpenClickHouse(ctx, chDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n [3]uint64
	for i, table := range []string{"scans", "scan_rejects", "scan_batches"} {
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+table+" WHERE outlet = ? AND batch_id = ?", outlet, batchID).Scan(&n[i]); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
	}
	return n
}

func TestAPIScanUpload(t *testing.T) {
	s, pg, ch := seededServerDSNs(t)
	addUser(t, pg, "ops-admin", "admin")
	anon := apiClient{t: t, base: s.url}
	users := map[string]apiClient{}
	for _, u := range []string{"retailer1", "retailer2", "manager1", "manager2", "planner", "ops-admin"} {
		users[u] = anon.login(u, demoPassword)
	}
	outletOf := map[string]map[string]any{}
	for _, u := range []string{"retailer1", "retailer2"} {
		_, me, _ := users[u].do("GET", "/api/v1/me", "")
		outletOf[u] = me["outlet"].(map[string]any)
	}
	path := func(u string) string { return "/api/v1/outlets/" + jsonNumber(outletOf[u]["id"]) + "/scans" }
	licence := func(u string) string { return outletOf[u]["licence"].(string) }
	brands := seededBrands(t, pg, 2)
	b1, b2 := brands[0], brands[1]

	cst := time.FixedZone("CST", 8*3600)
	at := time.Now().In(cst).Add(-time.Hour).Truncate(time.Second)
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	rows := []scanRowJSON{
		{b1, "sellout", ts(at), 30},                     // 0 accepted
		{"NOPE", "sellout", ts(at), 3},                  // 1 unknown_brand
		{b1, "stock", ts(at), -2},                       // 2 negative_stock
		{b2, "sellout", ts(at), -1},                     // 3 negative_quantity
		{b1, "sellout", ts(at.Add(3 * time.Hour)), 5},   // 4 future_time
		{b1, "sellout", ts(at), 30},                     // 5 duplicate of 0
		{b2, "stock", ts(at), 5e4},                      // 6 stock_to_sales
		{b2, "stock", ts(at.Add(-time.Minute)), 40},     // 7 accepted
		{b1, "stock", ts(at.Add(-2 * time.Minute)), 10}, // 8 accepted
	}
	wantReasons := map[int]string{1: "unknown_brand", 2: "negative_stock", 3: "negative_quantity", 4: "future_time",
		5: "duplicate", 6: "stock_to_sales"}
	body := scanBody(t, "term-1:2026.11.22_a", rows)

	retailer1 := users["retailer1"]
	code, m, first := retailer1.do("POST", path("retailer1"), body)
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s; want 201", code, first)
	}
	if m["batch_id"] != "term-1:2026.11.22_a" || m["accepted"] != 3.0 || m["rejected"] != 6.0 {
		t.Errorf("upload = %s; want 3 accepted and 6 rejected", first)
	}
	rejects, _ := m["rejects"].([]any)
	gotReasons := map[int]string{}
	for _, r := range rejects {
		r := r.(map[string]any)
		gotReasons[int(r["row"].(float64))] = r["reason"].(string)
		if d, _ := r["detail"].(string); d == "" {
			t.Errorf("reject %v has no detail", r)
		}
	}
	if fmt.Sprint(gotReasons) != fmt.Sprint(wantReasons) {
		t.Errorf("rejects by row = %v; want %v", gotReasons, wantReasons)
	}
	if got := chCounts(t, ch, licence("retailer1"), "term-1:2026.11.22_a"); got != [3]uint64{3, 6, 1} {
		t.Errorf("ClickHouse scans, rejects, batches = %v; want [3 6 1]", got)
	}

	t.Run("replay: same response, nothing written", func(t *testing.T) {
		code, _, again := retailer1.do("POST", path("retailer1"), body)
		if code != http.StatusOK || again != first {
			t.Errorf("replay = %d %s; want 200 %s", code, again, first)
		}
		if got := chCounts(t, ch, licence("retailer1"), "term-1:2026.11.22_a"); got != [3]uint64{3, 6, 1} {
			t.Errorf("ClickHouse scans, rejects, batches after the replay = %v; want [3 6 1]", got)
		}
	})

	t.Run("metrics count rows once", func(t *testing.T) {
		res, err := http.Get(s.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, want := range []string{
			`ordercast_retailer_scan_rows_total{reason="",result="accepted"} 3`,
			`ordercast_retailer_scan_rows_total{reason="unknown_brand",result="rejected"} 1`,
			`ordercast_retailer_scan_rows_total{reason="stock_to_sales",result="rejected"} 1`,
		} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})

	small := scanBody(t, "auth-1", []scanRowJSON{{b1, "stock", ts(at), 12}})
	tests := []struct {
		name, user, path, body string
		wantStatus             int
		wantType, wantField    string
		badRequest             bool // outside openapi.json on purpose
	}{
		{"retailer1 for retailer2's outlet", "retailer1", path("retailer2"), small, 404, "/problems/not-found", "", false},
		{"an outlet that does not exist", "retailer1", "/api/v1/outlets/99999999/scans", small, 404, "/problems/not-found", "", false},
		{"not an outlet id", "retailer1", "/api/v1/outlets/x1/scans", small, 404, "/problems/not-found", "", true},
		{"manager2 for an outlet it does not see", "manager2", path("retailer1"), small, 404, "/problems/not-found", "", false},
		{"manager1 for an outlet it sees", "manager1", path("retailer1"), small, 403, "/problems/forbidden", "", false},
		{"planner", "planner", path("retailer2"), small, 403, "/problems/forbidden", "", false},
		{"an administrator, on the outlet's behalf", "ops-admin", path("retailer2"), small, 201, "", "", false},
		{"10,001 rows", "retailer1", path("retailer1"), scanBody(t, "big-1", func() []scanRowJSON {
			r := make([]scanRowJSON, 10_001)
			for i := range r {
				r[i] = scanRowJSON{b1, "stock", ts(at.Add(-time.Duration(i) * time.Second)), 1}
			}
			return r
		}()), 422, "/problems/invalid-fields", "rows", true},
		{"body over the limit", "retailer1", path("retailer1"),
			`{"batch_id":"huge","rows":[` + strings.Repeat(`{"brand":"`+b1+`","kind":"stock","at":"`+ts(at)+`","qty":1},`, 70_000) + `{}]}`,
			413, "/problems/body-too-large", "", true},
		{"an unknown field", "retailer1", path("retailer1"), `{"batch_id":"u1","outlet":"x","rows":[]}`, 422, "/problems/invalid-fields", "outlet", true},
		{"a bad kind", "retailer1", path("retailer1"), scanBody(t, "k1", []scanRowJSON{{b1, "sold", ts(at), 1}}), 422, "/problems/invalid-fields", "rows[0].kind", true},
		{"a bad batch id", "retailer1", path("retailer1"), scanBody(t, "a b", []scanRowJSON{{b1, "stock", ts(at), 1}}), 422, "/problems/invalid-fields", "batch_id", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := users[tt.user]
			c.invalid = tt.badRequest
			code, m, raw := c.do("POST", tt.path, tt.body)
			if code != tt.wantStatus || (tt.wantType != "" && m["type"] != tt.wantType) {
				t.Fatalf("POST %s as %s = %d %.300s; want %d %s", tt.path, tt.user, code, raw, tt.wantStatus, tt.wantType)
			}
			if tt.wantField != "" && !strings.Contains(raw, `"field":"`+tt.wantField+`"`) {
				t.Errorf("POST %s = %.300s; want a field error for %q", tt.path, raw, tt.wantField)
			}
			if code == http.StatusNotFound && (strings.Contains(raw, licence("retailer1")) || strings.Contains(raw, licence("retailer2"))) {
				t.Errorf("404 body names an outlet: %s", raw)
			}
		})
	}
	if got := chCounts(t, ch, licence("retailer2"), "auth-1"); got != [3]uint64{1, 0, 1} {
		t.Errorf("ClickHouse rows of the administrator's upload for retailer2 = %v; want [1 0 1]", got)
	}
	for _, id := range []string{"big-1", "huge", "k1"} {
		if got := chCounts(t, ch, licence("retailer1"), id); got != [3]uint64{} {
			t.Errorf("ClickHouse rows of refused batch %s = %v; want none", id, got)
		}
	}
}

// BenchmarkScanThroughput measures scan ingestion through the API over loopback: uploads of
// ORDERCAST_SCAN_BATCH_ROWS rows (5,000) from ORDERCAST_SCAN_CLIENTS concurrent clients (4), spread over
// the seeded outlets by an administrator, ORDERCAST_SCAN_BATCHES batches (60) per round, 3 rounds; each
// round stops early after 60 s. Bodies are encoded before the clock starts. It reports the median
// round as rows/s. Run it once with
//
//	go test ./cmd/ordercast -run '^$' -bench ScanThroughput -benchtime 1x
func BenchmarkScanThroughput(b *testing.B) {
	t := b
	envInt := func(name string, def int) int {
		if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
			return min(n, 10_000)
		}
		return def
	}
	batchRows, clients, batches := envInt("ORDERCAST_SCAN_BATCH_ROWS", 5000), envInt("ORDERCAST_SCAN_CLIENTS", 4), envInt("ORDERCAST_SCAN_BATCHES", 60)
	const rounds, roundLimit = 3, 60 * time.Second

	s, pg, _ := seededServerDSNs(t)
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") {
		t.Fatalf("server at %s: this load runs over loopback only", s.url)
	}
	addUser(t, pg, "load-admin", "admin")
	admin := apiClient{t: t, base: s.url}.login("load-admin", demoPassword)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	pool, err := stores.OpenPostgres(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	var outlets []int64
	if err := pool.QueryRow(ctx, "SELECT array_agg(id ORDER BY id) FROM outlets").Scan(&outlets); err != nil {
		t.Fatal(err)
	}
	pool.Close()
	cancel()
	brands := seededBrands(t, pg, 8)

	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var rates []float64
	for round := range rounds {
		bodies := make([][]byte, batches)
		for b := range bodies {
			rows := make([]scanRowJSON, batchRows)
			for i := range rows {
				// Distinct (brand, kind, second) within the batch; stock counts small enough to pass.
				kind := []string{"sellout", "stock"}[(i/len(brands))%2]
				rows[i] = scanRowJSON{brands[i%len(brands)], kind, base.Add(-time.Duration(i/(2*len(brands))) * time.Second).Format(time.RFC3339), float64(1 + i%20)}
			}
			bodies[b] = []byte(scanBody(t, fmt.Sprintf("load-r%d-b%d", round, b), rows))
		}
		hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
		next := make(chan int)
		var mu sync.Mutex
		var done, failed int
		var firstErr string
		var wg sync.WaitGroup
		start := time.Now()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := range next {
					url := fmt.Sprintf("%s/api/v1/outlets/%d/scans", s.url, outlets[b%len(outlets)])
					req, _ := http.NewRequest("POST", url, bytes.NewReader(bodies[b]))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+admin.token)
					res, err := hc.Do(req)
					var problem string
					if err != nil {
						problem = err.Error()
					} else {
						raw, _ := io.ReadAll(res.Body)
						res.Body.Close()
						if res.StatusCode != http.StatusCreated {
							problem = fmt.Sprintf("%d %.300s", res.StatusCode, raw)
						}
					}
					mu.Lock()
					if problem == "" {
						done++
					} else if failed++; firstErr == "" {
						firstErr = problem
					}
					mu.Unlock()
				}
			}()
		}
	feed:
		for b := range batches {
			select {
			case next <- b:
			case <-time.After(roundLimit - time.Since(start)):
				break feed
			}
		}
		close(next)
		wg.Wait()
		elapsed := time.Since(start)
		hc.CloseIdleConnections()
		if failed > 0 {
			var logged []string
			for _, line := range strings.Split(s.stderr.String(), "\n") {
				if strings.Contains(line, "request failed") {
					logged = append(logged, line)
				}
			}
			t.Fatalf("round %d: %d uploads failed, first: %s\nserver errors:\n%s", round+1, failed, firstErr, strings.Join(logged, "\n"))
		}
		rate := float64(done*batchRows) / elapsed.Seconds()
		rates = append(rates, rate)
		t.Logf("round %d: %d batches of %d rows from %d clients in %.2f s: %.0f rows/s", round+1, done, batchRows, clients, elapsed.Seconds(), rate)
	}
	sort.Float64s(rates)
	t.Logf("median of %d rounds: %.0f rows/s", rounds, rates[rounds/2])
	b.ReportMetric(rates[rounds/2], "rows/s")
}
