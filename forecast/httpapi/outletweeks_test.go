package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/httpapi"
	"github.com/ordercast/ordercast/retailer"
)

// fakeOutletWeeks answers with weeks from the Monday of from to the Monday of to, the second with a
// forecast and a stock count; it records what it was asked.
type fakeOutletWeeks struct {
	asked []string
}

var _ httpapi.OutletWeeksReader = (*fakeOutletWeeks)(nil)

func (f *fakeOutletWeeks) OutletWeeks(_ context.Context, outlet, brand string, from, to time.Time) (forecast.OutletWeeks, error) {
	f.asked = append(f.asked, fmt.Sprintf("%s %s %s %s", outlet, brand, from.Format(time.DateOnly), to.Format(time.DateOnly)))
	out := forecast.OutletWeeks{Outlet: outlet, Brand: brand, Run: "run-9"}
	stock := 4.5
	for w := from; !w.After(to); w = w.AddDate(0, 0, 7) {
		out.Weeks = append(out.Weeks, forecast.OutletWeek{Week: w, Requested: 3, Granted: 2, Delivered: 2})
	}
	out.Weeks[1].Forecast = &forecast.Interval{Point: 5, Lo80: 3, Hi80: 8}
	out.Weeks[1].Stock = &stock
	return out, nil
}

// fakeOutlets shows outlet 5 (licence L5) to everyone but a manufacturer.
type fakeOutlets struct{}

func (fakeOutlets) Outlet(_ context.Context, p retailer.Principal, id int64) (retailer.Profile, error) {
	if id != 5 || p.Role == retailer.RoleManufacturer {
		return retailer.Profile{}, fmt.Errorf("%w: outlet %d", retailer.ErrNotFound, id)
	}
	return retailer.Profile{ID: 5, Outlet: retailer.Outlet{Licence: "L5"}}, nil
}

func outletWeeksServer(w *fakeOutletWeeks, who retailer.Principal) *server {
	h := httpapi.New(&fakeAllocator{}, pass)
	now := func() time.Time { return time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC) } // a Thursday
	h.WithOutletWeeks(w, fakeOutlets{}, now)
	return newServer(h, who)
}

func TestOutletWeeksRoute(t *testing.T) {
	w := &fakeOutletWeeks{}
	rec := outletWeeksServer(w, manager).do(t, http.MethodGet, "/api/v1/outlets/5/weeks?weeks=2&brand=B1", "")
	type week struct {
		Week      string
		Requested float64
		Forecast  *struct{ Point, Lo80, Hi80 float64 }
		Stock     *float64
		SellOut   *float64 `json:"sell_out"`
	}
	got := decode[struct {
		Outlet      string
		Brand       *string
		ForecastRun *string `json:"forecast_run"`
		Weeks       []week
	}](t, "GET /outlets/5/weeks", rec, http.StatusOK)
	if len(w.asked) != 1 || w.asked[0] != "L5 B1 2026-11-23 2026-12-28" {
		t.Errorf("asked the store %q; want L5's B1 from the week before this one to 4 weeks ahead", w.asked)
	}
	if got.Outlet != "L5" || got.Brand == nil || *got.Brand != "B1" || got.ForecastRun == nil || *got.ForecastRun != "run-9" || len(got.Weeks) != 6 {
		t.Fatalf("GET /outlets/5/weeks = %s", rec.Body)
	}
	if w0, w1 := got.Weeks[0], got.Weeks[1]; w0.Week != "2026-11-23" || w0.Requested != 3 || w0.Forecast != nil || w0.Stock != nil ||
		w1.Forecast == nil || w1.Forecast.Lo80 != 3 || w1.Forecast.Hi80 != 8 || w1.Stock == nil || *w1.Stock != 4.5 || w1.SellOut != nil {
		t.Errorf("weeks = %s; want the store's, nulls where it has nothing", rec.Body)
	}

	for _, tt := range []struct {
		name, target string
		who          retailer.Principal
		status       int
		typ          string
		fields       []string
	}{
		{"weeks 0", "/api/v1/outlets/5/weeks?weeks=0", planner, 422, "/problems/invalid-fields", []string{"weeks"}},
		{"weeks above the most", "/api/v1/outlets/5/weeks?weeks=105", planner, 422, "/problems/invalid-fields", []string{"weeks"}},
		{"another's outlet", "/api/v1/outlets/6/weeks", manager, 404, "/problems/not-found", nil},
		{"not an id", "/api/v1/outlets/x/weeks", planner, 404, "/problems/not-found", nil},
		{"a manufacturer", "/api/v1/outlets/5/weeks", producer, 404, "/problems/not-found", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := &fakeOutletWeeks{}
			checkProblem(t, tt.name, outletWeeksServer(w, tt.who).do(t, http.MethodGet, tt.target, ""), tt.status, tt.typ, tt.fields)
			if len(w.asked) != 0 {
				t.Errorf("the store was asked %q", w.asked)
			}
		})
	}
}
