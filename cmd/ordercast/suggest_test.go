package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// Suggested quantities come from recent demand until a forecast run covers the cycle's week, then
// from the upper bound of the forecast's stored 80% interval (the safety stock), net of the stock the
// outlet last counted: a run storing a wider interval suggests more.
func TestCatalogueSuggestions(t *testing.T) {
	s, _, ch := recentSeededServer(t)
	r1 := apiClient{t: t, base: s.url}.login("retailer1", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	base := "/api/v1/outlets/" + jsonNumber(me["outlet"].(map[string]any)["id"])

	_, cat, raw := r1.do("GET", base+"/catalogue", "")
	if basis, _ := cat["suggestion_basis"].(string); !strings.HasPrefix(basis, "average of the last") {
		t.Errorf("suggestion basis without a forecast run = %q; want recent weeks (%s)", basis, raw)
	}
	// No planner published the supply of serve's cycle: its scarce brands await it, suggested nothing.
	for _, x := range cat["lines"].([]any) {
		l := x.(map[string]any)
		why := fmt.Sprint(l["suggestion_explanation"])
		switch {
		case l["awaiting_supply"] == true && (l["suggested"] != 0.0 || !strings.Contains(why, "not published")):
			t.Errorf("line awaiting its supply = %v; want nothing suggested, and an explanation saying why", l)
		case l["awaiting_supply"] != true && (l["demand_upper"] != nil || !strings.Contains(why, "no forecast interval")):
			t.Errorf("line on recent weeks = %v; want no interval, and an explanation saying so", l)
		}
	}
	week, err := time.Parse(time.DateOnly, cat["cycle"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := run("forecast", "run", "-ch-dsn", ch, "-as-of", week.AddDate(0, 0, -1).Format(time.DateOnly), "-horizon", "2"); err != nil {
		t.Fatalf("forecast run: %v\n%s", err, stderr)
	}
	_, cat, raw = r1.do("GET", base+"/catalogue", "")
	basis, _ := cat["suggestion_basis"].(string)
	if !strings.HasPrefix(basis, "forecast ") {
		t.Fatalf("suggestion basis after a forecast run covering the cycle = %q; want the run (%s)", basis, raw)
	}
	// The brand without a limit with the largest expected demand: its suggestion is the interval's
	// upper bound less the stock on hand.
	var top map[string]any
	for _, x := range cat["lines"].([]any) {
		if l := x.(map[string]any); l["remaining"] == nil && (top == nil || l["expected_demand"].(float64) > top["expected_demand"].(float64)) {
			top = l
		}
	}
	if top == nil || top["expected_demand"].(float64) <= 0 || top["suggested"].(float64) < 1 {
		t.Fatalf("unlimited catalogue line with the most demand = %v; want a positive forecast and suggestion", top)
	}
	upper, _ := top["demand_upper"].(float64)
	onHand, _ := top["stock_on_hand"].(float64)
	suggested := top["suggested"].(float64)
	// demand_upper and stock_on_hand are rounded to 0.1 in the answer: the suggestion may differ by 1.
	if want := math.Round(upper - onHand); upper < top["expected_demand"].(float64) || math.Abs(suggested-want) > 1 {
		t.Errorf("line %v: suggested %v; want the upper bound %v less %v on hand, about %v", top["brand"], suggested, upper, onHand, want)
	}
	if why, _ := top["suggestion_explanation"].(string); !strings.Contains(why, "upper bound") || !strings.Contains(why, fmt.Sprintf("= %v", suggested)) {
		t.Errorf("line %v explains %q; want the upper bound and the suggestion %v", top["brand"], why, suggested)
	}

	// A later run of the same weeks whose outlet intervals reach 5 cartons higher suggests 5 more.
	conn := storestest.OpenClickHouse(t, ch)
	ctx := context.Background()
	runID := strings.TrimPrefix(basis, "forecast ")
	for _, q := range []string{
		`INSERT INTO forecasts (run_id, dataset, as_of, level, outlet, brand, week, model, point, lo80, hi80)
			SELECT concat(run_id, '-wide'), dataset, as_of, level, outlet, brand, week, model, point, lo80,
				if(level = 'outlet', hi80 + 5, hi80) FROM forecasts WHERE run_id = ?`,
		`INSERT INTO forecast_runs (run_id, dataset, as_of, horizon, series, models, started_at, finished_at)
			SELECT concat(run_id, '-wide'), dataset, as_of, horizon, series, models, started_at + 60, finished_at + 60
			FROM forecast_runs WHERE run_id = ?`,
	} {
		if err := conn.Exec(ctx, q, runID); err != nil {
			t.Fatalf("copy run %s with wider intervals: %v", runID, err)
		}
	}
	brand := top["brand"].(string)
	_, cat, raw = r1.do("GET", base+"/catalogue", "")
	wide := catalogueLine(cat, brand)
	if cat["suggestion_basis"] != "forecast "+runID+"-wide" || wide == nil {
		t.Fatalf("catalogue after the wider run: %s; want it based on %s-wide", raw, runID)
	}
	if wide["suggested"] != suggested+5 || wide["expected_demand"] != top["expected_demand"] {
		t.Errorf("line %s with an interval 5 cartons higher = %v; want the same demand and %v suggested", brand, wide, suggested+5)
	}

	// A stock count of 100 cartons covers it.
	if upper+5 >= 99.5 {
		t.Fatalf("line %s reaches %v cartons; the stock count below assumes less than 100", brand, upper+5)
	}
	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	body := scanBody(t, "stock-1", []scanRowJSON{{Brand: brand, Kind: "stock", At: at, Qty: 1000}})
	if code, _, raw, _ := r1.post(base+"/scans", "stock-1", body); code != http.StatusCreated {
		t.Fatalf("stock count upload = %d %s", code, raw)
	}
	_, cat, _ = r1.do("GET", base+"/catalogue", "")
	if l := catalogueLine(cat, brand); l == nil || l["stock_on_hand"] != 100.0 || l["suggested"] != 0.0 ||
		!strings.Contains(l["suggestion_explanation"].(string), "− 100.0 on hand = 0") {
		t.Errorf("line after counting 1,000 packs = %v; want 100 cartons on hand and nothing suggested", l)
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
