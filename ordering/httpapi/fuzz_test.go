package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
)

// Every request a client can send to the ordering routes (any body, path parameters, query, If-Match
// and Idempotency-Key, as any role) is answered without a panic and without a 500: a refusal is a
// problem+json body. Run for longer with: go test -run '^$' -fuzz FuzzOrderingRequests -fuzztime 1m ./ordering/httpapi/
func FuzzOrderingRequests(f *testing.F) {
	f.Add(uint8(0), "retailer1", "1", "", `{"lines":[{"brand":"B01","quantity":2}]}`, "", "k1")
	f.Add(uint8(0), "retailer1", "1", "", `{"lines":[{"brand":"B01","quantity":-2}],"all_or_nothing":true}`, `"v1"`, "")
	f.Add(uint8(0), "manager", "2", "", `{"lines":[{"brand":"\u0000","quantity":1e99}]}`, "*", "k2")
	f.Add(uint8(1), "retailer2", "2", "?before=3&limit=0", "", "", "")
	f.Add(uint8(2), "retailer1", "1", "", "", "", "")
	f.Add(uint8(3), "retailer1", "1/orders/1", "", "", `W/"v0"`, "")
	f.Add(uint8(4), "planner", "2026-11-30", "", `{"lines":[{"brand":"B01","supply":10}],"limits":[]}`, "", "")
	f.Add(uint8(5), "planner", "2026-13-40", "?status=paid&after=x", "", "", "")
	f.Add(uint8(6), "logistics", "1", "", `{"lines":[{"brand":"B01","delivered":1}]}`, "", "d1")
	f.Add(uint8(7), "admin", "x", "?week=2026-11-30", "{", "", "")
	routes := []struct{ method, path string }{
		{"POST", "/outlets/%s/orders"}, {"GET", "/outlets/%s/orders"}, {"GET", "/outlets/%s/catalogue"},
		{"DELETE", "/outlets/%s"}, {"PUT", "/cycles/%s/supply"}, {"GET", "/cycles/%s/orders"},
		{"POST", "/orders/%s/delivery"}, {"GET", "/cycles/%s"},
	}
	f.Fuzz(func(t *testing.T, route uint8, as, param, query, body, ifMatch, key string) {
		if _, ok := principals[as]; !ok {
			as = "retailer1"
		}
		// What an HTTP client can put in a request line and headers: no control characters or spaces in
		// the URL (a client escapes them), none but tab in a header value.
		if param == "" || strings.IndexFunc(param+query, func(r rune) bool { return r < 0x21 || r == 0x7f || r == '#' }) >= 0 ||
			strings.IndexFunc(ifMatch+key, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			t.Skip()
		}
		r := routes[int(route)%len(routes)]
		s := newServer(t, newStore(), fakeDemand{}, nil)
		path := strings.Replace(r.path, "%s", param, 1)
		if query != "" && !strings.HasPrefix(query, "?") {
			query = "?" + query
		}
		// Percent escapes are what clients send for anything else; a malformed one no client sends.
		if _, err := url.ParseRequestURI("/api/v1" + path + query); err != nil {
			t.Skip()
		}
		rec := s.do(t, req{as: as, method: r.method, path: path + query, body: body, key: key, ifMatch: ifMatch})
		if rec.Code >= 500 {
			t.Fatalf("%s %s%s as %s, body %q, If-Match %q, key %q: %d %s", r.method, path, query, as, body, ifMatch, key, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusNotFound {
			if ct := rec.Header().Get("Content-Type"); ct != problem.MediaType {
				t.Fatalf("%s %s%s: %d with Content-Type %q; want a problem", r.method, path, query, rec.Code, ct)
			}
		}
	})
}
