package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/retailer/indicators"
)

// Trender computes weekly trends (*indicators.Trends).
type Trender interface {
	Trend(ctx context.Context, q indicators.TrendQuery) (indicators.Trend, error)
}

// WithTrends adds GET /indicators/trend, answered by t, to the routes h registers.
func (h *Handler) WithTrends(t Trender) *Handler {
	h.trends = t
	return h
}

type trendWeekJSON struct {
	Period  periodJSON `json:"period"`
	Rows    []rowJSON  `json:"rows"`
	Company rowJSON    `json:"company"`
}

type trendJSON struct {
	Level string          `json:"level"`
	Weeks []trendWeekJSON `json:"weeks"`
	Stock []stockJSON     `json:"stock"`
}

// trendOf answers GET /indicators/trend?weeks=12&date=YYYY-MM-DD&level=...[&key=K...]: the weeks up to
// the one holding date, each as GET /indicators?period=week answers it for the trend's indicators,
// read at once; with the same scope: a manager reads its own manager row, its outlets and the
// company's row.
func (h *Handler) trendOf(c echo.Context) error {
	manager, err := h.caller(c)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	weeks := indicators.DefaultTrendWeeks
	if v := c.QueryParam("weeks"); v != "" {
		if weeks, err = strconv.Atoi(v); err != nil || weeks < 1 || weeks > indicators.MaxTrendWeeks {
			fields["weeks"] = fmt.Sprintf("want 1 to %d", indicators.MaxTrendWeeks)
		}
	}
	date := h.parseDate(c, fields)
	level := indicators.AtCompany
	if v := c.QueryParam("level"); v != "" {
		if level, err = indicators.ParseLevel(v); err != nil {
			fields["level"] = "want company, area, route, manager or outlet"
		}
	}
	if len(fields) > 0 {
		return problem.Invalid(fields)
	}
	if manager != "" && level != indicators.AtManager && level != indicators.AtOutlet && level != indicators.AtCompany {
		return errAboveManager
	}
	q := indicators.TrendQuery{Weeks: weeks, Date: date, Level: level, Keys: c.QueryParams()["key"], Manager: manager}
	t, err := h.trends.Trend(c.Request().Context(), q)
	if err != nil {
		return err
	}
	out := trendJSON{Level: string(t.Level), Weeks: []trendWeekJSON{}, Stock: []stockJSON{}}
	for _, w := range t.Weeks {
		wj := trendWeekJSON{Period: periodOf(w.Period), Rows: []rowJSON{}, Company: rowOf(w.Company)}
		for _, r := range w.Rows {
			wj.Rows = append(wj.Rows, rowOf(r))
		}
		out.Weeks = append(out.Weeks, wj)
	}
	for _, b := range t.Stock {
		out.Stock = append(out.Stock, stockOf(b))
	}
	return c.JSON(http.StatusOK, out)
}
