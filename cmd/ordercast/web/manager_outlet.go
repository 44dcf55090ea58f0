package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"
)

// outletData is the /manager/outlets/{id} page's data: one outlet on one chart.
type outletData struct {
	Outlet outletJSON
	Cycle  string     // the cycle the outlet orders in now
	Weeks  []weekView // oldest first
	Brands []brandView
	Stock  string // cartons on hand by the latest scan, "" when not known
	Next   int    // suggested cartons for this cycle, from the forecast
	Chart  chartJSON
}

// weekView is one cycle of the outlet: what it asked for, what it got and what it paid.
type weekView struct {
	Cycle              string
	Requested, Granted int
	Sales              int64 // cents of its paid (or delivered) order
	Status             string
}

// brandView is one brand of the catalogue with what the outlet has of it.
type brandView struct {
	Name, Brand string
	Stock       string // "" when not known
	Suggested   int
	Limit       *int
	Scarce      bool
}

// outletWeeks is how many of the outlet's orders the chart shows.
const outletWeeks = 12

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
	var d outletData
	_, prob, err := p.api(c, call{method: "GET", path: base, token: m.User.token}, &d.Outlet)
	if err != nil {
		return err
	}
	if prob != nil {
		if prob.Status == http.StatusNotFound || prob.Status == http.StatusForbidden {
			return p.render(c, http.StatusNotFound, "error", &m.User, errorData{Key: "mg.no_outlet"})
		}
		return problemErr(nil, prob)
	}
	var page struct {
		Orders []order `json:"orders"`
	}
	if _, prob, err := p.api(c, call{method: "GET", path: base + "/orders?limit=" + strconv.Itoa(outletWeeks), token: m.User.token}, &page); err != nil || prob != nil {
		return problemErr(err, prob)
	}
	var cat catalogueJSON
	if _, prob, err := p.api(c, call{method: "GET", path: base + "/catalogue", token: m.User.token}, &cat); err != nil || prob != nil {
		return problemErr(err, prob)
	}
	d.Cycle = cat.Cycle
	d.Weeks = outletWeeksOf(page.Orders)
	var stock float64
	known := false
	for _, l := range cat.Lines {
		b := brandView{Name: l.Name, Brand: l.Brand, Suggested: l.Suggested, Limit: l.Limit, Scarce: l.Scarce}
		if l.StockOnHand != nil {
			b.Stock = strconv.FormatFloat(*l.StockOnHand, 'f', -1, 64)
			stock += *l.StockOnHand
			known = true
		}
		d.Next += l.Suggested
		if b.Stock != "" || b.Suggested > 0 || b.Limit != nil {
			d.Brands = append(d.Brands, b)
		}
	}
	if known {
		d.Stock = strconv.FormatFloat(stock, 'f', -1, 64)
	}
	js, err := json.Marshal(outletChart(langOf(c), d, known, stock))
	if err != nil {
		return err
	}
	d.Chart = chartJSON(js)
	return p.render(c, http.StatusOK, "manager_outlet", &m.User, d)
}

// outletWeeksOf sums each cycle's live order (or its failed one, when none stands), oldest first.
func outletWeeksOf(orders []order) []weekView {
	byCycle := map[string]weekView{}
	for _, o := range orders {
		if o.Status == "cancelled" {
			continue
		}
		w, seen := byCycle[o.Cycle]
		if seen && !o.live() {
			continue // a failed order beside one that stands
		}
		w = weekView{Cycle: o.Cycle, Status: o.Status}
		for _, l := range o.Lines {
			w.Requested += l.Requested
			w.Granted += l.Granted
		}
		if o.Status == "paid" || o.Status == "delivered" {
			w.Sales = o.TotalCents
		}
		byCycle[o.Cycle] = w
	}
	var weeks []weekView
	for _, w := range byCycle {
		weeks = append(weeks, w)
	}
	slices.SortFunc(weeks, func(a, b weekView) int {
		switch {
		case a.Cycle < b.Cycle:
			return -1
		case a.Cycle > b.Cycle:
			return 1
		}
		return 0
	})
	return weeks
}

// outletChart is the drill-down chart's data for static/manager.js: cartons requested and granted by
// cycle, the yuan paid, and this cycle's suggestion and stock on hand.
func outletChart(l Lang, d outletData, stockKnown bool, stock float64) any {
	var cycles []string
	var requested, granted []*float64
	var sales []*float64
	for _, w := range d.Weeks {
		cycles = append(cycles, w.Cycle)
		r, g := float64(w.Requested), float64(w.Granted)
		requested, granted = append(requested, &r), append(granted, &g)
		if w.Sales > 0 {
			y := float64(w.Sales) / 100
			sales = append(sales, &y)
		} else {
			sales = append(sales, nil)
		}
	}
	if !slices.Contains(cycles, d.Cycle) {
		cycles = append(cycles, d.Cycle)
		requested, granted, sales = append(requested, nil), append(granted, nil), append(sales, nil)
	}
	now := len(cycles) - 1
	suggested := make([]*float64, len(cycles))
	next := float64(d.Next)
	suggested[now] = &next
	onHand := make([]*float64, len(cycles))
	if stockKnown {
		onHand[now] = &stock
	}
	return map[string]any{
		"cycles":  cycles,
		"cartons": l.T("mg.o.cartons"), "yuan": l.T("mg.o.yuan"),
		"series": []map[string]any{
			{"name": l.T("mg.o.requested"), "kind": "bar", "data": requested},
			{"name": l.T("mg.o.granted"), "kind": "bar", "data": granted},
			{"name": l.T("mg.o.sales"), "kind": "line", "axis": 1, "data": sales},
			{"name": l.T("mg.o.suggested"), "kind": "point", "data": suggested},
			{"name": l.T("mg.o.stock"), "kind": "point", "data": onHand},
		},
	}
}
