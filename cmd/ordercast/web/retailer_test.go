package web

import (
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The retailer's page explains a published limit in the reader's language from its parts, and
// shows the text as the API gives it when there are none (a limit set by hand).
func TestRetailerLimitExplained(t *testing.T) {
	const catalogue = `{"cycle":"2026-12-07","window":{"opens_at":"2026-11-29T10:00:00Z","closes_at":"2026-12-06T10:00:00Z","open":true},
		"funds":{"balance_cents":1000},"lines":[
		{"brand":"B1","name":"云岭（软）","wholesale_cents":3000,"scarce":true,"limit":1,"suggested":1,
		 "limit_explanation":"limit 1 carton: grade 18; forecast 4.2 cartons; supply covers 0.5% of demand; held at the outlet cap of 1 carton",
		 "limit_explanation_parts":[{"code":"limit","params":{"cartons":1}},{"code":"grade","params":{"grade":18}},
		  {"code":"forecast","params":{"forecast":4.2}},{"code":"cover","params":{"cover_pct":0.5}},{"code":"capped","params":{"cap":1}}]},
		{"brand":"B2","name":"红河（硬）","wholesale_cents":2000,"limit":2,"suggested":0,"limit_explanation":"set by hand for the launch"}]}`
	api := fakeAPI{
		"GET /api/v1/me":                  {200, `{"user":{"username":"r","role":"retailer","outlet_id":1},"outlet":{"id":1,"name":"王记便利店"}}`},
		"GET /api/v1/outlets/1/catalogue": {200, catalogue},
		"GET /api/v1/outlets/1/orders":    {200, `{"orders":[]}`},
	}
	for _, tt := range []struct{ lang, want string }{
		{"zh-CN", "限量 1 条：档位 18；预测需求 4.2 条；货源满足预测需求的 0.5%；以单户上限 1 条为限"},
		{"en", "limit 1 carton: grade 18; forecast 4.2 cartons; supply covers 0.5% of demand; held at the outlet cap of 1 carton"},
	} {
		req := httptest.NewRequest("GET", "/retailer", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
		req.AddCookie(&http.Cookie{Name: langCookie, Value: tt.lang})
		rec := serve(t, api, req)
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /retailer in %s = %d\n%s", tt.lang, rec.Code, body)
		}
		for _, want := range []string{"<p>" + html.EscapeString(tt.want) + "</p>", "<p>set by hand for the launch</p>"} {
			if !strings.Contains(body, want) {
				t.Errorf("the retailer's page in %s lacks %q", tt.lang, want)
			}
		}
	}
}

// A scarce brand awaiting its supply is listed without a quantity to type, says why, and the
// messages name it; the brand published beside it is orderable as usual.
func TestRetailerAwaitingSupply(t *testing.T) {
	const catalogue = `{"cycle":"2026-12-14","window":{"opens_at":"2026-12-06T10:00:00Z","closes_at":"2026-12-13T10:00:00Z","open":true},
		"funds":{"balance_cents":100000},"lines":[
		{"brand":"B1","name":"云岭（软）","wholesale_cents":3000,"scarce":true,"awaiting_supply":true,"suggested":0,"expected_demand":2.5},
		{"brand":"B2","name":"红河（硬）","wholesale_cents":2000,"scarce":true,"limit":1,"suggested":1}]}`
	api := fakeAPI{
		"GET /api/v1/me":                  {200, `{"user":{"username":"r","role":"retailer","outlet_id":1},"outlet":{"id":1,"name":"王记便利店"}}`},
		"GET /api/v1/outlets/1/catalogue": {200, catalogue},
		"GET /api/v1/outlets/1/orders":    {200, `{"orders":[]}`},
	}
	req := httptest.NewRequest("GET", "/retailer", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "token"})
	req.AddCookie(&http.Cookie{Name: langCookie, Value: "en"})
	rec := serve(t, api, req)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /retailer = %d\n%s", rec.Code, body)
	}
	if strings.Contains(body, `name="q_B1"`) || !strings.Contains(body, `name="q_B2"`) {
		t.Error("want a quantity for B2 only: B1 awaits its supply")
	}
	for _, want := range []string{
		"This week&#39;s supply is not published yet: you can order it once it is",
		"1 scarce brand can be ordered once this week&#39;s supply is published: 云岭（软）",
		"<strong>Limit 1 carton</strong>", "红河（硬） is limited to 1 carton this week",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the retailer's page lacks %q", want)
		}
	}
}
