package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/retailer"
)

// WeeklyReader reads a run's weekly forecasts against the weeks' actuals (forecast/clickhouse.Store).
// It returns an error wrapping forecast.ErrNoFigures when no week has either.
type WeeklyReader interface {
	WeekFigures(ctx context.Context, q forecast.WeeklyQuery) ([]forecast.WeekFigure, error)
}

// WithWeeks adds GET /scores/weeks: a scored month's weekly forecast against actual, with intervals,
// for the company or one brand. It needs WithScores (the month's scoring names the run).
func (h *Handler) WithWeeks(weeks WeeklyReader) { h.weeks = weeks }

type weekJSON struct {
	Week     string   `json:"week"`
	Forecast *float64 `json:"forecast"` // null for a week the run did not forecast
	Lo80     *float64 `json:"lo80"`
	Hi80     *float64 `json:"hi80"`
	Actual   float64  `json:"actual"`
}

type weeksResponse struct {
	Month   string     `json:"month"`
	Dataset string     `json:"dataset"`
	Against string     `json:"against"`
	Brand   string     `json:"brand"` // "" for the company
	RunID   string     `json:"run_id"`
	Weeks   []weekJSON `json:"weeks"`
}

// weeksOf answers GET /scores/weeks?month=YYYY-MM[&brand=CODE][&against=][&dataset=]: every week with a
// day in the month, the forecast of the run the month was scored against (its point and 80% interval)
// beside the week's whole actual. Planners and admins only: it is the company's and brands' level.
func (h *Handler) weeksOf(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	fields := map[string]string{}
	month, err := time.Parse("2006-01", c.QueryParam("month"))
	if err != nil {
		fields["month"] = "want YYYY-MM"
	}
	against := forecast.Against(c.QueryParam("against"))
	if against != "" {
		if _, err := forecast.ParseAgainst(string(against)); err != nil {
			fields["against"] = "want sales, requested or truth"
		}
	}
	if len(fields) > 0 {
		return problem.Invalid(fields)
	}
	switch p.Role {
	case retailer.RolePlanner, retailer.RoleAdmin:
	case retailer.RoleManager:
		return errAboveManager
	default:
		return errScoresRole
	}
	ctx := c.Request().Context()
	set, err := h.scores.Scores(ctx, forecast.ScoreQuery{Month: month, Dataset: c.QueryParam("dataset"), Against: against,
		Level: forecast.ScoreCompany})
	if err != nil {
		return err
	}
	from, to := forecast.MonthWeeks(month)
	brand := strings.TrimSpace(c.QueryParam("brand"))
	figs, err := h.weeks.WeekFigures(ctx, forecast.WeeklyQuery{RunID: set.RunID, Dataset: set.Dataset, Against: set.Against,
		Brand: brand, From: from, To: to})
	if err != nil {
		return err
	}
	out := weeksResponse{Month: month.Format("2006-01"), Dataset: set.Dataset, Against: string(set.Against), Brand: brand,
		RunID: set.RunID, Weeks: []weekJSON{}}
	for _, f := range figs {
		w := weekJSON{Week: f.Week.Format(time.DateOnly), Actual: f.Actual}
		if f.Forecasted {
			w.Forecast, w.Lo80, w.Hi80 = finite(f.Forecast), finite(f.Lo80), finite(f.Hi80)
		}
		out.Weeks = append(out.Weeks, w)
	}
	return c.JSON(http.StatusOK, out)
}
