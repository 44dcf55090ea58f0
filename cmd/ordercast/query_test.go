package main

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestUnknownQueryParameters: every GET route of the API refuses a query parameter it does not take
// with 400 /problems/unknown-query-parameter naming it, even beside ones it takes, and still answers
// with the ones it takes. The table must hold every GET operation of openapi.json.
func TestUnknownQueryParameters(t *testing.T) {
	s, pg := seededServer(t)
	anon := apiClient{t: t, base: s.url}
	retailer, planner := anon.login("retailer1", demoPassword), anon.login("planner", demoPassword)
	manager, maker := anon.login("manager1", demoPassword), anon.login("manufacturer1", demoPassword)
	today := time.Now().Format(time.DateOnly)
	_, me, _ := retailer.do("GET", "/api/v1/me", "")
	outlet := "/api/v1/outlets/" + jsonNumber(me["outlet"].(map[string]any)["id"])
	_, cat, _ := retailer.do("GET", outlet+"/catalogue", "")
	week := cat["cycle"].(string)
	brand := seededBrands(t, pg, 1)[0]
	code, order, raw, _ := retailer.post(outlet+"/orders", "query-setup", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":1}]}`, brand))
	if code != http.StatusCreated {
		t.Fatalf("setup order = %d %s", code, raw)
	}

	code, kept, raw, _ := planner.post("/api/v1/cycles/"+week+"/allocations?limits=0", "query-kept",
		fmt.Sprintf(`{"brand":%q,"supply":3,"dry_run":true}`, brand))
	if code != http.StatusOK {
		t.Fatalf("setup preview = %d %s", code, raw)
	}

	tests := []struct {
		op    string // the openapi.json path
		c     apiClient
		path  string
		known string // a query the route takes ("" when it takes none)
	}{
		{"/me", retailer, "/api/v1/me", ""},
		{"/openapi.json", anon, "/api/v1/openapi.json", ""},
		{"/outlets/{id}", retailer, outlet, ""},
		{"/outlets/{id}/catalogue", retailer, outlet + "/catalogue", ""},
		{"/outlets/{id}/orders", retailer, outlet + "/orders", "limit=5"},
		{"/outlets/{id}/orders/{order}", retailer, outlet + "/orders/" + jsonNumber(order["id"]), ""},
		{"/outlets/{id}/scans", retailer, outlet + "/scans", "limit=5"},
		{"/outlets/{id}/weeks", manager, outlet + "/weeks", "weeks=4&brand=" + brand},
		{"/outlets", planner, "/api/v1/outlets", "status=active"},
		{"/cycles/{week}", planner, "/api/v1/cycles/" + week, "max_age=30"},
		{"/cycles/{week}/supply", planner, "/api/v1/cycles/" + week + "/supply", ""},
		{"/cycles/{week}/allocations/{id}", planner, "/api/v1/cycles/" + week + "/allocations/" + kept["id"].(string), "offset=1&limits=5"},
		{"/cycles/{week}/orders", planner, "/api/v1/cycles/" + week + "/orders", "status=submitted"},
		{"/scores", planner, "/api/v1/scores", "month=2026-10&level=company"},
		{"/scores/weeks", planner, "/api/v1/scores/weeks", "month=2026-10&brand=B0001&against=sales"},
		{"/satisfaction", planner, "/api/v1/satisfaction", "limit=5"},
		{"/grades", planner, "/api/v1/grades", "weeks=4&changed=true&limit=5"},
		{"/outlets/{id}/grade", retailer, outlet + "/grade", ""},
		{"/outlets/{id}/visits", planner, outlet + "/visits", "limit=5"},
		{"/visits", planner, "/api/v1/visits", "limit=5"},
		{"/benchmarks", manager, "/api/v1/benchmarks", "weeks=4"},
		{"/outlets/{id}/changes", planner, outlet + "/changes", "limit=5"},
		{"/indicators", planner, "/api/v1/indicators", "period=month&date=2026-11-01&level=company"},
		{"/indicators/targets", planner, "/api/v1/indicators/targets", ""},
		{"/indicators/trend", manager, "/api/v1/indicators/trend", "weeks=3&date=2026-11-20&level=manager"},
		{"/bulletin", planner, "/api/v1/bulletin", "date=2026-11-20&limit=5"},
		{"/warehouse/stock", planner, "/api/v1/warehouse/stock", "brand=" + brand},
		{"/warehouse/stock/{brand}/movements", planner, "/api/v1/warehouse/stock/" + brand + "/movements", "limit=5"},
		{"/warehouse/limit-proposals", planner, "/api/v1/warehouse/limit-proposals", "weeks=4"},
		{"/warehouse/warnings", planner, "/api/v1/warehouse/warnings", "weeks=4"},
		{"/arrival-plans", planner, "/api/v1/arrival-plans", "brand=" + brand},
		{"/balance", planner, "/api/v1/balance", "weeks=4"},
		{"/rounds/{day}", planner, "/api/v1/rounds/" + today, ""},
		{"/portal/sales", maker, "/api/v1/portal/sales", "weeks=4"},
		{"/portal/allocations", maker, "/api/v1/portal/allocations", "weeks=4"},
		{"/brand-evaluations", planner, "/api/v1/brand-evaluations", "month=2026-10"},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.op] = true
		t.Run(tt.op, func(t *testing.T) {
			queries := []string{"ordered=false"}
			if strings.HasPrefix(tt.op, "/scores") || tt.op == "/brand-evaluations" {
				queries = nil // month (and level) are required: the bare query is outside openapi.json
			}
			if tt.known != "" {
				queries = append(queries, tt.known+"&ordered=false&Limit=3")
			}
			for _, q := range queries {
				code, got, raw := tt.c.do("GET", tt.path+"?"+q, "")
				fields := fmt.Sprint(got["errors"])
				if code != http.StatusBadRequest || got["type"] != "/problems/unknown-query-parameter" ||
					!strings.Contains(fields, "field:ordered") || strings.Contains(q, "Limit") != strings.Contains(fields, "field:Limit") {
					t.Errorf("GET %s?%s = %d %s; want 400 unknown-query-parameter naming every unknown name", tt.path, q, code, raw)
				}
				for _, known := range strings.Split(tt.known, "&") {
					if name, _, _ := strings.Cut(known, "="); name != "" && strings.Contains(fields, "field:"+name+" ") {
						t.Errorf("GET %s?%s names %s, a parameter the route takes: %s", tt.path, q, name, raw)
					}
				}
			}
			if tt.known != "" && !strings.HasPrefix(tt.op, "/scores") { // scores need a scored month: 404 here
				if code, _, raw := tt.c.do("GET", tt.path+"?"+tt.known, ""); code != http.StatusOK {
					t.Errorf("GET %s?%s = %d %s; want 200", tt.path, tt.known, code, raw)
				}
			}
		})
	}

	doc, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for path, item := range doc.Paths.Map() {
		if item.Get != nil && !covered[path] {
			missing = append(missing, path)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("GET operations of openapi.json without a row in this table: %v", missing)
	}
}
