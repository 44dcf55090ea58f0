package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// One weekly cycle through the API and the command line: the planner publishes a limit, the retailer
// orders over it, cut-off pays, logistics delivers one line short, the refund lands, the relay carries
// the delivered lines into ClickHouse, and the account manager sees it all in the outlet list.
func TestOrderCycleEndToEnd(t *testing.T) {
	s, pg, ch := seededServerDSNs(t, "-relay-interval", "100ms")
	anon := apiClient{t: t, base: s.url}
	r1, planner, logistics := anon.login("retailer1", demoPassword), anon.login("planner", demoPassword), anon.login("logistics", demoPassword)
	m1, m2 := anon.login("manager1", demoPassword), anon.login("manager2", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	outlet := me["outlet"].(map[string]any)
	id, licence, orderDay := jsonNumber(outlet["id"]), outlet["licence"].(string), outlet["order_day"].(string)
	balance := outlet["balance_cents"].(float64)
	base := "/api/v1/outlets/" + id
	_, cat, raw := r1.do("GET", base+"/catalogue", "")
	week, _ := cat["cycle"].(string)
	lines, _ := cat["lines"].([]any)
	if week == "" || len(lines) < 2 {
		t.Fatalf("catalogue = %s; want a cycle and at least two brands", raw)
	}
	scarce, plenty := lines[0].(map[string]any)["brand"].(string), lines[1].(map[string]any)["brand"].(string)
	price := lines[0].(map[string]any)["wholesale_cents"].(float64)

	// The planner publishes a limit of 2 cartons of one brand for this outlet.
	supply := fmt.Sprintf(`{"plan":[{"brand":%q,"supply_cartons":100}],"limits":[{"outlet":%q,"brand":%q,"cartons":2,"explanation":"grade limit"}]}`,
		scarce, licence, scarce)
	for _, tt := range []struct {
		name  string
		c     apiClient
		body  string
		want  int
		field string
	}{
		{"a retailer may not publish", r1, supply, http.StatusForbidden, ""},
		{"a manager may not publish", m1, supply, http.StatusForbidden, ""},
		{"negative limit", planner.badRequest(), strings.Replace(supply, `"cartons":2`, `"cartons":-2`, 1), http.StatusUnprocessableEntity, "limits[0].cartons"},
		{"unknown outlet", planner, strings.Replace(supply, licence, "NO-SUCH-LICENCE", 1), http.StatusUnprocessableEntity, "limits"},
		{"protected field", planner.badRequest(), strings.Replace(supply, `"cartons":2`, `"cartons":2,"used_cartons":0`, 1), http.StatusUnprocessableEntity, ""},
		{"published", planner, supply, http.StatusOK, ""},
	} {
		code, _, raw, _ := tt.c.doWith("PUT", "/api/v1/cycles/"+week+"/supply", tt.body, nil)
		if code != tt.want || (tt.field != "" && !strings.Contains(raw, `"field":"`+tt.field+`"`)) {
			t.Errorf("%s: PUT supply = %d %s; want %d %s", tt.name, code, raw, tt.want, tt.field)
		}
	}
	if code, _, raw := planner.do("PUT", "/api/v1/cycles/2026-11-24/supply", supply); code != http.StatusUnprocessableEntity {
		t.Errorf("PUT supply for a week not starting on Monday = %d %s; want 422", code, raw)
	}

	// A supply plan made against the supply as read (If-Match: the ETag of either GET) is published
	// while nothing else was; made against an older one it is refused, 412 with the current ETag, and
	// nothing of it is written.
	code, _, _, h := planner.doWith("GET", "/api/v1/cycles/"+week+"/supply", "", nil)
	read := h.Get("ETag")
	if code != http.StatusOK || !regexp.MustCompile(`^"s\d+"$`).MatchString(read) {
		t.Fatalf("GET supply = %d, ETag %q; want 200 with the supply's version, as \"s3\"", code, read)
	}
	if _, _, _, h := planner.doWith("GET", "/api/v1/cycles/"+week, "", nil); h.Get("ETag") != read {
		t.Errorf("GET the cycle: ETag %q; want the supply's, %q", h.Get("ETag"), read)
	}
	code, _, raw, h = planner.doWith("PUT", "/api/v1/cycles/"+week+"/supply", supply, map[string]string{"If-Match": read})
	published := h.Get("ETag")
	if code != http.StatusOK || published == read || published == "" {
		t.Fatalf("PUT supply with the ETag just read = %d, ETag %q %s; want 200 with a new version", code, published, raw)
	}
	changed := strings.Replace(supply, `"supply_cartons":100`, `"supply_cartons":90`, 1)
	code, prob, raw, h := planner.doWith("PUT", "/api/v1/cycles/"+week+"/supply", changed, map[string]string{"If-Match": read})
	if code != http.StatusPreconditionFailed || prob["type"] != "/problems/supply-version-mismatch" || h.Get("ETag") != published {
		t.Errorf("PUT supply with an older ETag = %d %s, ETag %q; want 412 supply-version-mismatch with %q", code, raw, h.Get("ETag"), published)
	}
	_, after, _ := planner.do("GET", "/api/v1/cycles/"+week+"/supply", "")
	for _, x := range after["supply"].([]any) {
		if l := x.(map[string]any); l["brand"] == scarce && l["supply_cartons"] != 100.0 {
			t.Errorf("after the refused plan %s's supply is %v; want 100, untouched", scarce, l["supply_cartons"])
		}
	}
	if code, _, raw, _ := planner.doWith("PUT", "/api/v1/cycles/"+week+"/supply", supply, map[string]string{"If-Match": "v1"}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(raw, `"field":"If-Match"`) {
		t.Errorf("PUT supply with an order's ETag = %d %s; want 422 naming If-Match", code, raw)
	}

	body := fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":5},{"brand":%q,"quantity":1}]}`, scarce, plenty)
	code, order, raw, _ := r1.post(base+"/orders", "order-1", body)
	if code != http.StatusCreated {
		t.Fatalf("POST order = %d %s", code, raw)
	}
	orderID := jsonNumber(order["id"])
	total := order["total_cents"].(float64)

	// Cut-off by hand, before the window's time: the order is paid from the balance.
	out, stderr, err := run("cycle", "close", "-pg-dsn", pg, "-week", week, "-day", orderDay, "-early")
	if err != nil || !strings.Contains(out, "1 paid") {
		t.Fatalf("cycle close = %v\n%s%s; want one order paid", err, out, stderr)
	}
	_, o, _ := r1.do("GET", base+"/orders/"+orderID, "")
	_, me, _ = r1.do("GET", "/api/v1/me", "")
	if o["status"] != "paid" || me["outlet"].(map[string]any)["balance_cents"].(float64) != balance-total {
		t.Errorf("after cut-off: order %v, balance %v; want paid and %v deducted from %v", o["status"], me["outlet"], total, balance)
	}
	if code, m, raw, _ := r1.post(base+"/orders", "order-2", body); code != http.StatusConflict || m["type"] != "/problems/window-closed" {
		t.Errorf("ordering after the cut-off = %d %s; want 409 window-closed", code, raw)
	}

	// Logistics finds the order and delivers one carton of the scarce brand instead of two.
	code, page, raw := logistics.do("GET", "/api/v1/cycles/"+week+"/orders?status=paid", "")
	if code != http.StatusOK || !strings.Contains(raw, `"id":`+orderID+`,`) {
		t.Errorf("GET the cycle's paid orders as logistics = %d %v; want order %s among them", code, page, orderID)
	}
	delivery := fmt.Sprintf(`{"lines":[{"brand":%q,"delivered":1}]}`, scarce)
	for _, c := range []apiClient{r1, m1, planner} {
		if code, _, raw, _ := c.post("/api/v1/orders/"+orderID+"/delivery", "d-1", delivery); code != http.StatusForbidden {
			t.Errorf("delivery recorded by a non-logistics user = %d %s; want 403", code, raw)
		}
	}
	if code, _, raw, _ := logistics.post("/api/v1/orders/"+orderID+"/delivery", "d-0", fmt.Sprintf(`{"lines":[{"brand":%q,"delivered":3}]}`, scarce)); code != http.StatusUnprocessableEntity || !strings.Contains(raw, "lines[0].delivered") {
		t.Errorf("delivering more than granted = %d %s; want 422 on lines[0].delivered", code, raw)
	}
	code, d, raw, _ := logistics.post("/api/v1/orders/"+orderID+"/delivery", "d-1", delivery)
	if code != http.StatusOK || d["status"] != "delivered" {
		t.Fatalf("POST delivery = %d %s; want delivered", code, raw)
	}
	if code, _, raw, _ := logistics.post("/api/v1/orders/"+orderID+"/delivery", "d-2", ""); code != http.StatusConflict {
		t.Errorf("delivering twice = %d %s; want 409", code, raw)
	}
	_, me, _ = r1.do("GET", "/api/v1/me", "")
	if got := me["outlet"].(map[string]any)["balance_cents"].(float64); got != balance-total+price {
		t.Errorf("balance after a one-carton short delivery = %v; want %v (one carton refunded)", got, balance-total+price)
	}

	// The relay in serve carries both delivered lines into ClickHouse, once.
	conn := storestest.OpenClickHouse(t, ch)
	var rows, delivered uint64
	eventually(t, 20*time.Second, "the delivered lines reach ClickHouse", func() bool {
		err := conn.QueryRow(context.Background(), `SELECT count(), sum(toUInt64(delivered)) FROM sales WHERE dataset = 'live'
			AND order_id = ?`, mustInt(t, orderID)).Scan(&rows, &delivered)
		return err == nil && rows >= 2
	})
	if rows != 2 || delivered != 2 {
		t.Errorf("ClickHouse holds %d lines, %d cartons delivered of the order; want 2 lines, 2 cartons", rows, delivered)
	}
	eventually(t, 10*time.Second, "the outbox backlog metric reads 0", func() bool {
		_, metrics := get(t, s.url+"/metrics")
		return strings.Contains(metrics, "ordercast_outbox_backlog_lines 0") &&
			strings.Contains(metrics, "ordercast_outbox_relayed_lines_total 2")
	})
	_, metrics := get(t, s.url+"/metrics")
	for _, want := range []string{`ordercast_orders_total{result="created"} 1`, `ordercast_order_lines_total{outcome="limited"} 1`,
		`ordercast_orders_total{result="window_closed"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// The account manager's outlet list shows the order; the other manager's does not have the outlet.
	code, list, raw := m1.do("GET", "/api/v1/outlets?limit=200", "")
	var mine map[string]any
	for _, x := range list["outlets"].([]any) {
		if o := x.(map[string]any); o["licence"] == licence {
			mine = o
		}
	}
	if code != http.StatusOK || mine == nil {
		t.Fatalf("GET /outlets as manager1 = %d %s; want the outlet of retailer1", code, raw)
	}
	if last, _ := mine["last_order"].(map[string]any); last["status"] != "delivered" || jsonNumber(last["id"]) != orderID ||
		mine["balance_cents"] == nil || mine["upload"] == nil {
		t.Errorf("outlet in the list = %v; want its delivered last order, balance and upload status", mine)
	}
	if _, _, raw := m2.do("GET", "/api/v1/outlets?limit=200", ""); strings.Contains(raw, licence) {
		t.Errorf("manager2's outlet list has manager1's outlet %s", licence)
	}
	// Asked by licence: the one outlet for its manager and the planner, none for another manager.
	for _, tt := range []struct {
		who  apiClient
		name string
		want int
	}{{m1, "manager1", 1}, {planner, "planner", 1}, {m2, "manager2", 0}} {
		code, page, raw := tt.who.do("GET", "/api/v1/outlets?licence="+url.QueryEscape(licence), "")
		got, _ := page["outlets"].([]any)
		if code != http.StatusOK || len(got) != tt.want || (tt.want == 1 && got[0].(map[string]any)["licence"] != licence) {
			t.Errorf("GET /outlets?licence=%s as %s = %d %s; want %d outlet", licence, tt.name, code, raw, tt.want)
		}
	}
	if code, _, _ := m1.do("GET", base+"/scans", ""); code != http.StatusOK {
		t.Errorf("GET scans of an own outlet as its manager = %d; want 200", code)
	}
	if code, _, raw := m2.do("GET", base+"/scans", ""); code != http.StatusNotFound {
		t.Errorf("GET scans of another's outlet = %d %s; want 404", code, raw)
	}
	if code, _, _ := m1.do("GET", "/api/v1/cycles/"+week, ""); code != http.StatusForbidden {
		t.Errorf("GET a cycle as a manager = %d; want 403", code)
	}
	code, cyc, raw := planner.do("GET", "/api/v1/cycles/"+week, "")
	if code != http.StatusOK || cyc["orders"].(map[string]any)["delivered"] != 1.0 {
		t.Errorf("GET cycle as planner = %d %s; want one delivered order", code, raw)
	}
	if l := supplyOf(cyc, scarce); l == nil || l["requested_cartons"] != 5.0 || l["granted_cartons"] != 2.0 ||
		l["fill_rate"] != 0.4 || l["eligible_outlets"] != 1.0 || l["covered_outlets"] != 1.0 || l["coverage"] != 1.0 {
		t.Errorf("the limited brand in the cycle = %v; want 5 requested, 2 granted (fill rate 0.4), 1 of 1 outlets covered", l)
	}
}
