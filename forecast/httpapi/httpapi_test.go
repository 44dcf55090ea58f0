package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast/allocation"
	"github.com/ordercast/ordercast/forecast/httpapi"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// fakeAllocator answers Plan with plan or planErr and Publish with publishErr, and records the calls.
type fakeAllocator struct {
	plan       *allocation.Plan
	planErr    error
	publishErr error

	requests  []allocation.Request
	published []*allocation.Plan
	by        []int64
}

var _ httpapi.Allocator = (*fakeAllocator)(nil)

func (f *fakeAllocator) Plan(_ context.Context, req allocation.Request) (*allocation.Plan, error) {
	f.requests = append(f.requests, req)
	if f.planErr != nil {
		return nil, f.planErr
	}
	return f.plan, nil
}

func (f *fakeAllocator) Publish(_ context.Context, plan *allocation.Plan, userID int64) error {
	f.published = append(f.published, plan)
	f.by = append(f.by, userID)
	return f.publishErr
}

var monday = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// demandPlan is a preview of 11 cartons of B0042 by demand over four active outlets whose forecasts
// add up to 11, so each gets its forecast: 1, 3, 2 and 5 cartons; a suspended fifth gets none.
func demandPlan(t *testing.T) *allocation.Plan {
	t.Helper()
	in := allocation.Input{Brand: "B0042", Supply: 11, Mode: allocation.ByDemand, Outlets: []allocation.Outlet{
		{ID: "330102000001", Grade: 5, Status: allocation.Active, Area: "Xihu", Demand: 1},
		{ID: "330102000002", Grade: 10, Status: allocation.Active, Area: "Xihu", Demand: 3},
		{ID: "330102000003", Grade: 12, Status: allocation.Active, Area: "Binjiang", Demand: 2},
		{ID: "330102000004", Grade: 20, Status: allocation.Active, Area: "Binjiang", Demand: 5},
		{ID: "330102000005", Grade: 8, Status: allocation.Suspended, Area: "Binjiang", Demand: 4},
	}}
	res, err := allocation.Allocate(in)
	if err != nil {
		t.Fatalf("Allocate: %v", err)
	}
	var got []int
	for _, l := range res.Limits {
		got = append(got, l.Cartons)
	}
	if want := []int{1, 3, 2, 5, 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("fixture: Allocate limits = %v; want %v", got, want)
	}
	return &allocation.Plan{ID: "20260302-B0042-20260301T090000.000", ForecastRun: "run-7",
		Request: allocation.Request{Week: monday, Brand: "B0042", Supply: 11, Mode: allocation.ByDemand},
		Result:  res, Explanations: res.Explanations(), Summary: res.Summary()}
}

// emptyPlan is an allocation with no eligible outlet: its summary has no grades and no areas.
func emptyPlan(t *testing.T) *allocation.Plan {
	t.Helper()
	res, err := allocation.Allocate(allocation.Input{Brand: "B0042", Supply: 0, Mode: allocation.ByGrade})
	if err != nil {
		t.Fatalf("Allocate: %v", err)
	}
	s := res.Summary()
	if len(s.Grades) != 0 || len(s.Areas) != 0 {
		t.Fatalf("fixture: Summary() has grades %v, areas %v; want none", s.Grades, s.Areas)
	}
	return &allocation.Plan{ID: "empty", Request: allocation.Request{Week: monday, Brand: "B0042", Mode: allocation.ByGrade},
		Result: res, Explanations: res.Explanations(), Summary: s}
}

const allocations = "/api/v1/cycles/2026-03-02/allocations"

func TestAllocateRefusals(t *testing.T) {
	_, invalidSupply := allocation.Allocate(allocation.Input{Brand: "B0042", Supply: -1, Mode: allocation.ByGrade})
	if invalidSupply == nil {
		t.Fatal("fixture: Allocate with supply -1 succeeded")
	}
	const leak = "dial tcp 10.0.0.7:9000: password s3cret rejected"
	tests := []struct {
		name       string
		who        retailer.Principal
		target     string
		body       string
		planErr    error
		publishErr error
		status     int
		typ        string
		fields     []string
		planned    bool // Allocator.Plan was called
		published  bool // Allocator.Publish was called
	}{
		{name: "retailer", who: retailr, target: allocations, body: `{"brand":"B0042","supply":11}`,
			status: 403, typ: "/problems/forbidden"},
		{name: "manager", who: manager, target: allocations, body: `{"brand":"B0042","supply":11}`,
			status: 403, typ: "/problems/forbidden"},
		{name: "manufacturer", who: producer, target: allocations, body: `{"brand":"B0042","supply":11}`,
			status: 403, typ: "/problems/forbidden"},
		{name: "week not a Monday", who: planner, target: "/api/v1/cycles/2026-03-03/allocations",
			body: `{"brand":"B0042","supply":11}`, status: 422, typ: "/problems/invalid-fields", fields: []string{"week"}},
		{name: "week not a date", who: planner, target: "/api/v1/cycles/next/allocations",
			body: `{"brand":"B0042","supply":11}`, status: 422, typ: "/problems/invalid-fields", fields: []string{"week"}},
		{name: "limits negative", who: planner, target: allocations + "?limits=-1", body: `{"brand":"B0042","supply":11}`,
			status: 422, typ: "/problems/invalid-fields", fields: []string{"limits"}},
		{name: "limits above the maximum", who: planner, target: allocations + fmt.Sprintf("?limits=%d", httpapi.MaxLimits+1),
			body: `{"brand":"B0042","supply":11}`, status: 422, typ: "/problems/invalid-fields", fields: []string{"limits"}},
		{name: "limits not a number", who: planner, target: allocations + "?limits=all", body: `{"brand":"B0042","supply":11}`,
			status: 422, typ: "/problems/invalid-fields", fields: []string{"limits"}},
		{name: "supply missing", who: planner, target: allocations, body: `{"brand":"B0042"}`,
			status: 422, typ: "/problems/invalid-fields", fields: []string{"supply"}},
		{name: "supply null", who: planner, target: allocations, body: `{"brand":"B0042","supply":null}`,
			status: 422, typ: "/problems/invalid-fields", fields: []string{"supply"}},
		{name: "brand missing", who: planner, target: allocations, body: `{"supply":11}`,
			status: 422, typ: "/problems/invalid-fields", fields: []string{"brand"}},
		{name: "brand blank", who: planner, target: allocations, body: `{"supply":11,"brand":"  "}`,
			status: 422, typ: "/problems/invalid-fields", fields: []string{"brand"}},
		{name: "brand missing in demand mode", who: planner, target: allocations, body: `{"supply":11,"mode":"demand"}`,
			status: 422, typ: "/problems/invalid-fields", fields: []string{"brand"}},
		{name: "every field at once, sorted", who: planner, target: "/api/v1/cycles/2026-03-04/allocations?limits=-5",
			body: `{}`, status: 422, typ: "/problems/invalid-fields", fields: []string{"brand", "limits", "supply", "week"}},
		{name: "body not JSON", who: planner, target: allocations, body: `{"brand":`,
			status: 400, typ: "/problems/invalid-request"},
		{name: "allocation's validation error", who: planner, target: allocations, body: `{"brand":"B0042","supply":-1}`,
			planErr: invalidSupply, status: 422, typ: "/problems/invalid-fields", fields: []string{"supply"}, planned: true},
		{name: "planner's validation error, wrapped", who: planner, target: allocations,
			body:    `{"brand":"B0042","supply":11,"mode":"selected","selected":["nobody"]}`,
			planErr: fmt.Errorf("plan: %w", &allocation.ValidationError{Field: "selected", Value: "[nobody]", Err: allocation.ErrUnknownOutlet}),
			status:  422, typ: "/problems/invalid-fields", fields: []string{"selected"}, planned: true},
		{name: "no demand", who: planner, target: allocations, body: `{"brand":"B0042","supply":11,"mode":"demand"}`,
			planErr: fmt.Errorf("%w: forecast run run-7 has none for B0042", allocation.ErrNoDemand),
			status:  409, typ: "/problems/no-forecast", planned: true},
		{name: "cycle not found", who: planner, target: allocations, body: `{"brand":"B0042","supply":11}`,
			planErr: fmt.Errorf("read cycle: %w", ordering.ErrNotFound), status: 404, typ: "/problems/not-found", planned: true},
		{name: "unknown error from Plan", who: planner, target: allocations, body: `{"brand":"B0042","supply":11}`,
			planErr: errors.New(leak), status: 500, typ: "/problems/internal", planned: true},
		{name: "price band not publishable", who: planner, target: allocations,
			body:       `{"supply":11,"mode":"price_band","price_class":2}`,
			publishErr: allocation.ErrNotPublishable, status: 422, typ: "/problems/not-publishable", planned: true, published: true},
		{name: "publish conflicts", who: planner, target: allocations, body: `{"brand":"B0042","supply":11}`,
			publishErr: fmt.Errorf("publish limits: %w", ordering.ErrConflict), status: 409, typ: "/problems/allocation-conflict",
			planned: true, published: true},
		{name: "publish into no cycle", who: planner, target: allocations, body: `{"brand":"B0042","supply":11}`,
			publishErr: fmt.Errorf("publish limits: %w", ordering.ErrNotFound), status: 404, typ: "/problems/not-found",
			planned: true, published: true},
		{name: "unknown error from Publish", who: planner, target: allocations, body: `{"brand":"B0042","supply":11}`,
			publishErr: errors.New(leak), status: 500, typ: "/problems/internal", planned: true, published: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &fakeAllocator{plan: demandPlan(t), planErr: tt.planErr, publishErr: tt.publishErr}
			s := newServer(httpapi.New(a, pass), tt.who)
			req := "POST " + tt.target + " " + tt.body
			rec := s.do(t, http.MethodPost, tt.target, tt.body)
			checkProblem(t, req, rec, tt.status, tt.typ, tt.fields)
			if got := len(a.requests) > 0; got != tt.planned {
				t.Errorf("%s: Plan called = %v; want %v", req, got, tt.planned)
			}
			if got := len(a.published) > 0; got != tt.published {
				t.Errorf("%s: Publish called = %v; want %v", req, got, tt.published)
			}
			for _, secret := range []string{"s3cret", "10.0.0.7", "dial tcp"} {
				if strings.Contains(rec.Body.String(), secret) {
					t.Errorf("%s: body %s leaks %q", req, rec.Body, secret)
				}
			}
		})
	}
}

func TestAllocateRequest(t *testing.T) {
	tests := []struct {
		name string
		body string
		want allocation.Request
	}{
		{"every field", `{"brand":" B0042 ","price_class":2,"supply":11,"mode":"grade_within","dimension":"district",
			"cap":3,"min_coverage":0.5,"benchmark_first":true,"selected":["330102000001","330102000002"],"dry_run":true}`,
			allocation.Request{Week: monday, Brand: "B0042", PriceClass: 2, Supply: 11, Mode: allocation.ByGradeWithin,
				Dimension: allocation.District, Cap: 3, Selected: []string{"330102000001", "330102000002"},
				Options: allocation.Options{MinCoverage: 0.5, BenchmarkFirst: true}}},
		{"mode defaults to grade", `{"brand":"B0042","supply":0,"dry_run":true}`,
			allocation.Request{Week: monday, Brand: "B0042", Supply: 0, Mode: allocation.ByGrade}},
		{"price band needs no brand", `{"supply":40,"mode":"price_band","price_class":3,"dry_run":true}`,
			allocation.Request{Week: monday, PriceClass: 3, Supply: 40, Mode: allocation.ByPriceBand}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &fakeAllocator{plan: demandPlan(t)}
			s := newServer(httpapi.New(a, pass), planner)
			rec := s.do(t, http.MethodPost, allocations, tt.body)
			if rec.Code != http.StatusOK {
				t.Fatalf("POST %s = %d %s; want 200", tt.body, rec.Code, rec.Body)
			}
			if len(a.requests) != 1 || !reflect.DeepEqual(a.requests[0], tt.want) {
				t.Errorf("POST %s: Plan(%+v); want Plan(%+v)", tt.body, a.requests, tt.want)
			}
		})
	}
}

func TestAllocateDryRun(t *testing.T) {
	plan := demandPlan(t)
	a := &fakeAllocator{plan: plan}
	idem := &counter{}
	s := newServer(httpapi.New(a, idem.middleware), planner)
	rec := s.do(t, http.MethodPost, allocations, `{"brand":"B0042","supply":11,"mode":"demand","dry_run":true}`)
	v := decode[httpapi.PlanView](t, "POST dry_run", rec, http.StatusOK)
	if v.Published {
		t.Errorf("POST dry_run: published = true; want false")
	}
	if len(a.published) != 0 {
		t.Errorf("POST dry_run: Publish called %d times; want 0", len(a.published))
	}
	if idem.n != 1 {
		t.Errorf("POST dry_run: the Idempotency-Key middleware saw %d requests; want 1", idem.n)
	}
	want := httpapi.PlanView{ID: plan.ID, Cycle: "2026-03-02", Brand: "B0042", Mode: "demand", ForecastRun: "run-7",
		Warnings: []string{}, WarningParts: []httpapi.ClauseView{}, LimitsTotal: 5,
		Summary: httpapi.SummaryView{Supply: 11, Allocated: 11, Unallocated: 0, Eligible: 4, Covered: 4, Coverage: 1,
			Demand: 11, FillRate: 1, Gini: 0,
			Grades: []httpapi.GradeView{
				{Grade: 5, Outlets: 1, Covered: 1, Cartons: 1, Demand: 1, FillRate: 1},
				{Grade: 10, Outlets: 1, Covered: 1, Cartons: 3, Demand: 3, FillRate: 1},
				{Grade: 12, Outlets: 1, Covered: 1, Cartons: 2, Demand: 2, FillRate: 1},
				{Grade: 20, Outlets: 1, Covered: 1, Cartons: 5, Demand: 5, FillRate: 1},
			},
			Areas: []httpapi.AreaView{
				{Area: "Binjiang", Outlets: 2, Cartons: 7, Share: 7.0 / 11},
				{Area: "Xihu", Outlets: 2, Cartons: 4, Share: 4.0 / 11},
			}},
		Limits: []httpapi.LimitView{
			{Outlet: "330102000004", Grade: 20, Demand: 5, Quota: plan.Result.Limits[3].Quota, Cartons: 5, Explanation: plan.Explanations[3],
				ExplanationParts: partsOf(plan.Result.ExplainClauses(3))},
			{Outlet: "330102000002", Grade: 10, Demand: 3, Quota: plan.Result.Limits[1].Quota, Cartons: 3, Explanation: plan.Explanations[1],
				ExplanationParts: partsOf(plan.Result.ExplainClauses(1))},
			{Outlet: "330102000003", Grade: 12, Demand: 2, Quota: plan.Result.Limits[2].Quota, Cartons: 2, Explanation: plan.Explanations[2],
				ExplanationParts: partsOf(plan.Result.ExplainClauses(2))},
			{Outlet: "330102000001", Grade: 5, Demand: 1, Quota: plan.Result.Limits[0].Quota, Cartons: 1, Explanation: plan.Explanations[0],
				ExplanationParts: partsOf(plan.Result.ExplainClauses(0))},
			{Outlet: "330102000005", Grade: 8, Demand: 4, Quota: plan.Result.Limits[4].Quota, Cartons: 0, Explanation: plan.Explanations[4],
				ExplanationParts: partsOf(plan.Result.ExplainClauses(4))},
		}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("POST dry_run = %+v\nwant %+v", v, want)
	}
	for i, l := range v.Limits {
		if l.Explanation == "" {
			t.Errorf("POST dry_run: limit %d (%s) without an explanation", i, l.Outlet)
		}
	}
}

func TestAllocatePublish(t *testing.T) {
	tests := []struct {
		name string
		who  retailer.Principal
	}{
		{"planner", planner},
		{"admin", admin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := demandPlan(t)
			a := &fakeAllocator{plan: plan}
			idem := &counter{}
			s := newServer(httpapi.New(a, idem.middleware), tt.who)
			rec := s.do(t, http.MethodPost, allocations, `{"brand":"B0042","supply":11,"mode":"demand"}`)
			v := decode[httpapi.PlanView](t, "POST publish", rec, http.StatusCreated)
			if !v.Published || v.ID != plan.ID || v.Summary.Allocated != 11 {
				t.Errorf("POST publish = published %v, id %q, allocated %d; want true, %q, 11",
					v.Published, v.ID, v.Summary.Allocated, plan.ID)
			}
			if len(a.published) != 1 || a.published[0] != plan || a.by[0] != tt.who.UserID {
				t.Errorf("POST publish: Publish(%p, %v); want Publish(%p, [%d])", a.published, a.by, plan, tt.who.UserID)
			}
			if idem.n != 1 {
				t.Errorf("POST publish: the Idempotency-Key middleware saw %d requests; want 1", idem.n)
			}
		})
	}
}

func TestAllocateLimits(t *testing.T) {
	tests := []struct {
		query string
		want  []string // outlets, largest limit first
	}{
		{"?limits=0", []string{}},
		{"?limits=1", []string{"330102000004"}},
		{"?limits=3", []string{"330102000004", "330102000002", "330102000003"}},
		{fmt.Sprintf("?limits=%d", httpapi.MaxLimits), []string{"330102000004", "330102000002", "330102000003", "330102000001", "330102000005"}},
		{"", []string{"330102000004", "330102000002", "330102000003", "330102000001", "330102000005"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			s := newServer(httpapi.New(&fakeAllocator{plan: demandPlan(t)}, pass), planner)
			rec := s.do(t, http.MethodPost, allocations+tt.query, `{"brand":"B0042","supply":11,"dry_run":true}`)
			v := decode[httpapi.PlanView](t, "POST "+tt.query, rec, http.StatusOK)
			got := []string{}
			for _, l := range v.Limits {
				got = append(got, l.Outlet)
			}
			if !reflect.DeepEqual(got, tt.want) || v.LimitsTotal != 5 {
				t.Errorf("POST %s: limits %v of %d; want %v of 5", tt.query, got, v.LimitsTotal, tt.want)
			}
			if !strings.Contains(rec.Body.String(), `"limits":[`) {
				t.Errorf("POST %s: limits not a JSON array: %s", tt.query, rec.Body)
			}
		})
	}
}

// An allocation with no eligible outlet still shows its lists as [], not null.
func TestPlanViewOfEmptyListsAreArrays(t *testing.T) {
	plan := emptyPlan(t)
	b, err := json.Marshal(httpapi.PlanViewOf(plan, false, httpapi.DefaultLimits))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Warnings []any `json:"warnings"`
		Limits   []any `json:"limits"`
		Summary  struct {
			Grades []any `json:"grades"`
			Areas  []any `json:"areas"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for name, list := range map[string][]any{"warnings": v.Warnings, "limits": v.Limits,
		"summary.grades": v.Summary.Grades, "summary.areas": v.Summary.Areas} {
		if got := fmt.Sprint(list); list == nil || len(list) != 0 {
			if list == nil {
				got = "null"
			}
			t.Errorf("PlanViewOf(empty plan).%s = %s in %s; want []", name, got, b)
		}
	}

	// And through the handler.
	s := newServer(httpapi.New(&fakeAllocator{plan: plan}, pass), planner)
	rec := s.do(t, http.MethodPost, allocations, `{"brand":"B0042","supply":0,"dry_run":true}`)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"grades":[],"areas":[]`) {
		t.Errorf("POST dry_run of an empty plan = %d %s; want 200 with \"grades\":[],\"areas\":[]", rec.Code, rec.Body)
	}
}

// PlanViewOf keeps the summary's figures unrounded and lists the n largest limits of all.
func TestPlanViewOfPublishedLargest(t *testing.T) {
	plan := demandPlan(t)
	v := httpapi.PlanViewOf(plan, true, 2)
	if len(v.Summary.Areas) != 2 || math.Abs(v.Summary.Areas[0].Share-7.0/11) > 1e-12 {
		t.Errorf("PlanViewOf(plan).Summary.Areas = %+v; want Binjiang's share 7/11 first", v.Summary.Areas)
	}
	if !v.Published || len(v.Limits) != 2 || v.LimitsTotal != 5 {
		t.Errorf("PlanViewOf(plan, true, 2) = published %v, %d limits of %d; want true, 2 of 5", v.Published, len(v.Limits), v.LimitsTotal)
	}
}

// partsOf is the clauses of an explanation as a client reads them (numbers as float64).
func partsOf(cs []allocation.Clause) []httpapi.ClauseView {
	out := make([]httpapi.ClauseView, len(cs))
	for k, c := range cs {
		out[k] = httpapi.ClauseView{Code: c.Code, Params: map[string]any{}}
		for name, v := range c.Params {
			if n, ok := v.(int); ok {
				v = float64(n)
			}
			out[k].Params[name] = v
		}
	}
	return out
}
