package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Suggested quantities come from recent demand until a forecast run covers the cycle's week, then
// from the forecast, net of the stock the outlet last counted.
func TestCatalogueSuggestions(t *testing.T) {
	s, _, ch := seededServerDSNs(t)
	r1 := apiClient{t: t, base: s.url}.login("retailer1", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	base := "/api/v1/outlets/" + jsonNumber(me["outlet"].(map[string]any)["id"])

	_, cat, raw := r1.do("GET", base+"/catalogue", "")
	if basis, _ := cat["suggestion_basis"].(string); !strings.HasPrefix(basis, "average of the last") {
		t.Errorf("suggestion basis without a forecast run = %q; want recent weeks (%s)", basis, raw)
	}
	week, err := time.Parse(time.DateOnly, cat["cycle"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := run("forecast", "run", "-ch-dsn", ch, "-as-of", week.AddDate(0, 0, -1).Format(time.DateOnly), "-horizon", "2"); err != nil {
		t.Fatalf("forecast run: %v\n%s", err, stderr)
	}
	_, cat, raw = r1.do("GET", base+"/catalogue", "")
	if basis, _ := cat["suggestion_basis"].(string); !strings.HasPrefix(basis, "forecast ") {
		t.Fatalf("suggestion basis after a forecast run covering the cycle = %q; want the run (%s)", basis, raw)
	}
	// The brand with the largest expected demand: a stock count of 50 cartons covers it.
	var top map[string]any
	for _, x := range cat["lines"].([]any) {
		if l := x.(map[string]any); top == nil || l["expected_demand"].(float64) > top["expected_demand"].(float64) {
			top = l
		}
	}
	if top["expected_demand"].(float64) <= 0 || top["suggested"].(float64) < 1 {
		t.Fatalf("catalogue line with the most demand = %v; want a positive forecast and suggestion", top)
	}
	brand := top["brand"].(string)
	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	body := scanBody(t, "stock-1", []scanRowJSON{{Brand: brand, Kind: "stock", At: at, Qty: 500}})
	if code, _, raw, _ := r1.post(base+"/scans", "stock-1", body); code != http.StatusCreated {
		t.Fatalf("stock count upload = %d %s", code, raw)
	}
	_, cat, _ = r1.do("GET", base+"/catalogue", "")
	if l := catalogueLine(cat, brand); l == nil || l["stock_on_hand"] != 50.0 || l["suggested"] != 0.0 {
		t.Errorf("line after counting 500 packs = %v; want 50 cartons on hand and nothing suggested", l)
	}
}

// The scores `ordercast score` stores are served to planners whole and to an account manager for
// their own manager row and outlets only.
func TestAPIScores(t *testing.T) {
	s, _, ch := seededServerDSNs(t)
	if _, stderr, err := run("forecast", "run", "-ch-dsn", ch, "-as-of", "2026-09-28", "-horizon", "6"); err != nil {
		t.Fatalf("forecast run: %v\n%s", err, stderr)
	}
	if _, stderr, err := run("score", "-month", "2026-10", "-ch-dsn", ch); err != nil {
		t.Fatalf("score: %v\n%s", err, stderr)
	}
	anon := apiClient{t: t, base: s.url}
	planner, m1, r1 := anon.login("planner", demoPassword), anon.login("manager1", demoPassword), anon.login("retailer1", demoPassword)

	code, company, raw := planner.do("GET", "/api/v1/scores?month=2026-10", "")
	rows, _ := company["scores"].([]any)
	if code != http.StatusOK || len(rows) != 1 || rows[0].(map[string]any)["accuracy"] == nil || company["run_id"] == "" {
		t.Fatalf("GET company scores as planner = %d %s; want one company row with its accuracy", code, raw)
	}
	_, managers, _ := planner.do("GET", "/api/v1/scores?month=2026-10&level=manager", "")
	if n := len(managers["scores"].([]any)); n < 2 {
		t.Errorf("planner reads %d manager rows; want every manager's", n)
	}
	code, own, raw := m1.do("GET", "/api/v1/scores?month=2026-10&level=manager", "")
	if rows := own["scores"].([]any); code != http.StatusOK || len(rows) != 1 {
		t.Errorf("manager1 reading manager scores = %d %s; want only its own row", code, raw)
	}
	_, outlets, _ := m1.do("GET", "/api/v1/scores?month=2026-10&level=outlet", "")
	_, mine, _ := m1.do("GET", "/api/v1/outlets?limit=200", "")
	if n, max := len(outlets["scores"].([]any)), len(mine["outlets"].([]any)); n == 0 || n > max {
		t.Errorf("manager1 reads %d outlet scores; want some, at most its %d outlets", n, max)
	}
	for _, tt := range []struct {
		c    apiClient
		path string
		want int
	}{
		{m1, "/api/v1/scores?month=2026-10&level=company", http.StatusForbidden},
		{r1, "/api/v1/scores?month=2026-10", http.StatusForbidden},
		{planner.badRequest(), "/api/v1/scores?month=October", http.StatusUnprocessableEntity},
		{planner.badRequest(), "/api/v1/scores?month=2026-10&level=galaxy", http.StatusUnprocessableEntity},
	} {
		if code, _, raw := tt.c.do("GET", tt.path, ""); code != tt.want {
			t.Errorf("GET %s = %d %s; want %d", tt.path, code, raw, tt.want)
		}
	}
}
