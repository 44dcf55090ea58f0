package httpapi

import (
	"errors"
	"net/http"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/allocation"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// The adapter's own refusals.
var (
	errNotPlanner   = errors.New("allocation: not a planner")
	errAboveManager = errors.New("forecast: scores above the manager's own")
	errScoresRole   = errors.New("forecast: not a planner or manager")
)

// Problems is how the forecast domain's errors, and this adapter's own, answer over HTTP; the server
// renders every error a handler returns with it.
func (h *Handler) Problems() problem.Table { return problems }

var problems = append(problem.Table{
	{Err: errNotPlanner, Status: http.StatusForbidden, Type: "forbidden", Detail: "only planners allocate supply"},
	{Err: errAboveManager, Status: http.StatusForbidden, Type: "forbidden", Detail: "an account manager reads the manager and outlet levels"},
	{Err: errScoresRole, Status: http.StatusForbidden, Type: "forbidden", Detail: "your role may not read forecast scores"},
	{Err: allocation.ErrNoDemand, Status: http.StatusConflict, Type: "no-forecast", Detail: "allocating by demand needs a forecast of the brand for the cycle's week: run the forecast first"},
	{Err: allocation.ErrNoPreview, Status: http.StatusNotFound, Type: "no-preview", Detail: "no such allocation preview, or it expired: preview the allocation again"},
	{Err: allocation.ErrStalePreview, Status: http.StatusConflict, Type: "stale-preview", Detail: "the allocation computed now differs from the preview (outlets, forecast or supply changed): preview it again"},
	{Err: allocation.ErrPreviewPending, Status: http.StatusServiceUnavailable, Type: "preview-pending", Detail: "the allocation preview is still being kept: ask again shortly"},
	{Err: allocation.ErrNotPublishable, Status: http.StatusUnprocessableEntity, Type: "not-publishable", Detail: "price-band budgets can be previewed, not published: limits are per brand"},
	{Err: forecast.ErrNoRun, Status: http.StatusConflict, Type: "no-forecast", Detail: "no forecast run covers this period: run the forecast first"},
	{Err: forecast.ErrNoScores, Status: http.StatusNotFound, Type: "no-scores", Detail: "that month was not scored: score it first (ordercast score -month YYYY-MM)"},
	{Err: forecast.ErrNoFigures, Status: http.StatusNotFound, Type: "no-figures", Detail: "the run and the history have no figures of that brand in the month's weeks"},
	{Err: forecast.ErrNoHistory, Status: http.StatusNotFound, Type: "no-history", Detail: "there is no sales history to forecast from"},
	{Err: ordering.ErrNotFound, Status: http.StatusNotFound, Type: "not-found", Detail: "no such cycle"},
	{Err: retailer.ErrNotFound, Status: http.StatusNotFound, Type: "not-found", Detail: "no such outlet"},
	{Err: ordering.ErrPublishedMeanwhile, Status: http.StatusConflict, Type: "published-meanwhile", Detail: "the brand's supply was published again since this allocation was computed (by another planner, or a supply plan), and is not replaced: preview it again"},
	{Err: ordering.ErrConflict, Status: http.StatusConflict, Type: "allocation-conflict", Detail: "the allocation conflicts with the cycle's state"},
	{Err: ordering.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-fields", Detail: "the request has invalid fields"},
},
	invalidInput(
		allocation.ErrSupply, allocation.ErrMode, allocation.ErrDimension, allocation.ErrCoverage,
		allocation.ErrGradeWeights, allocation.ErrOutletID, allocation.ErrDuplicateOutlet, allocation.ErrGrade,
		allocation.ErrStatus, allocation.ErrDemand, allocation.ErrCap, allocation.ErrNoSelected, allocation.ErrWeek,
		allocation.ErrPriceClass, allocation.ErrUnknownOutlet, allocation.ErrUnknownBrand,
		forecast.ErrInvalidScore, forecast.ErrInvalidBatch, forecast.ErrInvalidReconciliation,
		forecast.ErrRegression, forecast.ErrShortCalendar, forecast.ErrUnfinishedMonth,
		forecast.ErrOriginOutside,
	)...)

// invalidInput maps errors of invalid input, whose chains name the field, to 422.
func invalidInput(errs ...error) problem.Table {
	t := make(problem.Table, len(errs))
	for i, err := range errs {
		t[i] = problem.Mapping{Err: err, Status: http.StatusUnprocessableEntity, Type: "invalid-fields",
			Detail: "the request has invalid fields"}
	}
	return t
}
