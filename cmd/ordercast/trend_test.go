package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// Each week of GET /indicators/trend is GET /indicators?period=week of that week, value for value (the
// trend's indicators: figures, numerators and denominators, no data, targets, and for managers the
// previous week and the rank), for a manager's own row with the company's beside and for a planner's
// company; the stock-to-sales of the last week is that week's report's.
func TestIndicatorTrendEqualsWeeklyReports(t *testing.T) {
	s, _ := seededServer(t)
	anon := apiClient{t: t, base: s.url}
	manager, planner := anon.login("manager1", demoPassword), anon.login("planner", demoPassword)
	if code, _, raw := planner.do("PUT", "/api/v1/indicators/targets",
		`{"targets":[{"indicator":"order_success_rate","scope":"company","value":0.8}]}`); code != http.StatusOK {
		t.Fatalf("set a target = %d %s", code, raw)
	}
	type value = map[string]any
	type row struct {
		Key    string  `json:"key"`
		Values []value `json:"values"`
	}
	type week struct {
		Period  struct{ Start string } `json:"period"`
		Rows    []row                  `json:"rows"`
		Company row                    `json:"company"`
	}
	var trendIndicators []string
	keep := func(r row) row {
		r.Values = slices.DeleteFunc(slices.Clone(r.Values), func(v value) bool {
			return !slices.Contains(trendIndicators, v["indicator"].(string))
		})
		return r
	}
	asJSON := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for _, tt := range []struct {
		name  string
		c     apiClient
		level string
	}{{"manager1's row", manager, "manager"}, {"the company for a planner", planner, "company"}} {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"weeks": {"6"}, "date": {"2026-11-20"}, "level": {tt.level}}
			code, _, raw := tt.c.do("GET", "/api/v1/indicators/trend?"+q.Encode(), "")
			if code != http.StatusOK {
				t.Fatalf("GET /indicators/trend?%s = %d %s", q.Encode(), code, raw)
			}
			var trend struct {
				Weeks []week `json:"weeks"`
				Stock []any  `json:"stock"`
			}
			if err := json.Unmarshal([]byte(raw), &trend); err != nil {
				t.Fatal(err)
			}
			if len(trend.Weeks) != 6 || trend.Weeks[5].Period.Start != "2026-11-16" || len(trend.Weeks[0].Rows) != 1 {
				t.Fatalf("trend = %.500s; want 6 weeks of one row to the week of 2026-11-16", raw)
			}
			trendIndicators = nil
			for _, v := range trend.Weeks[0].Company.Values {
				trendIndicators = append(trendIndicators, v["indicator"].(string))
			}
			if len(trendIndicators) != 7 {
				t.Errorf("the trend holds %v; want the 7 weekly indicators", trendIndicators)
			}
			for i, w := range trend.Weeks {
				q := url.Values{"period": {"week"}, "date": {w.Period.Start}, "level": {tt.level}}
				code, _, raw := tt.c.do("GET", "/api/v1/indicators?"+q.Encode(), "")
				if code != http.StatusOK {
					t.Fatalf("GET /indicators?%s = %d %s", q.Encode(), code, raw)
				}
				var rep struct {
					week
					Stock []any `json:"stock"`
				}
				if err := json.Unmarshal([]byte(raw), &rep); err != nil {
					t.Fatal(err)
				}
				if g, w := asJSON(keep(w.Company)), asJSON(keep(rep.Company)); g != w {
					t.Errorf("week %s: the trend's company =\n%s\nwant /indicators'\n%s", q.Get("date"), g, w)
				}
				if len(rep.Rows) != len(w.Rows) || asJSON(keep(w.Rows[0])) != asJSON(keep(rep.Rows[0])) {
					t.Errorf("week %s: the trend's rows =\n%s\nwant /indicators'\n%s", q.Get("date"), asJSON(w.Rows), asJSON(rep.Rows))
				}
				if i == len(trend.Weeks)-1 && asJSON(trend.Stock) != asJSON(rep.Stock) {
					t.Errorf("stock = %s; want the last week's %s", asJSON(trend.Stock), asJSON(rep.Stock))
				}
			}
		})
	}
	for _, q := range []string{"weeks=0", "weeks=54", "weeks=x", "level=brand", "date=20-11-2026"} {
		if code, got, raw := manager.badRequest().do("GET", "/api/v1/indicators/trend?"+q, ""); code != http.StatusUnprocessableEntity || got["type"] != "/problems/invalid-fields" {
			t.Errorf("GET /indicators/trend?%s = %d %s; want 422 invalid-fields", q, code, raw)
		}
	}
}
