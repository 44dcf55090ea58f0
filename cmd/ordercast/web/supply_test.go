package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestWarningsOf(t *testing.T) {
	week := func(w string, projected float64, warnings ...string) weekJSON {
		return weekJSON{Week: w, Projected: projected, Warnings: warnings}
	}
	brands := []balanceJSON{
		{Brand: "B3", Weeks: []weekJSON{week("2026-12-07", 40), week("2026-12-14", 90, "above_upper")}},
		{Brand: "B1", Weeks: []weekJSON{week("2026-12-07", 5, "below_lower"), week("2026-12-14", 0, "shortfall", "below_lower")}},
		{Brand: "B2", Weeks: []weekJSON{week("2026-12-07", 30), week("2026-12-14", 20)}},
		{Brand: "B4", Weeks: []weekJSON{week("2026-12-07", 8, "below_lower"), week("2026-12-14", 12)}},
	}
	got := warningsOf(brands)
	want := []warningRow{
		{Brand: "B1", First: "2026-12-07", Weeks: 2, Kinds: []string{"below_lower", "shortfall"}, Lowest: 0},
		{Brand: "B4", First: "2026-12-07", Weeks: 1, Kinds: []string{"below_lower"}, Lowest: 8},
		{Brand: "B3", First: "2026-12-14", Weeks: 1, Kinds: []string{"above_upper"}, Lowest: 90},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warningsOf = %+v; want %+v", got, want)
	}
}

const balanceBody = `{"from":"2026-11-30","weeks":2,"forecast_run":"r1","brands":[
 {"brand":"B0001","name":"云烟(紫)","stock":50,"weekly_sales":1234.56,"stock_to_sales":5,"limits":{"lower":10,"upper":60,"basis":"set"},"scarce_proposal":null,
  "weeks":[{"week":"2026-11-30","forecast":{"point":10,"lo80":8,"hi80":12},"requested":3,"arrivals":0,"demand":10,"opening":50,"projected":40,"shortfall":0,"surplus":40,"days_of_cover":28,"warnings":[]},
           {"week":"2026-12-07","forecast":null,"requested":0,"arrivals":0,"demand":10,"opening":40,"projected":30,"shortfall":0,"surplus":30,"days_of_cover":21,"warnings":[]}]},
 {"brand":"B0002","name":"红塔山(硬)","stock":0,"weekly_sales":10,"stock_to_sales":null,"limits":null,"scarce_proposal":{"cycle":"2026-11-30","supply":6,"demand":10,"shortfall":4},
  "weeks":[{"week":"2026-11-30","forecast":{"point":10,"lo80":8,"hi80":12},"requested":0,"arrivals":6,"demand":10,"opening":0,"projected":0,"shortfall":4,"surplus":0,"days_of_cover":0,"warnings":["shortfall"]},
           {"week":"2026-12-07","forecast":null,"requested":0,"arrivals":0,"demand":10,"opening":0,"projected":0,"shortfall":10,"surplus":0,"days_of_cover":0,"warnings":["shortfall"]}]}]}`

func pageRequest(method, target string, form url.Values) *http.Request {
	var req *http.Request
	if form == nil {
		req = httptest.NewRequest(method, target, nil)
	} else {
		form.Set(csrfField, strings.Repeat("c", 43))
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: csrfCookie, Value: strings.Repeat("c", 43)})
	}
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
	return req
}

// untranslated returns the message keys a page shows as themselves (missing from the catalogue).
func untranslated(body string) []string {
	return regexp.MustCompile(`\b(sp|mk|rd|nav)\.[a-z_.]+\b`).FindAllString(body, -1)
}

func meAs(role string) string { return `{"user":{"username":"u","role":"` + role + `"}}` }

// The balance lists the warned brand first, shows it in detail with its chart data and offers the
// step to the allocation preview with the supply the API proposes; other roles go home.
func TestBalancePage(t *testing.T) {
	api := fakeAPI{"GET /api/v1/me": {200, meAs("planner")}, "GET /api/v1/balance": {200, balanceBody}}
	rec := serve(t, api, pageRequest("GET", "/supply/balance?weeks=2", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /supply/balance = %d\n%s", rec.Code, body)
	}
	for _, want := range []string{`id="to-allocation"`, "用 6 条货源预览分配", `action="/supply/balance/B0002/allocation#allocation-preview"`,
		`"projected":[0,0]`, "vendor/echarts/echarts.min.js", "B0002 红塔山(硬) 的逐周平衡", "云烟(紫)", "自 2026-11-30 当周起 2 周"} {
		if !strings.Contains(body, want) {
			t.Errorf("balance page lacks %s", want)
		}
	}
	if keys := untranslated(body); len(keys) > 0 {
		t.Errorf("balance page shows message keys %v", keys)
	}
	if strings.Contains(body, "%!") {
		t.Error("balance page shows a message formatted with the wrong arguments")
	}
	if w, b := strings.Index(body, `id="warnings"`), strings.Index(body, `id="brands"`); w < 0 || b < w {
		t.Error("the warnings are not listed before the brands")
	}
	if list := body[strings.Index(body, `id="brand-list"`):]; strings.Index(list, "B0002") > strings.Index(list, "B0001") {
		t.Error("the brand with a shortfall is not listed first")
	}
	api["GET /api/v1/me"] = struct {
		status int
		body   string
	}{200, meAs("retailer")}
	if rec := serve(t, api, pageRequest("GET", "/supply/balance", nil)); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Errorf("GET /supply/balance as a retailer = %d %s; want a redirect home", rec.Code, rec.Header().Get("Location"))
	}
}

// A page counts cartons whole, with thousands grouped, whatever decimals the API gives.
func TestWholeCartons(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 62.62: "63", 999.5: "1,000", 24016.4: "24,016", -1234.5: "-1,235", 1234567: "1,234,567"} {
		if got := wholeCartons(in); got != want {
			t.Errorf("wholeCartons(%v) = %q; want %q", in, got, want)
		}
	}
	if got := wholeCartons(11809); got != "11,809" {
		t.Errorf("wholeCartons(int 11809) = %q; want 11,809", got)
	}
}

// Messages about a count take their ".one" form for 1, where the catalogue has one.
func TestLangN(t *testing.T) {
	en := Lang{Code: "en"}
	for _, tt := range []struct {
		key  string
		n    int
		args []any
		want string
	}{
		{"sp.from_week", 1, []any{"2026-12-07", 1}, "in the week of 2026-12-07"},
		{"sp.from_week", 3, []any{"2026-12-07", 3}, "from the week of 2026-12-07, 3 weeks"},
		{"mk.brands", 1, []any{1}, "1 brand"},
		{"mk.brands", 0, []any{0}, "0 brands"},
		{"sp.weeks", 1, nil, "Weeks"}, // no ".one" form
	} {
		if got := en.N(tt.key, tt.n, tt.args...); got != tt.want {
			t.Errorf("N(%q, %d) = %q; want %q", tt.key, tt.n, got, tt.want)
		}
	}
}

// A brand without a shortfall: the API's 409 is said on the page.
func TestBalanceAllocationNoShortfall(t *testing.T) {
	api := fakeAPI{"GET /api/v1/me": {200, meAs("planner")}, "GET /api/v1/balance": {200, balanceBody},
		"POST /api/v1/balance/B0001/allocation": {409, `{"type":"/problems/no-shortfall","status":409,"detail":"nothing to ration"}`}}
	rec := serve(t, api, pageRequest("POST", "/supply/balance/B0001/allocation", url.Values{"key": {"k"}, "weeks": {"2"}, "mode": {"grade"}}))
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "B0001 在这几周供应充足") {
		t.Errorf("POST allocation without a shortfall = %d\n%s", rec.Code, rec.Body)
	}
}

// Allocating by demand without a forecast: the API's 409 is said on the page in its language.
func TestBalanceAllocationNoForecast(t *testing.T) {
	api := fakeAPI{"GET /api/v1/me": {200, meAs("planner")}, "GET /api/v1/balance": {200, balanceBody},
		"POST /api/v1/balance/B0001/allocation": {409, `{"type":"/problems/no-forecast","status":409,"detail":"allocating by demand needs a forecast"}`}}
	rec := serve(t, api, pageRequest("POST", "/supply/balance/B0001/allocation", url.Values{"key": {"k"}, "weeks": {"2"}, "mode": {"demand"}}))
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "按需求分配 B0001 需要覆盖该周期的预测") {
		t.Errorf("POST allocation by demand without a forecast = %d\n%s", rec.Code, rec.Body)
	}
}

// Cartons that are not a whole number are refused on the page, before the API is asked.
func TestMakerArrivalsInvalid(t *testing.T) {
	api := fakeAPI{"GET /api/v1/me": {200, meAs("manufacturer")},
		"GET /api/v1/warehouse/stock":    {200, `{"stock":[{"brand":"B0002","manufacturer":"M01","cartons":0,"limits":null}]}`},
		"GET /api/v1/balance":            {200, balanceBody},
		"GET /api/v1/portal/sales":       {200, `{"from":"2026-09-07","to":"2026-11-30","by":"area","rows":[{"week":"2026-11-23","brand":"B0002","group":"城关街道","delivered":5,"requested":6,"outlets":2}]}`},
		"GET /api/v1/portal/allocations": {200, `{"outcomes":[]}`},
		"GET /api/v1/arrival-plans":      {200, `{"plans":[]}`},
	}
	rec := serve(t, api, pageRequest("POST", "/maker/arrivals", url.Values{"key": {"k"}, "brand": {"B0002"}, "arrives_on": {"2026-12-08"}, "cartons": {"2.5"}}))
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "请填写整数条数") || !strings.Contains(rec.Body.String(), `value="2.5"`) {
		t.Errorf("POST /maker/arrivals with 2.5 cartons = %d\n%s", rec.Code, rec.Body)
	}
	if rec := serve(t, api, pageRequest("GET", "/maker", nil)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "城关街道") ||
		len(untranslated(rec.Body.String())) > 0 {
		t.Errorf("GET /maker = %d, message keys %v\n%s", rec.Code, untranslated(rec.Body.String()), rec.Body)
	}
}

// The round: a day that is not a date goes to today's; an order not on the day's round is not delivered.
func TestRoundPage(t *testing.T) {
	asked := false
	api := fakeAPI{"GET /api/v1/me": {200, meAs("logistics")},
		"GET /api/v1/rounds/2026-12-07": {200, `{"day":"2026-12-07","routes":[{"route":"R01","stops":[{"order":7,"outlet":1,"licence":"530121000001","name":"黄记超市","address":"城关街道 1 号","lines":[{"brand":"B0005","name":"金叶（传承）","cartons":2}]}]}],"totals":[{"brand":"B0005","name":"金叶（传承）","cartons":2}]}`},
	}
	rec := serve(t, api, pageRequest("GET", "/rounds/2026-12-07", nil))
	if keys := untranslated(rec.Body.String()); len(keys) > 0 {
		t.Errorf("round page shows message keys %v", keys)
	}
	for _, want := range []string{"黄记超市", "城关街道 1 号", "金叶（传承）", `id="stop-7"`, "supply.css"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("round page lacks %s", want)
		}
	}
	if rec := serve(t, api, pageRequest("GET", "/rounds/yesterday", nil)); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/rounds/20") {
		t.Errorf("GET /rounds/yesterday = %d %s; want a redirect to today's round", rec.Code, rec.Header().Get("Location"))
	}
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/delivery") {
			asked = true
		}
		api.ServeHTTP(w, r)
	})
	rec = serve(t, wrapped, pageRequest("POST", "/rounds/2026-12-07/delivery", url.Values{"key": {"k"}, "order": {"8"}}))
	if rec.Code != http.StatusNotFound || asked || !strings.Contains(rec.Body.String(), "订单 8 不在这一天的配送中") {
		t.Errorf("delivering an order not on the round = %d (API asked: %v)\n%s", rec.Code, asked, rec.Body)
	}
}

// A driver's route alone: its stops, the totals it loads and the route kept in its forms and day
// links; a route with no stop left says so.
func TestRoundPageOneRoute(t *testing.T) {
	stop := func(order int, name, brand string, cartons int) string {
		return fmt.Sprintf(`{"order":%d,"outlet":%d,"licence":"5301210000%02d","name":%q,"address":"a","lines":[{"brand":%q,"name":"n%s","cartons":%d}]}`,
			order, order, order, name, brand, brand, cartons)
	}
	body := `{"day":"2026-12-07","routes":[{"route":"R01","stops":[` + stop(1, "甲", "B0002", 2) + `,` + stop(2, "乙", "B0001", 3) + `,` + stop(3, "丙", "B0002", 4) +
		`]},{"route":"R02","stops":[` + stop(4, "丁", "B0001", 9) + `]}],"totals":[{"brand":"B0001","name":"nB0001","cartons":12},{"brand":"B0002","name":"nB0002","cartons":6}]}`
	api := fakeAPI{"GET /api/v1/me": {200, meAs("logistics")}, "GET /api/v1/rounds/2026-12-07": {200, body}}
	rec := serve(t, api, pageRequest("GET", "/rounds/2026-12-07?route=R01", nil))
	page := rec.Body.String()
	if rec.Code != http.StatusOK || strings.Contains(page, `id="stop-4"`) || !strings.Contains(page, `id="stop-3"`) {
		t.Fatalf("GET ?route=R01 = %d; want R01's stops only\n%s", rec.Code, page)
	}
	totals := page[strings.Index(page, `id="totals"`):]
	if !regexp.MustCompile(`(?s)B0001</span></td><td class="num">3<.*B0002</span></td><td class="num">6<`).MatchString(totals) {
		t.Errorf("R01's totals = %s; want B0001 3 then B0002 6 (2 + 4)", totals)
	}
	for _, want := range []string{`name="route" value="R01"`, `href="/rounds/2026-12-08?route=R01"`, `href="/rounds/2026-12-07?route=R02"`, "线路 R01 拣货合计", `aria-current="page">R01`} {
		if !strings.Contains(page, want) {
			t.Errorf("GET ?route=R01 lacks %s", want)
		}
	}
	if page := serve(t, api, pageRequest("GET", "/rounds/2026-12-07?route=R99", nil)).Body.String(); strings.Contains(page, `id="stop-4"`) ||
		!strings.Contains(page, "线路 R99 这一天没有待配送的订单了") || !strings.Contains(page, `href="/rounds/2026-12-07?route=R02"`) {
		t.Errorf("GET ?route=R99 (every stop delivered) does not say the route has none left, with the other routes\n%s", page)
	}
}

// The round's progress: the day's orders delivered against all of them, as a bar and in words; a
// route with none left says it is done, and a day or route with every order delivered says so.
func TestRoundPageProgress(t *testing.T) {
	body := `{"day":"2026-12-07","routes":[{"route":"R01","stops":[` +
		`{"order":1,"outlet":1,"licence":"530121000001","name":"甲","address":"a","lines":[{"brand":"B0001","name":"n","cartons":1}]},` +
		`{"order":2,"outlet":2,"licence":"530121000002","name":"乙","address":"a","lines":[{"brand":"B0001","name":"n","cartons":1}]}]}],` +
		`"totals":[{"brand":"B0001","name":"n","cartons":2}],"delivered":[{"route":"R01","orders":3},{"route":"R03","orders":5}]}`
	api := fakeAPI{"GET /api/v1/me": {200, meAs("logistics")}, "GET /api/v1/rounds/2026-12-07": {200, body},
		"GET /api/v1/rounds/2026-12-08": {200, `{"day":"2026-12-08","routes":[],"totals":[],"delivered":[{"route":"R02","orders":4}]}`},
		"GET /api/v1/rounds/2026-12-09": {200, `{"day":"2026-12-09","routes":[],"totals":[],"delivered":[]}`},
	}
	for _, tt := range []struct {
		path string
		want []string
		not  []string
	}{
		{"/rounds/2026-12-07", []string{`<progress max="100" value="80"`, "已送达 8 / 10 单（80%）", `class="done"`, "R03（5 单已送完）", "R01（2 户）"}, []string{`id="no-stops"`}},
		{"/rounds/2026-12-07?route=R01", []string{`value="60"`, "已送达 3 / 5 单（60%）", `id="stop-2"`}, nil},
		{"/rounds/2026-12-07?route=R03", []string{"线路 R03 这一天的 5 单已全部送达", `value="100"`}, []string{`id="stop-1"`}},
		{"/rounds/2026-12-08", []string{"这一天的 4 单已全部送达", "已送达 4 / 4 单（100%）"}, nil},
		{"/rounds/2026-12-09", []string{"这一天没有待配送的订单"}, []string{"<progress"}},
	} {
		rec := serve(t, api, pageRequest("GET", tt.path, nil))
		page := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d", tt.path, rec.Code)
			continue
		}
		for _, want := range tt.want {
			if !strings.Contains(page, want) {
				t.Errorf("GET %s lacks %s", tt.path, want)
			}
		}
		for _, not := range tt.not {
			if strings.Contains(page, not) {
				t.Errorf("GET %s shows %s", tt.path, not)
			}
		}
	}
}

// Every upstream page renders in both languages without a message key or a bad format verb showing.
func TestSupplyPagesLanguages(t *testing.T) {
	for _, tt := range []struct{ role, path string }{
		{"planner", "/supply/balance"}, {"manufacturer", "/maker"}, {"logistics", "/rounds/2026-12-07"},
	} {
		api := fakeAPI{"GET /api/v1/me": {200, meAs(tt.role)}, "GET /api/v1/balance": {200, balanceBody},
			"GET /api/v1/warehouse/stock":    {200, `{"stock":[{"brand":"B0002","manufacturer":"M01","cartons":0,"limits":{"lower":1,"upper":9}}]}`},
			"GET /api/v1/portal/sales":       {200, `{"from":"2026-09-07","to":"2026-11-30","by":"area","rows":[]}`},
			"GET /api/v1/portal/allocations": {200, `{"outcomes":[{"cycle":"2026-11-23","brand":"B0002","supply_cartons":9,"requested_cartons":12,"granted_cartons":9,"fill_rate":0.75,"eligible_outlets":4,"covered_outlets":3,"coverage":0.75}]}`},
			"GET /api/v1/arrival-plans":      {200, `{"plans":[{"id":1,"brand":"B0002","arrives_on":"2026-12-08","cartons":9,"received":0,"cadence":"ten_days"}]}`},
			"GET /api/v1/rounds/2026-12-07":  {200, `{"day":"2026-12-07","routes":[],"totals":[],"delivered":[{"route":"R01","orders":3},{"route":"R02","orders":1}]}`},
		}
		for _, lang := range []string{"zh-CN", "en"} {
			req := pageRequest("GET", tt.path, nil)
			req.AddCookie(&http.Cookie{Name: langCookie, Value: lang})
			rec := serve(t, api, req)
			body := rec.Body.String()
			if rec.Code != http.StatusOK || len(untranslated(body)) > 0 || strings.Contains(body, "%!") {
				t.Errorf("GET %s in %s = %d, message keys %v, bad verbs %v", tt.path, lang, rec.Code, untranslated(body), strings.Contains(body, "%!"))
			}
		}
	}
}

// The balance's allocation preview shows its warnings and its limits' explanations in the reader's
// language, from their parts.
func TestBalanceAllocationTranslated(t *testing.T) {
	const preview = `{"scarce_proposal":{"cycle":"2026-11-30","supply":6,"demand":10,"shortfall":4},
	 "allocation":{"id":"p1","cycle":"2026-11-30","brand":"B0001","mode":"grade",
	  "warnings":["forecast run r9 has no demand for B0001 in the week of 2026-11-30: demand taken as 0"],
	  "warning_parts":[{"code":"no_brand_demand","params":{"run":"r9","brand":"B0001","week":"2026-11-30"}}],
	  "supply":6,"allocated":6,"eligible_outlets":3,"covered_outlets":3,"coverage":1,"fill_rate":0,"gini":0,
	  "limits":[{"outlet":"L1","cartons":2,"explanation":"limit 2 cartons: grade 18; no forecast",
	   "explanation_parts":[{"code":"limit","params":{"cartons":2}},{"code":"grade","params":{"grade":18}},{"code":"no_forecast","params":{}}]}],
	  "limits_total":3}}`
	api := fakeAPI{"GET /api/v1/me": {200, meAs("planner")}, "GET /api/v1/balance": {200, balanceBody},
		"POST /api/v1/balance/B0001/allocation": {200, preview}}
	for lang, want := range map[string][]string{
		"zh-CN": {`<p class="alert">预测批次 r9 没有 B0001 在 2026-11-30 当周的预测：各终端需求按 0 计</p>`, `<td class="why">限量 2 条：档位 18；没有预测</td>`},
		"en": {`<p class="alert">forecast run r9 has no demand for B0001 in the week of 2026-11-30: demand taken as 0</p>`,
			`<td class="why">limit 2 cartons: grade 18; no forecast</td>`},
	} {
		req := pageRequest("POST", "/supply/balance/B0001/allocation", url.Values{"key": {"k"}, "weeks": {"2"}, "mode": {"grade"}})
		req.AddCookie(&http.Cookie{Name: langCookie, Value: lang})
		rec := serve(t, api, req)
		for _, w := range want {
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), w) {
				t.Errorf("the balance's preview in %s = %d, without %s\n%s", lang, rec.Code, w, rec.Body)
			}
		}
	}
}
