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
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/retailer"
)

// OutletWeeksReader reads an outlet's weeks (forecast/clickhouse.Store).
type OutletWeeksReader interface {
	OutletWeeks(ctx context.Context, outlet, brand string, from, to time.Time) (forecast.OutletWeeks, error)
}

// OutletReader gives an outlet's profile if the caller may see it, else an error wrapping
// retailer.ErrNotFound (retailer/postgres.Store).
type OutletReader interface {
	Outlet(ctx context.Context, p retailer.Principal, id int64) (retailer.Profile, error)
}

// Weeks an outlet's chart shows by default and at most, before this week; and the weeks of forecast
// after it.
const (
	DefaultOutletWeeks = 12
	MaxOutletWeeks     = 104
	OutletWeeksAhead   = 4
)

type outletWeeksRoute struct {
	weeks   OutletWeeksReader
	outlets OutletReader
	now     func() time.Time
}

// WithOutletWeeks adds GET /outlets/{id}/weeks: one outlet's weeks on one chart (sales history, the
// latest forecast with its interval, stock and sell-out from scans) for whoever may see the outlet.
// The weeks end with now's, the week of its calendar day in its location (the region's, in serve).
func (h *Handler) WithOutletWeeks(weeks OutletWeeksReader, outlets OutletReader, now func() time.Time) {
	h.outletWeeks = &outletWeeksRoute{weeks: weeks, outlets: outlets, now: now}
}

type intervalJSON struct {
	Point float64 `json:"point"`
	Lo80  float64 `json:"lo80"`
	Hi80  float64 `json:"hi80"`
}

type outletWeekJSON struct {
	Week      string        `json:"week"`
	Requested float64       `json:"requested"`
	Granted   float64       `json:"granted"`
	Delivered float64       `json:"delivered"`
	Forecast  *intervalJSON `json:"forecast"`
	Stock     *float64      `json:"stock"`
	SellOut   *float64      `json:"sell_out"`
}

type outletWeeksJSON struct {
	Outlet      string           `json:"outlet"`
	Brand       *string          `json:"brand"`
	ForecastRun *string          `json:"forecast_run"`
	Weeks       []outletWeekJSON `json:"weeks"`
}

// outletWeeksOf answers GET /outlets/{id}/weeks?weeks=N&brand=B: the N weeks up to this one and the
// OutletWeeksAhead after it.
func (h *Handler) outletWeeksOf(c echo.Context) error {
	r := h.outletWeeks
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%w: outlet %q", retailer.ErrNotFound, c.Param("id"))
	}
	n := DefaultOutletWeeks
	if v := c.QueryParam("weeks"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > MaxOutletWeeks {
			return problem.Invalid(map[string]string{"weeks": fmt.Sprintf("want 1 to %d", MaxOutletWeeks)})
		}
	}
	brand := strings.TrimSpace(c.QueryParam("brand"))
	o, err := r.outlets.Outlet(c.Request().Context(), p, id)
	if err != nil {
		return err
	}
	this := forecast.Monday(r.now())
	ws, err := r.weeks.OutletWeeks(c.Request().Context(), o.Licence, brand, this.AddDate(0, 0, -7*(n-1)), this.AddDate(0, 0, 7*OutletWeeksAhead))
	if err != nil {
		return err
	}
	out := outletWeeksJSON{Outlet: o.Licence, Weeks: make([]outletWeekJSON, len(ws.Weeks))}
	if brand != "" {
		out.Brand = &brand
	}
	if ws.Run != "" {
		out.ForecastRun = &ws.Run
	}
	for i, w := range ws.Weeks {
		v := outletWeekJSON{Week: w.Week.Format(time.DateOnly), Requested: w.Requested, Granted: w.Granted,
			Delivered: w.Delivered, Stock: w.Stock, SellOut: w.SellOut}
		if f := w.Forecast; f != nil {
			v.Forecast = &intervalJSON{Point: f.Point, Lo80: f.Lo80, Hi80: f.Hi80}
		}
		out.Weeks[i] = v
	}
	return c.JSON(http.StatusOK, out)
}
