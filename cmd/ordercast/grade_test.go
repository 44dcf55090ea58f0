package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// TestAPIGrades: a planner previews every outlet's recomputed grade with its reason, page by page,
// publishes them, and the retailer then reads its new grade with the rule that set it; the outlet's
// grade everywhere (the allocation reads the same column) is the new one.
func TestAPIGrades(t *testing.T) {
	s, _ := seededServer(t)
	anon := apiClient{t: t, base: s.url}
	retailer, planner := anon.login("retailer1", demoPassword), anon.login("planner", demoPassword)
	_, me, _ := retailer.do("GET", "/api/v1/me", "")
	id := jsonNumber(me["outlet"].(map[string]any)["id"])
	gradePath := "/api/v1/outlets/" + id + "/grade"

	code, before, raw := retailer.do("GET", gradePath, "")
	if code != http.StatusOK || before["rule"] != nil || before["effective_from"] != nil || before["grade"] == nil {
		t.Fatalf("GET %s before any recomputation = %d %s; want the seeded grade without a rule", gradePath, code, raw)
	}

	// The preview of every outlet, in pages: each within 3 grades of its old one, with a reason.
	var mine map[string]any
	seen := 0
	next := "?weeks=4&limit=15"
	for next != "" {
		code, page, raw := planner.do("GET", "/api/v1/grades"+next, "")
		if code != http.StatusOK {
			t.Fatalf("GET /grades%s = %d %s", next, code, raw)
		}
		for _, o := range page["outlets"].([]any) {
			r := o.(map[string]any)
			seen++
			old, nw := r["old"].(float64), r["new"].(float64)
			if nw-old > 3 || old-nw > 3 || r["reason"] == "" {
				t.Errorf("outlet %v: %v → %v (%v); want at most 3 grades of movement and a reason", r["licence"], old, nw, r["reason"])
			}
			if jsonNumber(r["outlet"]) == id {
				mine = r
			}
		}
		next, _ = page["next"].(string)
		if summary := page["summary"].(map[string]any); summary["outlets"].(float64) != 40 || summary["ranked"].(float64) == 0 {
			t.Fatalf("summary %v; want 40 outlets, some ranked", summary)
		}
	}
	if seen != 40 || mine == nil {
		t.Fatalf("the preview's pages list %d outlets (retailer1's: %v); want all 40", seen, mine)
	}
	_, changed, _ := planner.do("GET", "/api/v1/grades?weeks=4&changed=true&limit=200", "")
	for _, o := range changed["outlets"].([]any) {
		if r := o.(map[string]any); r["old"] == r["new"] {
			t.Errorf("changed=true lists %v, whose grade stays %v", r["licence"], r["old"])
		}
	}

	code, pub, raw, _ := planner.post("/api/v1/grades", "grades-1", `{"weeks":4}`)
	if code != http.StatusCreated || pub["changed"] == nil || pub["effective_from"] == nil {
		t.Fatalf("POST /grades = %d %s; want 201 with the count changed", code, raw)
	}
	if pub["changed"].(float64) != float64(len(changed["outlets"].([]any))) {
		t.Errorf("published %v changes; the preview listed %d", pub["changed"], len(changed["outlets"].([]any)))
	}
	code, after, raw := retailer.do("GET", gradePath, "")
	rule, _ := after["rule"].(map[string]any)
	if code != http.StatusOK || after["grade"] != mine["new"] || rule == nil || rule["weeks"] != 4.0 ||
		after["explanation"] != mine["reason"] || !strings.Contains(rule["text"].(string), "4 weeks") {
		t.Errorf("GET %s after publishing = %d %s; want grade %v with the rule of 4 weeks and reason %q", gradePath, code, raw, mine["new"], mine["reason"])
	}
	if _, me, _ := retailer.do("GET", "/api/v1/me", ""); me["outlet"].(map[string]any)["grade"] != mine["new"] {
		t.Errorf("GET /me grade %v after publishing; want %v", me["outlet"].(map[string]any)["grade"], mine["new"])
	}

	for _, tt := range []struct {
		name, method, path, body string
		c                        apiClient
		want                     int
		field                    string
	}{
		{"weeks out of range", "GET", "/api/v1/grades?weeks=2", "", planner.badRequest(), http.StatusUnprocessableEntity, "weeks"},
		{"publish weeks out of range", "POST", "/api/v1/grades", `{"weeks":60}`, planner.badRequest(), http.StatusUnprocessableEntity, "weeks"},
		{"a retailer may not preview", "GET", "/api/v1/grades", "", retailer, http.StatusForbidden, ""},
		{"an unknown rule parameter", "GET", "/api/v1/grades?step=2", "", planner, http.StatusBadRequest, "step"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, got, raw, _ := tt.c.doWith(tt.method, tt.path, tt.body, map[string]string{"Idempotency-Key": "grades-" + strings.ReplaceAll(tt.name, " ", "-")})
			if code != tt.want || tt.field != "" && !strings.Contains(fmt.Sprint(got["errors"]), "field:"+tt.field) {
				t.Errorf("%s %s = %d %s; want %d naming %q", tt.method, tt.path, code, raw, tt.want, tt.field)
			}
		})
	}
}

// TestGradeCommand: ordercast grade -dry-run prints every outlet's old and new grade with its reason
// and writes nothing; without it, it publishes.
func TestGradeCommand(t *testing.T) {
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	if _, stderr, err := run("seed", "-pg-dsn", pg, "-ch-dsn", ch, "-outlets", "30", "-brands", "8", "-weeks", "12", "-as-of", "2026-11-22"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	pool := storestest.OpenPostgres(t, pg)
	changes := func() (n int) {
		t.Helper()
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM grade_changes").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	out, stderr, err := run("grade", "-pg-dsn", pg, "-ch-dsn", ch, "-dry-run", "-weeks", "6")
	if err != nil {
		t.Fatalf("grade -dry-run: %v\n%s", err, stderr)
	}
	lines := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "530121") && strings.Contains(l, "percentile") || strings.Contains(l, "kept") && strings.HasPrefix(l, "530121") {
			lines++
		}
	}
	if lines != 30 || !strings.Contains(out, "dry run: nothing written") || !strings.Contains(out, "6 weeks") || changes() != 0 {
		t.Errorf("grade -dry-run printed %d outlet lines, %d changes written:\n%s\nwant 30 and none", lines, changes(), out)
	}
	out, stderr, err = run("grade", "-pg-dsn", pg, "-ch-dsn", ch, "-weeks", "6", "-changed")
	if err != nil || !strings.Contains(out, "published:") || changes() == 0 {
		t.Errorf("grade = %v, %d changes written:\n%s%s\nwant published", err, changes(), out, stderr)
	}
	if _, stderr, err := run("grade", "-pg-dsn", pg, "-ch-dsn", ch, "-weeks", "2"); err == nil || !strings.Contains(stderr, "-weeks 2: want 4 to 52") {
		t.Errorf("grade -weeks 2 = %v, %q; want a usage error naming -weeks", err, stderr)
	}
}
