package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/allocation"
	"github.com/ordercast/ordercast/forecast/allocation/allocationtest"
	"github.com/ordercast/ordercast/forecast/httpapi"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// fuzzWorld is what an allocation.Planner reads and writes, in memory: four outlets with a forecast,
// the limits it publishes and the previews it keeps.
type fuzzWorld struct {
	allocationtest.Previews
}

func (w *fuzzWorld) Outlets(context.Context) ([]retailer.Outlet, error) {
	var out []retailer.Outlet
	for i, g := range []int{5, 12, 20, 8} {
		o := retailer.Outlet{Licence: []string{"L1", "L2", "L3", "L4"}[i], Grade: g, Status: retailer.Active,
			Area: []string{"西湖区", "滨江区"}[i%2], MarketType: "city", Format: "convenience", CreditLevel: "A"}
		if i == 3 {
			o.Status, o.Benchmark = retailer.Suspended, true
		}
		out = append(out, o)
	}
	return out, nil
}

func (w *fuzzWorld) BrandDemand(_ context.Context, brand string, _ time.Time) (map[string]float64, string, error) {
	if brand == "B0000" {
		return map[string]float64{}, "run-1", nil
	}
	return map[string]float64{"L1": 2, "L2": 5.5, "L3": 1.2, "L4": 0}, "run-1", nil
}

func (w *fuzzWorld) BandDemand(_ context.Context, class int, week time.Time) (map[string]float64, string, error) {
	return w.BrandDemand(context.Background(), "", week)
}

func (w *fuzzWorld) KnownBrands(_ context.Context, codes []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, c := range codes {
		out[c] = strings.HasPrefix(c, "B")
	}
	return out, nil
}

func (w *fuzzWorld) SupplyPublishedAt(context.Context, time.Time, string) (time.Time, error) {
	return time.Time{}, nil
}

func (w *fuzzWorld) PublishAllocation(context.Context, time.Time, ordering.SupplyLine, string, string, time.Time, []ordering.OutletLimit, int64, time.Time) error {
	return nil
}

func (w *fuzzWorld) WriteAllocation(context.Context, string, time.Time, *allocation.Result, []string, bool, time.Time) error {
	return nil
}

// fuzzOutletWeeks answers with every week from the Monday of from to the Monday of to, the last with
// a forecast.
type fuzzOutletWeeks struct{}

func (fuzzOutletWeeks) OutletWeeks(_ context.Context, outlet, brand string, from, to time.Time) (forecast.OutletWeeks, error) {
	out := forecast.OutletWeeks{Outlet: outlet, Brand: brand, Run: "run-9"}
	for w := from; !w.After(to); w = w.AddDate(0, 0, 7) {
		out.Weeks = append(out.Weeks, forecast.OutletWeek{Week: w, Requested: 3, Granted: 2, Delivered: 2})
	}
	if n := len(out.Weeks); n > 0 {
		out.Weeks[n-1].Forecast = &forecast.Interval{Point: 5, Lo80: 3, Hi80: 8}
	}
	return out, nil
}

// fuzzKeptID is the id of the preview every fuzzed planner keeps before the request: a kept
// preview of 7 cartons of B0001 by grade in the cycle of 30 November 2026.
const fuzzKeptID = "20261130-B0001-20261130T090000.000"

// FuzzForecastRequests sends any path parameters, query and body to every forecast route, as every
// role, against the real allocation planner over in-memory stores: never a panic, never a 5xx, every
// 4xx a problem. Run for longer with:
// go test -run '^$' -fuzz '^FuzzForecastRequests$' -fuzztime 60s -parallel 1 ./forecast/httpapi/
func FuzzForecastRequests(f *testing.F) {
	f.Add(uint8(0), uint8(0), "2026-11-30", "", "", `{"brand":"B0001","supply":7,"dry_run":true}`)
	f.Add(uint8(0), uint8(0), "2026-11-30", "", "?limits=2", `{"brand":"B0001","supply":7,"mode":"grade_within","dimension":"district","cap":2,"min_coverage":0.5,"benchmark_first":true}`)
	f.Add(uint8(0), uint8(1), "2026-11-30", "", "", `{"brand":"B0001","supply":9223372036854775807,"mode":"demand"}`)
	f.Add(uint8(0), uint8(0), "2026-11-30", "", "", `{"price_class":3,"supply":5,"mode":"price_band","dry_run":true}`)
	f.Add(uint8(0), uint8(0), "2026-11-30", "", "", `{"brand":"B0001","supply":5,"mode":"selection","selected":["L1","L9"]}`)
	f.Add(uint8(0), uint8(0), "2026-12-01", "", "?limits=-1", `{"brand":" ","supply":-3,"mode":"nonsense","min_coverage":1e308}`)
	f.Add(uint8(0), uint8(2), "2026-11-30", "", "", `{"brand":"B0001","supply":1}`)
	f.Add(uint8(1), uint8(0), "2026-11-30", fuzzKeptID, "?offset=2&limits=1", "")
	f.Add(uint8(1), uint8(0), "2026-11-30", "nope", "?offset=-1&limits=99999", "")
	f.Add(uint8(2), uint8(1), "2026-11-30", fuzzKeptID, "", "")
	f.Add(uint8(2), uint8(3), "0000-01-03", fuzzKeptID, "?limits=0", "")
	f.Add(uint8(3), uint8(2), "", "", "?month=2026-02&level=outlet&against=sales&dataset=live&key=330102000001", "")
	f.Add(uint8(3), uint8(0), "", "", "?month=2026-13&level=%00&against=x", "")
	f.Add(uint8(4), uint8(0), "", "", "?month=2026-02&brand=B0001&against=orders&dataset=holdout", "")
	f.Add(uint8(5), uint8(2), "5", "", "?weeks=2&brand=B1", "")
	f.Add(uint8(5), uint8(3), "5", "", "?weeks=99999999999999999999&brand=", "")
	f.Add(uint8(5), uint8(4), "-1", "", "?weeks=0", "")
	routes := []struct{ method, path string }{
		{"POST", "/cycles/{week}/allocations"}, {"GET", "/cycles/{week}/allocations/{id}"},
		{"POST", "/cycles/{week}/allocations/{id}/publication"}, {"GET", "/scores"}, {"GET", "/scores/weeks"},
		{"GET", "/outlets/{week}/weeks"},
	}
	roles := []retailer.Principal{planner, admin, manager, retailr, producer,
		{UserID: 12, Username: "truck", Role: retailer.RoleLogistics}}
	f.Fuzz(func(t *testing.T, route, as uint8, param, id, query, body string) {
		// What an HTTP client can put in a request line: no control characters or spaces (a client
		// escapes them), and a path parameter is never empty.
		if param == "" && route != 3 && route != 4 || strings.ContainsAny(param+id, "/?") ||
			strings.IndexFunc(param+id+query, func(r rune) bool { return r < 0x21 || r == 0x7f || r == '#' }) >= 0 {
			t.Skip()
		}
		r := routes[int(route)%len(routes)]
		if id == "" && strings.Contains(r.path, "{id}") {
			t.Skip()
		}
		if query != "" && !strings.HasPrefix(query, "?") {
			query = "?" + query
		}
		path := strings.NewReplacer("{week}", param, "{id}", id).Replace(r.path)
		if _, err := url.ParseRequestURI("/api/v1" + path + query); err != nil {
			t.Skip() // a malformed percent escape no client sends
		}
		w := &fuzzWorld{}
		now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
		planner := &allocation.Planner{Outlets: w, Brands: w, Demand: w, Limits: w, Archive: w, Previews: w,
			PreviewTTL: 30 * time.Minute, Now: func() time.Time { return now }}
		defer planner.Wait()
		ctx := context.Background()
		if _, _, err := planner.Preview(ctx, allocation.Request{Week: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
			Brand: "B0001", Supply: 7, Mode: allocation.ByGrade}); err != nil {
			t.Fatalf("keeping the preview: %v", err)
		}
		h := httpapi.New(planner, pass)
		h.WithPreviews(planner)
		h.WithScores(&fakeScores{set: scoreSet()}, &fakeScope{manager: "AM3", outlets: []string{"330102000001"}})
		h.WithWeeks(&fakeWeeks{})
		h.WithOutletWeeks(fuzzOutletWeeks{}, fakeOutlets{}, func() time.Time { return now })
		who := roles[int(as)%len(roles)]
		rec := newServer(h, who).do(t, r.method, "/api/v1"+path+query, body)
		if rec.Code >= 500 {
			t.Fatalf("%s %s%s as %s, body %q: %d %s", r.method, path, query, who.Role, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Code != http.StatusMethodNotAllowed {
			if ct := rec.Header().Get("Content-Type"); ct != problem.MediaType {
				t.Fatalf("%s %s%s as %s: %d with Content-Type %q; want a problem", r.method, path, query, who.Role, rec.Code, ct)
			}
		}
	})
}
