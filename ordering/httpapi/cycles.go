package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// CycleStore is what the planners' and logistics' routes need of PostgreSQL (ordering/postgres.Store).
// Its errors wrap these ordering sentinels, or are 500s:
//
//   - Cycle, CycleOf: ErrNotFound when there is no cycle in the week.
//   - CycleOrders: none; an empty page when there is no such cycle.
//   - PublishSupply: ErrInvalid (a *ordering.ValidationError: an unknown brand or outlet, a limit of
//     a brand not in the plan), ErrConflict (a limit below what the outlet's orders already hold),
//     ErrSupplyVersionMismatch (a *ordering.SupplyStaleError: not at the version of ifVersion).
//   - Deliver: ErrInvalid (a *ordering.ValidationError: a brand not in the order, more delivered
//     than granted), ErrNotFound (no such order), ErrConflict (the order is not paid).
type CycleStore interface {
	Cycle(ctx context.Context, weekStart time.Time) (ordering.CycleView, error)
	CycleOf(ctx context.Context, weekStart time.Time) (ordering.Cycle, error)
	SupplyLines(ctx context.Context, weekStart time.Time) ([]ordering.SupplyState, error)
	CycleOrders(ctx context.Context, weekStart time.Time, status ordering.OrderStatus, afterID int64, limit int) ([]ordering.Order, error)
	PublishSupply(ctx context.Context, cycleID, userID int64, ifVersion int, plan []ordering.SupplyLine, limits []ordering.OutletLimit, source string, now time.Time) error
	Deliver(ctx context.Context, orderID int64, lines []ordering.DeliveryLine, now time.Time) (ordering.Order, error)
}

// KeptCycles serves cycle views kept computed (cmd/ordercast's ordering.CycleCache over the store):
// GET /cycles/{week}?max_age=N serves one at most N seconds old when the store is one. KeptCycle has
// Cycle's errors.
type KeptCycles interface {
	KeptCycle(ctx context.Context, weekStart time.Time, maxAge time.Duration) (ordering.CycleView, error)
}

var errRole = errors.New("ordering: your role may not do this")

// requireRole answers 403 unless the caller has one of roles.
func requireRole(c echo.Context, roles ...retailer.Role) (retailer.Principal, error) {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	for _, r := range roles {
		if p.Role == r {
			return p, nil
		}
	}
	return p, fmt.Errorf("%w: %s", errRole, p.Role)
}

// week parses the :week of the path: the Monday of the cycle's week.
func week(c echo.Context) (time.Time, error) {
	w, err := ordering.ParseWeek(c.Param("week"))
	if err != nil {
		return w, &ordering.ValidationError{Fields: map[string]string{"week": ordering.ErrWeek.Error()}}
	}
	return w, nil
}

type cycleJSON struct {
	Week    string         `json:"week"`
	Status  string         `json:"status"`
	Windows []windowState  `json:"windows"`
	Supply  []supplyJSON   `json:"supply"`
	Orders  map[string]int `json:"orders"` // by status
}

type windowState struct {
	OrderDay string    `json:"order_day"`
	OpensAt  time.Time `json:"opens_at"`
	ClosesAt time.Time `json:"closes_at"`
	CutOff   bool      `json:"cut_off"`
}

// supplyJSON is a brand of GET /cycles/{week}: its plan line, then the sums of its limits and orders.
type supplyJSON struct {
	supplyLineJSON
	Limits       int     `json:"limits"`
	LimitCartons int     `json:"limit_cartons"`
	UsedCartons  int     `json:"used_cartons"`
	Requested    int     `json:"requested_cartons"`
	Granted      int     `json:"granted_cartons"`
	FillRate     float64 `json:"fill_rate"`
	Eligible     int     `json:"eligible_outlets"`
	Covered      int     `json:"covered_outlets"`
	Coverage     float64 `json:"coverage"`
}

func (h *Handler) getCycle(c echo.Context) error {
	if _, err := requireRole(c, retailer.RolePlanner, retailer.RoleAdmin, retailer.RoleLogistics); err != nil {
		return err
	}
	w, err := week(c)
	if err != nil {
		return err
	}
	var v ordering.CycleView
	if age := c.QueryParam("max_age"); age != "" {
		n, err := strconv.Atoi(age)
		if err != nil || n < 0 || n > 300 {
			return problem.Invalid(map[string]string{"max_age": "want 0 to 300 seconds"})
		}
		if kept, ok := h.store.(KeptCycles); ok && n > 0 {
			v, err = kept.KeptCycle(c.Request().Context(), w, time.Duration(n)*time.Second)
		} else {
			v, err = h.store.Cycle(c.Request().Context(), w)
		}
		if err != nil {
			return err
		}
	} else if v, err = h.store.Cycle(c.Request().Context(), w); err != nil {
		return err
	}
	c.Response().Header().Set("ETag", supplyETag(v.SupplyVersion))
	out := cycleJSON{Week: v.WeekStart.Format(time.DateOnly), Status: string(v.Status), Windows: []windowState{},
		Supply: []supplyJSON{}, Orders: map[string]int{}}
	for _, w := range v.Windows {
		out.Windows = append(out.Windows, windowState{OrderDay: strings.ToLower(w.OrderDay.String()),
			OpensAt: w.OpensAt.UTC(), ClosesAt: w.ClosesAt.UTC(), CutOff: w.Closed})
	}
	for _, s := range v.Supply {
		out.Supply = append(out.Supply, supplyJSON{supplyLineJSON: supplyLineOf(s),
			Limits: s.Limits, LimitCartons: s.LimitCartons, UsedCartons: s.UsedCartons, Requested: s.Requested,
			Granted: s.Granted, FillRate: s.FillRate(), Eligible: s.Eligible, Covered: s.Covered, Coverage: s.Coverage()})
	}
	for status, n := range v.Orders {
		out.Orders[string(status)] = n
	}
	return c.JSON(http.StatusOK, out)
}

// supplyLineJSON is a brand of GET /cycles/{week}/supply: the plan line without the sums.
type supplyLineJSON struct {
	Brand         string     `json:"brand"`
	Name          string     `json:"name"`
	OnSale        bool       `json:"on_sale"`
	Scarce        bool       `json:"scarce"`
	Awaiting      bool       `json:"awaiting_supply"`
	SupplyCartons *int       `json:"supply_cartons"`
	PerOutletCap  *int       `json:"per_outlet_cap"`
	PublishedAt   *time.Time `json:"published_at,omitempty"`
	Allocation    string     `json:"allocation,omitempty"`
}

// supplyLineOf is a supply plan line as the API shows it.
func supplyLineOf(s ordering.SupplyState) supplyLineJSON {
	j := supplyLineJSON{Brand: s.Brand, Name: s.Name, OnSale: s.OnSale, Scarce: s.Scarce, Awaiting: s.AwaitingSupply(),
		SupplyCartons: s.SupplyCartons, PerOutletCap: s.PerOutletCap, Allocation: s.Allocation}
	if !s.PublishedAt.IsZero() {
		t := s.PublishedAt.UTC()
		j.PublishedAt = &t
	}
	return j
}

// getSupply answers a cycle's supply plan without the sums of its limits and orders, which
// GET /cycles/{week} adds and which take seconds over a province: what a page needs to know which
// brands await their supply, and which allocation each has, read as it is now.
func (h *Handler) getSupply(c echo.Context) error {
	if _, err := requireRole(c, retailer.RolePlanner, retailer.RoleAdmin, retailer.RoleLogistics); err != nil {
		return err
	}
	w, err := week(c)
	if err != nil {
		return err
	}
	// The version first: lines published after it carry an older ETag, which a PUT is refused with
	// (412), never a newer one over older lines.
	cycle, err := h.store.CycleOf(c.Request().Context(), w)
	if err != nil {
		return err
	}
	lines, err := h.store.SupplyLines(c.Request().Context(), w)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", supplyETag(cycle.SupplyVersion))
	out := struct {
		Week   string           `json:"week"`
		Supply []supplyLineJSON `json:"supply"`
	}{Week: w.Format(time.DateOnly), Supply: make([]supplyLineJSON, len(lines))}
	for i, s := range lines {
		out.Supply[i] = supplyLineOf(s)
	}
	return c.JSON(http.StatusOK, out)
}

type supplyRequest struct {
	Plan []struct {
		Brand         string `json:"brand"`
		OnSale        *bool  `json:"on_sale"`
		SupplyCartons *int   `json:"supply_cartons"`
		PerOutletCap  *int   `json:"per_outlet_cap"`
	} `json:"plan"`
	Limits []struct {
		Outlet      string `json:"outlet"`
		Brand       string `json:"brand"`
		Cartons     int    `json:"cartons"`
		Explanation string `json:"explanation"`
	} `json:"limits"`
}

// publishSupply is the planner's PUT of a cycle's supply plan and per-outlet limits: the brands named
// are set as given (on sale unless on_sale is false), the limits named replace those outlets' limits.
// It is one transaction: all of it or, on any error, none. With If-Match (the ETag of GET
// /cycles/{week} or /cycles/{week}/supply) it publishes only while the cycle's supply is still at
// that version: 412 with the current ETag otherwise.
func (h *Handler) publishSupply(c echo.Context) error {
	p, err := requireRole(c, retailer.RolePlanner, retailer.RoleAdmin)
	if err != nil {
		return err
	}
	w, err := week(c)
	if err != nil {
		return err
	}
	ifVersion, err := ifMatchSupply(c)
	if err != nil {
		return err
	}
	var req supplyRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	plan := make([]ordering.SupplyLine, len(req.Plan))
	for i, l := range req.Plan {
		plan[i] = ordering.SupplyLine{Brand: strings.TrimSpace(l.Brand), OnSale: l.OnSale == nil || *l.OnSale,
			SupplyCartons: l.SupplyCartons, PerOutletCap: l.PerOutletCap}
	}
	limits := make([]ordering.OutletLimit, len(req.Limits))
	for i, l := range req.Limits {
		limits[i] = ordering.OutletLimit{Outlet: strings.TrimSpace(l.Outlet), Brand: strings.TrimSpace(l.Brand),
			Cartons: l.Cartons, Explanation: l.Explanation}
	}
	if err := ordering.ValidateSupply(plan, limits); err != nil {
		return err
	}
	// The cycle's id and status alone: its view (the sums of a province's limits and orders) is
	// computed once, for the answer.
	ctx := c.Request().Context()
	v, err := h.store.CycleOf(ctx, w)
	if err != nil {
		return err
	}
	if v.Status == ordering.Closed {
		return ordering.Explain(ordering.ErrConflict, "the cycle is closed")
	}
	if err := h.store.PublishSupply(ctx, v.ID, p.UserID, ifVersion, plan, limits, "manual", h.now()); err != nil {
		var stale *ordering.SupplyStaleError
		if errors.As(err, &stale) {
			c.Response().Header().Set("ETag", supplyETag(stale.Current))
		}
		return err
	}
	return h.getCycle(c)
}

// supplyETag is the entity tag of a version of a cycle's supply.
func supplyETag(version int) string { return fmt.Sprintf(`"s%d"`, version) }

// ifMatchSupply reads the If-Match header of a supply plan (the supply's ETag, "s<n>"): ifMatchOf's
// version.
func ifMatchSupply(c echo.Context) (int, error) {
	return ifMatchOf(c, supplyETag, "the cycle's supply")
}

type cycleOrderPage struct {
	Orders []orderJSON `json:"orders"`
	Next   string      `json:"next,omitempty"` // the query of the next page
}

func (h *Handler) cycleOrders(c echo.Context) error {
	if _, err := requireRole(c, retailer.RolePlanner, retailer.RoleAdmin, retailer.RoleLogistics); err != nil {
		return err
	}
	w, err := week(c)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	limit, after := pageQuery(c, 50, "after", fields)
	status := ordering.OrderStatus(c.QueryParam("status"))
	switch status {
	case "", ordering.Submitted, ordering.Paid, ordering.Delivered, ordering.Cancelled, ordering.Failed, ordering.Confirmed:
	default:
		fields["status"] = "want submitted, confirmed, paid, delivered, cancelled or failed"
	}
	if len(fields) > 0 {
		return &ordering.ValidationError{Fields: fields}
	}
	orders, err := h.store.CycleOrders(c.Request().Context(), w, status, after, limit)
	if err != nil {
		return err
	}
	page := cycleOrderPage{Orders: make([]orderJSON, len(orders))}
	for i, o := range orders {
		page.Orders[i] = orderOf(o)
	}
	if len(orders) == limit {
		page.Next = fmt.Sprintf("?status=%s&limit=%d&after=%d", status, limit, orders[len(orders)-1].ID)
	}
	return c.JSON(http.StatusOK, page)
}

type deliveryRequest struct {
	Lines []struct {
		Brand     string `json:"brand"`
		Delivered int    `json:"delivered"`
	} `json:"lines"`
}

// deliver records the delivery of a paid order (logistics): lines lists the brands that arrived short
// of what was granted; every other line, or all of them when there is no body, arrived as granted.
func (h *Handler) deliver(c echo.Context) error {
	if _, err := requireRole(c, retailer.RoleLogistics, retailer.RoleAdmin); err != nil {
		return err
	}
	id, err := h.orderID(c)
	if err != nil {
		return err
	}
	var req deliveryRequest
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err // a body over the limit: rendered as 413
	}
	if len(bytes.TrimSpace(body)) > 0 { // no body: everything arrived as granted
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		if err := c.Bind(&req); err != nil {
			return err
		}
	}
	lines := make([]ordering.DeliveryLine, len(req.Lines))
	for i, l := range req.Lines {
		lines[i] = ordering.DeliveryLine{Brand: strings.TrimSpace(l.Brand), Delivered: l.Delivered}
	}
	o, err := h.store.Deliver(c.Request().Context(), id, lines, h.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, orderOf(o))
}
