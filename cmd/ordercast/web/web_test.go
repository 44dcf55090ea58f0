package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// Every language has every message, with the same format verbs.
func TestCatalogueComplete(t *testing.T) {
	verbs := func(s string) []string {
		var v []string
		for i := 0; i < len(s)-1; i++ {
			if s[i] == '%' {
				v = append(v, s[i:i+2])
				i++
			}
		}
		return v
	}
	zh := catalogue[defaultLang]
	for lang, msgs := range catalogue {
		for key, msg := range zh {
			other, ok := msgs[key]
			if !ok {
				t.Errorf("%s lacks %q", lang, key)
				continue
			}
			if !reflect.DeepEqual(verbs(msg), verbs(other)) {
				t.Errorf("%s %q = %q; want the verbs of %q", lang, key, other, msg)
			}
		}
		if len(msgs) != len(zh) {
			t.Errorf("%s has %d messages; %s has %d", lang, len(msgs), defaultLang, len(zh))
		}
	}
}

func TestMoney(t *testing.T) {
	for _, tt := range []struct {
		cents int64
		want  string
	}{{0, "¥0.00"}, {5, "¥0.05"}, {123456, "¥1,234.56"}, {-100000000, "-¥1,000,000.00"}} {
		if got := money(tt.cents); got != tt.want {
			t.Errorf("money(%d) = %q; want %q", tt.cents, got, tt.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for _, tt := range []struct{ next, want string }{
		{"/retailer", "/retailer"}, {"", "/"}, {"//evil.example", "/"}, {"https://evil.example", "/"},
		{"/\\evil", "/"}, {"/a\r\nSet-Cookie: x", "/"},
	} {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q; want %q", tt.next, got, tt.want)
		}
	}
}

// The retailer's messages: the window closing with nothing ordered, a failed order and why, a limit
// new since the last order (not one unchanged), a new product.
func TestAttention(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	three, two := 3, 2
	var cat catalogueJSON
	cat.Cycle = "2026-12-07"
	cat.Window.Open, cat.Window.ClosesAt = true, now.Add(5*time.Hour+30*time.Minute)
	cat.Lines = make([]catalogueLine, 3)
	cat.Lines[0].Brand, cat.Lines[0].Name, cat.Lines[0].Limit, cat.Lines[0].Explanation = "B1", "云岭", &three, "档位 18"
	cat.Lines[1].Brand, cat.Lines[1].Name, cat.Lines[1].Limit = "B2", "黄河", &two
	cat.Lines[2].Brand, cat.Lines[2].Name, cat.Lines[2].NewProduct = "B3", "金叶", true
	failed := order{ID: 7, Cycle: "2026-11-30", Status: "failed", Reason: "insufficient balance"}
	zh := Lang{Code: "zh-CN"}
	got := attention(zh, now, cat, []order{failed}, map[string]*int{"B2": &two})
	want := []string{
		"订货窗口 5 小时后截止，您本周还没有订货。",
		"订单 #7 失败：insufficient balance",
		"云岭 本周限量 3 条：档位 18",
		"新品上市：金叶",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attention = %q; want %q", got, want)
	}
	// Scarce brands awaiting their supply are named, in one message.
	awaiting := cat
	awaiting.Lines = append(append([]catalogueLine{}, cat.Lines...),
		catalogueLine{Brand: "B4", Name: "红塔", AwaitingSupply: true}, catalogueLine{Brand: "B5", Name: "玉溪", AwaitingSupply: true})
	got = attention(Lang{Code: "en"}, now, awaiting, []order{failed}, map[string]*int{"B2": &two})
	if last := got[len(got)-1]; len(got) != 5 || last != "2 scarce brands can be ordered once this week's supply is published: 红塔, 玉溪" {
		t.Errorf("attention with brands awaiting their supply = %q; want them named last", got)
	}
	placed := order{ID: 8, Cycle: "2026-12-07", Status: "submitted"}
	// A message that states the limit does not state it again from the explanation; an explanation
	// of the limit alone, or none, adds nothing.
	grade := []ExplanationPart{{Code: "limit", Params: map[string]any{"cartons": 1.0}}, {Code: "grade", Params: map[string]any{"grade": 25.0}},
		{Code: "no_forecast", Params: map[string]any{}}}
	one := 1
	for _, tt := range []struct {
		text  string
		parts []ExplanationPart
		want  string
	}{
		{"limit 1 carton: grade 25; no forecast", grade, "红河 本周限量 1 条：档位 25；没有预测"},
		{"limit 1 carton: grade 25; no forecast", nil, "红河 本周限量 1 条：grade 25; no forecast"},
		{"limit 1 carton", grade[:1], "红河 本周限量 1 条。"},
		{"limit 1 carton", nil, "红河 本周限量 1 条。"},
		{"", nil, "红河 本周限量 1 条。"},
		{"set by hand", nil, "红河 本周限量 1 条：set by hand"},
	} {
		c := catalogueJSON{Cycle: "2026-12-07"}
		c.Lines = []catalogueLine{{Brand: "B6", Name: "红河", Limit: &one, Explanation: tt.text, ExplanationParts: tt.parts}}
		if got := attention(zh, now, c, []order{placed}, nil); len(got) != 1 || got[0] != tt.want {
			t.Errorf("attention to a limit explained %q (%d parts) = %q; want %q", tt.text, len(tt.parts), got, tt.want)
		}
	}

	// An order placed this cycle: nothing about the window.
	got = attention(Lang{Code: "en"}, now, cat, []order{placed, failed}, map[string]*int{"B2": &two})
	if len(got) != 2 || strings.Contains(strings.Join(got, " "), "closes") {
		t.Errorf("attention with an order placed = %q; want the limit and the new product only", got)
	}
}

// The documentation page has every operation of the document.
func TestAPIDoc(t *testing.T) {
	raw, err := os.ReadFile("../openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseAPIDoc(raw)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range d.Operations {
		ids = append(ids, o.ID)
		if o.Path == "/api/v1/sessions" && o.Method == "POST" && !o.Public {
			t.Errorf("POST /sessions shown as needing a session")
		}
		if len(o.Responses) == 0 {
			t.Errorf("%s %s has no responses", o.Method, o.Path)
		}
	}
	sort.Strings(ids)
	for _, want := range []string{"logIn", "placeOrder"} {
		if i := sort.SearchStrings(ids, want); i == len(ids) || ids[i] != want {
			t.Errorf("operations %v lack %s", ids, want)
		}
	}
	if len(d.Schemas) == 0 {
		t.Error("no schemas")
	}
}

// fakeAPI answers the pages' API calls from a table of path → status and body.
type fakeAPI map[string]struct {
	status int
	body   string
}

func (f fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := f[r.Method+" "+r.URL.Path]
	if !ok {
		a.status, a.body = http.StatusNotFound, `{"type":"/problems/not-found","status":404}`
	}
	if a.status >= 400 {
		w.Header().Set("Content-Type", "application/problem+json")
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func serve(t *testing.T, api http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	return serveAt(t, api, req, time.Now, chinaTime)
}

// serveAt is serve with the pages' clock and region time zone.
func serveAt(t *testing.T, api http.Handler, req *http.Request, now func() time.Time, loc *time.Location) *httptest.ResponseRecorder {
	t.Helper()
	raw, err := os.ReadFile("../openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	pages, err := New(contractAPI(t, api), raw, slog.New(slog.DiscardHandler), now, loc)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	pages.Register(e)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// A store the API cannot reach gives a page saying so, with 503, not a JSON body.
func TestRetailerPageStoreUnavailable(t *testing.T) {
	api := fakeAPI{
		"GET /api/v1/me":                  {200, `{"user":{"username":"r","role":"retailer","outlet_id":1},"outlet":{"id":1,"name":"王记便利店"}}`},
		"GET /api/v1/outlets/1/catalogue": {503, `{"type":"/problems/unavailable","status":503,"detail":"postgresql unavailable"}`},
	}
	req := httptest.NewRequest("GET", "/retailer", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
	rec := serve(t, api, req)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "服务暂时不可用") ||
		!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("GET /retailer with the catalogue unavailable = %d %s\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}

// A form posted without the CSRF token of the browser's cookie is refused before the API is asked.
func TestCSRF(t *testing.T) {
	asked := false
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { asked = true })
	for _, tt := range []struct {
		name, cookie, field string
	}{
		{"no cookie", "", "x"},
		{"no field", strings.Repeat("a", 43), ""},
		{"mismatch", strings.Repeat("a", 43), strings.Repeat("b", 43)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/logout", strings.NewReader(url.Values{csrfField: {tt.field}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.cookie != "" {
				req.AddCookie(&http.Cookie{Name: csrfCookie, Value: tt.cookie})
			}
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
			if rec := serve(t, api, req); rec.Code != http.StatusForbidden || asked {
				t.Errorf("POST /logout = %d (API asked: %v); want 403 without asking", rec.Code, asked)
			}
		})
	}
}

// The retailer's page loads no chart library; the ECharts bundle is embedded for the pages that do.
func TestRetailerPageLoadsNoCharts(t *testing.T) {
	api := fakeAPI{
		"GET /api/v1/me": {200, `{"user":{"username":"r","role":"retailer","outlet_id":1},"outlet":{"id":1,"name":"王记便利店"}}`},
		"GET /api/v1/outlets/1/catalogue": {200, `{"cycle":"2026-12-07","window":{"opens_at":"2026-11-29T10:00:00Z",
			"closes_at":"2026-12-06T10:00:00Z","open":true},"funds":{"balance_cents":1000},
			"lines":[{"brand":"B1","name":"云岭（软）","wholesale_cents":3000,"scarce":true,"limit":3,"suggested":2}]}`},
		"GET /api/v1/outlets/1/orders": {200, `{"orders":[]}`},
	}
	req := httptest.NewRequest("GET", "/retailer", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
	rec := serve(t, api, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "云岭（软）") {
		t.Fatalf("GET /retailer = %d\n%s", rec.Code, rec.Body)
	}
	if strings.Contains(strings.ToLower(rec.Body.String()), "echarts") {
		t.Error("the retailer's page loads ECharts")
	}
	// The form starts empty, with the balance available to this order for the running total.
	if !strings.Contains(rec.Body.String(), `data-cents="1000"`) {
		t.Errorf("available balance not in the page:\n%s", rec.Body)
	}
	rec = serve(t, api, httptest.NewRequest("GET", "/static/vendor/echarts/echarts.min.js", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") || rec.Body.Len() < 100000 {
		t.Errorf("GET the ECharts bundle = %d %s, %d bytes", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
}

// Paths no page has are left to the server's 404, not caught by the pages.
func TestUnknownPathNotAPage(t *testing.T) {
	rec := serve(t, fakeAPI{}, httptest.NewRequest("GET", "/no/such/page", nil))
	if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "<html") {
		t.Errorf("GET /no/such/page = %d %s; want echo's 404, not a page", rec.Code, rec.Body)
	}
}

// Every message key a template or the code names literally is in the catalogue (a missing one shows
// as its key), and no message shows a doubled percent sign: T formats only when given arguments.
func TestCatalogueHasEveryKeyUsed(t *testing.T) {
	used := map[string]string{} // key → where
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`\.T "([a-z]+\.[a-z0-9_.]*[a-z0-9_])"`),                                // templates: {{$L.T "r.cancel"}}
		regexp.MustCompile(`\.T\("([a-z]+\.[a-z0-9_.]*[a-z0-9_])"`),                               // code: l.T("r.error", …)
		regexp.MustCompile(`(?:Notice|Key|Error|Title)(?: =|:) "([a-z]+\.[a-z0-9_.]*[a-z0-9_])"`), // code: d.Notice = "r.placed"
	}
	for _, glob := range []string{"templates/*.html", "*.go"} {
		paths, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range patterns {
				for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
					used[m[1]] = path
				}
			}
		}
	}
	if len(used) < 50 {
		t.Fatalf("found %d keys in use; the patterns no longer match the templates", len(used))
	}
	for key, where := range used {
		for lang, msgs := range catalogue {
			if _, ok := msgs[key]; !ok {
				t.Errorf("%s uses %q, missing in %s", where, key, lang)
			}
		}
	}
	for lang, msgs := range catalogue {
		for key, msg := range msgs {
			if strings.Contains(msg, "%%") && !strings.ContainsAny(strings.ReplaceAll(msg, "%%", ""), "%") {
				t.Errorf("%s %q = %q: a message without arguments shows %%%% as it is", lang, key, msg)
			}
		}
	}
}

// chinaTime is the tests' region time zone: China Standard Time, serve's default (Asia/Shanghai).
var chinaTime = time.FixedZone("CST", 8*3600)

// The pages' today is the region's: at 17:00 UTC on Sunday 6 December it is Monday 7 December in
// China, whose round and cycle the pages open; in a region on UTC, Sunday's and the week before.
func TestPagesTakeTheRegionsDay(t *testing.T) {
	at := func() time.Time { return time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		loc          *time.Location
		round, cycle string
	}{
		{chinaTime, "/rounds/2026-12-07", "/planner/cycles/2026-12-07"},
		{time.UTC, "/rounds/2026-12-06", "/planner/cycles/2026-11-30"},
	} {
		for role, want := range map[string]string{"logistics": tt.round, "planner": tt.cycle} {
			path := map[string]string{"logistics": "/rounds", "planner": "/planner"}[role]
			api := fakeAPI{"GET /api/v1/me": {200, meAs(role)}}
			rec := serveAt(t, api, pageRequest("GET", path, nil), at, tt.loc)
			if got := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || got != want {
				t.Errorf("GET %s as %s in %s = %d %s; want a redirect to %s", path, role, tt.loc, rec.Code, got, want)
			}
		}
	}
}
