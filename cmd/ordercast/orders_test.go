package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/ordering"
	orderingpg "github.com/ordercast/ordercast/ordering/postgres"
)

// post sends a POST with an Idempotency-Key (none when key is "").
func (a apiClient) post(path, key, body string) (int, map[string]any, string, http.Header) {
	a.t.Helper()
	h := map[string]string{}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	return a.doWith("POST", path, body, h)
}

func TestAPIOrders(t *testing.T) {
	s, pg := seededServer(t)
	anon := apiClient{t: t, base: s.url}
	r1, r2, m1 := anon.login("retailer1", demoPassword), anon.login("retailer2", demoPassword), anon.login("manager1", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	outlet := me["outlet"].(map[string]any)
	id, licence := jsonNumber(outlet["id"]), outlet["licence"].(string)
	base := "/api/v1/outlets/" + id

	code, cat, raw := r1.do("GET", base+"/catalogue", "")
	lines, _ := cat["lines"].([]any)
	window, _ := cat["window"].(map[string]any)
	if code != http.StatusOK || len(lines) == 0 || window["open"] != true {
		t.Fatalf("GET catalogue = %d %s; want an open window and brands on sale", code, raw)
	}
	first := lines[0].(map[string]any)
	brand := first["brand"].(string)
	if _, ok := first["suggested"].(float64); !ok {
		t.Errorf("catalogue line %v has no suggested quantity", first)
	}

	// The planner's limit of 2 cartons of the brand for this outlet (the planner API comes with
	// allocation; the store publishes it here).
	store := orderingpg.New(storestest.OpenPostgres(t, pg))
	c, _, _, err := store.Catalogue(context.Background(), mustInt(t, id), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.PublishSupply(context.Background(), c.ID, 0, 0, []ordering.SupplyLine{{Brand: brand, OnSale: true}},
		[]ordering.OutletLimit{{Outlet: licence, Brand: brand, Cartons: 2, Explanation: "test limit"}}, "manual", time.Now()); err != nil {
		t.Fatal(err)
	}

	body := fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":5}]}`, brand)
	if code, m, raw, _ := r1.badRequest().post(base+"/orders", "", body); code != http.StatusBadRequest || m["type"] != "/problems/idempotency-key-required" {
		t.Errorf("POST without Idempotency-Key = %d %s; want 400", code, raw)
	}
	code, order, raw, _ := r1.post(base+"/orders", "k-1", body)
	line0, _ := order["lines"].([]any)
	if code != http.StatusCreated || len(line0) != 1 {
		t.Fatalf("POST order = %d %s; want 201 with one line", code, raw)
	}
	l := line0[0].(map[string]any)
	if l["requested"] != 5.0 || l["granted"] != 2.0 || l["limited"] != "limit" {
		t.Errorf("line = %v; want 5 requested, 2 granted, limited by the limit", l)
	}
	code, _, replay, hdr := r1.post(base+"/orders", "k-1", body)
	if code != http.StatusCreated || replay != raw || hdr.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay = %d %s (replayed %q); want the first response again", code, replay, hdr.Get("Idempotent-Replayed"))
	}
	if code, m, raw, _ := r1.post(base+"/orders", "k-1", strings.Replace(body, "5", "4", 1)); code != http.StatusUnprocessableEntity || m["type"] != "/problems/idempotency-key-reused" {
		t.Errorf("same key, other body = %d %s; want 422", code, raw)
	}
	if code, m, raw, _ := r1.post(base+"/orders", "k-2", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":5}],"all_or_nothing":true}`, brand)); code != http.StatusConflict || m["type"] != "/problems/limit-exceeded" ||
		strings.Contains(raw, "ordering:") || !strings.Contains(raw, fmt.Sprintf(`{"field":"lines[0].quantity","detail":"%s: 5 requested, 2 left"}`, brand)) {
		t.Errorf("all-or-nothing above the limit = %d %s; want 409 limit-exceeded, a detail for people and the line over its limit in errors", code, raw)
	}
	if code, _, raw, _ := r1.badRequest().post(base+"/orders", "k-3", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":1}],"status":"paid","outlet_id":1}`, brand)); code != http.StatusUnprocessableEntity {
		t.Errorf("order setting protected fields = %d %s; want 422", code, raw)
	}
	if code, _, raw, _ := r1.post(base+"/orders", "k-4", `{"lines":[{"brand":"NO-SUCH-BRAND","quantity":1}]}`); code != http.StatusUnprocessableEntity {
		t.Errorf("order of an unknown brand = %d %s; want 422", code, raw)
	}
	if code, m, raw, _ := r1.badRequest().post(base+"/orders", "k-5", `{"lines":[]}`); code != http.StatusUnprocessableEntity || !strings.Contains(raw, `"field":"lines"`) {
		t.Errorf("order without lines = %d %v; want 422 naming lines", code, m)
	}

	// The catalogue shows the limit, what is ordered and what remains.
	_, cat, _ = r1.do("GET", base+"/catalogue", "")
	if l := catalogueLine(cat, brand); l == nil || l["limit"] != 2.0 || l["ordered"] != 2.0 || l["remaining"] != 0.0 {
		t.Errorf("catalogue line after ordering = %v; want limit 2, ordered 2, remaining 0", l)
	}

	// Who may see and do what.
	orderID := jsonNumber(order["id"])
	for _, tt := range []struct {
		who          string
		c            apiClient
		method, path string
		want         int
	}{
		{"manager of the outlet reads its orders", m1, "GET", base + "/orders", http.StatusOK},
		{"manager of the outlet reads an order", m1, "GET", base + "/orders/" + orderID, http.StatusOK},
		{"another retailer reads its catalogue", r2, "GET", base + "/catalogue", http.StatusNotFound},
		{"another retailer reads its order", r2, "GET", base + "/orders/" + orderID, http.StatusNotFound},
		{"another retailer cancels its order", r2, "DELETE", base + "/orders/" + orderID, http.StatusNotFound},
		{"manager cannot cancel for the retailer", m1, "DELETE", base + "/orders/" + orderID, http.StatusForbidden},
	} {
		t.Run(tt.who, func(t *testing.T) {
			if code, _, raw := tt.c.do(tt.method, tt.path, ""); code != tt.want {
				t.Errorf("%s %s = %d %s; want %d", tt.method, tt.path, code, raw, tt.want)
			}
		})
	}
	if placedBy(order) != "retailer1/retailer" {
		t.Errorf("order placed by %v; want retailer1 as retailer", order["placed_by"])
	}

	// The outlet's manager orders on its behalf when the retailer phones in: the same limits hold, and
	// the order names the manager as the author of its lines. Another manager gets 404, without a byte
	// of the outlet.
	behalf := fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":3}]}`, brand)
	code, replaced, raw, _ := m1.post(base+"/orders", "m-1", behalf)
	if code != http.StatusOK || placedBy(replaced) != "manager1/manager" || jsonNumber(replaced["id"]) != orderID {
		t.Fatalf("manager ordering for its outlet = %d %s; want 200, the order replaced, placed by manager1", code, raw)
	}
	if l := replaced["lines"].([]any)[0].(map[string]any); l["requested"] != 3.0 || l["granted"] != 2.0 || l["limited"] != "limit" {
		t.Errorf("manager's line = %v; want 3 requested, 2 granted by the limit", l)
	}
	if code, _, replay, hdr := m1.post(base+"/orders", "m-1", behalf); code != http.StatusOK || replay != raw || hdr.Get("Idempotent-Replayed") != "true" {
		t.Errorf("manager's replay = %d %s; want the first response again", code, replay)
	}
	if code, read, raw := r1.do("GET", base+"/orders/"+orderID, ""); code != http.StatusOK || placedBy(read) != "manager1/manager" {
		t.Errorf("the retailer reads its order = %d %s; want it placed by manager1", code, raw)
	}
	m2 := anon.login("manager2", demoPassword)
	if code, _, raw, _ := m2.post(base+"/orders", "m2-1", behalf); code != http.StatusNotFound || strings.Contains(raw, licence) {
		t.Errorf("another manager ordering for the outlet = %d %s; want 404 without its licence", code, raw)
	}

	code, page, raw := r1.do("GET", base+"/orders?limit=1", "")
	if code != http.StatusOK || len(page["orders"].([]any)) != 1 {
		t.Errorf("GET orders?limit=1 = %d %s; want one order", code, raw)
	}
	if code, _, _ := r1.badRequest().do("GET", base+"/orders?limit=1000", ""); code != http.StatusUnprocessableEntity {
		t.Errorf("GET orders?limit=1000 = %d; want 422 (page size capped)", code)
	}
	code, cancelled, raw := r1.do("DELETE", base+"/orders/"+orderID, "")
	if code != http.StatusOK || cancelled["status"] != "cancelled" {
		t.Errorf("DELETE order = %d %s; want it cancelled", code, raw)
	}
}

// placedBy returns an order's author as "username/role".
func placedBy(order map[string]any) string {
	by, _ := order["placed_by"].(map[string]any)
	return fmt.Sprintf("%v/%v", by["username"], by["role"])
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
