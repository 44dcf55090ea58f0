package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The role matrix: every operation of the API, called by every role, each answer checked. Routes
// about an outlet use retailer1's outlet (looked after by manager1). "ok" is any 2xx; writes that
// change state run last within their row, so that reads see the seeded state.
func TestAPIRoleMatrix(t *testing.T) {
	s, pg := seededServer(t)
	anon := apiClient{t: t, base: s.url}
	roles := []string{"retailer1", "manager1", "planner", "admin", "logistics", "manufacturer1"}
	users := map[string]apiClient{}
	for _, u := range roles {
		users[u] = anon.login(u, demoPassword)
	}
	brand := seededBrands(t, pg, 1)[0]
	_, me, _ := users["retailer1"].do("GET", "/api/v1/me", "")
	outlet := "/api/v1/outlets/" + jsonNumber(me["outlet"].(map[string]any)["id"])
	_, cat, _ := users["retailer1"].do("GET", outlet+"/catalogue", "")
	week := cat["cycle"].(string)
	code, order, raw, _ := users["retailer1"].post(outlet+"/orders", "matrix-setup", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":1}]}`, brand))
	if code != http.StatusCreated {
		t.Fatalf("setup order = %d %s", code, raw)
	}
	orderPath := outlet + "/orders/" + jsonNumber(order["id"])
	own, foreign := manufacturerBrands(t, pg) // manufacturer1's brands and the others'
	unordered := foreign[0]                   // a brand no order asks for: its balance has no shortfall
	if foreign[0] == brand {
		unordered = foreign[len(foreign)-1]
		if unordered == brand {
			unordered = own[0]
		}
	}
	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	// A kept allocation preview of the brand no order asks for, to read and publish.
	code, kept, raw, _ := users["planner"].post("/api/v1/cycles/"+week+"/allocations?limits=0", "matrix-kept",
		fmt.Sprintf(`{"brand":%q,"supply":3,"dry_run":true}`, unordered))
	if code != http.StatusOK {
		t.Fatalf("setup preview = %d %s", code, raw)
	}
	keptPath := "/api/v1/cycles/" + week + "/allocations/" + kept["id"].(string)

	// want: role → "ok", "403" or "404"; a role left out must get 403.
	type op struct {
		method, path, body string
		want               map[string]string
	}
	readers := map[string]string{"retailer1": "ok", "manager1": "ok", "planner": "ok", "admin": "ok", "logistics": "404", "manufacturer1": "404"}
	// Visits, benchmarks, change logs: for managers and planners. On an outlet's routes, roles that
	// cannot see the outlet get 404 as on every outlet route, and its retailer 403.
	managerWork := map[string]string{"manager1": "ok", "planner": "ok", "admin": "ok"}
	outletWork := map[string]string{"manager1": "ok", "planner": "ok", "admin": "ok", "logistics": "404", "manufacturer1": "404"}
	planners := map[string]string{"planner": "ok", "admin": "ok", "logistics": "404", "manufacturer1": "404"}
	indicatorReaders := map[string]string{"manager1": "ok", "planner": "ok", "admin": "ok"}
	ops := []op{
		{"GET", "/api/v1/me", "", map[string]string{"retailer1": "ok", "manager1": "ok", "planner": "ok", "admin": "ok", "logistics": "ok", "manufacturer1": "ok"}},
		{"GET", "/api/v1/openapi.json", "", map[string]string{"retailer1": "ok", "manager1": "ok", "planner": "ok", "admin": "ok", "logistics": "ok", "manufacturer1": "ok"}},
		{"GET", outlet, "", readers},
		{"GET", outlet + "/catalogue", "", readers},
		{"GET", outlet + "/weeks", "", readers},
		{"GET", outlet + "/orders", "", readers},
		{"GET", orderPath, "", readers},
		{"GET", outlet + "/scans", "", readers},
		{"GET", "/api/v1/outlets", "", map[string]string{"manager1": "ok", "planner": "ok", "admin": "ok"}},
		{"GET", "/api/v1/cycles/" + week, "", map[string]string{"planner": "ok", "admin": "ok", "logistics": "ok"}},
		{"GET", "/api/v1/cycles/" + week + "/orders", "", map[string]string{"planner": "ok", "admin": "ok", "logistics": "ok"}},
		{"GET", "/api/v1/scores?month=2026-10&level=outlet", "", map[string]string{"manager1": "404", "planner": "404", "admin": "404"}},
		{"GET", "/api/v1/scores/weeks?month=2026-10", "", map[string]string{"planner": "404", "admin": "404"}},
		{"GET", outlet + "/visits", "", outletWork},
		{"GET", "/api/v1/visits", "", managerWork},
		{"GET", "/api/v1/benchmarks", "", managerWork},
		{"GET", outlet + "/changes", "", outletWork},
		{"GET", "/api/v1/indicators?period=week&level=company", "", indicatorReaders},
		{"GET", "/api/v1/indicators?level=manager", "", indicatorReaders},
		{"GET", "/api/v1/indicators?level=area", "", map[string]string{"planner": "ok", "admin": "ok"}},
		{"GET", "/api/v1/bulletin", "", indicatorReaders},
		{"GET", "/api/v1/indicators/trend?weeks=2&level=manager", "", indicatorReaders},
		{"GET", "/api/v1/indicators/trend?weeks=2&level=route", "", map[string]string{"planner": "ok", "admin": "ok"}},
		{"GET", "/api/v1/indicators/targets", "", indicatorReaders},
		{"PUT", "/api/v1/indicators/targets", `{"targets":[{"indicator":"upload_rate","scope":"company","value":0.9}]}`,
			map[string]string{"planner": "ok", "admin": "ok"}},
		{"GET", "/api/v1/satisfaction", "", map[string]string{"manager1": "ok", "planner": "ok", "admin": "ok"}},
		{"GET", "/api/v1/grades?limit=5", "", map[string]string{"planner": "ok", "admin": "ok"}},
		{"GET", outlet + "/grade", "", readers},
		{"PUT", outlet + "/satisfaction/" + time.Now().UTC().Format("2006-01"), `{"score":80,"comment":"matrix"}`,
			map[string]string{"manager1": "ok"}},
		{"GET", "/api/v1/warehouse/stock", "", map[string]string{"planner": "ok", "admin": "ok", "logistics": "ok", "manufacturer1": "ok"}},
		{"GET", "/api/v1/warehouse/stock/" + own[0] + "/movements", "", map[string]string{"planner": "ok", "admin": "ok", "logistics": "ok", "manufacturer1": "ok"}},
		{"GET", "/api/v1/warehouse/stock/" + foreign[0] + "/movements", "", map[string]string{"planner": "ok", "admin": "ok", "logistics": "ok", "manufacturer1": "404"}},
		{"GET", "/api/v1/warehouse/limit-proposals", "", map[string]string{"planner": "ok", "admin": "ok"}},
		{"GET", "/api/v1/warehouse/warnings", "", map[string]string{"planner": "ok", "admin": "ok", "manufacturer1": "ok"}},
		{"GET", "/api/v1/arrival-plans", "", map[string]string{"planner": "ok", "admin": "ok", "logistics": "ok", "manufacturer1": "ok"}},
		{"GET", "/api/v1/balance", "", map[string]string{"planner": "ok", "admin": "ok", "manufacturer1": "ok"}},
		{"PUT", "/api/v1/warehouse/stock/" + own[0] + "/limits", `{"lower":1,"upper":9}`, map[string]string{"planner": "ok", "admin": "ok"}},
		{"POST", "/api/v1/warehouse/movements", fmt.Sprintf(`{"brand":%q,"kind":"arrival","cartons":5}`, own[0]),
			map[string]string{"planner": "ok", "admin": "ok", "logistics": "ok"}},
		{"POST", "/api/v1/arrival-plans", fmt.Sprintf(`{"lines":[{"brand":%q,"arrives_on":%q,"cartons":5}]}`, own[0], time.Now().AddDate(0, 0, 9).Format(time.DateOnly)),
			map[string]string{"planner": "ok", "admin": "ok", "manufacturer1": "ok"}},
		{"POST", "/api/v1/arrival-plans", fmt.Sprintf(`{"lines":[{"brand":%q,"arrives_on":%q,"cartons":5}]}`, foreign[0], time.Now().AddDate(0, 0, 9).Format(time.DateOnly)),
			map[string]string{"planner": "ok", "admin": "ok", "manufacturer1": "422"}},
		{"POST", "/api/v1/balance/" + unordered + "/allocation", `{"weeks":1}`, map[string]string{"planner": "409", "admin": "409"}},
		{"GET", "/api/v1/brand-evaluations?month=2026-10", "", map[string]string{"planner": "ok", "admin": "ok", "manufacturer1": "ok"}},
		{"GET", "/api/v1/portal/sales", "", map[string]string{"planner": "ok", "admin": "ok", "manufacturer1": "ok"}},
		{"GET", "/api/v1/portal/allocations", "", map[string]string{"planner": "ok", "admin": "ok", "manufacturer1": "ok"}},
		{"GET", "/api/v1/rounds/" + week, "", map[string]string{"planner": "ok", "admin": "ok", "logistics": "ok"}},
		{"POST", "/api/v1/orders/" + jsonNumber(order["id"]) + "/returns", fmt.Sprintf(`{"lines":[{"brand":%q,"cartons":1,"reason":"damp"}]}`, brand),
			map[string]string{"logistics": "409", "admin": "409"}},
		{"POST", orderPath + "/receipt", "", map[string]string{"retailer1": "409"}},
		{"POST", "/api/v1/cycles/" + week + "/allocations", fmt.Sprintf(`{"brand":%q,"supply":3,"dry_run":true}`, brand),
			map[string]string{"planner": "ok", "admin": "ok"}},
		{"GET", keptPath, "", map[string]string{"planner": "ok", "admin": "ok"}},
		{"POST", keptPath + "/publication", "", map[string]string{"planner": "ok", "admin": "ok"}},
		{"PUT", "/api/v1/cycles/" + week + "/supply", fmt.Sprintf(`{"plan":[{"brand":%q,"on_sale":true}]}`, brand),
			map[string]string{"planner": "ok", "admin": "ok"}},
		{"POST", outlet + "/visits", fmt.Sprintf(`{"visited_on":%q,"purpose":"routine"}`, time.Now().Format(time.DateOnly)),
			map[string]string{"manager1": "ok", "logistics": "404", "manufacturer1": "404"}},
		{"PUT", outlet + "/benchmark", `{"benchmark":false}`, planners},
		{"PATCH", outlet + "/assignment", `{"route":"R-matrix"}`, planners},
		{"POST", "/api/v1/grades", `{"weeks":4}`, map[string]string{"planner": "ok", "admin": "ok"}},
		{"POST", outlet + "/scans", "", map[string]string{"retailer1": "ok", "admin": "ok", "logistics": "404", "manufacturer1": "404"}},
		{"POST", outlet + "/orders", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":2}]}`, brand),
			map[string]string{"retailer1": "ok", "manager1": "ok", "logistics": "404", "manufacturer1": "404"}},
		{"POST", "/api/v1/orders/" + jsonNumber(order["id"]) + "/delivery", "", map[string]string{"logistics": "409", "admin": "409"}},
		{"DELETE", orderPath, "", map[string]string{"retailer1": "ok", "logistics": "404", "manufacturer1": "404"}},
	}
	n := 0
	for _, o := range ops {
		for _, role := range roles {
			n++
			want := o.want[role]
			if want == "" {
				want = "403"
			}
			body := o.body
			if strings.HasSuffix(o.path, "/scans") && o.method == "POST" {
				body = scanBody(t, fmt.Sprintf("matrix-%d", n), []scanRowJSON{{Brand: brand, Kind: "sellout", At: at, Qty: 1}})
			}
			t.Run(fmt.Sprintf("%s %s as %s", o.method, strings.TrimPrefix(o.path, "/api/v1"), role), func(t *testing.T) {
				code, _, raw, _ := users[role].doWith(o.method, o.path, body, map[string]string{"Idempotency-Key": fmt.Sprintf("matrix-%d", n)})
				got := fmt.Sprint(code)
				if code >= 200 && code < 300 {
					got = "ok"
				}
				if got != want {
					t.Errorf("%s %s as %s = %d %.200s; want %s", o.method, o.path, role, code, raw, want)
				}
			})
		}
	}
}
