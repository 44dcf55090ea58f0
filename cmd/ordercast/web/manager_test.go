package web

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/retailer/indicators"
)

func ptr(v float64) *float64 { return &v }

func TestFormatFigures(t *testing.T) {
	zh, en := Lang{Code: "zh-CN"}, Lang{Code: "en"}
	for _, tt := range []struct {
		l          Lang
		unit       string
		v          *float64
		value, gap string
	}{
		{zh, "ratio", ptr(0.8766), "87.7%", "+87.7 个百分点"},
		{en, "ratio", ptr(-0.025), "-2.5%", "-2.5 pp"},
		{en, "ratio", ptr(0), "0.0%", "0.0 pp"},
		{zh, "weeks", ptr(2.25), "2.2 周", "+2.2 周"},
		{en, "weeks", ptr(0.03), "0.0 weeks", "0.0 weeks"}, // a gap that shows as zero has no sign
		{en, "ratio", ptr(0.0004), "0.0%", "0.0 pp"},
		{en, "score", ptr(4.5), "4.50", "+4.50"},
		{en, "ratio", nil, "", ""},
	} {
		if got := formatValue(tt.l, tt.unit, tt.v); got != tt.value {
			t.Errorf("formatValue(%s, %s, %v) = %q; want %q", tt.l.Code, tt.unit, tt.v, got, tt.value)
		}
		if got := formatGap(tt.l, tt.unit, tt.v); got != tt.gap {
			t.Errorf("formatGap(%s, %s, %v) = %q; want %q", tt.l.Code, tt.unit, tt.v, got, tt.gap)
		}
	}
	if got := formatGap(en, "weeks", ptr(-0.03)); got != "0.0 weeks" {
		t.Errorf("formatGap(en, weeks, -0.03) = %q; want 0.0 weeks, never -0.0", got)
	}
}

const fakeRow = `{"level":"manager","key":"M01","name":"张伟","manager":"M01","area":"","outlets":30,"values":[
 {"indicator":"order_success_rate","unit":"ratio","period":{"kind":"day","start":"2026-12-03","end":"2026-12-04"},"value":0.9,"no_data":null,"numerator":9,"denominator":10,"target":0.95,"gap":-0.05,"met":false,"previous":null,"change":null,"rank":2,"peers":3},
 {"indicator":"upload_rate","unit":"ratio","period":{"kind":"day","start":"2026-12-03","end":"2026-12-04"},"value":null,"no_data":"no collection points","no_data_code":"upload_rate","numerator":0,"denominator":0,"target":null,"gap":null,"met":null,"previous":null,"change":null,"rank":null,"peers":null}]}`

func managerAPI() fakeAPI {
	return fakeAPI{
		"GET /api/v1/me": {200, `{"user":{"username":"manager1","role":"manager"}}`},
		"GET /api/v1/bulletin": {200, `{"date":"2026-12-03","manager":"M01","figures":` + fakeRow + `,"company":` + fakeRow + `,"managers":[],
			"lists":{"not_ordered":{"total":31,"offset":0,"next_offset":20,"items":[{"outlet":"L0001","name":"王记便利店","missed_cycles":3,"last_order_cycle":null,"last_order_status":"failed","last_order_reason":"余额不足","manager_phone":"138"}]},
			"failed":{"total":0,"offset":0,"items":[]}}}`},
		"GET /api/v1/outlets": {200, `{"outlets":[{"id":7,"licence":"L0001","name":"王记便利店"}],"next":"/api/v1/outlets?after=7"}`},
		"GET /api/v1/indicators/trend": {200, `{"level":"manager","weeks":[{"period":{"kind":"week","start":"2026-11-23","end":"2026-11-30"},"rows":[` + fakeRow + `],"company":` + fakeRow + `},
			{"period":{"kind":"week","start":"2026-11-30","end":"2026-12-07"},"rows":[` + fakeRow + `],"company":` + fakeRow + `}],
			"stock":[{"brand":"B1","stock_cartons":90,"weekly_sales_cartons":10,"ratio_weeks":9,"lower_weeks":1,"upper_weeks":4,"warning":"above upper limit"},{"brand":"B2","stock_cartons":9,"weekly_sales_cartons":3,"ratio_weeks":3,"lower_weeks":1,"upper_weeks":4,"warning":"within limits"}]}`},
		"GET /api/v1/outlets/7":           {200, `{"id":7,"licence":"L0001","name":"王记便利店","address":"文化路 1 号","area":"五华区","grade":12,"order_day":"Tuesday","route":"R1","manager_name":"张伟","balance_cents":1000,"status":"active"}`},
		"GET /api/v1/outlets/7/catalogue": {200, `{"cycle":"2026-11-30","window":{"open":true},"funds":{},"lines":[{"brand":"B1","name":"云岭（软）","scarce":true,"limit":3,"suggested":2,"stock_on_hand":4.5},{"brand":"B2","name":"红河（硬）","suggested":5}]}`},
		"GET /api/v1/outlets/7/weeks": {200, `{"outlet":"L0001","brand":null,"forecast_run":"run-3","weeks":[
			{"week":"2026-11-23","requested":5,"granted":4,"delivered":4,"forecast":null,"stock":12.5,"sell_out":3},
			{"week":"2026-11-30","requested":0,"granted":0,"delivered":0,"forecast":{"point":6,"lo80":4,"hi80":9.5},"stock":null,"sell_out":null}]}`},
	}
}

func get(t *testing.T, api http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
	return serve(t, api, req)
}

// The bulletin page shows the API's figures against targets with the gap and rank, its lists with
// links to the outlets' pages and to the exports, the stock warnings and the trend charts' data.
func TestManagerPage(t *testing.T) {
	api := managerAPI()
	var weeks []string
	outletPages := 0
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if strings.HasPrefix(r.URL.Path, "/api/v1/indicators") {
			weeks = append(weeks, r.URL.RawQuery)
		}
		if r.URL.Path == "/api/v1/outlets" {
			outletPages++
		}
		mu.Unlock()
		api.ServeHTTP(w, r)
	})
	rec := get(t, h, "/manager")
	sort.Strings(weeks)
	if len(weeks) != 1 || weeks[0] != "date=2026-12-03&key=M01&level=manager&weeks=12" {
		t.Errorf("asked for the indicators %q; want one trend of the 12 weeks up to the bulletin's day, the manager's row", weeks)
	}
	if outletPages != 0 {
		t.Errorf("asked for %d pages of outlets; want none: the lists link outlets by licence", outletPages)
	}
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /manager = %d\n%s", rec.Code, body)
	}
	for _, want := range []string{
		"90.0%", "95.0%", "-5.0 个百分点", "第 2 / 3", "未达标", // the order success rate against its target
		`title="没有信息采集点">无数据`, // no data is said, never 0, in the reader's language
		"共 31 条", `href="/manager/outlet?licence=L0001"`, "余额不足", "失败",
		`/manager/export?filter=not_ordered&amp;format=csv`, `/manager/export?filter=not_ordered&amp;format=xlsx`,
		`href="/manager?filter=not_ordered"`,
		"高于上限", ">9.0<", ">1.0 – 4.0<", // B1's stock-to-sales ratio and its limits, in weeks
		"vendor/echarts/echarts.min.js", `id="trend-order_success_rate"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the bulletin page lacks %q", want)
		}
	}
	if strings.Contains(body, "%!") {
		t.Error("the bulletin page has a value its format verb could not print (%!)")
	}
	if strings.Contains(body, ">B2<") {
		t.Error("a brand within its limits is listed among the stock warnings")
	}
}

// Each figure names its period (and forecast accuracy its basis), and a figure of a period under way
// (today, this week) is shown as so far: neither met nor missed, since the day or week has not ended.
func TestManagerPageFiguresSoFar(t *testing.T) {
	row := strings.NewReplacer(`"outlets":30,"values":[`, `"outlets":30,"values":[
 {"indicator":"scarce_coverage","unit":"ratio","period":{"kind":"week","start":"2026-11-30","end":"2026-12-07"},"value":0.1,"no_data":null,"numerator":1,"denominator":10,"target":0.8,"gap":-0.7,"met":false,"previous":null,"change":null,"rank":1,"peers":3,"note":"a note"},
 {"indicator":"forecast_accuracy","unit":"ratio","period":{"kind":"month","start":"2026-11-01","end":"2026-12-01"},"value":0.6,"no_data":null,"numerator":6,"denominator":10,"target":0.75,"gap":-0.15,"met":false,"previous":null,"change":null,"rank":1,"peers":3,"basis":"requested"},`).Replace(fakeRow)
	api := managerAPI()
	api["GET /api/v1/bulletin"] = struct {
		status int
		body   string
	}{200, `{"date":"2026-12-03","manager":"M01","figures":` + row + `,"company":` + row + `,"managers":[],"lists":{}}`}
	req := httptest.NewRequest("GET", "/manager", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
	req.AddCookie(&http.Cookie{Name: langCookie, Value: "en"})
	for _, tt := range []struct {
		now                              time.Time
		day, week                        string
		orderSuccess, coverage, accuracy string // each row's class
		heading                          string
	}{
		{time.Date(2026, 12, 3, 10, 0, 0, 0, chinaTime), "today so far", "this week so far, from 2026-11-30", "sofar", "sofar", "missed", "Today&#39;s figures"},
		{time.Date(2026, 12, 9, 10, 0, 0, 0, chinaTime), "the day 2026-12-03", "the week from 2026-11-30", "missed", "missed", "missed", "The figures of 2026-12-03"},
	} {
		rec := serveAt(t, api, req, func() time.Time { return tt.now }, chinaTime)
		body := rec.Body.String()
		for _, want := range []string{
			`<span class="period">` + tt.day + `</span>`, `<span class="period" title="a note">` + tt.week + `</span>`,
			`<span class="period">the month 2026-11</span><span class="period">against requested quantities</span>`, tt.heading,
			`data-indicator="order_success_rate" class="` + tt.orderSuccess + `"`,
			`data-indicator="scarce_coverage" class="` + tt.coverage + `"`,
			`data-indicator="forecast_accuracy" class="` + tt.accuracy + `"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("at %s the bulletin lacks %s", tt.now, want)
			}
		}
		// The trend's week under way (2026-11-30 at the first now) is left out of the charts.
		if inTrend := strings.Contains(body, `<th scope="row">2026-11-30</th>`); inTrend == (tt.coverage == "sofar") ||
			!strings.Contains(body, `<th scope="row">2026-11-23</th>`) {
			t.Errorf("at %s the trend has the week of 2026-11-30: %v; want it only once the week is over, after 2026-11-23", tt.now, inTrend)
		}
		if soFar := strings.Contains(body, ">so far<"); soFar != (tt.coverage == "sofar") {
			t.Errorf("at %s the bulletin says so far: %v; want %v", tt.now, soFar, tt.coverage == "sofar")
		}
	}
}

// Why a figure is missing, and how it departs from its cadence, are said in the page's language
// from their codes; a code the page does not know falls back to the API's English text. Every
// indicator's own reason and every other reason has its message.
func TestNoDataAndNotesInTheReadersLanguage(t *testing.T) {
	zh, en := Lang{Code: "zh-CN"}, Lang{Code: "en"}
	codes := []string{indicators.NoDataNoActiveOutlets, indicators.NoDataNotByRoute, indicators.NoDataNotScored,
		indicators.NoDataNoScore, indicators.NoDataNothingSold}
	for _, s := range indicators.Specs {
		codes = append(codes, string(s.Indicator))
	}
	for _, code := range codes {
		if got := noDataText(zh, code, "English"); got == "English" || got == "" {
			t.Errorf("no data of code %q in Chinese = %q; want its message", code, got)
		}
	}
	if got := noDataText(zh, "a_new_reason", "a new reason"); got != "a new reason" {
		t.Errorf("no data of an unknown code = %q; want the API's text", got)
	}
	for _, tt := range []struct {
		l    Lang
		v    indicatorValue
		want string
	}{
		{zh, indicatorValue{NoteCode: indicators.NoteLatestScored, NoteParams: map[string]string{"scored": "2026-11", "month": "2026-12"}},
			"最近已评分的月份 2026-11：2026-12 尚未评分（月份结束后才评分）"},
		{zh, indicatorValue{NoteCode: indicators.NoteCycleToDay, NoteParams: map[string]string{"from": "2026-11-27", "to": "2026-12-03",
			"reason": "order_success_rate"}}, "按本周期截至当日统计（2026-11-27 至 2026-12-03，各终端最近的订货日）；当日单独统计时：该期间没有终端排定订货"},
		{en, indicatorValue{NoteCode: indicators.NoteCycleToDay, NoteParams: map[string]string{"from": "2026-11-27", "to": "2026-12-03",
			"reason": "failed_order_rate"}}, "over the cycle to the day, 2026-11-27 to 2026-12-03 (each outlet's latest order day), as on the day no order reached cut-off in the period"},
		{zh, indicatorValue{Note: "a new note", NoteCode: "a_new_note"}, "a new note"},
		{zh, indicatorValue{Note: "an old note"}, "an old note"},
	} {
		if got := noteText(tt.l, tt.v); got != tt.want {
			t.Errorf("note %q %v in %s = %q; want %q", tt.v.NoteCode, tt.v.NoteParams, tt.l.Code, got, tt.want)
		}
	}
}

func TestManagerPageRoles(t *testing.T) {
	api := managerAPI()
	api["GET /api/v1/me"] = struct {
		status int
		body   string
	}{200, `{"user":{"username":"r","role":"retailer","outlet_id":1},"outlet":{"id":1}}`}
	for _, path := range []string{"/manager", "/manager/outlets/7", "/manager/export?filter=failed&format=csv"} {
		if rec := get(t, api, path); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
			t.Errorf("GET %s as a retailer = %d to %q; want a redirect home", path, rec.Code, rec.Header().Get("Location"))
		}
	}
	rec := serve(t, api, httptest.NewRequest("GET", "/manager", nil))
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
		t.Errorf("GET /manager logged out = %d to %q; want the login page", rec.Code, rec.Header().Get("Location"))
	}
}

// The drill-down page shows the outlet's weeks as the API gives them, on one chart and as a table,
// with the forecast's interval and the scans' stock; its brands link to their own charts.
func TestOutletPage(t *testing.T) {
	rec := get(t, managerAPI(), "/manager/outlets/7")
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /manager/outlets/7 = %d\n%s", rec.Code, body)
	}
	for _, want := range []string{"王记便利店", `id="outlet-chart"`, "预测批次 run-3，阴影为 80% 区间", "4 – 9.5", "12.5",
		"云岭（软）", "4.5", "建议订货 7 条", `href="/manager/outlets/7?brand=B2"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the outlet page lacks %q", want)
		}
	}
	m := regexp.MustCompile(`data-chart="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no chart data")
	}
	var chart struct {
		Weeks  []string
		Series []struct {
			Kind string
			Data []*float64
		}
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &chart); err != nil {
		t.Fatal(err)
	}
	byKind := map[string][]*float64{}
	for _, s := range chart.Series {
		byKind[s.Kind] = s.Data
	}
	if len(chart.Weeks) != 2 || byKind["high"][0] != nil || *byKind["high"][1] != 9.5 || *byKind["low"][1] != 4 || *byKind["forecast"][1] != 6 {
		t.Errorf("chart data = %s; want the interval of the second week only", m[1])
	}
	if rec := get(t, managerAPI(), "/manager/outlets/8"); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "找不到该终端") {
		t.Errorf("GET an outlet the API does not show = %d; want 404 saying so", rec.Code)
	}
}

// A list's link finds the outlet's page by its licence, asking the API for that licence among the
// outlets the manager sees; an outlet not among them is not found.
func TestOutletByLicence(t *testing.T) {
	api := managerAPI()
	var asked []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/outlets" {
			asked = append(asked, r.URL.RawQuery)
			switch r.URL.Query().Get("licence") {
			case "L0009":
				w.Write([]byte(`{"outlets":[{"id":9,"licence":"L0009","name":"九"}]}`))
			case "L0001":
				api.ServeHTTP(w, r)
			default:
				w.Write([]byte(`{"outlets":[]}`))
			}
			return
		}
		api.ServeHTTP(w, r)
	})
	for _, tt := range []struct {
		licence  string
		status   int
		location string
	}{
		{"L0001", http.StatusSeeOther, "/manager/outlets/7"},
		{"L0009", http.StatusSeeOther, "/manager/outlets/9"},
		{"L0404", http.StatusNotFound, ""},
		{"L 1&x", http.StatusNotFound, ""},
	} {
		asked = nil
		rec := get(t, h, "/manager/outlet?licence="+url.QueryEscape(tt.licence))
		want := "licence=" + url.QueryEscape(tt.licence) + "&limit=1"
		if rec.Code != tt.status || rec.Header().Get("Location") != tt.location || len(asked) != 1 || sortedQuery(asked[0]) != want {
			t.Errorf("GET /manager/outlet?licence=%s = %d to %q, asking %q; want %d to %q, asking once for %q",
				tt.licence, rec.Code, rec.Header().Get("Location"), asked, tt.status, tt.location, want)
		}
	}
}

// sortedQuery is a query with its keys sorted.
func sortedQuery(q string) string {
	v, err := url.ParseQuery(q)
	if err != nil {
		return "unparsable " + q
	}
	return v.Encode()
}

// A brand the outlet's catalogue does not hold charts the outlet's total: its weeks are asked again
// without the brand.
func TestOutletPageUnknownBrand(t *testing.T) {
	api := managerAPI()
	var asked []string
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/outlets/7/weeks" {
			mu.Lock()
			asked = append(asked, r.URL.RawQuery)
			mu.Unlock()
		}
		api.ServeHTTP(w, r)
	})
	rec := get(t, h, "/manager/outlets/7?brand=NOPE")
	if rec.Code != http.StatusOK || len(asked) != 2 || asked[0] != "brand=NOPE&weeks=12" || asked[1] != "weeks=12" {
		t.Errorf("GET /manager/outlets/7?brand=NOPE = %d, asking for the weeks %q; want 200, asked again without the brand", rec.Code, asked)
	}
}

// The export passes the API's file on; a format the API has not is refused without asking it.
func TestManagerExport(t *testing.T) {
	api := managerAPI()
	var asked string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/bulletin" {
			asked = r.URL.RawQuery
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="bulletin.csv"`)
			w.Write([]byte("outlet,name\nL0001,王记便利店\n"))
			return
		}
		api.ServeHTTP(w, r)
	})
	rec := get(t, h, "/manager/export?filter=not_ordered&format=csv&date=2026-12-01")
	if rec.Code != http.StatusOK || rec.Body.String() != "outlet,name\nL0001,王记便利店\n" ||
		rec.Header().Get("Content-Disposition") != `attachment; filename="bulletin.csv"` {
		t.Errorf("export = %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
	if asked != "date=2026-12-01&filter=not_ordered&format=csv" {
		t.Errorf("export asked the API for %q", asked)
	}
	if rec := get(t, h, "/manager/export?filter=failed&format=pdf"); rec.Code != http.StatusBadRequest {
		t.Errorf("export as pdf = %d; want 400", rec.Code)
	}
}

// One list on its own: more of it, a link back to all lists, and no trends asked of the API.
func TestManagerPageFiltered(t *testing.T) {
	api := managerAPI()
	asked := map[string]int{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked[r.URL.Path]++
		if r.URL.Path == "/api/v1/bulletin" && r.URL.Query().Get("filter") != "not_ordered" {
			t.Errorf("bulletin asked with %q; want the filter passed on", r.URL.RawQuery)
		}
		api.ServeHTTP(w, r)
	})
	rec := get(t, h, "/manager?filter=not_ordered")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `<a href="/manager">`) || !strings.Contains(body, `href="/manager?filter=not_ordered&amp;offset=20"`) {
		t.Errorf("GET /manager?filter=not_ordered = %d\n%s", rec.Code, body)
	}
	if asked["/api/v1/indicators/trend"]+asked["/api/v1/indicators"] != 0 || strings.Contains(body, "echarts") {
		t.Errorf("the filtered page asked for the trends or loads charts")
	}
}
