package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/ordering"
	orderingpg "github.com/ordercast/ordercast/ordering/postgres"
)

// Answers that were 500s before the API had one error path: each is now the 4xx it should be, with a
// detail written for people.
func TestAPIErrorsAreProblemsNot500s(t *testing.T) {
	s, pg := seededServer(t, "-max-body", "2048")
	anon := apiClient{t: t, base: s.url}
	planner, r1 := anon.login("planner", demoPassword), anon.login("retailer1", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	outlet := "/api/v1/outlets/" + jsonNumber(me["outlet"].(map[string]any)["id"])
	_, cat, _ := r1.do("GET", outlet+"/catalogue", "")
	week := cat["cycle"].(string)

	t.Run("scores of a month never scored", func(t *testing.T) {
		code, m, raw := planner.do("GET", "/api/v1/scores?month=2020-01", "")
		if code != http.StatusNotFound || m["type"] != "/problems/no-scores" {
			t.Errorf("GET /scores of an unscored month = %d %s; want 404 no-scores", code, raw)
		}
	})
	t.Run("allocation by demand without a forecast run", func(t *testing.T) {
		code, m, raw, _ := planner.post("/api/v1/cycles/"+week+"/allocations", "no-run",
			`{"brand":"`+seededBrands(t, pg, 1)[0]+`","supply":10,"mode":"demand","dry_run":true}`)
		if code != http.StatusConflict || m["type"] != "/problems/no-forecast" {
			t.Errorf("allocation by demand before any forecast = %d %s; want 409 no-forecast", code, raw)
		}
	})
	t.Run("bad input that reached the stores", func(t *testing.T) {
		brand := seededBrands(t, pg, 1)[0]
		for _, tt := range []struct {
			name   string
			c      apiClient
			method string
			path   string
			body   string
			field  string
			bad    bool // outside what openapi.json allows
		}{
			{"NUL in a login", anon, "POST", "/api/v1/sessions", `{"username":"retailer1\u0000","password":"x"}`, "username", false},
			{"NUL in an order line", r1, "POST", outlet + "/orders", `{"lines":[{"brand":"B\u00001","quantity":1}]}`, "lines[0].brand", false},
			{"NUL in a query", planner, "GET", "/api/v1/outlets?status=act%00ive", "", "status", true},
			{"supply of 2^31 cartons", planner, "PUT", "/api/v1/cycles/" + week + "/supply",
				`{"plan":[{"brand":"` + brand + `","on_sale":true,"supply_cartons":2147483648}]}`, "plan[0].supply_cartons", true},
			{"a cap of 2^31 cartons", planner, "PUT", "/api/v1/cycles/" + week + "/supply",
				`{"plan":[{"brand":"` + brand + `","on_sale":true,"per_outlet_cap":2147483648}]}`, "plan[0].per_outlet_cap", true},
			{"1e308 packs scanned", r1, "POST", outlet + "/scans",
				`{"batch_id":"huge","rows":[{"brand":"` + brand + `","kind":"sellout","at":"2026-11-20T10:00:00+08:00","qty":1e308}]}`, "rows[0].qty", true},
		} {
			h := map[string]string{"Idempotency-Key": "bad-" + strings.ReplaceAll(tt.name, " ", "-")}
			c := tt.c
			if tt.bad {
				c = c.badRequest()
			}
			code, m, raw, _ := c.doWith(tt.method, tt.path, tt.body, h)
			if code != http.StatusUnprocessableEntity || m["type"] != "/problems/invalid-fields" || !strings.Contains(raw, `"field":"`+tt.field+`"`) {
				t.Errorf("%s: %s %s = %d %s; want 422 naming %s", tt.name, tt.method, tt.path, code, raw, tt.field)
			}
		}
	})
	t.Run("an allocation of a brand the catalogue does not hold", func(t *testing.T) {
		code, m, raw, _ := planner.post("/api/v1/cycles/"+week+"/allocations", "no-brand",
			`{"brand":"NO-SUCH-BRAND","supply":10,"dry_run":true}`)
		if code != http.StatusUnprocessableEntity || m["type"] != "/problems/invalid-fields" || !strings.Contains(raw, `"field":"brand"`) {
			t.Errorf("allocation preview of an unknown brand = %d %s; want 422 naming brand", code, raw)
		}
	})
	t.Run("supply for a cycle whose windows are all past", func(t *testing.T) {
		past := ordering.WeekStart(time.Now()).AddDate(0, 0, -21)
		store := orderingpg.New(storestest.OpenPostgres(t, pg))
		if _, err := store.EnsureCycle(context.Background(), past, ordering.DefaultWindowPolicy.Windows(past)); err != nil {
			t.Fatal(err)
		}
		brand := seededBrands(t, pg, 1)[0]
		body := `{"plan":[{"brand":"` + brand + `","on_sale":true,"supply_cartons":5}]}`
		code, m, raw := planner.do("PUT", "/api/v1/cycles/"+past.Format(time.DateOnly)+"/supply", body)
		// The seed loads its last weeks as closed cycles: a past week may be one of them ("the cycle is closed").
		if code != http.StatusConflict || m["type"] != "/problems/order-state-conflict" ||
			!strings.Contains(raw, "cut off") && !strings.Contains(raw, "cycle is closed") {
			t.Errorf("supply of a cycle three weeks past = %d %s; want 409 saying its windows are cut off or it is closed", code, raw)
		}
		code, _, raw, _ = planner.post("/api/v1/cycles/"+past.Format(time.DateOnly)+"/allocations", "past",
			`{"brand":"`+brand+`","supply":5}`)
		if code != http.StatusConflict || !strings.Contains(raw, "cut off") {
			t.Errorf("allocation published on a cycle three weeks past = %d %s; want 409 saying its windows are cut off", code, raw)
		}
	})
	t.Run("a brand not on sale", func(t *testing.T) {
		code, m, raw, _ := r1.post(outlet+"/orders", "not-on-sale", `{"lines":[{"brand":"NO-SUCH-BRAND","quantity":1}]}`)
		if code != http.StatusUnprocessableEntity || m["type"] != "/problems/not-on-sale" ||
			!strings.Contains(raw, `{"field":"lines[0].brand","detail":"NO-SUCH-BRAND is not on sale in this cycle"}`) {
			t.Errorf("order of an unknown brand = %d %s; want 422 not-on-sale naming the line", code, raw)
		}
	})
	// Chunked bodies declare no length, so only reading them finds that they are too large.
	for _, tt := range []struct{ name, path, key string }{
		{"login", "/api/v1/sessions", ""},
		{"order", outlet + "/orders", "big-order"},
		{"scans", outlet + "/scans", ""},
	} {
		t.Run("chunked body over the limit: "+tt.name, func(t *testing.T) {
			body := io.MultiReader(strings.NewReader(`{"lines":[`), strings.NewReader(strings.Repeat(`{"brand":"B001","quantity":1},`, 200)))
			req, err := http.NewRequest(http.MethodPost, s.url+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+r1.token)
			req.Header.Set("Content-Type", "application/json")
			if tt.key != "" {
				req.Header.Set("Idempotency-Key", tt.key)
			}
			res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var p struct{ Type, Detail string }
			raw, _ := io.ReadAll(res.Body)
			if req.ContentLength > 0 || res.StatusCode != http.StatusRequestEntityTooLarge ||
				json.Unmarshal(raw, &p) != nil || p.Type != "/problems/body-too-large" {
				t.Errorf("POST %s chunked (length %d) = %d %s; want 413 body-too-large", tt.path, req.ContentLength, res.StatusCode, raw)
			}
		})
	}
	t.Run("no detail is a Go error chain", func(t *testing.T) {
		// A Tuesday (not a cycle's Monday), a Monday years ahead (no cycle yet), an unknown order.
		later := forecast.Monday(time.Now().AddDate(4, 0, 0)).Format(time.DateOnly)
		for _, path := range []string{"/api/v1/cycles/2026-11-24", "/api/v1/cycles/" + later, fmt.Sprintf("%s/orders/999999", outlet)} {
			code, m, raw := planner.do("GET", path, "")
			if d, _ := m["detail"].(string); code < 400 || d == "" || strings.Contains(d, "ordering:") || strings.Contains(d, "%!") {
				t.Errorf("GET %s = %d %s; want a problem whose detail is a sentence", path, code, raw)
			}
		}
	})
}

// A client that sends its headers and then trickles its body is cut off after -body-timeout with 408,
// instead of holding a connection and a handler for as long as it likes.
func TestAPISlowBodyIsCutOff(t *testing.T) {
	s, _ := seededServer(t, "-body-timeout", "1s")
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(s.url, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second)) //nolint:errcheck // bounds the test; a failure shows below
	body := `{"username":"retailer1","password":"` + demoPassword + `"}`
	fmt.Fprintf(conn, "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		len(body), body[:10])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(raw), `"type":"/problems/body-timeout"`) {
		t.Errorf("stalled body = %d %s; want 408 body-timeout", res.StatusCode, raw)
	}
}
