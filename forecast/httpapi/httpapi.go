// Package httpapi is the forecast domain's HTTP adapter: the planner's scarce-brand allocations
// (preview, then publish) under /api/v1/cycles/{week}/allocations, forecast accuracy scores under
// /api/v1/scores with a scored month's weekly forecast against actual under /api/v1/scores/weeks, and
// one outlet's weeks (history, forecast with its interval, scans) under /api/v1/outlets/{id}/weeks.
//
// Handlers return domain errors as they are; Problems says how each answers, and the server renders
// them as application/problem+json.
package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/forecast/allocation"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// Allocator previews and publishes allocations (*allocation.Planner).
type Allocator interface {
	Plan(ctx context.Context, req allocation.Request) (*allocation.Plan, error)
	Publish(ctx context.Context, plan *allocation.Plan, userID int64) error
}

// Handler serves the forecast domain's routes.
type Handler struct {
	allocator  Allocator
	idempotent echo.MiddlewareFunc
	scores     ScoreReader // nil: no scores route (WithScores)
	scope      ScopeReader
	weeks      WeeklyReader // nil: no weekly route (WithWeeks)

	outletWeeks *outletWeeksRoute // nil: no outlet weeks route (WithOutletWeeks)
}

// New returns a Handler. idempotent is the API's Idempotency-Key middleware for POSTs.
func New(allocator Allocator, idempotent echo.MiddlewareFunc) *Handler {
	return &Handler{allocator: allocator, idempotent: idempotent}
}

// Register adds the routes to authed, which must sit behind authentication.
func (h *Handler) Register(_, authed *echo.Group) {
	authed.POST("/cycles/:week/allocations", h.allocate, h.idempotent)
	if h.scores != nil {
		authed.GET("/scores", h.scoresOf, problem.Query("month", "level", "against", "dataset", "key"))
	}
	if h.scores != nil && h.weeks != nil {
		authed.GET("/scores/weeks", h.weeksOf, problem.Query("month", "brand", "against", "dataset"))
	}
	if h.outletWeeks != nil {
		authed.GET("/outlets/:id/weeks", h.outletWeeksOf, problem.Query("weeks", "brand"))
	}
}

// DefaultLimits and MaxLimits bound how many outlets' limits an allocation response lists.
const (
	DefaultLimits = 100
	MaxLimits     = 5000
)

type allocationRequest struct {
	Brand          string   `json:"brand"`
	PriceClass     int      `json:"price_class"`
	Supply         *int     `json:"supply"`
	Mode           string   `json:"mode"`
	Dimension      string   `json:"dimension"`
	Cap            int      `json:"cap"`
	MinCoverage    float64  `json:"min_coverage"`
	BenchmarkFirst bool     `json:"benchmark_first"`
	Selected       []string `json:"selected"`
	DryRun         bool     `json:"dry_run"`
}

// allocate previews (dry_run) or publishes an allocation of the cycle; ?limits=N lists the N largest
// limits with their explanations (every limit is in the history store once published).
func (h *Handler) allocate(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	if p.Role != retailer.RolePlanner && p.Role != retailer.RoleAdmin {
		return errNotPlanner
	}
	fields := map[string]string{}
	week, err := ordering.ParseWeek(c.Param("week"))
	if err != nil {
		fields["week"] = err.Error()
	}
	show := DefaultLimits
	if v := c.QueryParam("limits"); v != "" {
		if show, err = strconv.Atoi(v); err != nil || show < 0 || show > MaxLimits {
			fields["limits"] = fmt.Sprintf("want 0 to %d", MaxLimits)
		}
	}
	var req allocationRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	if req.Supply == nil {
		fields["supply"] = "required: cartons, 0 or more"
	}
	if req.Mode == "" {
		req.Mode = string(allocation.ByGrade)
	}
	req.Brand = strings.TrimSpace(req.Brand)
	if req.Brand == "" && req.Mode != string(allocation.ByPriceBand) {
		fields["brand"] = "required"
	}
	if len(fields) > 0 {
		return problem.Invalid(fields)
	}
	plan, err := h.allocator.Plan(c.Request().Context(), allocation.Request{Week: week, Brand: req.Brand,
		PriceClass: req.PriceClass, Supply: *req.Supply, Mode: allocation.Mode(req.Mode), Dimension: allocation.Dimension(req.Dimension),
		Cap: req.Cap, Selected: req.Selected,
		Options: allocation.Options{MinCoverage: req.MinCoverage, BenchmarkFirst: req.BenchmarkFirst}})
	if err != nil {
		return err
	}
	if req.DryRun {
		return c.JSON(http.StatusOK, PlanViewOf(plan, false, show))
	}
	if err := h.allocator.Publish(c.Request().Context(), plan, p.UserID); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, PlanViewOf(plan, true, show))
}

// PlanView is an allocation as the API and `ordercast allocate -json` show it.
type PlanView struct {
	ID          string      `json:"id"`
	Cycle       string      `json:"cycle"`
	Brand       string      `json:"brand"`
	Mode        string      `json:"mode"`
	Dimension   string      `json:"dimension,omitempty"`
	Published   bool        `json:"published"`
	ForecastRun string      `json:"forecast_run,omitempty"`
	Warnings    []string    `json:"warnings"`
	Summary     SummaryView `json:"summary"`
	Limits      []LimitView `json:"limits"` // the largest first
	LimitsTotal int         `json:"limits_total"`
}

// SummaryView is allocation.Summary in JSON.
type SummaryView struct {
	Supply      int         `json:"supply"`
	Allocated   int         `json:"allocated"`
	Unallocated int         `json:"unallocated"`
	Eligible    int         `json:"eligible_outlets"`
	Covered     int         `json:"covered_outlets"`
	Coverage    float64     `json:"coverage"`
	Demand      float64     `json:"demand"`
	FillRate    float64     `json:"fill_rate"`
	Gini        float64     `json:"gini"`
	Grades      []GradeView `json:"grades"`
	Areas       []AreaView  `json:"areas"`
}

// GradeView is one grade's part of an allocation.
type GradeView struct {
	Grade    int     `json:"grade"`
	Outlets  int     `json:"outlets"`
	Covered  int     `json:"covered"`
	Cartons  int     `json:"cartons"`
	Demand   float64 `json:"demand"`
	FillRate float64 `json:"fill_rate"`
}

// AreaView is one area's share of an allocation.
type AreaView struct {
	Area    string  `json:"area"`
	Outlets int     `json:"outlets"`
	Cartons int     `json:"cartons"`
	Share   float64 `json:"share"`
}

// LimitView is one outlet's limit with its explanation.
type LimitView struct {
	Outlet      string  `json:"outlet"`
	Grade       int     `json:"grade"`
	Demand      float64 `json:"demand"`
	Quota       float64 `json:"quota"`
	Cartons     int     `json:"cartons"`
	Explanation string  `json:"explanation"`
}

// PlanViewOf shows plan with its n largest limits.
func PlanViewOf(plan *allocation.Plan, published bool, n int) PlanView {
	r, s := plan.Result, plan.Summary
	v := PlanView{ID: plan.ID, Cycle: plan.Request.Week.Format(time.DateOnly), Brand: r.Brand, Mode: string(r.Mode),
		Dimension: string(r.Dimension), Published: published, ForecastRun: plan.ForecastRun, Warnings: plan.Warnings,
		LimitsTotal: len(r.Limits), Limits: []LimitView{}}
	if v.Warnings == nil {
		v.Warnings = []string{}
	}
	v.Summary = SummaryView{Supply: s.Supply, Allocated: s.Allocated, Unallocated: s.Unallocated, Eligible: s.Eligible,
		Covered: s.Covered, Coverage: s.Coverage, Demand: s.Demand, FillRate: s.FillRate, Gini: s.Gini,
		Grades: []GradeView{}, Areas: []AreaView{}}
	for _, g := range s.Grades {
		v.Summary.Grades = append(v.Summary.Grades, GradeView(g))
	}
	for _, a := range s.Areas {
		v.Summary.Areas = append(v.Summary.Areas, AreaView(a))
	}
	for _, i := range r.Largest(n) {
		l := r.Limits[i]
		v.Limits = append(v.Limits, LimitView{Outlet: l.Outlet, Grade: l.Grade, Demand: l.Demand, Quota: l.Quota,
			Cartons: l.Cartons, Explanation: plan.Explanations[i]})
	}
	return v
}
