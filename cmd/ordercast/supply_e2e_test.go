package main

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Selling and supplying planned together, end to end through the API: a manufacturer's arrival plan,
// the balance of the retailer's cycle falls short of the forecast demand, the planner previews the
// allocation of the supply available from the balance and publishes it, a retailer orders above its
// limit, cut-off pays the order, logistics picks it from the day's round, receives the planned
// arrival, delivers, takes back a damaged carton (refunded, back into stock), the retailer confirms
// receipt, and stock and balance show all of it.
func TestSupplyToDeliveryEndToEnd(t *testing.T) {
	s, pg, ch := recentSeededServer(t)
	emptyWarehouse(t, pg)
	anon := apiClient{t: t, base: s.url}
	planner, logistics, maker := anon.login("planner", demoPassword), anon.login("logistics", demoPassword), anon.login("manufacturer1", demoPassword)
	retailers := []apiClient{anon.login("retailer1", demoPassword), anon.login("retailer2", demoPassword)}
	own, _ := manufacturerBrands(t, pg)

	// The retailers' cycle, and a forecast run covering it.
	_, me, _ := retailers[0].do("GET", "/api/v1/me", "")
	outlet := me["outlet"].(map[string]any)
	_, cat, _ := retailers[0].do("GET", "/api/v1/outlets/"+jsonNumber(outlet["id"])+"/catalogue", "")
	cycle := cat["cycle"].(string)
	monday := time.Now().UTC().Truncate(24 * time.Hour)
	monday = monday.AddDate(0, 0, -((int(monday.Weekday()) + 6) % 7))
	if out, stderr, err := run("forecast", "run", "-ch-dsn", ch, "-as-of", monday.Format(time.DateOnly), "-horizon", "4"); err != nil {
		t.Fatalf("forecast run = %v\n%s%s", err, out, stderr)
	}

	// The manufacturer's brand with the most forecast demand in the cycle.
	balanceOf := func(c apiClient, brand string) map[string]any {
		t.Helper()
		code, bal, raw := c.do("GET", "/api/v1/balance?brand="+brand+"&weeks=2&from="+cycle, "")
		if code != http.StatusOK {
			t.Fatalf("balance of %s = %d %s", brand, code, raw)
		}
		return bal["brands"].([]any)[0].(map[string]any)
	}
	brand, demand := "", 0.0
	for _, b := range own {
		w := weekList(balanceOf(maker, b))[0]
		if f, ok := w["forecast"].(map[string]any); ok && f["point"].(float64) > demand {
			brand, demand = b, f["point"].(float64)
		}
	}
	if demand < 4 {
		t.Fatalf("the largest forecast of manufacturer1's brands %v in the cycle of %s is %v cartons; want at least 4", own, cycle, demand)
	}

	// 1. The manufacturer plans an arrival of 60% of the demand in the cycle's week: a shortfall.
	planned := int(math.Floor(demand * 0.6))
	arrives := cycle
	// Not before the region's today, which serve checks against: UTC's is a day behind before 08:00 there.
	if today := time.Now().In(shanghai(t)).Format(time.DateOnly); arrives < today {
		arrives = today
	}
	if code, _, raw, _ := maker.post("/api/v1/arrival-plans", "e2e-plan", fmt.Sprintf(`{"lines":[{"brand":%q,"arrives_on":%q,"cartons":%d}]}`, brand, arrives, planned)); code != http.StatusCreated {
		t.Fatalf("arrival plan = %d %s", code, raw)
	}
	b := balanceOf(planner, brand)
	w0 := weekList(b)[0]
	p, _ := b["scarce_proposal"].(map[string]any)
	if w0["arrivals"] != float64(planned) || w0["shortfall"].(float64) <= 0 || p == nil || p["cycle"] != cycle || p["supply"] != float64(planned) {
		t.Fatalf("balance after the plan = %v; want %d cartons arriving, a shortfall, and %s proposed scarce with %d cartons", b, planned, cycle, planned)
	}

	// 2. From the balance to the allocation preview, then publication with that supply.
	code, prev, raw, _ := planner.post("/api/v1/balance/"+brand+"/allocation", "e2e-preview", fmt.Sprintf(`{"from":%q,"weeks":2}`, cycle))
	if code != http.StatusOK || prev["allocation"].(map[string]any)["supply"] != float64(planned) {
		t.Fatalf("allocation from the balance = %d %s; want a preview of %d cartons", code, raw, planned)
	}
	code, pub, raw, _ := planner.post("/api/v1/cycles/"+cycle+"/allocations", "e2e-publish", fmt.Sprintf(`{"brand":%q,"supply":%d,"mode":"grade"}`, brand, planned))
	if code != http.StatusCreated || pub["summary"].(map[string]any)["allocated"] != float64(planned) {
		t.Fatalf("publish = %d %s", code, raw)
	}

	// 3. A retailer with a limit orders two cartons above it.
	var r apiClient
	var outletID string
	limit := 0
	for _, c := range retailers {
		_, me, _ := c.do("GET", "/api/v1/me", "")
		id := jsonNumber(me["outlet"].(map[string]any)["id"])
		_, cat, _ := c.do("GET", "/api/v1/outlets/"+id+"/catalogue", "")
		if l, ok := catalogueLine(cat, brand)["limit"].(float64); ok && l >= 1 && cat["cycle"] == cycle {
			r, outletID, limit, outlet = c, id, int(l), me["outlet"].(map[string]any)
			break
		}
	}
	if limit == 0 {
		t.Fatalf("neither demo retailer got a limit of %s from %d cartons", brand, planned)
	}
	code, order, raw, _ := r.post("/api/v1/outlets/"+outletID+"/orders", "e2e-order", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":%d}]}`, brand, limit+2))
	if code != http.StatusCreated || lineOf(order["lines"], brand)["granted"] != float64(limit) {
		t.Fatalf("order = %d %s; want %d granted", code, raw, limit)
	}
	orderID := jsonNumber(order["id"])
	_, outcomes, raw := maker.do("GET", "/api/v1/portal/allocations", "")
	if !strings.Contains(raw, `"brand":"`+brand+`"`) || len(foreignBytes(raw, foreignOf(t, pg))) > 0 {
		t.Errorf("manufacturer's allocation outcomes = %s; want %s, no other manufacturer's brand", raw, brand)
	}
	for _, o := range outcomes["outcomes"].([]any) {
		if o := o.(map[string]any); o["brand"] == brand && (o["granted_cartons"] != float64(limit) || o["covered_outlets"] != 1.0) {
			t.Errorf("outcome of %s = %v; want %d cartons granted to 1 covered outlet", brand, o, limit)
		}
	}
	price := lineOf(order["lines"], brand)["price_cents"].(float64)

	// 4. Cut-off pays it; logistics finds the outlet on the day's round and may now read its profile.
	orderDay := outlet["order_day"].(string)
	if out, stderr, err := run("cycle", "close", "-pg-dsn", pg, "-week", cycle, "-day", orderDay, "-early"); err != nil || !strings.Contains(out, "paid") {
		t.Fatalf("cycle close = %v\n%s%s", err, out, stderr)
	}
	week, _ := time.Parse(time.DateOnly, cycle)
	day := ""
	for d := week; d.Before(week.AddDate(0, 0, 7)); d = d.AddDate(0, 0, 1) {
		if strings.EqualFold(d.Weekday().String(), orderDay) {
			day = d.Format(time.DateOnly) // the outlet's order day in the cycle's week: its delivery day
		}
	}
	_, round, raw := logistics.do("GET", "/api/v1/rounds/"+day, "")
	if !strings.Contains(raw, `"order":`+orderID+`,`) || !strings.Contains(raw, fmt.Sprintf("%q", outlet["name"])) {
		t.Errorf("round of %s = %s; want order %s at %v", day, raw, orderID, outlet["name"])
	}
	_ = round
	if code, _, raw := logistics.do("GET", "/api/v1/outlets/"+outletID, ""); code != http.StatusOK {
		t.Errorf("logistics reading the outlet it delivers to = %d %s; want 200", code, raw)
	}

	// 5. The planned arrival comes in; the order is delivered; a carton comes back damaged.
	_, plans, _ := planner.do("GET", "/api/v1/arrival-plans?brand="+brand, "")
	planID := jsonNumber(plans["plans"].([]any)[0].(map[string]any)["id"])
	if code, _, raw, _ := logistics.post("/api/v1/warehouse/movements", "e2e-arrive", fmt.Sprintf(`{"brand":%q,"kind":"arrival","cartons":%d,"arrival_plan":%s}`, brand, planned, planID)); code != http.StatusCreated {
		t.Fatalf("arrival = %d %s", code, raw)
	}
	if code, _, raw, _ := logistics.post("/api/v1/orders/"+orderID+"/delivery", "e2e-deliver", ""); code != http.StatusOK {
		t.Fatalf("delivery = %d %s", code, raw)
	}
	_, me, _ = r.do("GET", "/api/v1/me", "")
	before := me["outlet"].(map[string]any)["balance_cents"].(float64)
	code, ret, raw, _ := logistics.post("/api/v1/orders/"+orderID+"/returns", "e2e-return", fmt.Sprintf(`{"lines":[{"brand":%q,"cartons":1,"reason":"crushed in transit"}]}`, brand))
	if code != http.StatusCreated || ret["refund_cents"] != price {
		t.Fatalf("return = %d %s; want 201 refunding %v", code, raw, price)
	}
	_, me, _ = r.do("GET", "/api/v1/me", "")
	if after := me["outlet"].(map[string]any)["balance_cents"].(float64); after != before+price {
		t.Errorf("balance after the return = %v; want %v + %v", after, before, price)
	}
	code, rec, raw, _ := r.post("/api/v1/outlets/"+outletID+"/orders/"+orderID+"/receipt", "e2e-receipt", "")
	if code != http.StatusOK || rec["receipt"] != "confirmed" {
		t.Errorf("receipt = %d %s; want confirmed", code, raw)
	}

	// 6. Stock: planned − delivered + returned; the balance counts the arrival and the delivery.
	wantStock := float64(planned - limit + 1)
	_, st, raw := planner.do("GET", "/api/v1/warehouse/stock?brand="+brand, "")
	if st["stock"].([]any)[0].(map[string]any)["cartons"] != wantStock {
		t.Errorf("stock = %s; want %v", raw, wantStock)
	}
	w0 = weekList(balanceOf(planner, brand))[0]
	if w0["arrivals"] != 0.0 || w0["delivered"] != float64(limit) || w0["opening"] != wantStock || w0["requested"].(float64) < float64(limit+2) {
		t.Errorf("balance after delivery = %v; want no arrival left, %d delivered, opening at %v, at least %d requested", w0, limit, wantStock, limit+2)
	}
	_, moves, raw := planner.do("GET", "/api/v1/warehouse/stock/"+brand+"/movements", "")
	kinds := []string{}
	for _, m := range moves["movements"].([]any) {
		kinds = append(kinds, m.(map[string]any)["kind"].(string))
	}
	if strings.Join(kinds, ",") != "return,delivery,arrival" {
		t.Errorf("movements = %v (%s); want return, delivery, arrival (newest first)", kinds, raw)
	}
}

// foreignOf returns the brand codes of manufacturers other than manufacturer1's.
func foreignOf(t testing.TB, pg string) []string {
	_, foreign := manufacturerBrands(t, pg)
	return foreign
}
