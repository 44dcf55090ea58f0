package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"github.com/ordercast/ordercast/ordering"
)

// The upstream pages (工商协同): the planner's supply–demand balance with the step to an allocation
// preview (/supply/balance), the manufacturer's portal (/maker) and logistics' delivery round
// (/rounds/{day}). Like every page they ask the API and show what it answered; the API scopes what a
// manufacturer sees to its own brands.

// registerSupply adds the upstream pages' routes with the pages' middleware.
func (p *Pages) registerSupply(e *echo.Echo, mw []echo.MiddlewareFunc) {
	e.GET("/supply/balance", p.balancePage, mw...)
	e.POST("/supply/balance/:brand/allocation", p.balanceAllocation, mw...)
	e.GET("/maker", p.makerPage, mw...)
	e.POST("/maker/arrivals", p.makerArrivals, mw...)
	e.GET("/rounds", p.roundToday, mw...)
	e.GET("/rounds/:day", p.roundPage, mw...)
	e.POST("/rounds/:day/delivery", p.roundDelivery, mw...)
	e.POST("/rounds/:day/return", p.roundReturn, mw...)
}

// balanceWeeks is how many weeks the balance pages and the manufacturer's demand plan project, unless
// ?weeks= says otherwise: the API's default, the weeks serve's weekly forecast covers, so that a
// planner and a manufacturer see the Spring Festival's build-up as soon as the forecast does.
const balanceWeeks = ordering.DefaultBalanceWeeks

// limitsJSON is a brand's stock limits as the API answers them.
type limitsJSON struct {
	Lower int    `json:"lower"`
	Upper int    `json:"upper"`
	Basis string `json:"basis"`
}

// balancesJSON is the answer of GET /api/v1/balance.
type balancesJSON struct {
	From        string        `json:"from"`
	Weeks       int           `json:"weeks"`
	ForecastRun string        `json:"forecast_run"`
	Brands      []balanceJSON `json:"brands"`
}

type balanceJSON struct {
	Brand        string        `json:"brand"`
	Name         string        `json:"name"`
	Stock        int           `json:"stock"`
	WeeklySales  float64       `json:"weekly_sales"`
	StockToSales *float64      `json:"stock_to_sales"`
	Limits       *limitsJSON   `json:"limits"`
	Proposal     *proposalJSON `json:"scarce_proposal"`
	Weeks        []weekJSON    `json:"weeks"`
}

// Label is the brand as headings name it: its code and name, or the code alone without one.
func (b balanceJSON) Label() string {
	if b.Name == "" {
		return b.Brand
	}
	return b.Brand + " " + b.Name
}

type proposalJSON struct {
	Cycle     string  `json:"cycle"`
	Supply    int     `json:"supply"`
	Demand    float64 `json:"demand"`
	Shortfall float64 `json:"shortfall"`
}

type weekJSON struct {
	Week     string `json:"week"`
	Forecast *struct {
		Point float64 `json:"point"`
		Lo80  float64 `json:"lo80"`
		Hi80  float64 `json:"hi80"`
	} `json:"forecast"`
	Requested   int      `json:"requested"`
	Delivered   int      `json:"delivered"`
	Arrivals    int      `json:"arrivals"`
	Demand      float64  `json:"demand"`
	Opening     float64  `json:"opening"`
	Projected   float64  `json:"projected"`
	Shortfall   float64  `json:"shortfall"`
	Surplus     float64  `json:"surplus"`
	DaysOfCover *float64 `json:"days_of_cover"`
	Warnings    []string `json:"warnings"`
}

// previewJSON is the answer of POST /api/v1/balance/{brand}/allocation.
type previewJSON struct {
	Proposal   proposalJSON `json:"scarce_proposal"`
	Allocation struct {
		ID       string   `json:"id"`
		Cycle    string   `json:"cycle"`
		Brand    string   `json:"brand"`
		Mode     string   `json:"mode"`
		Warnings []string `json:"warnings"`
		// WarningParts is each warning as a code with its parameters, for the page's language.
		WarningParts []ExplanationPart `json:"warning_parts"`
		Supply       int               `json:"supply"`
		Allocated    int               `json:"allocated"`
		Eligible     int               `json:"eligible_outlets"`
		Covered      int               `json:"covered_outlets"`
		Coverage     float64           `json:"coverage"`
		FillRate     float64           `json:"fill_rate"`
		Gini         float64           `json:"gini"`
		LimitsTotal  int               `json:"limits_total"`
		Limits       []struct {
			Outlet           string            `json:"outlet"`
			Cartons          int               `json:"cartons"`
			Explanation      string            `json:"explanation"`
			ExplanationParts []ExplanationPart `json:"explanation_parts"`
		} `json:"limits"`
	} `json:"allocation"`
}

// warningRow is one brand's warnings over the weeks of the balance, for the list read first.
type warningRow struct {
	Brand  string
	Name   string
	First  string   // the first week with a warning
	Weeks  int      // how many weeks have one
	Kinds  []string // the kinds of warning, each once, in the order met
	Lowest float64  // the lowest projected stock of those weeks
}

// short reports whether the brand falls short in some week.
func (w warningRow) short() bool { return slices.Contains(w.Kinds, "shortfall") }

// warningsOf lists the brands with warnings: shortfalls first, then the other warnings, each by the
// first week warned and the brand.
func warningsOf(brands []balanceJSON) []warningRow {
	var rows []warningRow
	for _, b := range brands {
		row := warningRow{Brand: b.Brand, Name: b.Name}
		for _, w := range b.Weeks {
			if len(w.Warnings) == 0 {
				continue
			}
			if row.Weeks == 0 || w.Projected < row.Lowest {
				row.Lowest = w.Projected
			}
			if row.Weeks == 0 {
				row.First = w.Week
			}
			row.Weeks++
			for _, k := range w.Warnings {
				if !slices.Contains(row.Kinds, k) {
					row.Kinds = append(row.Kinds, k)
				}
			}
		}
		if row.Weeks > 0 {
			rows = append(rows, row)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.short() != b.short() {
			return a.short()
		}
		if a.First != b.First {
			return a.First < b.First
		}
		return a.Brand < b.Brand
	})
	return rows
}

// stockChart is what a chart of projected stock against the limits draws (static/supply.js).
type stockChart struct {
	Weeks     []string  `json:"weeks"`
	Projected []float64 `json:"projected"`
	Demand    []float64 `json:"demand"`
	Lower     *int      `json:"lower,omitempty"`
	Upper     *int      `json:"upper,omitempty"`
	Labels    []string  `json:"labels"` // projected, demand, lower, upper in the page's language
}

// balanceData is the planner's balance page.
type balanceData struct {
	Weeks       int
	From        string
	ForecastRun string
	Warnings    []warningRow
	Brands      []balanceJSON // warned brands first
	Selected    *balanceJSON
	Chart       *stockChart
	Preview     *previewJSON
	Key         string // the allocation form's Idempotency-Key
	Mode        string
	Error       string
}

// Label is brand's label among the balance's brands (Label), its code alone when it is not one.
func (d balanceData) Label(brand string) string {
	if i := slices.IndexFunc(d.Brands, func(b balanceJSON) bool { return b.Brand == brand }); i >= 0 {
		return d.Brands[i].Label()
	}
	return brand
}

// weeksParam reads ?weeks= (1 to 26), else balanceWeeks.
func weeksParam(c echo.Context) int {
	if n, err := strconv.Atoi(c.QueryParam("weeks")); err == nil && n >= 1 && n <= 26 {
		return n
	}
	return balanceWeeks
}

func (p *Pages) balancePage(c echo.Context) error {
	m, ok, err := p.roleSession(c, "planner", "admin")
	if !ok {
		return err
	}
	d, err := p.balanceData(c, m, weeksParam(c), c.QueryParam("brand"))
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "supply_balance", &m.User, d)
}

// balanceData asks the API for every brand's balance over weeks and picks the brand to show in detail:
// selected, else the first with a warning.
func (p *Pages) balanceData(c echo.Context, m me, weeks int, selected string) (balanceData, error) {
	var bs balancesJSON
	if _, prob, err := p.api(c, call{method: "GET", path: "/balance?weeks=" + strconv.Itoa(weeks), token: m.User.token}, &bs); err != nil || prob != nil {
		return balanceData{}, problemErr(err, prob)
	}
	key, err := newKey()
	if err != nil {
		return balanceData{}, err
	}
	d := balanceData{Weeks: weeks, From: bs.From, ForecastRun: bs.ForecastRun, Key: key, Mode: "grade"}
	d.Warnings = warningsOf(bs.Brands)
	first := map[string]int{} // a warned brand's place in the warnings
	for i, w := range d.Warnings {
		first[w.Brand] = i + 1
	}
	d.Brands = bs.Brands
	// The brands in the warnings' order, then the others in the balance's.
	rank := func(b balanceJSON) int {
		if n, ok := first[b.Brand]; ok {
			return n
		}
		return len(first) + 1
	}
	sort.SliceStable(d.Brands, func(i, j int) bool { return rank(d.Brands[i]) < rank(d.Brands[j]) })
	for i, b := range d.Brands {
		if b.Brand == selected || (selected == "" && i == 0) {
			d.Selected = &d.Brands[i]
		}
	}
	if d.Selected != nil {
		d.Chart = chartOf(langOf(c), *d.Selected)
	}
	return d, nil
}

func chartOf(l Lang, b balanceJSON) *stockChart {
	ch := &stockChart{Labels: []string{l.T("sp.projected"), l.T("sp.demand"), l.T("sp.lower"), l.T("sp.upper")}}
	for _, w := range b.Weeks {
		ch.Weeks = append(ch.Weeks, w.Week)
		ch.Projected = append(ch.Projected, w.Projected)
		ch.Demand = append(ch.Demand, w.Demand)
	}
	if b.Limits != nil {
		ch.Lower, ch.Upper = &b.Limits.Lower, &b.Limits.Upper
	}
	return ch
}

// balanceAllocation is the planner's step from a shortfall to the allocation preview with the supply
// the balance proposes (POST /api/v1/balance/{brand}/allocation); the preview is shown on the page.
func (p *Pages) balanceAllocation(c echo.Context) error {
	m, ok, err := p.roleSession(c, "planner", "admin")
	if !ok {
		return err
	}
	brand := c.Param("brand")
	weeks, _ := strconv.Atoi(c.FormValue("weeks"))
	if weeks < 1 || weeks > 26 {
		weeks = balanceWeeks
	}
	mode := c.FormValue("mode")
	var prev previewJSON
	prob, err := p.callRetry(c, call{method: "POST", path: "/balance/" + url.PathEscape(brand) + "/allocation", token: m.User.token,
		body:   map[string]any{"weeks": weeks, "mode": mode, "from": c.FormValue("from")},
		header: map[string]string{"Idempotency-Key": c.FormValue("key")}}, &prev)
	if err != nil {
		return err
	}
	d, err := p.balanceData(c, m, weeks, brand)
	if err != nil {
		return err
	}
	d.Mode = mode
	if prob == nil {
		d.Preview = &prev
		return p.render(c, http.StatusOK, "supply_balance", &m.User, d)
	}
	l := langOf(c)
	switch {
	case prob.Is("no-shortfall"):
		d.Error = l.T("sp.err.no_shortfall", brand)
	case prob.Is("no-forecast"):
		d.Error = l.T("sp.err.no_forecast", brand)
	default:
		d.Error = l.T("sp.err.api", problemText(prob))
	}
	return p.render(c, prob.Status, "supply_balance", &m.User, d)
}

// callRetry is api for a POST with an Idempotency-Key: while another attempt with the key is still
// running (a double click's first request) it waits and asks again, so both answer alike.
func (p *Pages) callRetry(c echo.Context, k call, out any) (*apiProblem, error) {
	for i := 0; ; i++ {
		_, prob, err := p.api(c, k, out)
		if err != nil || !prob.Is("idempotency-in-flight") || i == 20 {
			return prob, err
		}
		select {
		case <-c.Request().Context().Done():
			return nil, c.Request().Context().Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// problemText is an API problem's detail with its field errors.
func problemText(prob *apiProblem) string {
	s := prob.Detail
	for _, f := range prob.Errors {
		s += " " + f.Field + ": " + f.Detail
	}
	return strings.TrimSpace(s)
}

// stockRow is one of the manufacturer's brands on its page.
type stockRow struct {
	Brand        string      `json:"brand"`
	Name         string      `json:"name"`
	Manufacturer string      `json:"manufacturer"`
	Cartons      int         `json:"cartons"`
	Limits       *limitsJSON `json:"limits"`
}

type arrivalRow struct {
	ID        int64  `json:"id"`
	Brand     string `json:"brand"`
	ArrivesOn string `json:"arrives_on"`
	Cartons   int    `json:"cartons"`
	Received  int    `json:"received"`
	Cadence   string `json:"cadence"`
}

type outcomeRow struct {
	Cycle     string  `json:"cycle"`
	Brand     string  `json:"brand"`
	Supply    int     `json:"supply_cartons"`
	Limits    int     `json:"limits"`
	Requested int     `json:"requested_cartons"`
	Granted   int     `json:"granted_cartons"`
	FillRate  float64 `json:"fill_rate"`
	Eligible  int     `json:"eligible_outlets"`
	Covered   int     `json:"covered_outlets"`
	Coverage  float64 `json:"coverage"`
}

// salesChart is sales by area or outlet format over the weeks read, for static/supply.js.
type salesChart struct {
	Groups    []string  `json:"groups"`
	Delivered []float64 `json:"delivered"`
	Requested []float64 `json:"requested"`
	Labels    []string  `json:"labels"`
}

// makerData is the manufacturer's page.
type makerData struct {
	Manufacturer string
	Stock        []stockRow
	Balance      balancesJSON
	Warnings     []warningRow
	By           string // area or format
	SalesFrom    string
	SalesTo      string
	Sales        salesChart
	Outcomes     []outcomeRow
	Plans        []arrivalRow
	Key          string
	Today        string
	Notice       string
	Error        string
	Form         arrivalForm
}

type arrivalForm struct {
	Brand, ArrivesOn, Cartons, Cadence string
}

func (p *Pages) makerPage(c echo.Context) error {
	m, ok, err := p.roleSession(c, "manufacturer")
	if !ok {
		return err
	}
	d, err := p.makerData(c, m, c.QueryParam("by"))
	if err != nil {
		return err
	}
	if c.QueryParam("done") == "arrival" {
		d.Notice = "mk.submitted"
	}
	return p.render(c, http.StatusOK, "supply_maker", &m.User, d)
}

// makerData asks the API for the manufacturer's stock, balance, sales, allocation outcomes and
// arrival plans: the API answers only with its own brands.
func (p *Pages) makerData(c echo.Context, m me, by string) (makerData, error) {
	if by != "format" {
		by = "area"
	}
	key, err := newKey()
	if err != nil {
		return makerData{}, err
	}
	today := p.now().Format(time.DateOnly)
	d := makerData{By: by, Key: key, Today: today, Form: arrivalForm{ArrivesOn: today, Cadence: "weekly"}}
	get := func(path string, out any) error {
		if _, prob, err := p.api(c, call{method: "GET", path: path, token: m.User.token}, out); err != nil || prob != nil {
			return problemErr(err, prob)
		}
		return nil
	}
	var stock struct {
		Stock []stockRow `json:"stock"`
	}
	var sales struct {
		From string `json:"from"`
		To   string `json:"to"`
		Rows []struct {
			Group     string  `json:"group"`
			Delivered float64 `json:"delivered"`
			Requested float64 `json:"requested"`
		} `json:"rows"`
	}
	var outcomes struct {
		Outcomes []outcomeRow `json:"outcomes"`
	}
	var plans struct {
		Plans []arrivalRow `json:"plans"`
	}
	// The five reads at once: the page waits for the slowest, not their sum.
	var g errgroup.Group
	for _, r := range []struct {
		path string
		out  any
	}{
		{"/warehouse/stock", &stock},
		{"/balance?weeks=" + strconv.Itoa(balanceWeeks), &d.Balance},
		{"/portal/sales?by=" + by + "&weeks=12", &sales},
		{"/portal/allocations", &outcomes},
		{"/arrival-plans", &plans},
	} {
		g.Go(func() error { return get(r.path, r.out) })
	}
	if err := g.Wait(); err != nil {
		return d, err
	}
	d.Stock, d.Outcomes, d.Plans = stock.Stock, outcomes.Outcomes, plans.Plans
	if len(d.Stock) > 0 {
		d.Manufacturer = d.Stock[0].Manufacturer
	}
	d.Warnings = warningsOf(d.Balance.Brands)
	// Sales summed over the weeks per group, largest first.
	d.SalesFrom, d.SalesTo = sales.From, sales.To
	idx := map[string]int{}
	for _, r := range sales.Rows {
		i, ok := idx[r.Group]
		if !ok {
			i = len(d.Sales.Groups)
			idx[r.Group] = i
			d.Sales.Groups = append(d.Sales.Groups, r.Group)
			d.Sales.Delivered = append(d.Sales.Delivered, 0)
			d.Sales.Requested = append(d.Sales.Requested, 0)
		}
		d.Sales.Delivered[i] += r.Delivered
		d.Sales.Requested[i] += r.Requested
	}
	order := make([]int, len(d.Sales.Groups))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return d.Sales.Delivered[order[a]] > d.Sales.Delivered[order[b]] })
	sorted := salesChart{Labels: []string{langOf(c).T("mk.delivered"), langOf(c).T("mk.requested")}}
	for _, i := range order {
		sorted.Groups = append(sorted.Groups, d.Sales.Groups[i])
		sorted.Delivered = append(sorted.Delivered, d.Sales.Delivered[i])
		sorted.Requested = append(sorted.Requested, d.Sales.Requested[i])
	}
	d.Sales = sorted
	return d, nil
}

// makerArrivals submits one planned arrival through POST /api/v1/arrival-plans with the form's
// Idempotency-Key.
func (p *Pages) makerArrivals(c echo.Context) error {
	m, ok, err := p.roleSession(c, "manufacturer")
	if !ok {
		return err
	}
	f := arrivalForm{Brand: strings.TrimSpace(c.FormValue("brand")), ArrivesOn: strings.TrimSpace(c.FormValue("arrives_on")),
		Cartons: strings.TrimSpace(c.FormValue("cartons")), Cadence: c.FormValue("cadence")}
	l := langOf(c)
	cartons, convErr := strconv.Atoi(f.Cartons)
	var prob *apiProblem
	if convErr == nil {
		line := map[string]any{"brand": f.Brand, "arrives_on": f.ArrivesOn, "cartons": cartons}
		prob, err = p.callRetry(c, call{method: "POST", path: "/arrival-plans", token: m.User.token,
			body:   map[string]any{"cadence": f.Cadence, "lines": []any{line}},
			header: map[string]string{"Idempotency-Key": c.FormValue("key")}}, nil)
		if err != nil {
			return err
		}
		if prob == nil {
			return c.Redirect(http.StatusSeeOther, "/maker?done=arrival")
		}
	}
	d, err := p.makerData(c, m, "")
	if err != nil {
		return err
	}
	d.Form = f
	status := http.StatusUnprocessableEntity
	switch {
	case convErr != nil:
		d.Error = l.T("mk.err.cartons")
	case prob.Is("not-found"):
		d.Error, status = l.T("mk.err.brand", f.Brand), prob.Status
	default:
		d.Error, status = l.T("sp.err.api", problemText(prob)), prob.Status
	}
	return p.render(c, status, "supply_maker", &m.User, d)
}

// roundJSON is the answer of GET /api/v1/rounds/{day}.
type roundJSON struct {
	Day       string          `json:"day"`
	Routes    []routeJSON     `json:"routes"`
	Totals    []pickLine      `json:"totals"`
	Delivered []routeDelivery `json:"delivered"`
}

// routeDelivery is how many orders of the day a route has delivered.
type routeDelivery struct {
	Route  string `json:"route"`
	Orders int    `json:"orders"`
}

type routeJSON struct {
	Route string     `json:"route"`
	Stops []stopJSON `json:"stops"`
}

type stopJSON struct {
	Order   int64      `json:"order"`
	Outlet  int64      `json:"outlet"`
	Licence string     `json:"licence"`
	Name    string     `json:"name"`
	Address string     `json:"address"`
	Lines   []pickLine `json:"lines"`
}

type pickLine struct {
	Brand   string `json:"brand"`
	Name    string `json:"name"`
	Cartons int    `json:"cartons"`
}

// roundData is logistics' round page. Delivered is the stop just delivered, offered a return of
// damaged goods (a delivered order leaves the round, which lists the paid ones).
type roundData struct {
	Round     roundJSON // the day's, or with Route only that route's, with its totals
	Day       string
	Prev      string
	Next      string
	Stops     int
	Done      int         // orders of the day delivered already (of Route when set)
	Route     string      // the route shown alone (?route=, or the forms' route); "" for all
	Routes    []routeLink // every route of the day, to show one alone, with stops left or not
	Key       string
	Delivered *stopJSON
	Notice    string
	Did       string // what the notice says was done: delivered, returned
	Error     string
}

// Total is how many orders the day has (on Route when set): delivered, and left to deliver.
func (d roundData) Total() int { return d.Done + d.Stops }

// Progress is the share of the day's orders (of Route when set) delivered, in percent.
func (d roundData) Progress() int {
	if d.Total() == 0 {
		return 0
	}
	return 100 * d.Done / d.Total()
}

// routeLink is a route of the day's round with its number of stops left and of orders delivered.
type routeLink struct {
	Route string
	Stops int
	Done  int
}

// Query is the query string that keeps the route shown alone in a link ("" for all of them).
func (d roundData) Query() string {
	if d.Route == "" {
		return ""
	}
	return "?route=" + url.QueryEscape(d.Route)
}

// errNoDay is a round asked for a day that is not a date (YYYY-MM-DD).
var errNoDay = echo.NewHTTPError(http.StatusNotFound, "web: a round's day is a date, YYYY-MM-DD")

func (p *Pages) roundToday(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/rounds/"+p.now().Format(time.DateOnly))
}

func (p *Pages) roundPage(c echo.Context) error {
	m, ok, err := p.roleSession(c, "logistics", "admin", "planner")
	if !ok {
		return err
	}
	d, err := p.roundData(c, m)
	if errors.Is(err, errNoDay) {
		return p.roundToday(c)
	}
	if err != nil {
		return err
	}
	if c.QueryParam("done") == "returned" {
		d.Notice, d.Did = langOf(c).T("rd.returned", c.QueryParam("order"), c.QueryParam("refund")), "returned"
	}
	return p.render(c, http.StatusOK, "supply_round", &m.User, d)
}

// roundData asks the API for the day's pick list; a day that is not one goes to today's round.
func (p *Pages) roundData(c echo.Context, m me) (roundData, error) {
	day, err := time.Parse(time.DateOnly, c.Param("day"))
	if err != nil {
		return roundData{}, errNoDay
	}
	var r roundJSON
	if _, prob, err := p.api(c, call{method: "GET", path: "/rounds/" + day.Format(time.DateOnly), token: m.User.token}, &r); err != nil || prob != nil {
		return roundData{}, problemErr(err, prob)
	}
	key, err := newKey()
	if err != nil {
		return roundData{}, err
	}
	d := roundData{Round: r, Day: r.Day, Prev: day.AddDate(0, 0, -1).Format(time.DateOnly), Next: day.AddDate(0, 0, 1).Format(time.DateOnly), Key: key}
	links := map[string]*routeLink{}
	link := func(route string) *routeLink {
		if l := links[route]; l != nil {
			return l
		}
		links[route] = &routeLink{Route: route}
		return links[route]
	}
	for _, rt := range r.Routes {
		d.Stops += len(rt.Stops)
		link(rt.Route).Stops = len(rt.Stops)
	}
	for _, dl := range r.Delivered {
		d.Done += dl.Orders
		link(dl.Route).Done = dl.Orders
	}
	for _, l := range links {
		d.Routes = append(d.Routes, *l)
	}
	slices.SortFunc(d.Routes, func(a, b routeLink) int { return strings.Compare(a.Route, b.Route) })
	if route := c.FormValue("route"); route != "" { // the query's, or a form's
		d.showRoute(route)
	}
	return d, nil
}

// showRoute narrows the round to one route, a driver's: its stops, and the totals it loads. A route
// without a stop left on the day's round (all delivered) shows none.
func (d *roundData) showRoute(route string) {
	d.Route = route
	d.Done = 0
	for _, dl := range d.Round.Delivered {
		if dl.Route == route {
			d.Done = dl.Orders
		}
	}
	i := slices.IndexFunc(d.Round.Routes, func(r routeJSON) bool { return r.Route == route })
	if i < 0 {
		d.Round.Routes, d.Round.Totals, d.Stops = nil, nil, 0
		return
	}
	d.Round.Routes = d.Round.Routes[i : i+1]
	d.Stops = len(d.Round.Routes[0].Stops)
	at := map[string]int{} // brand → index into the totals
	d.Round.Totals = nil
	for _, s := range d.Round.Routes[0].Stops {
		for _, l := range s.Lines {
			if k, ok := at[l.Brand]; ok {
				d.Round.Totals[k].Cartons += l.Cartons
				continue
			}
			at[l.Brand] = len(d.Round.Totals)
			d.Round.Totals = append(d.Round.Totals, l)
		}
	}
	slices.SortFunc(d.Round.Totals, func(a, b pickLine) int { return strings.Compare(a.Brand, b.Brand) })
}

// stopOf finds an order's stop on the round.
func (d roundData) stopOf(order int64) *stopJSON {
	for _, rt := range d.Round.Routes {
		for i, s := range rt.Stops {
			if s.Order == order {
				return &rt.Stops[i]
			}
		}
	}
	return nil
}

// roundDelivery records that a stop's order arrived as granted (POST /api/v1/orders/{order}/delivery,
// with the form's Idempotency-Key) and shows the round with that stop's return form.
func (p *Pages) roundDelivery(c echo.Context) error {
	m, ok, err := p.roleSession(c, "logistics", "admin")
	if !ok {
		return err
	}
	d, err := p.roundData(c, m)
	if err != nil {
		return err
	}
	order, _ := strconv.ParseInt(c.FormValue("order"), 10, 64)
	stop := d.stopOf(order)
	l := langOf(c)
	if stop == nil {
		d.Error = l.T("rd.err.not_on_round", c.FormValue("order"))
		return p.render(c, http.StatusNotFound, "supply_round", &m.User, d)
	}
	prob, err := p.callRetry(c, call{method: "POST", path: fmt.Sprintf("/orders/%d/delivery", order), token: m.User.token,
		header: map[string]string{"Idempotency-Key": c.FormValue("key")}}, nil)
	if err != nil {
		return err
	}
	if prob != nil {
		d.Error = l.T("sp.err.api", problemText(prob))
		return p.render(c, prob.Status, "supply_round", &m.User, d)
	}
	if d, err = p.roundData(c, m); err != nil {
		return err
	}
	d.Delivered = stop
	d.Notice, d.Did = l.T("rd.delivered", stop.Order, stop.Name), "delivered"
	return p.render(c, http.StatusOK, "supply_round", &m.User, d)
}

// roundReturn records damaged cartons an outlet gave back from a delivered order (POST
// /api/v1/orders/{order}/returns): refunded and back into stock.
func (p *Pages) roundReturn(c echo.Context) error {
	m, ok, err := p.roleSession(c, "logistics", "admin")
	if !ok {
		return err
	}
	order, _ := strconv.ParseInt(c.FormValue("order"), 10, 64)
	cartons, convErr := strconv.Atoi(strings.TrimSpace(c.FormValue("cartons")))
	l := langOf(c)
	var prob *apiProblem
	if convErr == nil {
		var out struct {
			RefundCents int64 `json:"refund_cents"`
		}
		line := map[string]any{"brand": c.FormValue("brand"), "cartons": cartons, "reason": strings.TrimSpace(c.FormValue("reason"))}
		prob, err = p.callRetry(c, call{method: "POST", path: fmt.Sprintf("/orders/%d/returns", order), token: m.User.token,
			body: map[string]any{"lines": []any{line}}, header: map[string]string{"Idempotency-Key": c.FormValue("key")}}, &out)
		if err != nil {
			return err
		}
		if prob == nil {
			return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/rounds/%s?done=returned&order=%d&refund=%s&route=%s",
				url.PathEscape(c.Param("day")), order, url.QueryEscape(money(out.RefundCents)), url.QueryEscape(c.FormValue("route"))))
		}
	}
	d, err := p.roundData(c, m)
	if err != nil {
		return err
	}
	// The form again, with the lines it offered.
	stop := &stopJSON{Order: order, Name: c.FormValue("name")}
	for _, b := range c.Request().Form["line"] {
		code, name, _ := strings.Cut(b, "|")
		stop.Lines = append(stop.Lines, pickLine{Brand: code, Name: name})
	}
	d.Delivered = stop
	status := http.StatusUnprocessableEntity
	if convErr != nil {
		d.Error = l.T("rd.err.cartons")
	} else {
		d.Error, status = l.T("sp.err.api", problemText(prob)), prob.Status
	}
	return p.render(c, status, "supply_round", &m.User, d)
}

// STS is the brand's stock-to-sales ratio to show, "" when not known.
func (b balanceJSON) STS() string { return decimal(b.StockToSales) }

// Cover is the week's days of cover to show, "" when not known.
func (w weekJSON) Cover() string { return decimal(w.DaysOfCover) }

// CoveragePct and FillPct are the preview's coverage and fill rate as percentages.
func (p previewJSON) CoveragePct() string { return percent(p.Allocation.Coverage) }

func (p previewJSON) FillPct() string { return percent(p.Allocation.FillRate) }

func decimal(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', 1, 64)
}

func percent(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

// FillPct and CoveragePct are an allocation outcome's fill rate and coverage as percentages.
func (o outcomeRow) FillPct() string { return percent(o.FillRate) }

func (o outcomeRow) CoveragePct() string { return percent(o.Coverage) }
