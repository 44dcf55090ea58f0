package web

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/forecast"
)

// The planner's pages: the cycle (windows, supply plan, limits, orders by status, coverage and fill
// rate), the allocation of a scarce brand (preview, confirmation naming what it replaces, publication)
// and the monthly accuracy report. Planners and admins see them; other roles go back to the home page.

// registerPlanner adds the planner's routes with the pages' middleware.
func (p *Pages) registerPlanner(e *echo.Echo, mw []echo.MiddlewareFunc) {
	e.GET("/planner", p.plannerHome, mw...)
	e.GET("/planner/cycles/:week", p.cyclePage, mw...)
	e.GET("/planner/cycles/:week/allocation", p.allocationPage, mw...)
	e.GET("/planner/cycles/:week/allocation/confirm", p.allocationConfirm, mw...)
	e.POST("/planner/cycles/:week/allocation", p.allocationPublish, mw...)
	e.GET("/planner/cycles/:week/supply", p.cycleSupplyPage, mw...)
	e.POST("/planner/cycles/:week/supply", p.cycleSupplyPublish, mw...)
	e.GET("/planner/accuracy", p.accuracyPage, mw...)
}

// cycleMaxAge is how old (seconds) a cycle's view the planner's pages accept (GET /cycles/{week}
// ?max_age=): summing a province's cycle takes seconds, and the figures move little in half a minute.
// The planner's own publications show at once.
const cycleMaxAge = "30"

// plannerHome sends the planner to this week's cycle.
func (p *Pages) plannerHome(c echo.Context) error {
	if _, ok, err := p.roleSession(c, "planner", "admin"); !ok {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/planner/cycles/"+forecast.Monday(p.now()).Format(time.DateOnly))
}

// cycleJSON is the answer of GET /api/v1/cycles/{week}.
type cycleJSON struct {
	Week    string `json:"week"`
	Status  string `json:"status"`
	Windows []struct {
		OrderDay string    `json:"order_day"`
		OpensAt  time.Time `json:"opens_at"`
		ClosesAt time.Time `json:"closes_at"`
		CutOff   bool      `json:"cut_off"`
	} `json:"windows"`
	Supply []supplyJSON   `json:"supply"`
	Orders map[string]int `json:"orders"`
}

// supplyJSON is one brand of a cycle's supply plan.
type supplyJSON struct {
	Brand         string     `json:"brand"`
	Name          string     `json:"name"`
	OnSale        bool       `json:"on_sale"`
	Scarce        bool       `json:"scarce"`
	Awaiting      bool       `json:"awaiting_supply"`
	SupplyCartons *int       `json:"supply_cartons"`
	PerOutletCap  *int       `json:"per_outlet_cap"`
	PublishedAt   *time.Time `json:"published_at"`
	Allocation    string     `json:"allocation"` // the published allocation's id
	Limits        int        `json:"limits"`
	LimitCartons  int        `json:"limit_cartons"`
	UsedCartons   int        `json:"used_cartons"`
	Requested     int        `json:"requested_cartons"`
	Granted       int        `json:"granted_cartons"`
	FillRate      float64    `json:"fill_rate"`
	Eligible      int        `json:"eligible_outlets"`
	Covered       int        `json:"covered_outlets"`
	Coverage      float64    `json:"coverage"`
}

// opened reports whether one of the cycle's order windows has opened by now.
func (c cycleJSON) opened(now time.Time) bool {
	for _, w := range c.Windows {
		if !w.OpensAt.After(now) {
			return true
		}
	}
	return false
}

// awaitingSupply returns the brands of a supply plan awaiting their supply.
func awaitingSupply(plan []supplyJSON) []supplyJSON {
	var out []supplyJSON
	for _, s := range plan {
		if s.Awaiting {
			out = append(out, s)
		}
	}
	return out
}

// names names the brands of a supply plan: their names, or their codes where they have none.
func names(plan []supplyJSON) []string {
	out := make([]string, len(plan))
	for i, s := range plan {
		out[i] = cmp.Or(s.Name, s.Brand)
	}
	return out
}

// cycleOrder is an order of the cycle's list, with its outlet.
type cycleOrder struct {
	order
	OutletID int64 `json:"outlet_id"`
}

// statusCount is the number of a cycle's orders in one status.
type statusCount struct {
	Status string
	N      int
}

// cycleData is the cycle page's data.
type cycleData struct {
	Cycle     cycleJSON
	Prev      string
	Next      string
	Statuses  []statusCount
	Total     int
	Filter    string // the status the order list shows, "" for all
	Orders    []cycleOrder
	More      template.URL // the query of the next page of orders, "" on the last
	Notice    string       // already translated
	Requested int          // of the rationed brands
	Granted   int
	Awaiting  []supplyJSON // the scarce brands not on sale until their supply is published
	// NextAwaiting is the same of the next cycle, when some of its order windows are open.
	NextAwaiting []string

	figures
}

// orderStatuses are the statuses of an order, in the order of its life.
var orderStatuses = []string{"submitted", "confirmed", "paid", "delivered", "cancelled", "failed"}

// parseWeek checks the :week of a page's path (a date; the API says whether it is a cycle's Monday).
func parseWeek(c echo.Context) (time.Time, bool) {
	w, err := time.Parse(time.DateOnly, c.Param("week"))
	return w, err == nil
}

// plannerWeek is the planner's session and the week of the page's path; ok is false when the
// answer is already written (or err says why not): the login page, another role sent home, a path
// that names no week.
func (p *Pages) plannerWeek(c echo.Context) (m me, w time.Time, ok bool, err error) {
	if m, ok, err = p.roleSession(c, "planner", "admin"); !ok {
		return m, w, false, err
	}
	if w, ok = parseWeek(c); !ok {
		return m, w, false, p.noCycle(c, m)
	}
	return m, w, true, nil
}

// noCycle answers 404 with the page that says there is no such cycle.
func (p *Pages) noCycle(c echo.Context, m me) error {
	return p.render(c, http.StatusNotFound, "error", &m.User, errorData{Key: "p.no_cycle"})
}

// cyclePage shows a cycle: its windows, its supply plan with the limits, coverage and fill rate of
// each brand, its orders by status and a page of its orders.
func (p *Pages) cyclePage(c echo.Context) error {
	m, w, ok, err := p.plannerWeek(c)
	if !ok {
		return err
	}
	week := w.Format(time.DateOnly)
	d := cycleData{Prev: w.AddDate(0, 0, -7).Format(time.DateOnly), Next: w.AddDate(0, 0, 7).Format(time.DateOnly)}
	status, prob, err := p.api(c, call{method: "GET", path: "/cycles/" + week + "?max_age=" + cycleMaxAge, token: m.User.token}, &d.Cycle)
	if err != nil {
		return err
	}
	if status == http.StatusNotFound || (prob != nil && prob.Status == http.StatusBadRequest) {
		return p.noCycle(c, m)
	}
	if prob != nil {
		return problemErr(nil, prob)
	}
	for _, s := range orderStatuses {
		d.Statuses = append(d.Statuses, statusCount{s, d.Cycle.Orders[s]})
		d.Total += d.Cycle.Orders[s]
	}
	// The brands awaiting their supply first, then the rationed ones (with supply or limits), then
	// the rest, each by code.
	rank := func(s supplyJSON) int {
		switch {
		case s.Awaiting:
			return 0
		case s.SupplyCartons != nil || s.Limits > 0:
			return 1
		}
		return 2
	}
	sort.SliceStable(d.Cycle.Supply, func(i, j int) bool {
		a, b := d.Cycle.Supply[i], d.Cycle.Supply[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		return a.Brand < b.Brand
	})
	for _, s := range d.Cycle.Supply {
		if s.SupplyCartons != nil || s.Limits > 0 {
			d.Requested += s.Requested
			d.Granted += s.Granted
		}
	}
	d.Awaiting = awaitingSupply(d.Cycle.Supply)
	q := url.Values{"limit": {"50"}}
	if f := c.QueryParam("status"); f != "" {
		for _, s := range orderStatuses {
			if s == f {
				d.Filter = f
				q.Set("status", f)
			}
		}
	}
	if a := c.QueryParam("after"); a != "" {
		if _, err := strconv.ParseInt(a, 10, 64); err == nil {
			q.Set("after", a)
		}
	}
	var page struct {
		Orders []cycleOrder `json:"orders"`
		Next   string       `json:"next"`
	}
	if _, prob, err := p.api(c, call{method: "GET", path: "/cycles/" + week + "/orders?" + q.Encode(), token: m.User.token}, &page); err != nil || prob != nil {
		return problemErr(err, prob)
	}
	d.Orders = page.Orders
	if page.Next != "" && len(page.Orders) > 0 {
		more := url.Values{"after": {strconv.FormatInt(page.Orders[len(page.Orders)-1].ID, 10)}}
		if d.Filter != "" {
			more.Set("status", d.Filter)
		}
		d.More = template.URL(more.Encode())
	}
	if b := c.QueryParam("published"); b != "" {
		d.Notice = langOf(c).T("p.published", b, week)
	}
	// The next cycle's windows open while this one's are still open: a brand of it awaiting its
	// supply is one retailers already cannot order. Only a cycle still to come has windows to open.
	if now := p.now(); w.AddDate(0, 0, 7).After(now) {
		var next cycleJSON
		status, prob, err := p.api(c, call{method: "GET", path: "/cycles/" + d.Next + "?max_age=" + cycleMaxAge, token: m.User.token}, &next)
		if err != nil {
			return err
		}
		if status == http.StatusOK && prob == nil && next.opened(now) {
			d.NextAwaiting = names(awaitingSupply(next.Supply))
		}
	}
	return p.render(c, http.StatusOK, "planner-cycle", &m.User, d)
}

// allocationForm is what the planner asks of an allocation.
type allocationForm struct {
	Brand     string
	Supply    string
	Mode      string
	Dimension string
	Cap       string
	Coverage  string // min_coverage, a share 0–1
}

// allocationModes are the modes a planner can publish from the page (price_band is previewed only,
// by the API and the command line).
var allocationModes = []string{"grade", "grade_within", "demand"}

// allocationDimensions are grade_within's dimensions.
var allocationDimensions = []string{"district", "market_type", "locality", "format", "credit_level"}

func formOf(c echo.Context) allocationForm {
	f := allocationForm{Brand: strings.TrimSpace(c.FormValue("brand")), Supply: strings.TrimSpace(c.FormValue("supply")),
		Mode: c.FormValue("mode"), Dimension: c.FormValue("dimension"), Cap: strings.TrimSpace(c.FormValue("cap")),
		Coverage: strings.TrimSpace(c.FormValue("min_coverage"))}
	if f.Mode == "" {
		f.Mode = "grade"
	}
	return f
}

// query is the form as a URL query, for the preview's pages and the confirmation.
func (f allocationForm) query() url.Values {
	q := url.Values{"brand": {f.Brand}, "supply": {f.Supply}, "mode": {f.Mode}}
	for k, v := range map[string]string{"dimension": f.Dimension, "cap": f.Cap, "min_coverage": f.Coverage} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// body is the API request of the form, or the field errors of what is not a number.
func (f allocationForm) body(l Lang, dryRun bool) (map[string]any, map[string]string) {
	errs := map[string]string{}
	b := map[string]any{"brand": f.Brand, "mode": f.Mode, "dry_run": dryRun}
	if f.Brand == "" {
		errs["brand"] = l.T("p.err.required")
	}
	if n, err := strconv.Atoi(f.Supply); err != nil || n < 0 {
		errs["supply"] = l.T("p.err.cartons")
	} else {
		b["supply"] = n
	}
	if f.Mode == "grade_within" {
		b["dimension"] = f.Dimension
	}
	if f.Cap != "" {
		if n, err := strconv.Atoi(f.Cap); err != nil || n < 0 {
			errs["cap"] = l.T("p.err.cartons")
		} else {
			b["cap"] = n
		}
	}
	if f.Coverage != "" {
		if x, err := strconv.ParseFloat(f.Coverage, 64); err != nil || x < 0 || x > 1 {
			errs["min_coverage"] = l.T("p.err.share")
		} else {
			b["min_coverage"] = x
		}
	}
	return b, errs
}

// allocationJSON is the API's answer to an allocation (internal/httpapi.PlanView).
type allocationJSON struct {
	ID          string   `json:"id"`
	Cycle       string   `json:"cycle"`
	Brand       string   `json:"brand"`
	Mode        string   `json:"mode"`
	Dimension   string   `json:"dimension"`
	Published   bool     `json:"published"`
	ForecastRun string   `json:"forecast_run"`
	Warnings    []string `json:"warnings"`
	// WarningParts is each warning as a code with its parameters, for the page's language.
	WarningParts []ExplanationPart `json:"warning_parts"`
	Summary      struct {
		Supply      int     `json:"supply"`
		Allocated   int     `json:"allocated"`
		Unallocated int     `json:"unallocated"`
		Eligible    int     `json:"eligible_outlets"`
		Covered     int     `json:"covered_outlets"`
		Coverage    float64 `json:"coverage"`
		Demand      float64 `json:"demand"`
		FillRate    float64 `json:"fill_rate"`
		Gini        float64 `json:"gini"`
		Grades      []struct {
			Grade    int     `json:"grade"`
			Outlets  int     `json:"outlets"`
			Covered  int     `json:"covered"`
			Cartons  int     `json:"cartons"`
			Demand   float64 `json:"demand"`
			FillRate float64 `json:"fill_rate"`
		} `json:"grades"`
		Areas []struct {
			Area    string  `json:"area"`
			Outlets int     `json:"outlets"`
			Cartons int     `json:"cartons"`
			Share   float64 `json:"share"`
		} `json:"areas"`
	} `json:"summary"`
	Limits []struct {
		Outlet           string            `json:"outlet"`
		Grade            int               `json:"grade"`
		Demand           float64           `json:"demand"`
		Quota            float64           `json:"quota"`
		Cartons          int               `json:"cartons"`
		Explanation      string            `json:"explanation"`
		ExplanationParts []ExplanationPart `json:"explanation_parts"`
	} `json:"limits"`
	LimitsTotal  int `json:"limits_total"`
	LimitsOffset int `json:"limits_offset"`
}

// previewPage is how many outlets a page of the preview lists, largest limits first. The preview is
// computed once and kept by the API; its pages and the confirmation read the kept one (?preview=ID),
// and publishing publishes that one.
const previewPage = 50

// atoi is s as a number, 0 when it is not one.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// allocationData is the data of the allocation page and of its confirmation.
type allocationData struct {
	Week       string
	Form       allocationForm
	Modes      []string
	Dimensions []string
	Errors     map[string]string // field → message
	Error      string            // the API's refusal, translated
	Plan       *allocationJSON
	From, To   int          // the outlets shown, 1-based, of Listed
	Listed     int          // the outlets of the preview
	PrevQuery  template.URL // the queries of the previous and next pages, "" at either end
	NextQuery  template.URL
	Query      template.URL // the form's query with the kept preview's id, for the confirmation
	Current    *supplyJSON  // the brand's plan in the cycle now: what publishing replaces
	Confirm    bool         // the confirmation step: what publishing does and replaces
	Key        string       // the publication's Idempotency-Key
	Brands     []string     // the cycle's brands, for the form's suggestions
	figures
}

// errNoCycle means the API knows no cycle in the week of the page's path.
var errNoCycle = errors.New("web: no such cycle")

// previewOf asks the API for the allocation's preview (dry_run). It returns the page's data with the
// plan, or with the form's or the API's errors; status is the page's status. A week the API has no
// cycle of is errNoCycle.
func (p *Pages) previewOf(c echo.Context, m me, week string) (allocationData, int, error) {
	l := langOf(c)
	d := allocationData{Week: week, Form: formOf(c), Modes: allocationModes, Dimensions: allocationDimensions}
	d.Query = template.URL(d.Form.query().Encode())
	var cycle cycleJSON
	if _, prob, err := p.api(c, call{method: "GET", path: "/cycles/" + week + "?max_age=" + cycleMaxAge, token: m.User.token}, &cycle); err != nil {
		return d, 0, err
	} else if prob != nil && prob.Status < 500 {
		return d, 0, errNoCycle
	} else if prob != nil {
		return d, 0, problemErr(nil, prob)
	}
	for i, s := range cycle.Supply {
		d.Brands = append(d.Brands, s.Brand)
		if s.Brand == d.Form.Brand {
			d.Current = &cycle.Supply[i]
		}
	}
	if c.QueryParam("brand") == "" && c.QueryParam("supply") == "" {
		return d, http.StatusOK, nil // the empty form
	}
	body, errs := d.Form.body(l, true)
	if len(errs) > 0 {
		d.Errors = errs
		return d, http.StatusUnprocessableEntity, nil
	}
	pageNo := max(0, atoi(c.QueryParam("page")))
	var plan allocationJSON
	kept := false
	if id := c.QueryParam("preview"); id != "" { // a page of the kept preview
		path := fmt.Sprintf("/cycles/%s/allocations/%s?offset=%d&limits=%d", week, url.PathEscape(id), pageNo*previewPage, previewPage)
		_, prob, err := p.api(c, call{method: "GET", path: path, token: m.User.token}, &plan)
		switch {
		case err != nil:
			return d, 0, err
		case prob == nil:
			kept = true
		case prob.Status >= 500:
			return d, 0, problemErr(nil, prob)
		case !prob.Is("no-preview"):
			d.Error, d.Errors = allocationRefusal(l, prob)
			return d, prob.Status, nil
		}
		// Expired: computed again below from the form, which the query still holds.
	}
	if !kept {
		key, err := newKey()
		if err != nil {
			return d, 0, err
		}
		_, prob, err := p.api(c, call{method: "POST", path: fmt.Sprintf("/cycles/%s/allocations?limits=%d", week, previewPage),
			token: m.User.token, body: body, header: map[string]string{"Idempotency-Key": key}}, &plan)
		if err != nil {
			return d, 0, err
		}
		if prob != nil {
			if prob.Status >= 500 {
				return d, 0, problemErr(nil, prob)
			}
			d.Error, d.Errors = allocationRefusal(l, prob)
			return d, prob.Status, nil
		}
		pageNo = 0
	}
	d.Plan, d.Listed = &plan, plan.LimitsTotal
	d.From, d.To = plan.LimitsOffset+1, plan.LimitsOffset+len(plan.Limits)
	q := d.Form.query()
	q.Set("preview", plan.ID)
	d.Query = template.URL(q.Encode())
	if pageNo > 0 {
		q.Set("page", strconv.Itoa(pageNo-1))
		d.PrevQuery = template.URL(q.Encode())
	}
	if d.To < d.Listed {
		q.Set("page", strconv.Itoa(pageNo+1))
		d.NextQuery = template.URL(q.Encode())
	}
	return d, http.StatusOK, nil
}

// allocationRefusal translates the API's refusal of an allocation: a message, and its field errors.
func allocationRefusal(l Lang, prob *apiProblem) (string, map[string]string) {
	fields := map[string]string{}
	for _, f := range prob.Errors {
		name := f.Field
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		fields[name] = f.Detail
	}
	if prob.Is("no-forecast") { // by demand or price band without a forecast of the cycle
		return l.T("p.err.no_forecast"), fields
	}
	detail := prob.Detail
	if detail == "" {
		detail = prob.Title
	}
	return l.T("p.refused", detail), fields
}

// allocationPage shows the allocation form and, once filled, its preview: the summary, the fairness
// of the outlets' fill rates (Gini), each grade's and area's part, and every listed outlet's limit
// and explanation, a page at a time.
func (p *Pages) allocationPage(c echo.Context) error {
	m, d, status, ok, err := p.preview(c)
	if !ok {
		return err
	}
	return p.render(c, status, "planner-allocation", &m.User, d)
}

// preview is the planner's session and the preview of the week in the path; ok is false when the
// answer is already written (or err says why not): the login page, another role sent home, a week
// without a cycle.
func (p *Pages) preview(c echo.Context) (m me, d allocationData, status int, ok bool, err error) {
	m, ok, err = p.roleSession(c, "planner", "admin")
	if !ok {
		return m, d, 0, false, err
	}
	w, valid := parseWeek(c)
	if valid {
		d, status, err = p.previewOf(c, m, w.Format(time.DateOnly))
	}
	if !valid || errors.Is(err, errNoCycle) {
		return m, d, 0, false, p.noCycle(c, m)
	}
	return m, d, status, err == nil, err
}

// allocationConfirm shows what publishing the preview will do and what it replaces (the brand's
// current plan and limits in the cycle), with the form that publishes it.
func (p *Pages) allocationConfirm(c echo.Context) error {
	m, d, status, ok, err := p.preview(c)
	if !ok {
		return err
	}
	if d.Plan == nil { // nothing to confirm: back to the form with what is wrong
		if status == http.StatusOK {
			status = http.StatusUnprocessableEntity
		}
		return p.render(c, status, "planner-allocation", &m.User, d)
	}
	if d.Key, err = newKey(); err != nil {
		return err
	}
	d.Confirm = true
	return p.render(c, http.StatusOK, "planner-allocation", &m.User, d)
}

// allocationPublish publishes the confirmed allocation through the API with the form's
// Idempotency-Key (a second press publishes once), then shows the cycle.
func (p *Pages) allocationPublish(c echo.Context) error {
	m, w, ok, err := p.plannerWeek(c)
	if !ok {
		return err
	}
	week := w.Format(time.DateOnly)
	l := langOf(c)
	f := formOf(c)
	body, errs := f.body(l, false)
	d := allocationData{Week: week, Form: f, Modes: allocationModes, Dimensions: allocationDimensions, Errors: errs,
		Query: template.URL(f.query().Encode())}
	if len(errs) > 0 {
		return p.render(c, http.StatusUnprocessableEntity, "planner-allocation", &m.User, d)
	}
	key := c.FormValue("key")
	if key == "" {
		if key, err = newKey(); err != nil {
			return err
		}
	}
	// The kept preview the planner confirmed, exactly; without one (an old form), computed afresh.
	k := call{method: "POST", path: fmt.Sprintf("/cycles/%s/allocations?limits=0", week),
		token: m.User.token, body: body, header: map[string]string{"Idempotency-Key": key}}
	if id := c.FormValue("preview"); id != "" {
		k.path, k.body = fmt.Sprintf("/cycles/%s/allocations/%s/publication?limits=0", week, url.PathEscape(id)), nil
	}
	prob, err := p.callRetry(c, k, nil)
	if err != nil {
		return err
	}
	if prob == nil {
		return c.Redirect(http.StatusSeeOther, "/planner/cycles/"+week+"?"+url.Values{"published": {f.Brand}}.Encode())
	}
	if prob.Status >= 500 {
		return problemErr(nil, prob)
	}
	if prob.Is("stale-preview") || prob.Is("no-preview") {
		d.Error = l.T("p.stale")
		return p.render(c, prob.Status, "planner-allocation", &m.User, d)
	}
	if prob.Is("published-meanwhile") {
		d.Error = l.T("p.meanwhile")
		return p.render(c, prob.Status, "planner-allocation", &m.User, d)
	}
	d.Error, d.Errors = allocationRefusal(l, prob)
	return p.render(c, prob.Status, "planner-allocation", &m.User, d)
}

// figures formats numbers for the planner's templates.
type figures struct{}

// Pct formats a share 0–1 as a percentage with one decimal.
func (figures) Pct(x float64) string { return strconv.FormatFloat(x*100, 'f', 1, 64) + "%" }

// PctP is Pct of a share that may be unknown (nil: "–").
func (f figures) PctP(x *float64) string {
	if x == nil {
		return "–"
	}
	return f.Pct(*x)
}

// Num formats a quantity with one decimal; nil (unknown) as "–".
func (figures) Num(x any) string {
	switch v := x.(type) {
	case float64:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case *float64:
		if v != nil {
			return strconv.FormatFloat(*v, 'f', 1, 64)
		}
	}
	return "–"
}

// Ratio is a ÷ b as a percentage, or "–" when b is 0.
func (figures) Ratio(a, b int) string {
	if b == 0 {
		return "–"
	}
	return strconv.FormatFloat(float64(a)*100/float64(b), 'f', 1, 64) + "%"
}
