package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The authorization matrix: every route that takes an outlet or order id, called by two retailers and
// two account managers on both retailers' outlets. The outlet's own retailer and manager may read; only
// the retailer may write, except that its manager may place an order on its behalf (the manager gets 403
// for the other writes); visits and the change log are its manager's, not its retailer's (403); anyone
// else gets 404 with no byte of the outlet's data.
// An order id of one outlet under another outlet's path is 404 too.
func TestAPIAuthorizationMatrix(t *testing.T) {
	s, pg := seededServer(t)
	anon := apiClient{t: t, base: s.url}
	users := map[string]apiClient{}
	for _, u := range []string{"retailer1", "retailer2", "manager1", "manager2"} {
		users[u] = anon.login(u, demoPassword)
	}
	managerOf := map[string]string{"retailer1": "manager1", "retailer2": "manager2"}
	brand := seededBrands(t, pg, 1)[0]
	type outletIDs struct{ id, licence, order string }
	outlets := map[string]outletIDs{}
	for _, r := range []string{"retailer1", "retailer2"} {
		_, me, _ := users[r].do("GET", "/api/v1/me", "")
		o := me["outlet"].(map[string]any)
		code, order, raw, _ := users[r].post("/api/v1/outlets/"+jsonNumber(o["id"])+"/orders", "setup-"+r,
			fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":1}]}`, brand))
		if code != http.StatusCreated {
			t.Fatalf("%s's order = %d %s", r, code, raw)
		}
		outlets[r] = outletIDs{jsonNumber(o["id"]), o["licence"].(string), jsonNumber(order["id"])}
	}

	scan := func(batch string) string {
		return scanBody(t, batch, []scanRowJSON{{Brand: brand, Kind: "sellout", At: time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), Qty: 1}})
	}
	type route struct {
		method, path, body string
		write              bool
		managerMay         bool // a write the outlet's manager may make
		work               bool // the manager's work (visits, change log): its manager may, its retailer 403
	}
	routes := func(o outletIDs, n int) []route {
		base := "/api/v1/outlets/" + o.id
		return []route{
			{"GET", base, "", false, false, false},
			{"GET", base + "/catalogue", "", false, false, false},
			{"GET", base + "/orders", "", false, false, false},
			{"GET", base + "/orders/" + o.order, "", false, false, false},
			{"GET", base + "/scans", "", false, false, false},
			{"POST", base + "/orders", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":2}]}`, brand), true, true, false},
			{"POST", base + "/scans", scan(fmt.Sprintf("authz-%d", n)), true, false, false},
			{"DELETE", base + "/orders/" + o.order, "", true, false, false},
			{"GET", base + "/visits", "", false, false, true},
			{"GET", base + "/changes", "", false, false, true},
			{"POST", base + "/visits", fmt.Sprintf(`{"visited_on":%q,"purpose":"routine"}`, time.Now().Format(time.DateOnly)), true, true, true},
		}
	}
	n := 0
	for owner, o := range outlets {
		for caller, c := range users {
			for _, r := range routes(o, n) {
				n++
				want := http.StatusNotFound
				switch {
				case r.work && caller == owner:
					want = http.StatusForbidden
				case r.work && caller == managerOf[owner] && r.method == "POST":
					want = http.StatusCreated
				case caller == owner && !r.write:
					want = http.StatusOK
				case caller == managerOf[owner] && r.managerMay:
					want = http.StatusOK // the outlet's order replaced on its behalf
				case caller == managerOf[owner] && r.write:
					want = http.StatusForbidden
				case caller == managerOf[owner]:
					want = http.StatusOK
				case caller == owner:
					continue // the owner's own writes are tested with their effects elsewhere
				}
				t.Run(fmt.Sprintf("%s %s %s of %s", caller, r.method, strings.TrimPrefix(r.path, "/api/v1"), owner), func(t *testing.T) {
					code, _, raw, _ := c.doWith(r.method, r.path, r.body, map[string]string{"Idempotency-Key": fmt.Sprintf("authz-key-%d", n)})
					if code != want {
						t.Fatalf("%s %s as %s = %d %s; want %d", r.method, r.path, caller, code, raw, want)
					}
					if want == http.StatusNotFound && strings.Contains(raw, o.licence) {
						t.Errorf("404 body for another's outlet contains its licence: %s", raw)
					}
				})
			}
		}
	}

	// Another outlet's order under one's own outlet.
	r1, other := outlets["retailer1"], outlets["retailer2"]
	for _, method := range []string{"GET", "DELETE"} {
		if code, _, raw := users["retailer1"].do(method, "/api/v1/outlets/"+r1.id+"/orders/"+other.order, ""); code != http.StatusNotFound {
			t.Errorf("%s another outlet's order under one's own outlet = %d %s; want 404", method, code, raw)
		}
	}
	// Object ids in routes for other roles: deliveries are for logistics only, whoever owns the order.
	for u, c := range users {
		if code, _, raw, _ := c.post("/api/v1/orders/"+r1.order+"/delivery", "authz-delivery-"+u, ""); code != http.StatusForbidden {
			t.Errorf("POST delivery as %s = %d %s; want 403", u, code, raw)
		}
	}
}
