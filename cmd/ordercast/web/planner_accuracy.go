package web

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"github.com/ordercast/ordercast/retailer/indicators"
)

// scoresJSON is the answer of GET /api/v1/scores.
type scoresJSON struct {
	Month    string    `json:"month"`
	Against  string    `json:"against"`
	Level    string    `json:"level"`
	RunID    string    `json:"run_id"`
	ScoredAt time.Time `json:"scored_at"`
	Scores   []struct {
		Key          string   `json:"key"`
		Actual       float64  `json:"actual"`
		Forecast     float64  `json:"forecast"`
		AbsError     float64  `json:"abs_error"`
		Accuracy     float64  `json:"accuracy"`
		ItemAccuracy float64  `json:"item_accuracy"`
		WAPE         *float64 `json:"wape"`
		Bias         *float64 `json:"bias"`
	} `json:"scores"`
}

// accuracyLevels are the report's levels, in its order.
var accuracyLevels = []string{"company", "brand", "manager", "area"}

// accuracyData is the accuracy page's data.
type accuracyData struct {
	Month    string
	Against  string
	Againsts []string
	Levels   []scoresJSON // one per level; empty when the month was not scored
	Missing  bool         // the month was not scored against this basis
	Brand    string       // the chart's brand, "" for the company
	Brands   []string     // the brands scored, for the chart's choice
	Weeks    *weeksJSON   // the chart's figures; nil when not scored
	WeeksErr string       // why a brand's weeks are missing, translated
	Chart    template.JS  // Weeks as JSON, for the chart's script
	figures
}

// weeksJSON is the answer of GET /api/v1/scores/weeks.
type weeksJSON struct {
	RunID string `json:"run_id"`
	Brand string `json:"brand"`
	Weeks []struct {
		Week     string   `json:"week"`
		Forecast *float64 `json:"forecast"`
		Lo80     *float64 `json:"lo80"`
		Hi80     *float64 `json:"hi80"`
		Actual   float64  `json:"actual"`
	} `json:"weeks"`
}

// accuracyPage shows the month's forecast accuracy per company, brand, manager and area, as
// `ordercast score` stored it (GET /api/v1/scores), against requested quantities (by default, the
// basis of the managers' indicator), sales or, on seeded data, the true demand.
func (p *Pages) accuracyPage(c echo.Context) error {
	m, ok, err := p.roleSession(c, "planner", "admin")
	if !ok {
		return err
	}
	d := accuracyData{Month: c.QueryParam("month"), Against: c.QueryParam("against"), Againsts: []string{"requested", "sales", "truth"}}
	if !slices.Contains(d.Againsts, d.Against) {
		d.Against = indicators.AccuracyBasis // the managers' indicator's
	}
	levels := make([]scoresJSON, len(accuracyLevels)) // accuracyLevels[0] is the company's
	probs := make([]*apiProblem, len(accuracyLevels))
	company := false // levels[0] read already
	if _, err := time.Parse("2006-01", d.Month); err != nil {
		// The latest month scored on the basis by default, read with its company level; last month
		// when none is (the page says it was not scored).
		d.Month = time.Date(p.now().Year(), p.now().Month()-1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
		q := url.Values{"level": {accuracyLevels[0]}, "against": {d.Against}}
		_, prob, err := p.api(c, call{method: "GET", path: "/scores?" + q.Encode(), token: m.User.token}, &levels[0])
		if err != nil {
			return err
		}
		if company = prob == nil; company {
			d.Month, levels[0].Level = levels[0].Month, accuracyLevels[0]
		}
	}
	// The levels and the chart's weeks at once (the weeks are dropped when the month was not scored).
	d.Brand = c.QueryParam("brand")
	var (
		weeks     weeksJSON
		weeksProb *apiProblem
		g         errgroup.Group
	)
	for i, level := range accuracyLevels {
		if i == 0 && company {
			continue
		}
		g.Go(func() (err error) {
			q := url.Values{"month": {d.Month}, "level": {level}, "against": {d.Against}}
			_, probs[i], err = p.api(c, call{method: "GET", path: "/scores?" + q.Encode(), token: m.User.token}, &levels[i])
			levels[i].Level = level // as asked: the section's heading and anchor
			return err
		})
	}
	g.Go(func() (err error) {
		q := url.Values{"month": {d.Month}, "against": {d.Against}}
		if d.Brand != "" {
			q.Set("brand", d.Brand)
		}
		_, weeksProb, err = p.api(c, call{method: "GET", path: "/scores/weeks?" + q.Encode(), token: m.User.token}, &weeks)
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	for i, prob := range probs {
		if prob.Is("no-scores") {
			d.Missing = true
			break
		}
		if prob != nil {
			return problemErr(nil, prob)
		}
		d.Levels = append(d.Levels, levels[i])
	}
	if d.Missing {
		d.Levels = nil
		return p.render(c, http.StatusOK, "planner-accuracy", &m.User, d)
	}
	for _, lv := range d.Levels {
		if lv.Level == "brand" {
			for _, s := range lv.Scores {
				d.Brands = append(d.Brands, s.Key)
			}
		}
	}
	switch prob := weeksProb; {
	case prob.Is("no-figures"):
		d.WeeksErr = langOf(c).T("p.acc.no_figures", d.Brand)
	case prob != nil:
		return problemErr(nil, prob)
	default:
		b, err := json.Marshal(weeks)
		if err != nil {
			return err
		}
		d.Weeks, d.Chart = &weeks, template.JS(b)
	}
	status := http.StatusOK
	return p.render(c, status, "planner-accuracy", &m.User, d)
}
