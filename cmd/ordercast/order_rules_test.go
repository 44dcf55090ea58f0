package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// Two devices, the balance and the brand's supply, through the API: ETag and If-Match (412 with the
// current ETag when stale), 422 above the balance, 409 for a supply below what is granted, and a line
// cut to what is left of the supply marked limited: supply.
func TestAPIOrderVersionsBalanceAndSupply(t *testing.T) {
	s, pg := seededServer(t)
	anon := apiClient{t: t, base: s.url}
	r1, planner := anon.login("retailer1", demoPassword), anon.login("planner", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	id := jsonNumber(me["outlet"].(map[string]any)["id"])
	base := "/api/v1/outlets/" + id
	_, cat, raw := r1.do("GET", base+"/catalogue", "")
	if f, ok := cat["funds"].(map[string]any); !ok || f["balance_cents"] == nil || f["shortfall_cents"] == nil {
		t.Fatalf("catalogue %s; want funds with the balance and the shortfall", raw)
	}
	var brand string
	for _, l := range cat["lines"].([]any) {
		if l := l.(map[string]any); l["limit"] == nil && l["remaining"] == nil {
			brand = l["brand"].(string)
			break
		}
	}
	if brand == "" {
		t.Fatalf("no unlimited brand in %s", raw)
	}
	order := func(n int) string { return fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":%d}]}`, brand, n) }
	post := func(key, ifMatch, body string) (int, map[string]any, string, http.Header) {
		h := map[string]string{"Idempotency-Key": key}
		if ifMatch != "" {
			h["If-Match"] = ifMatch
		}
		return r1.doWith("POST", base+"/orders", body, h)
	}

	code, o, raw, h := post("v-1", "", order(1))
	if code != http.StatusCreated || h.Get("ETag") != `"v1"` || o["funds"] == nil {
		t.Fatalf("POST = %d, ETag %q %s; want 201, \"v1\" and funds", code, h.Get("ETag"), raw)
	}
	orderPath := base + "/orders/" + jsonNumber(o["id"])
	if code, _, raw, h := post("v-2", `"v1"`, order(2)); code != http.StatusOK || h.Get("ETag") != `"v2"` {
		t.Fatalf("replace If-Match v1 = %d, ETag %q %s; want 200, \"v2\"", code, h.Get("ETag"), raw)
	}
	// The other device still holds v1.
	if code, p, raw, h := post("v-3", `"v1"`, order(7)); code != http.StatusPreconditionFailed || p["type"] != "/problems/order-version-mismatch" || h.Get("ETag") != `"v2"` {
		t.Errorf("replace If-Match v1 again = %d, ETag %q %s; want 412 order-version-mismatch with ETag \"v2\"", code, h.Get("ETag"), raw)
	}
	if code, _, raw, _ := r1.doWith("DELETE", orderPath, "", map[string]string{"If-Match": `"v1"`}); code != http.StatusPreconditionFailed {
		t.Errorf("cancel If-Match v1 = %d %s; want 412", code, raw)
	}
	if code, o, raw, h := r1.doWith("GET", orderPath, "", nil); code != http.StatusOK || h.Get("ETag") != `"v2"` || o["version"] != 2.0 {
		t.Errorf("GET after the stale writes = %d, ETag %q %s; want version 2 unchanged", code, h.Get("ETag"), raw)
	}

	// A balance of 0.01 cannot pay two cartons: 422 naming the amounts, the order unchanged.
	pool := storestest.OpenPostgres(t, pg)
	if _, err := pool.Exec(context.Background(), `UPDATE outlets SET balance_cents = 1 WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if code, p, raw, _ := post("v-4", "", order(2)); code != http.StatusUnprocessableEntity || p["type"] != "/problems/insufficient-balance" ||
		!strings.HasSuffix(fmt.Sprint(p["detail"]), ", the balance 0.01") {
		t.Errorf("an order above the balance = %d %s; want 422 insufficient-balance naming the balance", code, raw)
	}
	if _, err := pool.Exec(context.Background(), `UPDATE outlets SET balance_cents = 100000000 WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}

	// The brand's supply: not below the 2 cartons granted, and a line above what is left gets the rest.
	week := cat["cycle"].(string)
	supply := func(n int) (int, string) {
		code, _, raw, _ := planner.doWith("PUT", "/api/v1/cycles/"+week+"/supply",
			fmt.Sprintf(`{"plan":[{"brand":%q,"on_sale":true,"supply_cartons":%d}]}`, brand, n), nil)
		return code, raw
	}
	if code, raw := supply(1); code != http.StatusConflict {
		t.Errorf("supply 1 below the 2 granted = %d %s; want 409", code, raw)
	}
	if code, raw := supply(3); code >= 300 {
		t.Fatalf("supply 3 = %d %s", code, raw)
	}
	code, o, raw, _ = post("v-5", "", order(5))
	line := o["lines"].([]any)[0].(map[string]any)
	if code != http.StatusOK || line["granted"] != 3.0 || line["limited"] != "supply" {
		t.Errorf("5 cartons with a supply of 3 = %d %s; want 3 granted, limited by supply", code, raw)
	}
}
