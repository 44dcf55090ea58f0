package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// fuzzAPI answers every API call the pages make, whatever its path parameters and query, from the
// pages' test fakes: /me as role, and by mode either the routes' usual answers (0) or a refusal of
// the calls that carry what the browser sent (every write, and the read named by input): 422 with
// field errors (1), 404 (2), 409 (3), 503 with Retry-After (4). The reads a page makes of its own
// (a manufacturer's stock, say) are answered as usual: the API refusing those is a fault of the
// server, which the page rightly answers with 500.
type fuzzAPI struct {
	role  string
	mode  uint8
	input string // "GET /pattern" of the read that carries the browser's query or path; "" for none
}

// fuzzAnswers are the usual answers, by method and path with "*" for one segment.
var fuzzAnswers = func() map[string]string {
	m := managerAPI()
	out := map[string]string{
		"GET /bulletin":            m["GET /api/v1/bulletin"].body,
		"GET /outlets":             m["GET /api/v1/outlets"].body,
		"GET /indicators/trend":    m["GET /api/v1/indicators/trend"].body,
		"GET /outlets/*":           m["GET /api/v1/outlets/7"].body,
		"GET /outlets/*/catalogue": m["GET /api/v1/outlets/7/catalogue"].body,
		"GET /outlets/*/weeks":     m["GET /api/v1/outlets/7/weeks"].body,
		"GET /outlets/*/orders": `{"orders":[{"id":9,"outlet_id":7,"cycle":"2026-11-30","status":"submitted","total_cents":12000,"version":1,
			"updated_at":"2026-12-02T01:00:00Z","lines":[{"brand":"B1","requested":2,"granted":2}]}]}`,
		"POST /outlets/*/orders": `{"id":9,"outlet_id":7,"cycle":"2026-11-30","status":"submitted","total_cents":12000,"version":1,
			"updated_at":"2026-12-02T01:00:00Z","lines":[{"brand":"B1","requested":2,"granted":2}]}`,
		"GET /cycles/*":        plannerCycle,
		"GET /cycles/*/orders": `{"orders":[{"id":9,"outlet_id":4,"cycle":"2026-12-07","status":"failed","failure_reason":"insufficient balance","total_cents":12000,"version":1,"updated_at":"2026-12-02T01:00:00Z","lines":[]}],"next":"?status=&limit=50&after=9"}`,
		"GET /scores": `{"month":"2026-10","dataset":"live","against":"sales","level":"company","run_id":"r1","scored_at":"2026-11-02T00:00:00Z",
			"scores":[{"key":"total","actual":100,"forecast":90,"abs_error":10,"accuracy":0.9,"item_accuracy":0.85,"wape":0.1,"bias":-0.1}]}`,
		"GET /scores/weeks": `{"month":"2026-10","dataset":"live","against":"sales","brand":"","run_id":"r1","weeks":[
			{"week":"2026-09-28","forecast":101.25,"lo80":80,"hi80":120,"actual":97},{"week":"2026-10-05","forecast":null,"lo80":null,"hi80":null,"actual":5}]}`,
		"GET /balance":                     balanceBody,
		"GET /warehouse/stock":             `{"stock":[{"brand":"B0002","manufacturer":"M01","cartons":0,"limits":{"lower":1,"upper":9}}]}`,
		"GET /portal/sales":                `{"from":"2026-09-07","to":"2026-11-30","by":"area","rows":[{"week":"2026-11-23","brand":"B0002","group":"城关街道","delivered":5,"requested":6,"outlets":2}]}`,
		"GET /portal/allocations":          `{"outcomes":[{"cycle":"2026-11-23","brand":"B0002","supply_cartons":9,"requested_cartons":12,"granted_cartons":9,"fill_rate":0.75,"eligible_outlets":4,"covered_outlets":3,"coverage":0.75}]}`,
		"GET /arrival-plans":               `{"plans":[{"id":1,"brand":"B0002","arrives_on":"2026-12-08","cartons":9,"received":0,"cadence":"ten_days"}]}`,
		"GET /rounds/*":                    `{"day":"2026-12-07","routes":[{"route":"R01","stops":[{"order":7,"outlet":1,"licence":"530121000001","name":"黄记超市","address":"城关街道 1 号","lines":[{"brand":"B0005","name":"金叶（传承）","cartons":2}]}]}],"totals":[{"brand":"B0005","name":"金叶（传承）","cartons":2}]}`,
		"DELETE /sessions/current":         "",
		"POST /orders/*/delivery":          `{}`,
		"POST /orders/*/returns":           `{"refund_cents":6000}`,
		"POST /outlets/*/orders/*/receipt": `{}`,
		"POST /arrival-plans":              `{}`,
		"POST /sessions":                   `{"token":"t","expires_at":"2026-12-04T00:00:00Z","user":{"username":"u","role":"planner"}}`,
	}
	return out
}()

func (a fuzzAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/api/v1")
	if r.Method == http.MethodGet && path == "/me" {
		me := meAs(a.role)
		if a.role == "retailer" {
			me = `{"user":{"username":"r","role":"retailer","outlet_id":7},"outlet":{"id":7,"name":"王记便利店"}}`
		}
		io.WriteString(w, me)
		return
	}
	problem := func(status int, body string) {
		w.Header().Set("Content-Type", "application/problem+json")
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
	// A conflict (409) answers only a write: no read of the API answers it.
	carries := a.input != "" && matches(a.input, r.Method+" "+path) && a.mode%5 != 3
	refuse := a.mode%5 != 0 && (r.Method != http.MethodGet || carries)
	switch {
	case !refuse:
	case a.mode%5 == 1:
		problem(422, `{"type":"/problems/invalid-fields","title":"Unprocessable Entity","status":422,"detail":"the request has invalid fields",
			"errors":[{"field":"lines[0].quantity","detail":"want 1 or more"},{"field":"week","detail":"not a Monday"}]}`)
		return
	case a.mode%5 == 2:
		problem(404, `{"type":"/problems/not-found","title":"Not Found","status":404,"detail":"no such thing"}`)
		return
	case a.mode%5 == 3:
		problem(409, `{"type":"/problems/conflict","title":"Conflict","status":409,"detail":"changed meanwhile"}`)
		return
	default:
		problem(503, `{"type":"/problems/unavailable","title":"Service Unavailable","status":503,"detail":"postgresql unavailable"}`)
		return
	}
	if r.Method == http.MethodPost && matches("POST /balance/*/allocation", r.Method+" "+path) {
		path = "/cycles/2026-12-07/allocations" // the proposal's preview, as the allocation pages' fake answers it
	}
	if strings.HasPrefix(path, "/cycles/") && strings.Contains(path, "/allocations") {
		// The allocation pages' fake answers the cycle of 2026-12-07 and the preview a1.
		segs := strings.Split(path, "/") // "", cycles, week, allocations[, id[, publication]]
		if len(segs) > 2 {
			segs[2] = "2026-12-07"
		}
		if len(segs) > 4 {
			segs[4] = "a1"
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/api/v1" + strings.Join(segs, "/")
		(&allocationAPI{fakeAPI: fakeAPI{}}).ServeHTTP(w, r2)
		return
	}
	for pattern, body := range fuzzAnswers {
		if matches(pattern, r.Method+" "+path) {
			if body == "" {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if r.Method == http.MethodPost {
				w.WriteHeader(http.StatusCreated)
			}
			io.WriteString(w, body)
			return
		}
	}
	problem(404, `{"type":"/problems/not-found","title":"Not Found","status":404}`)
}

// matches reports whether "METHOD /path" matches pattern, "*" standing for one segment.
func matches(pattern, call string) bool {
	p, c := strings.Split(pattern, "/"), strings.Split(call, "/")
	if len(p) != len(c) {
		return false
	}
	for i := range p {
		if p[i] != "*" && p[i] != c[i] {
			return false
		}
	}
	return true
}

// FuzzPages sends any path parameter, query, form and language cookie to every page, as every role, with the API
// answering as usual or refusing every call: never a panic, never a 5xx but the 503 of an API that
// is unavailable, a refusal is a page (HTML) and a redirect goes to a path of this site. Run for
// longer with: go test -run '^$' -fuzz '^FuzzPages$' -fuzztime 60s -parallel 1 ./cmd/ordercast/web/
func FuzzPages(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(0), "", "", "username=retailer1&password=ordercast-demo&next=%2Fretailer", true, "")
	f.Add(uint8(0), uint8(0), uint8(1), "", "", "username=&password=&next=%2F%2Fevil.example", true, "")
	f.Add(uint8(1), uint8(0), uint8(0), "", "?next=https%3A%2F%2Fevil.example%2F", "", true, "")
	f.Add(uint8(2), uint8(0), uint8(0), "", "", "lang=en&next=%2Fretailer", true, "en")
	f.Add(uint8(3), uint8(0), uint8(0), "", "", "key=k1&qty_B1=2&qty_B2=-1&qty_B3=1e99&all_or_nothing=on", true, "")
	f.Add(uint8(3), uint8(0), uint8(1), "", "", "key=&qty_B1=%00", false, "")
	f.Add(uint8(4), uint8(0), uint8(0), "", "", "key=k2&order=9&version=1", true, "")
	f.Add(uint8(5), uint8(0), uint8(4), "", "", "", true, "xx\"; \x00")
	f.Add(uint8(6), uint8(1), uint8(0), "", "?date=2026-12-03&filter=failed&limit=20&offset=20&manager=M01", "", true, "")
	f.Add(uint8(7), uint8(1), uint8(0), "", "?list=not_ordered&format=csv&date=2026-13-45", "", true, "")
	// The bulletin refusing a date (422) or a manager (404): the page said 500 before these were found.
	f.Add(uint8(6), uint8(1), uint8(1), "", "?date=2026-13-45", "", true, "")
	f.Add(uint8(7), uint8(1), uint8(2), "", "?format=csv&manager=NOPE", "", true, "")
	f.Add(uint8(8), uint8(1), uint8(0), "7", "?brand=B1&weeks=8", "", true, "")
	f.Add(uint8(9), uint8(1), uint8(0), "", "?licence=L0001", "", true, "")
	f.Add(uint8(10), uint8(2), uint8(0), "", "", "", true, "")
	f.Add(uint8(11), uint8(2), uint8(0), "2026-12-07", "?status=failed&after=9", "", true, "")
	f.Add(uint8(12), uint8(2), uint8(0), "2026-12-07", "?brand=B0001&supply=40&mode=grade_within&dimension=district&cap=2&limits=50&offset=50&preview=a1", "", true, "")
	f.Add(uint8(13), uint8(2), uint8(3), "2026-12-07", "?preview=a1&brand=B0001&supply=40", "", true, "")
	f.Add(uint8(14), uint8(2), uint8(0), "2026-12-07", "", "key=k3&preview=a1&brand=B0001&supply=40&mode=grade", true, "")
	f.Add(uint8(15), uint8(2), uint8(0), "", "?month=2026-10&level=brand&against=orders", "", true, "")
	f.Add(uint8(16), uint8(2), uint8(0), "", "?weeks=2&brand=B0002", "", true, "")
	f.Add(uint8(17), uint8(2), uint8(0), "B0002", "", "key=k4&weeks=2&mode=demand&supply=6", true, "")
	f.Add(uint8(18), uint8(3), uint8(0), "", "", "", true, "")
	f.Add(uint8(19), uint8(3), uint8(1), "", "", "key=k5&brand=B0002&arrives_on=2026-12-08&cartons=2.5&cadence=ten_days", true, "")
	f.Add(uint8(20), uint8(4), uint8(0), "", "", "", true, "")
	f.Add(uint8(21), uint8(4), uint8(0), "yesterday", "", "", true, "")
	f.Add(uint8(22), uint8(4), uint8(0), "2026-12-07", "", "key=k6&order=8", true, "")
	f.Add(uint8(23), uint8(4), uint8(0), "2026-12-07", "", "key=k7&order=8&brand=B0005&cartons=1&reason=damaged", true, "")
	f.Add(uint8(24), uint8(5), uint8(0), "", "", "", true, "")
	f.Add(uint8(25), uint8(0), uint8(0), "", "", "", true, "")
	// Each page with the API read that carries its query or path parameter.
	routes := []struct{ method, path, input string }{
		{"POST", "/login", ""}, {"GET", "/login", ""}, {"POST", "/lang", ""}, {"POST", "/retailer/order", ""},
		{"POST", "/retailer/receipt", ""}, {"GET", "/retailer", ""}, {"GET", "/manager", "GET /bulletin"},
		{"GET", "/manager/export", "GET /bulletin"}, {"GET", "/manager/outlets/{p}", "GET /outlets/*/weeks"},
		{"GET", "/manager/outlet", "GET /outlets"}, {"GET", "/planner", ""}, {"GET", "/planner/cycles/{p}", "GET /cycles/*"},
		{"GET", "/planner/cycles/{p}/allocation", "GET /cycles/*/allocations/*"},
		{"GET", "/planner/cycles/{p}/allocation/confirm", "GET /cycles/*/allocations/*"},
		{"POST", "/planner/cycles/{p}/allocation", ""}, {"GET", "/planner/accuracy", "GET /scores"},
		{"GET", "/supply/balance", "GET /balance"}, {"POST", "/supply/balance/{p}/allocation", ""}, {"GET", "/maker", ""},
		{"POST", "/maker/arrivals", ""}, {"GET", "/rounds", ""}, {"GET", "/rounds/{p}", "GET /rounds/*"},
		{"POST", "/rounds/{p}/delivery", ""}, {"POST", "/rounds/{p}/return", ""}, {"GET", "/", ""}, {"POST", "/logout", ""},
		{"GET", "/docs/api", ""}, {"GET", "/static/{p}", ""},
		{"GET", "/planner/cycles/{p}/supply", "GET /cycles/*"}, {"POST", "/planner/cycles/{p}/supply", ""},
	}
	roles := []string{"retailer", "manager", "planner", "manufacturer", "logistics", "admin"}
	raw, err := os.ReadFile("../openapi.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(26), uint8(0), uint8(0), "", "", "", true, "")
	f.Add(uint8(27), uint8(0), uint8(0), "app.css", "?v=1", "", true, "")
	f.Add(uint8(27), uint8(0), uint8(0), "..%2F..%2Fgo.mod", "", "", true, "")
	f.Add(uint8(28), uint8(2), uint8(0), "2026-12-07", "?basis=last&mode=demand&supply.B0001=-3&supply.B0002=x", "", true, "")
	f.Add(uint8(29), uint8(2), uint8(0), "2026-12-07", "", "key=k8&brand=B0001&preview.B0001=a1&supply.B0001=40&brand=B0002", true, "")
	f.Fuzz(func(t *testing.T, route, role, mode uint8, param, query, form string, csrf bool, lang string) {
		r := routes[int(route)%len(routes)]
		if !strings.Contains(r.path, "{p}") {
			param = "p"
		}
		if query != "" && !strings.HasPrefix(query, "?") {
			query = "?" + query
		}
		// What a browser can send in a request line: no control characters or spaces, a path
		// parameter without a slash, no malformed percent escape.
		if param == "" || strings.ContainsAny(param, "/?") ||
			strings.IndexFunc(param+query, func(r rune) bool { return r < 0x21 || r == 0x7f || r == '#' }) >= 0 {
			t.Skip()
		}
		target := strings.Replace(r.path, "{p}", param, 1) + query
		if _, err := url.ParseRequestURI(target); err != nil {
			t.Skip()
		}
		pages, err := New(fuzzAPI{role: roles[int(role)%len(roles)], mode: mode, input: r.input}, raw, slog.New(slog.DiscardHandler),
			func() time.Time { return time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC) }, chinaTime)
		if err != nil {
			t.Fatal(err)
		}
		e := echo.New()
		pages.Register(e)
		var body io.Reader
		if r.method == http.MethodPost {
			if csrf {
				form += "&" + csrfField + "=" + strings.Repeat("c", 43)
			}
			body = strings.NewReader(form)
		}
		req := httptest.NewRequest(r.method, target, body)
		if r.method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: csrfCookie, Value: strings.Repeat("c", 43)})
		}
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
		if lang != "" {
			req.Header.Add("Cookie", langCookie+"="+lang) // as it came, not as http.Cookie would clean it
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)

		what := r.method + " " + target + " as " + roles[int(role)%len(roles)] + ", form " + form
		switch {
		case rec.Code >= 500 && !(rec.Code == http.StatusServiceUnavailable && mode%5 == 4):
			t.Fatalf("%s (API mode %d): %d\n%s", what, mode%5, rec.Code, rec.Body)
		case rec.Code >= 300 && rec.Code < 400:
			loc := rec.Header().Get("Location")
			if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
				t.Fatalf("%s: %d to %q; want a path of this site", what, rec.Code, loc)
			}
		case rec.Code >= 400 && !strings.HasPrefix(r.path, "/static/"): // an unknown asset is the server's 404, as any unknown path
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("%s: %d with Content-Type %q; want a page\n%s", what, rec.Code, ct, rec.Body)
			}
		}
	})
}
