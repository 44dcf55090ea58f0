package supplyapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/forecast/allocation"
	forecasthttp "github.com/ordercast/ordercast/forecast/httpapi"
	"github.com/ordercast/ordercast/ordering"
	orderinghttp "github.com/ordercast/ordercast/ordering/httpapi"
	"github.com/ordercast/ordercast/ordering/supplyapi"
	"github.com/ordercast/ordercast/retailer"
)

// fuzzNow is the clock of the fuzzed handler: Thursday 3 December 2026.
var fuzzNow = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// fuzzStore is the warehouse, the delivery round and the history in memory: brands B0001 (of
// manufacturer 2) and B0002 (of manufacturer 3), order 8 of outlet 1 delivered with 3 cartons of
// B0001. Writes are checked with the domain's own validation and otherwise accepted.
type fuzzStore struct{}

// brandOf answers a brand the manufacturer may see (any, for 0), or ordering.ErrNotFound.
func brandOf(manufacturer int64, brand string) error {
	owner := map[string]int64{"B0001": 2, "B0002": 3}[brand]
	if owner == 0 || manufacturer != 0 && manufacturer != owner {
		return fmt.Errorf("%w: brand %q", ordering.ErrNotFound, brand)
	}
	return nil
}

func (fuzzStore) StockLevels(_ context.Context, manufacturer int64, brand string) ([]ordering.StockLevel, error) {
	var out []ordering.StockLevel
	for _, b := range []string{"B0001", "B0002"} {
		if brandOf(manufacturer, b) == nil && (brand == "" || brand == b) {
			out = append(out, ordering.StockLevel{Brand: b, Manufacturer: "M0" + b[4:], Cartons: 40, UpdatedAt: fuzzNow,
				Limits: &ordering.StockLimit{Lower: 10, Upper: 80, Basis: "set by a planner", SetAt: fuzzNow}})
		}
	}
	return out, nil
}

func (fuzzStore) Movements(_ context.Context, manufacturer int64, brand string, beforeID int64, limit int) ([]ordering.Movement, error) {
	if err := brandOf(manufacturer, brand); err != nil {
		return nil, err
	}
	return []ordering.Movement{{ID: 5, Brand: brand, Kind: ordering.MovementKind("arrival"), Cartons: 40, At: fuzzNow}}, nil
}

func (fuzzStore) RecordMovement(_ context.Context, m ordering.Movement, _ int64, now time.Time) (ordering.Movement, error) {
	if err := ordering.ValidateMovement(m); err != nil {
		return ordering.Movement{}, err
	}
	if err := brandOf(0, m.Brand); err != nil {
		return ordering.Movement{}, err
	}
	m.ID, m.At = 6, now
	return m, nil
}

func (fuzzStore) SubmitArrivals(_ context.Context, manufacturer int64, plans []ordering.ArrivalPlan, _ string, _ int64,
	_ time.Time, key func(i int) string) (int, error) {
	for i, p := range plans {
		if err := brandOf(manufacturer, p.Brand); err != nil {
			return 0, err
		}
		_ = key(i)
	}
	return len(plans), nil
}

func (fuzzStore) ArrivalPlans(_ context.Context, manufacturer int64, brand string, from time.Time) ([]ordering.ArrivalPlan, error) {
	return []ordering.ArrivalPlan{{ID: 1, Manufacturer: "M01", Brand: "B0001", ArrivesOn: from.AddDate(0, 0, 5), Cartons: 9,
		Cadence: ordering.Cadence("weekly")}}, nil
}

func (fuzzStore) SetStockLimit(_ context.Context, brand string, l ordering.StockLimit, _ int64, _ time.Time) error {
	if err := ordering.ValidateStockLimit(l); err != nil {
		return err
	}
	return brandOf(0, brand)
}

func (fuzzStore) PickList(_ context.Context, day time.Time) (ordering.PickList, error) {
	line := ordering.PickLine{Brand: "B0001", Name: "云岭（软）", Cartons: 3}
	return ordering.PickList{Day: day, Routes: []ordering.RouteStops{{Route: "R01", Stops: []ordering.Stop{{OrderID: 8, Outlet: 1,
		Licence: "L1", Name: "王记便利店", Address: "文化路 1 号", Lines: []ordering.PickLine{line}}}}}, Totals: []ordering.PickLine{line},
		Delivered: []ordering.RouteDelivered{{Route: "R01", Orders: 2}, {Route: "R02", Orders: 5}}}, nil
}

func (fuzzStore) Return(_ context.Context, orderID int64, lines []ordering.ReturnLine, _ int64, _ time.Time) (ordering.ReturnOutcome, error) {
	if orderID != 8 {
		return ordering.ReturnOutcome{}, fmt.Errorf("%w: order %d", ordering.ErrNotFound, orderID)
	}
	if err := ordering.ValidateReturn(lines); err != nil {
		return ordering.ReturnOutcome{}, err
	}
	if err := ordering.CheckReturn(map[string]int{"B0001": 3}, lines); err != nil {
		return ordering.ReturnOutcome{}, err
	}
	return ordering.ReturnOutcome{OrderID: 8, Outlet: 1, RefundCents: 3000, Lines: lines}, nil
}

func (fuzzStore) Receipt(_ context.Context, outletID, orderID int64, lines []ordering.ReceivedLine, _ string, _ time.Time) (string, error) {
	if outletID != 1 || orderID != 8 {
		return "", fmt.Errorf("%w: order %d of outlet %d", ordering.ErrNotFound, orderID, outletID)
	}
	return ordering.ReceiptOf(map[string]int{"B0001": 3}, lines)
}

// The balance's facts: B0001 short of its demand (a proposal), B0002 in stock.
func (fuzzStore) BalanceFacts(_ context.Context, q ordering.BalanceQuery) ([]ordering.BalanceInput, error) {
	var out []ordering.BalanceInput
	for k, b := range []string{"B0001", "B0002"} {
		if brandOf(q.Manufacturer, b) != nil || q.Brand != "" && q.Brand != b {
			continue
		}
		in := ordering.BalanceInput{Brand: b, Stock: []int{2, 400}[k], WeeklySales: 10, Limits: &ordering.StockLimit{Lower: 5, Upper: 60}}
		for w := range q.Weeks {
			in.Weeks = append(in.Weeks, ordering.WeekDemand{Week: q.From.AddDate(0, 0, 7*w), Requested: 3})
		}
		out = append(out, in)
	}
	return out, nil
}

func (fuzzStore) BrandForecasts(_ context.Context, brands []string, from, to time.Time) (map[string][]ordering.BrandForecast, string, error) {
	out := map[string][]ordering.BrandForecast{}
	for _, b := range brands {
		for w := from; w.Before(to); w = w.AddDate(0, 0, 7) {
			out[b] = append(out[b], ordering.BrandForecast{Week: w, Point: 12, Lo80: 8, Hi80: 16})
		}
	}
	return out, "run-1", nil
}

func (fuzzStore) WeeklySales(_ context.Context, brands []string, _ time.Time) (map[string]float64, error) {
	out := map[string]float64{}
	for _, b := range brands {
		out[b] = 10
	}
	return out, nil
}

func (fuzzStore) SalesBy(_ context.Context, brands []string, by ordering.SalesGrouping, from, to time.Time) ([]ordering.SalesRow, error) {
	var out []ordering.SalesRow
	for _, b := range brands {
		out = append(out, ordering.SalesRow{Week: from, Brand: b, Group: "城关街道", Delivered: 5, Requested: 6, Outlets: 2})
	}
	return out, nil
}

func (fuzzStore) SupplyOutcomes(_ context.Context, manufacturer int64, from, to time.Time) ([]ordering.SupplyOutcome, error) {
	supply := 9
	return []ordering.SupplyOutcome{{Week: from, SupplyState: ordering.SupplyState{
		SupplyLine: ordering.SupplyLine{Brand: "B0001", OnSale: true, SupplyCartons: &supply}, Requested: 12, Granted: 9, Eligible: 4, Covered: 3}}}, nil
}

func (fuzzStore) Evaluate(_ context.Context, month time.Time, brands []string) ([]ordering.Evaluation, error) {
	var in []ordering.BrandMonth
	for k, b := range brands {
		in = append(in, ordering.BrandMonth{Brand: b, Name: "云岭", Manufacturer: "M01", Sales: []float64{float64(k), 3, 0, 5},
			Buyers: 3 * k, Active: 10})
	}
	return ordering.Evaluate(month, in), nil
}

// The allocation planner's outlets and demand.
func (fuzzStore) Outlets(context.Context) ([]retailer.Outlet, error) {
	return []retailer.Outlet{{Licence: "L1", Grade: 12, Status: retailer.Active, Area: "城关区"},
		{Licence: "L2", Grade: 5, Status: retailer.Active, Area: "城关区"}}, nil
}

func (fuzzStore) BrandDemand(context.Context, string, time.Time) (map[string]float64, string, error) {
	return map[string]float64{"L1": 4, "L2": 1.5}, "run-1", nil
}

func (s fuzzStore) BandDemand(ctx context.Context, _ int, week time.Time) (map[string]float64, string, error) {
	return s.BrandDemand(ctx, "", week)
}

var fuzzPrincipals = []retailer.Principal{
	{UserID: 1, Username: "r1", Role: retailer.RoleRetailer, OutletID: 1},
	{UserID: 2, Username: "m1", Role: retailer.RoleManager, ManagerID: 5},
	{UserID: 4, Username: "p", Role: retailer.RolePlanner},
	{UserID: 5, Username: "a", Role: retailer.RoleAdmin},
	{UserID: 6, Username: "l", Role: retailer.RoleLogistics},
	{UserID: 7, Username: "f", Role: retailer.RoleManufacturer, ManufacturerID: 2},
	{UserID: 8, Username: "g", Role: retailer.RoleManufacturer, ManufacturerID: 3},
}

// FuzzSupplyRequests sends any body, path parameters and query to every supply route (warehouse,
// arrival plans, balance and its allocation, delivery rounds, returns, receipts, brand evaluations
// and the manufacturers' portal), as every role, against in-memory stores, the real balancer and the
// real allocation planner: never a panic, never a 5xx, every 4xx a problem. Run for longer with:
// go test -run '^$' -fuzz '^FuzzSupplyRequests$' -fuzztime 60s -parallel 1 ./ordering/supplyapi/
func FuzzSupplyRequests(f *testing.F) {
	f.Add(uint8(0), uint8(2), "B0001", "", "?brand=B0001", "")
	f.Add(uint8(1), uint8(5), "B0001", "", "?limit=2&before=9", "")
	f.Add(uint8(1), uint8(6), "B0001", "", "?limit=-1&before=x", "")
	f.Add(uint8(2), uint8(2), "B0001", "", "", `{"lower":10,"upper":5}`)
	f.Add(uint8(2), uint8(2), "B0002", "", "", `{"lower":0,"upper":2147483648}`)
	f.Add(uint8(3), uint8(2), "", "", "?brand=B0001&from=2026-11-30&weeks=8", "")
	f.Add(uint8(4), uint8(5), "", "", "?brand=&from=2026-02-30&weeks=27", "")
	f.Add(uint8(5), uint8(3), "", "", "", `{"brand":"B0001","kind":"adjustment","cartons":-3,"reason":"count"}`)
	f.Add(uint8(5), uint8(3), "", "", "", `{"brand":"B0001","kind":"arrival","cartons":1e30,"arrival_plan":-1}`)
	f.Add(uint8(6), uint8(5), "", "", "?brand=B0001&from=2026-12-01", "")
	f.Add(uint8(7), uint8(5), "", "", "", `{"cadence":"weekly","lines":[{"brand":"B0001","arrives_on":"2026-12-08","cartons":9}]}`)
	f.Add(uint8(7), uint8(6), "", "", "", `{"cadence":"ten_days","lines":[{"brand":"B0001","arrives_on":"2026-12-32","cartons":-1},{}]}`)
	f.Add(uint8(8), uint8(2), "", "", "?from=2026-11-30&weeks=4", "")
	f.Add(uint8(9), uint8(2), "B0001", "", "", `{"weeks":4,"mode":"demand","cap":2}`)
	f.Add(uint8(9), uint8(3), "B0002", "", "", `{"weeks":0,"mode":"grade","from":"2026-12-07"}`)
	f.Add(uint8(10), uint8(4), "2026-12-07", "", "", "")
	f.Add(uint8(10), uint8(4), "yesterday", "", "", "")
	f.Add(uint8(11), uint8(4), "8", "", "", `{"lines":[{"brand":"B0001","cartons":2,"reason":"damaged"}]}`)
	f.Add(uint8(11), uint8(4), "8", "", "", `{"lines":[{"brand":"B0001","cartons":4,"reason":""},{"brand":"B0001","cartons":1}]}`)
	f.Add(uint8(12), uint8(0), "1", "8", "", `{"lines":[{"brand":"B0001","received":2}],"note":"one short"}`)
	f.Add(uint8(12), uint8(0), "1", "8", "", `{"lines":[{"brand":"B0009","received":-2}]}`)
	f.Add(uint8(13), uint8(5), "", "", "?month=2026-11&format=csv", "")
	f.Add(uint8(13), uint8(2), "", "", "?month=2026-13&format=xlsx", "")
	f.Add(uint8(14), uint8(5), "", "", "?by=format&weeks=12&brand=B0001", "")
	f.Add(uint8(15), uint8(6), "", "", "?weeks=9999999999", "")
	routes := []struct{ method, path string }{
		{"GET", "/warehouse/stock"}, {"GET", "/warehouse/stock/{a}/movements"}, {"PUT", "/warehouse/stock/{a}/limits"},
		{"GET", "/warehouse/limit-proposals"}, {"GET", "/warehouse/warnings"}, {"POST", "/warehouse/movements"},
		{"GET", "/arrival-plans"}, {"POST", "/arrival-plans"}, {"GET", "/balance"}, {"POST", "/balance/{a}/allocation"},
		{"GET", "/rounds/{a}"}, {"POST", "/orders/{a}/returns"}, {"POST", "/outlets/{a}/orders/{b}/receipt"},
		{"GET", "/brand-evaluations"}, {"GET", "/portal/sales"}, {"GET", "/portal/allocations"},
	}
	f.Fuzz(func(t *testing.T, route, as uint8, a, b, query, body string) {
		r := routes[int(route)%len(routes)]
		if !strings.Contains(r.path, "{a}") {
			a = "a"
		}
		if !strings.Contains(r.path, "{b}") {
			b = "b"
		}
		if query != "" && !strings.HasPrefix(query, "?") {
			query = "?" + query
		}
		// What an HTTP client can put in a request line: a path parameter neither empty nor with a
		// slash, no control characters or spaces, no malformed percent escape.
		if a == "" || b == "" || strings.ContainsAny(a+b, "/?") ||
			strings.IndexFunc(a+b+query, func(r rune) bool { return r < 0x21 || r == 0x7f || r == '#' }) >= 0 {
			t.Skip()
		}
		path := "/api/v1" + strings.NewReplacer("{a}", a, "{b}", b).Replace(r.path) + query
		if _, err := url.ParseRequestURI(path); err != nil {
			t.Skip()
		}
		store := fuzzStore{}
		planner := &allocation.Planner{Outlets: store, Demand: store, Now: func() time.Time { return fuzzNow }}
		pass := func(next echo.HandlerFunc) echo.HandlerFunc { return next } // idempotency is ordering's, fuzzed there
		h := supplyapi.New(store, &ordering.Balancer{Facts: store, History: store}, planner, pass, func() time.Time { return fuzzNow })
		h.WithPortal(store, store)
		h.WithEvaluations(store)
		who := fuzzPrincipals[int(as)%len(fuzzPrincipals)]
		e := echo.New()
		// The server renders every adapter's table; a supply route's errors are the ordering and
		// allocation domains'.
		e.HTTPErrorHandler = problem.NewRenderer(h.Problems(), (&orderinghttp.Handler{}).Problems(),
			(&forecasthttp.Handler{}).Problems()).Handler(slog.New(slog.NewTextHandler(io.Discard, nil)))
		authed := e.Group("/api/v1", problem.Scope(h.Problems()), func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				c.SetRequest(c.Request().WithContext(retailer.WithPrincipal(c.Request().Context(), who)))
				return next(c)
			}
		})
		h.Register(e.Group("/api/v1"), authed)
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req := httptest.NewRequest(r.method, path, rd)
		if body != "" {
			req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		}
		req.Header.Set("Idempotency-Key", "k1")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s as %s, body %q: %d %s", r.method, path, who.Role, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Code != http.StatusMethodNotAllowed {
			if ct := rec.Header().Get(echo.HeaderContentType); ct != problem.MediaType {
				t.Fatalf("%s %s as %s: %d with Content-Type %q; want a problem", r.method, path, who.Role, rec.Code, ct)
			}
		}
	})
}
