package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/forecast/allocation"
	forecastch "github.com/ordercast/ordercast/forecast/clickhouse"
	forecastapi "github.com/ordercast/ordercast/forecast/httpapi"
	"github.com/ordercast/ordercast/ordering"
	orderingch "github.com/ordercast/ordercast/ordering/clickhouse"
	orderingapi "github.com/ordercast/ordercast/ordering/httpapi"
	"github.com/ordercast/ordercast/ordering/supplyapi"
	retailerch "github.com/ordercast/ordercast/retailer/clickhouse"
	"github.com/ordercast/ordercast/retailer/grading"
	retailerapi "github.com/ordercast/ordercast/retailer/httpapi"
	"github.com/ordercast/ordercast/retailer/indicators"
	indicatorsapi "github.com/ordercast/ordercast/retailer/indicators/httpapi"
	retailerpg "github.com/ordercast/ordercast/retailer/postgres"
)

// Every /api/v1 route the server registers is in the OpenAPI document with its method, and every
// operation the document names is a route.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	reg := prometheus.NewRegistry()
	ret := retailerapi.New(nil, nil, time.Now)
	if err := ret.WithScans(nil, nil, nil, reg); err != nil {
		t.Fatal(err)
	}
	ret.WithOverviews(retailerpg.New(nil), retailerch.New(nil))
	ret.WithSatisfaction(retailerpg.New(nil))
	ord := orderingapi.New(nil, nil, nil, time.Now)
	fc := forecastapi.New(nil, ord.Idempotent())
	fc.WithScores(forecastch.New(nil), retailerpg.New(nil))
	fc.WithWeeks(forecastch.New(nil))
	fc.WithOutletWeeks(forecastch.New(nil), retailerpg.New(nil), time.Now)
	fc.WithPreviews(&allocation.Planner{})
	ret.WithManagerWork(retailerpg.New(nil), retailerch.New(nil), ord.Idempotent(), time.UTC, ordering.DefaultWindowPolicy.LatestCycle)
	ret.WithGrades(&grading.Grader{}, retailerpg.New(nil), ord.Idempotent())
	sup := supplyapi.New(nil, nil, nil, ord.Idempotent(), time.Now)
	sup.WithPortal(orderingch.New(nil), nil)
	sup.WithEvaluations(&ordering.Evaluator{})
	e, _, err := newServer(serverDeps{log: slog.New(slog.NewTextHandler(io.Discard, nil)), registerer: reg, gatherer: reg,
		maxBody: 1 << 20, authenticate: ret.Authenticate(), api: []apiRoutes{ret, ord, fc, indicatorsapi.New(nil, nil, time.Now).WithTrends(&indicators.Trends{}), sup}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json = version %q, %v; want an OpenAPI 3 document", doc.OpenAPI, err)
	}
	methods := map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}
	routes := map[string]bool{}
	for _, r := range e.Routes() {
		path, ok := strings.CutPrefix(r.Path, "/api/v1")
		if !ok || !methods[r.Method] || strings.HasSuffix(path, "*") || path == "" {
			continue // operational routes, and echo's catch-alls for group middleware
		}
		var parts []string
		for _, p := range strings.Split(path, "/") {
			if name, ok := strings.CutPrefix(p, ":"); ok {
				p = "{" + name + "}"
			}
			parts = append(parts, p)
		}
		path = strings.Join(parts, "/")
		routes[r.Method+" "+path] = true
		if _, ok := doc.Paths[path][strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s %s is not in openapi.json", r.Method, path)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !routes[strings.ToUpper(method)+" "+path] {
				t.Errorf("openapi.json documents %s %s, which the server does not serve", strings.ToUpper(method), path)
			}
		}
	}
	if len(routes) < 9 {
		t.Errorf("found %d API routes; want every route of the API (at least 9)", len(routes))
	}
}

func TestOpenAPIServed(t *testing.T) {
	s, _ := seededServer(t)
	code, body := get(t, s.url+"/api/v1/openapi.json")
	var doc map[string]any
	if code != http.StatusOK || json.Unmarshal([]byte(body), &doc) != nil || doc["paths"] == nil {
		t.Errorf("GET /api/v1/openapi.json = %d %.100s; want the document, without logging in", code, body)
	}
}
