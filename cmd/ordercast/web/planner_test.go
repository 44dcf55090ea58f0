package web

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

const plannerMe = `{"user":{"username":"planner","role":"planner"}}`

const plannerCycle = `{"week":"2026-12-07","status":"open","windows":[{"order_day":"tuesday","opens_at":"2026-11-30T10:00:00Z",
 "closes_at":"2026-12-07T10:00:00Z","cut_off":false}],"supply":[{"brand":"B0002","on_sale":true,"supply_cartons":null,"per_outlet_cap":null,
 "limits":0,"limit_cartons":0,"used_cartons":0,"requested_cartons":0,"granted_cartons":0,"fill_rate":1,"eligible_outlets":0,"covered_outlets":0,"coverage":0},
 {"brand":"B0001","on_sale":true,"supply_cartons":40,"per_outlet_cap":null,"published_at":"2026-12-01T02:00:00Z","limits":12,"limit_cartons":38,
 "used_cartons":5,"requested_cartons":20,"granted_cartons":15,"fill_rate":0.75,"eligible_outlets":12,"covered_outlets":6,"coverage":0.5}],
 "orders":{"submitted":3,"failed":1}}`

func plannerGet(t *testing.T, api http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
	return serve(t, api, req)
}

// The cycle page shows the windows, the rationed brand first with its limits, fill rate and
// coverage, the orders by status and the order list.
func TestCyclePage(t *testing.T) {
	api := fakeAPI{
		"GET /api/v1/me":                       {200, plannerMe},
		"GET /api/v1/cycles/2026-12-07":        {200, plannerCycle},
		"GET /api/v1/cycles/2026-12-07/orders": {200, `{"orders":[{"id":9,"outlet_id":4,"cycle":"2026-12-07","status":"failed","failure_reason":"insufficient balance","total_cents":12000,"version":1,"updated_at":"2026-12-02T01:00:00Z","lines":[]}],"next":"?status=&limit=50&after=9"}`},
	}
	rec := plannerGet(t, api, "/planner/cycles/2026-12-07")
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("GET cycle page = %d\n%s", rec.Code, body)
	}
	for _, want := range []string{"订货周期 2026-12-07", "周二", "75.0%", "50.0% (6/12)", "insufficient balance", `data-status="submitted"`,
		`href="/planner/cycles/2026-12-07?after=9" rel="next"`} {
		if !strings.Contains(body, want) {
			t.Errorf("cycle page lacks %q", want)
		}
	}
	if strings.Index(body, `data-brand="B0001"`) > strings.Index(body, `data-brand="B0002"`) {
		t.Error("the rationed brand B0001 is not listed first")
	}
	if rec := plannerGet(t, fakeAPI{"GET /api/v1/me": {200, plannerMe}}, "/planner/cycles/2026-13-01"); rec.Code != http.StatusNotFound {
		t.Errorf("GET a cycle page of no date = %d; want 404", rec.Code)
	}
	retailer := fakeAPI{"GET /api/v1/me": {200, `{"user":{"username":"r","role":"retailer","outlet_id":1},"outlet":{"id":1}}`}}
	if rec := plannerGet(t, retailer, "/planner/cycles/2026-12-07"); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Errorf("a retailer on the cycle page = %d %s; want 303 to /", rec.Code, rec.Header().Get("Location"))
	}
}

// A cycle whose scarce brands await their supply says so above the supply plan, lists them first,
// and marks them in the published column.
func TestCyclePageAwaitingSupply(t *testing.T) {
	const cycle = `{"week":"2026-12-14","status":"open","windows":[{"order_day":"monday","opens_at":"2026-12-06T10:00:00Z",
 "closes_at":"2026-12-13T10:00:00Z","cut_off":false}],"supply":[
 {"brand":"B0001","name":"云岭（软）","on_sale":true,"supply_cartons":40,"per_outlet_cap":null,"published_at":"2026-12-05T02:00:00Z",
  "scarce":true,"awaiting_supply":false,"limits":12,"limit_cartons":38,"used_cartons":0,"requested_cartons":0,"granted_cartons":0,
  "fill_rate":1,"eligible_outlets":12,"covered_outlets":0,"coverage":0},
 {"brand":"B0007","name":"黄河（硬）","on_sale":true,"supply_cartons":null,"per_outlet_cap":null,"scarce":true,"awaiting_supply":true,
  "limits":0,"limit_cartons":0,"used_cartons":0,"requested_cartons":0,"granted_cartons":0,"fill_rate":1,"eligible_outlets":0,
  "covered_outlets":0,"coverage":0},
 {"brand":"B0002","on_sale":true,"supply_cartons":null,"per_outlet_cap":null,"scarce":false,"awaiting_supply":false,"limits":0,
  "limit_cartons":0,"used_cartons":0,"requested_cartons":0,"granted_cartons":0,"fill_rate":1,"eligible_outlets":0,"covered_outlets":0,
  "coverage":0}],"orders":{}}`
	api := fakeAPI{
		"GET /api/v1/me":                       {200, plannerMe},
		"GET /api/v1/cycles/2026-12-14":        {200, cycle},
		"GET /api/v1/cycles/2026-12-14/orders": {200, `{"orders":[]}`},
		"GET /api/v1/cycles/2026-12-07":        {200, plannerCycle},
		"GET /api/v1/cycles/2026-12-07/orders": {200, `{"orders":[]}`},
	}
	rec := plannerGet(t, api, "/planner/cycles/2026-12-14")
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("GET cycle page = %d\n%s", rec.Code, body)
	}
	for _, want := range []string{
		`1 个紧俏品牌本周货源尚未发布，发布前零售户无法订购：<a href="/planner/cycles/2026-12-14/allocation?brand=B0007">黄河（硬）</a>。`,
		"未发布，暂停订购",
		`<a class="button primary" href="/planner/cycles/2026-12-14/supply" id="publish-awaiting">一次发布全部</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("cycle page lacks %q", want)
		}
	}
	if i, j := strings.Index(body, `data-brand="B0007"`), strings.Index(body, `data-brand="B0001"`); i < 0 || i > j {
		t.Error("the brand awaiting its supply is not listed first")
	}

	// The week before's page points to it once its windows have opened, not before.
	for _, tt := range []struct {
		now  time.Time
		want bool
	}{{time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), true}, {time.Date(2026, 12, 6, 9, 59, 0, 0, time.UTC), false}} {
		req := httptest.NewRequest("GET", "/planner/cycles/2026-12-07", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
		rec := serveAt(t, api, req, func() time.Time { return tt.now }, chinaTime)
		body := rec.Body.String()
		got := strings.Contains(body, `<a href="/planner/cycles/2026-12-14">2026-12-14 周期的订货窗口已开放，1 个紧俏品牌货源尚未发布：黄河（硬）</a>`)
		if rec.Code != http.StatusOK || got != tt.want || strings.Contains(body, `id="awaiting"`) {
			t.Errorf("the week before's page at %v = %d, points to the next cycle's brands %t; want %t, and none of its own",
				tt.now, rec.Code, got, tt.want)
		}
	}
}

// allocationAPI answers the preview (kept as a1, with 120 limits), its pages, its publication and the
// publication of a new allocation, and records what was asked.
type allocationAPI struct {
	fakeAPI
	bodies    []map[string]any // of POST /allocations
	keys      []string         // of every POST
	published []string         // kept previews published
	refusal   string           // a kept preview's publication is refused with this problem type
	limit     string           // a limit's JSON, a format of its index; "" for one explained as "grade 5"
	warnings  string           // the preview's warnings and warning_parts, as JSON members; "" for none
}

func (a *allocationAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const base = "/api/v1/cycles/2026-12-07/allocations"
	page := func(status, offset, n int) {
		var limits []string
		format := a.limit
		if format == "" {
			format = `{"outlet":"L%03d","grade":5,"demand":1.5,"quota":1.2,"cartons":1,"explanation":"grade 5"}`
		}
		for i := offset; i < min(120, offset+n); i++ {
			limits = append(limits, fmt.Sprintf(format, i))
		}
		warnings := a.warnings
		if warnings == "" {
			warnings = `"warnings":[],"warning_parts":[]`
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"id":"a1","cycle":"2026-12-07","brand":"B0001","mode":"grade","published":false,`+warnings+`,
		 "summary":{"supply":40,"allocated":40,"unallocated":0,"eligible_outlets":120,"covered_outlets":40,"coverage":0.333,"demand":80,
		 "fill_rate":0.5,"gini":0.4123,"grades":[{"grade":5,"outlets":120,"covered":40,"cartons":40,"demand":80,"fill_rate":0.5}],
		 "areas":[{"area":"城关区","outlets":120,"cartons":40,"share":1}]},"limits":[%s],"limits_total":120,"limits_offset":%d,
		 "expires_at":"2026-12-07T10:00:00Z"}`, strings.Join(limits, ","), offset)
	}
	q := r.URL.Query()
	n, _ := strconv.Atoi(q.Get("limits"))
	switch {
	case r.Method == "POST" && r.URL.Path == base:
		var b map[string]any
		raw, _ := io.ReadAll(r.Body)
		json.Unmarshal(raw, &b)
		a.bodies, a.keys = append(a.bodies, b), append(a.keys, r.Header.Get("Idempotency-Key"))
		status := 200
		if b["dry_run"] != true {
			status = 201
		}
		page(status, 0, n)
	case r.Method == "GET" && r.URL.Path == base+"/a1":
		offset, _ := strconv.Atoi(q.Get("offset"))
		page(200, offset, n)
	case r.Method == "POST" && r.URL.Path == base+"/a1/publication":
		a.keys = append(a.keys, r.Header.Get("Idempotency-Key"))
		if a.refusal != "" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(409)
			fmt.Fprintf(w, `{"type":"/problems/%s","title":"Conflict","status":409,"detail":"refused"}`, a.refusal)
			return
		}
		a.published = append(a.published, "a1")
		page(201, 0, n)
	case strings.HasPrefix(r.URL.Path, base+"/"):
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(404)
		io.WriteString(w, `{"type":"/problems/no-preview","title":"Not Found","status":404}`)
	default:
		a.fakeAPI.ServeHTTP(w, r)
	}
}

// The preview is computed once: it shows the summary, the fairness figure and every outlet's
// explanation a page at a time from the kept preview, the confirmation names the limits it replaces,
// and publishing publishes the kept preview with the form's key; a stale preview is refused with a
// message, and an expired one is computed again.
func TestAllocationPages(t *testing.T) {
	api := &allocationAPI{fakeAPI: fakeAPI{
		"GET /api/v1/me":                {200, plannerMe},
		"GET /api/v1/cycles/2026-12-07": {200, plannerCycle},
	}}
	q := url.Values{"brand": {"B0001"}, "supply": {"40"}, "mode": {"grade"}}
	rec := plannerGet(t, api, "/planner/cycles/2026-12-07/allocation?"+q.Encode())
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "第 1–50 户，共 120 户") ||
		!strings.Contains(body, `href="?brand=B0001&amp;mode=grade&amp;page=1&amp;preview=a1&amp;supply=40" rel="next"`) {
		t.Fatalf("preview = %d; want outlets 1–50 of 120 and the next page of preview a1\n%s", rec.Code, body)
	}
	q.Set("preview", "a1")
	q.Set("page", "2")
	rec = plannerGet(t, api, "/planner/cycles/2026-12-07/allocation?"+q.Encode())
	body = rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("preview page 3 = %d\n%s", rec.Code, body)
	}
	for _, want := range []string{"0.412", "第 101–120 户，共 120 户", "grade 5", "城关区",
		`href="?brand=B0001&amp;mode=grade&amp;page=1&amp;preview=a1&amp;supply=40" rel="prev"`,
		`href="/planner/cycles/2026-12-07/allocation/confirm?brand=B0001&amp;mode=grade&amp;preview=a1&amp;supply=40"`} {
		if !strings.Contains(body, want) {
			t.Errorf("preview page 3 lacks %q", want)
		}
	}
	if strings.Contains(body, `rel="next"`) || strings.Count(body, `data-outlet=`) != 20 {
		t.Errorf("preview page 3 shows %d outlets (next link: %v); want the last 20", strings.Count(body, `data-outlet=`), strings.Contains(body, `rel="next"`))
	}
	if len(api.bodies) != 1 {
		t.Fatalf("the API computed %d previews; want 1, the pages read the kept one", len(api.bodies))
	}
	if b := api.bodies[0]; b["dry_run"] != true || b["supply"] != 40.0 || b["brand"] != "B0001" {
		t.Errorf("preview asked %v; want a dry run of 40 cartons of B0001", b)
	}

	q.Del("page")
	rec = plannerGet(t, api, "/planner/cycles/2026-12-07/allocation/confirm?"+q.Encode())
	body = rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "将替换当前的 12 户限量（合计 38 条）") || !strings.Contains(body, "已有订单占用 5 条") {
		t.Fatalf("confirmation = %d; want it to name the 12 limits (38 cartons) it replaces\n%s", rec.Code, body)
	}
	if len(api.bodies) != 1 || regexpField(t, body, "preview") != "a1" {
		t.Errorf("confirmation computed %d previews, publishes %q; want the kept a1", len(api.bodies), regexpField(t, body, "preview"))
	}
	key := regexpField(t, body, "key")
	csrf := regexpField(t, body, csrfField)
	publish := func() *httptest.ResponseRecorder {
		form := url.Values{csrfField: {csrf}, "key": {key}, "brand": {"B0001"}, "supply": {"40"}, "mode": {"grade"}, "preview": {"a1"}}
		req := httptest.NewRequest("POST", "/planner/cycles/2026-12-07/allocation", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
		req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrf})
		return serve(t, api, req)
	}
	rec = publish()
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/planner/cycles/2026-12-07?published=B0001" {
		t.Fatalf("publish = %d %s\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	if len(api.published) != 1 || len(api.bodies) != 1 || api.keys[len(api.keys)-1] != key {
		t.Errorf("publish published %v (computed %d) with key %q; want the kept a1 with the form's key %q", api.published,
			len(api.bodies), api.keys[len(api.keys)-1], key)
	}
	api.refusal = "stale-preview"
	if rec := publish(); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "终端、预测或供应已有变化") {
		t.Errorf("publishing a stale preview = %d; want 409 saying what changed and to preview again\n%s", rec.Code, rec.Body)
	}
	api.refusal = "published-meanwhile"
	if rec := publish(); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "货源已被再次发布") {
		t.Errorf("publishing a preview of a brand published since = %d; want 409 saying so\n%s", rec.Code, rec.Body)
	}
	api.refusal = ""

	// An expired preview is computed again from the form in the query.
	q.Set("preview", "gone")
	if rec := plannerGet(t, api, "/planner/cycles/2026-12-07/allocation?"+q.Encode()); rec.Code != http.StatusOK || len(api.bodies) != 2 {
		t.Errorf("an expired preview's page = %d after %d computations; want 200 after computing it again", rec.Code, len(api.bodies))
	}

	// A week without a cycle is a page saying so.
	if rec := plannerGet(t, api, "/planner/cycles/2020-01-06/allocation?brand=B0001&supply=4"); rec.Code != http.StatusNotFound ||
		!strings.Contains(rec.Body.String(), "没有这个订货周期") {
		t.Errorf("allocation page of a week without a cycle = %d\n%s", rec.Code, rec.Body)
	}

	// A supply that is not a number is refused on the page, without asking the API.
	n := len(api.bodies)
	rec = plannerGet(t, api, "/planner/cycles/2026-12-07/allocation?brand=B0001&supply=many")
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "supply-err") || len(api.bodies) != n {
		t.Errorf("preview of supply=many = %d (API asked %d times); want 422 with the field's error", rec.Code, len(api.bodies)-n)
	}
}

func regexpField(t *testing.T, html, name string) string {
	t.Helper()
	i := strings.Index(html, `name="`+name+`" value="`)
	if i < 0 {
		t.Fatalf("no field %s in the page", name)
	}
	rest := html[i+len(`name="`+name+`" value="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// The accuracy page shows every level of a scored month, and says when a month was not scored.
func TestAccuracyPage(t *testing.T) {
	score := func(level, key string) struct {
		status int
		body   string
	} {
		return struct {
			status int
			body   string
		}{200, `{"month":"2026-10","dataset":"live","against":"sales","level":"` + level + `","run_id":"r1","scored_at":"2026-11-02T00:00:00Z",
		 "scores":[{"key":"` + key + `","actual":100,"forecast":90,"abs_error":10,"accuracy":0.9,"item_accuracy":0.85,"wape":0.1,"bias":-0.1}]}`}
	}
	api := fakeAPI{"GET /api/v1/me": {200, plannerMe}}
	// fakeAPI matches paths, not queries: one answer serves every level here.
	api["GET /api/v1/scores"] = score("company", "total")
	api["GET /api/v1/scores/weeks"] = struct {
		status int
		body   string
	}{200, `{"month":"2026-10","dataset":"live","against":"sales","brand":"","run_id":"r1","weeks":[
	 {"week":"2026-09-28","forecast":101.25,"lo80":80,"hi80":120,"actual":97},{"week":"2026-10-05","forecast":null,"lo80":null,"hi80":null,"actual":5}]}`}
	rec := plannerGet(t, api, "/planner/accuracy?month=2026-10")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || strings.Count(body, "90.0%") != 4 || !strings.Contains(body, "按客户经理") {
		t.Errorf("accuracy page = %d; want 4 levels at 90.0%%\n%s", rec.Code, body)
	}
	// The chart's figures: the page loads ECharts and its script, and the table holds the same weeks.
	for _, want := range []string{"vendor/echarts/echarts.min.js", "planner-accuracy.js", `"forecast":101.25`, "<td class=\"n\">101.2</td>", "80.0 – 120.0"} {
		if !strings.Contains(body, want) {
			t.Errorf("accuracy page lacks %q", want)
		}
	}
	api["GET /api/v1/scores/weeks"] = struct {
		status int
		body   string
	}{404, `{"type":"/problems/no-figures","status":404}`}
	rec = plannerGet(t, api, "/planner/accuracy?month=2026-10&brand=NOPE")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "NOPE 在本月各周既无预测也无实际") || strings.Contains(rec.Body.String(), "echarts") {
		t.Errorf("accuracy page of an unknown brand = %d; want the report, no chart and why\n%s", rec.Code, rec.Body)
	}
	api["GET /api/v1/scores"] = struct {
		status int
		body   string
	}{404, `{"type":"/problems/no-scores","status":404,"detail":"not scored"}`}
	rec = plannerGet(t, api, "/planner/accuracy?month=2026-10")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="no-scores"`) {
		t.Errorf("accuracy page of a month not scored = %d\n%s", rec.Code, rec.Body)
	}
}

// A publication the API refuses (a limit below what an order holds) is shown on the form with the
// API's reason, not as a server error.
func TestAllocationPublishRefused(t *testing.T) {
	api := fakeAPI{
		"GET /api/v1/me": {200, plannerMe},
		"POST /api/v1/cycles/2026-12-07/allocations": {409, `{"type":"/problems/allocation-conflict","status":409,
			"detail":"outlet 530121000006 already holds 4 cartons of B0001"}`},
	}
	csrf := strings.Repeat("c", 43)
	form := url.Values{csrfField: {csrf}, "key": {"k1"}, "brand": {"B0001"}, "supply": {"40"}, "mode": {"grade"}}
	req := httptest.NewRequest("POST", "/planner/cycles/2026-12-07/allocation", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrf})
	rec := serve(t, api, req)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "未能投放：outlet 530121000006 already holds 4 cartons of B0001") {
		t.Errorf("refused publication = %d; want 409 with the API's reason\n%s", rec.Code, rec.Body)
	}
}

// The preview explains every limit in the reader's language from the explanation's parts, and in
// the API's English text when a part's code is one the pages do not know.
func TestAllocationExplained(t *testing.T) {
	const parts = `[{"code":"limit","params":{"cartons":2}},{"code":"grade","params":{"grade":18}},{"code":"forecast","params":{"forecast":4.2}},` +
		`{"code":"group_demand","params":{"dimension":"district","group":"城关区","group_supply":12,"supply":40}},` +
		`{"code":"cover","params":{"cover_pct":61}},{"code":"grade_limit_up","params":{"grade":18,"limit":2,"quota":1.56}}]`
	const text = "limit 2 cartons: grade 18; forecast 4.2 cartons; district 城关区 receives 12 of 40 cartons by its forecast demand; " +
		"supply covers 61% of demand; grade 18 limit 2 cartons (quota 1.56 rounded up by largest remainder)"
	for _, tt := range []struct {
		name, lang, parts, want string
	}{
		{"zh-CN", "zh-CN", parts, "限量 2 条：档位 18；预测需求 4.2 条；区县“城关区”按预测需求分得 12 条（共 40 条）；货源满足预测需求的 61%；18 档限量 2 条（配额 1.56 按最大余数法进位）"},
		{"en", "en", parts, text},
		{"unknown code", "zh-CN", `[{"code":"limit","params":{"cartons":2}},{"code":"from_the_future","params":{}}]`, text},
		{"no parts", "zh-CN", `[]`, text},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := &allocationAPI{fakeAPI: fakeAPI{
				"GET /api/v1/me":                {200, plannerMe},
				"GET /api/v1/cycles/2026-12-07": {200, plannerCycle},
			}, limit: `{"outlet":"L%03d","grade":18,"demand":4.2,"quota":1.56,"cartons":2,"explanation":"` + strings.ReplaceAll(text, "%", "%%") + `","explanation_parts":` + tt.parts + `}`}
			q := url.Values{"brand": {"B0001"}, "supply": {"40"}, "mode": {"grade_within"}, "dimension": {"district"}}
			req := httptest.NewRequest("GET", "/planner/cycles/2026-12-07/allocation?"+q.Encode(), nil)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
			req.AddCookie(&http.Cookie{Name: langCookie, Value: tt.lang})
			var h http.Handler = api
			if tt.name == "unknown code" { // a code of a newer API
				h = outsideContract(api)
			}
			rec := serve(t, h, req)
			body := rec.Body.String()
			if rec.Code != http.StatusOK {
				t.Fatalf("preview = %d\n%s", rec.Code, body)
			}
			if got := strings.Count(body, "<td>"+html.EscapeString(tt.want)+"</td>"); got != 50 {
				t.Errorf("preview explains %d of 50 outlets as %q\n%s", got, tt.want, body[strings.Index(body, `data-outlet="L000"`):][:600])
			}
		})
	}
}

// The preview's warnings are shown in the reader's language from their parts.
func TestAllocationWarningsTranslated(t *testing.T) {
	const warnings = `"warnings":["no forecast run covers the week of 2026-12-07: demand taken as 0","3 cartons left unallocated: the eligible outlets cannot take them"],` +
		`"warning_parts":[{"code":"no_forecast_run","params":{"week":"2026-12-07"}},{"code":"unallocated","params":{"cartons":3}}]`
	for lang, want := range map[string][]string{
		"zh-CN": {"没有覆盖 2026-12-07 当周的预测批次：各终端需求按 0 计", "尚有 3 条未能分配：符合条件的终端已无法再承接"},
		"en":    {"no forecast run covers the week of 2026-12-07: demand taken as 0", "3 cartons left unallocated: the eligible outlets cannot take them"},
	} {
		api := &allocationAPI{fakeAPI: fakeAPI{
			"GET /api/v1/me":                {200, plannerMe},
			"GET /api/v1/cycles/2026-12-07": {200, plannerCycle},
		}, warnings: warnings}
		q := url.Values{"brand": {"B0001"}, "supply": {"40"}, "mode": {"grade"}}
		for _, path := range []string{"/planner/cycles/2026-12-07/allocation?" + q.Encode(),
			"/planner/cycles/2026-12-07/allocation?preview=a1&page=1&" + q.Encode()} {
			req := httptest.NewRequest("GET", path, nil)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
			req.AddCookie(&http.Cookie{Name: langCookie, Value: lang})
			rec := serve(t, api, req)
			body := rec.Body.String()
			for _, w := range want {
				if rec.Code != http.StatusOK || !strings.Contains(body, `<p class="alert">`+html.EscapeString(w)+`</p>`) {
					t.Errorf("%s in %s = %d, without the warning %q\n%s", path, lang, rec.Code, w, body)
				}
			}
		}
	}
}

// A preview by demand without a forecast of the cycle is refused in the page's language.
func TestAllocationNoForecast(t *testing.T) {
	api := fakeAPI{
		"GET /api/v1/me":                {200, plannerMe},
		"GET /api/v1/cycles/2026-12-07": {200, plannerCycle},
		"POST /api/v1/cycles/2026-12-07/allocations": {409, `{"type":"/problems/no-forecast","status":409,
			"detail":"allocating by demand needs a forecast of the brand for the cycle's week: run the forecast first"}`},
	}
	q := url.Values{"brand": {"B0001"}, "supply": {"40"}, "mode": {"demand"}}
	req := httptest.NewRequest("GET", "/planner/cycles/2026-12-07/allocation?"+q.Encode(), nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
	rec := serve(t, api, req)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "按需求或价类分配需要覆盖该周期的预测") {
		t.Errorf("a preview by demand without a forecast = %d\n%s", rec.Code, rec.Body)
	}
}

// The supply page proposes the supply typed, else its basis's, else the other basis's, else none.
func TestProposedSupply(t *testing.T) {
	n := func(v int) *int { return &v }
	for _, tt := range []struct {
		basis         string
		typed         map[string]string
		balance, last *int
		want          string
	}{
		{basisBalance, nil, n(730), n(1779), "730"},
		{basisLast, nil, n(730), n(1779), "1779"},
		{basisBalance, nil, nil, n(1779), "1779"},
		{basisLast, nil, n(730), nil, "730"},
		{basisBalance, nil, nil, nil, ""},
		{basisBalance, map[string]string{"B1": "12"}, n(730), n(1779), "12"},
		{basisLast, map[string]string{"B1": ""}, n(730), n(1779), ""},
		{basisBalance, nil, n(0), n(1779), "0"},
	} {
		f := supplyForm{Basis: tt.basis, Supply: tt.typed}
		if got := proposedSupply(f, supplyRow{Brand: "B1", Balance: tt.balance, Last: tt.last}); got != tt.want {
			t.Errorf("basis %s, typed %v: proposed %q; want %q", tt.basis, tt.typed, got, tt.want)
		}
	}
}
