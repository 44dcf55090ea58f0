package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/retailer/indicators"
)

// The account manager's pages: /manager, the day's bulletin with 12 weeks of trends (a planner sees
// the company's, or a manager's with ?manager=), and /manager/outlets/{id}, one outlet drilled down.
// Like every page they show what the API answers: GET /api/v1/bulletin, /indicators, /outlets and an
// outlet's orders and catalogue, asked with the session's token.

// registerManager adds the manager's pages with the pages' middleware.
func (p *Pages) registerManager(e *echo.Echo, mw []echo.MiddlewareFunc) {
	e.GET("/manager", p.managerPage, mw...)
	e.GET("/manager/export", p.managerExport, mw...)
	e.GET("/manager/outlets/:id", p.outletPage, mw...)
	e.GET("/manager/outlet", p.outletByLicence, mw...)
}

// trendWeeks is how many weeks the trend charts show, this week last.
const trendWeeks = 12

// trendIndicators are the weekly indicators charted, each a line of the manager's and one of the
// company's.
var trendIndicators = []string{"order_success_rate", "upload_rate", "scarce_coverage", "new_product_shelving", "sell_through_rate", "stock_out_rate"}

// bulletinLists are the bulletin's lists in the order the page shows them.
var bulletinLists = []string{"not_ordered", "not_uploading", "failed", "low_balance"}

// indicatorValue is one figure as the API answers it (IndicatorValue).
type indicatorValue struct {
	Indicator string `json:"indicator"`
	Unit      string `json:"unit"`
	Period    struct {
		Kind  string `json:"kind"`  // day, week or month
		Start string `json:"start"` // a date
		End   string `json:"end"`   // a date, exclusive
	} `json:"period"`
	Value    *float64 `json:"value"`
	NoData   *string  `json:"no_data"`
	Target   *float64 `json:"target"`
	Gap      *float64 `json:"gap"`
	Met      *bool    `json:"met"`
	Previous *float64 `json:"previous"`
	Change   *float64 `json:"change"`
	Rank     *int     `json:"rank"`
	Peers    *int     `json:"peers"`
	Note     string   `json:"note"`  // how the figure departs from its cadence, in English
	Basis    string   `json:"basis"` // what it is measured against, where that is a choice (forecast accuracy)
	// NoDataCode, NoteCode and NoteParams are no_data and note as codes, said in the page's language.
	NoDataCode string            `json:"no_data_code"`
	NoteCode   string            `json:"note_code"`
	NoteParams map[string]string `json:"note_params"`
}

// noDataText is why a figure is missing, in the page's language: its code's message, or the API's
// English text for a code the page does not know.
func noDataText(l Lang, code, text string) string {
	if msg, ok := catalogue[l.Code]["mg.nd."+code]; ok {
		return msg
	}
	return text
}

// noteText is how a figure departs from its cadence, in the page's language, or the API's English
// text for a note the page does not know.
func noteText(l Lang, v indicatorValue) string {
	p := v.NoteParams
	switch v.NoteCode {
	case "cycle_to_day":
		if reason, ok := catalogue[l.Code]["mg.nd."+p["reason"]]; ok {
			return l.T("mg.note.cycle_to_day", p["from"], p["to"], reason)
		}
	case "latest_scored":
		return l.T("mg.note.latest_scored", p["scored"], p["month"])
	}
	return v.Note
}

// indicatorRow is a row of figures (IndicatorRow).
type indicatorRow struct {
	Level   string           `json:"level"`
	Key     string           `json:"key"`
	Name    string           `json:"name"`
	Outlets int              `json:"outlets"`
	Values  []indicatorValue `json:"values"`
}

// bulletinList is one of the bulletin's lists, a page of it.
type bulletinList struct {
	Total      int              `json:"total"`
	Offset     int              `json:"offset"`
	NextOffset *int             `json:"next_offset"`
	Items      []map[string]any `json:"items"`
}

// bulletinJSON is the answer of GET /api/v1/bulletin.
type bulletinJSON struct {
	Date     string                   `json:"date"`
	Manager  *string                  `json:"manager"`
	Figures  indicatorRow             `json:"figures"`
	Company  indicatorRow             `json:"company"`
	Managers []indicatorRow           `json:"managers"`
	Lists    map[string]*bulletinList `json:"lists"`
}

// stockLine is a brand's stock-to-sales figure of GET /api/v1/indicators.
type stockLine struct {
	Brand       string   `json:"brand"`
	Stock       float64  `json:"stock_cartons"`
	WeeklySales float64  `json:"weekly_sales_cartons"`
	Ratio       *float64 `json:"ratio_weeks"`
	Lower       *float64 `json:"lower_weeks"`
	Upper       *float64 `json:"upper_weeks"`
	Warning     string   `json:"warning"`
}

// Weeks is the brand's stock-to-sales ratio in weeks, to a tenth; "—" without sales.
func (s stockLine) Weeks() string { return orDash(decimal(s.Ratio)) }

// Limits is the brand's lower and upper limits in weeks, to a tenth; "—" without limits.
func (s stockLine) Limits() string {
	if s.Lower == nil || s.Upper == nil {
		return "—"
	}
	return decimal(s.Lower) + " – " + decimal(s.Upper)
}

// outletJSON is an outlet as GET /api/v1/outlets and /outlets/{id} describe it.
type outletJSON struct {
	ID           int64  `json:"id"`
	Licence      string `json:"licence"`
	Name         string `json:"name"`
	Address      string `json:"address"`
	Area         string `json:"area"`
	Grade        int    `json:"grade"`
	OrderDay     string `json:"order_day"`
	Route        string `json:"route"`
	ManagerName  string `json:"manager_name"`
	BalanceCents int64  `json:"balance_cents"`
	Status       string `json:"status"`
}

// figureView is one indicator of the bulletin, formatted.
type figureView struct {
	Indicator          string // its catalogue key is "mg.ind." + Indicator
	Value, Target, Gap string // "" when the API has none
	Company, Rank      string
	NoData             string
	Met, Missed        bool
	Period             string // the days the figure counts, as the page names them
	Note               string // the API's note on the period, when it departs from the indicator's cadence
	Basis              string // what the figure is measured against, as the page names it; "" for most
	SoFar              bool   // its period is under way: the figure is not final, neither met nor missed
}

// listView is one of the bulletin's lists for the page.
type listView struct {
	Name    string // not_ordered, …
	Total   int
	Columns []string // catalogue keys "mg.col." + column
	Rows    [][]cell
	More    bool // the list holds more than shown
	Next    string
	CSV     string // the export's URL
	XLSX    string
	Filter  string // the page showing only this list
	Showing bool   // the page shows only this list
}

// cell is one value of a list: a link to the outlet's page when Href is set.
type cell struct {
	Text, Href string
}

// managerData is the /manager page's data.
type managerData struct {
	Date     string
	Today    bool   // Date is the region's today
	Who      string // the manager's name, or "" for the company
	Company  bool   // the company's bulletin (a planner's)
	Outlets  int
	Figures  []figureView
	Lists    []listView
	Filtered bool
	Stock    []stockLine // the brands warned of
	Trends   chartJSON
	TrendRow []trendTable
	Managers []indicatorRow // a planner's: every manager, to open one's day
	Query    string         // the manager's code asked for by a planner
}

// chartJSON is chart data the page embeds in a JSON script element for static/manager.js.
type chartJSON string

// trendTable is one charted indicator as a table, for those who do not see the chart.
type trendTable struct {
	Indicator string
	Weeks     []string
	Mine      []string
	Company   []string
}

func (p *Pages) managerSession(c echo.Context) (me, error) {
	m, err := p.session(c)
	if err != nil {
		return m, err
	}
	switch m.User.Role {
	case "manager", "planner", "admin":
		return m, nil
	}
	return m, errNotManager
}

// errNotManager means the page is not for the user's role: it goes back to the home page.
var errNotManager = errors.New("web: not an account manager's or planner's page")

// pageErr sends a logged-out browser to the login page and a user of another role home.
func pageErr(c echo.Context, err error) error {
	switch {
	case errors.Is(err, errLoggedOut):
		return toLogin(c)
	case errors.Is(err, errNotManager):
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return err
}

func (p *Pages) managerPage(c echo.Context) error {
	m, err := p.managerSession(c)
	if err != nil {
		return pageErr(c, err)
	}
	d, status, err := p.managerData(c, m)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return p.render(c, status, "error", &m.User, errorData{Key: "mg.bad_query"})
	}
	return p.render(c, http.StatusOK, "manager", &m.User, d)
}

// refusedQuery reports whether the bulletin API refused what the browser asked for: a malformed
// query (400), a date or filter it does not take (422), a manager that does not exist (404) or one
// above the caller (403). The page says so with that status; anything else is the server's fault.
func refusedQuery(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// bulletinQuery is the API query of the page's own query: date, manager (a planner's choice) and one
// list filter with its offset.
func bulletinQuery(c echo.Context, limit int) url.Values {
	q := url.Values{}
	for _, name := range []string{"date", "manager"} {
		if v := c.QueryParam(name); v != "" {
			q.Set(name, v)
		}
	}
	if f := c.QueryParam("filter"); slices.Contains(bulletinLists, f) {
		q.Set("filter", f)
		if off := c.QueryParam("offset"); off != "" {
			q.Set("offset", off)
		}
	}
	q.Set("limit", strconv.Itoa(limit))
	return q
}

// managerData asks the API for the bulletin, then (unless one list is shown) for the 12 weeks of
// weekly figures in one call; status is not 200 when the API refused the page's query (a bad date).
func (p *Pages) managerData(c echo.Context, m me) (managerData, int, error) {
	l := langOf(c)
	limit := 20
	if c.QueryParam("filter") != "" {
		limit = 100
	}
	q := bulletinQuery(c, limit)
	var b bulletinJSON
	_, prob, err := p.api(c, call{method: "GET", path: "/bulletin?" + q.Encode(), token: m.User.token}, &b)
	if err != nil {
		return managerData{}, 0, err
	}
	if prob != nil {
		if refusedQuery(prob.Status) {
			return managerData{}, prob.Status, nil
		}
		return managerData{}, 0, problemErr(nil, prob)
	}
	d := managerData{Date: b.Date, Company: b.Manager == nil, Outlets: b.Figures.Outlets, Filtered: q.Has("filter"),
		Query: c.QueryParam("manager")}
	if b.Manager != nil {
		d.Who = b.Figures.Name
	}
	d.Today = b.Date == p.now().Format(time.DateOnly)
	company := map[string]indicatorValue{}
	for _, v := range b.Company.Values {
		company[v.Indicator] = v
	}
	for _, v := range b.Figures.Values {
		f := figureView{Indicator: v.Indicator, Value: formatValue(l, v.Unit, v.Value), Target: formatValue(l, v.Unit, v.Target),
			Gap: formatGap(l, v.Unit, v.Gap)}
		f.Period, f.SoFar = p.periodLabel(l, v.Period.Kind, v.Period.Start, v.Period.End)
		f.Note = noteText(l, v)
		if v.Basis != "" {
			f.Basis = l.T("mg.basis." + v.Basis)
		}
		if v.Met != nil && !f.SoFar {
			f.Met, f.Missed = *v.Met, !*v.Met
		}
		if v.NoData != nil {
			f.NoData = noDataText(l, v.NoDataCode, *v.NoData)
		}
		if v.Rank != nil && v.Peers != nil {
			f.Rank = l.T("mg.rank", *v.Rank, *v.Peers)
		}
		if !d.Company {
			cv := company[v.Indicator]
			f.Company = formatValue(l, cv.Unit, cv.Value)
		}
		d.Figures = append(d.Figures, f)
	}
	if d.Company {
		d.Managers = b.Managers
	}

	// The lists link their outlets by licence, as the bulletin names them (/manager/outlet finds the
	// outlet's page when followed); the company's lists link none.
	for _, name := range bulletinLists {
		lst := b.Lists[name]
		if lst == nil {
			continue
		}
		d.Lists = append(d.Lists, listOf(l, name, lst, !d.Company, q))
	}
	if d.Filtered { // one list, without the figures' trends
		return d, http.StatusOK, nil
	}
	trends, stock, err := p.trends(c, m, b)
	if err != nil {
		return managerData{}, 0, err
	}
	d.Stock = stock
	d.TrendRow = trends.tables(l)
	js, err := json.Marshal(trends.chart(l))
	if err != nil {
		return managerData{}, 0, err
	}
	d.Trends = chartJSON(js)
	return d, http.StatusOK, nil
}

// outletByLicence sends the browser from a list's link (?licence=) to the outlet's page, or answers
// 404 for an outlet the caller may not see.
func (p *Pages) outletByLicence(c echo.Context) error {
	m, err := p.managerSession(c)
	if err != nil {
		return pageErr(c, err)
	}
	licence := c.QueryParam("licence")
	id, err := p.outletID(c, m, licence)
	if err != nil {
		return err
	}
	if licence == "" || id == 0 {
		return p.render(c, http.StatusNotFound, "error", &m.User, errorData{Key: "mg.no_outlet"})
	}
	return c.Redirect(http.StatusSeeOther, "/manager/outlets/"+strconv.FormatInt(id, 10))
}

// outletID finds the id of the outlet with licence among those the caller may see (GET
// /api/v1/outlets?licence=, one row at most); 0 when it is not among them.
func (p *Pages) outletID(c echo.Context, m me, licence string) (int64, error) {
	var page struct {
		Outlets []outletJSON `json:"outlets"`
	}
	path := "/outlets?limit=1&licence=" + url.QueryEscape(licence)
	if _, prob, err := p.api(c, call{method: "GET", path: path, token: m.User.token}, &page); err != nil || prob != nil {
		return 0, problemErr(err, prob)
	}
	for _, o := range page.Outlets {
		if o.Licence == licence {
			return o.ID, nil
		}
	}
	return 0, nil
}

// listColumns are the columns of each list the page shows (the API's exports hold them all).
var listColumns = map[string][]string{
	"not_ordered":   {"outlet", "name", "missed_cycles", "last_order_cycle", "last_order_status", "last_order_reason", "manager_phone"},
	"not_uploading": {"outlet", "name", "last_upload"},
	"failed":        {"order", "outlet", "name", "cycle", "total_cents", "reason"},
	"low_balance":   {"outlet", "name", "balance_cents", "last_paid_cents", "last_paid_cycle"},
}

func listOf(l Lang, name string, lst *bulletinList, links bool, q url.Values) listView {
	v := listView{Name: name, Total: lst.Total, More: lst.NextOffset != nil}
	export := url.Values{"filter": {name}}
	if d := q.Get("date"); d != "" {
		export.Set("date", d)
	}
	if m := q.Get("manager"); m != "" {
		export.Set("manager", m)
	}
	filter := url.Values{"filter": {name}}
	if d := q.Get("date"); d != "" {
		filter.Set("date", d)
	}
	if m := q.Get("manager"); m != "" {
		filter.Set("manager", m)
	}
	v.Filter = "/manager?" + filter.Encode()
	v.Showing = q.Get("filter") == name
	if v.More {
		filter.Set("offset", strconv.Itoa(*lst.NextOffset))
		v.Next = "/manager?" + filter.Encode()
	}
	export.Set("format", "csv")
	v.CSV = "/manager/export?" + export.Encode()
	export.Set("format", "xlsx")
	v.XLSX = "/manager/export?" + export.Encode()
	cols := listColumns[name]
	v.Columns = cols
	for _, item := range lst.Items {
		row := make([]cell, len(cols))
		for i, col := range cols {
			row[i] = cell{Text: cellText(l, col, item[col])}
			if licence, ok := item["outlet"].(string); ok && licence != "" && links && (col == "outlet" || col == "name") {
				row[i].Href = "/manager/outlet?" + url.Values{"licence": {licence}}.Encode()
			}
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// cellText formats one value of a list: cents as money, a missing value as a dash.
func cellText(l Lang, col string, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case float64:
		if col == "total_cents" || col == "balance_cents" || col == "last_paid_cents" || col == "last_order_total_cents" {
			return money(int64(x))
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		if x == "" {
			return "—"
		}
		if col == "last_order_status" {
			if msg := l.T("s." + x); msg != "s."+x {
				return msg
			}
		}
		return x
	case bool:
		if x {
			return l.T("mg.yes")
		}
		return l.T("mg.no")
	}
	return fmt.Sprint(v)
}

// periodOf is the period from start to end as the API names them (dates, end exclusive); false
// when they do not parse.
func periodOf(start, end string) (indicators.Period, bool) {
	from, err1 := time.Parse(time.DateOnly, start)
	until, err2 := time.Parse(time.DateOnly, end)
	return indicators.Period{Start: from, End: until}, err1 == nil && err2 == nil
}

// periodLabel names the period of a figure (kind day, week or month; start and end dates, end
// exclusive) and says whether it is under way: it holds the region's today.
func (p *Pages) periodLabel(l Lang, kind, start, end string) (string, bool) {
	period, ok := periodOf(start, end)
	if !ok {
		return "", false
	}
	soFar := period.UnderWay(p.now())
	switch {
	case kind == "day" && soFar:
		return l.T("mg.period.today"), true
	case kind == "day":
		return l.T("mg.period.day", start), false
	case kind == "week" && soFar:
		return l.T("mg.period.this_week", start), true
	case kind == "week":
		return l.T("mg.period.week", start), false
	case kind == "month" && soFar:
		return l.T("mg.period.this_month"), true
	case kind == "month":
		return l.T("mg.period.month", period.Start.Format("2006-01")), false
	}
	return "", false
}

// formatValue formats a figure by its unit: a ratio as a percentage, weeks, a score; "" when nil.
func formatValue(l Lang, unit string, v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return ""
	}
	switch unit {
	case "ratio":
		return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
	case "weeks":
		return l.T("mg.weeks", strconv.FormatFloat(*v, 'f', 1, 64))
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

// formatGap formats value − target with its sign: percentage points for a ratio.
func formatGap(l Lang, unit string, v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return ""
	}
	switch unit {
	case "ratio":
		return l.T("mg.pp", signed(*v*100, 1))
	case "weeks":
		return l.T("mg.weeks", signed(*v, 1))
	}
	return signed(*v, 2)
}

// signed formats x with prec decimals and its sign: "+" above the shown zero, none on it (a gap of
// −0.03 weeks reads 0.0, not −0.0).
func signed(x float64, prec int) string {
	s := strconv.FormatFloat(x, 'f', prec, 64) // rounded as formatValue rounds the figure
	switch shown, _ := strconv.ParseFloat(s, 64); {
	case shown == 0:
		return strconv.FormatFloat(0, 'f', prec, 64)
	case shown > 0:
		return "+" + s
	}
	return s
}

// trendData is 12 weeks of the charted indicators: the caller's (a manager's own row, or the
// company's for a planner) and the company's.
type trendData struct {
	Weeks   []string
	Mine    map[string][]*float64
	Company map[string][]*float64
	Own     bool // Mine is a manager's, not the company's
}

// trendJSON is the answer of GET /api/v1/indicators/trend.
type trendJSON struct {
	Weeks []struct {
		Period struct {
			Start string `json:"start"`
			End   string `json:"end"` // exclusive
		} `json:"period"`
		Rows    []indicatorRow `json:"rows"`
		Company indicatorRow   `json:"company"`
	} `json:"weeks"`
	Stock []stockLine `json:"stock"`
}

// trends asks GET /api/v1/indicators/trend for the 12 weeks up to the bulletin's day, at once, and
// returns them with the stock warnings at the end of the last. A week under way is left out of the
// charts: its figures so far would draw as a fall on every line (the bulletin's figures show it).
func (p *Pages) trends(c echo.Context, m me, b bulletinJSON) (trendData, []stockLine, error) {
	q := url.Values{"weeks": {strconv.Itoa(trendWeeks)}, "date": {b.Date}, "level": {"company"}}
	key := ""
	if b.Manager != nil {
		key = *b.Manager
		q.Set("level", "manager")
		q.Set("key", key)
	}
	var r trendJSON
	if _, prob, err := p.api(c, call{method: "GET", path: "/indicators/trend?" + q.Encode(), token: m.User.token}, &r); err != nil || prob != nil {
		return trendData{}, nil, problemErr(err, prob)
	}
	t := trendData{Mine: map[string][]*float64{}, Company: map[string][]*float64{}, Own: b.Manager != nil}
	for i, w := range r.Weeks {
		if i > 0 && i == len(r.Weeks)-1 {
			if period, ok := periodOf(w.Period.Start, w.Period.End); ok && period.UnderWay(p.now()) {
				break // the week under way
			}
		}
		t.Weeks = append(t.Weeks, w.Period.Start)
		mine := w.Company
		if t.Own {
			mine = indicatorRow{}
			for _, row := range w.Rows {
				if row.Key == key {
					mine = row
				}
			}
		}
		for _, ind := range trendIndicators {
			t.Mine[ind] = append(t.Mine[ind], valueOf(mine, ind))
			t.Company[ind] = append(t.Company[ind], valueOf(w.Company, ind))
		}
	}
	var warned []stockLine
	for _, s := range r.Stock {
		if s.Warning == "above upper limit" || s.Warning == "below lower limit" {
			warned = append(warned, s)
		}
	}
	return t, warned, nil
}

func valueOf(r indicatorRow, indicator string) *float64 {
	for _, v := range r.Values {
		if v.Indicator == indicator {
			return v.Value
		}
	}
	return nil
}

// chart is the trend charts' data for static/manager.js: percentages, null where there is no data.
func (t trendData) chart(l Lang) any {
	type series struct {
		Name string     `json:"name"`
		Data []*float64 `json:"data"`
	}
	type chart struct {
		ID     string   `json:"id"`
		Title  string   `json:"title"`
		Series []series `json:"series"`
	}
	pct := func(vs []*float64) []*float64 {
		out := make([]*float64, len(vs))
		for i, v := range vs {
			if v != nil {
				x := math.Round(*v*1000) / 10
				out[i] = &x
			}
		}
		return out
	}
	var charts []chart
	for _, ind := range trendIndicators {
		ch := chart{ID: "trend-" + ind, Title: l.T("mg.ind." + ind)}
		if t.Own {
			ch.Series = append(ch.Series, series{l.T("mg.mine"), pct(t.Mine[ind])})
		}
		ch.Series = append(ch.Series, series{l.T("mg.company"), pct(t.Company[ind])})
		charts = append(charts, ch)
	}
	return map[string]any{"weeks": t.Weeks, "charts": charts}
}

// tables are the trends as tables, the charts' text alternative.
func (t trendData) tables(l Lang) []trendTable {
	var out []trendTable
	for _, ind := range trendIndicators {
		tt := trendTable{Indicator: ind, Weeks: t.Weeks}
		for i := range t.Weeks {
			tt.Company = append(tt.Company, orDash(formatValue(l, "ratio", t.Company[ind][i])))
			if t.Own {
				tt.Mine = append(tt.Mine, orDash(formatValue(l, "ratio", t.Mine[ind][i])))
			}
		}
		out = append(out, tt)
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// managerExport passes one list of the bulletin on as the API exports it (CSV or an Excel workbook):
// the browser holds no bearer token, so the page asks the API for it.
func (p *Pages) managerExport(c echo.Context) error {
	m, err := p.managerSession(c)
	if err != nil {
		return pageErr(c, err)
	}
	q := url.Values{}
	for _, name := range []string{"date", "manager", "filter", "format"} {
		if v := c.QueryParam(name); v != "" {
			q.Set(name, v)
		}
	}
	if f := q.Get("format"); f != "csv" && f != "xlsx" {
		return p.render(c, http.StatusBadRequest, "error", &m.User, errorData{Key: "mg.bad_query"})
	}
	rec, err := p.exchange(c, call{method: "GET", path: "/bulletin?" + q.Encode(), token: m.User.token})
	if err != nil {
		return err
	}
	if rec.status >= 400 {
		if refusedQuery(rec.status) {
			return p.render(c, rec.status, "error", &m.User, errorData{Key: "mg.bad_query"})
		}
		return echo.NewHTTPError(http.StatusInternalServerError, fmt.Sprintf("web: export answered %d: %s", rec.status, rec.body.String()))
	}
	h := c.Response().Header()
	for _, name := range []string{"Content-Type", "Content-Disposition"} {
		if v := rec.header.Get(name); v != "" {
			h.Set(name, v)
		}
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, rec.header.Get("Content-Type"), rec.body.Bytes())
}
