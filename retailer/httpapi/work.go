package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/retailer"
)

// VisitStore records and lists account managers' visits, authorization being part of its queries
// (retailer/postgres.Store). RecordVisit returns an error wrapping retailer.ErrNotFound for an outlet
// that is not the manager's; Visits returns no sentinel. Other errors are 500s.
type VisitStore interface {
	RecordVisit(ctx context.Context, p retailer.Principal, outletID int64, v retailer.NewVisit, now time.Time) (retailer.Visit, error)
	Visits(ctx context.Context, p retailer.Principal, f retailer.VisitFilter) ([]retailer.Visit, error)
}

// AssignmentStore applies planners' changes to outlets and keeps their audit trail
// (retailer/postgres.Store). Reassign's errors wrap retailer.ErrNotFound, ErrInvalid, ErrOpenOrder or
// ErrBenchmarkLimit; Changes' retailer.ErrNotFound for an outlet p may not see. Other errors are 500s.
type AssignmentStore interface {
	Reassign(ctx context.Context, p retailer.Principal, outletID int64, a retailer.Assignment, now time.Time) (retailer.Profile, []retailer.Change, error)
	Changes(ctx context.Context, p retailer.Principal, outletID, beforeID int64, limit int) ([]retailer.Change, error)
}

// BenchmarkReader lists the benchmark outlets p may see with their weekly orders (retailer/postgres.Store).
type BenchmarkReader interface {
	BenchmarkOutlets(ctx context.Context, p retailer.Principal, manager string, first, last time.Time) ([]retailer.BenchmarkOutlet, error)
}

// SalesReader reads outlets' weekly sell-in from the sales history (retailer/clickhouse.Store); an
// error wrapping retailer.ErrUnavailable means the history store does not answer.
type SalesReader interface {
	WeeklySales(ctx context.Context, outlets []string, first, last time.Time) (map[string]map[time.Time]float64, error)
}

// WorkStore is what the manager's work needs of PostgreSQL.
type WorkStore interface {
	VisitStore
	AssignmentStore
	BenchmarkReader
}

// managerWork holds the dependencies of the manager's work routes.
type managerWork struct {
	store       WorkStore
	sales       SalesReader
	idempotent  echo.MiddlewareFunc
	loc         *time.Location
	latestCycle func(now time.Time) time.Time
}

// WithManagerWork adds the account manager's work on its outlets and the planners' reassignments:
// visits (POST and GET /outlets/{id}/visits, GET /visits), benchmark outlets with their weekly figures
// (GET /benchmarks, PUT /outlets/{id}/benchmark), and the assignment of outlets to managers, order days
// and routes with its audit trail (PATCH /outlets/{id}/assignment, GET /outlets/{id}/changes).
// idempotent guards the POST (the Idempotency-Key middleware); loc is the distributor's time zone,
// which says what "today" and "this week" are; latestCycle gives the week (its Monday) of the latest
// cycle outlets order in at a time (ordering.WindowPolicy.LatestCycle), with which the benchmark
// outlets' weeks end.
func (h *Handler) WithManagerWork(store WorkStore, sales SalesReader, idempotent echo.MiddlewareFunc, loc *time.Location,
	latestCycle func(now time.Time) time.Time) {
	h.work = &managerWork{store: store, sales: sales, idempotent: idempotent, loc: loc, latestCycle: latestCycle}
}

func (h *Handler) registerWork(authed *echo.Group) {
	if h.work == nil {
		return
	}
	authed.POST("/outlets/:id/visits", h.recordVisit, h.work.idempotent)
	authed.GET("/outlets/:id/visits", h.outletVisits, problem.Query("manager", "from", "to", "limit", "before"))
	authed.GET("/visits", h.listVisits, problem.Query("manager", "from", "to", "limit", "before"))
	authed.GET("/benchmarks", h.benchmarks, problem.Query("weeks", "manager"))
	authed.PUT("/outlets/:id/benchmark", h.setBenchmark)
	authed.PATCH("/outlets/:id/assignment", h.reassign)
	authed.GET("/outlets/:id/changes", h.outletChanges, problem.Query("limit", "before"))
}

// today is the day it is now in the distributor's time zone, at midnight UTC (as dates are compared).
func (h *Handler) today() time.Time {
	y, m, d := h.now().In(h.work.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func outletParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: outlet %q", retailer.ErrNotFound, c.Param("id"))
	}
	return id, nil
}

// outletFor resolves the :id of the path to an outlet the caller may see, then requires one of roles:
// an outlet the caller may not see is 404 whatever its role, as on every outlet route, and one it may
// see but not act on is 403.
func (h *Handler) outletFor(c echo.Context, why string, roles ...retailer.Role) (retailer.Principal, int64, error) {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	id, err := outletParam(c)
	if err != nil {
		return p, 0, err
	}
	if _, err := h.outlets.Outlet(c.Request().Context(), p, id); err != nil {
		return p, 0, err
	}
	return p, id, allow(p, why, roles...)
}

// allow returns ErrForbidden, with why, unless p has one of roles.
func allow(p retailer.Principal, why string, roles ...retailer.Role) error {
	for _, r := range roles {
		if p.Role == r {
			return nil
		}
	}
	return retailer.Forbidden(why)
}

// Visits ------------------------------------------------------------------------------------------

type visitRequest struct {
	VisitedOn string `json:"visited_on"`
	Purpose   string `json:"purpose"`
	Notes     string `json:"notes"`
	FollowUp  *struct {
		On     string `json:"on"`
		Action string `json:"action"`
	} `json:"follow_up"`
}

type visitJSON struct {
	ID         int64         `json:"id"`
	OutletID   int64         `json:"outlet_id"`
	Outlet     string        `json:"outlet"`
	OutletName string        `json:"outlet_name"`
	Manager    string        `json:"manager"`
	RecordedBy string        `json:"recorded_by"`
	VisitedOn  string        `json:"visited_on"`
	Purpose    string        `json:"purpose"`
	Notes      string        `json:"notes"`
	FollowUp   *followUpJSON `json:"follow_up,omitempty"`
	RecordedAt time.Time     `json:"recorded_at"`
}

type followUpJSON struct {
	On     string `json:"on"`
	Action string `json:"action"`
}

func visitOf(v retailer.Visit) visitJSON {
	j := visitJSON{ID: v.ID, OutletID: v.OutletID, Outlet: v.Outlet, OutletName: v.OutletName, Manager: v.Manager,
		RecordedBy: v.RecordedBy, VisitedOn: v.VisitedOn.Format(time.DateOnly), Purpose: string(v.Purpose), Notes: v.Notes,
		RecordedAt: v.RecordedAt.UTC()}
	if !v.FollowUpOn.IsZero() {
		j.FollowUp = &followUpJSON{On: v.FollowUpOn.Format(time.DateOnly), Action: v.FollowUp}
	}
	return j
}

// parseDate reads a YYYY-MM-DD date into fields' error for field when it is malformed.
func parseDate(s, field string, fields map[string]string) time.Time {
	if s == "" {
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		fields[field] = "want a date as YYYY-MM-DD"
	}
	return d
}

func (h *Handler) recordVisit(c echo.Context) error {
	p, id, err := h.outletFor(c, "visits are recorded by the outlet's account manager", retailer.RoleManager)
	if err != nil {
		return err
	}
	var req visitRequest
	if err := c.Bind(&req); err != nil { // the server's binder: strict JSON, unknown fields refused
		return err
	}
	fields := map[string]string{}
	v := retailer.NewVisit{VisitedOn: parseDate(req.VisitedOn, "visited_on", fields), Purpose: retailer.VisitPurpose(req.Purpose),
		Notes: strings.TrimSpace(req.Notes)}
	if req.FollowUp != nil {
		v.FollowUpOn = parseDate(req.FollowUp.On, "follow_up.on", fields)
		v.FollowUp = strings.TrimSpace(req.FollowUp.Action)
		if req.FollowUp.On == "" {
			fields["follow_up.on"] = "required with a follow-up, as YYYY-MM-DD"
		}
	}
	if err := v.Validate(h.today()); err != nil {
		var ve *retailer.ValidationError
		if errors.As(err, &ve) {
			for f, msg := range ve.Fields {
				if _, ok := fields[f]; !ok { // a malformed date's message says more than "required"
					fields[f] = msg
				}
			}
		}
	}
	if len(fields) > 0 {
		return &retailer.ValidationError{Fields: fields}
	}
	visit, err := h.work.store.RecordVisit(c.Request().Context(), p, id, v, h.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, visitOf(visit))
}

type visitPage struct {
	Visits []visitJSON `json:"visits"`
	Next   string      `json:"next,omitempty"` // the query of the next page
}

// beforeParams reads limit and before (an id) from the query.
func beforeParams(c echo.Context, def int, fields map[string]string) (limit int, before int64) {
	limit = def
	var err error
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > MaxPageSize {
			fields["limit"] = fmt.Sprintf("want 1 to %d", MaxPageSize)
		}
	}
	if v := c.QueryParam("before"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			fields["before"] = "want an id"
		}
	}
	return limit, before
}

func (h *Handler) outletVisits(c echo.Context) error {
	p, id, err := h.outletFor(c, "visits are for account managers and planners", retailer.RoleManager, retailer.RolePlanner, retailer.RoleAdmin)
	if err != nil {
		return err
	}
	return h.visitList(c, p, id)
}

func (h *Handler) listVisits(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	if err := allow(p, "visits are for account managers and planners", retailer.RoleManager, retailer.RolePlanner, retailer.RoleAdmin); err != nil {
		return err
	}
	return h.visitList(c, p, 0)
}

// visitList answers a page of the visits p may see, of outlet (0: all), filtered by the query's
// manager (the visitor's code), from and to (days).
func (h *Handler) visitList(c echo.Context, p retailer.Principal, outlet int64) error {
	fields := map[string]string{}
	f := retailer.VisitFilter{OutletID: outlet, Manager: c.QueryParam("manager"),
		From: parseDate(c.QueryParam("from"), "from", fields), To: parseDate(c.QueryParam("to"), "to", fields)}
	f.Limit, f.BeforeID = beforeParams(c, 50, fields)
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		fields["to"] = "before from"
	}
	if len(fields) > 0 {
		return &retailer.ValidationError{Fields: fields}
	}
	visits, err := h.work.store.Visits(c.Request().Context(), p, f)
	if err != nil {
		return err
	}
	page := visitPage{Visits: make([]visitJSON, len(visits))}
	for i, v := range visits {
		page.Visits[i] = visitOf(v)
	}
	if len(visits) == f.Limit {
		q := c.QueryParams()
		q.Set("before", strconv.FormatInt(visits[len(visits)-1].ID, 10))
		q.Set("limit", strconv.Itoa(f.Limit))
		page.Next = "?" + q.Encode()
	}
	return c.JSON(http.StatusOK, page)
}

// Benchmark outlets -------------------------------------------------------------------------------

// DefaultBenchmarkWeeks and MaxBenchmarkWeeks bound the weeks of figures GET /benchmarks shows, the
// latest cycle open last.
const (
	DefaultBenchmarkWeeks = 8
	MaxBenchmarkWeeks     = 26
)

type benchmarkJSON struct {
	*profileJSON
	// SalesStatus is "known", or "unknown" when the history store could not be read: every week's
	// sales are then null.
	SalesStatus string              `json:"sales_status"`
	Weeks       []benchmarkWeekJSON `json:"weeks"`
}

type benchmarkWeekJSON struct {
	Week        string   `json:"week"`
	Orders      int      `json:"orders"`
	OrderStatus string   `json:"order_status,omitempty"`
	Requested   int      `json:"requested"`
	Granted     int      `json:"granted"`
	Sales       *float64 `json:"sales"`
}

func (h *Handler) benchmarks(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	if err := allow(p, "benchmark outlets are for account managers and planners", retailer.RoleManager, retailer.RolePlanner, retailer.RoleAdmin); err != nil {
		return err
	}
	weeks := DefaultBenchmarkWeeks
	fields := map[string]string{}
	if v := c.QueryParam("weeks"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxBenchmarkWeeks {
			fields["weeks"] = fmt.Sprintf("want 1 to %d", MaxBenchmarkWeeks)
		}
		weeks = n
	}
	if len(fields) > 0 {
		return &retailer.ValidationError{Fields: fields}
	}
	// The weeks end with the latest cycle outlets order in: next week's (an outlet whose order day has
	// passed this week orders for it now), or on a Sunday evening the week after next's. Ending with
	// next week's, the list left out on those evenings the orders the Monday outlets had just placed.
	last := h.work.latestCycle(h.now())
	first := last.AddDate(0, 0, -7*(weeks-1))
	ctx := c.Request().Context()
	list, err := h.work.store.BenchmarkOutlets(ctx, p, c.QueryParam("manager"), first, last)
	if err != nil {
		return err
	}
	licences := make([]string, len(list))
	for i, b := range list {
		licences[i] = b.Licence
	}
	// The outlets and their orders are PostgreSQL's; without the history store they still serve.
	sales, err := h.work.sales.WeeklySales(ctx, licences, first, last)
	status := "known"
	if errors.Is(err, retailer.ErrUnavailable) {
		status = "unknown"
	} else if err != nil {
		return err
	}
	out := struct {
		Outlets []benchmarkJSON `json:"outlets"`
	}{Outlets: make([]benchmarkJSON, len(list))}
	for i, b := range list {
		j := benchmarkJSON{profileJSON: profileOf(b.Profile), SalesStatus: status, Weeks: make([]benchmarkWeekJSON, len(b.Weeks))}
		for k, w := range b.Weeks {
			j.Weeks[k] = benchmarkWeekJSON{Week: w.Week.Format(time.DateOnly), Orders: w.Orders, OrderStatus: w.Status,
				Requested: w.Requested, Granted: w.Granted}
			if status == "known" {
				j.Weeks[k].Sales = new(sales[b.Licence][w.Week])
			}
		}
		out.Outlets[i] = j
	}
	return c.JSON(http.StatusOK, out)
}

type benchmarkRequest struct {
	Benchmark *bool  `json:"benchmark"`
	Reason    string `json:"reason"`
}

func (h *Handler) setBenchmark(c echo.Context) error {
	p, id, err := h.outletFor(c, "planners choose benchmark outlets", retailer.RolePlanner, retailer.RoleAdmin)
	if err != nil {
		return err
	}
	var req benchmarkRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	if req.Benchmark == nil {
		return &retailer.ValidationError{Fields: map[string]string{"benchmark": "required: true or false"}}
	}
	return h.applyAssignment(c, p, id, retailer.Assignment{Benchmark: req.Benchmark, Reason: strings.TrimSpace(req.Reason)})
}

// Assignments and their audit trail ----------------------------------------------------------------

type assignmentRequest struct {
	Manager  *string `json:"manager"`
	OrderDay *string `json:"order_day"`
	Route    *string `json:"route"`
	Reason   string  `json:"reason"`
}

type changeJSON struct {
	ID       int64     `json:"id"`
	OutletID int64     `json:"outlet_id"`
	Outlet   string    `json:"outlet"`
	Field    string    `json:"field"`
	Old      string    `json:"old"`
	New      string    `json:"new"`
	Reason   string    `json:"reason"`
	By       string    `json:"changed_by"`
	At       time.Time `json:"changed_at"`
}

func changeOf(c retailer.Change) changeJSON {
	return changeJSON{ID: c.ID, OutletID: c.OutletID, Outlet: c.Outlet, Field: c.Field, Old: c.Old, New: c.New,
		Reason: c.Reason, By: c.By, At: c.At.UTC()}
}

// maxReason and maxRoute bound the free text of an assignment.
const (
	maxReason = 500
	maxRoute  = 100
)

func (h *Handler) reassign(c echo.Context) error {
	p, id, err := h.outletFor(c, "planners assign outlets to account managers, order days and routes", retailer.RolePlanner, retailer.RoleAdmin)
	if err != nil {
		return err
	}
	var req assignmentRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	a := retailer.Assignment{Reason: strings.TrimSpace(req.Reason)}
	fields := map[string]string{}
	if req.Manager != nil {
		a.Manager = new(strings.TrimSpace(*req.Manager))
	}
	if req.Route != nil {
		a.Route = new(strings.TrimSpace(*req.Route))
		if len([]rune(*a.Route)) > maxRoute {
			fields["route"] = fmt.Sprintf("at most %d characters", maxRoute)
		}
	}
	if req.OrderDay != nil {
		day, ok := parseWeekday(*req.OrderDay)
		if !ok {
			fields["order_day"] = "want a day of the week: Monday … Sunday"
		}
		a.OrderDay = &day
	}
	if a.Empty() {
		fields["manager"] = "give at least one of manager, order_day, route"
	}
	if len(fields) > 0 {
		return &retailer.ValidationError{Fields: fields}
	}
	return h.applyAssignment(c, p, id, a)
}

func parseWeekday(s string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(strings.TrimSpace(s), d.String()) {
			return d, true
		}
	}
	return 0, false
}

// applyAssignment applies a and answers with the outlet as it is now and the changes recorded.
func (h *Handler) applyAssignment(c echo.Context, p retailer.Principal, id int64, a retailer.Assignment) error {
	if len([]rune(a.Reason)) > maxReason {
		return &retailer.ValidationError{Fields: map[string]string{"reason": fmt.Sprintf("at most %d characters", maxReason)}}
	}
	pr, changes, err := h.work.store.Reassign(c.Request().Context(), p, id, a, h.now())
	if err != nil {
		return err
	}
	out := struct {
		Outlet  *profileJSON `json:"outlet"`
		Changes []changeJSON `json:"changes"`
	}{Outlet: profileOf(pr), Changes: make([]changeJSON, len(changes))}
	for i, ch := range changes {
		out.Changes[i] = changeOf(ch)
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) outletChanges(c echo.Context) error {
	p, id, err := h.outletFor(c, "an outlet's change log is for account managers and planners", retailer.RoleManager, retailer.RolePlanner, retailer.RoleAdmin)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	limit, before := beforeParams(c, 50, fields)
	if len(fields) > 0 {
		return &retailer.ValidationError{Fields: fields}
	}
	changes, err := h.work.store.Changes(c.Request().Context(), p, id, before, limit)
	if err != nil {
		return err
	}
	out := struct {
		Changes []changeJSON `json:"changes"`
		Next    string       `json:"next,omitempty"`
	}{Changes: make([]changeJSON, len(changes))}
	for i, ch := range changes {
		out.Changes[i] = changeOf(ch)
	}
	if len(changes) == limit {
		out.Next = fmt.Sprintf("?limit=%d&before=%d", limit, changes[len(changes)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}
