package httpapi

import (
	"context"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/retailer"
)

// ScoreReader reads stored accuracy scores (forecast/clickhouse.Store); an empty dataset is live, an
// empty basis sales. For a month never scored, or a dataset and basis without any scoring, it
// returns an error wrapping forecast.ErrNoScores.
type ScoreReader interface {
	Scores(ctx context.Context, q forecast.ScoreQuery) (forecast.ScoreSet, error)
	LatestScoredMonth(ctx context.Context, dataset string, against forecast.Against) (time.Time, error)
}

// ScopeReader gives an account manager's code and outlets (retailer/postgres.Store), to keep a
// manager to their own scores.
type ScopeReader interface {
	ManagedScope(ctx context.Context, p retailer.Principal) (manager string, outlets []string, err error)
}

// WithScores adds GET /scores: the forecast accuracy of a month as `ordercast score` stored it.
func (h *Handler) WithScores(scores ScoreReader, scope ScopeReader) {
	h.scores, h.scope = scores, scope
}

type scoreJSON struct {
	Key          string   `json:"key"`
	Actual       float64  `json:"actual"`
	Forecast     float64  `json:"forecast"`
	AbsError     float64  `json:"abs_error"`
	Accuracy     float64  `json:"accuracy"`
	ItemAccuracy float64  `json:"item_accuracy"`
	WAPE         *float64 `json:"wape"` // null when nothing was sold
	Bias         *float64 `json:"bias"`
}

type scoresResponse struct {
	Month    string      `json:"month"`
	Dataset  string      `json:"dataset"`
	Against  string      `json:"against"`
	Level    string      `json:"level"`
	RunID    string      `json:"run_id"`
	ScoredAt time.Time   `json:"scored_at"`
	Scores   []scoreJSON `json:"scores"`
}

// scoresOf answers GET /scores?month=YYYY-MM&level=company|area|manager|brand|outlet
// [&against=sales|requested|truth][&dataset=NAME][&key=K...]. Planners and admins read every level; an account
// manager reads only their own manager row and their own outlets. Without month, the latest month
// scored on the basis.
func (h *Handler) scoresOf(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	fields := map[string]string{}
	var month time.Time
	if v := c.QueryParam("month"); v != "" {
		var err error
		if month, err = time.Parse("2006-01", v); err != nil {
			fields["month"] = "want YYYY-MM, or none for the latest scored"
		}
	}
	q := forecast.ScoreQuery{Month: month, Dataset: c.QueryParam("dataset"), Against: forecast.Against(c.QueryParam("against")),
		Level: forecast.ScoreLevel(c.QueryParam("level")), Keys: c.QueryParams()["key"]}
	switch q.Level {
	case "":
		q.Level = forecast.ScoreCompany
	case forecast.ScoreCompany, forecast.ScoreArea, forecast.ScoreManager, forecast.ScoreBrand, forecast.ScoreOutlet:
	default:
		fields["level"] = "want company, area, manager, brand or outlet"
	}
	if q.Against != "" {
		if _, err := forecast.ParseAgainst(string(q.Against)); err != nil {
			fields["against"] = "want sales, requested or truth"
		}
	}
	if len(fields) > 0 {
		return problem.Invalid(fields)
	}
	switch p.Role {
	case retailer.RolePlanner, retailer.RoleAdmin:
	case retailer.RoleManager:
		manager, outlets, err := h.scope.ManagedScope(c.Request().Context(), p)
		if err != nil {
			return err
		}
		switch q.Level {
		case forecast.ScoreManager:
			q.Keys = keep(q.Keys, []string{manager})
		case forecast.ScoreOutlet:
			q.Keys = keep(q.Keys, outlets)
		default:
			return errAboveManager
		}
	default:
		return errScoresRole
	}
	if c.QueryParam("month") == "" {
		latest, err := h.scores.LatestScoredMonth(c.Request().Context(), q.Dataset, q.Against)
		if err != nil {
			return err
		}
		month, q.Month = latest, latest
	}
	set, err := h.scores.Scores(c.Request().Context(), q)
	if err != nil {
		return err
	}
	out := scoresResponse{Month: month.Format("2006-01"), Dataset: set.Dataset, Against: string(set.Against),
		Level: string(q.Level), RunID: set.RunID, ScoredAt: set.ScoredAt.UTC(), Scores: []scoreJSON{}}
	for _, s := range set.Scores {
		out.Scores = append(out.Scores, scoreJSON{Key: s.Key, Actual: s.Actual, Forecast: s.Forecast, AbsError: s.AbsError,
			Accuracy: s.Accuracy, ItemAccuracy: s.ItemAccuracy(), WAPE: finite(s.WAPE), Bias: finite(s.Bias)})
	}
	return c.JSON(http.StatusOK, out)
}

// keep returns the asked keys that are allowed, or all allowed keys when none were asked; never nil,
// so that an empty result asks for nothing rather than everything.
func keep(asked, allowed []string) []string {
	if len(asked) == 0 {
		return append([]string{}, allowed...)
	}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	out := []string{}
	for _, a := range asked {
		if ok[strings.TrimSpace(a)] {
			out = append(out, strings.TrimSpace(a))
		}
	}
	return out
}

func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
