package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// oneBatch is an upload of 4 valid sell-out rows and 1 of an unknown brand.
func oneBatch(t testing.TB, id string, brands []string, at time.Time) string {
	rows := []scanRowJSON{{"NOPE", "sellout", at.Format(time.RFC3339), 1}}
	for i := range 4 {
		rows = append(rows, scanRowJSON{brands[i%len(brands)], "sellout", at.Add(-time.Duration(i) * time.Minute).Format(time.RFC3339), float64(i + 1)})
	}
	return scanBody(t, id, rows)
}

// 20 batches, each sent 6 times at once through 3 instances of serve on the same databases: each is
// stored once (its rows counted in ClickHouse), answered 201 once and 200 the other times, every
// answer with the same counts.
func TestScanBatchStoredOnceAcrossInstances(t *testing.T) {
	first, pg, ch := seededServerDSNs(t)
	instances := []*served{first, startServe(t, "-pg-dsn", pg, "-ch-dsn", ch), startServe(t, "-pg-dsn", pg, "-ch-dsn", ch)}
	retailer1 := apiClient{t: t, base: first.url}.login("retailer1", demoPassword)
	_, me, _ := retailer1.do("GET", "/api/v1/me", "")
	outlet := me["outlet"].(map[string]any)
	path := "/api/v1/outlets/" + jsonNumber(outlet["id"]) + "/scans"
	brands := seededBrands(t, pg, 2)
	at := time.Now().Add(-time.Hour).Truncate(time.Second)

	const batches, copies = 20, 6
	type answer struct {
		code               int
		accepted, rejected float64
	}
	answers := make([][]answer, batches)
	var wg sync.WaitGroup
	for b := range batches {
		answers[b] = make([]answer, copies)
		body := oneBatch(t, fmt.Sprintf("multi-%02d", b), brands, at)
		for c := range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := retailer1
				client.base = instances[(b+c)%len(instances)].url
				code, m, _ := client.do("POST", path, body)
				acc, _ := m["accepted"].(float64)
				rej, _ := m["rejected"].(float64)
				answers[b][c] = answer{code, acc, rej}
			}()
		}
	}
	wg.Wait()
	for b := range batches {
		id := fmt.Sprintf("multi-%02d", b)
		created := 0
		for _, a := range answers[b] {
			switch {
			case a.code == http.StatusCreated:
				created++
			case a.code != http.StatusOK:
				t.Errorf("batch %s: an answer %d; want 201 or 200", id, a.code)
			}
			if a.accepted != 4 || a.rejected != 1 {
				t.Errorf("batch %s: an answer with %v accepted, %v rejected; want 4 and 1", id, a.accepted, a.rejected)
			}
		}
		if created != 1 {
			t.Errorf("batch %s: %d answers 201 of %d; want 1", id, created, copies)
		}
		if got := chCounts(t, ch, outlet["licence"].(string), id); got != [3]uint64{4, 1, 1} {
			t.Errorf("batch %s: ClickHouse scans, rejects, batches = %v; want [4 1 1]", id, got)
		}
	}
}

// With ClickHouse stopped, the manager's outlet list still answers, upload status unknown, and an
// upload is refused 503 with Retry-After; after the restart the same upload is stored once.
func TestScansAndOutletsWhileClickHouseDown(t *testing.T) {
	srv := storestest.StartClickHouseServer(t)
	pg, ch := storestest.MigratedPostgresDSN(t), migratedOn(t, srv)
	if _, stderr, err := run("seed", "-pg-dsn", pg, "-ch-dsn", ch, "-outlets", "40", "-brands", "8", "-weeks", "8", "-as-of", "2026-11-22"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	s := startServe(t, "-pg-dsn", pg, "-ch-dsn", ch)
	anon := apiClient{t: t, base: s.url}
	manager1, retailer1 := anon.login("manager1", demoPassword), anon.login("retailer1", demoPassword)
	_, me, _ := retailer1.do("GET", "/api/v1/me", "")
	outlet := me["outlet"].(map[string]any)
	path := "/api/v1/outlets/" + jsonNumber(outlet["id"]) + "/scans"
	body := oneBatch(t, "while-down-1", seededBrands(t, pg, 2), time.Now().Add(-time.Hour).Truncate(time.Second))
	uploadStatuses := func() map[string]int {
		code, m, raw := manager1.do("GET", "/api/v1/outlets?limit=200", "")
		if code != http.StatusOK {
			t.Fatalf("GET /api/v1/outlets as manager1 = %d %.300s; want 200", code, raw)
		}
		n := map[string]int{}
		for _, o := range m["outlets"].([]any) {
			n[o.(map[string]any)["upload"].(map[string]any)["status"].(string)]++
		}
		return n
	}
	if got := uploadStatuses(); got["known"] == 0 || got["unknown"] != 0 {
		t.Fatalf("upload statuses with ClickHouse up = %v; want all known", got)
	}

	srv.Stop()
	if got := uploadStatuses(); got["unknown"] == 0 || got["known"] != 0 {
		t.Errorf("upload statuses with ClickHouse down = %v; want all unknown", got)
	}
	for range 2 { // the second attempt must not find the batch claimed by the first
		code, m, raw, header := retailer1.doWith("POST", path, body, nil)
		if code != http.StatusServiceUnavailable || m["type"] != "/problems/unavailable" || header.Get("Retry-After") != "5" {
			t.Errorf("upload with ClickHouse down = %d Retry-After %q %.300s; want 503 /problems/unavailable, Retry-After 5",
				code, header.Get("Retry-After"), raw)
		}
	}

	srv.Start()
	var code int
	var m map[string]any
	var raw string
	eventually(t, 30*time.Second, "the upload is stored after ClickHouse restarted", func() bool {
		code, m, raw = retailer1.do("POST", path, body)
		return code != http.StatusServiceUnavailable // a connection of the pool may die once more
	})
	if code != http.StatusCreated || m["accepted"] != 4.0 || m["rejected"] != 1.0 {
		t.Errorf("upload after the restart = %d %.300s; want 201 with 4 accepted, 1 rejected", code, raw)
	}
	if got := chCounts(t, ch, outlet["licence"].(string), "while-down-1"); got != [3]uint64{4, 1, 1} {
		t.Errorf("ClickHouse scans, rejects, batches = %v; want [4 1 1]: stored once", got)
	}
	if code, _, raw := retailer1.do("POST", path, body); code != http.StatusOK {
		t.Errorf("replay = %d %.300s; want 200", code, raw)
	}
	if got := uploadStatuses(); got["unknown"] != 0 {
		t.Errorf("upload statuses after the restart = %v; want all known", got)
	}
}
