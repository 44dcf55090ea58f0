package supplyapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// SalesSource reads sales by area or outlet format (ordering/clickhouse.Store); its errors are 500s.
type SalesSource interface {
	SalesBy(ctx context.Context, brands []string, by ordering.SalesGrouping, from, to time.Time) ([]ordering.SalesRow, error)
}

// OutcomeStore reads how rationed brands' supply reached the outlets (ordering/postgres.Store).
type OutcomeStore interface {
	SupplyOutcomes(ctx context.Context, manufacturer int64, from, to time.Time) ([]ordering.SupplyOutcome, error)
}

// WithPortal adds the manufacturer portal's sales and allocation-outcome routes.
func (h *Handler) WithPortal(sales SalesSource, outcomes OutcomeStore) {
	h.sales, h.outcomes = sales, outcomes
}

// MaxPortalWeeks bounds the weeks of history a portal route reads.
const MaxPortalWeeks = 104

// weeksBack reads ?weeks= (default def, 1 … MaxPortalWeeks) into the weeks [from, to) ending with this
// week's Monday (to) and add weeks after it. This week is that of now's calendar day in its location.
func weeksBack(c echo.Context, def, add int, now time.Time) (from, to time.Time, err error) {
	n := def
	if v := c.QueryParam("weeks"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > MaxPortalWeeks {
			return from, to, problem.Invalid(map[string]string{"weeks": fmt.Sprintf("want 1 to %d", MaxPortalWeeks)})
		}
	}
	d := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	monday := d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, -7*n), monday.AddDate(0, 0, 7*add), nil
}

// portalSales is sales history and recent sales of the caller's brands (a manufacturer's own; every
// brand for planners) by week and area or outlet format.
func (h *Handler) portalSales(c echo.Context) error {
	_, m, err := scopeOwn(c, retailer.RolePlanner, retailer.RoleAdmin)
	if err != nil {
		return err
	}
	by := ordering.SalesGrouping(c.QueryParam("by"))
	if by == "" {
		by = ordering.ByArea
	}
	if by != ordering.ByArea && by != ordering.ByFormat {
		return problem.Invalid(map[string]string{"by": "want area or format"})
	}
	from, to, err := weeksBack(c, 12, 0, h.now())
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	levels, err := h.store.StockLevels(ctx, m, strings.TrimSpace(c.QueryParam("brand"))) // the brands the caller may see
	if err != nil {
		return err
	}
	brands := make([]string, len(levels))
	for i, l := range levels {
		brands[i] = l.Brand
	}
	rows, err := h.sales.SalesBy(ctx, brands, by, from, to)
	if err != nil {
		return err
	}
	type rowJSON struct {
		Week      string  `json:"week"`
		Brand     string  `json:"brand"`
		Group     string  `json:"group"`
		Delivered float64 `json:"delivered"`
		Requested float64 `json:"requested"`
		Outlets   int     `json:"outlets"`
	}
	out := struct {
		From string    `json:"from"`
		To   string    `json:"to"`
		By   string    `json:"by"`
		Rows []rowJSON `json:"rows"`
	}{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), By: string(by), Rows: make([]rowJSON, len(rows))}
	for i, r := range rows {
		out.Rows[i] = rowJSON{Week: r.Week.Format(time.DateOnly), Brand: r.Brand, Group: r.Group, Delivered: round(r.Delivered),
			Requested: round(r.Requested), Outlets: r.Outlets}
	}
	return c.JSON(http.StatusOK, out)
}

// portalAllocations is how the supply of the caller's rationed brands reached the outlets, cycle by
// cycle: limits, requested and granted cartons, fill rate and coverage.
func (h *Handler) portalAllocations(c echo.Context) error {
	_, m, err := scopeOwn(c, retailer.RolePlanner, retailer.RoleAdmin)
	if err != nil {
		return err
	}
	from, to, err := weeksBack(c, 8, 3, h.now())
	if err != nil {
		return err
	}
	outcomes, err := h.outcomes.SupplyOutcomes(c.Request().Context(), m, from, to)
	if err != nil {
		return err
	}
	type outcomeJSON struct {
		Cycle        string  `json:"cycle"`
		Brand        string  `json:"brand"`
		Supply       int     `json:"supply_cartons"`
		Limits       int     `json:"limits"`
		LimitCartons int     `json:"limit_cartons"`
		Requested    int     `json:"requested_cartons"`
		Granted      int     `json:"granted_cartons"`
		FillRate     float64 `json:"fill_rate"`
		Eligible     int     `json:"eligible_outlets"`
		Covered      int     `json:"covered_outlets"`
		Coverage     float64 `json:"coverage"`
	}
	out := struct {
		From     string        `json:"from"`
		To       string        `json:"to"`
		Outcomes []outcomeJSON `json:"outcomes"`
	}{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Outcomes: make([]outcomeJSON, len(outcomes))}
	for i, o := range outcomes {
		out.Outcomes[i] = outcomeJSON{Cycle: o.Week.Format(time.DateOnly), Brand: o.Brand, Supply: *o.SupplyCartons, Limits: o.Limits,
			LimitCartons: o.LimitCartons, Requested: o.Requested, Granted: o.Granted, FillRate: round(o.FillRate()),
			Eligible: o.Eligible, Covered: o.Covered, Coverage: round(o.Coverage())}
	}
	return c.JSON(http.StatusOK, out)
}
