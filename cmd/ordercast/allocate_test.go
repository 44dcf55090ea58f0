package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// Allocate → order → limit enforced: a planner previews an allocation (nothing written), publishes
// it, the retailer sees its limit and explanation in the catalogue, and an order above it is granted
// the limit; the allocation is archived in ClickHouse with every outlet's explanation.
func TestAllocateThenOrder(t *testing.T) {
	s, pg, ch := seededServerDSNs(t)
	anon := apiClient{t: t, base: s.url}
	planner, r1 := anon.login("planner", demoPassword), anon.login("retailer1", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	outletID := jsonNumber(me["outlet"].(map[string]any)["id"])
	_, cat, _ := r1.do("GET", "/api/v1/outlets/"+outletID+"/catalogue", "")
	week := cat["cycle"].(string)
	brand := seededBrands(t, pg, 1)[0]
	path := "/api/v1/cycles/" + week + "/allocations"

	for _, tt := range []struct {
		name, body string
		want       int
		field      string
		badRequest bool // outside openapi.json on purpose
	}{
		{"unknown mode", fmt.Sprintf(`{"brand":%q,"supply":30,"mode":"lottery","dry_run":true}`, brand), 422, "mode", true},
		{"no supply", fmt.Sprintf(`{"brand":%q,"dry_run":true}`, brand), 422, "supply", true},
		{"negative supply", fmt.Sprintf(`{"brand":%q,"supply":-3,"dry_run":true}`, brand), 422, "supply", true},
		{"coverage above 1", fmt.Sprintf(`{"brand":%q,"supply":3,"min_coverage":2,"dry_run":true}`, brand), 422, "options.min_coverage", true},
		{"unknown selected outlet", fmt.Sprintf(`{"brand":%q,"supply":3,"mode":"selected","selected":["NOPE"],"dry_run":true}`, brand), 422, "selected", false},
	} {
		c := planner
		c.invalid = tt.badRequest
		code, _, raw, _ := c.post(path, "bad-"+strings.ReplaceAll(tt.name, " ", "-"), tt.body)
		if code != tt.want || !strings.Contains(raw, `"field":"`+tt.field+`"`) {
			t.Errorf("%s: POST allocations = %d %s; want %d on %s", tt.name, code, raw, tt.want, tt.field)
		}
	}
	// The command line names its flags in what the planner and the publication refuse, never a Go map.
	for _, tt := range []struct{ brand, mode, want string }{
		{brand, "lottery", `ordercast allocate: -mode "lottery": unknown mode` + "\n"},
		{"NOPE", "grade", `ordercast allocate: -brand "NOPE": no such brand in the catalogue` + "\n"},
	} {
		args := []string{"allocate", "-pg-dsn", pg, "-ch-dsn", ch, "-cycle", week, "-brand", tt.brand, "-supply", "5", "-mode", tt.mode}
		if _, stderr, err := run(args...); err != ErrUsage || stderr != tt.want {
			t.Errorf("Run(%q) = %v %q; want ErrUsage and %q", args, err, stderr, tt.want)
		}
	}
	if code, _, raw, _ := r1.post(path, "r1", fmt.Sprintf(`{"brand":%q,"supply":30}`, brand)); code != http.StatusForbidden {
		t.Errorf("a retailer allocating = %d %s; want 403", code, raw)
	}

	body := fmt.Sprintf(`{"brand":%q,"supply":30,"mode":"grade","min_coverage":0.5%s}`, brand, "%s")
	code, preview, raw, _ := planner.post(path+"?limits=5", "preview", fmt.Sprintf(body, `,"dry_run":true`))
	summary, _ := preview["summary"].(map[string]any)
	if code != http.StatusOK || preview["published"] != false || summary["allocated"] != 30.0 || len(preview["limits"].([]any)) != 5 {
		t.Fatalf("preview = %d %s; want 200, unpublished, 30 cartons allocated, 5 limits listed", code, raw)
	}
	if summary["coverage"].(float64) < 0.5 {
		t.Errorf("preview coverage %v with min_coverage 0.5; want at least 0.5", summary["coverage"])
	}
	_, cyc, _ := planner.do("GET", "/api/v1/cycles/"+week, "")
	if n := supplyOf(cyc, brand)["limits"]; n != 0.0 {
		t.Errorf("after a dry run the cycle has %v limits of %s; want none", n, brand)
	}

	code, published, raw, _ := planner.post(path, "publish", fmt.Sprintf(body, ""))
	if code != http.StatusCreated || published["published"] != true {
		t.Fatalf("publish = %d %s; want 201", code, raw)
	}
	_, cyc, _ = planner.do("GET", "/api/v1/cycles/"+week, "")
	if l := supplyOf(cyc, brand); l["limits"] != published["limits_total"] || l["limit_cartons"] != 30.0 || l["supply_cartons"] != 30.0 {
		t.Errorf("cycle after publishing = %v; want a limit for every outlet, adding up to the supply of 30", l)
	}

	// The retailer sees its limit and why; an order above it gets the limit.
	_, cat, _ = r1.do("GET", "/api/v1/outlets/"+outletID+"/catalogue", "")
	line := catalogueLine(cat, brand)
	limit, _ := line["limit"].(float64)
	if line == nil || !strings.Contains(fmt.Sprint(line["limit_explanation"]), "grade") {
		t.Fatalf("catalogue line after the allocation = %v; want a limit with an explanation naming the grade", line)
	}
	// ... and the same explanation clause by clause, for its page to say in the retailer's language.
	if parts, _ := line["limit_explanation_parts"].([]any); len(parts) < 2 ||
		fmt.Sprint(parts[0]) != fmt.Sprintf("map[code:limit params:map[cartons:%v]]", limit) {
		t.Errorf("catalogue line's explanation parts = %v; want the limit of %v cartons first", line["limit_explanation_parts"], limit)
	}
	code, order, raw, _ := r1.post("/api/v1/outlets/"+outletID+"/orders", "order", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":%d}]}`, brand, int(limit)+5))
	if code != http.StatusCreated {
		t.Fatalf("order = %d %s", code, raw)
	}
	if l := order["lines"].([]any)[0].(map[string]any); l["granted"] != limit || l["requested"] != limit+5 {
		t.Errorf("order line = %v; want %v granted of %v requested", l, limit, limit+5)
	}

	// Archived in ClickHouse, every outlet with its explanation.
	var rows, cartons uint64
	var empty uint64
	conn := storestest.OpenClickHouse(t, ch)
	if err := conn.QueryRow(context.Background(), `SELECT count(), sum(limit_cartons), countIf(explanation = '') FROM allocations
		WHERE allocation_id = ? AND published = 1`, published["id"]).Scan(&rows, &cartons, &empty); err != nil {
		t.Fatal(err)
	}
	if float64(rows) != published["limits_total"] || cartons != 30 || empty != 0 {
		t.Errorf("ClickHouse holds %d rows, %d cartons, %d without explanation; want %v rows, 30 cartons, all explained",
			rows, cartons, empty, published["limits_total"])
	}
}

// supplyOf returns a brand's line of a cycle's supply, nil when there is none.
func supplyOf(cycle map[string]any, brand string) map[string]any {
	return lineOf(cycle["supply"], brand)
}

// catalogueLine returns a brand's line of a catalogue, nil when there is none.
func catalogueLine(cat map[string]any, brand string) map[string]any {
	return lineOf(cat["lines"], brand)
}

func lineOf(lines any, brand string) map[string]any {
	list, _ := lines.([]any)
	for _, x := range list {
		if l := x.(map[string]any); l["brand"] == brand {
			return l
		}
	}
	return nil
}

// The command line previews a demand allocation from a forecast run, and refuses one without it.
func TestAllocateCommand(t *testing.T) {
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	if _, stderr, err := run("seed", "-pg-dsn", pg, "-ch-dsn", ch, "-outlets", "60", "-brands", "6", "-weeks", "40", "-as-of", "2026-11-22"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	brand := seededBrands(t, pg, 1)[0]
	args := []string{"allocate", "-pg-dsn", pg, "-ch-dsn", ch, "-cycle", "2026-11-23", "-brand", brand, "-supply", "25", "-mode", "demand", "-dry-run"}
	if _, _, err := run(args...); err == nil || !strings.Contains(err.Error(), "forecast") {
		t.Errorf("demand allocation without a forecast run = %v; want an error about the forecast", err)
	}
	if _, stderr, err := run("allocate", "-cycle", "2026-11-24", "-supply", "3"); err != ErrUsage || !strings.Contains(stderr, "-cycle") || !strings.Contains(stderr, "-brand") {
		t.Errorf("allocate with a Tuesday and no brand = %v %q; want a usage error naming -cycle and -brand", err, stderr)
	}
	if _, stderr, err := run("forecast", "run", "-ch-dsn", ch, "-as-of", "2026-11-22"); err != nil {
		t.Fatalf("forecast run: %v\n%s", err, stderr)
	}
	out, stderr, err := run(args...)
	if err != nil || !strings.Contains(out, "dry run") || !strings.Contains(out, "fill rate") || !strings.Contains(out, "forecast run") {
		t.Fatalf("demand allocation, dry run = %v\n%s%s", err, out, stderr)
	}
	out, _, err = run(append(args, "-json")...)
	var v struct {
		Published   bool
		LimitsTotal int `json:"limits_total"`
		Summary     struct{ Allocated, Supply int }
		Limits      []struct{ Cartons int }
	}
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || v.Published || v.LimitsTotal != 60 || len(v.Limits) != 60 || v.Summary.Allocated > 25 {
		t.Errorf("allocate -json = %v %+v; want 60 unpublished limits, at most 25 cartons", err, v)
	}
	sum := 0
	for _, l := range v.Limits {
		sum += l.Cartons
	}
	if sum != v.Summary.Allocated {
		t.Errorf("limits add up to %d; summary says %d", sum, v.Summary.Allocated)
	}
}
