package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// The account manager's work on its outlets through the API: visits, benchmark outlets with their
// weekly figures, and the planners' reassignments with their audit trail. Moving an outlet to another
// manager changes at once what each manager may see and do.
func TestAPIManagerWork(t *testing.T) {
	s, pg, ch := recentSeededServer(t)
	anon := apiClient{t: t, base: s.url}
	r1, r2 := anon.login("retailer1", demoPassword), anon.login("retailer2", demoPassword)
	m1, m2, planner := anon.login("manager1", demoPassword), anon.login("manager2", demoPassword), anon.login("planner", demoPassword)
	outletOf := func(c apiClient) map[string]any {
		_, me, _ := c.do("GET", "/api/v1/me", "")
		return me["outlet"].(map[string]any)
	}
	o1, o2 := outletOf(r1), outletOf(r2)
	base := "/api/v1/outlets/" + jsonNumber(o1["id"])
	licence, code1, code2 := o1["licence"].(string), o1["manager_code"].(string), o2["manager_code"].(string)
	today := time.Now().In(shanghai(t)).Format(time.DateOnly)
	wantNotFound := func(what string, code int, raw string) {
		t.Helper()
		if code != http.StatusNotFound || strings.Contains(raw, licence) {
			t.Errorf("%s = %d %s; want 404 without a byte of the outlet", what, code, raw)
		}
	}

	// Visits.
	visit := fmt.Sprintf(`{"visited_on":%q,"purpose":"coaching","notes":"moved the display","follow_up":{"on":%q,"action":"check the display"}}`,
		today, time.Now().AddDate(0, 0, 7).Format(time.DateOnly))
	code, v, raw, _ := m1.post(base+"/visits", "visit-1", visit)
	if code != http.StatusCreated || v["outlet"] != licence || v["manager"] != code1 || v["recorded_by"] != "manager1" || v["follow_up"] == nil {
		t.Fatalf("POST visit as the outlet's manager = %d %s; want 201, by manager1 of %s", code, raw, code1)
	}
	if code, _, again, hdr := m1.post(base+"/visits", "visit-1", visit); code != http.StatusCreated || again != raw || hdr.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the visit replayed = %d %s; want the first response again", code, again)
	}
	if code, p, raw, _ := m1.badRequest().post(base+"/visits", "visit-2", `{"visited_on":"2999-01-01","purpose":"chat"}`); code != http.StatusUnprocessableEntity ||
		!strings.Contains(raw, `"field":"purpose"`) || !strings.Contains(raw, `"field":"visited_on"`) {
		t.Errorf("an invalid visit = %d %v; want 422 naming purpose and visited_on", code, p)
	}
	code, _, raw, _ = m2.post(base+"/visits", "visit-3", visit)
	wantNotFound("POST visit as another manager", code, raw)
	if code, _, raw, _ := r1.post(base+"/visits", "visit-4", visit); code != http.StatusForbidden {
		t.Errorf("POST visit as the retailer = %d %s; want 403", code, raw)
	}
	visitsOf := func(c apiClient, path string) (int, []any, string) {
		code, page, raw := c.do("GET", path, "")
		list, _ := page["visits"].([]any)
		return code, list, raw
	}
	if code, list, raw := visitsOf(m1, base+"/visits"); code != http.StatusOK || len(list) != 1 {
		t.Errorf("the outlet's visits as its manager = %d %s; want one", code, raw)
	}
	if code, list, raw := visitsOf(planner, "/api/v1/visits?manager="+code1+"&from="+today); code != http.StatusOK || len(list) != 1 {
		t.Errorf("visits as a planner = %d %s; want one", code, raw)
	}
	if code, list, raw := visitsOf(m2, "/api/v1/visits"); code != http.StatusOK || len(list) != 0 {
		t.Errorf("visits as the other manager = %d %s; want none", code, raw)
	}
	code, _, raw = m2.do("GET", base+"/visits", "")
	wantNotFound("GET the outlet's visits as another manager", code, raw)
	if code, _, raw := planner.badRequest().do("GET", "/api/v1/visits?from=yesterday", ""); code != http.StatusUnprocessableEntity || !strings.Contains(raw, `"field":"from"`) {
		t.Errorf("visits from=yesterday = %d %s; want 422 naming from", code, raw)
	}

	// Benchmark outlets: the planner clears manager1's, flags two, and a third is refused.
	code, page, raw := planner.do("GET", "/api/v1/benchmarks?manager="+code1, "")
	if code != http.StatusOK {
		t.Fatalf("GET benchmarks as a planner = %d %s", code, raw)
	}
	for _, b := range page["outlets"].([]any) {
		id := jsonNumber(b.(map[string]any)["id"])
		if code, _, raw := planner.do("PUT", "/api/v1/outlets/"+id+"/benchmark", `{"benchmark":false}`); code != http.StatusOK {
			t.Fatalf("unset benchmark %s = %d %s", id, code, raw)
		}
	}
	code, mine, raw := m1.do("GET", "/api/v1/outlets?status=active&limit=3", "")
	if code != http.StatusOK || len(mine["outlets"].([]any)) < 3 {
		t.Fatalf("manager1's outlets = %d %s; want at least 3", code, raw)
	}
	var flagged []string
	for _, o := range mine["outlets"].([]any) {
		if id := jsonNumber(o.(map[string]any)["id"]); id != jsonNumber(o1["id"]) && len(flagged) < 1 {
			flagged = append(flagged, id)
		}
	}
	flagged = append(flagged, jsonNumber(o1["id"]))
	for _, id := range flagged {
		code, res, raw := planner.do("PUT", "/api/v1/outlets/"+id+"/benchmark", `{"benchmark":true,"reason":"model outlet"}`)
		if code != http.StatusOK || res["outlet"].(map[string]any)["benchmark"] != true || len(res["changes"].([]any)) != 1 {
			t.Fatalf("set benchmark %s = %d %s; want 200 and one change", id, code, raw)
		}
	}
	for _, o := range mine["outlets"].([]any) {
		id := jsonNumber(o.(map[string]any)["id"])
		if id == flagged[0] || id == flagged[1] {
			continue
		}
		code, p, raw := planner.do("PUT", "/api/v1/outlets/"+id+"/benchmark", `{"benchmark":true}`)
		if code != http.StatusConflict || p["type"] != "/problems/benchmark-limit" {
			t.Errorf("a third benchmark outlet = %d %s; want 409 benchmark-limit", code, raw)
		}
		break
	}
	if code, _, raw := m1.do("PUT", base+"/benchmark", `{"benchmark":false}`); code != http.StatusForbidden {
		t.Errorf("a manager setting the flag = %d %s; want 403", code, raw)
	}

	// The manager's benchmark outlets with their weeks: its order of this week counts, sales agree with
	// the history store.
	benchWeeks := func() map[string]map[string]any {
		t.Helper()
		code, page, raw := m1.do("GET", "/api/v1/benchmarks", "")
		list, _ := page["outlets"].([]any)
		if code != http.StatusOK || len(list) != 2 {
			t.Fatalf("manager1's benchmarks = %d %s; want 2", code, raw)
		}
		for _, b := range list {
			if b := b.(map[string]any); b["licence"] == licence {
				weeks, _ := b["weeks"].([]any)
				if len(weeks) != 8 || b["sales_status"] != "known" {
					t.Fatalf("benchmark %s = %v; want 8 weeks with known sales", licence, b)
				}
				byWeek := map[string]map[string]any{}
				for _, w := range weeks {
					byWeek[w.(map[string]any)["week"].(string)] = w.(map[string]any)
				}
				return byWeek
			}
		}
		t.Fatalf("manager1's benchmarks %s lack %s", raw, licence)
		return nil
	}
	before := benchWeeks()
	brand := seededBrands(t, pg, 1)[0]
	code, order, raw, _ := m1.post(base+"/orders", "bench-order", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":2}]}`, brand))
	if code != http.StatusCreated {
		t.Fatalf("manager1 orders for the outlet = %d %s", code, raw)
	}
	// The order is in this week's cycle or, once the outlet's order day has passed, in next week's: the
	// last of the weeks.
	after := benchWeeks()
	cycle := order["cycle"].(string)
	if w, was := after[cycle], before[cycle]; w == nil || w["orders"] != was["orders"].(float64)+1 ||
		w["requested"] != was["requested"].(float64)+2 || w["order_status"] != "submitted" {
		t.Errorf("the figures of the order's week %s: %v, before the order %v; want one more order, 2 more cartons, submitted", cycle, w, was)
	}
	first := ""
	for w := range after {
		if first == "" || w < first {
			first = w
		}
	}
	chConn := storestest.OpenClickHouse(t, ch)
	var sold float64
	if err := chConn.QueryRow(context.Background(), `SELECT sum(delivered) FROM sales WHERE dataset = 'live' AND outlet = ?
		AND day >= toDate(?) AND day < toDate(?) + 56`, licence, first, first).Scan(&sold); err != nil {
		t.Fatal(err)
	}
	var shown float64
	for _, w := range after {
		shown += w["sales"].(float64)
	}
	if sold == 0 || shown != sold {
		t.Errorf("the 8 weeks' sales add up to %v; the history holds %v", shown, sold)
	}
	if code, p, raw := m2.do("GET", "/api/v1/benchmarks?manager="+code1, ""); code != http.StatusOK || len(p["outlets"].([]any)) != 0 {
		t.Errorf("manager2 asking for manager1's benchmarks = %d %s; want none", code, raw)
	}
	if code, _, raw := m1.badRequest().do("GET", "/api/v1/benchmarks?weeks=99", ""); code != http.StatusUnprocessableEntity {
		t.Errorf("benchmarks?weeks=99 = %d %s; want 422", code, raw)
	}

	// The order day cannot move under the submitted order.
	if code, p, raw := planner.do("PATCH", base+"/assignment", `{"order_day":"Sunday"}`); code != http.StatusConflict || p["type"] != "/problems/outlet-has-open-order" {
		t.Errorf("a new order day under a submitted order = %d %s; want 409 outlet-has-open-order", code, raw)
	}
	if code, _, raw := planner.badRequest().do("PATCH", base+"/assignment", `{"order_day":"Someday"}`); code != http.StatusUnprocessableEntity || !strings.Contains(raw, `"field":"order_day"`) {
		t.Errorf("order_day Someday = %d %s; want 422 naming order_day", code, raw)
	}
	if code, _, raw := m1.do("PATCH", base+"/assignment", `{"route":"R1"}`); code != http.StatusForbidden {
		t.Errorf("a manager reassigning = %d %s; want 403", code, raw)
	}

	// Moving the outlet to manager2. manager2 has no benchmark outlet, so the flag moves with it.
	code, moved, raw := planner.do("PATCH", base+"/assignment", fmt.Sprintf(`{"manager":%q,"route":"R-moved","reason":"rebalance"}`, code2))
	if code != http.StatusOK || moved["outlet"].(map[string]any)["manager_code"] != code2 || len(moved["changes"].([]any)) != 2 {
		t.Fatalf("move to %s = %d %s; want 200 with two changes", code2, code, raw)
	}
	for _, tt := range []struct{ method, path, body string }{
		{"GET", base, ""}, {"GET", base + "/orders", ""}, {"GET", base + "/visits", ""}, {"GET", base + "/changes", ""},
	} {
		code, _, raw := m1.do(tt.method, tt.path, tt.body)
		wantNotFound("after the move, manager1 "+tt.method+" "+tt.path, code, raw)
		if code, _, raw := m2.do(tt.method, tt.path, tt.body); code != http.StatusOK {
			t.Errorf("after the move, manager2 %s %s = %d %s; want 200", tt.method, tt.path, code, raw)
		}
	}
	code, _, raw, _ = m1.post(base+"/orders", "after-move", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":1}]}`, brand))
	wantNotFound("after the move, manager1 orders", code, raw)
	code, _, raw, _ = m1.post(base+"/visits", "after-move-visit", visit)
	wantNotFound("after the move, manager1 records a visit", code, raw)
	if code, o, raw, _ := m2.post(base+"/orders", "after-move-2", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":1}]}`, brand)); code != http.StatusOK || placedBy(o) != "manager2/manager" {
		t.Errorf("after the move, manager2 orders = %d %s; want 200 placed by manager2", code, raw)
	}
	if _, list, raw := visitsOf(m2, "/api/v1/visits"); len(list) != 1 {
		t.Errorf("manager2's visits after the move = %s; want the outlet's visit", raw)
	}
	if code, p, raw := m1.do("GET", "/api/v1/benchmarks", ""); code != http.StatusOK || len(p["outlets"].([]any)) != 1 {
		t.Errorf("manager1's benchmarks after the move = %d %s; want 1", code, raw)
	}

	// The audit trail, newest first.
	code, log, raw := planner.do("GET", base+"/changes", "")
	changes, _ := log["changes"].([]any)
	if code != http.StatusOK || len(changes) != 3 {
		t.Fatalf("the outlet's changes = %d %s; want 3", code, raw)
	}
	var got []string
	for _, c := range changes {
		c := c.(map[string]any)
		got = append(got, fmt.Sprintf("%s %s→%s by %s", c["field"], c["old"], c["new"], c["changed_by"]))
	}
	if !strings.HasPrefix(got[0], "route ") || got[1] != fmt.Sprintf("manager %s→%s by planner", code1, code2) || got[2] != "benchmark false→true by planner" {
		t.Errorf("changes %q; want the route, the manager, then the benchmark flag, by planner", got)
	}
	if code, p, raw := planner.do("GET", base+"/changes?limit=1", ""); code != http.StatusOK || p["next"] == nil {
		t.Errorf("changes?limit=1 = %d %s; want a next page", code, raw)
	}
	if code, _, raw := r1.do("GET", base+"/changes", ""); code != http.StatusForbidden {
		t.Errorf("the retailer reads the changes = %d %s; want 403", code, raw)
	}
}

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
