// Package httpapi is the indicators' HTTP adapter: GET /api/v1/indicators (a level's rows for a day,
// week or month, each figure beside its target), GET /api/v1/bulletin (a manager's day or the
// company's, with the lists to follow up: paged, filtered, exported as CSV or an Excel workbook),
// GET /api/v1/indicators/trend (a level's weekly figures over N weeks, read at once) and
// GET/PUT /api/v1/indicators/targets (planners set targets).
//
// Account managers read their own manager row, their outlets and the company's row; planners and
// admins read everything; other roles get 403. Handlers return domain errors as they are; Problems
// says how each answers.
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
	"github.com/ordercast/ordercast/retailer/indicators"
)

// Service computes reports and keeps targets (*indicators.Service).
type Service interface {
	Report(ctx context.Context, q indicators.Query) (indicators.Report, error)
	Bulletin(ctx context.Context, date time.Time, manager string) (indicators.Bulletin, error)
	TargetsFor(ctx context.Context, manager string) ([]indicators.Target, error)
	SetTargets(ctx context.Context, set, remove []indicators.Target) error
}

// ScopeReader gives an account manager's code (retailer/postgres.Store).
type ScopeReader interface {
	ManagedScope(ctx context.Context, p retailer.Principal) (manager string, outlets []string, err error)
}

// Handler serves the indicators' routes.
type Handler struct {
	svc    Service
	scope  ScopeReader
	now    func() time.Time
	trends Trender // nil: no GET /indicators/trend
}

// New returns a Handler; now gives the default date of a bulletin: its calendar day in its location
// (the region's clock in serve).
func New(svc Service, scope ScopeReader, now func() time.Time) *Handler {
	return &Handler{svc: svc, scope: scope, now: now}
}

// Register adds the routes to authed, which must sit behind authentication.
func (h *Handler) Register(_, authed *echo.Group) {
	authed.GET("/indicators", h.indicatorsOf, problem.Query("period", "date", "level", "key", "format"))
	authed.GET("/indicators/targets", h.targetsOf, problem.Query())
	authed.PUT("/indicators/targets", h.putTargets, problem.Query())
	authed.GET("/bulletin", h.bulletinOf, problem.Query("date", "manager", "filter", "limit", "offset", "format"))
	if h.trends != nil {
		authed.GET("/indicators/trend", h.trendOf, problem.Query("weeks", "date", "level", "key"))
	}
}

// The adapter's own refusals.
var (
	errRole         = errors.New("indicators: role may not read indicators")
	errNotPlanner   = errors.New("indicators: only planners set targets")
	errAboveManager = errors.New("indicators: a manager reads its own rows, its outlets and the company")
)

// Problems is how the indicators' errors answer over HTTP.
func (h *Handler) Problems() problem.Table { return problems }

var problems = problem.Table{
	{Err: errRole, Status: http.StatusForbidden, Type: "forbidden", Detail: "your role may not read indicators"},
	{Err: errNotPlanner, Status: http.StatusForbidden, Type: "forbidden", Detail: "only planners and admins set indicator targets"},
	{Err: errAboveManager, Status: http.StatusForbidden, Type: "forbidden", Detail: "an account manager reads its own manager row, its outlets and the company's row"},
	{Err: indicators.ErrForbidden, Status: http.StatusForbidden, Type: "forbidden", Detail: "outside your scope"},
	{Err: indicators.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-fields", Detail: "the request has invalid fields"},
	{Err: indicators.ErrUnknownManager, Status: http.StatusNotFound, Type: "not-found", Detail: "no such account manager"},
}

// caller is who asks: a planner or admin (manager ""), or an account manager (its code).
func (h *Handler) caller(c echo.Context) (manager string, err error) {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	switch p.Role {
	case retailer.RolePlanner, retailer.RoleAdmin:
		return "", nil
	case retailer.RoleManager:
		m, _, err := h.scope.ManagedScope(c.Request().Context(), p)
		return m, err
	}
	return "", errRole
}

// parseDate reads date (YYYY-MM-DD), today when empty.
func (h *Handler) parseDate(c echo.Context, fields map[string]string) time.Time {
	v := c.QueryParam("date")
	if v == "" {
		now := h.now()
		return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		fields["date"] = "want YYYY-MM-DD"
	}
	return d
}

// indicatorsOf answers GET /indicators?period=day|week|month&date=YYYY-MM-DD&level=...[&key=K...]
// [&format=json|csv|xlsx].
func (h *Handler) indicatorsOf(c echo.Context) error {
	manager, err := h.caller(c)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	kind := indicators.PeriodKind(c.QueryParam("period"))
	if kind == "" {
		kind = indicators.Day
	}
	date := h.parseDate(c, fields)
	p, err := indicators.PeriodOf(kind, date)
	if err != nil {
		fields["period"] = "want day, week or month"
	}
	level := indicators.AtCompany
	if v := c.QueryParam("level"); v != "" {
		if level, err = indicators.ParseLevel(v); err != nil {
			fields["level"] = "want company, area, route, manager or outlet"
		}
	}
	format, ferr := formatOf(c)
	if ferr != "" {
		fields["format"] = ferr
	}
	if len(fields) > 0 {
		return problem.Invalid(fields)
	}
	q := indicators.Query{Period: p, Level: level, Keys: c.QueryParams()["key"], Manager: manager}
	if manager != "" && level != indicators.AtManager && level != indicators.AtOutlet && level != indicators.AtCompany {
		return errAboveManager
	}
	if manager != "" && level == indicators.AtCompany {
		q.Manager = ""
	}
	rep, err := h.svc.Report(c.Request().Context(), q)
	if err != nil {
		return err
	}
	if level == indicators.AtCompany {
		rep.Rows = []indicators.Row{rep.Company}
	}
	out := ReportView(rep).(reportJSON)
	name := "indicators-" + string(level) + "-" + string(kind) + "-" + p.Start.Format(time.DateOnly)
	switch format {
	case "csv":
		return writeCSV(c, name, figuresTable(out.Rows))
	case "xlsx":
		return writeXLSX(c, name, []sheet{{"indicators", figuresTable(out.Rows)}, {"stock", stockTable(out.Stock)}})
	}
	return c.JSON(http.StatusOK, out)
}

// formatOf reads ?format= or, without it, the Accept header: json, csv or xlsx.
func formatOf(c echo.Context) (string, string) {
	switch v := c.QueryParam("format"); v {
	case "json", "csv", "xlsx":
		return v, ""
	case "":
	default:
		return "", "want json, csv or xlsx"
	}
	accept := c.Request().Header.Get(echo.HeaderAccept)
	switch {
	case strings.Contains(accept, "text/csv"):
		return "csv", ""
	case strings.Contains(accept, xlsxType):
		return "xlsx", ""
	}
	return "json", ""
}

// Lists' filters, as ?filter= names them.
const (
	FilterNotOrdered   = "not_ordered"
	FilterNotUploading = "not_uploading"
	FilterFailed       = "failed"
	FilterLowBalance   = "low_balance"
)

// Paging of the bulletin's lists.
const (
	DefaultPage = 50
	MaxPage     = 1000
)

// bulletinOf answers GET /bulletin?date=YYYY-MM-DD[&manager=CODE][&filter=...][&limit=N][&offset=N]
// [&format=json|csv|xlsx]: a manager's day (its own), or for a planner the company's or a named
// manager's. Exports hold every item of the lists asked for, without paging.
func (h *Handler) bulletinOf(c echo.Context) error {
	manager, err := h.caller(c)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	date := h.parseDate(c, fields)
	if v := c.QueryParam("manager"); v != "" {
		if manager != "" && v != manager {
			return errAboveManager
		}
		manager = v
	}
	filters := map[string]bool{}
	for _, f := range c.QueryParams()["filter"] {
		for _, name := range strings.Split(f, ",") {
			switch name {
			case FilterNotOrdered, FilterNotUploading, FilterFailed, FilterLowBalance:
				filters[name] = true
			default:
				fields["filter"] = "want not_ordered, not_uploading, failed or low_balance"
			}
		}
	}
	limit, offset := DefaultPage, 0
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > MaxPage {
			fields["limit"] = fmt.Sprintf("want 1 to %d", MaxPage)
		}
	}
	if v := c.QueryParam("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			fields["offset"] = "want 0 or more"
		}
	}
	format, ferr := formatOf(c)
	if ferr != "" {
		fields["format"] = ferr
	}
	if len(fields) > 0 {
		return problem.Invalid(fields)
	}
	b, err := h.svc.Bulletin(c.Request().Context(), date, manager)
	if err != nil {
		return err
	}
	show := func(name string) bool { return len(filters) == 0 || filters[name] }
	out := bulletinJSON{Date: b.Date.Format(time.DateOnly), ComputedAt: b.ComputedAt.UTC(), Figures: rowOf(b.Figures), Company: rowOf(b.Company),
		Managers: []rowJSON{}, Lists: map[string]*listJSON{}}
	if b.Manager != "" {
		out.Manager = &b.Manager
	}
	for _, r := range b.Managers {
		out.Managers = append(out.Managers, rowOf(r))
	}
	all := format != "json"
	if show(FilterNotOrdered) {
		out.Lists[FilterNotOrdered] = page(b.Lists.Empty, offset, limit, all, emptyOf)
	}
	if show(FilterNotUploading) {
		out.Lists[FilterNotUploading] = page(b.Lists.UploadGaps, offset, limit, all, gapOf)
	}
	if show(FilterFailed) {
		out.Lists[FilterFailed] = page(b.Lists.Failed, offset, limit, all, failedOf)
	}
	if show(FilterLowBalance) {
		out.Lists[FilterLowBalance] = page(b.Lists.LowBalance, offset, limit, all, lowOf)
	}
	name := "bulletin-" + out.Date
	if b.Manager != "" {
		name += "-" + b.Manager
	}
	switch format {
	case "csv":
		if len(filters) == 1 {
			for f := range filters {
				return writeCSV(c, name+"-"+f, listTable(f, out.Lists[f]))
			}
		}
		return writeCSV(c, name, figuresTable(append([]rowJSON{out.Figures, out.Company}, out.Managers...)))
	case "xlsx":
		sheets := []sheet{{"figures", figuresTable(append([]rowJSON{out.Figures, out.Company}, out.Managers...))}}
		for _, f := range []string{FilterNotOrdered, FilterNotUploading, FilterFailed, FilterLowBalance} {
			if l, ok := out.Lists[f]; ok {
				sheets = append(sheets, sheet{f, listTable(f, l)})
			}
		}
		return writeXLSX(c, name, sheets)
	}
	return c.JSON(http.StatusOK, out)
}

// page converts the items of one page (or all of them) into JSON.
func page[T any](items []T, offset, limit int, all bool, conv func(T) map[string]any) *listJSON {
	l := &listJSON{Total: len(items), Offset: offset, Items: []map[string]any{}}
	from := min(offset, len(items))
	to := from + min(limit, len(items)-from) // not offset+limit: a huge offset would overflow
	if all {
		from, to = 0, len(items)
		l.Offset = 0
	}
	for _, it := range items[from:to] {
		l.Items = append(l.Items, conv(it))
	}
	if !all && to < len(items) {
		next := to
		l.NextOffset = &next
	}
	return l
}

type targetJSON struct {
	Indicator string     `json:"indicator"`
	Scope     string     `json:"scope"`
	Key       string     `json:"key"`
	Value     *float64   `json:"value"`
	SetBy     string     `json:"set_by,omitempty"`
	SetAt     *time.Time `json:"set_at,omitempty"`
}

type targetsBody struct {
	Targets []targetJSON `json:"targets"`
}

// targetsOf answers GET /indicators/targets: every target for planners, the company's, its area's
// and its own for a manager.
func (h *Handler) targetsOf(c echo.Context) error {
	manager, err := h.caller(c)
	if err != nil {
		return err
	}
	ts, err := h.svc.TargetsFor(c.Request().Context(), manager)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, targetsList(ts))
}

func targetsList(ts []indicators.Target) targetsBody {
	out := targetsBody{Targets: []targetJSON{}}
	for _, t := range ts {
		v, at := t.Value, t.SetAt.UTC()
		out.Targets = append(out.Targets, targetJSON{Indicator: string(t.Indicator), Scope: string(t.Scope), Key: t.Key,
			Value: &v, SetBy: t.SetBy, SetAt: &at})
	}
	return out
}

// putTargets answers PUT /indicators/targets {"targets":[{"indicator","scope","key","value"}]}: sets
// each target, or removes it when value is null, in one transaction; answers with every target.
func (h *Handler) putTargets(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	if p.Role != retailer.RolePlanner && p.Role != retailer.RoleAdmin {
		if p.Role == retailer.RoleManager {
			return errNotPlanner
		}
		return errRole
	}
	var body targetsBody
	if err := c.Bind(&body); err != nil {
		return err
	}
	fields := map[string]string{}
	if len(body.Targets) == 0 {
		fields["targets"] = "required: at least one target"
	}
	var set, remove []indicators.Target
	for i, t := range body.Targets {
		tg := indicators.Target{Indicator: indicators.Indicator(t.Indicator), Scope: indicators.Level(t.Scope), Key: t.Key, SetBy: p.Username}
		if t.Value != nil {
			tg.Value = *t.Value
		}
		if err := indicators.CheckTarget(indicators.Target{Indicator: tg.Indicator, Scope: tg.Scope, Key: tg.Key, Value: tg.Value}); err != nil {
			fields[fmt.Sprintf("targets[%d]", i)] = strings.TrimPrefix(err.Error(), indicators.ErrInvalid.Error()+": ")
			continue
		}
		if t.Value == nil {
			remove = append(remove, tg)
		} else {
			set = append(set, tg)
		}
	}
	if len(fields) > 0 {
		return problem.Invalid(fields)
	}
	if err := h.svc.SetTargets(c.Request().Context(), set, remove); err != nil {
		return err
	}
	ts, err := h.svc.TargetsFor(c.Request().Context(), "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, targetsList(ts))
}
