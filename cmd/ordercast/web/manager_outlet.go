package web

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"
)

// outletWeeksJSON is the answer of GET /api/v1/outlets/{id}/weeks.
type outletWeeksJSON struct {
	Outlet      string  `json:"outlet"`
	Brand       *string `json:"brand"`
	ForecastRun *string `json:"forecast_run"`
	Weeks       []struct {
		Week      string   `json:"week"`
		Requested float64  `json:"requested"`
		Granted   float64  `json:"granted"`
		Delivered float64  `json:"delivered"`
		Stock     *float64 `json:"stock"`
		SellOut   *float64 `json:"sell_out"`
		Forecast  *struct {
			Point float64 `json:"point"`
			Lo80  float64 `json:"lo80"`
			Hi80  float64 `json:"hi80"`
		} `json:"forecast"`
	} `json:"weeks"`
}

// outletData is the /manager/outlets/{id} page's data: one outlet on one chart.
type outletData struct {
	Outlet    outletJSON
	Brand     string // the brand charted, "" for the outlet's total
	BrandName string
	AllHref   string // the page of the outlet's total
	Run       string // the forecast run, "" when none
	Cycle     string // the cycle the outlet orders in now
	Next      int    // suggested cartons for this cycle
	Weeks     []weekView
	Brands    []brandView
	Chart     chartJSON
}

// weekView is one week of the outlet, formatted for the table.
type weekView struct {
	Week                          string
	Requested, Granted, Delivered string
	Forecast, Interval            string // "—" when the run has none
	Stock, SellOut                string // "—" when nothing was scanned
}

// brandView is one brand of the catalogue with what the outlet has of it.
type brandView struct {
	Name, Brand, Href string
	Stock             string // "" when not known
	Suggested         int
	Limit             *int
	Scarce, Charted   bool
	Awaiting          bool // a scarce brand whose supply for the cycle is not published yet
}

func (p *Pages) outletPage(c echo.Context) error {
	m, err := p.managerSession(c)
	if err != nil {
		return pageErr(c, err)
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return p.render(c, http.StatusNotFound, "error", &m.User, errorData{Key: "mg.no_outlet"})
	}
	base := "/outlets/" + strconv.FormatInt(id, 10)
	// The outlet, its catalogue and its weeks at once; the weeks of a brand the catalogue does not
	// hold are asked again for the outlet's total.
	var (
		d          outletData
		cat        catalogueJSON
		ws         outletWeeksJSON
		outletProb *apiProblem
		catProb    *apiProblem
		weeksProb  *apiProblem
		brand      = c.QueryParam("brand")
		weeksOf    = func(brand string) string {
			q := url.Values{"weeks": {"12"}}
			if brand != "" {
				q.Set("brand", brand)
			}
			return base + "/weeks?" + q.Encode()
		}
	)
	var g errgroup.Group
	g.Go(func() (err error) {
		_, outletProb, err = p.api(c, call{method: "GET", path: base, token: m.User.token}, &d.Outlet)
		return err
	})
	g.Go(func() (err error) {
		_, catProb, err = p.api(c, call{method: "GET", path: base + "/catalogue", token: m.User.token}, &cat)
		return err
	})
	g.Go(func() (err error) {
		_, weeksProb, err = p.api(c, call{method: "GET", path: weeksOf(brand), token: m.User.token}, &ws)
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	if outletProb != nil {
		if outletProb.Status == http.StatusNotFound || outletProb.Status == http.StatusForbidden {
			return p.render(c, http.StatusNotFound, "error", &m.User, errorData{Key: "mg.no_outlet"})
		}
		return problemErr(nil, outletProb)
	}
	if catProb != nil {
		return problemErr(nil, catProb)
	}
	names := map[string]string{}
	for _, l := range cat.Lines {
		names[l.Brand] = l.Name
	}
	if brand != "" && names[brand] == "" {
		brand, ws = "", outletWeeksJSON{}
		_, weeksProb, err = p.api(c, call{method: "GET", path: weeksOf(""), token: m.User.token}, &ws)
		if err != nil {
			return err
		}
	}
	if weeksProb != nil {
		return problemErr(nil, weeksProb)
	}
	d.Brand, d.BrandName = brand, names[brand]
	if ws.ForecastRun != nil {
		d.Run = *ws.ForecastRun
	}
	d.Cycle, d.AllHref = cat.Cycle, c.Request().URL.Path
	for _, l := range cat.Lines {
		b := brandView{Name: l.Name, Brand: l.Brand, Suggested: l.Suggested, Limit: l.Limit, Scarce: l.Scarce,
			Awaiting: l.AwaitingSupply, Charted: l.Brand == d.Brand,
			Href: c.Request().URL.Path + "?" + url.Values{"brand": {l.Brand}}.Encode()}
		if l.StockOnHand != nil {
			b.Stock = strconv.FormatFloat(*l.StockOnHand, 'f', -1, 64)
		}
		if d.Brand == "" || d.Brand == l.Brand {
			d.Next += l.Suggested
		}
		d.Brands = append(d.Brands, b)
	}
	l := langOf(c)
	for _, w := range ws.Weeks {
		v := weekView{Week: w.Week, Requested: cartons(&w.Requested), Granted: cartons(&w.Granted), Delivered: cartons(&w.Delivered),
			Forecast: "—", Interval: "—", Stock: orDash(cartons(w.Stock)), SellOut: orDash(cartons(w.SellOut))}
		if f := w.Forecast; f != nil {
			v.Forecast, v.Interval = cartons(&f.Point), l.T("mg.o.range", cartons(&f.Lo80), cartons(&f.Hi80))
		}
		d.Weeks = append(d.Weeks, v)
	}
	js, err := json.Marshal(outletChart(l, ws, p.now()))
	if err != nil {
		return err
	}
	d.Chart = chartJSON(js)
	return p.render(c, http.StatusOK, "manager_outlet", &m.User, d)
}

// cartons formats a quantity of cartons with at most one decimal; "" for none.
func cartons(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*tenth(v), 'f', -1, 64)
}

// tenth rounds cartons to a tenth; nil stays nil.
func tenth(v *float64) *float64 {
	if v == nil {
		return nil
	}
	r := math.Round(*v*10) / 10
	return &r
}

// outletChart is the drill-down chart's data for static/manager.js: per week the cartons requested,
// granted and delivered (none drawn for the weeks after now's), the forecast with its 80% interval,
// and the stock and sell-out scanned.
func outletChart(l Lang, ws outletWeeksJSON, now time.Time) any {
	today := now.Format(time.DateOnly)
	n := len(ws.Weeks)
	weeks := make([]string, n)
	requested, granted, delivered := make([]*float64, n), make([]*float64, n), make([]*float64, n)
	point, lo, hi := make([]*float64, n), make([]*float64, n), make([]*float64, n)
	stock, sold := make([]*float64, n), make([]*float64, n)
	for i, w := range ws.Weeks {
		weeks[i] = w.Week
		if w.Week <= today {
			requested[i], granted[i], delivered[i] = tenth(&w.Requested), tenth(&w.Granted), tenth(&w.Delivered)
		}
		if f := w.Forecast; f != nil {
			point[i], lo[i], hi[i] = tenth(&f.Point), tenth(&f.Lo80), tenth(&f.Hi80)
		}
		stock[i], sold[i] = tenth(w.Stock), tenth(w.SellOut)
	}
	return map[string]any{
		"weeks": weeks, "cartons": l.T("mg.o.cartons"),
		"series": []map[string]any{
			{"name": l.T("mg.o.requested"), "kind": "bar", "data": requested},
			{"name": l.T("mg.o.granted"), "kind": "bar", "data": granted},
			{"name": l.T("mg.o.delivered"), "kind": "line", "data": delivered},
			{"name": l.T("mg.o.forecast"), "kind": "forecast", "data": point},
			{"name": l.T("mg.o.interval"), "kind": "low", "data": lo},
			{"name": l.T("mg.o.interval"), "kind": "high", "data": hi},
			{"name": l.T("mg.o.stock"), "kind": "line", "data": stock},
			{"name": l.T("mg.o.sell_out"), "kind": "line", "data": sold},
		},
	}
}
