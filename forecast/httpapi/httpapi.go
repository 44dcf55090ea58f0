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

// PreviewKeeper keeps previews so that a planner pages through one, confirms and publishes it
// without computing it again (*allocation.Planner with Previews). Preview computes and keeps one;
// Kept and PublishKept return allocation.ErrNoPreview for an unknown or expired id, and PublishKept
// allocation.ErrStalePreview when the allocation computed now differs from the kept one.
type PreviewKeeper interface {
	Preview(ctx context.Context, req allocation.Request) (*allocation.Plan, time.Time, error)
	Kept(ctx context.Context, week time.Time, id string) (*allocation.Plan, error)
	PublishKept(ctx context.Context, week time.Time, id string, userID int64) (*allocation.Plan, error)
}

// Handler serves the forecast domain's routes.
type Handler struct {
	allocator  Allocator
	previews   PreviewKeeper // nil: previews are not kept (WithPreviews)
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

// WithPreviews keeps every preview (dry_run) with k and adds the routes that page through a kept
// preview and publish it.
func (h *Handler) WithPreviews(k PreviewKeeper) { h.previews = k }

// Register adds the routes to authed, which must sit behind authentication.
func (h *Handler) Register(_, authed *echo.Group) {
	authed.POST("/cycles/:week/allocations", h.allocate, h.idempotent)
	if h.previews != nil {
		authed.GET("/cycles/:week/allocations/:id", h.keptPreview, problem.Query("limits", "offset"))
		authed.POST("/cycles/:week/allocations/:id/publication", h.publishKept, h.idempotent)
	}
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
	ar := allocation.Request{Week: week, Brand: req.Brand,
		PriceClass: req.PriceClass, Supply: *req.Supply, Mode: allocation.Mode(req.Mode), Dimension: allocation.Dimension(req.Dimension),
		Cap: req.Cap, Selected: req.Selected,
		Options: allocation.Options{MinCoverage: req.MinCoverage, BenchmarkFirst: req.BenchmarkFirst}}
	if req.DryRun && h.previews != nil {
		plan, expires, err := h.previews.Preview(c.Request().Context(), ar)
		if err != nil {
			return err
		}
		v := PlanPageOf(plan, false, 0, show)
		v.ExpiresAt = &expires
		return c.JSON(http.StatusOK, v)
	}
	plan, err := h.allocator.Plan(c.Request().Context(), ar)
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

// keptPreview answers a page of a kept preview: ?offset=K&limits=N lists the limits K+1 … K+N,
// largest first.
func (h *Handler) keptPreview(c echo.Context) error {
	week, id, show, offset, err := keptParams(c)
	if err != nil {
		return err
	}
	plan, err := h.previews.Kept(c.Request().Context(), week, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, PlanPageOf(plan, false, offset, show))
}

// publishKept publishes a kept preview exactly as it was previewed, or refuses when the allocation
// computed now differs from it (409, stale-preview).
func (h *Handler) publishKept(c echo.Context) error {
	week, id, show, _, err := keptParams(c)
	if err != nil {
		return err
	}
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	plan, err := h.previews.PublishKept(c.Request().Context(), week, id, p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, PlanPageOf(plan, true, 0, show))
}

// keptParams reads a kept preview's path and paging, and checks the caller is a planner.
func keptParams(c echo.Context) (week time.Time, id string, show, offset int, err error) {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	if p.Role != retailer.RolePlanner && p.Role != retailer.RoleAdmin {
		return week, "", 0, 0, errNotPlanner
	}
	fields := map[string]string{}
	week, err = ordering.ParseWeek(c.Param("week"))
	if err != nil {
		fields["week"] = err.Error()
	}
	id = c.Param("id")
	show = DefaultLimits
	if v := c.QueryParam("limits"); v != "" {
		if show, err = strconv.Atoi(v); err != nil || show < 0 || show > MaxLimits {
			fields["limits"] = fmt.Sprintf("want 0 to %d", MaxLimits)
		}
	}
	if v := c.QueryParam("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			fields["offset"] = "want 0 or more"
		}
	}
	if len(fields) > 0 {
		return week, id, 0, 0, problem.Invalid(fields)
	}
	return week, id, show, offset, nil
}

// PlanView is an allocation as the API and `ordercast allocate -json` show it.
type PlanView struct {
	ID          string   `json:"id"`
	Cycle       string   `json:"cycle"`
	Brand       string   `json:"brand"`
	Mode        string   `json:"mode"`
	Dimension   string   `json:"dimension,omitempty"`
	Published   bool     `json:"published"`
	ForecastRun string   `json:"forecast_run,omitempty"`
	Warnings    []string `json:"warnings"` // in English
	// WarningParts is Warnings one by one as a stable code with its parameters, for a client to render
	// in its reader's language (openapi.json lists the codes).
	WarningParts []ClauseView `json:"warning_parts"`
	Summary      SummaryView  `json:"summary"`
	Limits       []LimitView  `json:"limits"` // the largest first, from LimitsOffset
	LimitsTotal  int          `json:"limits_total"`
	// LimitsOffset is how many of the largest limits come before Limits (a page of a kept preview).
	LimitsOffset int `json:"limits_offset"`
	// ExpiresAt is when a kept preview expires: until then it can be paged and published by its ID.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
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
	// ExplanationParts is Explanation clause by clause, a stable code with its parameters, for a
	// client to render in its reader's language (openapi.json lists the codes).
	ExplanationParts []ClauseView `json:"explanation_parts"`
}

// ClauseView is one clause of an explanation: allocation.Clause.
type ClauseView struct {
	Code   string         `json:"code"`
	Params map[string]any `json:"params"`
}

// WarningPartsOf shows the warnings of a plan as codes with their parameters.
func WarningPartsOf(ws []allocation.Warning) []ClauseView {
	out := make([]ClauseView, len(ws))
	for k, w := range ws {
		out[k] = ClauseView{Code: w.Code, Params: w.Params}
		if out[k].Params == nil {
			out[k].Params = map[string]any{}
		}
	}
	return out
}

// clausesOf shows the clauses of an explanation.
func clausesOf(cs []allocation.Clause) []ClauseView {
	out := make([]ClauseView, len(cs))
	for k, c := range cs {
		out[k] = ClauseView{Code: c.Code, Params: c.Params}
		if out[k].Params == nil {
			out[k].Params = map[string]any{}
		}
	}
	return out
}

// PlanViewOf shows plan with its n largest limits.
func PlanViewOf(plan *allocation.Plan, published bool, n int) PlanView {
	return PlanPageOf(plan, published, 0, n)
}

// PlanPageOf shows plan with n of its limits, largest first, after the offset largest.
func PlanPageOf(plan *allocation.Plan, published bool, offset, n int) PlanView {
	r, s := plan.Result, plan.Summary
	offset = min(offset, len(r.Limits))
	v := PlanView{ID: plan.ID, Cycle: plan.Request.Week.Format(time.DateOnly), Brand: r.Brand, Mode: string(r.Mode),
		Dimension: string(r.Dimension), Published: published, ForecastRun: plan.ForecastRun,
		Warnings: allocation.WarningTexts(plan.Warnings), WarningParts: WarningPartsOf(plan.Warnings),
		LimitsTotal: len(r.Limits), LimitsOffset: offset, Limits: []LimitView{}}
	v.Summary = SummaryView{Supply: s.Supply, Allocated: s.Allocated, Unallocated: s.Unallocated, Eligible: s.Eligible,
		Covered: s.Covered, Coverage: s.Coverage, Demand: s.Demand, FillRate: s.FillRate, Gini: s.Gini,
		Grades: []GradeView{}, Areas: []AreaView{}}
	for _, g := range s.Grades {
		v.Summary.Grades = append(v.Summary.Grades, GradeView(g))
	}
	for _, a := range s.Areas {
		v.Summary.Areas = append(v.Summary.Areas, AreaView(a))
	}
	for _, i := range r.Largest(offset + n)[offset:] {
		l := r.Limits[i]
		explanation := ""
		if plan.Explanations != nil {
			explanation = plan.Explanations[i]
		} else {
			explanation = r.Explain(i)
		}
		v.Limits = append(v.Limits, LimitView{Outlet: l.Outlet, Grade: l.Grade, Demand: l.Demand, Quota: l.Quota,
			Cartons: l.Cartons, Explanation: explanation, ExplanationParts: clausesOf(r.ExplainClauses(i))})
	}
	return v
}
