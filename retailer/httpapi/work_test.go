package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// The clock of the work tests: Thursday 19 November 2026, 04:00 in Shanghai, still the 18th in UTC.
var workNow = time.Date(2026, 11, 18, 20, 0, 0, 0, time.UTC)

// latestCycle is serve's: the latest cycle outlets order in, windows closing at 18:00 in loc.
func latestCycle(loc *time.Location) func(now time.Time) time.Time {
	return ordering.WindowPolicy{CloseHour: 18, Location: loc}.LatestCycle
}

var workPrincipals = map[string]retailer.Principal{
	"retailer": {UserID: 1, Username: "r1", Role: retailer.RoleRetailer, OutletID: 1},
	"manager":  {UserID: 2, Username: "m1", Role: retailer.RoleManager, ManagerID: 5},
	"other":    {UserID: 3, Username: "m2", Role: retailer.RoleManager, ManagerID: 6},
	"planner":  {UserID: 4, Username: "p", Role: retailer.RolePlanner},
}

// workOutlets lets outlet 1 be seen by its retailer, its manager (5) and planners.
type workOutlets struct{}

func (workOutlets) Outlet(_ context.Context, p retailer.Principal, id int64) (retailer.Profile, error) {
	if id == 1 && (p.SeesAllOutlets() || p.OutletID == 1 || p.ManagerID == 5) {
		pr := retailer.Profile{ID: 1}
		pr.Licence, pr.Manager = "L1", "AM1"
		return pr, nil
	}
	return retailer.Profile{}, fmt.Errorf("%w: outlet %d", retailer.ErrNotFound, id)
}

// fakeWork records what the handler asks of the store.
type fakeWork struct {
	visit      retailer.NewVisit
	filter     retailer.VisitFilter
	assignment retailer.Assignment
	first      time.Time
	last       time.Time
	err        error
}

func (f *fakeWork) RecordVisit(_ context.Context, p retailer.Principal, id int64, v retailer.NewVisit, now time.Time) (retailer.Visit, error) {
	f.visit = v
	return retailer.Visit{ID: 9, OutletID: id, Outlet: "L1", Manager: "AM1", RecordedBy: p.Username, NewVisit: v, RecordedAt: now}, f.err
}

func (f *fakeWork) Visits(_ context.Context, _ retailer.Principal, filter retailer.VisitFilter) ([]retailer.Visit, error) {
	f.filter = filter
	return nil, f.err
}

func (f *fakeWork) Reassign(_ context.Context, p retailer.Principal, id int64, a retailer.Assignment, now time.Time) (retailer.Profile, []retailer.Change, error) {
	f.assignment = a
	return retailer.Profile{ID: id}, nil, f.err
}

func (f *fakeWork) Changes(context.Context, retailer.Principal, int64, int64, int) ([]retailer.Change, error) {
	return nil, f.err
}

func (f *fakeWork) BenchmarkOutlets(_ context.Context, _ retailer.Principal, _ string, first, last time.Time) ([]retailer.BenchmarkOutlet, error) {
	f.first, f.last = first, last
	pr := retailer.Profile{ID: 1}
	pr.Licence = "L1"
	b := retailer.BenchmarkOutlet{Profile: pr}
	for w := first; !w.After(last); w = w.AddDate(0, 0, 7) {
		b.Weeks = append(b.Weeks, retailer.BenchmarkWeek{Week: w})
	}
	return []retailer.BenchmarkOutlet{b}, f.err
}

// fakeSales has 3 cartons in every week of L1, or fails with err.
type fakeSales struct{ err error }

func (s fakeSales) WeeklySales(_ context.Context, outlets []string, first, last time.Time) (map[string]map[time.Time]float64, error) {
	out := map[string]map[time.Time]float64{"L1": {}}
	for w := first; !w.After(last); w = w.AddDate(0, 0, 7) {
		out["L1"][w] = 3
	}
	return out, s.err
}

func newWorkServer(t *testing.T, store *fakeWork, sales SalesReader) *echo.Echo {
	t.Helper()
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	h := New(nil, workOutlets{}, func() time.Time { return workNow })
	passThrough := func(next echo.HandlerFunc) echo.HandlerFunc { return next } // idempotency is ordering's, tested there
	h.WithManagerWork(store, sales, passThrough, shanghai, latestCycle(shanghai))
	e := echo.New()
	e.Binder = testBinder{new(int)}
	e.HTTPErrorHandler = problem.NewRenderer(h.Problems()).Handler(slog.New(slog.NewTextHandler(io.Discard, nil)))
	authed := e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := workPrincipals[c.Request().Header.Get("X-Test-As")]
			c.SetRequest(c.Request().WithContext(retailer.WithPrincipal(c.Request().Context(), p)))
			return next(c)
		}
	})
	h.registerWork(authed)
	return e
}

func serveWork(e *echo.Echo, as, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/api/v1"+path, bytes.NewBufferString(body))
	req.Header.Set("X-Test-As", as)
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// problemFields returns the type and the fields of a problem answer.
func problemFields(t *testing.T, rec *httptest.ResponseRecorder) (string, []string) {
	t.Helper()
	var b struct {
		Type   string `json:"type"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("problem body %s: %v", rec.Body, err)
	}
	var fields []string
	for _, e := range b.Errors {
		fields = append(fields, e.Field)
	}
	sort.Strings(fields)
	return b.Type, fields
}

func TestWorkRoutes(t *testing.T) {
	tests := []struct {
		name, as, method, path, body string
		status                       int
		typ                          string   // of a problem
		fields                       []string // of a problem
	}{
		{"a visit", "manager", "POST", "/outlets/1/visits", `{"visited_on":"2026-11-19","purpose":"routine"}`, 201, "", nil},
		{"a visit today in Shanghai, still yesterday in UTC", "manager", "POST", "/outlets/1/visits",
			`{"visited_on":"2026-11-19","purpose":"routine","follow_up":{"on":"2026-11-20","action":"call"}}`, 201, "", nil},
		{"a malformed day and a follow-up without one", "manager", "POST", "/outlets/1/visits",
			`{"visited_on":"19/11/2026","purpose":"routine","follow_up":{"action":"call"}}`, 422, "/problems/invalid-fields",
			[]string{"follow_up.on", "visited_on"}},
		{"a visit by the retailer", "retailer", "POST", "/outlets/1/visits", `{"visited_on":"2026-11-19","purpose":"routine"}`, 403, "/problems/forbidden", nil},
		{"a visit by a planner", "planner", "POST", "/outlets/1/visits", `{"visited_on":"2026-11-19","purpose":"routine"}`, 403, "/problems/forbidden", nil},
		{"a visit to another manager's outlet", "other", "POST", "/outlets/1/visits", `{"visited_on":"2026-11-19","purpose":"routine"}`, 404, "/problems/not-found", nil},
		{"a visit to no outlet", "manager", "POST", "/outlets/x/visits", `{}`, 404, "/problems/not-found", nil},
		{"visits to before from", "planner", "GET", "/visits?from=2026-11-10&to=2026-11-01", "", 422, "/problems/invalid-fields", []string{"to"}},
		{"visits of a page too large", "manager", "GET", "/visits?limit=500&before=x", "", 422, "/problems/invalid-fields", []string{"before", "limit"}},
		{"visits for a retailer", "retailer", "GET", "/visits", "", 403, "/problems/forbidden", nil},
		{"an outlet's visits for its retailer", "retailer", "GET", "/outlets/1/visits", "", 403, "/problems/forbidden", nil},
		{"benchmarks over 27 weeks", "manager", "GET", "/benchmarks?weeks=27", "", 422, "/problems/invalid-fields", []string{"weeks"}},
		{"benchmark without the flag", "planner", "PUT", "/outlets/1/benchmark", `{"reason":"x"}`, 422, "/problems/invalid-fields", []string{"benchmark"}},
		{"benchmark by a manager", "manager", "PUT", "/outlets/1/benchmark", `{"benchmark":true}`, 403, "/problems/forbidden", nil},
		{"an empty assignment", "planner", "PATCH", "/outlets/1/assignment", `{"reason":"x"}`, 422, "/problems/invalid-fields", []string{"manager"}},
		{"an unknown day", "planner", "PATCH", "/outlets/1/assignment", `{"order_day":"Caturday"}`, 422, "/problems/invalid-fields", []string{"order_day"}},
		{"a day in lower case", "planner", "PATCH", "/outlets/1/assignment", `{"order_day":"tuesday"}`, 200, "", nil},
		{"an assignment by the retailer", "retailer", "PATCH", "/outlets/1/assignment", `{"route":"R2"}`, 403, "/problems/forbidden", nil},
		{"an assignment of an outlet no one has", "planner", "PATCH", "/outlets/2/assignment", `{"route":"R2"}`, 404, "/problems/not-found", nil},
		{"changes for the retailer", "retailer", "GET", "/outlets/1/changes", "", 403, "/problems/forbidden", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serveWork(newWorkServer(t, &fakeWork{}, fakeSales{}), tt.as, tt.method, tt.path, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("%s %s as %s = %d %s; want %d", tt.method, tt.path, tt.as, rec.Code, rec.Body, tt.status)
			}
			if tt.status < 400 {
				return
			}
			typ, fields := problemFields(t, rec)
			if typ != tt.typ || !reflect.DeepEqual(fields, tt.fields) {
				t.Errorf("problem %s with fields %v; want %s with %v", typ, fields, tt.typ, tt.fields)
			}
		})
	}
}

func TestAssignmentRequest(t *testing.T) {
	store := &fakeWork{}
	e := newWorkServer(t, store, fakeSales{})
	rec := serveWork(e, "planner", "PATCH", "/outlets/1/assignment", `{"manager":" AM2 ","order_day":"Sunday","reason":" rebalance "}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("PATCH = %d %s", rec.Code, rec.Body)
	}
	a := store.assignment
	if a.Manager == nil || *a.Manager != "AM2" || a.OrderDay == nil || *a.OrderDay != time.Sunday || a.Route != nil || a.Benchmark != nil || a.Reason != "rebalance" {
		t.Errorf("assignment %+v; want manager AM2, Sunday, no route or benchmark change, reason rebalance", a)
	}
}

// Benchmarks cover the weeks up to the latest cycle open (next week's, on this Wednesday evening), in
// the distributor's time zone; without the history store they still answer, sales unknown.
func TestBenchmarkWeeks(t *testing.T) {
	store := &fakeWork{}
	rec := serveWork(newWorkServer(t, store, fakeSales{}), "manager", "GET", "/benchmarks?weeks=3", "")
	monday := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	if rec.Code != http.StatusOK || !store.first.Equal(monday(9)) || !store.last.Equal(monday(23)) {
		t.Fatalf("GET benchmarks = %d, weeks %s to %s; want 200, 2026-11-09 to 2026-11-23", rec.Code, store.first, store.last)
	}
	var body struct {
		Outlets []struct {
			SalesStatus string `json:"sales_status"`
			Weeks       []struct {
				Week  string   `json:"week"`
				Sales *float64 `json:"sales"`
			} `json:"weeks"`
		} `json:"outlets"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Outlets) != 1 || len(body.Outlets[0].Weeks) != 3 ||
		body.Outlets[0].SalesStatus != "known" || *body.Outlets[0].Weeks[2].Sales != 3 || body.Outlets[0].Weeks[2].Week != "2026-11-23" {
		t.Errorf("benchmarks %s; want one outlet, 3 weeks to 2026-11-23, 3 cartons of sales each", rec.Body)
	}

	rec = serveWork(newWorkServer(t, &fakeWork{}, fakeSales{err: fmt.Errorf("%w: down", retailer.ErrUnavailable)}), "manager", "GET", "/benchmarks", "")
	if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"sales_status":"unknown"`)) || !bytes.Contains(rec.Body.Bytes(), []byte(`"sales":null`)) {
		t.Errorf("benchmarks without the history = %d %s; want 200, sales unknown and null", rec.Code, rec.Body)
	}
	rec = serveWork(newWorkServer(t, &fakeWork{}, fakeSales{err: errors.New("bad query")}), "manager", "GET", "/benchmarks", "")
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("benchmarks on a failing query = %d; want 500", rec.Code)
	}
}
