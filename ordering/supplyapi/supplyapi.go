// Package supplyapi is the HTTP adapter of the upstream side of the ordering domain (工商协同): the
// distributor's warehouse stock as movements (/api/v1/warehouse/...), manufacturers' arrival plans
// (/api/v1/arrival-plans), the supply–demand balance per brand and week with its stock warnings
// (/api/v1/balance), the planner's step from a shortfall to the allocation preview with the supply
// available (/api/v1/balance/{brand}/allocation), and the delivery round: logistics' pick list of a
// day by route (/api/v1/rounds/{day}), returns of damaged goods (/api/v1/orders/{order}/returns) and
// the retailer's receipt (/api/v1/outlets/{id}/orders/{order}/receipt).
//
// A manufacturer's portal is these routes seen by a manufacturer (its stock, warnings, balance as its
// demand plan, arrival plans) and /api/v1/portal/sales (sales by area or outlet format) and
// /api/v1/portal/allocations (how its rationed brands' supply reached the outlets).
//
// A manufacturer sees and writes only its own brands: every query is scoped by the manufacturer of
// the session, and another manufacturer's brand answers as one that does not exist.
//
// Handlers return domain errors as they are; Problems says how each answers.
package supplyapi

import (
	"context"
	"errors"
	"fmt"
	"math"
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

// WarehouseStore keeps stock movements, arrival plans and stock limits (ordering/postgres.Store).
// manufacturer, when not 0, scopes every read and write to that manufacturer's brands. Errors wrap
// ordering.ErrNotFound (a brand that does not exist or is not the manufacturer's), ordering.ErrInvalid
// (a *ordering.ValidationError naming the fields), or are 500s.
type WarehouseStore interface {
	StockLevels(ctx context.Context, manufacturer int64, brand string) ([]ordering.StockLevel, error)
	Movements(ctx context.Context, manufacturer int64, brand string, beforeID int64, limit int) ([]ordering.Movement, error)
	RecordMovement(ctx context.Context, m ordering.Movement, userID int64, now time.Time) (ordering.Movement, error)
	SubmitArrivals(ctx context.Context, manufacturer int64, plans []ordering.ArrivalPlan, source string, userID int64,
		now time.Time, key func(i int) string) (int, error)
	ArrivalPlans(ctx context.Context, manufacturer int64, brand string, from time.Time) ([]ordering.ArrivalPlan, error)
	SetStockLimit(ctx context.Context, brand string, l ordering.StockLimit, userID int64, now time.Time) error
}

// BalanceSource computes balances and proposes stock limits (*ordering.Balancer).
type BalanceSource interface {
	Balances(ctx context.Context, q ordering.BalanceQuery, now time.Time) (ordering.Balances, error)
	ProposedLimits(ctx context.Context, q ordering.BalanceQuery, now time.Time) (map[string]ordering.StockLimit, error)
}

// Allocator previews an allocation (*allocation.Planner).
type Allocator interface {
	Plan(ctx context.Context, req allocation.Request) (*allocation.Plan, error)
}

// Store is everything the handler needs of PostgreSQL.
type Store interface {
	WarehouseStore
	RoundStore
}

// Handler serves the warehouse, arrival-plan, balance and delivery-round routes.
type Handler struct {
	store      WarehouseStore
	rounds     RoundStore
	balances   BalanceSource
	allocator  Allocator
	idempotent echo.MiddlewareFunc
	now        func() time.Time
	sales      SalesSource  // nil: no portal routes (WithPortal)
	outcomes   OutcomeStore // nil with sales
	evaluator  Evaluator    // nil: no evaluation route (WithEvaluations)
}

// New returns a Handler. idempotent is the API's Idempotency-Key middleware for POSTs; now the clock,
// whose calendar day in its location (the region's, in serve) is today: it names this week.
func New(store Store, balances BalanceSource, allocator Allocator, idempotent echo.MiddlewareFunc, now func() time.Time) *Handler {
	return &Handler{store: store, rounds: store, balances: balances, allocator: allocator, idempotent: idempotent, now: now}
}

// Register adds the routes to authed, which must sit behind authentication.
func (h *Handler) Register(_, authed *echo.Group) {
	authed.GET("/warehouse/stock", h.stock, problem.Query("brand"))
	authed.GET("/warehouse/stock/:brand/movements", h.movements, problem.Query("limit", "before"))
	authed.PUT("/warehouse/stock/:brand/limits", h.setLimits)
	authed.GET("/warehouse/limit-proposals", h.limitProposals, problem.Query("brand", "from", "weeks"))
	authed.GET("/warehouse/warnings", h.warnings, problem.Query("brand", "from", "weeks"))
	authed.POST("/warehouse/movements", h.recordMovement, h.idempotent)
	authed.GET("/arrival-plans", h.arrivalPlans, problem.Query("brand", "from"))
	authed.POST("/arrival-plans", h.submitArrivals, h.idempotent)
	authed.GET("/balance", h.balance, problem.Query("brand", "from", "weeks"))
	authed.POST("/balance/:brand/allocation", h.allocate, h.idempotent)
	authed.GET("/rounds/:day", h.round, problem.Query())
	authed.POST("/orders/:order/returns", h.recordReturn, h.idempotent)
	authed.POST("/outlets/:id/orders/:order/receipt", h.receipt, h.idempotent)
	if h.evaluator != nil {
		authed.GET("/brand-evaluations", h.evaluations, problem.Query("month", "format"))
	}
	if h.sales != nil {
		authed.GET("/portal/sales", h.portalSales, problem.Query("by", "weeks", "brand"))
		authed.GET("/portal/allocations", h.portalAllocations, problem.Query("weeks"))
	}
}

// Problems is how this adapter's errors answer; the domain's own are in the ordering adapter's table.
func (h *Handler) Problems() problem.Table { return problems }

var errRole = errors.New("supply: your role may not do this")

var problems = problem.Table{
	{Err: errRole, Status: http.StatusForbidden, Type: "forbidden", Detail: "your role may not do this"},
	{Err: errNoShortfall, Status: http.StatusConflict, Type: "no-shortfall", Detail: "the brand's supply meets its demand in the weeks of the balance: nothing to ration"},
	{Err: ordering.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-fields", Detail: "the request has invalid fields"},
	{Err: ordering.ErrNotFound, Status: http.StatusNotFound, Type: "not-found", Detail: "no such object"},
}

var errNoShortfall = errors.New("supply: no shortfall to allocate")

// scope is who may call a route: full (every brand), own (a manufacturer: its own brands) or neither.
func scope(c echo.Context, full ...retailer.Role) (p retailer.Principal, manufacturer int64, err error) {
	p, _ = retailer.PrincipalFrom(c.Request().Context())
	for _, r := range full {
		if p.Role == r {
			return p, 0, nil
		}
	}
	return p, 0, fmt.Errorf("%w: %s", errRole, p.Role)
}

// scopeOwn is scope where a manufacturer may also call the route, for its own brands.
func scopeOwn(c echo.Context, full ...retailer.Role) (retailer.Principal, int64, error) {
	p, m, err := scope(c, full...)
	if err != nil && p.Role == retailer.RoleManufacturer && p.ManufacturerID > 0 {
		return p, p.ManufacturerID, nil
	}
	return p, m, err
}

type limitsJSON struct {
	Lower int        `json:"lower"`
	Upper int        `json:"upper"`
	Basis string     `json:"basis"`
	SetAt *time.Time `json:"set_at,omitempty"`
}

func limitsOf(l *ordering.StockLimit) *limitsJSON {
	if l == nil {
		return nil
	}
	j := &limitsJSON{Lower: l.Lower, Upper: l.Upper, Basis: l.Basis}
	if !l.SetAt.IsZero() {
		t := l.SetAt.UTC()
		j.SetAt = &t
	}
	return j
}

type stockJSON struct {
	Brand        string      `json:"brand"`
	Name         string      `json:"name"`
	Manufacturer string      `json:"manufacturer"`
	Cartons      int         `json:"cartons"`
	UpdatedAt    *time.Time  `json:"updated_at,omitempty"`
	Limits       *limitsJSON `json:"limits"`
}

func (h *Handler) stock(c echo.Context) error {
	_, m, err := scopeOwn(c, retailer.RolePlanner, retailer.RoleAdmin, retailer.RoleLogistics)
	if err != nil {
		return err
	}
	levels, err := h.store.StockLevels(c.Request().Context(), m, strings.TrimSpace(c.QueryParam("brand")))
	if err != nil {
		return err
	}
	out := struct {
		Stock []stockJSON `json:"stock"`
	}{Stock: make([]stockJSON, len(levels))}
	for i, l := range levels {
		out.Stock[i] = stockJSON{Brand: l.Brand, Name: l.Name, Manufacturer: l.Manufacturer, Cartons: l.Cartons, Limits: limitsOf(l.Limits)}
		if !l.UpdatedAt.IsZero() {
			t := l.UpdatedAt.UTC()
			out.Stock[i].UpdatedAt = &t
		}
	}
	return c.JSON(http.StatusOK, out)
}

type movementJSON struct {
	ID          int64     `json:"id"`
	Brand       string    `json:"brand"`
	Kind        string    `json:"kind"`
	Cartons     int       `json:"cartons"`
	Reason      string    `json:"reason"`
	Order       int64     `json:"order,omitempty"`
	ArrivalPlan int64     `json:"arrival_plan,omitempty"`
	At          time.Time `json:"at"`
}

func movementOf(m ordering.Movement) movementJSON {
	return movementJSON{ID: m.ID, Brand: m.Brand, Kind: string(m.Kind), Cartons: m.Cartons, Reason: m.Reason,
		Order: m.OrderID, ArrivalPlan: m.ArrivalPlan, At: m.At.UTC()}
}

// MaxPageSize caps the movements one page lists.
const MaxPageSize = 200

func (h *Handler) movements(c echo.Context) error {
	_, m, err := scopeOwn(c, retailer.RolePlanner, retailer.RoleAdmin, retailer.RoleLogistics)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	limit, before := 50, int64(0)
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > MaxPageSize {
			fields["limit"] = fmt.Sprintf("want 1 to %d", MaxPageSize)
		}
	}
	if v := c.QueryParam("before"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			fields["before"] = "want a movement id"
		}
	}
	if len(fields) > 0 {
		return problem.Invalid(fields)
	}
	brand := c.Param("brand")
	moves, err := h.store.Movements(c.Request().Context(), m, brand, before, limit)
	if err != nil {
		return err
	}
	out := struct {
		Movements []movementJSON `json:"movements"`
		Next      string         `json:"next,omitempty"`
	}{Movements: make([]movementJSON, len(moves))}
	for i, mv := range moves {
		out.Movements[i] = movementOf(mv)
	}
	if len(moves) == limit {
		out.Next = fmt.Sprintf("?limit=%d&before=%d", limit, moves[len(moves)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

type movementRequest struct {
	Brand       string `json:"brand"`
	Kind        string `json:"kind"`
	Cartons     int    `json:"cartons"`
	Reason      string `json:"reason"`
	ArrivalPlan int64  `json:"arrival_plan"`
}

// recordMovement records an arrival at the warehouse or an adjustment with its reason.
func (h *Handler) recordMovement(c echo.Context) error {
	p, _, err := scope(c, retailer.RolePlanner, retailer.RoleAdmin, retailer.RoleLogistics)
	if err != nil {
		return err
	}
	var req movementRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	mv, err := h.store.RecordMovement(c.Request().Context(), ordering.Movement{Brand: strings.TrimSpace(req.Brand),
		Kind: ordering.MovementKind(req.Kind), Cartons: req.Cartons, Reason: strings.TrimSpace(req.Reason), ArrivalPlan: req.ArrivalPlan},
		p.UserID, h.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, movementOf(mv))
}

type limitsRequest struct {
	Lower *int `json:"lower"`
	Upper *int `json:"upper"`
}

// setLimits is the planner's edit of a brand's stock limits.
func (h *Handler) setLimits(c echo.Context) error {
	p, _, err := scope(c, retailer.RolePlanner, retailer.RoleAdmin)
	if err != nil {
		return err
	}
	var req limitsRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	fields := map[string]string{}
	if req.Lower == nil {
		fields["lower"] = "required: cartons"
	}
	if req.Upper == nil {
		fields["upper"] = "required: cartons"
	}
	if len(fields) > 0 {
		return problem.Invalid(fields)
	}
	brand := c.Param("brand")
	l := ordering.StockLimit{Lower: *req.Lower, Upper: *req.Upper, Basis: "set by " + p.Username}
	if err := h.store.SetStockLimit(c.Request().Context(), brand, l, p.UserID, h.now()); err != nil {
		return err
	}
	levels, err := h.store.StockLevels(c.Request().Context(), 0, brand)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, stockJSON{Brand: levels[0].Brand, Manufacturer: levels[0].Manufacturer,
		Cartons: levels[0].Cartons, Limits: limitsOf(levels[0].Limits)})
}

// limitProposals proposes every brand's stock limits from its sales and forecasts, beside the limits
// in force, for the planner to accept (PUT) or edit.
func (h *Handler) limitProposals(c echo.Context) error {
	_, _, err := scope(c, retailer.RolePlanner, retailer.RoleAdmin)
	if err != nil {
		return err
	}
	q, err := balanceQuery(c, 0)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	proposed, err := h.balances.ProposedLimits(ctx, q, h.now())
	if err != nil {
		return err
	}
	levels, err := h.store.StockLevels(ctx, 0, q.Brand)
	if err != nil {
		return err
	}
	type proposalJSON struct {
		Brand    string      `json:"brand"`
		Current  *limitsJSON `json:"current"`
		Proposed *limitsJSON `json:"proposed"`
	}
	out := struct {
		Proposals []proposalJSON `json:"proposals"`
	}{Proposals: []proposalJSON{}}
	for _, l := range levels {
		j := proposalJSON{Brand: l.Brand, Current: limitsOf(l.Limits)}
		if p, ok := proposed[l.Brand]; ok {
			j.Proposed = limitsOf(&p)
		}
		out.Proposals = append(out.Proposals, j)
	}
	return c.JSON(http.StatusOK, out)
}

type arrivalJSON struct {
	ID           int64  `json:"id"`
	Manufacturer string `json:"manufacturer"`
	Brand        string `json:"brand"`
	ArrivesOn    string `json:"arrives_on"`
	Cartons      int    `json:"cartons"`
	Received     int    `json:"received"`
	Cadence      string `json:"cadence"`
}

func (h *Handler) arrivalPlans(c echo.Context) error {
	_, m, err := scopeOwn(c, retailer.RolePlanner, retailer.RoleAdmin, retailer.RoleLogistics)
	if err != nil {
		return err
	}
	from := h.now()
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -7)
	if v := c.QueryParam("from"); v != "" {
		if from, err = time.Parse(time.DateOnly, v); err != nil {
			return problem.Invalid(map[string]string{"from": "want a day as YYYY-MM-DD"})
		}
	}
	plans, err := h.store.ArrivalPlans(c.Request().Context(), m, strings.TrimSpace(c.QueryParam("brand")), from)
	if err != nil {
		return err
	}
	out := struct {
		Plans []arrivalJSON `json:"plans"`
	}{Plans: make([]arrivalJSON, len(plans))}
	for i, p := range plans {
		out.Plans[i] = arrivalJSON{ID: p.ID, Manufacturer: p.Manufacturer, Brand: p.Brand, ArrivesOn: p.ArrivesOn.Format(time.DateOnly),
			Cartons: p.Cartons, Received: p.Received, Cadence: string(p.Cadence)}
	}
	return c.JSON(http.StatusOK, out)
}

type arrivalsRequest struct {
	Cadence string `json:"cadence"`
	Lines   []struct {
		Brand     string `json:"brand"`
		ArrivesOn string `json:"arrives_on"`
		Cartons   int    `json:"cartons"`
	} `json:"lines"`
}

// submitArrivals writes a manufacturer's (or a planner's) planned arrivals, all or none.
func (h *Handler) submitArrivals(c echo.Context) error {
	p, m, err := scopeOwn(c, retailer.RolePlanner, retailer.RoleAdmin)
	if err != nil {
		return err
	}
	var req arrivalsRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	if req.Cadence == "" {
		req.Cadence = string(ordering.Weekly)
	}
	fields := map[string]string{}
	if c := ordering.Cadence(req.Cadence); c != ordering.Weekly && c != ordering.TenDays {
		fields["cadence"] = "want weekly or ten_days"
	}
	plans := make([]ordering.ArrivalPlan, len(req.Lines))
	for i, l := range req.Lines {
		plans[i] = ordering.ArrivalPlan{Brand: strings.TrimSpace(l.Brand), Cartons: l.Cartons, Cadence: ordering.Cadence(req.Cadence)}
		if l.ArrivesOn != "" {
			d, err := time.Parse(time.DateOnly, l.ArrivesOn)
			if err != nil {
				fields[fmt.Sprintf("lines[%d].arrives_on", i)] = "want a day as YYYY-MM-DD"
				continue
			}
			plans[i].ArrivesOn = d
		}
	}
	if len(fields) > 0 {
		return problem.Invalid(fields)
	}
	key := func(i int) string { return fmt.Sprintf("lines[%d]", i) }
	n, err := h.store.SubmitArrivals(c.Request().Context(), m, plans, "api", p.UserID, h.now(), key)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, struct {
		Lines int `json:"lines"`
	}{n})
}

// balanceQuery reads ?brand=, ?weeks= (default ordering.DefaultBalanceWeeks) and ?from= (default this week).
func balanceQuery(c echo.Context, manufacturer int64) (ordering.BalanceQuery, error) {
	q := ordering.BalanceQuery{Brand: strings.TrimSpace(c.QueryParam("brand")), Manufacturer: manufacturer,
		Weeks: ordering.DefaultBalanceWeeks}
	fields := map[string]string{}
	if v := c.QueryParam("weeks"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > ordering.MaxBalanceWeeks {
			fields["weeks"] = fmt.Sprintf("want 1 to %d", ordering.MaxBalanceWeeks)
		}
		q.Weeks = n
	}
	if v := c.QueryParam("from"); v != "" {
		var err error
		if q.From, err = time.Parse(time.DateOnly, v); err != nil {
			fields["from"] = "want a day as YYYY-MM-DD"
		}
	}
	if len(fields) > 0 {
		return q, problem.Invalid(fields)
	}
	return q, nil
}

// BalancesJSON is the balance as the API and `ordercast balance -json` show it.
type BalancesJSON struct {
	From        string        `json:"from"`
	Weeks       int           `json:"weeks"`
	ForecastRun string        `json:"forecast_run"`
	Brands      []BalanceJSON `json:"brands"`
}

// BalanceJSON is one brand's balance.
type BalanceJSON struct {
	Brand        string        `json:"brand"`
	Name         string        `json:"name"`
	Stock        int           `json:"stock"`
	WeeklySales  float64       `json:"weekly_sales"`
	StockToSales *float64      `json:"stock_to_sales"`
	Limits       *limitsJSON   `json:"limits"`
	Proposal     *ProposalJSON `json:"scarce_proposal"`
	Weeks        []WeekJSON    `json:"weeks"`
}

// ProposalJSON proposes a brand as scarce for a cycle, with the supply to allocate.
type ProposalJSON struct {
	Cycle     string  `json:"cycle"`
	Supply    int     `json:"supply"`
	Demand    float64 `json:"demand"`
	Shortfall float64 `json:"shortfall"`
}

// WeekJSON is one week of a balance.
type WeekJSON struct {
	Week         string        `json:"week"`
	Forecast     *ForecastJSON `json:"forecast"`
	Requested    int           `json:"requested"`
	Delivered    int           `json:"delivered"`
	Arrivals     int           `json:"arrivals"`
	Demand       float64       `json:"demand"`
	DemandHigh   float64       `json:"demand_high"`
	Opening      float64       `json:"opening"`
	Available    float64       `json:"available"`
	Projected    float64       `json:"projected"`
	Shortfall    float64       `json:"shortfall"`
	Surplus      float64       `json:"surplus"`
	DaysOfCover  *float64      `json:"days_of_cover"`
	StockToSales *float64      `json:"stock_to_sales"`
	Warnings     []string      `json:"warnings"`
}

// ForecastJSON is a week's forecast with its 80% interval.
type ForecastJSON struct {
	Point float64 `json:"point"`
	Lo80  float64 `json:"lo80"`
	Hi80  float64 `json:"hi80"`
}

func round(f float64) float64 { return math.Round(f*100) / 100 }

func roundp(f *float64) *float64 {
	if f == nil {
		return nil
	}
	r := round(*f)
	return &r
}

// BalancesOf shows balances.
func BalancesOf(bs ordering.Balances) BalancesJSON {
	out := BalancesJSON{From: bs.From.Format(time.DateOnly), Weeks: bs.Weeks, ForecastRun: bs.ForecastRun, Brands: make([]BalanceJSON, len(bs.Brands))}
	for i, b := range bs.Brands {
		j := BalanceJSON{Brand: b.Brand, Name: b.Name, Stock: b.Stock, WeeklySales: round(b.WeeklySales), StockToSales: roundp(b.StockToSales),
			Limits: limitsOf(b.Limits), Weeks: make([]WeekJSON, len(b.Weeks))}
		if p := b.Proposal; p != nil {
			j.Proposal = &ProposalJSON{Cycle: p.Week.Format(time.DateOnly), Supply: p.Supply, Demand: round(p.Demand), Shortfall: round(p.Shortfall)}
		}
		for k, w := range b.Weeks {
			wj := WeekJSON{Week: w.Week.Format(time.DateOnly), Requested: w.Requested, Delivered: w.Delivered, Arrivals: w.Arrivals,
				Demand: round(w.Demand), DemandHigh: round(w.DemandHigh), Opening: round(w.Opening), Available: round(w.Available),
				Projected: round(w.Projected), Shortfall: round(w.Shortfall), Surplus: round(w.Surplus),
				DaysOfCover: roundp(w.DaysOfCover), StockToSales: roundp(w.StockToSales), Warnings: w.Warnings}
			if w.HasForecast {
				wj.Forecast = &ForecastJSON{Point: round(w.Forecast), Lo80: round(w.Lo80), Hi80: round(w.Hi80)}
			}
			j.Weeks[k] = wj
		}
		out.Brands[i] = j
	}
	return out
}

// askedBalances is the balance a planner's or admin's request asks for (its query's brand and weeks).
func (h *Handler) askedBalances(c echo.Context) (ordering.Balances, error) {
	_, m, err := scopeOwn(c, retailer.RolePlanner, retailer.RoleAdmin)
	if err != nil {
		return ordering.Balances{}, err
	}
	q, err := balanceQuery(c, m)
	if err != nil {
		return ordering.Balances{}, err
	}
	return h.balances.Balances(c.Request().Context(), q, h.now())
}

func (h *Handler) balance(c echo.Context) error {
	bs, err := h.askedBalances(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, BalancesOf(bs))
}

// warnings lists the brands whose projected stock crosses a limit or falls short in the weeks of the
// balance, with the weeks and warnings, and each brand's stock-to-sales ratio.
func (h *Handler) warnings(c echo.Context) error {
	bs, err := h.askedBalances(c)
	if err != nil {
		return err
	}
	type weekWarning struct {
		Week      string   `json:"week"`
		Projected float64  `json:"projected"`
		Warnings  []string `json:"warnings"`
	}
	type brandWarning struct {
		Brand        string        `json:"brand"`
		Stock        int           `json:"stock"`
		StockToSales *float64      `json:"stock_to_sales"`
		Limits       *limitsJSON   `json:"limits"`
		Weeks        []weekWarning `json:"weeks"`
	}
	out := struct {
		From     string         `json:"from"`
		Weeks    int            `json:"weeks"`
		Warnings []brandWarning `json:"warnings"`
	}{From: bs.From.Format(time.DateOnly), Weeks: bs.Weeks, Warnings: []brandWarning{}}
	for _, b := range bs.Brands {
		var weeks []weekWarning
		for _, w := range b.Weeks {
			if len(w.Warnings) > 0 {
				weeks = append(weeks, weekWarning{Week: w.Week.Format(time.DateOnly), Projected: round(w.Projected), Warnings: w.Warnings})
			}
		}
		if len(weeks) > 0 {
			out.Warnings = append(out.Warnings, brandWarning{Brand: b.Brand, Stock: b.Stock, StockToSales: roundp(b.StockToSales),
				Limits: limitsOf(b.Limits), Weeks: weeks})
		}
	}
	return c.JSON(http.StatusOK, out)
}

type allocateRequest struct {
	Mode  string `json:"mode"`
	From  string `json:"from"`
	Weeks int    `json:"weeks"`
	Cap   int    `json:"cap"`
}

// allocate is the planner's one step from a balance to the allocation preview: the brand's first week
// with a shortfall in the coming weeks is proposed as scarce, and its supply is allocated (a preview:
// publishing is POST /cycles/{week}/allocations with the same supply).
func (h *Handler) allocate(c echo.Context) error {
	if _, _, err := scope(c, retailer.RolePlanner, retailer.RoleAdmin); err != nil {
		return err
	}
	var req allocateRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	if req.Weeks == 0 {
		req.Weeks = 8
	}
	if req.Mode == "" {
		req.Mode = string(allocation.ByGrade)
	}
	fields := map[string]string{}
	if req.Weeks < 1 || req.Weeks > ordering.MaxBalanceWeeks {
		fields["weeks"] = fmt.Sprintf("want 1 to %d", ordering.MaxBalanceWeeks)
	}
	switch allocation.Mode(req.Mode) {
	case allocation.ByGrade, allocation.ByDemand:
	default:
		fields["mode"] = "want grade or demand (other modes: POST /cycles/{week}/allocations)"
	}
	if req.Cap < 0 {
		fields["cap"] = "want 0 (none) or more cartons"
	}
	var from time.Time
	if req.From != "" {
		var err error
		if from, err = time.Parse(time.DateOnly, req.From); err != nil {
			fields["from"] = "want a day as YYYY-MM-DD"
		}
	}
	if len(fields) > 0 {
		return problem.Invalid(fields)
	}
	brand := c.Param("brand")
	ctx := c.Request().Context()
	bs, err := h.balances.Balances(ctx, ordering.BalanceQuery{Brand: brand, From: from, Weeks: req.Weeks}, h.now())
	if err != nil {
		return err
	}
	if len(bs.Brands) != 1 || bs.Brands[0].Proposal == nil {
		return errNoShortfall
	}
	p := bs.Brands[0].Proposal
	plan, err := h.allocator.Plan(ctx, allocation.Request{Week: p.Week, Brand: brand, Supply: p.Supply,
		Mode: allocation.Mode(req.Mode), Cap: req.Cap})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, previewOf(p, plan))
}

type previewJSON struct {
	Proposal   ProposalJSON   `json:"scarce_proposal"`
	Allocation allocationJSON `json:"allocation"`
}

type allocationJSON struct {
	ID          string   `json:"id"`
	Cycle       string   `json:"cycle"`
	Brand       string   `json:"brand"`
	Mode        string   `json:"mode"`
	ForecastRun string   `json:"forecast_run,omitempty"`
	Warnings    []string `json:"warnings"` // in English
	// WarningParts is Warnings one by one: a stable code with its parameters (allocation.Warning).
	WarningParts []partJSON  `json:"warning_parts"`
	Supply       int         `json:"supply"`
	Allocated    int         `json:"allocated"`
	Eligible     int         `json:"eligible_outlets"`
	Covered      int         `json:"covered_outlets"`
	Coverage     float64     `json:"coverage"`
	FillRate     float64     `json:"fill_rate"`
	Gini         float64     `json:"gini"`
	Limits       []limitJSON `json:"limits"` // the 20 largest
	LimitsTotal  int         `json:"limits_total"`
}

type limitJSON struct {
	Outlet      string `json:"outlet"`
	Cartons     int    `json:"cartons"`
	Explanation string `json:"explanation"`
	// ExplanationParts is Explanation clause by clause (allocation.Clause).
	ExplanationParts []partJSON `json:"explanation_parts"`
}

// partJSON is one clause of an explanation, or one warning: a stable code with its parameters.
type partJSON struct {
	Code   string         `json:"code"`
	Params map[string]any `json:"params"`
}

func partOf(code string, params map[string]any) partJSON {
	if params == nil {
		params = map[string]any{}
	}
	return partJSON{Code: code, Params: params}
}

// PreviewLimits is how many of the largest limits a preview lists.
const PreviewLimits = 20

func previewOf(p *ordering.ScarceProposal, plan *allocation.Plan) previewJSON {
	r, s := plan.Result, plan.Summary
	a := allocationJSON{ID: plan.ID, Cycle: plan.Request.Week.Format(time.DateOnly), Brand: r.Brand, Mode: string(r.Mode),
		ForecastRun: plan.ForecastRun, Warnings: allocation.WarningTexts(plan.Warnings), WarningParts: []partJSON{},
		Supply: s.Supply, Allocated: s.Allocated, Eligible: s.Eligible, Covered: s.Covered, Coverage: s.Coverage,
		FillRate: s.FillRate, Gini: s.Gini, LimitsTotal: len(r.Limits), Limits: []limitJSON{}}
	for _, w := range plan.Warnings {
		a.WarningParts = append(a.WarningParts, partOf(w.Code, w.Params))
	}
	for _, i := range r.Largest(PreviewLimits) {
		l := limitJSON{Outlet: r.Limits[i].Outlet, Cartons: r.Limits[i].Cartons, Explanation: r.Explain(i), ExplanationParts: []partJSON{}}
		for _, c := range r.ExplainClauses(i) {
			l.ExplanationParts = append(l.ExplanationParts, partOf(c.Code, c.Params))
		}
		a.Limits = append(a.Limits, l)
	}
	return previewJSON{Proposal: ProposalJSON{Cycle: p.Week.Format(time.DateOnly), Supply: p.Supply, Demand: round(p.Demand),
		Shortfall: round(p.Shortfall)}, Allocation: a}
}
